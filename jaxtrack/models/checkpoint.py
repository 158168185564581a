"""jaxtrack model files: Orbax-saved variables plus a small JSON naming the model and config.

Layout of a model directory::

    DST/jaxtrack_model.json   {"format": "jaxtrack-model", "version": 1, "model": NAME, "config": {...}}
    DST/variables/            Orbax StandardCheckpointer checkpoint of {"params", "batch_stats"}

``load`` rebuilds the module from the JSON (:func:`jaxtrack.models.catalog.build_named`) and
restores the variables into its abstract tree, so shapes are checked on the way in.
"""

from __future__ import annotations

import json
import pathlib

import jax
import orbax.checkpoint as ocp

from jaxtrack.errors import JaxtrackError
from jaxtrack.config import plain_dict
from jaxtrack.models.catalog import abstract_variables, build_named

METADATA = "jaxtrack_model.json"
FORMAT, VERSION = "jaxtrack-model", 1


def save(path, model_name, config, variables):
    """Write ``variables`` of model ``model_name`` built with ``config`` to the new directory
    ``path``.

    Raises:
      JaxtrackError: ``path`` exists, or ``model_name``/``config`` do not build a model whose
        variables have the shapes of ``variables``.
    """
    path = pathlib.Path(path).absolute()
    if path.exists():
        raise JaxtrackError(f"{path} exists; choose a new directory for the model")
    config = plain_dict(config or {}, 'model config')
    metadata = {"format": FORMAT, "version": VERSION, "model": model_name, "config": config}
    try:
        json.dumps(metadata)
    except TypeError as error:
        raise JaxtrackError(f"model config must be JSON-serialisable: {error}") from None
    _check_shapes(variables, abstract_variables(build_named(model_name, config)), model_name, config)
    path.mkdir(parents=True)
    with ocp.StandardCheckpointer() as checkpointer:
        checkpointer.save(path / "variables", variables)
    (path / METADATA).write_text(json.dumps(metadata, indent=2) + "\n")


def _check_shapes(variables, abstract, model_name, config):
    """Raise naming the first differences if ``variables`` do not have the shapes of ``abstract``."""
    def shapes(tree):
        return {jax.tree_util.keystr(k): tuple(v.shape) for k, v in jax.tree_util.tree_leaves_with_path(tree)}

    given, expected = shapes(variables), shapes(abstract)
    problems = [f"{k}: missing" for k in expected if k not in given]
    problems += [f"{k}: not in the model" for k in given if k not in expected]
    problems += [f"{k}: shape {given[k]}, model has {expected[k]}" for k in expected
                 if k in given and given[k] != expected[k]]
    if problems:
        raise JaxtrackError(f"variables do not fit model {model_name!r} with config {config} "
                            f"({len(problems)} problems): " + "; ".join(problems[:5]))


def load(path):
    """Read a model directory written by :func:`save` -> ``(model, variables)``.

    Raises:
      JaxtrackError: not a jaxtrack model directory, unknown model, or variables that do not fit.
    """
    path = pathlib.Path(path).absolute()
    try:
        metadata = json.loads((path / METADATA).read_text())
    except FileNotFoundError:
        raise JaxtrackError(f"{path} is not a jaxtrack model directory (no {METADATA})") from None
    except json.JSONDecodeError as error:
        raise JaxtrackError(f"{path / METADATA}: not valid JSON: {error}") from None
    if metadata.get("format") != FORMAT or metadata.get("version") != VERSION:
        raise JaxtrackError(f"{path / METADATA}: expected format {FORMAT!r} version {VERSION}, got "
                            f"{metadata.get('format')!r} version {metadata.get('version')!r}")
    name = metadata.get("model")
    model = build_named(name, metadata.get("config") or {})
    abstract = abstract_variables(model)
    try:
        with ocp.StandardCheckpointer() as checkpointer:
            variables = checkpointer.restore(path / "variables", abstract)
    except (ValueError, KeyError, FileNotFoundError) as error:
        raise JaxtrackError(f"{path / 'variables'}: does not hold the variables of {name!r} "
                            f"with config {metadata.get('config')}: {error}") from None
    return model, variables

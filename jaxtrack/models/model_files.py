"""jaxtrack model files: model directories (written and read) and the inference variables of a
training workdir's checkpoints (read, and exported as a model directory).

Layout of a model directory::

    DST/jaxtrack_model.json   {"format": "jaxtrack-model", "version": 1, "model": NAME, "config": {...},
                               optionally "tracker": {"hyper": SET} and "training": {...}}
    DST/variables/            Orbax StandardCheckpointer checkpoint of {"params", "batch_stats"}

``load`` rebuilds the module from the JSON (:func:`jaxtrack.models.catalog.build_named`) and
restores the variables into its abstract tree, so shapes are checked on the way in. Both
directories may be local or URLs such as ``gs://bucket/model`` (:mod:`jaxtrack.paths`).

``"tracker": {"hyper": SET}`` is the hyperparameter set the model tracks with when none is named
(``SET`` as ``--hyper`` takes it, e.g. ``"otb,lost_score=0.3"``): ``--hyper`` overrides it, and
without either the benchmark's default set applies. :func:`jaxtrack.track.set_tracker` writes it
and :func:`jaxtrack.track.stored_hyper` reads it, both checking it against the model's family.
``"training": {"steps": N, "batch": B, "pool": P, "train_videos": V, "recipe": FILE,
"backbone_blocks": [...]}`` says how the weights were trained (``pool``: pairs in the feature pool,
drawn from ``train_videos`` synthetic videos; ``backbone_blocks``: the backbone blocks trained,
none when it stayed frozen; the shipped default's, written when ``experiments/default_tracker.py``
exports it; the demo quotes it).

Layout of a training workdir (written by :class:`jaxtrack.train.checkpoint.Checkpointer`)::

    WORKDIR/checkpoints/<step>/   Orbax CheckpointManager step with the items
        state/    the train state pytree: params, batch_stats, opt_state, step, rng
        data/     the input iterator's state (JSON)
        config/   the resolved experiment config (JSON), with the model config as "model"
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import jax
import orbax.checkpoint as ocp

from jaxtrack import paths
from jaxtrack.config import plain_dict
from jaxtrack.errors import JaxtrackError, brief
from jaxtrack.models.catalog import abstract_variables, build, build_named

METADATA = "jaxtrack_model.json"
TRACKER = "tracker"
"""The optional entry of :data:`METADATA` with the tracker's settings (module docstring)."""
TRAINING = "training"
"""The optional entry of :data:`METADATA` saying how the weights were trained (module docstring)."""
FORMAT, VERSION = "jaxtrack-model", 1
CHECKPOINTS = "checkpoints"
"""The folder of a training workdir holding one folder per checkpoint step."""
CHECKPOINT_ITEMS = ("state", "data", "config")
"""The items of a training checkpoint step (module docstring)."""
COMMIT_MARKER = "commit_success.txt"
"""Orbax's marker of a finished save; it records the absolute path it was written to."""


def save(path, model_name, config, variables):
    """Write ``variables`` of model ``model_name`` built with ``config`` to the new directory
    ``path``.

    Raises:
      JaxtrackError: ``path`` exists, or ``model_name``/``config`` do not build a model whose
        variables have the shapes of ``variables``.
    """
    path = paths.path(path)
    if path.exists():
        raise JaxtrackError(f"{path} exists; choose a new directory for the model")
    config = plain_dict(config or {}, "model config")  # a JSON-able copy, or a clear error
    metadata = {"format": FORMAT, "version": VERSION, "model": model_name, "config": config}
    _check_shapes(variables, abstract_variables(build_named(model_name, config)), model_name, config)
    path.mkdir(parents=True)
    with ocp.StandardCheckpointer() as checkpointer:
        checkpointer.save(path / "variables", variables)
    if not paths.is_url(path):  # portable (and restores) without the marker's absolute path; an
        (path / "variables" / COMMIT_MARKER).unlink(missing_ok=True)  # object store's needs it
    write_metadata(path, metadata)


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


def read_metadata(path):
    """The :data:`METADATA` dict of model directory ``path``, its format checked.

    Raises:
      JaxtrackError: not a jaxtrack model directory (of this format and version).
    """
    path = paths.path(path)
    try:
        metadata = json.loads((path / METADATA).read_text())
    except FileNotFoundError:
        raise JaxtrackError(f"{path} is not a jaxtrack model directory (no {METADATA})") from None
    except json.JSONDecodeError as error:
        raise JaxtrackError(f"{path / METADATA}: not valid JSON: {error}") from None
    if metadata.get("format") != FORMAT or metadata.get("version") != VERSION:
        raise JaxtrackError(f"{path / METADATA}: expected format {FORMAT!r} version {VERSION}, got "
                            f"{metadata.get('format')!r} version {metadata.get('version')!r}")
    return metadata


def write_metadata(path, metadata):
    """Write the :data:`METADATA` dict of model directory ``path``."""
    paths.write_text(paths.path(path) / METADATA, json.dumps(metadata, indent=2) + "\n")


def load(path):
    """Read a model directory written by :func:`save` -> ``(model, variables)``.

    Raises:
      JaxtrackError: not a jaxtrack model directory, unknown model, or variables that do not fit.
    """
    path = paths.path(path)
    metadata = read_metadata(path)
    name = metadata.get("model")
    model = build_named(name, metadata.get("config") or {})
    abstract = abstract_variables(model)
    try:
        with settled_reads(), ocp.StandardCheckpointer() as checkpointer:
            variables = checkpointer.restore(path / "variables", abstract)
    except (ValueError, KeyError, FileNotFoundError) as error:
        raise JaxtrackError(f"{path / 'variables'}: does not hold the variables of {name!r} "
                            f"with config {metadata.get('config')}: {brief(error)}") from None
    return model, variables


class _SettlingLoop(asyncio.SelectorEventLoop):
    """An event loop that, when closed, first lets its unfinished tasks end (at most a minute)."""

    def close(self):
        if not self.is_running() and not self.is_closed():
            unfinished = asyncio.all_tasks(self)
            if unfinished:
                done, _ = self.run_until_complete(asyncio.wait(unfinished, timeout=60))
                for task in done:  # their errors are the one already raised: retrieved, not logged
                    if not task.cancelled():
                        task.exception()
        super().close()


class _SettlingPolicy(asyncio.DefaultEventLoopPolicy):
    _loop_factory = _SettlingLoop


@contextlib.contextmanager
def settled_reads():
    """Orbax restores on a new event loop and closes it as soon as one array fails to read, while
    the reads of the other arrays are still in flight; their completions then hit the closed loop
    and print "RuntimeError: Event loop is closed" tracebacks after the one-line error. Inside
    this block a closed loop first lets its reads end."""
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(_SettlingPolicy())
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(previous)


def is_workdir(path):
    """Whether ``path`` is a training workdir (it has a ``checkpoints/`` folder)."""
    return (paths.path(path) / CHECKPOINTS).is_dir()


def read_checkpoint(workdir, step=None):
    """The inference variables and config of checkpoint ``step`` (default: the latest) of
    training ``workdir`` -> ``(variables, config)``.

    ``variables`` is ``{"params", "batch_stats"}`` (``batch_stats`` only if the model has some),
    without the optimiser state; arrays keep their saved shardings, or sit on the first local
    device if those devices are not here (e.g. a multi-process run's checkpoint). ``config`` is
    the resolved experiment config.

    Raises:
      JaxtrackError: not a training workdir, no such step (naming the complete ones), or an
        unreadable checkpoint.
    """
    variables, config, _ = _read_checkpoint(workdir, step)
    return variables, config


def load_checkpoint(workdir, step=None):
    """The model and inference variables of checkpoint ``step`` (default: the latest) of training
    ``workdir`` -> ``(model, variables)`` (see :func:`read_checkpoint`)."""
    variables, config = read_checkpoint(workdir, step)
    return build(_model_config(config, workdir)), variables


def export_checkpoint(workdir, out, step=None):
    """Write checkpoint ``step`` (default: the latest) of training ``workdir`` as the new model
    directory ``out`` (:func:`save`: the inference variables and the model config) ->
    ``(model name, step)``.

    Raises:
      JaxtrackError: as :func:`read_checkpoint` and :func:`save` (e.g. ``out`` exists).
    """
    out = paths.path(out)
    if out.exists():  # before reading a possibly large checkpoint
        raise JaxtrackError(f"{out} exists; choose a new directory for the model")
    variables, config, step = _read_checkpoint(workdir, step)
    model_config = _model_config(config, workdir)
    name = model_config.pop("name")
    save(out, name, model_config, variables)
    return name, step


def _read_checkpoint(workdir, step):
    """:func:`read_checkpoint` -> ``(variables, config, step read)``."""
    with _checkpoint_reader(workdir) as manager:
        step = existing_step(sorted(manager.all_steps()), step, manager.directory)
        fallback = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
        try:
            with settled_reads():
                restored = manager.restore(step, args=ocp.args.Composite(
                    state=ocp.args.StandardRestore(fallback_sharding=fallback),
                    config=ocp.args.JsonRestore()))
        except Exception as error:  # orbax raises many types for unreadable files
            raise JaxtrackError(f"checkpoint step {step} in {manager.directory} cannot be read "
                                f"({brief(error)})") from error
    state = restored.state
    variables = {"params": state["params"]}
    if state.get("batch_stats"):
        variables["batch_stats"] = state["batch_stats"]
    return variables, restored.config, step


def existing_step(steps, step, directory):
    """``step``, or the latest of the complete ``steps`` if None; an error naming the complete
    steps of checkpoint folder ``directory`` if it is not one of them."""
    step = steps[-1] if step is None and steps else step
    if step is None or step not in steps:
        raise JaxtrackError(f"no checkpoint {'' if step is None else f'for step {step} '}in "
                            f"{directory} (complete steps: {steps or 'none'})")
    return step


def _checkpoint_reader(workdir):
    """An orbax manager of ``workdir``'s checkpoints, used only to read (use with ``with``; orbax's
    ``read_only`` option would log two warnings per workdir read)."""
    if not is_workdir(workdir):
        raise JaxtrackError(f"{workdir} is not a training workdir (no {CHECKPOINTS}/ folder)")
    return ocp.CheckpointManager(
        paths.path(workdir) / CHECKPOINTS,
        options=ocp.CheckpointManagerOptions(create=False, enable_async_checkpointing=False),
        item_names=CHECKPOINT_ITEMS)


def _model_config(config, workdir):
    """A copy of the ``model`` entry of a checkpoint's experiment ``config``."""
    if "model" not in config:
        raise JaxtrackError(f"training workdir {workdir}: its checkpoint config has no 'model' entry")
    return plain_dict(config["model"], "model config")

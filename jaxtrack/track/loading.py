"""Resolve a ``--model`` argument: ``default``, a jaxtrack model directory, a training workdir, or
a peer tracker such as ``csrt``.

:data:`TRACKERS` holds the peers: trackers that need no model file, each registered as a
zero-argument factory of fresh :class:`jaxtrack.track.Tracker` objects (one per sequence).
:func:`tracker_factory` is the one way from a ``--model`` value to such a factory.
"""

from __future__ import annotations

import os
import pathlib

from jaxtrack.errors import JaxtrackError
from jaxtrack.registry import Registry
from jaxtrack.track.csrt import CsrtTracker
from jaxtrack.track.siamese import siamese_factory

TRACKERS = Registry("tracker")
TRACKERS.register("csrt")(CsrtTracker)
DEFAULT = "default"
DEFAULT_MODEL = pathlib.Path(__file__).resolve().parents[1] / "weights" / "cpu_default"
"""The shipped CPU-trained tracker (``--model default``), exported from
``jaxtrack train --config experiments/cpu_default.py`` with :func:`export_run`."""


def export_run(workdir, out):
    """Write the latest checkpoint of training ``workdir`` as a model directory ``out``
    (:func:`jaxtrack.models.save`: variables without the optimiser state, plus the model config)."""
    from jaxtrack import models

    if not (pathlib.Path(workdir) / "checkpoints").is_dir():
        raise JaxtrackError(f"{workdir} is not a training workdir (no checkpoints/ folder)")
    params, batch_stats, config = _restore_latest(workdir)
    model_config = dict(config["model"])
    name = model_config.pop("name")
    variables = {"params": params, **({"batch_stats": batch_stats} if batch_stats else {})}
    models.save(out, name, model_config, variables)
    # orbax's commit marker records the absolute path it was written to; the directory is
    # portable (and restores) without it
    (pathlib.Path(out) / "variables" / "commit_success.txt").unlink(missing_ok=True)


def _restore_latest(workdir):
    """``(params, batch_stats, config)`` of the latest checkpoint of training ``workdir``."""
    from jaxtrack.train.checkpoint import Checkpointer

    with Checkpointer(workdir) as checkpointer:
        return checkpointer.restore_params()


def load_model(spec):
    """``(model, variables)`` from ``default`` (the shipped CPU-trained tracker) or a path: a
    training workdir (it has ``checkpoints/``; the latest
    step, via :class:`jaxtrack.train.checkpoint.Checkpointer`) or a model directory written by
    :func:`jaxtrack.models.save` (including converted checkpoints).

    Raises:
      JaxtrackError: the path does not exist or holds neither.
    """
    from jaxtrack import models

    if spec == DEFAULT:
        if not (DEFAULT_MODEL / "jaxtrack_model.json").exists():
            raise JaxtrackError(f"the default model is not in this installation ({DEFAULT_MODEL}); rebuild it with "
                                "`jaxtrack train --config experiments/cpu_default.py --workdir runs/cpu_default` "
                                "and pass --model runs/cpu_default")
        return models.load(DEFAULT_MODEL)
    path = pathlib.Path(spec)
    if not path.exists():
        raise JaxtrackError(f"model {spec}: no such file or directory (expected a jaxtrack model "
                            f"directory, a training workdir, or one of {', '.join(TRACKERS.names())})")
    if (path / "checkpoints").is_dir():
        params, batch_stats, config = _restore_latest(path)
        if "model" not in config:
            raise JaxtrackError(f"training workdir {spec}: its checkpoint config has no 'model' entry")
        variables = {"params": params}
        if batch_stats:
            variables["batch_stats"] = batch_stats
        return models.build(config["model"]), variables
    return models.load(path)


def tracker_factory(spec, *, params=None, benchmark=None):
    """A zero-argument factory of fresh trackers for ``spec`` (a peer name in :data:`TRACKERS`
    or a path for :func:`load_model`); ``params`` names the hyperparameter set of a Siamese
    tracker (None: the default for ``benchmark``) and is an error for a peer."""
    if spec in TRACKERS:
        if params is not None:
            raise JaxtrackError(f"--params applies to Siamese trackers, not to {spec}")
        return TRACKERS.get(spec)
    model, variables = load_model(spec)
    return siamese_factory(model, variables, params=params, benchmark=benchmark)


def tracker_name(spec, params_name=None):
    """Results-folder name for a ``--model`` value: the peer name, or the model path's last part
    with ``-<params>`` appended."""
    base = spec if spec in TRACKERS else os.path.basename(os.path.normpath(str(spec)))
    return f"{base}-{params_name}" if params_name else base

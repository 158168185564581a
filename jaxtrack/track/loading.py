"""Resolve a ``--model`` argument: ``default``, a jaxtrack model directory, a training workdir, or
a peer tracker such as ``csrt``.

:data:`TRACKERS` holds the peers: trackers that need no model file, each registered as a
zero-argument factory of fresh :class:`jaxtrack.track.Tracker` objects (one per sequence).
:func:`tracker_factory` is the one way from a ``--model`` value to such a factory.

A model directory may store the hyperparameter set it tracks with (``"tracker": {"hyper": SET}``
in its JSON, :mod:`jaxtrack.models.model_files`): :func:`set_tracker` writes it, and
:func:`tracker_factory` uses it when no ``--hyper`` is given. Precedence: ``--hyper``, then the
stored set, then the benchmark's default set.
"""

from __future__ import annotations

import os
import pathlib

from jaxtrack import models, paths
from jaxtrack.errors import JaxtrackError
from jaxtrack.models.model_files import METADATA, TRACKER, read_metadata, write_metadata
from jaxtrack.registry import Registry
from jaxtrack.track import hyper as hyper_sets
from jaxtrack.track.csrt import CsrtTracker
from jaxtrack.track.siamese_tracker import siamese_factory

TRACKERS = Registry("tracker")
TRACKERS.register("csrt")(CsrtTracker)
DEFAULT = "default"
DEFAULT_MODEL = pathlib.Path(__file__).resolve().parents[1] / "weights" / "cpu_default"
"""The shipped CPU-trained tracker (``--model default``): the model directory that
``experiments/default_tracker.py`` chooses and exports, with its tracker settings and how it was
trained (:data:`jaxtrack.models.model_files.TRAINING`)."""


def load_model(model_ref):
    """``(model, variables)`` from ``default`` (the shipped CPU-trained tracker) or a path: a
    training workdir (it has ``checkpoints/``; its latest step, :func:`jaxtrack.models.load_checkpoint`)
    or a model directory (:func:`jaxtrack.models.load`, including converted checkpoints).

    Raises:
      JaxtrackError: the path does not exist or holds neither.
    """
    return _load(model_path(model_ref))


def _load(path):
    return models.load_checkpoint(path) if models.is_workdir(path) else models.load(path)


def model_path(model_ref):
    """The folder of ``default`` or of a path (see :func:`load_model`), checked to exist."""
    if model_ref == DEFAULT:
        if not (DEFAULT_MODEL / METADATA).exists():
            raise JaxtrackError(f"the default model is not in this installation ({DEFAULT_MODEL}); train it as "
                                "experiments/default_tracker.py says and pass its export as --model")
        return DEFAULT_MODEL
    path = paths.path(model_ref)  # local or a URL
    if not path.exists():
        raise JaxtrackError(f"model {model_ref}: no such file or directory (expected a jaxtrack model "
                            f"directory, a training workdir, or one of {', '.join(TRACKERS.names())})")
    if not path.is_dir():
        raise JaxtrackError(f"model {model_ref} is a file; expected a jaxtrack model directory, a training "
                            f"workdir, {DEFAULT} or one of {', '.join(TRACKERS.names())}")
    return path


def tracker_factory(model_ref, *, hyper=None, benchmark=None):
    """A zero-argument factory of fresh trackers for ``model_ref`` (a peer name in :data:`TRACKERS`
    or a path for :func:`load_model`); ``hyper`` names the hyperparameter set of a Siamese
    tracker and is an error for a peer. Without it a model directory's stored set applies
    (:func:`stored_hyper`), else the default set of ``benchmark``."""
    if model_ref in TRACKERS:
        if hyper is not None:
            raise JaxtrackError(f"--hyper applies to Siamese trackers, not to {model_ref}")
        return TRACKERS.get(model_ref)
    path = model_path(model_ref)
    if hyper is None and not models.is_workdir(path):
        hyper = stored_hyper(path)
    model, variables = _load(path)
    return siamese_factory(model, variables, hyper=hyper, benchmark=benchmark)


def _checked_hyper(hyper, metadata, where):
    """``hyper`` if it is a set of the family of the model ``metadata`` describes, else an error
    naming ``where``."""
    family = models.family_of(models.build_named(metadata.get("model"), metadata.get("config") or {})).name
    if not isinstance(hyper, str):
        raise JaxtrackError(f"{where}: the tracker's hyper must be a string such as 'otb,lost_score=0.3', "
                            f"not {hyper!r}")
    try:
        hyper_sets.select(family, hyper)
    except JaxtrackError as error:
        raise JaxtrackError(f"{where}: tracker hyper {hyper!r}: {error}") from None
    return hyper


def stored_hyper(path):
    """The hyperparameter set stored in model directory ``path`` (module docstring), or None.

    Raises:
      JaxtrackError: not a model directory, or a stored value that is not a set of the model's
        family (naming the file).
    """
    metadata, where = read_metadata(path), str(paths.path(path) / METADATA)
    tracker = metadata.get(TRACKER)
    if tracker is None:
        return None
    if not isinstance(tracker, dict) or set(tracker) != {"hyper"}:
        raise JaxtrackError(f"{where}: {TRACKER!r} must be an object with the one key 'hyper', not {tracker!r}")
    return _checked_hyper(tracker["hyper"], metadata, where)


def set_tracker(path, hyper):
    """Store ``hyper`` (a set of the model's family with overrides, as ``--hyper`` takes it; None:
    remove it) as the hyperparameter set model directory ``path`` tracks with by default.

    Raises:
      JaxtrackError: not a model directory, or ``hyper`` is not a set of the model's family.
    """
    metadata = read_metadata(path)
    if hyper is None:
        metadata.pop(TRACKER, None)
    else:
        metadata[TRACKER] = {"hyper": _checked_hyper(hyper, metadata, str(paths.path(path) / METADATA))}
    write_metadata(path, metadata)


def tracker_name(model_ref, hyper_name=None):
    """Results-folder name for a ``--model`` value: the peer name, or the model path's last part
    with ``-<hyper>`` appended."""
    base = model_ref if model_ref in TRACKERS else os.path.basename(os.path.normpath(str(model_ref)))
    return f"{base}-{hyper_name}" if hyper_name else base

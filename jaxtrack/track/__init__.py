"""Trackers and the benchmark runner.

:data:`TRACKERS` maps a name to a tracker constructor: ``csrt`` is itself a factory of fresh
:class:`Tracker` objects (one per sequence); ``siamrpn``, ``siamcar`` and ``siamla`` take a model
(a path for :func:`load_model`) and optional ``params``/``benchmark`` and return such a factory.
:func:`run_benchmark` drives any factory over a dataset and writes result files.
"""

import functools

from jaxtrack.registry import Registry
from jaxtrack.track.base import Tracker
from jaxtrack.track.csrt import CsrtTracker
from jaxtrack.track.loading import load_model, tracker_factory
from jaxtrack.track.runner import run_benchmark, run_reset_protocol, run_sequence


def _siamese(family, model, *, params=None, benchmark=None):
    from jaxtrack.track.siamese import siamese_factory

    return siamese_factory(*load_model(model), family=family, params=params, benchmark=benchmark)


TRACKERS = Registry("tracker")
TRACKERS.register("csrt")(CsrtTracker)
TRACKERS.register("siamrpn")(functools.partial(_siamese, "rpn"))
TRACKERS.register("siamcar")(functools.partial(_siamese, "car"))
TRACKERS.register("siamla")(functools.partial(_siamese, "la"))

__all__ = ["TRACKERS", "CsrtTracker", "Tracker", "load_model", "run_benchmark", "run_reset_protocol",
           "run_sequence", "tracker_factory"]

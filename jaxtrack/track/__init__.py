"""Trackers and the benchmark runner.

:data:`TRACKERS` maps a name to a factory returning a fresh :class:`Tracker` (one per sequence);
:func:`run_benchmark` drives any of them over a dataset and writes result files.
"""

from jaxtrack.registry import Registry
from jaxtrack.track.base import Tracker
from jaxtrack.track.csrt import CsrtTracker
from jaxtrack.track.runner import run_benchmark, run_reset_protocol, run_sequence

TRACKERS = Registry("tracker")
TRACKERS.register("csrt")(CsrtTracker)

__all__ = ["TRACKERS", "CsrtTracker", "Tracker", "run_benchmark", "run_reset_protocol", "run_sequence"]

"""Trackers: the Siamese tracker (:mod:`.siamese_tracker`), peers such as OpenCV's CSRT
(:mod:`.csrt`) and resolving a ``--model`` value to a factory of fresh trackers (:mod:`.loading`).

:data:`TRACKERS` maps a peer name to a zero-argument factory of fresh :class:`Tracker` objects
(one per sequence); :func:`tracker_factory` gives such a factory for any ``--model`` value (a peer
name, ``default`` or a model path for :func:`load_model`), using the hyperparameter set a model
directory stores (:func:`set_tracker`, :func:`stored_hyper`) when none is named.
"""

from jaxtrack.track.base import Tracker
from jaxtrack.track.csrt import CsrtTracker
from jaxtrack.track.loading import TRACKERS, load_model, set_tracker, stored_hyper, tracker_factory

__all__ = ["TRACKERS", "CsrtTracker", "Tracker", "load_model", "set_tracker", "stored_hyper", "tracker_factory"]

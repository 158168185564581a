"""The host-side tracker protocol the benchmark runner drives.

A tracker is created fresh for every sequence (by a factory), initialised on the first frame with
the ground-truth box and then updated frame by frame. Frames are uint8 (H, W, 3) BGR arrays
(:meth:`jaxtrack.data.Sequence.frame`); boxes are float xyxy (:mod:`jaxtrack.boxes`). JAX
trackers (pure jitted ``init``/``track``) plug in through a thin object holding their state.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Tracker(Protocol):
    def init(self, frame: np.ndarray, box_xyxy: np.ndarray) -> None:
        """Start tracking the target in ``box_xyxy`` (4,) on ``frame``."""

    def update(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        """Locate the target in the next frame -> ((4,) float xyxy box, confidence score)."""

"""OpenCV's CSRT correlation-filter tracker (opencv-contrib, no model files) as a peer baseline."""

from __future__ import annotations

import cv2
import numpy as np

from jaxtrack.track.identity import peer_record


class CsrtTracker:
    """:class:`jaxtrack.track.base.Tracker` around ``cv2.TrackerCSRT``.

    OpenCV takes and returns integer ``x, y, w, h`` rectangles: the initial box is rounded (sides
    at least 1 px). The score is 1.0 when OpenCV reports success, else 0.0 (the previous box is
    then kept; OpenCV's own answer then is an empty box, which scores IoU 0). CSRT is sensitive
    to that rounding: on VOT's bag, truncating instead of rounding moves its AUC from 0.33 to 0.41.
    """

    @staticmethod
    def record():
        """What produces CSRT's results: OpenCV's version."""
        return peer_record("csrt", "opencv", cv2.__version__)

    def __init__(self):
        self._tracker = None
        self._box = None

    def init(self, frame, box_xyxy):
        x1, y1, x2, y2 = (float(v) for v in box_xyxy)
        rect = (round(x1), round(y1), max(round(x2 - x1), 1), max(round(y2 - y1), 1))
        self._tracker = cv2.TrackerCSRT.create()
        self._tracker.init(frame, rect)
        self._box = np.array([x1, y1, x2, y2], np.float64)

    def update(self, frame):
        ok, (x, y, w, h) = self._tracker.update(frame)
        if ok:
            self._box = np.array([x, y, x + w, y + h], np.float64)
        return self._box.copy(), 1.0 if ok else 0.0

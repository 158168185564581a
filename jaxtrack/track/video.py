"""One video for ``jaxtrack track``: its frames (a video file or a folder of images), the initial
box given by the user, the tracking loop and an optional rendering of the boxes."""

from __future__ import annotations

import os
import re
import time

import cv2
import numpy as np

from jaxtrack.boxes import check_initial_box, xyxy_to_xywh
from jaxtrack.data.readers.common import IMAGE_EXTENSIONS, list_frames
from jaxtrack.errors import JaxtrackError

DEFAULT_FPS = 30.0  # frame rate given to renderings of image folders


class Frames:
    """The frames of ``path`` in order, as uint8 (H, W, 3) BGR arrays (iterate once or more).

    A directory supplies its image files (``.jpg``, ``.jpeg``, ``.png``, ``.bmp``) in frame
    order (numeric names numerically: ``2.jpg`` before ``10.jpg``); anything else is opened with
    ``cv2.VideoCapture``. ``fps`` is the video's frame rate (:data:`DEFAULT_FPS` for folders or
    when the file does not say); ``size`` the first frame's ``(width, height)``.

    Raises:
      JaxtrackError: the path is missing, an empty folder, not a readable video, or a frame
        cannot be decoded (naming the file).
    """

    def __init__(self, path):
        self.path = str(path)
        self.files = None
        self.fps = DEFAULT_FPS
        if os.path.isdir(self.path):
            self.files = list_frames(self.path)
            if not self.files:
                raise JaxtrackError(f"{self.path}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in this folder")
            self.size = next(iter(self)).shape[1::-1]
        elif not os.path.isfile(self.path):
            raise JaxtrackError(f"video {self.path}: no such file or directory")
        else:
            capture = self._capture()
            fps = capture.get(cv2.CAP_PROP_FPS)
            ok, first = capture.read()
            capture.release()
            if not ok:
                raise JaxtrackError(f"{self.path}: no decodable frame (not a video OpenCV can read)")
            self.size = first.shape[1::-1]
            self.fps = fps if fps and np.isfinite(fps) and fps > 0 else DEFAULT_FPS

    def _capture(self):
        capture = cv2.VideoCapture(self.path)
        if not capture.isOpened():
            raise JaxtrackError(f"{self.path}: cannot open as a video")
        return capture

    def __iter__(self):
        if self.files is not None:
            for path in self.files:
                frame = cv2.imread(path, cv2.IMREAD_COLOR)
                if frame is None:
                    raise JaxtrackError(f"{path}: cannot decode this image")
                yield frame
            return
        capture = self._capture()
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield frame
        finally:
            capture.release()


def parse_box(text):
    """``"x,y,w,h"`` (top-left corner and size, pixels; commas and/or spaces) -> float64 (4,)
    ``x, y, w, h`` as given (:func:`jaxtrack.boxes.check_initial_box` checks it against the frame).

    Raises:
      JaxtrackError: not four numbers.
    """
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4:
        raise JaxtrackError(f"--init {text!r}: expected four numbers x,y,w,h (top-left corner, width, height)")
    return np.array(values, np.float64)


class Renderer:
    """Writes frames with the tracked box drawn on them to an mp4 file (``mp4v``)."""

    def __init__(self, path, fps):
        self.path, self.fps, self._writer = str(path), fps, None

    def write(self, frame, box, index, score=None):
        if self._writer is None:
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            height, width = frame.shape[:2]
            self._writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (width, height))
            if not self._writer.isOpened():
                raise JaxtrackError(f"{self.path}: cannot write an mp4v video here")
        canvas = frame.copy()
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), (0, 255, 255), 2)
        label = f"{index}" if score is None else f"{index}  {score:.2f}"
        cv2.putText(canvas, label, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 255, 255), 2)
        self._writer.write(canvas)

    def close(self):
        if self._writer is not None:
            self._writer.release()


def track_video(tracker, frames, box, renderer=None):
    """Track ``box`` (xyxy, first frame) through ``frames`` with a fresh ``tracker``.

    Returns:
      float64 (T, 4) xyxy boxes (frame 0: ``box``), (T,) scores (frame 0: 1) and (T,) seconds
      spent in ``init``/``update``.
    """
    boxes, scores, seconds = [], [], []
    for index, frame in enumerate(frames):
        start = time.perf_counter()
        if index == 0:
            check_initial_box(xyxy_to_xywh(np.asarray(box, np.float64)), frame.shape[1::-1], "track_video")
            tracker.init(frame, box)
            result, score = np.asarray(box, np.float64), 1.0
        else:
            result, score = tracker.update(frame)
        seconds.append(time.perf_counter() - start)
        boxes.append(result)
        scores.append(score)
        if renderer is not None:
            renderer.write(frame, result, index, None if index == 0 else score)
    return np.array(boxes).reshape(-1, 4), np.array(scores), np.array(seconds)

"""One interface for every benchmark video: :class:`Sequence` and :class:`Dataset`.

Readers (``jaxtrack.data.readers``) turn each on-disk format into these; training, tracking and
evaluation use nothing else. Boxes follow :mod:`jaxtrack.boxes` (xyxy, pixels of the frame,
annotation numbers used as they are), held as float64 NumPy arrays at this edge so that metrics
match the toolkits exactly.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import cv2
import numpy as np

from jaxtrack import paths
from jaxtrack.errors import JaxtrackError


@dataclasses.dataclass(frozen=True)
class Sequence:
    """A video with one annotated target.

    Attributes:
      name: sequence name (unique within its dataset).
      frames: paths of the frame images, in order (decoded lazily by :meth:`frame`).
      boxes: float64 (T, 4) xyxy ground truth; a row of NaN where the annotation is missing or
        invalid (the reader reports those).
      absent: bool (T,): the target is not visible (absence, full occlusion, out of view), from the
        dataset's flags; all False where the dataset has none.
      attributes: dataset-specific metadata (e.g. OTB attributes, LaSOT class, language).
    """

    name: str
    frames: tuple[str, ...]
    boxes: np.ndarray
    absent: np.ndarray
    attributes: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if len(self.frames) != len(self.boxes) or len(self.boxes) != len(self.absent):
            raise JaxtrackError(
                f"sequence {self.name!r}: {len(self.frames)} frames, {len(self.boxes)} boxes and "
                f"{len(self.absent)} visibility flags; they must match")

    def __len__(self):
        return len(self.frames)

    def frame(self, index):
        """Frame ``index`` as a uint8 (H, W, 3) BGR array (OpenCV's order, as pysot uses); the
        path may be a URL (:mod:`jaxtrack.paths`).

        Raises:
          JaxtrackError: the file is missing or cannot be decoded (the message names it).
        """
        path = self.frames[index]
        image = _decode(path) if paths.is_url(path) else cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise JaxtrackError(f"sequence {self.name!r}: cannot read frame {index} from {path} "
                                "(missing or not a decodable image)")
        return image

    @property
    def valid(self):
        """bool (T,): the box is annotated (finite, positive size) and the target is visible."""
        finite = np.all(np.isfinite(self.boxes), axis=1)
        with np.errstate(invalid="ignore"):
            positive = (self.boxes[:, 2] > self.boxes[:, 0]) & (self.boxes[:, 3] > self.boxes[:, 1])
        return finite & positive & ~self.absent


def _decode(location):
    """The image at URL ``location`` -> uint8 (H, W, 3) BGR, or None if missing or undecodable."""
    try:
        data = np.frombuffer(paths.path(location).read_bytes(), np.uint8)
    except FileNotFoundError:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


class Dataset:
    """An ordered collection of :class:`Sequence`, indexable by position or name."""

    def __init__(self, name, sequences):
        self.name = name
        self.sequences = list(sequences)
        self._by_name = {seq.name: seq for seq in self.sequences}
        if len(self._by_name) != len(self.sequences):
            raise JaxtrackError(f"dataset {name!r}: sequence names are not unique")

    def __len__(self):
        return len(self.sequences)

    def __iter__(self):
        return iter(self.sequences)

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return self._by_name[key]
            except KeyError:
                raise JaxtrackError(f"dataset {self.name!r} has no sequence {key!r}") from None
        return self.sequences[key]

    def names(self):
        return [seq.name for seq in self.sequences]

    def subset(self, names):
        """The dataset restricted to ``names``, in that order."""
        return Dataset(self.name, [self[name] for name in names])

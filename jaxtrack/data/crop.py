"""SiamFC/pysot crops: a square window around the target, resampled to a fixed size.

Geometry (pysot, SiamFC): with the target ``w x h`` and context amount ``c`` (0.5),
``p = c * (w + h)`` and the template window side is ``s_z = sqrt((w + p) * (h + p))``, resampled
to ``exemplar_size`` (127) pixels; the search window has side ``s_z * search_size / exemplar_size``
(255/127) and the same centre, so the target appears at the same scale in both crops. Pixels
outside the frame take the frame's mean colour (pysot's ``avg_chans``).

Coordinates follow :mod:`jaxtrack.boxes`: continuous, pixel ``i`` covers ``[i, i + 1)``. A crop is
one affine map per axis, ``u = (x - x0) * sx``, applied exactly with ``cv2.warpAffine``
(bilinear), so a box maps to the pixels it covers in the crop. pysot differs by under one crop
pixel: ``get_subwindow`` (tracking) rounds the window to whole frame pixels and resizes it, and
``crop_like_SiamFC``/``_crop_roi`` (training) map the window's ends to the first and last pixel
centres (scale ``(out - 1) / side``).
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np


@dataclasses.dataclass(frozen=True)
class CropTransform:
    """Frame -> crop map ``u = (x - x0) * sx``, ``v = (y - y0) * sy`` (pixels, xyxy boxes)."""

    x0: float
    y0: float
    sx: float
    sy: float

    def to_crop(self, boxes):
        """(..., 4) xyxy in frame pixels -> float64 (..., 4) xyxy in crop pixels."""
        boxes = np.asarray(boxes, np.float64)
        return (boxes - [self.x0, self.y0, self.x0, self.y0]) * [self.sx, self.sy, self.sx, self.sy]

    def to_frame(self, boxes):
        """(..., 4) xyxy in crop pixels -> float64 (..., 4) xyxy in frame pixels."""
        boxes = np.asarray(boxes, np.float64)
        return boxes / [self.sx, self.sy, self.sx, self.sy] + [self.x0, self.y0, self.x0, self.y0]

    @property
    def matrix(self):
        """float64 (2, 3) frame-index -> crop-index matrix for ``cv2.warpAffine``.

        OpenCV puts pixel centres at integers, these coordinates at ``i + 0.5``; hence the
        half-pixel terms.
        """
        return np.array([[self.sx, 0.0, self.sx * (0.5 - self.x0) - 0.5],
                         [0.0, self.sy, self.sy * (0.5 - self.y0) - 0.5]])


def context_size(width, height, context=0.5):
    """Template window side ``sqrt((w + p) (h + p))``, ``p = context * (w + h)``, in pixels."""
    pad = context * (width + height)
    return np.sqrt((width + pad) * (height + pad))


def mean_colour(image):
    """Per-channel mean of a (H, W, C) image -> tuple of C floats (the crop padding)."""
    return tuple(cv2.mean(image)[: image.shape[2]])


def crop_region(image, region, out_size, padding=None):
    """Resample the window ``region`` (xyxy, frame pixels) of ``image`` to ``out_size`` pixels.

    Args:
      image: (H, W, C) uint8 frame.
      region: the window, xyxy; need not be square nor inside the frame.
      out_size: side of the square output, pixels.
      padding: colour outside the frame; None: the frame's mean colour.

    Returns:
      crop (out_size, out_size, C) of ``image``'s dtype, and the :class:`CropTransform`.
    """
    x1, y1, x2, y2 = (float(v) for v in region)
    transform = CropTransform(x1, y1, out_size / (x2 - x1), out_size / (y2 - y1))
    if padding is None:
        padding = mean_colour(image)
    crop = cv2.warpAffine(image, transform.matrix, (out_size, out_size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=padding)
    return crop, transform

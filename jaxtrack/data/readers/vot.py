"""VOT (short-term, 2013-2019 style) reader and polygon -> box conversion.

Layout: ``<root>/list.txt`` (optional; otherwise every folder with a ``groundtruth.txt``) and per
sequence the frames beside ``groundtruth.txt`` or in ``<seq>/color/``. Ground-truth rows are
``x, y, w, h`` rectangles or ``x1, y1, .., x4, y4`` rotated polygons (comma-separated).

The polygons are kept as ``attributes["polygons"]`` (float64 (T, 8), the VOT measures use them);
``Sequence.boxes`` holds an axis-aligned box per frame, chosen by ``box``:

* ``"minmax"`` (default): the polygon's bounding box (min/max of the corners), the VOT toolkit's
  polygon -> rectangle conversion.
* ``"area"``: pysot's ``get_axis_aligned_bbox``: centred on the corners' mean, the bounding box
  scaled by ``s = sqrt(A_poly / A_bbox)`` (``A_poly`` from two edge lengths) with 1 added to each
  side, top-left ``cx - (w - 1) / 2``. (got10k's ``_corner2rect`` is the same box shifted by half a
  pixel: top-left ``cx - w / 2``.)

4-value rows are used as they are in both modes.
"""

from __future__ import annotations

import os

import numpy as np

from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset
from jaxtrack.errors import JaxtrackError

BOX_MODES = ("minmax", "area")
LAYOUT = "<root>/<seq>/groundtruth.txt with frames beside it or in <root>/<seq>/color/"


def rect_polygons(rows):
    """(N, 4) ``x, y, w, h`` -> (N, 8) corners clockwise from the top-left."""
    x, y, w, h = np.asarray(rows, np.float64).T
    return np.stack([x, y, x + w, y, x + w, y + h, x, y + h], axis=1)


def polygon_to_xywh(polygons, mode="minmax"):
    """(N, 8) polygons -> (N, 4) ``x, y, w, h`` by ``mode`` (see the module docstring)."""
    if mode not in BOX_MODES:
        raise JaxtrackError(f"VOT box conversion must be one of {', '.join(BOX_MODES)}, not {mode!r}")
    p = np.asarray(polygons, np.float64)
    xs, ys = p[:, 0::2], p[:, 1::2]
    x1, x2, y1, y2 = xs.min(1), xs.max(1), ys.min(1), ys.max(1)
    if mode == "minmax":
        return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    edge1 = np.linalg.norm(p[:, 0:2] - p[:, 2:4], axis=1)
    edge2 = np.linalg.norm(p[:, 2:4] - p[:, 4:6], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sqrt(edge1 * edge2 / ((x2 - x1) * (y2 - y1)))
    w, h = scale * (x2 - x1) + 1, scale * (y2 - y1) + 1
    return np.stack([xs.mean(1) - (w - 1) / 2, ys.mean(1) - (h - 1) / 2, w, h], axis=1)


def open_vot(root, *, box="minmax", sequences=None, bad_rows="error"):
    """Open a VOT root as a :class:`Dataset` named ``"vot"``.

    Args:
      box: polygon -> box conversion, ``"minmax"`` or ``"area"`` (module docstring).
      sequences: names to keep (default: ``list.txt`` or every sequence folder), in that order.
      bad_rows: ``"error"`` or ``"nan"``, see :func:`common.parse_rows`.
    """
    if box not in BOX_MODES:
        raise JaxtrackError(f"VOT box conversion must be one of {', '.join(BOX_MODES)}, not {box!r}")
    list_path = os.path.join(root, "list.txt")
    if os.path.isfile(list_path):
        found = common.read_text(list_path, "VOT sequence list").split()
    else:
        found = sorted(n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n, "groundtruth.txt")))
    if not found:
        raise JaxtrackError(f"no VOT sequences in {root}; expected {LAYOUT}")
    names = common.select(found, sequences, f"VOT root {root}")
    return Dataset("vot", [_sequence(os.path.join(root, n), n, box, bad_rows) for n in names])


def _sequence(folder, name, box, bad_rows):
    anno_path = os.path.join(folder, "groundtruth.txt")
    rows = common.read_rows(anno_path, (4, 8), bad_rows=bad_rows)
    color = os.path.join(folder, "color")
    frames = common.list_frames(color if os.path.isdir(color) else folder, "VOT frame folder")
    if rows.shape[1] == 4:
        polygons, xywh = rect_polygons(rows), rows
    else:
        polygons, xywh = rows, polygon_to_xywh(rows, box)
    return common.make_sequence(name, frames, xywh, anno_path,
                                attributes={"polygons": polygons, "box_conversion": box})

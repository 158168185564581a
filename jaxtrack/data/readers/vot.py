"""VOT (short-term, 2013-2019 style) reader.

Layout: ``<root>/list.txt`` (optional; otherwise every folder with a ``groundtruth.txt``) and per
sequence the frames beside ``groundtruth.txt`` or in ``<seq>/color/``. Ground-truth rows are
``x, y, w, h`` rectangles or ``x1, y1, .., x4, y4`` rotated polygons (comma-separated).

The polygons are kept as ``attributes["polygons"]`` (float64 (T, 8), the VOT measures use them);
``Sequence.boxes`` holds an axis-aligned box per frame, converted by ``box``: ``"minmax"``
(default, the VOT toolkit's bounding box) or ``"area"`` (pysot's), see
:func:`jaxtrack.polygons.polygon_to_xywh`. 4-value rows are used as they are in both modes.
"""

from __future__ import annotations

import os

from jaxtrack import paths
from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset
from jaxtrack.errors import JaxtrackError
from jaxtrack.polygons import BOX_MODES, polygon_to_xywh, rect_polygons

LAYOUT = "<root>/<seq>/groundtruth.txt with frames beside it or in <root>/<seq>/color/"


def open_vot(root, *, box="minmax", sequences=None, bad_rows="error"):
    """Open a VOT root as a :class:`Dataset` named ``"vot"``.

    Args:
      box: polygon -> box conversion, ``"minmax"`` or ``"area"`` (:func:`polygon_to_xywh`).
      sequences: names to keep (default: ``list.txt`` or every sequence folder), in that order.
      bad_rows: ``"error"`` or ``"nan"``, see :func:`common.parse_rows`.
    """
    if box not in BOX_MODES:
        raise JaxtrackError(f"VOT box conversion must be one of {', '.join(BOX_MODES)}, not {box!r}")
    list_path = os.path.join(root, "list.txt")
    if paths.is_file(list_path):
        found = common.read_names(list_path, "VOT sequence list")
    else:
        found = sorted(n for n in paths.listdir(root) if paths.is_file(os.path.join(root, n, "groundtruth.txt")))
    if not found:
        raise JaxtrackError(f"no VOT sequences in {root}; expected {LAYOUT}")
    names = common.select(found, sequences, f"VOT root {root}")
    return Dataset("vot", [_sequence(os.path.join(root, n), n, box, bad_rows) for n in names])


def _sequence(folder, name, box, bad_rows):
    anno_path = os.path.join(folder, "groundtruth.txt")
    rows = common.read_rows(anno_path, (4, 8), bad_rows=bad_rows)
    color = os.path.join(folder, "color")
    frames = common.list_frames(color if paths.is_dir(color) else folder, "VOT frame folder")
    if rows.shape[1] == 4:
        polygons, xywh = rect_polygons(rows), rows
    else:
        polygons, xywh = rows, polygon_to_xywh(rows, box)
    return common.make_sequence(name, frames, xywh, anno_path,
                                attributes={"polygons": polygons, "box_conversion": box})

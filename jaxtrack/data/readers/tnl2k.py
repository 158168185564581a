"""TNL2K (tracking by natural language) reader.

Layout (the test and train subsets alike): ``<root>/<seq>/imgs/00001.png..`` (``.jpg`` in some
sequences, sorted by frame number), ``<root>/<seq>/groundtruth.txt`` (comma-separated
``x, y, w, h``) and ``<root>/<seq>/language.txt`` (the target's description, first line). TNL2K
has no absence flags: frames without the target carry a zero-size row (``0,0,0,0``), which
becomes NaN here (counted in ``attributes["invalid_boxes"]``) and is scored as the benchmark's
toolkit (LaSOT's MATLAB toolkit, pysot's convention) scores invalid ground truth.
"""

from __future__ import annotations

import os

from jaxtrack import paths
from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset
from jaxtrack.errors import JaxtrackError

LAYOUT = "<root>/<seq>/imgs/00001.png and <root>/<seq>/groundtruth.txt"


def open_tnl2k(root, *, sequences=None, bad_rows="error"):
    """Open a TNL2K subset folder as a :class:`Dataset` named ``"tnl2k"``.

    Args:
      sequences: names to keep (default: every folder with a ``groundtruth.txt``), in that order.
      bad_rows: ``"error"`` or ``"nan"``, see :func:`common.parse_rows`.
    """
    found = sorted(n for n in paths.listdir(root) if paths.is_file(os.path.join(root, n, "groundtruth.txt")))
    if not found:
        raise JaxtrackError(f"no TNL2K sequences in {root}; expected {LAYOUT}")
    names = common.select(found, sequences, f"TNL2K root {root}")
    return Dataset("tnl2k", [_sequence(os.path.join(root, n), n, bad_rows) for n in names])


def _sequence(folder, name, bad_rows):
    anno_path = os.path.join(folder, "groundtruth.txt")
    rows = common.read_rows(anno_path, (4,), bad_rows=bad_rows)
    frames = common.list_frames(os.path.join(folder, "imgs"), "TNL2K frame folder")
    attributes = {}
    language_path = os.path.join(folder, "language.txt")
    if paths.is_file(language_path):
        lines = common.read_text(language_path, "TNL2K description").strip().splitlines()
        attributes["language"] = lines[0].strip() if lines else ""
    return common.make_sequence(name, frames, rows, anno_path, attributes=attributes)

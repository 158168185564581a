"""LaSOT reader.

Layout: ``<root>/<class>/<class>-<n>/img/00000001.jpg..``, ``groundtruth.txt`` (comma-separated
``x, y, w, h``), ``full_occlusion.txt`` and ``out_of_view.txt`` (one comma-separated line of 0/1
per frame) and ``nlp.txt`` (a one-line description). The split files ``testing_set.txt`` /
``training_set.txt`` (one sequence name per line) sit in ``<root>``.

A frame is absent when it is fully occluded or out of view.
"""

from __future__ import annotations

import os

from jaxtrack import paths
from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset
from jaxtrack.errors import JaxtrackError

LAYOUT = "<root>/<class>/<class>-<n>/img/00000001.jpg and <root>/<class>/<class>-<n>/groundtruth.txt"
SPLIT_FILES = {"test": "testing_set.txt", "train": "training_set.txt"}


def open_lasot(root, *, split=None, sequences=None, bad_rows="error"):
    """Open a LaSOT root as a :class:`Dataset` named ``"lasot"``.

    Args:
      split: ``None`` (every sequence found), ``"test"`` or ``"train"`` (names from
        ``<root>/testing_set.txt`` or ``training_set.txt``).
      sequences: names to keep, in that order (applied after ``split``).
      bad_rows: ``"error"`` or ``"nan"``, see :func:`common.parse_rows`.
    """
    found = sorted(
        seq for cls in paths.listdir(root) if paths.is_dir(os.path.join(root, cls))
        for seq in paths.listdir(os.path.join(root, cls))
        if paths.is_file(os.path.join(root, cls, seq, "groundtruth.txt")))
    if not found:
        raise JaxtrackError(f"no LaSOT sequences in {root}; expected {LAYOUT}")
    if split is not None:
        if split not in SPLIT_FILES:
            raise JaxtrackError(f"LaSOT split must be one of {', '.join(SPLIT_FILES)}, not {split!r}")
        split_path = os.path.join(root, SPLIT_FILES[split])
        found = common.select(found, common.read_names(split_path, "LaSOT split list"),
                              f"LaSOT root {root} (split list {split_path})")
    names = common.select(found, sequences, f"LaSOT root {root}")
    return Dataset("lasot", [_sequence(root, name, bad_rows) for name in names])


def _sequence(root, name, bad_rows):
    cls = name.rsplit("-", 1)[0]
    folder = os.path.join(root, cls, name)
    anno_path = os.path.join(folder, "groundtruth.txt")
    rows = common.read_rows(anno_path, (4,), bad_rows=bad_rows)
    frames = common.list_frames(os.path.join(folder, "img"), "LaSOT frame folder")
    occluded = common.read_flags(os.path.join(folder, "full_occlusion.txt"), len(rows), "full-occlusion flags")
    out_of_view = common.read_flags(os.path.join(folder, "out_of_view.txt"), len(rows), "out-of-view flags")
    attributes = {"class": cls}
    nlp_path = os.path.join(folder, "nlp.txt")
    if paths.is_file(nlp_path):
        attributes["language"] = common.read_text(nlp_path, "LaSOT description").strip()
    return common.make_sequence(name, frames, rows, anno_path, absent=(occluded > 0) | (out_of_view > 0),
                                attributes=attributes)

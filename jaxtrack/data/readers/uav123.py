"""UAV123 / UAV20L reader.

Layout: ``<root>/data_seq/UAV123/<folder>/000001.jpg..`` and ``<root>/anno/<version>/<seq>.txt``
(comma-separated ``x, y, w, h``; ``NaN,NaN,NaN,NaN`` where the target is not annotated).

Long UAV123 videos are cut into sub-sequences ``<folder>_<k>`` that share one frame folder; the
annotation file holds the sub-sequence's boxes and :data:`SUBSEQUENCE_STARTS` its first frame
(from the benchmark's ``configSeqs``; ``<folder>_1`` starts at frame 1).
"""

from __future__ import annotations

import os

from jaxtrack import paths
from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset
from jaxtrack.errors import JaxtrackError

SUBSEQUENCE_STARTS = {
    "bird1_2": 775, "bird1_3": 1573, "car1_2": 751, "car1_3": 1627, "car6_2": 487, "car6_3": 1807,
    "car6_4": 2953, "car6_5": 3925, "car8_2": 1357, "car16_2": 415, "group1_2": 1333,
    "group1_3": 2515, "group1_4": 3925, "group2_2": 907, "group2_3": 1771, "group3_2": 1567,
    "group3_3": 2827, "group3_4": 4369, "person2_2": 1189, "person4_2": 1501, "person5_2": 877,
    "person7_2": 1249, "person8_2": 1075, "person12_2": 601, "person14_2": 847,
    "person14_3": 1813, "person17_2": 1501, "person19_2": 1243, "person19_3": 2791,
    "truck4_2": 577, "uav1_2": 1555, "uav1_3": 2473,
}
VERSIONS = ("UAV123", "UAV20L")


def open_uav123(root, *, version="UAV123", sequences=None, bad_rows="error"):
    """Open a UAV123 root as a :class:`Dataset` named after ``version`` in lower case.

    Args:
      version: ``"UAV123"`` or ``"UAV20L"`` (annotation folder ``anno/<version>``).
      sequences: names to keep (default: every annotation file), in that order.
      bad_rows: ``"error"`` or ``"nan"``, see :func:`common.parse_rows`.
    """
    if version not in VERSIONS:
        raise JaxtrackError(f"UAV123 version must be one of {', '.join(VERSIONS)}, not {version!r}")
    layout = f"<root>/anno/{version}/<seq>.txt and <root>/data_seq/UAV123/<seq>/000001.jpg"
    anno_dir = os.path.join(root, "anno", version)
    frames_dir = os.path.join(root, "data_seq", "UAV123")
    common.require_dir(anno_dir, layout)
    common.require_dir(frames_dir, layout)
    found = sorted(n[:-4] for n in paths.listdir(anno_dir) if n.endswith(".txt"))
    if not found:
        raise JaxtrackError(f"no annotation files in {anno_dir}; expected {layout}")
    names = common.select(found, sequences, f"UAV123 root {root}")
    return Dataset(version.lower(), [_sequence(frames_dir, anno_dir, n, bad_rows) for n in names])


def _sequence(frames_dir, anno_dir, name, bad_rows):
    anno_path = os.path.join(anno_dir, name + ".txt")
    rows = common.read_rows(anno_path, (4,), bad_rows=bad_rows)
    folder, start = _folder_and_start(frames_dir, name)
    frames = [os.path.join(frames_dir, folder, f"{i:06d}.jpg") for i in range(start, start + len(rows))]
    common.check_frames_exist(frames)
    return common.make_sequence(name, frames, rows, anno_path, attributes={"first_frame": start})


def _folder_and_start(frames_dir, name):
    """The frame folder of ``name`` and its first frame number."""
    if paths.is_dir(os.path.join(frames_dir, name)):
        return name, 1
    folder, _, part = name.rpartition("_")
    if folder and part.isdigit() and paths.is_dir(os.path.join(frames_dir, folder)):
        if part == "1":
            return folder, 1
        if name in SUBSEQUENCE_STARTS:
            return folder, SUBSEQUENCE_STARTS[name]
        raise JaxtrackError(f"UAV123 sub-sequence {name!r} has no known first frame")
    raise JaxtrackError(f"missing frame folder {os.path.join(frames_dir, name)}")

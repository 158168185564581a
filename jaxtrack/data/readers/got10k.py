"""GOT-10k reader.

Layout: ``<root>/<split>/list.txt`` (one sequence name per line) and per sequence
``<root>/<split>/<seq>/00000001.jpg..``, ``groundtruth.txt`` (comma-separated ``x, y, w, h``),
``absence.label`` (1 = target absent), ``cover.label`` (visible fraction in eighths, 0 = fully
occluded), ``cut_by_image.label`` and ``meta_info.ini`` (``key: value`` lines, e.g.
``resolution: (1280, 720)``). The test split gives only the first box: later frames get NaN rows
and ``attributes["first_box_only"]`` is True.

A frame is absent when ``absence.label`` is 1 or ``cover.label`` is 0 (got10k scores frames
with ``cover > 0``).
"""

from __future__ import annotations

import ast
import os

import numpy as np

from jaxtrack import paths
from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset
from jaxtrack.errors import JaxtrackError

SPLITS = ("train", "val", "test")


def open_got10k(root, *, split="val", sequences=None, bad_rows="error"):
    """Open one split of a GOT-10k root as a :class:`Dataset` named ``"got10k"``.

    Args:
      split: ``"train"``, ``"val"`` or ``"test"``.
      sequences: names to keep (default: ``list.txt``), in that order.
      bad_rows: ``"error"`` or ``"nan"``, see :func:`common.parse_rows`.
    """
    if split not in SPLITS:
        raise JaxtrackError(f"GOT-10k split must be one of {', '.join(SPLITS)}, not {split!r}")
    split_dir = os.path.join(root, split)
    list_path = os.path.join(split_dir, "list.txt")
    if not paths.is_file(list_path):
        raise JaxtrackError(f"missing {list_path}; expected the GOT-10k layout "
                            "<root>/<split>/list.txt and <root>/<split>/<seq>/groundtruth.txt")
    found = common.read_names(list_path, "GOT-10k sequence list")
    names = common.select(found, sequences, f"GOT-10k {split} split {split_dir}")
    return Dataset("got10k", [_sequence(os.path.join(split_dir, name), name, split, bad_rows)
                              for name in names])


def _sequence(folder, name, split, bad_rows):
    common.require_dir(folder, "a GOT-10k sequence folder listed in list.txt")
    anno_path = os.path.join(folder, "groundtruth.txt")
    rows = common.read_rows(anno_path, (4,), bad_rows=bad_rows)
    frames = common.list_frames(folder, "GOT-10k sequence folder")
    first_box_only = split == "test" and len(rows) == 1
    attributes = {"split": split}
    absent = np.zeros(len(frames), bool)
    if not first_box_only:
        for label, what in (("absence", "absence flags"), ("cover", "cover levels"),
                            ("cut_by_image", "cut-by-image flags")):
            path = os.path.join(folder, f"{label}.label")
            if paths.is_file(path):
                attributes[label] = common.read_flags(path, len(rows), what)
        if "absence" in attributes:
            absent |= attributes["absence"] > 0
        if "cover" in attributes:
            absent |= attributes["cover"] == 0
    meta_path = os.path.join(folder, "meta_info.ini")
    if paths.is_file(meta_path):
        attributes["meta"] = _meta(meta_path)
        if "resolution" in attributes["meta"]:
            attributes["image_size"] = _resolution(meta_path, attributes["meta"]["resolution"])
    return common.make_sequence(name, frames, rows, anno_path, absent=absent, attributes=attributes,
                                first_box_only=first_box_only)


def _meta(path):
    """``key: value`` lines of ``meta_info.ini`` -> dict of strings (the ``[METAINFO]`` header skipped)."""
    meta = {}
    for line in common.read_text(path, "GOT-10k meta information").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip()] = value.strip()
    return meta


def _resolution(path, text):
    try:
        width, height = ast.literal_eval(text)
        return int(width), int(height)
    except (ValueError, SyntaxError, TypeError):
        raise JaxtrackError(f"{path}: resolution {text!r} is not '(width, height)'") from None

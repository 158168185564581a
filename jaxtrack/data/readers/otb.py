"""OTB-2013/2015 (OTB50/OTB100) reader.

Layout: ``<root>/<seq>/img/0001.jpg..`` and ``<root>/<seq>/groundtruth_rect.txt`` (``x, y, w, h``
separated by TABs, commas or spaces), optional ``attrs.txt`` (``SV, OCC, ...``).

Special cases of the OTB toolkit (as handled by got10k, pysot and pytracking):
  * several targets: ``groundtruth_rect.1.txt``, ``groundtruth_rect.2.txt`` (Jogging, Skating2)
    give sequences ``Jogging.1`` and ``Jogging.2`` (got10k's names; pysot's ``Jogging-1`` and
    pytracking's ``Jogging_1`` are kept as ``attributes["aliases"]``). Empty annotation files
    (Human4's ``groundtruth_rect.1.txt``) are skipped with a warning.
  * frame ranges: some sequences are annotated on part of their frames only (David 300-770,
    BlurCar1 247-988, ...); frames are selected by the number in their file name.
  * Tiger1: pysot and pytracking drop its first 5 frames and boxes (``init_omit``); got10k keeps
    them (``init_omit=False``).

A sequence cut from its files this way has ``attributes["file_frames"] = (offset, total)``: it is
files ``offset ..`` of ``total``, so that result files with one row per file frame can be aligned.
"""

from __future__ import annotations

import os
import re

from jaxtrack import paths
from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset
from jaxtrack.errors import JaxtrackError

# first and last frame number (as in the file names) of the annotated range
FRAME_RANGES = {
    "David": (300, 770), "BlurCar1": (247, 988), "BlurCar3": (3, 359), "BlurCar4": (18, 397),
    "Football1": (1, 74), "Freeman3": (1, 460), "Freeman4": (1, 283), "Diving": (1, 215),
}
INIT_OMIT = {"Tiger1": 5}
LAYOUT = "<root>/<sequence>/img/0001.jpg and <root>/<sequence>/groundtruth_rect.txt"
_TARGET = re.compile(r"groundtruth[^.]*\.(\d+)\.txt$")


def open_otb(root, *, sequences=None, frame_ranges=True, init_omit=True, bad_rows="error"):
    """Open an OTB root folder as a :class:`Dataset` named ``"otb"``.

    Args:
      root: folder holding one folder per sequence.
      sequences: names to keep (default: every sequence found), in that order.
      frame_ranges: apply the toolkit's annotated frame ranges (:data:`FRAME_RANGES`).
      init_omit: drop the first frames listed in :data:`INIT_OMIT` (pysot/pytracking).
      bad_rows: ``"error"`` or ``"nan"``, see :func:`common.parse_rows`.
    """
    entries = _annotation_files(root)
    if not entries:
        raise JaxtrackError(f"no OTB sequences in {root}; expected {LAYOUT}")
    names = common.select(list(entries), sequences, f"OTB root {root}")
    return Dataset("otb", [_sequence(root, name, *entries[name], frame_ranges, init_omit, bad_rows)
                           for name in names])


def _annotation_files(root):
    """name -> (folder, annotation path, aliases) for every non-empty groundtruth file."""
    entries = {}
    for folder in sorted(paths.listdir(root)):
        kept = []
        for path in common.matching(os.path.join(root, folder), "groundtruth*.txt"):
            if common.read_text(path, "OTB annotation").strip():
                kept.append(path)
            else:
                common.warn(f"{path}: empty annotation file, skipped")
        for path in kept:
            match = _TARGET.search(os.path.basename(path))
            target = match.group(1) if match else None
            if len(kept) > 1 and target:
                name, aliases = f"{folder}.{target}", [f"{folder}-{target}", f"{folder}_{target}"]
            else:
                name = folder
                aliases = [f"{folder}_{target}", f"{folder}-{target}"] if target else []
            entries[name] = (folder, path, aliases)
    return entries


def _sequence(root, name, folder, anno_path, aliases, frame_ranges, init_omit, bad_rows):
    rows = common.read_rows(anno_path, (4,), bad_rows=bad_rows)
    frames = common.list_frames(os.path.join(root, folder, "img"), "OTB frame folder")
    files, offset = len(frames), 0
    if frame_ranges and folder in FRAME_RANGES:
        first, last = FRAME_RANGES[folder]
        by_number = {common.frame_key(os.path.basename(p))[1]: p for p in frames}
        wanted = range(first, last + 1)
        missing = [n for n in wanted if n not in by_number]
        if missing:
            raise JaxtrackError(f"sequence {name!r}: missing frame {missing[0]} of the annotated "
                                f"range {first}-{last} in {os.path.join(root, folder, 'img')}")
        offset = frames.index(by_number[first])
        frames = [by_number[n] for n in wanted]
    if init_omit and folder in INIT_OMIT:
        frames, rows = frames[INIT_OMIT[folder]:], rows[INIT_OMIT[folder]:]
        offset += INIT_OMIT[folder]
    attributes = {"aliases": tuple(aliases)}
    if len(frames) != files:
        attributes["file_frames"] = (offset, files)
    attrs_path = os.path.join(root, folder, "attrs.txt")
    if paths.is_file(attrs_path):
        text = common.read_text(attrs_path, "OTB attribute list")
        attributes["attributes"] = tuple(a.strip() for a in text.replace("\n", ",").split(",") if a.strip())
    return common.make_sequence(name, frames, rows, anno_path, attributes=attributes)

"""Tracking result files (pysot/pytracking layout): their text formats, written by the
benchmark runner and read by the scorer.

A one-pass result is ``<results>/<sequence>.txt`` with one ``x, y, w, h`` row per frame
(commas, tabs or spaces; ``nan`` for a failed frame). A VOT reset-protocol record has one row per
frame that is ``1`` (initialisation), ``0`` (skipped), ``2`` (failure), ``x, y, w, h`` or an
8-value polygon. got10k's per-run layout ``<results>/<sequence>/<sequence>_001.txt`` is accepted
too. ``<results>`` may be local or a URL (:mod:`jaxtrack.paths`).
"""

from __future__ import annotations

import dataclasses
import glob
import os

import numpy as np

from jaxtrack import paths
from jaxtrack.boxes import xywh_to_xyxy, xyxy_to_xywh
from jaxtrack.data.readers.common import matching, parse_values, read_text
from jaxtrack.errors import JaxtrackError
from jaxtrack.polygons import polygon_to_xywh, rect_polygons

PREDICTED, SKIPPED, INIT, FAILURE = -1, 0, 1, 2
"""Per-frame codes of a reset-protocol run (the file writes the last three as they are)."""


@dataclasses.dataclass(frozen=True)
class ResetRecord:
    """One run of the reset protocol on a sequence of T frames.

    Attributes:
      codes: int (T,): ``PREDICTED`` (-1), ``INIT`` (1), ``SKIPPED`` (0) or ``FAILURE`` (2).
      regions: float64 (T, 8) predicted polygons (boxes as 4 corners); NaN where not predicted.
    """

    codes: np.ndarray
    regions: np.ndarray


def find_result_files(results_dir, sequence):
    """Result files of ``sequence`` in ``results_dir``: ``[<name>.txt]`` (or an alias), else the
    runs ``<name>/<name>_NNN.txt``; a :class:`JaxtrackError` naming what was looked for if none."""
    names = [sequence.name, *sequence.attributes.get("aliases", ())]
    for name in names:
        path = os.path.join(results_dir, name + ".txt")
        if paths.is_file(path):
            return [path]
    for name in names:
        runs = matching(os.path.join(results_dir, name), f"{glob.escape(name)}_[0-9]*.txt")
        if runs:
            return runs
    raise JaxtrackError(f"no result file for sequence {sequence.name!r}: expected "
                        f"{os.path.join(results_dir, sequence.name + '.txt')}")


def read_boxes(path, n_frames, span=None, notes=None):
    """A one-pass result file -> float64 (n_frames, 4) xyxy (NaN rows for ``nan`` values).

    ``span = (offset, total)``: the sequence is frames ``offset .. offset + n_frames - 1`` of
    ``total`` files (a reader's frame range or omitted first frames,
    ``Sequence.attributes["file_frames"]``); a file with one row per file frame, as other toolkits
    write it, is cut to those rows, and a sentence saying so is appended to ``notes``.

    Raises:
      JaxtrackError: a malformed row (naming file and line) or not one row per frame.
    """
    rows = []
    for number, line in enumerate(_lines(path), start=1):
        values = parse_values(line)
        if values is None or len(values) != 4:
            raise JaxtrackError(f"{path}:{number}: malformed result row {line.strip()!r}; "
                                "expected x, y, w, h separated by commas, tabs or spaces")
        rows.append(values)
    if span is not None and len(rows) == span[1] != n_frames:
        offset = span[0]
        rows = rows[offset:offset + n_frames]
        if notes is not None:
            notes.append(f"{path}: {span[1]} rows, one per file frame; rows {offset + 1}-{offset + n_frames} "
                         f"scored against the {n_frames} frames of the convention")
    _check_count(path, len(rows), n_frames)
    return xywh_to_xyxy(np.array(rows, np.float64).reshape(-1, 4))


def read_record(path, n_frames):
    """A VOT reset-protocol result file -> :class:`ResetRecord`.

    Frame 0 must be ``1`` (or a region, read as the initialisation); a ``2`` must be followed by
    ``0`` rows until the next ``1``.

    Raises:
      JaxtrackError: a malformed row or an inconsistent code sequence (naming file and line), or
        not one row per frame.
    """
    lines = _lines(path)
    _check_count(path, len(lines), n_frames)
    codes = np.full(n_frames, PREDICTED, np.int64)
    regions = np.full((n_frames, 8), np.nan)
    for index, line in enumerate(lines):
        values = parse_values(line)
        if values is not None and len(values) == 1 and values[0] in (INIT, SKIPPED, FAILURE):
            codes[index] = int(values[0])
        elif values is not None and len(values) in (4, 8):
            regions[index] = rect_polygons(np.array([values]))[0] if len(values) == 4 else values
        else:
            raise JaxtrackError(f"{path}:{index + 1}: malformed VOT result row {line.strip()!r}; expected "
                                "1, 0, 2, x,y,w,h or an 8-value polygon")
    if codes[0] == PREDICTED:
        codes[0] = INIT
    for index, code in enumerate(codes):
        after_failure = index > 0 and codes[index - 1] in (FAILURE, SKIPPED)
        allowed = (INIT,) if index == 0 else (SKIPPED, INIT) if after_failure else (PREDICTED, INIT, FAILURE)
        if code not in allowed:
            raise JaxtrackError(f"{path}:{index + 1}: code {code} breaks the reset protocol "
                                "(1 first, and 2 followed by 0 rows until the next 1)")
    return ResetRecord(codes, regions)


def format_boxes(boxes):
    """(T, 4) xyxy -> result-file text, ``x,y,w,h`` rows with 4 decimals (``nan`` for failures)."""
    xywh = xyxy_to_xywh(np.asarray(boxes, np.float64))
    return "".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in xywh)


def format_record(record):
    """:class:`ResetRecord` -> VOT result-file text (codes, or ``x,y,w,h`` of axis-aligned regions)."""
    lines = []
    for code, region in zip(record.codes, record.regions):
        if code != PREDICTED:
            lines.append(str(int(code)))
        else:
            lines.append(",".join(f"{v:.4f}" for v in polygon_to_xywh(region[None])[0]))
    return "\n".join(lines) + "\n"


def _lines(path):
    lines = read_text(path, "result file").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _check_count(path, rows, n_frames):
    if rows != n_frames:
        raise JaxtrackError(f"{path}: {rows} result rows, expected one per frame ({n_frames})")

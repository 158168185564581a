"""Parsing shared by the benchmark readers: annotation rows, flag lists and frame folders.

Only annotation text and directory listings are read here; frames are decoded later by
:meth:`jaxtrack.data.Sequence.frame`. Files and folders may be local or URLs
(:mod:`jaxtrack.paths`).
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np

from jaxtrack import paths
from jaxtrack.boxes import xywh_to_xyxy
from jaxtrack.data.sequence import Sequence
from jaxtrack.errors import JaxtrackError
from jaxtrack.files import plain_name

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
_SEPARATORS = re.compile(r"[,\s]+")


class AnnotationWarning(UserWarning):
    """An annotation problem a toolkit tolerates; the message names the file and line."""


def warn(message):
    warnings.warn(message, AnnotationWarning, stacklevel=3)


def require_dir(path, expected):
    """Raise unless ``path`` is a directory; ``expected`` describes the layout for the message."""
    if not paths.is_dir(path):
        raise JaxtrackError(f"{path} is not a directory; expected {expected}")


def read_text(path, what):
    """The text of ``path``; a missing file is a :class:`JaxtrackError` naming it and ``what``."""
    try:
        return paths.read_bytes(path).decode("utf-8-sig")
    except FileNotFoundError:
        raise JaxtrackError(f"missing {what}: {path}") from None
    except UnicodeDecodeError as error:
        raise JaxtrackError(f"{path}: not a text file ({error})") from None


def parse_rows(text, path, widths=(4,), *, bad_rows="error"):
    """Annotation text -> float64 (N, W) array, one row per line.

    Values are separated by commas, tabs or spaces (any mix); ``nan`` is accepted. Trailing
    blank lines are ignored; a blank line inside the file is a malformed row (it would shift every
    later frame).

    Args:
      text: the file content; ``path`` is only used in messages.
      widths: accepted numbers of values per row; every row must have the width of the first
        well-formed row.
      bad_rows: ``"error"`` raises :class:`JaxtrackError` naming file and line; ``"nan"`` replaces
        the row by NaN and emits an :class:`AnnotationWarning` naming file and line.
    """
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    parsed = [parse_values(line) for line in lines]
    width = next((len(v) for v in parsed if v is not None and len(v) in widths), max(widths))
    rows = np.full((len(lines), width), np.nan)
    for index, values in enumerate(parsed):
        if values is not None and len(values) == width:
            rows[index] = values
            continue
        message = (f"{path}:{index + 1}: malformed annotation row {lines[index].strip()!r}; "
                   f"expected {' or '.join(map(str, widths))} numbers separated by commas, "
                   f"tabs or spaces" + (f" (this file has {width} per row)" if len(widths) > 1 else ""))
        if bad_rows == "error":
            raise JaxtrackError(message)
        if bad_rows != "nan":
            raise ValueError(f"bad_rows must be 'error' or 'nan', not {bad_rows!r}")
        warn(message + "; using a NaN row")
    return rows


def parse_values(line):
    """One text line -> list of floats (commas, tabs or spaces between), or None if not numeric."""
    tokens = [t for t in _SEPARATORS.split(line.strip()) if t]
    if not tokens:
        return None
    try:
        return [float(t) for t in tokens]
    except ValueError:
        return None


def read_rows(path, widths=(4,), *, bad_rows="error", what="annotation file"):
    """:func:`parse_rows` of the file at ``path``."""
    return parse_rows(read_text(path, what), path, widths, bad_rows=bad_rows)


def xywh_to_boxes(rows):
    """(N, 4) ``x, y, w, h`` rows -> float64 (N, 4) xyxy with NaN rows, and the NaN-row count.

    A row is invalid (NaN) when a value is not finite or ``w <= 0`` or ``h <= 0``.
    """
    rows = np.asarray(rows, np.float64)
    boxes = xywh_to_xyxy(rows)
    with np.errstate(invalid="ignore"):
        valid = np.all(np.isfinite(rows), axis=1) & (rows[:, 2] > 0) & (rows[:, 3] > 0)
    boxes[~valid] = np.nan
    return boxes, int(np.count_nonzero(~valid))


def read_flags(path, count, what):
    """An integer flag per frame (one per line or one comma-separated line) -> int (count,)
    (0/1 flags, or levels such as GOT-10k's cover 0-8)."""
    text = read_text(path, what)
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    try:
        values = np.array([int(float(t)) for t in tokens])
    except ValueError:
        raise JaxtrackError(f"{path}: {what} must hold integers separated by commas or new lines")
    if len(values) != count:
        raise JaxtrackError(f"{path}: {len(values)} values in the {what}, expected one per frame ({count})")
    return values


def frame_key(name):
    """Sort key of a frame file name: numeric stems in numeric order (``2.jpg`` before ``10.jpg``)."""
    stem = os.path.splitext(name)[0]
    return (0, int(stem), name) if stem.isdigit() else (1, 0, name)


def matching(directory, pattern):
    """``directory/<name>`` for every entry of ``directory`` whose name matches the glob
    ``pattern``, sorted; paths are built on ``directory`` as given (local or a URL)."""
    return sorted(os.path.join(directory, p.name) for p in paths.path(directory).glob(pattern))


def list_frames(directory, what="frame folder"):
    """Paths of the images in ``directory`` in frame order (see :func:`frame_key`)."""
    try:
        names = paths.listdir(directory)
    except FileNotFoundError:
        raise JaxtrackError(f"missing {what}: {directory}") from None
    names = [n for n in names if n.lower().endswith(IMAGE_EXTENSIONS)]
    return [os.path.join(directory, n) for n in sorted(names, key=frame_key)]


def check_frames_exist(frame_paths):
    """Raise :class:`JaxtrackError` naming the first of ``frame_paths`` that is not a file.

    Lists each containing directory once instead of one ``stat`` per frame.
    """
    listings = {}
    for path in frame_paths:
        directory, name = os.path.split(path)
        if directory not in listings:
            listings[directory] = set(paths.listdir(directory)) if paths.is_dir(directory) else set()
        if name not in listings[directory]:
            raise JaxtrackError(f"missing frame file {path}")


def make_sequence(name, frames, rows, anno_path, *, absent=None, attributes=None, first_box_only=False):
    """Build a :class:`Sequence` from ``x, y, w, h`` rows, checking one row per frame.

    ``first_box_only``: the file annotates only frame 0 (GOT-10k and TrackingNet test splits);
    later frames get NaN rows and ``attributes["first_box_only"]`` is True. The number of invalid
    (NaN or zero-size) annotated rows is recorded as ``attributes["invalid_boxes"]``.
    """
    expected = 1 if first_box_only else len(frames)
    if len(rows) != expected or not frames:
        folder = os.path.dirname(frames[0]) if frames else "its frame folder"
        raise JaxtrackError(f"sequence {name!r}: {len(frames)} frames in {folder} but "
                            f"{len(rows)} boxes in {anno_path}; expected "
                            + ("only the first box" if first_box_only else "one box per frame"))
    boxes, invalid = xywh_to_boxes(rows)
    attributes = dict(attributes or {}, invalid_boxes=invalid)
    if first_box_only:
        boxes = np.concatenate([boxes, np.full((len(frames) - 1, 4), np.nan)])
        attributes["first_box_only"] = True
    absent = np.zeros(len(frames), bool) if absent is None else np.asarray(absent, bool)
    return Sequence(name, tuple(frames), boxes, absent, attributes)


def select(names, wanted, kind):
    """``names`` restricted to ``wanted`` (in that order); unknown names are an error."""
    if wanted is None:
        return list(names)
    known = set(names)
    missing = [n for n in wanted if n not in known]
    if missing:
        raise JaxtrackError(f"{kind}: no sequence named {', '.join(missing)}")
    return list(wanted)


def read_names(path, what):
    """One plain name per line of ``path`` (blank lines skipped), each checked by :func:`plain_name`."""
    names = []
    for number, line in enumerate(read_text(path, what).splitlines(), start=1):
        for token in line.split():
            names.append(plain_name(token, f"{path}:{number}"))
    return names

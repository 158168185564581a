"""TrackingNet reader.

Layout: chunk folders ``<root>/TRAIN_0 .. TRAIN_11`` and ``<root>/TEST``, each with
``anno/<seq>.txt`` (comma-separated ``x, y, w, h``) and ``frames/<seq>/0.jpg, 1.jpg, ..``
(numbered from 0, sorted numerically). TEST annotations hold only the first box.
"""

from __future__ import annotations

import os

from jaxtrack import paths
from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset
from jaxtrack.errors import JaxtrackError

LAYOUT = "<root>/<chunk>/anno/<seq>.txt and <root>/<chunk>/frames/<seq>/0.jpg with chunks TRAIN_<i> or TEST"


def open_trackingnet(root, *, split="train", chunks=None, sequences=None, bad_rows="error"):
    """Open TrackingNet chunks as a :class:`Dataset` named ``"trackingnet"``.

    Args:
      split: ``"train"`` (``TRAIN_<i>`` chunks, full annotations) or ``"test"`` (``TEST``,
        first box only).
      chunks: train chunk numbers to read (default: every ``TRAIN_<i>`` folder present).
      sequences: names to keep (default: all), in that order.
      bad_rows: ``"error"`` or ``"nan"``, see :func:`common.parse_rows`.
    """
    if split == "test":
        chunk_names = ["TEST"]
    elif split == "train":
        present = sorted((n for n in paths.listdir(root) if n.startswith("TRAIN_")), key=common.frame_key)
        chunk_names = present if chunks is None else [f"TRAIN_{i}" for i in chunks]
    else:
        raise JaxtrackError(f"TrackingNet split must be 'train' or 'test', not {split!r}")
    if not chunk_names:
        raise JaxtrackError(f"no TRAIN_<i> chunk folders in {root}; expected {LAYOUT}")
    where = {}
    for chunk in chunk_names:
        anno_dir = os.path.join(root, chunk, "anno")
        common.require_dir(anno_dir, LAYOUT)
        for file_name in sorted(paths.listdir(anno_dir)):
            if file_name.endswith(".txt"):
                where[common.plain_name(file_name[:-4], os.path.join(anno_dir, file_name))] = chunk
    if not where:
        raise JaxtrackError(f"no annotation files in the {split} chunks of {root}; expected {LAYOUT}")
    names = common.select(list(where), sequences, f"TrackingNet root {root}")
    return Dataset("trackingnet", [_sequence(os.path.join(root, where[n]), n, split, bad_rows) for n in names])


def _sequence(chunk_dir, name, split, bad_rows):
    anno_path = os.path.join(chunk_dir, "anno", name + ".txt")
    rows = common.read_rows(anno_path, (4,), bad_rows=bad_rows)
    frames = common.list_frames(os.path.join(chunk_dir, "frames", name), "TrackingNet frame folder")
    numbers = [common.frame_key(os.path.basename(p))[1] for p in frames]
    if numbers != list(range(len(frames))):
        missing = next(i for i, n in enumerate(numbers + [None]) if n != i)
        raise JaxtrackError(f"missing frame file {os.path.join(chunk_dir, 'frames', name, f'{missing}.jpg')}")
    return common.make_sequence(name, frames, rows, anno_path, attributes={"chunk": os.path.basename(chunk_dir)},
                                first_box_only=split == "test")

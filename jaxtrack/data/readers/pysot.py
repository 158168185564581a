"""pysot's preprocessed training layout (VID, YouTube-BB, DET, COCO, GOT-10k, LaSOT crops).

Layout (pysot's ``training_dataset/<name>/``, SiamCAR's ``train_dataset/<name>/``):
``<root>/crop511/<video>/<frame:06d>.<track>.x.jpg``, 511x511 crops centred on the target, and a
JSON index ``<root>/<anno>`` (``train.json``, ``val.json``; COCO ``train2017.json``) nesting
video -> track -> frame -> box: ``{"<video>": {"00": {"000000": [x1, y1, x2, y2], ...}}}`` where
the box is the target in the ORIGINAL frame (pixels) or just ``[w, h]``. Video keys are relative
paths (``ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000``, ``train2017/000000000009``),
track keys two-digit strings, frame keys six-digit strings; keys that are not digits are ignored
as pysot ignores them.

Each track becomes a :class:`Sequence` ``<video>/<track>`` over its annotated frames in frame
order, ``attributes["video"]`` naming its video: :class:`jaxtrack.data.pairs.PairSampler` picks
a video, then one of its tracks uniformly, as pysot's ``SubDataset.get_positive_pair`` does.
Boxes are pysot's loader's (``TrkDataset._get_bbox``) box in the crop: with the original
``w x h`` and ``s_z = sqrt((w + p)(h + p))``, ``p = context * (w + h)``, the size
``w * exemplar / s_z x h * exemplar / s_z`` centred on the crop's centre pixel ``crop // 2``
(pysot's integer pixel-centre coordinates), i.e. at ``crop // 2 + 0.5`` in jaxtrack's continuous
convention (:mod:`jaxtrack.boxes`). The template window of that box is then exactly ``exemplar``
crop pixels wide, so the sampler's crops are pysot's 1:1 crops of the 511 patch. Boxes with
``w <= 0`` or ``h <= 0`` are NaN (pysot's ``_filter_zero`` drops them); tracks without a valid
box and videos without tracks are left to the sampler, which skips them as pysot does.

Only the index is read: the crops (10^5-10^6 files) are not listed; a missing one is skipped by
the sampler with a warning naming it.
"""

from __future__ import annotations

import json
import os

import numpy as np

from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset, Sequence
from jaxtrack.errors import JaxtrackError

LAYOUT = "<root>/crop511/<video>/<frame:06d>.<track>.x.jpg and <root>/train.json (video -> track -> frame -> box)"


def open_pysot(root, *, anno="train.json", crops="crop511", crop_size=511, exemplar_size=127, context=0.5,
               sequences=None):
    """Open one pysot-format training set as a :class:`Dataset` named after ``root``'s folder.

    Args:
      root: the dataset's folder (pysot's ``training_dataset/vid``).
      anno: the JSON index, relative to ``root`` (pysot's ``ANNO``) or absolute.
      crops: the crop folder, relative to ``root`` (pysot's ``ROOT``) or absolute.
      crop_size: side of the crops in pixels (511).
      exemplar_size, context: pysot's ``TRAIN.EXEMPLAR_SIZE`` and context amount, which fix the
        box's scale in the crop.
      sequences: ``<video>/<track>`` names to keep (default: all, in the index's order).
    """
    anno_path, crop_dir = os.path.join(root, anno), os.path.join(root, crops)
    common.require_dir(crop_dir, LAYOUT)
    try:
        index = json.loads(common.read_text(anno_path, "pysot JSON index"))
    except json.JSONDecodeError as error:
        raise JaxtrackError(f"{anno_path}:{error.lineno}: not JSON ({error.msg}); expected {LAYOUT}") from None
    if not isinstance(index, dict):
        raise JaxtrackError(f"{anno_path}: the index must be an object video -> track -> frame -> box")
    found = {}
    for video, tracks in index.items():
        _check_relative(video, anno_path, "video")
        for track, frames in _items(tracks, anno_path, f"video {video!r}"):
            common.plain_name(track, f"{anno_path}: video {video!r} track")
            found[f"{video}/{track}"] = (video, track, frames)
    if not found:
        raise JaxtrackError(f"{anno_path}: no tracks; expected {LAYOUT}")
    names = common.select(list(found), sequences, f"pysot index {anno_path}")
    geometry = (crop_size, exemplar_size, context)
    return Dataset(os.path.basename(os.path.normpath(root)),
                   [_sequence(name, *found[name], crop_dir, anno_path, geometry) for name in names])


def crop_box(box, crop_size=511, exemplar_size=127, context=0.5):
    """pysot's ``_get_bbox``: an original-frame box -> float64 (4,) xyxy in the 511 crop.

    Args:
      box: ``[x1, y1, x2, y2]`` (original frame pixels) or ``[w, h]``.
    Returns:
      the box of size ``(w, h) * exemplar_size / s_z`` centred at ``crop_size // 2 + 0.5``.
    """
    box = np.asarray(box, np.float64)
    w, h = (box[2] - box[0], box[3] - box[1]) if len(box) == 4 else box
    pad = context * (w + h)
    scale = exemplar_size / np.sqrt((w + pad) * (h + pad))
    centre = crop_size // 2 + 0.5
    return np.array([centre - w * scale / 2, centre - h * scale / 2, centre + w * scale / 2, centre + h * scale / 2])


def _sequence(name, video, track, frames, crop_dir, anno_path, geometry):
    where = f"{anno_path}: video {video!r} track {track!r}"
    numbers, boxes = [], []
    for frame, box in _items(frames, anno_path, f"video {video!r} track {track!r}"):
        if not frame.isdigit():
            continue
        try:
            box = np.asarray(box, np.float64)
        except (TypeError, ValueError):
            box = None
        if box is None or box.shape not in ((4,), (2,)):
            raise JaxtrackError(f"{where} frame {frame!r}: box {frames[frame]!r} is not [x1, y1, x2, y2] or [w, h]")
        numbers.append(int(frame))
        boxes.append(box)
    if not numbers:
        raise JaxtrackError(f"{where}: no frames (frame keys are six-digit strings such as '000000')")
    order = np.argsort(numbers, kind="stable")
    numbers = [numbers[i] for i in order]
    with np.errstate(invalid="ignore", divide="ignore"):
        crop_boxes = np.stack([crop_box(boxes[i], *geometry) for i in order])
    sizes = crop_boxes[:, 2:] - crop_boxes[:, :2]
    with np.errstate(invalid="ignore"):
        valid = np.all(np.isfinite(crop_boxes), axis=1) & np.all(sizes > 0, axis=1)
    crop_boxes[~valid] = np.nan
    paths = tuple(os.path.join(crop_dir, video, f"{n:06d}.{track}.x.jpg") for n in numbers)
    return Sequence(name, paths, crop_boxes, np.zeros(len(paths), bool),
                    {"video": video, "track": track, "frame_numbers": np.asarray(numbers),
                     "invalid_boxes": int(np.count_nonzero(~valid))})


def _items(mapping, anno_path, what):
    if not isinstance(mapping, dict):
        raise JaxtrackError(f"{anno_path}: {what} must map to an object, got {type(mapping).__name__}")
    return mapping.items()


def _check_relative(path, anno_path, what):
    """A key used as a relative folder path: not absolute, no ``..`` or empty part."""
    parts = path.split("/")
    if os.path.isabs(path) or "\\" in path or "\0" in path or ".." in parts or not all(parts):
        raise JaxtrackError(f"{anno_path}: {what} {path!r} is not a relative path inside the crop folder")

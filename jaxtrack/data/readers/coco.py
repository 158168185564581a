"""COCO-style image + box sets as one-frame videos (for template/search pair training).

Layout: a COCO ``instances`` json (``images`` with ``id`` and ``file_name``, ``annotations`` with
``id``, ``image_id``, ``bbox = [x, y, w, h]``, optional ``iscrowd`` and ``category_id``,
optional ``categories`` with ``id`` and ``name``) and a folder of the images. Every annotation
becomes a sequence ``<image file stem>_<annotation id>`` with one frame.
"""

from __future__ import annotations

import json
import os

import numpy as np

from jaxtrack import paths
from jaxtrack.data.readers import common
from jaxtrack.data.sequence import Dataset
from jaxtrack.errors import JaxtrackError

LAYOUT = "<root>/annotations/<name>.json (COCO instances) and the images in <root>/images/"


def open_coco(root, *, annotations=None, images=None, include_crowd=False, sequences=None):
    """Open a COCO-style set as a :class:`Dataset` named ``"coco"``.

    Args:
      annotations: the json file (default: the only ``*.json`` in ``<root>/annotations`` or
        ``<root>``); relative paths are taken from ``root``.
      images: the image folder (default: ``<root>/images``, else ``<root>/<split>`` for a json
        named ``instances_<split>.json``).
      include_crowd: keep ``iscrowd = 1`` annotations (boxes around groups; dropped by default).
      sequences: names to keep (default: all), in that order.
    """
    anno_path = _annotation_file(root, annotations)
    images = os.path.join(root, images) if images else _image_folder(root, anno_path)
    common.require_dir(images, LAYOUT)
    try:
        data = json.loads(common.read_text(anno_path, "COCO annotation file"))
        files = {image["id"]: common.plain_name(image["file_name"], f"{anno_path}: image {index} (id {image['id']!r})")
                 for index, image in enumerate(data["images"])}
        categories = {c["id"]: c["name"] for c in data.get("categories", [])}
        entries = data["annotations"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise JaxtrackError(f"{anno_path}: not a COCO instances file ({type(error).__name__}: {error})") from None
    by_name = {}
    for index, ann in enumerate(entries):
        if ann.get("iscrowd", 0) and not include_crowd:
            continue
        name, box, category = _parse(ann, index, files, categories, anno_path)
        by_name[name] = (os.path.join(images, files[ann["image_id"]]), box, category)
    names = common.select(list(by_name), sequences, f"COCO file {anno_path}")
    common.check_frames_exist(by_name[n][0] for n in names)
    return Dataset("coco", [
        common.make_sequence(n, [by_name[n][0]], by_name[n][1][None], anno_path,
                             attributes={"category": by_name[n][2]})
        for n in names])


def _parse(ann, index, files, categories, path):
    """One annotation -> (sequence name, (4,) x, y, w, h, category name)."""
    where = f"{path}: annotation {index} (id {ann.get('id')!r})"
    if ann.get("image_id") not in files:
        raise JaxtrackError(f"{where}: image_id {ann.get('image_id')!r} is not in 'images'")
    try:
        box = np.asarray(ann["bbox"], np.float64)
    except (KeyError, TypeError, ValueError):
        raise JaxtrackError(f"{where}: missing or non-numeric 'bbox'") from None
    if box.shape != (4,):
        raise JaxtrackError(f"{where}: 'bbox' must be [x, y, w, h], got {ann['bbox']!r}")
    stem = os.path.splitext(os.path.basename(files[ann["image_id"]]))[0]
    return f"{stem}_{ann.get('id', index)}", box, categories.get(ann.get("category_id"))


def _annotation_file(root, annotations):
    if annotations:
        return os.path.join(root, annotations)
    candidates = common.matching(os.path.join(root, "annotations"), "*.json") or common.matching(root, "*.json")
    if len(candidates) != 1:
        raise JaxtrackError(f"found {len(candidates)} json files in {root}/annotations and {root}; "
                            f"expected one (or pass annotations=...); layout {LAYOUT}")
    return candidates[0]


def _image_folder(root, anno_path):
    default = os.path.join(root, "images")
    stem = os.path.splitext(os.path.basename(anno_path))[0]
    split = os.path.join(root, stem.rsplit("_", 1)[-1])
    return split if not paths.is_dir(default) and "_" in stem else default

"""Any :class:`Dataset` as ArrayRecord files, written by a tensorflow-datasets builder.

:func:`convert` writes one record per frame (the JPEG bytes exactly as stored on disk, the
sequence number, the frame index, the xyxy box and the absent flag), in order: record ``k`` is
frame ``k`` of the concatenated sequences. Beside the records, ``sequences.json`` holds the
dataset name, each sequence's name, frame count and JSON-serialisable attributes, and
``annotations.npz`` the boxes, absent flags and NumPy attributes (e.g. GOT-10k's ``cover``, VOT's
``polygons``), so that opening needs no pass over the records. :func:`open_arrayrecord` (reader
kind ``arrayrecord``) returns a :class:`Dataset` of :class:`RecordSequence`, whose
:meth:`~RecordSequence.frame` decodes record ``k`` by random access; samplers and trackers use
it unchanged.

Layout of ``out``: ``sequences.json``, ``annotations.npz`` and
``jaxtrack_frames/1.0.0/`` (the builder's ``dataset_info.json``, ``features.json`` and
``jaxtrack_frames-frames.array_record-*`` shards).

tensorflow-datasets is imported only here and only when used; TensorFlow is never needed (the
frames are a ``Tensor(shape=(), dtype=object)`` feature of encoded bytes, not a
``tfds.features.Image``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib
import tempfile

import cv2
import numpy as np

from jaxtrack.data.sequence import Dataset, Sequence
from jaxtrack.errors import JaxtrackError
from jaxtrack.files import inside, plain_name

SPLIT = "frames"
RECORDS_DIR = "jaxtrack_frames/1.0.0"


def _tfds():
    try:
        # tensorflow-datasets 4.9 uses importlib_resources without declaring it
        # (tensorflow/datasets#11212).
        import importlib_resources  # noqa: F401
        import tensorflow_datasets as tfds
    except ImportError:
        raise JaxtrackError(
            "ArrayRecord datasets need tensorflow-datasets, array-record and importlib-resources "
            "(not TensorFlow): pip install tensorflow-datasets array-record importlib-resources"
        ) from None
    return tfds


@functools.cache
def _builder_class():
    tfds = _tfds()

    class JaxtrackFrames(tfds.core.GeneratorBasedBuilder, skip_registration=True):
        """One record per frame of a jaxtrack dataset, in sequence order."""

        VERSION = tfds.core.Version("1.0.0")

        def __init__(self, examples, **kwargs):
            self._examples = examples
            super().__init__(**kwargs)

        def _info(self):
            features = tfds.features.FeaturesDict({
                "image": tfds.features.Tensor(shape=(), dtype=np.object_),
                "sequence": tfds.features.Scalar(dtype=np.int32),
                "index": tfds.features.Scalar(dtype=np.int32),
                "box": tfds.features.Tensor(shape=(4,), dtype=np.float64),
                "absent": tfds.features.Scalar(dtype=np.bool_)})
            # disable_shuffling: records stay in key (= frame number) order.
            return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                         features=features, disable_shuffling=True)

        def _split_generators(self, dl_manager):
            return {SPLIT: self._generate_examples()}

        def _generate_examples(self):
            return self._examples

        def _log_download_bytes(self):  # "Downloading and preparing ...": nothing is downloaded
            pass

        def _log_download_done(self):
            pass

    return JaxtrackFrames


def _jsonable(value):
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _examples(dataset, missing, bar):
    key = 0
    for number, seq in enumerate(dataset):
        for index, path in enumerate(seq.frames):
            try:
                image = pathlib.Path(path).read_bytes()
            except OSError:
                missing.append(str(path))
                image = b""  # stays unreadable, as in the source
            yield key, {"image": image, "sequence": number, "index": index,
                        "box": seq.boxes[index], "absent": bool(seq.absent[index])}
            key += 1
            bar.update()


def convert(dataset, out, *, progress=False):
    """Write ``dataset`` to ArrayRecord files in the new directory ``out``.

    Frames are copied byte for byte (no re-encoding); a missing frame file is stored as an empty
    record and stays unreadable. Attributes that are neither JSON-serialisable nor NumPy arrays
    are left out. Turns tensorflow-datasets' own progress bars off.

    Returns:
      dict: ``frames``, ``sequences``, ``missing_frames`` (paths), ``dropped_attributes`` (names).

    Raises:
      JaxtrackError: tensorflow-datasets is missing, ``out`` exists, or ``dataset`` is empty.
    """
    tfds = _tfds()
    from tqdm import tqdm

    out = pathlib.Path(out)
    if out.exists():
        raise JaxtrackError(f"{out} already exists; converting writes a new directory")
    if not len(dataset):
        raise JaxtrackError(f"dataset {dataset.name!r} has no sequences to convert")
    sequences, arrays, dropped = [], {}, set()
    for number, seq in enumerate(dataset):
        attributes = {}
        for name, value in seq.attributes.items():
            if isinstance(value, np.ndarray) and value.dtype != object:
                arrays[f"attributes/{number}/{name}"] = value
            elif _jsonable(value):
                attributes[name] = value
            else:
                dropped.add(name)
        sequences.append({"name": seq.name, "frames": len(seq), "attributes": attributes})
    total = sum(entry["frames"] for entry in sequences)
    missing = []
    tfds.disable_progress_bar()  # ours counts frames
    with tempfile.TemporaryDirectory() as downloads, \
            tqdm(total=total, disable=not progress, desc="convert", unit="frame") as bar:
        builder = _builder_class()(_examples(dataset, missing, bar), data_dir=out,
                                   file_format=tfds.core.FileFormat.ARRAY_RECORD)
        builder.download_and_prepare(download_dir=downloads)
    np.savez(out / "annotations.npz", boxes=np.concatenate([seq.boxes for seq in dataset]),
             absent=np.concatenate([seq.absent for seq in dataset]), **arrays)
    (out / "sequences.json").write_text(json.dumps(
        {"dataset": dataset.name, "records": RECORDS_DIR, "sequences": sequences}, indent=1))
    return {"frames": total, "sequences": len(sequences), "missing_frames": missing,
            "dropped_attributes": sorted(dropped)}


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordSequence(Sequence):
    """A :class:`Sequence` whose frames are records ``offset .. offset + len - 1`` of ``records``.

    ``frames`` holds identifiers ``arrayrecord://<name>/<i>`` (for messages), not paths.
    """

    records: object
    number: int
    offset: int

    def frame(self, index):
        """Frame ``index`` decoded from its record, as :meth:`Sequence.frame` decodes the file."""
        index = range(len(self))[index]
        record = self.records[self.offset + index]
        if (record["sequence"], record["index"]) != (self.number, index):
            raise JaxtrackError(f"{self.frames[index]}: the record holds frame {record['index']} "
                                f"of sequence {record['sequence']}; the conversion is inconsistent")
        data = np.frombuffer(record["image"], np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if image is None:
            raise JaxtrackError(f"sequence {self.name!r}: cannot decode frame {index} "
                                f"({self.frames[index]}; missing or not an image in the source)")
        return image


def open_arrayrecord(root):
    """Open a directory written by :func:`convert` as a :class:`Dataset`.

    Raises:
      JaxtrackError: tensorflow-datasets is missing, or ``root`` is not a conversion.
    """
    root = pathlib.Path(root)
    index_path = root / "sequences.json"
    if not index_path.is_file():
        raise JaxtrackError(f"{root} is not an ArrayRecord conversion: expected sequences.json, "
                            "annotations.npz and the records written by `jaxtrack convert-data`")
    index = json.loads(index_path.read_text())
    for number, entry in enumerate(index["sequences"]):
        plain_name(entry["name"], f"{index_path}: sequence {number}")
    records = _tfds().builder_from_directory(inside(root, index["records"])).as_data_source(SPLIT)
    with np.load(root / "annotations.npz") as annotations:
        arrays = {key: annotations[key] for key in annotations.files}
    total = sum(entry["frames"] for entry in index["sequences"])
    if len(records) != total or len(arrays["boxes"]) != total:
        raise JaxtrackError(f"{root}: {len(records)} records and {len(arrays['boxes'])} boxes "
                            f"for {total} frames in sequences.json; they must match")
    extra = [{} for _ in index["sequences"]]
    for key, value in arrays.items():
        if key.startswith("attributes/"):
            _, number, name = key.split("/", 2)
            extra[int(number)][name] = value
    sequences, offset = [], 0
    for number, entry in enumerate(index["sequences"]):
        name, count = entry["name"], entry["frames"]
        sequences.append(RecordSequence(
            name=name, frames=tuple(f"arrayrecord://{name}/{i}" for i in range(count)),
            boxes=arrays["boxes"][offset:offset + count],
            absent=arrays["absent"][offset:offset + count],
            attributes={**entry["attributes"], **extra[number]},
            records=records, number=number, offset=offset))
        offset += count
    return Dataset(index["dataset"], sequences)

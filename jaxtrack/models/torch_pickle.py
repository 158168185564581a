"""Read PyTorch checkpoints (``torch.save`` files) into numpy arrays without importing torch.

Two layouts are supported; both pickle the saved object (normally a ``state_dict``) with each
tensor's bytes kept outside the pickle, in *storages* the pickle refers to by persistent id.

Legacy format (``torch.save(..., _use_new_zipfile_serialization=False)``, torch < 1.6 files),
one stream of five consecutive pickles and raw bytes::

    pickle  magic number 0x1950a86a20f9469cfc6c
    pickle  protocol version 1001
    pickle  sys info ({"little_endian": ..., "type_sizes": ...})
    pickle  the object; storages are persistent ids
            ("storage", storage_type, key, location, numel, view_metadata)
            with view_metadata None or (view_key, element_offset, view_numel)
    pickle  list of storage keys, in the order of the data below
    per key int64 little endian element count, then count * itemsize raw bytes

Zip format (torch >= 1.6 default), a zip archive under one top-level folder ``<prefix>/``::

    <prefix>/data.pkl       the object; storages are ("storage", storage_type, key, location, numel)
    <prefix>/data/<key>     each storage's raw bytes
    <prefix>/byteorder      "little" or "big" (absent: little)

Tensors are ``torch._utils._rebuild_tensor_v2(storage, element_offset, size, stride,
requires_grad, backward_hooks[, metadata])``, parameters ``_rebuild_parameter(tensor, ...)``,
``state_dict`` s ``collections.OrderedDict``; ``storage_type`` is a global such as
``torch.FloatStorage`` naming the element type. The unpickler resolves only these globals (and
never calls anything else), so reading an untrusted file cannot run code. Other globals and the
pre-1.0 tar format raise :class:`UnsupportedCheckpoint`.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import numpy as np

from jaxtrack.errors import JaxtrackError

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

DTYPES = {"DoubleStorage": "f8", "FloatStorage": "f4", "HalfStorage": "f2", "LongStorage": "i8",
          "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1", "ByteStorage": "u1",
          "BoolStorage": "?", "ComplexFloatStorage": "c8", "ComplexDoubleStorage": "c16",
          "UntypedStorage": "u1"}
"""torch storage type -> numpy type code (byte order added when reading)."""


class UnsupportedCheckpoint(JaxtrackError):
    """The file may be a valid checkpoint, but of a kind this reader does not load."""


class StorageType:
    """Stand-in for a ``torch.<Type>Storage`` global: only carries the numpy dtype."""

    def __init__(self, name):
        if name == "BFloat16Storage":
            import ml_dtypes  # a JAX dependency

            self.dtype = np.dtype(ml_dtypes.bfloat16)
        else:
            self.dtype = np.dtype(DTYPES[name])


class Storage:
    """A storage referenced by the pickle: ``key`` of the root storage, element range
    ``[offset, offset + numel)`` of it (a legacy view), filled in after the pickle is read."""

    def __init__(self, dtype, key, offset, numel):
        self.dtype, self.key, self.offset, self.numel = dtype, key, offset, numel


class TensorRef:
    """A tensor of the pickle, built into an array once the storages' bytes are read."""

    def __init__(self, storage, offset, size, stride):
        if not isinstance(storage, Storage):
            raise JaxtrackError(f"tensor rebuilt from {type(storage).__name__}, not a storage")
        ints = [offset, *size, *stride]
        if (not all(isinstance(i, int) and i >= 0 for i in ints)) or len(size) != len(stride):
            raise JaxtrackError(f"invalid tensor offset {offset!r}, size {size!r}, "
                                f"stride {stride!r}")
        self.storage, self.offset = storage, offset
        self.size, self.stride = tuple(size), tuple(stride)

    def array(self, data):
        """The tensor as a new native-order array, from its storage's 1-D ``data``."""
        flat = data[self.storage.offset:self.storage.offset + self.storage.numel]
        if 0 in self.size:
            return np.zeros(self.size, flat.dtype.newbyteorder("="))
        end = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride)) + 1
        if end > flat.size:
            raise JaxtrackError(f"tensor of size {self.size} (stride {self.stride}, offset "
                                f"{self.offset}) overruns its storage of {flat.size} elements")
        strides = [s * flat.itemsize for s in self.stride]
        view = np.lib.stride_tricks.as_strided(flat[self.offset:], self.size, strides,
                                               writeable=False)
        return np.array(view, dtype=flat.dtype.newbyteorder("="))


def rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None,
                      metadata=None):
    return TensorRef(storage, offset, size, stride)


def rebuild_tensor(storage, offset, size, stride):
    return TensorRef(storage, offset, size, stride)


def rebuild_parameter(tensor, requires_grad=False, hooks=None):
    return tensor


GLOBALS = {("collections", "OrderedDict"): collections.OrderedDict,
           ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,
           ("torch._utils", "_rebuild_tensor"): rebuild_tensor,
           ("torch._utils", "_rebuild_parameter"): rebuild_parameter}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only :data:`GLOBALS` and torch storage types; ``storages``
    collects the storages its persistent ids refer to (key -> :class:`Storage`)."""

    def __init__(self, file, storages=None):
        super().__init__(file)
        self.storages = {} if storages is None else storages

    def find_class(self, module, name):
        if (module, name) in GLOBALS:
            return GLOBALS[(module, name)]
        if module == "torch" and (name in DTYPES or name == "BFloat16Storage"):
            return StorageType(name)
        raise UnsupportedCheckpoint(
            f"the pickle refers to {module}.{name}; only tensors, storages and OrderedDict are "
            "loaded (nothing else is imported or run)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6)):
            raise JaxtrackError(f"unexpected persistent id {pid!r}")
        typename = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        storage_type, key, _location, numel = pid[1:5]
        view = pid[5] if len(pid) == 6 else None
        if typename != "storage" or not isinstance(storage_type, StorageType):
            raise JaxtrackError(f"unexpected persistent id {pid!r}")
        if not isinstance(numel, int) or numel < 0:
            raise JaxtrackError(f"invalid storage size {numel!r}")
        key = str(key)
        root = self.storages.setdefault(key, Storage(storage_type.dtype, key, 0, numel))
        if view is None:
            return root
        _view_key, offset, view_numel = view
        return Storage(root.dtype, key, offset, view_numel)


def resolve(obj, data):
    """Replace the :class:`TensorRef` s in nested dicts/lists/tuples by arrays."""
    if isinstance(obj, TensorRef):
        return obj.array(data[obj.storage.key])
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = resolve(v, data)
        return obj
    if isinstance(obj, (list, tuple)):
        items = [resolve(v, data) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    return obj


def read_legacy(f):
    """The object and storage data (key -> 1-D array) of a legacy-format stream."""
    header = [RestrictedUnpickler(f).load() for _ in range(3)]
    if header[0] != MAGIC_NUMBER:
        raise JaxtrackError("not a PyTorch checkpoint (wrong magic number)")
    if header[1] != PROTOCOL_VERSION:
        raise JaxtrackError(f"unknown legacy protocol version {header[1]!r}")
    if not header[2].get("little_endian", True):
        raise UnsupportedCheckpoint("big-endian legacy checkpoint")
    unpickler = RestrictedUnpickler(f)
    obj = unpickler.load()
    data = {}
    for key in RestrictedUnpickler(f).load():
        storage = unpickler.storages[str(key)]
        dtype = storage.dtype.newbyteorder("<")
        count = f.read(8)
        numel = int.from_bytes(count, "little") if len(count) == 8 else -1
        raw = f.read(max(numel, 0) * dtype.itemsize)
        if numel != storage.numel or len(raw) != numel * dtype.itemsize:
            raise JaxtrackError(f"storage {key} is truncated or has the wrong size")
        data[str(key)] = np.frombuffer(raw, dtype)
    return obj, data


def read_zip(path):
    """The object and storage data (key -> 1-D array) of a zip-format file."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise JaxtrackError("zip file without a single <folder>/data.pkl")
        prefix = pickles[0][:-len("data.pkl")]
        order = "<"
        if prefix + "byteorder" in names:
            order = {b"little": "<", b"big": ">"}.get(archive.read(prefix + "byteorder"))
            if order is None:
                raise JaxtrackError("unknown byteorder record")
        unpickler = RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])))
        obj = unpickler.load()
        data = {}
        for key, storage in unpickler.storages.items():
            dtype = storage.dtype.newbyteorder(order)
            raw = archive.read(f"{prefix}data/{key}")
            if len(raw) < storage.numel * dtype.itemsize:
                raise JaxtrackError(f"storage {key} has {len(raw)} bytes, expected "
                                    f"{storage.numel * dtype.itemsize}")
            data[key] = np.frombuffer(raw, dtype, storage.numel)
    return obj, data


def read_state_dict(path):
    """Load a ``torch.save`` file (legacy or zip format) without torch.

    Args:
      path: the checkpoint file.
    Returns:
      The saved object with every tensor as a new numpy array (native byte order, its dtype:
      float32, float16, int64, ...): for a ``state_dict``, an ``OrderedDict`` of key -> array.
    Raises:
      UnsupportedCheckpoint: the file refers to other globals than tensors, storages and
        ``OrderedDict``, or is in the pre-1.0 tar format, or big-endian legacy.
      JaxtrackError: the file is missing, truncated or not a PyTorch checkpoint (naming it).
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            start = f.read(512)
            f.seek(0)
            if start.startswith(b"PK\x03\x04"):
                obj, data = read_zip(path)
            elif len(start) >= 262 and start[257:262] == b"ustar":
                raise UnsupportedCheckpoint("the pre-1.0 tar checkpoint format")
            else:
                obj, data = read_legacy(f)
        return resolve(obj, data)
    except FileNotFoundError:
        raise JaxtrackError(f"checkpoint {path!r} does not exist") from None
    except UnsupportedCheckpoint as error:
        raise UnsupportedCheckpoint(f"cannot read {path!r}: {error}") from None
    except (JaxtrackError, pickle.UnpicklingError, zipfile.BadZipFile, EOFError, KeyError,
            ValueError, TypeError, AttributeError, IndexError, OSError) as error:
        detail = error if isinstance(error, JaxtrackError) else f"{type(error).__name__}: {error}"
        raise JaxtrackError(f"cannot read {path!r} as a PyTorch checkpoint (truncated or "
                            f"corrupt?): {detail}") from None

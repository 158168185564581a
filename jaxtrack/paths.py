"""Local paths and storage URLs (``gs://bucket/run``, ``s3://...``) behind one type.

Every file a training run, an export, an evaluation or a reader reads or writes is named by a
:func:`path`: an ``etils.epath.Path``, which is ``pathlib``-like for local files and goes through
fsspec (gcsfs, s3fs) for URLs; orbax and tensorstore take the same objects and write ``gs://``
natively. Object stores replace whole objects, so files are written in one piece
(:func:`write_text`, :func:`write_bytes`); local writes are atomic (:func:`jaxtrack.files.atomic_write`).
The readers' many small look-ups (:func:`listdir`, :func:`is_file`, :func:`is_dir`, :func:`read_bytes`)
go straight to ``os`` for local paths: an ``epath.Path`` per listed frame would make opening a large
local benchmark many times slower.
"""

from __future__ import annotations

import os

from etils import epath

from jaxtrack.files import atomic_write


def is_url(location):
    """``location`` (str or path) names an object store (``scheme://...``), not a local file."""
    return "://" in os.fspath(location)


def path(location):
    """``location`` as an ``epath.Path``: URLs as they are, local paths made absolute."""
    return epath.Path(location) if is_url(location) else epath.Path(os.path.abspath(os.fspath(location)))


def listdir(location):
    """Names of the entries of folder ``location``, in no particular order."""
    return [p.name for p in path(location).iterdir()] if is_url(location) else os.listdir(location)


def is_file(location):
    """``location`` exists and is a file."""
    return path(location).is_file() if is_url(location) else os.path.isfile(location)


def is_dir(location):
    """``location`` exists and is a folder (for an object store: a prefix holding objects)."""
    return path(location).is_dir() if is_url(location) else os.path.isdir(location)


def read_bytes(location):
    """The content of file ``location`` (``FileNotFoundError`` if it is missing)."""
    if is_url(location):
        return path(location).read_bytes()
    with open(location, "rb") as f:
        return f.read()


def write_text(location, text):
    """Write ``text`` to ``location`` in one piece (atomically for local files)."""
    write_bytes(location, text.encode("utf-8"))


def write_bytes(location, data):
    """Write ``data`` to ``location`` in one piece (atomically for local files), parents created."""
    target = path(location)
    if is_url(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    else:
        atomic_write(os.fspath(target), data)

"""Writing files: atomically (readers never see a partial one), with the user's umask, and only
inside the folder the user gave."""

from __future__ import annotations

import os
import tempfile

from jaxtrack.errors import JaxtrackError


def plain_name(name, where):
    """``name`` if it is a plain file name (no separator, not ``.``/``..``, not absolute, no NUL);
    else a :class:`JaxtrackError` naming ``where`` (file and line or entry)."""
    name = str(name)
    if not name or name in (".", "..") or any(c in name for c in "/\\\0") or os.path.isabs(name):
        raise JaxtrackError(f"{where}: {name!r} is not a plain sequence or file name (no path separators, "
                            "'..' or absolute paths)")
    return name


def inside(folder, *parts):
    """``folder/parts..``; a :class:`JaxtrackError` if the joined path leaves ``folder`` (``..``,
    an absolute part). Checked on the names, not through symbolic links the user made."""
    base = os.path.abspath(folder)
    path = os.path.normpath(os.path.join(base, *map(str, parts)))
    if os.path.commonpath([base, path]) != base:
        raise JaxtrackError(f"refusing {path}: it is not inside {folder}")
    return os.path.join(str(folder), *map(str, parts))


def writable_file(path, what):
    """Raise :class:`JaxtrackError` unless a file can be written at ``path``: not a directory, and
    its nearest existing folder writable (checked before the work that produces it)."""
    if os.path.isdir(path):
        raise JaxtrackError(f"{what} {path} is a directory; give a file name")
    _writable_folder(os.path.dirname(os.path.abspath(path)), f"{what} {path}")


def writable_dir(path, what):
    """Raise :class:`JaxtrackError` unless ``path`` is or can become a writable directory."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise JaxtrackError(f"{what} {path} is a file, not a directory")
    _writable_folder(os.path.abspath(path), f"{what} {path}")


def _writable_folder(folder, what):
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
        raise JaxtrackError(f"{what}: cannot write in {folder}")


def atomic_write(path, data):
    """Write ``data`` (str or bytes) to ``path`` through a temporary file in the same folder and
    ``os.replace``: readers never see a partial file. The file gets the mode a plain ``open``
    would give it (0666 less the umask), not ``mkstemp``'s 0600."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask

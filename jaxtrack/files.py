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


def atomic_write(path, data):
    """Write ``data`` (str or bytes) to ``path`` through a temporary file in the same folder and
    ``os.replace``: readers never see a partial file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise

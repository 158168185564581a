"""Writing files so that readers never see a partial one."""

from __future__ import annotations

import os
import tempfile


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

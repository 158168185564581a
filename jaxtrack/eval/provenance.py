"""Which tracker produced a results folder: a record beside the results, checked before a resume.

``<results>/producer.json`` holds the tracker's record (:mod:`jaxtrack.track.identity`: the
weights' digest, the parameter set and its values, the code version). A run that finds results
from another producer refuses to mix them (or, with ``force``, clears the folder first); results
without a record (written before records existed) are adopted with a note.
"""

from __future__ import annotations

import json
import sys

from jaxtrack import paths
from jaxtrack.errors import JaxtrackError
from jaxtrack.files import inside

RECORD_FILE = "producer.json"


def tracker_record(factory):
    """The record of a tracker factory (its ``record()``), or None when it has none (e.g. a test lambda)."""
    record = getattr(factory, "record", None)
    return None if record is None else json.loads(json.dumps(record()))


def claim(out_dir, record, *, force=False):
    """Make ``out_dir`` hold results of ``record``'s producer only.

    A folder with the same record (or without results) is kept for resuming; with another
    record, ``force`` removes its results, else a :class:`JaxtrackError` says what differs.
    ``out_dir`` may be local or a URL (:mod:`jaxtrack.paths`).
    """
    if record is None:
        return
    path, folder = inside(out_dir, RECORD_FILE), paths.path(out_dir)
    saved = _saved(path)
    if saved == record:
        return
    if saved is not None:
        if not force:
            changed = ", ".join(f"{k} {saved.get(k)!r} -> {record.get(k)!r}" for k in sorted(set(saved) | set(record))
                                if saved.get(k) != record.get(k))
            raise JaxtrackError(f"{out_dir} holds results of another tracker ({changed}); pass --force to "
                                "replace them, or write to another folder")
        folder.rmtree()
    elif folder.is_dir() and any(folder.iterdir()):
        if force:
            folder.rmtree()
        else:
            print(f"note: {out_dir} has results without a record of their producer; they are kept as this "
                  "tracker's (pass --force to replace them)", file=sys.stderr)
    paths.write_text(path, json.dumps(record, indent=1) + "\n")


def _saved(path):
    try:
        return json.loads(paths.path(path).read_bytes())
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {"unreadable": path}

"""OTB's temporal robustness (TRE) restarts: a sequence split into segments that start later in
the video and run to its end, each tracked from its own first ground-truth box.

OTB's toolkit starts 20 segments per sequence; :func:`restart_segments` takes ``count`` starts
evenly spaced over the video (the first at frame 0), each moved forward to the next frame with a
valid, visible box, and scores each segment as a sequence of its own.
"""

from __future__ import annotations

import numpy as np

from jaxtrack.data.sequence import Dataset, Sequence
from jaxtrack.errors import JaxtrackError

SEPARATOR = "~"
"""Segment names are ``<sequence><SEPARATOR><start frame, 0-based, 4 digits>``."""


def restart_frames(sequence, count):
    """The 0-based start frames of ``sequence``'s ``count`` segments (duplicates removed)."""
    if count < 1:
        raise JaxtrackError(f"restarts: count must be >= 1, got {count}")
    valid = np.flatnonzero(sequence.valid)
    if not len(valid):
        raise JaxtrackError(f"sequence {sequence.name!r} has no valid box to start a segment at")
    starts = []
    for i in range(count):
        wanted = (len(sequence) * i) // count
        later = valid[valid >= wanted]
        if len(later) and len(sequence) - later[0] >= 2 and later[0] not in starts:
            starts.append(int(later[0]))
    return starts


def restart_segments(dataset, count):
    """``dataset`` -> a :class:`Dataset` of its restart segments, ``count`` per sequence (fewer
    when starts coincide); a segment's ``attributes`` record ``sequence`` and ``start``."""
    segments = []
    for sequence in dataset:
        for start in restart_frames(sequence, count):
            segments.append(Sequence(
                name=f"{sequence.name}{SEPARATOR}{start:04d}", frames=sequence.frames[start:],
                boxes=sequence.boxes[start:], absent=sequence.absent[start:],
                attributes={"sequence": sequence.name, "start": start}))
    return Dataset(f"{dataset.name}-restarts", segments)

"""A run's metrics: written as JSON lines and TensorBoard events, read back for plots.

Each record holds the step's loss terms and label counts, ``learning_rate``, and over the steps
since the previous record ``pairs_per_second`` and ``skipped_pairs`` (draws the pair sampler
skipped for bad input).
"""

from __future__ import annotations

import io
import json
import math
import pathlib

import numpy as np

from jaxtrack import paths
from jaxtrack.errors import JaxtrackError
from jaxtrack.files import atomic_write


class MetricsLog:
    """JSONL + TensorBoard writer for process 0; a no-op elsewhere.

    ``workdir`` may be a URL (:mod:`jaxtrack.paths`): ``metrics.jsonl`` is rewritten whole at each
    record (object stores cannot append; a few hundred kB for a long run), TensorBoard events go
    through :func:`jaxtrack.paths.path` as well (rewritten at each flush) instead of tensorboardX's
    own cloud clients.
    """

    def __init__(self, workdir, enabled):
        self.enabled = enabled
        if enabled:
            from tensorboardX import SummaryWriter, record_writer

            workdir = paths.path(workdir)
            self.jsonl_path = workdir / "metrics.jsonl"
            self.lines = self.jsonl_path.read_text() if self.jsonl_path.exists() else ""
            if paths.is_url(workdir):
                record_writer.register_writer_factory(str(workdir).split(":", 1)[0], _PathRecordWriterFactory())
            self.tensorboard = SummaryWriter(str(workdir / "tensorboard"))

    def write(self, step, values):
        if not self.enabled:
            return
        self.lines += json.dumps({"step": int(step), **{k: float(v) for k, v in values.items()}}) + "\n"
        paths.write_text(self.jsonl_path, self.lines)
        for name, value in values.items():
            self.tensorboard.add_scalar(name, float(value), int(step))

    def close(self):
        if self.enabled:
            self.tensorboard.close()


def truncate_metrics(path, step, aside):
    """Keep the records of ``path`` (metrics.jsonl) up to ``step``; append the later ones to
    ``aside`` (a file beside the set-aside checkpoints)."""
    path = pathlib.Path(path)
    if not path.exists():
        return
    kept, later = [], []
    for line in path.read_text().splitlines(keepends=True):
        try:
            record_step = int(json.loads(line)["step"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue  # a torn last line
        (kept if record_step <= step else later).append(line)
    with open(aside, "a") as f:
        f.writelines(later)
    atomic_write(path, "".join(kept))


class _PathRecordWriterFactory:
    """tensorboardX writer factory for URLs: event files written through :mod:`jaxtrack.paths`."""

    def open(self, location):
        return _PathRecordWriter(location)

    def directory_check(self, location):
        paths.path(location).mkdir(parents=True, exist_ok=True)


class _PathRecordWriter:
    """An event file kept in memory and written whole at each flush (object stores replace objects)."""

    def __init__(self, location):
        self.location, self.buffer = location, io.BytesIO()

    def write(self, data):
        self.buffer.write(data)

    def flush(self):
        paths.write_bytes(self.location, self.buffer.getvalue())

    def close(self):
        self.flush()


def read_metrics(path):
    """metrics.jsonl -> (steps (T,), {name: (T,) values}), one record per step (the last logged)."""
    lines = paths.path(path).read_text().splitlines()
    by_step = {}
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines) - 1:  # a run still writing its last line
                continue
            raise
        by_step[int(record["step"])] = record
    steps = np.array(sorted(by_step))
    names = sorted({name for record in by_step.values() for name in record} - {"step"})
    return steps, {name: np.array([by_step[s].get(name, np.nan) for s in steps], float) for name in names}


def check_finite(step, metrics):
    """Raise naming the step and the offending terms if any metric is NaN or infinite."""
    bad = [name for name, value in metrics.items() if not math.isfinite(float(value))]
    if bad:
        raise JaxtrackError(f"step {step}: non-finite {', '.join(bad)}; the run stops here and the last "
                            "good checkpoint is kept (lower the learning rate or check the data)")

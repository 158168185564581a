"""A run's metrics: written as JSON lines and TensorBoard events, read back for plots.

Each record holds the step's loss terms and label counts, ``learning_rate``, and over the steps
since the previous record ``pairs_per_second`` and ``skipped_pairs`` (draws the pair sampler
skipped for bad input).
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np

from jaxtrack.errors import JaxtrackError
from jaxtrack.files import atomic_write


class MetricsLog:
    """JSONL + TensorBoard writer for process 0; a no-op elsewhere."""

    def __init__(self, workdir, enabled):
        self.enabled = enabled
        if enabled:
            from tensorboardX import SummaryWriter

            self.jsonl = open(pathlib.Path(workdir) / "metrics.jsonl", "a")
            self.tensorboard = SummaryWriter(str(pathlib.Path(workdir) / "tensorboard"))

    def write(self, step, values):
        if not self.enabled:
            return
        self.jsonl.write(json.dumps({"step": int(step), **{k: float(v) for k, v in values.items()}}) + "\n")
        self.jsonl.flush()
        for name, value in values.items():
            self.tensorboard.add_scalar(name, float(value), int(step))

    def close(self):
        if self.enabled:
            self.jsonl.close()
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


def read_metrics(path):
    """metrics.jsonl -> (steps (T,), {name: (T,) values}), one record per step (the last logged)."""
    lines = pathlib.Path(path).read_text().splitlines()
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

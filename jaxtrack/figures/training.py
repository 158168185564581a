"""Pictures of training runs, from the ``metrics.jsonl`` that every run writes."""

from __future__ import annotations

import pathlib

import matplotlib.pyplot as plt

from jaxtrack.train.metrics_log import read_metrics


def training_curves(path, runs):
    """Plot total loss and positives per image over the steps of ``{name: workdir}`` runs (a
    resumed run logs some steps twice: the last record of a step wins)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, workdir in runs.items():
        steps, metrics = read_metrics(pathlib.Path(workdir) / "metrics.jsonl")
        left.plot(steps, metrics["total"], label=name)
        right.plot(steps, metrics["positives"], label=name)
    left.set(xlabel="step", ylabel="total loss", title="training loss")
    right.set(xlabel="step", ylabel="positives per pair", title="positives from the assigner")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

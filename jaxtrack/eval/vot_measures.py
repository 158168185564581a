"""VOT2018/2019 baseline (reset-based) measures: accuracy, robustness and EAO, NumPy float64.

Protocol (VOT toolkit, as reimplemented by pysot): the tracker is initialised on frame 0; when its
region stops overlapping the ground truth (overlap <= 0) the frame is a failure, the next
``skip - 1 = 4`` frames are skipped and the tracker is re-initialised ``skip = 5`` frames after
the failure. A run is stored as a :class:`~jaxtrack.eval.result_files.ResetRecord` (the VOT result file writes ``1`` for an
initialisation, ``2`` for a failure, ``0`` for a skipped frame, else the region).

* accuracy: mean overlap over predicted frames, ignoring the ``burnin = 10`` frames from every
  initialisation (the initialisation frame included); per frame averaged over runs, then pooled
  over all frames of all sequences.
* robustness: failures per 100 frames (pysot's number, e.g. 0.234 for SiamRPN++ on VOT2018);
  ``failures`` is the total count, averaged over runs.
* EAO: each run is cut into segments, one per initialisation. A segment ending in a failure
  continues with overlap 0 for ever; one reaching the sequence end is undefined beyond it. The
  expected overlap of length ``L`` averages, over segments defined at ``L``, the mean overlap of the
  segment's frames 2..L (the initialisation frame excluded); length 1 has expected overlap 1. EAO
  is its mean over ``L`` in the benchmark's range. Segments are weighted equally (pysot).
  Differences to pysot: pysot treats a failure less than ``skip`` frames before the sequence end
  as no failure, and computes in float32.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxtrack.polygons import polygon_iou
from jaxtrack.eval.result_files import FAILURE, INIT, PREDICTED


@dataclasses.dataclass(frozen=True)
class VotConvention:
    """Settings of one VOT baseline experiment; ``name`` is recorded in every result."""

    name: str
    eao_range: tuple[int, int]
    skip: int = 5
    burnin: int = 10

    def as_dict(self):
        return dataclasses.asdict(self)


VOT_CONVENTIONS = {
    "vot2018": VotConvention("vot2018", (100, 356)),
    "vot2019": VotConvention("vot2019", (46, 291)),
}


def record_overlaps(record, gt_polygons, bound=None, burnin=0):
    """(T,) overlaps of a run: NaN on coded frames and on ``burnin`` frames from each initialisation."""
    overlaps = polygon_iou(record.regions, gt_polygons, bound)
    overlaps[record.codes != PREDICTED] = np.nan
    for start in np.flatnonzero(record.codes == INIT):
        overlaps[start:start + burnin] = np.nan
    return overlaps


def accuracy_robustness(records, gt_polygons, bounds, burnin=10):
    """Accuracy and robustness of runs on several sequences.

    Args:
      records: per sequence, a list of :class:`~jaxtrack.eval.result_files.ResetRecord` (one per run).
      gt_polygons: per sequence, (T, 8) ground-truth polygons.
      bounds: per sequence, the image ``(width, height)`` (or None).

    Returns:
      dict ``accuracy`` (in [0, 1]), ``failures`` (mean over runs of the total), ``robustness``
      (failures per 100 frames), and per-sequence ``sequence_accuracy`` / ``sequence_failures``.
    """
    frame_means, seq_acc, seq_fail, total = [], [], [], 0
    for runs, gt, bound in zip(records, gt_polygons, bounds):
        overlaps = np.array([record_overlaps(r, gt, bound, burnin) for r in runs])
        valid = np.isfinite(overlaps)
        counts = valid.sum(0)
        per_frame = np.where(counts > 0, np.where(valid, overlaps, 0).sum(0) / np.maximum(counts, 1), np.nan)
        frame_means.append(per_frame)
        seq_acc.append(_nanmean(per_frame))
        seq_fail.append(float(np.mean([np.count_nonzero(r.codes == FAILURE) for r in runs])))
        total += len(gt)
    failures = float(np.sum(seq_fail))
    return {"accuracy": _nanmean(np.concatenate(frame_means)), "failures": failures,
            "robustness": 100.0 * failures / total,
            "sequence_accuracy": seq_acc, "sequence_failures": seq_fail}


def expected_overlap_curve(records, overlaps):
    """Expected overlap for every length 1..max(T) -> float64 (max T,).

    Args:
      records: :class:`~jaxtrack.eval.result_files.ResetRecord` of every run of every sequence; a segment starts at each
        ``INIT`` code and fails at the first ``FAILURE`` after it.
      overlaps: their (T,) overlaps without burn-in (:func:`record_overlaps`, NaN = no overlap).
    """
    max_len = max(len(o) for o in overlaps)
    segments = []  # rows: overlaps from a (re)initialisation, 0-padded after a failure, NaN past the end
    for record, o in zip(records, overlaps):
        o = np.nan_to_num(o, nan=0.0)
        starts = np.flatnonzero(record.codes == INIT)
        for start, stop in zip(starts, list(starts[1:]) + [len(o)]):
            failed = np.flatnonzero(record.codes[start:stop] == FAILURE)
            row = np.full(max_len, np.nan)
            if len(failed):
                row[:] = 0.0
                stop = start + failed[0]
            row[:stop - start] = o[start:stop]
            segments.append(row)
    segments = np.array(segments)
    curve = np.ones(max_len)
    cumulative = np.nancumsum(segments[:, 1:], axis=1)
    for i in range(1, max_len):
        defined = np.isfinite(segments[:, i])
        curve[i] = np.mean(cumulative[defined, i - 1] / i) if np.any(defined) else np.nan
    return curve


def expected_average_overlap(curve, eao_range):
    """Mean of the expected-overlap ``curve`` over lengths ``eao_range = (low, high)`` inclusive."""
    low, high = eao_range
    return _nanmean(curve[low - 1:high])


def score_reset_runs(records, gt_polygons, bounds, names, convention):
    """All VOT baseline scores -> ``{"convention", "overall", "sequences"}`` (see module docstring)."""
    convention = VOT_CONVENTIONS[convention] if isinstance(convention, str) else convention
    ar = accuracy_robustness(records, gt_polygons, bounds, convention.burnin)
    flat = [(r, record_overlaps(r, gt, bound)) for runs, gt, bound in zip(records, gt_polygons, bounds) for r in runs]
    curve = expected_overlap_curve([r for r, _ in flat], [o for _, o in flat])
    overall = {"accuracy": ar["accuracy"], "robustness": ar["robustness"], "failures": ar["failures"],
               "eao": expected_average_overlap(curve, convention.eao_range),
               "eao_curve": curve.tolist(), "sequences": len(names)}
    sequences = {name: {"accuracy": acc, "failures": fail, "frames": len(gt)}
                 for name, acc, fail, gt in zip(names, ar["sequence_accuracy"], ar["sequence_failures"], gt_polygons)}
    return {"convention": convention.as_dict(), "overall": overall, "sequences": sequences}


def _nanmean(values):
    values = np.asarray(values, np.float64)
    finite = values[np.isfinite(values)]
    return float(np.mean(finite)) if len(finite) else float("nan")

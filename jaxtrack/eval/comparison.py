"""Paired comparisons of trained trackers over seeds and sequences, with bootstrap intervals.

Scores are held as float (S, Q) matrices: one row per training seed, one column per test
sequence (or restart segment), the same seeds and sequences for every rule, so that rules are
compared on paired units. The two-level bootstrap resamples seeds with replacement, then
sequences with replacement, and takes the mean of the resampled matrix: its interval reflects
both the variance between training runs and between test sequences.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from jaxtrack.errors import JaxtrackError

CLAIM_RULE = ("a rule is called better (worse) than the baseline on a test set only if the 95% two-level "
              "bootstrap interval of its mean paired difference lies wholly above (below) 0 and every seed's "
              "mean difference has the same sign; otherwise the verdict is 'no difference shown'. Rules "
              "trained with fewer than 3 seeds get intervals but no verdict.")
"""The verdict rule, fixed before any run (printed with every verdict)."""
MIN_SEEDS_FOR_VERDICT = 3


def _matrix(scores, name="scores"):
    scores = np.asarray(scores, float)
    if scores.ndim != 2 or 0 in scores.shape or not np.all(np.isfinite(scores)):
        raise JaxtrackError(f"{name} must be a finite (seeds, sequences) matrix, got shape {scores.shape}")
    return scores


def bootstrap_means(scores, *, resamples=10000, seed=0):
    """Two-level bootstrap of the mean of ``scores`` (S, Q) -> float (resamples,) means."""
    scores = _matrix(scores)
    rng = np.random.default_rng(seed)
    num_seeds, num_sequences = scores.shape
    seeds = rng.integers(num_seeds, size=(resamples, num_seeds))
    sequences = rng.integers(num_sequences, size=(resamples, num_sequences))
    # the mean over the resampled seeds x sequences grid is the mean, over the resampled seeds, of
    # each seed row's mean over the resampled sequences
    row_means = scores[:, sequences].mean(axis=2).T  # (resamples, S)
    return np.take_along_axis(row_means, seeds, axis=1).mean(axis=1)


def interval(scores, *, level=0.95, resamples=10000, seed=0):
    """(mean, low, high): the mean of ``scores`` (S, Q) and its two-level bootstrap interval."""
    means = bootstrap_means(scores, resamples=resamples, seed=seed)
    tail = 100 * (1 - level) / 2
    return float(np.mean(scores)), float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


@dataclasses.dataclass(frozen=True)
class Contrast:
    """A rule against the baseline on one test set.

    Attributes:
      mean, low, high: mean paired difference (rule - baseline) and its 95% two-level interval.
      per_seed: (S,) mean difference of each seed.
      leave_one_out: (min, max) of the mean difference with one sequence left out.
      verdict: ``"better"``, ``"worse"``, ``"no difference shown"`` or ``"no verdict (N seeds)"``,
        by :data:`CLAIM_RULE`.
    """

    mean: float
    low: float
    high: float
    per_seed: tuple
    leave_one_out: tuple
    verdict: str


def contrast(rule_scores, baseline_scores, *, resamples=10000, seed=0):
    """Paired comparison of two (S, Q) score matrices (the rule's seeds paired with the
    baseline's first S seeds, sequences in the same order) -> :class:`Contrast`."""
    rule_scores = _matrix(rule_scores, "rule scores")
    baseline_scores = _matrix(baseline_scores, "baseline scores")
    if rule_scores.shape[1] != baseline_scores.shape[1] or rule_scores.shape[0] > baseline_scores.shape[0]:
        raise JaxtrackError(f"cannot pair scores of shape {rule_scores.shape} with the baseline's "
                            f"{baseline_scores.shape}")
    diff = rule_scores - baseline_scores[:rule_scores.shape[0]]
    mean, low, high = interval(diff, resamples=resamples, seed=seed)
    per_seed = diff.mean(axis=1)
    if diff.shape[1] > 1:
        left_out = [np.delete(diff, q, axis=1).mean() for q in range(diff.shape[1])]
    else:
        left_out = [mean]
    if diff.shape[0] < MIN_SEEDS_FOR_VERDICT:
        verdict = f"no verdict ({diff.shape[0]} seed{'s' if diff.shape[0] > 1 else ''})"
    elif low > 0 and np.all(per_seed > 0):
        verdict = "better"
    elif high < 0 and np.all(per_seed < 0):
        verdict = "worse"
    else:
        verdict = "no difference shown"
    return Contrast(mean, low, high, tuple(float(d) for d in per_seed),
                    (float(min(left_out)), float(max(left_out))), verdict)

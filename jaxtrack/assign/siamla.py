"""SiamLA's localization-aware labels (Nie et al., arXiv 2204.14093).

*Reconstruction.* Only the abstract is public: it names LADL (localization-aware dynamic labels)
and LALS (localization-aware label smoothing) without formulas. jaxtrack's reading, close to
GFL/VarifocalNet practice, with every choice a keyword argument:

- LADL: positives, for classification and regression alike, come from geometry (DLA over the
  model's samples with a geometric statistic, by default jaxtrack's ``dla_plus`` setting, so that
  every valid target has a positive). A positive's classification target then moves from 1
  towards the IoU of the box predicted there (a stop-gradient constant, floored):
  ``(1 - w) + w * max(IoU_pred, quality_floor)``, ``w`` ramping 0 -> 1 over the first
  ``warmup_steps`` training steps, because a randomly initialised head's boxes say nothing about
  localization. Near-miss candidates (among the ``k`` nearest, centre inside the box, not
  positive) are ignored rather than pushed to 0. Pair it with a quality focal loss (GFL, Li et
  al. 2020). The score then ranks samples by how well they localise.
- LALS: label smoothing whose strength follows a localization measure ``q`` in [0, 1] instead of
  a uniform epsilon: ``soft' = (1 - eps) * soft + eps * q``. ``q`` must not be LADL's own target
  (or LALS is the identity at the positives): by default the centreness of the sample in the box,
  so a central positive keeps a target near its LADL value and an off-centre one is pulled down,
  and a negative inside the box gets a small positive target.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtrack import boxes as bx
from jaxtrack.assign import labels as lb
from jaxtrack.assign.dla import dla, nearest_candidates
from jaxtrack.assign.fixed import center_region

POSITIVE_RULES = {
    "dla": lambda samples, gt, pred_boxes, negative, o: dla(
        samples, gt, k=o["k"], statistic=o["statistic"], std_scale=o["std_scale"], center_inside=o["center_inside"],
        keep_best=o["keep_best"], pred_boxes=pred_boxes, negative=negative),
    "center_region": lambda samples, gt, pred_boxes, negative, o: center_region(
        samples, gt, margin=o["margin"], negative=negative),
}
"""Where LADL's positives come from: ``positives`` name -> ``rule(samples, gt, pred_boxes, negative,
options) -> Labels``."""
MEASURES = ("iou", "centerness")


def iou_weight_at(step, warmup_steps):
    """LADL's ramp: ``w = clip(step / warmup_steps, 0, 1)`` (1 from the start if ``warmup_steps``
    <= 0) -> float32 scalar; both may be traced."""
    step = jnp.asarray(step, jnp.float32)
    warmup_steps = jnp.asarray(warmup_steps, jnp.float32)
    ramp = jnp.clip(step / jnp.maximum(warmup_steps, 1.0), 0.0, 1.0)
    return jnp.where(warmup_steps > 0, ramp, 1.0)


def ladl(samples, gt, pred_boxes, *, step=0, positives="dla", k=16, statistic="virtual_iou", std_scale=1.0,
         center_inside=True, keep_best=True, margin=0.3, warmup_steps=1000, iou_weight=None, quality_floor=0.1,
         ignore_inside=True, negative=False):
    """Localization-aware dynamic labels (reconstruction, see the module docstring).

    Args:
      samples: float32 (N, 2) points or (N, 4) anchors.
      gt: float32 (4,) xyxy box.
      pred_boxes: float32 (N, 4) xyxy boxes the model predicts at the samples (crop pixels);
        treated as constants.
      step: int32 scalar, may be traced: the training step (drives the ramp).
      positives: ``"dla"`` (with ``k``, ``statistic``, ``std_scale``, ``center_inside``,
        ``keep_best``) or ``"center_region"`` (with ``margin``); static. The defaults are
        ``dla_plus`` (16 nearest, virtual 64 px anchors' IoU, mean + 1 std, the best candidate
        kept): geometric, so the positives do not depend on an untrained head, and keep_best
        leaves no target of the study's population without a positive (ATSS's k = 9 leaves
        26-59% of them none). ``statistic="pred_iou"`` is still accepted (positives from the
        predictions).
      warmup_steps: steps over which ``w`` ramps from 0 to 1 (<= 0: ``w = 1`` throughout; may be
        traced). Default 1000: half of the CPU ablation's 2000 steps, so the head regresses
        usable boxes before their IoU becomes the target; at paper scale set it to the LR
        warm-up (``experiments/siamla_r50.py``).
      iou_weight: a fixed ``w`` in [0, 1] instead of the ramp (None: the ramp; may be traced).
      quality_floor: lower bound of the predicted IoU in the target (default 0.1: a positive's
        target never falls to a negative's 0, which would fight its regression weight).
      ignore_inside: the ``k`` nearest samples whose centre is strictly inside the box but that
        are not positive get ``cls`` -1 (not trained), not 0 (default on: they overlap the
        target, and calling them background contradicts the soft targets of their neighbours).
      negative: bool, may be traced: a negative pair (every sample negative, nothing ignored).
    Returns:
      :class:`jaxtrack.assign.Labels`: ``soft`` is ``(1 - w) + w * max(IoU_pred, floor)`` at
      positives, 0 elsewhere; ``box_weight`` from the positive rule (the same positives).
    """
    samples, gt = lb.check_inputs(samples, gt, "ladl")
    pred_boxes = jnp.asarray(pred_boxes, jnp.float32)
    if pred_boxes.shape != (samples.shape[0], 4):
        raise ValueError(f"ladl: pred_boxes must be ({samples.shape[0]}, 4) xyxy, got {pred_boxes.shape}")
    if positives not in POSITIVE_RULES:
        raise ValueError(f"ladl: unknown positives rule {positives!r}; choose one of {sorted(POSITIVE_RULES)}")
    pred_boxes = jax.lax.stop_gradient(pred_boxes)
    options = dict(k=k, statistic=statistic, std_scale=std_scale, center_inside=center_inside, keep_best=keep_best,
                   margin=margin)
    base = POSITIVE_RULES[positives](samples, gt, pred_boxes, negative, options)
    positive = base.cls == lb.POSITIVE
    cls = base.cls
    if ignore_inside:
        centers = lb.sample_centers(samples)
        inside = jnp.min(lb.side_distances(centers, gt), axis=-1) > 0
        near_miss = nearest_candidates(centers, gt, k) & inside & (cls == lb.NEGATIVE) & ~jnp.asarray(negative, bool)
        cls = jnp.where(near_miss, lb.IGNORE, cls)
    w = iou_weight_at(step, warmup_steps) if iou_weight is None else jnp.asarray(iou_weight, jnp.float32)
    quality = jnp.maximum(jnp.nan_to_num(bx.iou(pred_boxes, gt[None, :])), quality_floor)
    soft = jnp.where(positive, (1.0 - w) + w * quality, 0.0)
    return base._replace(cls=cls, soft=soft.astype(jnp.float32))


def lals(labels, *, eps=0.1, measure="centerness", quality=None):
    """Localization-aware label smoothing (reconstruction): ``soft' = (1 - eps) soft + eps q``.

    Args:
      labels: :class:`jaxtrack.assign.Labels` from any assigner (hard or LADL soft targets).
      eps: smoothing strength in [0, 1] (may be traced).
      measure: the localization quality ``q``: ``"centerness"`` (``labels.centerness``, the
        default: it is not LADL's target, so the smoothing changes the positives' targets) or
        ``"iou"`` (``labels.iou``: the anchor's, or a point's virtual anchor's, IoU); ignored
        when ``quality`` is given.
      quality: optional float32 (N,) in [0, 1], e.g. the IoU of predicted boxes (a constant).
    Returns:
      ``labels`` with ``soft`` smoothed at every non-ignored sample.
    """
    if quality is None:
        if measure not in MEASURES:
            raise ValueError(f"lals: unknown measure {measure!r}; choose one of {MEASURES}")
        quality = labels.iou if measure == "iou" else labels.centerness
    quality = jnp.clip(jax.lax.stop_gradient(jnp.asarray(quality, jnp.float32)), 0.0, 1.0)
    if quality.shape != labels.soft.shape:
        raise ValueError(f"lals: quality must have shape {labels.soft.shape}, got {quality.shape}")
    smoothed = (1.0 - eps) * labels.soft + eps * quality
    return labels._replace(soft=jnp.where(labels.cls >= 0, smoothed, 0.0).astype(jnp.float32))

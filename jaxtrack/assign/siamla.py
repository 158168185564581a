"""SiamLA's localization-aware labels (Nie et al., arXiv 2204.14093).

*Reconstruction.* Only the abstract is public: it names LADL (localization-aware dynamic labels)
and LALS (localization-aware label smoothing) without formulas. jaxtrack's reading, with every
choice a keyword argument:

- LADL: choose positives dynamically (DLA over the IoU of the boxes the model predicts, or any
  fixed rule), then train the classifier towards the IoU of the box predicted at each positive
  (a stop-gradient constant) instead of 1, negatives towards 0; pair it with a quality focal
  loss (GFL, Li et al. 2020). The score then ranks samples by how well they localise.
- LALS: label smoothing whose strength follows a localization measure ``q`` in [0, 1] instead of
  a uniform epsilon: ``soft' = (1 - eps) * soft + eps * q``. A well-localised positive keeps a
  target near 1, a poorly localised one is pulled down; a negative that overlaps the target gets
  a small positive target, a far one stays at 0.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtrack import boxes as bx
from jaxtrack.assign import labels as lb
from jaxtrack.assign.dla import dla
from jaxtrack.assign.fixed import center_region

POSITIVE_RULES = {
    "dla": lambda samples, gt, pred_boxes, negative, o: dla(
        samples, gt, k=o["k"], statistic=o["statistic"], std_scale=o["std_scale"], center_inside=o["center_inside"],
        pred_boxes=pred_boxes, negative=negative),
    "center_region": lambda samples, gt, pred_boxes, negative, o: center_region(
        samples, gt, margin=o["margin"], negative=negative),
}
"""Where LADL's positives come from: ``positives`` name -> ``rule(samples, gt, pred_boxes, negative,
options) -> Labels``."""
MEASURES = ("iou", "centerness")


def ladl(samples, gt, pred_boxes, *, positives="dla", k=9, statistic="pred_iou", std_scale=1.0,
         center_inside=True, margin=0.3, quality_floor=0.0, negative=False):
    """Localization-aware dynamic labels (reconstruction, see the module docstring).

    Args:
      samples: float32 (N, 2) points or (N, 4) anchors.
      gt: float32 (4,) xyxy box.
      pred_boxes: float32 (N, 4) xyxy boxes the model predicts at the samples (crop pixels);
        treated as constants.
      positives: ``"dla"`` (with ``k``, ``statistic``, ``std_scale``, ``center_inside``) or
        ``"center_region"`` (with ``margin``); static.
      quality_floor: lower bound of a positive's soft target (keeps early-training targets off 0).
      negative: bool, may be traced: a negative pair.
    Returns:
      :class:`jaxtrack.assign.Labels` whose ``soft`` is the predicted IoU at positives, 0 at
      negatives.
    """
    samples, gt = lb.check_inputs(samples, gt, "ladl")
    pred_boxes = jnp.asarray(pred_boxes, jnp.float32)
    if pred_boxes.shape != (samples.shape[0], 4):
        raise ValueError(f"ladl: pred_boxes must be ({samples.shape[0]}, 4) xyxy, got {pred_boxes.shape}")
    if positives not in POSITIVE_RULES:
        raise ValueError(f"ladl: unknown positives rule {positives!r}; choose one of {sorted(POSITIVE_RULES)}")
    options = dict(k=k, statistic=statistic, std_scale=std_scale, center_inside=center_inside, margin=margin)
    base = POSITIVE_RULES[positives](samples, gt, pred_boxes, negative, options)
    quality = jax.lax.stop_gradient(bx.iou(pred_boxes, gt[None, :]))
    quality = jnp.maximum(jnp.nan_to_num(quality), quality_floor)
    soft = jnp.where(base.cls == lb.POSITIVE, quality, 0.0)
    return base._replace(soft=soft.astype(jnp.float32))


def lals(labels, *, eps=0.1, measure="iou", quality=None):
    """Localization-aware label smoothing (reconstruction): ``soft' = (1 - eps) soft + eps q``.

    Args:
      labels: :class:`jaxtrack.assign.Labels` from any assigner (hard or LADL soft targets).
      eps: smoothing strength in [0, 1] (may be traced).
      measure: the localization quality ``q``: ``"iou"`` (``labels.iou``) or ``"centerness"``
        (``labels.centerness``); ignored when ``quality`` is given.
      quality: optional float32 (N,) in [0, 1], e.g. the IoU of predicted boxes.
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

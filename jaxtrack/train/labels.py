"""The label step of training: an assigner config -> a batched, jit-able labelling function.

The labeller runs inside the jitted training step (``vmap`` over the batch), on the devices, so
label assignment costs no host time. Dynamic rules (DLA over predicted-box IoU, LADL, LALS with
``measure="pred_iou"``) read the boxes the model predicts in the same step, as constants.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtrack import boxes as bx
from jaxtrack.assign import ASSIGNERS, center_region, dla, fixed_iou, ladl, lals
from jaxtrack.assign.labels import Labels
from jaxtrack.errors import JaxtrackError

LALS_MEASURES = ("iou", "centerness", "pred_iou")


def _one_box(name, options, samples):
    """``fn(gt, negative, key, pred_boxes) -> Labels`` for one box."""
    if name == "fixed_iou":
        if samples.shape[-1] != 4:
            raise JaxtrackError("assigner fixed_iou needs an anchor-based model (e.g. siamrpn*)")
        return lambda gt, negative, key, pred: fixed_iou(samples, gt, key, negative=negative, **options)
    if name == "center_region":
        return lambda gt, negative, key, pred: center_region(samples, gt, negative=negative, **options)
    if name == "dla":
        if "k" not in options or "statistic" not in options:
            raise JaxtrackError("assigner dla needs k and statistic (e.g. k=9, statistic='virtual_iou')")
        subsampled = options.get("pos_num") is not None
        return lambda gt, negative, key, pred: dla(
            samples, gt, negative=negative, pred_boxes=pred if options["statistic"] == "pred_iou" else None,
            key=key if subsampled else None, **options)
    if name == "ladl":
        return lambda gt, negative, key, pred: ladl(samples, gt, pred, negative=negative, **options)
    raise JaxtrackError(f"unknown assigner {name!r}; choose one of {', '.join(ASSIGNERS.names())}")


def make_labeler(config, samples):
    """Batched labelling function from an assigner config.

    Args:
      config: dict (or ConfigDict) ``{"name": ..., **assigner keyword arguments}``, optionally with
        ``"lals": {"eps": ..., "measure": "iou" | "centerness" | "pred_iou"}`` applied after it.
      samples: (N, 4) anchors or (N, 2) points of the model's score map.
    Returns:
      ``labeler(boxes (B, 4), negative (B,), key, pred_boxes (B, N, 4)) -> Labels`` with a leading
      batch axis. ``pred_boxes`` are treated as constants.
    """
    options = dict(config.to_dict() if hasattr(config, "to_dict") else config)
    name = options.pop("name", None)
    smoothing = options.pop("lals", None)
    samples = jnp.asarray(samples, jnp.float32)
    assign_one = _one_box(name, options, samples)
    if smoothing:
        smoothing = dict(smoothing)
        measure = smoothing.pop("measure", "iou")
        if measure not in LALS_MEASURES:
            raise JaxtrackError(f"lals measure must be one of {LALS_MEASURES}, got {measure!r}")

    def label_one(gt, negative, key, pred):
        labels = assign_one(gt, negative, key, pred)
        if smoothing:
            quality = bx.iou(pred, gt[None, :]) if measure == "pred_iou" else None
            labels = lals(labels, quality=quality, measure="iou" if quality is not None else measure,
                          **smoothing)
        return labels

    def labeler(boxes, negative, key, pred_boxes) -> Labels:
        keys = jax.random.split(key, boxes.shape[0])
        return jax.vmap(label_one)(boxes, negative, keys, jax.lax.stop_gradient(pred_boxes))

    return labeler

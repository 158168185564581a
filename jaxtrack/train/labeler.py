"""The label step of training: an assigner config -> a batched, jit-able labelling function.

The labeller runs inside the jitted training step (``vmap`` over the batch), on the devices, so
label assignment costs no host time. Dynamic rules (DLA over predicted-box IoU, LADL, LALS with
``measure="pred_iou"``) read the boxes the model predicts in the same step, as constants.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtrack import boxes as bx
from jaxtrack.assign import ASSIGNERS, Labels, lals
from jaxtrack.config import plain_dict
from jaxtrack.errors import JaxtrackError

LALS_MEASURES = ("iou", "centerness", "pred_iou")


def make_labeler(config, samples):
    """Batched labelling function from an assigner config.

    Args:
      config: dict (or ConfigDict) ``{"name": a rule of :data:`jaxtrack.assign.ASSIGNERS`, **its
        options}``, optionally with ``"lals": {"eps": ..., "measure": "centerness" (default) |
        "iou" | "pred_iou"}`` applied after it (to any rule's labels).
      samples: (N, 4) anchors or (N, 2) points of the model's score map.
    Returns:
      ``labeler(boxes (B, 4), negative (B,), key, pred_boxes (B, N, 4), step=0) -> Labels`` with a
      leading batch axis. ``pred_boxes`` are treated as constants; ``step`` (int32 scalar, may be
      traced) is the training step, ignored by rules without a schedule.

    Raises:
      JaxtrackError: unknown rule or options, or a rule for the other sample kind.
    """
    options = plain_dict(config, "assigner config")
    rule = ASSIGNERS.get(options.pop("name", None))
    smoothing = options.pop("lals", None)
    samples = jnp.asarray(samples, jnp.float32)
    rule.check(options, samples)
    if smoothing:
        smoothing = dict(smoothing)
        measure = smoothing.pop("measure", "centerness")
        if measure not in LALS_MEASURES:
            raise JaxtrackError(f"lals measure must be one of {LALS_MEASURES}, got {measure!r}")

    def label_one(gt, negative, key, pred, step):
        labels = rule(samples, gt, key=key, negative=negative, pred_boxes=pred, step=step, **options)
        if smoothing:
            quality = bx.iou(pred, gt[None, :]) if measure == "pred_iou" else None
            labels = lals(labels, quality=quality, measure="iou" if quality is not None else measure,
                          **smoothing)
        return labels

    def labeler(boxes, negative, key, pred_boxes, step=0) -> Labels:
        keys = jax.random.split(key, boxes.shape[0])
        return jax.vmap(label_one, in_axes=(0, 0, 0, 0, None))(
            boxes, negative, keys, jax.lax.stop_gradient(pred_boxes), jnp.asarray(step, jnp.int32))

    return labeler

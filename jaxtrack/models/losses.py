"""Training losses, pure and unweighted: each takes model outputs and a batched
:class:`jaxtrack.assign.Labels` (fields (B, N, ...)) and returns a scalar; :func:`losses` returns
the dict of named terms for a model's outputs. Weighting the terms (pysot: cls 1.0, loc 1.2;
SiamCAR: 1/3/1) is the trainer's job.

Reductions follow the reference code: statistics are pooled over the whole batch, and a term with
no sample to average over is 0 (pysot returns 0 for an empty selection).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

CLS_LOSSES = ("ce", "focal", "qfl")
QUALITY_REGIONS = ("positive", "inside")


def masked_mean(values, mask):
    """Mean of ``values`` where ``mask``; 0 when the mask is empty."""
    mask = mask.astype(values.dtype)
    return jnp.sum(values * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def binary_cross_entropy(logits, targets):
    """Element-wise binary cross-entropy with logits and soft targets in [0, 1]."""
    return jnp.maximum(logits, 0.0) - logits * targets + jnp.log1p(jnp.exp(-jnp.abs(logits)))


def foreground_logit(cls_logits):
    """Two-way logits (..., 2) (background, foreground) -> the foreground logit of the
    equivalent sigmoid, ``l1 - l0`` (softmax foreground = sigmoid of it)."""
    return cls_logits[..., 1] - cls_logits[..., 0]


def cross_entropy(cls_logits, labels):
    """pysot's ``select_cross_entropy_loss``: 0.5 * mean NLL of the positives + 0.5 * mean NLL of
    the negatives, on a 2-way log-softmax; ignored samples (``cls`` -1) do not count."""
    log_probs = jax.nn.log_softmax(cls_logits, axis=-1)
    return (0.5 * masked_mean(-log_probs[..., 1], labels.cls == 1)
            + 0.5 * masked_mean(-log_probs[..., 0], labels.cls == 0))


def weighted_l1(loc, labels):
    """pysot's ``weight_l1_loss``: sum over samples of ``box_weight * sum_4 |loc - box|``,
    divided by the batch size (``box_weight`` is 1/#pos at the kept positives)."""
    diff = jnp.sum(jnp.abs(loc - labels.box), axis=-1)
    return jnp.sum(diff * labels.box_weight) / loc.shape[0]


def ltrb_iou(pred, target):
    """Overlap of two boxes given as distances ``(l, t, r, b)`` from the same point ->
    (intersection, union), as SiamCAR's ``IOULoss`` computes them."""
    target_area = (target[..., 0] + target[..., 2]) * (target[..., 1] + target[..., 3])
    pred_area = (pred[..., 0] + pred[..., 2]) * (pred[..., 1] + pred[..., 3])
    width = jnp.minimum(pred[..., 0], target[..., 0]) + jnp.minimum(pred[..., 2], target[..., 2])
    height = jnp.minimum(pred[..., 1], target[..., 1]) + jnp.minimum(pred[..., 3], target[..., 3])
    intersection = width * height
    return intersection, target_area + pred_area - intersection


def iou_loss(ltrb, labels):
    """SiamCAR's IoU loss ``-log((I + 1) / (U + 1))`` on ``(l, t, r, b)`` at the positives
    (``box_weight > 0``), weighted by ``box_weight * centerness`` and normalised by the sum of
    those weights over the batch; the plain mean over positives if that sum is 0."""
    positive = labels.box_weight > 0
    # evaluate only where the target is a box around the point: elsewhere log may see <= 0
    safe_pred = jnp.where(positive[..., None], ltrb, 1.0)
    safe_target = jnp.where(positive[..., None], labels.box, 1.0)
    intersection, union = ltrb_iou(safe_pred, safe_target)
    loss = -jnp.log((intersection + 1.0) / (union + 1.0))
    weight = jnp.where(positive, labels.box_weight * labels.centerness, 0.0)
    total = jnp.sum(weight)
    weighted = jnp.sum(loss * weight) / jnp.where(total > 0, total, 1.0)
    return jnp.where(total > 0, weighted, masked_mean(loss, positive))


def centerness_loss(cen_logits, labels):
    """SiamCAR's centerness loss: mean binary cross-entropy (with logits) over the positives,
    target ``labels.centerness``."""
    bce = binary_cross_entropy(cen_logits, labels.centerness)
    return masked_mean(bce, labels.box_weight > 0)


def sigmoid_focal_loss(cls_logits, labels, *, alpha=0.25, gamma=2.0):
    """Focal loss (Lin et al. 2017) on the foreground logit with hard targets (``cls`` 1 vs 0):
    ``-alpha_t (1 - p_t)^gamma log p_t`` summed over non-ignored samples / max(#pos, 1)."""
    logits = foreground_logit(cls_logits)
    target = (labels.cls == 1).astype(logits.dtype)
    prob = jax.nn.sigmoid(logits)
    p_t = prob * target + (1.0 - prob) * (1.0 - target)
    alpha_t = alpha * target + (1.0 - alpha) * (1.0 - target)
    loss = alpha_t * (1.0 - p_t) ** gamma * binary_cross_entropy(logits, target)
    valid = labels.cls >= 0
    return jnp.sum(jnp.where(valid, loss, 0.0)) / jnp.maximum(jnp.sum(labels.cls == 1), 1.0)


def quality_focal_loss(cls_logits, labels, *, beta=2.0):
    """GFL's quality focal loss with soft targets ``y = labels.soft`` (DLA, LADL, LALS):
    ``-|y - p|^beta [(1 - y) log(1 - p) + y log p]`` with ``p = sigmoid(foreground logit)``,
    summed over non-ignored samples / max(#pos, 1)."""
    logits = foreground_logit(cls_logits)
    prob = jax.nn.sigmoid(logits)
    loss = jnp.abs(labels.soft - prob) ** beta * binary_cross_entropy(logits, labels.soft)
    valid = labels.cls >= 0
    return jnp.sum(jnp.where(valid, loss, 0.0)) / jnp.maximum(jnp.sum(labels.cls == 1), 1.0)


def quality_map_loss(quality_logits, ltrb, labels, *, region="positive"):
    """IoU-map loss of the SiamLA quality branch: binary cross-entropy between
    ``sigmoid(quality)`` and the IoU of the predicted ``ltrb`` box (a constant) with the target
    box, averaged over ``region``: ``"positive"`` (``box_weight > 0``) or ``"inside"`` (every
    point inside the target box)."""
    if region not in QUALITY_REGIONS:
        raise ValueError(f"quality_map_loss: unknown region {region!r}; choose one of "
                         f"{QUALITY_REGIONS}")
    selected = (labels.box_weight > 0) if region == "positive" else (
        jnp.min(labels.box, axis=-1) > 0)
    selected = selected & (labels.cls >= 0)
    pred = jax.lax.stop_gradient(jnp.where(selected[..., None], ltrb, 1.0))
    target = jnp.where(selected[..., None], labels.box, 1.0)
    intersection, union = ltrb_iou(pred, target)
    iou = jnp.clip(intersection / jnp.maximum(union, 1e-6), 0.0, 1.0)
    return masked_mean(binary_cross_entropy(quality_logits, iou), selected)


def losses(outputs, labels, *, cls_loss="ce", focal_alpha=0.25, focal_gamma=2.0, qfl_beta=2.0,
           quality_region="positive"):
    """Every loss term that ``outputs`` call for -> dict of scalars.

    ``cls`` (:data:`CLS_LOSSES`: pysot/SiamCAR cross-entropy, focal, or quality focal on
    ``labels.soft``); ``loc``: weighted L1 on ``loc`` deltas (RPN) or the IoU loss on ``ltrb``
    (CAR); ``cen``: centerness BCE; ``quality``: :func:`quality_map_loss`.

    Raises:
      ValueError: unknown ``cls_loss``, or labels whose sample count does not match the outputs
        (anchor labels for a point model, or another score size).
    """
    if labels.cls.shape != outputs["cls"].shape[:-1]:
        raise ValueError(f"losses: labels for {labels.cls.shape} samples do not match the "
                         f"model's {outputs['cls'].shape[:-1]} (anchors vs points, or score size?)")
    if cls_loss == "ce":
        terms = {"cls": cross_entropy(outputs["cls"], labels)}
    elif cls_loss == "focal":
        terms = {"cls": sigmoid_focal_loss(outputs["cls"], labels, alpha=focal_alpha,
                                           gamma=focal_gamma)}
    elif cls_loss == "qfl":
        terms = {"cls": quality_focal_loss(outputs["cls"], labels, beta=qfl_beta)}
    else:
        raise ValueError(f"losses: unknown cls_loss {cls_loss!r}; choose one of {CLS_LOSSES}")
    if "loc" in outputs:
        terms["loc"] = weighted_l1(outputs["loc"], labels)
    if "ltrb" in outputs:
        terms["loc"] = iou_loss(outputs["ltrb"], labels)
    if "cen" in outputs:
        terms["cen"] = centerness_loss(outputs["cen"], labels)
    if "quality" in outputs:
        terms["quality"] = quality_map_loss(outputs["quality"], outputs["ltrb"], labels,
                                            region=quality_region)
    return terms


OBJECTIVES = {
    "rpn": {"cls_loss": "ce", "weights": {"cls": 1.0, "loc": 1.2}},
    "car": {"cls_loss": "ce", "weights": {"cls": 1.0, "loc": 3.0, "cen": 1.0}},
    "siamla": {"cls_loss": "qfl", "weights": {"cls": 1.0, "loc": 3.0, "cen": 1.0, "quality": 1.0}},
}
"""Named presets: pysot's SiamRPN++ (cls 1.0, loc 1.2), SiamCAR (1/3/1), and SiamLA's
reconstruction (quality focal loss on LADL/LALS soft labels, SiamCAR's box terms, the IoU map)."""


def make_objective(config):
    """``objective(outputs, labels) -> dict`` of :func:`losses` terms plus their weighted
    ``total``, from ``{"name": preset, **overrides}`` (overrides: ``cls_loss``, ``weights``, and
    the keyword options of :func:`losses`).

    Raises:
      ValueError: unknown preset or option, or a weight for a term the outputs do not have
        (checked when the objective first runs).
    """
    config = dict(config.to_dict() if hasattr(config, "to_dict") else config)
    name = config.pop("name", None)
    if name not in OBJECTIVES:
        raise ValueError(f"loss config: unknown name {name!r}; choose one of {sorted(OBJECTIVES)}")
    options = {**OBJECTIVES[name], **config}
    weights = dict(options.pop("weights"))
    unknown = set(options) - {"cls_loss", "focal_alpha", "focal_gamma", "qfl_beta", "quality_region"}
    if unknown:
        raise ValueError(f"loss config {name!r}: unknown options {sorted(unknown)}")

    def objective(outputs, labels):
        terms = losses(outputs, labels, **options)
        if set(weights) != set(terms):
            raise ValueError(f"loss {name!r}: weights for {sorted(weights)} but the model's outputs "
                             f"give the terms {sorted(terms)}")
        terms["total"] = sum(weights[key] * value for key, value in terms.items())
        return terms

    return objective

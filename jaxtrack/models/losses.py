"""Training losses, pure and unweighted: each takes model outputs and a batched
:class:`jaxtrack.assign.Labels` (fields (B, N, ...)) and returns a scalar; :func:`losses` returns
the dict of a model family's named terms; :func:`make_objective` weights them (pysot: cls 1.0,
loc 1.2; SiamCAR: 1/3/1).

Reductions follow the reference code: statistics are pooled over the whole batch, and a term with
no sample to average over is 0 (pysot returns 0 for an empty selection).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtrack.config import plain_dict
from jaxtrack.errors import JaxtrackError
from jaxtrack.models.families import FAMILIES
from jaxtrack.registry import Registry

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
    summed over non-ignored samples (``cls`` -1 contributes nothing) / max(#pos, 1), #pos the
    positives (``cls`` 1) of the whole batch, as GFL normalises."""
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


CLS_LOSSES = Registry("classification loss")
CLS_LOSSES.register("ce")(lambda logits, labels, **_: cross_entropy(logits, labels))
CLS_LOSSES.register("focal")(lambda logits, labels, *, focal_alpha, focal_gamma, **_: sigmoid_focal_loss(
    logits, labels, alpha=focal_alpha, gamma=focal_gamma))
CLS_LOSSES.register("qfl")(lambda logits, labels, *, qfl_beta, **_: quality_focal_loss(logits, labels, beta=qfl_beta))
"""``cls_loss`` by name: pysot/SiamCAR cross-entropy, focal, or quality focal on ``labels.soft``."""

REGRESSION_LOSSES = {"loc": weighted_l1, "ltrb": iou_loss}
"""The box loss of a family's regression output: pysot's weighted L1 on deltas, SiamCAR's IoU loss
on ``(l, t, r, b)``."""

LOSS_TERMS = Registry("loss term")
LOSS_TERMS.register("cls")(lambda outputs, labels, family, options: CLS_LOSSES.get(options["cls_loss"])(
    outputs["cls"], labels, **options))
LOSS_TERMS.register("loc")(lambda outputs, labels, family, options: REGRESSION_LOSSES[family.regression](
    outputs[family.regression], labels))
LOSS_TERMS.register("cen")(lambda outputs, labels, family, options: centerness_loss(outputs["cen"], labels))
LOSS_TERMS.register("quality")(lambda outputs, labels, family, options: quality_map_loss(
    outputs["quality"], outputs["ltrb"], labels, region=options["quality_region"]))
"""Term name -> ``term(outputs, labels, family, options)``; a family lists its terms
(:attr:`jaxtrack.models.families.Family.loss_terms`)."""


def losses(outputs, labels, family, *, cls_loss="ce", focal_alpha=0.25, focal_gamma=2.0, qfl_beta=2.0,
           quality_region="positive"):
    """Every loss term of ``family`` (a :class:`jaxtrack.models.families.Family` or its name) ->
    dict of scalars.

    ``cls`` (:data:`CLS_LOSSES`); ``loc``: weighted L1 on ``loc`` deltas (SiamRPN++) or the IoU
    loss on ``ltrb`` (SiamCAR, SiamLA); ``cen``: centerness BCE; ``quality``:
    :func:`quality_map_loss`.

    Raises:
      ValueError: labels whose sample count does not match the outputs (anchor labels for a
        point model, or another score size).
      JaxtrackError: unknown ``cls_loss`` or family.
    """
    family = FAMILIES.get(family) if isinstance(family, str) else family
    if labels.cls.shape != outputs["cls"].shape[:-1]:
        raise ValueError(f"losses: labels for {labels.cls.shape} samples do not match the "
                         f"model's {outputs['cls'].shape[:-1]} (anchors vs points, or score size?)")
    options = dict(cls_loss=cls_loss, focal_alpha=focal_alpha, focal_gamma=focal_gamma, qfl_beta=qfl_beta,
                   quality_region=quality_region)
    CLS_LOSSES.get(cls_loss)  # a clear error before tracing
    return {name: LOSS_TERMS.get(name)(outputs, labels, family, options) for name in family.loss_terms}


OBJECTIVES = {
    "siamrpn": {"cls_loss": "ce", "weights": {"cls": 1.0, "loc": 1.2}},
    "siamcar": {"cls_loss": "ce", "weights": {"cls": 1.0, "loc": 3.0, "cen": 1.0}},
    "siamla": {"cls_loss": "qfl", "weights": {"cls": 1.0, "loc": 3.0, "cen": 1.0, "quality": 1.0}},
}
"""Named presets, one per family: pysot's SiamRPN++ (cls 1.0, loc 1.2), SiamCAR (1/3/1), and
SiamLA's reconstruction (quality focal loss on LADL/LALS soft labels, SiamCAR's box terms at LADL's
geometric positives, the LAFA branch's IoU map)."""


def make_objective(config, family):
    """``objective(outputs, labels) -> dict`` of :func:`losses` terms plus their weighted
    ``total``, for a model of ``family`` (a :class:`jaxtrack.models.families.Family` or its name).

    Args:
      config: ``{"name": preset, **overrides}`` (dict or ConfigDict; overrides: ``cls_loss``,
        ``weights``, and the keyword options of :func:`losses`); without ``name``, the family's
        own preset.

    Raises:
      JaxtrackError: unknown preset or option, or weights that are not the family's loss terms.
    """
    family = FAMILIES.get(family) if isinstance(family, str) else family
    config = plain_dict(config or {}, "loss config")
    name = config.pop("name", None) or family.objective
    if name not in OBJECTIVES:
        raise JaxtrackError(f"loss config: unknown name {name!r}; choose one of {sorted(OBJECTIVES)}")
    options = {**OBJECTIVES[name], **config}
    weights = dict(options.pop("weights"))
    unknown = set(options) - {"cls_loss", "focal_alpha", "focal_gamma", "qfl_beta", "quality_region"}
    if unknown:
        raise JaxtrackError(f"loss config {name!r}: unknown options {sorted(unknown)}")
    CLS_LOSSES.get(options.get("cls_loss", "ce"))
    if set(weights) != set(family.loss_terms):
        raise JaxtrackError(f"loss {name!r}: weights for {sorted(weights)} but a {family.name} model's loss "
                            f"terms are {sorted(family.loss_terms)}")

    def objective(outputs, labels):
        terms = losses(outputs, labels, family, **options)
        terms["total"] = sum(weights[key] * value for key, value in terms.items())
        return terms

    return objective

"""The reference optimiser: SGD with momentum, pysot's learning-rate schedule, a late backbone.

pysot (``experiments/siamrpn_r50_l234_dwxcorr/config.yaml``): 20 epochs; warm-up for 5 epochs
from 0.001 to 0.005 growing geometrically once per epoch, then a log-spaced decay from 0.005 to
0.0005; SGD momentum 0.9, weight decay 1e-4, gradients clipped to global norm 10; the backbone's
layer2-4 start training at epoch 10 with 0.1 x the learning rate, conv1/layer1 never.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

FROZEN, BACKBONE, HEAD = "frozen", "backbone", "head"
BACKBONE_EPOCH = 10
"""Default epoch from which the backbone trains (pysot)."""


def epoch_learning_rates(*, epochs=20, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005, end_lr=0.0005):
    """Learning rate of each epoch -> float64 (epochs,).

    Warm-up epochs grow geometrically from ``warmup_lr`` towards ``base_lr`` (pysot's step
    warm-up: ``warmup_lr * (base_lr / warmup_lr) ** (e / warmup_epochs)``); the remaining epochs
    follow ``logspace(base_lr, end_lr)``.
    """
    warm = [warmup_lr * (base_lr / warmup_lr) ** (e / warmup_epochs) for e in range(warmup_epochs)]
    rest = np.logspace(np.log10(base_lr), np.log10(end_lr), max(epochs - warmup_epochs, 0))
    return np.asarray(warm + list(rest), np.float64)[:epochs]


def learning_rate_schedule(steps_per_epoch, **kwargs):
    """optax schedule: step -> the learning rate of its epoch (:func:`epoch_learning_rates`)."""
    rates = jnp.asarray(epoch_learning_rates(**kwargs), jnp.float32)

    def schedule(step):
        epoch = jnp.minimum(step // steps_per_epoch, rates.shape[0] - 1)
        return rates[epoch]

    return schedule


def param_groups(params, trainable_backbone=None):
    """Label every parameter ``head``, ``backbone`` (trained from ``backbone_epoch``) or ``frozen``.

    A parameter is in the backbone when a component of its path is ``backbone``; it is trainable
    when ``trainable_backbone`` is None or a path component is one of its names (e.g. pysot's
    ``("layer2", "layer3", "layer4")``).
    """
    def label(path, _):
        names = [str(getattr(p, "key", p)) for p in path]
        if "backbone" not in names:
            return HEAD
        if trainable_backbone is None or any(n in trainable_backbone for n in names):
            return BACKBONE
        return FROZEN

    return jax.tree_util.tree_map_with_path(label, params)


def make_optimizer(params, *, steps_per_epoch, epochs=20, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005,
                   end_lr=0.0005, momentum=0.9, weight_decay=1e-4, grad_clip=10.0, backbone_epoch=BACKBONE_EPOCH,
                   backbone_lr_scale=0.1, trainable_backbone=None):
    """The training optimiser and its schedule.

    Returns ``(optimizer, schedule)``. The backbone's gradients are zeroed before
    ``backbone_epoch`` (so its momentum starts fresh, as pysot builds a new optimiser then) and
    scaled by ``backbone_lr_scale`` after.
    """
    schedule = learning_rate_schedule(steps_per_epoch, epochs=epochs, warmup_epochs=warmup_epochs,
                                      warmup_lr=warmup_lr, base_lr=base_lr, end_lr=end_lr)
    start = backbone_epoch * steps_per_epoch

    def backbone_schedule(step):
        return jnp.where(step >= start, backbone_lr_scale * schedule(step), 0.0)

    decay = optax.add_decayed_weights(weight_decay)
    # zero the backbone's gradient (weight decay included) until it starts: no momentum builds up
    gate = optax.scale_by_schedule(lambda step: (step >= start).astype(jnp.float32))
    optimizer = optax.chain(
        optax.clip_by_global_norm(grad_clip),
        optax.multi_transform(
            {HEAD: optax.chain(decay, optax.sgd(schedule, momentum=momentum)),
             BACKBONE: optax.chain(decay, gate, optax.sgd(backbone_schedule, momentum=momentum)),
             FROZEN: optax.set_to_zero()},
            param_groups(params, trainable_backbone)),
    )
    return optimizer, schedule

"""Label rules by name, behind one signature (what the trainer and the study look up).

``ASSIGNERS.get(name)(samples, gt, key=..., negative=..., pred_boxes=..., **options)`` -> one
box's :class:`jaxtrack.assign.Labels`, whatever the rule needs of those arguments:

- ``samples``: (N, 4) xyxy anchors or (N, 2) points (:mod:`jaxtrack.assign.geometry`);
- ``gt``: (4,) xyxy crop pixels; ``key``: a ``jax.random`` key (used by rules that subsample);
- ``negative``: bool, a negative pair (the target is not in the search crop);
- ``pred_boxes``: (N, 4) xyxy boxes the model predicts at the samples (dynamic rules), or None;
- ``options``: the rule's own keyword arguments (e.g. ``k``, ``statistic`` for ``dla``).

:meth:`Rule.check` validates a rule's options and sample kind before anything is traced.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Callable

from jaxtrack.assign.dla import dla
from jaxtrack.assign.fixed import center_region, fixed_iou
from jaxtrack.assign.siamla import ladl
from jaxtrack.errors import JaxtrackError
from jaxtrack.registry import Registry

ADAPTER_ARGUMENTS = ("samples", "gt", "key", "negative", "pred_boxes", "anchors", "points")
"""Arguments the adapter supplies: not options of a rule."""


@dataclasses.dataclass(frozen=True)
class Rule:
    """One label rule.

    Attributes:
      name: its registry name.
      function: the assigner (e.g. :func:`jaxtrack.assign.dla`), whose keyword arguments are the
        rule's options.
      geometry: ``"anchors"``, ``"points"`` or ``"any"``: the samples it assigns over.
      adapter: ``adapter(samples, gt, key, negative, pred_boxes, options) -> Labels``.
      required: options without a default that a config must give.
    """

    name: str
    function: Callable
    geometry: str
    adapter: Callable
    required: tuple = ()

    def __call__(self, samples, gt, *, key=None, negative=False, pred_boxes=None, **options):
        return self.adapter(samples, gt, key, negative, pred_boxes, options)

    def check(self, options, samples=None):
        """Raise :class:`JaxtrackError` for unknown or missing options, or samples of the wrong
        kind ((N, 4) anchors vs (N, 2) points)."""
        known = set(inspect.signature(self.function).parameters) - set(ADAPTER_ARGUMENTS)
        unknown = sorted(set(options) - known)
        if unknown:
            raise JaxtrackError(f"assigner {self.name}: unknown options {unknown}; it takes {sorted(known)}")
        missing = [name for name in self.required if name not in options]
        if missing:
            raise JaxtrackError(f"assigner {self.name} needs {', '.join(missing)} (e.g. k=9, statistic='virtual_iou')")
        if samples is not None and self.geometry != "any":
            kind = "anchors" if samples.shape[-1] == 4 else "points"
            if kind != self.geometry:
                model = "an anchor-based model (siamrpn*)" if self.geometry == "anchors" else "a point-based model"
                raise JaxtrackError(f"assigner {self.name} assigns over {self.geometry}: it needs {model}")


def _fixed_iou(samples, gt, key, negative, pred_boxes, options):
    return fixed_iou(samples, gt, key, negative=negative, **options)


def _center_region(samples, gt, key, negative, pred_boxes, options):
    return center_region(samples, gt, negative=negative, **options)


def _dla(samples, gt, key, negative, pred_boxes, options):
    dynamic = options["statistic"] == "pred_iou"
    subsampled = options.get("pos_num") is not None
    return dla(samples, gt, negative=negative, pred_boxes=pred_boxes if dynamic else None,
               key=key if subsampled else None, **options)


def _ladl(samples, gt, key, negative, pred_boxes, options):
    return ladl(samples, gt, pred_boxes, negative=negative, **options)


ASSIGNERS = Registry("assigner")
for _rule in (Rule("fixed_iou", fixed_iou, "anchors", _fixed_iou),
              Rule("center_region", center_region, "points", _center_region),
              Rule("dla", dla, "any", _dla, required=("k", "statistic")),
              Rule("ladl", ladl, "any", _ladl)):
    ASSIGNERS.register(_rule.name)(_rule)


PRESETS = {
    "pysot_fixed_iou": {"name": "fixed_iou", "pos_iou": 0.6, "neg_iou": 0.3, "pos_num": 16, "total_num": 64},
    "siamcar_center": {"name": "center_region", "margin": 0.3},
    "siamcar_center_code": {"name": "center_region", "margin": 0.3, "negative_pairs": "as_positive"},
    "dla_atss_anchors": {"name": "dla", "k": 45, "statistic": "iou", "std_scale": 1.0},
    "dla_atss_points": {"name": "dla", "k": 9, "statistic": "virtual_iou", "std_scale": 1.0},
    "dla_plus": {"name": "dla", "k": 16, "statistic": "virtual_iou", "std_scale": 1.0, "keep_best": True},
}
"""Named label-rule settings (assigner configs): the baselines' rules as their code sets them
(``siamcar_center`` gives negative pairs no positives, jaxtrack's deliberate deviation;
``siamcar_center_code`` labels them as positive pairs, exactly as SiamCAR's code does), ATSS's
reading of SiamDLA over anchors (k = 9 locations x 5 anchors) and points (k = 9, virtual 64 px
anchors), and ``dla_plus``, jaxtrack's CPU setting (16 nearest points, ``keep_best`` so that no
target is left without a positive) that the default model, the demo and the ablation train with."""

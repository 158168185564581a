"""Label rules by name, behind one signature (what the trainer and the study look up).

``ASSIGNERS.get(name)(samples, gt, key=..., negative=..., pred_boxes=..., step=..., **options)`` -> one
box's :class:`jaxtrack.assign.Labels`, whatever the rule needs of those arguments:

- ``samples``: (N, 4) xyxy anchors or (N, 2) points (:mod:`jaxtrack.assign.geometry`);
- ``gt``: (4,) xyxy crop pixels; ``key``: a ``jax.random`` key (used by rules that subsample);
- ``negative``: bool, a negative pair (the target is not in the search crop);
- ``pred_boxes``: (N, 4) xyxy boxes the model predicts at the samples (dynamic rules), or None;
- ``step``: int32 scalar, the training step (rules with a schedule, e.g. LADL's ramp; may be traced);
- ``options``: the rule's own keyword arguments (e.g. ``k``, ``statistic`` for ``dla``).

:meth:`Rule.check` validates a rule's options and sample kind before anything is traced.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
from typing import Callable

from jaxtrack.assign.dla import dla
from jaxtrack.assign.fixed import center_region, fixed_iou
from jaxtrack.assign.siamla import ladl
from jaxtrack.errors import JaxtrackError
from jaxtrack.registry import Registry

ADAPTER_ARGUMENTS = ("samples", "gt", "key", "negative", "pred_boxes", "step", "anchors", "points")
"""Arguments the adapter supplies: not options of a rule."""


@dataclasses.dataclass(frozen=True)
class Rule:
    """One label rule.

    Attributes:
      name: its registry name.
      function: the assigner (e.g. :func:`jaxtrack.assign.dla`), whose keyword arguments are the
        rule's options.
      geometry: ``"anchors"``, ``"points"`` or ``"any"``: the samples it assigns over.
      adapter: ``adapter(samples, gt, key, negative, pred_boxes, step, options) -> Labels``.
      required: options without a default that a config must give.
    """

    name: str
    function: Callable
    geometry: str
    adapter: Callable
    required: tuple = ()

    def __call__(self, samples, gt, *, key=None, negative=False, pred_boxes=None, step=0, **options):
        return self.adapter(samples, gt, key, negative, pred_boxes, step, options)

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
            if geometry_of(samples) != self.geometry:
                model = "an anchor-based model (siamrpn*)" if self.geometry == "anchors" else "a point-based model"
                raise JaxtrackError(f"assigner {self.name} assigns over {self.geometry}: it needs {model}")


def _fixed_iou(samples, gt, key, negative, pred_boxes, step, options):
    return fixed_iou(samples, gt, key, negative=negative, **options)


def _center_region(samples, gt, key, negative, pred_boxes, step, options):
    return center_region(samples, gt, negative=negative, **options)


def _dla(samples, gt, key, negative, pred_boxes, step, options):
    dynamic = options["statistic"] == "pred_iou"
    subsampled = options.get("pos_num") is not None
    return dla(samples, gt, negative=negative, pred_boxes=pred_boxes if dynamic else None,
               key=key if subsampled else None, **options)


def _ladl(samples, gt, key, negative, pred_boxes, step, options):
    return ladl(samples, gt, pred_boxes, step=step, negative=negative, **options)


ASSIGNERS = Registry("assigner")
for _rule in (Rule("fixed_iou", fixed_iou, "anchors", _fixed_iou),
              Rule("center_region", center_region, "points", _center_region),
              Rule("dla", dla, "any", _dla, required=("k", "statistic")),
              Rule("ladl", ladl, "any", _ladl)):
    ASSIGNERS.register(_rule.name)(_rule)


GEOMETRIES = ("anchors", "points")


def geometry_of(samples_or_family):
    """``"anchors"`` or ``"points"``: of (N, 4) anchors / (N, 2) points, of a model family (anything
    with ``anchors_per_location``, e.g. :class:`jaxtrack.models.Family`), or the name itself."""
    if isinstance(samples_or_family, str):
        if samples_or_family not in GEOMETRIES:
            raise JaxtrackError(f"unknown sample kind {samples_or_family!r}; choose one of {GEOMETRIES}")
        return samples_or_family
    if hasattr(samples_or_family, "anchors_per_location"):
        return "anchors" if samples_or_family.anchors_per_location else "points"
    return "anchors" if samples_or_family.shape[-1] == 4 else "points"


_ATSS_ANCHORS = {"name": "dla", "k": 45, "statistic": "iou", "std_scale": 1.0}
_LADL = {"name": "ladl", "positives": "dla", "k": 16, "statistic": "virtual_iou", "std_scale": 1.0,
         "keep_best": True, "warmup_steps": 1000, "quality_floor": 0.1, "ignore_inside": True}
PRESETS = {
    "pysot_fixed_iou": {"name": "fixed_iou", "pos_iou": 0.6, "neg_iou": 0.3, "pos_num": 16, "total_num": 64},
    "siamcar_center": {"name": "center_region", "margin": 0.3},
    "siamcar_center_code": {"name": "center_region", "margin": 0.3, "negative_pairs": "as_positive"},
    "dla_atss": {"anchors": _ATSS_ANCHORS,
                 "points": {"name": "dla", "k": 9, "statistic": "virtual_iou", "std_scale": 1.0}},
    "dla_atss_banded": {"anchors": {**_ATSS_ANCHORS, "neg_iou": 0.3, "pos_num": 16, "total_num": 64}},
    "dla_plus": {"name": "dla", "k": 16, "statistic": "virtual_iou", "std_scale": 1.0, "keep_best": True},
    "siamla_ladl": {"points": _LADL},
    "siamla_ladl_lals": {"points": {**_LADL, "lals": {"eps": 0.1, "measure": "centerness"}}},
}
"""Named label-rule settings (assigner configs). An entry is either one config (``"name"`` and
options) for any model, or ``{"anchors": config, "points": config}`` with the sample kinds it is
defined for; :func:`preset` picks. The settings:

- ``pysot_fixed_iou``, ``siamcar_center``: the baselines' rules as their code sets them, except
  that ``siamcar_center`` gives negative pairs no positives (jaxtrack's deliberate deviation);
  ``siamcar_center_code`` labels them as positive pairs, exactly as SiamCAR's code does.
- ``dla_atss``: SiamDLA as ATSS states it: k = 9 per location (45 over 5 anchors with the
  anchors' IoU; 9 points with virtual 64 px anchors' IoU), mean + 1 std, no ``keep_best``.
- ``dla_atss_banded``: ``dla_atss`` over anchors keeping pysot's ignore band (non-positives with
  IoU >= 0.3 ignored) and sampling (16 positives, 64 in all), so that DLA vs pysot's fixed IoU
  changes one thing.
- ``dla_plus``: jaxtrack's CPU setting (16 nearest, ``keep_best`` so that no target is left
  without a positive) that the default model, the demo and the ablation train with.
- ``siamla_ladl``, ``siamla_ladl_lals``: SiamLA's LADL alone and with LALS (centreness, eps 0.1)
  on a point model, *reconstruction* (:mod:`jaxtrack.assign.siamla`); the second is the
  ``siamla`` family's default."""


def preset(name, samples_or_family):
    """The assigner config of preset ``name`` for a model's samples -> a fresh dict.

    Args:
      name: a key of :data:`PRESETS`.
      samples_or_family: (N, 4) anchors or (N, 2) points, a model family, or ``"anchors"`` /
        ``"points"`` (see :func:`geometry_of`).
    Raises:
      JaxtrackError: unknown name, or a preset not defined for that sample kind.
    """
    if name not in PRESETS:
        raise JaxtrackError(f"unknown label preset {name!r}; choose one of {sorted(PRESETS)}")
    geometry = geometry_of(samples_or_family)
    entry = PRESETS[name]
    if "name" not in entry:
        if geometry not in entry:
            raise JaxtrackError(f"label preset {name!r} is defined for {', '.join(entry)}, not {geometry}")
        entry = entry[geometry]
    elif ASSIGNERS.get(entry["name"]).geometry not in ("any", geometry):
        raise JaxtrackError(f"label preset {name!r} assigns over {ASSIGNERS.get(entry['name']).geometry}, not "
                            f"{geometry}")
    return copy.deepcopy(entry)

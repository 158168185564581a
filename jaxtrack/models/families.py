"""Model families: what a tracker's head is, and everything that follows from it.

A :class:`jaxtrack.models.SiameseModel` names its family (``model.family``); :data:`FAMILIES`
maps that name to a :class:`Family`, which decides, in one place, the sample grid the labels are
assigned over, which output carries the box regression, the default loss preset and label rule,
and (by the same name) the tracker's post-processing in :mod:`jaxtrack.track.postprocess`.

===========  ============  ===========  =================  ===================================================
family       samples       regression   default objective  default label rule
===========  ============  ===========  =================  ===================================================
``siamrpn``  5 anchors     ``loc``      pysot (CE + L1)    pysot's fixed IoU
``siamcar``  points        ``ltrb``     SiamCAR (1/3/1)    SiamCAR's centre region
``siamla``   points        ``ltrb``     SiamLA (QFL, ...)  LADL + LALS, ``siamla_ladl_lals`` (reconstruction)
===========  ============  ===========  =================  ===================================================
"""

from __future__ import annotations

import dataclasses
import math
from types import MappingProxyType

from jaxtrack.assign.geometry import anchor_grid, point_grid
from jaxtrack.assign.rules import preset
from jaxtrack.errors import JaxtrackError
from jaxtrack.registry import Registry


@dataclasses.dataclass(frozen=True)
class Family:
    """One head family.

    Attributes:
      name: the family's one spelling (``siamrpn``, ``siamcar``, ``siamla``).
      anchors_per_location: 5 for pysot's anchors, 0 for points (one sample per location).
      regression: the output holding the box regression, ``"loc"`` (pysot deltas (B, N, 4)) or
        ``"ltrb"`` (distances (B, N, 4)); :func:`jaxtrack.assign.decode` turns either into boxes.
      loss_terms: the loss terms its outputs call for (:data:`jaxtrack.models.losses.LOSS_TERMS`).
      objective: the default loss preset (:data:`jaxtrack.models.losses.OBJECTIVES`).
      assigner: the default label rule (options of :func:`jaxtrack.train.labeler.make_labeler`).
    """

    name: str
    anchors_per_location: int
    regression: str
    loss_terms: tuple
    objective: str
    assigner: MappingProxyType

    @property
    def samples_per_location(self):
        return max(self.anchors_per_location, 1)

    def samples(self, score_size=25, stride=8, search_size=255):
        """float32 (S*S*5, 4) xyxy anchors or (S*S, 2) points of an S x S score map, crop pixels,
        in the sample order of :mod:`jaxtrack.assign.geometry`."""
        if self.anchors_per_location:
            return anchor_grid(score_size, stride, search_size)
        return point_grid(score_size, stride, search_size)

    def score_size(self, sample_count):
        """Side S of the score map whose samples number ``sample_count``."""
        locations = sample_count // self.samples_per_location
        side = math.isqrt(locations)
        if side * side != locations or locations * self.samples_per_location != sample_count:
            raise JaxtrackError(f"{self.name} model outputs {sample_count} samples: not a square score map "
                                f"of {self.samples_per_location} sample(s) per location")
        return side


FAMILIES = Registry("model family")
for _family in (
    Family("siamrpn", 5, "loc", ("cls", "loc"), "siamrpn", MappingProxyType({"name": "fixed_iou"})),
    Family("siamcar", 0, "ltrb", ("cls", "loc", "cen"), "siamcar", MappingProxyType({"name": "center_region"})),
    Family("siamla", 0, "ltrb", ("cls", "loc", "cen", "quality"), "siamla",
           MappingProxyType(preset("siamla_ladl_lals", "points"))),
):
    FAMILIES.register(_family.name)(_family)


def family_of(model):
    """The :class:`Family` of a :class:`jaxtrack.models.SiameseModel`."""
    return FAMILIES.get(model.family)

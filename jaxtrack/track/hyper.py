"""Tracker hyperparameters and the published per-benchmark sets, selectable by name.

Values as the reference code sets them: pysot's ``experiments/*/config.yaml`` (``PENALTY_K``,
``WINDOW_INFLUENCE``, ``LR``) and SiamCAR's ``HP_SEARCH`` lists ``[lr, penalty_k, window_lr]``
and its ``TRACK`` defaults. SiamLA has no public code: it uses SiamCAR's sets with the quality
exponent 1 (a reconstruction, see :mod:`jaxtrack.models.lafa`), to be chosen on validation
through overrides such as ``"got10k,quality_exponent=0.5"`` (:func:`select`).

Lost-target mode (pysot's long-term tracker ``pysot/tracker/siamrpnlt_tracker.py``, off by
default): below ``lost_score`` the tracker keeps its previous box and searches a wider window
with a weaker cosine window until the score exceeds ``found_score``; e.g.
``"otb,lost_score=0.3,lost_search_scale=2"``. pysot's ``siamrpn_r50_l234_dwxcorr_lt`` uses
``CONFIDENCE_LOW`` 0.8, ``CONFIDENCE_HIGH`` 0.998 and an 831-pixel lost crop, a window
831 / 255 = 3.26 times wider (:mod:`jaxtrack.track.siamese_tracker`: how jaxtrack's differs).

Template update (off by default; jaxtrack's, after the linear update that UpdateNet (Zhang et
al., ICCV 2019) compares against): on a frame scoring at least ``template_score``, and not lost,
the template features become ``(1 - template_rate) * template + template_rate * new``, ``new``
embedded from the frame at the tracked box; e.g. ``"otb,template_rate=0.02,template_score=0.5"``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from jaxtrack.errors import JaxtrackError


class Hyper(NamedTuple):
    """Tracker hyperparameters (a pytree of float32 scalars: changing them does not recompile).

    Attributes:
      penalty_k: strength of the scale/aspect-ratio change penalty.
      window_influence: weight of the cosine window in the blended score.
      lr: size smoothing rate (multiplied by penalty x score at the chosen sample).
      quality_exponent: SiamLA's score is ``cls * quality ** quality_exponent`` (0: plain cls).
      lost_score: lost-target mode (pysot ``CONFIDENCE_LOW``; 0: off): a frame scoring below it
        keeps the previous box and puts the tracker in lost mode.
      found_score: lost mode ends when the score exceeds it (pysot ``CONFIDENCE_HIGH``); values
        up to ``lost_score`` end it as soon as the score reaches ``lost_score``.
      lost_search_scale: factor on the search window's side (frame pixels) while lost.
      lost_window_influence: ``window_influence`` while lost (pysot's long-term tracker: 0.001).
      template_rate: weight of the newly embedded template in the running one per updated frame
        (0: no update; module docstring).
      template_score: the lowest score of a frame that updates the template.
    """

    penalty_k: float
    window_influence: float
    lr: float
    quality_exponent: float = 0.0
    lost_score: float = 0.0
    found_score: float = 0.0
    lost_search_scale: float = 1.0
    lost_window_influence: float = 0.001
    template_rate: float = 0.0
    template_score: float = 0.0

    def as_arrays(self):
        return Hyper(*(jnp.asarray(v, jnp.float32) for v in self))


LOST_MODE = ("lost_score", "found_score", "lost_search_scale", "lost_window_influence")
"""The fields of lost-target mode, which does nothing while ``lost_score`` is 0."""
TEMPLATE_UPDATE = ("template_rate", "template_score")
"""The fields of the template update, which does nothing while ``template_rate`` is 0."""

_RPN = {  # pysot experiments/*/config.yaml
    "vot": Hyper(penalty_k=0.05, window_influence=0.42, lr=0.38),       # siamrpn_r50_l234_dwxcorr
    "vot_8gpu": Hyper(penalty_k=0.04, window_influence=0.44, lr=0.33),  # ..._dwxcorr_8gpu
    "otb": Hyper(penalty_k=0.24, window_influence=0.5, lr=0.25),        # ..._dwxcorr_otb
    "longterm": Hyper(penalty_k=0.05, window_influence=0.28, lr=0.22),  # ..._dwxcorr_lt
    "alex": Hyper(penalty_k=0.16, window_influence=0.40, lr=0.30),      # siamrpn_alex_dwxcorr
}
_CAR = {  # SiamCAR HP_SEARCH [lr, penalty_k, window_lr] per benchmark; "default": its TRACK block
    "otb": Hyper(penalty_k=0.2, window_influence=0.45, lr=0.35),
    "got10k": Hyper(penalty_k=0.06, window_influence=0.1, lr=0.7),
    "uav123": Hyper(penalty_k=0.2, window_influence=0.3, lr=0.4),
    "lasot": Hyper(penalty_k=0.04, window_influence=0.3, lr=0.33),
    "default": Hyper(penalty_k=0.04, window_influence=0.44, lr=0.4),
}
SETS = {"siamrpn": _RPN, "siamcar": _CAR,
        "siamla": {k: v._replace(quality_exponent=1.0) for k, v in _CAR.items()}}
"""Model family -> set name -> :class:`Hyper`."""

SEARCH_SIZES = {("siamrpn", "alex"): 287}
"""Sets that track on a search crop other than 255 pixels."""


SEARCH_SIZE_OVERRIDE = "search_size"
"""The one override that is not a :class:`Hyper` field: the search crop's side in pixels
(``"otb,search_size=287"``); it changes the compiled tracker's shapes, the others do not."""


def search_size(family, name):
    """Search-crop side, pixels, of set ``name``: its ``search_size`` override, else the set's own
    (:data:`SEARCH_SIZES`, else 255).

    Raises:
      JaxtrackError: a ``search_size`` that is not 255 plus a multiple of 16 in 159..831 (the
        sizes whose score map has a centre sample, as 255's and pysot's 287 and 831 have).
    """
    base, *overrides = name.split(",")
    size = SEARCH_SIZES.get((family, base), 255)
    for item in overrides:
        field, _, value = item.partition("=")
        if field == SEARCH_SIZE_OVERRIDE:
            try:
                size = int(value)
            except ValueError:
                raise JaxtrackError(f"hyperparameter override {item!r}: {value!r} is not a whole number of pixels") from None
            if not 159 <= size <= 831 or (size - 255) % 16:
                raise JaxtrackError(f"hyperparameter override {item!r}: the search size must be 255 plus a multiple "
                                    f"of 16 between 159 and 831 (e.g. 255, 287, 319)")
    return size

DEFAULTS = {  # family -> benchmark -> set used when none is named
    "siamrpn": {"otb": "otb"},
    # tnl2k -> lasot is jaxtrack's choice, not a published set: SiamCAR's HP_SEARCH has none for TNL2K
    # (OTB100, GOT10K, UAV123, LaSOT only) and SiamLA has no public code; TNL2K's videos are long-term
    # like LaSOT's.
    "siamcar": {"otb": "otb", "uav123": "uav123", "lasot": "lasot", "tnl2k": "lasot", "got10k": "got10k"},
}
DEFAULTS["siamla"] = DEFAULTS["siamcar"]  # SiamLA tracks with SiamCAR's sets
FALLBACK = {"siamrpn": "vot", "siamcar": "default", "siamla": "default"}


def select(family, name=None, benchmark=None):
    """The named set of ``family`` -> (name, :class:`Hyper`); without a name, the benchmark's
    default set (:data:`DEFAULTS`, else :data:`FALLBACK`).

    ``name`` may override fields after the set's name, ``"got10k,quality_exponent=0.5"`` (what
    ``--hyper`` takes; ``search_size=N`` is read by :func:`search_size`): how a validation
    protocol tries values, e.g. SiamLA's quality exponent, without new named sets; the returned
    name is ``name`` as given, so results folders differ.

    Raises:
      JaxtrackError: unknown family, set name or field, or a value that is not a number.
    """
    if family not in SETS:
        raise JaxtrackError(f"unknown model family {family!r}; known: {', '.join(SETS)}")
    if name is None:
        name = DEFAULTS[family].get(benchmark, FALLBACK[family])
    base, *overrides = name.split(",")
    if base not in SETS[family]:
        raise JaxtrackError(f"unknown {family} hyperparameter set {base!r}; known: {', '.join(SETS[family])}")
    search_size(family, name)  # refuses a bad search_size override here too
    values = {}
    for item in overrides:
        field, _, value = item.partition("=")
        if field == SEARCH_SIZE_OVERRIDE:
            continue  # a crop size, not a Hyper field: search_size() reads and checks it
        if field not in Hyper._fields:
            raise JaxtrackError(f"hyperparameter override {item!r}: fields are "
                                f"{', '.join((*Hyper._fields, SEARCH_SIZE_OVERRIDE))}")
        try:
            values[field] = float(value)
        except ValueError:
            raise JaxtrackError(f"hyperparameter override {item!r}: {value!r} is not a number") from None
    return name, SETS[family][base]._replace(**values)

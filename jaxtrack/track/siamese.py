"""Siamese trackers (SiamRPN++, SiamCAR, SiamLA) as pure jitted functions and a thin host loop.

``init(params, frame, box) -> state`` and ``track(params, state, frame) -> (box, score, state)``:
``params`` is a :class:`TrackerParams` (model variables + :class:`jaxtrack.track.hyper.Hyper`),
``frame`` a uint8 (H, W, 3) BGR array, ``box`` float xyxy frame pixels, ``state`` a
:class:`State` of fixed shapes, so ``jit`` compiles once per frame size. The static geometry is a
:class:`TrackerSpec`.

Per frame (pysot / SiamCAR): a square search window of side ``s_z * search / exemplar`` around
the previous centre (``s_z`` the context side of the previous size, :mod:`jaxtrack.data.crop`) is
cropped in JAX, padded with the first frame's mean colour; the network scores it; the
post-processing of :mod:`jaxtrack.track.postprocess` picks a centre (taken as is) and a size
(smoothed with rate ``lr``); the centre is clipped to the frame and the size to
``[min_size, frame side]``. Crop coordinates follow :mod:`jaxtrack.assign.geometry` (anchors at
``31 + 8 j``, points at ``32 + 8 j`` of a 255 crop whose centre is 127.5), the geometry the
models are trained with.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack import boxes as bx
from jaxtrack.assign.geometry import anchor_grid, point_grid
from jaxtrack.errors import JaxtrackError
from jaxtrack.track import hyper as hyper_sets
from jaxtrack.track import postprocess as pp
from jaxtrack.track.crop_jax import context_side, crop_window, mean_colour, square_window

NUM_ANCHORS = 5  # pysot's ratios 0.33, 0.5, 1, 2, 3 at one scale


@dataclasses.dataclass(frozen=True)
class TrackerSpec:
    """Static tracker geometry (hashable; part of what ``jit`` specialises on).

    Attributes:
      family: ``"rpn"`` (anchors, pysot post-processing), ``"car"`` (points, SiamCAR) or ``"la"``
        (SiamCAR with the score times SiamLA's quality).
      score_size: side S of the network's score map.
      search_size, exemplar_size: crop sides in pixels.
      context: context amount of the crop windows.
      stride: score-map stride in crop pixels.
      min_size: smallest tracked width/height in frame pixels (pysot 10, SiamCAR 0).
      region_s, region_l: SiamCAR's coarse region bounds, fractions of ``exemplar_size``.
    """

    family: str
    score_size: int
    search_size: int = 255
    exemplar_size: int = 127
    context: float = 0.5
    stride: int = 8
    min_size: float = 10.0
    region_s: float = 0.1
    region_l: float = 0.44

    @property
    def samples(self):
        """float32 (S*S*5, 4) xyxy anchors or (S*S, 2) points, crop pixels."""
        if self.family == "rpn":
            return anchor_grid(self.score_size, self.stride, self.search_size)
        return point_grid(self.score_size, self.stride, self.search_size)

    @property
    def window(self):
        """float32 (N,) cosine window in the sample order."""
        return pp.hanning_window(self.score_size, NUM_ANCHORS if self.family == "rpn" else 1)


class TrackerParams(NamedTuple):
    """``variables`` of the model and its :class:`jaxtrack.track.hyper.Hyper` (float32 leaves)."""

    variables: Any
    hyper: hyper_sets.Hyper


class State(NamedTuple):
    """Tracking state: ``template`` features (the model's pytree), target ``center`` (2,) and
    ``size`` (2,) ``w, h`` in frame pixels, crop ``padding`` (3,) colour, ``frame_size`` (2,)
    ``W, H``; all float32."""

    template: Any
    center: jax.Array
    size: jax.Array
    padding: jax.Array
    frame_size: jax.Array


def init(model, spec, params, frame, box):
    """Embed the template crop around ``box`` (4,) xyxy on ``frame`` -> :class:`State`."""
    box = jnp.asarray(box, jnp.float32)
    center, size = 0.5 * (box[:2] + box[2:]), box[2:] - box[:2]
    padding = mean_colour(frame)
    window = square_window(center, context_side(size, spec.context))
    crop = crop_window(frame, window, spec.exemplar_size, padding)
    template = model.apply(params.variables, crop[None], method="embed_template")
    height, width = frame.shape[:2]
    return State(template, center, size, padding, jnp.array([width, height], jnp.float32))


def search_window(spec, state):
    """(4,) xyxy square search window around the target, frame pixels."""
    side = context_side(state.size, spec.context) * (spec.search_size / spec.exemplar_size)
    return square_window(state.center, side)


def search_crop(spec, state, frame):
    """The search crop of ``state`` on ``frame`` -> (float32 (search, search, 3) crop, its
    :func:`search_window`)."""
    window = search_window(spec, state)
    return crop_window(frame, window, spec.search_size, state.padding), window


def locate(spec, hyper, state, outputs, window):
    """Post-processing and state update of one frame.

    Args:
      outputs: the network's dict for this crop without the batch axis (``cls`` (N, 2) and
        ``loc`` (N, 4), or ``cls``, ``cen`` (N,), ``ltrb`` (N, 4) [, ``quality`` (N,)] logits).
      window: (4,) xyxy frame window of the search crop.

    Returns:
      (4,) xyxy box in frame pixels, the confidence score, the new :class:`State`.
    """
    scale = spec.search_size / (window[2] - window[0])  # crop pixels per frame pixel
    prev = state.size * scale
    if spec.family == "rpn":
        centre, size, lr, score = pp.rpn_select(
            outputs["cls"], outputs["loc"], spec.samples, spec.window, prev,
            hyper.penalty_k, hyper.window_influence, hyper.lr)
    else:
        score_map = pp.fg_probability(outputs["cls"])
        if spec.family == "la":
            score_map = score_map * jax.nn.sigmoid(outputs["quality"]) ** hyper.quality_exponent
        centre, size, lr, score = pp.car_select(
            score_map, outputs["cen"], outputs["ltrb"], spec.samples, spec.window, prev, scale,
            hyper.penalty_k, hyper.window_influence, hyper.lr, stride=spec.stride,
            exemplar_size=spec.exemplar_size, region_s=spec.region_s, region_l=spec.region_l)
    centre = window[:2] + centre / scale
    size = state.size * (1.0 - lr) + size / scale * lr
    centre = jnp.clip(centre, 0.0, state.frame_size)
    size = jnp.maximum(jnp.minimum(size, state.frame_size), spec.min_size)
    box = bx.cxcywh_to_xyxy(jnp.concatenate([centre, size]))
    return box, score, state._replace(center=centre, size=size)


def track(model, spec, params, state, frame):
    """One frame: crop, network, :func:`locate` -> (box (4,) xyxy, score, :class:`State`)."""
    crop, window = search_crop(spec, state, frame)
    outputs = model.apply(params.variables, state.template, crop[None], method="apply_search")
    return locate(spec, params.hyper, state, jax.tree.map(lambda x: x[0], outputs), window)


def jit_tracker(model, spec):
    """``(init, track)`` jitted for ``model`` and ``spec``: ``init(params, frame, box)`` and
    ``track(params, state, frame)``."""
    return (jax.jit(functools.partial(init, model, spec)),
            jax.jit(functools.partial(track, model, spec)))


def output_family(model, variables, search_size=255, exemplar_size=127):
    """The family a model's outputs call for and its score-map side -> (family, S)."""
    template = jax.ShapeDtypeStruct((1, exemplar_size, exemplar_size, 3), jnp.float32)
    search = jax.ShapeDtypeStruct((1, search_size, search_size, 3), jnp.float32)
    outputs = jax.eval_shape(model.apply, variables, template, search)
    family = "rpn" if "loc" in outputs else "la" if "quality" in outputs else "car"
    count = outputs["cls"].shape[1] // (NUM_ANCHORS if family == "rpn" else 1)
    side = math.isqrt(count)
    if side * side != count:
        raise JaxtrackError(f"model outputs {outputs['cls'].shape[1]} samples: not a square score map "
                            f"of {'5 anchors per location' if family == 'rpn' else 'points'}")
    return family, side


class SiameseTracker:
    """:class:`jaxtrack.track.base.Tracker` over the jitted functions (shared between trackers)."""

    def __init__(self, functions, params, spec):
        self._init, self._track = functions
        self.params, self.spec = params, spec
        self.state = None

    def init(self, frame, box_xyxy):
        box = np.asarray(box_xyxy, np.float64)
        if box.shape != (4,) or not np.all(np.isfinite(box)) or box[2] <= box[0] or box[3] <= box[1]:
            raise JaxtrackError(f"initial box must be a finite xyxy box of positive size, got {box.tolist()}")
        self.state = self._init(self.params, np.ascontiguousarray(frame), box.astype(np.float32))

    def update(self, frame):
        box, score, self.state = self._track(self.params, self.state, np.ascontiguousarray(frame))
        return np.asarray(box, np.float64), float(score)


def siamese_factory(model, variables, *, family=None, params=None, benchmark=None):
    """A factory of fresh :class:`SiameseTracker` sharing one compiled ``init``/``track``.

    Args:
      model, variables: a :class:`jaxtrack.models.SiameseModel` and its variables.
      family: ``"rpn"``, ``"car"`` or ``"la"``; None: from the model's outputs (a mismatch is an
        error).
      params: name of a hyperparameter set (:data:`jaxtrack.track.hyper.PARAMS`); None: the
        default set of ``benchmark``.

    Returns:
      a zero-argument callable; its ``name`` attribute is the parameter set used.
    """
    detected, _ = output_family(model, variables)
    if family is not None and family != detected:
        raise JaxtrackError(f"a {family} tracker needs a {family} model; this model's outputs are "
                            f"those of a {detected} model")
    name, values = hyper_sets.select(detected, params, benchmark)
    search_size = hyper_sets.SEARCH_SIZES.get((detected, name), 255)
    _, side = output_family(model, variables, search_size)
    spec = TrackerSpec(detected, side, search_size, min_size=10.0 if detected == "rpn" else 0.0)
    functions = jit_tracker(model, spec)
    tracker_params = TrackerParams(jax.device_put(variables), values.as_arrays())  # uploaded once
    factory = functools.partial(SiameseTracker, functions, tracker_params, spec)
    factory.name = name
    return factory

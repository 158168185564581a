"""Siamese trackers (SiamRPN++, SiamCAR, SiamLA) as pure jitted functions and a thin host loop.

``init(weights, frame, box) -> state`` and ``track(weights, state, frame) -> (box, score, state)``:
``weights`` is a :class:`TrackerWeights` (model variables + :class:`jaxtrack.track.hyper.Hyper`),
``frame`` a uint8 (H, W, 3) BGR array, ``box`` float xyxy frame pixels, ``state`` a
:class:`State` of fixed shapes, so ``jit`` compiles once per frame size. The static geometry is a
:class:`TrackerGeometry`; the model's family picks the post-processing
(:data:`jaxtrack.track.postprocess.SELECTORS`) and the hyperparameter sets.

Per frame (pysot / SiamCAR): a square search window of side ``s_z * search / exemplar`` around
the previous centre (``s_z`` the context side of the previous size, :mod:`jaxtrack.data.crop`) is
cropped in JAX, padded with the first frame's mean colour; the network scores it; the
post-processing picks a centre (taken as is) and a size (smoothed with rate ``lr``); the centre
is clipped to the frame and the size to ``[min_size, frame side]``. Crop coordinates follow
:mod:`jaxtrack.assign.geometry` (anchors at ``31 + 8 j``, points at ``32 + 8 j`` of a 255 crop
whose centre is 127.5), the geometry the models are trained with.

Lost-target mode (:class:`jaxtrack.track.hyper.Hyper` ``lost_*`` fields; off while
``lost_score`` is 0), after pysot's long-term tracker: a frame whose score is below
``lost_score`` keeps and reports the previous box and sets the state's ``lost`` flag; while lost
the search window's side is ``lost_search_scale`` times larger and the cosine window weighs
``lost_window_influence``; the flag clears when the score exceeds ``found_score``. Unlike pysot,
whose lost crop grows in pixels (831 instead of 255, same frame pixels per crop pixel), the crop
keeps its pixel size, so every frame runs one compiled function with the same shapes and the
target appears ``lost_search_scale`` times smaller on a lost crop.

Template update (``template_rate`` > 0; :mod:`jaxtrack.track.hyper`): after a frame scoring at
least ``template_score`` and not lost, the template features are blended with the template
embedded from that frame at the new box (one more template embedding per frame).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack import boxes as bx
from jaxtrack import compiler
from jaxtrack.errors import JaxtrackError
from jaxtrack.models import FAMILIES, abstract_outputs, family_of
from jaxtrack.track import hyper as hyper_sets
from jaxtrack.track import postprocess as pp
from jaxtrack.track.identity import siamese_record
from jaxtrack.track.crop_jax import context_side, crop_window, mean_colour, square_window


@dataclasses.dataclass(frozen=True)
class TrackerGeometry:
    """Static tracker geometry (hashable; part of what ``jit`` specialises on).

    Attributes:
      family: the model's family (:data:`jaxtrack.models.FAMILIES`): ``siamrpn`` (anchors, pysot
        post-processing), ``siamcar`` (points, SiamCAR) or ``siamla`` (SiamCAR on the score times
        SiamLA's quality).
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
        return FAMILIES.get(self.family).samples(self.score_size, self.stride, self.search_size)

    @property
    def window(self):
        """float32 (N,) cosine window in the sample order."""
        return pp.hanning_window(self.score_size, FAMILIES.get(self.family).samples_per_location)


class TrackerWeights(NamedTuple):
    """What the jitted functions take besides frames and state: the model's ``variables`` and the
    tracker's :class:`jaxtrack.track.hyper.Hyper` (float32 leaves; changing them does not
    recompile)."""

    variables: Any
    hyper: hyper_sets.Hyper


class State(NamedTuple):
    """Tracking state: ``template`` features (the model's pytree), target ``center`` (2,) and
    ``size`` (2,) ``w, h`` in frame pixels, crop ``padding`` (3,) colour, ``frame_size`` (2,)
    ``W, H`` (all float32) and ``lost`` () bool, lost-target mode (module docstring)."""

    template: Any
    center: jax.Array
    size: jax.Array
    padding: jax.Array
    frame_size: jax.Array
    lost: jax.Array


def init(model, geometry, weights, frame, box):
    """Embed the template crop around ``box`` (4,) xyxy on ``frame`` -> :class:`State`."""
    box = jnp.asarray(box, jnp.float32)
    center, size = 0.5 * (box[:2] + box[2:]), box[2:] - box[:2]
    padding = mean_colour(frame)
    window = square_window(center, context_side(size, geometry.context))
    crop = crop_window(frame, window, geometry.exemplar_size, padding)
    template = model.apply(weights.variables, crop[None], method="embed_template")
    height, width = frame.shape[:2]
    return State(template, center, size, padding, jnp.array([width, height], jnp.float32), jnp.array(False))


def search_window(geometry, state, lost_scale=None):
    """(4,) xyxy square search window around the target, frame pixels; with lost mode on,
    ``lost_scale`` times wider while ``state.lost``."""
    side = context_side(state.size, geometry.context) * (geometry.search_size / geometry.exemplar_size)
    window = square_window(state.center, side)
    if lost_scale is None:
        return window
    return jnp.where(state.lost, square_window(state.center, side * lost_scale), window)


def search_crop(geometry, state, frame, lost_scale=None):
    """The search crop of ``state`` on ``frame`` -> (float32 (search, search, 3) crop, its
    :func:`search_window`)."""
    window = search_window(geometry, state, lost_scale)
    return crop_window(frame, window, geometry.search_size, state.padding), window


def locate(geometry, hyper, state, outputs, window, lost_mode=False):
    """Post-processing and state update of one frame.

    Args:
      outputs: the network's dict for this crop without the batch axis (``cls`` (N, 2) and
        ``loc`` (N, 4), or ``cls``, ``cen`` (N,), ``ltrb`` (N, 4) [, ``quality`` (N,)] logits).
      window: (4,) xyxy frame window of the search crop.
      lost_mode: static: whether lost-target mode is on (module docstring).

    Returns:
      (4,) xyxy box in frame pixels, the confidence score, the new :class:`State`.
    """
    scale = geometry.search_size / (window[2] - window[0])  # crop pixels per frame pixel
    select = pp.SELECTORS.get(geometry.family)
    if lost_mode:
        hyper = hyper._replace(window_influence=jnp.where(state.lost, hyper.lost_window_influence,
                                                          hyper.window_influence))
    centre, size, lr, score = select(outputs, hyper, geometry, state.size * scale, scale)
    centre = window[:2] + centre / scale
    size = state.size * (1.0 - lr) + size / scale * lr
    if lost_mode:
        low = score < hyper.lost_score
        centre, size = jnp.where(low, state.center, centre), jnp.where(low, state.size, size)
        state = state._replace(lost=low | (state.lost & (score <= hyper.found_score)))
    centre = jnp.clip(centre, 0.0, state.frame_size)
    size = jnp.maximum(jnp.minimum(size, state.frame_size), geometry.min_size)
    box = bx.cxcywh_to_xyxy(jnp.concatenate([centre, size]))
    return box, score, state._replace(center=centre, size=size)


def track(model, geometry, weights, state, frame):
    """One frame: crop, network, :func:`locate` -> (box (4,) xyxy, score, :class:`State`).

    Crop and post-processing are ``lax.cond`` branches on whether lost mode is on
    (``hyper.lost_score > 0``): the off branch compiles to the code from before lost mode
    existed, so its results stay the same to the last bit."""
    hyper = weights.hyper

    def by_mode(step):
        return jax.lax.cond(hyper.lost_score > 0.0, lambda: step(hyper.lost_search_scale), lambda: step(None))

    crop = by_mode(lambda lost_scale: search_crop(geometry, state, frame, lost_scale)[0])
    outputs = model.apply(weights.variables, state.template, crop[None], method="apply_search")
    outputs = jax.tree.map(lambda x: x[0], outputs)
    box, score, state = by_mode(lambda lost_scale: locate(geometry, hyper, state, outputs,
                                                          search_window(geometry, state, lost_scale),
                                                          lost_mode=lost_scale is not None))
    state = jax.lax.cond(hyper.template_rate > 0.0,
                         lambda: update_template(model, geometry, weights, state, frame, score), lambda: state)
    return box, score, state


def update_template(model, geometry, weights, state, frame, score):
    """``state`` with its template blended with the one embedded at its box on ``frame``, at rate
    ``template_rate`` when ``score`` >= ``template_score`` and the target is not lost (module
    docstring)."""
    hyper = weights.hyper
    window = square_window(state.center, context_side(state.size, geometry.context))
    crop = crop_window(frame, window, geometry.exemplar_size, state.padding)
    new = model.apply(weights.variables, crop[None], method="embed_template")
    rate = jnp.where((score >= hyper.template_score) & ~state.lost, hyper.template_rate, 0.0)
    return state._replace(template=jax.tree.map(lambda old, fresh: (1.0 - rate) * old + rate * fresh,
                                                state.template, new))


def jit_tracker(model, geometry, compiler_options=None):
    """``(init, track)`` jitted for ``model`` and ``geometry``: ``init(weights, frame, box)`` and
    ``track(weights, state, frame)``. ``compiler_options``: see :func:`jaxtrack.compiler.jit`."""
    return (compiler.jit(functools.partial(init, model, geometry), compiler_options=compiler_options),
            compiler.jit(functools.partial(track, model, geometry), compiler_options=compiler_options))


class SiameseTracker:
    """:class:`jaxtrack.track.base.Tracker` over the jitted functions (shared between trackers)."""

    def __init__(self, functions, weights, geometry):
        self._init, self._track = functions
        self.weights, self.geometry = weights, geometry
        self.state = None

    def init(self, frame, box_xyxy):
        box = np.asarray(box_xyxy, np.float64)
        if box.shape != (4,) or not np.all(np.isfinite(box)) or box[2] <= box[0] or box[3] <= box[1]:
            raise JaxtrackError(f"initial box must be a finite xyxy box of positive size, got {box.tolist()}")
        self.state = self._init(self.weights, np.ascontiguousarray(frame), box.astype(np.float32))

    def update(self, frame):
        box, score, self.state = self._track(self.weights, self.state, np.ascontiguousarray(frame))
        return np.asarray(box, np.float64), float(score)


@dataclasses.dataclass(frozen=True)
class SiameseTrackerFactory:
    """A zero-argument factory of fresh :class:`SiameseTracker` sharing one compiled
    ``init``/``track``; ``name`` is the hyperparameter set it tracks with."""

    functions: tuple
    weights: TrackerWeights
    geometry: TrackerGeometry
    name: str

    def __call__(self):
        return SiameseTracker(self.functions, self.weights, self.geometry)

    def record(self):
        """What produces this factory's results (:func:`jaxtrack.track.identity.siamese_record`)."""
        return siamese_record(self.geometry.family, self.name, self.weights.hyper, self.weights.variables)


def siamese_factory(model, variables, *, hyper=None, benchmark=None, search_size=None):
    """A :class:`SiameseTrackerFactory` for a model of any family.

    Args:
      model, variables: a :class:`jaxtrack.models.SiameseModel` and its variables.
      hyper: name of a hyperparameter set of the model's family (:data:`jaxtrack.track.hyper.SETS`),
        optionally with overrides (``"got10k,quality_exponent=0.5"``, :func:`jaxtrack.track.hyper.select`);
        None: the default set of ``benchmark``.
      search_size: search-crop side in pixels; None: the set's (:func:`jaxtrack.track.hyper.search_size`).
    """
    family = family_of(model)
    name, values = hyper_sets.select(family.name, hyper, benchmark)
    if search_size is None:
        search_size = hyper_sets.search_size(family.name, name)
    side = family.score_size(abstract_outputs(model, variables, search_size)["cls"].shape[1])
    geometry = TrackerGeometry(family.name, side, search_size, min_size=pp.MIN_SIZES[family.name])
    weights = TrackerWeights(jax.device_put(variables), values.as_arrays())  # uploaded once
    return SiameseTrackerFactory(jit_tracker(model, geometry), weights, geometry, name)

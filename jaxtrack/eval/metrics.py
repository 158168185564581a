"""One-pass-evaluation measures (OTB, UAV123, LaSOT, TrackingNet, GOT-10k), NumPy float64.

Boxes are xyxy float64 ``(T, 4)`` (:mod:`jaxtrack.boxes`: annotation numbers as they are). The
toolkits disagree on several details; each is an explicit field of :class:`Convention`, each
benchmark's official toolkit is its default (:data:`CONVENTIONS`), and every result names the
convention it used.

Shared definitions (all toolkits):
  * success: fraction of frames with IoU strictly above each threshold of
    ``linspace(0, 1, 21)``; AUC = mean of that curve; averaged per sequence, then over sequences.
  * precision: fraction of frames with centre error <= 0..50 px, read at 20 px. Centres are
    ``x + (w - 1) / 2`` as in every toolkit (the -1 cancels in a difference).
  * normalized precision: centre error divided per axis by the ground-truth ``w, h`` on
    thresholds ``linspace(0, 0.5, 51)``.
  * a failed prediction (a non-finite coordinate) overlaps nothing and misses every centre
    threshold; an empty or inverted predicted box overlaps nothing.
"""

from __future__ import annotations

import dataclasses

import numpy as np

SUCCESS_THRESHOLDS = np.linspace(0.0, 1.0, 21)
GOT10K_THRESHOLDS = np.linspace(0.0, 1.0, 101)
PRECISION_THRESHOLDS = np.arange(51, dtype=np.float64)
NORM_PRECISION_THRESHOLDS = np.linspace(0.0, 0.5, 51)
PRECISION_INDEX = 20        # 20 px
NORM_PRECISION_INDEX = 20   # 0.20
HIT = -1.0                  # centre error marking a frame every threshold counts as a hit


@dataclasses.dataclass(frozen=True)
class Convention:
    """How a toolkit turns per-frame measures into scores.

    Attributes:
      name: registry name, recorded in every result.
      first_frame: ``"gt"`` the prediction of frame 0 is replaced by the ground truth (the
        tracker was initialised there; OTB family); ``"skip"`` frame 0 is not scored (GOT-10k);
        ``"score"`` frame 0 is scored as written.
      invalid_gt: frames whose ground truth is NaN or zero-size. ``"drop"``: removed from
        numerator and denominator (got10k's UAV123 and LaSOT classes); ``"miss"``: scored as a miss
        for every measure (got10k's OTB class: NaN compares false); ``"pysot"``: overlap a miss but
        centre error a hit, denominator all frames (pysot, the OTB/UAV/LaSOT MATLAB toolkits;
        like pysot, a ground-truth centre with a coordinate <= 0 is also a centre hit). Readers
        turn zero-size rows into NaN, so they are invalid here too (got10k would score a
        zero-size row's centre error normally).
      absent: frames flagged absent (LaSOT occlusion/out-of-view, GOT-10k absence). ``"score"``:
        flags ignored; ``"miss"``: a miss for every measure, kept in the denominator (pysot's
        LaSOT); ``"drop"``: removed (GOT-10k).
      norm_precision: ``"pysot"``: error / (gt size + 1e-16), score = curve at 0.20
        (pysot, pytracking, LaSOT MATLAB); ``"got10k"``: error / max(gt size, 1), score = mean of
        the 51-point curve (got10k's LaSOT class).
      clip_to_image: clip predictions and ground truth to the image as got10k does (``x`` to
        ``[0, W]``, then ``w`` to ``[0, W - x]``: a box crossing the left edge keeps its width).
      pooled: also report GOT-10k's AO, SR0.50, SR0.75 and 101-point success curve, pooled over
        all scored frames of all sequences.
      reader_options: reader kind -> options the toolkit's way of reading it needs when scoring
        result files (got10k keeps Tiger1's first 5 frames: ``{"otb": {"init_omit": False}}``).
    """

    name: str
    first_frame: str = "gt"
    invalid_gt: str = "miss"
    absent: str = "score"
    norm_precision: str = "got10k"
    clip_to_image: bool = False
    pooled: bool = False
    reader_options: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        for field, allowed in (("first_frame", ("gt", "skip", "score")),
                               ("invalid_gt", ("drop", "miss", "pysot")),
                               ("absent", ("score", "miss", "drop")),
                               ("norm_precision", ("pysot", "got10k"))):
            if getattr(self, field) not in allowed:
                raise ValueError(f"Convention.{field} must be one of {allowed}, not {getattr(self, field)!r}")

    def as_dict(self):
        return dataclasses.asdict(self)


CONVENTIONS = {c.name: c for c in (
    # got10k ExperimentOTB (the project's oracle; the OTB MATLAB toolkit for valid ground truth)
    Convention("otb", first_frame="gt", invalid_gt="miss", absent="score", norm_precision="got10k"),
    # got10k ExperimentUAV123 / ExperimentLaSOT: NaN ground truth dropped, flags ignored
    Convention("got10k-drop", first_frame="gt", invalid_gt="drop", absent="score", norm_precision="got10k"),
    # pysot OPEBenchmark, equal to the UAV123 and LaSOT MATLAB toolkits
    Convention("pysot", first_frame="gt", invalid_gt="pysot", absent="miss", norm_precision="pysot"),
    # GOT-10k: frame 0 excluded, clipped to the image, visible frames only, pooled AO/SR
    Convention("got10k", first_frame="skip", invalid_gt="drop", absent="drop", norm_precision="got10k",
               clip_to_image=True, pooled=True, reader_options={"otb": {"init_omit": False}}),
)}


def iou(pred, gt):
    """Per-frame IoU of (T, 4) xyxy boxes -> (T,) in [0, 1]; 0 where a box is not finite or empty."""
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    with np.errstate(invalid="ignore"):
        wh = np.clip(np.minimum(pred[:, 2:], gt[:, 2:]) - np.maximum(pred[:, :2], gt[:, :2]), 0, None)
        inter = wh[:, 0] * wh[:, 1]
        union = _area(pred) + _area(gt) - inter
        out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    out[~(_finite(pred) & _finite(gt))] = 0.0
    return np.clip(out, 0.0, 1.0)


def centers(boxes):
    """(T, 4) xyxy -> (T, 2) toolkit centres ``x + (w - 1) / 2``."""
    boxes = np.asarray(boxes, np.float64)
    return (boxes[:, :2] + boxes[:, 2:] - 1.0) / 2.0


def center_error(pred, gt):
    """(T,) Euclidean distance in pixels between toolkit centres; NaN where a box is not finite."""
    return np.linalg.norm(centers(pred) - centers(gt), axis=1)


def normalized_center_error(pred, gt, mode="got10k"):
    """(T,) centre error divided per axis by the ground-truth ``w, h`` (``mode`` as in :class:`Convention`)."""
    gt = np.asarray(gt, np.float64)
    size = gt[:, 2:] - gt[:, :2]
    size = np.maximum(size, 1.0) if mode == "got10k" else size + 1e-16
    return np.linalg.norm((centers(pred) - centers(gt)) / size, axis=1)


def clip_to_image(boxes, width, height):
    """got10k's clipping of (T, 4) xyxy boxes: ``x, y`` to the image, then ``w, h`` to what is left."""
    boxes = np.asarray(boxes, np.float64)
    x1 = np.clip(boxes[:, 0], 0, width)
    y1 = np.clip(boxes[:, 1], 0, height)
    w = np.clip(boxes[:, 2] - boxes[:, 0], 0, width - x1)
    h = np.clip(boxes[:, 3] - boxes[:, 1], 0, height - y1)
    return np.stack([x1, y1, x1 + w, y1 + h], axis=1)


def success_curve(ious, thresholds=SUCCESS_THRESHOLDS):
    """(N,) overlaps -> (K,) fraction of frames with overlap strictly above each threshold."""
    return _fraction(np.asarray(ious, np.float64)[:, None] > thresholds[None, :])


def precision_curve(errors, thresholds=PRECISION_THRESHOLDS):
    """(N,) centre errors -> (K,) fraction of frames with error <= each threshold (NaN misses)."""
    with np.errstate(invalid="ignore"):
        return _fraction(np.asarray(errors, np.float64)[:, None] <= thresholds[None, :])


def frame_measures(pred, gt, absent, convention, image_size=None):
    """Per-frame overlaps and centre errors of the frames ``convention`` scores.

    Args:
      pred, gt: (T, 4) xyxy predictions and ground truth (NaN rows = failed / not annotated).
      absent: bool (T,) target-absent flags.
      convention: a :class:`Convention`.
      image_size: ``(width, height)``, required when ``convention.clip_to_image``.

    Returns:
      dict of (N,) float64 ``iou``, ``error`` (px) and ``norm_error`` over the N scored frames;
      a miss has overlap 0 and error NaN, a forced hit (``invalid_gt="pysot"``) error -1.
    """
    pred = np.array(pred, np.float64)
    gt = np.asarray(gt, np.float64)
    absent = np.asarray(absent, bool)
    if pred.shape != gt.shape:
        raise ValueError(f"predictions {pred.shape} and ground truth {gt.shape} differ in shape")
    if convention.first_frame == "gt":
        pred[0] = gt[0]
    if convention.clip_to_image:
        if image_size is None:
            raise ValueError(f"convention {convention.name!r} clips to the image: pass image_size")
        pred, gt = clip_to_image(pred, *image_size), clip_to_image(gt, *image_size)
    invalid = ~_finite(gt) | (_area(gt) <= 0)
    measures = {"iou": iou(pred, gt), "error": center_error(pred, gt),
                "norm_error": normalized_center_error(pred, gt, convention.norm_precision)}
    if convention.invalid_gt == "pysot":
        with np.errstate(invalid="ignore"):
            center_hit = invalid | np.any(centers(gt) <= 0, axis=1)
        measures["error"][center_hit] = HIT
        measures["norm_error"][center_hit] = HIT
    miss = invalid if convention.invalid_gt == "miss" else np.zeros_like(invalid)
    if convention.absent == "miss":
        miss = miss | absent
    measures["iou"][miss] = 0.0
    measures["error"][miss] = np.nan
    measures["norm_error"][miss] = np.nan
    keep = np.ones(len(gt), bool)
    if convention.first_frame == "skip":
        keep[0] = False
    if convention.invalid_gt == "drop":
        keep &= ~invalid
    if convention.absent == "drop":
        keep &= ~absent
    return {key: value[keep] for key, value in measures.items()}


def sequence_scores(measures, convention):
    """:func:`frame_measures` of one sequence -> its curves and scores (fractions in [0, 1])."""
    success = success_curve(measures["iou"])
    precision = precision_curve(measures["error"])
    norm = precision_curve(measures["norm_error"], NORM_PRECISION_THRESHOLDS)
    scores = summarize(success, precision, norm, convention)
    scores["frames"] = int(len(measures["iou"]))
    if convention.pooled:
        scores.update(pooled_scores(measures["iou"]))
    return scores


def summarize(success, precision, norm, convention):
    """Curves -> dict of ``auc``, ``precision``, ``norm_precision``, ``success_rate`` and the curves."""
    return {
        "auc": float(np.mean(success)),
        "precision": float(precision[PRECISION_INDEX]),
        "norm_precision": float(norm[NORM_PRECISION_INDEX] if convention.norm_precision == "pysot"
                                else np.mean(norm)),
        "success_rate": float(success[len(success) // 2]),
        "success_curve": success.tolist(),
        "precision_curve": precision.tolist(),
        "norm_precision_curve": norm.tolist(),
    }


def pooled_scores(ious):
    """GOT-10k scores of pooled overlaps (N,): ``ao``, ``sr50``, ``sr75`` and the 101-point curve."""
    ious = np.asarray(ious, np.float64)
    return {"ao": float(np.mean(ious)) if len(ious) else float("nan"),
            "sr50": float(_fraction(ious > 0.5)), "sr75": float(_fraction(ious > 0.75)),
            "ao_success_curve": success_curve(ious, GOT10K_THRESHOLDS).tolist()}


def score_sequences(predictions, sequences, convention, image_sizes=None, **overrides):
    """Score a tracker on sequences.

    Args:
      predictions: list of (T_i, 4) xyxy arrays, one per sequence.
      sequences: the matching :class:`jaxtrack.data.Sequence` objects.
      convention: a :class:`Convention` or a name in :data:`CONVENTIONS`.
      image_sizes: list of ``(width, height)`` (needed when the convention clips to the image).
      **overrides: :class:`Convention` fields to change, e.g. ``first_frame="score"``; the
        recorded name then lists them (``"pysot(first_frame=score)"``).

    Returns:
      ``{"convention": {...}, "overall": {...}, "sequences": {name: {...}}}``. ``overall`` averages
      the per-sequence curves (OTB style) and, for pooled conventions, adds AO/SR over all frames.
    """
    convention = CONVENTIONS[convention] if isinstance(convention, str) else convention
    if overrides:
        changes = ",".join(f"{k}={v}" for k, v in sorted(overrides.items()))
        convention = dataclasses.replace(convention, name=f"{convention.name}({changes})", **overrides)
    image_sizes = image_sizes or [None] * len(sequences)
    per_sequence, pooled = {}, []
    for pred, seq, size in zip(predictions, sequences, image_sizes):
        measures = frame_measures(pred, seq.boxes, seq.absent, convention, size)
        per_sequence[seq.name] = sequence_scores(measures, convention)
        pooled.append(measures["iou"])
    curves = {key: np.mean([s[key] for s in per_sequence.values()], axis=0)
              for key in ("success_curve", "precision_curve", "norm_precision_curve")}
    overall = summarize(curves["success_curve"], curves["precision_curve"], curves["norm_precision_curve"],
                        convention)
    overall["sequences"] = len(per_sequence)
    if convention.pooled:
        overall.update(pooled_scores(np.concatenate(pooled)))
    return {"convention": convention.as_dict(), "overall": overall, "sequences": per_sequence}


def _finite(boxes):
    return np.all(np.isfinite(boxes), axis=1)


def _area(boxes):
    wh = np.clip(boxes[:, 2:] - boxes[:, :2], 0, None)
    return wh[:, 0] * wh[:, 1]


def _fraction(hits):
    """Mean over the first axis; NaN (not a warning) when there are no frames."""
    hits = np.asarray(hits, np.float64)
    return np.mean(hits, axis=0) if len(hits) else np.full(hits.shape[1:], np.nan)

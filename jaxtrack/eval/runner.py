"""Run a tracker over a dataset and write result files (pysot/pytracking layout), resumably.

Layouts written into ``out_dir`` (one folder per tracker and benchmark, chosen by the caller):
``"flat"`` (pysot, OTB/UAV123/LaSOT/TrackingNet) ``<sequence>.txt`` (one ``x,y,w,h`` row per
frame, or a VOT reset-protocol record) and ``<sequence>_time.txt`` (seconds per frame spent in
``init``/``update``, frame decoding excluded); ``"runs"`` (GOT-10k submissions, VOT baseline
folders) ``<sequence>/<sequence>_001.txt`` and ``<sequence>/<sequence>_time.txt``. Each file is
written to a temporary file and moved into place, the result file last: a sequence whose result
file exists is complete and is skipped on the next run, as long as the folder's record of the
tracker that produced it matches (:mod:`jaxtrack.eval.provenance`). ``out_dir`` may be a URL
(:mod:`jaxtrack.paths`): there each file is written as one object.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from jaxtrack import paths
from jaxtrack.boxes import check_initial_box, xyxy_to_xywh
from jaxtrack.errors import JaxtrackError
from jaxtrack.files import inside
from jaxtrack.eval.provenance import claim, tracker_record
from jaxtrack.polygons import polygon_iou, rect_polygons
from jaxtrack.eval.result_files import (FAILURE, INIT, PREDICTED, SKIPPED, ResetRecord, format_boxes,
                                     format_record)

PROTOCOLS = ("ope", "reset")
LAYOUTS = ("flat", "runs")


def run_sequence(tracker, sequence):
    """One-pass evaluation: init on frame 0 with its ground truth, then update on every frame.

    Returns:
      (T, 4) float64 xyxy boxes (frame 0 = the initial box) and (T,) seconds per frame.
    """
    boxes = np.empty((len(sequence), 4))
    times = np.empty(len(sequence))
    frame = sequence.frame(0)
    boxes[0] = _initial_box(sequence, 0, frame)
    start = time.perf_counter()
    tracker.init(frame, boxes[0])
    times[0] = time.perf_counter() - start
    for index in range(1, len(sequence)):
        frame = sequence.frame(index)
        start = time.perf_counter()
        box, _ = tracker.update(frame)
        times[index] = time.perf_counter() - start
        boxes[index] = box
    return boxes, times


def run_reset_protocol(tracker, sequence, skip=5):
    """VOT baseline run: re-initialise ``skip`` frames after each failure (overlap <= 0).

    Overlaps are measured against ``sequence.attributes["polygons"]`` (or the boxes) inside the
    image. Returns a :class:`jaxtrack.eval.result_files.ResetRecord` and (T,) seconds per frame (0 on
    skipped frames).
    """
    n = len(sequence)
    gt = sequence.attributes.get("polygons")
    if gt is None:
        gt = rect_polygons(xyxy_to_xywh(sequence.boxes))
    codes = np.full(n, SKIPPED, np.int64)
    regions = np.full((n, 8), np.nan)
    times = np.zeros(n)
    index, tracking = 0, False
    while index < n:
        frame = sequence.frame(index)
        start = time.perf_counter()
        if not tracking:
            if np.all(np.isfinite(sequence.boxes[index])):
                tracker.init(frame, _initial_box(sequence, index, frame))
                codes[index], tracking = INIT, True
            times[index] = time.perf_counter() - start
            index += 1
            continue
        box, _ = tracker.update(frame)
        times[index] = time.perf_counter() - start
        region = rect_polygons(xyxy_to_xywh(np.asarray(box, np.float64)[None]))[0]
        height, width = frame.shape[:2]
        overlap = polygon_iou(region[None], gt[index][None], (width, height))[0]
        if overlap > 0 or not np.isfinite(overlap):  # no ground truth: no failure can be detected
            codes[index], regions[index] = PREDICTED, region
            index += 1
        else:
            codes[index], tracking = FAILURE, False
            index += skip
    return ResetRecord(codes, regions), times


def result_paths(out_dir, name, layout="flat"):
    """(result file, time file) of sequence ``name`` in ``out_dir`` for ``layout``; a
    :class:`JaxtrackError` if ``name`` would lead out of ``out_dir``."""
    if layout == "runs":
        return inside(out_dir, name, f"{name}_001.txt"), inside(out_dir, name, f"{name}_time.txt")
    return inside(out_dir, name + ".txt"), inside(out_dir, name + "_time.txt")


def run_benchmark(tracker_factory, dataset, out_dir, *, protocol="ope", skip=5, layout="flat", progress=True,
                  force=False):
    """Run a fresh ``tracker_factory()`` on every sequence without a result file in ``out_dir``.

    The factory's record (``tracker_factory.record()``, if it has one) is kept in ``out_dir``;
    results of another record are refused, or with ``force`` removed and tracked again
    (:func:`jaxtrack.eval.provenance.claim`).

    Args:
      tracker_factory: callable returning a new :class:`jaxtrack.track.Tracker`.
      dataset: a :class:`jaxtrack.data.Dataset`.
      out_dir: folder of the result files (``layout``).
      protocol: ``"ope"`` (one pass) or ``"reset"`` (VOT baseline, re-init ``skip`` frames after
        a failure).
      layout: ``"flat"`` or ``"runs"`` (see the module docstring).
      progress: show a tqdm progress bar over sequences.

    Returns:
      ``{sequence name: {"fps": frames per second of init/update or None if skipped,
      "frames": T, "skipped": bool}}`` for every sequence of the dataset.
    """
    if protocol not in PROTOCOLS:
        raise JaxtrackError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
    if layout not in LAYOUTS:
        raise JaxtrackError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    claim(out_dir, tracker_record(tracker_factory), force=force)
    paths.path(out_dir).mkdir(parents=True, exist_ok=True)
    summary = {}
    bar = tqdm(dataset.sequences, desc=f"{dataset.name} ({protocol})", unit="seq", disable=not progress)
    for sequence in bar:
        result_path, time_path = result_paths(out_dir, sequence.name, layout)
        if paths.path(result_path).exists():
            summary[sequence.name] = {"fps": None, "frames": len(sequence), "skipped": True}
            continue
        tracker = tracker_factory()
        if protocol == "ope":
            boxes, times = run_sequence(tracker, sequence)
            text = format_boxes(boxes)
        else:
            record, times = run_reset_protocol(tracker, sequence, skip)
            text = format_record(record)
        paths.write_text(time_path, "".join(f"{t:.6f}\n" for t in times))
        paths.write_text(result_path, text)
        fps = len(sequence) / max(float(np.sum(times)), 1e-12)
        summary[sequence.name] = {"fps": fps, "frames": len(sequence), "skipped": False}
        bar.set_postfix(sequence=sequence.name, fps=f"{fps:.1f}")
    return summary


def _initial_box(sequence, index, frame):
    """The ground-truth box of frame ``index`` once :func:`check_initial_box` accepts it."""
    box = sequence.boxes[index]
    if not np.all(np.isfinite(box)):
        raise JaxtrackError(f"sequence {sequence.name!r}: frame {index} has no valid ground-truth box to "
                            "initialise the tracker")
    check_initial_box(xyxy_to_xywh(box), frame.shape[1::-1], f"sequence {sequence.name!r} frame {index}")
    return box

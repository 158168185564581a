"""Benchmark evaluation behind ``jaxtrack eval``: run trackers over a benchmark, resumably and
optionally in several processes, in the benchmark's result layout; measure speed; score.

Layout under ``workdir/<benchmark>/``: one folder per tracker (``<model>-<hyper>`` or the peer
name) holding

* OTB, UAV123, LaSOT, TrackingNet: ``<seq>.txt`` + ``<seq>_time.txt`` (pysot); TrackingNet also
  ``<tracker>.zip`` of the ``<seq>.txt`` files (the server's submission) beside the folder;
* GOT-10k: ``<seq>/<seq>_001.txt`` + ``<seq>/<seq>_time.txt`` (the submission folder);
* VOT2018/2019: ``baseline/<seq>/<seq>_001.txt`` reset-protocol records (VOT toolkit / pysot).

Every file is written atomically (as one object in a bucket: ``workdir`` may be a URL,
:mod:`jaxtrack.paths`) and a sequence with a result file is never rerun, so a killed
evaluation is never corrupt and a rerun only tracks what is missing; each tracker folder's
``producer.json`` records the model and parameters, and results of another are refused (or with
``force`` replaced), never reused (:mod:`jaxtrack.eval.provenance`). With ``processes > 1`` each
process (spawned, one JAX runtime each) tracks a disjoint share of the pending sequences.
Speed is frames per second of ``init``/``update`` (crop, network, post-processing; frame decoding
excluded) over every sequence's time file, after compiling for each frame size.
"""

from __future__ import annotations

import concurrent.futures
import io
import multiprocessing
import os
import zipfile

import numpy as np

from jaxtrack import paths
from jaxtrack.errors import JaxtrackError
from jaxtrack.eval.benchmarks import BENCHMARKS
from jaxtrack.eval.provenance import claim, tracker_record
from jaxtrack.eval.runner import result_paths, run_benchmark
from jaxtrack.eval.scoring import open_benchmark, score_ope, score_results
from jaxtrack.files import inside
from jaxtrack.track.loading import TRACKERS, tracker_factory, tracker_name


def results_dir(workdir, benchmark, name):
    """Folder of tracker ``name``'s result files (VOT: its ``baseline`` folder)."""
    folder = inside(workdir, benchmark, name)
    return os.path.join(folder, "baseline") if BENCHMARKS.get(benchmark).protocol == "reset" else folder


def pending(dataset, out_dir, layout):
    """Names of the sequences without a result file."""
    return [s.name for s in dataset if not paths.path(result_paths(out_dir, s.name, layout)[0]).exists()]


def warm_up(factory, sequences):
    """Compile a tracker for every first-frame size of ``sequences`` (init + one update)."""
    seen = set()
    for sequence in sequences:
        box = sequence.boxes[0]
        if not np.all(np.isfinite(box)):
            continue
        frame = sequence.frame(0)
        if frame.shape not in seen:
            seen.add(frame.shape)
            tracker = factory()
            tracker.init(frame, box)
            tracker.update(frame)


def _protocol_layout(benchmark):
    entry = BENCHMARKS.get(benchmark)
    return entry.protocol, entry.layout


def track_dataset(factory, benchmark, dataset, out_dir, *, progress=True):
    """Warm up, then :func:`run_benchmark` ``factory`` over ``dataset`` in ``benchmark``'s
    protocol and layout -> its summary."""
    protocol, layout = _protocol_layout(benchmark)
    warm_up(factory, dataset)
    return run_benchmark(factory, dataset, out_dir, protocol=protocol, layout=layout, progress=progress)


def track_share(model_ref, hyper, benchmark, root, names, out_dir, split=None):
    """One process's share: resolve the tracker and track sequences ``names``."""
    dataset = open_benchmark(benchmark, root, sequences=names, split=split)
    factory = tracker_factory(model_ref, hyper=hyper, benchmark=benchmark)
    return track_dataset(factory, benchmark, dataset, out_dir, progress=False)


def run_tracker(factory, model_ref, hyper, benchmark, dataset, out_dir, *, root, split=None, processes=1,
                progress=True, force=False):
    """Track every sequence of ``dataset`` without results in ``out_dir``: here with ``factory``,
    or with ``processes > 1`` in spawned processes that each resolve ``model_ref``/``hyper`` and
    track a disjoint share. Results of another producer are refused, or with ``force`` replaced."""
    claim(out_dir, tracker_record(factory), force=force)
    todo = pending(dataset, out_dir, _protocol_layout(benchmark)[1])
    if not todo:
        return
    if processes <= 1:
        track_dataset(factory, benchmark, dataset.subset(todo), out_dir, progress=progress)
        return
    shares = [todo[i::processes] for i in range(processes) if todo[i::processes]]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(len(shares), mp_context=context) as pool:
        futures = [pool.submit(track_share, model_ref, hyper, benchmark, root, share, out_dir, split)
                   for share in shares]
        for future in futures:  # let every share finish; then raise the first failure
            future.exception()
        for future in futures:
            future.result()


def speed(dataset, out_dir, layout):
    """``{"fps", "frames", "seconds"}`` from the time files of ``dataset``'s sequences (frames
    with a recorded time; skipped VOT frames have none)."""
    frames, seconds = 0, 0.0
    for sequence in dataset:
        path = paths.path(result_paths(out_dir, sequence.name, layout)[1])
        if path.exists():
            times = np.loadtxt(path.read_text().splitlines(), ndmin=1)
            frames += int(np.count_nonzero(times > 0))
            seconds += float(np.sum(times))
    return {"fps": frames / seconds if seconds > 0 else None, "frames": frames, "seconds": seconds}


def write_trackingnet_zip(dataset, out_dir, path):
    """Zip the ``<seq>.txt`` results of ``dataset`` in ``out_dir`` to ``path`` (TrackingNet's
    submission: the text files at the archive's root)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for sequence in dataset:
            name = sequence.name + ".txt"
            archive.writestr(name, paths.path(inside(out_dir, name)).read_bytes())
    paths.write_bytes(path, buffer.getvalue())


def scorable(dataset):
    """False when the sequences have only their first box (a test split: server-scored)."""
    return not any(s.attributes.get("first_box_only") for s in dataset)


def track_and_score(models, benchmark, root, workdir, *, sequences=None, hyper=None, split=None,
                    processes=1, progress=True, force=False):
    """Run and score several trackers on one benchmark.

    Args:
      models: ``--model`` values: peer names (``csrt``) or model paths (:func:`jaxtrack.track.load_model`).
      benchmark: a key of :data:`jaxtrack.eval.benchmarks.BENCHMARKS`.
      hyper: hyperparameter set name for the Siamese trackers (None: a model directory's stored
        set, else the benchmark's default).
      split: dataset split (GOT-10k, TrackingNet); None: the reader's default for the benchmark.
      force: replace results another model or parameter set produced (default: refuse them).

    Returns:
      ``{"benchmark", "scored": bool, "trackers": {name: {"model", "hyper", "results", "speed",
      "scores"}}}`` with ``scores`` as :func:`jaxtrack.eval.scoring.score_results` returns them
      (None for test splits).
    """
    dataset = open_benchmark(benchmark, root, sequences=sequences, split=split)
    layout = _protocol_layout(benchmark)[1]
    can_score = scorable(dataset)
    trackers = {}
    for model_ref in models:
        factory = tracker_factory(model_ref, hyper=None if model_ref in TRACKERS else hyper, benchmark=benchmark)
        hyper_name = None if model_ref in TRACKERS else factory.name
        name = tracker_name(model_ref, hyper_name)
        if name in trackers:
            raise JaxtrackError(f"two --model values give the tracker name {name!r}; rename one model folder")
        out_dir = results_dir(workdir, benchmark, name)
        run_tracker(factory, model_ref, hyper_name, benchmark, dataset, out_dir, root=root, split=split,
                    processes=processes, progress=progress, force=force)
        if BENCHMARKS.get(benchmark).zip_submission:
            write_trackingnet_zip(dataset, out_dir, inside(workdir, benchmark, name + ".zip"))
        scores = None
        if can_score:
            scores = score_results(benchmark, root, out_dir, sequences=dataset.names())
        trackers[name] = {"model": str(model_ref), "hyper": hyper_name, "results": out_dir,
                          "speed": speed(dataset, out_dir, layout), "scores": scores}
    return {"benchmark": benchmark, "scored": can_score, "trackers": trackers}


def track_and_score_sequences(models, dataset, workdir, *, convention="otb", hyper=None, progress=True,
                              force=False):
    """Track ``dataset`` (any mix of sequences, e.g. from several readers) with each of ``models``
    and score every tracker with one ``convention`` -> ``{tracker name: metrics.score_sequences result
    with "benchmark": dataset.name}`` (the form :func:`jaxtrack.eval.report.write_report` takes).

    ``hyper``: the Siamese trackers' set (None: a model directory's stored set, else OTB's).
    Results go to ``workdir/<tracker>/<seq>.txt``; finished sequences are not tracked again.
    """
    scores = {}
    for model_ref in models:
        factory = tracker_factory(model_ref, hyper=None if model_ref in TRACKERS else hyper, benchmark="otb")
        name = tracker_name(model_ref, None if model_ref in TRACKERS else factory.name)
        out_dir = inside(workdir, name)
        run_benchmark(factory, dataset, out_dir, progress=progress, force=force)
        scores[name] = {"benchmark": dataset.name, **score_ope(dataset, out_dir, convention)}
    return scores

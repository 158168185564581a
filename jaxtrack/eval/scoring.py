"""Score a folder of result files against a benchmark (the library side of ``jaxtrack score``)."""

from __future__ import annotations

from jaxtrack.eval import result_files
from jaxtrack.data.readers import open_dataset
from jaxtrack.errors import JaxtrackError
from jaxtrack.eval import metrics, vot_measures
from jaxtrack.eval.benchmarks import BENCHMARKS


def open_benchmark(benchmark, root, *, sequences=None, split=None, **reader_options):
    """The dataset of ``benchmark`` (a key of :data:`BENCHMARKS`) at ``root``, with the reader
    options of the benchmark and ``reader_options`` (``split`` overrides the default split)."""
    entry = BENCHMARKS.get(benchmark)
    options = dict(entry.options, **reader_options)
    if split is not None:
        options["split"] = split
    return open_dataset(entry.reader, root, sequences=sequences, **options)


def conventions_for(benchmark):
    """Names of the conventions ``benchmark`` can be scored with."""
    return sorted(vot_measures.VOT_CONVENTIONS) if BENCHMARKS.get(benchmark).reader == "vot" else sorted(metrics.CONVENTIONS)


def score_results(benchmark, root, results_dir, *, sequences=None, convention=None):
    """Score the result files in ``results_dir`` on the benchmark at ``root``.

    Args:
      benchmark: a key of :data:`BENCHMARKS`.
      sequences: sequence names to score (default: all of the dataset).
      convention: a convention name (default: the benchmark's official one; see
        :func:`conventions_for`).

    Returns:
      ``{"benchmark", "results", "convention", "overall", "sequences"}``: fractions in [0, 1]
      (OTB family: ``auc``, ``precision``, ``norm_precision``, ``success_rate`` and curves; plus
      ``ao``, ``sr50``, ``sr75`` for GOT-10k; VOT: ``accuracy``, ``robustness``, ``failures``,
      ``eao``). Sequences with OTB-style attributes carry them as ``attributes``. One-pass scores
      also list in ``aligned`` the result files cut to the scored frames (:func:`score_ope`).
    """
    entry = BENCHMARKS.get(benchmark)
    convention = convention or entry.convention
    if convention not in conventions_for(benchmark):
        raise JaxtrackError(f"convention {convention!r} does not apply to {benchmark}; "
                            f"use one of {', '.join(conventions_for(benchmark))}")
    reader_options = getattr(metrics.CONVENTIONS.get(convention), "reader_options", {}).get(entry.reader, {})
    dataset = open_benchmark(benchmark, root, sequences=sequences, **reader_options)
    for seq in dataset:
        if seq.attributes.get("first_box_only"):
            raise JaxtrackError(f"sequence {seq.name!r} has only its first box (a test split); "
                                "its results can only be scored by the benchmark's server")
    if entry.reader == "vot":
        scored = _score_vot(dataset, results_dir, convention)
    else:
        scored = score_ope(dataset, results_dir, convention)
    for seq in dataset:
        if "attributes" in seq.attributes:
            scored["sequences"][seq.name]["attributes"] = list(seq.attributes["attributes"])
    return {"benchmark": benchmark, "results": str(results_dir), **scored}


def image_size(sequence):
    """``(width, height)`` of a sequence: from its annotations if known, else its first frame."""
    if "image_size" in sequence.attributes:
        return tuple(sequence.attributes["image_size"])
    height, width = sequence.frame(0).shape[:2]
    return width, height


def score_ope(dataset, results_dir, convention):
    """Score one-pass result files of ``dataset`` in ``results_dir`` with ``convention`` ->
    :func:`jaxtrack.eval.metrics.score_sequences` result (image sizes read when the convention clips),
    with ``"aligned"``: notes on result files of one row per file frame cut to the scored frames."""
    predictions, notes = [], []
    for seq in dataset:
        files = result_files.find_result_files(results_dir, seq)
        if len(files) != 1:
            raise JaxtrackError(f"{len(files)} result runs for {seq.name!r} in {results_dir}; "
                                "one-pass evaluation scores one run per sequence")
        predictions.append(result_files.read_boxes(files[0], len(seq), span=seq.attributes.get("file_frames"),
                                                   notes=notes))
    sizes = [image_size(seq) for seq in dataset] if metrics.CONVENTIONS[convention].clip_to_image else None
    return {**metrics.score_sequences(predictions, list(dataset), convention, sizes), "aligned": notes}


def _score_vot(dataset, results_dir, convention):
    records = [[result_files.read_record(path, len(seq)) for path in result_files.find_result_files(results_dir, seq)]
               for seq in dataset]
    return vot_measures.score_reset_runs(records, [seq.attributes["polygons"] for seq in dataset],
                            [image_size(seq) for seq in dataset], dataset.names(), convention)

"""The notebooks run, and each committed ``.ipynb`` is its percent script's cells without outputs.

The notebooks are executed from their jupytext percent scripts (``notebooks/*.py``), cell by cell
in one namespace as a kernel would, in a temporary working directory with matplotlib's Agg
backend and ``JAXTRACK_NOTEBOOK_SMALL=1`` (shorter sweeps, a 4-step smoke run). No Jupyter needed.
"""

import importlib.util
import json
import pathlib
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"


def _load_sync():
    spec = importlib.util.spec_from_file_location("notebook_sync", NOTEBOOKS / "sync.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync = _load_sync()


def test_every_notebook_is_a_pair():
    scripts = {p.stem for p in NOTEBOOKS.glob("*.py")} - {"sync", "notebook_display"}
    notebooks = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert scripts == notebooks == set(sync.NOTEBOOKS)


@pytest.mark.parametrize("name", sync.NOTEBOOKS)
def test_ipynb_has_no_outputs_and_equals_its_script(name):
    ipynb = NOTEBOOKS / f"{name}.ipynb"
    notebook = json.loads(ipynb.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{ipynb.name} has outputs"
    cells = sync.read_cells(NOTEBOOKS / f"{name}.py")
    assert sync.notebook_cells(ipynb) == cells, f"{ipynb.name} differs from {name}.py: run python notebooks/sync.py"
    assert ipynb.read_text() == sync.notebook_text(cells, name), "run python notebooks/sync.py"
    assert any("parameters" in cell["metadata"].get("tags", []) for cell in cells)


@pytest.mark.parametrize("name", sync.NOTEBOOKS)
def test_converter_round_trips(name, tmp_path):
    cells = sync.read_cells(NOTEBOOKS / f"{name}.py")
    back = tmp_path / f"{name}.py"
    back.write_text(sync.percent_text(cells))
    assert sync.read_cells(back) == cells


def test_converter_reads_markers_and_rejects_stray_text(tmp_path):
    script = tmp_path / "x.py"
    script.write_text('# %% [markdown]\n# # Title\n#\n# text\n\n# %% tags=["parameters"]\nA = 1\n\n\n# %%\nB = A + 1\n')
    cells = sync.read_cells(script)
    assert [(c["type"], c["source"], c["metadata"]) for c in cells] == [
        ("markdown", "# Title\n\ntext", {}), ("code", "A = 1", {"tags": ["parameters"]}), ("code", "B = A + 1", {})]
    assert sync.execute(script)["B"] == 2
    script.write_text("import os\n# %%\nA = 1\n")
    with pytest.raises(ValueError, match="before the first"):
        sync.read_cells(script)


def _execute(name, tmp_path, monkeypatch, **environment):
    """Run notebooks/NAME.py in small mode in tmp_path -> (namespace, figures folder)."""
    figures = tmp_path / "figures"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JAXTRACK_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("JAXTRACK_NOTEBOOK_FIGURES", str(figures))
    for key, value in environment.items():
        monkeypatch.setenv(key, str(value))
    namespace = sync.execute(NOTEBOOKS / f"{name}.py", after_cell=lambda _: plt.close("all"))
    return namespace, figures


def _assert_pngs(figures, names):
    for name in names:
        path = figures / f"{name}.png"
        assert path.exists() and path.stat().st_size > 10_000, f"figure {name}.png missing or empty"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_label_maps_notebook_runs(tmp_path, monkeypatch):
    ns, figures = _execute("label_maps", tmp_path, monkeypatch)
    _assert_pngs(figures, ["rules", "over_scale", "over_aspect", "over_shift", "dla_threshold", "positives_sweep"])
    counts = ns["counts"]
    assert len(ns["sweep_scales"]) == 16  # small mode
    by_scale = {name.replace("\n", " "): values[0] for name, values in counts.items()}
    # what the notebook's closing markdown says about the default parameters
    assert np.all(by_scale["fixed IoU (SiamRPN++)"] <= 16)
    assert by_scale["fixed IoU (SiamRPN++)"][0] == 0 and by_scale["fixed IoU (SiamRPN++)"][-1] == 0
    assert np.all(by_scale["DLA anchors IoU"] > 0)
    assert np.all(by_scale["DLA points virtual IoU, keep best"] > 0)
    assert by_scale["centre region (SiamCAR)"][-1] > 100

    # the sliders of a live kernel, driven without one: each move relabels from the library and redraws
    explorer = ns["label_map_explorer"]()
    controls, figure, image = explorer.controls, explorer.figure, explorer.image
    compiled = ns["explore_labels"]._cache_size()
    before = image.value
    controls["scale"].value = 128.0
    controls["k"].value = 12
    controls["std_scale"].value = 0.5
    assert image.value != before and image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert ns["explore_labels"]._cache_size() == compiled  # box, k and std_scale are traced: no recompilation
    box = ns["target_box"](scale=128.0)
    expected = int((np.asarray(ns["assign"].dla(ns["anchors"], box, k=60, statistic="iou", std_scale=0.5).cls) == 1).sum())
    assert figure.axes[2].get_title() == f"DLA anchors IoU, 5k: {expected} pos"
    controls["statistic"].value = "centerness"
    assert figure.axes[3].get_title().startswith("DLA points centerness: ")
    start = time.process_time()
    controls["dx"].value = 24.0
    assert time.process_time() - start < 1.0  # CPU seconds of a cached redraw
    assert explorer.status.value.startswith("redrawn in ")


@pytest.mark.slow
def test_training_and_study_notebook_runs(tmp_path, monkeypatch):
    """With no run and no study at the given folders, the notebook trains a smoke run and runs a
    small study itself, then reads and plots both."""
    run, study_dir = tmp_path / "run", tmp_path / "study"
    ns, figures = _execute("training_and_study", tmp_path, monkeypatch, JAXTRACK_RUN_DIR=run,
                           JAXTRACK_STUDY_DIR=study_dir)
    assert (run / "metrics.jsonl").exists() and (study_dir / "study.json").exists()
    _assert_pngs(figures, ["training", "study_scale", "study_aspect", "study_settings"])
    assert list(ns["steps"]) == [1, 2, 3, 4]
    assert {"total", "positives", "negatives", "learning_rate", "pairs_per_second", "grad_norm"} <= set(ns["metrics"])
    assert "total" in ns["losses"] and len(ns["losses"]) >= 3
    assert ns["match"] == ("dla/virtual_iou", "k=9, std_scale=1.0") and ns["chosen"]
    _assert_pngs(figures, ["study_compare"])

    # the two menus of a live kernel, driven without one
    comparison = ns["study_comparison"]()
    before = comparison.image.value
    comparison.menus[1].value = ns["settings"][-1]
    assert comparison.image.value != before and comparison.image.value[:4] == b"\x89PNG"

    # a resumed run logs some steps twice, a running one may end in half a line: last record wins
    log = tmp_path / "resumed.jsonl"
    records = ((2, 5.0), (4, 4.0), (4, 3.0), (6, 2.0))
    log.write_text("".join(json.dumps({"step": s, "total": t}) + "\n" for s, t in records) + '{"step": 8, "tot')
    steps, values = ns["read_metrics"](log)
    assert list(steps) == [2, 4, 6] and list(values["total"]) == [5.0, 3.0, 2.0]

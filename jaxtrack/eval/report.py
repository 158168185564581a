"""Comparison reports over trackers: markdown + CSV tables, success/precision plots, attributes.

Input: ``{tracker name: score dict}`` as returned by :func:`jaxtrack.eval.scoring.score_results`
for one benchmark and convention. Plots use matplotlib's Agg canvas (no display needed).
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from jaxtrack.errors import JaxtrackError
from jaxtrack.eval.metrics import PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS
from jaxtrack.paths import write_bytes, write_text

OPE_COLUMNS = ("auc", "precision", "norm_precision", "ao", "sr50", "sr75")
VOT_COLUMNS = ("eao", "accuracy", "robustness", "failures")


def write_report(scores, out_dir, *, title=None):
    """Write ``summary.md``/``summary.csv`` and, for one-pass benchmarks, ``success.png``,
    ``precision.png`` and (when sequences have attributes) ``attributes.md``/``attributes.csv``
    and ``success_by_attribute.png`` into ``out_dir`` (local or a URL, :mod:`jaxtrack.paths`).

    Returns:
      dict of the written paths by kind.
    """
    if not scores:
        raise JaxtrackError("no tracker scores to report")
    first = next(iter(scores.values()))
    for name, s in scores.items():
        if (s["benchmark"], s["convention"]["name"]) != (first["benchmark"], first["convention"]["name"]):
            raise JaxtrackError(f"tracker {name!r} was scored on {s['benchmark']} with convention "
                                f"{s['convention']['name']!r}, the others on {first['benchmark']} with "
                                f"{first['convention']['name']!r}")
    title = title or f"{first['benchmark']} (convention {first['convention']['name']!r})"
    vot = "eao" in first["overall"]
    columns = [c for c in (VOT_COLUMNS if vot else OPE_COLUMNS) if c in first["overall"]]
    order = sorted(scores, key=lambda n: -scores[n]["overall"][columns[0]])
    rows = [[n] + [scores[n]["overall"][c] for c in columns] for n in order]
    paths = {"summary_md": os.path.join(out_dir, "summary.md"), "summary_csv": os.path.join(out_dir, "summary.csv")}
    _write_tables(paths["summary_md"], paths["summary_csv"], title, ["tracker", *columns], rows)
    if vot:
        return paths
    paths["success"] = os.path.join(out_dir, "success.png")
    paths["precision"] = os.path.join(out_dir, "precision.png")
    _plot(paths["success"], {n: scores[n]["overall"] for n in order}, "success_curve", "auc",
          f"Success plot: {title}")
    _plot(paths["precision"], {n: scores[n]["overall"] for n in order}, "precision_curve", "precision",
          f"Precision plot: {title}")
    by_attribute = attribute_scores(scores)
    if by_attribute:
        paths["attributes_md"] = os.path.join(out_dir, "attributes.md")
        paths["attributes_csv"] = os.path.join(out_dir, "attributes.csv")
        paths["attributes_plot"] = os.path.join(out_dir, "success_by_attribute.png")
        rows = [[a, by_attribute[a]["sequences"]] + [by_attribute[a][n]["auc"] for n in order] for a in by_attribute]
        _write_tables(paths["attributes_md"], paths["attributes_csv"], f"AUC per attribute: {title}",
                      ["attribute", "sequences", *order], rows)
        _plot_attributes(paths["attributes_plot"], by_attribute, order, title)
    return paths


def attribute_scores(scores):
    """Per attribute: ``{"sequences": n, tracker: {"auc", "precision", "success_curve",
    "precision_curve"}}`` averaged over the sequences having it; {} without attributes."""
    first = next(iter(scores.values()))
    attributes = sorted({a for s in first["sequences"].values() for a in s.get("attributes", ())})
    table = {}
    for attribute in attributes:
        names = [n for n, s in first["sequences"].items() if attribute in s.get("attributes", ())]
        table[attribute] = {"sequences": len(names)}
        for tracker, s in scores.items():
            success = np.mean([s["sequences"][n]["success_curve"] for n in names], axis=0)
            precision = np.mean([s["sequences"][n]["precision_curve"] for n in names], axis=0)
            table[attribute][tracker] = {"auc": float(np.mean(success)), "precision": float(precision[20]),
                                         "success_curve": success, "precision_curve": precision}
    return table


def _write_tables(md_path, csv_path, title, header, rows):
    cell = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = [f"# {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    write_text(md_path, "\n".join(lines) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[f"{v:.6f}" if isinstance(v, float) else v for v in row] for row in rows])
    write_text(csv_path, buffer.getvalue())


def _axes_for(ax, key):
    if key == "success_curve":
        ax.set(xlabel="Overlap threshold", ylabel="Success rate", xlim=(0, 1), ylim=(0, 1))
        return SUCCESS_THRESHOLDS
    ax.set(xlabel="Location error threshold (px)", ylabel="Precision",
           xlim=(0, PRECISION_THRESHOLDS[-1]), ylim=(0, 1))
    return PRECISION_THRESHOLDS


def _plot(path, overall, key, score_key, title):
    """One curve per tracker, legend ``name [score]`` sorted by that score."""
    fig = Figure(figsize=(6, 4.5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = _axes_for(ax, key)
    for name in sorted(overall, key=lambda n: -overall[n][score_key]):
        ax.plot(x, overall[name][key], label=f"{name} [{overall[name][score_key]:.3f}]")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.4)
    ax.legend(loc="lower left" if key == "success_curve" else "lower right", fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def _plot_attributes(path, by_attribute, trackers, title):
    cols = min(4, len(by_attribute))
    rows = -(-len(by_attribute) // cols)
    fig = Figure(figsize=(3.2 * cols, 2.8 * rows), dpi=110)
    FigureCanvasAgg(fig)
    for i, (attribute, entry) in enumerate(by_attribute.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        x = _axes_for(ax, "success_curve")
        for name in sorted(trackers, key=lambda n: -entry[n]["auc"]):
            ax.plot(x, entry[name]["success_curve"], label=f"{name} [{entry[name]['auc']:.3f}]")
        ax.set_title(f"{attribute} ({entry['sequences']} seq.)", fontsize=9)
        ax.grid(True, alpha=0.4)
        ax.legend(loc="lower left", fontsize=7)
    fig.suptitle(f"Success per attribute: {title}", fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def _save(fig, path):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    write_bytes(path, buffer.getvalue())


def per_sequence_table(scores):
    """Markdown table from ``{tracker: metrics.score_sequences result}``: AUC per sequence, their mean,
    precision and normalised precision."""
    names = list(next(iter(scores.values()))["sequences"])
    lines = ["| tracker | " + " | ".join(names) + " | mean AUC | precision | norm. precision |",
             "|---" * (len(names) + 4) + "|"]
    for tracker, result in scores.items():
        aucs = [result["sequences"][n]["auc"] for n in names]
        overall = result["overall"]
        lines.append(f"| {tracker} | " + " | ".join(f"{a:.3f}" for a in aucs) +
                     f" | {np.mean(aucs):.3f} | {overall['precision']:.3f} | {overall['norm_precision']:.3f} |")
    return "\n".join(lines)

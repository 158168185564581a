"""The assigner study's report: markdown tables, CSV/JSON of every setting, and pictures."""

from __future__ import annotations

import csv
import json
import math
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack import boxes as bx
from jaxtrack.assign import label_study
from jaxtrack.assign.dla import dla
from jaxtrack.assign.fixed import center_region, fixed_iou
from jaxtrack.assign.geometry import anchor_grid, grid_centers, point_grid
from jaxtrack.assign.siamla import ladl, lals
from jaxtrack.figures import plots

GALLERY_BOXES = np.array([  # square, wide, tall, small, large, off-centre elongated (crop px)
    [95, 95, 159, 159], [67, 111, 187, 143], [111, 67, 143, 187], [115, 117, 139, 137],
    [47, 52, 207, 202], [120, 60, 200, 90]], np.float32)
GALLERY_TITLES = ["square 64", "wide 4:1", "tall 1:4", "small 24", "large 160", "shifted 8:3"]


def simulated_predictions(points, gt, key, spread=0.3):
    """Plausible predicted boxes at ``points`` for a box ``gt`` -> (N, 4) xyxy: the target with an
    error that grows with the point's distance from the target centre (for LADL pictures)."""
    centre, size = bx.center(gt), gt[2:] - gt[:2]
    distance = jnp.linalg.norm((points - centre) / (0.5 * size), axis=-1, keepdims=True)
    noise = jax.random.normal(key, (points.shape[0], 4))
    return gt + noise * spread * jnp.concatenate([size, size]) * (0.15 + distance)


def gallery_rows(key):
    """The assigners shown in the label-map gallery, each ``(name, fn(gt), anchors/loc, centres, soft)``."""
    anchors, points = jnp.asarray(anchor_grid()), jnp.asarray(point_grid())
    anchor_centres, point_centres = grid_centers(), np.asarray(point_grid())

    def predictions(gt):
        return simulated_predictions(points, jnp.asarray(gt), key)

    return [
        ("fixed IoU 0.6/0.3\n(SiamRPN++)", lambda g: fixed_iou(anchors, g, key), 5, anchor_centres, False),
        ("centre region 0.3\n(SiamCAR)", lambda g: center_region(points, g), 1, point_centres, False),
        ("DLA anchors\nIoU, k=45", lambda g: dla(anchors, g, k=45, statistic="iou"), 5, anchor_centres, False),
        ("DLA points\nvirtual IoU, k=9", lambda g: dla(points, g, k=9, statistic="virtual_iou"), 1,
         point_centres, False),
        ("DLA points\ncentreness, k=9", lambda g: dla(points, g, k=9, statistic="centerness"), 1,
         point_centres, False),
        ("LADL soft targets\n(simulated preds)", lambda g: ladl(points, g, predictions(g), k=16), 1,
         point_centres, True),
        ("LADL + LALS\neps=0.2", lambda g: lals(ladl(points, g, predictions(g), k=16), eps=0.2), 1,
         point_centres, True),
    ]


def _fmt(value, digits=2):
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def representative_table(rows, axis):
    """Markdown table: one line per rule's reference setting, per-bin positives and share with
    no positive."""
    bins = label_study.bin_labels(label_study.SCALE_BINS if axis == "scale" else label_study.ASPECT_BINS)
    header = "| assigner | setting | " + " | ".join(bins) + " |"
    lines = [header, "|" + "---|" * (len(bins) + 2)]
    for rule, setting in label_study.REPRESENTATIVE.items():
        name = ", ".join(f"{k}={v}" for k, v in setting.items())
        chosen = {r["bin"]: r for r in rows if r["rule"] == rule and r["setting"] == name and r["axis"] == axis}
        if not chosen:
            continue
        cells = [f"{_fmt(chosen[b]['positives'], 1)} / {100 * chosen[b]['no_positive']:.0f}%" if b in chosen else "-"
                 for b in bins]
        lines.append(f"| {rule} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def best_settings_table(rows):
    """Markdown table: per rule, the setting with the fewest targets left without positives
    over all boxes (ties: more positives), with its worst bin."""
    lines = ["| rule | setting | no positive (all) | worst bin | positives/target | IoU of positives |",
             "|---|---|---|---|---|---|"]
    grids = sorted({r["rule"] for r in rows})
    for rule in grids:
        by_setting = {}
        for r in rows:
            if r["rule"] == rule and r["axis"] == "scale":
                by_setting.setdefault(r["setting"], []).append(r)
        def total(setting_rows):
            n = sum(r["targets"] for r in setting_rows)
            none = sum(r["no_positive"] * r["targets"] for r in setting_rows) / n
            pos = sum(r["positives"] * r["targets"] for r in setting_rows) / n
            return none, -pos
        setting, chosen = min(by_setting.items(), key=lambda item: total(item[1]))
        none, neg_pos = total(chosen)
        worst = max(chosen, key=lambda r: r["no_positive"])
        ious = [r["pos_iou"] for r in chosen if not math.isnan(r["pos_iou"])]
        lines.append(f"| {rule} | {setting} | {100 * none:.1f}% | {worst['bin']} px: "
                     f"{100 * worst['no_positive']:.0f}% | {-neg_pos:.1f} | {_fmt(float(np.mean(ious)))} |")
    return "\n".join(lines)


def write_report(workdir, boxes, results, grids, *, elapsed, source, seed):
    """Write ``study.md``, ``study.csv``, ``study.json`` and PNG figures into ``workdir``.

    Returns the path of the markdown report.
    """
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    rows = label_study.summarize(boxes, results, grids)
    with open(workdir / "study.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    settings = sum(len(f.settings()) for f in grids)
    (workdir / "study.json").write_text(json.dumps(
        {"boxes": len(boxes), "settings": settings, "seconds": elapsed, "source": source, "seed": seed,
         "rows": rows}, indent=1))

    reference = [(rule, ", ".join(f"{k}={v}" for k, v in setting.items()))
                 for rule, setting in label_study.REPRESENTATIVE.items()
                 if any(f.name == rule for f in grids)]
    plots.study_curves(workdir / "study_scale.png", rows, "scale", reference,
                       bins=label_study.bin_labels(label_study.SCALE_BINS))
    plots.study_curves(workdir / "study_aspect.png", rows, "aspect", reference,
                       bins=label_study.bin_labels(label_study.ASPECT_BINS))
    plots.label_map_gallery(workdir / "label_maps.png", gallery_rows(jax.random.key(seed)), GALLERY_BOXES,
                            box_titles=GALLERY_TITLES)

    scale, aspect = label_study.bin_index(boxes)
    text = f"""# Label assignment study

{len(boxes)} ground-truth boxes ({source}) as they appear in 255x255 search crops, {settings}
assigner settings, all assignments in one compiled call: {elapsed:.1f} s (compile included).

Each cell: positives per target / share of targets with **no** positive. Targets without a
positive give the classifier nothing to learn from for that pair.

## By target scale (sqrt(w*h) in crop pixels)

{representative_table(rows, "scale")}

![per-scale curves](study_scale.png)

## By aspect ratio (w / h)

{representative_table(rows, "aspect")}

![per-aspect curves](study_aspect.png)

## Best setting of each rule

Lowest share of targets without a positive over all boxes (ties: more positives).

{best_settings_table(rows)}

## Label maps

![label maps](label_maps.png)

Every setting and bin, with mean IoU and centreness of the positives and the label entropy
(bits per trained sample): `study.csv`. Boxes per scale bin: {np.bincount(scale, minlength=5).tolist()};
per aspect bin: {np.bincount(aspect, minlength=5).tolist()}.
"""
    path = workdir / "study.md"
    path.write_text(text)
    return path

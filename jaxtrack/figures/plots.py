"""Pictures of label assignment: label maps on the score map, and the study's per-bin curves.

Figures are drawn with pyplot and saved; the backend is left to matplotlib (Agg without a
display, inline in a notebook).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from jaxtrack.assign.labels import IGNORE, NEGATIVE, POSITIVE

# ignore, negative, positive
_LABEL_COLOURS = ListedColormap(["#ffffff", "#c9ccd1", "#1a9850"])


def location_labels(cls, num_anchors):
    """(N,) labels -> (N / num_anchors,) per location: positive if any anchor is positive,
    else negative if any is negative, else ignore."""
    per_location = np.asarray(cls).reshape(-1, num_anchors)
    return np.where((per_location == POSITIVE).any(1), POSITIVE,
                    np.where((per_location == NEGATIVE).any(1), NEGATIVE, IGNORE))


def label_map_image(labels, num_anchors=1, soft=False):
    """One assignment as the (side, side) image :func:`draw_label_map` shows: ``labels.soft`` (max
    over a location's anchors) if ``soft``, else the location's label + 1 (0 ignore, 1 negative,
    2 positive, see :func:`location_labels`)."""
    if soft:
        values = np.asarray(labels.soft).reshape(-1, num_anchors).max(1)
    else:
        values = location_labels(labels.cls, num_anchors) + 1
    side = int(round(np.sqrt(len(values))))
    return values.reshape(side, side)


def draw_label_map(ax, labels, gt, *, num_anchors=1, centers, stride=8, soft=False, title=None):
    """Draw one assignment on ``ax``: the score map in crop pixels with the ground-truth box.

    Args:
      labels: :class:`jaxtrack.assign.Labels` of one box.
      gt: (4,) xyxy box, crop pixels.
      num_anchors: anchors per location (1 for points).
      centers: (L, 2) location centres (crop pixels, row-major), to place the map.
      soft: show ``labels.soft`` (max over anchors) as intensity instead of hard labels.
    """
    lo = centers.min(0) - stride / 2
    hi = centers.max(0) + stride / 2
    extent = (lo[0], hi[0], hi[1], lo[1])
    colours = dict(cmap="Greens", vmin=0, vmax=1) if soft else dict(cmap=_LABEL_COLOURS, vmin=0, vmax=2)
    ax.imshow(label_map_image(labels, num_anchors, soft), extent=extent, interpolation="nearest", **colours)
    x1, y1, x2, y2 = np.asarray(gt, float)
    ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor="#d73027", linewidth=1.5))
    ax.set_xlim(0, 255)
    ax.set_ylim(255, 0)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def update_label_map(ax, labels, gt, *, num_anchors=1, soft=False, title=None):
    """Show another assignment on an ``ax`` drawn by :func:`draw_label_map` (its image and box
    updated in place: an interactive redraw without new artists)."""
    ax.images[0].set_data(label_map_image(labels, num_anchors, soft))
    x1, y1, x2, y2 = np.asarray(gt, float)
    ax.patches[0].set_bounds(x1, y1, x2 - x1, y2 - y1)
    if title:
        ax.set_title(title, fontsize=8)


def label_map_gallery(path, rows, boxes, *, box_titles=None):
    """Save a grid of label maps: one row per assigner, one column per box.

    Args:
      path: output PNG path.
      rows: list of ``(name, fn, num_anchors, centers, soft)`` where ``fn(gt) -> Labels``.
      boxes: (M, 4) xyxy crop boxes.
      box_titles: optional column titles.
    """
    boxes = np.asarray(boxes)
    fig, axes = plt.subplots(len(rows), len(boxes), figsize=(1.9 * len(boxes) + 1.2, 1.9 * len(rows)),
                             squeeze=False)
    for r, (name, fn, num_anchors, centers, soft) in enumerate(rows):
        for c, gt in enumerate(boxes):
            labels = fn(gt)
            positives = int((np.asarray(labels.cls) == POSITIVE).sum())
            title = (box_titles[c] + "\n" if box_titles and r == 0 else "") + f"{positives} pos"
            draw_label_map(axes[r, c], labels, gt, num_anchors=num_anchors, centers=centers, soft=soft,
                           title=title)
        axes[r, 0].set_ylabel(name, fontsize=8)
    fig.suptitle("label maps on the 25x25 score map (green positive, grey negative, white ignored; "
                 "red: target)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def study_curves(path, rows, axis, settings, *, bins):
    """Save the study's per-bin curves for chosen settings: positives per target and the share
    of targets with no positive, over the scale or aspect-ratio bins.

    Args:
      rows: output of :func:`jaxtrack.assign.label_study.summarize`.
      axis: ``"scale"`` or ``"aspect"``.
      settings: list of ``(rule, setting string)`` to draw.
      bins: bin names in order.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for rule, setting in settings:
        chosen = {r["bin"]: r for r in rows if r["rule"] == rule and r["setting"] == setting and r["axis"] == axis}
        x = [i for i, b in enumerate(bins) if b in chosen]
        label = f"{rule} ({setting})"
        left.plot(x, [chosen[bins[i]]["positives"] for i in x], marker="o", label=label)
        right.plot(x, [100 * chosen[bins[i]]["no_positive"] for i in x], marker="o", label=label)
    name = "target scale sqrt(w*h), crop px" if axis == "scale" else "aspect ratio w/h"
    for ax, ylabel in ((left, "positives per target"), (right, "targets with no positive (%)")):
        ax.set_xticks(range(len(bins)), bins, fontsize=8)
        ax.set_xlabel(name)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    right.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

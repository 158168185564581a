"""VOT regions (rotated rectangles and boxes as polygons): rectangle <-> polygon conversions
and exact IoU of convex polygons, NumPy float64.

Polygons are flat corner lists ``(N, 2K)``: ``x1, y1, .., xK, yK`` in either winding. The
intersection is Sutherland-Hodgman clipping, exact for convex polygons. (The VOT toolkit and
pysot rasterise the regions instead; their overlaps differ from these by pixel quantisation.)

Polygon -> box conversions (``mode`` of :func:`polygon_to_xywh`):

* ``"minmax"``: the polygon's bounding box (min/max of the corners), the VOT toolkit's
  polygon -> rectangle conversion.
* ``"area"``: pysot's ``get_axis_aligned_bbox``: centred on the corners' mean, the bounding box
  scaled by ``s = sqrt(A_poly / A_bbox)`` (``A_poly`` from two edge lengths) with 1 added to each
  side, top-left ``cx - (w - 1) / 2``. (got10k's ``_corner2rect`` is the same box shifted by half a
  pixel: top-left ``cx - w / 2``.)
"""

from __future__ import annotations

import numpy as np

from jaxtrack.errors import JaxtrackError

BOX_MODES = ("minmax", "area")


def rect_polygons(rows):
    """(N, 4) ``x, y, w, h`` -> (N, 8) corners clockwise from the top-left."""
    x, y, w, h = np.asarray(rows, np.float64).T
    return np.stack([x, y, x + w, y, x + w, y + h, x, y + h], axis=1)


def polygon_to_xywh(polygons, mode="minmax"):
    """(N, 8) polygons -> (N, 4) ``x, y, w, h`` by ``mode`` (see the module docstring)."""
    if mode not in BOX_MODES:
        raise JaxtrackError(f"VOT box conversion must be one of {', '.join(BOX_MODES)}, not {mode!r}")
    p = np.asarray(polygons, np.float64)
    xs, ys = p[:, 0::2], p[:, 1::2]
    x1, x2, y1, y2 = xs.min(1), xs.max(1), ys.min(1), ys.max(1)
    if mode == "minmax":
        return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    edge1 = np.linalg.norm(p[:, 0:2] - p[:, 2:4], axis=1)
    edge2 = np.linalg.norm(p[:, 2:4] - p[:, 4:6], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sqrt(edge1 * edge2 / ((x2 - x1) * (y2 - y1)))
    w, h = scale * (x2 - x1) + 1, scale * (y2 - y1) + 1
    return np.stack([xs.mean(1) - (w - 1) / 2, ys.mean(1) - (h - 1) / 2, w, h], axis=1)


def polygon_area(points):
    """(K, 2) polygon corners -> its area (shoelace), >= 0."""
    x, y = points[:, 0], points[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2.0


def clip_polygon(subject, clip):
    """The part of polygon ``subject`` (K, 2) inside the convex polygon ``clip`` (M, 2) -> (L, 2)."""
    x, y = clip[:, 0], clip[:, 1]
    if np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)) < 0:
        clip = clip[::-1]  # counter-clockwise, so "inside" is the left of every edge
    output = list(subject)
    for a, b in zip(clip, np.roll(clip, -1, axis=0)):
        if not output:
            break
        points, output = output, []
        edge = b - a
        side = [edge[0] * (p[1] - a[1]) - edge[1] * (p[0] - a[0]) for p in points]
        for i, (p, s) in enumerate(zip(points, side)):
            q, t = points[i - 1], side[i - 1]
            if (s >= 0) != (t >= 0):
                output.append(q + (p - q) * (t / (t - s)))
            if s >= 0:
                output.append(p)
    return np.array(output, np.float64).reshape(-1, 2)


def polygon_iou(polygons1, polygons2, bound=None):
    """Per-row IoU of (N, 2K) and (N, 2M) convex polygons -> (N,) in [0, 1].

    Args:
      bound: ``(width, height)``: both polygons are first clipped to the image
        ``[0, width] x [0, height]``, as the VOT measures do.

    Rows with a non-finite coordinate give NaN; an empty union gives 0.
    """
    p1 = np.atleast_2d(np.asarray(polygons1, np.float64))
    p2 = np.atleast_2d(np.asarray(polygons2, np.float64))
    image = None if bound is None else np.array([[0, 0], [bound[0], 0], [bound[0], bound[1]], [0, bound[1]]], np.float64)
    out = np.full(len(p1), np.nan)
    for i, (a, b) in enumerate(zip(p1, p2)):
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            continue
        a, b = a.reshape(-1, 2), b.reshape(-1, 2)
        if image is not None:
            a, b = clip_polygon(a, image), clip_polygon(b, image)
        area_a = polygon_area(a) if len(a) >= 3 else 0.0
        area_b = polygon_area(b) if len(b) >= 3 else 0.0
        inter = clip_polygon(a, b) if len(a) >= 3 and len(b) >= 3 else np.zeros((0, 2))
        area_i = polygon_area(inter) if len(inter) >= 3 else 0.0
        union = area_a + area_b - area_i
        out[i] = min(max(area_i / union, 0.0), 1.0) if union > 0 else 0.0
    return out

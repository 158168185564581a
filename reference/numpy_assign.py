"""Per-sample NumPy statements of the reference label rules, for tests and benchmarks.

These restate what pysot's ``AnchorTarget.__call__``, SiamCAR's target computation and ATSS do,
one ground-truth box at a time on the host, in the way those codebases run them during training
(the baseline that ``benchmarks/assign.py`` and ``benchmarks/train.py`` measure against). They use
jaxtrack's sample order (location-major, anchor-minor) so results compare element-wise with
:mod:`jaxtrack.assign`. Randomness comes from an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np


def iou_np(anchors, gt):
    """pysot's ``IoU``: (N, 4) xyxy anchors with one xyxy box -> (N,), no +1 terms."""
    x1, y1, x2, y2 = anchors.T
    xx1, yy1 = np.maximum(gt[0], x1), np.maximum(gt[1], y1)
    xx2, yy2 = np.minimum(gt[2], x2), np.minimum(gt[3], y2)
    inter = np.maximum(0, xx2 - xx1) * np.maximum(0, yy2 - yy1)
    union = (x2 - x1) * (y2 - y1) + (gt[2] - gt[0]) * (gt[3] - gt[1]) - inter
    return inter / union


def _select(position, keep_num, rng):
    """pysot's ``select``: at most ``keep_num`` of the ``np.where`` tuple ``position``."""
    num = position[0].shape[0]
    if num <= keep_num:
        return position, num
    order = np.arange(num)
    rng.shuffle(order)
    order = order[:keep_num]
    return tuple(p[order] for p in position), keep_num


class AnchorTargetNp:
    """pysot's ``AnchorTarget`` for one box at a time, in pysot's own (A, S, S) array layout.

    ``anchors`` are jaxtrack's (S * S * A, 4) xyxy anchors (e.g. :func:`jaxtrack.assign.anchor_grid`);
    they are laid out once as pysot keeps them, ``(4, A, S, S)`` corners and centres. Call it
    with a box and a ``numpy.random.Generator``; :meth:`to_sample_order` turns its arrays into
    jaxtrack's order for comparison.
    """

    def __init__(self, anchors, *, pos_iou=0.6, neg_iou=0.3, pos_num=16, total_num=64, neg_num=16,
                 stride=8, search_size=255):
        anchors = np.asarray(anchors, np.float32)
        centers = (anchors[:, :2] + anchors[:, 2:]) * 0.5
        self.num_anchors = int(np.sum(np.all(centers == centers[0], axis=1)))
        self.size = int(round(np.sqrt(len(anchors) // self.num_anchors)))
        corners = anchors.reshape(self.size, self.size, self.num_anchors, 4).transpose(3, 2, 0, 1)
        x1, y1, x2, y2 = corners
        self.corners = corners
        self.centers = np.stack([(x1 + x2) * 0.5, (y1 + y2) * 0.5, x2 - x1, y2 - y1])
        self.pos_iou, self.neg_iou = pos_iou, neg_iou
        self.pos_num, self.total_num, self.neg_num = pos_num, total_num, neg_num
        self.stride, self.search_size = stride, search_size

    def __call__(self, target, rng, neg=False):
        """-> cls (A, S, S) int64, delta (4, A, S, S), delta_weight (A, S, S), overlap (A, S, S)."""
        a, size = self.num_anchors, self.size
        cls = -1 * np.ones((a, size, size), dtype=np.int64)
        delta = np.zeros((4, a, size, size), dtype=np.float32)
        delta_weight = np.zeros((a, size, size), dtype=np.float32)
        tcx, tcy = (target[0] + target[2]) * 0.5, (target[1] + target[3]) * 0.5
        tw, th = target[2] - target[0], target[3] - target[1]
        if neg:
            cx = size // 2 + int(np.ceil((tcx - self.search_size // 2) / self.stride + 0.5))
            cy = size // 2 + int(np.ceil((tcy - self.search_size // 2) / self.stride + 0.5))
            left, right = max(0, cx - 3), min(size, cx + 4)
            up, down = max(0, cy - 3), min(size, cy + 4)
            cls[:, up:down, left:right] = 0
            negative, _ = _select(np.where(cls == 0), self.neg_num, rng)
            cls[:] = -1
            cls[negative] = 0
            return cls, delta, delta_weight, np.zeros((a, size, size), dtype=np.float32)
        cx, cy, w, h = self.centers
        delta[0] = (tcx - cx) / w
        delta[1] = (tcy - cy) / h
        delta[2] = np.log(tw / w)
        delta[3] = np.log(th / h)
        overlap = iou_np(self.corners.reshape(4, -1).T, target).reshape(a, size, size)
        pos = np.where(overlap > self.pos_iou)
        neg = np.where(overlap < self.neg_iou)
        pos, pos_num = _select(pos, self.pos_num, rng)
        neg, _ = _select(neg, self.total_num - self.pos_num, rng)
        cls[pos] = 1
        delta_weight[pos] = 1.0 / (pos_num + 1e-6)
        cls[neg] = 0
        return cls, delta, delta_weight, overlap

    @staticmethod
    def to_sample_order(array):
        """(A, S, S) -> (S * S * A,), or (4, A, S, S) -> (S * S * A, 4): jaxtrack's sample order."""
        if array.ndim == 3:
            return array.transpose(1, 2, 0).reshape(-1)
        return array.transpose(2, 3, 1, 0).reshape(-1, 4)


def center_region_np(points, gt, *, margin=0.3):
    """SiamCAR's rule for one box -> dict of cls (N,) int (1/0), ltrb (N, 4), centerness (N,)."""
    points = np.asarray(points, np.float32)
    gt = np.asarray(gt, np.float32)
    xs, ys = points[:, 0], points[:, 1]
    ltrb = np.stack([xs - gt[0], ys - gt[1], gt[2] - xs, gt[3] - ys], axis=-1)
    half_w = (gt[2] - gt[0]) / np.float32(2)
    half_h = (gt[3] - gt[1]) / np.float32(2)
    twice = np.float32(2 * margin)
    inside = ((ltrb[:, 0] > twice * half_w) & (ltrb[:, 2] > twice * half_w)
              & (ltrb[:, 1] > twice * half_h) & (ltrb[:, 3] > twice * half_h))
    lr = np.minimum(ltrb[:, 0], ltrb[:, 2]) / np.maximum(ltrb[:, 0], ltrb[:, 2])
    tb = np.minimum(ltrb[:, 1], ltrb[:, 3]) / np.maximum(ltrb[:, 1], ltrb[:, 3])
    with np.errstate(invalid="ignore"):
        centerness = np.where(ltrb.min(axis=1) > 0, np.sqrt(np.clip(lr * tb, 0, 1)), 0.0)
    return dict(cls=inside.astype(np.int64), ltrb=ltrb, centerness=centerness)


def atss_np(sample_centers, statistic, gt, *, k, std_scale=1.0, center_inside=True,
            inside_eps=0.01):
    """ATSS's positive rule for one box and one level -> bool (N,) positives.

    ``statistic`` (N,) is the per-sample value thresholded (ATSS: anchor IoU). Candidates are the
    ``k`` nearest centres (stable order on ties), threshold = mean + std_scale * unbiased std.
    """
    centers = np.asarray(sample_centers, np.float32)
    gt = np.asarray(gt, np.float32)
    gc = np.array([(gt[0] + gt[2]) * 0.5, (gt[1] + gt[3]) * 0.5], np.float32)
    squared = np.sum((centers - gc) ** 2, axis=-1)
    candidates = np.argsort(squared, kind="stable")[:k]
    values = np.asarray(statistic, np.float64)[candidates]
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    threshold = values.mean() + std_scale * std
    keep = values >= threshold - 1e-6
    if center_inside:
        c = centers[candidates]
        ltrb = np.stack([c[:, 0] - gt[0], c[:, 1] - gt[1], gt[2] - c[:, 0], gt[3] - c[:, 1]], -1)
        keep &= ltrb.min(axis=1) > inside_eps
    positive = np.zeros(len(centers), bool)
    positive[candidates[keep]] = True
    return positive


def dla_anchors_np(anchors, gt, *, k=45, std_scale=1.0):
    """DLA over anchors with the IoU statistic for one box, with pysot deltas and weights ->
    dict of cls (N,) int (1/0), delta (N, 4), delta_weight (N,)."""
    anchors = np.asarray(anchors, np.float32)
    gt = np.asarray(gt, np.float32)
    centers = (anchors[:, :2] + anchors[:, 2:]) * 0.5
    positive = atss_np(centers, iou_np(anchors, gt), gt, k=k, std_scale=std_scale)
    wh = anchors[:, 2:] - anchors[:, :2]
    target_wh = gt[2:] - gt[:2]
    delta = np.concatenate([((gt[:2] + gt[2:]) * 0.5 - centers) / wh, np.log(target_wh / wh)], -1)
    delta_weight = np.where(positive, 1.0 / (positive.sum() + 1e-6), 0.0).astype(np.float32)
    return dict(cls=positive.astype(np.int64), delta=delta, delta_weight=delta_weight)

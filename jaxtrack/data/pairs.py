"""Training pairs (template crop, search crop, box) drawn as pysot's ``TrkDataset`` draws them.

An epoch holds ``num_use`` picks per source dataset (pysot's ``NUM_USE``; -1: one per video):
pick ``p`` of a source is its video ``order[p % n]`` for a fixed seeded permutation ``order``, so a
``num_use`` below the video count is a fixed random subset and above it repeats videos. For a pick,
with probability ``neg`` the pair is negative (pysot, DaSiamRPN): the template is a random frame of
the picked video and the search frame a random frame of a random video of a uniformly chosen
source. Otherwise the template is a random valid frame and the search frame a random valid frame
at most ``frame_range`` valid frames away (pysot counts positions in the list of annotated frames;
VID 100, GOT-10k 50 in SiamCAR's config).

Sequences sharing ``attributes["video"]`` (the tracks of one video in pysot's layout,
:mod:`jaxtrack.data.readers.pysot`) count as one video: ``num_use`` counts videos, and each draw
from the video takes one of its tracks uniformly (pysot's ``np.random.choice(list(video.keys()))``).

Only valid frames are ever used (finite, positive-size box, target not absent; counted per source
in :attr:`PairSampler.stats`). A frame that is missing or cannot be decoded, or a box entirely
outside its image, makes the sampler draw a new video from the same generator (so the result is
still a function of the index) and warn once per file with the reason; the count of such draws
travels in each pair's ``resampled`` field (the sampler keeps no counters: Grain calls it from
several threads and worker processes).

Augmentation follows pysot's ``Augmentation`` in its order: grayscale (both crops, probability
``gray``), scale (each side times ``1 + scale * U(-1, 1)``) and shift (``shift * U(-1, 1)`` crop
pixels per axis) of the crop window, PCA colour offset, blur, horizontal flip; the box follows
every geometric step. Crops come straight from the frame (pysot crops a 511 patch first and then
the 255 search crop from it); pixels beyond the frame take its mean colour. Crops stay uint8: the
colour offset is rounded and clipped to 0..255 (pysot keeps floats).

Everything random comes from the ``numpy.random.Generator`` passed in, seeded from
``(seed, index)`` by :meth:`PairSampler.__getitem__` or by Grain's ``random_map``.
"""

from __future__ import annotations

import collections
import dataclasses
import warnings

import cv2
import numpy as np

from jaxtrack.data import crop as crop_lib
from jaxtrack.errors import JaxtrackError

# pysot's colour augmentation: an RGB offset ``RGB_VAR @ N(0, I_3)`` subtracted from the crop.
RGB_VAR = np.array([[-0.55919361, 0.98062831, -0.41940627],
                    [1.72091413, 0.19879334, -1.82968581],
                    [4.64467907, 4.73710203, 4.88324118]])


@dataclasses.dataclass(frozen=True)
class Augmentation:
    """One crop's augmentation (pysot ``DATASET.TEMPLATE`` / ``DATASET.SEARCH``).

    Attributes:
      shift: maximum shift of the crop window per axis, output-crop pixels.
      scale: maximum relative change of each side of the window.
      blur: probability of a random cross-shaped blur kernel (odd size 5..45).
      flip: probability of a horizontal flip.
      color: probability of the PCA colour offset.
    """

    shift: float = 0.0
    scale: float = 0.0
    blur: float = 0.0
    flip: float = 0.0
    color: float = 0.0


TEMPLATE_AUG = Augmentation(shift=4, scale=0.05, blur=0.0, flip=0.0, color=1.0)
SEARCH_AUG = Augmentation(shift=64, scale=0.18, blur=0.2, flip=0.0, color=1.0)


@dataclasses.dataclass(frozen=True)
class Source:
    """A training dataset and how to draw from it.

    Attributes:
      dataset: the :class:`jaxtrack.data.Dataset`.
      frame_range: maximum distance between template and search, in valid frames.
      num_use: picks per epoch; -1 = one per usable video.
    """

    dataset: object
    frame_range: int = 100
    num_use: int = -1


class _Skip(Exception):
    """This pair cannot be made (``reason``, ``path``); draw another."""

    def __init__(self, reason, path):
        super().__init__(f"{reason}: {path}")
        self.reason, self.path = reason, path


class PairSampler:
    """Random-access training pairs: ``sampler[i]`` is a dict of NumPy arrays.

    Keys: ``template`` uint8 (127, 127, 3) and ``search`` uint8 (255, 255, 3), BGR as pysot feeds
    its networks; ``template_box``, ``box`` float32 (4,) xyxy of the target in template / search
    crop pixels (for a negative pair ``box`` is the other video's target); ``negative`` bool;
    ``resampled`` int32, how many draws were skipped for bad input before this one.
    """

    def __init__(self, sources, *, seed=0, neg=0.2, gray=0.0, template_aug=TEMPLATE_AUG,
                 search_aug=SEARCH_AUG, exemplar_size=127, search_size=255, context=0.5,
                 max_attempts=20):
        self.seed, self.neg, self.gray = seed, neg, gray
        self.template_aug, self.search_aug = template_aug, search_aug
        self.exemplar_size, self.search_size, self.context = exemplar_size, search_size, context
        self.max_attempts = max_attempts
        self.sources, self.videos, self.orders, self.num_use, self.stats = [], [], [], [], []
        for k, source in enumerate(sources):
            groups = {}  # video -> its tracks with a valid frame, [(sequence, valid frame indices)]
            invalid = 0
            for seq in source.dataset:
                valid = np.flatnonzero(seq.valid)
                invalid += len(seq) - len(valid)
                tracks = groups.setdefault(seq.attributes.get("video", ("sequence", seq.name)), [])
                if len(valid):
                    tracks.append((seq, valid))
            videos = [tracks for tracks in groups.values() if tracks]
            self.stats.append({"dataset": source.dataset.name, "videos": len(groups),
                               "videos_without_valid_frames": len(groups) - len(videos),
                               "invalid_frames": invalid})
            if not videos:
                continue
            self.sources.append(source)
            self.videos.append(videos)
            self.orders.append(np.random.default_rng((seed, k)).permutation(len(videos)))
            self.num_use.append(len(videos) if source.num_use == -1 else source.num_use)
        if not self.sources:
            raise JaxtrackError("no training source has a video with a valid annotated frame")
        self.starts = np.cumsum([0] + self.num_use)
        self._warned = set()  # files warned about; a race between threads at most repeats a warning

    def __len__(self):
        """Picks per epoch: the sum of the sources' ``num_use``."""
        return int(self.starts[-1])

    def __getitem__(self, index):
        """Pair ``index`` (any int >= 0; epoch ``index // len``), seeded by (seed, index)."""
        return self.sample(index, np.random.default_rng((self.seed, index)))

    def pick(self, position):
        """Position in the epoch(s) -> (source number, video number)."""
        position = position % len(self)
        k = int(np.searchsorted(self.starts, position, side="right") - 1)
        order = self.orders[k]
        return k, int(order[(position - self.starts[k]) % len(order)])

    def sample(self, position, rng):
        """The pair for epoch position ``position`` drawn with ``rng`` (a numpy Generator)."""
        k, v = self.pick(position)
        reasons = collections.Counter()  # of the draws skipped for this pair
        for attempt in range(self.max_attempts):
            try:
                pair = self._pair(k, v, rng)
            except _Skip as skip:
                reasons[skip.reason] += 1
                if skip.path not in self._warned:
                    self._warned.add(skip.path)
                    warnings.warn(f"skipping training pairs with {skip}", stacklevel=2)
                k = int(rng.choice(len(self.sources), p=np.asarray(self.num_use) / len(self)))
                v = int(rng.integers(len(self.videos[k])))
                continue
            pair["resampled"] = np.int32(attempt)
            return pair
        raise JaxtrackError(f"{self.max_attempts} draws in a row hit bad input ({dict(reasons)})")

    def choose_frames(self, k, v, rng):
        """Draw the frames of a pair for video ``v`` of source ``k``.

        Returns:
          (template sequence, template frame index, search sequence, search frame index,
          negative, gray).
        """
        gray = self.gray > 0 and rng.random() < self.gray
        negative = self.neg > 0 and rng.random() < self.neg
        seq, valid = _track(self.videos[k][v], rng)
        if negative:
            t_frame = int(rng.choice(valid))
            k2 = int(rng.integers(len(self.sources)))
            v2 = int(rng.integers(len(self.videos[k2])))
            if (k2, v2) == (k, v) and len(self.videos[k2]) > 1:
                v2 = (v2 + 1 + int(rng.integers(len(self.videos[k2]) - 1))) % len(self.videos[k2])
            s_seq, s_valid = _track(self.videos[k2][v2], rng)
            return seq, t_frame, s_seq, int(rng.choice(s_valid)), True, gray
        frame_range = self.sources[k].frame_range
        i = int(rng.integers(len(valid)))
        lo, hi = max(i - frame_range, 0), min(i + frame_range, len(valid) - 1)
        return seq, int(valid[i]), seq, int(valid[rng.integers(lo, hi + 1)]), False, gray

    def _pair(self, k, v, rng):
        t_seq, t_frame, s_seq, s_frame, negative, gray = self.choose_frames(k, v, rng)
        t_image, t_box = _load(t_seq, t_frame)
        s_image, s_box = _load(s_seq, s_frame)
        side = crop_lib.context_size(t_box[2] - t_box[0], t_box[3] - t_box[1], self.context)
        template, template_box = augmented_crop(t_image, t_box, side, self.exemplar_size,
                                                self.template_aug, rng, gray)
        side = crop_lib.context_size(s_box[2] - s_box[0], s_box[3] - s_box[1], self.context)
        side = side * self.search_size / self.exemplar_size
        search, box = augmented_crop(s_image, s_box, side, self.search_size, self.search_aug, rng,
                                     gray)
        return {"template": template, "search": search,
                "template_box": template_box.astype(np.float32), "box": box.astype(np.float32),
                "negative": np.bool_(negative)}


def _track(tracks, rng):
    """One of a video's ``(sequence, valid indices)`` tracks, uniformly (no draw for a single one)."""
    return tracks[int(rng.integers(len(tracks)))] if len(tracks) > 1 else tracks[0]


def _load(seq, index):
    """Frame ``index`` of ``seq`` and its box, or :class:`_Skip` for bad input."""
    try:
        image = seq.frame(index)
    except JaxtrackError:
        raise _Skip("unreadable frame", seq.frames[index]) from None
    box = seq.boxes[index]
    height, width = image.shape[:2]
    if box[0] >= width or box[1] >= height or box[2] <= 0 or box[3] <= 0:
        raise _Skip("box outside the image", f"{seq.frames[index]} box {box.tolist()}")
    return image, box


def augmented_crop(image, box, side, out_size, aug, rng, gray=False):
    """Crop the ``side``-pixel square around ``box`` to ``out_size`` with ``aug`` applied.

    Args:
      image: uint8 (H, W, 3) BGR frame.
      box: (4,) xyxy target in frame pixels.
      side: window side in frame pixels before augmentation.
      out_size: output side in pixels.
      aug: :class:`Augmentation`.
      rng: numpy Generator.
      gray: convert to grayscale (3 equal channels).

    Returns:
      uint8 (out_size, out_size, 3) crop and float64 (4,) xyxy box in crop pixels.
    """
    scale = 1.0 + aug.scale * rng.uniform(-1, 1, 2)
    shift = aug.shift * rng.uniform(-1, 1, 2) * side / out_size
    centre = (np.asarray(box[:2]) + box[2:]) / 2 + shift
    half = side * scale / 2
    region = np.concatenate([centre - half, centre + half])
    crop, transform = crop_lib.crop_region(image, region, out_size)
    crop_box = transform.to_crop(box)
    if gray:
        crop = cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if rng.random() < aug.color:
        offset = (RGB_VAR @ rng.standard_normal(3))[::-1]
        crop = np.clip(crop - offset, 0, 255).round().astype(np.uint8)
    if rng.random() < aug.blur:
        crop = cv2.filter2D(crop, -1, _blur_kernel(rng))
    if rng.random() < aug.flip:
        crop = np.ascontiguousarray(crop[:, ::-1])
        x1, y1, x2, y2 = crop_box
        crop_box = np.array([out_size - x2, y1, out_size - x1, y2])
    return crop, crop_box


def _blur_kernel(rng):
    """pysot's random blur: odd size 5..45, a horizontal and a vertical line through the centre
    weighted ``1 - u`` and ``u`` (u ~ U(0, 1)), summing to 1 -> float64 (size, size)."""
    size = int(rng.choice(np.arange(5, 46, 2)))
    kernel = np.zeros((size, size))
    weight = rng.random()
    kernel[:, size // 2] += weight / size
    kernel[size // 2, :] += (1 - weight) / size
    return kernel


def save_pair_grid(batch, path, columns=4, max_pairs=16):
    """Write a picture of the pairs of ``batch`` (dict of (B, ...) arrays) to ``path``.

    Each cell shows the template (top left, its box in yellow) beside the search crop with the
    ground truth box, green for positive pairs and red for negative ones.
    """
    count = min(len(batch["search"]), max_pairs)
    s = batch["search"].shape[1]
    z = batch["template"].shape[1]
    cells = []
    for i in range(count):
        cell = np.full((s, z + s + 4, 3), 255, np.uint8)
        cell[:z, :z] = _as_uint8(batch["template"][i])
        cell[:, z + 4:] = _as_uint8(batch["search"][i])
        _draw_box(cell, batch["template_box"][i], (0, 255, 255), 0)
        colour = (0, 0, 255) if batch["negative"][i] else (0, 255, 0)
        _draw_box(cell, batch["box"][i], colour, z + 4)
        cells.append(np.pad(cell, ((4, 4), (4, 4), (0, 0)), constant_values=255))
    while len(cells) % columns:
        cells.append(np.full_like(cells[0], 255))
    rows = [np.concatenate(cells[r:r + columns], axis=1) for r in range(0, len(cells), columns)]
    if not cv2.imwrite(str(path), np.concatenate(rows, axis=0)):
        raise JaxtrackError(f"cannot write the pair picture {path}")


def _as_uint8(image):
    return np.clip(np.asarray(image), 0, 255).astype(np.uint8)


def _draw_box(image, box, colour, x_offset):
    """Draw xyxy ``box`` (continuous pixels) on ``image`` shifted by ``x_offset``, sub-pixel."""
    x1, y1, x2, y2 = (np.asarray(box, np.float64) + [x_offset, 0, x_offset, 0]) * 4
    # Pixel i covers [i, i+1): the outline runs through the centres of the edge pixels.
    cv2.rectangle(image, (round(x1 + 2), round(y1 + 2)), (round(x2 - 2), round(y2 - 2)), colour, 1,
                  cv2.LINE_AA, shift=2)

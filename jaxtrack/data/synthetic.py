"""Synthetic tracking videos: the embedded default dataset, written in the GOT-10k layout.

Each video shows one textured target (a rectangle or ellipse cut from a scikit-image sample image
or a procedural texture) moving, changing scale and aspect ratio and rotating slightly over a
background (another sample image or texture, cropped and scaled, with slow camera drift).
Distractors move around it, some cut from the same image as the target and of similar size, some
passing in front of it (partial and full occlusion). Frames get illumination changes (gain, tint,
moving light bands), blur episodes (defocus or motion), sensor noise and JPEG compression.

Out of view: with ``out_of_view=p`` a fraction ``p`` of the videos (each decided by its own
generator, so ``p=0`` renders exactly what earlier versions did) has one excursion: somewhere in
the middle of the video an added displacement ramps the target smoothly out through its nearest
frame edge in 4..12 frames, keeps it wholly outside for 8..40 frames (fewer in short videos) and
ramps it back. Those frames are labelled absent (cover 0) with the box clipped to the edge; the
ramps are partially visible frames.

Varied videos (``varied=True``, an option, off by default): the same generator with more of what
real videos have. Targets, distractors and backgrounds also draw from more sample images
(scikit-image's retina, colour wheel, logo, coins, moon, cell, clock, page and text, matplotlib's
photograph); the target's appearance changes over time (its texture window drifts across the
source image, and in half of the videos it cross-fades over 10..40 frames to another window of
the same image, as when a target turns); and in a third of the videos the target jumps 1..3
times (0.5..1.5 target sizes within 2 frames: abrupt motion). Those changes draw from their own
generator ``(seed, i, 2)``, so a varied video keeps the plain one's paths, distractors and
photometry; ``varied=False`` renders exactly what earlier versions did.

Target sizes ``sqrt(w h)`` are log-uniform in 10..150 pixels and aspect ratios ``w / h``
log-uniform in 1/4..4 at the first frame and drift within those ranges (the shape before its
slight rotation; the box is the rotated shape's extent), since the project studies label
assignment across target scales and shapes.

On disk (GOT-10k): ``<root>/<split>/list.txt`` and per sequence ``00000001.jpg ...``,
``groundtruth.txt`` (``x,y,w,h`` rows of the target's axis-aligned extent clipped to the frame),
``absence.label`` (1 when no part is visible), ``cover.label`` (visible fraction in GOT-10k's
levels: 0 none, 1..7 up to 15/30/.../90/<100 %, 8 all) and ``meta_info.ini`` (the resolution).
Open it with ``open_dataset("got10k", root, split=...)``. Everything is a function of ``seed``:
sequence ``i`` draws from ``numpy.random.default_rng((seed, i))`` (its length from
``(seed, i, 0)``, whether it leaves the frame and how from ``(seed, i, 1)``), whatever the worker
count or the number of sequences.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import multiprocessing
import os
import pathlib

import cv2
import numpy as np

from jaxtrack.boxes import xyxy_to_xywh
from jaxtrack.errors import JaxtrackError

_COLOUR_IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field",
                  "immunohistochemistry", "motorcycle")
_GRAY_IMAGES = ("brick", "grass", "gravel", "camera")
_VARIED_COLOUR_IMAGES = ("retina", "colorwheel", "logo", "grace_hopper")
_VARIED_GRAY_IMAGES = ("coins", "moon", "cell", "clock", "page", "text")


def _load_sample(name):
    """One bundled sample image -> (H, W, 3) uint8 RGB (gray ones as 3 equal channels)."""
    import skimage.data  # deferred: only the generator needs scikit-image

    if name == "motorcycle":
        image = skimage.data.stereo_motorcycle()[0]
    elif name == "grace_hopper":
        import matplotlib.cbook  # deferred, as above

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
            image = cv2.imdecode(np.frombuffer(file.read(), np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    else:
        image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return image[:, :, :3]


@functools.cache
def _sample_images(varied=False):
    """The sample images the generator draws from (``varied``: also the varied videos' ones)
    -> {name: (H, W, 3) uint8 BGR}."""
    names = _COLOUR_IMAGES + _GRAY_IMAGES + ((_VARIED_COLOUR_IMAGES + _VARIED_GRAY_IMAGES) if varied else ())
    return {name: np.ascontiguousarray(_load_sample(name)[:, :, ::-1]) for name in names}


def _procedural_texture(rng, height, width):
    """A random (height, width, 3) uint8 texture: coloured multi-octave noise or noisy stripes."""
    colours = rng.uniform(0, 255, (2, 3)).astype(np.float32)
    if rng.random() < 0.5:
        field = np.zeros((height, width), np.float32)
        for octave in range(4):
            cells = 2 ** (octave + 2)
            coarse = rng.random((cells, cells)).astype(np.float32)
            field += cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC) / 2**octave
        field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
    else:
        angle, period = rng.uniform(0, np.pi), rng.uniform(6, 40)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        phase = (xs * np.cos(angle) + ys * np.sin(angle)) * (2 * np.pi / period)
        field = 0.5 + 0.4 * np.sin(phase) + 0.1 * rng.random((height, width)).astype(np.float32)
    image = colours[0] * field[:, :, None] + colours[1] * (1 - field[:, :, None])
    return np.clip(image, 0, 255).astype(np.uint8)


def _texture(rng, min_height=256, min_width=256, varied=False):
    """A source texture: a sample image (gray ones tinted) or a procedural texture, at least
    ``min_height x min_width`` (upscaled if needed) -> (H, W, 3) uint8 BGR. ``varied``: from the
    varied videos' larger set of images."""
    images = _sample_images(varied)
    if rng.random() < 0.75:
        name = rng.choice(list(images))
        image = images[name]
        if name in _GRAY_IMAGES + _VARIED_GRAY_IMAGES:
            tint = rng.uniform(0.5, 1.2, 3).astype(np.float32)
            image = np.clip(image * tint, 0, 255).astype(np.uint8)
    else:
        image = _procedural_texture(rng, max(min_height, 256), max(min_width, 256))
    zoom = max(1.0, min_height / image.shape[0], min_width / image.shape[1])
    if zoom > 1.0:
        image = cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR)
    return image


def _walk(rng, length, step, inertia=0.9):
    """Smooth random walk (length,) from 0: its velocity is AR(1) with N(0, step) innovations."""
    velocity = np.empty(length)
    v = 0.0
    for t, noise in enumerate(rng.normal(0.0, step, length)):
        v = inertia * v + noise
        velocity[t] = v
    velocity[0] = 0.0
    return np.cumsum(velocity)


def _fold(x, low, high):
    """Reflect values into ``[low, high]`` (a bouncing path)."""
    span = max(high - low, 1e-6)
    y = np.mod(x - low, 2 * span)
    return low + span - np.abs(y - span)


@dataclasses.dataclass(eq=False)
class _Sprite:
    """A textured rectangle or ellipse with a path.

    ``path`` is float64 (T, 5): centre x, y, width, height (pixels, before rotation) and angle
    (radians); its texture is the ``src_size`` window at ``src_centre`` of ``pyramid[0]``, moved by
    ``drift[t]`` (T, 2) pixels if set, and blended towards the window at ``fade_centre`` (+ drift)
    with weight ``fade[t]`` (T,) if set.
    """

    pyramid: list
    src_centre: np.ndarray
    src_size: np.ndarray
    ellipse: bool
    path: np.ndarray
    drift: np.ndarray | None = None
    fade_centre: np.ndarray | None = None
    fade: np.ndarray | None = None

    def extent(self, t):
        """Axis-aligned extent of the rotated shape at frame t -> (4,) xyxy."""
        cx, cy, w, h, angle = self.path[t]
        c, s = abs(np.cos(angle)), abs(np.sin(angle))
        if self.ellipse:
            hw, hh = np.hypot(w / 2 * c, h / 2 * s), np.hypot(w / 2 * s, h / 2 * c)
        else:
            hw, hh = w / 2 * c + h / 2 * s, w / 2 * s + h / 2 * c
        return np.array([cx - hw, cy - hh, cx + hw, cy + hh])

    def alpha(self, t, window):
        """Coverage of the pixels of ``window`` (x0, y0, x1, y1 ints) -> float32 (y1-y0, x1-x0),
        with a one-pixel anti-aliased edge."""
        cx, cy, w, h, angle = self.path[t]
        x0, y0, x1, y1 = window
        xs = np.arange(x0, x1, dtype=np.float32) + 0.5 - cx
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
        c, s = np.cos(angle), np.sin(angle)
        lx, ly = c * xs + s * ys, c * ys - s * xs
        if self.ellipse:
            radius = np.sqrt((lx / (w / 2)) ** 2 + (ly / (h / 2)) ** 2)
            inside = (1.0 - radius) * (min(w, h) / 2)
        else:
            inside = np.minimum(w / 2 - np.abs(lx), h / 2 - np.abs(ly))
        return np.clip(inside + 0.5, 0.0, 1.0).astype(np.float32)

    def texture(self, t, window):
        """The sprite's texture resampled over ``window`` -> float32 (y1-y0, x1-x0, 3)."""
        shift = 0.0 if self.drift is None else self.drift[t]
        out = self._resample(t, window, self.src_centre + shift)
        if self.fade is not None and self.fade[t] > 0:
            out += self.fade[t] * (self._resample(t, window, self.fade_centre + shift) - out)
        return out

    def _resample(self, t, window, src_centre):
        """The window at ``src_centre`` resampled over ``window`` -> float32 (y1-y0, x1-x0, 3)."""
        cx, cy, w, h, angle = self.path[t]
        x0, y0, x1, y1 = window
        minify = max(self.src_size[0] / w, self.src_size[1] / h)
        level = int(np.clip(np.floor(np.log2(max(minify, 1.0))), 0, len(self.pyramid) - 1))
        k = 0.5**level
        c, s = np.cos(angle), np.sin(angle)
        a = np.array([[c, s], [-s, c]]) * (self.src_size / np.array([w, h]) * k)[:, None]
        b = a @ (np.array([x0 + 0.5 - cx, y0 + 0.5 - cy])) + src_centre * k - 0.5
        matrix = np.concatenate([a, b[:, None]], axis=1)
        out = cv2.warpAffine(self.pyramid[level], matrix, (x1 - x0, y1 - y0),
                             flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REFLECT)
        return out.astype(np.float32)


def _window(extent, width, height):
    """Integer pixel window covering ``extent`` inside the frame, or None if it is outside."""
    x0, y0 = max(int(np.floor(extent[0])), 0), max(int(np.floor(extent[1])), 0)
    x1, y1 = min(int(np.ceil(extent[2])), width), min(int(np.ceil(extent[3])), height)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _textured_centre(rng, image, size, tries=6):
    """Centre (x, y) of the most textured (highest std) of ``tries`` random ``size`` windows."""
    lo, hi = size / 2, np.array(image.shape[1::-1]) - size / 2
    best, best_std = None, -1.0
    for centre in rng.uniform(lo, np.maximum(hi, lo + 1e-3), (tries, 2)):
        x0, y0 = np.maximum((centre - size / 2).astype(int), 0)
        x1, y1 = np.maximum((centre + size / 2).astype(int), [x0 + 1, y0 + 1])
        std = float(image[y0:y1, x0:x1].std())
        if std > best_std:
            best, best_std = centre, std
    return best


def _make_sprite(rng, path, texture=None, ellipse=None, src_centre=None, varied=False):
    """A sprite on ``path`` with a window of ``texture`` (a new random one, from the varied
    videos' images if ``varied``, if None)."""
    if texture is None:
        texture = _texture(rng, varied=varied)
    if ellipse is None:
        ellipse = bool(rng.random() < 0.5)
    w_max, h_max = path[:, 2].max(), path[:, 3].max()
    zoom = rng.uniform(0.8, 1.6)
    zoom = min(zoom, 0.95 * texture.shape[1] / w_max, 0.95 * texture.shape[0] / h_max)
    src_size = np.array([path[0, 2], path[0, 3]]) * zoom
    pyramid = [texture]
    for _ in range(2):
        pyramid.append(cv2.pyrDown(pyramid[-1]))
    if src_centre is None:
        src_centre = _textured_centre(rng, pyramid[-1], src_size / 4) * 4
    return _Sprite(pyramid, np.asarray(src_centre, np.float64), src_size, ellipse, path)


def _target_path(rng, length, width, height):
    """(T, 5) path of the target: scale 10..150 px, aspect 1/4..4, bouncing smooth motion."""
    log_size = rng.uniform(np.log(10), np.log(150))
    size = np.exp(np.clip(log_size + _walk(rng, length, rng.uniform(0.001, 0.006)),
                          np.log(10), np.log(150)))
    aspect = np.exp(np.clip(rng.uniform(np.log(0.25), np.log(4))
                            + _walk(rng, length, rng.uniform(0.0, 0.004)), np.log(0.25), np.log(4)))
    w, h = size * np.sqrt(aspect), size / np.sqrt(aspect)
    fit = np.minimum(1.0, np.minimum(0.85 * width / w, 0.85 * height / h))
    w, h = w * fit, h * fit
    speed = rng.uniform(0, 0.04) * size[0] + rng.uniform(0, 1.5)
    heading = rng.uniform(0, 2 * np.pi)
    steps = np.arange(length)
    jitter = rng.uniform(0.05, 0.5)
    cx = _fold(rng.uniform(0.2, 0.8) * width + speed * np.cos(heading) * steps
               + _walk(rng, length, jitter), 0.1 * width, 0.9 * width)
    cy = _fold(rng.uniform(0.2, 0.8) * height + speed * np.sin(heading) * steps
               + _walk(rng, length, jitter), 0.1 * height, 0.9 * height)
    angle = np.clip(rng.uniform(-0.1, 0.1) + _walk(rng, length, 0.002), -0.2, 0.2)
    return np.stack([cx, cy, w, h, angle], axis=1)


def _excursion(rng, path, width, height):
    """(T, 2) displacement of a ``path`` (T, 5) that takes the target wholly out of the
    ``width x height`` frame for one segment and back (smoothstep ramps), or zeros if the video
    is too short for one (frame 0 and the last frame stay undisplaced)."""
    length = len(path)
    out, ramp = int(rng.integers(8, 41)), int(rng.integers(4, 13))
    out = min(out, (length - 2) // 2)
    ramp = min(ramp, (length - 2 - out) // 2)
    displacement = np.zeros((length, 2))
    if out < 1 or ramp < 1:
        return displacement
    span = 2 * ramp + out
    slack = length - span  # >= 2 frames outside the excursion
    start = int(rng.integers(max(1, slack // 4), slack - slack // 4))  # the middle half
    held = path[start + ramp:start + ramp + out]
    reach = 0.5 * np.hypot(held[:, 2], held[:, 3]) + 1.0  # half-extent bound at any angle, + 1 px
    needed = [np.max(held[:, 0] + reach), np.max(width - held[:, 0] + reach),  # left, right
              np.max(held[:, 1] + reach), np.max(height - held[:, 1] + reach)]  # top, bottom
    edge = int(np.argmin(needed))
    direction = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], float)[edge]
    up = np.linspace(0.0, 1.0, ramp + 2)[1:-1]
    up = up * up * (3.0 - 2.0 * up)
    weight = np.zeros(length)
    weight[start:start + span] = np.concatenate([up, np.ones(out), up[::-1]])
    return weight[:, None] * needed[edge] * direction


def _jumps(rng, path, width, height):
    """``path`` (T, 5) with 1..3 abrupt moves of 0.5..1.5 target sizes, each within 1 or 2 frames
    (the centre folded back into the frame's middle 80%) -> a new (T, 5) path."""
    length = len(path)
    size = np.sqrt(path[:, 2] * path[:, 3])
    offset = np.zeros((length, 2))
    steps = np.arange(length)
    for _ in range(rng.integers(1, 4)):
        start, frames = rng.integers(1, max(length - 1, 2)), rng.integers(1, 3)
        heading = rng.uniform(0, 2 * np.pi)
        reach = rng.uniform(0.5, 1.5) * size[min(start, length - 1)]
        ramp = np.clip((steps - start + 1) / frames, 0.0, 1.0)
        offset += ramp[:, None] * reach * np.array([np.cos(heading), np.sin(heading)])
    jumped = path.copy()
    jumped[:, 0] = _fold(path[:, 0] + offset[:, 0], 0.1 * width, 0.9 * width)
    jumped[:, 1] = _fold(path[:, 1] + offset[:, 1], 0.1 * height, 0.9 * height)
    return jumped


def _change_appearance(rng, sprite, texture):
    """Let the target ``sprite`` (cut from ``texture``) change appearance: its window drifts
    (in 70% of the videos) and cross-fades over 10..40 frames to another window of the same
    image (in 50%). Sets the sprite's ``drift``/``fade_centre``/``fade``."""
    length = len(sprite.path)
    if rng.random() < 0.7:
        drift = np.stack([_walk(rng, length, 0.002, 0.97) for _ in range(2)], axis=1)
        sprite.drift = np.clip(drift, -0.5, 0.5) * sprite.src_size
    if rng.random() < 0.5:
        coarse = cv2.pyrDown(cv2.pyrDown(texture))
        sprite.fade_centre = np.asarray(_textured_centre(rng, coarse, sprite.src_size / 4) * 4, np.float64)
        start, span = int(rng.uniform(0.2, 0.7) * length), int(rng.integers(10, 41))
        ramp = np.clip((np.arange(length) - start) / span, 0.0, 1.0)
        sprite.fade = ramp * ramp * (3.0 - 2.0 * ramp)


def _distractor_path(rng, target, width, height, similar):
    """(T, 5) path of a distractor: near the target and of similar shape if ``similar``."""
    length = len(target)
    size = np.sqrt(target[0, 2] * target[0, 3])
    if similar:
        w0, h0 = target[0, 2] * rng.uniform(0.8, 1.25), target[0, 3] * rng.uniform(0.8, 1.25)
        bearing = rng.uniform(0, 2 * np.pi)
        start = target[0, :2] + rng.uniform(1.5, 3.0) * size * np.array([np.cos(bearing),
                                                                         np.sin(bearing)])
    else:
        w0, h0 = np.exp(rng.uniform(np.log(8), np.log(120), 2))
        start = rng.uniform([0, 0], [width, height])
    scale = np.exp(_walk(rng, length, 0.004))
    speed, heading = rng.uniform(0, 2.0), rng.uniform(0, 2 * np.pi)
    steps = np.arange(length)
    cx = _fold(start[0] + speed * np.cos(heading) * steps + _walk(rng, length, 0.3), 0, width)
    cy = _fold(start[1] + speed * np.sin(heading) * steps + _walk(rng, length, 0.3), 0, height)
    angle = rng.uniform(-0.2, 0.2) + _walk(rng, length, 0.002)
    return np.stack([cx, cy, w0 * scale, h0 * scale, angle], axis=1)


def _occluder_path(rng, target):
    """(T, 5) path that sweeps across the target around a random frame (an occlusion event)."""
    length = len(target)
    size = np.sqrt(target[:, 2] * target[:, 3])
    middle, duration = rng.uniform(0.2, 0.8) * length, rng.uniform(8, 30)
    heading = rng.uniform(0, 2 * np.pi)
    direction = np.array([np.cos(heading), np.sin(heading)])
    sweep = (np.arange(length) - middle) / duration * 2.5 * size
    centre = target[:, :2] + sweep[:, None] * direction + rng.uniform(-0.3, 0.3) * size[:, None]
    w0, h0 = size[0] * rng.uniform(0.5, 1.6), size[0] * rng.uniform(0.5, 1.6)
    angle = np.full(length, rng.uniform(-0.3, 0.3))
    return np.stack([centre[:, 0], centre[:, 1], np.full(length, w0), np.full(length, h0), angle],
                    axis=1)


class _Photometry:
    """Per-frame illumination (gain, tint, moving light band), blur episodes and noise."""

    def __init__(self, rng, length, width, height):
        self.gain = np.exp(np.clip(_walk(rng, length, rng.uniform(0.0, 0.004)), -0.6, 0.45))
        self.gain = self.gain * rng.uniform(0.8, 1.15)
        self.tint = np.exp(np.clip(np.stack([_walk(rng, length, 0.0005) for _ in range(3)], axis=1),
                                   -0.15, 0.15))
        self.band = rng.uniform(0.1, 0.3) if rng.random() < 0.3 else 0.0
        angle = rng.uniform(0, np.pi)
        wave = rng.uniform(2 * np.pi / 400, 2 * np.pi / 120)
        self.band_x = np.arange(width, dtype=np.float32) * np.float32(wave * np.cos(angle))
        self.band_y = np.arange(height, dtype=np.float32) * np.float32(wave * np.sin(angle))
        self.band_phase = rng.uniform(0, 2 * np.pi) + np.arange(length) * rng.uniform(-0.1, 0.1)
        self.blur = [None] * length
        mode = rng.choice(["none", "defocus", "motion"], p=[0.5, 0.25, 0.25])
        if mode != "none":
            for _ in range(rng.integers(1, 4)):
                start, span = rng.integers(0, length), rng.integers(3, 15)
                for t in range(start, min(start + span, length)):
                    self.blur[t] = (mode, rng.uniform(0.8, 2.5) if mode == "defocus"
                                    else (rng.integers(5, 16), rng.uniform(0, np.pi)))
        self.noise_std = rng.uniform(0.0, 5.0)
        self.noise = rng.normal(0.0, 1.0, (height + 16, width + 16, 3)).astype(np.float32)
        self.noise_offsets = rng.integers(0, 17, (length, 2))

    def __call__(self, frame, t):
        """float32 (H, W, 3) frame at time t -> uint8 (H, W, 3)."""
        height, width = frame.shape[:2]
        frame *= (self.gain[t] * self.tint[t]).astype(np.float32)
        if self.band:
            phase = self.band_x + self.band_phase[t]
            a, b = np.cos(phase), np.sin(phase)
            light = 1.0 + self.band * (np.outer(np.cos(self.band_y), a) - np.outer(
                np.sin(self.band_y), b))
            frame *= light[:, :, None]
        blur = self.blur[t]
        if blur is not None and blur[0] == "defocus":
            frame = cv2.GaussianBlur(frame, (0, 0), blur[1])
        elif blur is not None:
            length, angle = blur[1]
            kernel = np.zeros((length, length), np.float32)
            c = (length - 1) / 2
            d = np.array([np.cos(angle), np.sin(angle)]) * c
            cv2.line(kernel, (round(c - d[0]), round(c - d[1])), (round(c + d[0]), round(c + d[1])),
                     1.0, 1)
            frame = cv2.filter2D(frame, -1, kernel / kernel.sum())
        if self.noise_std:
            oy, ox = self.noise_offsets[t]
            frame += self.noise_std * self.noise[oy:oy + height, ox:ox + width]
        return np.clip(frame, 0, 255).astype(np.uint8)


def _cover_level(visible):
    """Visible fraction -> GOT-10k cover level 0..8."""
    if visible <= 0.005:
        return 0
    if visible >= 0.995:
        return 8
    return int(min(7, np.ceil(visible / 0.15)))


def render_sequence(seed, index, length, size, out_of_view=0.0, varied=False):
    """Render synthetic sequence ``index`` of ``seed``; with probability ``out_of_view`` its
    target leaves the frame for a segment; ``varied``: a varied video (module docstring).

    Returns:
      frames: list of T uint8 (H, W, 3) BGR images, ``size = (W, H)``.
      boxes: float64 (T, 4) xyxy, the target's extent clipped to the frame.
      visible: float64 (T,) visible fraction of the target (occlusion and frame border).
    """
    width, height = size
    rng = np.random.default_rng((seed, index))
    target = _target_path(rng, length, width, height)
    variety = np.random.default_rng((seed, index, 2))
    if varied and variety.random() < 1 / 3:
        target = _jumps(variety, target, width, height)
    excursion_rng = np.random.default_rng((seed, index, 1))
    if excursion_rng.random() < out_of_view:
        target[:, :2] += _excursion(excursion_rng, target, width, height)
    target_texture = _texture(rng, varied=varied)
    target_sprite = _make_sprite(rng, target, target_texture)
    behind, front = [], []
    for _ in range(rng.integers(0, 4)):
        similar = bool(rng.random() < 0.5)
        path = _distractor_path(rng, target, width, height, similar)
        if similar:
            offset = rng.uniform(-0.5, 0.5, 2) * target_sprite.src_size
            centre = np.clip(target_sprite.src_centre + offset, target_sprite.src_size / 2,
                             np.array(target_texture.shape[1::-1]) - target_sprite.src_size / 2)
            sprite = _make_sprite(rng, path, target_texture, target_sprite.ellipse, centre)
        else:
            sprite = _make_sprite(rng, path, varied=varied)
        (front if rng.random() < 0.3 else behind).append(sprite)
    for _ in range(rng.integers(0, 3)):
        front.append(_make_sprite(rng, _occluder_path(rng, target), varied=varied))

    margin = 40
    canvas = _texture(rng, height + 2 * margin, width + 2 * margin, varied=varied)
    max_x, max_y = canvas.shape[1] - width, canvas.shape[0] - height
    cam_x = _fold(rng.uniform(0, max_x) + _walk(rng, length, 0.05, 0.97), 0, max_x)
    cam_y = _fold(rng.uniform(0, max_y) + _walk(rng, length, 0.05, 0.97), 0, max_y)
    zoom = np.exp(np.clip(_walk(rng, length, 0.0005, 0.97), -0.1, 0.1))
    photometry = _Photometry(rng, length, width, height)
    if varied:
        _change_appearance(variety, target_sprite, target_texture)

    frames, boxes, visible = [], np.zeros((length, 4)), np.zeros(length)
    for t in range(length):
        z = 1.0 / zoom[t]
        cam = np.array([[z, 0.0, cam_x[t] + (0.5 - width / 2) * z + width / 2 - 0.5],
                        [0.0, z, cam_y[t] + (0.5 - height / 2) * z + height / 2 - 0.5]])
        frame = cv2.warpAffine(canvas, cam, (width, height), flags=cv2.INTER_LINEAR |
                               cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
        frame = frame.astype(np.float32)
        target_alpha, target_window = None, None
        for sprite in behind + [target_sprite] + front:
            window = _window(sprite.extent(t), width, height)
            if window is None:
                continue
            x0, y0, x1, y1 = window
            alpha = sprite.alpha(t, window)[:, :, None]
            region = frame[y0:y1, x0:x1]
            region += alpha * (sprite.texture(t, window) - region)
            if sprite is target_sprite:
                target_alpha, target_window = alpha[:, :, 0].copy(), window
            elif target_alpha is not None and sprite in front:
                target_alpha *= 1.0 - sprite.alpha(t, target_window)
        w, h = target[t, 2:4]
        area = w * h * (np.pi / 4 if target_sprite.ellipse else 1.0)
        visible[t] = 0.0 if target_alpha is None else min(1.0, float(target_alpha.sum()) / area)
        boxes[t] = np.clip(target_sprite.extent(t), 0, [width, height, width, height])
        frames.append(photometry(frame, t))
    return frames, boxes, visible


def _write_sequence(directory, seed, index, length, size, quality, out_of_view, varied):
    """Render and write one sequence in the GOT-10k layout."""
    frames, boxes, visible = render_sequence(seed, index, length, size, out_of_view, varied)
    directory.mkdir(parents=True, exist_ok=True)
    for t, frame in enumerate(frames):
        path = directory / f"{t + 1:08d}.jpg"
        if not cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, quality]):
            raise JaxtrackError(f"cannot write {path}")
    np.savetxt(directory / "groundtruth.txt", xyxy_to_xywh(boxes), fmt="%.4f", delimiter=",")
    (directory / "meta_info.ini").write_text(
        f"[METAINFO]\nobject_class: synthetic\nresolution: ({size[0]}, {size[1]})\n")
    levels = [_cover_level(v) for v in visible]
    (directory / "absence.label").write_text("".join(f"{int(v == 0)}\n" for v in levels))
    (directory / "cover.label").write_text("".join(f"{v}\n" for v in levels))


def make_synthetic(root, num_sequences=300, frames=(50, 100), seed=0, size=(320, 240), *,
                   split="train", workers=None, quality=90, out_of_view=0.0, varied=False):
    """Write a synthetic dataset in the GOT-10k layout and return ``root``.

    Args:
      root: dataset root; sequences go to ``root/split/Synthetic_000001 ...``.
      num_sequences: number of videos.
      frames: frames per video, an int or an inclusive (min, max) range drawn per video.
      seed: everything (lengths, content) is a function of it.
      size: (width, height) of the frames in pixels.
      split: ``train``/``val``/... folder name.
      workers: processes rendering in parallel; None: the CPU count, 0: in this process.
      quality: JPEG quality.
      out_of_view: fraction of the videos whose target leaves the frame for a segment (module
        docstring); 0 leaves every video as without it.
      varied: varied videos (module docstring): more source images, appearance change, jumps.

    Returns:
      pathlib.Path of ``root`` (``root/split/list.txt`` lists the sequences).

    Raises:
      JaxtrackError: ``out_of_view`` is not in [0, 1].
    """
    if not 0.0 <= out_of_view <= 1.0:
        raise JaxtrackError(f"out_of_view is a fraction of the videos in [0, 1], not {out_of_view}")
    out = pathlib.Path(root) / split
    out.mkdir(parents=True, exist_ok=True)
    low, high = (frames, frames) if isinstance(frames, int) else frames
    lengths = [np.random.default_rng((seed, i, 0)).integers(low, high + 1)
               for i in range(num_sequences)]
    names = [f"Synthetic_{i + 1:06d}" for i in range(num_sequences)]
    jobs = [(out / name, seed, i, int(n), tuple(size), quality, out_of_view, bool(varied))
            for i, (name, n) in enumerate(zip(names, lengths))]
    workers = os.cpu_count() if workers is None else workers
    if workers:
        # spawn: forking a process that runs JAX threads can deadlock.
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(min(workers, len(jobs)), context) as pool:
            for future in [pool.submit(_write_sequence, *job) for job in jobs]:
                future.result()
    else:
        for job in jobs:
            _write_sequence(*job)
    (out / "list.txt").write_text("".join(f"{name}\n" for name in names))
    return pathlib.Path(root)

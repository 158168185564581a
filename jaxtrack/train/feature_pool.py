"""A fixed, seeded pool of augmented training pairs and a frozen backbone's maps of them.

When the backbone is frozen (every CPU-sized config), its forward pass is the same for every
label rule and seed trained on the same pairs. Computing the maps once and training the neck and
head on them makes a comparison of rules cheaper and exactly paired: every run reads the same
pairs, in an order fixed by the order seed alone.

On disk (a folder, written chunk by chunk and resumable)::

    POOL/pool.json                      {"size", "filled", "seed", "levels": [...], ...}
    POOL/template_<level>.npy           float16 (size, h, w, c) backbone maps of the templates
    POOL/search_<level>.npy             float16 (size, H, W, c) backbone maps of the search crops
    POOL/box.npy, POOL/negative.npy     float32 (size, 4) xyxy search-crop pixels, bool (size,)
    POOL/backbone.npz                   the backbone variables the maps were computed with

``filled`` counts the pairs written so far; a rerun continues from it.
"""

from __future__ import annotations

import concurrent.futures
import json
import pathlib

import jax
import numpy as np
from flax import traverse_util
from tqdm.auto import tqdm

from jaxtrack import compiler
from jaxtrack.errors import JaxtrackError
from jaxtrack.files import atomic_write

META = "pool.json"
BACKBONE = "backbone.npz"
VERSION = 1


def _arrays(path, mode, shapes=None):
    """The pool's .npy files opened as memory maps (created with ``shapes`` when ``mode="w+"``)."""
    if mode == "w+":
        return {name: np.lib.format.open_memmap(path / f"{name}.npy", mode, dtype, shape)
                for name, (shape, dtype) in shapes.items()}
    return {file.stem: np.load(file, mmap_mode=mode) for file in sorted(path.glob("*.npy"))}


def build_pool(path, model, variables, sampler, size, *, seed=0, chunk=16, threads=2, progress=True):
    """Write (or finish writing) a pool of ``size`` pairs to the folder ``path``.

    Args:
      model, variables: a :class:`jaxtrack.models.SiameseModel` whose backbone is frozen, and its
        variables (the pretrained backbone the runs will start from).
      sampler: a :class:`jaxtrack.data.pairs.PairSampler`; pair ``i`` is ``sampler.sample(i, rng)``
        with ``rng`` seeded by ``(seed, i)``, so the pool is a function of the sampler and seed.
      size: number of pairs.
      chunk: pairs per backbone call (and per resumable write).
      threads: threads drawing (reading and augmenting) pairs.
    Returns:
      the :class:`FeaturePool` at ``path``.

    Raises:
      JaxtrackError: ``path`` holds a pool of another size, seed or layout.
    """
    path = pathlib.Path(path)
    meta_path = path / META
    embed = compiler.jit(lambda v, crops: model.apply(v, crops, method="backbone_maps"))
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if (meta["size"], meta["seed"]) != (size, seed):
            raise JaxtrackError(f"{path} holds a pool of {meta['size']} pairs with seed {meta['seed']}, not "
                                f"{size} with seed {seed}; choose another folder")
        arrays = _arrays(path, "r+")
    else:
        path.mkdir(parents=True, exist_ok=True)
        one = sampler.sample(0, np.random.default_rng((seed, 0)))
        levels = {"template": embed(variables, one["template"][None].astype(np.float32)),
                  "search": embed(variables, one["search"][None].astype(np.float32))}
        shapes = {f"{kind}_{level}": ((size, *m.shape[1:]), np.float16)
                  for kind, maps in levels.items() for level, m in enumerate(maps)}
        shapes.update(box=((size, 4), np.float32), negative=((size,), np.bool_))
        arrays = _arrays(path, "w+", shapes)
        backbone = {collection: tree["backbone"] for collection, tree in variables.items() if "backbone" in tree}
        np.savez(path / BACKBONE, **traverse_util.flatten_dict(jax.device_get(backbone), sep="/"))
        meta = {"version": VERSION, "size": size, "seed": seed, "filled": 0, "levels": len(levels["search"])}
        atomic_write(meta_path, json.dumps(meta))

    def draw(index):
        return sampler.sample(index, np.random.default_rng((seed, index)))

    with concurrent.futures.ThreadPoolExecutor(threads) as pool, \
            tqdm(total=size, initial=meta["filled"], desc="feature pool", unit="pair", disable=not progress) as bar:
        while meta["filled"] < size:
            start = meta["filled"]
            stop = min(start + chunk, size)
            pairs = list(pool.map(draw, range(start, stop)))
            for kind in ("template", "search"):
                crops = np.stack([p[kind] for p in pairs]).astype(np.float32)
                for level, m in enumerate(embed(variables, crops)):
                    arrays[f"{kind}_{level}"][start:stop] = np.asarray(m, np.float16)
            arrays["box"][start:stop] = np.stack([p["box"] for p in pairs])
            arrays["negative"][start:stop] = [bool(p["negative"]) for p in pairs]
            for array in arrays.values():
                array.flush()
            meta["filled"] = stop
            atomic_write(meta_path, json.dumps(meta))
            bar.update(stop - start)
    return FeaturePool(path)


class FeaturePool:
    """A finished pool (see the module docstring), read into memory.

    Attributes:
      template_maps, search_maps: tuples of float16 (size, h, w, c) arrays, one per level.
      box: float32 (size, 4) xyxy search-crop pixels; negative: bool (size,).
      backbone: ``{collection: backbone subtree}``, the variables the maps were computed with.
    """

    def __init__(self, path):
        path = pathlib.Path(path)
        meta_path = path / META
        if not meta_path.exists():
            raise JaxtrackError(f"{path} is not a feature pool (no {META})")
        meta = json.loads(meta_path.read_text())
        if meta["filled"] < meta["size"]:
            raise JaxtrackError(f"the feature pool {path} is unfinished ({meta['filled']} of {meta['size']} "
                                "pairs); run build_pool again to finish it")
        arrays = {name: np.asarray(a) for name, a in _arrays(path, "r").items()}
        self.size = meta["size"]
        self.template_maps = tuple(arrays[f"template_{level}"] for level in range(meta["levels"]))
        self.search_maps = tuple(arrays[f"search_{level}"] for level in range(meta["levels"]))
        self.box, self.negative = arrays["box"], arrays["negative"]
        with np.load(path / BACKBONE) as saved:
            self.backbone = traverse_util.unflatten_dict({key: saved[key] for key in saved.files},
                                                         sep="/")

    def batches(self, batch_size, order_seed):
        """Endless batches in an order fixed by ``order_seed`` alone (one permutation per pass
        over the pool, drawn from ``(order_seed, pass)``): dicts ``template_maps``,
        ``search_maps`` (tuples), ``box``, ``negative`` of ``batch_size`` pairs, the input of
        :func:`jaxtrack.train.step.make_train_step`."""
        if not 0 < batch_size <= self.size:
            raise JaxtrackError(f"batch size {batch_size} must be in 1..{self.size} (the pool's size)")
        epoch = 0
        while True:
            order = np.random.default_rng((order_seed, epoch)).permutation(self.size)
            for start in range(0, self.size - batch_size + 1, batch_size):
                rows = np.sort(order[start:start + batch_size])
                yield {"template_maps": tuple(m[rows] for m in self.template_maps),
                       "search_maps": tuple(m[rows] for m in self.search_maps),
                       "box": self.box[rows], "negative": self.negative[rows]}
            epoch += 1

"""Shared by the tracker and pair tests: small Siamese models with random weights, without
compiling, and pysot's template and search crops."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack import models
from jaxtrack.data import crop


def random_variables(model, seed=0):
    """Variables of ``model`` drawn with NumPy from its abstract tree (``jax.eval_shape``, so no
    compilation): kernels N(0, 1 / fan_in), scales and running variances 1, the rest 0."""
    template = jax.ShapeDtypeStruct((1, 127, 127, 3), jnp.float32)
    search = jax.ShapeDtypeStruct((1, 255, 255, 3), jnp.float32)
    abstract = jax.eval_shape(model.init, jax.random.key(0), template, search)
    rng = np.random.default_rng(seed)

    def draw(path, leaf):
        name = path[-1].key
        if name == "kernel":
            return rng.normal(0.0, 1.0 / np.sqrt(np.prod(leaf.shape[:-1])), leaf.shape).astype(leaf.dtype)
        return (np.ones if name in ("scale", "var") else np.zeros)(leaf.shape, leaf.dtype)

    return jax.tree_util.tree_map_with_path(draw, abstract)


def random_model(name="siamcar_small", seed=0):
    """(model, variables) of registered model ``name`` with :func:`random_variables`."""
    model = models.build({"name": name})
    return model, random_variables(model, seed)


def context_crop(frame, box, out_size, *, context=0.5, scale=1.0, padding=None):
    """pysot's crop of xyxy ``box`` through :func:`jaxtrack.data.crop.crop_region`: the square
    window of side ``context_size(w, h) * out_size / 127 * scale`` centred on the box (127: the
    template crop, 255: the search crop) -> (crop (out_size, out_size, C), CropTransform)."""
    box = np.asarray(box, np.float64)
    side = crop.context_size(box[2] - box[0], box[3] - box[1], context) * out_size / 127 * scale
    centre = (box[:2] + box[2:]) / 2
    return crop.crop_region(frame, np.concatenate([centre - side / 2, centre + side / 2]), out_size, padding)

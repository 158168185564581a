"""What a tracker is, as a JSON-able record: which weights, which parameters, which code.

Evaluation stores the record beside its results (:mod:`jaxtrack.eval.provenance`) so that a
resume never reuses results another model or parameter set produced.
"""

from __future__ import annotations

import hashlib

import jax
import numpy as np

import jaxtrack
from jaxtrack.track.hyper import LOST_MODE, TEMPLATE_UPDATE


def tree_digest(tree):
    """A short hex digest of a pytree of arrays: its paths, shapes, dtypes and bytes."""
    digest = hashlib.blake2b(digest_size=12)
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        array = np.asarray(leaf)
        digest.update(f"{jax.tree_util.keystr(path)}:{array.shape}:{array.dtype};".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def siamese_record(family, hyper_name, hyper, variables):
    """The record of a Siamese tracker: family, the weights' digest, the parameter set's name and
    values (lost-mode and template-update values only when they are on, so records from before
    they existed still match)."""
    values = {k: float(v) for k, v in hyper._asdict().items()}
    if values["lost_score"] == 0.0:
        values = {k: v for k, v in values.items() if k not in LOST_MODE}
    if values["template_rate"] == 0.0:
        values = {k: v for k, v in values.items() if k not in TEMPLATE_UPDATE}
    return {"tracker": family, "model": tree_digest(variables), "hyper": hyper_name,
            "hyper_values": values, "jaxtrack": jaxtrack.__version__}


def peer_record(name, library, version):
    """The record of a peer tracker (no weights): its name and its library's version."""
    return {"tracker": name, library: version, "jaxtrack": jaxtrack.__version__}

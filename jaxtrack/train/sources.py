"""Training data sources from a config's ``data.sources`` list."""

from __future__ import annotations

import os
import pathlib

import jax
from jax.experimental import multihost_utils

from jaxtrack import paths
from jaxtrack.data.pairs import Source
from jaxtrack.data.readers import open_dataset
from jaxtrack.data.synthetic import make_synthetic
from jaxtrack.errors import JaxtrackError


def open_sources(data_config, workdir):
    """Training sources from the config: a list of :class:`jaxtrack.data.pairs.Source`.

    A source ``{"kind": "synthetic", "num_sequences": N, ...}`` is generated into
    ``root`` (default ``workdir/synthetic``) the first time; any other kind is opened with
    :func:`jaxtrack.data.readers.open_dataset`.
    """
    sources = []
    for options in data_config["sources"]:
        options = dict(options)
        kind = options.pop("kind")
        frame_range = options.pop("frame_range", 100)
        num_use = options.pop("num_use", -1)
        if kind == "synthetic":
            root = options.pop("root", None) or paths.path(workdir) / "synthetic"
            if paths.is_url(root):
                raise JaxtrackError(f"synthetic videos are generated into a local folder, not {root}; "
                                    "set the source's root (--set data.sources.<i>.root=DIR)")
            root = pathlib.Path(os.fspath(root))
            split = options.pop("split", "train")
            if not (root / split / "list.txt").exists() and jax.process_index() == 0:
                make_synthetic(root, split=split, **options)
            if jax.process_count() > 1:  # the other hosts wait until process 0 has written it
                multihost_utils.sync_global_devices(f"synthetic data {root}")
            dataset = open_dataset("got10k", str(root), split=split)
        else:
            root = options.pop("root", None)
            if root is None:
                raise JaxtrackError(f"data source {kind!r} needs a root folder")
            dataset = open_dataset(kind, str(root), **options)
        sources.append(Source(dataset, frame_range=frame_range, num_use=num_use))
    return sources

"""The peers' own code, where the environment names a checkout of it.

``PYSOT_PATH``: a checkout of pysot (github.com/STVIR/pysot; its model code needs ``yacs``). The
benchmarks then time pysot's own ``ModelBuilder`` with the same weights as jaxtrack's model;
without it they time the restatement in :mod:`reference.torch_models` and say so.
"""

from __future__ import annotations

import os
import pathlib
import sys


def pysot_network(reference):
    """pysot's ``ModelBuilder`` (``siamrpn_r50_l234_dwxcorr``) with the weights of ``reference``
    (a :class:`reference.torch_models.SiamRPN`, whose parameter names are pysot's), or None
    without ``PYSOT_PATH``."""
    path = os.environ.get("PYSOT_PATH")
    if not path:
        print("  PYSOT_PATH not set: the PyTorch side is reference.torch_models.SiamRPN (a restatement)")
        return None
    sys.path.insert(0, path)
    from pysot.core.config import cfg
    from pysot.models.model_builder import ModelBuilder

    cfg.merge_from_file(str(pathlib.Path(path) / "experiments" / "siamrpn_r50_l234_dwxcorr" / "config.yaml"))
    network = ModelBuilder()
    network.load_state_dict(reference.state_dict())
    print("  PyTorch side: pysot's ModelBuilder from PYSOT_PATH")
    return network

"""Benchmark readers: each on-disk format -> :class:`jaxtrack.data.Dataset`.

``open_dataset(kind, root, **options)`` with ``kind`` one of :data:`DATASETS` (``otb``,
``uav123``, ``lasot``, ``got10k``, ``trackingnet``, ``vot``, ``coco``, ``tnl2k``, ``pysot`` (pysot's
preprocessed 511 crops with their JSON index), and ``arrayrecord`` for data converted by
``jaxtrack convert-data``). Readers are lazy: they
read annotation text and directory listings, never frames. Boxes follow :mod:`jaxtrack.boxes`
(annotation numbers used as they are); invalid rows become NaN and are counted in
``attributes["invalid_boxes"]``. Bad layouts and malformed rows raise
:class:`jaxtrack.errors.JaxtrackError` naming the file (and line); with ``bad_rows="nan"`` a
malformed row becomes NaN with an :class:`AnnotationWarning` instead.
"""

from __future__ import annotations

from jaxtrack import paths
from jaxtrack.data.arrayrecord import open_arrayrecord
from jaxtrack.data.readers.coco import open_coco
from jaxtrack.data.readers.common import AnnotationWarning
from jaxtrack.data.readers.got10k import open_got10k
from jaxtrack.data.readers.lasot import open_lasot
from jaxtrack.data.readers.otb import open_otb
from jaxtrack.data.readers.pysot import open_pysot
from jaxtrack.data.readers.tnl2k import open_tnl2k
from jaxtrack.data.readers.trackingnet import open_trackingnet
from jaxtrack.data.readers.uav123 import open_uav123
from jaxtrack.data.readers.vot import open_vot
from jaxtrack.errors import JaxtrackError
from jaxtrack.registry import Registry

DATASETS = Registry("dataset")
DATASETS.register("otb")(open_otb)
DATASETS.register("uav123")(open_uav123)
DATASETS.register("lasot")(open_lasot)
DATASETS.register("got10k")(open_got10k)
DATASETS.register("trackingnet")(open_trackingnet)
DATASETS.register("vot")(open_vot)
DATASETS.register("coco")(open_coco)
DATASETS.register("pysot")(open_pysot)
DATASETS.register("tnl2k")(open_tnl2k)
DATASETS.register("arrayrecord")(open_arrayrecord)


def open_dataset(kind, root, **options):
    """Open the benchmark at ``root`` with the reader registered as ``kind``.

    Raises:
      JaxtrackError: unknown ``kind``, ``root`` missing, or a layout/annotation problem.
    """
    if kind not in DATASETS:
        raise JaxtrackError(f"unknown dataset kind {kind!r}; known: {', '.join(DATASETS.names())}")
    if not paths.is_dir(root):
        raise JaxtrackError(f"dataset root {root} does not exist or is not a directory")
    return DATASETS.get(kind)(str(root), **options)


def open_mixed(name, sources):
    """One :class:`jaxtrack.data.Dataset` named ``name`` from several ``(kind, root)`` sources
    (sequence names must stay unique), e.g. a hand-picked evaluation set across formats."""
    from jaxtrack.data.sequence import Dataset

    return Dataset(name, [seq for kind, root in sources for seq in open_dataset(kind, root)])


__all__ = ["DATASETS", "AnnotationWarning", "open_dataset", "open_mixed"]

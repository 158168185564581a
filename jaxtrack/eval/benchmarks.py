"""The benchmarks ``jaxtrack score`` knows: a reader, its options and the official convention.

Kept free of heavy imports so that the command line can list them cheaply.
"""

from __future__ import annotations

import dataclasses

from jaxtrack.registry import Registry


@dataclasses.dataclass(frozen=True)
class Benchmark:
    """A reader kind (:data:`jaxtrack.data.readers.DATASETS`) with options, scored by default with
    the convention of the benchmark's official toolkit (:mod:`jaxtrack.eval.metrics` or
    :mod:`jaxtrack.eval.vot_measures`).

    Attributes:
      protocol: ``"ope"`` (one pass) or ``"reset"`` (VOT's re-initialisation after a failure).
      layout: result files ``"flat"`` (``<sequence>.txt``) or in ``"runs"`` (one folder per
        sequence, as the GOT-10k and VOT toolkits write them).
      zip_submission: the results are also zipped for the benchmark's server (TrackingNet).
    """

    reader: str
    convention: str
    options: dict = dataclasses.field(default_factory=dict)
    protocol: str = "ope"
    layout: str = "flat"
    zip_submission: bool = False


BENCHMARKS = Registry("benchmark")
for _name, _benchmark in {
    "otb": Benchmark("otb", "otb"),                     # got10k ExperimentOTB / OTB toolkit
    "uav123": Benchmark("uav123", "pysot"),             # UAV123 MATLAB toolkit (= pysot)
    "lasot": Benchmark("lasot", "pysot"),               # LaSOT MATLAB toolkit (= pysot)
    "tnl2k": Benchmark("tnl2k", "pysot"),               # TNL2K's toolkit is LaSOT's MATLAB toolkit (= pysot)
    "got10k": Benchmark("got10k", "got10k", {"split": "val"}, layout="runs"),
    # TrackingNet's server scores AUC, P@20 and Pnorm@0.2 (pysot's convention) of the zipped test results
    "trackingnet": Benchmark("trackingnet", "pysot", {"split": "train"}, zip_submission=True),
    "vot2018": Benchmark("vot", "vot2018", protocol="reset", layout="runs"),
    "vot2019": Benchmark("vot", "vot2019", protocol="reset", layout="runs"),
}.items():
    BENCHMARKS.register(_name)(_benchmark)

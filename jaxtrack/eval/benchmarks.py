"""The benchmarks ``jaxtrack score`` knows: a reader, its options and the official convention.

Kept free of heavy imports so that the command line can list them cheaply.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Benchmark:
    """A reader kind (:data:`jaxtrack.data.readers.DATASETS`) with options, scored by default with
    the convention of the benchmark's official toolkit (:mod:`jaxtrack.eval.metrics` or
    :mod:`jaxtrack.eval.vot_measures`)."""

    reader: str
    convention: str
    options: dict = dataclasses.field(default_factory=dict)


BENCHMARKS = {
    "otb": Benchmark("otb", "otb"),                     # got10k ExperimentOTB / OTB toolkit
    "uav123": Benchmark("uav123", "pysot"),             # UAV123 MATLAB toolkit (= pysot)
    "lasot": Benchmark("lasot", "pysot"),               # LaSOT MATLAB toolkit (= pysot)
    "got10k": Benchmark("got10k", "got10k", {"split": "val"}),
    "trackingnet": Benchmark("trackingnet", "pysot", {"split": "train"}),  # server: AUC, P@20, Pnorm@0.2
    "vot2018": Benchmark("vot", "vot2018"),
    "vot2019": Benchmark("vot", "vot2019"),
}

"""Benchmark readers, the synthetic dataset, pair sampling and the Grain input pipeline."""

from jaxtrack.data.sequence import Dataset, Sequence

__all__ = ["Dataset", "Sequence"]

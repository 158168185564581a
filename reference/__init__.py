"""Restatements of the reference implementations that jaxtrack is checked and measured against:
:mod:`reference.numpy_assign` (pysot's, SiamCAR's and ATSS's label rules in NumPy) and
:mod:`reference.torch_models` (the reference architectures in PyTorch).

Not part of the installed package: tests import it through pytest's ``pythonpath`` setting,
benchmarks by running as modules from the repository root (``python -m benchmarks.assign``).
"""

"""Speed measurements, each a script printing its results. Run them from the repository root as
modules (``python -m benchmarks.assign``): then the non-installed ``reference`` package that
``assign``, ``models`` and ``train`` compare against is importable."""

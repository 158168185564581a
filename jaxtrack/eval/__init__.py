"""Evaluation: benchmark measures (:mod:`.metrics`, :mod:`.vot`, :mod:`.polygon`), result files
(:mod:`.results`), scoring a results folder (:mod:`.scoring`, :mod:`.benchmarks`) and comparison
reports (:mod:`.report`). Nothing is imported here so that the command line stays light."""

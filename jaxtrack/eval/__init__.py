"""Evaluation: running trackers over a benchmark and writing result files (:mod:`.runner`), the
``jaxtrack eval`` driver (:mod:`.evaluation`), benchmark measures (:mod:`.metrics`, :mod:`.vot`),
scoring a results folder (:mod:`.scoring`, :mod:`.benchmarks`) and comparison reports
(:mod:`.report`). The result-file formats are :mod:`jaxtrack.result_formats`. Nothing is imported
here so that the command line stays light."""

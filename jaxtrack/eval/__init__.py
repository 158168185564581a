"""Evaluation: running trackers over a benchmark and writing result files (:mod:`.runner`), the
``jaxtrack eval`` driver (:mod:`.evaluation`), benchmark measures (:mod:`.metrics`,
:mod:`.vot_measures`), scoring a results folder (:mod:`.scoring`, :mod:`.benchmarks`),
comparison reports (:mod:`.report`) and the result-file formats (:mod:`.result_files`). Nothing
is imported here so that the command line stays light."""

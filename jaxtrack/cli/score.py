"""Score a folder of tracking results against a benchmark.

Reads ``RESULTS/<sequence>.txt`` (one ``x,y,w,h`` row per frame; commas, tabs or spaces; VOT:
reset-protocol records with 1/0/2 code rows), prints a per-sequence table and the overall scores,
and optionally writes everything as JSON. Each benchmark is scored with its official toolkit's
convention unless --convention names another; the JSON records which. For sequences the
convention cuts from their files (OTB frame ranges such as David's, Tiger1's first 5 frames
under the default convention) a result with one row per file frame, as other toolkits write it,
is aligned to the scored frames, and a note says so; --convention got10k scores Tiger1's every
frame, as the got10k toolkit does.

example:
  jaxtrack score --dataset otb --root ../shared/data/otb --results results/csrt --json csrt.json
"""

from __future__ import annotations

import json
import math

HELP = "score result files against a benchmark (AUC, precision, AO/SR, EAO)"
OUTPUTS = {"json": "file"}


def configure(parser):
    from jaxtrack.eval.benchmarks import BENCHMARKS

    parser.add_argument("--dataset", required=True, choices=BENCHMARKS.names(), help="benchmark")
    parser.add_argument("--root", required=True, help="dataset root folder")
    parser.add_argument("--results", required=True, help="folder of <sequence>.txt result files")
    parser.add_argument("--sequences", nargs="+", metavar="NAME", help="score only these sequences")
    parser.add_argument("--convention", help="scoring convention (default: the benchmark's official toolkit)")
    parser.add_argument("--json", metavar="OUT", help="write per-sequence and overall metrics to this file")


def run(args):
    from jaxtrack.eval.scoring import score_results
    from jaxtrack.paths import write_text

    scores = score_results(args.dataset, args.root, args.results, sequences=args.sequences,
                           convention=args.convention)
    print(format_table(scores))
    for note in scores.get("aligned", ()):
        print(f"note: {note}")
    if args.json:
        write_text(args.json, json.dumps(scores, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


def format_table(scores):
    """Per-sequence rows and an overall row of the headline numbers of ``scores``."""
    overall = scores["overall"]
    keys = [k for k in ("auc", "precision", "norm_precision", "ao", "sr50", "sr75",
                        "accuracy", "failures", "robustness", "eao") if k in overall]
    seq_keys = [k for k in keys if any(k in s for s in scores["sequences"].values())]
    width = max([len("overall")] + [len(n) for n in scores["sequences"]])
    lines = [f"{scores['benchmark']} scored with convention {scores['convention']['name']!r}",
             f"{'sequence':<{width}}  " + "  ".join(f"{k:>14}" for k in keys)]
    for name, s in scores["sequences"].items():
        lines.append(f"{name:<{width}}  " + "  ".join(f"{_fmt(s.get(k)) if k in seq_keys else '':>14}" for k in keys))
    lines.append(f"{'overall':<{width}}  " + "  ".join(f"{_fmt(overall[k]):>14}" for k in keys))
    return "\n".join(lines)


def _fmt(value):
    if value is None:
        return ""
    return "nan" if isinstance(value, float) and math.isnan(value) else f"{value:.3f}"

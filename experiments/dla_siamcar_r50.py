"""SiamCAR (ResNet-50) with SiamDLA's dynamic labels over points.

The 9 points nearest the target centre are candidates; the statistic is the IoU of a 64 px
virtual square anchor at each point (ATSS's anchor-free choice: the paper does not say which
statistic SiamDLA uses for SiamCAR, so this is a reconstruction; `jaxtrack study` compares it
with centreness and predicted-box IoU). Candidates reaching mean + std, centre inside the box,
are positive.

Command (paper scale):
  jaxtrack train --config experiments/dla_siamcar_r50.py --workdir runs/dla_siamcar_r50 \\
      --set data.sources.0.root=/data/GOT-10k --set pretrained.path=resnet50.pth
Runtime: as siamcar_r50.
Expected: SiamDLA reports +2.5 AUC over SiamCAR on OTB100.
Variants: `:lite0`, `:small`, `:smoke`.
"""

from jaxtrack.train.configs import experiment


def get_config(arg=None):
    return experiment("siamcar", {"name": "dla", "k": 9, "statistic": "virtual_iou", "std_scale": 1.0}, arg)

"""SiamCAR (ResNet-50, anchor-free) with its centre-region labels.

Points in the central 0.4w x 0.4h of the target are positive, all others negative; losses are
cross-entropy, centreness-weighted IoU loss and centreness BCE (weights 1/3/1).

Command (paper scale):
  jaxtrack train --config experiments/siamcar_r50.py --workdir runs/siamcar_r50 \\
      --set data.sources.0.root=/data/GOT-10k --set pretrained.path=resnet50.pth
Runtime: 20 epochs on 4 GPUs in the SiamCAR paper; not runnable on a CPU.
Expected: SiamCAR (journal) reports OTB100 AUC 0.700, GOT-10k AO 0.581.
Variants: `:lite0`, `:small`, `:smoke`.
"""

from jaxtrack.train.configs import experiment


def get_config(arg=None):
    return experiment("siamcar", {"name": "center_region", "margin": 0.3}, arg)

"""The default CPU-trained tracker (`--model default`): SiamCAR-style head on a frozen,
ImageNet-pretrained EfficientNet-Lite0, trained on the embedded synthetic videos with SiamDLA's
dynamic labels (16 nearest points, 64 px virtual-anchor IoU, mean + std, keep_best).

Command:
  jaxtrack train --config experiments/cpu_default.py --workdir runs/cpu_default
Runtime: 2,000 steps of 16 pairs; about 40 minutes on a 2-core CPU (the backbone stays frozen,
so no backward pass runs through it).
Expected: mean AUC over the six ../shared/data sequences above OpenCV CSRT's 0.448 (see the
README for the measured table).
"""

from jaxtrack.train.configs import experiment


def get_config(arg=None):
    c = experiment("siamcar", {"name": "dla", "k": 16, "statistic": "virtual_iou", "std_scale": 1.0,
                               "keep_best": True}, "smoke" if arg == "smoke" else "lite0")
    if arg == "smoke":
        return c
    c.data.batch_size = 16
    c.data.sources[0].update(dict(num_sequences=600, seed=1))
    c.optim.update(dict(epochs=20, steps_per_epoch=100, warmup_epochs=1, backbone_epoch=1000))
    c.log_every = 20
    return c

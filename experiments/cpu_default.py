"""The default CPU-trained tracker (`--model default`): SiamCAR-style head on a frozen,
ImageNet-pretrained EfficientNet-Lite0, trained on the embedded synthetic videos with SiamDLA's
dynamic labels (16 nearest points, 64 px virtual-anchor IoU, mean + std, keep_best).

Command:
  jaxtrack train --config experiments/cpu_default.py --workdir runs/cpu_default
Runtime: 2,000 steps of 16 pairs (the backbone stays frozen, so no backward pass runs through
it): 24.5 minutes on an otherwise idle 2-core CPU (the `dla` run of ablation_labels.py, the
same training, gave bit-identical parameters), 70 minutes on one shared with other jobs.
Expected (measured for the shipped model): mean AUC 0.570 over the six ../shared/data sequences
against OpenCV CSRT's 0.463 (`python experiments/eval_shared.py --model runs/cpu_default csrt`).
Export for `--model default`: `jaxtrack export --workdir runs/cpu_default --out OUT`.
"""

from jaxtrack.train.configs import CPU_DLA, experiment


def get_config(arg=None):
    c = experiment("siamcar", CPU_DLA, "smoke" if arg == "smoke" else "lite0")
    if arg == "smoke":
        return c
    c.data.batch_size = 16
    c.data.sources[0].update(dict(num_sequences=600, seed=1))
    c.optim.update(dict(epochs=20, steps_per_epoch=100, warmup_epochs=1, backbone_epoch=1000))
    return c

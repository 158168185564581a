"""Model speed and size: the SiamRPN++ R50 tracking step in JAX next to PyTorch, and the
parameters and FLOPs of every registered model.

Run from the repository root: ``python -m benchmarks.models [--repeats 20] [--threads 2]
[--skip-table]``.

1. Latency of one tracking step of pysot's ``siamrpn_r50_l234_dwxcorr`` (template embedded once,
   then one 255x255 search crop, batch 1): jaxtrack's model jitted with jaxtrack's compiler
   options (:mod:`jaxtrack.compiler`) and with XLA's defaults, after warm-up, and the same
   architecture in PyTorch (:mod:`reference.torch_models`, eval mode, ``torch.no_grad``,
   ``--threads`` intra-op threads) with the same random weights, in the same run, interleaved
   call by call; with ``PYSOT_PATH`` also pysot's own ``ModelBuilder`` with the same weights
   (:mod:`benchmarks.peers`). Median milliseconds and the ratios JAX / PyTorch (below 1: JAX
   faster). All outputs are checked against the restatement's first (largest difference relative
   to the largest output).
2. Per model: parameters, and XLA's FLOP count (``cost_analysis`` of the compiled computation)
   of the tracking step (search branch + head; the template is embedded once per sequence) and
   of embedding the template.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import machine, peers
from jaxtrack import compiler


def compiled(fn, *args, compiler_options=None):
    return jax.jit(fn, compiler_options=compiler_options).lower(*args).compile()


def flops(executable):
    analysis = executable.cost_analysis()
    if isinstance(analysis, (list, tuple)):  # older JAX returned one dict per device
        analysis = analysis[0]
    return float(analysis.get("flops", float("nan")))


def tracking_step_latency(repeats, threads):
    import torch

    from jaxtrack.models import convert
    from reference import torch_models as tr

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    template = rng.uniform(0, 255, (1, 127, 127, 3)).astype(np.float32)
    search = rng.uniform(0, 255, (1, 255, 255, 3)).astype(np.float32)
    zt = torch.from_numpy(template).permute(0, 3, 1, 2).contiguous()
    xt = torch.from_numpy(search).permute(0, 3, 1, 2).contiguous()
    generator = torch.Generator().manual_seed(0)
    ref = tr.randomize(tr.SiamRPN(), generator)
    tr.calibrate_batch_norm(ref, lambda: ref.track(ref.template(zt), xt), generator)
    model, variables = convert("pysot_siamrpn_r50", ref.state_dict())

    embed = compiled(lambda v, t: model.apply(v, t, method="embed_template"), variables, template)
    zf = embed(variables, template)
    steps = {name: compiled(lambda v, z, s: model.apply(v, z, s, method="apply_search"), variables,
                            zf, search, compiler_options=options)
             for name, options in (("jax", compiler.default_options() or None), ("jax_xla", None))}
    with torch.no_grad():
        zf_torch = ref.template(zt)
        cls_torch, _ = ref.track(zf_torch, xt)
    expected = cls_torch.permute(0, 2, 3, 1).numpy().reshape(1, 25, 25, 2, 5)
    expected = expected.transpose(0, 1, 2, 4, 3).reshape(1, -1, 2)
    difference = max(float(np.abs(np.asarray(step(variables, zf, search)["cls"]) - expected).max())
                     for step in steps.values()) / float(np.abs(expected).max())

    search_device = jax.device_put(search)
    runs = {name: (lambda step=step: jax.block_until_ready(step(variables, zf, search_device)))
            for name, step in steps.items()}
    runs["torch"] = lambda: ref.track(zf_torch, xt)
    pysot = peers.pysot_network(ref)
    if pysot is not None:
        pysot.eval()
        with torch.no_grad():
            pysot.template(zt)
            difference = max(difference, float(np.abs(pysot.track(xt)["cls"].numpy() - cls_torch.numpy()).max())
                             / float(np.abs(expected).max()))
        runs["pysot"] = lambda: pysot.track(xt)
    times = {name: [] for name in runs}
    with torch.no_grad():
        for repeat in range(repeats + 3):  # interleaved, so load changes hit both alike
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                if repeat >= 3:  # warm-up
                    times[name].append(time.perf_counter() - start)
    return {name: float(np.median(seconds)) for name, seconds in times.items()}, difference, \
        flops(steps["jax"])


def model_table():
    from jaxtrack.models import MODELS, abstract_variables, build

    template = jax.ShapeDtypeStruct((1, 127, 127, 3), jnp.float32)
    search = jax.ShapeDtypeStruct((1, 255, 255, 3), jnp.float32)
    rows = []
    for name in MODELS.names():
        model = build({"name": name})
        variables = abstract_variables(model)
        params = sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(variables["params"]))
        embed = lambda v, t, m=model: m.apply(v, t, method="embed_template")  # noqa: E731
        zf = jax.eval_shape(embed, variables, template)
        step = compiled(lambda v, z, s, m=model: m.apply(v, z, s, method="apply_search"),
                        variables, zf, search)
        rows.append((name, params, flops(step), flops(compiled(embed, variables, template))))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    parser.add_argument("--skip-table", action="store_true", help="only the latency comparison")
    args = parser.parse_args(argv)
    machine.report()

    seconds, difference, step_flops = tracking_step_latency(args.repeats, args.threads)
    print(f"SiamRPN++ R50 tracking step (batch 1, 255 search crop, template embedded once), "
          f"{jax.devices()[0].platform}, torch threads {args.threads}, median of {args.repeats}")
    print(f"  jax, jaxtrack's options  {seconds['jax'] * 1e3:8.1f} ms   ({step_flops / 1e9:.1f} GFLOP; "
          f"options {compiler.default_options()})")
    print(f"  jax, XLA's defaults      {seconds['jax_xla'] * 1e3:8.1f} ms")
    print(f"  pytorch (restatement)    {seconds['torch'] * 1e3:8.1f} ms")
    if "pysot" in seconds:
        print(f"  pysot's own model code   {seconds['pysot'] * 1e3:8.1f} ms")
    for peer, label in (("torch", "pytorch restatement"), ("pysot", "pysot")):
        if peer in seconds:
            print(f"  ratio jax / {label} = {seconds['jax'] / seconds[peer]:.2f} (XLA's defaults "
                  f"{seconds['jax_xla'] / seconds[peer]:.2f})")
    print(f"  max |cls difference| / max |cls| {difference:.1e}")
    if args.skip_table:
        return
    print(f"\n{'model':16s} {'params':>10s} {'track GFLOP':>12s} {'template GFLOP':>15s}")
    for name, params, step, template in model_table():
        print(f"{name:16s} {params / 1e6:9.2f}M {step / 1e9:12.2f} {template / 1e9:15.2f}")


if __name__ == "__main__":
    main()

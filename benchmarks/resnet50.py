"""ResNet-50 (1x3x224x224) on the `default` config: compile time with and without fusion,
golden run time and cycles, and agreement with onnxruntime.

* float: golden's dequantised logits vs onnxruntime on the float model, on `--inputs` seeded
  standard-normal inputs: top-1 agreement and cosine similarity;
* quantised: every layer of the compiled network run by onnxruntime as a QDQ layer (int8
  in, float op, QuantizeLinear out) on the same int8 inputs as golden's, and the share of
  int8 elements within +-1 LSB of golden's per layer (`compiler.qdq`).

    python benchmarks/resnet50.py [--inputs 20] [--size 224]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import onnxruntime as ort

from compiler import Options, compile_model, quantized_layers
from compiler.models import resnet_model
from compiler.qdq import layerwise_qdq
from isa_spec import load_arch
from runtime import open_device, read_tensor, write_tensor
from runtime.session import dequantize, quantize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=20)
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    arch = load_arch("default")
    model = resnet_model("resnet50", size=args.size)
    for fuse in (True, False):
        t = time.perf_counter()
        image = compile_model(model, arch, fuse=fuse)
        took = time.perf_counter() - t
        dram = max(s.addr + s.nbytes for s in image.symbols.values())
        print(f"compile (fuse={'on' if fuse else 'off'}): {took:.1f} s, {len(image.layers)} layers, "
              f"{len(image.words)} instructions, {dram / 2**20:.1f} MiB of DRAM")  # fmt: skip
    image = compile_model(model, arch, options=Options(reuse_dram=False))  # every activation readable at the end
    layers = quantized_layers(model)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    plain = ort.SessionOptions()  # no graph rewrites: onnxruntime's QLinearConv fusion requantises its own way
    plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    qdq = ort.InferenceSession(layerwise_qdq(layers).SerializeToString(), plain, providers=["CPUExecutionProvider"])
    activations = [name for name, s in image.symbols.items() if s.role in ("activation", "output")]
    top1, cosines, worst_share, runs = 0, [], {}, []
    for seed in range(args.inputs):
        x = np.random.default_rng(seed).standard_normal((1, 3, args.size, args.size)).astype(np.float32)
        dev = open_device("golden", arch)
        dev.load(image)
        xq = quantize(image.symbol("x"), x)
        write_tensor(dev, image, "x", xq)
        t = time.perf_counter()
        result = dev.run()
        runs.append(time.perf_counter() - t)
        assert result.fault is None, result.fault
        got = {name: read_tensor(dev, image, name) for name in activations} | {"x": xq}
        logits = dequantize(image.symbol("logits"), got["logits"]).ravel()
        want = sess.run(["logits"], {"x": x})[0].ravel()
        top1 += int(np.argmax(logits) == np.argmax(want))
        cosines.append(float(logits @ want / np.linalg.norm(logits) / np.linalg.norm(want)))
        feeds = {f"in:{t}": got[t].astype(np.int8) for t in {t for q in layers for t in q.layer.inputs}}
        outs = qdq.run([f"out:{q.layer.y}" for q in layers], feeds)
        for q, ort_out in zip(layers, outs):
            mine = got[q.layer.y].reshape(ort_out.shape).astype(np.int16)
            share = float(np.mean(np.abs(mine - ort_out.astype(np.int16)) <= 1))
            worst_share[q.layer.name] = min(worst_share.get(q.layer.name, 1.0), share)
    counters = dev.counters()
    print(f"golden: {np.mean(runs):.1f} s per inference (min {min(runs):.1f}), {counters['cycles']:,} modelled cycles "
          f"= {counters['cycles'] / arch.timing.clock_mhz / 1e3:.1f} ms at {arch.timing.clock_mhz:.0f} MHz")  # fmt: skip
    print(f"float model (onnxruntime): top-1 equal on {top1}/{args.inputs} inputs; cosine similarity of the logits "
          f"mean {np.mean(cosines):.4f}, min {min(cosines):.4f}")  # fmt: skip
    name, share = min(worst_share.items(), key=lambda kv: kv[1])
    ok = sum(v >= 0.999 for v in worst_share.values())
    print(f"quantised layers (onnxruntime QDQ): {ok}/{len(worst_share)} layers have >= 99.9% of int8 elements "
          f"within +-1 LSB on every input; worst layer {name}: {100 * share:.3f}%")  # fmt: skip


if __name__ == "__main__":
    main()

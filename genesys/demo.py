"""`genesys demo`: a conv layer compiled, run on every backend in lockstep and proved; then
ResNet-50 compiled for `default`, run on golden with a per-layer cycle report, and compared
with onnxruntime on the float model."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from isa_spec import load_arch


def _step(msg: str) -> float:
    print(f"[demo] {msg}", flush=True)
    return time.perf_counter()


def onnx_reference(model, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Outputs of onnxruntime on the float model (the numerical reference)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, inputs)))


def demo(arch_name: str = "tiny", backends: str = "spec,golden,rtl", resnet: bool = True) -> int:
    """Run the demo; return the exit code (0 when every check passes)."""
    from compiler import compile_model, quantized_layers
    from compiler.models import build_model
    from compiler.reference import error_bound
    from cosim import lockstep
    from proofs import prove_image
    from runtime.session import quantized_inputs, run_image, sample_inputs

    arch = load_arch(arch_name)
    t = _step(f"building the built-in conv model and compiling it for {arch.name} ({arch.rows}x{arch.cols})")
    model = build_model("conv")
    image = compile_model(model, arch)
    print(f"       {len(image.words)} instructions, {sum(int(layer.get('tiles', 1)) for layer in image.layers)} tile(s),"
          f" {time.perf_counter() - t:.2f} s")  # fmt: skip

    names = [b.strip() for b in backends.split(",") if b.strip()]
    if "rtl" in names:
        from genesys.progress import build_rtl_once

        build_rtl_once(arch)
    t = _step(f"lockstep co-simulation: {' vs '.join(names)}")
    floats = sample_inputs(image, seed=0)
    cosim = lockstep(image, names, quantized_inputs(image, floats))
    print("       " + cosim.format().replace("\n", "\n       ") + f" ({time.perf_counter() - t:.2f} s)")
    if "cycles" in cosim.counters.get("rtl", {}):
        print(f"       the RTL ran {cosim.counters['rtl']['cycles']:,} cycles")

    t = _step("Z3 proof: the schedule computes the layer (bounds, cover, reduction, element maps, order)")
    report = prove_image(image)
    print("       " + report.format().replace("\n", "\n       ") + f" ({time.perf_counter() - t:.2f} s)")

    t = _step("accuracy: golden int8 result vs onnxruntime on the float model")
    out = run_image(image, "golden", floats)
    ref = onnx_reference(model, floats)
    (layer,) = quantized_layers(model)
    name = image.model["outputs"][0]
    err = np.abs(out.outputs[name] - ref[name])
    bound = error_bound(layer, floats[image.model["inputs"][0]])
    ok_acc = bool(np.all(err <= bound))
    lsb = image.symbol(name).scale
    print(f"       {name}: max |error| {err.max():.4f} = {err.max() / lsb:.2f} output LSB; every element within its "
          f"quantisation bound (mean bound {bound.mean() / lsb:.1f} LSB): {'yes' if ok_acc else 'NO'}")  # fmt: skip

    ok_resnet = resnet50() if resnet else True
    ok = cosim.ok and report.ok and ok_acc and ok_resnet
    print(f"[demo] {'PASS' if ok else 'FAIL'}: backends {'agree' if cosim.ok else 'DIVERGE'}, "
          f"proof {'holds' if report.ok else 'FAILS'}, accuracy {'within bound' if ok_acc else 'BEYOND bound'}"
          + (f", ResNet-50 {'agrees with onnxruntime' if ok_resnet else 'DISAGREES with onnxruntime'}"
             if resnet else ""))  # fmt: skip
    sys.stdout.flush()
    return 0 if ok else 1


RESNET_MIN_COSINE = 0.99


def resnet50() -> bool:
    """Compile ResNet-50 for `default`, run it on golden with the per-layer report, and check
    that its top-1 class equals onnxruntime's and the logits' cosine similarity is high."""
    from compiler import compile_model
    from compiler.models import build_model
    from genesys.progress import Progress
    from genesys.report import build_report
    from runtime.session import sample_inputs

    arch = load_arch("default")
    t = _step(f"ResNet-50 (1x3x224x224, deterministic weights built in code): compiling for {arch.name} "
              f"({arch.rows}x{arch.cols})")  # fmt: skip
    model = build_model("resnet50")
    image = compile_model(model, arch)
    print(f"       {len(image.layers)} layers, {len(image.words):,} instructions, {time.perf_counter() - t:.1f} s")
    _step("running it on golden (per-layer cycle model)")
    floats = sample_inputs(image, seed=0)
    with Progress("golden: running", len(image.words), "instructions") as progress:
        report = build_report(image, inputs=floats, progress=progress.update)
    print("       " + report.terminal().replace("\n", "\n       "))
    _step("golden vs onnxruntime on the float model")
    got = report.outputs["logits"].ravel()
    want = onnx_reference(model, floats)["logits"].ravel()
    cosine = float(got @ want / np.linalg.norm(got) / np.linalg.norm(want))
    same = int(np.argmax(got)) == int(np.argmax(want))
    print(f"       top-1 class: golden {int(np.argmax(got))}, onnxruntime {int(np.argmax(want))} "
          f"({'equal' if same else 'DIFFERENT'}); cosine similarity of the logits {cosine:.4f} "
          f"(need >= {RESNET_MIN_COSINE})")  # fmt: skip
    return same and cosine >= RESNET_MIN_COSINE


def add_demo(sp) -> None:  # noqa: ANN001  (an argparse parser)
    from runtime import BACKENDS

    sp.add_argument("--arch", default="tiny", help="arch of the conv part (ResNet-50 uses default)")
    sp.add_argument("--backends", default=",".join(BACKENDS))
    sp.add_argument("--resnet", action=argparse.BooleanOptionalAction, default=True, help="the ResNet-50 part (default: on)")


def cmd_demo(args: argparse.Namespace) -> int:
    return demo(args.arch, args.backends, resnet=args.resnet)

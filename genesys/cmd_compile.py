"""`genesys compile`: an ONNX model into a program image, with the user's control over the
schedule per layer."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from genesys.common import EXIT_OK, UsageError, per_layer, read_file, write_json
from genesys.outputs import check_output, write_output


def add_compile(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("model")
    sp.add_argument("--arch", default="tiny", help="preset (tiny, default, large) or TOML path (default: tiny)")
    sp.add_argument("-o", "--output", required=True, help="the .gnx image to write")
    sp.add_argument("--tiling", help="JSON file: {conv layer: {OC|OH|OW|IC: tile count}}")
    sp.add_argument("--loop-order", action="append", metavar="LAYER=DIMS",
                    help="conv loop nest, outermost first, e.g. conv1=OC,N,IC,KH,KW,OH,OW (repeatable)")
    sp.add_argument("--buffer", action="append", metavar="LAYER=VMEM1|VMEM2|OBUF",
                    help="where a layer's first Tandem operand lives; OBUF: a one-tile conv's "
                         "accumulators, read in place (the default there) (repeatable)")
    sp.add_argument("--fuse", action="append", nargs="?", const="", metavar="LAYER=on|off",
                    help="fuse Relu, Clip, LeakyRelu and residual Add into the conv or Add before them "
                         "(default: on), or say so for one layer (repeatable)")
    sp.add_argument("--no-fuse", action="store_true", help="fuse nothing (but the layers --fuse L=on names)")
    sp.add_argument("--reuse-dram", action=argparse.BooleanOptionalAction, default=True,
                    help="let activations take the space of dead ones (default: on)")
    sp.add_argument("--explain", action="store_true", help="print the host/NPU split and the per-layer schedule")
    sp.add_argument("--calibrate", metavar="DIR|FILE.npz",
                    help="representative inputs: one array per model input, samples on a new first axis")
    sp.add_argument("--calibration", choices=["minmax", "percentile", "entropy"], default="minmax",
                    help="onnxruntime's calibrator for the tensor ranges (default: min-max)")
    sp.add_argument("--per-channel", action="store_true",
                    help="quantise float conv and Gemm weights with one scale per output channel, as onnxruntime's "
                         "quantize_static(per_channel=True) does (default: one per tensor)")
    sp.add_argument("--host-fallback", action=argparse.BooleanOptionalAction, default=True,
                    help="run operators the NPU cannot run on the host, before or after it (default: on)")
    sp.add_argument("--json", metavar="FILE", help="write the per-layer schedule and estimates as JSON")  # fmt: skip


def _tiling(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        tiling = json.loads(read_file(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(tiling, dict) or not all(isinstance(v, dict) for v in tiling.values()):
        raise UsageError(f"{path}: expected {{layer: {{DIM: tiles}}}}")
    return tiling


def options_of(args: argparse.Namespace):  # noqa: ANN201  (a compiler.Options)
    """The compiler's options from `compile`'s flags."""
    from compiler import Calibration, Options

    orders = {k: v.split(",") for k, v in per_layer(args.loop_order, "--loop-order").items()}
    fuse_layers = {}
    for layer, value in per_layer([f for f in args.fuse or [] if f], "--fuse").items():
        if value not in ("on", "off"):
            raise UsageError(f"--fuse {layer}={value}: on or off")
        fuse_layers[layer] = value == "on"
    calibration = (Calibration(method=args.calibration, path=args.calibrate)
                   if args.calibrate or args.calibration != "minmax" else None)  # fmt: skip
    return Options(tiling=_tiling(args.tiling), loop_order=orders, buffer=per_layer(args.buffer, "--buffer"),
                   fuse=not args.no_fuse, fuse_layers=fuse_layers, reuse_dram=args.reuse_dram,
                   host_fallback=args.host_fallback, calibration=calibration, per_channel=args.per_channel)  # fmt: skip


def cmd_compile(args: argparse.Namespace) -> int:
    from compiler import compile_model
    from genesys.explain import explain
    from genesys.progress import Progress
    from isa_spec import load_arch

    output = check_output(args.output, "-o")
    json_path = check_output(args.json, "--json") if args.json else None
    arch = load_arch(args.arch)
    options = options_of(args)
    with Progress(f"compiling {Path(args.model).name} for {arch.name}"):
        image = compile_model(args.model, arch, options=options)
    write_output(output, image.to_bytes())
    if args.explain:
        print(explain(image))
    print(f"wrote {args.output}: {len(image.words)} instructions, {len(image.layers)} layer(s), arch {arch.name}")
    write_json(json_path, compile_json(image, args.output))
    return EXIT_OK


SCHEDULE_KEYS = ("name", "op", "pcs", "instructions", "estimated_cycles", "macs", "tiles", "tiling", "loop_order",
                 "buffers")  # fmt: skip


def compile_json(image, path: str) -> dict[str, Any]:  # noqa: ANN001
    """What `compile --json` writes: the image's size and every layer's schedule and estimate."""
    layers = [{k: m[k] for k in SCHEDULE_KEYS if k in m} for m in image.layers]
    host = image.model.get("host")
    return {"command": "compile", "image": path, "arch": image.arch.name, "instructions": len(image.words),
            "estimated_cycles": sum(m.get("estimated_cycles", 0) for m in image.layers), "layers": layers,
            "host": None if host is None else {"macs": host.get("macs", 0), "stages": [
                {k: v for k, v in stage.items() if k != "onnx"} for stage in host["stages"]]}}  # fmt: skip

"""The `genesys` command line (docs/design.md, "Command line"): exit 0 ok, 1 a check failed, 2 bad input."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from genesys import fuzz
from isa_spec import GenesysError
from isa_spec.errors import BackendFailure
from isa_spec.image import write_atomic
from runtime import BACKENDS

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(GenesysError):
    """Bad arguments or an unreadable input file."""


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: cannot read ({e.strerror})") from None


def cmd_gen(args: argparse.Namespace) -> int:
    from isa_spec.gen import generate

    stale = generate(check=args.check)
    for p in stale:
        print(f"{'stale' if args.check else 'wrote'}: {p}")
    if args.check and stale:
        print("generated files are stale: run `genesys gen`", file=sys.stderr)
        return EXIT_CHECK_FAILED
    return EXIT_OK


def cmd_asm(args: argparse.Namespace) -> int:
    import numpy as np

    from isa_spec import assemble

    try:
        text = _read(args.source).decode()
    except UnicodeDecodeError:
        raise UsageError(f"{args.source}: not a text file") from None
    words = assemble(text, args.source)
    write_atomic(Path(args.output), np.array(words, "<u4").tobytes())
    return EXIT_OK


def cmd_disasm(args: argparse.Namespace) -> int:
    from isa_spec import IllegalInstruction, decode, format_instruction

    blob = _read(args.binary)
    if len(blob) % 4:
        raise UsageError(f"{args.binary}: {len(blob)} bytes is not a whole number of 32-bit words")
    lines = []
    for i in range(0, len(blob), 4):
        word = int.from_bytes(blob[i : i + 4], "little")
        try:
            lines.append(format_instruction(decode(word)))
        except IllegalInstruction as e:
            raise UsageError(f"{args.binary}: word {i // 4} (offset {i}): {e}") from None
    sys.stdout.write("".join(line + "\n" for line in lines))
    return EXIT_OK


def _shape(text: str) -> tuple[int, int, int, int]:
    try:
        dims = tuple(int(d) for d in text.lower().split("x"))
    except ValueError:
        dims = ()
    if len(dims) != 4 or min(dims) < 1:
        raise UsageError(f"--shape {text!r}: expected NxCxHxW with positive sizes, e.g. 1x5x9x9")
    return dims  # type: ignore[return-value]


def _arch(name: str):  # noqa: ANN202
    from isa_spec import load_arch

    return load_arch(name)


def _image(path: str):  # noqa: ANN202
    from isa_spec.image import Image

    return Image.load(path)


CONV_OPTIONS = ("shape", "out_channels", "kernel", "stride", "pad", "no_relu")


def cmd_model(args: argparse.Namespace) -> int:
    from compiler.models import build_model, conv_model

    given = [o for o in CONV_OPTIONS if getattr(args, o) is not None]
    if given and args.name != "conv":
        raise UsageError(f"--{given[0].replace('_', '-')} applies to the `conv` model only")
    if given:
        n, c, h, w = _shape(args.shape or "1x3x8x8")
        pick = lambda value, default: default if value is None else value  # noqa: E731
        model = conv_model(n, c, h, w, oc=pick(args.out_channels, 8), k=pick(args.kernel, 3),
                           stride=pick(args.stride, 1), pad=pick(args.pad, 1), relu=not args.no_relu)  # fmt: skip
    else:
        model = build_model(args.name)
    write_atomic(Path(args.output), model.SerializeToString())
    print(f"wrote {args.output}")
    return EXIT_OK


def _per_layer(items: list[str] | None, flag: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        layer, eq, value = item.partition("=")
        if not eq or not layer or not value:
            raise UsageError(f"{flag} expects LAYER=VALUE, got {item!r}")
        out[layer] = value
    return out


def cmd_compile(args: argparse.Namespace) -> int:
    import json

    from compiler import Calibration, Options, compile_model

    arch = _arch(args.arch)
    tiling = {}
    if args.tiling:
        try:
            tiling = json.loads(_read(args.tiling))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise UsageError(f"{args.tiling}: not valid JSON ({e})") from None
        if not isinstance(tiling, dict) or not all(isinstance(v, dict) for v in tiling.values()):
            raise UsageError(f"{args.tiling}: expected {{layer: {{DIM: tiles}}}}")
    orders = {k: v.split(",") for k, v in _per_layer(args.loop_order, "--loop-order").items()}
    fuse_layers = {}
    for layer, value in _per_layer([f for f in args.fuse or [] if f], "--fuse").items():
        if value not in ("on", "off"):
            raise UsageError(f"--fuse {layer}={value}: on or off")
        fuse_layers[layer] = value == "on"
    options = Options(tiling=tiling, loop_order=orders, buffer=_per_layer(args.buffer, "--buffer"),
                      fuse=not args.no_fuse, fuse_layers=fuse_layers,
                      reuse_dram=args.reuse_dram, host_fallback=args.host_fallback,
                      calibration=Calibration(method=args.calibration, path=args.calibrate)
                      if args.calibrate or args.calibration != "minmax" else None)  # fmt: skip
    image = compile_model(args.model, arch, options=options)
    image.save(args.output)
    if args.explain:
        from .explain import explain

        print(explain(image))
    print(f"wrote {args.output}: {len(image.words)} instructions, {len(image.layers)} layer(s), arch {arch.name}")
    return EXIT_OK


def _parse_inputs(items: list[str]) -> dict:
    import numpy as np

    inputs = {}
    for item in items:
        name, eq, path = item.partition("=")
        if not eq or not name:
            raise UsageError(f"--input expects NAME=FILE.npy, got {item!r}")
        try:
            inputs[name] = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise UsageError(f"{path}: cannot read a .npy array ({e})") from None
    return inputs


def cmd_run(args: argparse.Namespace) -> int:
    import io

    import numpy as np

    from runtime.host import host_parts, run_model, sample_model_inputs
    from runtime.session import run_image, sample_inputs

    from genesys.progress import Progress, build_rtl_once

    image = _image(args.image)
    whole = host_parts(image) is not None and not args.raw  # host parts run too (--raw: the NPU part alone)
    inputs = _parse_inputs(args.input) if args.input else (sample_model_inputs if whole else sample_inputs)(image, args.seed)
    if args.backend == "rtl":
        build_rtl_once(image.arch, trace=args.vcd is not None)
    outputs = None
    with Progress(f"{args.backend}: running", len(image.words), "instructions") as progress:
        if args.vcd is not None:
            out = _run_with_vcd(args, image, inputs, progress.update)
        elif whole:
            run = run_model(image, args.backend, inputs)
            out, outputs = run.npu, run.outputs
        else:
            out = run_image(image, args.backend, inputs, raw=args.raw, progress=progress.update)
    if out.result.fault is not None:
        print(f"genesys run: the program faulted: {out.result.fault}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    outdir = Path(args.outdir)
    for name, value in (out.outputs if outputs is None else outputs).items():
        target = outdir / f"{name}.npy"
        buf = io.BytesIO()
        np.save(buf, value)
        write_atomic(target, buf.getvalue())
        print(f"wrote {target}: shape {value.shape} {value.dtype}")
    print("counters: " + ", ".join(f"{k}={v}" for k, v in out.counters.items()))
    return EXIT_OK


def _run_with_vcd(args: argparse.Namespace, image, inputs, progress):  # noqa: ANN001, ANN202
    """`run_image` on the RTL dumping `--vcd-window` to `--vcd`, which appears only once the
    run has ended (also when the program faults: that is when a dump is wanted most)."""
    import os

    from rtl.driver import VcdWindow
    from runtime.session import run_image

    if args.backend != "rtl":
        raise UsageError(f"--vcd needs --backend rtl (got --backend {args.backend})")
    first, sep, last = (args.vcd_window or "").partition(":")
    if not (sep and first.isdigit() and last.isdigit() and int(first) < int(last)):
        raise UsageError(f"--vcd-window expects FIRST:LAST clock cycles with FIRST < LAST (got {args.vcd_window!r})")
    final = Path(args.vcd)
    partial = final.with_name(f".{final.name}.partial")
    try:
        out = run_image(image, "rtl", inputs, raw=args.raw, progress=progress,
                        vcd=VcdWindow(partial, int(first), int(last)))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, final)
    print(f"wrote {final}: clock cycles {first} to {last} of {out.counters.get('cycles', '?')}")
    return out


def cmd_cosim(args: argparse.Namespace) -> int:
    from cosim import lockstep
    from genesys.progress import build_rtl_once
    from runtime.session import quantized_inputs, sample_inputs

    image = _image(args.image)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if len(backends) < 2:
        raise UsageError("--backends needs at least two backends, e.g. spec,golden")
    if "rtl" in backends:
        build_rtl_once(image.arch)
    inputs = quantized_inputs(image, sample_inputs(image, args.seed))
    result = lockstep(image, backends, inputs)
    print(result.format())
    return EXIT_OK if result.ok else EXIT_CHECK_FAILED


def cmd_prove(args: argparse.Namespace) -> int:
    from proofs import prove_image, prove_spec, rtl

    if sum(map(bool, (args.spec, args.image, args.rtl))) != 1 or (args.unit and not args.rtl):
        raise UsageError("prove takes an IMAGE, or --spec (the specification), or --rtl [--unit U,...] (RTL units)")
    if args.rtl:
        return EXIT_OK if rtl.prove_and_report(args.unit, args.json) else EXIT_CHECK_FAILED
    if args.spec:
        results = prove_spec()
        for r in results:
            print(f"{'proved' if r.ok else 'FAILED'}: {r.name}: {r.detail}")
        ok = all(r.ok for r in results)
        print(f"spec proofs {'HOLD' if ok else 'FAIL'}: {sum(r.ok for r in results)}/{len(results)}")
        return EXIT_OK if ok else EXIT_CHECK_FAILED
    from proofs.schedule import parse_checks

    from genesys.progress import Progress

    checks = parse_checks(args.check)
    image = _image(args.image)
    layers = 1 if args.layer else len(image.layers)
    with Progress("prove: recording the program on the spec, then each layer", layers, "layers") as progress:
        report = prove_image(image, checks, args.layer, progress=progress.update)
    if args.json:
        write_atomic(Path(args.json), report.to_json().encode())
    print(report.format())
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def cmd_report(args: argparse.Namespace) -> int:
    from genesys.progress import Progress
    from genesys.report import build_report, to_html

    image = _image(args.image)
    with Progress("golden: running", len(image.words), "instructions") as progress:
        report = build_report(image, args.seed, progress.update)
    write_atomic(Path(args.output), to_html(report, args.campaign).encode())
    print(f"{report.terminal()}\nwrote {args.output}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from genesys.check import cmd_check

    return cmd_check(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from genesys.demo import demo

    return demo(args.arch, args.backends, resnet=args.resnet)


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "demo": (cmd_demo, "the main job on built-in defaults: a conv through every backend and the prover, ResNet-50 on golden"),
    "gen": (cmd_gen, "regenerate derived artifacts (--check: fail if stale)"),
    "asm": (cmd_asm, "assemble a text program into little-endian words"),
    "disasm": (cmd_disasm, "disassemble little-endian words"),
    "model": (cmd_model, "write a built-in ONNX model"),
    "compile": (cmd_compile, "compile an ONNX model into a program image (.gnx)"),
    "run": (cmd_run, "run an image on one backend, float tensors in and out"),
    "cosim": (cmd_cosim, "run backends in lockstep on their commit logs"),
    "prove": (cmd_prove, "prove with Z3 that a compiled program computes its layers: bounds, cover, reduction, maps, order"),
    "check": (cmd_check, "run a model's image and compare it with onnxruntime: layer by layer against the quantised "
                         "twin (exit 1 beyond the int8 bound), end to end against the float model"),
    "fuzz": (fuzz.cmd_fuzz, "fuzzing campaigns: random programs in lockstep, or the input readers (docs/campaigns.md)"),
    "report": (cmd_report, "per-layer cycles, traffic and roofline from the golden cycle model (HTML)"),
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (`genesys: error: ...`, exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="genesys", description="GeneSys NPU testbed")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for name, (_, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text)
        if name == "gen":
            sp.add_argument("--check", action="store_true")
        elif name == "asm":
            sp.add_argument("source")
            sp.add_argument("-o", "--output", required=True)
        elif name == "disasm":
            sp.add_argument("binary")
        elif name == "model":
            sp.add_argument("name")
            sp.add_argument("-o", "--output", required=True)
            conv = sp.add_argument_group("conv geometry (model `conv` only)")
            conv.add_argument("--shape", metavar="NxCxHxW", help="input shape (default 1x3x8x8)")
            conv.add_argument("--out-channels", type=int, metavar="OC", help="default 8")
            conv.add_argument("--kernel", type=int, metavar="K", help="K x K kernel (default 3)")
            conv.add_argument("--stride", type=int, help="default 1")
            conv.add_argument("--pad", type=int, help="padding on every side (default 1)")
            conv.add_argument("--no-relu", action="store_true", default=None, help="no Relu after the Conv")
        elif name == "compile":
            sp.add_argument("model")
            sp.add_argument("--arch", default="tiny", help="preset (tiny, default, large) or TOML path")
            sp.add_argument("-o", "--output", required=True)
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
            sp.add_argument("--host-fallback", action=argparse.BooleanOptionalAction, default=True,
                            help="run operators the NPU cannot run on the host, before or after it (default: on)")
        elif name == "run":
            sp.add_argument("image")
            sp.add_argument("--backend", default="golden", choices=list(BACKENDS))
            sp.add_argument("--input", action="append", metavar="NAME=FILE.npy")
            sp.add_argument("--outdir", default=".")
            sp.add_argument("--raw", action="store_true", help="int8 tensors in and out")
            sp.add_argument("--seed", type=int, default=0, help="seed of the sample input when none is given")
            sp.add_argument("--vcd", metavar="FILE.vcd", help="rtl: dump the signals of a window of cycles")
            sp.add_argument("--vcd-window", default="0:10000", metavar="FIRST:LAST",
                            help="the clock cycles [FIRST, LAST) --vcd dumps (default: 0:10000)")
        elif name == "cosim":
            sp.add_argument("image")
            sp.add_argument("--backends", default=",".join(BACKENDS))
            sp.add_argument("--seed", type=int, default=0)
        elif name == "prove":
            sp.add_argument("image", nargs="?")
            sp.add_argument("--spec", action="store_true", help="prove the table and the walkers instead of an image")
            sp.add_argument("--check", default="bounds,cover,reduction,maps,order", metavar="KINDS",
                            help="obligation kinds to check (default: all): bounds, cover, reduction, maps, order")
            sp.add_argument("--layer", help="check only this layer's obligations")
            sp.add_argument("--json", metavar="FILE", help="write the verdict and every failure as JSON")
            sp.add_argument("--rtl", action="store_true", help="prove RTL units equal to the spec (Yosys + Z3)")
            sp.add_argument("--unit", help="with --rtl: some of decoder,lane,pe,walkers (default: all of them)")
        elif name == "check":
            from genesys.check import add_arguments

            add_arguments(sp)
        elif name == "report":
            sp.add_argument("image")
            sp.add_argument("-o", "--output", required=True, help="the HTML file to write")
            sp.add_argument("--seed", type=int, default=0, help="seed of the sample input")
            sp.add_argument("--campaign", metavar="DIR", help="add the coverage of the fuzzing campaign in DIR")
        elif name == "fuzz":
            fuzz.add_arguments(sp)
        elif name == "demo":
            sp.add_argument("--arch", default="tiny", help="arch of the conv part (ResNet-50 uses default)")
            sp.add_argument("--backends", default=",".join(BACKENDS))
            sp.add_argument("--resnet", action=argparse.BooleanOptionalAction, default=True,
                            help="the ResNet-50 part (default: on)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `genesys` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return EXIT_BAD_INPUT if e.code else EXIT_OK
    try:
        return COMMANDS[args.command][0](args)
    except BackendFailure as e:
        print(f"genesys {args.command}: {e}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except GenesysError as e:
        print(f"genesys {args.command}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

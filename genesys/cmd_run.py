"""Running programs: `run` (an image with tensors in and out, or a raw program) and `cosim`
(backends in lockstep)."""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import Any

from genesys.common import EXIT_CHECK_FAILED, EXIT_OK, UsageError, read_file, write_json
from genesys.outputs import OutputError, check_outdir, check_output, write_output
from isa_spec import GenesysError
from runtime import BACKENDS

DEFAULT_VCD_WINDOW = "0:10000"


def add_run(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("program", metavar="IMAGE.gnx|PROG.bin")
    sp.add_argument("--arch", help="the arch of a raw PROG.bin (an image carries its own)")
    sp.add_argument("--backend", default="golden", choices=list(BACKENDS))
    sp.add_argument("--input", action="append", metavar="NAME=FILE.npy", help="an input tensor (repeatable)")
    sp.add_argument("--outdir", default=".", help="where NAME.npy of each output goes (default: .)")
    sp.add_argument("--raw", action="store_true", help="int8 tensors in and out")
    sp.add_argument("--seed", type=int, default=0, help="seed of the sample input when none is given")
    sp.add_argument("--vcd", metavar="FILE.vcd", help="rtl: dump the signals of a window of cycles")
    sp.add_argument("--vcd-window", metavar="FIRST:LAST",
                    help=f"with --vcd: the clock cycles [FIRST, LAST) to dump (default: {DEFAULT_VCD_WINDOW})")
    sp.add_argument("--json", metavar="FILE", help="write the fault, counters and outputs as JSON")


def _vcd_window(args: argparse.Namespace) -> tuple[int, int] | None:
    if args.vcd is None:
        if args.vcd_window is not None:
            raise UsageError("--vcd-window needs --vcd FILE.vcd")
        return None
    if args.backend != "rtl":
        raise UsageError(f"--vcd needs --backend rtl (got --backend {args.backend})")
    check_output(args.vcd, "--vcd")
    text = args.vcd_window or DEFAULT_VCD_WINDOW
    first, sep, last = text.partition(":")
    if not (sep and first.isdigit() and last.isdigit() and int(first) < int(last)):
        raise UsageError(f"--vcd-window expects FIRST:LAST clock cycles with FIRST < LAST (got {text!r})")
    return int(first), int(last)


def _program(args: argparse.Namespace):  # noqa: ANN202
    """The image to run: a .gnx, or a raw program wrapped in an image of `--arch`."""
    from genesys.disasm import is_image, words_of
    from isa_spec import load_arch
    from isa_spec.image import Image

    blob = read_file(args.program)
    if is_image(blob) or args.program.endswith(".gnx"):  # a .gnx without the magic: say it is not an image
        image = Image.from_bytes(blob, args.program)
        if args.arch is not None and load_arch(args.arch) != image.arch:
            raise UsageError(f"--arch {args.arch}: {args.program} was compiled for {image.arch.name}")
        return image
    if args.arch is None:
        raise UsageError(f"{args.program} is a raw program (no .gnx header): give its --arch (tiny, default, large)")
    if args.input or args.raw:
        raise UsageError(f"{args.program} is a raw program: it has no named tensors for --input or --raw")
    image = Image(load_arch(args.arch), words_of(blob, args.program))
    try:
        image.validate()
    except GenesysError as e:
        raise UsageError(f"{args.program}: {e}") from None
    return image


def cmd_run(args: argparse.Namespace) -> int:
    from genesys.inputs import read_inputs
    from genesys.progress import Progress, build_rtl_once
    from runtime.host import host_parts, run_model, sample_model_inputs
    from runtime.session import quantized_inputs, run_image, sample_inputs

    json_path = check_output(args.json, "--json") if args.json else None
    window = _vcd_window(args)
    image = _program(args)
    outdir = check_outdir(args.outdir, "--outdir") if image.symbols else None
    whole = host_parts(image) is not None and not args.raw  # host parts run too (--raw: the NPU part alone)
    if whole and window is not None:
        raise UsageError(f"{args.program} runs parts of its model on the host: --vcd dumps the NPU part alone, "
                         "run it with --raw")  # fmt: skip
    if args.input:
        inputs = read_inputs(image, args.input, args.raw)
    elif args.raw:
        inputs = quantized_inputs(image, sample_inputs(image, args.seed))  # what the float samples quantise to
    else:
        inputs = (sample_model_inputs if whole else sample_inputs)(image, args.seed)
    if args.backend == "rtl":
        build_rtl_once(image.arch, trace=window is not None)
    outputs = None
    with Progress(f"{args.backend}: running", len(image.words), "instructions") as progress:
        if window is not None:
            out = _run_with_vcd(args, window, image, inputs, progress.update)
        elif whole:
            run = run_model(image, args.backend, inputs)
            out, outputs = run.npu, run.outputs
        else:
            out = run_image(image, args.backend, inputs, raw=args.raw, progress=progress.update)
    result: dict[str, Any] = {"command": "run", "program": args.program, "backend": args.backend,
                              "arch": image.arch.name, "fault": None, "counters": out.counters, "outputs": {}}  # fmt: skip
    if out.result.fault is not None:
        result["fault"] = str(out.result.fault)
        write_json(json_path, result)
        print(f"genesys run: the program faulted: {out.result.fault}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    if outputs or out.outputs:
        _write_outputs(outdir, outputs or out.outputs, result)
    print("counters: " + ", ".join(f"{k}={v}" for k, v in out.counters.items()))
    write_json(json_path, result)
    return EXIT_OK


def _write_outputs(outdir: Path, outputs: dict[str, Any], result: dict[str, Any]) -> None:
    import numpy as np

    try:
        outdir.mkdir(exist_ok=True)
    except OSError as e:
        raise OutputError(f"--outdir {outdir}: cannot create ({e.strerror or e})") from None
    for name, value in outputs.items():
        target = outdir / f"{name}.npy"
        buf = io.BytesIO()
        np.save(buf, value)
        write_output(target, buf.getvalue())
        result["outputs"][name] = {"file": str(target), "shape": list(value.shape), "dtype": str(value.dtype)}
        print(f"wrote {target}: shape {value.shape} {value.dtype}")


def _run_with_vcd(args: argparse.Namespace, window: tuple[int, int], image, inputs, progress):  # noqa: ANN001, ANN202
    """`run_image` on the RTL dumping `window` to `--vcd`, which appears only once the run has
    ended (also when the program faults: that is when a dump is wanted most), and only when the
    window holds some of the run."""
    from rtl.driver import VcdWindow
    from runtime.session import run_image

    final = Path(args.vcd)
    partial = final.with_name(f".{final.name}.partial")
    first, last = window
    try:
        out = run_image(image, "rtl", inputs, raw=args.raw, progress=progress, vcd=VcdWindow(partial, first, last))
        cycles = out.counters.get("cycles", 0)
        if first >= cycles:
            raise UsageError(f"--vcd-window {first}:{last}: the run took {cycles:,} cycles, so the window holds "
                             f"none of it (no {final} written)")  # fmt: skip
        try:
            os.replace(partial, final)
        except OSError as e:
            raise OutputError(f"--vcd {final}: cannot write ({e.strerror or e})") from None
    finally:
        partial.unlink(missing_ok=True)
    print(f"wrote {final}: clock cycles {first} to {min(last, cycles)} of {cycles:,}")
    return out

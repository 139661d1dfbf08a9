"""`genesys check`: the command line of `genesys.check`."""

from __future__ import annotations

import argparse
from pathlib import Path

from genesys.check import TWIN_LSB, check_image
from genesys.common import EXIT_CHECK_FAILED, EXIT_OK, UsageError, load_image, read_file, write_json
from genesys.outputs import check_output
from runtime import BACKENDS


def add_check(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("model", help="the ONNX model")
    sp.add_argument("image", nargs="?", help="the image compiled from it (default: compile it now, with the defaults)")
    sp.add_argument("--backend", default="golden", choices=list(BACKENDS))
    sp.add_argument("--arch", default="tiny", help="the arch to compile for when no image is given (default: tiny)")
    inputs = sp.add_mutually_exclusive_group()
    inputs.add_argument("--inputs", type=int, default=1, metavar="N", help="N seeded random inputs (default: 1)")
    inputs.add_argument("--input", action="append", metavar="NAME=FILE.npy", help="a model input (repeatable)")
    sp.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    sp.add_argument("--json", metavar="FILE", help="write the verdict and every figure as JSON")
    sp.add_argument("--junit", metavar="FILE", help="write JUnit XML: one test case per layer")


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when every layer is within the int8 bound, 1 otherwise."""
    import onnx

    from compiler import compile_model
    from compiler.loading import load
    from genesys.inputs import read_inputs, seeded_inputs
    from genesys.junit import Case, write_junit
    from genesys.progress import Progress, build_rtl_once
    from isa_spec import load_arch

    if args.inputs < 1:
        raise UsageError(f"--inputs {args.inputs}: give at least one input")
    json_path = check_output(args.json, "--json") if args.json else None
    junit_path = check_output(args.junit, "--junit") if args.junit else None
    load(args.model)  # a one-line error for a file that is not a model the compiler reads
    model = onnx.load_from_string(read_file(args.model))  # onnxruntime's reference runs it as it is
    if args.image:
        image = load_image(args.image)
    else:
        arch = load_arch(args.arch)
        with Progress(f"compiling {Path(args.model).name} for {arch.name}"):
            image = compile_model(model, arch)
    inputs = [read_inputs(image, args.input)] if args.input else seeded_inputs(image, args.inputs, args.seed)
    if args.backend == "rtl":
        build_rtl_once(image.arch)
    report = check_image(model, Path(args.model).name, image, args.backend, inputs, Progress)
    print(report.format())
    write_json(json_path, report.to_json())
    if junit_path is not None:
        cases = [Case(layer.name, f"check.{report.backend}.layers", None if layer.ok else
                      f"{layer.beyond} of {layer.elements} elements beyond {TWIN_LSB} LSB of the quantised twin "
                      f"(up to {layer.max_lsb} LSB)")
                 for layer in report.layers]  # fmt: skip
        cases += [Case(p.split(":")[0], f"check.{report.backend}", p) for p in report.problems]
        write_junit(junit_path, f"genesys check {report.model}", cases, report.seconds)
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED

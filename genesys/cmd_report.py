"""`genesys report`: where the cycles go, per layer, as an HTML page (and JSON), with a fuzzing
campaign's coverage and mutation runs' kill rates added; or mutation runs alone; or, with
`--backend rtl`, the RTL's measured cycles per layer beside the golden cycle model's."""

from __future__ import annotations

import argparse
from typing import Any

from genesys.common import EXIT_OK, UsageError, load_image, write_json
from genesys.outputs import check_output, write_output


def add_report(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("image", nargs="?")
    sp.add_argument("-o", "--output", help="the HTML file to write (required unless --backend rtl)")
    sp.add_argument("--backend", choices=("golden", "rtl"), default="golden",
                    help="rtl: run each layer on the RTL and print its cycles beside the model's (no HTML)")
    sp.add_argument("--seed", type=int, default=0, help="seed of the sample input")
    sp.add_argument("--campaign", metavar="DIR", help="add the coverage of the fuzzing campaign in DIR")
    sp.add_argument("--json", metavar="FILE", help="write the per-layer figures as JSON")
    sp.add_argument("--mutation", action="append", metavar="FILE.json",
                    help="add a mutation run written by `genesys mutate --json` (repeatable)")  # fmt: skip


def cmd_report(args: argparse.Namespace) -> int:
    from genesys import mutation_html
    from genesys.progress import Progress
    from genesys.report import build_report, to_html

    if args.backend == "rtl":
        return _report_rtl(args)
    if args.output is None:
        raise UsageError("report needs -o FILE.html (the page it writes), unless --backend rtl")
    if args.image is None and (not args.mutation or args.campaign or args.json):
        raise UsageError("report takes an IMAGE (with --campaign DIR, --json FILE and --mutation FILE.json if "
                         "wanted), or --mutation FILE.json alone")  # fmt: skip
    output = check_output(args.output, "-o")
    json_path = check_output(args.json, "--json") if args.json else None
    runs = [mutation_html.load(path) for path in args.mutation or []]
    if args.image is None:
        write_output(output, mutation_html.page(runs).encode())
        print(f"wrote {args.output}")
        return EXIT_OK
    image = load_image(args.image)
    with Progress("golden: running", len(image.words), "instructions") as progress:
        report = build_report(image, args.seed, progress.update)
    write_output(output, mutation_html.with_runs(to_html(report, args.campaign), runs).encode())
    print(report.terminal())
    print(f"wrote {args.output}")
    write_json(json_path, report_json(report, args.image))
    return EXIT_OK


def _report_rtl(args: argparse.Namespace) -> int:
    from genesys.progress import Progress
    from genesys.rtl_report import rtl_cycles_per_layer

    if args.image is None or args.output or args.campaign or args.mutation:
        raise UsageError("report --backend rtl takes an IMAGE and --json FILE if wanted (no -o, --campaign or "
                         "--mutation: those are golden's HTML report)")  # fmt: skip
    json_path = check_output(args.json, "--json") if args.json else None
    image = load_image(args.image)
    with Progress("rtl: running layers", len(image.layers), "layers") as progress:
        rows = rtl_cycles_per_layer(image, seed=args.seed, progress=progress.update)
    print(f"{'layer':<16}{'op':<20}{'model cycles':>14}{'RTL cycles':>14}{'RTL/model':>11}")
    for r in rows:
        print(f"{r['name']:<16}{r['op']:<20}{r['model_cycles']:>14,}{r['rtl_cycles']:>14,}"
              f"{r['rtl_cycles'] / r['model_cycles']:>11.4f}")  # fmt: skip
    model, rtl = sum(r["model_cycles"] for r in rows), sum(r["rtl_cycles"] for r in rows)
    print(f"{'total':<36}{model:>14,}{rtl:>14,}{rtl / model:>11.4f}")
    write_json(json_path, {"command": "report", "image": args.image, "arch": image.arch.name, "backend": "rtl",
                           "layers": rows})  # fmt: skip
    return EXIT_OK


def report_json(report, image_path: str) -> dict[str, Any]:  # noqa: ANN001
    """The report's figures: totals and per layer, from the golden cycle model."""

    def figures(c) -> dict[str, Any]:  # noqa: ANN001
        return {"cycles": c.cycles, "sa_compute": c.sa_compute, "stall": c.stall, "tandem": c.tandem,
                "decode": c.decode, "tiles": c.tiles, "dram_bytes": c.dram_bytes,
                "dram_bytes_by_buffer": {s: c.bytes_loaded.get(s, 0) + c.bytes_stored.get(s, 0)
                                         for s in sorted({*c.bytes_loaded, *c.bytes_stored})}}  # fmt: skip

    arch = report.image.arch
    return {"command": "report", "image": image_path, "arch": arch.name, "clock_mhz": arch.timing.clock_mhz,
            "total": figures(report.total),
            "layers": [{"name": lr.name, "op": lr.op, "estimated_cycles": lr.meta.get("estimated_cycles"),
                        "macs": lr.macs, "utilisation": round(lr.utilisation, 6), "macs_per_dram_byte":
                        round(lr.intensity, 6), **figures(lr.costs)} for lr in report.layers]}  # fmt: skip

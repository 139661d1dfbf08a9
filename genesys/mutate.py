"""`genesys mutate`: how strong a checker is, measured with generated mutants (docs/campaigns.md)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from genesys.common import write_json
from genesys.outputs import check_outdir, check_output, write_output
from isa_spec import GenesysError

EXIT_OK, EXIT_WEAK, EXIT_BAD_INPUT = 0, 1, 2


class MutateUsageError(GenesysError):
    """Bad arguments of `genesys mutate` (exit 2)."""


def add_arguments(sp: argparse.ArgumentParser) -> None:
    """The options of `genesys mutate`."""
    from cosim.mutate import TARGETS

    sp.add_argument("--target", required=True, choices=list(TARGETS),
                    help="the code mutated and the checker measured (rtl: Verilog mutants of rtl/src, each built "
                         "with Verilator; one that does not lint or build is no-build)")  # fmt: skip
    sp.add_argument("--budget", default="10m", help="stop drawing mutants after this long: 90, 90s, 10m, 2h (default 10m)")
    sp.add_argument("--mutants", type=int, metavar="N", help="at most N mutants (the first N of the seeded order)")
    sp.add_argument("--seed", type=int, default=0, help="the order mutants are drawn in (default 0)")
    sp.add_argument("--workers", type=int, metavar="N", help="mutants checked at once (default 2)")
    sp.add_argument("--ray", metavar="ADDRESS", help="check the mutants as Ray tasks on this cluster (or auto)")
    sp.add_argument("--state", default="genesys-mutate", metavar="DIR",
                    help="where results are kept as they come; a rerun resumes from them (default genesys-mutate)")
    sp.add_argument("--json", metavar="FILE", help="write the kill rate and every mutant's outcome as JSON")
    sp.add_argument("--html", metavar="FILE", help="write the kill rate per file and the survivors' diffs as HTML")
    sp.add_argument("--min-kill", type=float, default=0.95, metavar="RATE",
                    help="exit 1 when the kill rate is below RATE (default 0.95)")


def parse_duration(text: str) -> float:
    """Seconds of `90`, `90s`, `10m` or `2h`."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise MutateUsageError(f"--budget {text!r}: expected a positive duration such as 90, 90s, 10m or 2h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def _line(done: int, res) -> str:  # noqa: ANN001
    by = f"  {res.killed_by[:100]}" if res.killed_by else ""
    return f"[{done:4d}] {res.status:<10} {res.seconds:6.1f}s  {res.file}:{res.line} {res.operator}{by}"


def cmd_mutate(args: argparse.Namespace) -> int:
    """Entry point of `genesys mutate` (exit 0 kill rate met, 1 not met, 2 bad usage)."""
    from cosim.mutate import CampaignError, campaign, summary_text

    budget = parse_duration(args.budget)
    if args.ray and args.workers is not None:
        raise MutateUsageError("--ray and --workers exclude each other: Ray runs as many mutants as the cluster has CPUs")
    workers = 2 if args.workers is None else args.workers
    if workers < 1 or (args.mutants is not None and args.mutants < 1) or not 0 <= args.min_kill <= 1:
        raise MutateUsageError("--workers and --mutants take a positive count, --min-kill a rate between 0 and 1")
    json_path = check_output(args.json, "--json") if args.json else None
    html_path = check_output(args.html, "--html") if args.html else None
    check_outdir(args.state, "--state")  # created if new, but never its missing parents
    try:
        summary = campaign(args.target, budget, args.seed, workers, args.ray, Path(args.state), args.mutants,
                           progress=lambda s, r: print(_line(len(s.results), r), flush=True))  # fmt: skip
    except CampaignError as e:
        raise MutateUsageError(str(e)) from None
    print(summary_text(summary))
    write_json(json_path, {"command": "mutate", **summary.to_dict()})
    if html_path is not None:
        from genesys.mutation_html import page

        write_output(html_path, page([summary.to_dict()]).encode())
    rate = summary.kill_rate
    if rate is None:
        print("genesys mutate: no mutant was checked within the budget", file=sys.stderr)
        return EXIT_WEAK
    return EXIT_OK if rate >= args.min_kill else EXIT_WEAK

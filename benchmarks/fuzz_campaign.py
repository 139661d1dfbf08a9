"""A clean campaign on the unmodified tree: `genesys fuzz` for 10 minutes (tiny,
spec+golden+rtl, 2 workers). It must find nothing and reach every defined instruction;
prints its coverage and the holes.

    python benchmarks/fuzz_campaign.py [--time 10m] [--workers 2] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from genesys.cli import main as genesys  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time", default="10m")
    ap.add_argument("--workers", default="2")
    ap.add_argument("--corpus", help="keep the campaign here (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.corpus or str(Path(tmp) / "campaign")
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        code = genesys(["fuzz", "--arch", "tiny", "--backends", "spec,golden,rtl", "--time", args.time,
                        "--workers", args.workers, "--corpus", folder, "--json", str(Path(tmp) / "c.json")])  # fmt: skip
        data = json.loads((Path(tmp) / "c.json").read_text())
        print(f"load average after: {os.getloadavg()[0]:.1f}; exit code {code}")
        c = data["coverage"]
        print(f"failures: {data['failures']}; defined instructions {c['spec_instructions_hit']}/{c['spec_instructions_total']}"
              f" ({'100%' if not data['instruction_holes'] else 'holes: ' + ', '.join(data['instruction_holes'])})")  # fmt: skip
        print(f"all spec holes ({len(data['spec_holes'])}):")
        for hole in data["spec_holes"]:
            print(f"  {hole}")


if __name__ == "__main__":
    main()

"""Mutation runs in HTML (`genesys mutate --html`, `genesys report --mutation FILE.json`): per
target the kill rate, per file the outcomes, and every survivor with its diff."""

from __future__ import annotations

import html
import json
from pathlib import Path

from isa_spec import GenesysError

STATUSES = ("killed", "survived", "timeout", "no-build", "equivalent")
CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse;font-size:.9em}
th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.85em}
.note{color:#666;font-size:.9em}"""


def load(path: str) -> dict:
    """A mutation run written by `genesys mutate --json`; anything else is a one-line error."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GenesysError(f"{path}: not a mutation run ({e})") from None
    if not isinstance(data, dict) or not {"target", "kill_rate", "mutants"} <= set(data):
        raise GenesysError(f"{path}: not a mutation run (no target, kill_rate and mutants)")
    return data


def _rate(counts: dict) -> str:
    judged = counts.get("killed", 0) + counts.get("survived", 0) + counts.get("timeout", 0)
    return f"{100 * (counts.get('killed', 0) + counts.get('timeout', 0)) / judged:.1f}%" if judged else "-"


def section(run: dict) -> str:
    """One target's run."""
    counts = {s: 0 for s in STATUSES}
    files: dict[str, dict[str, int]] = {}
    for m in run["mutants"]:
        counts[m["status"]] += 1
        files.setdefault(m["file"], {s: 0 for s in STATUSES})[m["status"]] += 1
    head = "".join(f"<th>{h}</th>" for h in ["file", *STATUSES, "kill rate"])
    rows = "".join(f"<tr><td>{html.escape(f)}</td>{''.join(f'<td>{c[s]}</td>' for s in STATUSES)}<td>{_rate(c)}</td></tr>"
                   for f, c in sorted(files.items()))  # fmt: skip
    total = f"<tr><th>total</th>{''.join(f'<th>{counts[s]}</th>' for s in STATUSES)}<th>{_rate(counts)}</th></tr>"
    survivors = "".join(f"<h4>{html.escape(m['status'])} {html.escape(m['file'])}:{m['line']} ({m['seconds']} s)</h4>"
                        f"<pre>{html.escape(m['diff'])}</pre>"
                        for m in run["mutants"] if m["status"] in ("survived", "timeout"))  # fmt: skip
    equivalent = "".join(f"<li>{html.escape(m['file'])}:{m['line']}: {html.escape(m.get('reason', ''))}<pre>"
                         f"{html.escape(m['diff'])}</pre></li>"
                         for m in run["mutants"] if m["status"] == "equivalent")  # fmt: skip
    rate = "-" if run["kill_rate"] is None else f"{100 * run['kill_rate']:.1f}%"
    return f"""<h2>Mutation run: {html.escape(run['target'])}, kill rate {rate}</h2>
<p>{len(run['mutants'])} mutants checked (seed {run.get('seed', '?')}, {run.get('seconds', '?')} s); checker:
{html.escape(run.get('checker', ''))}. The kill rate is (killed + timeout) / (killed + survived + timeout).</p>
<table><tr>{head}</tr>{rows}{total}</table>
<h3>Survivors</h3>{survivors or "<p>none</p>"}
{f"<h3>Equivalent (reviewed)</h3><ul>{equivalent}</ul>" if equivalent else ""}"""


def page(runs: list[dict]) -> str:
    """A page of mutation runs."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GeneSys mutation runs</title><style>{CSS}</style></head><body>
<h1>GeneSys mutation runs</h1>
<p class="note">A killed mutant is a generated bug the target's checker caught; see docs/campaigns.md.</p>
{"".join(section(r) for r in runs)}
</body></html>
"""


def with_runs(report_html: str, runs: list[dict]) -> str:
    """A performance report with mutation runs added at its end."""
    return report_html.replace("</body></html>", "".join(section(r) for r in runs) + "\n</body></html>")

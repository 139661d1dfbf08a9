"""The terminal summary of a mutation campaign."""

from __future__ import annotations

from .campaign import STATUSES, Summary, kill_rate
from .targets import TARGETS


def summary_text(s: Summary) -> str:
    """Per file: the outcomes and kill rate; the total; each survivor with its diff; each
    equivalent mutant with its reason."""
    head = f"{'file':<34}" + "".join(f"{st:>11}" for st in STATUSES) + f"{'kill rate':>11}"
    lines = [f"mutate {s.target}: {len(s.results)} mutants checked ({s.resumed} from earlier runs) of "
             f"{s.drawn} in the target, seed {s.seed}, {s.seconds:.0f} s",
             f"checker: {TARGETS[s.target].what}", "", head, "-" * len(head)]  # fmt: skip
    for file, c in s.by_file().items():
        lines.append(f"{file:<34}" + "".join(f"{c[st]:>11}" for st in STATUSES) + f"{_rate(c):>11}")
    c = s.counts()
    lines += ["-" * len(head), f"{'total':<34}" + "".join(f"{c[st]:>11}" for st in STATUSES) + f"{_rate(c):>11}"]
    judged = c["killed"] + c["survived"] + c["timeout"]
    lines.append(f"kill rate {c['killed'] + c['timeout']}/{judged} = {_rate(c)} ((killed + timeout) / (killed + survived "
                 "+ timeout); equivalent and no-build mutants are not counted)")  # fmt: skip
    for r in s.results:
        if r.status in ("survived", "timeout"):
            lines += ["", f"{r.status.upper()} {r.id} {r.file}:{r.line} ({r.operator}, {r.seconds:.1f} s)", r.diff.rstrip()]
    for r in s.results:
        if r.status == "equivalent":
            lines += ["", f"equivalent {r.id} {r.file}:{r.line}: {r.reason}"]
    return "\n".join(lines)


def _rate(c: dict[str, int]) -> str:
    rate = kill_rate(c)
    return "-" if rate is None else f"{100 * rate:.1f}%"

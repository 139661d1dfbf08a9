"""A mutation campaign: draw a target's mutants in a seeded order, run its checker on each
in a child process (local workers or Ray) until the budget is spent, and keep every
result in a journal so that the same command resumes where it stopped.

Statuses: killed (a check failed, or the mutant crashed the code under check), survived,
timeout (the checker did not finish in 5 times its time on the original, plus 30 s, plus
the target's bound on building a mutant),
no-build (RTL: the mutant did not build or lint), equivalent (survived, and reviewed as
behaving like the original: `equivalent.toml`). The kill rate is (killed + timeout) /
(killed + survived + timeout): a checker that does not finish has not passed, as PIT and
Stryker count it; timeouts are reported on their own so a reader can discount them.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import equivalent, isolation, python_mutants, verilog_mutants
from .python_mutants import Mutant
from .targets import ROOT, TARGETS, Target, project_files

STATUSES = ("killed", "survived", "timeout", "no-build", "equivalent")


def kill_rate(counts: dict[str, int]) -> float | None:
    """(killed + timeout) / (killed + survived + timeout), or None without such mutants."""
    judged = counts["killed"] + counts["survived"] + counts["timeout"]
    return (counts["killed"] + counts["timeout"]) / judged if judged else None


@dataclass
class Result:
    """One mutant's outcome, as the JSON output holds it."""

    id: str
    file: str
    line: int
    operator: str
    diff: str
    status: str
    killed_by: str | None
    seconds: float
    reason: str = ""  # why an equivalent mutant is equivalent


@dataclass
class Summary:
    """A campaign's results (this run's and the resumed ones) and its figures."""

    target: str
    seed: int
    drawn: int  # mutants the target has in all
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0
    resumed: int = 0  # results taken from the journal, not run now

    def counts(self) -> dict[str, int]:
        c = {s: 0 for s in STATUSES}
        for r in self.results:
            c[r.status] += 1
        return c

    @property
    def kill_rate(self) -> float | None:
        """Detected (killed or timed out) over the non-equivalent mutants that ran (None when none did)."""
        return kill_rate(self.counts())

    def by_file(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(lambda: {s: 0 for s in STATUSES})
        for r in self.results:
            out[r.file][r.status] += 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict:
        """What `--json` writes."""
        return {"target": self.target, "kill_rate": self.kill_rate, "seed": self.seed, "seconds": round(self.seconds, 1),
                "mutants_in_target": self.drawn, "resumed": self.resumed, "checker": TARGETS[self.target].what,
                "counts": self.counts(), "files": self.by_file(), "mutants": [asdict(r) for r in self.results]}  # fmt: skip

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)


def draw(target: Target, seed: int) -> list[tuple[Mutant, str]]:
    """Every mutant of the target with its file's source, in the campaign's order for `seed`:
    shuffled within each operator, then taken operator by operator in turn, so that a short
    run sees every kind of edit and not mostly the most numerous."""
    by_operator: dict[str, list[tuple[Mutant, str]]] = defaultdict(list)
    for rel in target.paths():
        source = (ROOT / rel).read_text()
        generate = verilog_mutants.mutants if rel.endswith(".sv") else python_mutants.mutants
        for m in generate(rel, source):
            if target.mutates(m.scope):
                by_operator[m.operator].append((m, source))
    rng = random.Random(seed)
    queues = []
    for op in sorted(by_operator):
        items = sorted(by_operator[op], key=lambda x: x[0].id)
        rng.shuffle(items)
        queues.append(items)
    out = []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


def fingerprints(target: Target) -> dict[str, str]:
    """Per mutated file: a hash of every other source (a result stays valid while none of
    them changes; the mutated file's own text is in the mutant's id)."""
    digests = {rel: hashlib.sha256(p.read_bytes()).hexdigest() for rel, p in sorted(project_files().items())}
    out = {}
    for rel in target.paths():
        h = hashlib.sha256()
        for other, d in digests.items():
            if other != rel:
                h.update(f"{other}:{d}\n".encode())
        out[rel] = h.hexdigest()[:16]
    return out


class Journal:
    """Results appended one JSON line each, as they come; read back on a later run."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict[tuple[str, str], dict]:
        """Saved results by (mutant id, fingerprint)."""
        if not self.path.exists():
            return {}
        out = {}
        for line in self.path.read_text().splitlines():
            try:
                rec = json.loads(line)
                out[rec["id"], rec["fingerprint"]] = rec
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a line cut short when the last run was killed
        return out

    def append(self, rec: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(rec) + "\n")


class CampaignError(Exception):
    """A campaign that cannot run (a one-line reason)."""


class CheckerBroken(CampaignError):
    """The checker fails on the unmutated sources: its verdicts would mean nothing."""


@dataclass
class Job:
    mutant: Mutant
    source: str
    fingerprint: str

    def inputs(self) -> tuple[dict[str, str], tuple]:
        """What the child gets: Python sources served in place of their files, and the
        checker's arguments after the fixture (a Verilog mutant: its `rtl.build` patch)."""
        if self.mutant.file.endswith(".sv"):
            return {}, (verilog_mutants.patch(self.mutant, self.source),)
        return {self.mutant.file: self.mutant.apply(self.source)}, ()


def prepare(target: Target, timeout: float) -> tuple[bytes, float]:
    """The target's fixture (pickled) and the seconds its checker takes on the unmutated
    sources; raises CheckerBroken when the checker does not pass there."""
    fixture = b""
    if target.prepared:
        try:
            fixture = isolation.fixture(f"{target.checker}:prepare", timeout)
        except RuntimeError as e:
            raise CheckerBroken(f"preparing the {target.name} checker failed: {e}") from None
    base = isolation.run({}, f"{target.checker}:check", fixture, timeout)
    if base.status != "survived":
        raise CheckerBroken(f"the {target.name} checker fails on the unmutated sources: {base.killed_by or base.status}")
    return fixture, base.seconds


def campaign(target_name: str, budget: float, seed: int = 0, workers: int = 2, ray: str | None = None,
             state: Path | None = None, limit: int | None = None,
             progress: Callable[[Summary, Result], None] | None = None) -> Summary:  # fmt: skip
    """Run the target's mutants in the seeded order for `budget` seconds (at most `limit`
    mutants), resuming from `state`'s journal."""
    start = time.monotonic()
    target = TARGETS[target_name]
    order = draw(target, seed)
    fps = fingerprints(target)
    journal = Journal((state or ROOT / "genesys-mutate") / f"{target.name}.jsonl")
    saved = journal.load()
    summary = Summary(target.name, seed, len(order))
    jobs = []
    for m, source in order[:limit]:
        rec = saved.get((m.id, fps[m.file]))
        if rec is not None:
            summary.results.append(_result(m, source, rec["status"], rec["killed_by"], rec["seconds"]))
            summary.resumed += 1
        else:
            jobs.append(Job(m, source, fps[m.file]))
    if jobs:
        fixture, base = prepare(target, max(60.0, budget))
        timeout = 5 * base + 30 + target.build_seconds
        pool = _ray_pool(ray) if ray else _LocalPool(workers)
        for job, out in pool.run(jobs, target.checker, fixture, timeout, start + budget):
            res = _result(job.mutant, job.source, out.status, out.killed_by, out.seconds)
            journal.append({"id": res.id, "fingerprint": job.fingerprint, "status": out.status,
                            "killed_by": out.killed_by, "seconds": round(out.seconds, 2)})  # fmt: skip
            summary.results.append(res)
            if progress:
                progress(summary, res)
    summary.seconds = time.monotonic() - start
    return summary


def _result(m: Mutant, source: str, status: str, killed_by: str | None, seconds: float) -> Result:
    reason = ""
    if status == "survived":
        reason = equivalent.reason(m, source) or ""
        status = "equivalent" if reason else status
    return Result(m.id, m.file, m.line, m.operator, m.diff(source), status, killed_by, round(seconds, 2), reason)


class _LocalPool:
    """`workers` children at a time, forked from this process."""

    def __init__(self, workers: int):
        self.workers = max(1, workers)

    def run(self, jobs: list[Job], checker: str, fixture: bytes, timeout: float,
            deadline: float) -> Iterator[tuple[Job, isolation.Outcome]]:  # fmt: skip
        from multiprocessing.connection import wait

        todo, running = list(jobs), []
        try:
            while todo or running:
                while todo and len(running) < self.workers and time.monotonic() < deadline:
                    job = todo.pop(0)
                    sources, args = job.inputs()
                    running.append(isolation.start(job, sources, f"{checker}:check", fixture, timeout, args))
                if not running:
                    return
                left = min(r.started + r.timeout for r in running) - time.monotonic()
                ready = wait([r.conn for r in running] + [r.process.sentinel for r in running],
                             max(0.0, min(left, deadline - time.monotonic())))  # fmt: skip
                if time.monotonic() >= deadline:
                    return
                for r in list(running):
                    if r.conn in ready or r.process.sentinel in ready or r.overdue:
                        running.remove(r)
                        yield r.key, r.result()
        finally:
            for r in running:  # out of budget: the unfinished ones run again on resume
                r.stop()


def _ray_pool(address: str):  # noqa: ANN202
    from ..pool import ClusterError
    from .ray_pool import RayPool

    try:
        return RayPool(address)
    except ClusterError as e:
        raise CampaignError(str(e)) from None

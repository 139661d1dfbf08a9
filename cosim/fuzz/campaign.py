"""A fuzzing campaign: batches of programs run by local worker processes or Ray tasks,
merged in program order into the corpus, the coverage and the failures of the campaign
folder, which is saved after every batch (so `--resume` continues from the last one).

Program `index` depends only on (seed, index, the corpus before its batch), and a batch is
merged in index order, so the same seed gives the same programs, failures and coverage
whatever runs them (one process, N processes, a Ray cluster).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from isa_spec.coverage import holes, instruction_points, spec_points

from ..pool import LocalPool, RayPool
from . import schedule
from .rtl_coverage import count
from .store import CampaignDir, State, body_instructions
from .target import Config, Failure, Outcome
from .worker import measure_shard, run_shard, shrink_shard

BATCH = 48  # programs per batch: the unit of scheduling, merging and saving
# Programs of a batch (the first ones that reached new spec coverage) also run on the RTL
# coverage build, which is about ten times slower than the plain one.
RTL_COVERAGE_PER_BATCH = 2
# A signature whose reproducer has more instructions than SMALL is shrunk again from its
# later occurrences (the first of each batch), up to RESHRINKS times: a bug that is found
# often soon has a reproducer of a few instructions.
SMALL, RESHRINKS = 3, 16


@dataclass
class Summary:
    """Where a campaign stands: what `--json` writes and the final summary shows."""

    programs: int
    seconds: float
    failures: list[dict]
    coverage: dict[str, int]
    holes: list[str] = field(default_factory=list)
    instruction_holes: list[str] = field(default_factory=list)
    corpus: int = 0

    def to_json(self) -> dict:
        return {"programs": self.programs, "seconds": round(self.seconds, 1), "failures": len(self.failures),
                "coverage": self.coverage, "failure_list": self.failures, "spec_holes": self.holes,
                "instruction_holes": self.instruction_holes, "corpus": self.corpus}  # fmt: skip


def _shards(items: list, n: int) -> list[list]:
    size = -(-len(items) // n)
    return [items[i : i + size] for i in range(0, len(items), size)]


class Campaign:
    def __init__(self, folder: Path, config: Config | None = None, seed: int = 0, resume: bool = False):
        """Open the campaign in `folder`: a new one of `config` and `seed`, or (`resume`) the
        one it holds."""
        self.dir = CampaignDir(folder)
        if resume:
            self.state = self.dir.load_state()
        else:
            assert config is not None
            self.state = State(asdict(config), seed)
            self.dir.create(self.state)
        self.config = self.state.campaign_config()
        self.corpus = self.dir.read_corpus(self.state)

    def run(self, programs: int | None = None, seconds: float | None = None, workers: int = 1,
            ray: str | None = None, on_batch: Callable[[Summary, float], None] | None = None,
            use_ray: bool = False) -> Summary:  # fmt: skip
        """Run until `programs` more programs or `seconds` more seconds (at a batch end), or
        Ctrl-C; every batch merged is saved. `use_ray` (or a `ray` address) runs on Ray."""
        pool = RayPool(ray) if (ray or use_ray) else LocalPool(workers)
        start, done = time.monotonic(), 0
        try:
            while (programs is None or done < programs) and (seconds is None or time.monotonic() - start < seconds):
                count = BATCH if programs is None else min(BATCH, programs - done)
                self._batch(pool, count, time.monotonic())
                done += count
                if on_batch is not None:
                    on_batch(self.summary(), time.monotonic() - start)
        except BaseException:
            pool.close(now=True)
            raise
        pool.close()
        return self.summary()

    def _batch(self, pool: LocalPool | RayPool, count: int, began: float) -> None:
        s = self.state
        items = schedule.inputs(s.seed, s.next_index, count, self.corpus)
        folder = str(self.dir.root.resolve())
        args = [(self.config, shard, frozenset(s.failures), folder) for shard in _shards(items, pool.workers)]
        outcomes = sorted((o for part in pool.map(run_shard, args) for o in part), key=lambda o: o.index)
        again = self._again(outcomes)
        fresh = self._merge(outcomes)
        if again:
            self._reshrink(pool, again)
        if self.config.rtl_coverage and "rtl" in self.config.backends and fresh:
            self._measure_rtl(pool, fresh[:RTL_COVERAGE_PER_BATCH])
        s.next_index += count
        s.programs += count
        s.seconds += time.monotonic() - began
        self.dir.save_state(s)

    def _again(self, outcomes: Sequence[Outcome]) -> list[Failure]:
        """The first failure of the batch of each known signature whose reproducer is not small."""
        s, out = self.state, {}
        for o in outcomes:
            sig = o.failure.signature if o.failure is not None else None
            if sig in s.failures and sig not in out and s.reshrinks.get(sig, 0) < RESHRINKS:
                meta = self.dir.failure_meta(sig)
                if meta is not None and meta["instructions"] > SMALL:
                    out[sig] = o.failure
        return list(out.values())

    def _reshrink(self, pool: LocalPool | RayPool, failures: list[Failure]) -> None:
        s = self.state
        args = [(self.config, part) for part in _shards(failures, pool.workers)]
        for small in (f for part in pool.map(shrink_shard, args) for f in part):
            s.reshrinks[small.signature] = s.reshrinks.get(small.signature, 0) + 1
            meta = self.dir.failure_meta(small.signature)
            if small.shrunk and meta is not None and body_instructions(small.words) < meta["instructions"]:
                self.dir.save_failure(small, self.config, replace=True)

    def _merge(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """Merge a batch in program order; the programs it added to the corpus."""
        s = self.state
        spec, fresh = set(s.spec_hit), []
        for out in outcomes:
            if out.failure is not None and out.failure.signature not in s.failures:
                meta = self.dir.failure_meta(out.failure.signature)
                stale = meta is None or meta["index"] != out.index or meta["shrunk"] != out.failure.shrunk
                if stale:  # saved by a worker that was not the first, or before it shrank
                    self.dir.save_failure(out.failure, self.config, replace=True)
                s.failures.append(out.failure.signature)
            new = len(out.points - spec)
            if out.buffer is not None and new and out.failure is None:
                self.dir.add_corpus(out.index, out.buffer)
                s.corpus.append([out.index, float(new)])
                self.corpus.append((out.index, out.buffer, float(new)))
                fresh.append(out)
            spec |= out.points
        s.spec_hit = sorted(spec)
        return fresh

    def _measure_rtl(self, pool: LocalPool | RayPool, outcomes: Sequence[Outcome]) -> None:
        s = self.state
        seen = frozenset(s.rtl_hit)
        args = [(self.config, [o.buffer for o in part], seen) for part in _shards(list(outcomes), pool.workers)]
        hits = set(seen)
        for more, totals in pool.map(measure_shard, args):
            hits |= more
            for kind, n in totals.items():
                s.rtl_totals[kind] = max(n, s.rtl_totals.get(kind, 0))
        s.rtl_hit = sorted(hits)

    def summary(self) -> Summary:
        s = self.state
        failures = []
        for sig in s.failures + [d for d in self.dir.signatures_on_disk() if d not in s.failures]:
            meta = self.dir.failure_meta(sig) or {}
            failures.append({"signature": sig, "folder": str(self.dir.failure_dir(sig)),
                             "instructions": meta.get("instructions"), "shrunk": meta.get("shrunk")})  # fmt: skip
        universe = spec_points()
        hit = set(s.spec_hit)
        coverage = {"spec_points_hit": len(hit & set(universe)), "spec_points_total": len(universe),
                    "spec_instructions_hit": len(hit & set(instruction_points())),
                    "spec_instructions_total": len(instruction_points()),
                    "rtl_lines_hit": count(s.rtl_hit, "lines"), "rtl_lines_total": s.rtl_totals.get("lines", 0),
                    "rtl_toggles_hit": count(s.rtl_hit, "toggles"),
                    "rtl_toggles_total": s.rtl_totals.get("toggles", 0)}  # fmt: skip
        return Summary(s.programs, s.seconds, failures, coverage, holes(hit),
                       [p for p in instruction_points() if p not in hit], len(s.corpus))

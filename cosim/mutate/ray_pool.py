"""Mutants checked as Ray tasks: each task forks its own child for the mutant (as the local
workers do), so a mutant never outlives its task and a Ray worker stays clean. As many
tasks run at once as the cluster has CPUs; the budget and the timeout hold as locally."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from .. import pool
from . import isolation


def _check(sources: dict[str, str], ref: str, fixture: Any, timeout: float, args: tuple) -> isolation.Outcome:
    return isolation.run(sources, ref, fixture, timeout, args)


class RayPool:
    """Ray tasks on the cluster at `address` ("auto": the one this machine belongs to), or
    on the Ray instance this process already started (as `genesys fuzz --ray` connects)."""

    def __init__(self, address: str | None):
        cluster = pool.RayPool(address)  # connects as every campaign does (ClusterError if it cannot)
        self.ray = cluster.ray
        self.task = self.ray.remote(_check)
        self.workers = cluster.workers

    def run(self, jobs: list, checker: str, fixture: bytes, timeout: float,
            deadline: float) -> Iterator[tuple[Any, isolation.Outcome]]:  # fmt: skip
        """Like the local pool: (job, outcome) as they finish, until the jobs or the budget end."""
        ray = self.ray
        shared = ray.put(fixture)  # once, not once per task
        todo, running = list(jobs), {}
        try:
            while todo or running:
                while todo and len(running) < self.workers and time.monotonic() < deadline:
                    job = todo.pop(0)
                    sources, args = job.inputs()
                    ref = self.task.remote(sources, f"{checker}:check", shared, timeout, args)
                    running[ref] = job
                if not running:
                    return
                ready, _ = ray.wait(list(running), num_returns=1, timeout=max(0.0, deadline - time.monotonic()))
                if time.monotonic() >= deadline:
                    return
                for ref in ready:
                    yield running.pop(ref), ray.get(ref)
        finally:
            for ref in running:  # out of budget: the unfinished ones run again on resume
                ray.cancel(ref, force=True)

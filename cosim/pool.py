"""The worker engine of the campaigns and of layer-parallel lockstep: local processes or
Ray tasks, the same interface for both."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator

from isa_spec import GenesysError


class ClusterError(GenesysError):
    """No Ray cluster at the address given (exit 2)."""


def ignore_sigint() -> None:
    """Workers leave Ctrl-C to the process that drives them, which stops them itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _call(job: tuple[Callable, tuple]):  # noqa: ANN202
    fn, args = job
    return fn(*args)


class LocalPool:
    """`workers` local processes (or this process when 1)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = multiprocessing.get_context("fork").Pool(workers, ignore_sigint) if workers > 1 else None

    def map(self, fn: Callable, args: list[tuple]) -> list:
        """`fn(*a)` for every `a` of `args`, in order."""
        if self.pool is None:
            return [fn(*a) for a in args]
        return self.pool.starmap_async(fn, args).get()

    def as_completed(self, fn: Callable, args: list[tuple]) -> Iterator:
        """`fn(*a)` for every `a` of `args`, each as soon as it is done (one job per task)."""
        if self.pool is None:
            yield from (fn(*a) for a in args)
        else:
            yield from self.pool.imap_unordered(_call, [(fn, a) for a in args], chunksize=1)

    def close(self, now: bool = False) -> None:
        if self.pool is not None:
            self.pool.terminate() if now else self.pool.close()
            self.pool.join()


class RayPool:
    """Ray tasks on the cluster at `address` ("auto": the one this machine belongs to), or
    on the Ray instance this process already started."""

    def __init__(self, address: str | None):
        import ray

        if not ray.is_initialized():
            try:
                ray.init(address=address, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise ClusterError(f"--ray {address}: cannot connect to a Ray cluster ({e})") from None
        self.ray = ray
        self.tasks: dict[Callable, object] = {}
        self.pending: list = []  # the tasks of the map under way
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _task(self, fn: Callable):  # noqa: ANN202
        if fn not in self.tasks:
            self.tasks[fn] = self.ray.remote(fn)
        return self.tasks[fn]

    def map(self, fn: Callable, args: list[tuple]) -> list:
        self.pending = [self._task(fn).remote(*a) for a in args]
        out = self.ray.get(self.pending)
        self.pending = []
        return out

    def as_completed(self, fn: Callable, args: list[tuple]) -> Iterator:
        self.pending = [self._task(fn).remote(*a) for a in args]
        while self.pending:
            done, self.pending = self.ray.wait(self.pending, num_returns=1)
            yield self.ray.get(done[0])

    def close(self, now: bool = False) -> None:
        """The cluster is not ours to stop; `now` (Ctrl-C) stops the tasks still running,
        which would otherwise go on (and write into a campaign folder) after this process."""
        if now:
            for task in self.pending:
                self.ray.cancel(task, force=True)
        self.pending = []

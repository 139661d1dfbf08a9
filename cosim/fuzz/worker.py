"""The work of one worker process (local or on Ray): run a shard of a batch of programs,
save each new failure at once, then shrink it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .store import CampaignDir
from .target import Config, Failure, Outcome, Target

_TARGETS: dict[tuple[int, Config], Target] = {}


def target(config: Config) -> Target:
    """This process's target of `config`, made once (the RTL device is built or loaded once;
    a forked worker makes its own rather than use the models of the process it came from)."""
    key = (os.getpid(), config)
    if key not in _TARGETS:
        _TARGETS[key] = Target(config)
    return _TARGETS[key]


def run_shard(config: Config, items: Sequence[tuple[int, bytes]], known: frozenset[str],
              folder: str | None) -> list[Outcome]:  # fmt: skip
    """Run programs `items` ((index, bytes)); `known` signatures are not shrunk again, the
    first failure of every other signature is saved in `folder` (when the worker sees the
    campaign's folder) as soon as it is found, and then shrunk."""
    t = target(config)
    store = CampaignDir(Path(folder)) if folder else None
    outcomes, shrunk = [], set(known)
    for index, buffer in items:
        out = t.run(index, buffer)
        if out.failure is not None and out.failure.signature not in shrunk:
            shrunk.add(out.failure.signature)
            if store is not None:
                store.save_failure(out.failure, config)
            out.failure = t.shrink(out.failure)
        outcomes.append(out)
    return outcomes


def measure_shard(config: Config, buffers: Sequence[bytes], seen: frozenset[str]) -> tuple[set[str], dict[str, int]]:
    """The RTL coverage points beyond `seen` that the programs of `buffers` hit, and the totals."""
    hits, totals = target(config).rtl_coverage(buffers)
    return hits - seen, totals


def shrink_shard(config: Config, failures: Sequence[Failure]) -> list[Failure]:
    """`failures` shrunk (later occurrences of known signatures, for a smaller reproducer)."""
    t = target(config)
    return [t.shrink(f) for f in failures]

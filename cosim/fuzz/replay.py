"""`genesys fuzz --replay DIR/failures/SIGNATURE`: run a saved failure again."""

from __future__ import annotations

import json
from pathlib import Path

from .store import CampaignError, State
from .target import Target


def replay(folder: Path) -> int:
    """Run the failure saved in `folder` with the campaign's backends (and planted bugs, if
    it had any); print its report. Exit code 1 if it still fails, 0 if it no longer does."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        config = State(meta["config"], 0).campaign_config()
        words, seed = tuple(meta["program"]), int(meta["dram_seed"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise CampaignError(f"{folder}: not a saved failure ({type(e).__name__}: {e})") from None
    from isa_spec import load_arch

    from ..strategies import RandomProgram

    program = RandomProgram(load_arch(config.arch), words, seed)
    print(repr(program))
    _, signature, report = Target(config).evaluate(program)
    print(report)
    print(f"replay: {'FAILS with ' + signature if signature else 'no longer fails'} (saved as {meta['signature']})")
    return 1 if signature else 0

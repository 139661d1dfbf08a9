"""The campaign folder: its state (seed position, coverage), its corpus and its failures.

    DIR/state.json                  written atomically after every batch of programs
    DIR/corpus/NNNNNNNNN.bin        the bytes of each program that reached new coverage
    DIR/failures/SIGNATURE/         one folder per failure signature:
        program.gnx  program.s  report.txt  replay.txt  choices.bin  meta.json

A failure folder is written whole into a temporary folder and renamed into place, so a
reader (or a campaign killed at any moment) sees it complete or not at all; a shrunk
failure replaces the one first saved the same way (the old folder is moved aside first and
restored on the next open if the campaign died in between).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from isa_spec import GenesysError, disassemble
from isa_spec.errors import IllegalInstruction
from isa_spec.image import write_atomic

from ..strategies import RandomProgram
from .target import Config, Failure

STATE_VERSION = 1


class CampaignError(GenesysError):
    """A campaign folder that cannot be used as asked (exit 2)."""


@dataclass
class State:
    """Everything `--resume` needs besides the corpus and failure files."""

    config: dict
    seed: int
    next_index: int = 0
    programs: int = 0  # programs run (the invalid draws included)
    seconds: float = 0.0
    spec_hit: list[str] = field(default_factory=list)
    rtl_hit: list[str] = field(default_factory=list)
    rtl_totals: dict[str, int] = field(default_factory=dict)
    corpus: list[list] = field(default_factory=list)  # [index, weight] of each corpus file
    failures: list[str] = field(default_factory=list)  # signatures, in the order found
    reshrinks: dict[str, int] = field(default_factory=dict)  # signature -> shrinks of later occurrences

    def campaign_config(self) -> Config:
        c = dict(self.config)
        return Config(c["arch"], tuple(c["backends"]), tuple(tuple(p) for p in c["rtl_patches"]), c["rtl_coverage"])


class CampaignDir:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.corpus_dir, self.failures_dir = self.root / "corpus", self.root / "failures"
        self.state_path = self.root / "state.json"

    def exists(self) -> bool:
        return self.state_path.exists()

    def create(self, state: State) -> None:
        if self.exists():
            raise CampaignError(f"{self.root}: holds a campaign already (pass --resume, or another --corpus)")
        for d in (self.corpus_dir, self.failures_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.save_state(state)

    def load_state(self) -> State:
        try:
            raw = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            raise CampaignError(f"{self.root}: no campaign to resume (no state.json)") from None
        except (OSError, json.JSONDecodeError) as e:
            raise CampaignError(f"{self.state_path}: unreadable campaign state ({e})") from None
        if raw.pop("version", None) != STATE_VERSION:
            raise CampaignError(f"{self.state_path}: not a campaign state of version {STATE_VERSION}")
        self._recover_failures()
        return State(**raw)

    def save_state(self, state: State) -> None:
        write_atomic(self.state_path, json.dumps({"version": STATE_VERSION, **asdict(state)}).encode())

    # ---- corpus ----
    def corpus_path(self, index: int) -> Path:
        return self.corpus_dir / f"{index:09d}.bin"

    def add_corpus(self, index: int, buffer: bytes) -> None:
        write_atomic(self.corpus_path(index), buffer)

    def read_corpus(self, state: State) -> list[tuple[int, bytes, float]]:
        """(index, bytes, weight) of every corpus entry the state names, in index order."""
        out = []
        for index, weight in state.corpus:
            try:
                out.append((index, self.corpus_path(index).read_bytes(), weight))
            except OSError as e:
                raise CampaignError(f"{self.corpus_path(index)}: corpus entry unreadable ({e.strerror})") from None
        return out

    # ---- failures ----
    def failure_dir(self, signature: str) -> Path:
        return self.failures_dir / signature

    def failure_meta(self, signature: str) -> dict | None:
        try:
            return json.loads((self.failure_dir(signature) / "meta.json").read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def save_failure(self, failure: Failure, config: Config, replace: bool = False) -> bool:
        """Write `failure` whole, atomically; an existing folder of the signature is kept
        unless `replace`. True if written."""
        final = self.failure_dir(failure.signature)
        if final.exists() and not replace:
            return False
        self.failures_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{failure.signature}.", dir=self.failures_dir))
        _write_failure(tmp, failure, config)
        if final.exists():
            aside = final.with_name(f".{final.name}.old")
            shutil.rmtree(aside, ignore_errors=True)
            os.replace(final, aside)
            os.replace(tmp, final)
            shutil.rmtree(aside, ignore_errors=True)
            return True
        try:
            os.rename(tmp, final)
        except OSError:  # another worker saved this signature a moment ago
            shutil.rmtree(tmp, ignore_errors=True)
            return False
        return True

    def _recover_failures(self) -> None:
        """Undo what a kill left half done: restore a failure moved aside, drop temporaries."""
        if not self.failures_dir.exists():
            return
        for p in self.failures_dir.iterdir():
            if p.name.startswith(".") and p.name.endswith(".old"):
                final = p.with_name(p.name[1:-4])
                if final.exists():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    os.replace(p, final)
            elif p.name.startswith("."):
                shutil.rmtree(p, ignore_errors=True)

    def signatures_on_disk(self) -> list[str]:
        if not self.failures_dir.exists():
            return []
        return sorted(p.name for p in self.failures_dir.iterdir() if not p.name.startswith("."))


def body_instructions(words: tuple[int, ...]) -> int:
    """Instructions of a program besides its group delimiters and final BLOCK_END (a
    LOW/HIGH pair counts as the two instructions it is)."""
    from isa_spec import decode

    n = 0
    for w in words:
        try:
            n += decode(w).mnemonic not in ("SYNC_INST", "BLOCK_END")
        except IllegalInstruction:
            n += 1
    return n


def listing(words: tuple[int, ...]) -> str:
    lines = []
    for pc, w in enumerate(words):
        try:
            text = disassemble([w]).strip()
        except IllegalInstruction as e:
            text = f".word 0x{w:08x}  # {e.reason}"
        lines.append(f"{text}  # {pc}")
    return "\n".join(lines) + "\n"


def replay_command(folder: Path) -> str:
    """The command that runs a saved failure again (words, DRAM and backends from meta.json;
    `genesys cosim program.gnx` does too when every word is a legal instruction)."""
    return f"genesys fuzz --replay {folder}"


def _write_failure(folder: Path, failure: Failure, config: Config) -> None:
    image = RandomProgram(_arch(config), failure.words, failure.dram_seed).image()
    final = folder.parent / failure.signature
    image.save(folder / "program.gnx")
    (folder / "program.s").write_text(listing(failure.words))
    (folder / "report.txt").write_text(failure.report.rstrip() + "\n")
    (folder / "replay.txt").write_text(replay_command(final) + "\n")
    (folder / "choices.bin").write_bytes(failure.buffer)
    meta = {"signature": failure.signature, "index": failure.index, "shrunk": failure.shrunk,
            "instructions": body_instructions(failure.words), "program": list(failure.words),
            "dram_seed": failure.dram_seed, "config": asdict(config)}  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    for p in folder.iterdir():
        with open(p, "rb") as f:
            os.fsync(f.fileno())


def _arch(config: Config):  # noqa: ANN202
    from isa_spec import load_arch

    return load_arch(config.arch)

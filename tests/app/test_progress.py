"""Progress of long steps: a live bar on a terminal, plain lines (never a carriage return) in a
log, and the first RTL build says how long it takes."""

import io
import time

import pytest

from compiler import compile_model
from compiler.models import conv_model
from genesys import cli, progress
from genesys.progress import Progress, build_rtl_once
from isa_spec import load_arch


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def often(monkeypatch):
    monkeypatch.setattr(progress, "PLAIN_EVERY", 0.05)


def test_a_log_gets_plain_lines_now_and_then(often):
    log = io.StringIO()
    with Progress("golden: running", 10, "instructions", stream=log) as p:
        for done in range(1, 4):
            p.update(done)
            time.sleep(0.12)
    text = log.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert 3 <= len(lines) <= 12, lines
    assert any(line.startswith("golden: running: 3/10 instructions (") for line in lines), lines
    assert lines[-1].startswith("golden: running: done in ")


def test_a_short_step_says_nothing_in_a_log():
    log = io.StringIO()
    with Progress("golden: running", 10, "instructions", stream=log) as p:
        p.update(10)
    assert log.getvalue() == ""


def test_a_terminal_gets_a_live_bar_that_goes_away():
    tty = Terminal()
    with Progress("golden: running", 10, "instructions", stream=tty) as p:
        p.update(5)
        time.sleep(0.2)
    text = tty.getvalue()
    assert "golden: running" in text and "5/10" in text and "\x1b[" in text  # drawn by rich, in place


def test_report_in_a_log(often, monkeypatch, tmp_path, capsys):
    image = compile_model(conv_model(c=16, h=24, w=24, oc=32), load_arch("tiny"))
    image.save(tmp_path / "m.gnx")
    update = progress.Progress.update

    def slowly(self, done, total=None):  # the run is quick here: make it last a few heartbeats
        time.sleep(0.03)
        update(self, done, total)

    monkeypatch.setattr(progress.Progress, "update", slowly)
    assert cli.main(["report", str(tmp_path / "m.gnx"), "-o", str(tmp_path / "r.html")]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    assert "golden: running: " in err and " instructions (" in err and "golden: running: done in" in err


def test_the_first_rtl_build_says_how_long(often, monkeypatch, tmp_path):
    import rtl.build

    monkeypatch.setattr(rtl.build, "CACHE", tmp_path)
    monkeypatch.setattr(rtl.build, "is_built", lambda arch, trace=False: False)
    built = []
    monkeypatch.setattr(rtl.build, "library", lambda arch, trace=False, log=None: (time.sleep(0.2), built.append(arch.name)))
    old = tmp_path / "tiny-0123" / rtl.build.SECONDS_FILE
    old.parent.mkdir()
    old.write_text("150\n")  # the last build of tiny here took 150 s
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    build_rtl_once(load_arch("tiny"))
    lines = err.getvalue().splitlines()
    assert built == ["tiny"]
    assert lines[0] == "building the tiny RTL once (cached afterwards): about 2 minutes"
    assert any("still running" in line for line in lines) and "\r" not in err.getvalue()


def test_build_time_expected_from_the_last_build_else_the_measured_figure(monkeypatch, tmp_path):
    import rtl.build

    monkeypatch.setattr(rtl.build, "CACHE", tmp_path)
    default = load_arch("default")
    assert rtl.build.expected_build_seconds(default) == rtl.build.BUILD_SECONDS["default"]
    (tmp_path / "default-abc").mkdir()
    (tmp_path / "default-abc" / rtl.build.SECONDS_FILE).write_text("321\n")
    assert rtl.build.expected_build_seconds(default) == 321
    (tmp_path / "default-cov-abc").mkdir()  # another variant's build, newer: not default's
    (tmp_path / "default-cov-abc" / rtl.build.SECONDS_FILE).write_text("1700\n")
    assert rtl.build.expected_build_seconds(default) == 321
    assert rtl.build.expected_build_seconds(default, trace=True) == rtl.build.BUILD_SECONDS["default-vcd"]

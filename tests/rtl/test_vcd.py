"""The optional VCD of a window of cycles (`genesys run --backend rtl --vcd`): the dump
covers exactly the window, its signals are the running machine's, and bad requests are
one-line errors that leave no file behind."""

import pytest

from genesys import cli

pytestmark = pytest.mark.rtl


def read_vcd(path):
    """(signal name -> VCD id, [(time, {id: value})]) of a Verilator VCD."""
    ids, times = {}, []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("$var"):
            _, _, _, ident, name, *_ = line.split()
            ids.setdefault(name, ident)
        elif line.startswith("#"):
            times.append((int(line[1:]), {}))
        elif times and line[:1] in "01":
            times[-1][1][line[1:]] = int(line[0])
        elif times and line.startswith("b"):
            bits, ident = line[1:].split()
            times[-1][1][ident] = int(bits, 2)
    return ids, times


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    d = tmp_path_factory.mktemp("vcd")
    assert cli.main(["model", "conv", "-o", str(d / "m.onnx")]) == 0
    assert cli.main(["compile", str(d / "m.onnx"), "--arch", "tiny", "-o", str(d / "m.gnx")]) == 0
    return d / "m.gnx"


def test_the_dump_holds_exactly_the_window_of_a_running_machine(tmp_path, image, capsys):
    vcd = tmp_path / "w.vcd"
    code = cli.main(["run", str(image), "--backend", "rtl", "--outdir", str(tmp_path), "--vcd", str(vcd),
                     "--vcd-window", "300:340"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and f"wrote {vcd}: clock cycles 300 to 340" in out
    ids, times = read_vcd(vcd)
    assert [t for t, _ in times] == list(range(600, 680))  # cycle c: times 2c (clock low), 2c + 1 (high)
    clk, cycles = ids["clk"], ids["counter[0]"]
    assert [changes.get(clk) for t, changes in times[1:]] == [t % 2 for t, _ in times[1:]]
    value, seen = None, []
    for _, changes in times:
        value = changes.get(cycles, value)
        seen.append(value)
    high = seen[1::2]  # the cycle counter after each rising edge
    assert high == list(range(high[0], high[0] + 40)) and 280 < high[0] < 310, high[:3]
    assert not list(tmp_path.glob(".*partial"))


@pytest.mark.parametrize(("argv", "message"), [
    (["--backend", "golden", "--vcd", "x.vcd"], "--vcd needs --backend rtl (got --backend golden)"),
    (["--backend", "rtl", "--vcd", "x.vcd", "--vcd-window", "50:10"], "--vcd-window expects FIRST:LAST clock cycles"),
    (["--backend", "rtl", "--vcd", "x.vcd", "--vcd-window", "ten"], "--vcd-window expects FIRST:LAST clock cycles"),
])  # fmt: skip
def test_bad_vcd_requests_are_one_line_errors_and_leave_no_file(tmp_path, image, capsys, argv, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli.main(["run", str(image), *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []

"""`genesys report`: a terminal summary and an HTML page whose figures match the counters."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from compiler import compile_model
from compiler.models import conv_model
from genesys import cli
from genesys.report import build_report, to_html
from isa_spec import load_arch
from runtime.session import run_image, sample_inputs


def test_report_html_and_terminal(tmp_path, capsys):
    image = compile_model(conv_model(c=16, h=12, w=12, oc=32), load_arch("default"))
    gnx, out = tmp_path / "m.gnx", tmp_path / "r.html"
    image.save(gnx)
    assert cli.main(["report", str(gnx), "-o", str(out)]) == 0
    terminal = capsys.readouterr().out
    counters = run_image(image, "golden", sample_inputs(image)).counters
    assert f"{counters['cycles']:,}" in terminal and "conv0" in terminal
    page = out.read_text()
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(svgs) == 2  # per-layer bars, roofline
    texts = [{"".join(t.itertext()) for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")} for svg in svgs]
    assert {"conv0", "Cycles per layer", "DRAM traffic per layer", "Array utilisation"} <= texts[0]
    assert "Roofline (golden cycle model)" in texts[1] and f"{counters['cycles']:,}" in page
    assert (out.stat().st_mode & 0o777) != 0o600


def test_per_layer_costs_add_up():
    image = compile_model(conv_model(c=8, h=20, w=20, oc=16), load_arch("tiny"))
    report = build_report(image)
    (layer,) = report.layers
    assert image.layers[0]["pcs"] == [0, len(image.words) - 1]  # only the final halt is no layer's
    assert layer.costs.cycles + 2 == report.total.cycles  # the halt's FETCH and DECODE
    assert layer.costs.cycles > 0
    assert layer.macs == 20 * 20 * 16 * 8 * 9 and 0 < layer.utilisation <= 1
    assert "<table>" in to_html(report) and f"<td>{layer.costs.cycles:,}</td>" in to_html(report)


def test_report_of_a_bad_image_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.gnx"
    bad.write_bytes(b"GNX")
    out = tmp_path / "r.html"
    assert cli.main(["report", str(bad), "-o", str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not out.exists()


def test_report_shows_the_coverage_of_a_fuzzing_campaign(tmp_path, capsys):
    conv = tmp_path / "conv.gnx"
    compile_model(conv_model(c=3, h=6, w=6, oc=4), load_arch("tiny")).save(conv)
    campaign = tmp_path / "campaign"
    assert cli.main(["fuzz", "--backends", "spec,golden", "--programs", "48", "--corpus", str(campaign),
                     "--json", str(tmp_path / "c.json")]) == 0  # fmt: skip
    data = json.loads((tmp_path / "c.json").read_text())["coverage"]
    out = tmp_path / "r.html"
    assert cli.main(["report", str(conv), "-o", str(out), "--campaign", str(campaign)]) == 0
    page = out.read_text()
    assert "<h2>Fuzzing campaign</h2>" in page
    assert f"{data['spec_points_hit']:,} / {data['spec_points_total']:,}" in page
    assert cli.main(["report", str(conv), "-o", str(tmp_path / "x.html"), "--campaign", str(tmp_path / "none")]) == 2
    assert "no campaign to resume" in capsys.readouterr().err and not (tmp_path / "x.html").exists()


@pytest.mark.rtl
def test_report_backend_rtl_puts_measured_cycles_beside_the_model(tmp_path, capsys):
    image = compile_model(conv_model(c=8, h=6, w=6, oc=8), load_arch("tiny"))
    image.save(tmp_path / "m.gnx")
    assert cli.main(["report", str(tmp_path / "m.gnx"), "--backend", "rtl", "--json", str(tmp_path / "r.json")]) == 0
    (layer,) = json.loads((tmp_path / "r.json").read_text())["layers"]
    rtl = run_image(image, "rtl", sample_inputs(image)).counters["cycles"]  # the whole image: the layer and its halt
    assert layer["name"] == "conv0" and layer["rtl_cycles"] == rtl == layer["model_cycles"]
    assert f"{rtl:,}" in capsys.readouterr().out
    for extra in (["-o", str(tmp_path / "r.html")], ["--campaign", str(tmp_path)]):
        assert cli.main(["report", str(tmp_path / "m.gnx"), "--backend", "rtl", *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "report --backend rtl takes an IMAGE" in err[0]

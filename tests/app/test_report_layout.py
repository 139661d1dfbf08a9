"""The HTML report read in a real browser (headless Chromium): text at a legible size on screen,
nothing cut off, no labels piled on each other, at a laptop's width and at a narrow one; the
screenshot shows the text the layout says is there, at that size. The checker is shown to
catch each fault the old report had."""

import pytest

from browser import MIN_TEXT_PX, ink_height, measure, problems, screenshot
from compiler import compile_model
from compiler.models import build_model
from genesys.report import build_report, to_html
from isa_spec import load_arch

pytestmark = pytest.mark.browser
WIDE, NARROW = 1280, 800


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The report of ResNet-50-mini on `default`: ResNet-50's 56 layers and names, small tensors."""
    image = compile_model(build_model("resnet50-mini"), load_arch("default"))
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(to_html(build_report(image)))
    return path


def test_the_report_reads_at_a_laptop_width(page, tmp_path):
    layout = measure(page, WIDE)
    assert problems(layout) == []
    assert len(layout.charts) == 2 and all(c["texts"] > 20 for c in layout.charts)
    names = {t["text"] for t in layout.texts if t["chart"] == 0}
    assert {"conv1", "conv68", "fc", "Cycles per layer", "DRAM traffic per layer"} <= names  # one row per layer
    assert not layout.scrollers, "at 1280 px everything fits: nothing needs a scroll bar"
    pixels = screenshot(page, WIDE, layout.page_height, tmp_path / "wide.png")
    assert pixels.shape == (layout.page_height, WIDE)
    chart_texts = [t for t in layout.texts if t["chart"] >= 0]
    short = [(t["text"], ink_height(pixels, t["box"])) for t in chart_texts
             if ink_height(pixels, t["box"]) < 0.45 * MIN_TEXT_PX]  # fmt: skip
    assert not short, f"drawn smaller than the layout says: {short[:5]}"
    assert (pixels[:, int(layout.body[2]) + 1 :] == 255).all(), "something is drawn right of the page's body"


def test_the_report_scrolls_rather_than_cuts_when_narrow(page):
    layout = measure(page, NARROW)
    assert problems(layout) == []
    scrolling = {s["tag"] for s in layout.scrollers}
    assert {"div.table", "div.chart"} <= scrolling


PLANTED = {
    "a wide chart squeezed into a small box": (
        '<div style="width:300px"><svg width="300" height="40" viewBox="0 0 5200 700">'
        '<text x="10" y="300" style="font-size:11px">conv1</text></svg></div>', "px on screen"),
    "a table cut at the page's edge": (
        '<div style="overflow:hidden;width:400px"><table><tr><td style="white-space:nowrap">'
        + "cycles " * 40 + "</td><td>MAC/B</td></tr></table></div>", "cut off by div"),
    "roofline labels piled up": (
        '<svg width="300" height="100"><text x="50" y="50">conv59</text><text x="53" y="52">conv63</text></svg>',
        "overlap"),
    "a page wider than the window": ('<div style="width:3000px">wide</div>', "the page is 3"),
    "a chart with its text drawn as paths": ('<svg width="100" height="50"><path d="M0 0 L10 10"/></svg>', "no text"),
}


@pytest.mark.parametrize("fault", PLANTED)
def test_the_checker_finds_each_fault_of_the_old_report(fault, tmp_path):
    body, expected = PLANTED[fault]
    page = tmp_path / "planted.html"
    page.write_text(f'<!DOCTYPE html><html><body style="font-size:15px">{body}</body></html>')
    found = problems(measure(page, NARROW))
    assert found and all(expected in p for p in found), found


def test_the_screenshot_shows_squeezed_text_small(tmp_path):
    page = tmp_path / "squeezed.html"
    page.write_text('<!DOCTYPE html><html><body><svg width="300" height="40" viewBox="0 0 3000 400">'
                    '<text x="10" y="200" style="font-size:60px">conv1</text></svg></body></html>')  # fmt: skip
    layout = measure(page, NARROW)
    (text,) = [t for t in layout.texts if t["chart"] == 0]
    assert text["px"] == pytest.approx(6, abs=0.1)
    assert 0 < ink_height(screenshot(page, NARROW, 200, tmp_path / "s.png"), text["box"]) < 0.45 * MIN_TEXT_PX

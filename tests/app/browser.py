"""Headless Chromium (Debian's `chromium`, installed by `make install`) for layout tests: what a
page shows at a window width (text sizes on screen, what is cut off, what overlaps) and a
screenshot to check it against."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
         "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"]  # fmt: skip
MEASURE = (Path(__file__).parent / "layout.js").read_text()
MIN_TEXT_PX = 11.0  # the smallest text a reader is asked to read, in CSS pixels on screen
INK = 140  # a pixel darker than this (0-255 luminance) is ink


@dataclass
class Layout:
    viewport: int
    page_width: int
    page_height: int
    body: list[float]  # the box of <body>: nothing is drawn outside it
    texts: list[dict]
    charts: list[dict]
    scrollers: list[dict]


def _chromium(*args: str) -> str:
    proc = subprocess.run([CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise RuntimeError(f"chromium failed: {proc.stderr[-2000:]}")
    return proc.stdout


def measure(page: Path, width: int, height: int = 900) -> Layout:
    """The layout of `page` in a window `width` CSS pixels wide."""
    probe = page.with_name(page.stem + ".measure.html")
    probe.write_text(page.read_text().replace("</body>", f"<script>{MEASURE}</script></body>"))
    dom = _chromium(f"--window-size={width},{height}", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="layout">(.*?)</pre>', dom, flags=re.S)
    assert found, f"the measuring script did not run: {dom[:500]}"
    d = json.loads(html.unescape(found.group(1)))
    return Layout(d["viewport"], d["pageWidth"], d["pageHeight"], d["body"], d["texts"], d["charts"], d["scrollers"])


def screenshot(page: Path, width: int, height: int, png: Path) -> np.ndarray:
    """The page as a `height` x `width` luminance array (0 black, 255 white)."""
    _chromium(f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri())
    return np.asarray(Image.open(png).convert("L"), dtype=np.int32)


def problems(layout: Layout) -> list[str]:
    """What keeps a reader from reading the page: text too small on screen, text cut off by its
    container or by the window, text that overlaps other text in a chart, a page wider than the
    window. Empty when the page reads."""
    found = []
    if layout.page_width > layout.viewport:
        found.append(f"the page is {layout.page_width} px wide in a {layout.viewport} px window: its right part is cut off")
    for t in layout.texts:
        if t["px"] < MIN_TEXT_PX:
            found.append(f"text {t['text']!r} is {t['px']:.1f} px on screen (less than {MIN_TEXT_PX:g})")
        if t["cutBy"]:
            found.append(f"text {t['text']!r} is cut off by {t['cutBy'][0]}")
    for i, chart in enumerate(layout.charts):
        if chart["texts"] == 0:
            found.append(f"chart {i} has no text elements (labels drawn as paths cannot be read or checked)")
        mine = [t for t in layout.texts if t["chart"] == i]
        for a in range(len(mine)):
            for b in range(a + 1, len(mine)):
                if overlap(mine[a]["box"], mine[b]["box"]) > 1.5:
                    found.append(f"chart {i}: labels {mine[a]['text']!r} and {mine[b]['text']!r} overlap")
    return found


def overlap(a: list[float], b: list[float]) -> float:
    """The smaller side of the intersection of two boxes (0 when apart)."""
    return max(0.0, min(min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])))


def ink_height(pixels: np.ndarray, box: list[float]) -> int:
    """Rows of the screenshot inside `box` that hold ink: the drawn height of a text."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    region = pixels[max(0, y0) : y1 + 1, max(0, x0) : x1 + 1]
    return int((region < INK).any(axis=1).sum()) if region.size else 0

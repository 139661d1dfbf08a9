"""`genesys report`: run an image on the golden simulator and show where the cycles go, per
layer: a terminal summary and a self-contained HTML page with plots (inline SVG, no
scripts, nothing fetched)."""

from __future__ import annotations

import html
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from genesys.campaign_html import campaign_section
from golden.cycles import Costs
from isa_spec.image import Image

from runtime import open_device, read_tensor, write_tensor
from runtime.session import dequantize, output_names, quantized_inputs, sample_inputs

SA_SPACES = ("IBUF", "WBUF", "BBUF", "OBUF")
COLORS = {"SA compute": "#3b6ea8", "stall": "#d9822b", "Tandem": "#5a9e6f", "decode": "#9a8fbf",
          "IBUF": "#3b6ea8", "WBUF": "#a83b5c", "BBUF": "#9a8fbf", "OBUF": "#d9822b", "VMEM1": "#5a9e6f",
          "VMEM2": "#7fb8a0", "IMEM": "#888888", "MAC utilisation": "#3b6ea8"}  # fmt: skip


@dataclass
class LayerReport:
    name: str
    op: str
    meta: dict[str, Any]
    costs: Costs
    peak_macs_per_cycle: int

    @property
    def macs(self) -> int:
        return int(self.meta.get("macs", 0))

    @property
    def utilisation(self) -> float:
        """Useful MACs over what the array could do in the layer's cycles."""
        return self.macs / (self.peak_macs_per_cycle * self.costs.cycles) if self.costs.cycles else 0.0

    @property
    def intensity(self) -> float:
        """MACs per DRAM byte."""
        return self.macs / self.costs.dram_bytes if self.costs.dram_bytes else 0.0


@dataclass
class Report:
    image: Image
    layers: list[LayerReport]
    total: Costs
    seconds: float
    outputs: dict[str, Any] = field(default_factory=dict)  # dequantised graph outputs of the run

    def terminal(self) -> str:
        arch = self.image.arch
        t = arch.timing
        head = f"{'layer':<16}{'op':<18}{'tiles':>6}{'cycles':>12}{'SA compute':>12}{'stall':>10}{'Tandem':>10}" \
               f"{'DRAM KiB':>10}{'util':>7}"  # fmt: skip
        rows = [head, "-" * len(head)]
        for lr in self.layers:
            c = lr.costs
            rows.append(f"{lr.name:<16}{lr.op:<18}{c.tiles:>6}{c.cycles:>12,}{c.sa_compute:>12,}{c.stall:>10,}"
                        f"{c.tandem:>10,}{c.dram_bytes / 1024:>10.1f}{100 * lr.utilisation:>6.1f}%")  # fmt: skip
        c = self.total
        rows.append("-" * len(head))
        rows.append(f"{'total':<34}{c.tiles:>6}{c.cycles:>12,}{c.sa_compute:>12,}{c.stall:>10,}{c.tandem:>10,}"
                    f"{c.dram_bytes / 1024:>10.1f}")  # fmt: skip
        rows.append(f"{arch.name} ({arch.rows}x{arch.cols}) at {t.clock_mhz:g} MHz: "
                    f"{c.cycles / t.clock_mhz:,.1f} us; simulated in {self.seconds:.2f} s")  # fmt: skip
        return "\n".join(rows)


def build_report(image: Image, seed: int = 0, progress=None, inputs=None) -> Report:  # noqa: ANN001
    """Run `image` on golden with `inputs` (float, by name; default: seeded samples) and
    attribute the cycle model to its layers. The report keeps the dequantised outputs."""
    dev = open_device("golden", image.arch)
    dev.load(image)
    for name, value in quantized_inputs(image, inputs or sample_inputs(image, seed)).items():
        write_tensor(dev, image, name, value)
    dev.machine.progress = progress
    t0 = time.perf_counter()
    result = dev.run()
    seconds = time.perf_counter() - t0
    if result.fault is not None:
        from isa_spec import GenesysError

        raise GenesysError(f"the program faulted, so there is nothing to report: {result.fault}")
    model = dev.machine.cycles
    peak = image.arch.rows * image.arch.cols
    layers = []
    for i, meta in enumerate(image.layers or [{"name": "program", "op": "-"}]):
        first, end = meta.get("pcs", [0, len(image.words)])
        layers.append(LayerReport(meta.get("name", f"layer{i}"), meta.get("op", "?"), meta,
                                  model.total(range(first, end)), peak))  # fmt: skip
    outputs = {name: dequantize(image.symbol(name), read_tensor(dev, image, name)) for name in output_names(image)}
    return Report(image, layers, model.total(), seconds, outputs)


# ---- SVG plots ---------------------------------------------------------------------------------
def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">'
            f'<text x="{width / 2}" y="18" text-anchor="middle" class="title">{html.escape(title)}</text>'
            + "".join(body) + "</svg>")  # fmt: skip


def _nice(v: float) -> float:
    """A round axis maximum at or above v."""
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    return next(m * e for m in (1, 2, 2.5, 5, 10) if m * e >= v)


def stacked_bars(categories: list[str], series: dict[str, list[float]], title: str, unit: str) -> str:
    """Vertical stacked bars, one per category."""
    w, h, left, bottom, top = max(360, 90 * len(categories) + 160), 300, 70, 60, 30
    top_value = _nice(max((sum(v[i] for v in series.values()) for i in range(len(categories))), default=1))
    plot_h = h - bottom - top
    bar_w = min(60, (w - left - 120) / max(1, len(categories)) * 0.6)
    body = []
    for k in range(5):  # grid and y labels
        y = top + plot_h * (1 - k / 4)
        body.append(f'<line x1="{left}" y1="{y}" x2="{w - 120}" y2="{y}" class="grid"/>'
                    f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{_fmt(top_value * k / 4)}</text>')  # fmt: skip
    step = (w - left - 120) / max(1, len(categories))
    for i, cat in enumerate(categories):
        x = left + step * i + (step - bar_w) / 2
        y = top + plot_h
        for name, values in series.items():
            bh = plot_h * values[i] / top_value
            y -= bh
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bh:.1f}" fill="{COLORS.get(name, "#777")}">'
                        f"<title>{html.escape(cat)}: {html.escape(name)} {values[i]:,.0f} {unit}</title></rect>")  # fmt: skip
        body.append(f'<text x="{x + bar_w / 2:.1f}" y="{h - bottom + 16}" text-anchor="middle">{html.escape(cat)}</text>')
    for j, name in enumerate(series):  # legend
        body.append(f'<rect x="{w - 110}" y="{top + 18 * j}" width="12" height="12" fill="{COLORS.get(name, "#777")}"/>'
                    f'<text x="{w - 92}" y="{top + 18 * j + 10}">{html.escape(name)}</text>')  # fmt: skip
    body.append(f'<text x="14" y="{top + plot_h / 2}" transform="rotate(-90 14 {top + plot_h / 2})" '
                f'text-anchor="middle">{html.escape(unit)}</text>')  # fmt: skip
    return _svg(w, h, body, title)


def roofline(points: list[tuple[str, float, float]], peak: float, bandwidth: float) -> str:
    """Log-log roofline: x MACs per DRAM byte, y MACs per cycle; the roof min(peak, bw * x)."""
    w, h, left, bottom, top, right = 520, 340, 70, 50, 30, 20
    xs = [p[1] for p in points if p[1] > 0] or [1.0]
    x_lo = 10 ** math.floor(math.log10(min(min(xs), peak / bandwidth) / 4))
    x_hi = 10 ** math.ceil(math.log10(max(max(xs), peak / bandwidth) * 4))
    y_lo, y_hi = 10 ** math.floor(math.log10(max(min([p[2] for p in points if p[2] > 0] or [1]), 1e-3) / 4)), \
        10 ** math.ceil(math.log10(peak * 2))  # fmt: skip

    def px(x: float) -> float:
        return left + (w - left - right) * (math.log10(x) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo))

    def py(y: float) -> float:
        return h - bottom - (h - bottom - top) * (math.log10(y) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo))

    body = []
    for e in range(round(math.log10(x_lo)), round(math.log10(x_hi)) + 1):
        body.append(f'<line x1="{px(10**e):.1f}" y1="{top}" x2="{px(10**e):.1f}" y2="{h - bottom}" class="grid"/>'
                    f'<text x="{px(10**e):.1f}" y="{h - bottom + 16}" text-anchor="middle">{_fmt(10.0**e)}</text>')  # fmt: skip
    for e in range(round(math.log10(y_lo)), round(math.log10(y_hi)) + 1):
        body.append(f'<line x1="{left}" y1="{py(10**e):.1f}" x2="{w - right}" y2="{py(10**e):.1f}" class="grid"/>'
                    f'<text x="{left - 6}" y="{py(10**e) + 4:.1f}" text-anchor="end">{_fmt(10.0**e)}</text>')  # fmt: skip
    knee = peak / bandwidth
    roof = [(x_lo, bandwidth * x_lo), (knee, peak), (x_hi, peak)]
    body.append('<polyline class="roof" points="' + " ".join(f"{px(x):.1f},{py(max(y, y_lo)):.1f}" for x, y in roof) + '"/>')
    body.append(f'<text x="{w - right - 4}" y="{py(peak) - 6:.1f}" text-anchor="end">peak {peak:g} MAC/cycle</text>')
    for name, x, y in points:
        if x > 0 and y > 0:
            body.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="6" fill="#a83b5c"><title>{html.escape(name)}: '
                        f"{x:.2f} MAC/B, {y:.2f} MAC/cycle</title></circle>"
                        f'<text x="{px(x) + 9:.1f}" y="{py(y) + 4:.1f}">{html.escape(name)}</text>')  # fmt: skip
    body.append(f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">MACs per DRAM byte</text>'
                f'<text x="14" y="{(top + h - bottom) / 2}" transform="rotate(-90 14 {(top + h - bottom) / 2})" '
                f'text-anchor="middle">MACs per cycle</text>')  # fmt: skip
    return _svg(w, h, body, "Roofline (golden cycle model)")


def _fmt(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse;font-size:.9em}
th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{background:#f6f8fa;border-radius:6px;padding:.7em 1.1em}
.card b{display:block;font-size:1.3em}.plots{display:flex;flex-wrap:wrap;gap:1.5em}
svg text{font-size:11px;fill:#333}svg .title{font-size:13px;font-weight:600}
svg .grid{stroke:#e3e3e3}svg .roof{fill:none;stroke:#3b6ea8;stroke-width:2}
.note{color:#666;font-size:.85em}.scroll{overflow-x:auto}td.tiling{white-space:nowrap;text-align:left;font-size:.85em}"""


def to_html(r: Report, campaign: str | None = None) -> str:
    """The report page; with `campaign`, a section on the fuzzing campaign in that folder."""
    arch, t, c = r.image.arch, r.image.arch.timing, r.total
    names = [lr.name for lr in r.layers]
    cycles = stacked_bars(names, {"SA compute": [lr.costs.sa_compute for lr in r.layers],
                                  "stall": [lr.costs.stall for lr in r.layers],
                                  "Tandem": [lr.costs.tandem for lr in r.layers],
                                  "decode": [lr.costs.decode for lr in r.layers]}, "Cycles per layer", "cycles")  # fmt: skip
    spaces = sorted({s for lr in r.layers for s in (*lr.costs.bytes_loaded, *lr.costs.bytes_stored)})
    traffic = stacked_bars(names, {s: [(lr.costs.bytes_loaded.get(s, 0) + lr.costs.bytes_stored.get(s, 0)) / 1024
                                       for lr in r.layers] for s in spaces}, "DRAM traffic per layer", "KiB")  # fmt: skip
    util = stacked_bars(names, {"MAC utilisation": [100 * lr.utilisation for lr in r.layers]}, "Array utilisation", "%")
    bandwidth = t.ibuf_bw + t.wbuf_bw + t.bbuf_bw + t.obuf_bw
    roof = roofline([(lr.name, lr.intensity, lr.macs / lr.costs.cycles if lr.costs.cycles else 0) for lr in r.layers],
                    arch.rows * arch.cols, bandwidth)  # fmt: skip
    rows = []
    for lr in r.layers:
        k = lr.costs
        traffic_cells = "".join(f"<td>{(k.bytes_loaded.get(s, 0) + k.bytes_stored.get(s, 0)) / 1024:,.1f}</td>" for s in spaces)
        tiling = "<br>".join(f"{d} {html.escape(str(v))}" for d, v in lr.meta.get("tiling", {}).items())
        rows.append(f"<tr><td>{html.escape(lr.name)}</td><td>{html.escape(lr.op)}</td><td class='tiling'>{tiling}</td>"
                    f"<td>{k.tiles}</td><td>{k.cycles:,}</td><td>{k.sa_compute:,}</td><td>{k.stall:,}</td>"
                    f"<td>{k.tandem:,}</td>{traffic_cells}<td>{lr.macs:,}</td><td>{100 * lr.utilisation:.1f}%</td>"
                    f"<td>{lr.intensity:.2f}</td></tr>")  # fmt: skip
    head = "".join(f"<th>{h}</th>" for h in ["layer", "op", "tiling", "tiles", "cycles", "SA compute", "stall", "Tandem",
                                              *(f"{s} KiB" for s in spaces), "MACs", "util", "MAC/B"])  # fmt: skip
    cards = [("total cycles", f"{c.cycles:,}"), ("time", f"{c.cycles / t.clock_mhz:,.1f} us at {t.clock_mhz:g} MHz"),
             ("array busy", f"{100 * c.sa_compute / c.cycles:.1f}% of cycles" if c.cycles else "-"),
             ("DRAM traffic", f"{c.dram_bytes / 1024:,.1f} KiB"), ("tiles", f"{c.tiles:,}"),
             ("stall", f"{c.stall:,} cycles")]  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GeneSys report: {html.escape(names[0] if len(names) == 1 else f"{len(names)} layers")}</title>
<style>{CSS}</style></head><body>
<h1>GeneSys NPU performance report</h1>
<p>{len(r.image.words):,} instructions on <b>{html.escape(arch.name)}</b> ({arch.rows}&times;{arch.cols} array,
DRAM latency {t.dram_latency} cycles, channels {t.ibuf_bw}/{t.wbuf_bw}/{t.bbuf_bw}/{t.obuf_bw}/{t.simd_bw} B/cycle
IBUF/WBUF/BBUF/OBUF/SIMD, double buffering {"on" if t.double_buffer else "off"}).</p>
<div class="cards">{"".join(f'<div class="card">{html.escape(k)}<b>{html.escape(v)}</b></div>' for k, v in cards)}</div>
<h2>Per layer</h2>
<div class="scroll"><table><tr>{head}</tr>{"".join(rows)}</table></div>
<h2>Plots</h2>
<div class="plots">{cycles}{traffic}{util}{roof}</div>
<p class="note">Cycles come from the golden cycle model (golden/cycles.py); every constant is in the arch config's
[timing] section. Utilisation counts the layer's useful MACs (unpadded channels) against rows &times; cols per cycle.
Simulated in {r.seconds:.2f} s.</p>
{campaign_section(campaign)}</body></html>
"""


class Progress:
    """A throttled progress line on stderr for runs longer than a second."""

    def __init__(self, total: int, label: str = "golden"):
        self.total, self.label, self.start, self.last = total, label, time.perf_counter(), 0.0

    def __call__(self, pc: int, _: int) -> None:
        now = time.perf_counter()
        if now - self.start > 1.0 and now - self.last > 0.5:
            self.last = now
            print(f"\r[{self.label}] instruction {pc:,}/{self.total:,} ({now - self.start:.0f} s)", end="", file=sys.stderr)

    def done(self) -> None:
        if self.last:
            print(file=sys.stderr)

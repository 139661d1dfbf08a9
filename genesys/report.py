"""`genesys report`: run an image on the golden simulator and show where the cycles go, per
layer: a terminal summary and a self-contained HTML page with charts (inline SVG drawn by
matplotlib, no scripts, nothing fetched)."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import Any

from genesys import charts
from genesys.campaign_html import campaign_section
from golden.cycles import Costs
from isa_spec.image import Image
from runtime import open_device, read_tensor, write_tensor
from runtime.session import dequantize, output_names, quantized_inputs, sample_inputs


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

    def traffic(self, space: str) -> int:
        """DRAM bytes loaded into and stored from `space`."""
        return self.costs.bytes_loaded.get(space, 0) + self.costs.bytes_stored.get(space, 0)

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
    attribute the cycle model to its layers; `progress(done, total)` hears of the run's
    instructions. The report keeps the dequantised outputs."""
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


CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1040px;padding:0 1em;
color:#222;font-size:15px}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
.cards{display:flex;gap:.8em;flex-wrap:wrap}.card{background:#f6f8fa;border-radius:6px;padding:.6em 1em}
.card b{display:block;font-size:1.25em}.chart{overflow-x:auto}.chart svg{display:block}
.table{overflow:auto;max-height:80vh;border:1px solid #ddd}table{border-collapse:collapse;font-size:13px;width:100%}
th,td{padding:.3em .5em;border-bottom:1px solid #e6e6e6;text-align:right;white-space:nowrap}
th{background:#f4f4f4;position:sticky;top:0}td.name,th.name{text-align:left}
td.tiling{text-align:left;white-space:normal;min-width:13em;font-size:12px;color:#444}
.note{color:#555;font-size:13px}"""
TABLE_HEAD = [("layer", "name"), ("op", "name"), ("tiling", "name"), ("tiles", ""), ("estimate", ""),
              ("cycles", ""), ("SA compute", ""), ("stall", ""), ("Tandem", ""), ("DRAM KiB", ""), ("MACs", ""),
              ("util", ""), ("MAC/B", "")]  # fmt: skip


def to_html(r: Report, campaign: str | None = None) -> str:
    """The report as one self-contained HTML page: summary, charts, per-layer table; with
    `campaign`, a section on the fuzzing campaign in that folder."""
    arch, t, c = r.image.arch, r.image.arch.timing, r.total
    names = [lr.name for lr in r.layers]
    spaces = sorted({s for lr in r.layers for s in (*lr.costs.bytes_loaded, *lr.costs.bytes_stored)})
    bars = charts.layer_bars(names, [
        charts.Panel("Cycles per layer", "cycles", {"SA compute": [lr.costs.sa_compute for lr in r.layers],
                                                    "stall": [lr.costs.stall for lr in r.layers],
                                                    "Tandem": [lr.costs.tandem for lr in r.layers],
                                                    "decode": [lr.costs.decode for lr in r.layers]}),
        charts.Panel("DRAM traffic per layer", "KiB", {s: [lr.traffic(s) / 1024 for lr in r.layers] for s in spaces}),
        charts.Panel("Array utilisation", "% of peak MACs", {"utilisation": [100 * lr.utilisation for lr in r.layers]}),
    ])  # fmt: skip
    bandwidth = t.beat_bytes  # one DRAM channel, one transfer at a time
    roof = charts.roofline([(lr.name, lr.op, lr.intensity, lr.macs / lr.costs.cycles if lr.costs.cycles else 0.0,
                             lr.costs.cycles) for lr in r.layers], arch.rows * arch.cols, bandwidth)  # fmt: skip
    head = "".join(f'<th class="{cls}">{h}</th>' for h, cls in TABLE_HEAD)
    rows = "".join(_table_row(lr, spaces) for lr in r.layers)
    cards = [("total cycles", f"{c.cycles:,}"), ("time", f"{c.cycles / t.clock_mhz:,.1f} us at {t.clock_mhz:g} MHz"),
             ("array busy", f"{100 * c.sa_compute / c.cycles:.1f}% of cycles" if c.cycles else "-"),
             ("DRAM traffic", f"{c.dram_bytes / 1024:,.1f} KiB"), ("tiles", f"{c.tiles:,}"),
             ("stall", f"{c.stall:,} cycles")]  # fmt: skip
    title = names[0] if len(names) == 1 else f"{len(names)} layers"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>GeneSys report: {html.escape(title)}</title>
<style>{CSS}</style></head><body>
<h1>GeneSys NPU performance report</h1>
<p>{len(r.image.words):,} instructions, {len(names)} layer(s) on <b>{html.escape(arch.name)}</b> ({arch.rows}&times;{arch.cols}
array, a DRAM channel of {t.beat_bytes} B/cycle).</p>
<div class="cards">{"".join(f'<div class="card">{html.escape(k)}<b>{html.escape(v)}</b></div>' for k, v in cards)}</div>
<h2>Where the cycles go</h2>
<div class="chart">{bars}</div>
<h2>Roofline</h2>
<div class="chart">{roof}</div>
<h2>Per layer</h2>
<p class="note">"estimate" is the compiler's cycle estimate (<code>genesys compile --explain</code>), the other
figures the golden cycle model's. DRAM KiB per buffer: hover over a cell.</p>
<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>
<p class="note">Cycles come from the golden cycle model (golden/cycles.py), which charges the arch's timing
description (the RTL's, docs/cycle_model.md). Utilisation counts the layer's useful MACs (unpadded channels)
against rows &times; cols per cycle.
Simulated in {r.seconds:.2f} s.</p>
{campaign_section(campaign)}</body></html>
"""


def _table_row(lr: LayerReport, spaces: list[str]) -> str:
    k = lr.costs
    tiling = "; ".join(f"{d} {v}" for d, v in lr.meta.get("tiling", {}).items())
    per_space = ", ".join(f"{s} {lr.traffic(s) / 1024:,.1f}" for s in spaces if lr.traffic(s))
    estimate = lr.meta.get("estimated_cycles")
    cells = [f'<td class="name">{html.escape(lr.name)}</td>', f'<td class="name">{html.escape(lr.op)}</td>',
             f'<td class="tiling">{html.escape(tiling)}</td>', f"<td>{k.tiles}</td>",
             f"<td>{estimate:,}</td>" if isinstance(estimate, int) else "<td>-</td>", f"<td>{k.cycles:,}</td>",
             f"<td>{k.sa_compute:,}</td>", f"<td>{k.stall:,}</td>", f"<td>{k.tandem:,}</td>",
             f'<td title="{html.escape(per_space)}">{k.dram_bytes / 1024:,.1f}</td>', f"<td>{lr.macs:,}</td>",
             f"<td>{100 * lr.utilisation:.1f}%</td>", f"<td>{lr.intensity:.2f}</td>"]  # fmt: skip
    return "<tr>" + "".join(cells) + "</tr>"

"""The report's charts, drawn with matplotlib as SVG with real text (searchable, and measurable
by the layout test), sized to be read at the size the page shows them: one row per layer,
fonts of 9-11 pt, legends outside the data."""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import matplotlib.ticker
from matplotlib.figure import Figure

PX_PER_INCH = 96  # the browser's CSS inch; matplotlib writes the SVG's size in points (72 per inch)
WIDTH_PX = 1000  # the report's content width: the charts are shown at 1:1 there
ROW_INCHES = 0.24  # one bar row: 23 px for 12 px labels
STYLE = {"svg.fonttype": "none", "svg.hashsalt": "genesys-report", "font.size": 10, "axes.titlesize": 11,
         "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 9,
         "font.family": "DejaVu Sans", "axes.spines.top": False, "axes.spines.right": False}  # fmt: skip
COLORS = {"SA compute": "#3b6ea8", "stall": "#d9822b", "Tandem": "#5a9e6f", "decode": "#9a8fbf",
          "IBUF": "#3b6ea8", "WBUF": "#a83b5c", "BBUF": "#9a8fbf", "OBUF": "#d9822b", "VMEM1": "#5a9e6f",
          "VMEM2": "#7fb8a0", "IMEM": "#888888", "utilisation": "#3b6ea8"}  # fmt: skip
LEGEND_COLUMNS = 3  # a panel is about 300 px wide
HIGHLIGHTED = 6  # the roofline names this many layers (those with the most cycles) in its legend


@dataclass(frozen=True)
class Panel:
    """One horizontal stacked-bar panel: a value per layer for each named series."""

    title: str
    unit: str
    series: dict[str, Sequence[float]]


def _styled(draw: Callable[..., str]) -> Callable[..., str]:
    """Draw under the report's style (matplotlib reads its settings as each artist is made)."""

    @functools.wraps(draw)
    def styled(*args: Any, **kwargs: Any) -> str:
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)

    return styled


@_styled
def layer_bars(layers: Sequence[str], panels: Sequence[Panel]) -> str:
    """Panels side by side sharing one row per layer (the first layer on top), as SVG."""
    rows = max(1, len(layers))
    fig = _figure(ROW_INCHES * rows + 1.9)
    axes = fig.subplots(1, len(panels), sharey=True)
    scale_on_top = rows > 25  # long charts: a scale at the top too
    legend_rows = max(math.ceil(len(p.series) / LEGEND_COLUMNS) if len(p.series) > 1 else 0 for p in panels)
    for ax, panel in zip(axes if len(panels) > 1 else [axes], panels):
        left = [0.0] * rows
        for name, values in panel.series.items():
            ax.barh(range(rows), values, left=left, height=0.72, color=COLORS.get(name, "#777777"), label=name)
            left = [a + b for a, b in zip(left, values)]
        ax.set_title(panel.title, loc="left", pad=6 + 15 * legend_rows + (16 if scale_on_top else 0))
        ax.set_xlabel(panel.unit)
        ax.tick_params(axis="x", labeltop=scale_on_top)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: short_number(v)))
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        ax.grid(axis="x", color="#e3e3e3")
        ax.set_axisbelow(True)
        if len(panel.series) > 1:
            above = 1 + (0.25 if scale_on_top else 0.0) / (ROW_INCHES * rows)  # inches over the top scale
            ax.legend(loc="lower left", bbox_to_anchor=(0, above), ncol=LEGEND_COLUMNS, frameon=False,
                      handlelength=1, columnspacing=0.8, borderaxespad=0.1, borderpad=0)  # fmt: skip
    first = axes[0] if len(panels) > 1 else axes
    first.set_yticks(range(rows), list(layers) or [""])
    first.set_ylim(rows - 0.5, -0.5)
    fig.set_layout_engine("constrained")
    return _svg(fig, "per-layer cycles, DRAM traffic and utilisation")


@_styled
def roofline(points: Sequence[tuple[str, str, float, float, int]], peak: float, bandwidth: float) -> str:
    """Log-log roofline of (layer, op, MACs per DRAM byte, MACs per cycle, cycles) points under
    the roof min(peak, bandwidth * x); points coloured by operator, the layers with the most
    cycles named in the legend (labels on the points would pile up)."""
    fig = _figure(4.8)
    ax = fig.subplots()
    shown = [p for p in points if p[2] > 0 and p[3] > 0]
    xs = [p[2] for p in shown] or [1.0]
    knee = peak / bandwidth
    x_lo = 10 ** math.floor(math.log10(min(*xs, knee) / 2))
    x_hi = 10 ** math.ceil(math.log10(max(*xs, knee) * 2))
    ax.plot([x_lo, knee, x_hi], [bandwidth * x_lo, peak, peak], color="#3b6ea8", linewidth=2, label="roof")
    ax.annotate(f"peak {peak:g} MAC/cycle", (x_hi, peak), xytext=(-4, 5), textcoords="offset points", ha="right")
    ops = sorted({p[1] for p in shown})
    palette = matplotlib.colormaps["tab10"]
    for i, op in enumerate(ops):
        mine = [p for p in shown if p[1] == op]
        ax.scatter([p[2] for p in mine], [p[3] for p in mine], s=22, color=palette(i % 10), alpha=0.75, label=op)
    top = sorted(shown, key=lambda p: -p[4])[:HIGHLIGHTED]
    total = sum(p[4] for p in points) or 1
    ranks: dict[tuple[float, float], list[str]] = {}  # layers at one spot share one label
    for rank, (_, _, x, y, _) in enumerate(top, 1):
        ranks.setdefault((round(math.log10(x), 1), round(math.log10(y), 1)), []).append(str(rank))
    for (lx, ly), numbers in ranks.items():
        ax.scatter([10**lx], [10**ly], s=90, facecolors="none", edgecolors="#222222", linewidths=1.2)
        ax.annotate(",".join(numbers), (10**lx, 10**ly), xytext=(7, 4), textcoords="offset points", fontsize=9,
                    weight="bold")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # plain 0.1, 1, 10 (exponents come out in smaller type)
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: short_number(v)))
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(top=peak * 2)
    ax.set_xlabel("MACs per DRAM byte")
    ax.set_ylabel("MACs per cycle")
    ax.set_title("Roofline (golden cycle model)", loc="left")
    ax.grid(which="major", color="#e3e3e3")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, title="operator", loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    costly = [f"{rank}  {name}: {100 * cycles / total:.1f}% of cycles" for rank, (name, *_, cycles) in enumerate(top, 1)]
    ax.text(1.02, 0.0, "most cycles:\n" + "\n".join(costly), transform=ax.transAxes, va="bottom", fontsize=9,
            linespacing=1.5)  # fmt: skip
    fig.set_layout_engine("constrained")
    return _svg(fig, "roofline")


def short_number(v: float) -> str:
    """An axis label: 1.5M, 20k, 0.5."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def _figure(height_inches: float) -> Figure:
    return Figure(figsize=(WIDTH_PX / PX_PER_INCH, height_inches))


def _svg(fig: Figure, label: str) -> str:
    """The figure as inline SVG sized in CSS pixels (1:1 with the figure's inches)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    w, h = fig.get_size_inches() * PX_PER_INCH
    text = re.sub(r'width="[\d.]+pt" height="[\d.]+pt"', f'width="{w:.0f}" height="{h:.0f}" role="img" '
                  f'aria-label="{label}"', text, count=1)  # fmt: skip
    return text

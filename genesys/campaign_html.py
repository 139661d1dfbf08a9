"""The fuzzing-campaign section of `genesys report --campaign DIR`: coverage, holes, failures."""

from __future__ import annotations

import html
from pathlib import Path

HOLES_SHOWN = 40


def campaign_section(folder: str | None) -> str:
    """HTML for the campaign in `folder` ("" without one); a folder holding no campaign is a
    one-line error (`CampaignError`)."""
    if folder is None:
        return ""
    from cosim.fuzz import Campaign

    campaign = Campaign(Path(folder), resume=True)
    s, c = campaign.summary(), campaign.summary().coverage
    rows = [("programs", f"{s.programs:,} in {s.seconds:,.0f} s"), ("corpus", f"{s.corpus:,} programs"),
            ("defined instructions", _ratio(c["spec_instructions_hit"], c["spec_instructions_total"])),
            ("spec coverage points", _ratio(c["spec_points_hit"], c["spec_points_total"])),
            ("RTL lines", _ratio(c["rtl_lines_hit"], c["rtl_lines_total"])),
            ("RTL toggles", _ratio(c["rtl_toggles_hit"], c["rtl_toggles_total"])),
            ("failures", str(len(s.failures)))]  # fmt: skip
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    failures = "".join(f"<li><code>{html.escape(f['signature'])}</code>: {f['instructions']} instructions, "
                       f"<code>genesys fuzz --replay {html.escape(f['folder'])}</code></li>" for f in s.failures)  # fmt: skip
    shown = ", ".join(html.escape(h) for h in s.holes[:HOLES_SHOWN])
    more = f" and {len(s.holes) - HOLES_SHOWN} more" if len(s.holes) > HOLES_SHOWN else ""
    config = campaign.config
    return f"""<h2>Fuzzing campaign</h2>
<p>{html.escape(folder)}: {html.escape(",".join(config.backends))} on {html.escape(config.arch)}, seed {campaign.state.seed}.
RTL coverage is that of the corpus programs (Verilator line and toggle points).</p>
<table>{table}</table>
{f"<ul>{failures}</ul>" if failures else ""}
<p class="note">Spec holes: {shown or "none"}{more}.</p>
"""


def _ratio(hit: int, total: int) -> str:
    return f"{hit:,} / {total:,}" + (f" ({100 * hit / total:.1f}%)" if total else "")

"""The golden cycle model: the closed form for systolic compute, the phases, the counters."""

import math

import pytest

from compiler import Options, compile_model, frontend, schedule
from compiler.models import conv_model
from isa_spec import load_arch
from isa_spec.arch import overridden
from runtime.session import run_image, sample_inputs

DEFAULT = load_arch("default")


def closed_form_per_tile(layer, sched, arch):
    """N.OH.OW.ceil(KH.KW.IC / rows).ceil(OC / cols) + rows + cols for one tile's extents."""
    n, ic = layer.in_shape[0], layer.in_shape[1]
    kh, kw = layer.weight.shape[2:]
    return n * sched.toh * sched.tow * math.ceil(kh * kw * ic / arch.rows) * sched.toc + arch.rows + arch.cols


def model_counters(model, arch, tiling=None, options=None):
    image = compile_model(model, arch, tiling, options=options)
    return run_image(image, "golden", sample_inputs(image)).counters


@pytest.mark.parametrize("kw, tiling", [(dict(c=32, h=10, w=10, oc=32), None),
                                        (dict(c=16, h=12, w=12, oc=48, stride=2), {"conv0": {"OH": 2, "OC": 3}}),
                                        (dict(c=64, h=12, w=12, oc=16, k=1, pad=0), {"conv0": {"OW": 3}})])  # fmt: skip
def test_systolic_compute_equals_the_closed_form_when_ic_fills_the_rows(kw, tiling):
    """... and each weight word serves at least `weight_load` steps (OH x OW of a tile >= 16)."""
    model = conv_model(**kw)
    layer = frontend.to_graph(frontend.load(model)).layers[0]
    sched = schedule.choose_tiling(layer, DEFAULT, (tiling or {}).get("conv0"))
    assert sched.toh * sched.tow >= DEFAULT.timing.weight_load
    counters = model_counters(model, DEFAULT, tiling)
    assert counters["tiles"] == sched.tiles
    assert counters["sa_compute_cycles"] == sched.tiles * closed_form_per_tile(layer, sched, DEFAULT)


def test_small_tiles_wait_for_weight_words():
    # 2 x 6 output pixels per tile: each of the 4 weight words (IC 64 = 4 row blocks) serves
    # 12 steps but takes 16 cycles to shift in, so a tile is 4 * 16 + 32, not 4 * 12 + 32.
    model = conv_model(c=64, h=6, w=6, oc=16, k=1, pad=0)
    counters = model_counters(model, DEFAULT, {"conv0": {"OW": 3}})
    assert counters["tiles"] == 3
    assert counters["sa_compute_cycles"] == 3 * (4 * 16 + 32)


def test_loop_order_decides_how_often_weights_change():
    """Weight-stationary: with IC innermost every step needs another weight word."""
    from compiler import Options

    model = conv_model(c=32, h=8, w=8, oc=16)
    steps = 8 * 8 * 2 * 9  # pixels x IC blocks x taps, one tile
    image = compile_model(model, DEFAULT)
    default = run_image(image, "golden", sample_inputs(image)).counters
    ic_inner = compile_model(model, DEFAULT, options=Options(loop_order={"conv0": ["N", "OC", "OH", "OW", "KH", "KW", "IC"]}))
    swapped = run_image(ic_inner, "golden", sample_inputs(ic_inner)).counters
    assert default["sa_compute_cycles"] == steps + 32
    assert swapped["sa_compute_cycles"] == steps * 16 + 32
    assert swapped["sa_steps"] == default["sa_steps"] == steps


def test_partial_row_blocks_cost_more_than_the_closed_form():
    # IC = 24 on 16 rows: our weight layout keeps each kernel tap's input channels in whole
    # row blocks, ceil(24/16) * 9 = 18 steps per pixel where the closed form packs 216/16 -> 14.
    model = conv_model(c=24, h=8, w=8, oc=16)
    layer = frontend.to_graph(frontend.load(model)).layers[0]
    sched = schedule.choose_tiling(layer, DEFAULT)
    counters = model_counters(model, DEFAULT)
    per_tile = sched.toh * sched.tow * 9 * 2 * sched.toc + 32
    assert counters["sa_compute_cycles"] == sched.tiles * per_tile
    assert counters["sa_compute_cycles"] > sched.tiles * closed_form_per_tile(layer, sched, DEFAULT)


def test_double_buffering_hides_transfers_and_latency_shows_as_stall():
    model = conv_model(c=16, h=16, w=16, oc=32)
    tiling = {"conv0": {"OH": 4}}
    overlapped = model_counters(model, DEFAULT, tiling)
    with overridden(DEFAULT, timing=DEFAULT.timing.__class__(**{**vars(DEFAULT.timing), "double_buffer": False})) as arch:
        serial = model_counters(model, arch, tiling)
    assert overlapped["sa_compute_cycles"] == serial["sa_compute_cycles"]
    assert overlapped["stall_cycles"] < serial["stall_cycles"]
    # Serially every store and the slowest load channel of every tile add to the compute.
    slowest_loads = max(serial[f"{b}_load_cycles"] for b in ("ibuf", "wbuf", "bbuf"))
    assert serial["stall_cycles"] >= serial["obuf_store_cycles"] + slowest_loads
    assert overlapped["cycles"] < serial["cycles"]


def test_counters_report_traffic_per_buffer():
    model = conv_model(c=16, h=8, w=8, oc=16)
    via_dram = model_counters(model, DEFAULT, options=Options(buffer={"conv0": "VMEM1"}))
    assert via_dram["wbuf_load_bytes"] == 9 * 16 * 16  # every weight once: one tile
    assert via_dram["obuf_store_bytes"] == 8 * 8 * 16 * 4  # int32 partial sums out
    assert via_dram["vmem1_load_bytes"] == via_dram["obuf_store_bytes"] and via_dram["vmem1_store_bytes"] == 8 * 8 * 16
    handoff = model_counters(model, DEFAULT)  # one tile: the Tandem reads the accumulators in OBUF
    assert handoff.get("obuf_store_bytes", 0) == handoff.get("vmem1_load_bytes", 0) == 0
    assert handoff["vmem1_store_bytes"] == 8 * 8 * 16 and handoff["cycles"] < via_dram["cycles"]
    for c in (via_dram, handoff):
        assert c["cycles"] == c["sa_compute_cycles"] + c["stall_cycles"] + c["tandem_cycles"] + c["decode_cycles"]

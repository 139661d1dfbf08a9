"""The golden cycle model: the closed form for systolic compute, the phases, the counters."""

import math

import pytest

from compiler import Options, compile_model, frontend, schedule
from compiler.models import conv_model
from isa_spec import load_arch
from runtime.session import run_image, sample_inputs

DEFAULT = load_arch("default")


def closed_form_per_tile(layer, sched, arch):
    """N.OH.OW.ceil(KH.KW.IC / rows).ceil(OC / cols) steps for one tile's extents, plus the
    RTL's drain: the array's rows + cols stages, the cycle the last sums leave it and the
    cycle the engine sees it empty."""
    n, ic = layer.in_shape[0], layer.in_shape[1]
    kh, kw = layer.weight.shape[2:]
    return n * sched.toh * sched.tow * math.ceil(kh * kw * ic / arch.rows) * sched.toc + arch.rows + arch.cols + 2


def model_counters(model, arch, tiling=None, options=None):
    image = compile_model(model, arch, tiling, options=options)
    return run_image(image, "golden", sample_inputs(image)).counters


@pytest.mark.parametrize("kw, tiling", [(dict(c=32, h=10, w=10, oc=32), None),
                                        (dict(c=16, h=12, w=12, oc=48, stride=2), {"conv0": {"OC": 3}}),
                                        (dict(c=64, h=12, w=12, oc=16, k=1, pad=0), {"conv0": {"OW": 3}})])  # fmt: skip
def test_systolic_compute_equals_the_closed_form_when_ic_fills_the_rows(kw, tiling):
    """... and each weight word serves at least 8 steps (OH x OW of a tile >= 8): a weight
    change loads one of 4 shadow banks, round robin, and may load a bank again 31 cycles
    (rows + cols - 1) after it last did, so 4 runs of 8 steps never wait."""
    model = conv_model(**kw)
    layer = frontend.to_graph(frontend.load(model)).layers[0]
    sched = schedule.choose_tiling(layer, DEFAULT, (tiling or {}).get("conv0"))
    assert sched.toh * sched.tow >= 8
    counters = model_counters(model, DEFAULT, tiling)
    assert counters["tiles"] == sched.tiles
    assert counters["sa_compute_cycles"] == sched.tiles * closed_form_per_tile(layer, sched, DEFAULT)


def test_small_tiles_wait_for_weight_words():
    # 2 x 3 output pixels per tile: each of the 8 weight words (IC 128 = 8 row blocks) serves
    # 6 steps. Runs 0-3 load the 4 shadow banks at cycles 0, 6, 12, 18; run 4 reloads bank 0,
    # 31 cycles after run 0 did (rows + cols - 1), and runs 5-7 follow at 37, 43, 49: the
    # steps end at 55, and the drain adds 34 (rows + cols + 2), not 8 * 6 + 34.
    model = conv_model(c=128, h=6, w=6, oc=16, k=1, pad=0)
    counters = model_counters(model, DEFAULT, {"conv0": {"OH": 3, "OW": 2}})
    assert counters["tiles"] == 6
    assert counters["sa_compute_cycles"] == 6 * (55 + 34)


def test_loop_order_decides_how_often_weights_change():
    """Weight-stationary: with IC innermost every step needs another weight word."""
    from compiler import Options

    model = conv_model(c=32, h=8, w=8, oc=16)
    steps = 8 * 8 * 2 * 9  # pixels x IC blocks x taps, one tile
    image = compile_model(model, DEFAULT)
    default = run_image(image, "golden", sample_inputs(image)).counters
    ic_inner = compile_model(model, DEFAULT, options=Options(loop_order={"conv0": ["N", "OC", "OH", "OW", "KH", "KW", "IC"]}))
    swapped = run_image(ic_inner, "golden", sample_inputs(ic_inner)).counters
    assert default["sa_compute_cycles"] == steps + 34
    # every step loads a bank: step i enters at (i // 4) * 31 + i % 4
    assert swapped["sa_compute_cycles"] == (steps - 1) // 4 * 31 + (steps - 1) % 4 + 1 + 34
    assert swapped["sa_steps"] == default["sa_steps"] == steps


def test_partial_row_blocks_cost_more_than_the_closed_form():
    # IC = 24 on 16 rows: our weight layout keeps each kernel tap's input channels in whole
    # row blocks, ceil(24/16) * 9 = 18 steps per pixel where the closed form packs 216/16 -> 14.
    model = conv_model(c=24, h=8, w=8, oc=16)
    layer = frontend.to_graph(frontend.load(model)).layers[0]
    sched = schedule.choose_tiling(layer, DEFAULT)
    assert sched.toh * sched.tow >= 8
    counters = model_counters(model, DEFAULT)
    per_tile = sched.toh * sched.tow * 9 * 2 * sched.toc + 34
    assert counters["sa_compute_cycles"] == sched.tiles * per_tile
    assert counters["sa_compute_cycles"] > sched.tiles * closed_form_per_tile(layer, sched, DEFAULT)


def test_transfers_and_tile_control_add_to_the_compute():
    """One transfer at a time, tiles one after another (the RTL does not overlap them). A
    tile's IBUF words (16 bytes) move 4 per 64-byte beat, a WBUF word (256 bytes) in 4 beats,
    each request costs 2 more (REQ, done); a tile of 4 transfers costs 3 (TILE_BEGIN,
    COMP_BEGIN, TILE_END) + 2 x 5 XFER_PICKs."""
    model = conv_model(c=16, h=16, w=16, oc=32)
    counters = model_counters(model, DEFAULT, {"conv0": {"OH": 4}})  # 4 tiles of 4 x 16 pixels, 2 OC blocks
    ibuf = 4 * 6 * (2 + 18 // 4 + 1)  # per tile 6 input rows, each a request of 18 words (padded width)
    wbuf = 4 * 2 * (2 + 9 * 4)  # per tile one request per OC block of 9 words (taps)
    bbuf = 4 * (2 + 2)  # per tile one request of 2 words (one per OC block), 64 bytes each
    obuf = 4 * 4 * 16 * (2 + 2)  # per tile a request per pixel of 2 words
    assert (counters["ibuf_load_cycles"], counters["wbuf_load_cycles"], counters["bbuf_load_cycles"],
            counters["obuf_store_cycles"]) == (ibuf, wbuf, bbuf, obuf)  # fmt: skip
    assert counters["stall_cycles"] == ibuf + wbuf + bbuf + obuf + 4 * (3 + 2 * 5)


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

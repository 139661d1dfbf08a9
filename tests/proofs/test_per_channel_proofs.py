"""Per-channel requantisation under `genesys prove`: the multipliers' table is bounded, its
bytes are the model's, and every stored element is requantised by its own channel's
multiplier; a table read one word, one channel or one pixel off is refuted."""

import pytest
from test_schedule import change, change32, find, refuted

from compiler import Options, compile_model
from isa_spec import decode, load_arch
from isa_spec.image import Image
from networks import activation_model, per_channel_qdq
from proofs import prove_image

TINY = load_arch("tiny")


def residual_image() -> Image:
    """8 channels (two lane words) on tiny, accumulators from OBUF, a residual Add."""
    return compile_model(per_channel_qdq(8, 6, 6, 8, residual=True), TINY)


@pytest.mark.parametrize("case", ["residual", "dram", "table-in-chunks"])
def test_per_channel_images_prove(case):
    image = {"residual": residual_image,
             "dram": lambda: compile_model(per_channel_qdq(8, 6, 6, 8), TINY, options=Options(buffer={"conv": "VMEM1"})),
             "table-in-chunks": lambda: compile_model(per_channel_qdq(4, 2, 2, 520), TINY)}[case]()  # fmt: skip
    report = prove_image(image)
    assert report.ok, report.format()
    assert any("'conv.multipliers': the model's" in o.where for o in report.obligations)


def table_load(image: Image) -> int:
    """The pc of the LOW half of the DRAM address the multipliers' load starts from."""
    addr = image.symbol("conv.multipliers").addr
    return find(image, "LD_CONFIG_BASE_ADDR", half="LOW", value=addr & 0xFFFF)


def test_a_multiplier_of_the_next_channel_is_refuted():
    image = residual_image()
    msg = refuted(change32(image, table_load(image), 4), "maps", r"from the same element of its operands")
    assert "conv.multipliers[oc=" in msg, msg


def test_a_table_base_one_word_off_is_refuted():
    image = residual_image()
    pc = find(image, "BASE_SIGN_EXT", ns="VMEM2", idx=10)
    refuted(change(image, pc, value=decode(image.words[pc])["value"] + 1), "maps")


def test_a_table_that_moves_with_the_pixels_is_refuted():
    """The pixel level's stride over the table must be 0: every pixel reads the same words."""
    image = residual_image()
    pc = find(image, "STRIDE_SIGN_EXT", ns="VMEM2", idx=1, value=0)
    refuted(change(image, pc, value=2), "maps")


def test_multipliers_that_are_not_the_models_are_refuted():
    image = residual_image()
    sym = image.symbol("conv.multipliers")
    dram = []
    for a, d in image.dram:
        raw = bytearray(d)
        if a <= sym.addr < a + len(d):
            raw[sym.addr - a] ^= 1
        dram.append((a, bytes(raw)))
    bad = Image(image.arch, image.words, dram, image.symbols, image.layers, image.model)
    refuted(bad, "reduction", r"multipliers 'conv\.multipliers'", r"not the quantised model's \(hash differs\)")


def test_a_per_channel_mul_away_from_a_conv_proves_and_its_table_is_checked():
    """The Tandem-only Mul layer reads its multipliers the same way: proved, and one channel off refuted."""
    image = compile_model(activation_model("Mul-per-channel"), TINY)
    report = prove_image(image)
    assert report.ok, report.format()
    assert any("'act.multipliers': the model's" in o.where for o in report.obligations)
    pc = find(image, "LD_CONFIG_BASE_ADDR", half="LOW", value=image.symbol("act.multipliers").addr & 0xFFFF)
    msg = refuted(change32(image, pc, 4), "maps", r"from the same element of its operands")
    assert "act.multipliers[oc=" in msg, msg

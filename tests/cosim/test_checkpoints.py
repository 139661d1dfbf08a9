"""Checkpoints: the file format rejects every corruption with one line, and a state saved by
one backend and restored into another reproduces the rest of the run bit for bit (the
reference is golden's own uninterrupted run: records, final DRAM and final state)."""

import hashlib
import json
import struct
from dataclasses import replace

import numpy as np
import pytest

from compiler import compile_model
from compiler.models import build_model
from isa_spec import GenesysError, Instruction, encode, load_arch
from isa_spec.checkpoint import PAGE, Checkpoint, CheckpointError, ImageCheckpoints, changed_pages
from isa_spec.image import Image
from runtime import open_device, write_tensor
from runtime.session import quantized_inputs, sample_inputs

HALT = encode(Instruction.make("BLOCK_END", last=1))


@pytest.fixture(scope="module")
def net():
    image = compile_model(build_model("resnet18-mini"), load_arch("tiny"))
    return image, quantized_inputs(image, sample_inputs(image))


def fresh(name, image, inputs):  # noqa: ANN001, ANN201
    dev = open_device(name, image.arch)
    dev.load(image)
    for k, v in inputs.items():
        write_tensor(dev, image, k, v)
    return dev


def golden_state_at(image, inputs, pc):  # noqa: ANN001, ANN201
    """golden's state when its run reaches group boundary `pc` (through its progress hook)."""
    dev, saved = fresh("golden", image, inputs), []
    dev.machine.progress = lambda end, _n: saved.append(dev.save_state(end)) if end == pc else None
    dev.run()
    assert len(saved) == 1
    return saved[0]


def test_round_trip_keeps_every_part_of_the_state(net, tmp_path):
    image, inputs = net
    meta = image.layers[5]
    state = golden_state_at(image, inputs, meta["pcs"][0])
    store = ImageCheckpoints(image)
    store.save(tmp_path / "c.gck", Checkpoint(meta["name"], 5, state, "in"))
    back = store.load(tmp_path / "c.gck")
    assert (back.layer, back.index, back.inputs) == (meta["name"], 5, "in")
    assert back.state.first_difference(state) is None
    assert state.memories["obuf"].any() and state.memories["vmem1"].any()  # the buffers are not trivially zero
    # Only the pages that differ from the image's initial DRAM are stored.
    pages = changed_pages(state.dram, image.initial_dram())
    assert 0 < len(pages) * PAGE < (tmp_path / "c.gck").stat().st_size < len(pages) * PAGE + 64 * 1024


def test_first_difference_names_the_memory_and_word(net):
    image, inputs = net
    state = golden_state_at(image, inputs, image.layers[3]["pcs"][0])
    other = replace(state, memories={k: v.copy() for k, v in state.memories.items()})
    other.memories["vmem2"][7, 1] += 1
    assert state.first_difference(other).startswith("VMEM2 word 7:")
    assert replace(state, iter_low=state.iter_low + 1).first_difference(state).startswith("iterator LOW latch")


def _rebuilt(blob: bytes, edit) -> bytes:  # noqa: ANN001
    """The checkpoint with its JSON header changed by `edit` and a valid checksum again."""
    magic, version, hlen = struct.unpack_from("<4sIQ", blob)
    header = json.loads(blob[16 : 16 + hlen])
    edit(header)
    head = json.dumps(header).encode()
    body = struct.pack("<4sIQ", magic, version, len(head)) + head + blob[16 + hlen : -32]
    return body + hashlib.sha256(body).digest()


def test_every_corruption_is_a_one_line_checkpoint_error(net, tmp_path):
    image, inputs = net
    store = ImageCheckpoints(image)
    good = store.to_bytes(Checkpoint("conv1", 0, golden_state_at(image, inputs, image.layers[2]["pcs"][0])))
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x10
    other_image = Image(image.arch, image.words + [HALT], image.dram, image.symbols, image.layers, image.model)
    cases = {
        "checksum mismatch": bytes(flipped),
        "truncated": good[:20],
        "bad magic": b"XXXX" + good[4:],
        "version 9": good[:4] + struct.pack("<I", 9) + good[8:],
        "pc 99999 outside": _rebuilt(good, lambda h: h.update(pc=99999)),
        "section 'obuf' is int32 (3, 4)": _rebuilt(good, lambda h: h["sections"]["obuf"].update(shape=[3, 4])),
        "no section 'imm'": _rebuilt(good, lambda h: h["sections"].pop("imm")),
        "DRAM page at 0x1 is misplaced": _rebuilt(good, lambda h: h["dram_pages"].append({"addr": 1, "offset": 0})),
        "lane format": _rebuilt(good, lambda h: h.update(lane_frac=[0, 40, 0])),
        "malformed header": _rebuilt(good, lambda h: h.pop("iter_low")),
    }
    for why, blob in cases.items():
        with pytest.raises(CheckpointError) as err:
            store.from_bytes(blob, "c.gck")
        assert why in str(err.value) and "\n" not in str(err.value), (why, str(err.value))
    with pytest.raises(CheckpointError, match="belongs to another image"):
        ImageCheckpoints(other_image).from_bytes(good, "c.gck")


@pytest.mark.parametrize(("saver", "restorer"), [("golden", "golden"), ("golden", "spec"), ("spec", "golden")])
def test_a_restored_state_reproduces_the_rest_of_the_run(net, saver, restorer):
    """Save at the start of a late layer (golden: at the boundary, during its run; spec: at
    the end of a run of the program cut there), restore into a fresh machine, run to the
    end: the records from that layer on, the final DRAM and the final state equal those of
    golden's uninterrupted run."""
    image, inputs = net
    k = len(image.layers) - 4
    first = image.layers[k]["pcs"][0]
    if saver == "golden":
        state = golden_state_at(image, inputs, first)
    else:
        cut = Image(image.arch, image.words[:first] + [HALT], image.dram, image.symbols)
        dev = fresh("spec", cut, inputs)
        assert dev.run().fault is None
        state = replace(dev.save_state(first), imem=np.array(image.words, np.uint32))
    whole = fresh("golden", image, inputs)
    full = whole.run()
    dev = open_device(restorer, image.arch)
    dev.load(image)
    dev.restore_state(state)
    rest = dev.run()
    assert rest.fault is None
    for unit, records in full.log.items():
        assert rest.log[unit] == [r for r in records if r.pc >= first], unit
    assert sum(len(v) for v in rest.log.values()) > 50
    assert dev.save_state(0).first_difference(whole.save_state(0)) is None


def test_the_rtl_backend_refuses_with_the_reason():
    from runtime.backends.rtl import CANNOT_CHECKPOINT, RtlDevice

    dev = RtlDevice.__new__(RtlDevice)  # no build: the refusal does not depend on the model
    for call in (lambda: dev.save_state(0), lambda: dev.restore_state(None)):
        with pytest.raises(GenesysError, match="RTL driver"):
            call()
    assert "on-chip buffers" in CANNOT_CHECKPOINT

"""Golden vs spec speed on one compiled conv layer of the `default` (16x16) config.

Both run the same image from the same inputs; their commit logs must be equal. The target
is golden at least 50x faster than the spec.
"""

import time

from compiler import compile_model
from compiler.models import conv_model
from isa_spec import load_arch
from runtime import open_device, write_tensor
from runtime.session import quantized_inputs, sample_inputs

LAYER = dict(c=32, h=14, w=14, oc=32)


def timed_run(name, image, inputs):  # noqa: ANN001, ANN201
    dev = open_device(name, image.arch)
    dev.load(image)
    for sym, value in inputs.items():
        write_tensor(dev, image, sym, value)
    t = time.perf_counter()
    result = dev.run()
    return time.perf_counter() - t, result


def main() -> None:
    image = compile_model(conv_model(**LAYER), load_arch("default"))
    inputs = quantized_inputs(image, sample_inputs(image))
    t_golden, golden = timed_run("golden", image, inputs)
    t_spec, spec = timed_run("spec", image, inputs)
    assert golden.log == spec.log, "golden and spec commit logs differ"
    records = sum(map(len, spec.log.values()))
    print(f"conv {LAYER['c']}x{LAYER['h']}x{LAYER['w']} -> {LAYER['oc']} (3x3) on default: {len(image.words)} "
          f"instructions, {records} records, logs equal")
    print(f"  spec  : {t_spec:8.3f} s")
    print(f"  golden: {t_golden:8.3f} s  ({t_spec / t_golden:.0f}x faster; target >= 50x)")


if __name__ == "__main__":
    main()

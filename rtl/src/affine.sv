// One half of every address walker of the NPU (SA tile, transfer and compute loops, Tandem
// DMA loops), as isa_spec.bv defines it; the other half is odometer.sv. Loops are numbered
// outermost first; `active` marks the loops in use. Packed array ports, so that 4-state
// simulators see every bit.

// base + the sum over active loops of stride x index (strides unsigned, 64-bit address).
module affine #(
    parameter int L = 8,
    parameter int IW = 17
) (
    input  logic [63:0]          base,
    input  logic [L-1:0]         active,
    input  logic [L-1:0][31:0]   stride,
    input  logic [L-1:0][IW-1:0] idx,
    output logic [63:0]          addr
);
  always_comb begin
    addr = base;
    for (int k = 0; k < L; k++)
      if (active[k]) addr += 64'(stride[k]) * 64'(idx[k]);
  end
endmodule

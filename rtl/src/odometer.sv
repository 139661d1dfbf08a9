// One half of every address walker of the NPU (SA tile, transfer and compute loops, Tandem
// DMA loops), as isa_spec.bv defines it; the other half is affine.sv. Loops are numbered
// outermost first; `active` marks the loops in use. Packed array ports, so that 4-state
// simulators see every bit.

// The next position of a loop nest: the innermost active index that can advance does and
// every active index inside it restarts at 0; `carry` when none can (the nest is done).
module odometer #(
    parameter int L = 8,
    parameter int IW = 17
) (
    input  logic [L-1:0]         active,
    input  logic [L-1:0][IW-1:0] n,    // iterations of each loop
    input  logic [L-1:0][IW-1:0] idx,
    output logic [L-1:0][IW-1:0] next,
    output logic                 carry
);
  always_comb begin
    carry = 1'b1;
    next  = idx;
    for (int k = L - 1; k >= 0; k--)
      if (carry && active[k]) begin
        if (idx[k] + 1 < n[k]) begin
          next[k] = idx[k] + 1;
          carry   = 1'b0;
        end else next[k] = '0;
      end
  end
endmodule

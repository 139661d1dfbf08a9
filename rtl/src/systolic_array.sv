// N x M weight-stationary systolic array, one step per cycle: out[c] = sum_r act[r] * w[r][c].
// Row r sees its activation r cycles late (input skew); column c's sum leaves the bottom row
// N + c cycles after the step enters and is delayed M-1-c more cycles (output deskew), so
// every column of a step is valid together N + M cycles after `in_valid`, with the step's
// `tag` beside it. A step with `swap` loads `wgt` into the shadow weights, and the PEs take
// them as the step's activations pass (pe.sv): the shadow may change again only once that
// wavefront has left the array, N + M - 1 cycles later (the caller's to respect).
module systolic_array #(
    parameter int N = 4,
    parameter int M = 4,
    parameter int TAG_W = 1,
    parameter int BANKS = 4,             // shadow weight banks (a power of two)
    localparam int BANK_W = BANKS > 1 ? $clog2(BANKS) : 1
) (
    input  logic                 clk,
    input  logic                 rst,
    input  logic                 in_valid,
    input  logic                 swap,
    input  logic [BANK_W-1:0]    bank,     // the shadow bank a swap loads (unused without one)
    input  logic [N*8-1:0]       act,      // act[r] = bits [8r+7:8r]
    input  logic [N*M*8-1:0]     wgt,      // w[r][c] = bits [8(rM+c)+7 : 8(rM+c)]
    input  logic [TAG_W-1:0]     tag_in,
    output logic                 out_valid,
    output logic [M*32-1:0]      psum,     // lane c = bits [32c+31:32c]
    output logic [TAG_W-1:0]     tag_out,
    output logic                 busy      // a step is in flight
);
  logic signed [7:0]  a_skew [N][N];       // a_skew[r][k]: row r delayed by k cycles
  logic [N-1:0]       s_skew [N];          // the same for the swap flag
  logic signed [7:0]  a_h    [N][M+1];     // horizontal activation wires
  logic               s_h    [N][M+1];     // horizontal swap-flag wires
  logic signed [31:0] p_v    [N+1][M];     // vertical partial-sum wires
  logic signed [31:0] d_skew [M][M];       // output deskew delay lines
  logic [N*M*8-1:0]   shadow [BANKS];
  logic [BANK_W-1:0]  bank_pipe [N+M-1];   // bank_pipe[k]: the bank of the step that entered k + 1 cycles ago
  logic [N+M:0]       valid_pipe;
  logic [TAG_W-1:0]   tag_pipe [N+M+1];

  always_ff @(posedge clk) begin
    for (int r = 0; r < N; r++) begin
      a_skew[r][0] <= act[8*r +: 8];
      s_skew[r][0] <= in_valid && swap;  // a bubble never swaps
      for (int k = 1; k < N; k++) begin
        a_skew[r][k] <= a_skew[r][k-1];
        s_skew[r][k] <= s_skew[r][k-1];
      end
    end
    if (in_valid && swap) shadow[bank] <= wgt;
    bank_pipe[0] <= bank;
    for (int k = 1; k < N + M - 1; k++) bank_pipe[k] <= bank_pipe[k-1];
    for (int c = 0; c < M; c++) begin
      d_skew[c][0] <= p_v[N][c];
      for (int k = 1; k < M; k++) d_skew[c][k] <= d_skew[c][k-1];
    end
    valid_pipe <= rst ? '0 : {valid_pipe[N+M-1:0], in_valid};
    tag_pipe[0] <= tag_in;
    for (int k = 1; k <= N + M; k++) tag_pipe[k] <= tag_pipe[k-1];
  end

  for (genvar r = 0; r < N; r++) begin : g_row
    // row r takes its activation after r+1 register stages (the array's first stage included)
    assign a_h[r][0] = a_skew[r][r];
    assign s_h[r][0] = s_skew[r][r];
    for (genvar c = 0; c < M; c++) begin : g_col
      if (r == 0) begin : g_top
        assign p_v[0][c] = '0;
      end
      // a swap flag reaches PE (r, c) r + c + 1 cycles after its step entered the array
      pe u_pe (.clk, .act_in(a_h[r][c]), .swap_in(s_h[r][c]), .shadow(shadow[bank_pipe[r+c]][8*(r*M+c) +: 8]),
               .psum_in(p_v[r][c]),
               .act_out(a_h[r][c+1]), .swap_out(s_h[r][c+1]), .psum_out(p_v[r+1][c]));
    end
  end

  for (genvar c = 0; c < M; c++) begin : g_out
    assign psum[32*c +: 32] = d_skew[c][M-1-c];
  end
  assign out_valid = valid_pipe[N+M];
  assign tag_out = tag_pipe[N+M];
  assign busy = |valid_pipe[N+M-1:0] || in_valid;

  // The last column's activations and swap flags fall off the edge of the array.
  logic unused;
  always_comb begin
    unused = 1'b0;
    for (int r = 0; r < N; r++) unused = unused ^ (^a_h[r][M]) ^ s_h[r][M];
  end
endmodule

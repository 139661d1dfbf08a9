// N x M systolic array for one step: out[c] = sum_r act[r] * w[r][c].
// Row r sees its activation r cycles late (input skew); column c's sum leaves the bottom row
// N + c cycles after the step enters and is delayed M-1-c more cycles (output deskew), so
// every column is valid together N + M cycles after `in_valid`.
module systolic_array #(parameter int N = 4, parameter int M = 4) (
    input  logic                 clk,
    input  logic                 rst,
    input  logic                 in_valid,
    input  logic [N*8-1:0]       act,      // act[r] = bits [8r+7:8r]
    input  logic [N*M*8-1:0]     wgt,      // w[r][c] = bits [8(rM+c)+7 : 8(rM+c)]
    output logic                 out_valid,
    output logic [M*32-1:0]      psum      // lane c = bits [32c+31:32c]
);
  logic signed [7:0]  a_skew [N][N];       // a_skew[r][k]: row r delayed by k cycles
  logic signed [7:0]  a_h    [N][M+1];     // horizontal activation wires
  logic signed [31:0] p_v    [N+1][M];     // vertical partial-sum wires
  logic signed [31:0] d_skew [M][M];       // output deskew delay lines
  logic [N+M:0]       valid_pipe;

  always_ff @(posedge clk) begin
    for (int r = 0; r < N; r++) begin
      a_skew[r][0] <= act[8*r +: 8];
      for (int k = 1; k < N; k++) a_skew[r][k] <= a_skew[r][k-1];
    end
    for (int c = 0; c < M; c++) begin
      d_skew[c][0] <= p_v[N][c];
      for (int k = 1; k < M; k++) d_skew[c][k] <= d_skew[c][k-1];
    end
    valid_pipe <= rst ? '0 : {valid_pipe[N+M-1:0], in_valid};
  end

  for (genvar r = 0; r < N; r++) begin : g_row
    // row r takes its activation after r+1 register stages (the array's first stage included)
    assign a_h[r][0] = a_skew[r][r];
    for (genvar c = 0; c < M; c++) begin : g_col
      if (r == 0) begin : g_top
        assign p_v[0][c] = '0;
      end
      pe u_pe (.clk, .act_in(a_h[r][c]), .weight(wgt[8*(r*M+c) +: 8]), .psum_in(p_v[r][c]),
               .act_out(a_h[r][c+1]), .psum_out(p_v[r+1][c]));
    end
  end

  for (genvar c = 0; c < M; c++) begin : g_out
    assign psum[32*c +: 32] = d_skew[c][M-1-c];
  end
  assign out_valid = valid_pipe[N+M];

  // The last column's activations fall off the edge of the array.
  logic unused;
  always_comb begin
    unused = 1'b0;
    for (int r = 0; r < N; r++) unused = unused ^ (^a_h[r][M]);
  end
endmodule

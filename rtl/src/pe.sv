// One processing element of the weight-stationary array: int8 x int8 multiply-accumulate into
// a 32-bit partial sum. Activations move right, partial sums move down. The PE holds its
// weight; an activation flagged `swap_in` is the first under the array's shadow weight, which
// the PE takes (and keeps) as that activation passes, so weight changes travel with the data.
module pe (
    input  logic               clk,
    input  logic signed [7:0]  act_in,
    input  logic               swap_in,
    input  logic signed [7:0]  shadow,
    input  logic signed [31:0] psum_in,
    output logic signed [7:0]  act_out,
    output logic               swap_out,
    output logic signed [31:0] psum_out
);
  logic signed [7:0] held, weight;
  assign weight = swap_in ? shadow : held;
  always_ff @(posedge clk) begin
    act_out  <= act_in;
    swap_out <= swap_in;
    held     <= weight;
    psum_out <= psum_in + 32'(act_in * weight);  // 32-bit two's-complement wrap-around
  end
endmodule

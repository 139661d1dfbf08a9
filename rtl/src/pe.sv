// One processing element: int8 x int8 multiply-accumulate into a 32-bit partial sum.
// Activations move right, partial sums move down; the weight is held for the step.
module pe (
    input  logic               clk,
    input  logic signed [7:0]  act_in,
    input  logic signed [7:0]  weight,
    input  logic signed [31:0] psum_in,
    output logic signed [7:0]  act_out,
    output logic signed [31:0] psum_out
);
  always_ff @(posedge clk) begin
    act_out  <= act_in;
    psum_out <= psum_in + 32'(act_in * weight);  // 32-bit two's-complement wrap-around
  end
endmodule

// One Tandem lane: the lane functions of ALU, CALCULUS, COMPARISON and DTYPE_CAST rows.
// `shift` is the fixed-point MUL shift frac(src1) + frac(src2) - frac(dst) from DTYPE_CFG.
module tandem_lane
  import genesys_isa::*;
(
    input  row_t               row,
    input  logic signed [31:0] a,      // src1
    input  logic signed [31:0] b,      // src2 (0 for one-source rows)
    input  logic signed [31:0] d,      // old dst (MACC, COND_MOVE_*)
    input  logic signed [7:0]  shift,
    output logic signed [31:0] y,
    output logic               implemented
);
  localparam logic signed [127:0] MAX32 = 128'sd2147483647;
  localparam logic signed [127:0] MIN32 = -128'sd2147483648;

  function automatic logic signed [31:0] sat32(input logic signed [127:0] v);
    return v > MAX32 ? 32'sh7fffffff : v < MIN32 ? 32'sh80000000 : v[31:0];
  endfunction

  function automatic logic signed [31:0] sat_bits(input logic signed [31:0] v, input int bits);
    logic signed [31:0] top, bottom;
    top = (32'sd1 <<< (bits - 1)) - 32'sd1;
    bottom = -(32'sd1 <<< (bits - 1));
    return v > top ? top : v < bottom ? bottom : v;
  endfunction

  // Exact product shifted right (floor) by `shift`, or left if negative, saturated to 32 bits.
  function automatic logic signed [31:0] fxp_mul(input logic signed [31:0] x, input logic signed [31:0] z);
    logic signed [127:0] p;
    p = 128'(x) * 128'(z);
    if (shift >= 0) return sat32(p >>> shift);
    return sat32(p <<< (-shift));
  endfunction

  logic signed [127:0] wide_a, wide_b, wide_d;
  assign wide_a = 128'(a);
  assign wide_b = 128'(b);
  assign wide_d = 128'(d);

  always_comb begin
    implemented = 1'b1;
    y = a;
    unique case (row)
      ROW_ADD:             y = sat32(wide_a + wide_b);
      ROW_SUB:             y = sat32(wide_a - wide_b);
      ROW_MUL:             y = fxp_mul(a, b);
      ROW_MACC:            y = sat32(wide_d + 128'(fxp_mul(a, b)));
      ROW_MAX:             y = a > b ? a : b;
      ROW_MIN:             y = a < b ? a : b;
      ROW_RSHIFT:          y = a >>> b[4:0];
      ROW_LSHIFT:          y = a <<< b[4:0];
      ROW_MOVE:            y = a;
      ROW_COND_MOVE_TRUE:  y = b != 0 ? a : d;
      ROW_COND_MOVE_FALSE: y = b == 0 ? a : d;
      ROW_NOT:             y = ~a;
      ROW_AND:             y = a & b;
      ROW_OR:              y = a | b;
      ROW_RELU:            y = a > 0 ? a : 32'sd0;
      ROW_LEAKY_RELU:      y = a >= 0 ? a : fxp_mul(a, b);
      ROW_ABS:             y = sat32(a < 0 ? -wide_a : wide_a);
      ROW_SIGN:            y = a > 0 ? 32'sd1 : a < 0 ? -32'sd1 : 32'sd0;
      ROW_EQ:              y = {31'd0, a == b};
      ROW_NEQ:             y = {31'd0, a != b};
      ROW_GT:              y = {31'd0, a > b};
      ROW_GTE:             y = {31'd0, a >= b};
      ROW_LT:              y = {31'd0, a < b};
      ROW_LTE:             y = {31'd0, a <= b};
      ROW_FXP32_TO_FXP16:  y = sat_bits(a, 16);
      ROW_FXP32_TO_FXP8:   y = sat_bits(a, 8);
      ROW_FXP32_TO_FXP4:   y = sat_bits(a, 4);
      ROW_FXP16_TO_FXP32:  y = 32'(signed'(a[15:0]));
      ROW_FXP8_TO_FXP32:   y = 32'(signed'(a[7:0]));
      ROW_FXP4_TO_FXP32:   y = 32'(signed'(a[3:0]));
      default:             implemented = 1'b0;
    endcase
  end
endmodule

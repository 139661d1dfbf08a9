// One Tandem lane: the lane functions of ALU, CALCULUS, COMPARISON and DTYPE_CAST rows, as
// isa_spec/semantics.py defines them. `width` is the lane width from DTYPE_CFG (32, 16 or 8)
// and `frac` the fraction bits of dst, src1 and src2 (width minus their integer bits).
module tandem_lane
  import genesys_isa::*;
(
    input  row_t               row,
    input  logic signed [31:0] a,      // src1
    input  logic signed [31:0] b,      // src2 (0 for one-source rows)
    input  logic signed [31:0] d,      // old dst (MACC, COND_MOVE_*)
    input  logic [5:0]         width,
    input  logic [5:0]         frac [3],
    output logic signed [31:0] y,
    output logic               implemented
);
  // Every value that saturates fits in wide_t: a sum, difference or negation of lane values, or a
  // wider result clamped to +-2^32 (BEYOND) first, which saturates alike at every lane width. The
  // datapaths below are as wide as the fraction bits DTYPE_CFG can set need (frac < width <= 32)
  // and exact for any 6-bit setting of `frac` (FLOOR and CEIL: for frac(src1) up to 33).
  typedef logic signed [33:0] wide_t;
  localparam wide_t BEYOND = wide_t'(1) <<< 32;

  // Saturate to the signed range of the lane width.
  function automatic logic signed [31:0] lane_sat(input wide_t v);
    wide_t top, bottom;
    top = (wide_t'(1) <<< (width - 6'd1)) - wide_t'(1);
    bottom = -(wide_t'(1) <<< (width - 6'd1));
    return v > top ? top[31:0] : v < bottom ? bottom[31:0] : v[31:0];
  endfunction

  function automatic logic signed [31:0] sat_bits(input logic signed [31:0] v, input int bits);
    logic signed [31:0] top, bottom;
    top = (32'sd1 <<< (bits - 1)) - 32'sd1;
    bottom = -(32'sd1 <<< (bits - 1));
    return v > top ? top : v < bottom ? bottom : v;
  endfunction

  // The exact 64-bit product p shifted left by k, or right (floor) by -k, clamped to +-BEYOND.
  // Shifted left by more than 33 bits any nonzero product passes BEYOND, and right by more than
  // 63 it is its sign: the shift amounts stop there.
  function automatic wide_t shift_product(input logic signed [63:0] p, input int k);
    logic signed [96:0] v;
    logic [5:0] left, right;
    left = k > 33 ? 6'd33 : k > 0 ? 6'(k) : 6'd0;
    right = k < -63 ? 6'd63 : k < 0 ? 6'(-k) : 6'd0;
    v = k >= 0 ? 97'(p) <<< left : 97'(p) >>> right;
    return v > 97'(BEYOND) ? BEYOND : v < -97'(BEYOND) ? -BEYOND : wide_t'(v);
  endfunction

  // Exact product shifted right (floor) by frac(src1) + frac(src2) - frac(dst), saturated.
  function automatic logic signed [31:0] fxp_mul(input logic signed [31:0] x, input logic signed [31:0] z);
    return lane_sat(shift_product(64'(x) * 64'(z), int'(frac[0]) - int'(frac[1]) - int'(frac[2])));
  endfunction

  // a / b * 2^k, k = frac(dst) + frac(src2) - frac(src1), rounded toward zero; b = 0 saturates.
  // On magnitudes: n = |a| 2^max(k, 0) over m = |b| by long division. Its quotient reaches 2^32
  // (saturating at every lane width) exactly when n / 2^32 >= m; below that, n's bits above 32
  // are less than m and form the first remainder, and 32 steps give the quotient. Then that
  // quotient shifted right by max(-k, 0): floor(floor(n / m) / 2^j) = floor(n / (m 2^j)).
  function automatic logic signed [31:0] fxp_div(input logic signed [31:0] x, input logic signed [31:0] z);
    logic [31:0] mx, mz, q;
    logic [94:0] n;
    logic [32:0] r;
    logic [5:0] left, right;
    int k;
    if (z == 0) return lane_sat(x >= 0 ? BEYOND : -BEYOND);
    k = int'(frac[0]) + int'(frac[2]) - int'(frac[1]);
    left = k > 63 ? 6'd63 : k > 0 ? 6'(k) : 6'd0;
    right = k < -63 ? 6'd63 : k < 0 ? 6'(-k) : 6'd0;
    mx = x < 0 ? -x : x;
    mz = z < 0 ? -z : z;
    n = 95'(mx) << left;
    if (n[94:32] >= 63'(mz)) return lane_sat((x < 0) == (z < 0) ? BEYOND : -BEYOND);
    r = 33'(n[63:32]);
    for (int i = 31; i >= 0; i--) begin
      r = {r[31:0], n[i]};
      q[i] = r >= 33'(mz);
      if (q[i]) r = r - 33'(mz);
    end
    q = q >> right;
    return lane_sat((x < 0) == (z < 0) ? wide_t'(q) : -wide_t'(q));
  endfunction

  // floor(sqrt(a * 2^(2 frac(dst) - frac(src1)))) digit by digit, two radicand bits a step; a <= 0
  // gives 0. A radicand of 2^62 or more has a root of 2^31 or more, which saturates at every lane
  // width; below, each of the 31 steps keeps the remainder at most 2 x the root so far (32 bits).
  function automatic logic signed [31:0] fxp_sqrt(input logic signed [31:0] x);
    logic [93:0] shifted;
    logic [33:0] r;
    logic [30:0] root;
    logic [5:0] left, right;
    int e;
    if (x <= 0) return 32'sd0;
    e = 2 * int'(frac[0]) - int'(frac[1]);
    left = e > 63 ? 6'd63 : e > 0 ? 6'(e) : 6'd0;
    right = e < -63 ? 6'd63 : e < 0 ? 6'(-e) : 6'd0;
    shifted = (94'(x) << left) >> right;
    if (shifted[93:62] != 0) return lane_sat(BEYOND);
    r = '0;
    root = '0;
    for (int i = 30; i >= 0; i--) begin
      r = {r[31:0], shifted[2*i+1 -: 2]};
      if (r >= {1'b0, root, 2'b01}) begin  // the next root bit is 1 when (2 root + 1)^2 fits
        r = r - {1'b0, root, 2'b01};
        root = {root[29:0], 1'b1};
      end else root = {root[29:0], 1'b0};
    end
    return lane_sat(wide_t'(root));
  endfunction

  // Round to nearest, ties to even, of x / 2^sh (sh >= 1).
  function automatic logic [31:0] rne(input logic [31:0] x, input int sh);
    logic [31:0] q, r, half;
    if (sh >= 32) return 32'd0;
    q = x >> sh;
    r = x & ((32'd1 << sh) - 32'd1);
    half = 32'd1 << (sh - 1);
    return (r > half || (r == half && q[0])) ? q + 32'd1 : q;
  endfunction

  function automatic logic [31:0] fp32_to_fp16(input logic [31:0] x);
    logic [31:0] m;
    logic [11:0] r;  // normal: 1.m rounded to 11 bits, or 2^11 after a carry
    logic [14:0] sub;  // subnormal: the value in units of 2^-24
    int e, exp16;
    if (x[30:23] == 8'hff) return x[22:0] != 0 ? 32'h7e00 : {16'd0, x[31], 15'h7c00};
    if (x[30:23] == 8'h00) return {16'd0, x[31], 15'd0};  // fp32 subnormals round to zero
    e = int'(x[30:23]) - 127;
    m = {8'd0, 1'b1, x[22:0]};
    if (e > 15) return {16'd0, x[31], 15'h7c00};
    if (e >= -14) begin
      r = 12'(rne(m, 13));
      exp16 = e + 14 + int'(r[11:10]);  // r[11:10] is 1, or 2 when rounding carried out
      if (exp16 >= 31) return {16'd0, x[31], 15'h7c00};
      return {16'd0, x[31], 5'(exp16), r[9:0]};
    end
    sub = 15'(rne(m, -e - 1));  // at most 2^10, which encodes the smallest normal
    return {16'd0, x[31], sub};
  endfunction

  function automatic logic [31:0] fp16_to_fp32(input logic [15:0] h);
    int p;
    if (h[14:10] == 5'h1f) return h[9:0] != 0 ? 32'h7fc00000 : {h[15], 31'h7f800000};
    if (h[14:10] == 5'h00) begin
      if (h[9:0] == 0) return {h[15], 31'd0};
      p = 0;
      for (int i = 0; i < 10; i++) if (h[i]) p = i;
      return {h[15], 8'(p - 24 + 127), 23'((32'(h[9:0]) << (23 - p)) & 32'h7fffff)};
    end
    return {h[15], 8'(int'(h[14:10]) - 15 + 127), h[9:0], 13'd0};
  endfunction

  function automatic logic [31:0] fp32_to_bf16(input logic [31:0] x);
    if (x[30:23] == 8'hff && x[22:0] != 0) return 32'h7fc0;
    return {16'd0, 16'((33'(x) + 33'h7fff + 33'(x[16])) >> 16)};
  endfunction

  function automatic logic [31:0] bf16_to_fp32(input logic [15:0] h);
    return (h[14:7] == 8'hff && h[6:0] != 0) ? 32'h7fc00000 : {h, 16'd0};
  endfunction

  logic signed [31:0] shifted_left;
  assign shifted_left = a <<< b[4:0];

  always_comb begin
    implemented = 1'b1;
    y = a;
    unique case (row)
      ROW_ADD:             y = lane_sat(wide_t'(a) + wide_t'(b));
      ROW_SUB:             y = lane_sat(wide_t'(a) - wide_t'(b));
      ROW_MUL:             y = fxp_mul(a, b);
      ROW_MACC:            y = lane_sat(wide_t'(d) + wide_t'(fxp_mul(a, b)));
      ROW_DIV:             y = fxp_div(a, b);
      ROW_MAX:             y = a > b ? a : b;
      ROW_MIN:             y = a < b ? a : b;
      ROW_RSHIFT:          y = a >>> b[4:0];
      ROW_LSHIFT:          y = (shifted_left <<< (6'd32 - width)) >>> (6'd32 - width);  // keep `width` bits, signed
      ROW_MOVE:            y = a;
      ROW_COND_MOVE_TRUE:  y = b != 0 ? a : d;
      ROW_COND_MOVE_FALSE: y = b == 0 ? a : d;
      ROW_NOT:             y = ~a;
      ROW_AND:             y = a & b;
      ROW_OR:              y = a | b;
      ROW_RELU:            y = a > 0 ? a : 32'sd0;
      ROW_LEAKY_RELU:      y = a >= 0 ? a : fxp_mul(a, b);
      ROW_ABS:             y = lane_sat(a < 0 ? -wide_t'(a) : wide_t'(a));
      ROW_SIGN:            y = a > 0 ? 32'sd1 : a < 0 ? -32'sd1 : 32'sd0;
      ROW_SQRT:            y = fxp_sqrt(a);
      ROW_EQ:              y = {31'd0, a == b};
      ROW_NEQ:             y = {31'd0, a != b};
      ROW_GT:              y = {31'd0, a > b};
      ROW_GTE:             y = {31'd0, a >= b};
      ROW_LT:              y = {31'd0, a < b};
      ROW_LTE:             y = {31'd0, a <= b};
      ROW_FXP32_TO_FXP16:  y = sat_bits(a, 16);
      ROW_FXP32_TO_FXP8:   y = sat_bits(a, 8);
      ROW_FXP32_TO_FXP4:   y = sat_bits(a, 4);
      ROW_FXP16_TO_FXP32:  y = {{16{a[15]}}, a[15:0]};
      ROW_FXP8_TO_FXP32:   y = {{24{a[7]}}, a[7:0]};
      ROW_FXP4_TO_FXP32:   y = {{28{a[3]}}, a[3:0]};
      ROW_FP32_TO_FP16:    y = fp32_to_fp16(a);
      ROW_FP16_TO_FP32:    y = fp16_to_fp32(a[15:0]);
      ROW_FP32_TO_BF16:    y = fp32_to_bf16(a);
      ROW_BF16_TO_FP32:    y = bf16_to_fp32(a[15:0]);
      ROW_FLOOR:           y = lane_sat((wide_t'(a) >>> frac[1]) <<< frac[1]);
      ROW_CEIL:            y = lane_sat(-((-wide_t'(a) >>> frac[1]) <<< frac[1]));
      default:             implemented = 1'b0;
    endcase
  end
endmodule

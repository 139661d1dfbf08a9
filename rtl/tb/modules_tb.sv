// Port-level test bench of single modules, for Verilator (--binary) and Icarus (4-state):
// applies each vector of +vectors=FILE (hex, one per line, `+n=N` of them) to a Tandem lane,
// a processing element and the instruction decoder, and writes their outputs to +out=FILE.
// Vector bits, high to low: word 32 | act 8 | weight 8 | psum 32 | row 8 | a 32 | b 32 | d 32 |
// width 6 | frac dst 6 | frac src1 6 | frac src2 6 (pad to 256).
module modules_tb
  import genesys_isa::*;
;
  logic [255:0] vectors [4096];
  logic [255:0] v;
  logic clk = 1'b0;
  logic signed [31:0] y, psum_out;
  logic signed [7:0] act_out;
  logic implemented;
  logic [5:0] frac [3];
  integer n, i, out;
  string vector_file, out_file;

  assign frac[0] = v[17:12];
  assign frac[1] = v[11:6];
  assign frac[2] = v[5:0];

  tandem_lane u_lane (.row(v[127:120]), .a(v[119:88]), .b(v[87:56]), .d(v[55:24]), .width(v[23:18]), .frac, .y, .implemented);
  logic swap_out;
  pe u_pe (.clk, .act_in(v[199:192]), .swap_in(1'b1), .shadow(v[191:184]), .psum_in(v[183:152]), .act_out, .swap_out,
           .psum_out);  // every vector brings its own weight

  initial begin
    if (!$value$plusargs("vectors=%s", vector_file) || !$value$plusargs("out=%s", out_file)
        || !$value$plusargs("n=%d", n)) $fatal(1, "usage: +vectors=FILE +out=FILE +n=N");
    $readmemh(vector_file, vectors, 0, n - 1);
    out = $fopen(out_file, "w");
    for (i = 0; i < n; i = i + 1) begin
      v = vectors[i];
      #1 clk = 1'b1;
      #1 clk = 1'b0;
      $fwrite(out, "%h %b %h %h %h\n", y, implemented, psum_out, act_out, decode_row(v[231:200]));
    end
    $fclose(out);
    $finish;
  end
endmodule

// Port-level test bench of the walker halves (odometer.sv, affine.sv), for Verilator
// (--binary) and Icarus (4-state): each vector of +vectors=FILE (hex, one per line, `+n=N`
// of them) is a loop nest; the bench steps the odometer from all-zero indices until it
// carries and writes the affine address of every position, then `-`, to +out=FILE.
// Vector bits, high to low: base 64 | stride 32 x 6 (loop 5 first) | n 17 x 6 | active 6.
module walkers_tb;
  localparam int L = 6;
  logic [511:0] vectors [1024];
  logic [511:0] v;
  logic [L-1:0] active;
  logic [L-1:0][16:0] n, idx, next;
  logic [L-1:0][31:0] stride;
  logic [63:0] base, addr;
  logic carry;
  integer count, i, steps, out;
  string vector_file, out_file;

  assign active = v[5:0];
  assign n = v[107:6];
  assign stride = v[299:108];
  assign base = v[363:300];

  odometer #(.L(L)) u_odometer (.active, .n, .idx, .next, .carry);
  affine #(.L(L)) u_affine (.base, .active, .stride, .idx, .addr);

  initial begin
    if (!$value$plusargs("vectors=%s", vector_file) || !$value$plusargs("out=%s", out_file)
        || !$value$plusargs("n=%d", count)) $fatal(1, "usage: +vectors=FILE +out=FILE +n=N");
    $readmemh(vector_file, vectors, 0, count - 1);
    out = $fopen(out_file, "w");
    for (i = 0; i < count; i = i + 1) begin
      v = vectors[i];
      idx = '0;
      steps = 0;
      #1 $fwrite(out, "%h\n", addr);
      while (carry !== 1'b1 && steps < 5000) begin  // a carry that is X or never comes ends the nest too
        idx = next;
        steps = steps + 1;
        #1 $fwrite(out, "%h\n", addr);
      end
      $fwrite(out, "- %b\n", carry);
    end
    $fclose(out);
    $finish;
  end
endmodule

// DO NOT EDIT, generated from isa_spec @ceea66c7c7f64378 by `genesys gen`.
// Arch config 'default', a package the RTL top imports (the units take what they
// need as parameters). Not every module uses every parameter.
/* verilator lint_off UNUSEDPARAM */
/* verilator lint_off DECLFILENAME */
package npu_params;
  localparam int ARRAY_N = 16;
  localparam int ARRAY_M = 16;
  localparam int IBUF_DEPTH = 4096;
  localparam int WBUF_DEPTH = 1024;
  localparam int BBUF_DEPTH = 256;
  localparam int OBUF_DEPTH = 2048;
  localparam int VMEM_DEPTH = 2048;
  localparam int IMM_DEPTH = 32;
  localparam int IMEM_DEPTH = 65536;
  localparam int DRAM_BYTES = 134217728;
  localparam int BEAT_BYTES = 64;
  localparam int WEIGHT_BANKS = 4;
endpackage
/* verilator lint_on DECLFILENAME */
/* verilator lint_on UNUSEDPARAM */

// DO NOT EDIT, generated from isa_spec @ceea66c7c7f64378 by `genesys gen`.
// Arch config 'tiny', a package the RTL top imports (the units take what they
// need as parameters). Not every module uses every parameter.
/* verilator lint_off UNUSEDPARAM */
/* verilator lint_off DECLFILENAME */
package npu_params;
  localparam int ARRAY_N = 4;
  localparam int ARRAY_M = 4;
  localparam int IBUF_DEPTH = 512;
  localparam int WBUF_DEPTH = 256;
  localparam int BBUF_DEPTH = 64;
  localparam int OBUF_DEPTH = 256;
  localparam int VMEM_DEPTH = 256;
  localparam int IMM_DEPTH = 32;
  localparam int IMEM_DEPTH = 4096;
  localparam int DRAM_BYTES = 1048576;
  localparam int BEAT_BYTES = 16;
  localparam int WEIGHT_BANKS = 4;
endpackage
/* verilator lint_on DECLFILENAME */
/* verilator lint_on UNUSEDPARAM */

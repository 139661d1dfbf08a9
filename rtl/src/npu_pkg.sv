// What the NPU's modules share beyond the ISA package: the commit-trace event every unit
// emits, the fault a unit reports to the sequencer (which owns the fault registers), a Tandem
// unit's answer to the instruction being decoded, the running Tandem loop nest, and the five
// buffer accesses of an array step.
package npu_pkg;
  import genesys_isa::*;

  // Commit-trace kinds and codes (rtl/driver.py and the C++ harness parse them).
  localparam logic [3:0] TR_DMA = 4'd1, TR_TILE = 4'd2, TR_VWRITE = 4'd3, TR_FLUSH = 4'd4, TR_FAULT = 4'd5;
  localparam logic [3:0] TRACE_SPACE_IMEM = 4'd4;  // an SA DMA trace's space beyond the four buffers
  localparam logic TRACE_SA = 1'b0, TRACE_TANDEM = 1'b1;

  typedef struct packed {
    logic        valid;
    logic [3:0]  kind;   // TR_*
    logic        unit;   // TRACE_SA or TRACE_TANDEM
    logic [31:0] pc;
    logic        dir;    // 0 LD, 1 ST
    logic [3:0]  space;  // SA buffer code, Tandem namespace, or fault kind
    logic [63:0] a;      // DRAM byte address
    logic [31:0] b;      // first buffer word / written word / OBUF lo
    logic [31:0] c;      // words moved / OBUF hi / flush-after flag
    logic [31:0] d;      // tile number / DMA element bytes
  } trace_t;

  function automatic trace_t trace_event(input logic [3:0] kind, input logic unit, input logic [31:0] pc,
                                         input logic dir, input logic [3:0] space, input logic [63:0] a,
                                         input logic [31:0] b, input logic [31:0] c, input logic [31:0] d);
    trace_event = '{valid: 1'b1, kind: kind, unit: unit, pc: pc, dir: dir, space: space, a: a, b: b, c: c, d: d};
  endfunction

  typedef struct packed {
    logic       valid;
    logic [3:0] kind;  // FAULT_*
  } fault_t;
  localparam fault_t NO_FAULT = '0;

  function automatic fault_t fault_of(input logic [3:0] kind);
    fault_of = '{valid: 1'b1, kind: kind};
  endfunction

  // A Tandem unit's answer to the instruction being decoded: the row is its own, the
  // instruction faults, or it runs for more than its decode cycle (the unit says when done).
  typedef struct packed {
    logic   mine;
    logic   runs;
    fault_t fault;
  } claim_t;

  // Operand positions of a Tandem word (iterator bindings come in this order).
  localparam logic [1:0] POS_DST = 2'd0, POS_SRC1 = 2'd1, POS_SRC2 = 2'd2;

  // One level of the running Tandem loop nest (outermost first): its index and the iterator
  // bindings SET_INDEX gave its loop level, one (namespace, entry) per operand position.
  typedef struct packed {
    logic            active;
    logic [15:0]     index;
    logic            bound;
    logic [2:0][2:0] ns;
    logic [2:0][4:0] idx;
  } loop_level_t;

  // A read of a Tandem namespace word: OBUF, IBUF, VMEM1, VMEM2 at `addr`, or IMM entry `addr`.
  typedef struct packed {
    logic               en;
    logic [2:0]         ns;
    logic signed [63:0] addr;
  } ns_read_t;

  // The buffer accesses of an array step, each through its own walker.
  localparam int STEP_ACT = 0, STEP_WGT = 1, STEP_BIAS = 2, STEP_PSUM = 3, STEP_OUT = 4, STEP_ACCESSES = 5;
  localparam logic [1:0] STEP_ACCESS [STEP_ACCESSES] = '{ACC_RD, ACC_RD, ACC_RD, ACC_RD, ACC_WR};
  localparam logic [1:0] STEP_BUF [STEP_ACCESSES] = '{BUF_IBUF, BUF_WBUF, BUF_BBUF, BUF_OBUF, BUF_OBUF};
endpackage

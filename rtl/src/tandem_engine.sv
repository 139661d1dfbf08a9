// The Tandem processor's lanes: the iterator tables and IMM (ITERATOR_CONFIG), the lane format
// (DTYPE_CFG), and lane instructions, M lanes at once (tandem_lane.sv). A lane instruction
// runs in the cycle after its decode: its operands are read at base + the strides its loop
// levels bind x their indices, checked in the spec's order, and its dst word written.
module tandem_engine
  import genesys_isa::*;
  import npu_pkg::*;
#(
    parameter int N = 4,
    parameter int M = 4,
    parameter int IBUF_DEPTH = 512,
    parameter int OBUF_DEPTH = 256,
    parameter int VMEM_DEPTH = 256,
    parameter int IMM_DEPTH = 32,
    localparam int VW = M * 32
) (
    input  logic          clk,
    input  logic          rst,
    input  logic          decode,      // the sequencer hands a SIMD group's instruction to the Tandem units
    input  logic [31:0]   ir,
    input  row_t          row,
    input  logic [31:0]   pc,
    output claim_t        claim,
    output logic          done,        // the lane instruction is done (combinational)
    output fault_t        fault,
    input  loop_level_t [7:0] loops,   // the running loop nest (sequencer.sv)
    input  logic          loops_idle,  // no loop runs: the write commits alone
    // operand reads (POS_DST, POS_SRC1, POS_SRC2), the dst write and IMM writes (buffers.sv)
    output ns_read_t [2:0]          opnd,
    input  logic     [2:0][VW-1:0] opnd_word,
    output logic          ns_we,
    output logic [2:0]    ns_wns,
    output logic [31:0]   ns_waddr,
    output logic [VW-1:0] ns_wdata,
    output logic          imm_we,
    output logic [4:0]    imm_widx,
    output logic [31:0]   imm_wdata,
    output trace_t        trace
);
  localparam bit SQUARE = N == M;  // IBUF is a Tandem namespace only when it has one value per lane

  logic signed [31:0] it_base [4][32];
  logic signed [31:0] it_stride [4][32];
  logic [15:0] iter_latch;
  logic [5:0]  int_bits [3];              // dst, src1, src2 integer bits
  logic [5:0]  lane_bits;                 // lane width: 32, 16 or 8 (DTYPE_CFG_FXPn)
  logic        running;                   // the lane instruction decoded last cycle

  // Views of the instruction word, one per layout; each unit reads only the fields it needs.
  /* verilator lint_off UNUSEDSIGNAL */
  tandem_word_t   t;
  base_sign_ext_t iter;                   // every ITERATOR_CONFIG row's layout (IMM rows: ns is fixed)
  dtype_cfg_t     cfg;
  /* verilator lint_on UNUSEDSIGNAL */
  assign t = ir;
  assign iter = ir;
  assign cfg = ir;

  // A stride x a loop index, exact in SCALED_BITS (a signed 32-bit stride, an unsigned index): the
  // low 64 bits of a 64 x 64-bit product of the widened operands, at a quarter of its cells.
  localparam int INDEX_BITS = $bits(loops[0].index), SCALED_BITS = 32 + INDEX_BITS;
  function automatic logic signed [SCALED_BITS-1:0] scaled(input logic signed [31:0] stride,
                                                           input logic [INDEX_BITS-1:0] index);
    return SCALED_BITS'(stride) * SCALED_BITS'(signed'({1'b0, index}));
  endfunction

  // Operand addresses: base of (ns, idx) + sum over running loop levels of index x bound stride.
  function automatic logic signed [63:0] operand_addr(input logic [1:0] ns, input logic [4:0] idx, input logic [1:0] pos);
    operand_addr = 64'(it_base[ns][idx]);
    for (int lv = 0; lv < 8; lv++)
      if (loops[lv].active && loops[lv].bound && loops[lv].ns[pos] != NS_IMM)
        operand_addr += 64'(scaled(it_stride[loops[lv].ns[pos][1:0]][loops[lv].idx[pos]], loops[lv].index));
  endfunction

  function automatic int unsigned ns_depth(input logic [2:0] ns);
    ns_depth = ns == NS_OBUF ? OBUF_DEPTH : ns == NS_IBUF ? IBUF_DEPTH : VMEM_DEPTH;
  endfunction

  // The operands' namespaces, entries and word addresses (an IMM operand's address is its entry).
  logic [2:0] ns [3];
  logic [4:0] idx [3];
  logic signed [63:0] addr [3];
  assign ns = '{t.dst_ns, t.src1_ns, t.src2_ns};
  assign idx = '{t.dst_idx, t.src1_idx, t.src2_idx};
  for (genvar p = 0; p < 3; p++) begin : g_operand
    assign addr[p] = ns[p] == NS_IMM ? 64'(idx[p]) : operand_addr(ns[p][1:0], idx[p], 2'(p));
    assign opnd[p] = '{en: running, ns: ns[p], addr: addr[p]};
  end

  function automatic fault_t operand_fault(input logic [1:0] p);
    operand_fault = NO_FAULT;
    if (ns[p] == NS_IMM) begin
      if (32'(idx[p]) >= IMM_DEPTH) operand_fault = fault_of(FAULT_ADDRESS_OUT_OF_RANGE);
    end else if (ns[p] == NS_IBUF && !SQUARE) operand_fault = fault_of(FAULT_BAD_CONFIG);
    else if (addr[p] < 0 || addr[p] >= 64'(ns_depth(ns[p]))) operand_fault = fault_of(FAULT_ADDRESS_OUT_OF_RANGE);
  endfunction

  logic one_source, reads_dst;
  assign one_source = ROW_ONE_SOURCE[row];
  assign reads_dst = ROW_READS_DST[row];

  logic [VW-1:0] lane_b, lane_y;
  logic [M-1:0]  lane_impl;
  logic [5:0] frac [3];  // fraction bits of dst, src1, src2: lane width minus integer bits
  for (genvar p = 0; p < 3; p++) begin : g_frac
    assign frac[p] = lane_bits - int_bits[p];
  end
  assign lane_b = one_source ? '0 : opnd_word[POS_SRC2];
  for (genvar l = 0; l < M; l++) begin : g_lane
    tandem_lane u_lane (.row, .a(opnd_word[POS_SRC1][32*l +: 32]), .b(lane_b[32*l +: 32]),
                        .d(opnd_word[POS_DST][32*l +: 32]), .width(lane_bits), .frac, .y(lane_y[32*l +: 32]),
                        .implemented(lane_impl[l]));
  end

  // The first fault of the lane instruction, in the spec's order.
  fault_t lane_fault;
  always_comb begin
    lane_fault = NO_FAULT;
    if (!(&lane_impl)) lane_fault = fault_of(FAULT_UNIMPLEMENTED);
    if (!lane_fault.valid) lane_fault = operand_fault(POS_SRC1);
    if (!lane_fault.valid && !one_source) lane_fault = operand_fault(POS_SRC2);
    if (!lane_fault.valid && reads_dst) lane_fault = operand_fault(POS_DST);
    if (!lane_fault.valid) lane_fault = operand_fault(POS_DST);
  end
  assign fault = running ? lane_fault : NO_FAULT;
  assign done = running && !lane_fault.valid;
  assign ns_we = done;
  assign ns_wns = t.dst_ns;
  assign ns_waddr = 32'(addr[POS_DST]);
  assign ns_wdata = lane_y;

  // The value an ITERATOR_CONFIG row writes (a LOW half writes nothing: it is latched).
  logic signed [31:0] iter_value;
  always_comb
    unique case (row_iter_part(row))
      ITER_SIGN_EXT: iter_value = 32'(signed'(iter.value));
      ITER_ZEROFILL: iter_value = {16'd0, iter.value};
      default:       iter_value = {iter.value, iter_latch};
    endcase

  logic [5:0] cfg_width;  // the lane width of a DTYPE_CFG row
  assign cfg_width = row_lane_width(row);
  always_comb begin
    claim = '0;
    if (ROW_LANE[row]) claim = '{mine: 1'b1, runs: 1'b1, fault: NO_FAULT};
    else unique case (row)
      ROW_BASE_SIGN_EXT, ROW_BASE_LOW, ROW_BASE_HIGH, ROW_BASE_ZEROFILL, ROW_STRIDE_SIGN_EXT, ROW_STRIDE_LOW,
      ROW_STRIDE_HIGH, ROW_STRIDE_ZEROFILL, ROW_SET_IMM_LOW, ROW_SET_IMM_HIGH, ROW_IMM_SIGN_EXT: begin
        claim.mine = 1'b1;
        if (row_iter_target(row) == ITER_IMM && row_iter_part(row) != ITER_LOW && 32'(iter.idx) >= IMM_DEPTH)
          claim.fault = fault_of(FAULT_ADDRESS_OUT_OF_RANGE);
      end
      ROW_DTYPE_CFG_FXP32, ROW_DTYPE_CFG_FXP16, ROW_DTYPE_CFG_FXP8: begin
        claim.mine = 1'b1;
        if (cfg.dst_int < 1 || cfg.dst_int > 8'(cfg_width) || cfg.src1_int < 1 || cfg.src1_int > 8'(cfg_width)
            || cfg.src2_int < 1 || cfg.src2_int > 8'(cfg_width))
          claim.fault = fault_of(FAULT_BAD_CONFIG);
      end
      default: ;
    endcase
  end

  logic apply;  // the decoded instruction is this unit's and does not fault
  assign apply = decode && claim.mine && !claim.fault.valid;
  assign imm_we = apply && row_iter_target(row) == ITER_IMM && row_iter_part(row) != ITER_LOW;
  assign imm_widx = iter.idx;
  assign imm_wdata = iter_value;

  always_ff @(posedge clk) begin
    trace.valid <= 1'b0;
    running <= 1'b0;
    if (rst) begin
      int_bits <= '{row_lane_width(ROW_DTYPE_CFG_FXP32), row_lane_width(ROW_DTYPE_CFG_FXP32),
                    row_lane_width(ROW_DTYPE_CFG_FXP32)};  // the machine starts as FXP32, all integer bits
      lane_bits <= row_lane_width(ROW_DTYPE_CFG_FXP32);
      iter_latch <= '0;  // iterator tables and memories start at zero (the harness zero-initialises)
    end else if (running && !lane_fault.valid)
      trace <= trace_event(TR_VWRITE, TRACE_TANDEM, pc, 1'b0, {1'b0, t.dst_ns}, 64'd0, ns_waddr, {31'd0, loops_idle}, '0);
    else if (apply) begin
      if (ROW_LANE[row]) running <= 1'b1;
      else if (cfg_width != 0) begin  // a row that sets the lane width
        lane_bits <= cfg_width;
        int_bits <= '{cfg.dst_int[5:0], cfg.src1_int[5:0], cfg.src2_int[5:0]};
      end else if (row_iter_part(row) == ITER_LOW) iter_latch <= iter.value;
      else if (row_iter_target(row) == ITER_BASE) it_base[iter.ns[1:0]][iter.idx] <= iter_value;
      else if (row_iter_target(row) == ITER_STRIDE) it_stride[iter.ns[1:0]][iter.idx] <= iter_value;
    end
  end
endmodule

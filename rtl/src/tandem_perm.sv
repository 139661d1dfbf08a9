// The Tandem permutation: PERM_START copies words from one namespace to another, one word a
// cycle, over up to 32 loops that nest by ascending index (the highest index moves fastest;
// odometer.sv steps them); the source and destination word addresses are each a base plus the
// sum of signed strides x indices. The loops' bases and strides start over in every SIMD group.
module tandem_perm
  import genesys_isa::*;
  import npu_pkg::*;
#(
    parameter int N = 4,
    parameter int M = 4,
    parameter int IBUF_DEPTH = 512,
    parameter int OBUF_DEPTH = 256,
    parameter int VMEM_DEPTH = 256,
    localparam int VW = M * 32
) (
    input  logic          clk,
    input  logic          rst,
    input  logic          group_start,  // a SIMD group starts: forget bases, strides and loops
    input  logic          decode,
    input  logic [31:0]   ir,
    input  row_t          row,
    input  logic [31:0]   pc,
    output claim_t        claim,
    output logic          done,         // the last word is written (combinational)
    output fault_t        fault,
    output ns_read_t      src,          // buffers.sv: the word read,
    input  logic [VW-1:0] src_word,
    output logic          ns_we,        // and written
    output logic [2:0]    ns_wns,
    output logic [31:0]   ns_waddr,
    output logic [VW-1:0] ns_wdata,
    output trace_t        trace
);
  localparam bit SQUARE = N == M;  // IBUF is a Tandem namespace only when it has one value per lane
  localparam int RD = 0, WR = 1;

  logic [15:0]        perm_base [2];          // RD, WR base words
  logic [31:0][16:0]  perm_iters;
  logic [31:0]        perm_iter_v;
  logic signed [15:0] perm_stride [2][32];    // RD, WR word strides
  logic [31:0][16:0]  px;                     // the current point
  logic [31:0][16:0]  px_next;
  logic signed [63:0] perm_addr [2];
  logic               perm_empty, perm_last, running;
  logic [2:0]         src_ns, dst_ns;

  // Views of the instruction word, one per layout; each unit reads only the fields it needs.
  /* verilator lint_off UNUSEDSIGNAL */
  perm_set_base_addr_t   set_base;
  perm_set_loop_iter_t   set_iter;
  perm_set_loop_stride_t set_stride;
  perm_start_t           start;
  /* verilator lint_on UNUSEDSIGNAL */
  assign set_base = ir;
  assign set_iter = ir;
  assign set_stride = ir;
  assign start = ir;

  odometer #(.L(32)) u_perm_loops (.active(perm_iter_v), .n(perm_iters), .idx(px), .next(px_next), .carry(perm_last));
  always_comb begin
    perm_empty = 1'b0;
    for (int rw = 0; rw < 2; rw++) perm_addr[rw] = 64'(perm_base[rw]);
    for (int k = 0; k < 32; k++)
      if (perm_iter_v[k]) begin
        for (int rw = 0; rw < 2; rw++) perm_addr[rw] += 64'(perm_stride[rw][k]) * 64'(px[k]);
        if (perm_iters[k] == 0) perm_empty = 1'b1;
      end
  end

  function automatic int unsigned ns_depth(input logic [2:0] ns);
    ns_depth = ns == NS_OBUF ? OBUF_DEPTH : ns == NS_IBUF ? IBUF_DEPTH : VMEM_DEPTH;
  endfunction

  always_comb begin
    claim = '0;
    unique case (row)
      ROW_PERM_SET_BASE_ADDR, ROW_PERM_SET_LOOP_ITER, ROW_PERM_SET_LOOP_STRIDE: claim.mine = 1'b1;
      ROW_PERM_START: begin
        claim.mine = 1'b1;
        if (start.src1_ns == NS_IMM || (start.src1_ns == NS_IBUF && !SQUARE)) claim.fault = fault_of(FAULT_BAD_CONFIG);
        else claim.runs = !perm_empty;  // no points: nothing is written
      end
      default: ;
    endcase
    fault = NO_FAULT;
    if (running) begin
      if (perm_addr[RD] < 0 || perm_addr[RD] >= 64'(ns_depth(src_ns))) fault = fault_of(FAULT_ADDRESS_OUT_OF_RANGE);
      else if (dst_ns == NS_IBUF && !SQUARE) fault = fault_of(FAULT_BAD_CONFIG);
      else if (perm_addr[WR] < 0 || perm_addr[WR] >= 64'(ns_depth(dst_ns))) fault = fault_of(FAULT_ADDRESS_OUT_OF_RANGE);
    end
  end

  assign src = '{en: running, ns: src_ns, addr: perm_addr[RD]};
  assign ns_we = running && !fault.valid;
  assign ns_wns = dst_ns;
  assign ns_waddr = 32'(perm_addr[WR]);
  assign ns_wdata = src_word;
  assign done = ns_we && perm_last;

  always_ff @(posedge clk) begin
    trace.valid <= 1'b0;
    if (rst) running <= 1'b0;
    else if (running) begin
      if (fault.valid) running <= 1'b0;  // the sequencer takes the fault
      else begin
        trace <= trace_event(TR_VWRITE, TRACE_TANDEM, pc, 1'b0, {1'b0, dst_ns}, 64'd0, ns_waddr, {31'd0, perm_last}, '0);
        px <= px_next;
        if (perm_last) running <= 1'b0;
      end
    end
    if (group_start) begin
      perm_iter_v <= '0;
      perm_base <= '{16'd0, 16'd0};
      for (int k = 0; k < 32; k++) perm_stride[RD][k] <= '0;
      for (int k = 0; k < 32; k++) perm_stride[WR][k] <= '0;
    end else if (decode && claim.mine && !claim.fault.valid)
      unique case (row)
        ROW_PERM_SET_BASE_ADDR: perm_base[set_base.rw] <= set_base.value;
        ROW_PERM_SET_LOOP_ITER: begin
          perm_iters[set_iter.idx] <= 17'(set_iter.iters);
          perm_iter_v[set_iter.idx] <= 1'b1;
        end
        ROW_PERM_SET_LOOP_STRIDE: perm_stride[set_stride.rw][set_stride.idx] <= set_stride.value;
        ROW_PERM_START:
          if (claim.runs) begin
            px <= '0;
            src_ns <= start.src1_ns;
            dst_ns <= start.dst_ns;
            running <= 1'b1;
          end
        default: ;
      endcase
  end
endmodule

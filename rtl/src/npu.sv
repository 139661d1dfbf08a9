// The NPU: instruction sequencer, systolic-array block controller with its address walkers
// and DMA, the Tandem processor (iterator tables, nested loops, lanes, DMA), and a
// commit-trace port. A multi-cycle sequencer around a pipelined array: array steps enter one
// per cycle and their results are accumulated into OBUF in issue order as they leave it;
// everything else (transfers, Tandem instructions) runs one operation at a time.
//
// The harness loads `imem` and `dram` (public arrays), starts the machine and reads its status
// and performance counters through the control/status registers (isa_spec/csr.py), samples
// the trace port after every clock edge and reads buffer words through the debug port.
`include "params.svh"

module npu
  import genesys_isa::*;
#(
    localparam int N = ARRAY_N,
    localparam int M = ARRAY_M,
    localparam int IW = N * 8,          // IBUF word bits
    localparam int WW = N * M * 8,      // WBUF word bits
    localparam int VW = M * 32,         // BBUF/OBUF/VMEM word bits
    localparam int DBG_W0 = WW > VW ? WW : VW,
    localparam int DBG_W = DBG_W0 > 128 ? DBG_W0 : 128  // always a wide word for the harness
) (
    input  logic             clk,
    input  logic             rst,
    input  logic             csr_we,       // control/status registers: write strobe,
    input  logic [5:0]       csr_addr,     // word address (CSR_*),
    input  logic [31:0]      csr_wdata,
    output logic [31:0]      csr_rdata,    // and the addressed register, combinationally
    output logic             trace_valid,
    output logic [3:0]       trace_kind,   // TR_*
    output logic             trace_unit,   // 0 SA, 1 Tandem
    output logic [31:0]      trace_pc,
    output logic             trace_dir,    // 0 LD, 1 ST
    output logic [3:0]       trace_space,  // SA buffer code, Tandem namespace, or fault kind
    output logic [63:0]      trace_a,      // DRAM byte address
    output logic [31:0]      trace_b,      // first buffer word / written word / OBUF lo
    output logic [31:0]      trace_c,      // words moved / OBUF hi / flush-after flag
    output logic [31:0]      trace_d,      // tile number / DMA element bytes
    input  logic [2:0]       dbg_sel,      // 0 IBUF 1 WBUF 2 BBUF 3 OBUF 4 VMEM1 5 VMEM2
    input  logic [31:0]      dbg_addr,
    output logic [DBG_W-1:0] dbg_data
);
  localparam logic [3:0] TR_DMA = 4'd1, TR_TILE = 4'd2, TR_VWRITE = 4'd3, TR_FLUSH = 4'd4, TR_FAULT = 4'd5;

  // ---- control/status registers ----------------------------------------------------------------------
  localparam int NCOUNT = 6;  // CYCLES, TILES, SA_STEPS, TANDEM_WRITES, SA_DMA_WORDS, TANDEM_DMA_WORDS
  logic        start, started, halted, faulted;
  logic [31:0] prog_len, prog_base, fault_pc;
  logic [3:0]  fault_kind;
  logic [63:0] counter [NCOUNT];
  assign start = csr_we && csr_addr == CSR_CTRL && csr_wdata[0];
  logic [3:0] counter_word;  // LO/HI word of the counters, from CSR_CYCLES_LO on
  assign counter_word = 4'(csr_addr - CSR_CYCLES_LO);
  always_comb begin
    csr_rdata = '0;  // CTRL and unmapped words read as zero
    unique case (csr_addr)
      CSR_STATUS:    csr_rdata = {24'd0, fault_kind, 1'b0, faulted, halted, started && !halted};
      CSR_PROG_LEN:  csr_rdata = prog_len;
      CSR_PROG_BASE: csr_rdata = prog_base;
      CSR_FAULT_PC:  csr_rdata = fault_pc;
      default:
        if (csr_addr >= CSR_CYCLES_LO && csr_addr <= CSR_TANDEM_DMA_WORDS_HI)
          csr_rdata = counter_word[0] ? counter[counter_word[3:1]][63:32] : counter[counter_word[3:1]][31:0];
    endcase
  end

  typedef logic [$clog2(IBUF_DEPTH)-1:0] ibuf_idx_t;
  typedef logic [$clog2(WBUF_DEPTH)-1:0] wbuf_idx_t;
  typedef logic [$clog2(BBUF_DEPTH)-1:0] bbuf_idx_t;
  typedef logic [$clog2(OBUF_DEPTH)-1:0] obuf_idx_t;
  typedef logic [$clog2(VMEM_DEPTH)-1:0] vmem_idx_t;
  typedef logic [$clog2(DRAM_BYTES)-1:0] dram_idx_t;

  // ---- memories -------------------------------------------------------------------------------
  logic [31:0] imem [IMEM_DEPTH] /*verilator public*/;
  logic [7:0]  dram [DRAM_BYTES] /*verilator public*/;
  logic [IW-1:0] ibuf [IBUF_DEPTH];
  logic [WW-1:0] wbuf [WBUF_DEPTH];
  logic [VW-1:0] bbuf [BBUF_DEPTH];
  logic [VW-1:0] obuf [OBUF_DEPTH];
  logic [VW-1:0] vmem [2][VMEM_DEPTH];
  logic signed [31:0] imm [IMM_DEPTH];

  always_comb begin
    dbg_data = '0;
    unique case (dbg_sel)
      3'd0: if (dbg_addr < IBUF_DEPTH) dbg_data = DBG_W'(ibuf[dbg_addr]);
      3'd1: if (dbg_addr < WBUF_DEPTH) dbg_data = DBG_W'(wbuf[dbg_addr]);
      3'd2: if (dbg_addr < BBUF_DEPTH) dbg_data = DBG_W'(bbuf[dbg_addr]);
      3'd3: if (dbg_addr < OBUF_DEPTH) dbg_data = DBG_W'(obuf[dbg_addr]);
      3'd4: if (dbg_addr < VMEM_DEPTH) dbg_data = DBG_W'(vmem[0][dbg_addr]);
      3'd5: if (dbg_addr < VMEM_DEPTH) dbg_data = DBG_W'(vmem[1][dbg_addr]);
      default: dbg_data = '0;
    endcase
  end

  // ---- sequencer state ----------------------------------------------------------------------
  typedef enum logic [5:0] {
    S_IDLE, S_FETCH, S_DECODE, S_GROUP_TAIL, S_GROUP_CHECK, S_ADVANCE, S_FAULT, S_HALT,
    S_SA_END, S_TILE_BEGIN, S_XFER_PICK, S_REQ, S_MOVE, S_COMP_BEGIN, S_STEP, S_STEP_DRAIN, S_TILE_END,
    S_LANE, S_DMA_START, S_DMA_REQ, S_DMA_MOVE, S_IMEM_REQ, S_IMEM_MOVE, S_PERM
  } state_t;
  typedef enum logic [1:0] {MODE_TOP, MODE_SA, MODE_SIMD} mode_t;

  state_t state;
  mode_t mode;
  logic [31:0] pc, last_fetch, group_start, group_end;
  logic [31:0] ir, tail;
  logic        head_simd, head_buf;      // SYNC_INST START: unit SIMD, kind BUF
  logic [21:0] head_tag;                 // group and count
  logic tail_fetched;
  row_t row;
  assign row = decode_row(ir);
  logic [5:0] cfg_width;  // the lane width a DTYPE_CFG_FXPn row sets
  assign cfg_width = row == ROW_DTYPE_CFG_FXP16 ? 6'd16 : row == ROW_DTYPE_CFG_FXP8 ? 6'd8 : 6'd32;

  // ---- systolic-array block configuration ------------------------------------------------------
  logic [5:0]  tile_id [8];
  logic [7:0][16:0] tile_n;
  logic [3:0]  ntile;
  logic [5:0]  comp_id [8];
  logic [7:0][16:0] comp_n;
  logic [3:0]  ncomp;
  logic [5:0]  xfer_id [8][6];
  logic [5:0][16:0] xfer_n [8];
  logic [2:0]  nxfer   [8];
  logic [63:0] declared, reduction;
  logic        dup_loop, dup_xfer;
  logic [31:0] stride_mem [1024];         // {access, buffer, loop id}
  logic [1023:0] stride_v;                // entries written in this group
  logic [31:0] sa_base [4];
  logic [15:0] stride_low, base_low;
  // Instruction-memory loads of the SA group (LD_ST target=IMEM), run after its block.
  localparam int IMEM_LOADS = IMEM_LOADS_PER_GROUP;  // one more in a group is a BAD_CONFIG fault
  localparam logic [3:0] TRACE_SPACE_IMEM = 4'd4;  // an SA DMA trace's space beyond the four buffers
  logic [31:0] imem_base, imem_a, imem_w, imem_n, prog_ext;
  logic [15:0] imem_q [IMEM_LOADS];
  logic [4:0]  nimem, imem_k;
  logic [31:0] prog_end;  // the program's length: what the host loaded, or more after IMEM loads
  assign prog_end = prog_ext > prog_len ? prog_ext : prog_len;
  logic        x_dir  [8];
  logic [1:0]  x_buf  [8];
  logic [15:0] x_size [8];
  logic [3:0]  nx;
  logic [7:0]  have_x;                    // {dir, buffer}

  // ---- systolic-array block execution ------------------------------------------------------------
  logic [7:0][16:0] tix;                  // loop indices of the walkers (odometer.sv, affine.sv)
  logic [5:0][16:0] xix;
  logic [7:0][16:0] cix;
  logic [3:0]  xj;                        // transfer being run (0..nx)
  logic [2:0]  xk;
  logic [2:0]  cur_slot;                  // {dir, buffer} of transfer xk
  assign cur_slot = {x_dir[xk], x_buf[xk]};
  logic        st_phase, first_outer, has_bias;
  logic [31:0] buf_ptr, wcount, tile_no, lo, hi;
  logic [63:0] req_addr;
  logic        arr_in_valid, arr_out_valid, arr_swap, arr_busy;
  logic [IW-1:0] arr_act;
  logic [WW-1:0] arr_wgt;
  logic [VW-1:0] arr_psum;
  // What the result of a step needs when it leaves the array: whether it starts a reduction
  // (bias, not OBUF, is its accumulator) and its OBUF write, OBUF read and BBUF words.
  typedef struct packed {
    logic      first;
    obuf_idx_t wr;
    obuf_idx_t rd;
    logic [$clog2(BBUF_DEPTH)-1:0] bias;
  } step_tag_t;
  step_tag_t arr_tag, out_tag;
  logic [31:0] last_wgt;                  // WBUF word under the shadow weights (all ones: none)
  logic [7:0]  since_swap;                // cycles since a step last changed the weights

  systolic_array #(.N(N), .M(M), .TAG_W($bits(step_tag_t))) u_array (
      .clk, .rst, .in_valid(arr_in_valid), .swap(arr_swap), .act(arr_act), .wgt(arr_wgt), .tag_in(arr_tag),
      .out_valid(arr_out_valid), .psum(arr_psum), .tag_out(out_tag), .busy(arr_busy));

  function automatic logic [31:0] stride(input logic [1:0] access, input logic [1:0] b, input logic [5:0] lid);
    return stride_v[{access, b, lid}] ? stride_mem[{access, b, lid}] : '0;
  endfunction

  function automatic int unsigned word_bytes(input logic [1:0] b);
    unique case (b)
      BUF_WBUF[1:0]: return N * M;
      BUF_IBUF[1:0]: return N;
      default:       return 4 * M;
    endcase
  endfunction

  function automatic int unsigned depth_of(input logic [1:0] b);
    unique case (b)
      BUF_WBUF[1:0]: return WBUF_DEPTH;
      BUF_IBUF[1:0]: return IBUF_DEPTH;
      BUF_BBUF[1:0]: return BBUF_DEPTH;
      default:       return OBUF_DEPTH;
    endcase
  endfunction

  // The first `count` of eight loops.
  function automatic logic [7:0] first_loops(input logic [3:0] count);
    return 8'((9'd1 << count) - 9'd1);
  endfunction

  // DRAM byte address of the current request of transfer xk: the tile loops, then its own.
  logic [7:0][31:0] req_tile_stride;
  logic [5:0][31:0] req_xfer_stride;
  logic [63:0] req_tile_addr, sa_req_addr;
  always_comb begin
    for (int k = 0; k < 8; k++) req_tile_stride[k] = stride({1'b0, x_dir[xk]}, x_buf[xk], tile_id[k]);
    for (int k = 0; k < 6; k++) req_xfer_stride[k] = stride({1'b0, x_dir[xk]}, x_buf[xk], xfer_id[cur_slot][k]);
  end
  affine #(.L(8)) u_req_tile (.base(64'(sa_base[x_buf[xk]])), .active(first_loops(ntile)), .stride(req_tile_stride),
                              .idx(tix), .addr(req_tile_addr));
  affine #(.L(6)) u_req_xfer (.base(req_tile_addr), .active(6'(first_loops({1'b0, nxfer[cur_slot]}))),
                              .stride(req_xfer_stride), .idx(xix), .addr(sa_req_addr));

  // Buffer word addresses of the current array step: IBUF, WBUF, BBUF, OBUF read; OBUF write.
  localparam logic [1:0] STEP_ACCESS [5] = '{ACC_RD[1:0], ACC_RD[1:0], ACC_RD[1:0], ACC_RD[1:0], ACC_WR[1:0]};
  localparam logic [1:0] STEP_BUF [5] = '{BUF_IBUF[1:0], BUF_WBUF[1:0], BUF_BBUF[1:0], BUF_OBUF[1:0], BUF_OBUF[1:0]};
  logic [63:0] step_addr [5];
  logic [7:0][31:0] step_stride [5];
  logic [2:0]  step_bad;                  // first out-of-range access + 1, 0 if none
  logic        step_first;
  for (genvar j = 0; j < 5; j++) begin : g_step
    always_comb
      for (int k = 0; k < 8; k++) step_stride[j][k] = stride(STEP_ACCESS[j], STEP_BUF[j], comp_id[k]);
    affine #(.L(8)) u_step_addr (.base('0), .active(first_loops(ncomp)), .stride(step_stride[j]), .idx(cix),
                                 .addr(step_addr[j]));
  end
  always_comb begin
    step_bad = 3'd0;
    for (int j = 4; j >= 0; j--)
      if (step_addr[j] >= 64'(depth_of(STEP_BUF[j]))) step_bad = 3'(j + 1);
    step_first = first_outer;
    for (int k = 0; k < 8; k++)
      if (k < int'(ncomp) && reduction[comp_id[k]] && cix[k] != 0) step_first = 1'b0;
  end

  // ---- Tandem state ---------------------------------------------------------------------------------
  logic signed [31:0] it_base [4][32];
  logic signed [31:0] it_stride [4][32];
  logic [15:0] iter_latch, dma_low;
  logic [5:0]  int_bits [3];              // dst, src1, src2 integer bits
  logic [5:0]  lane_bits;                 // lane width: 32, 16 or 8 (DTYPE_CFG_FXPn)
  logic [31:0] dma_base [2][2];
  logic [15:0] dma_tile_addr [2][2];
  // DMA walker loops, outermost first as the spec's dma_loops walks them: base loops 0-31
  // are slots 0-31, tile loops 0-31 are slots 32-63.
  logic [63:0] dma_iter_v [2][2];
  logic [63:0][16:0] dma_iters [2][2];
  logic [63:0][31:0] dma_stride [2][2];
  logic [63:0] dma_stride_v [2][2];
  logic [7:0]  loop_v;
  logic [15:0] loop_iters [8];
  logic [7:0]  bind_v;
  logic [2:0]  bind_ns [8][3];
  logic [4:0]  bind_idx [8][3];
  logic [2:0]  cur_level;
  logic [3:0]  depth;                     // active loop levels
  logic [2:0]  st_level [8];
  logic [15:0] st_i [8];
  logic [15:0] st_n [8];
  logic [31:0] st_start [8];
  logic [31:0] st_end [8];

  // Operand addresses: base of (ns, idx) + sum over active levels of index x bound stride.
  function automatic logic signed [63:0] operand_addr(input logic [1:0] ns, input logic [4:0] idx, input logic [1:0] pos);
    logic signed [63:0] a;
    a = 64'(it_base[ns][idx]);
    for (int k = 0; k < 8; k++)
      if (k < int'(depth) && bind_v[st_level[k]] && bind_ns[st_level[k]][pos] != NS_IMM[2:0])
        a += 64'(it_stride[bind_ns[st_level[k]][pos][1:0]][bind_idx[st_level[k]][pos]]) * 64'(st_i[k]);
    return a;
  endfunction

  // The Tandem namespaces with words: OBUF (read only), IBUF, VMEM1, VMEM2. An IBUF word holds
  // one int8 per array row, so the Tandem may use IBUF only when there is one per lane.
  localparam bit SQUARE = N == M;
  localparam int IBUF_LANES = N < M ? N : M;

  function automatic int unsigned ns_depth(input logic [2:0] ns);
    return ns == NS_OBUF[2:0] ? OBUF_DEPTH : ns == NS_IBUF[2:0] ? IBUF_DEPTH : VMEM_DEPTH;
  endfunction

  // Word `a` of namespace ns, one 32-bit value per lane (IBUF's int8 values sign-extend). The
  // callers check `a` against the namespace's depth first, so only its index bits are used.
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [VW-1:0] ns_word(input logic [2:0] ns, input logic signed [63:0] a);
    logic [VW-1:0] v;
    if (ns == NS_OBUF[2:0]) return obuf[obuf_idx_t'(a)];
    if (ns == NS_IBUF[2:0]) begin
      v = '0;
      for (int l = 0; l < IBUF_LANES; l++) v[32*l +: 32] = 32'(signed'(ibuf[ibuf_idx_t'(a)][8*l +: 8]));
      return v;
    end
    return vmem[ns[0] ? 1 : 0][vmem_idx_t'(a)];
  endfunction

  // Write word `a` of namespace ns (IBUF keeps the low 8 bits of each lane).
  task automatic ns_write(input logic [2:0] ns, input logic signed [63:0] a, input logic [VW-1:0] w);
    if (ns == NS_IBUF[2:0])
      for (int l = 0; l < IBUF_LANES; l++) ibuf[ibuf_idx_t'(a)][8*l +: 8] <= w[32*l +: 8];
    else vmem[ns[0] ? 1 : 0][vmem_idx_t'(a)] <= w;
  endtask
  /* verilator lint_on UNUSEDSIGNAL */

  // One Tandem operand: fault (0 none, else FAULT_* + 1) and lane values.
  function automatic logic [4:0] operand_fault(input logic [2:0] ns, input logic [4:0] idx, input logic [1:0] pos);
    logic signed [63:0] a;
    if (ns == NS_IMM[2:0]) return 32'(idx) >= IMM_DEPTH ? 5'(FAULT_ADDRESS_OUT_OF_RANGE) + 5'd1 : 5'd0;
    if (ns == NS_IBUF[2:0] && !SQUARE) return 5'(FAULT_BAD_CONFIG) + 5'd1;
    a = operand_addr(ns[1:0], idx, pos);
    if (a < 0 || a >= 64'(ns_depth(ns))) return 5'(FAULT_ADDRESS_OUT_OF_RANGE) + 5'd1;
    return 5'd0;
  endfunction

  function automatic logic [VW-1:0] operand_value(input logic [2:0] ns, input logic [4:0] idx, input logic [1:0] pos);
    logic [VW-1:0] v;
    if (ns == NS_IMM[2:0]) begin
      for (int l = 0; l < M; l++) v[32*l +: 32] = imm[idx];
      return v;
    end
    return ns_word(ns, operand_addr(ns[1:0], idx, pos));
  endfunction

  logic one_source, reads_dst;
  assign one_source = ROW_ONE_SOURCE[row];
  assign reads_dst = ROW_READS_DST[row];

  logic [VW-1:0] lane_a, lane_b, lane_d, lane_y;
  logic [M-1:0]  lane_impl;
  logic [5:0] frac [3];  // fraction bits of dst, src1, src2: lane width minus integer bits
  for (genvar k = 0; k < 3; k++) begin : g_frac
    assign frac[k] = lane_bits - int_bits[k];
  end
  assign lane_a = operand_value(ir[15:13], ir[12:8], 2'd1);
  assign lane_b = one_source ? '0 : operand_value(ir[7:5], ir[4:0], 2'd2);
  assign lane_d = operand_value(ir[23:21], ir[20:16], 2'd0);
  for (genvar l = 0; l < M; l++) begin : g_lane
    tandem_lane u_lane (.row, .a(lane_a[32*l +: 32]), .b(lane_b[32*l +: 32]), .d(lane_d[32*l +: 32]),
                        .width(lane_bits), .frac, .y(lane_y[32*l +: 32]), .implemented(lane_impl[l]));
  end

  // The first fault of a lane instruction, in the spec's order (0: none, else FAULT_* + 1).
  logic [4:0] lane_fault;
  always_comb begin
    lane_fault = 5'd0;
    if (!(&lane_impl)) lane_fault = 5'(FAULT_UNIMPLEMENTED) + 5'd1;
    if (lane_fault == 0) lane_fault = operand_fault(ir[15:13], ir[12:8], 2'd1);
    if (lane_fault == 0 && !one_source) lane_fault = operand_fault(ir[7:5], ir[4:0], 2'd2);
    if (lane_fault == 0 && reads_dst) lane_fault = operand_fault(ir[23:21], ir[20:16], 2'd0);
    if (lane_fault == 0) lane_fault = operand_fault(ir[23:21], ir[20:16], 2'd0);
  end

  // ---- Tandem permutation: word copies over loops that nest by ascending index -----------------------
  logic [15:0]        perm_base [2];          // RD, WR base words
  logic [16:0]        perm_iters [32];
  logic [31:0]        perm_iter_v;
  logic signed [15:0] perm_stride [2][32];    // RD, WR word strides
  logic [16:0]        px [32];                // the current point
  logic signed [63:0] perm_addr [2];
  logic               perm_empty, perm_last;
  always_comb begin
    perm_empty = 1'b0;
    perm_last = 1'b1;
    for (int rw = 0; rw < 2; rw++) perm_addr[rw] = 64'(perm_base[rw]);
    for (int k = 0; k < 32; k++)
      if (perm_iter_v[k]) begin
        for (int rw = 0; rw < 2; rw++) perm_addr[rw] += 64'(perm_stride[rw][k]) * 64'(px[k]);
        if (perm_iters[k] == 0) perm_empty = 1'b1;
        if (px[k] + 1 < perm_iters[k]) perm_last = 1'b0;
      end
  end

  // ---- Tandem DMA ----------------------------------------------------------------------------------
  logic        dma_d, dma_n;
  logic [1:0]  dma_w;
  logic [15:0] dma_size;
  logic [63:0][16:0] dx;
  logic [31:0] dma_word;
  logic [63:0] dma_addr;
  affine #(.L(64)) u_dma_addr (
      .base(64'(dma_base[dma_d][dma_n])), .active(dma_iter_v[dma_d][dma_n] & dma_stride_v[dma_d][dma_n]),
      .stride(dma_stride[dma_d][dma_n]), .idx(dx), .addr(dma_addr));
  int unsigned elem_bytes;
  assign elem_bytes = dma_w == 2'd0 ? 1 : dma_w == 2'd1 ? 2 : 4;

  // The DRAM channel moves BEAT_BYTES per cycle: a word of `bytes` takes this many cycles.
  logic [15:0] beat;
  function automatic int unsigned beats(input int unsigned bytes);
    return (bytes + BEAT_BYTES - 1) / BEAT_BYTES;
  endfunction

  // ---- helpers for the sequential block -------------------------------------------------------------
  // The unit whose decoder owns an opcode: 0 SA (9-15), 1 Tandem (0-8).
  function automatic logic unit_of(input logic [3:0] opcode);
    return opcode >= 4'd9 ? 1'b0 : 1'b1;
  endfunction

  assign xk = xj[2:0];

  always_ff @(posedge clk) begin
    logic done;
    trace_valid <= 1'b0;
    arr_in_valid <= 1'b0;
    arr_swap <= 1'b0;
    if (since_swap != 8'hFF) since_swap <= since_swap + 1;
    // A step's result leaves the array: accumulate it into OBUF, in issue order.
    if (arr_out_valid) begin
      counter[2] <= counter[2] + 1;
      for (int l = 0; l < M; l++)
        obuf[out_tag.wr][32*l +: 32] <= arr_psum[32*l +: 32]
            + (!out_tag.first ? obuf[out_tag.rd][32*l +: 32] : has_bias ? bbuf[out_tag.bias][32*l +: 32] : '0);
      if (32'(out_tag.wr) < lo) lo <= 32'(out_tag.wr);
      if (32'(out_tag.wr) + 1 > hi) hi <= 32'(out_tag.wr) + 1;
    end
    if (csr_we && csr_addr == CSR_PROG_LEN) prog_len <= csr_wdata;
    if (csr_we && csr_addr == CSR_PROG_BASE) prog_base <= csr_wdata;
    if (started && !halted) counter[0] <= counter[0] + 1;
    if (trace_valid && trace_kind == TR_TILE) counter[1] <= counter[1] + 1;
    if (trace_valid && trace_kind == TR_VWRITE) counter[3] <= counter[3] + 1;
    if (trace_valid && trace_kind == TR_DMA && !trace_unit) counter[4] <= counter[4] + 64'(trace_c);
    if (trace_valid && trace_kind == TR_DMA && trace_unit) counter[5] <= counter[5] + 64'(trace_c);
    if (rst) begin
      state <= S_IDLE;
      halted <= 1'b0;
      faulted <= 1'b0;
      started <= 1'b0;
      prog_len <= '0;
      prog_base <= '0;
      fault_pc <= '0;
      fault_kind <= '0;
      for (int k = 0; k < NCOUNT; k++) counter[k] <= '0;
      int_bits <= '{6'd32, 6'd32, 6'd32};
      lane_bits <= 6'd32;
      prog_ext <= '0;
      iter_latch <= '0;  // iterator tables, IMM and memories start at zero (the harness zero-initialises)
    end else begin
      unique case (state)
        S_IDLE: if (start) begin
          started <= 1'b1;
          pc <= prog_base;
          mode <= MODE_TOP;
          depth <= '0;
          state <= S_FETCH;
        end

        S_FETCH: begin
          if (mode == MODE_SIMD && depth == 0 && pc >= group_end) begin
            pc <= group_end + 1;
            mode <= MODE_TOP;
          end else if (mode == MODE_SA && pc == group_end) begin
            state <= S_SA_END;
          end else if (pc >= prog_end || pc >= IMEM_DEPTH) begin
            fault(FAULT_PC_OUT_OF_RANGE, 1'b0, pc);
          end else begin
            ir <= imem[pc[$clog2(IMEM_DEPTH)-1:0]];
            last_fetch <= pc;
            state <= S_DECODE;
          end
        end

        S_DECODE: begin
          if (row == ROW_ILLEGAL) fault(FAULT_ILLEGAL_INSTRUCTION, unit_of(ir[31:28]), pc);
          else unique case (mode)
            MODE_TOP: decode_top();
            MODE_SA: decode_sa();
            default: decode_simd();
          endcase
        end

        S_GROUP_TAIL: begin
          tail_fetched <= group_end < prog_end;
          if (group_end < prog_end) begin
            tail <= imem[group_end[$clog2(IMEM_DEPTH)-1:0]];
            last_fetch <= group_end;
          end
          state <= S_GROUP_CHECK;
        end

        S_GROUP_CHECK: begin
          if (tail_fetched && decode_row(tail) == ROW_ILLEGAL) fault(FAULT_ILLEGAL_INSTRUCTION, unit_of(tail[31:28]), group_end);
          else if (head_buf) fault(FAULT_MALFORMED_GROUP, 1'b0, group_start);  // START must be EXEC
          else if (!tail_fetched || decode_row(tail) != ROW_SYNC_INST || !tail[26]
                   || tail[27] != head_simd || tail[21:0] != head_tag)
            fault(FAULT_MALFORMED_GROUP, 1'b0, group_start);
          else begin
            if (head_simd) begin
              mode <= MODE_SIMD;
              dma_low <= '0;
              loop_v <= '0;
              bind_v <= '0;
              cur_level <= '0;
              for (int d = 0; d < 2; d++)
                for (int n = 0; n < 2; n++) begin
                  dma_base[d][n] <= '0;
                  dma_tile_addr[d][n] <= '0;
                  dma_iter_v[d][n] <= '0;
                  dma_stride_v[d][n] <= '0;
                end
              perm_iter_v <= '0;
              perm_base <= '{16'd0, 16'd0};
              for (int k = 0; k < 32; k++) perm_stride[0][k] <= '0;
              for (int k = 0; k < 32; k++) perm_stride[1][k] <= '0;
            end else begin
              mode <= MODE_SA;
              ntile <= '0;
              ncomp <= '0;
              for (int s = 0; s < 8; s++) nxfer[s] <= '0;
              declared <= '0;
              reduction <= '0;
              dup_loop <= 1'b0;
              dup_xfer <= 1'b0;
              stride_v <= '0;
              for (int b = 0; b < 4; b++) sa_base[b] <= '0;
              stride_low <= '0;
              base_low <= '0;
              imem_base <= '0;
              nimem <= '0;
              nx <= '0;
              have_x <= '0;
            end
            pc <= group_start + 1;
            state <= S_FETCH;
          end
        end

        S_ADVANCE: begin
          if (depth != 0 && pc == st_end[depth-1]) begin
            if (32'(st_i[depth-1]) + 1 < 32'(st_n[depth-1])) begin
              st_i[depth-1] <= st_i[depth-1] + 1;
              pc <= st_start[depth-1];
              state <= S_FETCH;
            end else begin
              depth <= depth - 1;
              if (depth == 1) emit_flush();
            end
          end else if (depth != 0 && pc > st_end[depth-1]) begin
            fault(FAULT_BAD_CONFIG, 1'b1, last_fetch);
          end else begin
            state <= S_FETCH;
          end
        end

        // ---- systolic-array block -------------------------------------------------------------------
        S_SA_END: begin
          if (tail[25]) fault(FAULT_MALFORMED_GROUP, 1'b0, group_end);  // an SA group ends with END EXEC
          else if (dup_loop) fault(FAULT_BAD_CONFIG, 1'b0, group_end);
          else if ((reduction & ~declared) != 0) fault(FAULT_BAD_CONFIG, 1'b0, group_end);
          else if (dup_xfer) fault(FAULT_BAD_CONFIG, 1'b0, group_end);
          else begin
            for (int k = 0; k < 8; k++) tix[k] <= '0;
            tile_no <= '0;
            has_bias <= have_x[{1'b0, BUF_BBUF[1:0]}];
            state <= S_TILE_BEGIN;
          end
        end

        S_TILE_BEGIN: begin
          first_outer <= tile_first();
          xj <= '0;
          st_phase <= 1'b0;
          state <= S_XFER_PICK;
        end

        S_XFER_PICK: begin
          if (xj == nx) begin
            if (!st_phase) state <= S_COMP_BEGIN;
            else next_tile();
          end else if (x_dir[xk] == st_phase && !(!st_phase && x_buf[xk] == BUF_OBUF[1:0] && first_outer)) begin
            for (int k = 0; k < 6; k++) xix[k] <= '0;
            buf_ptr <= '0;
            state <= S_REQ;
          end else begin
            xj <= xj + 1;
          end
        end

        S_REQ: begin
          if (sa_req_addr + 64'(x_size[xk]) * 64'(word_bytes(x_buf[xk])) > 64'(DRAM_BYTES))
            fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b0, group_end);
          else if (64'(buf_ptr) + 64'(x_size[xk]) > 64'(depth_of(x_buf[xk])))
            fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b0, group_end);
          else begin
            req_addr <= sa_req_addr;
            wcount <= '0;
            beat <= '0;
            state <= S_MOVE;
          end
        end

        S_MOVE: begin
          if (wcount == 32'(x_size[xk])) begin
            emit(TR_DMA, 1'b0, group_end, x_dir[xk], {2'b0, x_buf[xk]}, req_addr, buf_ptr, wcount, '0);
            buf_ptr <= buf_ptr + wcount;
            xfer_step(done);
            if (done) begin
              xj <= xj + 1;
              state <= S_XFER_PICK;
            end else state <= S_REQ;
          end else if (32'(beat) + 1 < beats(word_bytes(x_buf[xk]))) beat <= beat + 1;
          else begin  // the word's last beat
            move_word();
            wcount <= wcount + 1;
            beat <= '0;
          end
        end

        S_COMP_BEGIN: begin
          for (int k = 0; k < 8; k++) cix[k] <= '0;
          lo <= 32'(OBUF_DEPTH);
          hi <= '0;
          last_wgt <= '1;  // the tile's WBUF is new: its first step loads the weights
          state <= S_STEP;
        end

        // One step enters the array per cycle; a step under other weights than the last one
        // waits until the last weight change has left the array (systolic_array.sv).
        S_STEP: begin
          if (step_bad != 0) fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b0, group_end);
          else if (step_addr[1][31:0] == last_wgt || since_swap >= 8'(N + M - 1)) begin
            arr_act <= ibuf[step_addr[0][$clog2(IBUF_DEPTH)-1:0]];
            arr_wgt <= wbuf[step_addr[1][$clog2(WBUF_DEPTH)-1:0]];
            arr_in_valid <= 1'b1;
            if (step_addr[1][31:0] != last_wgt) begin
              arr_swap <= 1'b1;
              last_wgt <= step_addr[1][31:0];
              since_swap <= '0;
            end
            arr_tag <= '{first: step_first, wr: obuf_idx_t'(step_addr[4]), rd: obuf_idx_t'(step_addr[3]),
                         bias: step_addr[2][$clog2(BBUF_DEPTH)-1:0]};
            comp_step(done);
            if (done) state <= S_STEP_DRAIN;
          end
        end

        S_STEP_DRAIN: if (!arr_busy) state <= S_TILE_END;

        S_TILE_END: begin
          emit(TR_TILE, 1'b0, group_end, 1'b0, 4'd0, 64'd0, lo, hi, tile_no);
          xj <= '0;
          st_phase <= 1'b1;
          state <= S_XFER_PICK;
        end

        // ---- instruction-memory loads after an SA block ----------------------------------------------------
        S_IMEM_REQ: begin
          if (64'(imem_a) + 64'(imem_q[imem_k[3:0]]) * 4 > 64'(DRAM_BYTES))
            fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b0, group_end);
          else if (64'(imem_w) + 64'(imem_q[imem_k[3:0]]) > 64'(IMEM_DEPTH))
            fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b0, group_end);
          else begin
            imem_n <= '0;
            state <= S_IMEM_MOVE;
          end
        end

        S_IMEM_MOVE: begin
          if (imem_n == 32'(imem_q[imem_k[3:0]])) begin
            emit(TR_DMA, 1'b0, group_end, 1'b0, TRACE_SPACE_IMEM, 64'(imem_a), imem_w, imem_n, 32'd4);
            imem_a <= imem_a + 4 * imem_n;
            imem_w <= imem_w + imem_n;
            if (imem_w + imem_n > prog_ext) prog_ext <= imem_w + imem_n;
            imem_k <= imem_k + 1;
            if (imem_k + 1 == nimem) begin
              mode <= MODE_TOP;
              pc <= group_end + 1;
              state <= S_FETCH;
            end else state <= S_IMEM_REQ;
          end else begin
            imem[imem_w[$clog2(IMEM_DEPTH)-1:0] + imem_n[$clog2(IMEM_DEPTH)-1:0]] <= {
                dram[dram_idx_t'(imem_a + 4 * imem_n + 3)], dram[dram_idx_t'(imem_a + 4 * imem_n + 2)],
                dram[dram_idx_t'(imem_a + 4 * imem_n + 1)], dram[dram_idx_t'(imem_a + 4 * imem_n)]};
            imem_n <= imem_n + 1;
          end
        end

        // ---- Tandem ----------------------------------------------------------------------------------------
        S_LANE: begin
          if (lane_fault != 0) fault(4'(lane_fault - 5'd1), 1'b1, pc);
          else begin
            logic [31:0] a;
            a = 32'(operand_addr(ir[22:21], ir[20:16], 2'd0));
            ns_write(ir[23:21], 64'(a), lane_y);
            emit(TR_VWRITE, 1'b1, pc, 1'b0, {1'b0, ir[23:21]}, 64'd0, a, {31'd0, depth == 0}, '0);
            pc <= pc + 1;
            state <= S_ADVANCE;
          end
        end

        S_PERM: begin
          if (perm_addr[0] < 0 || perm_addr[0] >= 64'(ns_depth(ir[15:13]))) fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b1, pc);
          else if (ir[23:21] == NS_IBUF[2:0] && !SQUARE) fault(FAULT_BAD_CONFIG, 1'b1, pc);
          else if (perm_addr[1] < 0 || perm_addr[1] >= 64'(ns_depth(ir[23:21]))) fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b1, pc);
          else begin
            ns_write(ir[23:21], perm_addr[1], ns_word(ir[15:13], perm_addr[0]));
            emit(TR_VWRITE, 1'b1, pc, 1'b0, {1'b0, ir[23:21]}, 64'd0, 32'(perm_addr[1]), {31'd0, perm_last}, '0);
            perm_step();
            if (perm_last) begin
              pc <= pc + 1;
              state <= S_ADVANCE;
            end
          end
        end

        S_DMA_START: begin
          for (int k = 0; k < 64; k++) dx[k] <= '0;
          dma_word <= 32'(dma_tile_addr[dma_d][dma_n]);
          state <= S_DMA_REQ;
        end

        S_DMA_REQ: begin
          if (dma_addr + 64'(dma_size) * 64'(M) * 64'(elem_bytes) > 64'(DRAM_BYTES))
            fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b1, pc);
          else if (64'(dma_word) + 64'(dma_size) > 64'(VMEM_DEPTH))
            fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b1, pc);
          else begin
            req_addr <= dma_addr;
            wcount <= '0;
            beat <= '0;
            state <= S_DMA_MOVE;
          end
        end

        S_DMA_MOVE: begin
          if (wcount == 32'(dma_size)) begin
            emit(TR_DMA, 1'b1, pc, dma_d, {2'b0, 1'b1, dma_n}, req_addr, dma_word, wcount, elem_bytes);
            dma_word <= dma_word + wcount;
            dma_step(done);
            if (done) begin
              pc <= pc + 1;
              state <= S_ADVANCE;
            end else state <= S_DMA_REQ;
          end else if (32'(beat) + 1 < beats(M * elem_bytes)) beat <= beat + 1;
          else begin  // the word's last beat
            dma_move_word();
            wcount <= wcount + 1;
            beat <= '0;
          end
        end

        S_FAULT: begin
          halted <= 1'b1;
          faulted <= 1'b1;
          state <= S_HALT;
        end

        default: ;  // S_HALT
      endcase
    end
  end

  // ---- tasks used by the sequential block ------------------------------------------------------------
  task automatic emit(input logic [3:0] kind, input logic unit, input logic [31:0] epc, input logic dir,
                      input logic [3:0] space, input logic [63:0] a, input logic [31:0] b,
                      input logic [31:0] c, input logic [31:0] d);
    trace_valid <= 1'b1;
    trace_kind <= kind;
    trace_unit <= unit;
    trace_pc <= epc;
    trace_dir <= dir;
    trace_space <= space;
    trace_a <= a;
    trace_b <= b;
    trace_c <= c;
    trace_d <= d;
  endtask

  task automatic emit_flush();
    emit(TR_FLUSH, 1'b1, pc, 1'b0, 4'd0, 64'd0, '0, '0, '0);
  endtask

  task automatic fault(input logic [3:0] kind, input logic unit, input logic [31:0] fpc);
    emit(TR_FAULT, unit, fpc, 1'b0, kind, 64'd0, '0, '0, '0);
    fault_kind <= kind;
    fault_pc <= fpc;
    state <= S_FAULT;
  endtask

  task automatic advance();
    pc <= pc + 1;
    state <= mode == MODE_SIMD ? S_ADVANCE : S_FETCH;
  endtask

  task automatic decode_top();
    if (row == ROW_BLOCK_END) begin
      if (ir[0]) begin
        halted <= 1'b1;
        state <= S_HALT;
      end else advance();
    end else if (row == ROW_SYNC_INST && !ir[26]) begin
      head_simd <= ir[27];
      head_buf <= ir[25];
      head_tag <= ir[21:0];
      group_start <= pc;
      group_end <= pc + 32'(ir[15:0]) + 1;
      state <= S_GROUP_TAIL;
    end else fault(FAULT_MALFORMED_GROUP, unit_of(ir[31:28]), pc);
  endtask

  task automatic decode_sa();
    logic [5:0] lid;
    lid = ir[21:16];
    unique case (row)
      ROW_SA_LOOP_CFG: begin
        if (declared[lid]) dup_loop <= 1'b1;
        declared[lid] <= 1'b1;
        if (lid < 8) begin
          if (ntile < 8) begin
            tile_id[ntile[2:0]] <= lid;
            tile_n[ntile[2:0]] <= 17'(ir[15:0]) + 1;
            ntile <= ntile + 1;
          end
        end else if (lid < 16) begin
          if (ncomp < 8) begin
            comp_id[ncomp[2:0]] <= lid;
            comp_n[ncomp[2:0]] <= 17'(ir[15:0]) + 1;
            ncomp <= ncomp + 1;
          end
        end else begin
          logic [2:0] slot;
          slot = 3'((32'(lid) - 16) / 6);
          if (nxfer[slot] < 6) begin
            xfer_id[slot][nxfer[slot]] <= lid;
            xfer_n[slot][nxfer[slot]] <= 17'(ir[15:0]) + 1;
            nxfer[slot] <= nxfer[slot] + 1;
          end
        end
        advance();
      end
      ROW_SA_REDUCTION_LOOP: begin
        if (lid >= 16) fault(FAULT_BAD_CONFIG, 1'b0, pc);
        else begin
          reduction[lid] <= 1'b1;
          advance();
        end
      end
      ROW_SET_LOOP_STRIDE: begin
        if (!ir[27]) stride_low <= ir[15:0];
        else begin
          stride_mem[{ir[25:24], ir[23:22], lid}] <= {ir[15:0], stride_low};
          stride_v[{ir[25:24], ir[23:22], lid}] <= 1'b1;
        end
        advance();
      end
      ROW_SET_BASE_ADDR: begin
        if (ir[26] && ir[23:22] != 0) fault(FAULT_BAD_CONFIG, 1'b0, pc);  // target IMEM names no buffer
        else begin
          if (!ir[27]) base_low <= ir[15:0];
          else if (ir[26]) imem_base <= {ir[15:0], base_low};
          else sa_base[ir[23:22]] <= {ir[15:0], base_low};
          advance();
        end
      end
      ROW_LD_ST: begin
        if (ir[26]) begin  // an instruction-memory load, queued for after the block
          if (ir[23:22] != 0 || ir[27]) fault(FAULT_BAD_CONFIG, 1'b0, pc);
          else if (nimem == 5'(IMEM_LOADS)) fault(FAULT_BAD_CONFIG, 1'b0, pc);
          else begin
            imem_q[nimem[3:0]] <= ir[15:0];
            nimem <= nimem + 1;
            advance();
          end
        end else if (ir[27] && ir[23:22] != BUF_OBUF[1:0]) fault(FAULT_BAD_CONFIG, 1'b0, pc);
        else begin
          if (have_x[{ir[27], ir[23:22]}] || nx == 8) dup_xfer <= 1'b1;
          have_x[{ir[27], ir[23:22]}] <= 1'b1;
          if (nx < 8) begin
            x_dir[nx[2:0]] <= ir[27];
            x_buf[nx[2:0]] <= ir[23:22];
            x_size[nx[2:0]] <= ir[15:0];
            nx <= nx + 1;
          end
          advance();
        end
      end
      default: fault(FAULT_MALFORMED_GROUP, unit_of(ir[31:28]), pc);
    endcase
  endtask

  task automatic decode_simd();
    logic lane_family;
    lane_family = ir[31:28] <= 4'd3;
    if (ir[31:28] >= 4'd9 && depth == 0) fault(FAULT_MALFORMED_GROUP, unit_of(ir[31:28]), pc);
    else if (depth != 0 && !lane_family && row != ROW_SET_INST) fault(FAULT_BAD_CONFIG, unit_of(ir[31:28]), pc);
    else if (lane_family) begin
      if (row == ROW_NOP) advance();
      else state <= S_LANE;
    end else if (ir[31:28] == OP_ITERATOR_CONFIG) begin
      iterator_config();
    end else if (ir[31:28] == OP_DTYPE_CFG) begin
      if (ir[23:16] < 1 || ir[23:16] > 8'(cfg_width) || ir[15:8] < 1 || ir[15:8] > 8'(cfg_width)
          || ir[7:0] < 1 || ir[7:0] > 8'(cfg_width))
        fault(FAULT_BAD_CONFIG, 1'b1, pc);
      else begin
        lane_bits <= cfg_width;
        int_bits <= '{ir[21:16], ir[13:8], ir[5:0]};
        advance();
      end
    end else if (ir[31:28] == OP_LD_ST) begin
      dma_config();
    end else if (row == ROW_SET_ITER) begin
      loop_iters[ir[23:21]] <= ir[15:0];
      loop_v[ir[23:21]] <= 1'b1;
      cur_level <= ir[23:21];
      advance();
    end else if (row == ROW_SET_INDEX) begin
      bind_v[cur_level] <= 1'b1;
      bind_ns[cur_level] <= '{ir[23:21], ir[15:13], ir[7:5]};
      bind_idx[cur_level] <= '{ir[20:16], ir[12:8], ir[4:0]};
      advance();
    end else if (row == ROW_SET_INST) begin
      set_inst();
    end else if (row == ROW_PERM_SET_BASE_ADDR) begin
      perm_base[ir[21]] <= ir[15:0];
      advance();
    end else if (row == ROW_PERM_SET_LOOP_ITER) begin
      perm_iters[ir[20:16]] <= 17'(ir[15:0]);
      perm_iter_v[ir[20:16]] <= 1'b1;
      advance();
    end else if (row == ROW_PERM_SET_LOOP_STRIDE) begin
      perm_stride[ir[21]][ir[20:16]] <= ir[15:0];
      advance();
    end else if (row == ROW_PERM_START) begin
      if (ir[15:13] == NS_IMM[2:0] || (ir[15:13] == NS_IBUF[2:0] && !SQUARE)) fault(FAULT_BAD_CONFIG, 1'b1, pc);
      else if (perm_empty) advance();  // no points: nothing is written
      else begin
        for (int k = 0; k < 32; k++) px[k] <= '0;
        state <= S_PERM;
      end
    end else fault(FAULT_UNIMPLEMENTED, 1'b1, pc);
  endtask

  // The next point of the permutation loops (the highest index moves fastest).
  task automatic perm_step();
    logic carry;
    carry = 1'b1;
    for (int k = 31; k >= 0; k--)
      if (carry && perm_iter_v[k]) begin
        if (px[k] + 1 < perm_iters[k]) begin
          px[k] <= px[k] + 1;
          carry = 1'b0;
        end else px[k] <= '0;
      end
  endtask

  task automatic set_inst();
    logic [2:0] level;
    logic active;
    level = ir[23:21];
    active = 1'b0;
    for (int k = 0; k < 8; k++) if (k < int'(depth) && st_level[k] == level) active = 1'b1;
    if (!loop_v[level]) fault(FAULT_BAD_CONFIG, 1'b1, pc);
    else if (active) fault(FAULT_BAD_CONFIG, 1'b1, pc);
    else if (ir[15:0] == 0) fault(FAULT_BAD_CONFIG, 1'b1, pc);
    else if (loop_iters[level] == 0) begin
      pc <= pc + 1 + 32'(ir[15:0]);
      state <= S_ADVANCE;
    end else begin
      st_level[depth[2:0]] <= level;
      st_i[depth[2:0]] <= '0;
      st_n[depth[2:0]] <= loop_iters[level];
      st_start[depth[2:0]] <= pc + 1;
      st_end[depth[2:0]] <= pc + 1 + 32'(ir[15:0]);
      depth <= depth + 1;
      pc <= pc + 1;
      state <= S_FETCH;
    end
  endtask

  task automatic iterator_config();
    logic [3:0] fn;
    logic signed [31:0] value;
    fn = ir[27:24];
    if (fn == 4'd1 || fn == 4'd5 || fn == 4'd8) begin  // *_LOW: latch
      iter_latch <= ir[15:0];
      advance();
    end else begin
      if (fn == 4'd0 || fn == 4'd4 || fn == 4'd10) value = 32'(signed'(ir[15:0]));
      else if (fn == 4'd3 || fn == 4'd7) value = {16'd0, ir[15:0]};
      else value = {ir[15:0], iter_latch};
      if (fn >= 4'd8) begin
        if (32'(ir[20:16]) >= IMM_DEPTH) fault(FAULT_ADDRESS_OUT_OF_RANGE, 1'b1, pc);
        else begin
          imm[ir[20:16]] <= value;
          advance();
        end
      end else begin
        if (fn <= 4'd3) it_base[ir[22:21]][ir[20:16]] <= value;
        else it_stride[ir[22:21]][ir[20:16]] <= value;
        advance();
      end
    end
  endtask

  task automatic dma_config();
    logic d, n;
    logic [2:0] sub;
    logic [5:0] k;
    d = ir[27];
    sub = ir[26:24];
    n = ir[21];
    k = {sub == DMA_CONFIG_TILE_LOOP_ITER || sub == DMA_CONFIG_TILE_LOOP_STRIDE, ir[20:16]};
    if (sub == DMA_START) begin
      dma_d <= d;
      dma_n <= n;
      dma_w <= ir[17:16];
      dma_size <= ir[15:0];
      state <= S_DMA_START;
    end else begin
      unique case (sub)
        DMA_CONFIG_BASE_LOOP_ITER, DMA_CONFIG_TILE_LOOP_ITER: begin
          dma_iters[d][n][k] <= 17'(ir[15:0]) + 1;
          dma_iter_v[d][n][k] <= 1'b1;
        end
        DMA_CONFIG_TILE_ADDR: dma_tile_addr[d][n] <= ir[15:0];
        default:
          if (!ir[23]) dma_low <= ir[15:0];
          else if (sub == DMA_CONFIG_BASE_ADDR) dma_base[d][n] <= {ir[15:0], dma_low};
          else if (sub == DMA_CONFIG_BASE_LOOP_STRIDE || sub == DMA_CONFIG_TILE_LOOP_STRIDE) begin
            dma_stride[d][n][k] <= {ir[15:0], dma_low};
            dma_stride_v[d][n][k] <= 1'b1;
          end
      endcase
      advance();
    end
  endtask

  // Move word `wcount` of the current SA request.
  task automatic move_word();
    int unsigned wb;
    logic [63:0] base;
    wb = word_bytes(x_buf[xk]);
    base = req_addr + 64'(wcount) * 64'(wb);
    if (!x_dir[xk]) begin
      logic [DBG_W0-1:0] w;  // the word as it sits in DRAM, little-endian; as wide as any buffer word
      w = '0;
      for (int i = 0; i < DBG_W0 / 8; i++) if (i < int'(wb)) w[8*i +: 8] = dram[dram_idx_t'(base + 64'(i))];
      unique case (x_buf[xk])
        BUF_IBUF[1:0]: ibuf[ibuf_idx_t'(buf_ptr + wcount)] <= w[IW-1:0];
        BUF_WBUF[1:0]: wbuf[wbuf_idx_t'(buf_ptr + wcount)] <= w[WW-1:0];
        BUF_BBUF[1:0]: bbuf[bbuf_idx_t'(buf_ptr + wcount)] <= w[VW-1:0];
        default:       obuf[obuf_idx_t'(buf_ptr + wcount)] <= w[VW-1:0];
      endcase
    end else begin
      for (int i = 0; i < 4 * M; i++) dram[dram_idx_t'(base + 64'(i))] <= obuf[obuf_idx_t'(buf_ptr + wcount)][8*i +: 8];
    end
  endtask

  // Move VMEM word `wcount` of the current Tandem request.
  task automatic dma_move_word();
    logic [63:0] base;
    vmem_idx_t word;
    base = req_addr + 64'(wcount) * 64'(M) * 64'(elem_bytes);
    word = vmem_idx_t'(dma_word + wcount);
    for (int l = 0; l < M; l++) begin
      logic [63:0] at;
      at = base + 64'(l) * 64'(elem_bytes);
      if (!dma_d) begin
        logic [31:0] v;
        v = {dram[dram_idx_t'(at + 3)], dram[dram_idx_t'(at + 2)], dram[dram_idx_t'(at + 1)], dram[dram_idx_t'(at)]};
        if (elem_bytes == 1) v = 32'(signed'(v[7:0]));
        else if (elem_bytes == 2) v = 32'(signed'(v[15:0]));
        vmem[dma_n][word][32*l +: 32] <= v;
      end else begin
        for (int i = 0; i < 4; i++)
          if (i < int'(elem_bytes)) dram[dram_idx_t'(at + 64'(i))] <= vmem[dma_n][word][32*l + 8*i +: 8];
      end
    end
  endtask

  // Whether the current tile starts its reduction (every reduction tile loop at index 0).
  function automatic logic tile_first();
    for (int k = 0; k < 8; k++)
      if (k < int'(ntile) && reduction[tile_id[k]] && tix[k] != 0) return 1'b0;
    return 1'b1;
  endfunction

  logic [7:0][16:0] tix_next, cix_next;
  logic [5:0][16:0] xix_next;
  logic [63:0][16:0] dx_next;
  logic tix_carry, xix_carry, cix_carry, dx_carry;
  odometer #(.L(8)) u_tile_loops (.active(first_loops(ntile)), .n(tile_n), .idx(tix), .next(tix_next), .carry(tix_carry));
  odometer #(.L(6)) u_xfer_loops (.active(6'(first_loops({1'b0, nxfer[cur_slot]}))), .n(xfer_n[cur_slot]), .idx(xix),
                                  .next(xix_next), .carry(xix_carry));
  odometer #(.L(8)) u_comp_loops (.active(first_loops(ncomp)), .n(comp_n), .idx(cix), .next(cix_next), .carry(cix_carry));
  odometer #(.L(64)) u_dma_loops (.active(dma_iter_v[dma_d][dma_n]), .n(dma_iters[dma_d][dma_n]), .idx(dx),
                                  .next(dx_next), .carry(dx_carry));

  // The loop walkers step through their odometers (odometer.sv, affine.sv); a step task returns 1 when
  // its nest is done.
  task automatic next_tile();
    tix <= tix_next;
    if (tix_carry && nimem != 0) begin
      imem_k <= '0;
      imem_a <= imem_base;
      imem_w <= group_end + 1;
      state <= S_IMEM_REQ;
    end else if (tix_carry) begin
      mode <= MODE_TOP;
      pc <= group_end + 1;
      state <= S_FETCH;
    end else begin
      tile_no <= tile_no + 1;
      state <= S_TILE_BEGIN;
    end
  endtask

  task automatic xfer_step(output logic carry);
    xix <= xix_next;
    carry = xix_carry;
  endtask

  task automatic comp_step(output logic carry);
    cix <= cix_next;
    carry = cix_carry;
  endtask

  task automatic dma_step(output logic carry);
    dx <= dx_next;
    carry = dx_carry;
  endtask
endmodule

// The NPU: the instruction sequencer (sequencer.sv), the systolic-array units (sa_config.sv,
// sa_engine.sv with the array, sa_dma.sv, imem_loader.sv), the Tandem units (tandem_engine.sv
// with the lanes, tandem_perm.sv, tandem_dma.sv) and the on-chip buffers (buffers.sv). This
// module holds instruction memory and DRAM, the control/status registers and the commit-trace
// port, and wires the units together.
//
// The harness loads `imem` and `dram` (arrays it reaches by name), starts the machine and reads
// its status and performance counters through the control/status registers (isa_spec/csr.py),
// samples the trace port after every clock edge and reads the buffer words an event names
// from the buffers' arrays (buffers.sv), also by name.
`include "params.svh"

module npu
  import genesys_isa::*;
  import npu_pkg::*;
  import npu_params::*;
#(
    localparam int N = ARRAY_N,
    localparam int M = ARRAY_M,
    localparam int VW = M * 32,          // BBUF/OBUF/VMEM word bits
    localparam int BW = N * M * 8 > VW ? N * M * 8 : VW  // the widest buffer word
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
    output logic [31:0]      trace_d       // tile number / DMA element bytes
);
  typedef logic [$clog2(IMEM_DEPTH)-1:0] imem_idx_t;
  typedef logic [$clog2(DRAM_BYTES)-1:0] dram_idx_t;
  // Readable by name, not `public`: a public signal keeps this module out of Verilator's root
  // and puts the logic reading it in the region evaluated on every call of eval().
  logic [31:0] imem [IMEM_DEPTH] /*verilator public_flat_rd*/;
  logic [7:0]  dram [DRAM_BYTES] /*verilator public_flat_rd*/;

  // ---- control/status registers ----------------------------------------------------------------
  logic        start, started, halted, faulted;
  logic [31:0] prog_len, prog_base, prog_ext, prog_end, fault_pc;
  logic [3:0]  fault_kind;
  logic [63:0] counter [NCOUNTERS];
  logic        step_out;
  trace_t      trace;
  assign start = csr_we && csr_addr == CSR_CTRL && csr_wdata[0];
  assign prog_end = prog_ext > prog_len ? prog_ext : prog_len;
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
  always_ff @(posedge clk) begin
    if (csr_we && csr_addr == CSR_PROG_LEN) prog_len <= csr_wdata;
    if (csr_we && csr_addr == CSR_PROG_BASE) prog_base <= csr_wdata;
    if (started && !halted) counter[CNT_CYCLES] <= counter[CNT_CYCLES] + 1;
    if (step_out) counter[CNT_SA_STEPS] <= counter[CNT_SA_STEPS] + 1;
    if (trace.valid && trace.kind == TR_TILE) counter[CNT_TILES] <= counter[CNT_TILES] + 1;
    if (trace.valid && trace.kind == TR_VWRITE) counter[CNT_TANDEM_WRITES] <= counter[CNT_TANDEM_WRITES] + 1;
    if (trace.valid && trace.kind == TR_DMA && trace.unit == TRACE_SA)
      counter[CNT_SA_DMA_WORDS] <= counter[CNT_SA_DMA_WORDS] + 64'(trace.c);
    if (trace.valid && trace.kind == TR_DMA && trace.unit == TRACE_TANDEM)
      counter[CNT_TANDEM_DMA_WORDS] <= counter[CNT_TANDEM_DMA_WORDS] + 64'(trace.c);
    if (rst) begin
      prog_len <= '0;
      prog_base <= '0;
      for (int k = 0; k < NCOUNTERS; k++) counter[k] <= '0;
    end
  end

  // ---- the commit trace: every unit registers its own events, one at a time ---------------------
  trace_t seq_trace, sa_trace, sa_dma_trace, imem_trace, lane_trace, perm_trace, tdma_trace;
  always_comb begin
    trace = seq_trace;
    for (int u = 0; u < 6; u++) begin
      trace_t t;
      t = u == 0 ? sa_trace : u == 1 ? sa_dma_trace : u == 2 ? imem_trace : u == 3 ? lane_trace : u == 4 ? perm_trace
          : tdma_trace;
      if (t.valid) trace = t;
    end
  end
  assign {trace_valid, trace_kind, trace_unit, trace_pc, trace_dir, trace_space, trace_a, trace_b, trace_c,
          trace_d} = trace;

  // ---- instruction memory and DRAM, and who reads and writes them -----------------------------------
  imem_idx_t   imem_addr, imem_waddr;
  logic        imem_we;
  logic        sa_dram_re, sa_dram_we, tdma_dram_re, tdma_dram_we, imem_dram_re;
  logic [63:0] sa_dram_addr, tdma_dram_addr, imem_dram_addr;
  logic [BW-1:0] sa_dram_rdata;
  logic [VW-1:0] sa_dram_wdata, tdma_dram_rdata, tdma_dram_wdata;
  logic [VW/8-1:0] tdma_dram_wbe;
  logic [31:0]   imem_dram_word;
  // Bytes from `a` on, little-endian (read only while a unit reads: the DRAM is large).
  always_comb begin
    sa_dram_rdata = '0;
    tdma_dram_rdata = '0;
    imem_dram_word = '0;
    if (sa_dram_re) for (int i = 0; i < BW / 8; i++) sa_dram_rdata[8*i +: 8] = dram[dram_idx_t'(sa_dram_addr + 64'(i))];
    if (tdma_dram_re)
      for (int i = 0; i < VW / 8; i++) tdma_dram_rdata[8*i +: 8] = dram[dram_idx_t'(tdma_dram_addr + 64'(i))];
    if (imem_dram_re) for (int i = 0; i < 4; i++) imem_dram_word[8*i +: 8] = dram[dram_idx_t'(imem_dram_addr + 64'(i))];
  end
  always_ff @(posedge clk) begin
    if (sa_dram_we) for (int i = 0; i < VW / 8; i++) dram[dram_idx_t'(sa_dram_addr + 64'(i))] <= sa_dram_wdata[8*i +: 8];
    if (tdma_dram_we)
      for (int i = 0; i < VW / 8; i++)
        if (tdma_dram_wbe[i]) dram[dram_idx_t'(tdma_dram_addr + 64'(i))] <= tdma_dram_wdata[8*i +: 8];
    if (imem_we) imem[imem_waddr] <= imem_dram_word;
  end

  // ---- the sequencer ---------------------------------------------------------------------------------
  logic [31:0] ir, pc, group_end;
  row_t        row;
  logic        sa_group_start, sa_decode, sa_block_bad, sa_go, sa_done, imem_go, imem_done;
  logic        simd_group_start, tandem_decode, loops_idle;
  fault_t      sa_decode_fault, sa_engine_fault, sa_dma_fault, imem_fault;
  fault_t      lane_fault, perm_fault, tdma_fault;
  claim_t      lane_claim, perm_claim, tdma_claim;
  logic        lane_done, perm_done, tdma_done;
  loop_level_t [7:0] loops;
  logic [4:0]  nimem;
  sequencer #(.IMEM_DEPTH(IMEM_DEPTH)) u_sequencer (
      .clk, .rst, .start, .prog_base, .prog_end, .imem_addr, .imem_word(imem[imem_addr]), .ir, .row, .pc,
      .group_end, .sa_group_start, .sa_decode, .sa_decode_fault, .sa_block_bad, .sa_go, .sa_done,
      .sa_fault(sa_engine_fault.valid ? sa_engine_fault : sa_dma_fault), .imem_loads(nimem != 0), .imem_go, .imem_done,
      .imem_fault, .simd_group_start, .tandem_decode, .tandem_claim(lane_claim | perm_claim | tdma_claim),
      .tandem_done(lane_done || perm_done || tdma_done),
      .tandem_fault(lane_fault.valid ? lane_fault : perm_fault.valid ? perm_fault : tdma_fault), .loops, .loops_idle,
      .started, .halted, .faulted, .fault_kind, .fault_pc, .trace(seq_trace));

  // ---- the systolic array's units ---------------------------------------------------------------------
  logic [7:0]        tile_active, tile_reduction, comp_active, comp_reduction;
  logic [7:0][16:0]  tile_n, comp_n;
  logic [3:0]        nx;
  logic [2:0]        xk;
  logic              x_dir, has_bias;
  logic [1:0]        x_buf;
  logic [15:0]       x_size, imem_words;
  logic [31:0]       x_base, imem_base;
  logic [5:0]        xfer_active;
  logic [5:0][16:0]  xfer_n;
  logic [7:0][31:0]  x_tile_stride;
  logic [5:0][31:0]  x_xfer_stride;
  logic [7:0][31:0]  step_stride [STEP_ACCESSES];
  logic [3:0]        imem_k;
  sa_config u_sa_config (
      .clk, .group_start(sa_group_start), .decode(sa_decode), .ir, .row, .decode_fault(sa_decode_fault),
      .block_bad(sa_block_bad), .tile_active, .tile_n, .tile_reduction, .comp_active, .comp_n, .comp_reduction, .nx,
      .xk, .x_dir, .x_buf, .x_size, .x_base, .xfer_active, .xfer_n, .x_tile_stride, .x_xfer_stride, .step_stride,
      .has_bias, .imem_base, .nimem, .imem_k, .imem_words);

  logic          dma_start, dma_more, dma_done, sa_buf_we, acc_we;
  logic [31:0]   sa_buf_words;
  logic [63:0]   dma_addr;
  logic [31:0]   act_addr, wgt_addr, acc_rd_addr, acc_bias_addr, acc_wr_addr, sa_buf_addr;
  logic [N*8-1:0]   act;
  logic [N*M*8-1:0] wgt;
  logic [VW-1:0] acc_rd, acc_bias, acc_wdata;
  logic [BW-1:0] sa_buf_wdata;
  logic [VW-1:0] sa_st_word;  // the OBUF word the SA DMA stores
  sa_engine #(.N(N), .M(M), .IBUF_DEPTH(IBUF_DEPTH), .WBUF_DEPTH(WBUF_DEPTH), .BBUF_DEPTH(BBUF_DEPTH),
              .OBUF_DEPTH(OBUF_DEPTH), .WEIGHT_BANKS(WEIGHT_BANKS)) u_sa_engine (
      .clk, .rst, .go(sa_go), .done(sa_done), .fault(sa_engine_fault), .group_end, .tile_active, .tile_n,
      .tile_reduction, .comp_active, .comp_n, .comp_reduction, .nx, .xk, .x_dir, .x_buf, .x_base, .xfer_active,
      .xfer_n, .x_tile_stride, .x_xfer_stride, .step_stride, .has_bias, .dma_start, .dma_more, .dma_addr, .dma_done,
      .act_addr, .wgt_addr, .act, .wgt, .acc_rd_addr, .acc_bias_addr, .acc_rd, .acc_bias, .acc_we, .acc_wr_addr,
      .acc_wdata, .step_out, .trace(sa_trace));
  sa_dma #(.N(N), .M(M), .IBUF_DEPTH(IBUF_DEPTH), .WBUF_DEPTH(WBUF_DEPTH), .BBUF_DEPTH(BBUF_DEPTH),
           .OBUF_DEPTH(OBUF_DEPTH), .DRAM_BYTES(DRAM_BYTES), .BEAT_BYTES(BEAT_BYTES)) u_sa_dma (
      .clk, .rst, .start(dma_start), .more(dma_more), .req_addr(dma_addr), .dir(x_dir), .buffer(x_buf), .size(x_size),
      .group_end, .done(dma_done), .fault(sa_dma_fault), .dram_re(sa_dram_re), .dram_we(sa_dram_we),
      .dram_addr(sa_dram_addr), .dram_rdata(sa_dram_rdata), .dram_wdata(sa_dram_wdata), .buf_we(sa_buf_we),
      .buf_addr(sa_buf_addr), .buf_words(sa_buf_words), .buf_wdata(sa_buf_wdata), .buf_rdata(sa_st_word), .trace(sa_dma_trace));
  imem_loader #(.IMEM_DEPTH(IMEM_DEPTH), .DRAM_BYTES(DRAM_BYTES)) u_imem_loader (
      .clk, .rst, .go(imem_go), .group_end, .imem_base, .nimem, .imem_k, .words(imem_words), .done(imem_done),
      .fault(imem_fault), .dram_re(imem_dram_re), .dram_addr(imem_dram_addr), .imem_we,
      .imem_waddr, .prog_ext, .trace(imem_trace));

  // ---- the Tandem units -------------------------------------------------------------------------------
  localparam int NS_READS = 5;  // operands (POS_*), the permutation's source, the DMA's stored word
  localparam int PERM_READ = 3, DMA_READ = 4;
  ns_read_t [NS_READS-1:0]          ns_rd;
  logic     [NS_READS-1:0][VW-1:0] ns_rdata;
  logic          lane_we, perm_we, tdma_we, imm_we;
  logic [2:0]    lane_wns, perm_wns, tdma_wns;
  logic [31:0]   lane_waddr, perm_waddr, tdma_waddr, imm_wdata;
  logic [VW-1:0] lane_wdata, perm_wdata, tdma_wdata;
  logic [4:0]    imm_widx;
  tandem_engine #(.N(N), .M(M), .IBUF_DEPTH(IBUF_DEPTH), .OBUF_DEPTH(OBUF_DEPTH), .VMEM_DEPTH(VMEM_DEPTH),
                  .IMM_DEPTH(IMM_DEPTH)) u_tandem (
      .clk, .rst, .decode(tandem_decode), .ir, .row, .pc, .claim(lane_claim), .done(lane_done), .fault(lane_fault),
      .loops, .loops_idle, .opnd(ns_rd[2:0]), .opnd_word(ns_rdata[2:0]), .ns_we(lane_we), .ns_wns(lane_wns),
      .ns_waddr(lane_waddr), .ns_wdata(lane_wdata), .imm_we, .imm_widx, .imm_wdata, .trace(lane_trace));
  tandem_perm #(.N(N), .M(M), .IBUF_DEPTH(IBUF_DEPTH), .OBUF_DEPTH(OBUF_DEPTH), .VMEM_DEPTH(VMEM_DEPTH)) u_perm (
      .clk, .rst, .group_start(simd_group_start), .decode(tandem_decode), .ir, .row, .pc, .claim(perm_claim),
      .done(perm_done), .fault(perm_fault), .src(ns_rd[PERM_READ]), .src_word(ns_rdata[PERM_READ]), .ns_we(perm_we),
      .ns_wns(perm_wns), .ns_waddr(perm_waddr), .ns_wdata(perm_wdata), .trace(perm_trace));
  tandem_dma #(.M(M), .VMEM_DEPTH(VMEM_DEPTH), .DRAM_BYTES(DRAM_BYTES), .BEAT_BYTES(BEAT_BYTES)) u_tandem_dma (
      .clk, .rst, .group_start(simd_group_start), .decode(tandem_decode), .ir, .row, .pc, .claim(tdma_claim),
      .done(tdma_done), .fault(tdma_fault), .dram_re(tdma_dram_re), .dram_we(tdma_dram_we), .dram_addr(tdma_dram_addr),
      .dram_rdata(tdma_dram_rdata), .dram_wdata(tdma_dram_wdata), .dram_wbe(tdma_dram_wbe), .vmem_rd(ns_rd[DMA_READ]),
      .vmem_word(ns_rdata[DMA_READ]), .ns_we(tdma_we), .ns_wns(tdma_wns), .ns_waddr(tdma_waddr), .ns_wdata(tdma_wdata),
      .trace(tdma_trace));

  // ---- the buffers --------------------------------------------------------------------------------------
  buffers #(.N(N), .M(M), .IBUF_DEPTH(IBUF_DEPTH), .WBUF_DEPTH(WBUF_DEPTH), .BBUF_DEPTH(BBUF_DEPTH),
            .OBUF_DEPTH(OBUF_DEPTH), .VMEM_DEPTH(VMEM_DEPTH), .IMM_DEPTH(IMM_DEPTH), .NS_READS(NS_READS)) u_buffers (
      .clk, .sa_we(sa_buf_we), .sa_wbuf(x_buf), .sa_waddr(sa_buf_addr), .sa_wwords(sa_buf_words), .sa_wdata(sa_buf_wdata),
      .sa_st_addr(sa_buf_addr), .sa_st_word, .act_addr, .wgt_addr, .act, .wgt, .acc_rd_addr,
      .acc_bias_addr, .acc_rd, .acc_bias, .acc_we, .acc_wr_addr, .acc_wdata, .ns_rd, .ns_rdata,
      .ns_we(lane_we || perm_we || tdma_we), .ns_wns(lane_we ? lane_wns : perm_we ? perm_wns : tdma_wns),
      .ns_waddr(lane_we ? lane_waddr : perm_we ? perm_waddr : tdma_waddr),
      .ns_wdata(lane_we ? lane_wdata : perm_we ? perm_wdata : tdma_wdata), .imm_we, .imm_widx, .imm_wdata);
endmodule

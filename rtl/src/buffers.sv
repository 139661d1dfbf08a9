// The on-chip buffers: the systolic array's IBUF, WBUF, BBUF and OBUF, the Tandem's VMEM1,
// VMEM2 and IMM, and the ports the units read and write them through. Reads are
// combinational; writes take effect at the clock edge. The units take turns (the sequencer
// runs one operation at a time), so no two write ports are used together.
//
// A Tandem namespace word is one 32-bit value per lane: IBUF's int8 values sign-extend on a
// read and keep their low 8 bits on a write. An IBUF word holds one value per array row, so
// the Tandem may use IBUF only when there is one per lane (the units check).
module buffers
  import genesys_isa::*;
  import npu_pkg::*;
#(
    parameter int N = 4,
    parameter int M = 4,
    parameter int IBUF_DEPTH = 512,
    parameter int WBUF_DEPTH = 256,
    parameter int BBUF_DEPTH = 64,
    parameter int OBUF_DEPTH = 256,
    parameter int VMEM_DEPTH = 256,
    parameter int IMM_DEPTH = 32,
    parameter int NS_READS = 5,          // Tandem namespace read ports
    localparam int IW = N * 8,           // IBUF word bits
    localparam int WW = N * M * 8,       // WBUF word bits
    localparam int VW = M * 32,          // BBUF/OBUF/VMEM word bits
    localparam int BW = WW > VW ? WW : VW  // the widest buffer word
) (
    input  logic          clk,
    // Word addresses: the units check them against the depths, so only their index bits are used.
    /* verilator lint_off UNUSEDSIGNAL */
    // SA DMA: `sa_wwords` buffer words from DRAM (`sa_wdata`, low word first), or one OBUF word to it
    input  logic          sa_we,
    input  logic [1:0]    sa_wbuf,       // BUF_*
    input  logic [31:0]   sa_waddr,
    input  logic [31:0]   sa_wwords,
    input  logic [BW-1:0] sa_wdata,
    input  logic [31:0]   sa_st_addr,
    output logic [VW-1:0] sa_st_word,
    // array steps: an IBUF and a WBUF word
    input  logic [31:0]   act_addr,
    input  logic [31:0]   wgt_addr,
    output logic [IW-1:0] act,
    output logic [WW-1:0] wgt,
    // accumulation of a step's sums: the OBUF word they add to, the bias word, the OBUF write
    input  logic [31:0]   acc_rd_addr,
    input  logic [31:0]   acc_bias_addr,
    output logic [VW-1:0] acc_rd,
    output logic [VW-1:0] acc_bias,
    input  logic          acc_we,
    input  logic [31:0]   acc_wr_addr,
    input  logic [VW-1:0] acc_wdata,
    // Tandem: namespace reads and one namespace write, IMM writes
    input  ns_read_t [NS_READS-1:0]          ns_rd,
    output logic     [NS_READS-1:0][VW-1:0] ns_rdata,
    input  logic          ns_we,
    input  logic [2:0]    ns_wns,
    input  logic [31:0]   ns_waddr,
    input  logic [VW-1:0] ns_wdata,
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic          imm_we,
    input  logic [4:0]    imm_widx,
    input  logic [31:0]   imm_wdata
);
  localparam int IBUF_LANES = N < M ? N : M;

  typedef logic [$clog2(IBUF_DEPTH)-1:0] ibuf_idx_t;
  typedef logic [$clog2(WBUF_DEPTH)-1:0] wbuf_idx_t;
  typedef logic [$clog2(BBUF_DEPTH)-1:0] bbuf_idx_t;
  typedef logic [$clog2(OBUF_DEPTH)-1:0] obuf_idx_t;
  typedef logic [$clog2(VMEM_DEPTH)-1:0] vmem_idx_t;

  // The harness reads the words the commit trace names straight from these arrays, by name
  // (a debug read port would be evaluated on every call of the model's eval()).
  logic [IW-1:0] ibuf [IBUF_DEPTH] /*verilator public_flat_rd*/;
  logic [WW-1:0] wbuf [WBUF_DEPTH] /*verilator public_flat_rd*/;
  logic [VW-1:0] bbuf [BBUF_DEPTH] /*verilator public_flat_rd*/;
  logic [VW-1:0] obuf [OBUF_DEPTH] /*verilator public_flat_rd*/;
  // VMEM1 and VMEM2 are two memories, not one array vmem[2][DEPTH]: Yosys' slang frontend makes
  // such an array a memory of two DEPTH x VW-bit words, and every read a mux tree over the
  // DEPTH words of one (160,000 gates for `tiny`, docs/rtl.md).
  logic [VW-1:0] vmem1 [VMEM_DEPTH] /*verilator public_flat_rd*/;
  logic [VW-1:0] vmem2 [VMEM_DEPTH] /*verilator public_flat_rd*/;
  logic signed [31:0] imm [IMM_DEPTH];

  // Word `a` of namespace ns; the callers check `a` against the namespace's depth first, so
  // only its index bits are used. IMM entry `a` is the same value in every lane.
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [VW-1:0] ns_word(input logic [2:0] ns, input logic signed [63:0] a);
    ns_word = '0;
    if (ns == NS_IMM) begin
      for (int l = 0; l < M; l++) ns_word[32*l +: 32] = imm[a[4:0]];
    end else if (ns == NS_OBUF) ns_word = obuf[obuf_idx_t'(a)];
    else if (ns == NS_IBUF) begin
      for (int l = 0; l < IBUF_LANES; l++) ns_word[32*l +: 32] = 32'(signed'(ibuf[ibuf_idx_t'(a)][8*l +: 8]));
    end else ns_word = ns == NS_VMEM2 ? vmem2[vmem_idx_t'(a)] : vmem1[vmem_idx_t'(a)];
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  assign sa_st_word = obuf[obuf_idx_t'(sa_st_addr)];
  assign act = ibuf[ibuf_idx_t'(act_addr)];
  assign wgt = wbuf[wbuf_idx_t'(wgt_addr)];
  assign acc_rd = obuf[obuf_idx_t'(acc_rd_addr)];
  assign acc_bias = bbuf[bbuf_idx_t'(acc_bias_addr)];
  always_comb
    for (int p = 0; p < NS_READS; p++) ns_rdata[p] = ns_rd[p].en ? ns_word(ns_rd[p].ns, ns_rd[p].addr) : '0;

  always_ff @(posedge clk) begin
    if (sa_we)
      unique case (sa_wbuf)
        BUF_IBUF:
          for (int i = 0; i < BW / IW; i++) if (32'(i) < sa_wwords) ibuf[ibuf_idx_t'(sa_waddr + 32'(i))] <= sa_wdata[IW*i +: IW];
        BUF_WBUF:
          for (int i = 0; i < BW / WW; i++) if (32'(i) < sa_wwords) wbuf[wbuf_idx_t'(sa_waddr + 32'(i))] <= sa_wdata[WW*i +: WW];
        BUF_BBUF:
          for (int i = 0; i < BW / VW; i++) if (32'(i) < sa_wwords) bbuf[bbuf_idx_t'(sa_waddr + 32'(i))] <= sa_wdata[VW*i +: VW];
        default:
          for (int i = 0; i < BW / VW; i++) if (32'(i) < sa_wwords) obuf[obuf_idx_t'(sa_waddr + 32'(i))] <= sa_wdata[VW*i +: VW];
      endcase
    if (acc_we) obuf[obuf_idx_t'(acc_wr_addr)] <= acc_wdata;
    if (ns_we) begin
      if (ns_wns == NS_IBUF)
        for (int l = 0; l < IBUF_LANES; l++) ibuf[ibuf_idx_t'(ns_waddr)][8*l +: 8] <= ns_wdata[32*l +: 8];
      else if (ns_wns == NS_VMEM2) vmem2[vmem_idx_t'(ns_waddr)] <= ns_wdata;
      else vmem1[vmem_idx_t'(ns_waddr)] <= ns_wdata;
    end
    if (imm_we) imm[imm_widx] <= imm_wdata;
  end
endmodule

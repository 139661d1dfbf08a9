// Instruction-memory loads of an SA group (LD_ST target=IMEM), run after its block: load k
// copies `words` 32-bit little-endian words from DRAM (from the group's IMEM base address on,
// each load after the last) into instruction memory after the group's END, one word per cycle.
// The program then extends to the last word loaded.
module imem_loader
  import genesys_isa::*;
  import npu_pkg::*;
#(
    parameter int IMEM_DEPTH = 4096,
    parameter int DRAM_BYTES = 1 << 20,
    localparam int IMEM_AW = $clog2(IMEM_DEPTH)
) (
    input  logic        clk,
    input  logic        rst,
    input  logic        go,
    input  logic [31:0] group_end,
    input  logic [31:0] imem_base,   // sa_config.sv: DRAM byte address of the first load
    input  logic [4:0]  nimem,       // loads queued
    output logic [3:0]  imem_k,      // the load being run,
    input  logic [15:0] words,       // and its words
    output logic        done,        // the last load is done (combinational)
    output fault_t      fault,
    output logic        dram_re,     // the word at dram_addr goes to instruction memory word imem_waddr
    output logic [63:0] dram_addr,
    output logic        imem_we,
    output logic [IMEM_AW-1:0] imem_waddr,
    output logic [31:0] prog_ext,    // the program's length after the loads so far (0: none)
    output trace_t      trace
);
  typedef enum logic [1:0] {S_IDLE, S_REQ, S_MOVE} state_t;
  state_t state;
  logic [31:0] imem_a, imem_w, imem_n;

  logic last_word;
  assign last_word = imem_n == 32'(words);
  assign done = state == S_MOVE && last_word && imem_k + 1 == nimem;
  always_comb begin
    fault = NO_FAULT;
    if (state == S_REQ && (64'(imem_a) + 64'(words) * 4 > 64'(DRAM_BYTES) || 64'(imem_w) + 64'(words) > 64'(IMEM_DEPTH)))
      fault = fault_of(FAULT_ADDRESS_OUT_OF_RANGE);
  end
  assign dram_addr = {32'd0, imem_a + 4 * imem_n};
  assign dram_re = state == S_MOVE && !last_word;
  assign imem_we = dram_re;
  assign imem_waddr = IMEM_AW'(imem_w + imem_n);

  always_ff @(posedge clk) begin
    trace.valid <= 1'b0;
    if (rst) begin
      state <= S_IDLE;
      prog_ext <= '0;
    end else unique case (state)
      S_IDLE: if (go) begin
        imem_k <= '0;
        imem_a <= imem_base;
        imem_w <= group_end + 1;
        state <= S_REQ;
      end

      S_REQ:
        if (fault.valid) state <= S_IDLE;  // the sequencer takes the fault
        else begin
          imem_n <= '0;
          state <= S_MOVE;
        end

      S_MOVE:
        if (last_word) begin
          trace <= trace_event(TR_DMA, TRACE_SA, group_end, DIR_LD, TRACE_SPACE_IMEM, 64'(imem_a), imem_w, imem_n, 32'd4);
          imem_a <= imem_a + 4 * imem_n;
          imem_w <= imem_w + imem_n;
          if (imem_w + imem_n > prog_ext) prog_ext <= imem_w + imem_n;
          imem_k <= imem_k + 1;
          state <= done ? S_IDLE : S_REQ;
        end else imem_n <= imem_n + 1;

      default: state <= S_IDLE;
    endcase
  end
endmodule

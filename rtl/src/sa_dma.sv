// The systolic array's DMA: one transfer of an SA group at a time, as a sequence of requests of
// `size` buffer words each (the SA engine supplies each request's DRAM address and asks for
// the next). Words move between DRAM and the buffer in order, from the transfer's first word of
// the buffer on; the channel moves BEAT_BYTES per cycle, so a word of B bytes takes
// ceil(B / BEAT_BYTES) cycles, and a load moves floor(BEAT_BYTES / B) words narrower than the
// beat in one (as many as the buffer write port's BW bits hold; a store moves one OBUF word
// per beat: the OBUF read port is one word). A request's first word address and its range are
// checked before it moves anything.
module sa_dma
  import genesys_isa::*;
  import npu_pkg::*;
#(
    parameter int N = 4,
    parameter int M = 4,
    parameter int IBUF_DEPTH = 512,
    parameter int WBUF_DEPTH = 256,
    parameter int BBUF_DEPTH = 64,
    parameter int OBUF_DEPTH = 256,
    parameter int DRAM_BYTES = 1 << 20,
    parameter int BEAT_BYTES = 16,
    localparam int VW = M * 32,
    localparam int BW = N * M * 8 > VW ? N * M * 8 : VW  // the widest buffer word
) (
    input  logic          clk,
    input  logic          rst,
    input  logic          start,       // a transfer's first request
    input  logic          more,        // its next request (when `done`)
    input  logic [63:0]   req_addr,    // the DRAM byte address of the request
    input  logic          dir,         // DIR_LD or DIR_ST
    input  logic [1:0]    buffer,
    input  logic [15:0]   size,        // words per request
    input  logic [31:0]   group_end,   // the pc of the group's records
    output logic          done,        // the request is done (combinational)
    output fault_t        fault,
    // DRAM: read `dram_rdata` at `dram_addr`, or write the bytes of `dram_wdata` there
    output logic          dram_re,
    output logic          dram_we,
    output logic [63:0]   dram_addr,
    input  logic [BW-1:0] dram_rdata,
    output logic [VW-1:0] dram_wdata,
    // buffers: write a loaded word, read a stored OBUF word
    output logic          buf_we,
    output logic [31:0]   buf_addr,    // the first word written, or the OBUF word read
    output logic [31:0]   buf_words,   // words written from `buf_wdata` (low word first)
    output logic [BW-1:0] buf_wdata,
    input  logic [VW-1:0] buf_rdata,
    output trace_t        trace
);
  typedef enum logic [1:0] {S_IDLE, S_REQ, S_MOVE} state_t;
  state_t state;
  logic [31:0] buf_ptr, wcount;
  logic [63:0] base;
  logic [15:0] beat;

  function automatic int unsigned word_bytes(input logic [1:0] b);
    unique case (b)
      BUF_WBUF: word_bytes = N * M;
      BUF_IBUF: word_bytes = N;
      default:  word_bytes = 4 * M;
    endcase
  endfunction

  function automatic int unsigned depth_of(input logic [1:0] b);
    unique case (b)
      BUF_WBUF: depth_of = WBUF_DEPTH;
      BUF_IBUF: depth_of = IBUF_DEPTH;
      BUF_BBUF: depth_of = BBUF_DEPTH;
      default:  depth_of = OBUF_DEPTH;
    endcase
  endfunction

  // The DRAM channel moves BEAT_BYTES per cycle: a word of `bytes` takes this many cycles.
  function automatic int unsigned beats(input int unsigned bytes);
    beats = (bytes + BEAT_BYTES - 1) / BEAT_BYTES;
  endfunction

  // Words of buffer b a load moves per beat: what fits in the beat and the buffer write port.
  localparam int LOAD_BYTES = BEAT_BYTES < BW / 8 ? BEAT_BYTES : BW / 8;
  function automatic int unsigned per_beat(input logic [1:0] b);
    per_beat = dir == DIR_ST || word_bytes(b) >= LOAD_BYTES ? 1 : LOAD_BYTES / word_bytes(b);
  endfunction

  logic moving;  // the last beat of a word (or of a beat's words): they move now
  logic [31:0] left;
  assign left = 32'(size) - wcount;
  assign moving = state == S_MOVE && wcount != 32'(size) && !(32'(beat) + 1 < beats(word_bytes(buffer)));
  assign buf_words = left < 32'(per_beat(buffer)) ? left : 32'(per_beat(buffer));
  assign done = state == S_MOVE && wcount == 32'(size);
  always_comb begin
    fault = NO_FAULT;
    if (state == S_REQ && (req_addr + 64'(size) * 64'(word_bytes(buffer)) > 64'(DRAM_BYTES)
                           || 64'(buf_ptr) + 64'(size) > 64'(depth_of(buffer))))
      fault = fault_of(FAULT_ADDRESS_OUT_OF_RANGE);
  end
  assign dram_addr = base + 64'(wcount) * 64'(word_bytes(buffer));
  assign dram_re = moving && dir == DIR_LD;
  assign dram_we = moving && dir == DIR_ST;
  assign dram_wdata = buf_rdata;
  assign buf_we = moving && dir == DIR_LD;
  assign buf_addr = buf_ptr + wcount;
  assign buf_wdata = dram_rdata;

  always_ff @(posedge clk) begin
    trace.valid <= 1'b0;
    if (rst) state <= S_IDLE;
    else unique case (state)
      S_IDLE: if (start) begin
        buf_ptr <= '0;
        state <= S_REQ;
      end

      S_REQ:
        if (fault.valid) state <= S_IDLE;  // the sequencer takes the fault
        else begin
          base <= req_addr;
          wcount <= '0;
          beat <= '0;
          state <= S_MOVE;
        end

      S_MOVE:
        if (done) begin
          trace <= trace_event(TR_DMA, TRACE_SA, group_end, dir, {2'b0, buffer}, base, buf_ptr, wcount, '0);
          buf_ptr <= buf_ptr + wcount;
          state <= more ? S_REQ : S_IDLE;
        end else if (moving) begin
          wcount <= wcount + buf_words;
          beat <= '0;
        end else beat <= beat + 1;

      default: state <= S_IDLE;
    endcase
  end
endmodule

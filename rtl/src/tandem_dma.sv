// The Tandem DMA: per direction (LD, ST) and VMEM (1, 2), a DRAM base address and up to 32 base
// and 32 tile loops with byte strides, set by the LD_ST rows and cleared when a SIMD group
// starts. LD_START / ST_START moves `size` VMEM words per request, one request per point of the
// loops (base loops outermost, as the spec's dma_loops walks them), from the tile address on;
// a word is M elements of 1, 2 or 4 bytes in DRAM (sign-extended into 32-bit lanes on a load).
// The channel moves BEAT_BYTES per cycle, so a word of B bytes takes ceil(B / BEAT_BYTES) cycles.
module tandem_dma
  import genesys_isa::*;
  import npu_pkg::*;
#(
    parameter int M = 4,
    parameter int VMEM_DEPTH = 256,
    parameter int DRAM_BYTES = 1 << 20,
    parameter int BEAT_BYTES = 16,
    localparam int VW = M * 32
) (
    input  logic          clk,
    input  logic          rst,
    input  logic          group_start,  // a SIMD group starts: forget the last one's configuration
    input  logic          decode,
    input  logic [31:0]   ir,
    input  row_t          row,
    input  logic [31:0]   pc,
    output claim_t        claim,
    output logic          done,         // the transfer is done (combinational)
    output fault_t        fault,
    // DRAM: read `dram_rdata` at `dram_addr`, or write the `dram_wbe` bytes of `dram_wdata` there
    output logic          dram_re,
    output logic          dram_we,
    output logic [63:0]   dram_addr,
    input  logic [VW-1:0] dram_rdata,
    output logic [VW-1:0] dram_wdata,
    output logic [VW/8-1:0] dram_wbe,
    // VMEM (buffers.sv): the word stored, the word loaded
    output ns_read_t      vmem_rd,
    input  logic [VW-1:0] vmem_word,
    output logic          ns_we,
    output logic [2:0]    ns_wns,
    output logic [31:0]   ns_waddr,
    output logic [VW-1:0] ns_wdata,
    output trace_t        trace
);
  typedef enum logic [1:0] {S_IDLE, S_START, S_REQ, S_MOVE} state_t;
  state_t state;

  logic [15:0] dma_low;
  logic [31:0] dma_base [2][2];
  logic [15:0] dma_tile_addr [2][2];
  // DMA walker loops, outermost first as the spec's dma_loops walks them: base loops 0-31
  // are slots 0-31, tile loops 0-31 are slots 32-63.
  logic [63:0] dma_iter_v [2][2];
  logic [63:0][16:0] dma_iters [2][2];
  logic [63:0][31:0] dma_stride [2][2];
  logic [63:0] dma_stride_v [2][2];

  logic        dma_d, dma_n;              // the transfer: direction (DIR_ST: store), VMEM2
  logic [2:0]  elem_bytes;
  logic [15:0] dma_size;
  logic [63:0][16:0] dx, dx_next;
  logic        dx_carry;
  logic [31:0] dma_word, wcount;
  logic [63:0] dma_addr, base;
  logic [15:0] beat;
  logic [2:0]  vmem_ns;
  assign vmem_ns = dma_n ? NS_VMEM2 : NS_VMEM1;

  affine #(.L(64)) u_dma_addr (
      .base(64'(dma_base[dma_d][dma_n])), .active(dma_iter_v[dma_d][dma_n] & dma_stride_v[dma_d][dma_n]),
      .stride(dma_stride[dma_d][dma_n]), .idx(dx), .addr(dma_addr));
  odometer #(.L(64)) u_dma_loops (.active(dma_iter_v[dma_d][dma_n]), .n(dma_iters[dma_d][dma_n]), .idx(dx),
                                  .next(dx_next), .carry(dx_carry));

  // Views of the instruction word, one per layout; each unit reads only the fields it needs.
  /* verilator lint_off UNUSEDSIGNAL */
  ld_config_base_addr_t        set_base;
  ld_config_base_loop_iter_t   set_iters;
  ld_config_base_loop_stride_t set_stride;
  ld_config_tile_addr_t        set_tile;
  ld_start_t                   start;
  tandem_word_t                t;
  /* verilator lint_on UNUSEDSIGNAL */
  dma_fn_t                     fn;
  assign set_base = ir;
  assign set_iters = ir;
  assign set_stride = ir;
  assign set_tile = ir;
  assign start = ir;
  assign t = ir;
  assign fn = t.fn;
  logic d, n;                              // the row's direction and VMEM
  logic [5:0] slot;                        // the row's loop slot
  assign d = fn.st;
  assign n = 3'(set_base.ns) == NS_VMEM2;
  assign slot = {fn.sub == DMA_CONFIG_TILE_LOOP_ITER || fn.sub == DMA_CONFIG_TILE_LOOP_STRIDE, set_iters.loop};

  always_comb begin
    claim = '0;
    unique case (row)
      ROW_LD_CONFIG_BASE_ADDR, ROW_LD_CONFIG_BASE_LOOP_ITER, ROW_LD_CONFIG_BASE_LOOP_STRIDE, ROW_LD_CONFIG_TILE_LOOP_ITER,
      ROW_LD_CONFIG_TILE_LOOP_STRIDE, ROW_LD_CONFIG_TILE_ADDR, ROW_ST_CONFIG_BASE_ADDR, ROW_ST_CONFIG_BASE_LOOP_ITER,
      ROW_ST_CONFIG_BASE_LOOP_STRIDE, ROW_ST_CONFIG_TILE_LOOP_ITER, ROW_ST_CONFIG_TILE_LOOP_STRIDE, ROW_ST_CONFIG_TILE_ADDR:
        claim.mine = 1'b1;
      ROW_LD_START, ROW_ST_START: claim = '{mine: 1'b1, runs: 1'b1, fault: NO_FAULT};
      default: ;
    endcase
  end

  // The DRAM channel moves BEAT_BYTES per cycle: a word of `bytes` takes this many cycles.
  function automatic int unsigned beats(input int unsigned bytes);
    beats = (bytes + BEAT_BYTES - 1) / BEAT_BYTES;
  endfunction

  logic moving;  // the last beat of a word: it moves now
  assign moving = state == S_MOVE && wcount != 32'(dma_size) && !(32'(beat) + 1 < beats(M * elem_bytes));
  assign done = state == S_MOVE && wcount == 32'(dma_size) && dx_carry;
  always_comb begin
    fault = NO_FAULT;
    if (state == S_REQ && (dma_addr + 64'(dma_size) * 64'(M) * 64'(elem_bytes) > 64'(DRAM_BYTES)
                           || 64'(dma_word) + 64'(dma_size) > 64'(VMEM_DEPTH)))
      fault = fault_of(FAULT_ADDRESS_OUT_OF_RANGE);
  end
  assign dram_addr = base + 64'(wcount) * 64'(M) * 64'(elem_bytes);
  assign dram_re = moving && dma_d == DIR_LD;
  assign dram_we = moving && dma_d == DIR_ST;
  assign vmem_rd = '{en: dram_we, ns: vmem_ns, addr: {32'd0, dma_word + wcount}};
  assign ns_we = dram_re;
  assign ns_wns = vmem_ns;
  assign ns_waddr = dma_word + wcount;
  // Element l of a word is bytes [l x elem_bytes, (l + 1) x elem_bytes) of its DRAM bytes. One
  // arm per element size, so that every part-select is constant.
  always_comb begin
    dram_wdata = '0;
    dram_wbe = '0;
    ns_wdata = dram_rdata;  // 4-byte elements
    unique case (elem_bytes)
      3'd1:
        for (int l = 0; l < M; l++) begin
          ns_wdata[32*l +: 32] = 32'(signed'(dram_rdata[8*l +: 8]));
          dram_wdata[8*l +: 8] = vmem_word[32*l +: 8];
          dram_wbe[l] = 1'b1;
        end
      3'd2:
        for (int l = 0; l < M; l++) begin
          ns_wdata[32*l +: 32] = 32'(signed'(dram_rdata[16*l +: 16]));
          dram_wdata[16*l +: 16] = vmem_word[32*l +: 16];
          dram_wbe[2*l +: 2] = 2'b11;
        end
      default: begin
        dram_wdata = vmem_word;
        dram_wbe = '1;
      end
    endcase
  end

  always_ff @(posedge clk) begin
    trace.valid <= 1'b0;
    if (rst) state <= S_IDLE;
    else unique case (state)
      S_IDLE: ;
      S_START: begin
        dx <= '0;
        dma_word <= 32'(dma_tile_addr[dma_d][dma_n]);
        state <= S_REQ;
      end
      S_REQ:
        if (fault.valid) state <= S_IDLE;  // the sequencer takes the fault
        else begin
          base <= dma_addr;
          wcount <= '0;
          beat <= '0;
          state <= S_MOVE;
        end
      S_MOVE:
        if (wcount == 32'(dma_size)) begin
          trace <= trace_event(TR_DMA, TRACE_TANDEM, pc, dma_d, {1'b0, vmem_ns}, base, dma_word, wcount, 32'(elem_bytes));
          dma_word <= dma_word + wcount;
          dx <= dx_next;
          state <= dx_carry ? S_IDLE : S_REQ;
        end else if (moving) begin
          wcount <= wcount + 1;
          beat <= '0;
        end else beat <= beat + 1;
      default: state <= S_IDLE;
    endcase

    if (group_start) begin
      dma_low <= '0;
      for (int gd = 0; gd < 2; gd++)
        for (int gn = 0; gn < 2; gn++) begin
          dma_base[gd][gn] <= '0;
          dma_tile_addr[gd][gn] <= '0;
          dma_iter_v[gd][gn] <= '0;
          dma_stride_v[gd][gn] <= '0;
        end
    end else if (decode && claim.mine)
      unique case (row)
        ROW_LD_START, ROW_ST_START: begin
          dma_d <= d;
          dma_n <= n;
          elem_bytes <= dma_width_bytes(start.width);
          dma_size <= start.size;
          state <= S_START;
        end
        ROW_LD_CONFIG_BASE_LOOP_ITER, ROW_ST_CONFIG_BASE_LOOP_ITER, ROW_LD_CONFIG_TILE_LOOP_ITER,
        ROW_ST_CONFIG_TILE_LOOP_ITER: begin
          dma_iters[d][n][slot] <= 17'(set_iters.iters) + 17'(F_LD_ST_ITERS_OFFSET);
          dma_iter_v[d][n][slot] <= 1'b1;
        end
        ROW_LD_CONFIG_TILE_ADDR, ROW_ST_CONFIG_TILE_ADDR: dma_tile_addr[d][n] <= set_tile.value;
        ROW_LD_CONFIG_BASE_ADDR, ROW_ST_CONFIG_BASE_ADDR:
          if (set_base.half == HALF_LOW) dma_low <= set_base.value;
          else dma_base[d][n] <= {set_base.value, dma_low};
        ROW_LD_CONFIG_BASE_LOOP_STRIDE, ROW_ST_CONFIG_BASE_LOOP_STRIDE, ROW_LD_CONFIG_TILE_LOOP_STRIDE,
        ROW_ST_CONFIG_TILE_LOOP_STRIDE:
          if (set_stride.half == HALF_LOW) dma_low <= set_stride.value;
          else begin
            dma_stride[d][n][slot] <= {set_stride.value, dma_low};
            dma_stride_v[d][n][slot] <= 1'b1;
          end
        default: ;
      endcase
  end
endmodule

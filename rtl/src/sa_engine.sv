// The systolic-array block of an SA group: for each tile (the tile loops), the loads, then the
// array steps (the compute loops), then the stores; each transfer is a sequence of DRAM
// requests (its own loops) that the SA DMA moves. Steps enter the array one per cycle and their
// sums are accumulated into OBUF in issue order as they leave it, so a step that reads a word an
// earlier step writes always sees it. The walkers are odometer.sv and affine.sv.
module sa_engine
  import genesys_isa::*;
  import npu_pkg::*;
#(
    parameter int N = 4,
    parameter int M = 4,
    parameter int IBUF_DEPTH = 512,
    parameter int WBUF_DEPTH = 256,
    parameter int BBUF_DEPTH = 64,
    parameter int OBUF_DEPTH = 256,
    parameter int WEIGHT_BANKS = 4,
    localparam int BANK_W = WEIGHT_BANKS > 1 ? $clog2(WEIGHT_BANKS) : 1,
    localparam int IW = N * 8,
    localparam int WW = N * M * 8,
    localparam int VW = M * 32
) (
    input  logic        clk,
    input  logic        rst,
    input  logic        go,              // run the block of the group whose body was just read
    output logic        done,            // the last tile's stores are done (combinational)
    output fault_t      fault,
    input  logic [31:0] group_end,       // the pc of the group's records
    // the group's configuration (sa_config.sv)
    input  logic [7:0]        tile_active,
    input  logic [7:0][16:0]  tile_n,
    input  logic [7:0]        tile_reduction,
    input  logic [7:0]        comp_active,
    input  logic [7:0][16:0]  comp_n,
    input  logic [7:0]        comp_reduction,
    input  logic [3:0]        nx,
    output logic [2:0]        xk,
    input  logic              x_dir,
    input  logic [1:0]        x_buf,
    input  logic [31:0]       x_base,
    input  logic [5:0]        xfer_active,
    input  logic [5:0][16:0]  xfer_n,
    input  logic [7:0][31:0]  x_tile_stride,
    input  logic [5:0][31:0]  x_xfer_stride,
    input  logic [7:0][31:0]  step_stride [STEP_ACCESSES],
    input  logic              has_bias,
    // transfers (sa_dma.sv): start one, ask for its next request, the DRAM address of the request
    output logic        dma_start,
    output logic        dma_more,
    output logic [63:0] dma_addr,
    input  logic        dma_done,
    // buffers
    output logic [31:0]   act_addr,
    output logic [31:0]   wgt_addr,
    input  logic [IW-1:0] act,
    input  logic [WW-1:0] wgt,
    output logic [31:0]   acc_rd_addr,
    output logic [31:0]   acc_bias_addr,
    input  logic [VW-1:0] acc_rd,
    input  logic [VW-1:0] acc_bias,
    output logic          acc_we,
    output logic [31:0]   acc_wr_addr,
    output logic [VW-1:0] acc_wdata,
    output logic          step_out,      // a step's sums left the array (the SA_STEPS counter)
    output trace_t        trace
);
  typedef enum logic [2:0] {S_IDLE, S_TILE_BEGIN, S_XFER_PICK, S_XFER, S_COMP_BEGIN, S_STEP, S_STEP_DRAIN, S_TILE_END} state_t;
  state_t state;

  typedef logic [$clog2(OBUF_DEPTH)-1:0] obuf_idx_t;
  typedef logic [$clog2(BBUF_DEPTH)-1:0] bbuf_idx_t;

  // What the result of a step needs when it leaves the array: whether it starts a reduction
  // (bias, not OBUF, is its accumulator) and its OBUF write, OBUF read and BBUF words.
  typedef struct packed {
    logic first;
    obuf_idx_t wr;
    obuf_idx_t rd;
    bbuf_idx_t bias;
  } step_tag_t;

  logic [7:0][16:0] tix;                  // loop indices of the walkers
  logic [5:0][16:0] xix;
  logic [7:0][16:0] cix;
  logic [3:0]  xj;                        // transfer being run (0..nx)
  logic        phase;                     // DIR_LD: the tile's loads, DIR_ST: its stores
  logic        first_outer, bias_on;
  logic [31:0] tile_no, lo, hi;
  logic        arr_in_valid, arr_out_valid, arr_swap, arr_busy;
  logic [IW-1:0] arr_act;
  logic [WW-1:0] arr_wgt;
  logic [VW-1:0] arr_psum;
  step_tag_t   arr_tag, out_tag;
  logic [31:0] last_wgt;                  // WBUF word under the shadow weights (all ones: none)
  logic [BANK_W-1:0] bank, arr_bank;      // the shadow bank the next weight change loads, round robin
  logic [7:0]  since [WEIGHT_BANKS];      // cycles since a step last loaded each bank
  assign xk = xj[2:0];

  systolic_array #(.N(N), .M(M), .TAG_W($bits(step_tag_t)), .BANKS(WEIGHT_BANKS)) u_array (
      .clk, .rst, .in_valid(arr_in_valid), .swap(arr_swap), .bank(arr_bank), .act(arr_act), .wgt(arr_wgt), .tag_in(arr_tag),
      .out_valid(arr_out_valid), .psum(arr_psum), .tag_out(out_tag), .busy(arr_busy));

  // DRAM byte address of the current request of transfer xk: the tile loops, then its own.
  logic [63:0] req_tile_addr;
  affine #(.L(8)) u_req_tile (.base(64'(x_base)), .active(tile_active), .stride(x_tile_stride), .idx(tix),
                              .addr(req_tile_addr));
  affine #(.L(6)) u_req_xfer (.base(req_tile_addr), .active(xfer_active), .stride(x_xfer_stride), .idx(xix),
                              .addr(dma_addr));

  // Buffer word addresses of the current array step (STEP_*), the first out of range + 1 (0:
  // none), and whether the step starts a reduction (every reduction loop at index 0).
  logic [63:0] step_addr [STEP_ACCESSES];
  logic [2:0]  step_bad;
  logic        step_first;
  for (genvar j = 0; j < STEP_ACCESSES; j++) begin : g_step
    affine #(.L(8)) u_step_addr (.base('0), .active(comp_active), .stride(step_stride[j]), .idx(cix),
                                 .addr(step_addr[j]));
  end

  function automatic int unsigned depth_of(input logic [1:0] b);
    unique case (b)
      BUF_WBUF: depth_of = WBUF_DEPTH;
      BUF_IBUF: depth_of = IBUF_DEPTH;
      BUF_BBUF: depth_of = BBUF_DEPTH;
      default:  depth_of = OBUF_DEPTH;
    endcase
  endfunction

  logic tile_first;  // the tile starts its reduction: every reduction tile loop at index 0
  always_comb begin
    step_bad = 3'd0;
    for (int j = STEP_ACCESSES - 1; j >= 0; j--)
      if (step_addr[j] >= 64'(depth_of(STEP_BUF[j]))) step_bad = 3'(j + 1);
    step_first = first_outer;
    tile_first = 1'b1;
    for (int k = 0; k < 8; k++) begin
      if (comp_active[k] && comp_reduction[k] && cix[k] != 0) step_first = 1'b0;
      if (tile_active[k] && tile_reduction[k] && tix[k] != 0) tile_first = 1'b0;
    end
  end

  logic [7:0][16:0] tix_next, cix_next;
  logic [5:0][16:0] xix_next;
  logic tix_carry, xix_carry, cix_carry;
  odometer #(.L(8)) u_tile_loops (.active(tile_active), .n(tile_n), .idx(tix), .next(tix_next), .carry(tix_carry));
  odometer #(.L(6)) u_xfer_loops (.active(xfer_active), .n(xfer_n), .idx(xix), .next(xix_next), .carry(xix_carry));
  odometer #(.L(8)) u_comp_loops (.active(comp_active), .n(comp_n), .idx(cix), .next(cix_next), .carry(cix_carry));

  // A tile's transfer xk runs in the phase of its direction, except that the first tile of a
  // reduction does not load OBUF (its sums start from the bias).
  logic picked, issue;
  assign picked = x_dir == phase && !(phase == DIR_LD && x_buf == BUF_OBUF && first_outer);
  assign dma_start = state == S_XFER_PICK && xj != nx && picked;
  assign dma_more = state == S_XFER && dma_done && !xix_carry;
  assign done = state == S_XFER_PICK && xj == nx && phase == DIR_ST && tix_carry;
  assign fault = state == S_STEP && step_bad != 0 ? fault_of(FAULT_ADDRESS_OUT_OF_RANGE) : NO_FAULT;
  // A step under other weights than the last one loads the next shadow bank, once the change
  // that last loaded it has reached every PE: the last PE takes it N + M - 1 cycles after its
  // step entered the array (systolic_array.sv).
  assign issue = state == S_STEP && step_bad == 0
                 && (step_addr[STEP_WGT][31:0] == last_wgt || since[bank] >= 8'(N + M - 2));
  assign act_addr = step_addr[STEP_ACT][31:0];
  assign wgt_addr = step_addr[STEP_WGT][31:0];

  // A step's sums leave the array: accumulate them into OBUF.
  assign acc_we = arr_out_valid;
  assign step_out = arr_out_valid;
  assign acc_wr_addr = 32'(out_tag.wr);
  assign acc_rd_addr = 32'(out_tag.rd);
  assign acc_bias_addr = 32'(out_tag.bias);
  always_comb
    for (int l = 0; l < M; l++)
      acc_wdata[32*l +: 32] = arr_psum[32*l +: 32]
          + (!out_tag.first ? acc_rd[32*l +: 32] : bias_on ? acc_bias[32*l +: 32] : '0);

  always_ff @(posedge clk) begin
    trace.valid <= 1'b0;
    arr_in_valid <= 1'b0;
    arr_swap <= 1'b0;
    for (int b = 0; b < WEIGHT_BANKS; b++) if (since[b] != 8'hFF) since[b] <= since[b] + 1;
    if (arr_out_valid) begin
      if (32'(out_tag.wr) < lo) lo <= 32'(out_tag.wr);
      if (32'(out_tag.wr) + 1 > hi) hi <= 32'(out_tag.wr) + 1;
    end
    if (rst) begin
      state <= S_IDLE;
      bank <= '0;
      for (int b = 0; b < WEIGHT_BANKS; b++) since[b] <= 8'hFF;  // no weight change in flight
    end else unique case (state)
      S_IDLE: if (go) begin
        tix <= '0;
        tile_no <= '0;
        bias_on <= has_bias;
        state <= S_TILE_BEGIN;
      end

      S_TILE_BEGIN: begin
        first_outer <= tile_first;
        xj <= '0;
        phase <= DIR_LD;
        state <= S_XFER_PICK;
      end

      S_XFER_PICK:
        if (xj == nx) begin
          if (phase == DIR_LD) state <= S_COMP_BEGIN;
          else begin  // the tile is done: the next one, or the end of the block
            tix <= tix_next;
            if (tix_carry) state <= S_IDLE;
            else begin
              tile_no <= tile_no + 1;
              state <= S_TILE_BEGIN;
            end
          end
        end else if (picked) begin
          xix <= '0;
          state <= S_XFER;
        end else xj <= xj + 1;

      S_XFER: if (dma_done) begin  // a request is done: the transfer's next, or the next transfer
        xix <= xix_next;
        if (xix_carry) begin
          xj <= xj + 1;
          state <= S_XFER_PICK;
        end
      end

      S_COMP_BEGIN: begin
        cix <= '0;
        lo <= 32'(OBUF_DEPTH);
        hi <= '0;
        last_wgt <= '1;  // the tile's WBUF is new: its first step loads the weights
        state <= S_STEP;
      end

      S_STEP:
        if (step_bad != 0) state <= S_IDLE;  // the sequencer takes the fault
        else if (issue) begin
          arr_act <= act;
          arr_wgt <= wgt;
          arr_in_valid <= 1'b1;
          if (step_addr[STEP_WGT][31:0] != last_wgt) begin
            arr_swap <= 1'b1;
            arr_bank <= bank;
            bank <= bank + 1;
            last_wgt <= step_addr[STEP_WGT][31:0];
            since[bank] <= '0;
          end
          arr_tag <= '{first: step_first, wr: obuf_idx_t'(step_addr[STEP_OUT]), rd: obuf_idx_t'(step_addr[STEP_PSUM]),
                       bias: bbuf_idx_t'(step_addr[STEP_BIAS])};
          cix <= cix_next;
          if (cix_carry) state <= S_STEP_DRAIN;
        end

      S_STEP_DRAIN: if (!arr_busy) state <= S_TILE_END;

      S_TILE_END: begin
        trace <= trace_event(TR_TILE, TRACE_SA, group_end, 1'b0, 4'd0, 64'd0, lo, hi, tile_no);
        xj <= '0;
        phase <= DIR_ST;
        state <= S_XFER_PICK;
      end

      default: state <= S_IDLE;
    endcase
  end
endmodule

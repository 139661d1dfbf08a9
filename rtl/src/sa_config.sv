// The configuration an SA group's body sets (SA_LOOP_CFG, SA_REDUCTION_LOOP, SET_LOOP_STRIDE,
// SET_BASE_ADDR, LD_ST), collected while the sequencer reads the body and cleared when a group
// starts; and what the SA engine, its DMA and the instruction-memory loader read of it.
// Loops nest in declaration order: the first `ntile` tile loops, the first `ncomp` compute
// loops, and per transfer slot {dir, buffer} its first `nxfer` transfer loops.
module sa_config
  import genesys_isa::*;
  import npu_pkg::*;
(
    input  logic        clk,
    input  logic        group_start,      // an SA group passed its checks: forget the last one
    input  logic        decode,           // `ir` is an instruction of the group's body
    input  logic [31:0] ir,
    input  row_t        row,
    output fault_t      decode_fault,     // what decoding `ir` faults with (combinational)
    output logic        block_bad,        // a loop or transfer declared twice, a reduction loop never declared
    // loops: active, iterations, and whether the loop is a reduction loop
    output logic [7:0]        tile_active,
    output logic [7:0][16:0]  tile_n,
    output logic [7:0]        tile_reduction,
    output logic [7:0]        comp_active,
    output logic [7:0][16:0]  comp_n,
    output logic [7:0]        comp_reduction,
    // transfers, in declaration order; `xk` selects the one the outputs below describe
    output logic [3:0]        nx,
    input  logic [2:0]        xk,
    output logic              x_dir,
    output logic [1:0]        x_buf,
    output logic [15:0]       x_size,
    output logic [31:0]       x_base,     // DRAM byte base address of its buffer
    output logic [5:0]        xfer_active,
    output logic [5:0][16:0]  xfer_n,
    output logic [7:0][31:0]  x_tile_stride,  // its DRAM byte strides over the tile loops
    output logic [5:0][31:0]  x_xfer_stride,  // and over its own loops
    output logic [7:0][31:0]  step_stride [STEP_ACCESSES],  // buffer word strides over the compute loops
    output logic              has_bias,   // the group loads BBUF
    // instruction-memory loads, queued for after the block: load `imem_words` of load `imem_k`
    output logic [31:0]       imem_base,
    output logic [4:0]        nimem,
    input  logic [3:0]        imem_k,
    output logic [15:0]       imem_words
);
  localparam int IMEM_LOADS = IMEM_LOADS_PER_GROUP;  // one more in a group is a BAD_CONFIG fault

  logic [5:0]  tile_id [8];
  logic [3:0]  ntile;
  logic [5:0]  comp_id [8];
  logic [3:0]  ncomp;
  logic [5:0]  xfer_id [8][6];
  logic [5:0][16:0] xfer_iters [8];
  logic [2:0]  nxfer [8];
  logic [63:0] declared, reduction;
  logic        dup_loop, dup_xfer;
  logic [31:0] stride_mem [1024];         // {access, buffer, loop id}
  logic [1023:0] stride_v;                // entries written in this group
  logic [31:0] sa_base [4];
  logic [15:0] stride_low, base_low;
  logic [15:0] imem_q [IMEM_LOADS];
  logic        xd [8];                    // transfers: direction, buffer, words per request
  logic [1:0]  xb [8];
  logic [15:0] xs [8];
  logic [7:0]  have_x;                    // {dir, buffer}

  // Views of the instruction word, one per layout; each unit reads only the fields it needs.
  /* verilator lint_off UNUSEDSIGNAL */
  sa_word_t           sa;
  sa_loop_cfg_t       loop_cfg;
  set_loop_stride_t   set_stride;
  set_base_addr_t     set_base;
  sa_ld_st_t          ld_st;
  /* verilator lint_on UNUSEDSIGNAL */
  assign sa = ir;
  assign loop_cfg = ir;
  assign set_stride = ir;
  assign set_base = ir;
  assign ld_st = ir;

  always_comb begin
    decode_fault = NO_FAULT;
    unique case (row)
      ROW_SA_LOOP_CFG, ROW_SET_LOOP_STRIDE: ;
      ROW_SA_REDUCTION_LOOP: if (32'(sa.loop_id) > COMPUTE_LOOP_LAST) decode_fault = fault_of(FAULT_BAD_CONFIG);
      ROW_SET_BASE_ADDR:  // target IMEM names no buffer
        if (set_base.target == TARGET_IMEM && set_base.buffer != '0) decode_fault = fault_of(FAULT_BAD_CONFIG);
      ROW_LD_ST:
        if (ld_st.target == TARGET_IMEM) begin
          if (ld_st.buffer != '0 || ld_st.dir == DIR_ST || nimem == 5'(IMEM_LOADS)) decode_fault = fault_of(FAULT_BAD_CONFIG);
        end else if (ld_st.dir == DIR_ST && ld_st.buffer != BUF_OBUF) decode_fault = fault_of(FAULT_BAD_CONFIG);
      default: decode_fault = fault_of(FAULT_MALFORMED_GROUP);  // not an SA configuration row
    endcase
  end

  always_ff @(posedge clk) begin
    if (group_start) begin
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
    end else if (decode && !decode_fault.valid) begin
      unique case (row)
        ROW_SA_LOOP_CFG: begin
          logic [2:0] slot;
          logic [16:0] iters;
          iters = 17'(loop_cfg.iters) + 17'(F_SA_LOOP_ITERS_OFFSET);
          slot = 3'((32'(sa.loop_id) - XFER_LD_WBUF_FIRST) / XFER_LOOPS_PER_SLOT);
          if (declared[sa.loop_id]) dup_loop <= 1'b1;
          declared[sa.loop_id] <= 1'b1;
          if (32'(sa.loop_id) <= TILE_LOOP_LAST) begin
            if (ntile < 8) begin
              tile_id[ntile[2:0]] <= sa.loop_id;
              tile_n[ntile[2:0]] <= iters;
              ntile <= ntile + 1;
            end
          end else if (32'(sa.loop_id) <= COMPUTE_LOOP_LAST) begin
            if (ncomp < 8) begin
              comp_id[ncomp[2:0]] <= sa.loop_id;
              comp_n[ncomp[2:0]] <= iters;
              ncomp <= ncomp + 1;
            end
          end else if (nxfer[slot] < 6) begin
            xfer_id[slot][nxfer[slot]] <= sa.loop_id;
            xfer_iters[slot][nxfer[slot]] <= iters;
            nxfer[slot] <= nxfer[slot] + 1;
          end
        end
        ROW_SA_REDUCTION_LOOP: reduction[sa.loop_id] <= 1'b1;
        ROW_SET_LOOP_STRIDE:
          if (set_stride.half == HALF_LOW) stride_low <= set_stride.value;
          else begin
            stride_mem[{set_stride.access, set_stride.buffer, set_stride.loop_id}] <= {set_stride.value, stride_low};
            stride_v[{set_stride.access, set_stride.buffer, set_stride.loop_id}] <= 1'b1;
          end
        ROW_SET_BASE_ADDR:
          if (set_base.half == HALF_LOW) base_low <= set_base.value;
          else if (set_base.target == TARGET_IMEM) imem_base <= {set_base.value, base_low};
          else sa_base[set_base.buffer] <= {set_base.value, base_low};
        ROW_LD_ST:
          if (ld_st.target == TARGET_IMEM) begin
            imem_q[nimem[3:0]] <= ld_st.size;
            nimem <= nimem + 1;
          end else begin
            if (have_x[{ld_st.dir, ld_st.buffer}] || nx == 8) dup_xfer <= 1'b1;
            have_x[{ld_st.dir, ld_st.buffer}] <= 1'b1;
            if (nx < 8) begin
              xd[nx[2:0]] <= ld_st.dir;
              xb[nx[2:0]] <= ld_st.buffer;
              xs[nx[2:0]] <= ld_st.size;
              nx <= nx + 1;
            end
          end
        default: ;
      endcase
    end
  end

  // The first `count` of eight loops.
  function automatic logic [7:0] first_loops(input logic [3:0] count);
    first_loops = 8'((9'd1 << count) - 9'd1);
  endfunction

  function automatic logic [31:0] stride(input logic [1:0] access, input logic [1:0] b, input logic [5:0] lid);
    stride = stride_v[{access, b, lid}] ? stride_mem[{access, b, lid}] : '0;
  endfunction

  logic [2:0] slot;  // {dir, buffer} of transfer xk
  assign slot = {xd[xk], xb[xk]};
  assign block_bad = dup_loop || (reduction & ~declared) != 0 || dup_xfer;
  assign tile_active = first_loops(ntile);
  assign comp_active = first_loops(ncomp);
  assign xfer_active = 6'(first_loops({1'b0, nxfer[slot]}));
  assign x_dir = xd[xk];
  assign x_buf = xb[xk];
  assign x_size = xs[xk];
  assign x_base = sa_base[xb[xk]];
  assign xfer_n = xfer_iters[slot];
  assign has_bias = have_x[{DIR_LD, BUF_BBUF}];
  assign imem_words = imem_q[imem_k];
  always_comb begin
    for (int k = 0; k < 8; k++) begin
      tile_reduction[k] = reduction[tile_id[k]];
      comp_reduction[k] = reduction[comp_id[k]];
      x_tile_stride[k] = stride(xd[xk] == DIR_ST ? ACC_ST : ACC_LD, xb[xk], tile_id[k]);
      for (int j = 0; j < STEP_ACCESSES; j++) step_stride[j][k] = stride(STEP_ACCESS[j], STEP_BUF[j], comp_id[k]);
    end
    for (int k = 0; k < 6; k++) x_xfer_stride[k] = stride(xd[xk] == DIR_ST ? ACC_ST : ACC_LD, xb[xk], xfer_id[slot][k]);
  end
endmodule

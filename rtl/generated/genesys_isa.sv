// DO NOT EDIT, generated from isa_spec @ceea66c7c7f64378 by `genesys gen`.

// A package of constants: no single module uses them all.
/* verilator lint_off UNUSEDPARAM */
package genesys_isa;

  // Opcodes (bits [31:28]).
  localparam logic [3:0] OP_ALU = 4'd0;
  localparam logic [3:0] OP_CALCULUS = 4'd1;
  localparam logic [3:0] OP_COMPARISON = 4'd2;
  localparam logic [3:0] OP_DTYPE_CAST = 4'd3;
  localparam logic [3:0] OP_DTYPE_CFG = 4'd4;
  localparam logic [3:0] OP_LD_ST = 4'd5;
  localparam logic [3:0] OP_ITERATOR_CONFIG = 4'd6;
  localparam logic [3:0] OP_LOOP = 4'd7;
  localparam logic [3:0] OP_PERMUTATION = 4'd8;
  localparam logic [3:0] OP_SA_LOOP = 4'd9;
  localparam logic [3:0] OP_SYNC_INST = 4'd10;
  localparam logic [3:0] OP_BLOCK_END = 4'd11;
  localparam logic [3:0] OP_SET_LOOP_STRIDE = 4'd12;
  localparam logic [3:0] OP_SET_BASE_ADDR = 4'd13;
  localparam logic [3:0] OP_SA_LD_ST = 4'd14;

  // One match/mask pair per instruction: (word & MASK) == MATCH, reserved bits included.
  localparam logic [31:0] SA_LOOP_CFG_MATCH = 32'h90000000;  localparam logic [31:0] SA_LOOP_CFG_MASK = 32'hffc00000;
  localparam logic [31:0] SA_REDUCTION_LOOP_MATCH = 32'h98000000;  localparam logic [31:0] SA_REDUCTION_LOOP_MASK = 32'hffc0fffc;
  localparam logic [31:0] SYNC_INST_MATCH = 32'ha0000000;  localparam logic [31:0] SYNC_INST_MASK = 32'hf1c00000;
  localparam logic [31:0] BLOCK_END_MATCH = 32'hb0000000;  localparam logic [31:0] BLOCK_END_MASK = 32'hfffffffe;
  localparam logic [31:0] SET_LOOP_STRIDE_MATCH = 32'hc0000000;  localparam logic [31:0] SET_LOOP_STRIDE_MASK = 32'hf4000000;
  localparam logic [31:0] SET_BASE_ADDR_MATCH = 32'hd0000000;  localparam logic [31:0] SET_BASE_ADDR_MASK = 32'hf33f0000;
  localparam logic [31:0] LD_ST_MATCH = 32'he0000000;  localparam logic [31:0] LD_ST_MASK = 32'hf33f0000;
  localparam logic [31:0] ADD_MATCH = 32'h00000000;  localparam logic [31:0] ADD_MASK = 32'hff000000;
  localparam logic [31:0] SUB_MATCH = 32'h01000000;  localparam logic [31:0] SUB_MASK = 32'hff000000;
  localparam logic [31:0] MUL_MATCH = 32'h02000000;  localparam logic [31:0] MUL_MASK = 32'hff000000;
  localparam logic [31:0] MACC_MATCH = 32'h03000000;  localparam logic [31:0] MACC_MASK = 32'hff000000;
  localparam logic [31:0] DIV_MATCH = 32'h04000000;  localparam logic [31:0] DIV_MASK = 32'hff000000;
  localparam logic [31:0] MAX_MATCH = 32'h05000000;  localparam logic [31:0] MAX_MASK = 32'hff000000;
  localparam logic [31:0] MIN_MATCH = 32'h06000000;  localparam logic [31:0] MIN_MASK = 32'hff000000;
  localparam logic [31:0] RSHIFT_MATCH = 32'h07000000;  localparam logic [31:0] RSHIFT_MASK = 32'hff000000;
  localparam logic [31:0] LSHIFT_MATCH = 32'h08000000;  localparam logic [31:0] LSHIFT_MASK = 32'hff000000;
  localparam logic [31:0] MOVE_MATCH = 32'h09000000;  localparam logic [31:0] MOVE_MASK = 32'hff0000ff;
  localparam logic [31:0] COND_MOVE_TRUE_MATCH = 32'h0a000000;  localparam logic [31:0] COND_MOVE_TRUE_MASK = 32'hff000000;
  localparam logic [31:0] COND_MOVE_FALSE_MATCH = 32'h0b000000;  localparam logic [31:0] COND_MOVE_FALSE_MASK = 32'hff000000;
  localparam logic [31:0] NOT_MATCH = 32'h0c000000;  localparam logic [31:0] NOT_MASK = 32'hff0000ff;
  localparam logic [31:0] AND_MATCH = 32'h0d000000;  localparam logic [31:0] AND_MASK = 32'hff000000;
  localparam logic [31:0] OR_MATCH = 32'h0e000000;  localparam logic [31:0] OR_MASK = 32'hff000000;
  localparam logic [31:0] NOP_MATCH = 32'h0f000000;  localparam logic [31:0] NOP_MASK = 32'hffffffff;
  localparam logic [31:0] RELU_MATCH = 32'h10000000;  localparam logic [31:0] RELU_MASK = 32'hff0000ff;
  localparam logic [31:0] LEAKY_RELU_MATCH = 32'h11000000;  localparam logic [31:0] LEAKY_RELU_MASK = 32'hff000000;
  localparam logic [31:0] ABS_MATCH = 32'h12000000;  localparam logic [31:0] ABS_MASK = 32'hff0000ff;
  localparam logic [31:0] SIGN_MATCH = 32'h13000000;  localparam logic [31:0] SIGN_MASK = 32'hff0000ff;
  localparam logic [31:0] SIGMOID_MATCH = 32'h14000000;  localparam logic [31:0] SIGMOID_MASK = 32'hff0000ff;  // illegal: no exact definition
  localparam logic [31:0] TANH_MATCH = 32'h15000000;  localparam logic [31:0] TANH_MASK = 32'hff0000ff;  // illegal: no exact definition
  localparam logic [31:0] EXP_MATCH = 32'h16000000;  localparam logic [31:0] EXP_MASK = 32'hff0000ff;  // illegal: no exact definition
  localparam logic [31:0] LN_MATCH = 32'h17000000;  localparam logic [31:0] LN_MASK = 32'hff0000ff;  // illegal: no exact definition
  localparam logic [31:0] SQRT_MATCH = 32'h18000000;  localparam logic [31:0] SQRT_MASK = 32'hff0000ff;
  localparam logic [31:0] INV_SQRT_MATCH = 32'h19000000;  localparam logic [31:0] INV_SQRT_MASK = 32'hff0000ff;  // illegal: no exact definition
  localparam logic [31:0] LOG2_MATCH = 32'h1a000000;  localparam logic [31:0] LOG2_MASK = 32'hff0000ff;  // illegal: no exact definition
  localparam logic [31:0] EQ_MATCH = 32'h20000000;  localparam logic [31:0] EQ_MASK = 32'hff000000;
  localparam logic [31:0] NEQ_MATCH = 32'h21000000;  localparam logic [31:0] NEQ_MASK = 32'hff000000;
  localparam logic [31:0] GT_MATCH = 32'h22000000;  localparam logic [31:0] GT_MASK = 32'hff000000;
  localparam logic [31:0] GTE_MATCH = 32'h23000000;  localparam logic [31:0] GTE_MASK = 32'hff000000;
  localparam logic [31:0] LT_MATCH = 32'h24000000;  localparam logic [31:0] LT_MASK = 32'hff000000;
  localparam logic [31:0] LTE_MATCH = 32'h25000000;  localparam logic [31:0] LTE_MASK = 32'hff000000;
  localparam logic [31:0] FXP32_TO_FXP16_MATCH = 32'h30000000;  localparam logic [31:0] FXP32_TO_FXP16_MASK = 32'hff0000ff;
  localparam logic [31:0] FXP32_TO_FXP8_MATCH = 32'h31000000;  localparam logic [31:0] FXP32_TO_FXP8_MASK = 32'hff0000ff;
  localparam logic [31:0] FXP32_TO_FXP4_MATCH = 32'h32000000;  localparam logic [31:0] FXP32_TO_FXP4_MASK = 32'hff0000ff;
  localparam logic [31:0] FXP16_TO_FXP32_MATCH = 32'h33000000;  localparam logic [31:0] FXP16_TO_FXP32_MASK = 32'hff0000ff;
  localparam logic [31:0] FXP8_TO_FXP32_MATCH = 32'h34000000;  localparam logic [31:0] FXP8_TO_FXP32_MASK = 32'hff0000ff;
  localparam logic [31:0] FXP4_TO_FXP32_MATCH = 32'h35000000;  localparam logic [31:0] FXP4_TO_FXP32_MASK = 32'hff0000ff;
  localparam logic [31:0] FP32_TO_FP16_MATCH = 32'h36000000;  localparam logic [31:0] FP32_TO_FP16_MASK = 32'hff0000ff;
  localparam logic [31:0] FP16_TO_FP32_MATCH = 32'h37000000;  localparam logic [31:0] FP16_TO_FP32_MASK = 32'hff0000ff;
  localparam logic [31:0] FLOOR_MATCH = 32'h38000000;  localparam logic [31:0] FLOOR_MASK = 32'hff0000ff;
  localparam logic [31:0] CEIL_MATCH = 32'h39000000;  localparam logic [31:0] CEIL_MASK = 32'hff0000ff;
  localparam logic [31:0] FP32_TO_BF16_MATCH = 32'h3a000000;  localparam logic [31:0] FP32_TO_BF16_MASK = 32'hff0000ff;
  localparam logic [31:0] BF16_TO_FP32_MATCH = 32'h3b000000;  localparam logic [31:0] BF16_TO_FP32_MASK = 32'hff0000ff;
  localparam logic [31:0] DTYPE_CFG_FXP32_MATCH = 32'h40000000;  localparam logic [31:0] DTYPE_CFG_FXP32_MASK = 32'hff000000;
  localparam logic [31:0] DTYPE_CFG_FXP16_MATCH = 32'h41000000;  localparam logic [31:0] DTYPE_CFG_FXP16_MASK = 32'hff000000;
  localparam logic [31:0] DTYPE_CFG_FXP8_MATCH = 32'h42000000;  localparam logic [31:0] DTYPE_CFG_FXP8_MASK = 32'hff000000;
  localparam logic [31:0] DTYPE_CFG_FP32_MATCH = 32'h43000000;  localparam logic [31:0] DTYPE_CFG_FP32_MASK = 32'hff000000;  // illegal: no exact definition
  localparam logic [31:0] DTYPE_CFG_FP16_MATCH = 32'h44000000;  localparam logic [31:0] DTYPE_CFG_FP16_MASK = 32'hff000000;  // illegal: no exact definition
  localparam logic [31:0] LD_CONFIG_BASE_ADDR_MATCH = 32'h50000000;  localparam logic [31:0] LD_CONFIG_BASE_ADDR_MASK = 32'hff1f0000;
  localparam logic [31:0] LD_CONFIG_BASE_LOOP_ITER_MATCH = 32'h51000000;  localparam logic [31:0] LD_CONFIG_BASE_LOOP_ITER_MASK = 32'hff800000;
  localparam logic [31:0] LD_CONFIG_BASE_LOOP_STRIDE_MATCH = 32'h52000000;  localparam logic [31:0] LD_CONFIG_BASE_LOOP_STRIDE_MASK = 32'hff000000;
  localparam logic [31:0] LD_CONFIG_TILE_LOOP_ITER_MATCH = 32'h53000000;  localparam logic [31:0] LD_CONFIG_TILE_LOOP_ITER_MASK = 32'hff800000;
  localparam logic [31:0] LD_CONFIG_TILE_LOOP_STRIDE_MATCH = 32'h54000000;  localparam logic [31:0] LD_CONFIG_TILE_LOOP_STRIDE_MASK = 32'hff000000;
  localparam logic [31:0] LD_START_MATCH = 32'h55000000;  localparam logic [31:0] LD_START_MASK = 32'hff800000;
  localparam logic [31:0] LD_CONFIG_TILE_ADDR_MATCH = 32'h56000000;  localparam logic [31:0] LD_CONFIG_TILE_ADDR_MASK = 32'hff9f0000;
  localparam logic [31:0] ST_CONFIG_BASE_ADDR_MATCH = 32'h58000000;  localparam logic [31:0] ST_CONFIG_BASE_ADDR_MASK = 32'hff1f0000;
  localparam logic [31:0] ST_CONFIG_BASE_LOOP_ITER_MATCH = 32'h59000000;  localparam logic [31:0] ST_CONFIG_BASE_LOOP_ITER_MASK = 32'hff800000;
  localparam logic [31:0] ST_CONFIG_BASE_LOOP_STRIDE_MATCH = 32'h5a000000;  localparam logic [31:0] ST_CONFIG_BASE_LOOP_STRIDE_MASK = 32'hff000000;
  localparam logic [31:0] ST_CONFIG_TILE_LOOP_ITER_MATCH = 32'h5b000000;  localparam logic [31:0] ST_CONFIG_TILE_LOOP_ITER_MASK = 32'hff800000;
  localparam logic [31:0] ST_CONFIG_TILE_LOOP_STRIDE_MATCH = 32'h5c000000;  localparam logic [31:0] ST_CONFIG_TILE_LOOP_STRIDE_MASK = 32'hff000000;
  localparam logic [31:0] ST_START_MATCH = 32'h5d000000;  localparam logic [31:0] ST_START_MASK = 32'hff800000;
  localparam logic [31:0] ST_CONFIG_TILE_ADDR_MATCH = 32'h5e000000;  localparam logic [31:0] ST_CONFIG_TILE_ADDR_MASK = 32'hff9f0000;
  localparam logic [31:0] BASE_SIGN_EXT_MATCH = 32'h60000000;  localparam logic [31:0] BASE_SIGN_EXT_MASK = 32'hff000000;
  localparam logic [31:0] BASE_LOW_MATCH = 32'h61000000;  localparam logic [31:0] BASE_LOW_MASK = 32'hff000000;
  localparam logic [31:0] BASE_HIGH_MATCH = 32'h62000000;  localparam logic [31:0] BASE_HIGH_MASK = 32'hff000000;
  localparam logic [31:0] BASE_ZEROFILL_MATCH = 32'h63000000;  localparam logic [31:0] BASE_ZEROFILL_MASK = 32'hff000000;
  localparam logic [31:0] STRIDE_SIGN_EXT_MATCH = 32'h64000000;  localparam logic [31:0] STRIDE_SIGN_EXT_MASK = 32'hff000000;
  localparam logic [31:0] STRIDE_LOW_MATCH = 32'h65000000;  localparam logic [31:0] STRIDE_LOW_MASK = 32'hff000000;
  localparam logic [31:0] STRIDE_HIGH_MATCH = 32'h66000000;  localparam logic [31:0] STRIDE_HIGH_MASK = 32'hff000000;
  localparam logic [31:0] STRIDE_ZEROFILL_MATCH = 32'h67000000;  localparam logic [31:0] STRIDE_ZEROFILL_MASK = 32'hff000000;
  localparam logic [31:0] SET_IMM_LOW_MATCH = 32'h68800000;  localparam logic [31:0] SET_IMM_LOW_MASK = 32'hffe00000;
  localparam logic [31:0] SET_IMM_HIGH_MATCH = 32'h69800000;  localparam logic [31:0] SET_IMM_HIGH_MASK = 32'hffe00000;
  localparam logic [31:0] IMM_SIGN_EXT_MATCH = 32'h6a800000;  localparam logic [31:0] IMM_SIGN_EXT_MASK = 32'hffe00000;
  localparam logic [31:0] SET_INDEX_MATCH = 32'h70000000;  localparam logic [31:0] SET_INDEX_MASK = 32'hff000000;
  localparam logic [31:0] SET_ITER_MATCH = 32'h71000000;  localparam logic [31:0] SET_ITER_MASK = 32'hff1f0000;
  localparam logic [31:0] SET_INST_MATCH = 32'h72000000;  localparam logic [31:0] SET_INST_MASK = 32'hff1f0000;
  localparam logic [31:0] PERM_SET_BASE_ADDR_MATCH = 32'h80000000;  localparam logic [31:0] PERM_SET_BASE_ADDR_MASK = 32'hffdf0000;
  localparam logic [31:0] PERM_SET_LOOP_ITER_MATCH = 32'h81000000;  localparam logic [31:0] PERM_SET_LOOP_ITER_MASK = 32'hffe00000;
  localparam logic [31:0] PERM_SET_LOOP_STRIDE_MATCH = 32'h82000000;  localparam logic [31:0] PERM_SET_LOOP_STRIDE_MASK = 32'hffc00000;
  localparam logic [31:0] PERM_START_MATCH = 32'h83000000;  localparam logic [31:0] PERM_START_MASK = 32'hff1f1fff;

  // Field positions (msb, lsb) by name, as laid out in the table; OFFSET: the value is raw + offset.
  localparam int F_SA_LOOP_LOOP_ID_MSB = 21;  localparam int F_SA_LOOP_LOOP_ID_LSB = 16;
  localparam int F_SA_LOOP_ITERS_MSB = 15;  localparam int F_SA_LOOP_ITERS_LSB = 0;  localparam int F_SA_LOOP_ITERS_OFFSET = 1;
  localparam int F_SA_LOOP_DIM_MSB = 1;  localparam int F_SA_LOOP_DIM_LSB = 0;
  localparam int F_SYNC_INST_UNIT_MSB = 27;  localparam int F_SYNC_INST_UNIT_LSB = 27;
  localparam int F_SYNC_INST_EDGE_MSB = 26;  localparam int F_SYNC_INST_EDGE_LSB = 26;
  localparam int F_SYNC_INST_KIND_MSB = 25;  localparam int F_SYNC_INST_KIND_LSB = 25;
  localparam int F_SYNC_INST_GROUP_MSB = 21;  localparam int F_SYNC_INST_GROUP_LSB = 16;
  localparam int F_SYNC_INST_COUNT_MSB = 15;  localparam int F_SYNC_INST_COUNT_LSB = 0;
  localparam int F_BLOCK_END_LAST_MSB = 0;  localparam int F_BLOCK_END_LAST_LSB = 0;
  localparam int F_SET_LOOP_STRIDE_HALF_MSB = 27;  localparam int F_SET_LOOP_STRIDE_HALF_LSB = 27;
  localparam int F_SET_LOOP_STRIDE_ACCESS_MSB = 25;  localparam int F_SET_LOOP_STRIDE_ACCESS_LSB = 24;
  localparam int F_SET_LOOP_STRIDE_BUFFER_MSB = 23;  localparam int F_SET_LOOP_STRIDE_BUFFER_LSB = 22;
  localparam int F_SET_LOOP_STRIDE_LOOP_ID_MSB = 21;  localparam int F_SET_LOOP_STRIDE_LOOP_ID_LSB = 16;
  localparam int F_SET_LOOP_STRIDE_VALUE_MSB = 15;  localparam int F_SET_LOOP_STRIDE_VALUE_LSB = 0;
  localparam int F_SET_BASE_ADDR_HALF_MSB = 27;  localparam int F_SET_BASE_ADDR_HALF_LSB = 27;
  localparam int F_SET_BASE_ADDR_TARGET_MSB = 26;  localparam int F_SET_BASE_ADDR_TARGET_LSB = 26;
  localparam int F_SET_BASE_ADDR_BUFFER_MSB = 23;  localparam int F_SET_BASE_ADDR_BUFFER_LSB = 22;
  localparam int F_SET_BASE_ADDR_VALUE_MSB = 15;  localparam int F_SET_BASE_ADDR_VALUE_LSB = 0;
  localparam int F_SA_LD_ST_DIR_MSB = 27;  localparam int F_SA_LD_ST_DIR_LSB = 27;
  localparam int F_SA_LD_ST_TARGET_MSB = 26;  localparam int F_SA_LD_ST_TARGET_LSB = 26;
  localparam int F_SA_LD_ST_BUFFER_MSB = 23;  localparam int F_SA_LD_ST_BUFFER_LSB = 22;
  localparam int F_SA_LD_ST_SIZE_MSB = 15;  localparam int F_SA_LD_ST_SIZE_LSB = 0;
  localparam int F_ALU_DST_NS_MSB = 23;  localparam int F_ALU_DST_NS_LSB = 21;
  localparam int F_ALU_DST_IDX_MSB = 20;  localparam int F_ALU_DST_IDX_LSB = 16;
  localparam int F_ALU_SRC1_NS_MSB = 15;  localparam int F_ALU_SRC1_NS_LSB = 13;
  localparam int F_ALU_SRC1_IDX_MSB = 12;  localparam int F_ALU_SRC1_IDX_LSB = 8;
  localparam int F_ALU_SRC2_NS_MSB = 7;  localparam int F_ALU_SRC2_NS_LSB = 5;
  localparam int F_ALU_SRC2_IDX_MSB = 4;  localparam int F_ALU_SRC2_IDX_LSB = 0;
  localparam int F_CALCULUS_DST_NS_MSB = 23;  localparam int F_CALCULUS_DST_NS_LSB = 21;
  localparam int F_CALCULUS_DST_IDX_MSB = 20;  localparam int F_CALCULUS_DST_IDX_LSB = 16;
  localparam int F_CALCULUS_SRC1_NS_MSB = 15;  localparam int F_CALCULUS_SRC1_NS_LSB = 13;
  localparam int F_CALCULUS_SRC1_IDX_MSB = 12;  localparam int F_CALCULUS_SRC1_IDX_LSB = 8;
  localparam int F_CALCULUS_SRC2_NS_MSB = 7;  localparam int F_CALCULUS_SRC2_NS_LSB = 5;
  localparam int F_CALCULUS_SRC2_IDX_MSB = 4;  localparam int F_CALCULUS_SRC2_IDX_LSB = 0;
  localparam int F_COMPARISON_DST_NS_MSB = 23;  localparam int F_COMPARISON_DST_NS_LSB = 21;
  localparam int F_COMPARISON_DST_IDX_MSB = 20;  localparam int F_COMPARISON_DST_IDX_LSB = 16;
  localparam int F_COMPARISON_SRC1_NS_MSB = 15;  localparam int F_COMPARISON_SRC1_NS_LSB = 13;
  localparam int F_COMPARISON_SRC1_IDX_MSB = 12;  localparam int F_COMPARISON_SRC1_IDX_LSB = 8;
  localparam int F_COMPARISON_SRC2_NS_MSB = 7;  localparam int F_COMPARISON_SRC2_NS_LSB = 5;
  localparam int F_COMPARISON_SRC2_IDX_MSB = 4;  localparam int F_COMPARISON_SRC2_IDX_LSB = 0;
  localparam int F_DTYPE_CAST_DST_NS_MSB = 23;  localparam int F_DTYPE_CAST_DST_NS_LSB = 21;
  localparam int F_DTYPE_CAST_DST_IDX_MSB = 20;  localparam int F_DTYPE_CAST_DST_IDX_LSB = 16;
  localparam int F_DTYPE_CAST_SRC1_NS_MSB = 15;  localparam int F_DTYPE_CAST_SRC1_NS_LSB = 13;
  localparam int F_DTYPE_CAST_SRC1_IDX_MSB = 12;  localparam int F_DTYPE_CAST_SRC1_IDX_LSB = 8;
  localparam int F_DTYPE_CFG_DST_INT_MSB = 23;  localparam int F_DTYPE_CFG_DST_INT_LSB = 16;
  localparam int F_DTYPE_CFG_SRC1_INT_MSB = 15;  localparam int F_DTYPE_CFG_SRC1_INT_LSB = 8;
  localparam int F_DTYPE_CFG_SRC2_INT_MSB = 7;  localparam int F_DTYPE_CFG_SRC2_INT_LSB = 0;
  localparam int F_LD_ST_HALF_MSB = 23;  localparam int F_LD_ST_HALF_LSB = 23;
  localparam int F_LD_ST_NS_MSB = 22;  localparam int F_LD_ST_NS_LSB = 21;
  localparam int F_LD_ST_VALUE_MSB = 15;  localparam int F_LD_ST_VALUE_LSB = 0;
  localparam int F_LD_ST_LOOP_MSB = 20;  localparam int F_LD_ST_LOOP_LSB = 16;
  localparam int F_LD_ST_ITERS_MSB = 15;  localparam int F_LD_ST_ITERS_LSB = 0;  localparam int F_LD_ST_ITERS_OFFSET = 1;
  localparam int F_LD_ST_WIDTH_MSB = 20;  localparam int F_LD_ST_WIDTH_LSB = 16;
  localparam int F_LD_ST_SIZE_MSB = 15;  localparam int F_LD_ST_SIZE_LSB = 0;
  localparam int F_ITERATOR_CONFIG_NS_MSB = 23;  localparam int F_ITERATOR_CONFIG_NS_LSB = 21;
  localparam int F_ITERATOR_CONFIG_IDX_MSB = 20;  localparam int F_ITERATOR_CONFIG_IDX_LSB = 16;
  localparam int F_ITERATOR_CONFIG_VALUE_MSB = 15;  localparam int F_ITERATOR_CONFIG_VALUE_LSB = 0;
  localparam int F_LOOP_DST_NS_MSB = 23;  localparam int F_LOOP_DST_NS_LSB = 21;
  localparam int F_LOOP_DST_IDX_MSB = 20;  localparam int F_LOOP_DST_IDX_LSB = 16;
  localparam int F_LOOP_SRC1_NS_MSB = 15;  localparam int F_LOOP_SRC1_NS_LSB = 13;
  localparam int F_LOOP_SRC1_IDX_MSB = 12;  localparam int F_LOOP_SRC1_IDX_LSB = 8;
  localparam int F_LOOP_SRC2_NS_MSB = 7;  localparam int F_LOOP_SRC2_NS_LSB = 5;
  localparam int F_LOOP_SRC2_IDX_MSB = 4;  localparam int F_LOOP_SRC2_IDX_LSB = 0;
  localparam int F_LOOP_LEVEL_MSB = 23;  localparam int F_LOOP_LEVEL_LSB = 21;
  localparam int F_LOOP_ITERS_MSB = 15;  localparam int F_LOOP_ITERS_LSB = 0;
  localparam int F_LOOP_BODY_MSB = 15;  localparam int F_LOOP_BODY_LSB = 0;
  localparam int F_PERMUTATION_RW_MSB = 21;  localparam int F_PERMUTATION_RW_LSB = 21;
  localparam int F_PERMUTATION_VALUE_MSB = 15;  localparam int F_PERMUTATION_VALUE_LSB = 0;
  localparam int F_PERMUTATION_IDX_MSB = 20;  localparam int F_PERMUTATION_IDX_LSB = 16;
  localparam int F_PERMUTATION_ITERS_MSB = 15;  localparam int F_PERMUTATION_ITERS_LSB = 0;
  localparam int F_PERMUTATION_DST_NS_MSB = 23;  localparam int F_PERMUTATION_DST_NS_LSB = 21;
  localparam int F_PERMUTATION_SRC1_NS_MSB = 15;  localparam int F_PERMUTATION_SRC1_NS_LSB = 13;

  // Enumerations, as wide as the fields that hold them.
  localparam logic [1:0] BUF_WBUF = 2'd0;
  localparam logic [1:0] BUF_IBUF = 2'd1;
  localparam logic [1:0] BUF_OBUF = 2'd2;
  localparam logic [1:0] BUF_BBUF = 2'd3;
  localparam logic [1:0] ACC_LD = 2'd0;
  localparam logic [1:0] ACC_ST = 2'd1;
  localparam logic [1:0] ACC_RD = 2'd2;
  localparam logic [1:0] ACC_WR = 2'd3;
  localparam logic [2:0] NS_OBUF = 3'd0;
  localparam logic [2:0] NS_IBUF = 3'd1;
  localparam logic [2:0] NS_VMEM1 = 3'd2;
  localparam logic [2:0] NS_VMEM2 = 3'd3;
  localparam logic [2:0] NS_IMM = 3'd4;
  localparam logic [1:0] DIM_IC = 2'd0;
  localparam logic [1:0] DIM_KW = 2'd1;
  localparam logic [1:0] DIM_KH = 2'd2;
  localparam logic [0:0] UNIT_SA = 1'd0;
  localparam logic [0:0] UNIT_SIMD = 1'd1;
  localparam logic [0:0] EDGE_START = 1'd0;
  localparam logic [0:0] EDGE_END = 1'd1;
  localparam logic [0:0] KIND_EXEC = 1'd0;
  localparam logic [0:0] KIND_BUF = 1'd1;
  localparam logic [0:0] HALF_LOW = 1'd0;
  localparam logic [0:0] HALF_HIGH = 1'd1;
  localparam logic [0:0] TARGET_BUFFER = 1'd0;
  localparam logic [0:0] TARGET_IMEM = 1'd1;
  localparam logic [0:0] DIR_LD = 1'd0;
  localparam logic [0:0] DIR_ST = 1'd1;
  localparam logic [4:0] WIDTH_B8 = 5'd0;
  localparam logic [4:0] WIDTH_B16 = 5'd1;
  localparam logic [4:0] WIDTH_B32 = 5'd2;
  localparam logic [0:0] RW_RD = 1'd0;
  localparam logic [0:0] RW_WR = 1'd1;

  // Tandem function codes (the format's fn field), by mnemonic.
  localparam logic [3:0] FN_ADD = 4'd0;
  localparam logic [3:0] FN_SUB = 4'd1;
  localparam logic [3:0] FN_MUL = 4'd2;
  localparam logic [3:0] FN_MACC = 4'd3;
  localparam logic [3:0] FN_DIV = 4'd4;
  localparam logic [3:0] FN_MAX = 4'd5;
  localparam logic [3:0] FN_MIN = 4'd6;
  localparam logic [3:0] FN_RSHIFT = 4'd7;
  localparam logic [3:0] FN_LSHIFT = 4'd8;
  localparam logic [3:0] FN_MOVE = 4'd9;
  localparam logic [3:0] FN_COND_MOVE_TRUE = 4'd10;
  localparam logic [3:0] FN_COND_MOVE_FALSE = 4'd11;
  localparam logic [3:0] FN_NOT = 4'd12;
  localparam logic [3:0] FN_AND = 4'd13;
  localparam logic [3:0] FN_OR = 4'd14;
  localparam logic [3:0] FN_NOP = 4'd15;
  localparam logic [3:0] FN_RELU = 4'd0;
  localparam logic [3:0] FN_LEAKY_RELU = 4'd1;
  localparam logic [3:0] FN_ABS = 4'd2;
  localparam logic [3:0] FN_SIGN = 4'd3;
  localparam logic [3:0] FN_SIGMOID = 4'd4;
  localparam logic [3:0] FN_TANH = 4'd5;
  localparam logic [3:0] FN_EXP = 4'd6;
  localparam logic [3:0] FN_LN = 4'd7;
  localparam logic [3:0] FN_SQRT = 4'd8;
  localparam logic [3:0] FN_INV_SQRT = 4'd9;
  localparam logic [3:0] FN_LOG2 = 4'd10;
  localparam logic [3:0] FN_EQ = 4'd0;
  localparam logic [3:0] FN_NEQ = 4'd1;
  localparam logic [3:0] FN_GT = 4'd2;
  localparam logic [3:0] FN_GTE = 4'd3;
  localparam logic [3:0] FN_LT = 4'd4;
  localparam logic [3:0] FN_LTE = 4'd5;
  localparam logic [3:0] FN_FXP32_TO_FXP16 = 4'd0;
  localparam logic [3:0] FN_FXP32_TO_FXP8 = 4'd1;
  localparam logic [3:0] FN_FXP32_TO_FXP4 = 4'd2;
  localparam logic [3:0] FN_FXP16_TO_FXP32 = 4'd3;
  localparam logic [3:0] FN_FXP8_TO_FXP32 = 4'd4;
  localparam logic [3:0] FN_FXP4_TO_FXP32 = 4'd5;
  localparam logic [3:0] FN_FP32_TO_FP16 = 4'd6;
  localparam logic [3:0] FN_FP16_TO_FP32 = 4'd7;
  localparam logic [3:0] FN_FLOOR = 4'd8;
  localparam logic [3:0] FN_CEIL = 4'd9;
  localparam logic [3:0] FN_FP32_TO_BF16 = 4'd10;
  localparam logic [3:0] FN_BF16_TO_FP32 = 4'd11;
  localparam logic [3:0] FN_DTYPE_CFG_FXP32 = 4'd0;
  localparam logic [3:0] FN_DTYPE_CFG_FXP16 = 4'd1;
  localparam logic [3:0] FN_DTYPE_CFG_FXP8 = 4'd2;
  localparam logic [3:0] FN_DTYPE_CFG_FP32 = 4'd3;
  localparam logic [3:0] FN_DTYPE_CFG_FP16 = 4'd4;
  localparam logic [3:0] FN_LD_CONFIG_BASE_ADDR = 4'd0;
  localparam logic [3:0] FN_LD_CONFIG_BASE_LOOP_ITER = 4'd1;
  localparam logic [3:0] FN_LD_CONFIG_BASE_LOOP_STRIDE = 4'd2;
  localparam logic [3:0] FN_LD_CONFIG_TILE_LOOP_ITER = 4'd3;
  localparam logic [3:0] FN_LD_CONFIG_TILE_LOOP_STRIDE = 4'd4;
  localparam logic [3:0] FN_LD_START = 4'd5;
  localparam logic [3:0] FN_LD_CONFIG_TILE_ADDR = 4'd6;
  localparam logic [3:0] FN_ST_CONFIG_BASE_ADDR = 4'd8;
  localparam logic [3:0] FN_ST_CONFIG_BASE_LOOP_ITER = 4'd9;
  localparam logic [3:0] FN_ST_CONFIG_BASE_LOOP_STRIDE = 4'd10;
  localparam logic [3:0] FN_ST_CONFIG_TILE_LOOP_ITER = 4'd11;
  localparam logic [3:0] FN_ST_CONFIG_TILE_LOOP_STRIDE = 4'd12;
  localparam logic [3:0] FN_ST_START = 4'd13;
  localparam logic [3:0] FN_ST_CONFIG_TILE_ADDR = 4'd14;
  localparam logic [3:0] FN_BASE_SIGN_EXT = 4'd0;
  localparam logic [3:0] FN_BASE_LOW = 4'd1;
  localparam logic [3:0] FN_BASE_HIGH = 4'd2;
  localparam logic [3:0] FN_BASE_ZEROFILL = 4'd3;
  localparam logic [3:0] FN_STRIDE_SIGN_EXT = 4'd4;
  localparam logic [3:0] FN_STRIDE_LOW = 4'd5;
  localparam logic [3:0] FN_STRIDE_HIGH = 4'd6;
  localparam logic [3:0] FN_STRIDE_ZEROFILL = 4'd7;
  localparam logic [3:0] FN_SET_IMM_LOW = 4'd8;
  localparam logic [3:0] FN_SET_IMM_HIGH = 4'd9;
  localparam logic [3:0] FN_IMM_SIGN_EXT = 4'd10;
  localparam logic [3:0] FN_SET_INDEX = 4'd0;
  localparam logic [3:0] FN_SET_ITER = 4'd1;
  localparam logic [3:0] FN_SET_INST = 4'd2;
  localparam logic [3:0] FN_PERM_SET_BASE_ADDR = 4'd0;
  localparam logic [3:0] FN_PERM_SET_LOOP_ITER = 4'd1;
  localparam logic [3:0] FN_PERM_SET_LOOP_STRIDE = 4'd2;
  localparam logic [3:0] FN_PERM_START = 4'd3;

  // Instruction formats (isa_spec.table.FORMATS) and row layouts: cast a word to read its fields.
  typedef struct packed { logic [3:0] opcode; logic [5:0] op_spec; logic [5:0] loop_id; logic [15:0] imm; } sa_word_t;
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [2:0] dst_ns; logic [4:0] dst_idx; logic [2:0] src1_ns; logic [4:0] src1_idx; logic [2:0] src2_ns; logic [4:0] src2_idx; } tandem_word_t;
  // SA_LOOP_CFG
  typedef struct packed { logic [3:0] opcode; logic ident_27_27; logic [4:0] rsvd_26_22; logic [5:0] loop_id; logic [15:0] iters; } sa_loop_cfg_t;
  // SA_REDUCTION_LOOP
  typedef struct packed { logic [3:0] opcode; logic ident_27_27; logic [4:0] rsvd_26_22; logic [5:0] loop_id; logic [13:0] rsvd_15_2; logic [1:0] dim; } sa_reduction_loop_t;
  // SYNC_INST
  typedef struct packed { logic [3:0] opcode; logic unit; logic edge_; logic kind; logic [2:0] rsvd_24_22; logic [5:0] group; logic [15:0] count; } sync_inst_t;
  // BLOCK_END
  typedef struct packed { logic [3:0] opcode; logic [26:0] rsvd_27_1; logic last; } block_end_t;
  // SET_LOOP_STRIDE
  typedef struct packed { logic [3:0] opcode; logic half; logic rsvd_26_26; logic [1:0] access; logic [1:0] buffer; logic [5:0] loop_id; logic [15:0] value; } set_loop_stride_t;
  // SET_BASE_ADDR
  typedef struct packed { logic [3:0] opcode; logic half; logic target; logic [1:0] rsvd_25_24; logic [1:0] buffer; logic [5:0] rsvd_21_16; logic [15:0] value; } set_base_addr_t;
  // LD_ST
  typedef struct packed { logic [3:0] opcode; logic dir; logic target; logic [1:0] rsvd_25_24; logic [1:0] buffer; logic [5:0] rsvd_21_16; logic [15:0] size; } sa_ld_st_t;
  // MOVE, NOT, RELU, ABS, SIGN, SQRT, FXP32_TO_FXP16, FXP32_TO_FXP8, FXP32_TO_FXP4, FXP16_TO_FXP32, FXP8_TO_FXP32, FXP4_TO_FXP32, FP32_TO_FP16, FP16_TO_FP32, FLOOR, CEIL, FP32_TO_BF16, BF16_TO_FP32
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [2:0] dst_ns; logic [4:0] dst_idx; logic [2:0] src1_ns; logic [4:0] src1_idx; logic [7:0] rsvd_7_0; } move_t;
  // NOP
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [23:0] rsvd_23_0; } nop_t;
  // DTYPE_CFG_FXP32, DTYPE_CFG_FXP16, DTYPE_CFG_FXP8
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [7:0] dst_int; logic [7:0] src1_int; logic [7:0] src2_int; } dtype_cfg_t;
  // LD_CONFIG_BASE_ADDR, ST_CONFIG_BASE_ADDR
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic half; logic [1:0] ns; logic [4:0] rsvd_20_16; logic [15:0] value; } ld_config_base_addr_t;
  // LD_CONFIG_BASE_LOOP_ITER, LD_CONFIG_TILE_LOOP_ITER, ST_CONFIG_BASE_LOOP_ITER, ST_CONFIG_TILE_LOOP_ITER
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic rsvd_23_23; logic [1:0] ns; logic [4:0] loop; logic [15:0] iters; } ld_config_base_loop_iter_t;
  // LD_CONFIG_BASE_LOOP_STRIDE, LD_CONFIG_TILE_LOOP_STRIDE, ST_CONFIG_BASE_LOOP_STRIDE, ST_CONFIG_TILE_LOOP_STRIDE
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic half; logic [1:0] ns; logic [4:0] loop; logic [15:0] value; } ld_config_base_loop_stride_t;
  // LD_START, ST_START
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic rsvd_23_23; logic [1:0] ns; logic [4:0] width; logic [15:0] size; } ld_start_t;
  // LD_CONFIG_TILE_ADDR, ST_CONFIG_TILE_ADDR
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic rsvd_23_23; logic [1:0] ns; logic [4:0] rsvd_20_16; logic [15:0] value; } ld_config_tile_addr_t;
  // BASE_SIGN_EXT, BASE_LOW, BASE_HIGH, BASE_ZEROFILL, STRIDE_SIGN_EXT, STRIDE_LOW, STRIDE_HIGH, STRIDE_ZEROFILL
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [2:0] ns; logic [4:0] idx; logic [15:0] value; } base_sign_ext_t;
  // SET_IMM_LOW, SET_IMM_HIGH, IMM_SIGN_EXT
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [2:0] dst_ns; logic [4:0] idx; logic [15:0] value; } set_imm_low_t;
  // SET_ITER
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [2:0] level; logic [4:0] rsvd_20_16; logic [15:0] iters; } set_iter_t;
  // SET_INST
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [2:0] level; logic [4:0] rsvd_20_16; logic [15:0] body; } set_inst_t;
  // PERM_SET_BASE_ADDR
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [1:0] rsvd_23_22; logic rw; logic [4:0] rsvd_20_16; logic [15:0] value; } perm_set_base_addr_t;
  // PERM_SET_LOOP_ITER
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [2:0] rsvd_23_21; logic [4:0] idx; logic [15:0] iters; } perm_set_loop_iter_t;
  // PERM_SET_LOOP_STRIDE
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [1:0] rsvd_23_22; logic rw; logic [4:0] idx; logic [15:0] value; } perm_set_loop_stride_t;
  // PERM_START
  typedef struct packed { logic [3:0] op; logic [3:0] fn; logic [2:0] dst_ns; logic [4:0] rsvd_20_16; logic [2:0] src1_ns; logic [12:0] rsvd_12_0; } perm_start_t;

  // Systolic-array loop-id spaces; transfer loops come in slots of XFER_LOOPS_PER_SLOT ids,
  // slot {dir, buffer} from XFER_LD_WBUF_FIRST on.
  localparam int TILE_LOOP_FIRST = 0;  localparam int TILE_LOOP_LAST = 7;
  localparam int COMPUTE_LOOP_FIRST = 8;  localparam int COMPUTE_LOOP_LAST = 15;
  localparam int IMEM_LOADS_PER_GROUP = 16;
  localparam int XFER_LOOPS_PER_SLOT = 6;
  localparam int XFER_LD_WBUF_FIRST = 16;  localparam int XFER_LD_WBUF_LAST = 21;
  localparam int XFER_LD_IBUF_FIRST = 22;  localparam int XFER_LD_IBUF_LAST = 27;
  localparam int XFER_LD_OBUF_FIRST = 28;  localparam int XFER_LD_OBUF_LAST = 33;
  localparam int XFER_LD_BBUF_FIRST = 34;  localparam int XFER_LD_BBUF_LAST = 39;
  localparam int XFER_ST_WBUF_FIRST = 40;  localparam int XFER_ST_WBUF_LAST = 45;
  localparam int XFER_ST_IBUF_FIRST = 46;  localparam int XFER_ST_IBUF_LAST = 51;
  localparam int XFER_ST_OBUF_FIRST = 52;  localparam int XFER_ST_OBUF_LAST = 57;
  localparam int XFER_ST_BBUF_FIRST = 58;  localparam int XFER_ST_BBUF_LAST = 63;

  // Tandem DMA sub-operations: an LD_ST word's fn is a dma_fn_t {st, sub}.
  localparam logic [2:0] DMA_CONFIG_BASE_ADDR = 3'd0;
  localparam logic [2:0] DMA_CONFIG_BASE_LOOP_ITER = 3'd1;
  localparam logic [2:0] DMA_CONFIG_BASE_LOOP_STRIDE = 3'd2;
  localparam logic [2:0] DMA_CONFIG_TILE_LOOP_ITER = 3'd3;
  localparam logic [2:0] DMA_CONFIG_TILE_LOOP_STRIDE = 3'd4;
  localparam logic [2:0] DMA_START = 3'd5;
  localparam logic [2:0] DMA_CONFIG_TILE_ADDR = 3'd6;
  typedef struct packed { logic st; logic [2:0] sub; } dma_fn_t;

  // Control/status registers (isa_spec/csr.py), by word address.
  localparam logic [5:0] CSR_CTRL = 6'd0;
  localparam logic [5:0] CSR_STATUS = 6'd1;
  localparam logic [5:0] CSR_PROG_LEN = 6'd2;
  localparam logic [5:0] CSR_PROG_BASE = 6'd3;
  localparam logic [5:0] CSR_FAULT_PC = 6'd4;
  localparam logic [5:0] CSR_CYCLES_LO = 6'd5;
  localparam logic [5:0] CSR_CYCLES_HI = 6'd6;
  localparam logic [5:0] CSR_TILES_LO = 6'd7;
  localparam logic [5:0] CSR_TILES_HI = 6'd8;
  localparam logic [5:0] CSR_SA_STEPS_LO = 6'd9;
  localparam logic [5:0] CSR_SA_STEPS_HI = 6'd10;
  localparam logic [5:0] CSR_TANDEM_WRITES_LO = 6'd11;
  localparam logic [5:0] CSR_TANDEM_WRITES_HI = 6'd12;
  localparam logic [5:0] CSR_SA_DMA_WORDS_LO = 6'd13;
  localparam logic [5:0] CSR_SA_DMA_WORDS_HI = 6'd14;
  localparam logic [5:0] CSR_TANDEM_DMA_WORDS_LO = 6'd15;
  localparam logic [5:0] CSR_TANDEM_DMA_WORDS_HI = 6'd16;
  // Performance counters, in CSR order (CSR_CYCLES_LO + 2 x index).
  localparam int NCOUNTERS = 6;
  localparam int CNT_CYCLES = 0;
  localparam int CNT_TILES = 1;
  localparam int CNT_SA_STEPS = 2;
  localparam int CNT_TANDEM_WRITES = 3;
  localparam int CNT_SA_DMA_WORDS = 4;
  localparam int CNT_TANDEM_DMA_WORDS = 5;

  // Fault kinds (isa_spec.errors.FaultKind, in declaration order).
  localparam logic [3:0] FAULT_ILLEGAL_INSTRUCTION = 4'd0;
  localparam logic [3:0] FAULT_ADDRESS_OUT_OF_RANGE = 4'd1;
  localparam logic [3:0] FAULT_MALFORMED_GROUP = 4'd2;
  localparam logic [3:0] FAULT_BAD_CONFIG = 4'd3;
  localparam logic [3:0] FAULT_UNIMPLEMENTED = 4'd4;
  localparam logic [3:0] FAULT_PC_OUT_OF_RANGE = 4'd5;

  // Row ids; decode_row(w) is the row w decodes to (enum values checked), else ROW_ILLEGAL.
  typedef enum logic [7:0] {
    ROW_SA_LOOP_CFG = 8'd0,
    ROW_SA_REDUCTION_LOOP = 8'd1,
    ROW_SYNC_INST = 8'd2,
    ROW_BLOCK_END = 8'd3,
    ROW_SET_LOOP_STRIDE = 8'd4,
    ROW_SET_BASE_ADDR = 8'd5,
    ROW_LD_ST = 8'd6,
    ROW_ADD = 8'd7,
    ROW_SUB = 8'd8,
    ROW_MUL = 8'd9,
    ROW_MACC = 8'd10,
    ROW_DIV = 8'd11,
    ROW_MAX = 8'd12,
    ROW_MIN = 8'd13,
    ROW_RSHIFT = 8'd14,
    ROW_LSHIFT = 8'd15,
    ROW_MOVE = 8'd16,
    ROW_COND_MOVE_TRUE = 8'd17,
    ROW_COND_MOVE_FALSE = 8'd18,
    ROW_NOT = 8'd19,
    ROW_AND = 8'd20,
    ROW_OR = 8'd21,
    ROW_NOP = 8'd22,
    ROW_RELU = 8'd23,
    ROW_LEAKY_RELU = 8'd24,
    ROW_ABS = 8'd25,
    ROW_SIGN = 8'd26,
    ROW_SIGMOID = 8'd27,
    ROW_TANH = 8'd28,
    ROW_EXP = 8'd29,
    ROW_LN = 8'd30,
    ROW_SQRT = 8'd31,
    ROW_INV_SQRT = 8'd32,
    ROW_LOG2 = 8'd33,
    ROW_EQ = 8'd34,
    ROW_NEQ = 8'd35,
    ROW_GT = 8'd36,
    ROW_GTE = 8'd37,
    ROW_LT = 8'd38,
    ROW_LTE = 8'd39,
    ROW_FXP32_TO_FXP16 = 8'd40,
    ROW_FXP32_TO_FXP8 = 8'd41,
    ROW_FXP32_TO_FXP4 = 8'd42,
    ROW_FXP16_TO_FXP32 = 8'd43,
    ROW_FXP8_TO_FXP32 = 8'd44,
    ROW_FXP4_TO_FXP32 = 8'd45,
    ROW_FP32_TO_FP16 = 8'd46,
    ROW_FP16_TO_FP32 = 8'd47,
    ROW_FLOOR = 8'd48,
    ROW_CEIL = 8'd49,
    ROW_FP32_TO_BF16 = 8'd50,
    ROW_BF16_TO_FP32 = 8'd51,
    ROW_DTYPE_CFG_FXP32 = 8'd52,
    ROW_DTYPE_CFG_FXP16 = 8'd53,
    ROW_DTYPE_CFG_FXP8 = 8'd54,
    ROW_DTYPE_CFG_FP32 = 8'd55,
    ROW_DTYPE_CFG_FP16 = 8'd56,
    ROW_LD_CONFIG_BASE_ADDR = 8'd57,
    ROW_LD_CONFIG_BASE_LOOP_ITER = 8'd58,
    ROW_LD_CONFIG_BASE_LOOP_STRIDE = 8'd59,
    ROW_LD_CONFIG_TILE_LOOP_ITER = 8'd60,
    ROW_LD_CONFIG_TILE_LOOP_STRIDE = 8'd61,
    ROW_LD_START = 8'd62,
    ROW_LD_CONFIG_TILE_ADDR = 8'd63,
    ROW_ST_CONFIG_BASE_ADDR = 8'd64,
    ROW_ST_CONFIG_BASE_LOOP_ITER = 8'd65,
    ROW_ST_CONFIG_BASE_LOOP_STRIDE = 8'd66,
    ROW_ST_CONFIG_TILE_LOOP_ITER = 8'd67,
    ROW_ST_CONFIG_TILE_LOOP_STRIDE = 8'd68,
    ROW_ST_START = 8'd69,
    ROW_ST_CONFIG_TILE_ADDR = 8'd70,
    ROW_BASE_SIGN_EXT = 8'd71,
    ROW_BASE_LOW = 8'd72,
    ROW_BASE_HIGH = 8'd73,
    ROW_BASE_ZEROFILL = 8'd74,
    ROW_STRIDE_SIGN_EXT = 8'd75,
    ROW_STRIDE_LOW = 8'd76,
    ROW_STRIDE_HIGH = 8'd77,
    ROW_STRIDE_ZEROFILL = 8'd78,
    ROW_SET_IMM_LOW = 8'd79,
    ROW_SET_IMM_HIGH = 8'd80,
    ROW_IMM_SIGN_EXT = 8'd81,
    ROW_SET_INDEX = 8'd82,
    ROW_SET_ITER = 8'd83,
    ROW_SET_INST = 8'd84,
    ROW_PERM_SET_BASE_ADDR = 8'd85,
    ROW_PERM_SET_LOOP_ITER = 8'd86,
    ROW_PERM_SET_LOOP_STRIDE = 8'd87,
    ROW_PERM_START = 8'd88,
    ROW_ILLEGAL = 8'd255
  } row_t;

  function automatic row_t decode_row(input logic [31:0] w);
    decode_row = ROW_ILLEGAL;
    if ((w & SA_LOOP_CFG_MASK) == SA_LOOP_CFG_MATCH) decode_row = ROW_SA_LOOP_CFG;
    if ((w & SA_REDUCTION_LOOP_MASK) == SA_REDUCTION_LOOP_MATCH && (w[1:0] == 2'd0 || w[1:0] == 2'd1 || w[1:0] == 2'd2)) decode_row = ROW_SA_REDUCTION_LOOP;
    if ((w & SYNC_INST_MASK) == SYNC_INST_MATCH) decode_row = ROW_SYNC_INST;
    if ((w & BLOCK_END_MASK) == BLOCK_END_MATCH) decode_row = ROW_BLOCK_END;
    if ((w & SET_LOOP_STRIDE_MASK) == SET_LOOP_STRIDE_MATCH) decode_row = ROW_SET_LOOP_STRIDE;
    if ((w & SET_BASE_ADDR_MASK) == SET_BASE_ADDR_MATCH) decode_row = ROW_SET_BASE_ADDR;
    if ((w & LD_ST_MASK) == LD_ST_MATCH) decode_row = ROW_LD_ST;
    if ((w & ADD_MASK) == ADD_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_ADD;
    if ((w & SUB_MASK) == SUB_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_SUB;
    if ((w & MUL_MASK) == MUL_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_MUL;
    if ((w & MACC_MASK) == MACC_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_MACC;
    if ((w & DIV_MASK) == DIV_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_DIV;
    if ((w & MAX_MASK) == MAX_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_MAX;
    if ((w & MIN_MASK) == MIN_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_MIN;
    if ((w & RSHIFT_MASK) == RSHIFT_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_RSHIFT;
    if ((w & LSHIFT_MASK) == LSHIFT_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_LSHIFT;
    if ((w & MOVE_MASK) == MOVE_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_MOVE;
    if ((w & COND_MOVE_TRUE_MASK) == COND_MOVE_TRUE_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_COND_MOVE_TRUE;
    if ((w & COND_MOVE_FALSE_MASK) == COND_MOVE_FALSE_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_COND_MOVE_FALSE;
    if ((w & NOT_MASK) == NOT_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_NOT;
    if ((w & AND_MASK) == AND_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_AND;
    if ((w & OR_MASK) == OR_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_OR;
    if ((w & NOP_MASK) == NOP_MATCH) decode_row = ROW_NOP;
    if ((w & RELU_MASK) == RELU_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_RELU;
    if ((w & LEAKY_RELU_MASK) == LEAKY_RELU_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_LEAKY_RELU;
    if ((w & ABS_MASK) == ABS_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_ABS;
    if ((w & SIGN_MASK) == SIGN_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_SIGN;
    if ((w & SQRT_MASK) == SQRT_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_SQRT;
    if ((w & EQ_MASK) == EQ_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_EQ;
    if ((w & NEQ_MASK) == NEQ_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_NEQ;
    if ((w & GT_MASK) == GT_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_GT;
    if ((w & GTE_MASK) == GTE_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_GTE;
    if ((w & LT_MASK) == LT_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_LT;
    if ((w & LTE_MASK) == LTE_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_LTE;
    if ((w & FXP32_TO_FXP16_MASK) == FXP32_TO_FXP16_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FXP32_TO_FXP16;
    if ((w & FXP32_TO_FXP8_MASK) == FXP32_TO_FXP8_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FXP32_TO_FXP8;
    if ((w & FXP32_TO_FXP4_MASK) == FXP32_TO_FXP4_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FXP32_TO_FXP4;
    if ((w & FXP16_TO_FXP32_MASK) == FXP16_TO_FXP32_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FXP16_TO_FXP32;
    if ((w & FXP8_TO_FXP32_MASK) == FXP8_TO_FXP32_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FXP8_TO_FXP32;
    if ((w & FXP4_TO_FXP32_MASK) == FXP4_TO_FXP32_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FXP4_TO_FXP32;
    if ((w & FP32_TO_FP16_MASK) == FP32_TO_FP16_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FP32_TO_FP16;
    if ((w & FP16_TO_FP32_MASK) == FP16_TO_FP32_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FP16_TO_FP32;
    if ((w & FLOOR_MASK) == FLOOR_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FLOOR;
    if ((w & CEIL_MASK) == CEIL_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_CEIL;
    if ((w & FP32_TO_BF16_MASK) == FP32_TO_BF16_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_FP32_TO_BF16;
    if ((w & BF16_TO_FP32_MASK) == BF16_TO_FP32_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_BF16_TO_FP32;
    if ((w & DTYPE_CFG_FXP32_MASK) == DTYPE_CFG_FXP32_MATCH) decode_row = ROW_DTYPE_CFG_FXP32;
    if ((w & DTYPE_CFG_FXP16_MASK) == DTYPE_CFG_FXP16_MATCH) decode_row = ROW_DTYPE_CFG_FXP16;
    if ((w & DTYPE_CFG_FXP8_MASK) == DTYPE_CFG_FXP8_MATCH) decode_row = ROW_DTYPE_CFG_FXP8;
    if ((w & LD_CONFIG_BASE_ADDR_MASK) == LD_CONFIG_BASE_ADDR_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_LD_CONFIG_BASE_ADDR;
    if ((w & LD_CONFIG_BASE_LOOP_ITER_MASK) == LD_CONFIG_BASE_LOOP_ITER_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_LD_CONFIG_BASE_LOOP_ITER;
    if ((w & LD_CONFIG_BASE_LOOP_STRIDE_MASK) == LD_CONFIG_BASE_LOOP_STRIDE_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_LD_CONFIG_BASE_LOOP_STRIDE;
    if ((w & LD_CONFIG_TILE_LOOP_ITER_MASK) == LD_CONFIG_TILE_LOOP_ITER_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_LD_CONFIG_TILE_LOOP_ITER;
    if ((w & LD_CONFIG_TILE_LOOP_STRIDE_MASK) == LD_CONFIG_TILE_LOOP_STRIDE_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_LD_CONFIG_TILE_LOOP_STRIDE;
    if ((w & LD_START_MASK) == LD_START_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3) && (w[20:16] == 5'd0 || w[20:16] == 5'd1 || w[20:16] == 5'd2)) decode_row = ROW_LD_START;
    if ((w & LD_CONFIG_TILE_ADDR_MASK) == LD_CONFIG_TILE_ADDR_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_LD_CONFIG_TILE_ADDR;
    if ((w & ST_CONFIG_BASE_ADDR_MASK) == ST_CONFIG_BASE_ADDR_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_ST_CONFIG_BASE_ADDR;
    if ((w & ST_CONFIG_BASE_LOOP_ITER_MASK) == ST_CONFIG_BASE_LOOP_ITER_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_ST_CONFIG_BASE_LOOP_ITER;
    if ((w & ST_CONFIG_BASE_LOOP_STRIDE_MASK) == ST_CONFIG_BASE_LOOP_STRIDE_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_ST_CONFIG_BASE_LOOP_STRIDE;
    if ((w & ST_CONFIG_TILE_LOOP_ITER_MASK) == ST_CONFIG_TILE_LOOP_ITER_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_ST_CONFIG_TILE_LOOP_ITER;
    if ((w & ST_CONFIG_TILE_LOOP_STRIDE_MASK) == ST_CONFIG_TILE_LOOP_STRIDE_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_ST_CONFIG_TILE_LOOP_STRIDE;
    if ((w & ST_START_MASK) == ST_START_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3) && (w[20:16] == 5'd0 || w[20:16] == 5'd1 || w[20:16] == 5'd2)) decode_row = ROW_ST_START;
    if ((w & ST_CONFIG_TILE_ADDR_MASK) == ST_CONFIG_TILE_ADDR_MATCH && (w[22:21] == 2'd2 || w[22:21] == 2'd3)) decode_row = ROW_ST_CONFIG_TILE_ADDR;
    if ((w & BASE_SIGN_EXT_MASK) == BASE_SIGN_EXT_MATCH && (w[23:21] == 3'd0 || w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3)) decode_row = ROW_BASE_SIGN_EXT;
    if ((w & BASE_LOW_MASK) == BASE_LOW_MATCH && (w[23:21] == 3'd0 || w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3)) decode_row = ROW_BASE_LOW;
    if ((w & BASE_HIGH_MASK) == BASE_HIGH_MATCH && (w[23:21] == 3'd0 || w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3)) decode_row = ROW_BASE_HIGH;
    if ((w & BASE_ZEROFILL_MASK) == BASE_ZEROFILL_MATCH && (w[23:21] == 3'd0 || w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3)) decode_row = ROW_BASE_ZEROFILL;
    if ((w & STRIDE_SIGN_EXT_MASK) == STRIDE_SIGN_EXT_MATCH && (w[23:21] == 3'd0 || w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3)) decode_row = ROW_STRIDE_SIGN_EXT;
    if ((w & STRIDE_LOW_MASK) == STRIDE_LOW_MATCH && (w[23:21] == 3'd0 || w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3)) decode_row = ROW_STRIDE_LOW;
    if ((w & STRIDE_HIGH_MASK) == STRIDE_HIGH_MATCH && (w[23:21] == 3'd0 || w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3)) decode_row = ROW_STRIDE_HIGH;
    if ((w & STRIDE_ZEROFILL_MASK) == STRIDE_ZEROFILL_MATCH && (w[23:21] == 3'd0 || w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3)) decode_row = ROW_STRIDE_ZEROFILL;
    if ((w & SET_IMM_LOW_MASK) == SET_IMM_LOW_MATCH) decode_row = ROW_SET_IMM_LOW;
    if ((w & SET_IMM_HIGH_MASK) == SET_IMM_HIGH_MATCH) decode_row = ROW_SET_IMM_HIGH;
    if ((w & IMM_SIGN_EXT_MASK) == IMM_SIGN_EXT_MATCH) decode_row = ROW_IMM_SIGN_EXT;
    if ((w & SET_INDEX_MASK) == SET_INDEX_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4) && (w[7:5] == 3'd0 || w[7:5] == 3'd1 || w[7:5] == 3'd2 || w[7:5] == 3'd3 || w[7:5] == 3'd4)) decode_row = ROW_SET_INDEX;
    if ((w & SET_ITER_MASK) == SET_ITER_MATCH) decode_row = ROW_SET_ITER;
    if ((w & SET_INST_MASK) == SET_INST_MATCH) decode_row = ROW_SET_INST;
    if ((w & PERM_SET_BASE_ADDR_MASK) == PERM_SET_BASE_ADDR_MATCH) decode_row = ROW_PERM_SET_BASE_ADDR;
    if ((w & PERM_SET_LOOP_ITER_MASK) == PERM_SET_LOOP_ITER_MATCH) decode_row = ROW_PERM_SET_LOOP_ITER;
    if ((w & PERM_SET_LOOP_STRIDE_MASK) == PERM_SET_LOOP_STRIDE_MATCH) decode_row = ROW_PERM_SET_LOOP_STRIDE;
    if ((w & PERM_START_MASK) == PERM_START_MATCH && (w[23:21] == 3'd1 || w[23:21] == 3'd2 || w[23:21] == 3'd3) && (w[15:13] == 3'd0 || w[15:13] == 3'd1 || w[15:13] == 3'd2 || w[15:13] == 3'd3 || w[15:13] == 3'd4)) decode_row = ROW_PERM_START;
  endfunction

  // Bit r: row r reads src1 only.
  localparam logic [255:0] ROW_ONE_SOURCE = 256'h000000000000000000000000000000000000000001000000000fff03fe890000;
  // Bit r: row r also reads its old dst.
  localparam logic [255:0] ROW_READS_DST = 256'h0000000000000000000000000000000000000000000000000000000000060400;
  // Bit r: row r is a lane row (dst = f(src1, src2, old dst) lane by lane, or NOP).
  localparam logic [255:0] ROW_LANE = 256'h000000000000000000000000000000000000000000000000000fffffffffff80;
  // Bit r: row r may appear inside a Tandem loop body.
  localparam logic [255:0] ROW_IN_LOOP_BODY = 256'h000000000000000000000000000000000000000000100000000fffffffffff80;
  // Bit r: row r belongs to the systolic array's decoder.
  localparam logic [255:0] ROW_SA_UNIT = 256'h000000000000000000000000000000000000000000000000000000000000007f;
  // Bit op: the systolic array's decoder owns opcode op (a fault on the word goes to its log).
  localparam logic [15:0] OPCODE_SA_UNIT = 16'hfe00;
  // The lane width a DTYPE_CFG row sets (0 for other rows).
  function automatic logic [5:0] row_lane_width(input row_t r);
    row_lane_width = 6'd0;
    case (r)
      ROW_DTYPE_CFG_FXP32: row_lane_width = 6'd32;
      ROW_DTYPE_CFG_FXP16: row_lane_width = 6'd16;
      ROW_DTYPE_CFG_FXP8: row_lane_width = 6'd8;
      default: ;
    endcase
  endfunction
  typedef enum logic [1:0] { ITER_BASE, ITER_STRIDE, ITER_IMM } iter_target_t;
  // The iterator target of an ITERATOR_CONFIG row.
  function automatic iter_target_t row_iter_target(input row_t r);
    row_iter_target = ITER_BASE;
    case (r)
      ROW_BASE_SIGN_EXT: row_iter_target = ITER_BASE;
      ROW_BASE_LOW: row_iter_target = ITER_BASE;
      ROW_BASE_HIGH: row_iter_target = ITER_BASE;
      ROW_BASE_ZEROFILL: row_iter_target = ITER_BASE;
      ROW_STRIDE_SIGN_EXT: row_iter_target = ITER_STRIDE;
      ROW_STRIDE_LOW: row_iter_target = ITER_STRIDE;
      ROW_STRIDE_HIGH: row_iter_target = ITER_STRIDE;
      ROW_STRIDE_ZEROFILL: row_iter_target = ITER_STRIDE;
      ROW_SET_IMM_LOW: row_iter_target = ITER_IMM;
      ROW_SET_IMM_HIGH: row_iter_target = ITER_IMM;
      ROW_IMM_SIGN_EXT: row_iter_target = ITER_IMM;
      default: ;
    endcase
  endfunction
  typedef enum logic [1:0] { ITER_SIGN_EXT, ITER_ZEROFILL, ITER_LOW, ITER_HIGH } iter_part_t;
  // The iterator part of an ITERATOR_CONFIG row.
  function automatic iter_part_t row_iter_part(input row_t r);
    row_iter_part = ITER_SIGN_EXT;
    case (r)
      ROW_BASE_SIGN_EXT: row_iter_part = ITER_SIGN_EXT;
      ROW_BASE_LOW: row_iter_part = ITER_LOW;
      ROW_BASE_HIGH: row_iter_part = ITER_HIGH;
      ROW_BASE_ZEROFILL: row_iter_part = ITER_ZEROFILL;
      ROW_STRIDE_SIGN_EXT: row_iter_part = ITER_SIGN_EXT;
      ROW_STRIDE_LOW: row_iter_part = ITER_LOW;
      ROW_STRIDE_HIGH: row_iter_part = ITER_HIGH;
      ROW_STRIDE_ZEROFILL: row_iter_part = ITER_ZEROFILL;
      ROW_SET_IMM_LOW: row_iter_part = ITER_LOW;
      ROW_SET_IMM_HIGH: row_iter_part = ITER_HIGH;
      ROW_IMM_SIGN_EXT: row_iter_part = ITER_SIGN_EXT;
      default: ;
    endcase
  endfunction
  // Bytes of one DRAM element of a DMA width code (0 for codes that name none).
  function automatic logic [2:0] dma_width_bytes(input logic [4:0] w);
    dma_width_bytes = 3'd0;
    case (w)
      WIDTH_B8: dma_width_bytes = 3'd1;
      WIDTH_B16: dma_width_bytes = 3'd2;
      WIDTH_B32: dma_width_bytes = 3'd4;
      default: ;
    endcase
  endfunction

endpackage
/* verilator lint_on UNUSEDPARAM */

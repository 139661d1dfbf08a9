// The instruction sequencer: fetches, checks each group's head and tail, decodes, and hands
// every instruction to the unit that runs it: an SA group's body to sa_config.sv and, once the
// body is read, the block to the SA engine (then the instruction-memory loads); a SIMD group's
// instructions to the Tandem units, except the loop rows (SET_ITER, SET_INDEX, SET_INST), whose
// nest it keeps itself. One instruction is in flight at a time. A unit that runs for several
// cycles says in its last one that it is done, or reports a fault: the sequencer owns the fault,
// halt and program-counter state and records faults on the trace.
module sequencer
  import genesys_isa::*;
  import npu_pkg::*;
#(
    parameter int IMEM_DEPTH = 4096,
    localparam int IMEM_AW = $clog2(IMEM_DEPTH)
) (
    input  logic        clk,
    input  logic        rst,
    input  logic        start,
    input  logic [31:0] prog_base,
    input  logic [31:0] prog_end,        // words of the program: loaded by the host, or more after IMEM loads
    output logic [IMEM_AW-1:0] imem_addr,
    input  logic [31:0] imem_word,
    output logic [31:0] ir,              // the instruction being decoded or run
    output row_t        row,
    output logic [31:0] pc,
    output logic [31:0] group_end,
    // an SA group: its body instructions, checks at its end, its block, its instruction-memory loads
    output logic        sa_group_start,
    output logic        sa_decode,
    input  fault_t      sa_decode_fault,
    input  logic        sa_block_bad,
    output logic        sa_go,
    input  logic        sa_done,
    input  fault_t      sa_fault,
    input  logic        imem_loads,
    output logic        imem_go,
    input  logic        imem_done,
    input  fault_t      imem_fault,
    // a SIMD group: its instructions for the Tandem units, their answers, the running loop nest
    output logic        simd_group_start,
    output logic        tandem_decode,
    input  claim_t      tandem_claim,
    input  logic        tandem_done,
    input  fault_t      tandem_fault,
    output loop_level_t [7:0] loops,
    output logic        loops_idle,
    // status
    output logic        started,
    output logic        halted,
    output logic        faulted,
    output logic [3:0]  fault_kind,
    output logic [31:0] fault_pc,
    output trace_t      trace
);
  typedef enum logic [3:0] {
    S_IDLE, S_FETCH, S_DECODE, S_GROUP_TAIL, S_GROUP_CHECK, S_FAULT, S_HALT, S_SA_END, S_SA_RUN, S_IMEM_RUN,
    S_TANDEM_RUN
  } state_t;
  typedef enum logic [1:0] {MODE_TOP, MODE_SA, MODE_SIMD} mode_t;
  state_t state;
  mode_t mode;
  logic [31:0] last_fetch, group_start;
  logic [31:0] tail;                     // the word at group_end
  logic        tail_fetched;
  /* verilator lint_off UNUSEDSIGNAL */
  sync_inst_t  head, tail_sync;          // the group's SYNC_INST START and END
  sa_word_t    ir_word, tail_word;       // (their opcodes)
  /* verilator lint_on UNUSEDSIGNAL */
  row_t        tail_row;                 // decode_row(tail); `row` is decode_row(ir): decoded as they
                                         // are fetched, not every cycle (a simulator evaluates it each time)
  assign tail_sync = tail;
  assign ir_word = ir;
  assign tail_word = tail;
  // FETCH at the end of a loop body that iterates again fetches the body's first instruction
  // in the same cycle; one whose loop is done leaves the loop instead (a cycle per level left).
  logic at_body_end, loop_back, loop_done;
  logic [31:0] fetch_pc;
  assign imem_addr = IMEM_AW'(state == S_GROUP_TAIL ? group_end : fetch_pc);

  // The unit whose log a fault on word w goes to (the decoder that owns its opcode).
  function automatic logic unit_of(input logic [3:0] opcode);
    unit_of = OPCODE_SA_UNIT[opcode] ? TRACE_SA : TRACE_TANDEM;
  endfunction

  // ---- the Tandem loop nest: SET_ITER sets a level's iterations, SET_INDEX binds iterator
  // strides to the current level, SET_INST runs the next `body` instructions as that level ----
  logic [7:0]  loop_v;
  logic [15:0] loop_iters [8];
  logic [7:0]  bind_v;
  logic [2:0][2:0] bind_ns [8];
  logic [2:0][4:0] bind_idx [8];
  logic [2:0]  cur_level;
  logic [3:0]  depth;                    // running levels
  logic [2:0]  st_level [8];
  logic [15:0] st_i [8];
  logic [15:0] st_n [8];
  logic [31:0] st_start [8];
  logic [31:0] st_end [8];
  always_comb
    for (int k = 0; k < 8; k++)
      loops[k] = '{active: k < int'(depth), index: st_i[k], bound: bind_v[st_level[k]], ns: bind_ns[st_level[k]],
                   idx: bind_idx[st_level[k]]};
  assign loops_idle = depth == 0;
  assign at_body_end = state == S_FETCH && mode == MODE_SIMD && depth != 0 && pc == st_end[depth-1];
  assign loop_back = at_body_end && 32'(st_i[depth-1]) + 1 < 32'(st_n[depth-1]);
  assign loop_done = at_body_end && !loop_back;
  assign fetch_pc = loop_back ? st_start[depth-1] : pc;

  // Views of the instruction word, one per layout; each unit reads only the fields it needs.
  /* verilator lint_off UNUSEDSIGNAL */
  block_end_t block_end;
  sync_inst_t sync;
  set_iter_t  set_iter;
  set_inst_t  set_inst;
  tandem_word_t set_index;
  /* verilator lint_on UNUSEDSIGNAL */
  assign block_end = ir;
  assign sync = ir;
  logic       level_running;             // SET_INST's level is running already
  assign set_iter = ir;
  assign set_inst = ir;
  assign set_index = ir;
  always_comb begin
    level_running = 1'b0;
    for (int k = 0; k < 8; k++) if (k < int'(depth) && st_level[k] == set_inst.level) level_running = 1'b1;
  end

  // ---- dispatch ----
  logic decoding, group_ok, simd_misplaced, simd_outside_loop;
  assign decoding = state == S_DECODE && row != ROW_ILLEGAL;
  assign simd_misplaced = ROW_SA_UNIT[row] && depth == 0;          // an SA row in a SIMD group
  assign simd_outside_loop = depth != 0 && !ROW_IN_LOOP_BODY[row];  // a row a loop body may not hold
  assign sa_decode = decoding && mode == MODE_SA;
  assign tandem_decode = decoding && mode == MODE_SIMD && !simd_misplaced && !simd_outside_loop;
  assign group_ok = state == S_GROUP_CHECK && tail_fetched && tail_row == ROW_SYNC_INST && head.kind == KIND_EXEC
                    && tail_sync.edge_ == EDGE_END && tail_sync.unit == head.unit && tail_sync.group == head.group
                    && tail_sync.count == head.count;
  assign sa_group_start = group_ok && head.unit == UNIT_SA;
  assign simd_group_start = group_ok && head.unit == UNIT_SIMD;
  assign sa_go = state == S_SA_END && tail_sync.kind == KIND_EXEC && !sa_block_bad;
  assign imem_go = state == S_SA_RUN && sa_done && imem_loads;

  always_ff @(posedge clk) begin
    fault_t f;           // a fault this cycle, the unit whose log it goes to, and its pc
    logic f_unit;
    logic [31:0] f_pc;
    logic advance;       // the instruction is done: the next one
    f = NO_FAULT;
    f_unit = TRACE_SA;
    f_pc = pc;
    advance = 1'b0;
    trace.valid <= 1'b0;
    if (rst) begin
      state <= S_IDLE;
      halted <= 1'b0;
      faulted <= 1'b0;
      started <= 1'b0;
      fault_pc <= '0;
      fault_kind <= '0;
    end else unique case (state)
      S_IDLE: if (start) begin
        started <= 1'b1;
        pc <= prog_base;
        mode <= MODE_TOP;
        depth <= '0;
        state <= S_FETCH;
      end

      S_FETCH:
        if (loop_done) begin
          depth <= depth - 1;
          if (depth == 1) trace <= trace_event(TR_FLUSH, TRACE_TANDEM, pc, 1'b0, 4'd0, 64'd0, '0, '0, '0);
        end else if (mode == MODE_SIMD && depth != 0 && pc > st_end[depth-1]) begin
          f = fault_of(FAULT_BAD_CONFIG);
          f_unit = TRACE_TANDEM;
          f_pc = last_fetch;
        end else if (mode == MODE_SIMD && depth == 0 && pc >= group_end) begin
          pc <= group_end + 1;
          mode <= MODE_TOP;
        end else if (mode == MODE_SA && pc == group_end) state <= S_SA_END;
        else if (fetch_pc >= prog_end || fetch_pc >= IMEM_DEPTH) f = fault_of(FAULT_PC_OUT_OF_RANGE);
        else begin
          if (loop_back) st_i[depth-1] <= st_i[depth-1] + 1;
          pc <= fetch_pc;
          ir <= imem_word;
          row <= decode_row(imem_word);
          last_fetch <= fetch_pc;
          state <= S_DECODE;
        end

      S_DECODE: begin
        f_unit = unit_of(ir_word.opcode);
        if (row == ROW_ILLEGAL) f = fault_of(FAULT_ILLEGAL_INSTRUCTION);
        else if (mode == MODE_TOP)
          unique case (row)
            ROW_BLOCK_END:
              if (block_end.last) begin
                halted <= 1'b1;
                state <= S_HALT;
              end else advance = 1'b1;
            ROW_SYNC_INST:
              if (sync.edge_ == EDGE_START) begin
                head <= ir;
                group_start <= pc;
                group_end <= pc + 32'(sync.count) + 1;
                state <= S_GROUP_TAIL;
              end else f = fault_of(FAULT_MALFORMED_GROUP);
            default: f = fault_of(FAULT_MALFORMED_GROUP);
          endcase
        else if (mode == MODE_SA) begin
          if (sa_decode_fault.valid) f = sa_decode_fault;
          else advance = 1'b1;
        end else if (simd_misplaced) f = fault_of(FAULT_MALFORMED_GROUP);
        else if (simd_outside_loop) f = fault_of(FAULT_BAD_CONFIG);
        else unique case (row)
          ROW_NOP: advance = 1'b1;
          ROW_SET_ITER: begin
            loop_iters[set_iter.level] <= set_iter.iters;
            loop_v[set_iter.level] <= 1'b1;
            cur_level <= set_iter.level;
            advance = 1'b1;
          end
          ROW_SET_INDEX: begin
            bind_v[cur_level] <= 1'b1;
            bind_ns[cur_level] <= {set_index.src2_ns, set_index.src1_ns, set_index.dst_ns};  // [POS_*]
            bind_idx[cur_level] <= {set_index.src2_idx, set_index.src1_idx, set_index.dst_idx};
            advance = 1'b1;
          end
          ROW_SET_INST:
            if (!loop_v[set_inst.level] || level_running || set_inst.body == 0) f = fault_of(FAULT_BAD_CONFIG);
            else if (loop_iters[set_inst.level] == 0) begin  // no iterations: skip the body
              pc <= pc + 1 + 32'(set_inst.body);
              state <= S_FETCH;
            end else begin
              st_level[depth[2:0]] <= set_inst.level;
              st_i[depth[2:0]] <= '0;
              st_n[depth[2:0]] <= loop_iters[set_inst.level];
              st_start[depth[2:0]] <= pc + 1;
              st_end[depth[2:0]] <= pc + 1 + 32'(set_inst.body);
              depth <= depth + 1;
              pc <= pc + 1;
              state <= S_FETCH;
            end
          default:  // the Tandem units' rows
            if (!tandem_claim.mine) f = fault_of(FAULT_UNIMPLEMENTED);
            else if (tandem_claim.fault.valid) f = tandem_claim.fault;
            else if (tandem_claim.runs) state <= S_TANDEM_RUN;
            else advance = 1'b1;
        endcase
      end

      S_GROUP_TAIL: begin
        tail_fetched <= group_end < prog_end;
        if (group_end < prog_end) begin
          tail <= imem_word;
          tail_row <= decode_row(imem_word);
          last_fetch <= group_end;
        end
        state <= S_GROUP_CHECK;
      end

      S_GROUP_CHECK:
        if (tail_fetched && tail_row == ROW_ILLEGAL) begin
          f = fault_of(FAULT_ILLEGAL_INSTRUCTION);
          f_unit = unit_of(tail_word.opcode);
          f_pc = group_end;
        end else if (!group_ok) begin  // START must be EXEC, END must match it
          f = fault_of(FAULT_MALFORMED_GROUP);
          f_pc = group_start;
        end else begin
          mode <= head.unit == UNIT_SIMD ? MODE_SIMD : MODE_SA;
          if (head.unit == UNIT_SIMD) begin
            loop_v <= '0;
            bind_v <= '0;
            cur_level <= '0;
          end
          pc <= group_start + 1;
          state <= S_FETCH;
        end

      // ---- an SA group's block, after its body ----
      S_SA_END: begin
        f_pc = group_end;
        if (tail_sync.kind != KIND_EXEC) f = fault_of(FAULT_MALFORMED_GROUP);  // an SA group ends with END EXEC
        else if (sa_block_bad) f = fault_of(FAULT_BAD_CONFIG);
        else state <= S_SA_RUN;
      end

      S_SA_RUN: begin
        f = sa_fault;
        f_pc = group_end;
        if (sa_done && imem_loads) state <= S_IMEM_RUN;
        else if (sa_done) begin
          mode <= MODE_TOP;
          pc <= group_end + 1;
          state <= S_FETCH;
        end
      end

      S_IMEM_RUN: begin
        f = imem_fault;
        f_pc = group_end;
        if (imem_done) begin
          mode <= MODE_TOP;
          pc <= group_end + 1;
          state <= S_FETCH;
        end
      end

      // ---- a Tandem operation that runs past its decode cycle ----
      S_TANDEM_RUN: begin
        f = tandem_fault;
        f_unit = TRACE_TANDEM;
        if (tandem_done) begin
          pc <= pc + 1;
          state <= S_FETCH;
        end
      end

      S_FAULT: begin
        halted <= 1'b1;
        faulted <= 1'b1;
        state <= S_HALT;
      end

      default: ;  // S_HALT
    endcase

    if (advance) begin
      pc <= pc + 1;
      state <= S_FETCH;
    end
    if (f.valid) begin
      trace <= trace_event(TR_FAULT, f_unit, f_pc, 1'b0, f.kind, 64'd0, '0, '0, '0);
      fault_kind <= f.kind;
      fault_pc <= f_pc;
      state <= S_FAULT;
    end
  end
endmodule

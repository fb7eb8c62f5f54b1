// Legality of one instruction word (docs/isa.md, "Execution and errors"), combinational.
//
// Flags everything the ISA simulator rejects that depends only on the word, the architecture and
// the program's DRAM size: an illegal opcode, reserved bits set, a token flag toward a missing
// neighbour, a field outside its range, and every DRAM byte range and on-chip row range the
// instruction touches (model/isa/isa.cc CheckWord, model/isa/executor.cc Execute; same order, same
// arithmetic, exact in 64 bits). Left to the units, which check them at run time before their
// first write: pool's input rows and tap-less windows, pool's parameter words, and every value
// read from the parameter buffer (shifts, left_shift).
//
// Nothing is evaluated while en_i is low (ok_o = 1, err_code_o = ERR_NONE then): the caller
// enables the checker only in the cycle a new word arrives and holds the verdict itself, so a
// simulator spends no time on words already checked.
module qsa_check #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned SpRows = 4096,
  parameter int unsigned AccRows = 1024,
  parameter int unsigned ParamRows = 256
) (
  input  logic         en_i,
  input  logic [127:0] word_i,
  input  logic [31:0]  dram_size_i,
  output logic         ok_o,
  output logic [3:0]   err_code_o   // qsa_pkg::ERR_NONE when ok_o
);
  localparam logic [63:0] Rows = 64'(ArrayRows);
  localparam logic [63:0] Cols = 64'(ArrayCols);
  localparam logic [63:0] SpLimit = 64'(SpRows);
  localparam logic [63:0] AccLimit = 64'(AccRows);
  localparam logic [63:0] ParamLimit = 64'(ParamRows);
  // Parameter rows a vadd descriptor of 8 words spans from its first row.
  localparam logic [63:0] VaddParamRows = (64'd8 + Cols - 64'd1) / Cols;

  logic [3:0] opcode;
  logic pop_prev, pop_next, push_prev, push_next;
  assign opcode = word_i[qsa_isa_pkg::HDR_OPCODE_LSB +: qsa_isa_pkg::HDR_OPCODE_BITS];
  assign pop_prev = word_i[qsa_isa_pkg::HDR_POP_PREV_LSB];
  assign pop_next = word_i[qsa_isa_pkg::HDR_POP_NEXT_LSB];
  assign push_prev = word_i[qsa_isa_pkg::HDR_PUSH_PREV_LSB];
  assign push_next = word_i[qsa_isa_pkg::HDR_PUSH_NEXT_LSB];

  // Field `bits` wide at `lsb`, zero-extended to 64 bits.
  function automatic logic [63:0] Field(input logic [127:0] w, input int lsb, input int bits);
    Field = 64'(w >> lsb) & ((64'd1 << bits) - 64'd1);
  endfunction

  // True when [a, a + a_rows) and [b, b + b_rows) share a row.
  function automatic logic Overlap(input logic [63:0] a, input logic [63:0] a_rows,
                                   input logic [63:0] b, input logic [63:0] b_rows);
    Overlap = (a < b + b_rows) && (b < a + a_rows);
  endfunction

  // Which opcode's checks run (none unless enabled).
  logic is_ld, is_st, is_gm, is_po, is_va, is_pl;
  assign is_ld = en_i && (opcode == qsa_isa_pkg::OP_LOAD_SP || opcode == qsa_isa_pkg::OP_LOAD_ACC ||
                          opcode == qsa_isa_pkg::OP_LOAD_PARAM);
  assign is_st = en_i && (opcode == qsa_isa_pkg::OP_STORE_SP ||
                          opcode == qsa_isa_pkg::OP_STORE_ACC);
  assign is_gm = en_i && (opcode == qsa_isa_pkg::OP_GEMM);
  assign is_po = en_i && (opcode == qsa_isa_pkg::OP_POST);
  assign is_va = en_i && (opcode == qsa_isa_pkg::OP_VADD);
  assign is_pl = en_i && (opcode == qsa_isa_pkg::OP_POOL);

  // ---------------------------------------------------------------------------------------------
  // Header: opcode, reserved bits, sync queue, token flags (CheckWord).
  logic opcode_ok, reserved_set, sync_queue_bad, token_bad;
  logic [1:0] sync_queue;
  assign sync_queue = word_i[qsa_isa_pkg::SYNC_QUEUE_LSB +: qsa_isa_pkg::SYNC_QUEUE_BITS];

  always_comb begin
    opcode_ok = 1'b1;
    reserved_set = 1'b0;
    if (en_i) begin
      unique case (opcode)
        qsa_isa_pkg::OP_LOAD_SP: reserved_set = (word_i >> qsa_isa_pkg::LOAD_SP_USED_BITS) != '0;
        qsa_isa_pkg::OP_LOAD_ACC: reserved_set = (word_i >> qsa_isa_pkg::LOAD_ACC_USED_BITS) != '0;
        qsa_isa_pkg::OP_LOAD_PARAM:
          reserved_set = (word_i >> qsa_isa_pkg::LOAD_PARAM_USED_BITS) != '0;
        qsa_isa_pkg::OP_STORE_SP: reserved_set = (word_i >> qsa_isa_pkg::STORE_SP_USED_BITS) != '0;
        qsa_isa_pkg::OP_STORE_ACC:
          reserved_set = (word_i >> qsa_isa_pkg::STORE_ACC_USED_BITS) != '0;
        qsa_isa_pkg::OP_GEMM: reserved_set = (word_i >> qsa_isa_pkg::GEMM_USED_BITS) != '0;
        qsa_isa_pkg::OP_POST: reserved_set = (word_i >> qsa_isa_pkg::POST_USED_BITS) != '0;
        qsa_isa_pkg::OP_VADD: reserved_set = (word_i >> qsa_isa_pkg::VADD_USED_BITS) != '0;
        qsa_isa_pkg::OP_POOL: reserved_set = (word_i >> qsa_isa_pkg::POOL_USED_BITS) != '0;
        qsa_isa_pkg::OP_SYNC: reserved_set = (word_i >> qsa_isa_pkg::SYNC_USED_BITS) != '0;
        qsa_isa_pkg::OP_FINISH: reserved_set = (word_i >> qsa_isa_pkg::FINISH_USED_BITS) != '0;
        default: opcode_ok = 1'b0;
      endcase
    end
  end

  // The queue a word executes in decides which token flags are legal: load has no previous
  // queue, store no next one.
  logic in_load_queue, in_store_queue;
  assign in_load_queue = (opcode == qsa_isa_pkg::OP_LOAD_SP) ||
                         (opcode == qsa_isa_pkg::OP_LOAD_ACC) ||
                         (opcode == qsa_isa_pkg::OP_LOAD_PARAM) ||
                         (opcode == qsa_isa_pkg::OP_SYNC && sync_queue == 2'd0);
  assign in_store_queue = (opcode == qsa_isa_pkg::OP_STORE_SP) ||
                          (opcode == qsa_isa_pkg::OP_STORE_ACC) ||
                          (opcode == qsa_isa_pkg::OP_SYNC && sync_queue == 2'd2);
  assign sync_queue_bad = (opcode == qsa_isa_pkg::OP_SYNC) && (sync_queue == 2'd3);
  assign token_bad = (in_load_queue && (pop_prev || push_prev)) ||
                     (in_store_queue && (pop_next || push_next));

  // ---------------------------------------------------------------------------------------------
  // load.sp / load.acc / load.param (Executor::Load). The three share one field layout; the case
  // below still reads each through its own constants.
  logic [63:0] ld_sram, ld_dram, ld_ny, ld_nx, ld_sy, ld_sx, ld_pt, ld_pb, ld_pl, ld_pr, ld_lanes;
  logic [63:0] ld_lanes_max, ld_esize, ld_row_limit;
  logic [3:0] ld_row_err;
  always_comb begin
    ld_sram = '0;
    ld_dram = '0;
    ld_ny = '0;
    ld_nx = '0;
    ld_sy = '0;
    ld_sx = '0;
    ld_pt = '0;
    ld_pb = '0;
    ld_pl = '0;
    ld_pr = '0;
    ld_lanes = '0;
    ld_lanes_max = '0;
    ld_esize = '0;
    ld_row_limit = '0;
    ld_row_err = '0;
    if (is_ld) begin
      ld_sram = Field(word_i, qsa_isa_pkg::LOAD_SP_SRAM_LSB, qsa_isa_pkg::LOAD_SP_SRAM_BITS);
      ld_dram = Field(word_i, qsa_isa_pkg::LOAD_SP_DRAM_LSB, qsa_isa_pkg::LOAD_SP_DRAM_BITS);
      ld_ny = Field(word_i, qsa_isa_pkg::LOAD_SP_NY_LSB, qsa_isa_pkg::LOAD_SP_NY_BITS);
      ld_nx = Field(word_i, qsa_isa_pkg::LOAD_SP_NX_LSB, qsa_isa_pkg::LOAD_SP_NX_BITS);
      ld_sy = Field(word_i, qsa_isa_pkg::LOAD_SP_STRIDE_Y_LSB, qsa_isa_pkg::LOAD_SP_STRIDE_Y_BITS);
      ld_sx = Field(word_i, qsa_isa_pkg::LOAD_SP_STRIDE_X_LSB, qsa_isa_pkg::LOAD_SP_STRIDE_X_BITS);
      ld_pt = Field(word_i, qsa_isa_pkg::LOAD_SP_PAD_TOP_LSB, qsa_isa_pkg::LOAD_SP_PAD_TOP_BITS);
      ld_pb = Field(word_i, qsa_isa_pkg::LOAD_SP_PAD_BOTTOM_LSB,
                    qsa_isa_pkg::LOAD_SP_PAD_BOTTOM_BITS);
      ld_pl = Field(word_i, qsa_isa_pkg::LOAD_SP_PAD_LEFT_LSB, qsa_isa_pkg::LOAD_SP_PAD_LEFT_BITS);
      ld_pr = Field(word_i, qsa_isa_pkg::LOAD_SP_PAD_RIGHT_LSB,
                    qsa_isa_pkg::LOAD_SP_PAD_RIGHT_BITS);
      ld_lanes = Field(word_i, qsa_isa_pkg::LOAD_SP_LANES_LSB, qsa_isa_pkg::LOAD_SP_LANES_BITS);
      ld_lanes_max = Rows;
      ld_esize = 64'd1;
      ld_row_limit = SpLimit;
      ld_row_err = qsa_pkg::ERR_SP_BOUNDS;
      unique case (opcode)
        qsa_isa_pkg::OP_LOAD_ACC: begin
          ld_sram = Field(word_i, qsa_isa_pkg::LOAD_ACC_SRAM_LSB, qsa_isa_pkg::LOAD_ACC_SRAM_BITS);
          ld_dram = Field(word_i, qsa_isa_pkg::LOAD_ACC_DRAM_LSB, qsa_isa_pkg::LOAD_ACC_DRAM_BITS);
          ld_ny = Field(word_i, qsa_isa_pkg::LOAD_ACC_NY_LSB, qsa_isa_pkg::LOAD_ACC_NY_BITS);
          ld_nx = Field(word_i, qsa_isa_pkg::LOAD_ACC_NX_LSB, qsa_isa_pkg::LOAD_ACC_NX_BITS);
          ld_sy = Field(word_i, qsa_isa_pkg::LOAD_ACC_STRIDE_Y_LSB,
                        qsa_isa_pkg::LOAD_ACC_STRIDE_Y_BITS);
          ld_sx = Field(word_i, qsa_isa_pkg::LOAD_ACC_STRIDE_X_LSB,
                        qsa_isa_pkg::LOAD_ACC_STRIDE_X_BITS);
          ld_pt = Field(word_i, qsa_isa_pkg::LOAD_ACC_PAD_TOP_LSB,
                        qsa_isa_pkg::LOAD_ACC_PAD_TOP_BITS);
          ld_pb = Field(word_i, qsa_isa_pkg::LOAD_ACC_PAD_BOTTOM_LSB,
                        qsa_isa_pkg::LOAD_ACC_PAD_BOTTOM_BITS);
          ld_pl = Field(word_i, qsa_isa_pkg::LOAD_ACC_PAD_LEFT_LSB,
                        qsa_isa_pkg::LOAD_ACC_PAD_LEFT_BITS);
          ld_pr = Field(word_i, qsa_isa_pkg::LOAD_ACC_PAD_RIGHT_LSB,
                        qsa_isa_pkg::LOAD_ACC_PAD_RIGHT_BITS);
          ld_lanes = Field(word_i, qsa_isa_pkg::LOAD_ACC_LANES_LSB,
                           qsa_isa_pkg::LOAD_ACC_LANES_BITS);
          ld_lanes_max = Cols;
          ld_esize = 64'd4;
          ld_row_limit = AccLimit;
          ld_row_err = qsa_pkg::ERR_ACC_BOUNDS;
        end
        qsa_isa_pkg::OP_LOAD_PARAM: begin
          ld_sram = Field(word_i, qsa_isa_pkg::LOAD_PARAM_SRAM_LSB,
                          qsa_isa_pkg::LOAD_PARAM_SRAM_BITS);
          ld_dram = Field(word_i, qsa_isa_pkg::LOAD_PARAM_DRAM_LSB,
                          qsa_isa_pkg::LOAD_PARAM_DRAM_BITS);
          ld_ny = Field(word_i, qsa_isa_pkg::LOAD_PARAM_NY_LSB, qsa_isa_pkg::LOAD_PARAM_NY_BITS);
          ld_nx = Field(word_i, qsa_isa_pkg::LOAD_PARAM_NX_LSB, qsa_isa_pkg::LOAD_PARAM_NX_BITS);
          ld_sy = Field(word_i, qsa_isa_pkg::LOAD_PARAM_STRIDE_Y_LSB,
                        qsa_isa_pkg::LOAD_PARAM_STRIDE_Y_BITS);
          ld_sx = Field(word_i, qsa_isa_pkg::LOAD_PARAM_STRIDE_X_LSB,
                        qsa_isa_pkg::LOAD_PARAM_STRIDE_X_BITS);
          ld_pt = Field(word_i, qsa_isa_pkg::LOAD_PARAM_PAD_TOP_LSB,
                        qsa_isa_pkg::LOAD_PARAM_PAD_TOP_BITS);
          ld_pb = Field(word_i, qsa_isa_pkg::LOAD_PARAM_PAD_BOTTOM_LSB,
                        qsa_isa_pkg::LOAD_PARAM_PAD_BOTTOM_BITS);
          ld_pl = Field(word_i, qsa_isa_pkg::LOAD_PARAM_PAD_LEFT_LSB,
                        qsa_isa_pkg::LOAD_PARAM_PAD_LEFT_BITS);
          ld_pr = Field(word_i, qsa_isa_pkg::LOAD_PARAM_PAD_RIGHT_LSB,
                        qsa_isa_pkg::LOAD_PARAM_PAD_RIGHT_BITS);
          ld_lanes = Field(word_i, qsa_isa_pkg::LOAD_PARAM_LANES_LSB,
                           qsa_isa_pkg::LOAD_PARAM_LANES_BITS);
          ld_lanes_max = Cols;
          ld_esize = 64'd4;
          ld_row_limit = ParamLimit;
          ld_row_err = qsa_pkg::ERR_PARAM_BOUNDS;
        end
        default: ;
      endcase
    end
  end

  logic [63:0] ld_inner_y, ld_inner_x, ld_dram_hi;
  logic [3:0] ld_err;
  always_comb begin
    ld_inner_y = '0;
    ld_inner_x = '0;
    ld_dram_hi = '0;
    ld_err = '0;
    if (is_ld) begin
      ld_inner_y = ld_ny - ld_pt - ld_pb;
      ld_inner_x = ld_nx - ld_pl - ld_pr;
      ld_dram_hi = ld_dram + (ld_inner_y - 64'd1) * ld_sy + (ld_inner_x - 64'd1) * ld_sx +
                   ld_lanes * ld_esize;
      ld_err = qsa_pkg::ERR_NONE;
      if (ld_ny == 64'd0 || ld_nx == 64'd0) begin
        ld_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (ld_pt + ld_pb > ld_ny || ld_pl + ld_pr > ld_nx) begin
        ld_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (ld_lanes == 64'd0 || ld_lanes > ld_lanes_max) begin
        ld_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (ld_inner_y != 64'd0 && ld_inner_x != 64'd0 &&
                   ld_dram_hi > 64'(dram_size_i)) begin
        // Loads of padding read no DRAM: no DRAM range when the grid is all padding.
        ld_err = qsa_pkg::ERR_DRAM_BOUNDS;
      end else if (ld_sram + ld_ny * ld_nx > ld_row_limit) begin
        ld_err = ld_row_err;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // store.sp / store.acc (Executor::Store).
  logic [63:0] st_sram, st_dram, st_ny, st_nx, st_sy, st_sx, st_lanes, st_lane0;
  logic [63:0] st_lanes_max, st_esize, st_row_limit;
  logic [3:0] st_row_err;
  always_comb begin
    st_sram = '0;
    st_dram = '0;
    st_ny = '0;
    st_nx = '0;
    st_sy = '0;
    st_sx = '0;
    st_lanes = '0;
    st_lane0 = '0;
    st_lanes_max = '0;
    st_esize = '0;
    st_row_limit = '0;
    st_row_err = '0;
    if (is_st) begin
      st_sram = Field(word_i, qsa_isa_pkg::STORE_SP_SRAM_LSB, qsa_isa_pkg::STORE_SP_SRAM_BITS);
      st_dram = Field(word_i, qsa_isa_pkg::STORE_SP_DRAM_LSB, qsa_isa_pkg::STORE_SP_DRAM_BITS);
      st_ny = Field(word_i, qsa_isa_pkg::STORE_SP_NY_LSB, qsa_isa_pkg::STORE_SP_NY_BITS);
      st_nx = Field(word_i, qsa_isa_pkg::STORE_SP_NX_LSB, qsa_isa_pkg::STORE_SP_NX_BITS);
      st_sy = Field(word_i, qsa_isa_pkg::STORE_SP_STRIDE_Y_LSB,
                    qsa_isa_pkg::STORE_SP_STRIDE_Y_BITS);
      st_sx = Field(word_i, qsa_isa_pkg::STORE_SP_STRIDE_X_LSB,
                    qsa_isa_pkg::STORE_SP_STRIDE_X_BITS);
      st_lanes = Field(word_i, qsa_isa_pkg::STORE_SP_LANES_LSB, qsa_isa_pkg::STORE_SP_LANES_BITS);
      st_lane0 = Field(word_i, qsa_isa_pkg::STORE_SP_LANE0_LSB, qsa_isa_pkg::STORE_SP_LANE0_BITS);
      st_lanes_max = Rows;
      st_esize = 64'd1;
      st_row_limit = SpLimit;
      st_row_err = qsa_pkg::ERR_SP_BOUNDS;
      if (opcode == qsa_isa_pkg::OP_STORE_ACC) begin
        st_sram = Field(word_i, qsa_isa_pkg::STORE_ACC_SRAM_LSB, qsa_isa_pkg::STORE_ACC_SRAM_BITS);
        st_dram = Field(word_i, qsa_isa_pkg::STORE_ACC_DRAM_LSB, qsa_isa_pkg::STORE_ACC_DRAM_BITS);
        st_ny = Field(word_i, qsa_isa_pkg::STORE_ACC_NY_LSB, qsa_isa_pkg::STORE_ACC_NY_BITS);
        st_nx = Field(word_i, qsa_isa_pkg::STORE_ACC_NX_LSB, qsa_isa_pkg::STORE_ACC_NX_BITS);
        st_sy = Field(word_i, qsa_isa_pkg::STORE_ACC_STRIDE_Y_LSB,
                      qsa_isa_pkg::STORE_ACC_STRIDE_Y_BITS);
        st_sx = Field(word_i, qsa_isa_pkg::STORE_ACC_STRIDE_X_LSB,
                      qsa_isa_pkg::STORE_ACC_STRIDE_X_BITS);
        st_lanes = Field(word_i, qsa_isa_pkg::STORE_ACC_LANES_LSB,
                         qsa_isa_pkg::STORE_ACC_LANES_BITS);
        st_lane0 = Field(word_i, qsa_isa_pkg::STORE_ACC_LANE0_LSB,
                         qsa_isa_pkg::STORE_ACC_LANE0_BITS);
        st_lanes_max = Cols;
        st_esize = 64'd4;
        st_row_limit = AccLimit;
        st_row_err = qsa_pkg::ERR_ACC_BOUNDS;
      end
    end
  end

  logic [63:0] st_dram_hi;
  logic [3:0] st_err;
  always_comb begin
    st_dram_hi = '0;
    st_err = '0;
    if (is_st) begin
      st_dram_hi = st_dram + (st_ny - 64'd1) * st_sy + (st_nx - 64'd1) * st_sx +
                   st_lanes * st_esize;
      st_err = qsa_pkg::ERR_NONE;
      if (st_ny == 64'd0 || st_nx == 64'd0) begin
        st_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (st_lanes == 64'd0 || st_lanes > st_lanes_max ||
                   st_lane0 + st_lanes > st_lanes_max) begin
        st_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (st_sram + st_ny * st_nx > st_row_limit) begin
        st_err = st_row_err;
      end else if (st_dram_hi > 64'(dram_size_i)) begin
        st_err = qsa_pkg::ERR_DRAM_BOUNDS;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // gemm.
  logic [63:0] gm_act, gm_act_outer, gm_act_inner, gm_acc, gm_acc_outer, gm_n_outer, gm_n_inner;
  logic [63:0] gm_w, gm_k_lanes, gm_n_lanes, gm_act_hi, gm_acc_hi;
  logic gm_preload;
  logic [3:0] gm_err;
  always_comb begin
    gm_act = '0;
    gm_act_outer = '0;
    gm_act_inner = '0;
    gm_acc = '0;
    gm_acc_outer = '0;
    gm_n_outer = '0;
    gm_n_inner = '0;
    gm_w = '0;
    gm_k_lanes = '0;
    gm_n_lanes = '0;
    gm_preload = '0;
    gm_act_hi = '0;
    gm_acc_hi = '0;
    gm_err = '0;
    if (is_gm) begin
      gm_act = Field(word_i, qsa_isa_pkg::GEMM_ACT_LSB, qsa_isa_pkg::GEMM_ACT_BITS);
      gm_act_outer = Field(word_i, qsa_isa_pkg::GEMM_ACT_OUTER_LSB,
                           qsa_isa_pkg::GEMM_ACT_OUTER_BITS);
      gm_act_inner = Field(word_i, qsa_isa_pkg::GEMM_ACT_INNER_LSB,
                           qsa_isa_pkg::GEMM_ACT_INNER_BITS);
      gm_acc = Field(word_i, qsa_isa_pkg::GEMM_ACC_LSB, qsa_isa_pkg::GEMM_ACC_BITS);
      gm_acc_outer = Field(word_i, qsa_isa_pkg::GEMM_ACC_OUTER_LSB,
                           qsa_isa_pkg::GEMM_ACC_OUTER_BITS);
      gm_n_outer = Field(word_i, qsa_isa_pkg::GEMM_N_OUTER_LSB, qsa_isa_pkg::GEMM_N_OUTER_BITS);
      gm_n_inner = Field(word_i, qsa_isa_pkg::GEMM_N_INNER_LSB, qsa_isa_pkg::GEMM_N_INNER_BITS);
      gm_w = Field(word_i, qsa_isa_pkg::GEMM_W_LSB, qsa_isa_pkg::GEMM_W_BITS);
      gm_k_lanes = Field(word_i, qsa_isa_pkg::GEMM_K_LANES_LSB, qsa_isa_pkg::GEMM_K_LANES_BITS);
      gm_n_lanes = Field(word_i, qsa_isa_pkg::GEMM_N_LANES_LSB, qsa_isa_pkg::GEMM_N_LANES_BITS);
      gm_preload = word_i[qsa_isa_pkg::GEMM_PRELOAD_LSB];
      // One past the last activation row read and the last accumulator row written.
      gm_act_hi = gm_act + (gm_n_outer - 64'd1) * gm_act_outer +
                  (gm_n_inner - 64'd1) * gm_act_inner + 64'd1;
      gm_acc_hi = gm_acc + (gm_n_outer - 64'd1) * gm_acc_outer + gm_n_inner;
      gm_err = qsa_pkg::ERR_NONE;
      if (gm_n_outer == 64'd0 || gm_n_inner == 64'd0 || gm_k_lanes == 64'd0 || gm_k_lanes > Rows ||
          gm_n_lanes == 64'd0 || gm_n_lanes > Cols) begin
        gm_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (gm_n_outer > 64'd1 && gm_acc_outer < gm_n_inner) begin
        gm_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (gm_preload && gm_w + Cols > SpLimit) begin
        gm_err = qsa_pkg::ERR_SP_BOUNDS;
      end else if (gm_act_hi > SpLimit) begin
        gm_err = qsa_pkg::ERR_SP_BOUNDS;
      end else if (gm_acc_hi > AccLimit) begin
        gm_err = qsa_pkg::ERR_ACC_BOUNDS;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // post.
  logic [63:0] po_acc, po_n, po_dst, po_dst_stride, po_blk_stride, po_dst_lane, po_n_lanes;
  logic [63:0] po_param, po_last_block, po_dst_hi;
  logic [3:0] po_err;
  always_comb begin
    po_acc = '0;
    po_n = '0;
    po_dst = '0;
    po_dst_stride = '0;
    po_blk_stride = '0;
    po_dst_lane = '0;
    po_n_lanes = '0;
    po_param = '0;
    po_last_block = '0;
    po_dst_hi = '0;
    po_err = '0;
    if (is_po) begin
      po_acc = Field(word_i, qsa_isa_pkg::POST_ACC_LSB, qsa_isa_pkg::POST_ACC_BITS);
      po_n = Field(word_i, qsa_isa_pkg::POST_N_LSB, qsa_isa_pkg::POST_N_BITS);
      po_dst = Field(word_i, qsa_isa_pkg::POST_DST_LSB, qsa_isa_pkg::POST_DST_BITS);
      po_dst_stride = Field(word_i, qsa_isa_pkg::POST_DST_STRIDE_LSB,
                            qsa_isa_pkg::POST_DST_STRIDE_BITS);
      po_blk_stride = Field(word_i, qsa_isa_pkg::POST_BLK_STRIDE_LSB,
                            qsa_isa_pkg::POST_BLK_STRIDE_BITS);
      po_dst_lane = Field(word_i, qsa_isa_pkg::POST_DST_LANE_LSB, qsa_isa_pkg::POST_DST_LANE_BITS);
      po_n_lanes = Field(word_i, qsa_isa_pkg::POST_N_LANES_LSB, qsa_isa_pkg::POST_N_LANES_BITS);
      po_param = Field(word_i, qsa_isa_pkg::POST_PARAM_LSB, qsa_isa_pkg::POST_PARAM_BITS);
      // The lane group of the last lane written, and one past the last scratchpad row written.
      po_last_block = (po_dst_lane + po_n_lanes - 64'd1) / Rows;
      po_dst_hi = po_dst + (po_n - 64'd1) * po_dst_stride + po_last_block * po_blk_stride + 64'd1;
      po_err = qsa_pkg::ERR_NONE;
      if (po_n == 64'd0 || po_n_lanes == 64'd0 || po_n_lanes > Cols) begin
        po_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (Cols >= Rows && po_dst_lane != 64'd0) begin
        po_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (Cols < Rows && (po_dst_lane % Cols != 64'd0 || po_dst_lane >= Rows)) begin
        po_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (po_acc + po_n > AccLimit) begin
        po_err = qsa_pkg::ERR_ACC_BOUNDS;
      end else if (po_param + 64'd4 > ParamLimit) begin
        po_err = qsa_pkg::ERR_PARAM_BOUNDS;
      end else if (po_dst_hi > SpLimit) begin
        po_err = qsa_pkg::ERR_SP_BOUNDS;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // vadd.
  logic [63:0] va_a, va_b, va_dst, va_n, va_param;
  logic [3:0] va_err;
  always_comb begin
    va_a = '0;
    va_b = '0;
    va_dst = '0;
    va_n = '0;
    va_param = '0;
    va_err = '0;
    if (is_va) begin
      va_a = Field(word_i, qsa_isa_pkg::VADD_A_LSB, qsa_isa_pkg::VADD_A_BITS);
      va_b = Field(word_i, qsa_isa_pkg::VADD_B_LSB, qsa_isa_pkg::VADD_B_BITS);
      va_dst = Field(word_i, qsa_isa_pkg::VADD_DST_LSB, qsa_isa_pkg::VADD_DST_BITS);
      va_n = Field(word_i, qsa_isa_pkg::VADD_N_LSB, qsa_isa_pkg::VADD_N_BITS);
      va_param = Field(word_i, qsa_isa_pkg::VADD_PARAM_LSB, qsa_isa_pkg::VADD_PARAM_BITS);
      va_err = qsa_pkg::ERR_NONE;
      if (va_n == 64'd0) begin
        va_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if ((va_a != va_dst && Overlap(va_dst, va_n, va_a, va_n)) ||
                   (va_b != va_dst && Overlap(va_dst, va_n, va_b, va_n))) begin
        va_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (va_param + VaddParamRows > ParamLimit) begin
        va_err = qsa_pkg::ERR_PARAM_BOUNDS;
      end else if (va_a + va_n > SpLimit || va_b + va_n > SpLimit || va_dst + va_n > SpLimit) begin
        va_err = qsa_pkg::ERR_SP_BOUNDS;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // pool: the fields, the output/input overlap and the output rows. The output row check comes
  // after the unit's checks in the ISA simulator; raising it here only changes which of two
  // errors a doubly illegal word reports.
  logic [63:0] pl_src, pl_dst, pl_in_rows, pl_out_rows;
  logic pl_zero;
  logic [3:0] pl_err;
  always_comb begin
    pl_src = '0;
    pl_dst = '0;
    pl_in_rows = '0;
    pl_out_rows = '0;
    pl_zero = '0;
    pl_err = '0;
    if (is_pl) begin
      pl_src = Field(word_i, qsa_isa_pkg::POOL_SRC_LSB, qsa_isa_pkg::POOL_SRC_BITS);
      pl_dst = Field(word_i, qsa_isa_pkg::POOL_DST_LSB, qsa_isa_pkg::POOL_DST_BITS);
      pl_in_rows = Field(word_i, qsa_isa_pkg::POOL_IN_H_LSB, qsa_isa_pkg::POOL_IN_H_BITS) *
                   Field(word_i, qsa_isa_pkg::POOL_IN_W_LSB, qsa_isa_pkg::POOL_IN_W_BITS);
      pl_out_rows = Field(word_i, qsa_isa_pkg::POOL_OUT_H_LSB, qsa_isa_pkg::POOL_OUT_H_BITS) *
                    Field(word_i, qsa_isa_pkg::POOL_OUT_W_LSB, qsa_isa_pkg::POOL_OUT_W_BITS);
      pl_zero =
          word_i[qsa_isa_pkg::POOL_IN_H_LSB +: qsa_isa_pkg::POOL_IN_H_BITS] == '0 ||
          word_i[qsa_isa_pkg::POOL_IN_W_LSB +: qsa_isa_pkg::POOL_IN_W_BITS] == '0 ||
          word_i[qsa_isa_pkg::POOL_OUT_H_LSB +: qsa_isa_pkg::POOL_OUT_H_BITS] == '0 ||
          word_i[qsa_isa_pkg::POOL_OUT_W_LSB +: qsa_isa_pkg::POOL_OUT_W_BITS] == '0 ||
          word_i[qsa_isa_pkg::POOL_KH_LSB +: qsa_isa_pkg::POOL_KH_BITS] == '0 ||
          word_i[qsa_isa_pkg::POOL_KW_LSB +: qsa_isa_pkg::POOL_KW_BITS] == '0 ||
          word_i[qsa_isa_pkg::POOL_STRIDE_H_LSB +: qsa_isa_pkg::POOL_STRIDE_H_BITS] == '0 ||
          word_i[qsa_isa_pkg::POOL_STRIDE_W_LSB +: qsa_isa_pkg::POOL_STRIDE_W_BITS] == '0 ||
          word_i[qsa_isa_pkg::POOL_DIL_H_LSB +: qsa_isa_pkg::POOL_DIL_H_BITS] == '0 ||
          word_i[qsa_isa_pkg::POOL_DIL_W_LSB +: qsa_isa_pkg::POOL_DIL_W_BITS] == '0;
      pl_err = qsa_pkg::ERR_NONE;
      if (pl_zero) begin
        pl_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (Overlap(pl_dst, pl_out_rows, pl_src, pl_in_rows)) begin
        pl_err = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (pl_dst + pl_out_rows > SpLimit) begin
        pl_err = qsa_pkg::ERR_SP_BOUNDS;
      end
    end
  end

  // ---------------------------------------------------------------------------------------------
  // The first failing check, in the ISA simulator's order.
  always_comb begin
    err_code_o = qsa_pkg::ERR_NONE;
    if (en_i) begin
      if (!opcode_ok) begin
        err_code_o = qsa_pkg::ERR_ILLEGAL_OPCODE;
      end else if (reserved_set) begin
        err_code_o = qsa_pkg::ERR_RESERVED_BITS;
      end else if (sync_queue_bad) begin
        err_code_o = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else if (token_bad) begin
        err_code_o = qsa_pkg::ERR_TOKEN_FLAG;
      end else begin
        unique case (opcode)
          qsa_isa_pkg::OP_LOAD_SP, qsa_isa_pkg::OP_LOAD_ACC, qsa_isa_pkg::OP_LOAD_PARAM:
            err_code_o = ld_err;
          qsa_isa_pkg::OP_STORE_SP, qsa_isa_pkg::OP_STORE_ACC: err_code_o = st_err;
          qsa_isa_pkg::OP_GEMM: err_code_o = gm_err;
          qsa_isa_pkg::OP_POST: err_code_o = po_err;
          qsa_isa_pkg::OP_VADD: err_code_o = va_err;
          qsa_isa_pkg::OP_POOL: err_code_o = pl_err;
          default: err_code_o = qsa_pkg::ERR_NONE;  // sync, finish
        endcase
      end
    end
  end
  assign ok_o = (err_code_o == qsa_pkg::ERR_NONE);

endmodule

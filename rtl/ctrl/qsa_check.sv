// Legality of one instruction word (docs/isa.md, "Execution and errors"), combinational.
//
// Flags everything the ISA simulator rejects that depends only on the word, the architecture and
// the program's DRAM size: an illegal opcode, reserved bits set, a token flag toward a missing
// neighbour, a field outside its limits, and every DRAM byte range and on-chip row range the
// instruction touches (model/isa/isa.cc CheckWord, model/isa/executor.cc Execute; same order, same
// arithmetic, exact in 64 bits). The opcode, reserved-bit, queue and field-limit checks and the
// decoded instruction structs come from the ISA spec (qsa_isa_pkg, generated from
// model/isa/isa.json). Left to the units, which check them at run time before their first write:
// pool's input rows and tap-less windows, pool's parameter words, and every value read from the
// parameter buffer (shifts, left_shift).
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
  logic [1:0] insn_queue;
  assign opcode = word_i[qsa_isa_pkg::HDR_OPCODE_LSB +: qsa_isa_pkg::HDR_OPCODE_BITS];
  assign insn_queue = qsa_isa_pkg::QueueOf(word_i);

  // The word as each instruction; the bounds checks below read a few fields of each.
  /* verilator lint_off UNUSEDSIGNAL */
  qsa_isa_pkg::load_sp_t ld_sp;
  qsa_isa_pkg::load_acc_t ld_acc;
  qsa_isa_pkg::load_param_t ld_param;
  qsa_isa_pkg::store_sp_t st_sp;
  qsa_isa_pkg::store_acc_t st_acc;
  qsa_isa_pkg::gemm_t gm;
  qsa_isa_pkg::post_t po;
  qsa_isa_pkg::vadd_t va;
  qsa_isa_pkg::pool_t pl;
  /* verilator lint_on UNUSEDSIGNAL */
  assign ld_sp = word_i;
  assign ld_acc = word_i;
  assign ld_param = word_i;
  assign st_sp = word_i;
  assign st_acc = word_i;
  assign gm = word_i;
  assign po = word_i;
  assign va = word_i;
  assign pl = word_i;

  // True when [a, a + a_rows) and [b, b + b_rows) share a row.
  function automatic logic Overlap(input logic [63:0] a, input logic [63:0] a_rows,
                                   input logic [63:0] b, input logic [63:0] b_rows);
    Overlap = (a < b + b_rows) && (b < a + a_rows);
  endfunction

  // A load's bounds (Executor::Load): the DRAM bytes read, none when the grid is all padding,
  // then the rows written.
  function automatic logic [3:0] LoadBounds(
      input logic [63:0] sram, input logic [63:0] dram, input logic [63:0] ny,
      input logic [63:0] nx, input logic [63:0] sy, input logic [63:0] sx,
      input logic [63:0] pad_y, input logic [63:0] pad_x, input logic [63:0] bytes,
      input logic [63:0] row_limit, input logic [3:0] row_err, input logic [63:0] dram_size);
    logic [63:0] inner_y, inner_x;
    inner_y = ny - pad_y;
    inner_x = nx - pad_x;
    LoadBounds = qsa_pkg::ERR_NONE;
    if (inner_y != 64'd0 && inner_x != 64'd0 &&
        dram + (inner_y - 64'd1) * sy + (inner_x - 64'd1) * sx + bytes > dram_size) begin
      LoadBounds = qsa_pkg::ERR_DRAM_BOUNDS;
    end else if (sram + ny * nx > row_limit) begin
      LoadBounds = row_err;
    end
  endfunction

  // A store's bounds (Executor::Store): the rows read, then the DRAM bytes written.
  function automatic logic [3:0] StoreBounds(
      input logic [63:0] sram, input logic [63:0] dram, input logic [63:0] ny,
      input logic [63:0] nx, input logic [63:0] sy, input logic [63:0] sx,
      input logic [63:0] bytes, input logic [63:0] row_limit, input logic [3:0] row_err,
      input logic [63:0] dram_size);
    StoreBounds = qsa_pkg::ERR_NONE;
    if (sram + ny * nx > row_limit) begin
      StoreBounds = row_err;
    end else if (dram + (ny - 64'd1) * sy + (nx - 64'd1) * sx + bytes > dram_size) begin
      StoreBounds = qsa_pkg::ERR_DRAM_BOUNDS;
    end
  endfunction

  // The first out-of-bounds range of the word's instruction, in the ISA simulator's order.
  logic [63:0] dram_size;
  logic [3:0] bounds_err;
  assign dram_size = 64'(dram_size_i);
  always_comb begin
    bounds_err = qsa_pkg::ERR_NONE;
    if (en_i) begin
      unique case (opcode)
        qsa_isa_pkg::OP_LOAD_SP:
          bounds_err = LoadBounds(64'(ld_sp.sram), 64'(ld_sp.dram), 64'(ld_sp.ny), 64'(ld_sp.nx),
                                  64'(ld_sp.stride_y), 64'(ld_sp.stride_x),
                                  64'(ld_sp.pad_top) + 64'(ld_sp.pad_bottom),
                                  64'(ld_sp.pad_left) + 64'(ld_sp.pad_right), 64'(ld_sp.lanes),
                                  SpLimit, qsa_pkg::ERR_SP_BOUNDS, dram_size);
        qsa_isa_pkg::OP_LOAD_ACC:
          bounds_err = LoadBounds(64'(ld_acc.sram), 64'(ld_acc.dram), 64'(ld_acc.ny),
                                  64'(ld_acc.nx), 64'(ld_acc.stride_y), 64'(ld_acc.stride_x),
                                  64'(ld_acc.pad_top) + 64'(ld_acc.pad_bottom),
                                  64'(ld_acc.pad_left) + 64'(ld_acc.pad_right),
                                  64'd4 * 64'(ld_acc.lanes), AccLimit, qsa_pkg::ERR_ACC_BOUNDS,
                                  dram_size);
        qsa_isa_pkg::OP_LOAD_PARAM:
          bounds_err = LoadBounds(64'(ld_param.sram), 64'(ld_param.dram), 64'(ld_param.ny),
                                  64'(ld_param.nx), 64'(ld_param.stride_y),
                                  64'(ld_param.stride_x),
                                  64'(ld_param.pad_top) + 64'(ld_param.pad_bottom),
                                  64'(ld_param.pad_left) + 64'(ld_param.pad_right),
                                  64'd4 * 64'(ld_param.lanes), ParamLimit,
                                  qsa_pkg::ERR_PARAM_BOUNDS, dram_size);
        qsa_isa_pkg::OP_STORE_SP:
          bounds_err = StoreBounds(64'(st_sp.sram), 64'(st_sp.dram), 64'(st_sp.ny),
                                   64'(st_sp.nx), 64'(st_sp.stride_y), 64'(st_sp.stride_x),
                                   64'(st_sp.lanes), SpLimit, qsa_pkg::ERR_SP_BOUNDS, dram_size);
        qsa_isa_pkg::OP_STORE_ACC:
          bounds_err = StoreBounds(64'(st_acc.sram), 64'(st_acc.dram), 64'(st_acc.ny),
                                   64'(st_acc.nx), 64'(st_acc.stride_y), 64'(st_acc.stride_x),
                                   64'd4 * 64'(st_acc.lanes), AccLimit, qsa_pkg::ERR_ACC_BOUNDS,
                                   dram_size);
        qsa_isa_pkg::OP_GEMM: begin
          // The weight rows, one past the last activation row read and the last accumulator row
          // written.
          if (gm.preload && 64'(gm.w) + Cols > SpLimit) begin
            bounds_err = qsa_pkg::ERR_SP_BOUNDS;
          end else if (64'(gm.act) + (64'(gm.n_outer) - 64'd1) * 64'(gm.act_outer) +
                       (64'(gm.n_inner) - 64'd1) * 64'(gm.act_inner) + 64'd1 > SpLimit) begin
            bounds_err = qsa_pkg::ERR_SP_BOUNDS;
          end else if (64'(gm.acc) + (64'(gm.n_outer) - 64'd1) * 64'(gm.acc_outer) +
                       64'(gm.n_inner) > AccLimit) begin
            bounds_err = qsa_pkg::ERR_ACC_BOUNDS;
          end
        end
        qsa_isa_pkg::OP_POST: begin
          if (64'(po.acc) + 64'(po.n) > AccLimit) begin
            bounds_err = qsa_pkg::ERR_ACC_BOUNDS;
          end else if (64'(po.param) + 64'd4 > ParamLimit) begin
            bounds_err = qsa_pkg::ERR_PARAM_BOUNDS;
          end else if (64'(po.dst) + (64'(po.n) - 64'd1) * 64'(po.dst_stride) +
                       (64'(po.dst_lane) + 64'(po.n_lanes) - 64'd1) / Rows * 64'(po.blk_stride) +
                       64'd1 > SpLimit) begin
            // The lane group of the last lane written decides the last scratchpad row.
            bounds_err = qsa_pkg::ERR_SP_BOUNDS;
          end
        end
        qsa_isa_pkg::OP_VADD: begin
          if (64'(va.param) + VaddParamRows > ParamLimit) begin
            bounds_err = qsa_pkg::ERR_PARAM_BOUNDS;
          end else if (64'(va.a) + 64'(va.n) > SpLimit || 64'(va.b) + 64'(va.n) > SpLimit ||
                       64'(va.dst) + 64'(va.n) > SpLimit) begin
            bounds_err = qsa_pkg::ERR_SP_BOUNDS;
          end
        end
        qsa_isa_pkg::OP_POOL: begin
          // The output rows. This comes after the unit's checks in the ISA simulator; raising it
          // here only changes which of two errors a doubly illegal word reports.
          if (64'(pl.dst) + 64'(pl.out_h) * 64'(pl.out_w) > SpLimit) begin
            bounds_err = qsa_pkg::ERR_SP_BOUNDS;
          end
        end
        default: ;  // sync, finish, illegal opcodes
      endcase
    end
  end

  // The first failing check, in the ISA simulator's order: opcode, reserved bits, token flags
  // toward a missing neighbour (load has no previous queue, store no next one), field limits,
  // bounds. A sync naming queue 3 fails its field limit (it is in no queue, so no token check).
  logic token_bad;
  assign token_bad =
      (insn_queue == qsa_isa_pkg::QUEUE_LOAD && (word_i[qsa_isa_pkg::HDR_POP_PREV_LSB] ||
                                           word_i[qsa_isa_pkg::HDR_PUSH_PREV_LSB])) ||
      (insn_queue == qsa_isa_pkg::QUEUE_STORE && (word_i[qsa_isa_pkg::HDR_POP_NEXT_LSB] ||
                                            word_i[qsa_isa_pkg::HDR_PUSH_NEXT_LSB]));
  always_comb begin
    err_code_o = qsa_pkg::ERR_NONE;
    if (en_i) begin
      if (!qsa_isa_pkg::OpcodeOk(word_i)) begin
        err_code_o = qsa_pkg::ERR_ILLEGAL_OPCODE;
      end else if (qsa_isa_pkg::ReservedSet(word_i)) begin
        err_code_o = qsa_pkg::ERR_RESERVED_BITS;
      end else if (token_bad) begin
        err_code_o = qsa_pkg::ERR_TOKEN_FLAG;
      end else if (!qsa_isa_pkg::LimitsOk(word_i, Rows, Cols)) begin
        err_code_o = qsa_pkg::ERR_ILLEGAL_FIELD;
      end else begin
        err_code_o = bounds_err;
      end
    end
  end
  assign ok_o = (err_code_o == qsa_pkg::ERR_NONE);

`ifndef SYNTHESIS
  // ---- Assertions (immediate: the checker has no clock) ----
  always_comb begin
    // Disabled, the checker says ok; enabled, it gives a code of its own (the descriptor checks
    // are the units').
    CheckIdleOk_A : assert (en_i || (ok_o && err_code_o == qsa_pkg::ERR_NONE));
    CheckCodeKnown_A : assert (err_code_o <= qsa_pkg::ERR_PARAM_BOUNDS);
    // A legal word has a known opcode and a queue (a sync naming queue 3 is refused), and no
    // token flag toward a queue its queue does not have.
    CheckLegalHasQueue_A : assert (!(en_i && ok_o) ||
        (opcode >= qsa_isa_pkg::OP_LOAD_SP && opcode <= qsa_isa_pkg::OP_FINISH &&
         insn_queue != 2'd3));
    CheckLegalTokens_A : assert (!(en_i && ok_o) || !token_bad);
  end
`endif

endmodule

// Constants and port types shared by the accelerator's units that are not part of the
// instruction encoding (those live in the generated qsa_isa_pkg): error codes of the status
// register, the indices of the performance counters, and the structs that group the units'
// ports.
/* verilator lint_off UNUSEDPARAM */
package qsa_pkg;

  // Status register error codes (status.error_code). 0 = no error.
  localparam logic [3:0] ERR_NONE = 4'd0;
  localparam logic [3:0] ERR_ILLEGAL_OPCODE = 4'd1;  // opcode 0 or unlisted
  localparam logic [3:0] ERR_RESERVED_BITS = 4'd2;  // a bit above the last field is set
  localparam logic [3:0] ERR_TOKEN_FLAG = 4'd3;  // a token flag toward a missing neighbour
  localparam logic [3:0] ERR_ILLEGAL_FIELD = 4'd4;  // a field outside its documented range
  localparam logic [3:0] ERR_DRAM_BOUNDS = 4'd5;  // DRAM access outside [0, dram_size)
  localparam logic [3:0] ERR_SP_BOUNDS = 4'd6;  // scratchpad row beyond the memory
  localparam logic [3:0] ERR_ACC_BOUNDS = 4'd7;  // accumulator row beyond the memory
  localparam logic [3:0] ERR_PARAM_BOUNDS = 4'd8;  // parameter row beyond the memory
  localparam logic [3:0] ERR_DESCRIPTOR = 4'd9;  // a parameter word holds an illegal value
  localparam logic [3:0] ERR_DRAM_RESP = 4'd10;  // DRAM answered a burst SLVERR or DECERR
  localparam logic [3:0] ERR_FETCH_BOUNDS = 4'd11;  // program not 16-byte aligned, empty, or
                                                 // not below MEM_SIZE
  localparam logic [3:0] ERR_WATCHDOG = 4'd12;  // no progress for WATCHDOG cycles
  localparam logic [3:0] ERR_REG_WRITE = 4'd13;  // a configuration or START write while busy

  // Performance counters, read through cnt_sel_i / cnt_value_o (64 bits each).
  localparam int unsigned CNT_CYCLES = 0;  // cycles from start to the end of finish
  // 1..11: instructions started, by opcode (CNT_INSN_BASE + opcode).
  localparam int unsigned CNT_INSN_BASE = 0;
  localparam int unsigned CNT_MACS_ISSUED = 12;
  localparam int unsigned CNT_MACS_USEFUL = 13;
  localparam int unsigned CNT_DRAM_RD = 14;  // bytes
  localparam int unsigned CNT_DRAM_WR = 15;
  localparam int unsigned CNT_SP_RD = 16;
  localparam int unsigned CNT_SP_WR = 17;
  localparam int unsigned CNT_ACC_RD = 18;
  localparam int unsigned CNT_ACC_WR = 19;
  localparam int unsigned CNT_PARAM_RD = 20;
  localparam int unsigned CNT_PARAM_WR = 21;
  localparam int unsigned CNT_LOAD_BUSY = 22;  // cycles the unit holds an instruction
  localparam int unsigned CNT_COMPUTE_BUSY = 23;
  localparam int unsigned CNT_STORE_BUSY = 24;
  localparam int unsigned CNT_LOAD_STALL = 25;  // cycles a queue head waits for tokens or room
  localparam int unsigned CNT_COMPUTE_STALL = 26;
  localparam int unsigned CNT_STORE_STALL = 27;
  localparam int unsigned CNT_FETCH_STALL = 28;  // cycles fetch waits for a full queue
  localparam int unsigned CNT_ARRAY_BUSY = 29;  // cycles an activation row enters the array
  localparam int unsigned CNT_DRAM_RD_BEATS = 30;  // bus beats requested
  localparam int unsigned CNT_DRAM_WR_BEATS = 31;
  localparam int unsigned CNT_BANK_STALL = 32;  // client-cycles waiting for a memory bank
  localparam int unsigned NUM_COUNTERS = 33;

  // ---- Port groups ----
  // Structs hold only what has the same width in every configuration; a memory row's data and
  // lane mask (ROWS or COLS lanes wide) travel beside them as vectors. A packed struct's width
  // is written out as a localparam (*_W) for the flat vectors that hold one struct per unit.

  // The instruction a unit is offered (control -> load, compute and store; compute -> gemm):
  // the word and its pc. The valid/ready handshake beside it stays two plain signals: ready may
  // depend on the word, valid on the unit's responses.
  typedef struct packed {
    logic [127:0] insn;
    logic [31:0]  pc;
  } unit_req_t;
  localparam int unsigned UNIT_REQ_W = 128 + 32;

  // What a unit reports to control: done pulses once per instruction, in order, with its pc;
  // idle while it holds no instruction; err is sticky, with the code and pc of the instruction
  // that raised it.
  typedef struct packed {
    logic        done;
    logic [31:0] done_pc;
    logic        idle;
    logic        err;
    logic [3:0]  err_code;
    logic [31:0] err_pc;
  } unit_rsp_t;
  localparam int unsigned UNIT_RSP_W = 1 + 32 + 1 + 1 + 4 + 32;

  // A row address of any memory: the ISA's row fields are 16 bits and no memory has more than
  // 65,536 rows. A memory of R rows decodes the low $clog2(R) bits; the bits above are zero for
  // every in-bounds access (qsa_top asserts it).
  typedef logic [15:0] row_addr_t;

  // One row access of a memory port: a read (data the next cycle) or a write.
  typedef struct packed {
    logic      en;
    row_addr_t addr;
  } row_req_t;
  localparam int unsigned ROW_REQ_W = 1 + 16;

  // The row accesses of the compute unit and of each of its sub-units: scratchpad write port 1,
  // scratchpad read ports A and B, accumulator read port 0, parameter buffer read port 0.
  typedef struct packed {
    row_req_t sp_wr;
    row_req_t spa_rd;
    row_req_t spb_rd;
    row_req_t acc_rd;
    row_req_t prm_rd;
  } cu_mem_req_t;
  localparam int unsigned CU_MEM_REQ_W = 5 * ROW_REQ_W;

  // A compute sub-unit's state (post, vadd, pool): busy from the cycle after start until a
  // one-cycle done or err pulse; err_code is valid with err.
  typedef struct packed {
    logic       busy;
    logic       done;
    logic       err;
    logic [3:0] err_code;
  } sub_status_t;
  localparam int unsigned SUB_STATUS_W = 3 + 4;

  // Counter events of a unit, per cycle: the bytes it moves (DRAM and each memory, by
  // direction), DRAM bus beats, MACs, and 1 in a cycle the array takes an activation row. A unit
  // drives 0 for the events it never has. Every field is a 32-bit count, so the events of two
  // units add word by word (EvSum).
  typedef struct packed {
    logic [31:0] dram_rd, dram_wr, dram_rd_beats, dram_wr_beats;  // DRAM bytes and bus beats
    logic [31:0] sp_rd, sp_wr, acc_rd, acc_wr, param_rd, param_wr;  // bytes of each memory
    logic [31:0] macs_issued, macs_useful, array_busy;  // the array
    logic [31:0] bank_stall;  // the unit's clients waiting for a memory bank, one per client
  } unit_ev_t;
  localparam int unsigned UNIT_EV_WORDS = 14;
  localparam int unsigned UNIT_EV_W = UNIT_EV_WORDS * 32;

  // Whether rows a and b of a memory of `rows` rows in `banks` banks (powers of two) lie in one
  // bank: the bank is the row's high bits (qsa_sram).
  function automatic logic SameBank(input logic [31:0] a, input logic [31:0] b,
                                    input int unsigned rows, input int unsigned banks);
    SameBank = (a / (rows / banks)) == (b / (rows / banks));
  endfunction

  // The beats of a DMA unit's next AXI burst: the beats left in its row (`left`), but not past
  // the end of the 4 KiB page that beat address `first` lies in (pages of `page_beats` beats, a
  // power of two) nor more than `max_burst`.
  function automatic logic [31:0] BurstBeats(input logic [31:0] first, input logic [31:0] left,
                                             input int unsigned page_beats,
                                             input int unsigned max_burst);
    logic [31:0] page_left, beats;
    page_left = 32'(page_beats) - (first & 32'(page_beats - 1));
    beats = left;
    if (page_left < beats) beats = page_left;
    if (32'(max_burst) < beats) beats = 32'(max_burst);
    BurstBeats = beats;
  endfunction

  // The field-wise sum of two units' events (wrapping; one cycle's counts are far below 2^32).
  function automatic logic [UNIT_EV_W-1:0] EvSum(input logic [UNIT_EV_W-1:0] a,
                                                 input logic [UNIT_EV_W-1:0] b);
    for (int w = 0; w < UNIT_EV_WORDS; w++) EvSum[w*32 +: 32] = a[w*32 +: 32] + b[w*32 +: 32];
  endfunction

  // Counter events of control, per cycle; [q] and [q*4 +: 4] per queue q (0 load, 1 compute,
  // 2 store).
  typedef struct packed {
    logic        running;      // between start and the end of finish
    logic [2:0]  start;        // queue q started an instruction ...
    logic [11:0] start_op;     // ... of this opcode
    logic [2:0]  unit_busy;    // unit q is not idle
    logic [2:0]  stall;        // queue q has a head that cannot start
    logic        fetch_stall;  // a checked word waits for room in a full queue
  } ctrl_ev_t;

  // The shared requantizer (max(COLS, 3 * ROWS) qsa_requant lanes in qsa_compute): its latency in
  // cycles, and the legality of a scaler's shifts: lsh, rsh <= 31 and, in single rounding, lsh - rsh in [-31, 30].
  localparam int unsigned RQ_LATENCY = 4;
  function automatic logic RqShiftsLegal(input logic [7:0] lsh, input logic [7:0] rsh,
                                         input logic single);
    RqShiftsLegal = (lsh <= 8'd31) && (rsh <= 8'd31) &&
                    (!single || ({1'b0, lsh} + 9'd31 >= {1'b0, rsh} &&
                                 {1'b0, lsh} <= {1'b0, rsh} + 9'd30));
  endfunction

endpackage
/* verilator lint_on UNUSEDPARAM */

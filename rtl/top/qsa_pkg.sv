// Constants shared by the accelerator's units that are not part of the instruction encoding
// (those live in the generated qsa_isa_pkg): error codes of the status register and the
// indices of the performance counters.
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
  localparam int unsigned NUM_COUNTERS = 32;

endpackage
/* verilator lint_on UNUSEDPARAM */

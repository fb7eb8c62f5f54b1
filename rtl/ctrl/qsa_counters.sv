// Performance counters (docs/isa.md, "Counters"; indices qsa_pkg::CNT_*): every cycle, adds the
// event counts of the three units and of control to 64-bit counters (wrapping modulo 2^64), and
// shows counter cnt_sel_i on cnt_value_o (0 for an index without a counter). clear_i (the start
// pulse) zeroes every counter.
module qsa_counters (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        clear_i,
  // Control (qsa_ctrl ev_*_o).
  input  logic        ctrl_ev_running_i,
  input  logic [2:0]  ctrl_ev_start_i,       // queue q (0 load, 1 compute, 2 store) started ...
  input  logic [11:0] ctrl_ev_start_op_i,    // ... an instruction of opcode [q*4 +: 4]
  input  logic [2:0]  ctrl_ev_unit_busy_i,
  input  logic [2:0]  ctrl_ev_stall_i,
  input  logic        ctrl_ev_fetch_stall_i,
  // Load unit.
  input  logic [31:0] load_ev_dram_rd_i,
  input  logic [31:0] load_ev_sp_wr_i,
  input  logic [31:0] load_ev_acc_wr_i,
  input  logic [31:0] load_ev_param_wr_i,
  input  logic [31:0] load_ev_rd_beats_i,
  // Store unit.
  input  logic [31:0] store_ev_dram_wr_i,
  input  logic [31:0] store_ev_sp_rd_i,
  input  logic [31:0] store_ev_acc_rd_i,
  input  logic [31:0] store_ev_wr_beats_i,
  // Compute unit.
  input  logic [31:0] compute_ev_macs_issued_i,
  input  logic [31:0] compute_ev_macs_useful_i,
  input  logic [31:0] compute_ev_sp_rd_i,
  input  logic [31:0] compute_ev_sp_wr_i,
  input  logic [31:0] compute_ev_acc_rd_i,
  input  logic [31:0] compute_ev_acc_wr_i,
  input  logic [31:0] compute_ev_param_rd_i,
  input  logic        compute_ev_array_busy_i,
  // Read-out.
  input  logic [5:0]  cnt_sel_i,
  output logic [63:0] cnt_value_o
);
  localparam int unsigned N = qsa_pkg::NUM_COUNTERS;

  // Counter k is bits [k*64 +: 64].
  logic [N*64-1:0] cnt_q, cnt_d, inc;

  always_comb begin
    inc = '0;
    inc[qsa_pkg::CNT_CYCLES*64 +: 64] = 64'(ctrl_ev_running_i);
    // Instructions by opcode 1..11 (counter CNT_INSN_BASE + opcode); a sync may start in every
    // queue in the same cycle.
    for (int op = 1; op <= 11; op++) begin
      for (int q = 0; q < 3; q++) begin
        if (ctrl_ev_start_i[q] && ctrl_ev_start_op_i[q*4 +: 4] == 4'(op)) begin
          inc[(qsa_pkg::CNT_INSN_BASE + op)*64 +: 64] =
              inc[(qsa_pkg::CNT_INSN_BASE + op)*64 +: 64] + 64'd1;
        end
      end
    end
    inc[qsa_pkg::CNT_MACS_ISSUED*64 +: 64] = 64'(compute_ev_macs_issued_i);
    inc[qsa_pkg::CNT_MACS_USEFUL*64 +: 64] = 64'(compute_ev_macs_useful_i);
    inc[qsa_pkg::CNT_DRAM_RD*64 +: 64] = 64'(load_ev_dram_rd_i);
    inc[qsa_pkg::CNT_DRAM_WR*64 +: 64] = 64'(store_ev_dram_wr_i);
    inc[qsa_pkg::CNT_SP_RD*64 +: 64] = 64'(store_ev_sp_rd_i) + 64'(compute_ev_sp_rd_i);
    inc[qsa_pkg::CNT_SP_WR*64 +: 64] = 64'(load_ev_sp_wr_i) + 64'(compute_ev_sp_wr_i);
    inc[qsa_pkg::CNT_ACC_RD*64 +: 64] = 64'(store_ev_acc_rd_i) + 64'(compute_ev_acc_rd_i);
    inc[qsa_pkg::CNT_ACC_WR*64 +: 64] = 64'(load_ev_acc_wr_i) + 64'(compute_ev_acc_wr_i);
    inc[qsa_pkg::CNT_PARAM_RD*64 +: 64] = 64'(compute_ev_param_rd_i);
    inc[qsa_pkg::CNT_PARAM_WR*64 +: 64] = 64'(load_ev_param_wr_i);
    inc[qsa_pkg::CNT_LOAD_BUSY*64 +: 64] = 64'(ctrl_ev_unit_busy_i[0]);
    inc[qsa_pkg::CNT_COMPUTE_BUSY*64 +: 64] = 64'(ctrl_ev_unit_busy_i[1]);
    inc[qsa_pkg::CNT_STORE_BUSY*64 +: 64] = 64'(ctrl_ev_unit_busy_i[2]);
    inc[qsa_pkg::CNT_LOAD_STALL*64 +: 64] = 64'(ctrl_ev_stall_i[0]);
    inc[qsa_pkg::CNT_COMPUTE_STALL*64 +: 64] = 64'(ctrl_ev_stall_i[1]);
    inc[qsa_pkg::CNT_STORE_STALL*64 +: 64] = 64'(ctrl_ev_stall_i[2]);
    inc[qsa_pkg::CNT_FETCH_STALL*64 +: 64] = 64'(ctrl_ev_fetch_stall_i);
    inc[qsa_pkg::CNT_ARRAY_BUSY*64 +: 64] = 64'(compute_ev_array_busy_i);
    inc[qsa_pkg::CNT_DRAM_RD_BEATS*64 +: 64] = 64'(load_ev_rd_beats_i);
    inc[qsa_pkg::CNT_DRAM_WR_BEATS*64 +: 64] = 64'(store_ev_wr_beats_i);
  end

  always_comb begin
    for (int k = 0; k < N; k++) cnt_d[k*64 +: 64] = cnt_q[k*64 +: 64] + inc[k*64 +: 64];
    if (clear_i) cnt_d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q <= '0;
    end else begin
      cnt_q <= cnt_d;
    end
  end

  assign cnt_value_o = (32'(cnt_sel_i) < N) ? cnt_q[cnt_sel_i*64 +: 64] : 64'd0;

endmodule

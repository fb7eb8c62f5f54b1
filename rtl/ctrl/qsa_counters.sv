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

  // Instructions started per opcode 1..11 in this cycle ([op*2 +: 2]); a sync may start in every
  // queue in the same cycle.
  logic [12*2-1:0] insn_inc;
  always_comb begin
    insn_inc = '0;
    for (int q = 0; q < 3; q++) begin
      if (ctrl_ev_start_i[q] && ctrl_ev_start_op_i[q*4 +: 4] <= 4'd11) begin
        insn_inc[32'(ctrl_ev_start_op_i[q*4 +: 4])*2 +: 2] =
            insn_inc[32'(ctrl_ev_start_op_i[q*4 +: 4])*2 +: 2] + 2'd1;
      end
    end
  end

  // Counter k is its own 64-bit register, updated only in a cycle it has an event (a simulator
  // then spends no time on idle counters); it adds inc_a + inc_b.
  logic [N*64-1:0] cnt;  // counter k at [k*64 +: 64]
  for (genvar k = 0; k < N; k++) begin : gen_cnt
    logic [31:0] inc_a, inc_b;
    logic [63:0] cnt_q;
    if (k == qsa_pkg::CNT_CYCLES) begin : gen_cycles
      assign inc_a = 32'(ctrl_ev_running_i);
      assign inc_b = 32'd0;
    end else if (k >= qsa_pkg::CNT_INSN_BASE + 1 && k <= qsa_pkg::CNT_INSN_BASE + 11)
        begin : gen_insn
      assign inc_a = 32'(insn_inc[(k - qsa_pkg::CNT_INSN_BASE)*2 +: 2]);
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_MACS_ISSUED) begin : gen_macs_issued
      assign inc_a = compute_ev_macs_issued_i;
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_MACS_USEFUL) begin : gen_macs_useful
      assign inc_a = compute_ev_macs_useful_i;
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_DRAM_RD) begin : gen_dram_rd
      assign inc_a = load_ev_dram_rd_i;
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_DRAM_WR) begin : gen_dram_wr
      assign inc_a = store_ev_dram_wr_i;
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_SP_RD) begin : gen_sp_rd
      assign inc_a = store_ev_sp_rd_i;
      assign inc_b = compute_ev_sp_rd_i;
    end else if (k == qsa_pkg::CNT_SP_WR) begin : gen_sp_wr
      assign inc_a = load_ev_sp_wr_i;
      assign inc_b = compute_ev_sp_wr_i;
    end else if (k == qsa_pkg::CNT_ACC_RD) begin : gen_acc_rd
      assign inc_a = store_ev_acc_rd_i;
      assign inc_b = compute_ev_acc_rd_i;
    end else if (k == qsa_pkg::CNT_ACC_WR) begin : gen_acc_wr
      assign inc_a = load_ev_acc_wr_i;
      assign inc_b = compute_ev_acc_wr_i;
    end else if (k == qsa_pkg::CNT_PARAM_RD) begin : gen_param_rd
      assign inc_a = compute_ev_param_rd_i;
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_PARAM_WR) begin : gen_param_wr
      assign inc_a = load_ev_param_wr_i;
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_LOAD_BUSY) begin : gen_load_busy
      assign inc_a = 32'(ctrl_ev_unit_busy_i[0]);
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_COMPUTE_BUSY) begin : gen_compute_busy
      assign inc_a = 32'(ctrl_ev_unit_busy_i[1]);
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_STORE_BUSY) begin : gen_store_busy
      assign inc_a = 32'(ctrl_ev_unit_busy_i[2]);
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_LOAD_STALL) begin : gen_load_stall
      assign inc_a = 32'(ctrl_ev_stall_i[0]);
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_COMPUTE_STALL) begin : gen_compute_stall
      assign inc_a = 32'(ctrl_ev_stall_i[1]);
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_STORE_STALL) begin : gen_store_stall
      assign inc_a = 32'(ctrl_ev_stall_i[2]);
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_FETCH_STALL) begin : gen_fetch_stall
      assign inc_a = 32'(ctrl_ev_fetch_stall_i);
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_ARRAY_BUSY) begin : gen_array_busy
      assign inc_a = 32'(compute_ev_array_busy_i);
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_DRAM_RD_BEATS) begin : gen_dram_rd_beats
      assign inc_a = load_ev_rd_beats_i;
      assign inc_b = 32'd0;
    end else if (k == qsa_pkg::CNT_DRAM_WR_BEATS) begin : gen_dram_wr_beats
      assign inc_a = store_ev_wr_beats_i;
      assign inc_b = 32'd0;
    end else begin : gen_none
      assign inc_a = 32'd0;
      assign inc_b = 32'd0;
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        cnt_q <= '0;
      end else if (clear_i) begin
        cnt_q <= '0;
      end else if ((inc_a | inc_b) != 32'd0) begin
        cnt_q <= cnt_q + 64'(inc_a) + 64'(inc_b);
      end
    end
    assign cnt[k*64 +: 64] = cnt_q;
  end

  assign cnt_value_o = (32'(cnt_sel_i) < N) ? cnt[cnt_sel_i*64 +: 64] : 64'd0;

endmodule

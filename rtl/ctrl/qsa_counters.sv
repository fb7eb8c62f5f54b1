// Performance counters (docs/isa.md, "Counters"; indices qsa_pkg::CNT_*): every cycle, adds the
// event counts of the three units and of control to 64-bit counters (wrapping modulo 2^64), and
// shows counter cnt_sel_i on cnt_value_o (0 for an index without a counter). clear_i (the start
// pulse) zeroes every counter.
//
// The events are registered first and added one cycle later, so that no unit's event logic (the
// load's beat and segment arithmetic, the compute units' MAC counts) lies in front of the 64-bit
// adders in the same cycle. clear_i drops the events of its own cycle, as the counters did before
// the register. A run's last event is counted before its end is reported: the last event of a run
// lies in DRAIN at the latest, qsa_top's CLEAR cycle follows (the units in reset, no events), and
// the status shows the run's end from the cycle after CLEAR. The register is reset with rst_ni, not
// with the units' reset of CLEAR.
module qsa_counters (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               clear_i,
  input  qsa_pkg::ctrl_ev_t  ctrl_ev_i,
  input  qsa_pkg::unit_ev_t  load_ev_i,
  input  qsa_pkg::unit_ev_t  store_ev_i,
  input  qsa_pkg::unit_ev_t  compute_ev_i,
  // Read-out.
  input  logic [5:0]         cnt_sel_i,
  output logic [63:0]        cnt_value_o
);
  localparam int unsigned N = qsa_pkg::NUM_COUNTERS;

  // The events of the previous cycle.
  qsa_pkg::ctrl_ev_t ctrl_ev_q;
  qsa_pkg::unit_ev_t load_ev_q, store_ev_q, compute_ev_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ctrl_ev_q <= '0;
      load_ev_q <= '0;
      store_ev_q <= '0;
      compute_ev_q <= '0;
    end else if (clear_i) begin
      ctrl_ev_q <= '0;
      load_ev_q <= '0;
      store_ev_q <= '0;
      compute_ev_q <= '0;
    end else begin
      ctrl_ev_q <= ctrl_ev_i;
      load_ev_q <= load_ev_i;
      store_ev_q <= store_ev_i;
      compute_ev_q <= compute_ev_i;
    end
  end

  // The three units' events, summed: a memory's traffic is the sum over the units that access
  // it.
  qsa_pkg::unit_ev_t ev;
  assign ev = qsa_pkg::EvSum(qsa_pkg::EvSum(load_ev_q, store_ev_q), compute_ev_q);

  // Each counter's increment in this cycle, counter k at [k*32 +: 32].
  logic [N*32-1:0] inc;
  logic [1:0] started;
  always_comb begin
    inc = '0;
    started = '0;
    inc[qsa_pkg::CNT_CYCLES*32 +: 32] = 32'(ctrl_ev_q.running);
    // Instructions started per opcode 1..11; a sync may start in every queue in the same cycle.
    for (int k = 1; k <= 11; k++) begin
      started = '0;
      for (int q = 0; q < 3; q++) begin
        if (ctrl_ev_q.start[q] && ctrl_ev_q.start_op[q*4 +: 4] == 4'(k)) started = started + 2'd1;
      end
      inc[(qsa_pkg::CNT_INSN_BASE + k)*32 +: 32] = 32'(started);
    end
    for (int q = 0; q < 3; q++) begin
      inc[(qsa_pkg::CNT_LOAD_BUSY + q)*32 +: 32] = 32'(ctrl_ev_q.unit_busy[q]);
      inc[(qsa_pkg::CNT_LOAD_STALL + q)*32 +: 32] = 32'(ctrl_ev_q.stall[q]);
    end
    inc[qsa_pkg::CNT_FETCH_STALL*32 +: 32] = 32'(ctrl_ev_q.fetch_stall);
    inc[qsa_pkg::CNT_MACS_ISSUED*32 +: 32] = ev.macs_issued;
    inc[qsa_pkg::CNT_MACS_USEFUL*32 +: 32] = ev.macs_useful;
    inc[qsa_pkg::CNT_ARRAY_BUSY*32 +: 32] = 32'(ev.array_busy != 32'd0);
    inc[qsa_pkg::CNT_DRAM_RD*32 +: 32] = ev.dram_rd;
    inc[qsa_pkg::CNT_DRAM_WR*32 +: 32] = ev.dram_wr;
    inc[qsa_pkg::CNT_DRAM_RD_BEATS*32 +: 32] = ev.dram_rd_beats;
    inc[qsa_pkg::CNT_DRAM_WR_BEATS*32 +: 32] = ev.dram_wr_beats;
    inc[qsa_pkg::CNT_SP_RD*32 +: 32] = ev.sp_rd;
    inc[qsa_pkg::CNT_SP_WR*32 +: 32] = ev.sp_wr;
    inc[qsa_pkg::CNT_ACC_RD*32 +: 32] = ev.acc_rd;
    inc[qsa_pkg::CNT_ACC_WR*32 +: 32] = ev.acc_wr;
    inc[qsa_pkg::CNT_PARAM_RD*32 +: 32] = ev.param_rd;
    inc[qsa_pkg::CNT_PARAM_WR*32 +: 32] = ev.param_wr;
    inc[qsa_pkg::CNT_BANK_STALL*32 +: 32] = ev.bank_stall;
  end

  // Counter k is its own 64-bit register, updated only in a cycle it has an event (a simulator
  // then spends no time on idle counters).
  logic [N*64-1:0] cnt;  // counter k at [k*64 +: 64]
  for (genvar k = 0; k < N; k++) begin : gen_cnt
    logic [31:0] inc_k;
    logic [63:0] cnt_q;
    assign inc_k = inc[k*32 +: 32];
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        cnt_q <= '0;
      end else if (clear_i) begin
        cnt_q <= '0;
      end else if (inc_k != 32'd0) begin
        cnt_q <= cnt_q + 64'(inc_k);
      end
    end
    assign cnt[k*64 +: 64] = cnt_q;
  end

  assign cnt_value_o = (32'(cnt_sel_i) < N) ? cnt[cnt_sel_i*64 +: 64] : 64'd0;

endmodule

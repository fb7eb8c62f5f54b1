// Post-processor (`post` of docs/isa.md): accumulator rows -> bias, requantization, zero point,
// clamp -> scratchpad bytes.
//
// Schedule: the four parameter rows (bias, multiplier, shifts, format) are read first (cycles 1-5
// after start), then the shifts of the lanes below n_lanes are checked (cycle 6; an illegal one
// ends the instruction with ERR_DESCRIPTOR before any write). Then accumulator rows stream: read
// in cycle t, bias added in t+1 (registered), the COLS lanes of the shared requantizer (rq_*,
// qsa_compute) take the row in t+2 and return it in t+2+L (L = qsa_pkg::RQ_LATENCY), zero point
// and clamp then (registered), written from t+3+L. An accumulator row fills NB = COLS > ROWS ?
// ceil(n_lanes / ROWS) : 1 scratchpad rows, one write per cycle, so a row is read every NB
// cycles; with COLS <= ROWS that is one accumulator row per cycle. A row's read waits while
// acc_go_i is low (qsa_compute: a gemm before this post is not done yet, or the gemm sequencer
// reads the same accumulator bank in that cycle); everything after a read follows it as above.
// run_o marks the streaming state (the parameters passed the check).
//
// With ReadLatency 2 every read's data arrives one cycle later: the arrival flags (prm_a_*,
// s1_a_*) are the read's flags registered once more, and every step after an arrival moves one
// cycle later (parameters read in cycles 1-6, a row read in t written from t+4+L).
module qsa_post #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned RqLanes = 48,
  parameter int unsigned ReadLatency = 1  // cycles from a memory read to its data: 1 or 2
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        start_i,
  input  logic [127:0]                insn_i,
  output qsa_pkg::sub_status_t        status_o,
  output logic                        run_o,     // the parameters passed the check: rows stream
  input  logic                        acc_go_i,  // the accumulator read asked for now happens
  output qsa_pkg::cu_mem_req_t        mem_o,
  output logic [ArrayRows*8-1:0]      sp_wdata_o,
  output logic [ArrayRows-1:0]        sp_wmask_o,
  input  logic [ArrayCols*32-1:0]     acc_rdata_i,
  input  logic [ArrayCols*32-1:0]     prm_rdata_i,
  // The shared requantizer: lane inputs (0 when not valid) and results
  output logic [RqLanes-1:0]          rq_v_o,
  output logic [RqLanes*32-1:0]       rq_x_o,
  output logic [RqLanes*32-1:0]       rq_m_o,
  output logic [RqLanes*10-1:0]       rq_sh_o,  // {rsh, lsh}, 5 bits each
  output logic                        rq_single_o,
  input  logic [RqLanes*32-1:0]       rq_y_i,
  output qsa_pkg::unit_ev_t           ev_o
);  localparam int unsigned RowsLog2 = $clog2(ArrayRows);
  localparam int unsigned LaneW = $clog2(ArrayCols) + 1;  // holds 0..COLS
  localparam int unsigned CIdxW = (ArrayCols > 1) ? $clog2(ArrayCols) : 1;

  typedef enum logic [1:0] {
    StIdle,
    StParam,
    StCheck,
    StRun
  } state_e;

  // ---- Instruction fields (latched at start) ----
  logic [127:0] insn_q, insn_d;
  logic [15:0] f_acc, f_dst, f_dst_stride, f_blk_stride, f_param;
  logic [11:0] f_n;
  logic [7:0] f_dst_lane, f_n_lanes;
  logic f_single;
  assign f_acc = insn_q[qsa_isa_pkg::POST_ACC_LSB+:qsa_isa_pkg::POST_ACC_BITS];
  assign f_n = insn_q[qsa_isa_pkg::POST_N_LSB+:qsa_isa_pkg::POST_N_BITS];
  assign f_dst = insn_q[qsa_isa_pkg::POST_DST_LSB+:qsa_isa_pkg::POST_DST_BITS];
  assign f_dst_stride = insn_q[qsa_isa_pkg::POST_DST_STRIDE_LSB+:qsa_isa_pkg::POST_DST_STRIDE_BITS];
  assign f_blk_stride = insn_q[qsa_isa_pkg::POST_BLK_STRIDE_LSB+:qsa_isa_pkg::POST_BLK_STRIDE_BITS];
  assign f_dst_lane = insn_q[qsa_isa_pkg::POST_DST_LANE_LSB+:qsa_isa_pkg::POST_DST_LANE_BITS];
  assign f_n_lanes = insn_q[qsa_isa_pkg::POST_N_LANES_LSB+:qsa_isa_pkg::POST_N_LANES_BITS];
  assign f_param = insn_q[qsa_isa_pkg::POST_PARAM_LSB+:qsa_isa_pkg::POST_PARAM_BITS];
  assign f_single = insn_q[qsa_isa_pkg::POST_SINGLE_ROUNDING_LSB];

  // Scratchpad rows written per accumulator row.
  logic [7:0] nb;
  assign nb = (ArrayCols > ArrayRows) ? 8'((f_n_lanes - 8'd1) >> RowsLog2) + 8'd1 : 8'd1;

  // ---- State ----
  state_e state_q, state_d;
  logic [2:0] pcnt_q, pcnt_d;  // parameter rows requested
  logic prm_v_q, prm_v_d;  // a parameter row was read the cycle before
  logic [1:0] prm_k_q, prm_k_d;  // ... which one
  logic [ArrayCols*32-1:0] bias_q, mult_q;
  /* verilator lint_off UNUSEDSIGNAL */  // the reserved bits of the shift and format words
  logic [ArrayCols*32-1:0] shf_q, fmt_q;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [12:0] iss_q, iss_d;  // accumulator rows requested
  logic [7:0] pace_q, pace_d;  // cycles until the next request
  logic s1_v_q, s1_v_d, s1_last_q, s1_last_d;  // accumulator row read the cycle before
  logic s2_v_q, s2_v_d, s2_last_q, s2_last_d;  // requantized row being written
  logic [7:0] s2_blk_q, s2_blk_d;
  logic [31:0] s2_addr_q, s2_addr_d, rb_q, rb_d;  // write row; next accumulator row's first row
  logic [ArrayCols*8-1:0] res_q, res_d;
  logic [31:0] wlane;

  // ---- Read data arriving: the flags of the read, ReadLatency - 1 cycles later ----
  logic prm_a_v, s1_a_v, s1_a_last;
  logic [1:0] prm_a_k;
  qsa_delay #(
    .Width(5),
    .Depth(ReadLatency - 1),
    .Reset(1'b1)
  ) u_arrive (
    .clk_i,
    .rst_ni,
    .d_i({prm_v_q, prm_k_q, s1_v_q, s1_last_q}),
    .q_o({prm_a_v, prm_a_k, s1_a_v, s1_a_last})
  );

  // ---- Requantization of all lanes of the arriving accumulator row ----
  localparam int unsigned Lat = qsa_pkg::RQ_LATENCY;
  logic busy;
  assign busy = (state_q != StIdle);
  assign run_o = (state_q == StRun);
  // Stage b: the arriving row plus bias (registered); then the shared requantizer; the results
  // arrive Lat cycles later (rq_v_q[Lat-1]) with their row's last flag.
  logic sb_v_q, sb_v_d, sb_last_q, sb_last_d;
  logic [ArrayCols*32-1:0] sum_q;
  logic [Lat-1:0] rq_v_q, rq_v_d, rq_last_q, rq_last_d;
  logic rq_done;
  assign rq_done = rq_v_q[Lat-1];
  // Zero point and clamp of one lane: fmt = {.., signed, qmax, qmin, zero point} (bytes).
  function automatic logic [7:0] ZeroPointClamp(input logic signed [31:0] rq,
                                                input logic [24:0] fmt);
    logic signed [32:0] zp, qmin, qmax, y, y_lo;
    zp = fmt[24] ? 33'($signed(fmt[7:0])) : {25'd0, fmt[7:0]};
    qmin = fmt[24] ? 33'($signed(fmt[15:8])) : {25'd0, fmt[15:8]};
    qmax = fmt[24] ? 33'($signed(fmt[23:16])) : {25'd0, fmt[23:16]};
    y = 33'(rq) + zp;
    y_lo = (y < qmin) ? qmin : y;
    ZeroPointClamp = (y_lo > qmax) ? qmax[7:0] : y_lo[7:0];
  endfunction

  // The biased row, the multipliers and the shifts are registers; the lanes take them in the
  // cycles sb_v_q marks (and the other lanes stay idle).
  assign rq_v_o = RqLanes'({ArrayCols{busy && sb_v_q}});
  assign rq_x_o = (RqLanes * 32)'(sum_q);
  assign rq_m_o = (RqLanes * 32)'(mult_q);
  logic [ArrayCols*10-1:0] shf_lanes;
  assign rq_sh_o = (RqLanes * 10)'(shf_lanes);
  assign rq_single_o = f_single;
  always_comb begin
    for (int c = 0; c < ArrayCols; c++) shf_lanes[c*10+:10] = {shf_q[c*32+8+:5], shf_q[c*32+:5]};
  end

  logic [ArrayCols*8-1:0] res;
  always_comb begin
    res = '0;
    if (busy && rq_done) begin
      for (int c = 0; c < ArrayCols; c++) begin
        res[c*8+:8] = ZeroPointClamp(rq_y_i[c*32+:32], fmt_q[c*32+:25]);
      end
    end
  end
  assign sb_v_d = busy && s1_a_v;
  assign sb_last_d = s1_a_last;
  assign rq_v_d = {rq_v_q[Lat-2:0], busy && sb_v_q};
  assign rq_last_d = {rq_last_q[Lat-2:0], sb_last_q};

  // Only the lanes below n_lanes must have legal shifts.
  logic params_legal;
  always_comb begin
    params_legal = 1'b1;
    for (int c = 0; c < ArrayCols; c++) begin
      if (LaneW'(c) < LaneW'(f_n_lanes) &&
          !qsa_pkg::RqShiftsLegal(shf_q[c*32+:8], shf_q[c*32+8+:8], f_single)) begin
        params_legal = 1'b0;
      end
    end
  end

  // ---- Control ----
  always_comb begin
    state_d = state_q;
    insn_d = insn_q;
    pcnt_d = pcnt_q;
    prm_v_d = 1'b0;
    prm_k_d = prm_k_q;
    iss_d = iss_q;
    pace_d = pace_q;
    s1_v_d = 1'b0;
    s1_last_d = 1'b0;
    s2_v_d = s2_v_q;
    s2_last_d = s2_last_q;
    s2_blk_d = s2_blk_q;
    s2_addr_d = s2_addr_q;
    rb_d = rb_q;
    res_d = res_q;
    wlane = '0;
    status_o = '0;
    status_o.busy = busy;
    mem_o = '0;
    sp_wdata_o = '0;
    sp_wmask_o = '0;
    ev_o = '0;

    unique case (state_q)
      StIdle: begin
        if (start_i) begin
          insn_d = insn_i;
          pcnt_d = '0;
          state_d = StParam;
        end
      end
      StParam: begin
        if (pcnt_q < 3'd4) begin
          mem_o.prm_rd.en = 1'b1;
          mem_o.prm_rd.addr = f_param + 16'(pcnt_q);
          prm_v_d = 1'b1;
          prm_k_d = pcnt_q[1:0];
          pcnt_d = pcnt_q + 3'd1;
        end else if (!prm_v_q && !prm_a_v) begin
          state_d = StCheck;
        end
      end
      StCheck: begin
        if (!params_legal) begin
          status_o.err = 1'b1;
          status_o.err_code = qsa_pkg::ERR_DESCRIPTOR;
          state_d = StIdle;
        end else begin
          ev_o.param_rd = 32'(16 * ArrayCols);
          iss_d = '0;
          pace_d = '0;
          s2_v_d = 1'b0;
          rb_d = 32'(f_dst);
          state_d = StRun;
        end
      end
      default: begin  // StRun
        // Request the next accumulator row every NB cycles; the request waits while acc_go_i
        // is low (it stays on mem_o.acc_rd, and the read happens in the first cycle it is high).
        if (pace_q != 8'd0) begin
          pace_d = pace_q - 8'd1;
        end else if (iss_q < 13'(f_n)) begin
          mem_o.acc_rd.en = 1'b1;
          mem_o.acc_rd.addr = 16'(32'(f_acc) + 32'(iss_q));
          if (acc_go_i) begin
            ev_o.acc_rd = 32'(4 * ArrayCols);
            s1_v_d = 1'b1;
            s1_last_d = (iss_q == 13'(f_n) - 13'd1);
            iss_d = iss_q + 13'd1;
            pace_d = nb - 8'd1;
          end
        end
        // Write the current block of the requantized row.
        if (s2_v_q) begin
          mem_o.sp_wr.en = 1'b1;
          mem_o.sp_wr.addr = 16'(s2_addr_q);
          for (int l = 0; l < ArrayRows; l++) begin
            // The accumulator lane written to scratchpad lane l of this block.
            wlane = 32'(l) + 32'(s2_blk_q) * 32'(ArrayRows) - 32'(f_dst_lane);
            if (wlane < 32'(f_n_lanes)) begin
              sp_wmask_o[l] = 1'b1;
              sp_wdata_o[l*8+:8] = res_q[(wlane[CIdxW-1:0])*8+:8];
            end
          end
          if (s2_blk_q == nb - 8'd1) begin
            s2_v_d = 1'b0;
            if (s2_last_q) begin
              status_o.done = 1'b1;
              state_d = StIdle;
            end
          end else begin
            s2_blk_d = s2_blk_q + 8'd1;
            s2_addr_d = s2_addr_q + 32'(f_blk_stride);
          end
        end
        // The requantized row arriving replaces the row just finished.
        if (rq_done) begin
          res_d = res;
          ev_o.sp_wr = 32'(f_n_lanes);
          s2_v_d = 1'b1;
          s2_last_d = rq_last_q[Lat-1];
          s2_blk_d = '0;
          s2_addr_d = rb_q;
          rb_d = rb_q + 32'(f_dst_stride);
        end
      end
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      insn_q <= '0;
      pcnt_q <= '0;
      prm_v_q <= 1'b0;
      prm_k_q <= '0;
      iss_q <= '0;
      pace_q <= '0;
      s1_v_q <= 1'b0;
      s1_last_q <= 1'b0;
      s2_v_q <= 1'b0;
      s2_last_q <= 1'b0;
      s2_blk_q <= '0;
      s2_addr_q <= '0;
      rb_q <= '0;
      res_q <= '0;
      sb_v_q <= 1'b0;
      sb_last_q <= 1'b0;
      rq_v_q <= '0;
      rq_last_q <= '0;
    end else begin
      state_q <= state_d;
      insn_q <= insn_d;
      pcnt_q <= pcnt_d;
      prm_v_q <= prm_v_d;
      prm_k_q <= prm_k_d;
      iss_q <= iss_d;
      pace_q <= pace_d;
      s1_v_q <= s1_v_d;
      s1_last_q <= s1_last_d;
      s2_v_q <= s2_v_d;
      s2_last_q <= s2_last_d;
      s2_blk_q <= s2_blk_d;
      s2_addr_q <= s2_addr_d;
      rb_q <= rb_d;
      res_q <= res_d;
      sb_v_q <= sb_v_d;
      sb_last_q <= sb_last_d;
      rq_v_q <= rq_v_d;
      rq_last_q <= rq_last_d;
    end
  end

  // The biased row: loads only when a row arrives (a simulator skips it otherwise).
  always_ff @(posedge clk_i) begin
    if (busy && s1_a_v) begin
      for (int c = 0; c < ArrayCols; c++) begin
        sum_q[c*32+:32] <= acc_rdata_i[c*32+:32] + bias_q[c*32+:32];  // wraps mod 2^32
      end
    end
  end

  // Parameter rows arriving: the four parameter registers change only then.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bias_q <= '0;
      mult_q <= '0;
      shf_q <= '0;
      fmt_q <= '0;
    end else if (prm_a_v) begin
      unique case (prm_a_k)
        2'd0: bias_q <= prm_rdata_i;
        2'd1: mult_q <= prm_rdata_i;
        2'd2: shf_q <= prm_rdata_i;
        default: fmt_q <= prm_rdata_i;
      endcase
    end
  end

`ifndef SYNTHESIS
  // ---- Assertions ----
  // A lane's clamped output lies in [qmin, qmax] of its format word (read as signed or unsigned
  // bytes); with qmin > qmax the clamp gives qmax.
  function automatic logic InClamp(input logic [7:0] y, input logic [24:8] fmt);
    logic signed [8:0] v, lo, hi;
    v = fmt[24] ? 9'($signed(y)) : {1'b0, y};
    lo = fmt[24] ? 9'($signed(fmt[15:8])) : {1'b0, fmt[15:8]};
    hi = fmt[24] ? 9'($signed(fmt[23:16])) : {1'b0, fmt[23:16]};
    InClamp = (lo <= hi) ? (v >= lo && v <= hi) : (v == hi);
  endfunction
  logic clamp_ok;
  always_comb begin
    clamp_ok = 1'b1;
    if (s2_v_q) begin
      for (int c = 0; c < ArrayCols; c++) begin
        if (!InClamp(res_q[c*8+:8], fmt_q[c*32+8+:17])) clamp_ok = 1'b0;
      end
    end
  end
  // Every lane written lies in the clamp range of its format word.
  PostClampHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni) clamp_ok);
  // A start comes only to an idle unit.
  PostStartIdle_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      start_i |-> state_q == StIdle);
  // The row counters stay in range: no more rows read than n, the pacing below NB, the block
  // being written below NB, at most four parameter rows.
  PostCountersHold_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == StRun |-> (iss_q <= 13'(f_n) && pace_q < nb && (!s2_v_q || s2_blk_q < nb)));
  PostParamCountHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      pcnt_q <= 3'd4);
  // Rows move only while the unit runs: no read, requantization or write outside StRun.
  PostRowsOnlyInRun_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s1_v_q || s1_a_v || sb_v_q || rq_v_q != '0 || s2_v_q) |-> state_q == StRun);
  // Done only with the pipeline empty and every row read.
  PostDoneDrained_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      status_o.done |-> (iss_q == 13'(f_n) && !s1_v_q && !s1_a_v && !sb_v_q && rq_v_q == '0));
  // Done and error are one-cycle pulses, never together.
  PostDoneOrError_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(status_o.done && status_o.err));
  // The accumulator and parameter reads stay inside their operands.
  PostReadsInOperands_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (!mem_o.acc_rd.en || (32'(mem_o.acc_rd.addr) - 32'(f_acc)) < 32'(f_n)) &&
      (!mem_o.prm_rd.en || (16'(mem_o.prm_rd.addr - f_param)) < 16'd4));
`endif
endmodule

// Vector unit, element-wise add (`vadd` of docs/isa.md, TFLite's quantized add).
//
// Schedule: the 8-word descriptor is read first (ceil(8 / COLS) parameter rows), then checked
// (left_shift <= 30, the three scalers' shifts; ERR_DESCRIPTOR before any write). Then one row
// per cycle through a pipeline over the shared requantizer (rq_*, qsa_compute; latency
// L = qsa_pkg::RQ_LATENCY): rows a + i and b + i read in cycle t (ports A and B), both inputs
// shifted in t+1 (registered), scaled by lanes [0, 2 ROWS) from t+2, fa + fb in t+2+L
// (registered), scaled by the output's lanes [2 ROWS, 3 ROWS) from t+3+L, zero point and clamp
// in t+3+2L (registered), the write of dst + i in t+4+2L. Row i is read before it is written and
// no later read touches it, so in place (dst = a or dst = b) works.
//
// Banks. Ports A and B reach one of SpBanks scratchpad banks each (qsa_sram: the high row bits);
// a bank serves one read per cycle. When rows a + i and b + i lie in the same bank, row b + i is
// read alone one cycle earlier (a bank stall) and held: its shifted input is registered when it
// arrives, and row a + i's read in the next cycle completes the row as above.
//
// With ReadLatency 2 every read's data arrives one cycle later: the arrival flags (prm_a_*, s1_a_*,
// b1_a_v) are the read's flags registered once more, and every step after an arrival moves one
// cycle later (a row read in t is written in t+5+2L). Arrivals keep the order of the reads, so the
// lone B row is still held one cycle before its A row.
module qsa_vadd #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned RqLanes = 48,  // at least 3 * ArrayRows
  parameter int unsigned SpRows = 16384,
  parameter int unsigned SpBanks = 1,
  parameter int unsigned ReadLatency = 1  // cycles from a memory read to its data: 1 or 2
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        start_i,
  input  logic [127:0]                insn_i,
  output qsa_pkg::sub_status_t        status_o,
  output qsa_pkg::cu_mem_req_t        mem_o,
  output logic [ArrayRows*8-1:0]      sp_wdata_o,
  output logic [ArrayRows-1:0]        sp_wmask_o,
  input  logic [ArrayRows*8-1:0]      spa_rdata_i,
  input  logic [ArrayRows*8-1:0]      spb_rdata_i,
  input  logic [ArrayCols*32-1:0]     prm_rdata_i,
  // The shared requantizer: lane inputs (0 when not valid) and results
  output logic [RqLanes-1:0]          rq_v_o,
  output logic [RqLanes*32-1:0]       rq_x_o,
  output logic [RqLanes*32-1:0]       rq_m_o,
  output logic [RqLanes*10-1:0]       rq_sh_o,  // {rsh, lsh}, 5 bits each
  output logic                        rq_single_o,
  input  logic [RqLanes*32-1:0]       rq_y_i,
  output qsa_pkg::unit_ev_t           ev_o
);  // Parameter rows holding the 8 descriptor words (the descriptor starts a row).
  localparam int unsigned DescRows = (ArrayCols >= 8) ? 1 : 8 / ArrayCols;

  typedef enum logic [1:0] {
    StIdle,
    StParam,
    StCheck,
    StRun
  } state_e;

  logic [127:0] insn_q, insn_d;
  logic [15:0] f_a, f_b, f_dst, f_n, f_param;
  logic f_single;
  assign f_a = insn_q[qsa_isa_pkg::VADD_A_LSB+:qsa_isa_pkg::VADD_A_BITS];
  assign f_b = insn_q[qsa_isa_pkg::VADD_B_LSB+:qsa_isa_pkg::VADD_B_BITS];
  assign f_dst = insn_q[qsa_isa_pkg::VADD_DST_LSB+:qsa_isa_pkg::VADD_DST_BITS];
  assign f_n = insn_q[qsa_isa_pkg::VADD_N_LSB+:qsa_isa_pkg::VADD_N_BITS];
  assign f_param = insn_q[qsa_isa_pkg::VADD_PARAM_LSB+:qsa_isa_pkg::VADD_PARAM_BITS];
  assign f_single = insn_q[qsa_isa_pkg::VADD_SINGLE_ROUNDING_LSB];

  state_e state_q, state_d;
  logic [3:0] pcnt_q, pcnt_d;  // descriptor rows requested
  logic prm_v_q, prm_v_d;
  logic [3:0] prm_k_q, prm_k_d;
  logic [255:0] desc_q, desc_d;
  logic [16:0] iss_q, iss_d;  // rows requested
  logic [16:0] wr_q, wr_d;  // rows written
  logic s1_v_q, s1_v_d, s3_v_q, s3_v_d;  // rows arriving; rows being written
  logic hb_q, hb_d;  // row b + iss_q was read alone (A and B share its bank)
  logic b1_v_q, b1_v_d;  // that lone B row arrives
  logic s1_held_q, s1_held_d;  // the arriving row's B input arrived one cycle earlier
  logic [ArrayRows*32-1:0] sum_q, sum_d;  // wrap32(fa + fb)
  logic [ArrayRows*8-1:0] res_q, res_d;

  // ---- Read data arriving: the flags of the read, ReadLatency - 1 cycles later ----
  logic prm_a_v, s1_a_v, s1_a_held, b1_a_v;
  logic [3:0] prm_a_k;
  qsa_delay #(
    .Width(8),
    .Depth(ReadLatency - 1),
    .Reset(1'b1)
  ) u_arrive (
    .clk_i,
    .rst_ni,
    .d_i({prm_v_q, prm_k_q, s1_v_q, s1_held_q, b1_v_q}),
    .q_o({prm_a_v, prm_a_k, s1_a_v, s1_a_held, b1_a_v})
  );

  // ---- Descriptor fields (word k is desc_q[k*32 +: 32]) ----
  logic a_signed, b_signed, y_signed;
  logic signed [9:0] za, zb, zy, qmin, qmax;
  logic [7:0] left_shift;
  assign a_signed = desc_q[24];
  assign b_signed = desc_q[25];
  assign y_signed = desc_q[26];
  assign za = a_signed ? 10'($signed(desc_q[0+:8])) : {2'b00, desc_q[0+:8]};
  assign zb = b_signed ? 10'($signed(desc_q[8+:8])) : {2'b00, desc_q[8+:8]};
  assign zy = y_signed ? 10'($signed(desc_q[16+:8])) : {2'b00, desc_q[16+:8]};
  assign qmin = y_signed ? 10'($signed(desc_q[32+:8])) : {2'b00, desc_q[32+:8]};
  assign qmax = y_signed ? 10'($signed(desc_q[40+:8])) : {2'b00, desc_q[40+:8]};
  assign left_shift = desc_q[48+:8];

  // ---- Data path, all lanes ----
  localparam int unsigned Lat = qsa_pkg::RQ_LATENCY;
  localparam int unsigned R = ArrayRows;
  logic busy;
  assign busy = (state_q != StIdle);
  // Valid bits of the stages: shifted inputs (sx), the input scalers' results (pa, Lat cycles),
  // the sums (ss), the output scaler's results (py, Lat cycles).
  logic sx_v_q, ss_v_q;
  logic [Lat-1:0] pa_v_q, py_v_q;
  logic [2*R*32-1:0] xin_q;  // sat32((v - z) * 2^left_shift) of lanes a, then lanes b
  // sat32((v - z) * 2^lsh) of an input byte v (signed or not) and its zero point z.
  function automatic logic signed [31:0] ShiftedInput(input logic [7:0] v, input logic is_signed,
                                                      input logic signed [9:0] z,
                                                      input logic [4:0] lsh);
    logic signed [9:0] d;
    logic signed [40:0] sh;
    d = (is_signed ? 10'($signed(v)) : {2'b00, v}) - z;
    sh = 41'(d) <<< lsh;
    ShiftedInput = (sh > 41'sd2147483647) ? 32'sh7fffffff :
                   (sh < -41'sd2147483648) ? 32'sh80000000 : sh[31:0];
  endfunction

  // The output's zero point and clamp.
  function automatic logic [7:0] ZeroPointClamp(input logic signed [31:0] f,
                                                input logic signed [9:0] z,
                                                input logic signed [9:0] lo,
                                                input logic signed [9:0] hi);
    logic signed [32:0] y, y_lo;
    y = 33'(f) + 33'(z);
    y_lo = (y < 33'(lo)) ? 33'(lo) : y;
    ZeroPointClamp = (y_lo > 33'(hi)) ? hi[7:0] : y_lo[7:0];
  endfunction

  // Lane groups of the shared requantizer: s = 0 input a (lanes [0, R)), 1 input b ([R, 2R)),
  // 2 the output ([2R, 3R)), with multiplier word 2 + 2s and shift word 3 + 2s of the
  // descriptor. The lanes read registers: the shifted inputs, the sums, and each lane's scaler
  // (rqm_q, rqsh_q, set in the check cycle). Each stage computes only in a cycle that carries a
  // row.
  logic [3*R*32-1:0] rqm_q;
  logic [3*R*10-1:0] rqsh_q;
  logic [R*32-1:0] sum;
  logic [R*8-1:0] res;
  always_comb begin
    sum = '0;
    res = '0;
    if (busy && pa_v_q[Lat-1]) begin
      for (int r = 0; r < R; r++) sum[r*32+:32] = rq_y_i[r*32+:32] + rq_y_i[(R+r)*32+:32];
    end
    if (busy && py_v_q[Lat-1]) begin
      for (int r = 0; r < R; r++) begin
        res[r*8+:8] = ZeroPointClamp(rq_y_i[(2*R+r)*32+:32], zy, qmin, qmax);
      end
    end
  end
  assign rq_v_o = RqLanes'({{R{busy && ss_v_q}}, {2 * R{busy && sx_v_q}}});
  assign rq_x_o = (RqLanes * 32)'({sum_q, xin_q});
  assign rq_m_o = (RqLanes * 32)'(rqm_q);
  assign rq_sh_o = (RqLanes * 10)'(rqsh_q);
  assign rq_single_o = f_single;

  logic desc_legal;
  assign desc_legal = (left_shift <= 8'd30) &&
                      qsa_pkg::RqShiftsLegal(desc_q[96+:8], desc_q[104+:8], f_single) &&
                      qsa_pkg::RqShiftsLegal(desc_q[160+:8], desc_q[168+:8], f_single) &&
                      qsa_pkg::RqShiftsLegal(desc_q[224+:8], desc_q[232+:8], f_single);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sx_v_q <= 1'b0;
      ss_v_q <= 1'b0;
      pa_v_q <= '0;
      py_v_q <= '0;
    end else begin
      sx_v_q <= busy && s1_a_v;
      pa_v_q <= {pa_v_q[Lat-2:0], busy && sx_v_q};
      ss_v_q <= busy && pa_v_q[Lat-1];
      py_v_q <= {py_v_q[Lat-2:0], busy && ss_v_q};
    end
  end

  // The data registers load only in the cycles that carry a row (a simulator skips them
  // otherwise), each lane's scaler in the check cycle.
  always_ff @(posedge clk_i) begin
    if (busy && s1_a_v) begin
      for (int r = 0; r < R; r++) begin
        xin_q[r*32+:32] <= ShiftedInput(spa_rdata_i[r*8+:8], a_signed, za, left_shift[4:0]);
      end
    end
    if (busy && ((s1_a_v && !s1_a_held) || b1_a_v)) begin
      for (int r = 0; r < R; r++) begin
        xin_q[(R+r)*32+:32] <= ShiftedInput(spb_rdata_i[r*8+:8], b_signed, zb, left_shift[4:0]);
      end
    end
    if (state_q == StCheck) begin
      for (int l = 0; l < 3 * R; l++) begin
        rqm_q[l*32+:32] <= desc_q[64+(l/R)*64+:32];
        rqsh_q[l*10+:10] <= {desc_q[104+(l/R)*64+:5], desc_q[96+(l/R)*64+:5]};
      end
    end
  end

  always_comb begin
    state_d = state_q;
    insn_d = insn_q;
    pcnt_d = pcnt_q;
    prm_v_d = 1'b0;
    prm_k_d = prm_k_q;
    desc_d = desc_q;
    iss_d = iss_q;
    wr_d = wr_q;
    s1_v_d = 1'b0;
    hb_d = hb_q;
    b1_v_d = 1'b0;
    s1_held_d = 1'b0;
    s3_v_d = busy && py_v_q[Lat-1];
    sum_d = sum_q;
    res_d = res_q;
    status_o = '0;
    status_o.busy = busy;
    mem_o = '0;
    sp_wdata_o = '0;
    sp_wmask_o = '0;
    ev_o = '0;

    if (prm_a_v) begin
      for (int w = 0; w < 8; w++) begin
        if (4'(w / ArrayCols) == prm_a_k) desc_d[w*32+:32] = prm_rdata_i[(w%ArrayCols)*32+:32];
      end
    end

    unique case (state_q)
      StIdle: begin
        if (start_i) begin
          insn_d = insn_i;
          pcnt_d = '0;
          state_d = StParam;
        end
      end
      StParam: begin
        if (pcnt_q < 4'(DescRows)) begin
          mem_o.prm_rd.en = 1'b1;
          mem_o.prm_rd.addr = f_param + 16'(pcnt_q);
          prm_v_d = 1'b1;
          prm_k_d = pcnt_q;
          pcnt_d = pcnt_q + 4'd1;
        end else if (!prm_v_q && !prm_a_v) begin
          state_d = StCheck;
        end
      end
      StCheck: begin
        if (!desc_legal) begin
          status_o.err = 1'b1;
          status_o.err_code = qsa_pkg::ERR_DESCRIPTOR;
          state_d = StIdle;
        end else begin
          ev_o.param_rd = 32'd32;
          iss_d = '0;
          wr_d = '0;
          hb_d = 1'b0;
          state_d = StRun;
        end
      end
      default: begin  // StRun
        if (iss_q < 17'(f_n)) begin
          mem_o.spb_rd.addr = 16'(32'(f_b) + 32'(iss_q));
          if (!hb_q && qsa_pkg::SameBank(32'(f_a) + 32'(iss_q), 32'(f_b) + 32'(iss_q), SpRows,
                                         SpBanks)) begin
            // Row b + i alone; row a + i waits for the next cycle.
            mem_o.spb_rd.en = 1'b1;
            ev_o.sp_rd = 32'(ArrayRows);
            ev_o.bank_stall = 32'd1;
            hb_d = 1'b1;
            b1_v_d = 1'b1;
          end else begin
            mem_o.spa_rd.en = 1'b1;
            mem_o.spa_rd.addr = 16'(32'(f_a) + 32'(iss_q));
            mem_o.spb_rd.en = !hb_q;
            ev_o.sp_rd = hb_q ? 32'(ArrayRows) : 32'(2 * ArrayRows);
            hb_d = 1'b0;
            s1_v_d = 1'b1;
            s1_held_d = hb_q;
            iss_d = iss_q + 17'd1;
          end
        end
        if (pa_v_q[Lat-1]) sum_d = sum;
        if (py_v_q[Lat-1]) res_d = res;
        if (s3_v_q) begin
          mem_o.sp_wr.en = 1'b1;
          mem_o.sp_wr.addr = 16'(32'(f_dst) + 32'(wr_q));
          sp_wdata_o = res_q;
          sp_wmask_o = '1;
          ev_o.sp_wr = 32'(ArrayRows);
          wr_d = wr_q + 17'd1;
          if (wr_q == 17'(f_n) - 17'd1) begin
            status_o.done = 1'b1;
            state_d = StIdle;
          end
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
      desc_q <= '0;
      iss_q <= '0;
      wr_q <= '0;
      s1_v_q <= 1'b0;
      hb_q <= 1'b0;
      b1_v_q <= 1'b0;
      s1_held_q <= 1'b0;
      s3_v_q <= 1'b0;
      sum_q <= '0;
      res_q <= '0;
    end else begin
      state_q <= state_d;
      insn_q <= insn_d;
      pcnt_q <= pcnt_d;
      prm_v_q <= prm_v_d;
      prm_k_q <= prm_k_d;
      desc_q <= desc_d;
      iss_q <= iss_d;
      wr_q <= wr_d;
      s1_v_q <= s1_v_d;
      hb_q <= hb_d;
      b1_v_q <= b1_v_d;
      s1_held_q <= s1_held_d;
      s3_v_q <= s3_v_d;
      sum_q <= sum_d;
      res_q <= res_d;
    end
  end

`ifndef SYNTHESIS
  // ---- Assertions ----
  // The row being written lies in [qmin, qmax] (with qmin > qmax the clamp gives qmax).
  logic clamp_ok;
  always_comb begin
    logic signed [9:0] v;
    clamp_ok = 1'b1;
    for (int r = 0; r < R; r++) begin
      v = y_signed ? 10'($signed(res_q[r*8+:8])) : {2'b00, res_q[r*8+:8]};
      if ((qmin <= qmax) ? (v < qmin || v > qmax) : (v != qmax)) clamp_ok = 1'b0;
    end
  end
  VaddClampHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      s3_v_q |-> clamp_ok);
  VaddStartIdle_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      start_i |-> state_q == StIdle);
  // Rows are written in order after they were read (in place is safe), never more than n.
  VaddCountersHold_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == StRun |-> (iss_q <= 17'(f_n) && wr_q <= iss_q && (!s3_v_q || wr_q < iss_q)));
  VaddParamCountHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      pcnt_q <= 4'(DescRows));
  // Ports A and B never read one bank in the same cycle (the lone B read resolves it), and a
  // held B row is always followed by its A row.
  // (The bank comparison is a signal: Verilator 5.006 may evaluate a function called in an
  // assertion after the assertion reads its result.)
  logic ab_same_bank;
  assign ab_same_bank = (32'(mem_o.spa_rd.addr) / (SpRows / SpBanks)) ==
                        (32'(mem_o.spb_rd.addr) / (SpRows / SpBanks));
  VaddBanksApart_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (mem_o.spa_rd.en && mem_o.spb_rd.en) |-> !ab_same_bank);
  VaddHeldRowCompletes_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      hb_q |-> (state_q == StRun && iss_q < 17'(f_n) && mem_o.spa_rd.en));
  // Rows move only while the unit runs; done only with the pipeline empty.
  VaddRowsOnlyInRun_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s1_v_q || sx_v_q || pa_v_q != '0 || ss_v_q || py_v_q != '0 || s3_v_q) |->
          state_q == StRun);
  VaddDoneDrained_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      status_o.done |-> (iss_q == 17'(f_n) && !s1_v_q && !sx_v_q && pa_v_q == '0 && !ss_v_q &&
                         py_v_q == '0));
  VaddDoneOrError_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(status_o.done && status_o.err));
`endif
endmodule

// Vector unit, element-wise add (`vadd` of docs/isa.md, TFLite's quantized add).
//
// Schedule: the 8-word descriptor is read first (ceil(8 / COLS) parameter rows), then checked
// (left_shift <= 30, the three scalers' shifts; ERR_DESCRIPTOR before any write). Then one row
// per cycle through a four-stage pipeline: rows a + i and b + i read in cycle t (ports A and B),
// fa + fb of all ROWS lanes in t+1, the output scaler, zero point and clamp in t+2, the write of
// dst + i in t+3. Row i is read before it is written and no later read touches it, so in place
// (dst = a or dst = b) works.
module qsa_vadd #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16
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
  logic s1_v_q, s1_v_d, s2_v_q, s2_v_d, s3_v_q, s3_v_d;
  logic [ArrayRows*32-1:0] sum_q, sum_d;  // wrap32(fa + fb)
  logic [ArrayRows*8-1:0] res_q, res_d;

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
  logic [3*ArrayRows-1:0] legal;  // scaler s of lane r at [s*ArrayRows + r]
  logic [ArrayRows*32-1:0] sum;
  logic [ArrayRows*8-1:0] res;
  // Stage 1 (inputs -> sum) works when a row arrives, stage 2 (sum -> result) one cycle later;
  // both also in the check cycle (the requantizers' legality). Idle lanes compute nothing.
  logic busy, en_in, en_out;
  assign busy = (state_q != StIdle);
  assign en_in = busy && (s1_v_q || state_q == StCheck);
  assign en_out = busy && (s2_v_q || state_q == StCheck);
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

  // Lane r's three scalers s: 0 input a and 1 input b (when a row arrives), 2 the output (a
  // cycle later), with multiplier word 2 + 2s and shift word 3 + 2s of the descriptor.
  for (genvar r = 0; r < ArrayRows; r++) begin : gen_lane
    logic signed [31:0] xa, xb, fy;
    logic [3*32-1:0] x, f;  // scaler s's input and output at [s*32 +: 32]
    logic [7:0] res_lane;
    always_comb begin
      xa = '0;
      xb = '0;
      if (en_in) begin
        xa = ShiftedInput(spa_rdata_i[r*8+:8], a_signed, za, left_shift[4:0]);
        xb = ShiftedInput(spb_rdata_i[r*8+:8], b_signed, zb, left_shift[4:0]);
      end
    end
    assign x = {sum_q[r*32+:32], xb, xa};
    for (genvar s = 0; s < 3; s++) begin : gen_scaler
      qsa_requant u_rq (
        .en_i    ((s < 2) ? en_in : en_out),
        .x_i     (x[s*32+:32]),
        .m_i     (desc_q[64+s*64+:32]),
        .lsh_i   (desc_q[96+s*64+:8]),
        .rsh_i   (desc_q[104+s*64+:8]),
        .single_i(f_single),
        .y_o     (f[s*32+:32]),
        .legal_o (legal[s*ArrayRows+r])
      );
    end
    assign sum[r*32+:32] = f[0+:32] + f[32+:32];  // wraps modulo 2^32
    assign fy = f[64+:32];
    always_comb begin
      res_lane = '0;
      if (en_out) res_lane = ZeroPointClamp(fy, zy, qmin, qmax);
    end
    assign res[r*8+:8] = res_lane;
  end

  logic desc_legal;
  assign desc_legal = (left_shift <= 8'd30) && (&legal);

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
    s2_v_d = s1_v_q;
    s3_v_d = s2_v_q;
    sum_d = sum_q;
    res_d = res_q;
    status_o = '0;
    status_o.busy = busy;
    mem_o = '0;
    sp_wdata_o = '0;
    sp_wmask_o = '0;
    ev_o = '0;

    if (prm_v_q) begin
      for (int w = 0; w < 8; w++) begin
        if (4'(w / ArrayCols) == prm_k_q) desc_d[w*32+:32] = prm_rdata_i[(w%ArrayCols)*32+:32];
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
        end else if (!prm_v_q) begin
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
          state_d = StRun;
        end
      end
      default: begin  // StRun
        if (iss_q < 17'(f_n)) begin
          mem_o.spa_rd.en = 1'b1;
          mem_o.spa_rd.addr = 16'(32'(f_a) + 32'(iss_q));
          mem_o.spb_rd.en = 1'b1;
          mem_o.spb_rd.addr = 16'(32'(f_b) + 32'(iss_q));
          ev_o.sp_rd = 32'(2 * ArrayRows);
          s1_v_d = 1'b1;
          iss_d = iss_q + 17'd1;
        end
        if (s1_v_q) sum_d = sum;
        if (s2_v_q) res_d = res;
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
      s2_v_q <= 1'b0;
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
      s2_v_q <= s2_v_d;
      s3_v_q <= s3_v_d;
      sum_q <= sum_d;
      res_q <= res_d;
    end
  end
endmodule

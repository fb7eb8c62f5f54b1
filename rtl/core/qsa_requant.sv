// One lane of the requantizer: Rq(x, m, lsh, rsh, single_rounding) of docs/isa.md, pipelined,
// one 32 x 32 product for both roundings. The compute unit holds RqLanes of them, shared by post,
// vadd and pool (qsa_compute); the unit that runs drives their inputs.
//
// Two roundings (gemmlowp / TFLite):
//   RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(sat32(x * 2^lsh), m), rsh)
// One rounding (TFLite single rounding), shift = lsh - rsh in [-31, 30]:
//   sat32(floor((x * m + 2^(30 - shift)) / 2^(31 - shift)))
// Both are one product p = a * m and one rounding shift of a value v by s bits,
//   r = (v + 2^(s-1) - c) >> s (arithmetic; no rounding term when s = 0), y = sat32(r):
//   two roundings: a = sat32(x * 2^lsh), v = SRDHM = sat32(floor((p + 2^30) / 2^31)) (saturates
//                  only for a = m = -2^31), s = rsh, c = [v < 0] (RoundingDivideByPOT's ties away
//                  from zero), and sat32 changes nothing;
//   one rounding:  a = x, v = p, s = 31 - shift in [1, 62], c = 0.
// |p| <= 2^62 and the rounding term is below 2^62, so the 64-bit sum never overflows.
//
// Pipeline (Latency = 4): inputs in cycle t (with valid_i), y_o in cycle t + 4 (with valid_o).
//   1: a = sat32(x << lsh) or x, the shift s         3: v and c (SRDHM's rounding)
//   2: p = a * m                                     4: (v + 2^(s-1) - c) >> s, sat32
// y_o is meaningful only for legal shifts (qsa_pkg::RqShiftsLegal): lsh, rsh <= 31 and, in single
// rounding, lsh - rsh in [-31, 30]; the units check them before they requantize. A stage computes
// only when it holds a valid value (an idle lane costs a simulator nothing); the data registers
// have no reset.
module qsa_requant (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               valid_i,
  input  logic signed [31:0] x_i,
  input  logic signed [31:0] m_i,
  input  logic        [4:0]  lsh_i,
  input  logic        [4:0]  rsh_i,
  input  logic               single_i,
  output logic               valid_o,
  output logic signed [31:0] y_o
);
  // ---- Stage 1: the multiplicand and the rounding shift ----
  logic v1_q;
  logic signed [31:0] a_q, a_d, m1_q, m1_d;
  logic [5:0] s1_q, s1_d;
  logic single1_q, single1_d;
  always_comb begin
    logic signed [62:0] x_shl;  // x * 2^lsh, exact
    a_d = a_q;
    m1_d = m1_q;
    s1_d = s1_q;
    single1_d = single1_q;
    x_shl = '0;
    if (valid_i) begin
      x_shl = 63'(x_i) <<< lsh_i;
      if (single_i) begin
        a_d = x_i;
        s1_d = 6'(6'd31 - 6'(lsh_i) + 6'(rsh_i));
      end else begin
        // sat32: the bits above bit 31 must all equal bit 31.
        if (x_shl[62:31] == '0 || x_shl[62:31] == '1) begin
          a_d = x_shl[31:0];
        end else begin
          a_d = x_i[31] ? 32'sh80000000 : 32'sh7fffffff;
        end
        s1_d = {1'b0, rsh_i};
      end
      m1_d = m_i;
      single1_d = single_i;
    end
  end

  // ---- Stage 2: the product ----
  logic v2_q;
  logic signed [63:0] p_q, p_d;
  logic [5:0] s2_q;
  logic single2_q;
  always_comb begin
    p_d = p_q;
    if (v1_q) p_d = 64'(a_q) * 64'(m1_q);
  end

  // ---- Stage 3: the value to round ----
  logic v3_q;
  logic signed [63:0] v_q, v_d;
  logic [5:0] s3_q;
  logic c_q, c_d;
  always_comb begin
    logic signed [32:0] h;  // floor((p + 2^30) / 2^31), in [-2^31, 2^31]
    logic signed [31:0] srdhm;
    v_d = v_q;
    c_d = c_q;
    h = '0;
    srdhm = '0;
    if (v2_q) begin
      if (single2_q) begin
        v_d = p_q;
        c_d = 1'b0;
      end else begin
        h = $signed(p_q[63:31]) + $signed({32'd0, p_q[30]});
        srdhm = (h == 33'sh080000000) ? 32'sh7fffffff : h[31:0];
        v_d = 64'(srdhm);
        c_d = srdhm[31] && (s2_q != 6'd0);
      end
    end
  end

  // ---- Stage 4: round, shift, saturate ----
  logic v4_q;
  logic signed [31:0] y_q, y_d;
  always_comb begin
    logic [63:0] nudge;  // 2^(s-1) - c, 0 for s = 0
    logic signed [63:0] r;
    y_d = y_q;
    nudge = '0;
    r = '0;
    if (v3_q) begin
      if (s3_q != 6'd0) nudge = (64'd1 << (s3_q - 6'd1)) - 64'(c_q);
      r = (v_q + $signed(nudge)) >>> s3_q;
      if (r[63:31] == '0 || r[63:31] == '1) begin
        y_d = r[31:0];
      end else begin
        y_d = r[63] ? 32'sh80000000 : 32'sh7fffffff;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
      v4_q <= 1'b0;
    end else begin
      v1_q <= valid_i;
      v2_q <= v1_q;
      v3_q <= v2_q;
      v4_q <= v3_q;
    end
  end

  always_ff @(posedge clk_i) begin
    a_q <= a_d;
    m1_q <= m1_d;
    s1_q <= s1_d;
    single1_q <= single1_d;
    p_q <= p_d;
    s2_q <= s1_q;
    single2_q <= single1_q;
    v_q <= v_d;
    s3_q <= s2_q;
    c_q <= c_d;
    y_q <= y_d;
  end

  assign valid_o = v4_q;
  assign y_o = y_q;
endmodule

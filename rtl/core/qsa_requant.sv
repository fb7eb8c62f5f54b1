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
// only when the stage before holds a valid value (an idle lane costs a simulator almost nothing);
// the data registers have no reset.
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
  // The stages' arithmetic, as functions of the previous stage's registers.
  // Stage 1: the multiplicand, sat32(x * 2^lsh) (two roundings) or x.
  function automatic logic signed [31:0] Multiplicand(input logic signed [31:0] x,
                                                      input logic [4:0] lsh, input logic single);
    logic signed [62:0] x_shl;  // x * 2^lsh, exact
    x_shl = 63'(x) <<< lsh;
    if (single) begin
      Multiplicand = x;
    end else if (x_shl[62:31] == '0 || x_shl[62:31] == '1) begin  // sat32
      Multiplicand = x_shl[31:0];
    end else begin
      Multiplicand = x[31] ? 32'sh80000000 : 32'sh7fffffff;
    end
  endfunction

  // Stage 1: the rounding shift, rsh (two roundings) or 31 - (lsh - rsh).
  function automatic logic [5:0] RoundShift(input logic [4:0] lsh, input logic [4:0] rsh,
                                           input logic single);
    RoundShift = single ? 6'(6'd31 - 6'(lsh) + 6'(rsh)) : {1'b0, rsh};
  endfunction

  // Stage 3: the value to round, SRDHM = floor((p + 2^30) / 2^31) saturated above (two roundings;
// only a = m = -2^31 reaches 2^31, and the test holds for any p, which the formal check uses) or p,
  // and bit 64 the correction c = [v < 0] (s > 0) of RoundingDivideByPOT.
  function automatic logic [64:0] ToRound(input logic signed [63:0] p, input logic [5:0] s,
                                          input logic single);
    logic signed [32:0] h;  // floor((p + 2^30) / 2^31), in [-2^31, 2^31]
    logic signed [31:0] srdhm;
    h = $signed(p[63:31]) + $signed({32'd0, p[30]});
    srdhm = (h > 33'sd2147483647) ? 32'sh7fffffff : h[31:0];
    if (single) begin
      ToRound = {1'b0, p};
    end else begin
      ToRound = {srdhm[31] && (s != 6'd0), 64'(srdhm)};
    end
  endfunction

  // Stage 4: sat32((v + 2^(s-1) - c) >> s), no rounding term for s = 0.
  function automatic logic signed [31:0] Round(input logic signed [63:0] v, input logic [5:0] s,
                                               input logic c);
    logic [63:0] nudge;
    logic signed [63:0] r;
    nudge = (s != 6'd0) ? (64'd1 << (s - 6'd1)) - 64'(c) : 64'd0;
    r = (v + $signed(nudge)) >>> s;
    if (r[63:31] == '0 || r[63:31] == '1) begin
      Round = r[31:0];
    end else begin
      Round = r[63] ? 32'sh80000000 : 32'sh7fffffff;
    end
  endfunction

  logic v1_q, v2_q, v3_q, v4_q;
  logic signed [31:0] a_q, m1_q;    // stage 1: multiplicand, multiplier
  logic signed [63:0] p_q;          // stage 2: product
  logic signed [63:0] v_q;          // stage 3: value to round
  logic c_q;                        // ... and its correction
  logic [5:0] s1_q, s2_q, s3_q;     // the rounding shift, per stage
  logic single1_q, single2_q;
  logic signed [31:0] y_q;          // stage 4: result

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

  // Each stage's registers load only when the stage before holds a valid value, so an idle lane
  // costs a simulator four tests per cycle.
  always_ff @(posedge clk_i) begin
    if (valid_i) begin
      a_q <= Multiplicand(x_i, lsh_i, single_i);
      m1_q <= m_i;
      s1_q <= RoundShift(lsh_i, rsh_i, single_i);
      single1_q <= single_i;
    end
    if (v1_q) begin
      p_q <= 64'(a_q) * 64'(m1_q);
      s2_q <= s1_q;
      single2_q <= single1_q;
    end
    if (v2_q) begin
      {c_q, v_q} <= ToRound(p_q, s2_q, single2_q);
      s3_q <= s2_q;
    end
    if (v3_q) y_q <= Round(v_q, s3_q, c_q);
  end

  assign valid_o = v4_q;
  assign y_o = y_q;

`ifndef SYNTHESIS
  // ---- Assertions ----
  // Rounding keeps the sign: the result of a stage-3 value v is 0 or has v's sign (a wrong
  // shift, nudge or saturation breaks this), and with a rounding shift of 0 it is sat32(v).
  logic v_neg_q;
  logic [63:0] v_exact_q;
  always_ff @(posedge clk_i) begin
    if (v3_q) begin
      v_neg_q <= v_q[63];
      v_exact_q <= (s3_q == 6'd0) ? v_q : 64'd0;
    end
  end
  logic shift0_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) shift0_q <= 1'b0;
    else if (v3_q) shift0_q <= (s3_q == 6'd0);
  end
  RqRoundKeepsSign_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      v4_q |-> (y_q == 32'sd0 || y_q[31] == v_neg_q));
  RqShiftZeroExact_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (v4_q && shift0_q) |->
          (y_q == ((v_exact_q[63:31] == '0 || v_exact_q[63:31] == '1) ? v_exact_q[31:0] :
                   (v_exact_q[63] ? 32'h80000000 : 32'h7fffffff))));
  // In two-rounding mode the value to round fits 32 bits (SRDHM saturates).
  logic single3_q;
  always_ff @(posedge clk_i) begin
    if (v2_q) single3_q <= single2_q;
  end
  RqSrdhmFits_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (v3_q && !single3_q) |-> (v_q[63:31] == '0 || v_q[63:31] == '1));
`endif
endmodule

// Plain reference of the requantization primitive for the formal equivalence check of the pipelined
// qsa_requant (scripts/rtl_formal_requant.sh): Rq(x, m, lsh, rsh, single_rounding) of docs/isa.md,
// combinational, two full 64-bit products. Not part of the accelerator (rtl/qsa.f).
//
// Rq(x, m, lsh, rsh, single_rounding), combinational.
//
// Two roundings (gemmlowp / TFLite):
//   RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(sat32(x * 2^lsh), m), rsh)
//   - SRDHM(a, b) = floor((a * b + 2^30) / 2^31): nearest, ties toward +inf; the one overflow
//     (a = b = INT32_MIN, result 2^31) saturates to INT32_MAX.
//   - RoundingDivideByPOT(v, e) = sign(v) * floor((|v| + 2^(e-1)) / 2^e): ties away from zero.
// One rounding (TFLite single rounding), shift = lsh - rsh in [-31, 30]:
//   sat32(floor((x * m + 2^(30 - shift)) / 2^(31 - shift)))
// All products are exact: |x * 2^lsh| < 2^62, |x * m| <= 2^62, rounding terms <= 2^61, so 64-bit
// signed intermediates never overflow. y_o is meaningful only when legal_o is set: lsh, rsh <= 31
// and, in single rounding, lsh - rsh in [-31, 30].
module qsa_requant_ref (
  input  logic               en_i,  // compute; else y_o = 0, legal_o = 0 (idle units cost no
                                    // simulation time)
  input  logic signed [31:0] x_i,
  input  logic signed [31:0] m_i,
  input  logic        [7:0]  lsh_i,
  input  logic        [7:0]  rsh_i,
  input  logic               single_i,
  output logic signed [31:0] y_o,
  output logic               legal_o
);
  localparam logic signed [63:0] Int32Max = 64'sd2147483647;
  localparam logic signed [63:0] Int32Min = -64'sd2147483648;

  // sat32(v).
  function automatic logic signed [31:0] Sat32(input logic signed [63:0] v);
    if (v > Int32Max) begin
      Sat32 = 32'sh7fffffff;
    end else if (v < Int32Min) begin
      Sat32 = 32'sh80000000;
    end else begin
      Sat32 = v[31:0];
    end
  endfunction

  // RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(sat32(x * 2^lsh), m), rsh).
  function automatic logic signed [31:0] TwoRoundings(input logic signed [31:0] x,
                                                     input logic signed [31:0] m,
                                                     input logic [4:0] lsh,
                                                     input logic [4:0] rsh);
    logic signed [63:0] x_shl;     // x * 2^lsh, |.| < 2^62
    logic signed [31:0] x_sat;     // sat32(x * 2^lsh)
    logic signed [63:0] prod;      // x_sat * m
    logic signed [63:0] high_mul;  // floor((prod + 2^30) / 2^31), in [-2^31, 2^31]
    logic signed [31:0] srdhm;
    logic        [32:0] mag;       // |srdhm|
    logic        [32:0] mag_rnd;   // (|v| + 2^(rsh-1)) >> rsh
    x_shl = 64'($signed(x)) <<< lsh;
    x_sat = Sat32(x_shl);
    prod = 64'($signed(x_sat)) * 64'($signed(m));
    high_mul = (prod + 64'sd1073741824) >>> 31;
    srdhm = (high_mul > Int32Max) ? 32'sh7fffffff : high_mul[31:0];
    mag = srdhm[31] ? 33'(34'sd0 - 34'(srdhm)) : {1'b0, srdhm};
    if (rsh == 5'd0) begin
      mag_rnd = mag;
    end else begin
      mag_rnd = (mag + (33'd1 << (rsh - 5'd1))) >> rsh;
    end
    TwoRoundings = srdhm[31] ? 32'(33'd0 - mag_rnd) : mag_rnd[31:0];
  endfunction

  // lsh - rsh for shifts <= 31.
  function automatic logic signed [8:0] Shift(input logic [4:0] lsh, input logic [4:0] rsh);
    Shift = $signed({4'b0000, lsh}) - $signed({4'b0000, rsh});
  endfunction

  // sat32(floor((x * m + 2^(30 - shift)) / 2^(31 - shift))), shift = lsh - rsh in [-31, 30].
  function automatic logic signed [31:0] OneRounding(input logic signed [31:0] x,
                                                    input logic signed [31:0] m,
                                                    input logic [4:0] lsh,
                                                    input logic [4:0] rsh);
    logic        [6:0]  total_shift;  // 31 - shift, in [1, 62]
    logic signed [63:0] prod;         // x * m
    logic signed [63:0] rounded;
    total_shift = 7'(9'sd31 - Shift(lsh, rsh));
    prod = 64'($signed(x)) * 64'($signed(m));
    rounded = (prod + (64'sd1 <<< (total_shift - 7'd1))) >>> total_shift;
    OneRounding = Sat32(rounded);
  endfunction

  // Only the selected rounding is evaluated, and nothing when en_i is low (the intermediates are
  // the functions' own, so an idle instance costs two assignments).
  always_comb begin
    y_o = '0;
    legal_o = 1'b0;
    if (en_i) begin
      legal_o = (lsh_i <= 8'd31) && (rsh_i <= 8'd31) &&
                (!single_i || (Shift(lsh_i[4:0], rsh_i[4:0]) >= -9'sd31 &&
                               Shift(lsh_i[4:0], rsh_i[4:0]) <= 9'sd30));
      if (single_i) begin
        y_o = OneRounding(x_i, m_i, lsh_i[4:0], rsh_i[4:0]);
      end else begin
        y_o = TwoRoundings(x_i, m_i, lsh_i[4:0], rsh_i[4:0]);
      end
    end
  end
endmodule

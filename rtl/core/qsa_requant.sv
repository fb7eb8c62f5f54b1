// Requantization primitive Rq(x, m, lsh, rsh, single_rounding) of docs/isa.md, combinational.
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
module qsa_requant (
  input  logic               en_i,  // compute; else y_o = 0 (idle units cost no simulation time)
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

  // Shift legality.
  logic signed [8:0] shift;  // lsh - rsh, meaningful when both are <= 31
  assign shift = $signed({4'b0000, lsh_i[4:0]}) - $signed({4'b0000, rsh_i[4:0]});
  assign legal_o = (lsh_i <= 8'd31) && (rsh_i <= 8'd31) &&
                   (!single_i || (shift >= -9'sd31 && shift <= 9'sd30));

  logic signed [63:0] x_shl;        // two roundings: x * 2^lsh, |.| < 2^62
  logic signed [31:0] x_sat;        // sat32(x * 2^lsh)
  logic signed [63:0] prod;         // x_sat * m, or x * m
  logic signed [63:0] high_mul;     // floor((prod + 2^30) / 2^31), in [-2^31, 2^31]
  logic signed [31:0] srdhm;
  logic        [32:0] mag;          // |srdhm|
  logic        [32:0] mag_rnd;      // (|v| + 2^(rsh-1)) >> rsh
  logic        [6:0]  total_shift;  // one rounding: 31 - shift, in [1, 62] when legal
  logic signed [63:0] rounded;

  // Only the selected rounding is evaluated, and nothing when en_i is low.
  always_comb begin
    x_shl = '0;
    x_sat = '0;
    prod = '0;
    high_mul = '0;
    srdhm = '0;
    mag = '0;
    mag_rnd = '0;
    total_shift = '0;
    rounded = '0;
    y_o = '0;
    if (en_i && !single_i) begin
      // RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(sat32(x * 2^lsh), m), rsh)
      x_shl = 64'($signed(x_i)) <<< lsh_i[4:0];
      if (x_shl > Int32Max) begin
        x_sat = 32'sh7fffffff;
      end else if (x_shl < Int32Min) begin
        x_sat = 32'sh80000000;
      end else begin
        x_sat = x_shl[31:0];
      end
      prod = 64'($signed(x_sat)) * 64'($signed(m_i));
      high_mul = (prod + 64'sd1073741824) >>> 31;
      srdhm = (high_mul > Int32Max) ? 32'sh7fffffff : high_mul[31:0];
      mag = srdhm[31] ? 33'(34'sd0 - 34'(srdhm)) : {1'b0, srdhm};
      if (rsh_i[4:0] == 5'd0) begin
        mag_rnd = mag;
      end else begin
        mag_rnd = (mag + (33'd1 << (rsh_i[4:0] - 5'd1))) >> rsh_i[4:0];
      end
      y_o = srdhm[31] ? 32'(33'd0 - mag_rnd) : mag_rnd[31:0];
    end else if (en_i) begin
      // sat32(floor((x * m + 2^(30 - shift)) / 2^(31 - shift)))
      total_shift = 7'(9'sd31 - shift);
      prod = 64'($signed(x_i)) * 64'($signed(m_i));
      rounded = (prod + (64'sd1 <<< (total_shift - 7'd1))) >>> total_shift;
      if (rounded > Int32Max) begin
        y_o = 32'sh7fffffff;
      end else if (rounded < Int32Min) begin
        y_o = 32'sh80000000;
      end else begin
        y_o = rounded[31:0];
      end
    end
  end
endmodule

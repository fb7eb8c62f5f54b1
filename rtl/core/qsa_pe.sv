// Processing element of the weight-stationary systolic array. It holds two int8 weights (a
// double buffer: one serves the activations streaming now, the other takes the next tile's
// preload) and each cycle forwards its activation (9-bit signed: a uint8 or int8 lane) and
// buffer select to the right and the partial sum, plus activation x selected weight, downwards.
// Activation and weights are held sign-extended to 32 bits, so a simulator multiplies without
// extending them in every PE and cycle; synthesis merges the identical sign bits.
//
// Integer contract: psum_o = wrap32(psum_i + act_i * w[sel_i]) one cycle later; the product of a
// 9-bit and an 8-bit signed value is exact in 17 bits. The datapath has no reset: the array's
// controller tracks which rows carry data.
module qsa_pe (
  input  logic        clk_i,
  input  logic [31:0] act_i,    // signed activation entering from the left (9-bit value,
                                // sign-extended: the array extends it once, at its left edge)
  input  logic        sel_i,    // weight buffer this activation uses
  input  logic [31:0] psum_i,   // partial sum from the PE above
  input  logic        wload_i,  // write wdata_i into weight buffer wbuf_i
  input  logic        wbuf_i,
  input  logic [7:0]  wdata_i,
  output logic [31:0] act_o,
  output logic        sel_o,
  output logic [31:0] psum_o
);
  // Weights are sign-extended once, when loaded.
  logic [31:0] w0_q, w1_q;
  logic [31:0] act_q;
  logic sel_q;
  logic [31:0] psum_q, psum_d;
  logic [31:0] w;

  // A 9 x 8 signed product, sign-extended to the 32-bit sum (written as a 32-bit product of the
  // sign-extended operands, which synthesis narrows and simulators evaluate in one multiply).
  assign w = sel_i ? w1_q : w0_q;
  assign psum_d = psum_i + act_i * w;

  // The weight registers change only when loaded (a simulator skips them otherwise).
  always_ff @(posedge clk_i) begin
    if (wload_i && !wbuf_i) w0_q <= 32'($signed(wdata_i));
    if (wload_i && wbuf_i) w1_q <= 32'($signed(wdata_i));
  end

  always_ff @(posedge clk_i) begin
    act_q <= act_i;
    sel_q <= sel_i;
    psum_q <= psum_d;
  end

  assign act_o = act_q;
  assign sel_o = sel_q;
  assign psum_o = psum_q;
endmodule

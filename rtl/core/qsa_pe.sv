// Processing element of the weight-stationary systolic array. It holds two int8 weights (a
// double buffer: one serves the activations streaming now, the other takes the next tile's
// preload) and each cycle forwards its activation (9-bit signed: a uint8 or int8 lane) and
// buffer select to the right and the partial sum, plus activation x selected weight, downwards.
//
// Integer contract: psum_o = wrap32(psum_i + act_i * w[sel_i]) one cycle later; the product of a
// 9-bit and an 8-bit signed value is exact in 17 bits and is sign-extended to the 32-bit sum (one
// 9 x 8 multiplier and a 32-bit adder: one DSP48E1 on a 7-series FPGA). The datapath has no reset:
// the array's controller tracks which rows carry data.
module qsa_pe (
  input  logic        clk_i,
  input  logic [8:0]  act_i,    // signed activation entering from the left
  input  logic        sel_i,    // weight buffer this activation uses
  input  logic [31:0] psum_i,   // partial sum from the PE above
  input  logic        wload_i,  // write wdata_i into weight buffer wbuf_i
  input  logic        wbuf_i,
  input  logic [7:0]  wdata_i,
  output logic [8:0]  act_o,
  output logic        sel_o,
  output logic [31:0] psum_o
);
  logic [7:0] w0_q, w1_q;
  logic [8:0] act_q;
  logic sel_q;
  logic [31:0] psum_q, psum_d;
  logic [7:0] w;
  logic [16:0] prod;

  // A 32-bit product of the sign-extended operands (one machine multiply in a simulator), of
  // which the 17 bits that carry the 9 x 8 product are kept and sign-extended to the sum: the
  // unused product bits let synthesis trim the multiplier to 9 x 8 -> 17 bits.
  assign w = sel_i ? w1_q : w0_q;
  assign prod = 17'(32'($signed(act_i)) * 32'($signed(w)));
  assign psum_d = psum_i + 32'($signed(prod));

  // The weight registers change only when loaded (a simulator skips them otherwise).
  always_ff @(posedge clk_i) begin
    if (wload_i && !wbuf_i) w0_q <= wdata_i;
    if (wload_i && wbuf_i) w1_q <= wdata_i;
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

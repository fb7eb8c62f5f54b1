// Equivalence of the pipelined requantizer lane (rtl/core/qsa_requant.sv) and the plain
// reference (qsa_requant_ref.sv), for scripts/rtl_formal_requant.sh: any inputs with legal shifts,
// held from cycle 0, give the reference's result Latency cycles later. `Single` fixes the rounding
// mode (the script proves each mode on its own; each proof then has one product).
module qsa_requant_equiv #(
  parameter bit Single = 1'b0
) (
  input logic clk_i
);
  (* anyconst *) logic signed [31:0] x;
  (* anyconst *) logic signed [31:0] m;
  (* anyconst *) logic [4:0] lsh;
  (* anyconst *) logic [4:0] rsh;

  logic [2:0] cycle_q = 3'd0;
  always_ff @(posedge clk_i) if (cycle_q != 3'd7) cycle_q <= cycle_q + 3'd1;

  logic valid;
  logic signed [31:0] y, y_ref;
  logic legal;
  qsa_requant u_dut (
    .clk_i,
    .rst_ni  (cycle_q != 3'd0),
    .valid_i (1'b1),
    .x_i     (x),
    .m_i     (m),
    .lsh_i   (lsh),
    .rsh_i   (rsh),
    .single_i(Single),
    .valid_o (valid),
    .y_o     (y)
  );
  qsa_requant_ref u_ref (
    .en_i    (1'b1),
    .x_i     (x),
    .m_i     (m),
    .lsh_i   ({3'd0, lsh}),
    .rsh_i   ({3'd0, rsh}),
    .single_i(Single),
    .y_o     (y_ref),
    .legal_o (legal)
  );

  always_comb begin
    assume (legal);
    if (cycle_q >= 3'd5) assert (valid && y == y_ref);
  end
endmodule

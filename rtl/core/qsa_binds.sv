// Simulation-only checkers bound into the design's modules (`bind`), kept apart from the checkers
// themselves so that each can be verilated alone (tests/sim/rtl_assertion_test.cc). Synthesis
// never sees them (`ifndef SYNTHESIS).
`ifndef SYNTHESIS
// Every gemm's array, with the row-valid and weight-write signals of qsa_gemm: an activation
// row enters ReadLatency cycles after its read (vpipe_q[k]: a row was read k + 1 cycles ago).
bind qsa_gemm qsa_array_check #(
  .ArrayRows(ArrayRows),
  .ArrayCols(ArrayCols)
) u_array_check (
  .clk_i  (clk_i),
  .rst_ni (rst_ni),
  .valid_i(vpipe_q[ReadLatency-1]),
  .sel_i  (x_sel),
  .wload_i(wl),
  .wbuf_i (wl_buf),
  .wcol_i (wl_col)
);
`endif

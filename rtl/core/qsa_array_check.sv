// Simulation-only checker of the systolic array's weight-buffer rule (qsa_array): a column's
// buffer is not written while an activation row that uses it is still inside that column. Bound
// into every qsa_gemm (qsa_binds.sv), which knows when a row is valid; the array alone does not
// (its inputs carry whatever the scratchpad's port A last read). Synthesis never sees it (the
// whole file is inside `ifndef SYNTHESIS).
//
// Timing (qsa_array): a row entering in cycle t is in column c from cycle t + c (PE (0, c)) to
// t + c + ArrayRows - 1 (PE (ArrayRows - 1, c)), and a weight write in cycle w is used from cycle
// w + 1 on. So a write of column c, buffer b in cycle w splits a row of buffer b that entered in
// cycle t (its upper PEs used the old weights, its lower ones get the new) exactly when
// t + c <= w <= t + c + ArrayRows - 2. A write before t + c is a preload just in time for the
// row (gemm starts streaming before the last columns are loaded) and is allowed.
`ifndef SYNTHESIS
module qsa_array_check #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  localparam int unsigned ColW = (ArrayCols > 1) ? $clog2(ArrayCols) : 1
) (
  input logic            clk_i,
  input logic            rst_ni,
  input logic            valid_i,  // an activation row enters the array this cycle
  input logic            sel_i,    // ... with this weight-buffer select
  input logic            wload_i,  // a weight column is written at the end of this cycle
  input logic            wbuf_i,
  input logic [ColW-1:0] wcol_i
);
  // hist_q[b][k]: a valid row of buffer b entered k + 1 cycles ago (rows older than the widest
  // window, ArrayCols - 1 + ArrayRows - 2 cycles, no longer matter).
  localparam int unsigned Window = (ArrayRows + ArrayCols > 3) ? ArrayRows + ArrayCols - 3 : 1;
  logic [Window-1:0] hist_q [2];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      hist_q[0] <= '0;
      hist_q[1] <= '0;
    end else begin
      hist_q[0] <= Window'({hist_q[0], valid_i && !sel_i});
      hist_q[1] <= Window'({hist_q[1], valid_i && sel_i});
    end
  end

  // A row of the buffer being written is inside the written column.
  logic split;
  always_comb begin
    logic row;
    split = 1'b0;
    for (int k = 0; k <= int'(Window); k++) begin
      row = (k == 0) ? (valid_i && sel_i == wbuf_i) : hist_q[wbuf_i][k-1];
      if (row && k >= int'(wcol_i) && k <= int'(wcol_i) + int'(ArrayRows) - 2) split = 1'b1;
    end
  end
  ArrayWeightBufferFree_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      wload_i |-> !split);
  ArrayWeightColumnInRange_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      wload_i |-> 32'(wcol_i) < ArrayCols);
endmodule
`endif

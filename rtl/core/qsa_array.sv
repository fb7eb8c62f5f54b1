// Weight-stationary systolic array of ArrayRows x ArrayCols qsa_pe. PE (r, c) holds W[c][r] in
// two weight buffers. An activation row enters with all lanes in one cycle; lane r is delayed r
// cycles (skew) and then moves right one PE per cycle, carrying its weight-buffer select; partial
// sums move down one PE per cycle, and column c's sum is delayed ArrayCols-1-c cycles (de-skew)
// so that all ArrayCols sums of one activation row leave together, ArrayRows+ArrayCols-1 cycles
// after it came in: sum_o[c] = wrap32(sum over r of act_i[r] * W[c][r]) of the row presented
// that many cycles earlier, using the weight buffer sel_i named then.
//
// Weight preload: while wload_i is high, the PEs of column wcol_i store byte r of wdata_i (the
// row's W[wcol_i][r]) into buffer wbuf_i at the end of the cycle. A PE uses the new value from
// the next cycle on; the caller keeps the buffer untouched while activations that use it are
// still inside the array.
module qsa_array #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  localparam int unsigned ColW = (ArrayCols > 1) ? $clog2(ArrayCols) : 1
) (
  input  logic                    clk_i,
  input  logic [ArrayRows*9-1:0]  act_i,    // lane r: 9-bit signed value, bits [r*9 +: 9]
  input  logic                    sel_i,
  input  logic                    wload_i,
  input  logic                    wbuf_i,
  input  logic [ColW-1:0]         wcol_i,
  input  logic [ArrayRows*8-1:0]  wdata_i,
  output logic [ArrayCols*32-1:0] sum_o
);
  // Every PE lives in its own generate block and reads its neighbour's outputs by name, so a
  // simulator sees small independent signals rather than one wide grid (so does every register
  // stage of the skew and de-skew, in qsa_delay).

  // Skew: lane r passes r register stages (activation and select together) before PE (r, 0).
  for (genvar r = 0; r < ArrayRows; r++) begin : gen_lane
    logic [9:0] lane_out;  // {sel, act}
    qsa_delay #(
      .Width(10),
      .Depth(r)
    ) u_skew (
      .clk_i,
      .rst_ni(1'b1),
      .d_i  ({sel_i, act_i[r*9+:9]}),
      .q_o  (lane_out)
    );
  end

  for (genvar c = 0; c < ArrayCols; c++) begin : gen_col
    logic col_load;
    assign col_load = wload_i && (wcol_i == ColW'(c));
    for (genvar r = 0; r < ArrayRows; r++) begin : gen_row
      logic [8:0] act_in;  // the 9-bit signed activation
      logic sel_in;
      logic [31:0] psum_in, psum_out;
      /* verilator lint_off UNUSEDSIGNAL */  // the last column's are dropped at the right edge
      logic [8:0] act_out;
      logic sel_out;
      /* verilator lint_on UNUSEDSIGNAL */
      if (c == 0) begin : gen_left
        assign sel_in = gen_lane[r].lane_out[9];
        assign act_in = gen_lane[r].lane_out[8:0];
      end else begin : gen_inner
        assign act_in = gen_col[c-1].gen_row[r].act_out;
        assign sel_in = gen_col[c-1].gen_row[r].sel_out;
      end
      if (r == 0) begin : gen_top
        assign psum_in = 32'd0;
      end else begin : gen_below
        assign psum_in = gen_col[c].gen_row[r-1].psum_out;
      end
      qsa_pe u_pe (
        .clk_i,
        .act_i  (act_in),
        .sel_i  (sel_in),
        .psum_i (psum_in),
        .wload_i(col_load),
        .wbuf_i,
        .wdata_i(wdata_i[r*8+:8]),
        .act_o  (act_out),
        .sel_o  (sel_out),
        .psum_o (psum_out)
      );
    end

    // De-skew: column c's sum passes ArrayCols-1-c register stages.
    qsa_delay #(
      .Width(32),
      .Depth(ArrayCols - 1 - c)
    ) u_deskew (
      .clk_i,
      .rst_ni(1'b1),
      .d_i  (gen_row[ArrayRows-1].psum_out),
      .q_o  (sum_o[c*32+:32])
    );
  end
endmodule

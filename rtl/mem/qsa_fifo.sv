// Synchronous first-in first-out buffer of Depth entries (a power of two) of Width bits, with
// valid/ready on both sides. A push into a full FIFO or a pop from an empty one is a design
// error and fails an assertion.
module qsa_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             push_i,
  input  logic [Width-1:0] data_i,
  input  logic             pop_i,
  output logic [Width-1:0] data_o,
  output logic             empty_o,
  output logic             full_o,
  output logic [$clog2(Depth+1)-1:0] count_o
);
  localparam int unsigned Aw = (Depth > 1) ? $clog2(Depth) : 1;
  localparam int unsigned Cw = $clog2(Depth + 1);

  logic [Width-1:0] mem_q[Depth];
  logic [Aw-1:0] rd_q, wr_q;
  logic [Cw-1:0] count_q;

  // The pointers and the count change only on a push or a pop (updated in place: a simulator
  // spends nothing on an idle FIFO).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_q <= '0;
      wr_q <= '0;
      count_q <= '0;
    end else begin
      if (push_i) wr_q <= (Depth > 1) ? Aw'(wr_q + 1'b1) : '0;
      if (pop_i) rd_q <= (Depth > 1) ? Aw'(rd_q + 1'b1) : '0;
      if (push_i && !pop_i) count_q <= count_q + 1'b1;
      if (pop_i && !push_i) count_q <= count_q - 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (push_i) mem_q[wr_q] <= data_i;
  end

  assign data_o = mem_q[rd_q];
  assign empty_o = (count_q == '0);
  assign full_o = (count_q == Cw'(Depth));
  assign count_o = count_q;

`ifndef SYNTHESIS
  FifoNoOverflow_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                      push_i |-> (!full_o || pop_i));
  FifoNoUnderflow_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                       pop_i |-> !empty_o);
`endif
endmodule

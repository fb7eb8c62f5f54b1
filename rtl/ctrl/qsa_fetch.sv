// Instruction fetch: reads the program's `prog_len` 128-bit instruction words from DRAM byte
// address `prog_base` (a multiple of 16) through the AXI4 master's read channels (its own ARID,
// qsa_top), into a prefetch buffer of Depth words from which control takes them in order
// (docs/rtl.md, "Instruction fetch").
//
// Requests: one INCR burst at a time on AR, of full-width beats (one word per beat: BusBytes must
// be 16), at most MaxBurst beats and never across a 4 KiB boundary (qsa_pkg::BurstBeats). A burst
// is requested only when the buffer has room for all of its beats besides the words it holds and
// the beats already requested, so R is always ready and the fetch never holds the bus. Several
// bursts may be in flight: with Depth = 2 * MaxBurst the next burst is requested as soon as
// MaxBurst words have left the buffer, which hides the DRAM latency once control takes about one
// word per latency / MaxBurst cycles or fewer.
//
// Errors (sticky until the next start): an R beat answered SLVERR or DECERR raises err_o with
// qsa_pkg::ERR_DRAM_RESP and the pc of the word it carried; the fetch then requests nothing more,
// takes the beats still in flight and pushes no further word. stop_i ends requesting too (abort,
// an error elsewhere); an AR already offered stays offered until it is taken (AXI). idle_o: no
// burst offered or in flight.
module qsa_fetch #(
  parameter int unsigned BusBytes = 16,
  parameter int unsigned Depth = 32,      // words of the prefetch buffer (a power of two)
  parameter int unsigned MaxBurst = 16    // the longest AR burst, in beats
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         start_i,    // pulse: fetch from prog_base_i, prog_len_i words
  input  logic         stop_i,     // request no further burst
  input  logic [31:0]  prog_base_i,
  input  logic [31:0]  prog_len_i,
  // AXI4 read address and data channels (ID, size and burst type are fixed: qsa_top).
  output logic         ar_valid_o,
  input  logic         ar_ready_i,
  output logic [31:0]  ar_addr_o,
  output logic [7:0]   ar_len_o,
  output logic [31:0]  ar_pc_o,    // the pc of the burst's first word (for traces)
  input  logic         r_valid_i,
  output logic         r_ready_o,
  input  logic [127:0] r_data_i,
  input  logic [1:0]   r_resp_i,
  // Instruction words to control, in program order.
  output logic         insn_valid_o,
  input  logic         insn_ready_i,
  output logic [127:0] insn_data_o,
  output logic         err_o,
  output logic [3:0]   err_code_o,
  output logic [31:0]  err_pc_o,
  output logic         idle_o
);
  localparam int unsigned Cw = $clog2(Depth + 1);
  localparam int unsigned PageBeats = 4096 / BusBytes;

  // ---------------------------------------------------------------- request side
  logic [31:0]   next_addr_q;  // byte address of the next word to request
  logic [31:0]   left_q;       // words not yet requested
  logic [31:0]   req_pc_q;     // pc of the next word to request
  logic          ar_valid_q;
  logic [31:0]   ar_addr_q, ar_pc_q;
  logic [7:0]    ar_len_q;
  logic [Cw-1:0] claimed_q;    // words in the buffer plus beats requested (or offered)
  logic [31:0]   rx_pc_q;      // pc of the next R beat
  logic          err_q;
  logic [31:0]   err_pc_q;
  logic [31:0]   inflight_q;   // beats offered or requested and not yet received

  logic [31:0] burst;
  logic        issue, ar_fire, r_fire, push, pop;
  assign burst = qsa_pkg::BurstBeats(next_addr_q / BusBytes, left_q, PageBeats, MaxBurst);
  assign issue = !ar_valid_q && !stop_i && !err_q && left_q != '0 &&
                 32'(claimed_q) + burst <= 32'(Depth);
  assign ar_fire = ar_valid_q && ar_ready_i;
  assign r_fire = r_valid_i && r_ready_o;
  assign push = r_fire && !err_q && r_resp_i == 2'b00;

  // ---------------------------------------------------------------- prefetch buffer
  logic          empty, full_unused;
  logic [Cw-1:0] count;
  qsa_fifo #(
    .Width(128),
    .Depth(Depth)
  ) u_buffer (
    .clk_i,
    .rst_ni,
    .push_i (push),
    .data_i (r_data_i),
    .pop_i  (pop),
    .data_o (insn_data_o),
    .empty_o(empty),
    .full_o (full_unused),
    .count_o(count)
  );
  assign insn_valid_o = !empty && !err_q;
  assign pop = insn_valid_o && insn_ready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      next_addr_q <= '0;
      left_q <= '0;
      req_pc_q <= '0;
      ar_valid_q <= 1'b0;
      ar_addr_q <= '0;
      ar_len_q <= '0;
      ar_pc_q <= '0;
      claimed_q <= '0;
      rx_pc_q <= '0;
      err_q <= 1'b0;
      err_pc_q <= '0;
      inflight_q <= '0;
    end else if (start_i) begin
      next_addr_q <= prog_base_i;
      left_q <= prog_len_i;
      req_pc_q <= '0;
      rx_pc_q <= '0;
      err_q <= 1'b0;
      err_pc_q <= '0;
    end else begin
      if (issue) begin
        ar_valid_q <= 1'b1;
        ar_addr_q <= next_addr_q;
        ar_len_q <= 8'(burst - 32'd1);
        ar_pc_q <= req_pc_q;
        next_addr_q <= next_addr_q + burst * BusBytes;
        left_q <= left_q - burst;
        req_pc_q <= req_pc_q + burst;
      end else if (ar_fire) begin
        ar_valid_q <= 1'b0;
      end
      // The buffer's room is claimed when a burst is offered and returned when a word leaves
      // the buffer (or a beat is dropped after an error).
      claimed_q <= claimed_q + (issue ? Cw'(burst) : Cw'(0)) - Cw'(pop) - Cw'(r_fire && !push);
      inflight_q <= inflight_q + (issue ? burst : 32'd0) - 32'(r_fire);
      if (r_fire) rx_pc_q <= rx_pc_q + 32'd1;
      if (r_fire && !err_q && r_resp_i != 2'b00) begin
        err_q <= 1'b1;
        err_pc_q <= rx_pc_q;
      end
    end
  end

  assign ar_valid_o = ar_valid_q;
  assign ar_addr_o = ar_addr_q;
  assign ar_len_o = ar_len_q;
  assign ar_pc_o = ar_pc_q;
  assign r_ready_o = 1'b1;
  assign err_o = err_q;
  assign err_code_o = qsa_pkg::ERR_DRAM_RESP;
  assign err_pc_o = err_pc_q;
  assign idle_o = inflight_q == '0;

`ifndef SYNTHESIS
  // One word per beat.
  if (BusBytes != 16) begin : gen_bus_check
    $error("qsa_fetch: instruction words are 16 bytes; BusBytes must be 16");
  end
  // An offered AR holds with its payload until taken.
  ArStableHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (ar_valid_o && !ar_ready_i) |=> (ar_valid_o && $stable(ar_addr_o) && $stable(ar_len_o)));
  // No beat arrives that was not requested, and the buffer never overflows.
  RInFlightHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      r_valid_i |-> inflight_q != '0);
  BufferRoomHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      32'(claimed_q) <= 32'(Depth) && 32'(count) <= 32'(claimed_q));
  // A fetch starts only with nothing in flight.
  StartIdleHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      start_i |-> (idle_o && !ar_valid_q));
`endif
endmodule

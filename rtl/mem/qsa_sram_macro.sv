// One SRAM bank: Depth rows of Lanes lanes of LaneBits bits, simple dual-port (1R1W): one write
// port with a per-lane write mask and one read port, both synchronous. A read returns the row
// ReadLatency cycles after the address (1: the macro's output register; 2: one more register
// stage, as compiled SRAMs and FPGA block RAMs with an output register have). The output holds its
// value until the next read's data arrives. A read and a write of the same row in one cycle return
// the old row (read-first). This is the macro a memory compiler or an FPGA block RAM provides:
// under SYNTHESIS the module keeps its ports and has no body, so synthesis leaves one black box per
// bank and counts them.
module qsa_sram_macro #(
  parameter int unsigned Depth = 4096,
  parameter int unsigned Lanes = 16,
  parameter int unsigned LaneBits = 8,
  parameter int unsigned ReadLatency = 1,
  localparam int unsigned Aw = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned Width = Lanes * LaneBits
) (
  input  logic             clk_i,
  input  logic             we_i,
  input  logic [Aw-1:0]    waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic [Lanes-1:0] wmask_i,
  input  logic             re_i,
  input  logic [Aw-1:0]    raddr_i,
  output logic [Width-1:0] rdata_o
);
`ifndef SYNTHESIS
  logic [Width-1:0] mem_q[Depth];
  logic [Width-1:0] rdata_q;

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      if (&wmask_i) begin
        mem_q[waddr_i] <= wdata_i;  // whole row (the common case): one assignment
      end else begin
        for (int l = 0; l < Lanes; l++) begin
          if (wmask_i[l]) mem_q[waddr_i][l*LaneBits+:LaneBits] <= wdata_i[l*LaneBits+:LaneBits];
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (re_i) rdata_q <= mem_q[raddr_i];
  end

  if (ReadLatency == 1) begin : gen_lat1
    assign rdata_o = rdata_q;
  end else begin : gen_lat2
    logic re_q;
    logic [Width-1:0] out_q;
    always_ff @(posedge clk_i) begin
      re_q <= re_i;
      if (re_q) out_q <= rdata_q;
    end
    assign rdata_o = out_q;
  end

  // Only the two latencies above are built.
  if (ReadLatency != 1 && ReadLatency != 2) begin : gen_bad_latency
    $error("qsa_sram_macro: ReadLatency must be 1 or 2");
  end
`endif
endmodule

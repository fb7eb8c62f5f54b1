// On-chip SRAM model: Rows rows of Lanes lanes of LaneBits bits, split into Banks banks by the
// low row-address bits (row r lives in bank r mod Banks). Every client unit has its own port, so
// units never wait for one another: NumWrite write ports with a per-lane write mask and NumRead
// synchronous read ports (data one cycle after the address). The program orders the accesses of
// different units to the same rows with dependency tokens, so two ports never write one row in
// the same cycle. For synthesis the module is a black box standing for the SRAM macros.
module qsa_sram #(
  parameter int unsigned Rows = 256,
  parameter int unsigned Lanes = 16,
  parameter int unsigned LaneBits = 8,
  parameter int unsigned Banks = 1,
  parameter int unsigned NumWrite = 1,
  parameter int unsigned NumRead = 1,
  localparam int unsigned Aw = $clog2(Rows),
  localparam int unsigned RowBits = Lanes * LaneBits
) (
  input  logic                        clk_i,
  input  logic [NumWrite-1:0]         we_i,
  input  logic [NumWrite*Aw-1:0]      waddr_i,
  input  logic [NumWrite*RowBits-1:0] wdata_i,
  input  logic [NumWrite*Lanes-1:0]   wmask_i,
  input  logic [NumRead-1:0]          re_i,
  input  logic [NumRead*Aw-1:0]       raddr_i,
  output logic [NumRead*RowBits-1:0]  rdata_o
);
  localparam int unsigned BankRows = Rows / Banks;
  localparam int unsigned Bw = (Banks > 1) ? $clog2(Banks) : 0;  // Banks is a power of two

  // One array holds every bank: bank b's rows are entries [b*BankRows, (b+1)*BankRows). A
  // simulator then reads and writes only the addressed row, not one candidate row per bank.
  logic [RowBits-1:0] mem_q[Rows];

  // The entry of row r: bank r mod Banks, row r / Banks within the bank.
  function automatic logic [Aw-1:0] Entry(input logic [Aw-1:0] r);
    Entry = Aw'((32'(r) & (Banks - 1)) * BankRows + (32'(r) >> Bw));
  endfunction

  // Writes: each port writes its masked lanes.
  always_ff @(posedge clk_i) begin
    for (int p = 0; p < NumWrite; p++) begin
      if (we_i[p]) begin
        if (&wmask_i[p*Lanes+:Lanes]) begin
          // Whole row (the common case): one assignment.
          mem_q[Entry(waddr_i[p*Aw+:Aw])] <= wdata_i[p*RowBits+:RowBits];
        end else begin
          for (int l = 0; l < Lanes; l++) begin
            if (wmask_i[p*Lanes+l]) begin
              mem_q[Entry(waddr_i[p*Aw+:Aw])][l*LaneBits+:LaneBits] <=
                  wdata_i[p*RowBits+l*LaneBits+:LaneBits];
            end
          end
        end
      end
    end
  end

  // Reads: the addressed row, registered.
  for (genvar p = 0; p < NumRead; p++) begin : gen_read
    logic [RowBits-1:0] rdata_q;
    always_ff @(posedge clk_i) begin
      if (re_i[p]) rdata_q <= mem_q[Entry(raddr_i[p*Aw+:Aw])];
    end
    assign rdata_o[p*RowBits+:RowBits] = rdata_q;
  end

`ifndef SYNTHESIS
  // Two ports writing the same row in one cycle would make the result depend on port order.
  for (genvar p = 0; p < NumWrite; p++) begin : gen_write_check
    for (genvar q = p + 1; q < NumWrite; q++) begin : gen_pair
      WritePortsDisjoint_A : assert property (@(posedge clk_i)
          !(we_i[p] && we_i[q] && waddr_i[p*Aw+:Aw] == waddr_i[q*Aw+:Aw]));
    end
  end
`endif
endmodule

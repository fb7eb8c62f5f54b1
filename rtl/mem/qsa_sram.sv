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
  localparam int unsigned Bw = (Banks > 1) ? $clog2(Banks) : 1;
  localparam int unsigned BankAw = (BankRows > 1) ? $clog2(BankRows) : 1;

  for (genvar b = 0; b < Banks; b++) begin : gen_bank
    logic [RowBits-1:0] mem_q[BankRows];

    // Writes: each port writes its masked lanes when its row is in this bank.
    always_ff @(posedge clk_i) begin
      for (int p = 0; p < NumWrite; p++) begin
        if (we_i[p] && (Banks == 1 || Bw'(waddr_i[p*Aw+:Aw]) == Bw'(b))) begin
          if (&wmask_i[p*Lanes+:Lanes]) begin
            // Whole row (the common case): one assignment.
            mem_q[BankAw'(waddr_i[p*Aw+:Aw] >> ((Banks > 1) ? Bw : 0))] <=
                wdata_i[p*RowBits+:RowBits];
          end else begin
            for (int l = 0; l < Lanes; l++) begin
              if (wmask_i[p*Lanes+l]) begin
                mem_q[BankAw'(waddr_i[p*Aw+:Aw] >> ((Banks > 1) ? Bw : 0))][l*LaneBits+:LaneBits]
                    <= wdata_i[p*RowBits+l*LaneBits+:LaneBits];
              end
            end
          end
        end
      end
    end
  end

  // Reads: the addressed row of the addressed bank, registered.
  for (genvar p = 0; p < NumRead; p++) begin : gen_read
    logic [RowBits-1:0] rdata_q;
    logic [Aw-1:0] raddr;
    logic [RowBits-1:0] bank_rows[Banks];
    assign raddr = raddr_i[p*Aw+:Aw];
    for (genvar b = 0; b < Banks; b++) begin : gen_bank_read
      assign bank_rows[b] = gen_bank[b].mem_q[BankAw'(raddr >> ((Banks > 1) ? Bw : 0))];
    end
    always_ff @(posedge clk_i) begin
      if (re_i[p]) rdata_q <= bank_rows[(Banks > 1) ? Bw'(raddr) : '0];
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

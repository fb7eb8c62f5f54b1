// On-chip memory: Rows rows of Lanes lanes of LaneBits bits, built from Banks simple dual-port
// (1R1W) SRAM macros (qsa_sram_macro) of Rows / Banks rows each. The high row-address bits select
// the bank (row r lives in bank r / (Rows / Banks)), so a stream of consecutive rows stays in one
// bank and two operands read in the same cycle meet only if they lie in the same region.
//
// Clients: NumWrite write clients with a per-lane write mask and NumRead read clients, client 0
// of each kind first. Each bank serves one write and one read per cycle: a request is granted
// (wgnt_o, rgnt_o) unless a client before it asks for the same bank in that cycle; a client not
// granted keeps its request and retries (the memory holds no state about it). A granted read's
// data is on the client's rdata_o ReadLatency cycles later, for that one cycle (the bank's output
// may change afterwards). The program orders the accesses of different clients to the same rows
// with dependency tokens, so two clients never write one row in the same cycle.
module qsa_sram #(
  parameter int unsigned Rows = 256,
  parameter int unsigned Lanes = 16,
  parameter int unsigned LaneBits = 8,
  parameter int unsigned Banks = 1,
  parameter int unsigned NumWrite = 1,
  parameter int unsigned NumRead = 1,
  parameter int unsigned ReadLatency = 1,
  localparam int unsigned Aw = $clog2(Rows),
  localparam int unsigned RowBits = Lanes * LaneBits
) (
  input  logic                        clk_i,
  input  logic [NumWrite-1:0]         we_i,
  input  logic [NumWrite*Aw-1:0]      waddr_i,
  input  logic [NumWrite*RowBits-1:0] wdata_i,
  input  logic [NumWrite*Lanes-1:0]   wmask_i,
  output logic [NumWrite-1:0]         wgnt_o,
  input  logic [NumRead-1:0]          re_i,
  input  logic [NumRead*Aw-1:0]       raddr_i,
  output logic [NumRead-1:0]          rgnt_o,
  output logic [NumRead*RowBits-1:0]  rdata_o
);
  localparam int unsigned BankRows = Rows / Banks;  // Rows and Banks are powers of two
  localparam int unsigned Bw = (Banks > 1) ? $clog2(Banks) : 1;
  localparam int unsigned Rw = (BankRows > 1) ? $clog2(BankRows) : 1;

  // The bank of row r, and r's row within it.
  function automatic logic [Bw-1:0] BankOf(input logic [Aw-1:0] r);
    BankOf = Bw'(32'(r) / BankRows);
  endfunction
  function automatic logic [Rw-1:0] RowIn(input logic [Aw-1:0] r);
    RowIn = Rw'(32'(r) % BankRows);
  endfunction

  // Fixed-priority arbitration per bank: the first requesting client of each kind wins.
  logic [NumWrite-1:0] wgnt;
  logic [NumRead-1:0] rgnt;
  always_comb begin
    for (int p = 0; p < NumWrite; p++) begin
      wgnt[p] = we_i[p];
      for (int q = 0; q < p; q++) begin
        if (we_i[q] && BankOf(waddr_i[q*Aw+:Aw]) == BankOf(waddr_i[p*Aw+:Aw])) wgnt[p] = 1'b0;
      end
    end
    for (int p = 0; p < NumRead; p++) begin
      rgnt[p] = re_i[p];
      for (int q = 0; q < p; q++) begin
        if (re_i[q] && BankOf(raddr_i[q*Aw+:Aw]) == BankOf(raddr_i[p*Aw+:Aw])) rgnt[p] = 1'b0;
      end
    end
  end
  assign wgnt_o = wgnt;
  assign rgnt_o = rgnt;

  // The banks, each driven by its granted clients.
  logic [RowBits-1:0] bank_rdata[Banks];
  for (genvar b = 0; b < Banks; b++) begin : gen_bank
    logic we, re;
    logic [Rw-1:0] waddr, raddr;
    logic [RowBits-1:0] wdata;
    logic [Lanes-1:0] wmask;
    always_comb begin
      we = 1'b0;
      waddr = '0;
      wdata = '0;
      wmask = '0;
      re = 1'b0;
      raddr = '0;
      for (int p = 0; p < NumWrite; p++) begin
        if (wgnt[p] && 32'(BankOf(waddr_i[p*Aw+:Aw])) == b) begin
          we = 1'b1;
          waddr = RowIn(waddr_i[p*Aw+:Aw]);
          wdata = wdata_i[p*RowBits+:RowBits];
          wmask = wmask_i[p*Lanes+:Lanes];
        end
      end
      for (int p = 0; p < NumRead; p++) begin
        if (rgnt[p] && 32'(BankOf(raddr_i[p*Aw+:Aw])) == b) begin
          re = 1'b1;
          raddr = RowIn(raddr_i[p*Aw+:Aw]);
        end
      end
    end
    qsa_sram_macro #(
      .Depth      (BankRows),
      .Lanes      (Lanes),
      .LaneBits   (LaneBits),
      .ReadLatency(ReadLatency)
    ) u_macro (
      .clk_i,
      .we_i   (we),
      .waddr_i(waddr),
      .wdata_i(wdata),
      .wmask_i(wmask),
      .re_i   (re),
      .raddr_i(raddr),
      .rdata_o(bank_rdata[b])
    );
  end

  // Read data: each client takes the output of the bank its granted read went to, tracked
  // through ReadLatency registers.
  for (genvar p = 0; p < NumRead; p++) begin : gen_read
    logic [ReadLatency*Bw-1:0] bank_q;
    always_ff @(posedge clk_i) begin
      if (re_i[p]) bank_q[0+:Bw] <= BankOf(raddr_i[p*Aw+:Aw]);
      for (int s = 1; s < ReadLatency; s++) bank_q[s*Bw+:Bw] <= bank_q[(s-1)*Bw+:Bw];
    end
    if (Banks > 1) begin : gen_mux
      assign rdata_o[p*RowBits+:RowBits] = bank_rdata[bank_q[(ReadLatency-1)*Bw+:Bw]];
    end else begin : gen_one
      /* verilator lint_off UNUSEDSIGNAL */  // one bank: nothing to select
      logic [ReadLatency*Bw-1:0] bank_unused;
      /* verilator lint_on UNUSEDSIGNAL */
      assign bank_unused = bank_q;
      assign rdata_o[p*RowBits+:RowBits] = bank_rdata[0];
    end
  end

`ifndef SYNTHESIS
  // Two clients writing the same row in one cycle: they share a bank, so the later one waits;
  // the program must still never ask for it (the order would decide the row's value).
  for (genvar p = 0; p < NumWrite; p++) begin : gen_write_check
    for (genvar q = p + 1; q < NumWrite; q++) begin : gen_pair
      WritePortsDisjoint_A : assert property (@(posedge clk_i)
          !(we_i[p] && we_i[q] && waddr_i[p*Aw+:Aw] == waddr_i[q*Aw+:Aw]));
    end
  end
`endif
endmodule

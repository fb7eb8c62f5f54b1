// Store unit: executes store.sp and store.acc (docs/isa.md "store.*"), one instruction at a time.
//
//   for y in [0, ny), x in [0, nx):
//     row = sram + y*nx + x
//     DRAM[dram + y*stride_y + x*stride_x + (0 .. lanes*esize-1)] = bytes of lanes
//         [lane0, lane0 + lanes) of row (esize 1 for store.sp, 4 for store.acc, little-endian)
//
// Three stages, one row per cycle in steady state:
//   1. the reader walks the grid and reads one row per cycle from the memory's read port while
//      the row FIFO has room for it (data arrive the next cycle); a read the memory does not
//      grant (rd_gnt_i: the compute unit reads the same bank) is asked again the next cycle;
//   2. when the data arrive, the lane range is cut out and shifted to the element's byte offset
//      within its first bus beat, and the row is pushed into the row FIFO with its beat address
//      and beat count;
//   3. the write master sends each row as AXI4 INCR bursts (ID StoreId, full-width beats, byte
//      strobes): one burst per row, split where the row crosses a 4 KiB boundary or exceeds
//      MaxBurst beats. The address issuer takes the row's beat address and count from a small
//      FIFO pushed with the row and issues its AW bursts (up to MaxWrOutstanding bursts without a
//      B response), running ahead of the data; the beat emitter sends the head row's beats on W,
//      one per cycle the DRAM accepts, never ahead of their AW, with WLAST on each burst's last
//      beat. Beats are sent in element order and never merged across elements, so a later
//      element overwrites an earlier one at the same address (one ID: bursts complete in order).
// rsp_o.done pulses once every row is sent and every burst answered on B.
// With ReadLatency 2 a row's data arrive two cycles after its read: the read's address and valid
// bit pass one more register (a_*) before stage 2, and that row also holds a FIFO slot.
//
// Control has checked every field and bound before offering the word. The one error left is a
// B response SLVERR or DECERR: the unit raises rsp_o.err (sticky, qsa_pkg::ERR_DRAM_RESP with the
// store's pc), issues no further AW, sends only the W beats of bursts already addressed and takes
// no further instruction.
module qsa_store #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned BusBytes = 16,
  parameter int unsigned ReadLatency = 1,  // cycles from a memory read to its data: 1 or 2
  // Write bursts addressed (AW) and not yet answered (B).
  parameter int unsigned MaxWrOutstanding = 256,
  // The longest AW burst, in beats (1..256; AXI4 INCR allows 256).
  parameter int unsigned MaxBurst = 16
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // Instruction interface (from control).
  input  logic                     req_valid_i,
  input  qsa_pkg::unit_req_t       req_i,
  output logic                     req_ready_o,
  output qsa_pkg::unit_rsp_t       rsp_o,
  // Scratchpad read port 2 and accumulator read port 1 (data ReadLatency cycles after re).
  output qsa_pkg::row_req_t        sp_rd_o,
  input  logic                     rd_gnt_i,  // the read asked on sp_rd_o or acc_rd_o is done
  input  logic [ArrayRows*8-1:0]   sp_rdata_i,
  output qsa_pkg::row_req_t        acc_rd_o,
  input  logic [ArrayCols*32-1:0]  acc_rdata_i,
  // AXI4 write address, write data and write response channels (ID, size and burst type are
  // fixed: qsa_top).
  output logic                     aw_valid_o,
  input  logic                     aw_ready_i,
  output logic [31:0]              aw_addr_o,
  output logic [7:0]               aw_len_o,
  output logic                     w_valid_o,
  input  logic                     w_ready_i,
  output logic [BusBytes*8-1:0]    w_data_o,
  output logic [BusBytes-1:0]      w_strb_o,
  output logic                     w_last_o,
  output logic [31:0]              w_pc_o,  // the store's pc (for traces)
  input  logic                     b_valid_i,
  output logic                     b_ready_o,
  input  logic [1:0]               b_resp_i,
  // Counter events (per cycle).
  output qsa_pkg::unit_ev_t        ev_o
);
  localparam int unsigned SpRowBytes = ArrayRows;
  localparam int unsigned WordRowBytes = 4 * ArrayCols;
  localparam int unsigned RowBytes = (SpRowBytes > WordRowBytes) ? SpRowBytes : WordRowBytes;
  localparam int unsigned RowBits = RowBytes * 8;
  localparam int unsigned BeatBits = BusBytes * 8;
  localparam int unsigned Lb = $clog2(BusBytes);
  // Up to RowBytes bytes starting at any byte offset span at most MaxBeats beats.
  localparam int unsigned MaxBeats = (RowBytes + 2 * BusBytes - 2) / BusBytes;
  localparam int unsigned StreamBits = MaxBeats * BeatBits;
  localparam int unsigned Bw = $clog2(MaxBeats + 1);
  localparam int unsigned Iw = (MaxBeats > 1) ? $clog2(MaxBeats) : 1;
  // Row FIFO: room for the rows in flight between the read port and the emitter.
  localparam int unsigned RowDepth = 4;
  localparam int unsigned Cw = $clog2(RowDepth + 1);
  localparam int unsigned StreamBytes = MaxBeats * BusBytes;
  // Row FIFO entry: {first beat index (address >> Lb), beats, byte strobes, stream}.
  localparam int unsigned EntryW = (32 - Lb) + Bw + StreamBytes + StreamBits;
  // Address FIFO entry: {first beat index, beats}.
  localparam int unsigned AddrW = (32 - Lb) + Bw;
  localparam int unsigned PageBeats = 4096 / BusBytes;  // beats of a 4 KiB page
  localparam int unsigned Pw = $clog2(MaxWrOutstanding + 1);

  // Both store opcodes share one field layout.
  localparam int SramLsb = qsa_isa_pkg::STORE_SP_SRAM_LSB;
  localparam int DramLsb = qsa_isa_pkg::STORE_SP_DRAM_LSB;
  localparam int NyLsb = qsa_isa_pkg::STORE_SP_NY_LSB;
  localparam int NxLsb = qsa_isa_pkg::STORE_SP_NX_LSB;
  localparam int SyLsb = qsa_isa_pkg::STORE_SP_STRIDE_Y_LSB;
  localparam int SyBits = qsa_isa_pkg::STORE_SP_STRIDE_Y_BITS;
  localparam int SxLsb = qsa_isa_pkg::STORE_SP_STRIDE_X_LSB;
  localparam int SxBits = qsa_isa_pkg::STORE_SP_STRIDE_X_BITS;
  localparam int LanesLsb = qsa_isa_pkg::STORE_SP_LANES_LSB;
  localparam int Lane0Lsb = qsa_isa_pkg::STORE_SP_LANE0_LSB;

  // ---------------------------------------------------------------- instruction registers
  // The instruction being executed, registered when it is taken.
  typedef struct packed {
    logic        busy;
    logic        is_sp;
    logic [31:0] pc;
    logic [15:0] sram;
    logic [31:0] nbytes;  // lanes * esize
    logic [31:0] skip;    // lane0 * esize: bytes of the row before the first stored lane
  } cur_t;
  cur_t cur_q, cur_d;

  logic        take;
  logic [3:0]  req_op;
  logic        req_sp;
  logic        done;

  assign req_op = req_i.insn[qsa_isa_pkg::HDR_OPCODE_LSB+:qsa_isa_pkg::HDR_OPCODE_BITS];
  assign req_sp = (req_op == qsa_isa_pkg::OP_STORE_SP);
  logic        fail_q, fail_d;  // an error response arrived
  assign req_ready_o = !cur_q.busy && !fail_q;
  assign take = req_valid_i && !cur_q.busy && !fail_q;

  always_comb begin
    cur_d = cur_q;
    if (take) begin
      cur_d.busy = 1'b1;
      cur_d.is_sp = req_sp;
      cur_d.pc = req_i.pc;
      cur_d.sram = req_i.insn[SramLsb+:16];
      cur_d.nbytes = req_sp ? 32'(req_i.insn[LanesLsb+:8])
                            : {22'd0, req_i.insn[LanesLsb+:8], 2'b00};
      cur_d.skip = req_sp ? 32'(req_i.insn[Lane0Lsb+:8]) : {22'd0, req_i.insn[Lane0Lsb+:8], 2'b00};
    end else if (done) begin
      cur_d.busy = 1'b0;
    end
  end

  // ---------------------------------------------------------------- stage 1: reader
  logic        rd_q;  // rows left to read
  logic [15:0] row_q, row_d;  // y*nx + x
  logic [31:0] addr_q;  // DRAM address of element (y, x)
  logic [7:0]  y_unused, x_unused;
  logic        last_unused;
  logic        issue, want;
  logic [15:0] raddr;
  logic [Cw-1:0] fifo_count, afifo_count;
  logic        p_valid_q, p_valid_d;
  logic        a_valid;  // a row's data arrive (p_valid_q ReadLatency - 1 cycles later)
  logic [31:0] a_addr;  // ... and its element's DRAM address
  logic        a_extra;  // a row read and not yet arrived, besides p_valid_q (latency 2)

  // Rows read and not yet in the FIFO also occupy a FIFO slot.
  // A read waits while the compute unit reads the same bank (rd_gnt_i low).
  // Rows read and not yet in the FIFOs also occupy a slot (the address FIFO may hold more rows
  // than the row FIFO when W runs ahead of AW).
  logic [Cw-1:0] max_count;
  assign max_count = (afifo_count > fifo_count) ? afifo_count : fifo_count;
  assign want = rd_q && (32'(max_count) + (p_valid_q ? 32'd1 : 32'd0) +
                         (a_extra ? 32'd1 : 32'd0) < 32'(RowDepth));
  assign issue = want && rd_gnt_i;
  assign raddr = cur_q.sram + row_q;
  assign sp_rd_o.en = want && cur_q.is_sp;
  assign sp_rd_o.addr = raddr;
  assign acc_rd_o.en = want && !cur_q.is_sp;
  assign acc_rd_o.addr = raddr;

  qsa_dma_walk u_walk (
    .clk_i,
    .rst_ni,
    .start_i   (take),
    .dram_i    (req_i.insn[DramLsb+:32]),
    .ny_i      (req_i.insn[NyLsb+:8]),
    .nx_i      (req_i.insn[NxLsb+:8]),
    .stride_y_i(32'(req_i.insn[SyLsb+:SyBits])),
    .stride_x_i(32'(req_i.insn[SxLsb+:SxBits])),
    .step_i    (issue),
    .x_add_i   (1'b1),
    .y_add_i   (1'b1),
    .active_o  (rd_q),
    .y_o       (y_unused),
    .x_o       (x_unused),
    .last_o    (last_unused),
    .addr_o    (addr_q)
  );

  always_comb begin
    row_d = row_q;
    if (take) begin
      row_d = 16'd0;
    end else if (issue) begin
      row_d = row_q + 16'd1;
    end
  end

  // ---------------------------------------------------------------- stage 2: align
  logic [31:0] p_addr_q, p_addr_d;  // DRAM address of the element being read
  logic [RowBits-1:0] row_data;
  logic [RowBits-1:0] lanes_data;
  logic [StreamBits-1:0] stream;
  logic [StreamBytes-1:0] strobes;
  logic [RowBytes-1:0] lanes_strb;
  logic [31:0] p_last;
  logic [Bw-1:0] p_beats;
  logic        fifo_push, fifo_pop, fifo_empty, fifo_full;
  logic [EntryW-1:0] fifo_wdata, fifo_rdata;

  always_comb begin
    p_valid_d = issue;
    p_addr_d = issue ? addr_q : p_addr_q;
  end

  // The read's flag and element address, ReadLatency - 1 cycles later (when its data arrive).
  qsa_delay #(
    .Width(33),
    .Depth(ReadLatency - 1),
    .Reset(1'b1)
  ) u_arrive (
    .clk_i,
    .rst_ni,
    .d_i({p_valid_q, p_addr_q}),
    .q_o({a_valid, a_addr})
  );
  assign a_extra = (ReadLatency == 2) && a_valid;

  // The stored lanes, from byte 0, bytes beyond nbytes cleared, shifted to the element's
  // position in its first beat; evaluated only when a row is read.
  always_comb begin
    row_data = '0;
    lanes_data = '0;
    lanes_strb = '0;
    stream = '0;
    strobes = '0;
    if (a_valid) begin
      row_data = cur_q.is_sp ? RowBits'(sp_rdata_i) : RowBits'(acc_rdata_i);
      lanes_data = row_data >> {cur_q.skip, 3'b000};
      for (int b = 0; b < RowBytes; b++) begin
        lanes_strb[b] = (32'(b) < cur_q.nbytes);
        if (!lanes_strb[b]) lanes_data[b*8+:8] = 8'd0;
      end
      stream = StreamBits'(lanes_data) << {a_addr[Lb-1:0], 3'b000};
      strobes = StreamBytes'(lanes_strb) << a_addr[Lb-1:0];
    end
  end
  assign p_last = (a_addr + cur_q.nbytes - 32'd1) >> Lb;
  assign p_beats = Bw'(p_last - (a_addr >> Lb) + 32'd1);
  assign fifo_push = a_valid;
  assign fifo_wdata = {a_addr[31:Lb], p_beats, strobes, stream};

  qsa_fifo #(
    .Width(EntryW),
    .Depth(RowDepth)
  ) u_rows (
    .clk_i,
    .rst_ni,
    .push_i (fifo_push),
    .data_i (fifo_wdata),
    .pop_i  (fifo_pop),
    .data_o (fifo_rdata),
    .empty_o(fifo_empty),
    .full_o (fifo_full),
    .count_o(fifo_count)
  );

  // ---------------------------------------------------------------- stage 3a: address issuer
  logic             afifo_pop, afifo_empty, afifo_full;
  logic [AddrW-1:0] afifo_rdata;
  logic [31-Lb:0]   ah_base;
  logic [Bw-1:0]    ah_beats;
  logic [Iw-1:0]    abeat_q, abeat_d;  // beats of the head row addressed so far
  logic [31:0]      seg_first, seg_beats;
  logic             aw_fire, b_fire;
  logic [Pw-1:0]    pending_q, pending_d;  // bursts addressed and not yet answered
  logic [Pw-1:0]    owed_q, owed_d;  // bursts addressed whose last W beat is not yet sent

  qsa_fifo #(
    .Width(AddrW),
    .Depth(RowDepth)
  ) u_addrs (
    .clk_i,
    .rst_ni,
    .push_i (fifo_push),
    .data_i (fifo_wdata[EntryW-1-:AddrW]),
    .pop_i  (afifo_pop),
    .data_o (afifo_rdata),
    .empty_o(afifo_empty),
    .full_o (afifo_full),
    .count_o(afifo_count)
  );

  assign {ah_base, ah_beats} = afifo_rdata;
  // The next burst of the head row: up to MaxBurst beats, not past the row's last beat nor the
  // end of the 4 KiB page.
  assign seg_first = {Lb'(0), ah_base} + 32'(abeat_q);
  assign seg_beats =
      qsa_pkg::BurstBeats(seg_first, 32'(ah_beats) - 32'(abeat_q), PageBeats, MaxBurst);

  // The payload depends only on the FIFO head and abeat_q, which change only with AWREADY.
  assign aw_valid_o = !afifo_empty && !fail_q && (pending_q < Pw'(MaxWrOutstanding));
  assign aw_addr_o = seg_first << Lb;
  assign aw_len_o = 8'(seg_beats - 32'd1);
  assign aw_fire = aw_valid_o && aw_ready_i;
  assign afifo_pop = aw_fire && (32'(abeat_q) + seg_beats == 32'(ah_beats));

  always_comb begin
    abeat_d = abeat_q;
    if (aw_fire) abeat_d = afifo_pop ? '0 : abeat_q + Iw'(seg_beats);
  end

  // ---------------------------------------------------------------- stage 3b: beat emitter
  logic [31-Lb:0]   h_base;
  logic [Bw-1:0]    h_beats;
  logic [StreamBytes-1:0] h_strobes;
  logic [StreamBits-1:0] h_stream;
  logic [Iw-1:0]    beat_q, beat_d;  // beat of the head row being sent
  logic [31:0]      wseg_q, wseg_d;  // beats of the current burst sent so far
  logic [31:0]      w_beat_idx;
  logic             wr_fire;

  assign {h_base, h_beats, h_strobes, h_stream} = fifo_rdata;

  // A beat waits for its burst's AW (owed_q counts addressed bursts not yet fully sent).
  assign w_valid_o = !fifo_empty && (owed_q != '0);
  assign w_pc_o = cur_q.pc;
  assign wr_fire = w_valid_o && w_ready_i;
  assign fifo_pop = wr_fire && (32'(beat_q) == 32'(h_beats) - 32'd1);
  // The same split as the address issuer's: a burst ends at the row's last beat, after MaxBurst
  // beats, or at the end of a 4 KiB page.
  assign w_beat_idx = {Lb'(0), h_base} + 32'(beat_q);
  assign w_last_o = (32'(beat_q) == 32'(h_beats) - 32'd1) || (wseg_q == 32'(MaxBurst) - 32'd1) ||
                    ((w_beat_idx & 32'(PageBeats - 1)) == 32'(PageBeats - 1));

  assign w_strb_o = h_strobes[32'(beat_q)*BusBytes+:BusBytes];
  assign w_data_o = h_stream[32'(beat_q)*BeatBits+:BeatBits];

  assign b_ready_o = 1'b1;
  assign b_fire = b_valid_i;
  assign fail_d = fail_q || (b_fire && b_resp_i != 2'b00);

  always_comb begin
    beat_d = beat_q;
    wseg_d = wseg_q;
    pending_d = pending_q;
    owed_d = owed_q;
    if (wr_fire) begin
      beat_d = fifo_pop ? '0 : beat_q + Iw'(1);
      wseg_d = w_last_o ? 32'd0 : wseg_q + 32'd1;
      if (w_last_o) owed_d = owed_d - Pw'(1);
    end
    if (aw_fire) begin
      pending_d = pending_d + Pw'(1);
      owed_d = owed_d + Pw'(1);
    end
    if (b_fire) pending_d = pending_d - Pw'(1);
  end

  assign done = cur_q.busy && !fail_q && !rd_q && !p_valid_q && !a_extra && fifo_empty &&
                afifo_empty && (pending_q == '0);

  always_comb begin
    rsp_o = '0;
    rsp_o.done = done;
    rsp_o.done_pc = cur_q.pc;
    rsp_o.idle = !cur_q.busy;
    rsp_o.err = fail_q;
    rsp_o.err_code = fail_q ? qsa_pkg::ERR_DRAM_RESP : qsa_pkg::ERR_NONE;
    rsp_o.err_pc = cur_q.pc;
  end

  always_comb begin
    ev_o = '0;
    ev_o.dram_wr = a_valid ? cur_q.nbytes : 32'd0;
    ev_o.dram_wr_beats = wr_fire ? 32'd1 : 32'd0;
    ev_o.sp_rd = (issue && cur_q.is_sp) ? 32'(SpRowBytes) : 32'd0;
    ev_o.acc_rd = (issue && !cur_q.is_sp) ? 32'(WordRowBytes) : 32'd0;
    ev_o.bank_stall = 32'(want && !rd_gnt_i);
  end

  // ---------------------------------------------------------------- registers
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cur_q <= '0;
      fail_q <= 1'b0;
      row_q <= 16'd0;
      p_valid_q <= 1'b0;
      p_addr_q <= 32'd0;
      beat_q <= '0;
      abeat_q <= '0;
      wseg_q <= 32'd0;
      pending_q <= '0;
      owed_q <= '0;
    end else begin
      cur_q <= cur_d;
      fail_q <= fail_d;
      row_q <= row_d;
      p_valid_q <= p_valid_d;
      p_addr_q <= p_addr_d;
      beat_q <= beat_d;
      abeat_q <= abeat_d;
      wseg_q <= wseg_d;
      pending_q <= pending_d;
      owed_q <= owed_d;
    end
  end

  logic unused_insn;
  assign unused_insn = ^{req_i.insn[127:120], req_i.insn[7:4], fifo_full, afifo_full, y_unused,
                         x_unused, last_unused};

`ifndef SYNTHESIS
  StoreOpcodeHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      take |-> (req_op == qsa_isa_pkg::OP_STORE_SP || req_op == qsa_isa_pkg::OP_STORE_ACC));
  StoreAckExpectedHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      b_valid_i |-> (pending_q != '0));
  // AXI4 master side of AW and W: VALID held until READY with a stable payload; bursts of
  // 1..MaxBurst beats inside their 4 KiB page; WLAST on the last beat of each burst (the W
  // beats of an addressed burst are all sent before the next burst's).
  StoreAwValidHeldHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (aw_valid_o && !aw_ready_i) |=> aw_valid_o);
  StoreAwStableHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (aw_valid_o && !aw_ready_i) |=> ($stable(aw_addr_o) && $stable(aw_len_o)));
  StoreAwBurstHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      aw_valid_o |-> (32'(aw_len_o) < 32'(MaxBurst) &&
                      32'(aw_addr_o[11:0]) + (32'(aw_len_o) + 32'd1) * 32'(BusBytes) <= 32'd4096));
  StoreWValidHeldHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (w_valid_o && !w_ready_i) |=> w_valid_o);
  StoreWStableHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (w_valid_o && !w_ready_i) |=> ($stable(w_data_o) && $stable(w_strb_o) && $stable(w_last_o)));
  StoreOwedHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      owed_q <= pending_q);
  StoreRowBeatsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      a_valid |-> (32'(p_beats) <= 32'(MaxBeats)));
  StoreOutputsKnownHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      !$isunknown({aw_valid_o, w_valid_o, w_last_o, sp_rd_o.en, acc_rd_o.en, done}));
`endif
endmodule

// Load unit: executes load.sp, load.acc and load.param (docs/isa.md "load.*"), several
// instructions overlapped: the request generator takes the next instruction the cycle after it
// has requested the last burst of the previous one, while that one's data still arrive; up to
// InsnSlots instructions are held between the generator and the write stage.
//
//   for y in [0, ny), x in [0, nx):
//     row = sram + y*nx + x
//     inside row: lanes*esize bytes from DRAM at
//                 dram + (y-pad_top)*stride_y + (x-pad_left)*stride_x (any alignment);
//                 lanes >= `lanes` hold fill
//     padding row: every lane holds fill (no DRAM read)
//   esize = 1 (load.sp, fill is the byte) or 4 (load.acc / load.param, fill is s8(fill) as int32)
//
// Three decoupled stages keep the DRAM busy within an instruction:
//   1. the request generator walks the grid and reads the BusBytes-aligned beats covering each
//      inside row with AXI4 INCR bursts on the AR channel (ID LoadId, full-width beats): one
//      burst per row, split where the row crosses a 4 KiB boundary or exceeds MaxBurst beats,
//      one burst per cycle, with up to MaxRdOutstanding beats in flight; for every row (inside or
//      padding) it pushes a descriptor {inside, byte offset, beat count, last} into a FIFO;
//   2. the collector takes the R beats (in request order: one ID) of the head descriptor's row
//      into a beat buffer; a padding row passes in one cycle without a response;
//   3. the cycle after a row's last beat, the write stage shifts the buffer's bytes into place,
//      applies the fill and drives the memory's write port (full row, all lanes). (The buffer
//      still holds the row then: the next row's first beat is written at the end of that cycle.)
//      The memory grants the write (wr_gnt_i) unless the compute unit writes the same bank in
//      that cycle; until then the write stage holds its row and the collector takes no beat.
// Rows are written in grid order, instruction after instruction; rsp_o.done pulses with the
// write of an instruction's last row, with its pc.
//
// Control has checked every field and bound before offering the word. The one error left is an
// R beat answered SLVERR or DECERR: from that beat on the unit writes no row (the row of that
// beat included), raises rsp_o.err (sticky, qsa_pkg::ERR_DRAM_RESP with the load's pc), stops
// requesting and takes the beats still in flight; it takes no further instruction.
module qsa_load #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned BusBytes = 16,
  // Read beats requested and not yet answered; also the depth of the row descriptor FIFO
  // (a power of two).
  parameter int unsigned MaxRdOutstanding = 256,
  // The longest AR burst, in beats (1..256; AXI4 INCR allows 256).
  parameter int unsigned MaxBurst = 16,
  // Instructions held at once, from the generator's to the write stage's (a power of two).
  parameter int unsigned InsnSlots = 4
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // Instruction interface (from control).
  input  logic                     req_valid_i,
  input  qsa_pkg::unit_req_t       req_i,
  output logic                     req_ready_o,
  output qsa_pkg::unit_rsp_t       rsp_o,
  // AXI4 read address and read data channels (ID, size and burst type are fixed: qsa_top).
  output logic                     ar_valid_o,
  input  logic                     ar_ready_i,
  output logic [31:0]              ar_addr_o,
  output logic [7:0]               ar_len_o,
  output logic [31:0]              ar_pc_o,  // the load's pc (for traces)
  input  logic                     r_valid_i,
  output logic                     r_ready_o,
  input  logic [BusBytes*8-1:0]    r_data_i,
  input  logic [1:0]               r_resp_i,
  input  logic                     r_last_i,
  // Whole-row writes, tagged with the load's pc: scratchpad write port 0, accumulator write
  // port 0 and parameter buffer write port 0 (the last two take the same words).
  output qsa_pkg::row_req_t        sp_wr_o,
  output qsa_pkg::row_req_t        acc_wr_o,
  output qsa_pkg::row_req_t        prm_wr_o,
  output logic [ArrayRows*8-1:0]   sp_wdata_o,
  output logic [ArrayCols*32-1:0]  word_wdata_o,
  output logic [31:0]              wtag_o,
  input  logic                     wr_gnt_i,  // the row write (sp_wr_o, acc_wr_o, prm_wr_o) done
  // Counter events (per cycle).
  output qsa_pkg::unit_ev_t        ev_o
);
  localparam int unsigned SpRowBytes = ArrayRows;
  localparam int unsigned WordRowBytes = 4 * ArrayCols;
  localparam int unsigned RowBytes = (SpRowBytes > WordRowBytes) ? SpRowBytes : WordRowBytes;
  localparam int unsigned RowBits = RowBytes * 8;
  localparam int unsigned BeatBits = BusBytes * 8;
  localparam int unsigned Lb = $clog2(BusBytes);
  // A row of up to RowBytes bytes starting at any byte offset spans at most MaxBeats beats.
  localparam int unsigned MaxBeats = (RowBytes + 2 * BusBytes - 2) / BusBytes;
  localparam int unsigned BufBits = MaxBeats * BeatBits;
  localparam int unsigned Bw = $clog2(MaxBeats + 1);
  localparam int unsigned Iw = (MaxBeats > 1) ? $clog2(MaxBeats) : 1;
  localparam int unsigned Ow = $clog2(MaxRdOutstanding + 1);
  localparam int unsigned PageBeats = 4096 / BusBytes;  // beats of a 4 KiB page
  localparam int unsigned Pw = $clog2(PageBeats);
  // Descriptor: {last, inside, offset, beats}.
  localparam int unsigned DescW = 2 + Lb + Bw;

  // The three load opcodes share one field layout.
  localparam int SramLsb = qsa_isa_pkg::LOAD_SP_SRAM_LSB;
  localparam int DramLsb = qsa_isa_pkg::LOAD_SP_DRAM_LSB;
  localparam int NyLsb = qsa_isa_pkg::LOAD_SP_NY_LSB;
  localparam int NxLsb = qsa_isa_pkg::LOAD_SP_NX_LSB;
  localparam int SyLsb = qsa_isa_pkg::LOAD_SP_STRIDE_Y_LSB;
  localparam int SyBits = qsa_isa_pkg::LOAD_SP_STRIDE_Y_BITS;
  localparam int SxLsb = qsa_isa_pkg::LOAD_SP_STRIDE_X_LSB;
  localparam int SxBits = qsa_isa_pkg::LOAD_SP_STRIDE_X_BITS;
  localparam int PtLsb = qsa_isa_pkg::LOAD_SP_PAD_TOP_LSB;
  localparam int PbLsb = qsa_isa_pkg::LOAD_SP_PAD_BOTTOM_LSB;
  localparam int PlLsb = qsa_isa_pkg::LOAD_SP_PAD_LEFT_LSB;
  localparam int PrLsb = qsa_isa_pkg::LOAD_SP_PAD_RIGHT_LSB;
  localparam int LanesLsb = qsa_isa_pkg::LOAD_SP_LANES_LSB;
  localparam int FillLsb = qsa_isa_pkg::LOAD_SP_FILL_LSB;

  // ---------------------------------------------------------------- instruction registers
  localparam int unsigned Sw = (InsnSlots > 1) ? $clog2(InsnSlots) : 1;
  // The instruction the generator walks, registered when it is taken.
  typedef struct packed {
    logic        busy;
    logic [31:0] pc;
    logic [7:0]  y_lo;  // inside rows: y_lo <= y < y_hi
    logic [7:0]  y_hi;
    logic [7:0]  x_lo;  // inside elements of a row: x_lo <= x < x_hi
    logic [7:0]  x_hi;
    logic [31:0] nb_span;  // lanes * esize + BusBytes - 1: a row's beats are (off + nb_span) >> Lb
  } cur_t;
  cur_t cur_q, cur_d;
  // What the collector and the write stage need of each instruction held, in a ring of slots
  // filled at take (g_ptr), read by the collector (c_ptr) and the write stage (w_slot), freed at
  // done.
  typedef struct packed {
    logic [3:0]  op;
    logic [31:0] pc;
    logic [15:0] sram;
    logic [7:0]  lanes;
    logic [7:0]  fill;
    logic [31:0] nbytes;
  } info_t;
  info_t [InsnSlots-1:0] info_q, info_d;
  logic [Sw-1:0] g_ptr_q, g_ptr_d, c_ptr_q, c_ptr_d;
  logic [Sw:0]   held_q, held_d;  // instructions taken and not done

  logic        take;
  logic [3:0]  req_op;
  logic        done;
  logic        gen_end;  // the generator's last step of its instruction

  assign req_op = req_i.insn[qsa_isa_pkg::HDR_OPCODE_LSB+:qsa_isa_pkg::HDR_OPCODE_BITS];
  logic        fail_q, fail_d;  // an error response arrived
  assign req_ready_o = !cur_q.busy && !fail_q && (32'(held_q) < 32'(InsnSlots));
  assign take = req_valid_i && req_ready_o;

  always_comb begin
    cur_d = cur_q;
    g_ptr_d = g_ptr_q;
    held_d = held_q;
    if (take) begin
      cur_d.busy = 1'b1;
      cur_d.pc = req_i.pc;
      cur_d.y_lo = 8'(req_i.insn[PtLsb+:2]);
      cur_d.y_hi = req_i.insn[NyLsb+:8] - 8'(req_i.insn[PbLsb+:2]);
      cur_d.x_lo = 8'(req_i.insn[PlLsb+:2]);
      cur_d.x_hi = req_i.insn[NxLsb+:8] - 8'(req_i.insn[PrLsb+:2]);
      cur_d.nb_span = ((req_op == qsa_isa_pkg::OP_LOAD_SP) ? 32'(req_i.insn[LanesLsb+:8])
                                                            : {22'd0, req_i.insn[LanesLsb+:8], 2'b00}) +
                      32'(BusBytes - 1);
      g_ptr_d = g_ptr_q + Sw'(1);
    end else if (gen_end) begin
      cur_d.busy = 1'b0;
    end
    held_d = held_q + ((Sw + 1)'(take)) - ((Sw + 1)'(done));
  end

  // The slot g_ptr takes the instruction's fields.
  info_t take_info;
  // Fields in info_t order: op, pc, sram, lanes, fill, nbytes.
  assign take_info = {req_op, req_i.pc, req_i.insn[SramLsb+:16], req_i.insn[LanesLsb+:8],
                      req_i.insn[FillLsb+:8],
                      (req_op == qsa_isa_pkg::OP_LOAD_SP) ? 32'(req_i.insn[LanesLsb+:8]) :
                                                            {22'd0, req_i.insn[LanesLsb+:8], 2'b00}};
  always_comb begin
    for (int i = 0; i < InsnSlots; i++) begin
      info_d[i] = (take && Sw'(i) == g_ptr_q) ? take_info : info_q[i];
    end
  end

  // ---------------------------------------------------------------- stage 1: request generator
  // The walk stays at the DRAM address of the next inside element across padding elements.
  logic        gen_q;  // rows left to walk
  logic [7:0]  y_q, x_q;
  logic [31:0] addr_q;  // DRAM address of the next inside element of row y
  logic [Iw-1:0] beat_q, beat_d;  // beats of the current element requested so far
  logic [Ow-1:0] out_q, out_d;  // beats requested and not yet answered
  logic [Ow-1:0] room_q, room_d;  // MaxRdOutstanding - out_q

  logic        y_in, x_in, elem_in, last_row;
  logic [Bw-1:0] nbeats, left, cap;
  logic [Pw-1:0] page_beat;
  logic [Pw:0]  page_left;
  logic        desc_push, desc_pop, desc_empty, desc_full;
  logic [DescW-1:0] desc_wdata, desc_rdata;
  logic [$clog2(MaxRdOutstanding+1)-1:0] desc_count_unused;
  logic        rd_fire, rsp_fire, advance;
  // The next burst: its first beat index and its length in beats.
  logic [31:0] seg_first, seg_beats;

  assign y_in = (y_q >= cur_q.y_lo) && (y_q < cur_q.y_hi);
  assign x_in = (x_q >= cur_q.x_lo) && (x_q < cur_q.x_hi);
  assign elem_in = y_in && x_in;
  // The row's beats, ((addr + nbytes - 1) >> Lb) - (addr >> Lb) + 1: only the address's offset
  // in its beat matters (lanes >= 1, control's check).
  assign nbeats = Bw'((32'(addr_q[Lb-1:0]) + cur_q.nb_span) >> Lb);

  // The next burst of the row: up to MaxBurst beats, not past the row's last beat nor the end
  // of the 4 KiB page (qsa_pkg::BurstBeats, written on the few bits each term needs: the beats
  // left in the row (beat_q < nbeats while the row is requested) and the beat's place in its
  // page).
  assign seg_first = (addr_q >> Lb) + 32'(beat_q);
  assign left = nbeats - Bw'(beat_q);
  assign cap = (32'(left) > 32'(MaxBurst)) ? Bw'(MaxBurst) : left;
  assign page_beat = addr_q[Lb+:Pw] + Pw'(beat_q);  // seg_first's beat in its page
  assign page_left = (Pw + 1)'(PageBeats) - {1'b0, page_beat};
  assign seg_beats = (32'(page_left) < 32'(cap)) ? 32'(page_left) : 32'(cap);

  // A padding row needs only descriptor room; an inside row's first burst also pushes its
  // descriptor. Both conditions only become true while waiting, and the payload depends only on
  // the walk, so ARVALID and the address stay stable until ARREADY.
  assign ar_valid_o = gen_q && elem_in && !fail_q &&
                      (seg_beats <= 32'(room_q)) &&
                      ((beat_q != '0) || !desc_full);
  assign ar_addr_o = seg_first << Lb;
  assign ar_len_o = 8'(seg_beats - 32'd1);
  assign ar_pc_o = cur_q.pc;
  assign rd_fire = ar_valid_o && ar_ready_i;
  assign rsp_fire = r_valid_i && r_ready_o;

  assign desc_push = gen_q && !fail_q && !desc_full &&
                     (elem_in ? (rd_fire && beat_q == '0) : 1'b1);
  assign desc_wdata = {last_row, elem_in, Lb'(addr_q), nbeats};
  assign advance = gen_q && !fail_q &&
                   (elem_in ? (rd_fire && seg_beats == 32'(left)) : !desc_full);
  assign gen_end = advance && last_row;

  qsa_dma_walk u_walk (
    .clk_i,
    .rst_ni,
    .start_i   (take),
    .dram_i    (req_i.insn[DramLsb+:32]),
    .ny_i      (req_i.insn[NyLsb+:8]),
    .nx_i      (req_i.insn[NxLsb+:8]),
    .stride_y_i(32'(req_i.insn[SyLsb+:SyBits])),
    .stride_x_i(32'(req_i.insn[SxLsb+:SxBits])),
    .step_i    (advance),
    .x_add_i   (elem_in),
    .y_add_i   (y_in),
    .active_o  (gen_q),
    .y_o       (y_q),
    .x_o       (x_q),
    .last_o    (last_row),
    .addr_o    (addr_q)
  );

  always_comb begin
    beat_d = beat_q;
    out_d = out_q;
    room_d = room_q;
    if (rd_fire) begin
      out_d = out_d + Ow'(seg_beats);
      room_d = room_d - Ow'(seg_beats);
    end
    if (rsp_fire) begin
      out_d = out_d - Ow'(1);
      room_d = room_d + Ow'(1);
    end
    if (take) begin
      beat_d = '0;
    end else begin
      if (rd_fire) beat_d = beat_q + Iw'(seg_beats);
      if (advance) beat_d = '0;
    end
  end

  qsa_fifo #(
    .Width(DescW),
    .Depth(MaxRdOutstanding)
  ) u_desc (
    .clk_i,
    .rst_ni,
    .push_i (desc_push),
    .data_i (desc_wdata),
    .pop_i  (desc_pop),
    .data_o (desc_rdata),
    .empty_o(desc_empty),
    .full_o (desc_full),
    .count_o(desc_count_unused)
  );

  // ---------------------------------------------------------------- stage 2: collector
  logic              head_last, head_inside;
  logic [Lb-1:0]     head_off;
  logic [Bw-1:0]     head_beats;
  logic [Iw-1:0]     got_q, got_d;  // beats of the head row received so far
  logic [BufBits-1:0] buf_q;  // beat b at [b*BeatBits +: BeatBits]
  logic [15:0]       row_q, row_d;  // rows passed to the write stage
  logic              row_done;
  logic              w_stall;  // the write stage's row waits for its bank (stage 3)
  logic [RowBits-1:0] shifted;
  logic [RowBits-1:0] filled;
  info_t             c_info;  // the collector's instruction
  logic [Sw-1:0]     w_slot_q, w_slot_d;  // the write stage's instruction
  info_t             w_info;
  logic [31:0]       err_pc_q, err_pc_d;
  logic              is_sp;

  assign {head_last, head_inside, head_off, head_beats} = desc_rdata;
  // After an error response the collector only drains the beats in flight.
  logic              bad_beat;
  assign bad_beat = rsp_fire && (r_resp_i != 2'b00);
  assign r_ready_o = fail_q ? (out_q != '0) : (!desc_empty && head_inside && !w_stall);
  assign row_done = !fail_q && !bad_beat && !desc_empty && !w_stall &&
                    (head_inside ? (rsp_fire && 32'(got_q) == 32'(head_beats) - 32'd1) : 1'b1);
  assign fail_d = fail_q || bad_beat;
  assign desc_pop = row_done;
  always_comb begin
    c_info = '0;
    w_info = '0;
    for (int i = 0; i < InsnSlots; i++) begin
      if (Sw'(i) == c_ptr_q) c_info = info_q[i];
      if (Sw'(i) == w_slot_q) w_info = info_q[i];
    end
  end
  assign is_sp = (w_info.op == qsa_isa_pkg::OP_LOAD_SP);

  always_comb begin
    got_d = got_q;
    row_d = row_q;
    c_ptr_d = c_ptr_q;
    err_pc_d = err_pc_q;
    if (rsp_fire) got_d = got_q + Iw'(1);
    if (row_done) begin
      got_d = '0;
      row_d = head_last ? 16'd0 : row_q + 16'd1;
      if (head_last) c_ptr_d = c_ptr_q + Sw'(1);
    end
    if (bad_beat && !fail_q) err_pc_d = c_info.pc;
  end


  // ---------------------------------------------------------------- stage 3: write register
  logic               w_valid_q, w_valid_d;
  logic               w_last_q, w_last_d;
  logic               w_inside_q, w_inside_d;
  logic [15:0]        w_addr_q, w_addr_d;
  logic [Lb-1:0]      w_off_q, w_off_d;

  always_comb begin
    w_valid_d = row_done || w_stall;
    w_last_d = w_last_q;
    w_inside_d = w_inside_q;
    w_addr_d = w_addr_q;
    w_off_d = w_off_q;
    w_slot_d = w_slot_q;
    if (row_done) begin
      w_slot_d = c_ptr_q;
      w_last_d = head_last;
      w_inside_d = head_inside;
      w_addr_d = c_info.sram + row_q;
      w_off_d = head_off;
    end
  end

  // The row's bytes (beats 0.. of the buffer from byte w_off), lanes beyond `lanes` filled;
  // evaluated only in a write cycle.
  always_comb begin
    shifted = '0;
    filled = '0;
    if (w_valid_q) begin
      shifted = RowBits'(buf_q >> {w_off_q, 3'b000});
      for (int l = 0; l < RowBytes; l++) begin
        if (is_sp) begin
          filled[l*8+:8] = (w_inside_q && 8'(l) < w_info.lanes && l < SpRowBytes) ?
                           shifted[l*8+:8] : w_info.fill;
        end else begin
          // Word lane l/4, byte l%4.
          filled[l*8+:8] = (w_inside_q && 8'(l / 4) < w_info.lanes) ? shifted[l*8+:8] :
                           ((l % 4 == 0) ? w_info.fill : {8{w_info.fill[7]}});
        end
      end
    end
  end

  assign w_stall = w_valid_q && !wr_gnt_i;
  assign done = w_valid_q && w_last_q && !w_stall;

  assign sp_wr_o.en = w_valid_q && (w_info.op == qsa_isa_pkg::OP_LOAD_SP);
  assign sp_wr_o.addr = w_addr_q;
  assign acc_wr_o.en = w_valid_q && (w_info.op == qsa_isa_pkg::OP_LOAD_ACC);
  assign acc_wr_o.addr = w_addr_q;
  assign prm_wr_o.en = w_valid_q && (w_info.op == qsa_isa_pkg::OP_LOAD_PARAM);
  assign prm_wr_o.addr = w_addr_q;
  assign sp_wdata_o = filled[ArrayRows*8-1:0];
  assign word_wdata_o = filled[ArrayCols*32-1:0];
  assign wtag_o = w_info.pc;

  always_comb begin
    rsp_o = '0;
    rsp_o.done = done;
    rsp_o.done_pc = w_info.pc;
    rsp_o.idle = (held_q == '0);
    rsp_o.err = fail_q;
    rsp_o.err_code = fail_q ? qsa_pkg::ERR_DRAM_RESP : qsa_pkg::ERR_NONE;
    rsp_o.err_pc = err_pc_q;
  end

  always_comb begin
    ev_o = '0;
    ev_o.dram_rd = (w_valid_q && !w_stall && w_inside_q) ? w_info.nbytes : 32'd0;
    ev_o.dram_rd_beats = rd_fire ? seg_beats : 32'd0;
    ev_o.sp_wr = (sp_wr_o.en && !w_stall) ? 32'(SpRowBytes) : 32'd0;
    ev_o.acc_wr = (acc_wr_o.en && !w_stall) ? 32'(WordRowBytes) : 32'd0;
    ev_o.param_wr = (prm_wr_o.en && !w_stall) ? 32'(WordRowBytes) : 32'd0;
    ev_o.bank_stall = 32'(w_stall);
  end

  // ---------------------------------------------------------------- registers
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cur_q <= '0;
      info_q <= '0;
      g_ptr_q <= '0;
      c_ptr_q <= '0;
      held_q <= '0;
      w_slot_q <= '0;
      err_pc_q <= 32'd0;
      fail_q <= 1'b0;
      beat_q <= '0;
      out_q <= '0;
      room_q <= Ow'(MaxRdOutstanding);
      got_q <= '0;
      row_q <= 16'd0;
      w_valid_q <= 1'b0;
      w_last_q <= 1'b0;
      w_inside_q <= 1'b0;
      w_addr_q <= 16'd0;
      w_off_q <= '0;
    end else begin
      cur_q <= cur_d;
      info_q <= info_d;
      g_ptr_q <= g_ptr_d;
      c_ptr_q <= c_ptr_d;
      held_q <= held_d;
      w_slot_q <= w_slot_d;
      err_pc_q <= err_pc_d;
      fail_q <= fail_d;
      beat_q <= beat_d;
      out_q <= out_d;
      room_q <= room_d;
      got_q <= got_d;
      row_q <= row_d;
      w_valid_q <= w_valid_d;
      w_last_q <= w_last_d;
      w_inside_q <= w_inside_d;
      w_addr_q <= w_addr_d;
      w_off_q <= w_off_d;
    end
  end

  // The beat buffer holds data only (no reset needed); a beat is written only when it arrives.
  always_ff @(posedge clk_i) begin
    if (rsp_fire && !fail_q) buf_q[32'(got_q)*BeatBits+:BeatBits] <= r_data_i;
  end

  logic unused_insn;
  // Bursts are counted in beats (RLAST unused); each stage reads only its fields of a slot.
  assign unused_insn = ^{req_i.insn[7:4], r_last_i, c_info.op, c_info.lanes, c_info.fill,
                         c_info.nbytes, w_info.sram};

`ifndef SYNTHESIS
  LoadOpcodeHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      take |-> (req_op == qsa_isa_pkg::OP_LOAD_SP || req_op == qsa_isa_pkg::OP_LOAD_ACC ||
                req_op == qsa_isa_pkg::OP_LOAD_PARAM));
  LoadRoomHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      32'(room_q) + 32'(out_q) == 32'(MaxRdOutstanding));
  LoadRowBeatLeftHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (gen_q && elem_in) |-> (32'(beat_q) < 32'(nbeats)));
  LoadRspExpectedHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      rsp_fire |-> (out_q != '0));
  LoadRowBeatsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (gen_q && elem_in) |-> (32'(nbeats) <= 32'(MaxBeats)));
  // AXI4 master side of AR: VALID held until READY with a stable payload; bursts of 1..MaxBurst
  // beats that stay inside their 4 KiB page.
  LoadArValidHeldHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (ar_valid_o && !ar_ready_i) |=> ar_valid_o);
  LoadArStableHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (ar_valid_o && !ar_ready_i) |=> ($stable(ar_addr_o) && $stable(ar_len_o)));
  LoadArBurstHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      ar_valid_o |-> (32'(ar_len_o) < 32'(MaxBurst) &&
                      32'(ar_addr_o[11:0]) + (32'(ar_len_o) + 32'd1) * 32'(BusBytes) <= 32'd4096));
  // RLAST ends each row's burst: the beats of the head row arrive in request order.
  LoadOutputsKnownHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      !$isunknown({ar_valid_o, r_ready_o, sp_wr_o.en, acc_wr_o.en, prm_wr_o.en, done}));
`endif
endmodule

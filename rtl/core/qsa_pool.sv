// Vector unit, pooling (`pool` of docs/isa.md): max or average over a window of scratchpad rows.
//
// Schedule, all checks before the first write:
//   1. Geometry pass, one cycle per output row/column (max(out_h, out_w) cycles): every window
//      must hold a tap (else ERR_ILLEGAL_FIELD); the highest input row and column read.
//   2. Descriptor words 0 and 1 (parameter row `param`, ERR_PARAM_BOUNDS when beyond the
//      buffer), then the table's words 2 + 2 * entries (ERR_PARAM_BOUNDS) and the input rows read,
//      src + iy_hi * in_w + ix_hi < SpRows (ERR_SP_BOUNDS).
//   3. Average pooling: the requantizer entry of every output pixel is read and its shifts checked
//      (ERR_DESCRIPTOR), one pixel per cycle (one read in all with count_include_pad).
//   4. Main pass: one tap row read per cycle (port A), taps of a pixel back to back, pixels back
//      to back; a tap's input row and column are registered in the cycle it is issued and its
//      read goes out the cycle after; a pixel's sum / maximum is complete the cycle after its last tap arrives. A maximum
//      is written then; a sum goes through ROWS lanes of the shared requantizer (rq_*,
//      qsa_compute) and is written L = qsa_pkg::RQ_LATENCY cycles later (its requantizer entry is
//      read alongside its first tap).
// The windows of the current output row and column are registered and kept incrementally (per
// axis a state stepped by the stride; no multiply or divide by the dilation in a cycle), and the
// sequencing only selects which candidate window is registered, so the window arithmetic, the
// tap sequencing and the read address are three register stages, none behind a unit start.
// Requires COLS >= 2 (a table entry's two words share a parameter row).
//
// With ReadLatency 2 every read's data arrives one cycle later: the arrival flags (prm_a_v, chk_a_*,
// s1_a_*) are the read's flags registered once more, and every step after an arrival (the entry
// checks, a tap's accumulation, the pixel's output) moves one cycle later; taps are still read
// one per cycle.
module qsa_pool #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned SpRows = 16384,
  parameter int unsigned ParamRows = 256,
  parameter int unsigned RqLanes = 48,
  parameter int unsigned ReadLatency = 1  // cycles from a memory read to its data: 1 or 2
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        start_i,
  input  logic [127:0]                insn_i,
  output qsa_pkg::sub_status_t        status_o,
  output qsa_pkg::cu_mem_req_t        mem_o,
  output logic [ArrayRows*8-1:0]      sp_wdata_o,
  output logic [ArrayRows-1:0]        sp_wmask_o,
  input  logic [ArrayRows*8-1:0]      spa_rdata_i,
  input  logic [ArrayCols*32-1:0]     prm_rdata_i,
  // The shared requantizer: lane inputs (0 when not valid) and results
  output logic [RqLanes-1:0]          rq_v_o,
  output logic [RqLanes*32-1:0]       rq_x_o,
  output logic [RqLanes*32-1:0]       rq_m_o,
  output logic [RqLanes*10-1:0]       rq_sh_o,  // {rsh, lsh}, 5 bits each
  output logic                        rq_single_o,
  input  logic [RqLanes*32-1:0]       rq_y_i,
  output qsa_pkg::unit_ev_t           ev_o
);  localparam int unsigned ColsLog2 = $clog2(ArrayCols);
  localparam int unsigned LaneW = (ArrayCols > 1) ? ColsLog2 : 1;

  typedef enum logic [2:0] {
    StIdle,
    StGeo,
    StDesc,
    StBounds,
    StEntries,
    StRun
  } state_e;

  logic busy;  // from the cycle after start until the done or err pulse

  // ---- Instruction fields ----
  logic [127:0] insn_q, insn_d;
  logic [15:0] f_src, f_dst, f_param;
  logic [7:0] f_in_h, f_in_w, f_out_h, f_out_w, f_kh, f_kw;
  logic [3:0] f_stride_h, f_stride_w;
  logic [1:0] f_dil_h, f_dil_w;
  logic f_max, f_single;
  assign f_src = insn_q[qsa_isa_pkg::POOL_SRC_LSB+:qsa_isa_pkg::POOL_SRC_BITS];
  assign f_dst = insn_q[qsa_isa_pkg::POOL_DST_LSB+:qsa_isa_pkg::POOL_DST_BITS];
  assign f_in_h = insn_q[qsa_isa_pkg::POOL_IN_H_LSB+:qsa_isa_pkg::POOL_IN_H_BITS];
  assign f_in_w = insn_q[qsa_isa_pkg::POOL_IN_W_LSB+:qsa_isa_pkg::POOL_IN_W_BITS];
  assign f_out_h = insn_q[qsa_isa_pkg::POOL_OUT_H_LSB+:qsa_isa_pkg::POOL_OUT_H_BITS];
  assign f_out_w = insn_q[qsa_isa_pkg::POOL_OUT_W_LSB+:qsa_isa_pkg::POOL_OUT_W_BITS];
  assign f_kh = insn_q[qsa_isa_pkg::POOL_KH_LSB+:qsa_isa_pkg::POOL_KH_BITS];
  assign f_kw = insn_q[qsa_isa_pkg::POOL_KW_LSB+:qsa_isa_pkg::POOL_KW_BITS];
  assign f_stride_h = insn_q[qsa_isa_pkg::POOL_STRIDE_H_LSB+:qsa_isa_pkg::POOL_STRIDE_H_BITS];
  assign f_stride_w = insn_q[qsa_isa_pkg::POOL_STRIDE_W_LSB+:qsa_isa_pkg::POOL_STRIDE_W_BITS];
  assign f_dil_h = insn_q[qsa_isa_pkg::POOL_DIL_H_LSB+:qsa_isa_pkg::POOL_DIL_H_BITS];
  assign f_dil_w = insn_q[qsa_isa_pkg::POOL_DIL_W_LSB+:qsa_isa_pkg::POOL_DIL_W_BITS];
  assign f_max = insn_q[qsa_isa_pkg::POOL_MAX_LSB];
  assign f_param = insn_q[qsa_isa_pkg::POOL_PARAM_LSB+:qsa_isa_pkg::POOL_PARAM_BITS];
  assign f_single = insn_q[qsa_isa_pkg::POOL_SINGLE_ROUNDING_LSB];

  // ---- Window of one output index along one axis ----
  // Taps k in [lo, hi) of output o: positions base + k * d inside [0, in), base = o * s - pad.
  // The window is kept incrementally: per axis the state (base, q, r) of the current output index,
  // q = floor(X / d) and r = X mod d of X = in - base + d - 1 (so hi = min(kernel, q) when q > 0,
  // else 0), stepped by s = sq * d + sr when the index moves on, and the state of index 0 formed
  // at take time. No multiply or divide by the dilation is left in the per-cycle path.
  // An axis state: {base, q, r} (14, 14 and 2 bits; base and q signed).
  localparam int unsigned AxisW = 30;

  typedef enum logic [1:0] {
    WinHold,
    WinFirst,
    WinNext
  } win_sel_e;
  win_sel_e y_sel, x_sel;  // how the windows move this cycle

  // floor(x / d), x mod d for d in {1, 2, 3} (a remainder chain for 3).
  function automatic logic [10:0] div_dil(logic [8:0] x, logic [1:0] d);
    logic [1:0] rem;
    logic [2:0] t;
    logic [8:0] q3;
    rem = 2'd0;
    q3 = '0;
    for (int i = 8; i >= 0; i--) begin
      t = {rem, x[i]};
      q3[i] = (t >= 3'd3);
      rem = q3[i] ? 2'(t - 3'd3) : 2'(t);
    end
    unique case (d)
      2'd2: div_dil = {1'b0, x[8:1], 1'b0, x[0]};
      2'd3: div_dil = {q3, rem};
      default: div_dil = {x, 2'd0};
    endcase
  endfunction

  // The state of output index 0: base = -pad, X = in + pad + d - 1 (< 512).
  function automatic logic [AxisW-1:0] axis_first(logic [3:0] pad, logic [1:0] d, logic [7:0] in);
    logic [10:0] qr;
    logic [13:0] base, q;
    qr = div_dil(9'(in) + 9'(pad) + 9'(d) - 9'd1, d);
    base = 14'd0 - {10'd0, pad};
    q = {5'd0, qr[10:2]};
    axis_first = {base, q, qr[1:0]};
  endfunction

  // The state of the next output index: base + s, X - s (sq = s / d, sr = s mod d).
  function automatic logic [AxisW-1:0] axis_step(logic [AxisW-1:0] a, logic [3:0] s,
                                                 logic [3:0] sq, logic [1:0] sr, logic [1:0] d);
    logic borrow;
    logic [13:0] base, q;
    logic [1:0] r;
    base = a[29:16];
    q = a[15:2];
    r = a[1:0];
    borrow = r < sr;
    base = base + {10'd0, s};
    q = q - {10'd0, sq} - {13'd0, borrow};
    r = borrow ? r + d - sr : r - sr;
    axis_step = {base, q, r};
  endfunction

  /* verilator lint_off UNUSEDSIGNAL */  // the window needs no remainder
  // The window registered for an output index: {base[7:0], hi, max(hi, lo), lo}; the last
  // position read is base + (hi - 1) * d (meaningful when hi > lo).
  function automatic logic [31:0] axis_win(logic [AxisW-1:0] a, logic [1:0] d,
                                           logic [7:0] kernel);
    logic signed [13:0] base, q;
    logic [3:0] nb;
    logic [10:0] lo_qr;
    logic [7:0] lo, hi;
    base = a[29:16];
    q = a[15:2];
    nb = 4'(-base);  // -base <= pad < 16 when base < 0
    lo_qr = div_dil(9'(nb) + 9'(d) - 9'd1, d);
    lo = (base < 0) ? lo_qr[9:2] : 8'd0;
    if (q <= 0) begin
      hi = 8'd0;
    end else begin
      hi = (q > 14'(kernel)) ? kernel : 8'(q);
    end
    axis_win = {base[7:0], hi, (hi > lo) ? hi : lo, lo};
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  // ---- State ----
  state_e state_q, state_d;
  assign busy = (state_q != StIdle);
  logic [7:0] oy_q, oy_d, ox_q, ox_d, ky_q, ky_d, kx_q, kx_d;
  logic [15:0] next_pix;  // {oy, ox} of the output pixel after (oy_q, ox_q)
  logic row_end;
  assign row_end = (ox_q == f_out_w - 8'd1);
  assign next_pix = row_end ? {oy_q + 8'd1, 8'd0} : {oy_q, ox_q + 8'd1};

  logic pix_start_q, pix_start_d, issuing_q, issuing_d;
  logic [15:0] o_q, o_d;  // output pixel index of the taps being issued
  logic tapless_q, tapless_d;
  logic [7:0] iy_hi_q, iy_hi_d, ix_hi_q, ix_hi_d;
  logic prm_v_q, prm_v_d;
  logic [31:0] w0_q, w0_d, w1_q, w1_d;
  logic chk_v_q, chk_v_d, chk_last_q, chk_last_d;
  logic [LaneW-1:0] chk_lane_q, chk_lane_d, s1_lane_q, s1_lane_d;
  logic s1_v_q, s1_v_d, s1_first_q, s1_first_d, s1_last_q, s1_last_d;
  logic [15:0] s1_o_q, s1_o_d;
  // Read data arriving: the flags of the read, ReadLatency - 1 cycles later.
  logic prm_a_v, chk_a_v, chk_a_last, s1_a_v, s1_a_first, s1_a_last;
  logic [LaneW-1:0] chk_a_lane, s1_a_lane;
  logic [15:0] s1_a_o;
  logic s2_v_q, s2_v_d;
  logic [15:0] s2_o_q, s2_o_d;
  // The read stage of a tap: its input row and column, registered in the cycle it is issued.
  logic rd_v_q, rd_v_d, rd_first_q, rd_first_d, rd_last_q, rd_last_d;
  logic [13:0] rd_iy_q, rd_iy_d, rd_ix_q, rd_ix_d;
  logic [15:0] rd_o_q, rd_o_d, rd_entry_row_q, rd_entry_row_d;
  logic [LaneW-1:0] rd_lane_q, rd_lane_d;
  logic [ArrayRows*32-1:0] acc_q, acc_d;
  logic [ArrayRows*9-1:0] best_q, best_d;
  logic [31:0] sc_m_q, sc_m_d;
  logic [9:0] sc_sh_q, sc_sh_d;  // {rsh, lsh} of the pixel's entry, 5 bits each (checked <= 31)

  // Windows of the current output row oy_q and column ox_q, registered, with their axis states:
  // each is the window of index 0 (formed from the state taken with the instruction), the next
  // index's (from the current state) or the current one, as the sequencing below moves oy and ox
  // (y_sel, x_sel). Valid (win_v_q) from the second busy cycle on.
  logic [AxisW-1:0] ay_q, ax_q, ay0_q, ax0_q, ay_next, ax_next;
  logic [31:0] wy_first, wx_first, wy_next, wx_next;  // the candidate windows
  logic signed [13:0] base_y, base_x;  // base of the current output row and column
  assign base_y = ay_q[29:16];
  assign base_x = ax_q[29:16];
  // Taken with the instruction: index 0's states and s / d, s mod d per axis.
  logic [AxisW-1:0] ay_take, ax_take;
  /* verilator lint_off UNUSEDSIGNAL */  // s / d < 16
  logic [10:0] sy_qr, sx_qr;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [5:0] sy_take, sx_take;
  assign ay_take = axis_first(insn_i[qsa_isa_pkg::POOL_PAD_TOP_LSB+:qsa_isa_pkg::POOL_PAD_TOP_BITS],
                              insn_i[qsa_isa_pkg::POOL_DIL_H_LSB+:qsa_isa_pkg::POOL_DIL_H_BITS],
                              insn_i[qsa_isa_pkg::POOL_IN_H_LSB+:qsa_isa_pkg::POOL_IN_H_BITS]);
  assign ax_take = axis_first(insn_i[qsa_isa_pkg::POOL_PAD_LEFT_LSB+:qsa_isa_pkg::POOL_PAD_LEFT_BITS],
                              insn_i[qsa_isa_pkg::POOL_DIL_W_LSB+:qsa_isa_pkg::POOL_DIL_W_BITS],
                              insn_i[qsa_isa_pkg::POOL_IN_W_LSB+:qsa_isa_pkg::POOL_IN_W_BITS]);
  assign sy_qr = div_dil(9'(insn_i[qsa_isa_pkg::POOL_STRIDE_H_LSB+:qsa_isa_pkg::POOL_STRIDE_H_BITS]),
                         insn_i[qsa_isa_pkg::POOL_DIL_H_LSB+:qsa_isa_pkg::POOL_DIL_H_BITS]);
  assign sx_qr = div_dil(9'(insn_i[qsa_isa_pkg::POOL_STRIDE_W_LSB+:qsa_isa_pkg::POOL_STRIDE_W_BITS]),
                         insn_i[qsa_isa_pkg::POOL_DIL_W_LSB+:qsa_isa_pkg::POOL_DIL_W_BITS]);
  assign sy_take = {sy_qr[5:2], sy_qr[1:0]};
  assign sx_take = {sx_qr[5:2], sx_qr[1:0]};
  assign wy_first = axis_win(ay0_q, f_dil_h, f_kh);
  assign wx_first = axis_win(ax0_q, f_dil_w, f_kw);
  assign wy_next = axis_win(ay_next, f_dil_h, f_kh);
  assign wx_next = axis_win(ax_next, f_dil_w, f_kw);
  logic [3:0] sqy_q, sqx_q;  // s / d per axis
  logic [1:0] sry_q, srx_q;  // s mod d per axis
  logic [31:0] ty, tx;
  logic win_v_q;
  logic [7:0] lo_y, hi_y, lo_x, hi_x, th, tw;
  assign ay_next = axis_step(ay_q, f_stride_h, sqy_q, sry_q, f_dil_h);
  assign ax_next = axis_step(ax_q, f_stride_w, sqx_q, srx_q, f_dil_w);
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ty <= '0;
      tx <= '0;
      ay_q <= '0;
      ax_q <= '0;
      ay0_q <= '0;
      ax0_q <= '0;
      sqy_q <= '0;
      sqx_q <= '0;
      sry_q <= '0;
      srx_q <= '0;
      win_v_q <= 1'b0;
    end else begin
      if (!busy && start_i) begin
        // Per-instruction constants, from the instruction being taken.
        ay0_q <= ay_take;
        ax0_q <= ax_take;
        {sqy_q, sry_q} <= sy_take;
        {sqx_q, srx_q} <= sx_take;
      end
      unique case (y_sel)
        WinFirst: begin
          ay_q <= ay0_q;
          ty <= wy_first;
        end
        WinNext: begin
          ay_q <= ay_next;
          ty <= wy_next;
        end
        default: ;
      endcase
      unique case (x_sel)
        WinFirst: begin
          ax_q <= ax0_q;
          tx <= wx_first;
        end
        WinNext: begin
          ax_q <= ax_next;
          tx <= wx_next;
        end
        default: ;
      endcase
      win_v_q <= busy;
    end
  end
  assign lo_y = ty[7:0];
  assign hi_y = ty[15:8];  // max(hi, lo)
  assign lo_x = tx[7:0];
  assign hi_x = tx[15:8];
  assign th = hi_y - lo_y;
  assign tw = hi_x - lo_x;
  // The last input row and column of the window (when it holds a tap): base + (hi - 1) * d.
  logic [7:0] pos_hi_y, pos_hi_x;
  assign pos_hi_y = ty[31:24] + 8'(ty[23:16] * 8'(f_dil_h)) - 8'(f_dil_h);
  assign pos_hi_x = tx[31:24] + 8'(tx[23:16] * 8'(f_dil_w)) - 8'(f_dil_w);

  // Descriptor.
  logic is_signed, cip;
  logic signed [8:0] zx, zy, qmin, qmax;
  assign is_signed = w1_q[0];
  assign cip = w1_q[1];
  assign zx = is_signed ? 9'($signed(w0_q[7:0])) : {1'b0, w0_q[7:0]};
  assign zy = is_signed ? 9'($signed(w0_q[15:8])) : {1'b0, w0_q[15:8]};
  assign qmin = is_signed ? 9'($signed(w0_q[23:16])) : {1'b0, w0_q[23:16]};
  assign qmax = is_signed ? 9'($signed(w0_q[31:24])) : {1'b0, w0_q[31:24]};

  logic [31:0] entries, entry, entry_word, table_end;
  assign entries = f_max ? 32'd0 : (cip ? 32'd1 : 32'(f_kh) * 32'(f_kw));
  assign entry = cip ? 32'd0 : 32'(8'(f_kh - th)) * 32'(f_kw) + 32'(8'(f_kw - tw));
  assign entry_word = 32'(f_param) * 32'(ArrayCols) + 32'd2 + 2 * entry;
  assign table_end = 32'(f_param) * 32'(ArrayCols) + 32'd2 + 2 * entries;

  qsa_delay #(
    .Width(6 + 2 * LaneW + 16),
    .Depth(ReadLatency - 1),
    .Reset(1'b1)
  ) u_arrive (
    .clk_i,
    .rst_ni,
    .d_i({prm_v_q, chk_v_q, chk_last_q, chk_lane_q, s1_v_q, s1_first_q, s1_last_q, s1_lane_q,
          s1_o_q}),
    .q_o({prm_a_v, chk_a_v, chk_a_last, chk_a_lane, s1_a_v, s1_a_first, s1_a_last, s1_a_lane,
          s1_a_o})
  );

  // Shift legality of the parameter word pair arriving at lane chk_a_lane.
  logic entry_legal;
  logic [15:0] chk_sh;
  assign chk_sh = prm_rdata_i[(32'(chk_a_lane)+32'd1)*32+:16];
  assign entry_legal = qsa_pkg::RqShiftsLegal(chk_sh[7:0], chk_sh[15:8], f_single);

  // ---- Per-lane accumulation and output ----
  logic [ArrayRows*32-1:0] acc_next;
  logic [ArrayRows*9-1:0] best_next;
  logic [ArrayRows*8-1:0] res;
  // The lanes work only when a tap row arrives (s1) or an output row is written (s2).
  logic en_tap, en_out;
  assign en_tap = busy && s1_a_v;
  assign en_out = busy && s2_v_q;
  // The output's zero point and clamp.
  function automatic logic [7:0] ZeroPointClamp(input logic signed [31:0] rq,
                                                input logic signed [8:0] z,
                                                input logic signed [8:0] lo,
                                                input logic signed [8:0] hi);
    logic signed [32:0] y, y_lo;
    y = 33'(rq) + 33'(z);
    y_lo = (y < 33'(lo)) ? 33'(lo) : y;
    ZeroPointClamp = (y_lo > 33'(hi)) ? hi[7:0] : y_lo[7:0];
  endfunction

  // Average pooling: the sums of a pixel enter the shared requantizer in its s2 cycle and come
  // back Lat cycles later (rq_v_q[Lat-1]) with the pixel's index. Maximum pooling writes in s2.
  localparam int unsigned Lat = qsa_pkg::RQ_LATENCY;
  logic [Lat-1:0] rq_v_q, rq_v_d;
  logic [Lat*16-1:0] rq_o_q, rq_o_d;
  logic wr_v;
  logic [15:0] wr_o;
  assign rq_v_d = {rq_v_q[Lat-2:0], en_out && !f_max};
  assign rq_o_d = {rq_o_q[(Lat-1)*16-1:0], s2_o_q};
  assign wr_v = busy && (f_max ? s2_v_q : rq_v_q[Lat-1]);
  assign wr_o = f_max ? s2_o_q : rq_o_q[(Lat-1)*16+:16];

  for (genvar r = 0; r < ArrayRows; r++) begin : gen_lane
    logic signed [8:0] v;
    logic [31:0] acc_lane;
    logic [8:0] best_lane;
    assign v = is_signed ? 9'($signed(spa_rdata_i[r*8+:8])) : {1'b0, spa_rdata_i[r*8+:8]};
    always_comb begin
      acc_lane = '0;
      best_lane = '0;
      if (en_tap) begin
        acc_lane = (s1_a_first ? 32'd0 : acc_q[r*32+:32]) + 32'(v) - 32'(zx);
        best_lane = (s1_a_first || $signed(v) > $signed(best_q[r*9+:9])) ? v : best_q[r*9+:9];
      end
    end
    assign acc_next[r*32+:32] = acc_lane;
    assign best_next[r*9+:9] = best_lane;
  end

  // The lanes take the pixel's sums and its scaler (registers) in its s2 cycle.
  assign rq_v_o = RqLanes'({ArrayRows{en_out && !f_max}});
  assign rq_x_o = (RqLanes * 32)'(acc_q);
  assign rq_m_o = (RqLanes * 32)'({ArrayRows{sc_m_q}});
  assign rq_sh_o = (RqLanes * 10)'({ArrayRows{sc_sh_q}});
  assign rq_single_o = f_single;
  always_comb begin
    res = '0;
    if (wr_v) begin
      for (int r = 0; r < ArrayRows; r++) begin
        res[r*8+:8] = f_max ? best_q[r*9+:8] : ZeroPointClamp(rq_y_i[r*32+:32], zy, qmin, qmax);
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rq_v_q <= '0;
      rq_o_q <= '0;
    end else begin
      rq_v_q <= rq_v_d;
      rq_o_q <= rq_o_d;
    end
  end

  logic [15:0] out_rows;
  assign out_rows = 16'(f_out_h) * 16'(f_out_w);

  always_comb begin
    logic [7:0] cky, ckx;  // tap of this cycle
    logic last_pix;
    state_d = state_q;
    insn_d = insn_q;
    oy_d = oy_q;
    ox_d = ox_q;
    y_sel = WinHold;
    x_sel = WinHold;
    ky_d = ky_q;
    kx_d = kx_q;
    pix_start_d = pix_start_q;
    issuing_d = issuing_q;
    o_d = o_q;
    tapless_d = tapless_q;
    iy_hi_d = iy_hi_q;
    ix_hi_d = ix_hi_q;
    prm_v_d = 1'b0;
    w0_d = w0_q;
    w1_d = w1_q;
    chk_v_d = 1'b0;
    chk_last_d = 1'b0;
    chk_lane_d = chk_lane_q;
    s1_v_d = 1'b0;
    s1_first_d = 1'b0;
    s1_last_d = 1'b0;
    s1_o_d = s1_o_q;
    s1_lane_d = s1_lane_q;
    s2_v_d = 1'b0;
    s2_o_d = s2_o_q;
    rd_v_d = 1'b0;
    rd_first_d = 1'b0;
    rd_last_d = 1'b0;
    rd_iy_d = rd_iy_q;
    rd_ix_d = rd_ix_q;
    rd_o_d = rd_o_q;
    rd_entry_row_d = rd_entry_row_q;
    rd_lane_d = rd_lane_q;
    acc_d = acc_q;
    best_d = best_q;
    sc_m_d = sc_m_q;
    sc_sh_d = sc_sh_q;
    status_o = '0;
    status_o.busy = busy;
    mem_o = '0;
    sp_wdata_o = '0;
    sp_wmask_o = '0;
    ev_o = '0;
    cky = pix_start_q ? lo_y : ky_q;
    ckx = pix_start_q ? lo_x : kx_q;
    last_pix = (oy_q == f_out_h - 8'd1) && (ox_q == f_out_w - 8'd1);

    unique case (state_q)
      StIdle: begin
        if (start_i) begin
          insn_d = insn_i;
          oy_d = '0;
          ox_d = '0;
          tapless_d = 1'b0;
          iy_hi_d = '0;
          ix_hi_d = '0;
          state_d = StGeo;
        end
      end
      StGeo: begin
        if (!win_v_q) begin  // the first cycle: index 0's windows
          y_sel = WinFirst;
          x_sel = WinFirst;
        end
        // Output row oy_q and column ox_q (both = the pass index) when in range, once their
        // windows are registered (from the second cycle).
        if (win_v_q) begin
          if (oy_q < f_out_h) begin
            if (hi_y == lo_y) tapless_d = 1'b1;
            if (pos_hi_y > iy_hi_q) iy_hi_d = pos_hi_y;
          end
          if (ox_q < f_out_w) begin
            if (hi_x == lo_x) tapless_d = 1'b1;
            if (pos_hi_x > ix_hi_q) ix_hi_d = pos_hi_x;
          end
          oy_d = oy_q + 8'd1;
          ox_d = ox_q + 8'd1;
          y_sel = WinNext;
          x_sel = WinNext;
          if (oy_q >= f_out_h - 8'd1 && ox_q >= f_out_w - 8'd1) begin
            state_d = StDesc;
          end
        end
      end
      StDesc: begin
        if (tapless_q) begin
          status_o.err = 1'b1;
          status_o.err_code = qsa_pkg::ERR_ILLEGAL_FIELD;
          state_d = StIdle;
        end else if (32'(f_param) >= 32'(ParamRows)) begin
          status_o.err = 1'b1;
          status_o.err_code = qsa_pkg::ERR_PARAM_BOUNDS;
          state_d = StIdle;
        end else begin
          mem_o.prm_rd.en = 1'b1;
          mem_o.prm_rd.addr = f_param;
          prm_v_d = 1'b1;
          state_d = StBounds;
        end
      end
      StBounds: begin
        if (prm_v_q || prm_a_v) begin
          // Descriptor words 0 and 1 arrive.
          if (prm_a_v) begin
            w0_d = prm_rdata_i[31:0];
            w1_d = prm_rdata_i[63:32];
          end
        end else if (table_end > 32'(ParamRows) * 32'(ArrayCols)) begin
          status_o.err = 1'b1;
          status_o.err_code = qsa_pkg::ERR_PARAM_BOUNDS;
          state_d = StIdle;
        end else if (32'(f_src) + 32'(iy_hi_q) * 32'(f_in_w) + 32'(ix_hi_q) >= 32'(SpRows)) begin
          status_o.err = 1'b1;
          status_o.err_code = qsa_pkg::ERR_SP_BOUNDS;
          state_d = StIdle;
        end else begin
          oy_d = '0;
          ox_d = '0;
          y_sel = WinFirst;
          x_sel = WinFirst;
          state_d = f_max ? StRun : StEntries;
          pix_start_d = 1'b1;
          issuing_d = 1'b1;
          o_d = '0;
        end
      end
      StEntries: begin
        // Issue the entry of pixel (oy_q, ox_q) (only entry 0 with count_include_pad); check
        // the one that arrives.
        if (issuing_q) begin
          mem_o.prm_rd.en = 1'b1;
          mem_o.prm_rd.addr = 16'(entry_word >> ColsLog2);
          chk_v_d = 1'b1;
          chk_lane_d = LaneW'(entry_word);
          chk_last_d = last_pix || cip;
          if (last_pix || cip) begin
            issuing_d = 1'b0;
          end else begin
            {oy_d, ox_d} = next_pix;
            y_sel = row_end ? WinNext : WinHold;
            x_sel = row_end ? WinFirst : WinNext;
          end
        end
        if (chk_a_v) begin
          if (!entry_legal) begin
            status_o.err = 1'b1;
            status_o.err_code = qsa_pkg::ERR_DESCRIPTOR;
            state_d = StIdle;
          end else if (chk_a_last) begin
            oy_d = '0;
            ox_d = '0;
            y_sel = WinFirst;
            x_sel = WinFirst;
            issuing_d = 1'b1;
            state_d = StRun;
          end
        end
      end
      default: begin  // StRun
        // A tap's read, one cycle after its input position was registered: the row, and with
        // the first tap of an average pixel its requantizer entry.
        if (rd_v_q) begin
          mem_o.spa_rd.en = 1'b1;
          mem_o.spa_rd.addr = 16'(32'(f_src) + 32'(rd_iy_q) * 32'(f_in_w) + 32'(rd_ix_q));
          ev_o.sp_rd = 32'(ArrayRows);
          s1_v_d = 1'b1;
          s1_first_d = rd_first_q;
          s1_last_d = rd_last_q;
          s1_o_d = rd_o_q;
          if (rd_first_q && !f_max) begin
            mem_o.prm_rd.en = 1'b1;
            mem_o.prm_rd.addr = rd_entry_row_q;
            s1_lane_d = rd_lane_q;
          end
        end
        // The next tap: its input position (registered for the read), then the tap after it.
        if (issuing_q) begin
          rd_v_d = 1'b1;
          rd_iy_d = base_y + 14'(14'(cky) * 14'(f_dil_h));
          rd_ix_d = base_x + 14'(14'(ckx) * 14'(f_dil_w));
          rd_first_d = pix_start_q;
          rd_o_d = o_q;
          rd_entry_row_d = 16'(entry_word >> ColsLog2);
          rd_lane_d = LaneW'(entry_word);
          pix_start_d = 1'b0;
          if (ckx < hi_x - 8'd1) begin
            kx_d = ckx + 8'd1;
            ky_d = cky;
          end else if (cky < hi_y - 8'd1) begin
            kx_d = lo_x;
            ky_d = cky + 8'd1;
          end else begin
            // Last tap of this pixel.
            rd_last_d = 1'b1;
            pix_start_d = 1'b1;
            o_d = o_q + 16'd1;
            if (last_pix) begin
              issuing_d = 1'b0;
            end else begin
              {oy_d, ox_d} = next_pix;
            y_sel = row_end ? WinNext : WinHold;
            x_sel = row_end ? WinFirst : WinNext;
            end
          end
        end
        if (s1_a_v) begin
          acc_d = acc_next;
          best_d = best_next;
          if (s1_a_first) begin
            sc_m_d = prm_rdata_i[32'(s1_a_lane)*32+:32];
            sc_sh_d = {prm_rdata_i[(32'(s1_a_lane)+32'd1)*32+8+:5],
                       prm_rdata_i[(32'(s1_a_lane)+32'd1)*32+:5]};
          end
          s2_v_d = s1_a_last;
          s2_o_d = s1_a_o;
        end
        if (wr_v) begin
          mem_o.sp_wr.en = 1'b1;
          mem_o.sp_wr.addr = 16'(32'(f_dst) + 32'(wr_o));
          sp_wdata_o = res;
          sp_wmask_o = '1;
          ev_o.sp_wr = 32'(ArrayRows);
          if (wr_o == out_rows - 16'd1) begin
            ev_o.param_rd = 32'd8 + 32'd8 * entries;
            status_o.done = 1'b1;
            state_d = StIdle;
          end
        end
      end
    endcase
  end


  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      insn_q <= '0;
      oy_q <= '0;
      ox_q <= '0;
      ky_q <= '0;
      kx_q <= '0;
      pix_start_q <= 1'b0;
      issuing_q <= 1'b0;
      o_q <= '0;
      tapless_q <= 1'b0;
      iy_hi_q <= '0;
      ix_hi_q <= '0;
      prm_v_q <= 1'b0;
      w0_q <= '0;
      w1_q <= '0;
      chk_v_q <= 1'b0;
      chk_last_q <= 1'b0;
      chk_lane_q <= '0;
      s1_lane_q <= '0;
      s1_v_q <= 1'b0;
      s1_first_q <= 1'b0;
      s1_last_q <= 1'b0;
      s1_o_q <= '0;
      s2_v_q <= 1'b0;
      s2_o_q <= '0;
      rd_v_q <= 1'b0;
      rd_first_q <= 1'b0;
      rd_last_q <= 1'b0;
      rd_iy_q <= '0;
      rd_ix_q <= '0;
      rd_o_q <= '0;
      rd_entry_row_q <= '0;
      rd_lane_q <= '0;
      acc_q <= '0;
      best_q <= '0;
      sc_m_q <= '0;
      sc_sh_q <= '0;
    end else begin
      state_q <= state_d;
      insn_q <= insn_d;
      oy_q <= oy_d;
      ox_q <= ox_d;
      ky_q <= ky_d;
      kx_q <= kx_d;
      pix_start_q <= pix_start_d;
      issuing_q <= issuing_d;
      o_q <= o_d;
      tapless_q <= tapless_d;
      iy_hi_q <= iy_hi_d;
      ix_hi_q <= ix_hi_d;
      prm_v_q <= prm_v_d;
      w0_q <= w0_d;
      w1_q <= w1_d;
      chk_v_q <= chk_v_d;
      chk_last_q <= chk_last_d;
      chk_lane_q <= chk_lane_d;
      s1_lane_q <= s1_lane_d;
      s1_v_q <= s1_v_d;
      s1_first_q <= s1_first_d;
      s1_last_q <= s1_last_d;
      s1_o_q <= s1_o_d;
      s2_v_q <= s2_v_d;
      s2_o_q <= s2_o_d;
      rd_v_q <= rd_v_d;
      rd_first_q <= rd_first_d;
      rd_last_q <= rd_last_d;
      rd_iy_q <= rd_iy_d;
      rd_ix_q <= rd_ix_d;
      rd_o_q <= rd_o_d;
      rd_entry_row_q <= rd_entry_row_d;
      rd_lane_q <= rd_lane_d;
      acc_q <= acc_d;
      best_q <= best_d;
      sc_m_q <= sc_m_d;
      sc_sh_q <= sc_sh_d;
    end
  end

`ifndef SYNTHESIS
  // ---- Assertions ----
  // Average pooling writes values in [qmin, qmax] (qmax when qmin > qmax).
  logic clamp_ok;
  always_comb begin
    logic signed [8:0] v;
    clamp_ok = 1'b1;
    for (int r = 0; r < ArrayRows; r++) begin
      v = is_signed ? 9'($signed(res[r*8+:8])) : {1'b0, res[r*8+:8]};
      if ((qmin <= qmax) ? (v < qmin || v > qmax) : (v != qmax)) clamp_ok = 1'b0;
    end
  end
  PoolClampHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (wr_v && !f_max) |-> clamp_ok);
  PoolStartIdle_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      start_i |-> state_q == StIdle);
  // A tap read lies inside the input (the window arithmetic never reads padding or a row
  // beyond the tile), and so does its scratchpad row.
  PoolTapInInput_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (state_q == StRun && rd_v_q) |-> (rd_iy_q < 14'(f_in_h) && rd_ix_q < 14'(f_in_w)));
  PoolTapRowInMemory_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      mem_o.spa_rd.en |-> 32'(mem_o.spa_rd.addr) < SpRows);
  // Output pixels are written in order, each once, never past out_h * out_w.
  PoolWriteInOutput_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      wr_v |-> wr_o < out_rows);
  PoolIssueInOutput_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (state_q == StRun && issuing_q) |-> o_q < out_rows);
  // Pixels leave the requantizer only in average pooling, and rows move only while it runs.
  PoolRequantOnlyAverage_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      rq_v_q != '0 |-> (!f_max && state_q == StRun));
  PoolRowsOnlyInRun_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (rd_v_q || s1_v_q || s2_v_q) |-> state_q == StRun);
  PoolDoneDrained_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      status_o.done |-> (!issuing_q && !rd_v_q && !s1_v_q && !s1_a_v));
  PoolDoneOrError_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(status_o.done && status_o.err));
`endif
endmodule

// Sequencer of the `gemm` instruction (docs/isa.md): optional weight preload, then n_outer x
// n_inner activation rows through the systolic array, one per cycle, each producing one
// accumulator row (written, or added to with wrap32).
//
// Pipeline. A gemm taken from the request port waits in the preload stage (P), which reads the
// weight tile through scratchpad port B (row w + c in cycle t + c, written into column c of the
// array's inactive weight buffer in t + c + 1) once no activation in flight still uses that
// buffer. It moves to the stream stage (S) when S is free (or frees this cycle) and its preload,
// if any, has begun. S reads one activation row per cycle through port A (data one cycle later
// into the array, with the gemm's buffer select and signedness); the rows of consecutive gemms
// follow each other with no bubble. A row read in cycle t leaves the array in t + ROWS + COLS,
// the cycle its accumulator row is written; an accumulating row reads the accumulator in the
// cycle before and, when the row written in that same cycle is the one it reads (the previous
// row, possibly of the previous gemm), takes the written value instead of the stale read.
// done_o pulses with a gemm's last write; gemms complete in order.
//
// Beside a post (qsa_compute): a gemm taken while sb_valid_i says a post runs is after that post
// in program order (p_young_q). Its footprint — activation rows, weight rows (with a preload) and
// accumulator rows as inclusive ranges, formed from the request as it is taken — is compared in P
// with the post's (sb_*): while its accumulator rows meet the rows the post reads, or its
// scratchpad rows meet the rows the post writes, it neither preloads nor streams (hazard). The
// comparison is registered: such a gemm waits at least one cycle in P, and one cycle past the
// post's end.
//
// Banks. Ports A and B reach one of SpBanks scratchpad banks each (qsa_sram: the high row bits);
// a bank serves one read per cycle. When the activation row and the preload row of a cycle lie in
// the same bank, the preload reads and the activation row waits one cycle (a bubble in the
// stream, counted as a bank stall): a preload, once begun, then still advances one row per cycle,
// so the stream that follows it never overtakes it.
//
// Timing: a gemm taken in cycle a (to an idle unit) reads its first row in a + 2, with or without
// a preload, and writes row k (k = 0 .. n-1) in a + 2 + ROWS + COLS + k; gemms taken back to back
// stream with no bubble (one gemm per cycle when n = 1) unless a bank conflict delays a row. A preload waits only while the buffer it
// fills is still used by rows of the gemm before the previous one. Units see only legal words: the
// controller has checked every field and bound, so this unit never reports an error.
//
// ReadLatency 2 (data two cycles after the address): activation rows and weight rows enter the
// array one cycle later (their select, signedness and column registered once more), so a row read
// in t leaves the array in t + ROWS + COLS + 1, and row k of a gemm taken in a is written in
// a + 3 + ROWS + COLS + k. The accumulator read stays ROWS + COLS - 1 cycles after the row's read,
// now two cycles before its write: between them a middle stage (m_*), and the bypass covers the
// rows written in the read's cycle and in the next one (the newer wins), whose values are
// captured as they are written.
module qsa_gemm #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned SpRows = 16384,
  parameter int unsigned AccRows = 1024,
  parameter int unsigned SpBanks = 1,
  parameter int unsigned ReadLatency = 1,  // cycles from a memory read to its data: 1 or 2
  localparam int unsigned SpAw = $clog2(SpRows),
  localparam int unsigned AccAw = $clog2(AccRows)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    req_valid_i,
  input  qsa_pkg::unit_req_t      req_i,
  output logic                    req_ready_o,
  output logic                    done_o,
  output logic [31:0]             done_pc_o,
  output logic                    idle_o,
  output logic [7:0]              outstanding_o,  // gemms taken and not done
  // The post in flight (qsa_compute): the accumulator rows it reads and the scratchpad rows it
  // writes, inclusive ranges, valid while sb_valid_i.
  input  logic                    sb_valid_i,
  input  logic [15:0]             sb_acc_lo_i,
  input  logic [15:0]             sb_acc_hi_i,
  input  logic [15:0]             sb_sp_lo_i,
  input  logic [15:0]             sb_sp_hi_i,
  output qsa_pkg::cu_mem_req_t    mem_o,        // reads: A activation rows, B weight preload
                                                //   rows, acc the row before it is written
  input  logic [ArrayRows*8-1:0]  spa_rdata_i,
  input  logic [ArrayRows*8-1:0]  spb_rdata_i,
  input  logic [ArrayCols*32-1:0] acc_rdata_i,
  output qsa_pkg::row_req_t       acc_wr_o,     // one full accumulator row
  output logic [ArrayCols*32-1:0] acc_wdata_o,
  output logic [31:0]             acc_wtag_o,   // the pc of the gemm writing
  output qsa_pkg::unit_ev_t       ev_o
);
  localparam int unsigned ColW = (ArrayCols > 1) ? $clog2(ArrayCols) : 1;
  localparam int unsigned PlW = $clog2(ArrayCols + 1);  // preload rows left, 0..COLS-1
  localparam int unsigned BufW = $clog2(ArrayRows + 1);  // cycles a buffer stays in use
  localparam logic [BufW-1:0] BufHold = BufW'((ArrayRows > 1) ? ArrayRows - 2 : 0);
  localparam int unsigned Latency = ArrayRows + ArrayCols;  // row read -> accumulator write
  localparam int VDepth = ArrayRows + ArrayCols - 1;  // the read stage is VDepth cycles after
  localparam int unsigned MetaW = AccAw + 1 + 32 + 1;  // {acc row, accumulate, pc, last}
  localparam int unsigned MetaDepth = 2 ** $clog2(Latency);
  localparam int unsigned OutW = $clog2(Latency + 4) + 1;  // gemms taken and not done

  // ---- P stage: the gemm taken last, until its preload has begun and S takes it ----
  logic p_valid_q, p_valid_d, p_pl_q, p_pl_d, p_sel_q, p_sel_d;
  /* verilator lint_off UNUSEDSIGNAL */  // the header and the reserved bit are not needed
  logic [127:0] p_insn_q;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [SpAw-1:0] p_act, p_w;
  logic [AccAw-1:0] p_acc;
  logic req_preload;
  logic [31:0] p_pc_q, p_pc_d;
  logic buf_next_q, buf_next_d;  // the buffer holding the newest taken gemm's tile
  logic take, hand, pl_start, s_last, issue, conflict;
  // The P gemm's footprint (inclusive row ranges, computed as it is taken) and whether it was
  // taken while a post ran (it comes after that post in program order); hazard: it must wait.
  logic p_young_q, p_young_d, p_pl_any_q, p_fresh_q, hazard, hazard_now, hazard_q;
  logic [31:0] p_act_hi_q, p_acc_hi_q, req_act_hi, req_acc_hi;
  logic [31:0] req_act, req_acc;

  // Preload engine and per-buffer busy counters.
  logic [PlW-1:0] pl_cnt_q, pl_cnt_d;
  logic [SpAw-1:0] pl_addr_q, pl_addr_d, pl_row;  // pl_row: the row the preload reads now
  logic [ColW-1:0] pl_col_q, pl_col_d, pl_row_col;
  logic pl_buf_q, pl_buf_d, pl_go, pl_row_buf;
  logic [2*BufW-1:0] bcnt_q, bcnt_d;  // buffer b: bits [b*BufW +: BufW]
  logic wl_q, wl_d, wl_buf_q, wl_buf_d;  // weight write stage (the cycle after the read)
  logic [ColW-1:0] wl_col_q, wl_col_d;

  // ---- S stage: the gemm whose rows are being read ----
  logic s_valid_q, s_valid_d, s_accum_q, s_accum_d, s_signed_q, s_signed_d, s_sel_q, s_sel_d;
  logic [7:0] s_i_q, s_i_d, s_j_q, s_j_d, s_last_i_q, s_last_i_d, s_last_j_q, s_last_j_d;
  logic [SpAw-1:0] s_act_row_q, s_act_row_d, s_act_base_q, s_act_base_d;
  logic [SpAw-1:0] s_act_outer_q, s_act_outer_d, s_act_inner_q, s_act_inner_d;
  logic [AccAw-1:0] s_acc_row_q, s_acc_row_d, s_acc_base_q, s_acc_base_d;
  logic [AccAw-1:0] s_acc_outer_q, s_acc_outer_d;
  logic [31:0] s_pc_q, s_pc_d;
  logic [15:0] s_kn_q, s_kn_d;  // k_lanes * n_lanes

  assign p_act = SpAw'(p_insn_q[qsa_isa_pkg::GEMM_ACT_LSB+:qsa_isa_pkg::GEMM_ACT_BITS]);
  assign p_w = SpAw'(p_insn_q[qsa_isa_pkg::GEMM_W_LSB+:qsa_isa_pkg::GEMM_W_BITS]);
  assign p_acc = AccAw'(p_insn_q[qsa_isa_pkg::GEMM_ACC_LSB+:qsa_isa_pkg::GEMM_ACC_BITS]);
  assign req_preload = req_i.insn[qsa_isa_pkg::GEMM_PRELOAD_LSB];

  assign req_ready_o = !p_valid_q || hand;
  assign take = req_valid_i && req_ready_o;
  // The footprint of the gemm being taken: activation rows act .. act + (n_outer - 1) act_outer
  // + (n_inner - 1) act_inner, weight rows w .. w + COLS - 1 (with a preload), accumulator rows
  // acc .. acc + (n_outer - 1) acc_outer + n_inner - 1.
  assign req_act = 32'(req_i.insn[qsa_isa_pkg::GEMM_ACT_LSB+:qsa_isa_pkg::GEMM_ACT_BITS]);
  assign req_acc = 32'(req_i.insn[qsa_isa_pkg::GEMM_ACC_LSB+:qsa_isa_pkg::GEMM_ACC_BITS]);
  assign req_act_hi =
      req_act +
      (32'(req_i.insn[qsa_isa_pkg::GEMM_N_OUTER_LSB+:8]) - 32'd1) *
          32'(req_i.insn[qsa_isa_pkg::GEMM_ACT_OUTER_LSB+:qsa_isa_pkg::GEMM_ACT_OUTER_BITS]) +
      (32'(req_i.insn[qsa_isa_pkg::GEMM_N_INNER_LSB+:8]) - 32'd1) *
          32'(req_i.insn[qsa_isa_pkg::GEMM_ACT_INNER_LSB+:qsa_isa_pkg::GEMM_ACT_INNER_BITS]);
  assign req_acc_hi =
      req_acc +
      (32'(req_i.insn[qsa_isa_pkg::GEMM_N_OUTER_LSB+:8]) - 32'd1) *
          32'(req_i.insn[qsa_isa_pkg::GEMM_ACC_OUTER_LSB+:qsa_isa_pkg::GEMM_ACC_OUTER_BITS]) +
      32'(req_i.insn[qsa_isa_pkg::GEMM_N_INNER_LSB+:8]) - 32'd1;
  // A gemm after the post in flight waits in P (no preload, no stream) while it would write an
  // accumulator row the post reads or read a scratchpad row the post writes.
  function automatic logic Overlap(input logic [31:0] lo_a, input logic [31:0] hi_a,
                                   input logic [15:0] lo_b, input logic [15:0] hi_b);
    Overlap = (lo_a <= 32'(hi_b)) && (32'(lo_b) <= hi_a);
  endfunction
  // The comparison is registered (hazard_q: this cycle's P gemm against the post, as of the cycle
  // before), so the range comparators stay off the issue path; in the cycle after a take
  // (p_fresh_q) the new P gemm, if taken after the post, waits without a comparison.
  assign hazard_now = p_young_q && sb_valid_i &&
                      (Overlap(32'(p_act), p_act_hi_q, sb_sp_lo_i, sb_sp_hi_i) ||
                       (p_pl_any_q && Overlap(32'(p_w), 32'(p_w) + 32'(ArrayCols - 1), sb_sp_lo_i,
                                              sb_sp_hi_i)) ||
                       Overlap(32'(p_acc), p_acc_hi_q, sb_acc_lo_i, sb_acc_hi_i));
  assign hazard = p_young_q && (p_fresh_q || hazard_q);
  assign p_young_d = take ? sb_valid_i : (p_young_q && sb_valid_i);
  assign pl_start = p_valid_q && p_pl_q && !hazard && (pl_cnt_q == '0) &&
                    (bcnt_q[p_sel_q*BufW+:BufW] == '0);
  assign s_last = issue && (s_i_q == s_last_i_q) && (s_j_q == s_last_j_q);
  assign hand = p_valid_q && !hazard && (!p_pl_q || pl_start) && (!s_valid_q || s_last);
  // The activation row waits while the preload reads its bank.
  assign pl_row = pl_start ? p_w : pl_addr_q;
  assign conflict = s_valid_q && pl_go &&
                    qsa_pkg::SameBank(32'(s_act_row_q), 32'(pl_row), SpRows, SpBanks);
  assign issue = s_valid_q && !conflict;

  always_comb begin
    p_valid_d = p_valid_q;
    p_pl_d = p_pl_q;
    p_sel_d = p_sel_q;
    p_pc_d = p_pc_q;
    buf_next_d = buf_next_q;
    if (pl_start) p_pl_d = 1'b0;
    if (hand) p_valid_d = 1'b0;
    if (take) begin
      p_valid_d = 1'b1;
      p_pl_d = req_preload;
      p_sel_d = buf_next_q ^ req_preload;
      buf_next_d = buf_next_q ^ req_preload;
      p_pc_d = req_i.pc;
    end
  end

  // Preload: COLS rows, one per cycle, from pl_start on.
  assign pl_go = pl_start || (pl_cnt_q != '0);
  assign pl_row_col = pl_start ? '0 : pl_col_q;
  assign pl_row_buf = pl_start ? p_sel_q : pl_buf_q;

  always_comb begin
    pl_cnt_d = pl_cnt_q;
    pl_addr_d = pl_addr_q;
    pl_col_d = pl_col_q;
    pl_buf_d = pl_buf_q;
    if (pl_start) begin
      pl_cnt_d = PlW'(ArrayCols - 1);
      pl_addr_d = p_w + SpAw'(1);
      pl_col_d = ColW'(1);
      pl_buf_d = p_sel_q;
    end else if (pl_cnt_q != '0) begin
      pl_cnt_d = pl_cnt_q - PlW'(1);
      pl_addr_d = pl_addr_q + SpAw'(1);
      pl_col_d = pl_col_q + ColW'(1);
    end
    wl_d = pl_go;
    wl_col_d = pl_row_col;
    wl_buf_d = pl_row_buf;
  end

  // A preload may start ROWS - 1 cycles after the last read of a row that uses its buffer: that
  // row meets PE (r, c) r + c + 1 cycles after its read, and the preload's new weight reaches
  // column c c + 2 cycles after its start.
  always_comb begin
    bcnt_d = bcnt_q;
    for (int b = 0; b < 2; b++) begin
      if (issue && (s_sel_q == b[0])) bcnt_d[b*BufW+:BufW] = BufHold;
      else if (bcnt_q[b*BufW+:BufW] != '0) bcnt_d[b*BufW+:BufW] = bcnt_q[b*BufW+:BufW] - BufW'(1);
    end
  end

  always_comb begin
    s_valid_d = s_valid_q;
    s_i_d = s_i_q;
    s_j_d = s_j_q;
    s_last_i_d = s_last_i_q;
    s_last_j_d = s_last_j_q;
    s_act_row_d = s_act_row_q;
    s_act_base_d = s_act_base_q;
    s_act_outer_d = s_act_outer_q;
    s_act_inner_d = s_act_inner_q;
    s_acc_row_d = s_acc_row_q;
    s_acc_base_d = s_acc_base_q;
    s_acc_outer_d = s_acc_outer_q;
    s_accum_d = s_accum_q;
    s_signed_d = s_signed_q;
    s_sel_d = s_sel_q;
    s_pc_d = s_pc_q;
    s_kn_d = s_kn_q;
    if (hand) begin
      s_valid_d = 1'b1;
      s_i_d = 8'd0;
      s_j_d = 8'd0;
      s_last_i_d = p_insn_q[qsa_isa_pkg::GEMM_N_OUTER_LSB+:8] - 8'd1;
      s_last_j_d = p_insn_q[qsa_isa_pkg::GEMM_N_INNER_LSB+:8] - 8'd1;
      s_act_row_d = p_act;
      s_act_base_d = p_act;
      s_act_outer_d = SpAw'(p_insn_q[qsa_isa_pkg::GEMM_ACT_OUTER_LSB+:
                                     qsa_isa_pkg::GEMM_ACT_OUTER_BITS]);
      s_act_inner_d = SpAw'(p_insn_q[qsa_isa_pkg::GEMM_ACT_INNER_LSB+:
                                     qsa_isa_pkg::GEMM_ACT_INNER_BITS]);
      s_acc_row_d = p_acc;
      s_acc_base_d = p_acc;
      s_acc_outer_d = AccAw'(p_insn_q[qsa_isa_pkg::GEMM_ACC_OUTER_LSB+:
                                      qsa_isa_pkg::GEMM_ACC_OUTER_BITS]);
      s_accum_d = p_insn_q[qsa_isa_pkg::GEMM_ACCUMULATE_LSB];
      s_signed_d = p_insn_q[qsa_isa_pkg::GEMM_ACT_SIGNED_LSB];
      s_sel_d = p_sel_q;
      s_pc_d = p_pc_q;
      s_kn_d = 16'(p_insn_q[qsa_isa_pkg::GEMM_K_LANES_LSB+:8]) *
               16'(p_insn_q[qsa_isa_pkg::GEMM_N_LANES_LSB+:8]);
    end else if (s_last) begin
      s_valid_d = 1'b0;
    end else if (issue) begin
      if (s_j_q == s_last_j_q) begin
        s_j_d = 8'd0;
        s_i_d = s_i_q + 8'd1;
        s_act_base_d = s_act_base_q + s_act_outer_q;
        s_act_row_d = s_act_base_q + s_act_outer_q;
        s_acc_base_d = s_acc_base_q + s_acc_outer_q;
        s_acc_row_d = s_acc_base_q + s_acc_outer_q;
      end else begin
        s_j_d = s_j_q + 8'd1;
        s_act_row_d = s_act_row_q + s_act_inner_q;
        s_acc_row_d = s_acc_row_q + AccAw'(1);
      end
    end
  end


  // ---- Array: activations ReadLatency cycles after their read, weights too ----
  logic x_sel_q, x_signed_q, x_sel, x_signed;
  logic wl, wl_buf;  // the weight write, ReadLatency cycles after the preload's read
  logic [ColW-1:0] wl_col;
  qsa_delay #(
    .Width(4 + ColW),
    .Depth(ReadLatency - 1),
    .Reset(1'b1)
  ) u_arrive (
    .clk_i,
    .rst_ni,
    .d_i({x_sel_q, x_signed_q, wl_q, wl_buf_q, wl_col_q}),
    .q_o({x_sel, x_signed, wl, wl_buf, wl_col})
  );
  logic [ArrayRows*9-1:0] act;
  logic [ArrayCols*32-1:0] sum;
  always_comb begin
    for (int r = 0; r < ArrayRows; r++) begin
      act[r*9+:9] = {x_signed & spa_rdata_i[r*8+7], spa_rdata_i[r*8+:8]};
    end
  end

  qsa_array #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols)
  ) u_array (
    .clk_i,
    .act_i  (act),
    .sel_i  (x_sel),
    .wload_i(wl),
    .wbuf_i (wl_buf),
    .wcol_i (wl_col),
    .wdata_i(spb_rdata_i),
    .sum_o  (sum)
  );

  // ---- Row metadata: pushed at the read, popped the cycle before the write ----
  logic [VDepth-1:0] vpipe_q, vpipe_d;  // vpipe_q[k]: a row was read k + 1 cycles ago
  logic rd_v, meta_empty, meta_full, rd_accum, rd_last, rd_byp;
  logic [MetaW-1:0] meta_in, meta_out;
  logic [AccAw-1:0] rd_addr;
  logic [31:0] rd_pc;
  logic [$clog2(MetaDepth+1)-1:0] meta_count;

  always_comb begin
    vpipe_d = VDepth'({vpipe_q, issue});  // shift by one, the newest read at bit 0
  end
  assign rd_v = vpipe_q[VDepth-1];
  assign meta_in = {s_acc_row_q, s_accum_q, s_pc_q, s_last};
  assign {rd_addr, rd_accum, rd_pc, rd_last} = meta_out;

  qsa_fifo #(
    .Width(MetaW),
    .Depth(MetaDepth)
  ) u_meta (
    .clk_i,
    .rst_ni,
    .push_i (issue),
    .data_i (meta_in),
    .pop_i  (rd_v),
    .data_o (meta_out),
    .empty_o(meta_empty),
    .full_o (meta_full),
    .count_o(meta_count)
  );

  // ---- Read stage (accumulator read), [middle stage,] write stage ----
  logic w_v_q, w_v_d, w_last_q, w_last_d, w_accum_q, w_accum_d, w_byp_q, w_byp_d;
  logic [AccAw-1:0] w_addr_q, w_addr_d;
  logic [31:0] w_pc_q, w_pc_d;
  logic [ArrayCols*32-1:0] prev_q;  // the newest row written after the write stage's row's read

  assign rd_byp = w_v_q && (w_addr_q == rd_addr);

  if (ReadLatency == 2) begin : gen_mid
    // The row read in cycle t is in the middle stage in t + 1 and written in t + 2. It must take
    // the value of a row written in t (the write stage's when it read, byp_w) or in t + 1 (the
    // middle stage's when it read, byp_m; the newer one wins) instead of the stale read.
    logic m_v_q, m_last_q, m_accum_q, m_byp_m_q, m_byp_w_q, rd_byp_m;
    logic [AccAw-1:0] m_addr_q;
    logic [31:0] m_pc_q;
    logic [ArrayCols*32-1:0] m_prev_q;  // the row written in the middle stage's row's read cycle
    assign rd_byp_m = m_v_q && (m_addr_q == rd_addr);
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        m_v_q <= 1'b0;
        m_last_q <= 1'b0;
      end else begin
        m_v_q <= rd_v;
        m_last_q <= rd_v && rd_last;
      end
    end
    always_ff @(posedge clk_i) begin
      m_addr_q <= rd_addr;
      m_accum_q <= rd_accum;
      m_pc_q <= rd_pc;
      m_byp_m_q <= rd_byp_m;
      m_byp_w_q <= rd_byp;
      if (rd_v && rd_accum && rd_byp && !rd_byp_m) m_prev_q <= acc_wdata_o;
      if (m_v_q && m_accum_q) begin
        if (m_byp_m_q) prev_q <= acc_wdata_o;
        else if (m_byp_w_q) prev_q <= m_prev_q;
      end
    end
    always_comb begin
      w_v_d = m_v_q;
      w_addr_d = m_addr_q;
      w_accum_d = m_accum_q;
      w_pc_d = m_pc_q;
      w_last_d = m_last_q;
      w_byp_d = m_byp_m_q || m_byp_w_q;
    end
  end else begin : gen_direct
    always_comb begin
      w_v_d = rd_v;
      w_addr_d = rd_addr;
      w_accum_d = rd_accum;
      w_pc_d = rd_pc;
      w_last_d = rd_v && rd_last;
      w_byp_d = rd_byp;
    end
    always_ff @(posedge clk_i) begin
      if (rd_v && rd_accum && rd_byp) prev_q <= acc_wdata_o;
    end
  end

  always_comb begin
    acc_wdata_o = '0;
    if (w_v_q) begin  // only in a write cycle
      if (!w_accum_q) begin
        acc_wdata_o = sum;
      end else begin
        for (int c = 0; c < ArrayCols; c++) begin
          acc_wdata_o[c*32+:32] =
              sum[c*32+:32] + (w_byp_q ? prev_q[c*32+:32] : acc_rdata_i[c*32+:32]);
        end
      end
    end
  end
  assign acc_wr_o.en = w_v_q;
  assign acc_wr_o.addr = 16'(w_addr_q);
  assign acc_wtag_o = w_pc_q;
  assign done_o = w_v_q && w_last_q;
  assign done_pc_o = w_pc_q;

  // ---- Gemms taken and not done ----
  logic [OutW-1:0] out_q, out_d;
  always_comb begin
    out_d = out_q;
    if (take && !done_o) out_d = out_q + OutW'(1);
    else if (!take && done_o) out_d = out_q - OutW'(1);
  end
  assign idle_o = (out_q == '0);
  assign outstanding_o = 8'(out_q);

  // ---- Counter events ----
  // Reads: activation rows (port A), weight preload rows (port B), accumulated rows.
  always_comb begin
    mem_o = '0;
    mem_o.spa_rd.en = issue;
    mem_o.spa_rd.addr = 16'(s_act_row_q);
    mem_o.spb_rd.en = pl_go;
    mem_o.spb_rd.addr = 16'(pl_row);
    mem_o.acc_rd.en = rd_v && rd_accum;
    mem_o.acc_rd.addr = 16'(rd_addr);
  end

  always_comb begin
    ev_o = '0;
    ev_o.macs_issued = issue ? 32'(ArrayRows * ArrayCols) : 32'd0;
    ev_o.macs_useful = issue ? 32'(s_kn_q) : 32'd0;
    ev_o.sp_rd = (issue ? 32'(ArrayRows) : 32'd0) + (pl_go ? 32'(ArrayRows) : 32'd0);
    ev_o.acc_rd = (rd_v && rd_accum) ? 32'(4 * ArrayCols) : 32'd0;
    ev_o.acc_wr = w_v_q ? 32'(4 * ArrayCols) : 32'd0;
    ev_o.array_busy = {31'd0, issue};
    ev_o.bank_stall = {31'd0, conflict};
  end

  // ---- Registers ----
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      p_valid_q <= 1'b0;
      p_pl_q <= 1'b0;
      p_young_q <= 1'b0;
      p_fresh_q <= 1'b0;
      hazard_q <= 1'b0;
      buf_next_q <= 1'b0;
      pl_cnt_q <= '0;
      bcnt_q <= '0;
      wl_q <= 1'b0;
      s_valid_q <= 1'b0;
      vpipe_q <= '0;
      w_v_q <= 1'b0;
      w_last_q <= 1'b0;
      out_q <= '0;
    end else begin
      p_valid_q <= p_valid_d;
      p_pl_q <= p_pl_d;
      p_young_q <= p_young_d;
      p_fresh_q <= take;
      hazard_q <= hazard_now;
      buf_next_q <= buf_next_d;
      pl_cnt_q <= pl_cnt_d;
      bcnt_q <= bcnt_d;
      wl_q <= wl_d;
      s_valid_q <= s_valid_d;
      vpipe_q <= vpipe_d;
      w_v_q <= w_v_d;
      w_last_q <= w_last_d;
      out_q <= out_d;
    end
  end

  // Datapath registers: meaningful only while the valid bits above say so.
  always_ff @(posedge clk_i) begin
    p_sel_q <= p_sel_d;
    if (take) begin  // the wide word and the footprint change only when a gemm is taken
      p_insn_q <= req_i.insn;
      p_pl_any_q <= req_preload;
      p_act_hi_q <= req_act_hi;
      p_acc_hi_q <= req_acc_hi;
    end
    p_pc_q <= p_pc_d;
    pl_addr_q <= pl_addr_d;
    pl_col_q <= pl_col_d;
    pl_buf_q <= pl_buf_d;
    wl_col_q <= wl_col_d;
    wl_buf_q <= wl_buf_d;
    s_i_q <= s_i_d;
    s_j_q <= s_j_d;
    s_last_i_q <= s_last_i_d;
    s_last_j_q <= s_last_j_d;
    s_act_row_q <= s_act_row_d;
    s_act_base_q <= s_act_base_d;
    s_act_outer_q <= s_act_outer_d;
    s_act_inner_q <= s_act_inner_d;
    s_acc_row_q <= s_acc_row_d;
    s_acc_base_q <= s_acc_base_d;
    s_acc_outer_q <= s_acc_outer_d;
    s_accum_q <= s_accum_d;
    s_signed_q <= s_signed_d;
    s_sel_q <= s_sel_d;
    s_pc_q <= s_pc_d;
    s_kn_q <= s_kn_d;
    x_sel_q <= s_sel_q;
    x_signed_q <= s_signed_q;
    w_addr_q <= w_addr_d;
    w_accum_q <= w_accum_d;
    w_pc_q <= w_pc_d;
    w_byp_q <= w_byp_d;
  end

`ifndef SYNTHESIS
  // Every row read has its metadata queued, and the queue holds at most the rows in the array.
  MetaQueueHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (!rd_v || !meta_empty) && !meta_full && (32'(meta_count) < Latency));
  // Nothing completes that was not taken.
  GemmDoneHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      done_o |-> (out_q != '0));
`endif
endmodule

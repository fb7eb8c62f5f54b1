// Compute unit: executes the compute queue's gemm, post, vadd and pool (docs/isa.md) through
// qsa_gemm, qsa_post, qsa_vadd and qsa_pool, behind the unit interface.
//
// Ordering: gemms pipeline (the next is taken while the previous one's rows are still in the
// array; they complete in order). A post is taken when no sub-unit (post, vadd, pool) runs, even
// while gemms before it are still in the array: it reads the parameters, checks them, and reads
// its first accumulator row only once every gemm before it is done (older_q). Gemms after it are
// taken once its parameters passed the check (so none follows a post that fails) and run beside
// it: each waits in the gemm sequencer's preload stage while its footprint meets the post's
// (the scoreboard sb_*: the accumulator rows the post reads, the scratchpad rows it writes;
// qsa_gemm). Vadd and pool are taken only when nothing taken before them is still running, and
// nothing is taken while they run. Completions are reported in program order: a gemm done after
// the running post was taken waits in a small queue (gdq) until the post is done.
//
// Memory ports: while vadd or pool runs, theirs; else the gemm sequencer's reads of scratchpad
// ports A and B and accumulator port 0 and its accumulator writes, and the post's scratchpad
// writes, parameter reads and its accumulator reads on accumulator port 1. A post read in the
// accumulator bank the gemm sequencer reads in that cycle waits (the gemm comes first; counted as
// a bank stall). A sub-unit accesses no memory in its start cycle. Gemm and vadd resolve a
// scratchpad bank shared by ports A and B themselves (B first), so the memories grant every
// request of this unit: it comes first in each bank's arbitration. A sub-unit's error makes
// rsp_o.err sticky with its code and pc; after it, nothing more is taken.
module qsa_compute #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned SpRows = 16384,
  parameter int unsigned AccRows = 1024,
  parameter int unsigned ParamRows = 256,
  parameter int unsigned SpBanks = 1,
  parameter int unsigned AccBanks = 1,
  parameter int unsigned ReadLatency = 1  // cycles from a memory read to its data: 1 or 2
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // Unit interface
  input  logic                    req_valid_i,
  input  qsa_pkg::unit_req_t      req_i,
  output logic                    req_ready_o,
  output qsa_pkg::unit_rsp_t      rsp_o,
  // Row accesses: scratchpad write port 1 (post, vadd, pool), scratchpad read ports 0 (A) and
  // 1 (B), accumulator read port 0 (gemm), parameter buffer read port 0
  output qsa_pkg::cu_mem_req_t    mem_o,
  // Accumulator read port 1 (post)
  output qsa_pkg::row_req_t       acc_prd_o,
  input  logic [ArrayCols*32-1:0] acc_prdata_i,
  output logic [ArrayRows*8-1:0]  sp_wdata_o,
  output logic [ArrayRows-1:0]    sp_wmask_o,
  output logic [31:0]             sp_wtag_o,
  input  logic [ArrayRows*8-1:0]  spa_rdata_i,
  input  logic [ArrayRows*8-1:0]  spb_rdata_i,
  input  logic [ArrayCols*32-1:0] acc_rdata_i,
  input  logic [ArrayCols*32-1:0] prm_rdata_i,
  // Accumulator write port 1 (gemm, full rows)
  output qsa_pkg::row_req_t       acc_wr_o,
  output logic [ArrayCols*32-1:0] acc_wdata_o,
  output logic [31:0]             acc_wtag_o,
  // Counter events
  output qsa_pkg::unit_ev_t       ev_o
);
  localparam int unsigned NumSub = 3;  // 0 post, 1 vadd, 2 pool
  // The shared requantizer's lanes: post uses COLS, vadd 3 * ROWS (both inputs' scalers and the
  // output's), pool ROWS.
  localparam int unsigned RqLanes = (ArrayCols > 3 * ArrayRows) ? ArrayCols : 3 * ArrayRows;

  logic [3:0] opcode;
  logic is_gemm, other_ok, any_active, err_now;
  logic [NumSub-1:0] req_unit;
  logic [NumSub-1:0] act_q, act_d;
  logic [31:0] other_pc_q, other_pc_d;
  logic err_q, err_d;
  logic [3:0] err_code_q, err_code_d, err_code_now;
  logic [31:0] err_pc_q, err_pc_d;

  // ---- gemm sequencer ----
  logic g_valid, g_ready, g_done, g_idle;
  logic [31:0] g_done_pc;
  logic [7:0] g_out;
  qsa_pkg::cu_mem_req_t g_mem;
  // The scoreboard of the post in flight (valid from the cycle after its start until its done)
  logic sb_valid;
  logic [15:0] sb_acc_lo_q, sb_acc_hi_q, sb_sp_lo_q, sb_sp_hi_q;
  logic post_run, post_go, post_bank_stall;
  qsa_pkg::unit_ev_t g_ev;

  qsa_gemm #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows   (SpRows),
    .AccRows  (AccRows),
    .SpBanks  (SpBanks),
    .ReadLatency(ReadLatency)
  ) u_gemm (
    .clk_i,
    .rst_ni,
    .req_valid_i     (g_valid),
    .req_i,
    .req_ready_o     (g_ready),
    .done_o          (g_done),
    .done_pc_o       (g_done_pc),
    .idle_o          (g_idle),
    .outstanding_o   (g_out),
    .sb_valid_i      (sb_valid),
    .sb_acc_lo_i     (sb_acc_lo_q),
    .sb_acc_hi_i     (sb_acc_hi_q),
    .sb_sp_lo_i      (sb_sp_lo_q),
    .sb_sp_hi_i      (sb_sp_hi_q),
    .mem_o           (g_mem),
    .spa_rdata_i,
    .spb_rdata_i,
    .acc_rdata_i,
    .acc_wr_o,
    .acc_wdata_o,
    .acc_wtag_o,
    .ev_o            (g_ev)
  );

  // ---- post, vadd, pool: one port bundle each ----
  localparam int unsigned StW = qsa_pkg::SUB_STATUS_W;
  localparam int unsigned MemW = qsa_pkg::CU_MEM_REQ_W;
  localparam int unsigned EvW = qsa_pkg::UNIT_EV_W;
  localparam int unsigned SpW = ArrayRows * 8;
  logic [NumSub-1:0] su_start, su_busy, su_done, su_err;
  // Sub-unit u's bundle, flattened: a field of width W is bits [u*W +: W].
  logic [NumSub*StW-1:0] su_status;
  logic [NumSub*4-1:0] su_err_code;
  logic [NumSub*MemW-1:0] su_mem;
  logic [NumSub*SpW-1:0] su_sp_wdata;
  logic [NumSub*ArrayRows-1:0] su_sp_wmask;
  logic [NumSub*EvW-1:0] su_ev;
  // Requantizer lane inputs of each sub-unit (0 unless it drives them) and the lanes' results.
  logic [NumSub*RqLanes-1:0] su_rq_v;
  logic [NumSub*RqLanes*32-1:0] su_rq_x, su_rq_m;
  logic [NumSub*RqLanes*10-1:0] su_rq_sh;
  logic [NumSub-1:0] su_rq_single;
  logic [RqLanes*32-1:0] rq_y;

  // The sub-units by index u; each connects to its bundle's slices.
  for (genvar u = 0; u < NumSub; u++) begin : gen_sub
    if (u == 0) begin : gen_post
      qsa_post #(.ArrayRows(ArrayRows), .ArrayCols(ArrayCols), .RqLanes(RqLanes),
                 .ReadLatency(ReadLatency)) u_post (
        .clk_i, .rst_ni, .start_i(su_start[u]), .insn_i(req_i.insn),
        .status_o(su_status[u*StW+:StW]), .run_o(post_run), .acc_go_i(post_go),
        .mem_o(su_mem[u*MemW+:MemW]),
        .sp_wdata_o(su_sp_wdata[u*SpW+:SpW]), .sp_wmask_o(su_sp_wmask[u*ArrayRows+:ArrayRows]),
        .acc_rdata_i(acc_prdata_i), .prm_rdata_i, .rq_v_o(su_rq_v[u*RqLanes+:RqLanes]),
        .rq_x_o(su_rq_x[u*RqLanes*32+:RqLanes*32]), .rq_m_o(su_rq_m[u*RqLanes*32+:RqLanes*32]),
        .rq_sh_o(su_rq_sh[u*RqLanes*10+:RqLanes*10]), .rq_single_o(su_rq_single[u]),
        .rq_y_i(rq_y), .ev_o(su_ev[u*EvW+:EvW]));
    end else if (u == 1) begin : gen_vadd
      qsa_vadd #(.ArrayRows(ArrayRows), .ArrayCols(ArrayCols), .RqLanes(RqLanes),
                 .SpRows(SpRows), .SpBanks(SpBanks), .ReadLatency(ReadLatency)) u_vadd (
        .clk_i, .rst_ni, .start_i(su_start[u]), .insn_i(req_i.insn),
        .status_o(su_status[u*StW+:StW]), .mem_o(su_mem[u*MemW+:MemW]),
        .sp_wdata_o(su_sp_wdata[u*SpW+:SpW]), .sp_wmask_o(su_sp_wmask[u*ArrayRows+:ArrayRows]),
        .spa_rdata_i, .spb_rdata_i, .prm_rdata_i, .rq_v_o(su_rq_v[u*RqLanes+:RqLanes]),
        .rq_x_o(su_rq_x[u*RqLanes*32+:RqLanes*32]), .rq_m_o(su_rq_m[u*RqLanes*32+:RqLanes*32]),
        .rq_sh_o(su_rq_sh[u*RqLanes*10+:RqLanes*10]), .rq_single_o(su_rq_single[u]),
        .rq_y_i(rq_y), .ev_o(su_ev[u*EvW+:EvW]));
    end else begin : gen_pool
      qsa_pool #(.ArrayRows(ArrayRows), .ArrayCols(ArrayCols), .SpRows(SpRows),
                 .ParamRows(ParamRows), .RqLanes(RqLanes), .ReadLatency(ReadLatency)) u_pool (
        .clk_i, .rst_ni, .start_i(su_start[u]), .insn_i(req_i.insn),
        .status_o(su_status[u*StW+:StW]), .mem_o(su_mem[u*MemW+:MemW]),
        .sp_wdata_o(su_sp_wdata[u*SpW+:SpW]), .sp_wmask_o(su_sp_wmask[u*ArrayRows+:ArrayRows]),
        .spa_rdata_i, .prm_rdata_i, .rq_v_o(su_rq_v[u*RqLanes+:RqLanes]),
        .rq_x_o(su_rq_x[u*RqLanes*32+:RqLanes*32]), .rq_m_o(su_rq_m[u*RqLanes*32+:RqLanes*32]),
        .rq_sh_o(su_rq_sh[u*RqLanes*10+:RqLanes*10]), .rq_single_o(su_rq_single[u]),
        .rq_y_i(rq_y), .ev_o(su_ev[u*EvW+:EvW]));
    end
  end

  // ---- The shared requantizer: RqLanes pipelined lanes, driven by the running sub-unit (act_q;
  // a sub-unit raises its lanes' valid bits only while it runs) ----
  logic [RqLanes-1:0] rq_v;
  logic [RqLanes*32-1:0] rq_x, rq_m;
  logic [RqLanes*10-1:0] rq_sh;
  logic rq_single;
  always_comb begin
    rq_v = su_rq_v[0+:RqLanes] | su_rq_v[RqLanes+:RqLanes] | su_rq_v[2*RqLanes+:RqLanes];
    if (act_q[1]) begin
      rq_x = su_rq_x[RqLanes*32+:RqLanes*32];
      rq_m = su_rq_m[RqLanes*32+:RqLanes*32];
      rq_sh = su_rq_sh[RqLanes*10+:RqLanes*10];
      rq_single = su_rq_single[1];
    end else if (act_q[2]) begin
      rq_x = su_rq_x[2*RqLanes*32+:RqLanes*32];
      rq_m = su_rq_m[2*RqLanes*32+:RqLanes*32];
      rq_sh = su_rq_sh[2*RqLanes*10+:RqLanes*10];
      rq_single = su_rq_single[2];
    end else begin
      rq_x = su_rq_x[0+:RqLanes*32];
      rq_m = su_rq_m[0+:RqLanes*32];
      rq_sh = su_rq_sh[0+:RqLanes*10];
      rq_single = su_rq_single[0];
    end
  end
  for (genvar l = 0; l < RqLanes; l++) begin : gen_rq
    /* verilator lint_off UNUSEDSIGNAL */  // the sub-units track their own pipeline stages
    logic valid;
    /* verilator lint_on UNUSEDSIGNAL */
    qsa_requant u_rq (
      .clk_i,
      .rst_ni,
      .valid_i (rq_v[l]),
      .x_i     (rq_x[l*32+:32]),
      .m_i     (rq_m[l*32+:32]),
      .lsh_i   (rq_sh[l*10+:5]),
      .rsh_i   (rq_sh[l*10+5+:5]),
      .single_i(rq_single),
      .valid_o (valid),
      .y_o     (rq_y[l*32+:32])
    );
  end

  qsa_pkg::sub_status_t st;
  always_comb begin
    st = '0;
    for (int u = 0; u < NumSub; u++) begin
      st = su_status[u*StW+:StW];
      su_busy[u] = st.busy;
      su_done[u] = st.done;
      su_err[u] = st.err;
      su_err_code[u*4+:4] = st.err_code;
    end
  end

  // ---- Dispatch ----
  localparam int unsigned GdqDepth = 8;  // control keeps at most 8 instructions in this unit
  logic vp_active, post_active, is_post, gemm_report, gdq_pop, gdq_push, gdq_empty, gdq_full;
  logic [31:0] gdq_pc;
  logic [$clog2(GdqDepth+1)-1:0] gdq_count;
  logic [7:0] older_q, older_d;  // gemms before the running post not yet reported done
  logic post_done;

  assign opcode = req_i.insn[qsa_isa_pkg::HDR_OPCODE_LSB+:qsa_isa_pkg::HDR_OPCODE_BITS];
  assign is_gemm = (opcode == qsa_isa_pkg::OP_GEMM);
  assign is_post = (opcode == qsa_isa_pkg::OP_POST);
  assign req_unit = {opcode == qsa_isa_pkg::OP_POOL, opcode == qsa_isa_pkg::OP_VADD,
                     opcode == qsa_isa_pkg::OP_POST};
  assign any_active = |act_q;
  assign post_active = act_q[0];
  assign vp_active = act_q[1] || act_q[2];
  assign sb_valid = post_active;
  // Vadd and pool: nothing before them still running or unreported. Post: no sub-unit running.
  assign other_ok = !any_active && !err_q && (is_post || (g_idle && gdq_empty));
  assign req_ready_o = is_gemm ? (!vp_active && !err_q && (!post_active || post_run) && g_ready)
                               : other_ok;
  assign g_valid = req_valid_i && is_gemm && !vp_active && !err_q && (!post_active || post_run);
  assign su_start = (req_valid_i && !is_gemm && other_ok) ? req_unit : '0;
  assign err_now = |(su_err & act_q);

  always_comb begin
    err_code_now = 4'd0;
    for (int u = 0; u < NumSub; u++) begin
      if (act_q[u]) err_code_now = err_code_now | su_err_code[u*4+:4];
    end
  end

  always_comb begin
    act_d = (act_q & ~(su_done | su_err)) | su_start;
    other_pc_d = (|su_start) ? req_i.pc : other_pc_q;
    err_d = err_q;
    err_code_d = err_code_q;
    err_pc_d = err_pc_q;
    if (err_now && !err_q) begin
      err_d = 1'b1;
      err_code_d = err_code_now;
      err_pc_d = other_pc_q;
    end
  end

  // ---- Completions in program order ----
  // The oldest unreported gemm (the queue's head, else one done now) comes before the running
  // post while older_q > 0, after it otherwise. A sub-unit's done is reported when it pulses: a
  // post's gemms before it are all reported by then (it reads the accumulator only after), and
  // vadd and pool start with none unreported.
  assign post_done = |(su_done & act_q);
  assign gemm_report = !post_done && (!post_active || older_q != '0) && (!gdq_empty || g_done);
  assign gdq_pop = gemm_report && !gdq_empty;
  assign gdq_push = g_done && !(gemm_report && gdq_empty);

  qsa_fifo #(
    .Width(32),
    .Depth(GdqDepth)
  ) u_gdq (
    .clk_i,
    .rst_ni,
    .push_i (gdq_push),
    .data_i (g_done_pc),
    .pop_i  (gdq_pop),
    .data_o (gdq_pc),
    .empty_o(gdq_empty),
    .full_o (gdq_full),
    .count_o(gdq_count)
  );

  always_comb begin
    older_d = older_q;
    if (su_start[0]) begin
      // Every gemm taken and not reported (none is taken in this cycle).
      older_d = g_out + 8'(gdq_count) - (gemm_report ? 8'd1 : 8'd0);
    end else if (post_active && gemm_report && older_q != '0) begin
      older_d = older_q - 8'd1;
    end
  end

  // ---- Scoreboard of the post in flight: its accumulator rows acc .. acc + n - 1 and scratchpad
  // rows dst .. dst + (n - 1) dst_stride + (NB - 1) blk_stride (NB: qsa_post). The fields are
  // latched at start and the upper bounds formed in the next cycle; gemms after the post are taken
  // only once it streams, several cycles later. ----
  localparam int unsigned RowsLog2 = $clog2(ArrayRows);
  logic [11:0] sb_n_q;
  logic [15:0] sb_dst_stride_q, sb_blk_stride_q;
  logic [7:0] sb_nb;
  logic [7:0] sb_n_lanes_q;
  assign sb_nb = (ArrayCols > ArrayRows) ? 8'((sb_n_lanes_q - 8'd1) >> RowsLog2) + 8'd1 : 8'd1;
  always_ff @(posedge clk_i) begin
    if (su_start[0]) begin
      sb_acc_lo_q <= req_i.insn[qsa_isa_pkg::POST_ACC_LSB+:qsa_isa_pkg::POST_ACC_BITS];
      sb_n_q <= req_i.insn[qsa_isa_pkg::POST_N_LSB+:qsa_isa_pkg::POST_N_BITS];
      sb_sp_lo_q <= req_i.insn[qsa_isa_pkg::POST_DST_LSB+:qsa_isa_pkg::POST_DST_BITS];
      sb_dst_stride_q <=
          req_i.insn[qsa_isa_pkg::POST_DST_STRIDE_LSB+:qsa_isa_pkg::POST_DST_STRIDE_BITS];
      sb_blk_stride_q <=
          req_i.insn[qsa_isa_pkg::POST_BLK_STRIDE_LSB+:qsa_isa_pkg::POST_BLK_STRIDE_BITS];
      sb_n_lanes_q <= req_i.insn[qsa_isa_pkg::POST_N_LANES_LSB+:qsa_isa_pkg::POST_N_LANES_BITS];
    end
    // In bounds (the controller checked the post), so 16 bits hold the sums.
    sb_acc_hi_q <= 16'(32'(sb_acc_lo_q) + 32'(sb_n_q) - 32'd1);
    sb_sp_hi_q <= 16'(32'(sb_sp_lo_q) + (32'(sb_n_q) - 32'd1) * 32'(sb_dst_stride_q) +
                      (32'(sb_nb) - 32'd1) * 32'(sb_blk_stride_q));
  end

  // The post's accumulator read: once every gemm before it is reported done, and not in the bank
  // the gemm sequencer reads in the same cycle.
  /* verilator lint_off UNUSEDSIGNAL */  // the post reads neither scratchpad port
  qsa_pkg::cu_mem_req_t post_mem;
  /* verilator lint_on UNUSEDSIGNAL */
  assign post_mem = su_mem[0+:MemW];
  assign post_bank_stall = post_active && post_mem.acc_rd.en && older_q == '0 &&
                           g_mem.acc_rd.en &&
                           qsa_pkg::SameBank(32'(g_mem.acc_rd.addr), 32'(post_mem.acc_rd.addr),
                                             AccRows, AccBanks);
  assign post_go = (older_q == '0) && !post_bank_stall;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      act_q <= '0;
      other_pc_q <= 32'd0;
      err_q <= 1'b0;
      err_code_q <= 4'd0;
      err_pc_q <= 32'd0;
      older_q <= '0;
    end else begin
      act_q <= act_d;
      other_pc_q <= other_pc_d;
      err_q <= err_d;
      err_code_q <= err_code_d;
      err_pc_q <= err_pc_d;
      older_q <= older_d;
    end
  end

  assign rsp_o.done = post_done || gemm_report;
  assign rsp_o.done_pc = post_done ? other_pc_q : (gdq_empty ? g_done_pc : gdq_pc);
  assign rsp_o.idle = g_idle && !any_active && gdq_empty;
  assign rsp_o.err = err_q;
  assign rsp_o.err_code = err_code_q;
  assign rsp_o.err_pc = err_pc_q;

  // ---- Memory ports: vadd's or pool's while it runs; else the gemm sequencer's and the post's
  // side by side (the post writes the scratchpad and reads parameters, the gemm sequencer does
  // neither). A sub-unit accesses no memory in its start cycle, so the ports do not depend on this
  // cycle's request, nor the memories' grants to load and store on it. ----
  always_comb begin
    mem_o = g_mem;
    sp_wdata_o = '0;
    sp_wmask_o = '0;
    acc_prd_o = '0;
    if (post_active) begin
      mem_o.sp_wr = post_mem.sp_wr;
      mem_o.prm_rd = post_mem.prm_rd;
      sp_wdata_o = su_sp_wdata[0+:SpW];
      sp_wmask_o = su_sp_wmask[0+:ArrayRows];
      acc_prd_o.en = post_mem.acc_rd.en && post_go;
      acc_prd_o.addr = post_mem.acc_rd.addr;
    end
    for (int u = 1; u < NumSub; u++) begin
      if (act_q[u]) begin
        mem_o = su_mem[u*MemW+:MemW];
        sp_wdata_o = su_sp_wdata[u*SpW+:SpW];
        sp_wmask_o = su_sp_wmask[u*ArrayRows+:ArrayRows];
      end
    end
  end
  assign sp_wtag_o = other_pc_q;

  // ---- Counter events: the sum over the gemm sequencer and the sub-units, and the post's reads
  // waiting for the gemm sequencer's accumulator bank ----
  always_comb begin
    ev_o = g_ev;
    for (int u = 0; u < NumSub; u++) ev_o = qsa_pkg::EvSum(ev_o, su_ev[u*EvW+:EvW]);
    ev_o.bank_stall = ev_o.bank_stall + {31'd0, post_bank_stall};
  end

`ifndef SYNTHESIS
  // Control offers the compute unit only its four instructions.
  ComputeOpcodeHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      req_valid_i |-> (is_gemm || (req_unit != '0)));
  // At most one sub-unit runs; vadd and pool only while no gemm does.
  ComputeExclusiveHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      $onehot0(act_q) && (!vp_active || g_idle));
  // The completion queue never overflows (control holds at most GdqDepth instructions here).
  GemmDoneQueueHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(gdq_full && gdq_push));
  // The post reads the accumulator only after the gemms before it are done.
  PostAfterGemmsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      acc_prd_o.en |-> older_q == '0);
  // A sub-unit is busy only while it counts as running here.
  SubUnitBusyHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (su_busy & ~act_q) == '0);
  // Only a running sub-unit drives the requantizer.
  RqDriverRunsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      ({|su_rq_v[2*RqLanes+:RqLanes], |su_rq_v[RqLanes+:RqLanes], |su_rq_v[0+:RqLanes]} &
       ~act_q) == '0);
`endif
endmodule

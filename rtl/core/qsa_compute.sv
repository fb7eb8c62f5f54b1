// Compute unit: executes the compute queue's gemm, post, vadd and pool (docs/isa.md) through
// qsa_gemm, qsa_post, qsa_vadd and qsa_pool, behind the unit interface.
//
// Ordering: gemms pipeline (the next is taken while the previous one's rows are still in the
// array; they complete in order). Any other instruction is taken only when nothing taken before
// it is still running, and nothing is taken while it runs, so post, vadd and pool never overlap
// anything. The memory ports are the running sub-unit's (a sub-unit counts as running from its
// start cycle until its done or error pulse), else the gemm sequencer's. A sub-unit's error
// makes err_o sticky with its code and pc; after it, nothing more is taken.
module qsa_compute #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned SpRows = 16384,
  parameter int unsigned AccRows = 1024,
  parameter int unsigned ParamRows = 256,
  localparam int unsigned SpAw = $clog2(SpRows),
  localparam int unsigned AccAw = $clog2(AccRows),
  localparam int unsigned PrmAw = $clog2(ParamRows)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // Unit interface
  input  logic                    req_valid_i,
  output logic                    req_ready_o,
  input  logic [127:0]            req_insn_i,
  input  logic [31:0]             req_pc_i,
  output logic                    done_o,
  output logic [31:0]             done_pc_o,
  output logic                    idle_o,
  output logic                    err_o,
  output logic [3:0]              err_code_o,
  output logic [31:0]             err_pc_o,
  // Scratchpad write port 1 (post, vadd, pool)
  output logic                    sp_we_o,
  output logic [SpAw-1:0]         sp_waddr_o,
  output logic [ArrayRows*8-1:0]  sp_wdata_o,
  output logic [ArrayRows-1:0]    sp_wmask_o,
  output logic [31:0]             sp_wtag_o,
  // Scratchpad read ports 0 (A) and 1 (B)
  output logic                    spa_re_o,
  output logic [SpAw-1:0]         spa_raddr_o,
  input  logic [ArrayRows*8-1:0]  spa_rdata_i,
  output logic                    spb_re_o,
  output logic [SpAw-1:0]         spb_raddr_o,
  input  logic [ArrayRows*8-1:0]  spb_rdata_i,
  // Accumulator write port 1 (gemm, full rows) and read port 0 (gemm, post)
  output logic                    acc_we_o,
  output logic [AccAw-1:0]        acc_waddr_o,
  output logic [ArrayCols*32-1:0] acc_wdata_o,
  output logic [31:0]             acc_wtag_o,
  output logic                    acc_re_o,
  output logic [AccAw-1:0]        acc_raddr_o,
  input  logic [ArrayCols*32-1:0] acc_rdata_i,
  // Parameter buffer read port 0
  output logic                    prm_re_o,
  output logic [PrmAw-1:0]        prm_raddr_o,
  input  logic [ArrayCols*32-1:0] prm_rdata_i,
  // Counter events
  output logic [31:0]             ev_macs_issued_o,
  output logic [31:0]             ev_macs_useful_o,
  output logic [31:0]             ev_sp_rd_o,
  output logic [31:0]             ev_sp_wr_o,
  output logic [31:0]             ev_acc_rd_o,
  output logic [31:0]             ev_acc_wr_o,
  output logic [31:0]             ev_param_rd_o,
  output logic [31:0]             ev_array_busy_o
);
  localparam int unsigned NumSub = 3;  // 0 post, 1 vadd, 2 pool

  logic [3:0] opcode;
  logic is_gemm, other_ok, any_active, err_now;
  logic [NumSub-1:0] req_unit, sel;
  logic [NumSub-1:0] act_q, act_d;
  logic [31:0] other_pc_q, other_pc_d;
  logic err_q, err_d;
  logic [3:0] err_code_q, err_code_d, err_code_now;
  logic [31:0] err_pc_q, err_pc_d;

  // ---- gemm sequencer ----
  logic g_valid, g_ready, g_done, g_idle;
  logic [31:0] g_done_pc;
  logic g_spa_re, g_spb_re, g_acc_re;
  logic [SpAw-1:0] g_spa_raddr, g_spb_raddr;
  logic [AccAw-1:0] g_acc_raddr;
  logic [31:0] g_ev_sp_rd, g_ev_acc_rd, g_ev_acc_wr;

  qsa_gemm #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows   (SpRows),
    .AccRows  (AccRows)
  ) u_gemm (
    .clk_i,
    .rst_ni,
    .req_valid_i     (g_valid),
    .req_ready_o     (g_ready),
    .req_insn_i,
    .req_pc_i,
    .done_o          (g_done),
    .done_pc_o       (g_done_pc),
    .idle_o          (g_idle),
    .spa_re_o        (g_spa_re),
    .spa_raddr_o     (g_spa_raddr),
    .spa_rdata_i,
    .spb_re_o        (g_spb_re),
    .spb_raddr_o     (g_spb_raddr),
    .spb_rdata_i,
    .acc_re_o        (g_acc_re),
    .acc_raddr_o     (g_acc_raddr),
    .acc_rdata_i,
    .acc_we_o,
    .acc_waddr_o,
    .acc_wdata_o,
    .acc_wtag_o,
    .ev_macs_issued_o,
    .ev_macs_useful_o,
    .ev_sp_rd_o      (g_ev_sp_rd),
    .ev_acc_rd_o     (g_ev_acc_rd),
    .ev_acc_wr_o     (g_ev_acc_wr),
    .ev_array_busy_o
  );

  // ---- post, vadd, pool ----
  logic [NumSub-1:0] su_start, su_busy, su_done, su_err;
  // Per-sub-unit signals, flattened: unit u's field of width W is bits [u*W +: W].
  logic [NumSub*4-1:0] su_err_code;
  logic [NumSub-1:0] su_sp_we, su_spa_re, su_spb_re, su_acc_re, su_prm_re;
  logic [NumSub*SpAw-1:0] su_sp_waddr, su_spa_raddr, su_spb_raddr;
  logic [NumSub*ArrayRows*8-1:0] su_sp_wdata;
  logic [NumSub*ArrayRows-1:0] su_sp_wmask;
  logic [NumSub*AccAw-1:0] su_acc_raddr;
  logic [NumSub*PrmAw-1:0] su_prm_raddr;
  logic [NumSub*32-1:0] su_ev_sp_rd, su_ev_sp_wr, su_ev_acc_rd, su_ev_param_rd;

  qsa_post #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows   (SpRows),
    .AccRows  (AccRows),
    .ParamRows(ParamRows)
  ) u_post (
    .clk_i,
    .rst_ni,
    .start_i      (su_start[0]),
    .insn_i       (req_insn_i),
    .pc_i         (req_pc_i),
    .busy_o       (su_busy[0]),
    .done_o       (su_done[0]),
    .err_o        (su_err[0]),
    .err_code_o   (su_err_code[0*4+:4]),
    .sp_we_o      (su_sp_we[0]),
    .sp_waddr_o   (su_sp_waddr[0*SpAw+:SpAw]),
    .sp_wdata_o   (su_sp_wdata[0*ArrayRows*8+:ArrayRows*8]),
    .sp_wmask_o   (su_sp_wmask[0*ArrayRows+:ArrayRows]),
    .spa_re_o     (su_spa_re[0]),
    .spa_raddr_o  (su_spa_raddr[0*SpAw+:SpAw]),
    .spa_rdata_i,
    .spb_re_o     (su_spb_re[0]),
    .spb_raddr_o  (su_spb_raddr[0*SpAw+:SpAw]),
    .spb_rdata_i,
    .acc_re_o     (su_acc_re[0]),
    .acc_raddr_o  (su_acc_raddr[0*AccAw+:AccAw]),
    .acc_rdata_i,
    .prm_re_o     (su_prm_re[0]),
    .prm_raddr_o  (su_prm_raddr[0*PrmAw+:PrmAw]),
    .prm_rdata_i,
    .ev_sp_rd_o   (su_ev_sp_rd[0*32+:32]),
    .ev_sp_wr_o   (su_ev_sp_wr[0*32+:32]),
    .ev_acc_rd_o  (su_ev_acc_rd[0*32+:32]),
    .ev_param_rd_o(su_ev_param_rd[0*32+:32])
  );

  qsa_vadd #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows   (SpRows),
    .AccRows  (AccRows),
    .ParamRows(ParamRows)
  ) u_vadd (
    .clk_i,
    .rst_ni,
    .start_i      (su_start[1]),
    .insn_i       (req_insn_i),
    .pc_i         (req_pc_i),
    .busy_o       (su_busy[1]),
    .done_o       (su_done[1]),
    .err_o        (su_err[1]),
    .err_code_o   (su_err_code[1*4+:4]),
    .sp_we_o      (su_sp_we[1]),
    .sp_waddr_o   (su_sp_waddr[1*SpAw+:SpAw]),
    .sp_wdata_o   (su_sp_wdata[1*ArrayRows*8+:ArrayRows*8]),
    .sp_wmask_o   (su_sp_wmask[1*ArrayRows+:ArrayRows]),
    .spa_re_o     (su_spa_re[1]),
    .spa_raddr_o  (su_spa_raddr[1*SpAw+:SpAw]),
    .spa_rdata_i,
    .spb_re_o     (su_spb_re[1]),
    .spb_raddr_o  (su_spb_raddr[1*SpAw+:SpAw]),
    .spb_rdata_i,
    .acc_re_o     (su_acc_re[1]),
    .acc_raddr_o  (su_acc_raddr[1*AccAw+:AccAw]),
    .acc_rdata_i,
    .prm_re_o     (su_prm_re[1]),
    .prm_raddr_o  (su_prm_raddr[1*PrmAw+:PrmAw]),
    .prm_rdata_i,
    .ev_sp_rd_o   (su_ev_sp_rd[1*32+:32]),
    .ev_sp_wr_o   (su_ev_sp_wr[1*32+:32]),
    .ev_acc_rd_o  (su_ev_acc_rd[1*32+:32]),
    .ev_param_rd_o(su_ev_param_rd[1*32+:32])
  );

  qsa_pool #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows   (SpRows),
    .AccRows  (AccRows),
    .ParamRows(ParamRows)
  ) u_pool (
    .clk_i,
    .rst_ni,
    .start_i      (su_start[2]),
    .insn_i       (req_insn_i),
    .pc_i         (req_pc_i),
    .busy_o       (su_busy[2]),
    .done_o       (su_done[2]),
    .err_o        (su_err[2]),
    .err_code_o   (su_err_code[2*4+:4]),
    .sp_we_o      (su_sp_we[2]),
    .sp_waddr_o   (su_sp_waddr[2*SpAw+:SpAw]),
    .sp_wdata_o   (su_sp_wdata[2*ArrayRows*8+:ArrayRows*8]),
    .sp_wmask_o   (su_sp_wmask[2*ArrayRows+:ArrayRows]),
    .spa_re_o     (su_spa_re[2]),
    .spa_raddr_o  (su_spa_raddr[2*SpAw+:SpAw]),
    .spa_rdata_i,
    .spb_re_o     (su_spb_re[2]),
    .spb_raddr_o  (su_spb_raddr[2*SpAw+:SpAw]),
    .spb_rdata_i,
    .acc_re_o     (su_acc_re[2]),
    .acc_raddr_o  (su_acc_raddr[2*AccAw+:AccAw]),
    .acc_rdata_i,
    .prm_re_o     (su_prm_re[2]),
    .prm_raddr_o  (su_prm_raddr[2*PrmAw+:PrmAw]),
    .prm_rdata_i,
    .ev_sp_rd_o   (su_ev_sp_rd[2*32+:32]),
    .ev_sp_wr_o   (su_ev_sp_wr[2*32+:32]),
    .ev_acc_rd_o  (su_ev_acc_rd[2*32+:32]),
    .ev_param_rd_o(su_ev_param_rd[2*32+:32])
  );

  // ---- Dispatch ----
  assign opcode = req_insn_i[qsa_isa_pkg::HDR_OPCODE_LSB+:qsa_isa_pkg::HDR_OPCODE_BITS];
  assign is_gemm = (opcode == qsa_isa_pkg::OP_GEMM);
  assign req_unit = {opcode == qsa_isa_pkg::OP_POOL, opcode == qsa_isa_pkg::OP_VADD,
                     opcode == qsa_isa_pkg::OP_POST};
  assign any_active = |act_q;
  assign other_ok = !any_active && !err_q && g_idle;
  assign req_ready_o = is_gemm ? (!any_active && !err_q && g_ready) : other_ok;
  assign g_valid = req_valid_i && is_gemm && !any_active && !err_q;
  assign su_start = (req_valid_i && !is_gemm && other_ok) ? req_unit : '0;
  assign sel = act_q | su_start;
  assign err_now = |(su_err & act_q);

  always_comb begin
    err_code_now = 4'd0;
    for (int u = 0; u < NumSub; u++) begin
      if (act_q[u]) err_code_now = err_code_now | su_err_code[u*4+:4];
    end
  end

  always_comb begin
    act_d = (act_q & ~(su_done | su_err)) | su_start;
    other_pc_d = (|su_start) ? req_pc_i : other_pc_q;
    err_d = err_q;
    err_code_d = err_code_q;
    err_pc_d = err_pc_q;
    if (err_now && !err_q) begin
      err_d = 1'b1;
      err_code_d = err_code_now;
      err_pc_d = other_pc_q;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      act_q <= '0;
      other_pc_q <= 32'd0;
      err_q <= 1'b0;
      err_code_q <= 4'd0;
      err_pc_q <= 32'd0;
    end else begin
      act_q <= act_d;
      other_pc_q <= other_pc_d;
      err_q <= err_d;
      err_code_q <= err_code_d;
      err_pc_q <= err_pc_d;
    end
  end

  assign done_o = g_done || (|(su_done & act_q));
  assign done_pc_o = g_done ? g_done_pc : other_pc_q;
  assign idle_o = g_idle && !any_active;
  assign err_o = err_q;
  assign err_code_o = err_code_q;
  assign err_pc_o = err_pc_q;

  // ---- Memory ports: the running sub-unit's, else the gemm sequencer's ----
  always_comb begin
    sp_we_o = 1'b0;
    sp_waddr_o = '0;
    sp_wdata_o = '0;
    sp_wmask_o = '0;
    spa_re_o = g_spa_re;
    spa_raddr_o = g_spa_raddr;
    spb_re_o = g_spb_re;
    spb_raddr_o = g_spb_raddr;
    acc_re_o = g_acc_re;
    acc_raddr_o = g_acc_raddr;
    prm_re_o = 1'b0;
    prm_raddr_o = '0;
    for (int u = 0; u < NumSub; u++) begin
      if (sel[u]) begin
        sp_we_o = su_sp_we[u];
        sp_waddr_o = su_sp_waddr[u*SpAw+:SpAw];
        sp_wdata_o = su_sp_wdata[u*ArrayRows*8+:ArrayRows*8];
        sp_wmask_o = su_sp_wmask[u*ArrayRows+:ArrayRows];
        spa_re_o = su_spa_re[u];
        spa_raddr_o = su_spa_raddr[u*SpAw+:SpAw];
        spb_re_o = su_spb_re[u];
        spb_raddr_o = su_spb_raddr[u*SpAw+:SpAw];
        acc_re_o = su_acc_re[u];
        acc_raddr_o = su_acc_raddr[u*AccAw+:AccAw];
        prm_re_o = su_prm_re[u];
        prm_raddr_o = su_prm_raddr[u*PrmAw+:PrmAw];
      end
    end
  end
  assign sp_wtag_o = other_pc_q;

  // ---- Counter events: the sum over the sub-units ----
  always_comb begin
    ev_sp_rd_o = g_ev_sp_rd;
    ev_sp_wr_o = 32'd0;
    ev_acc_rd_o = g_ev_acc_rd;
    ev_param_rd_o = 32'd0;
    for (int u = 0; u < NumSub; u++) begin
      ev_sp_rd_o = ev_sp_rd_o + su_ev_sp_rd[u*32+:32];
      ev_sp_wr_o = ev_sp_wr_o + su_ev_sp_wr[u*32+:32];
      ev_acc_rd_o = ev_acc_rd_o + su_ev_acc_rd[u*32+:32];
      ev_param_rd_o = ev_param_rd_o + su_ev_param_rd[u*32+:32];
    end
  end
  assign ev_acc_wr_o = g_ev_acc_wr;

`ifndef SYNTHESIS
  // Control offers the compute unit only its four instructions.
  ComputeOpcodeHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      req_valid_i |-> (is_gemm || (req_unit != '0)));
  // At most one sub-unit runs, and only while no gemm does.
  ComputeExclusiveHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      $onehot0(act_q) && (!any_active || g_idle));
  // A sub-unit is busy only while it counts as running here.
  SubUnitBusyHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (su_busy & ~act_q) == '0);
`endif
endmodule

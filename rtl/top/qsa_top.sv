// The qsa accelerator: instruction fetch and the three queues with their dependency tokens
// (qsa_ctrl), the load and store DMA engines, the compute unit (systolic array, post-processor,
// vector unit), the scratchpad, accumulator and parameter memories, and the performance
// counters. DRAM is outside: a read channel and a write channel of BusBytes-wide beats with
// ready/valid handshakes, so latency and back-pressure come from the system around it.
// The obs_* outputs expose every memory write with the pc of the instruction that made it; a
// simulation harness uses them to locate the first instruction whose writes differ from the
// ISA simulator's. They cost no logic.
module qsa_top #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned SpRows = 16384,
  parameter int unsigned AccRows = 1024,
  parameter int unsigned ParamRows = 256,
  parameter int unsigned SpBanks = 4,
  parameter int unsigned AccBanks = 2,
  parameter int unsigned InsnDepth = 16,
  parameter int unsigned TokenDepth = 8,
  parameter int unsigned BusBytes = 16,
  localparam int unsigned SpAw = $clog2(SpRows),
  localparam int unsigned AccAw = $clog2(AccRows),
  localparam int unsigned PrmAw = $clog2(ParamRows),
  localparam int unsigned SpW = ArrayRows * 8,
  localparam int unsigned AccW = ArrayCols * 32
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  start_i,
  input  logic [31:0]           dram_size_i,
  // Instruction stream, in program order from instruction 0.
  input  logic                  insn_valid_i,
  output logic                  insn_ready_o,
  input  logic [127:0]          insn_data_i,
  // Status register.
  output logic                  done_o,
  output logic                  error_o,
  output logic [3:0]            error_code_o,
  output logic [31:0]           error_pc_o,
  // Performance counters (qsa_pkg::CNT_*).
  input  logic [5:0]            cnt_sel_i,
  output logic [63:0]           cnt_value_o,
  // DRAM read channel.
  output logic                  rd_req_valid_o,
  input  logic                  rd_req_ready_i,
  output logic [31:0]           rd_req_addr_o,
  output logic [31:0]           rd_req_pc_o,  // the load instruction's pc (for traces)
  input  logic                  rd_rsp_valid_i,
  output logic                  rd_rsp_ready_o,
  input  logic [BusBytes*8-1:0] rd_rsp_data_i,
  // DRAM write channel.
  output logic                  wr_req_valid_o,
  input  logic                  wr_req_ready_i,
  output logic [31:0]           wr_req_addr_o,
  output logic [BusBytes*8-1:0] wr_req_data_o,
  output logic [BusBytes-1:0]   wr_req_strb_o,
  output logic [31:0]           wr_req_pc_o,
  input  logic                  wr_ack_i,
  // Where each queue stands, for hang reports.
  output logic [2:0]            dbg_head_valid_o,
  output logic [95:0]           dbg_head_pc_o,
  output logic [17:0]           dbg_head_wait_o,
  output logic [31:0]           dbg_fetch_pc_o,
  output logic                  dbg_fetch_stall_o,
  output logic                  dbg_fetch_done_o,
  output logic [2:0]            dbg_retire_o,
  // Memory writes: scratchpad ports 0 (load) and 1 (compute), accumulator ports 0 (load) and
  // 1 (compute), parameter buffer port 0 (load).
  output logic                  obs_sp0_we_o,
  output logic [SpAw-1:0]       obs_sp0_addr_o,
  output logic [SpW-1:0]        obs_sp0_data_o,
  output logic [ArrayRows-1:0]  obs_sp0_mask_o,
  output logic [31:0]           obs_sp0_tag_o,
  output logic                  obs_sp1_we_o,
  output logic [SpAw-1:0]       obs_sp1_addr_o,
  output logic [SpW-1:0]        obs_sp1_data_o,
  output logic [ArrayRows-1:0]  obs_sp1_mask_o,
  output logic [31:0]           obs_sp1_tag_o,
  output logic                  obs_acc0_we_o,
  output logic [AccAw-1:0]      obs_acc0_addr_o,
  output logic [AccW-1:0]       obs_acc0_data_o,
  output logic [ArrayCols-1:0]  obs_acc0_mask_o,
  output logic [31:0]           obs_acc0_tag_o,
  output logic                  obs_acc1_we_o,
  output logic [AccAw-1:0]      obs_acc1_addr_o,
  output logic [AccW-1:0]       obs_acc1_data_o,
  output logic [ArrayCols-1:0]  obs_acc1_mask_o,
  output logic [31:0]           obs_acc1_tag_o,
  output logic                  obs_prm0_we_o,
  output logic [PrmAw-1:0]      obs_prm0_addr_o,
  output logic [AccW-1:0]       obs_prm0_data_o,
  output logic [ArrayCols-1:0]  obs_prm0_mask_o,
  output logic [31:0]           obs_prm0_tag_o
);
  // ---------------------------------------------------------------- control <-> units
  qsa_pkg::unit_req_t load_req, comp_req, store_req;
  qsa_pkg::unit_rsp_t load_rsp, comp_rsp, store_rsp;
  logic load_req_valid, comp_req_valid, store_req_valid;
  logic load_req_ready, comp_req_ready, store_req_ready;

  // ---------------------------------------------------------------- memory ports
  // Scratchpad: write 0 load, write 1 compute; read 0 compute A, read 1 compute B, read 2 store.
  logic              sp_l_we, sp_c_we;
  logic [SpAw-1:0]   sp_l_waddr, sp_c_waddr;
  logic [SpW-1:0]    sp_l_wdata, sp_c_wdata;
  logic [ArrayRows-1:0] sp_l_wmask, sp_c_wmask;
  logic [31:0]       sp_l_wtag, sp_c_wtag;
  logic              spa_re, spb_re, sps_re;
  logic [SpAw-1:0]   spa_raddr, spb_raddr, sps_raddr;
  logic [SpW-1:0]    spa_rdata, spb_rdata, sps_rdata;
  // Accumulator: write 0 load, write 1 compute; read 0 compute, read 1 store.
  logic              acc_l_we, acc_c_we;
  logic [AccAw-1:0]  acc_l_waddr, acc_c_waddr;
  logic [AccW-1:0]   acc_l_wdata, acc_c_wdata;
  logic [ArrayCols-1:0] acc_l_wmask, acc_c_wmask;
  logic [31:0]       acc_l_wtag, acc_c_wtag;
  logic              acc_c_re, acc_s_re;
  logic [AccAw-1:0]  acc_c_raddr, acc_s_raddr;
  logic [AccW-1:0]   acc_c_rdata, acc_s_rdata;
  // Parameter buffer: write 0 load; read 0 compute.
  logic              prm_l_we;
  logic [PrmAw-1:0]  prm_l_waddr;
  logic [AccW-1:0]   prm_l_wdata;
  logic [ArrayCols-1:0] prm_l_wmask;
  logic [31:0]       prm_l_wtag;
  logic              prm_c_re;
  logic [PrmAw-1:0]  prm_c_raddr;
  logic [AccW-1:0]   prm_c_rdata;
  qsa_pkg::cu_mem_req_t comp_mem;
  qsa_pkg::row_req_t acc_c_wr;

  // ---------------------------------------------------------------- counter events
  logic [31:0] load_ev_dram_rd, load_ev_sp_wr, load_ev_acc_wr, load_ev_param_wr, load_ev_rd_beats;
  logic [31:0] store_ev_dram_wr, store_ev_sp_rd, store_ev_acc_rd, store_ev_wr_beats;
  qsa_pkg::cu_ev_t comp_ev;
  logic        ctl_ev_running, ctl_ev_fetch_stall;
  logic [2:0]  ctl_ev_start, ctl_ev_unit_busy, ctl_ev_stall;
  logic [11:0] ctl_ev_start_op;

  qsa_ctrl #(
    .ArrayRows (ArrayRows),
    .ArrayCols (ArrayCols),
    .SpRows    (SpRows),
    .AccRows   (AccRows),
    .ParamRows (ParamRows),
    .InsnDepth (InsnDepth),
    .TokenDepth(TokenDepth)
  ) u_ctrl (
    .clk_i,
    .rst_ni,
    .start_i,
    .dram_size_i,
    .insn_valid_i,
    .insn_ready_o,
    .insn_data_i,
    .done_o,
    .error_o,
    .error_code_o,
    .error_pc_o,
    .req_valid_o      ({store_req_valid, comp_req_valid, load_req_valid}),
    .req_o            ({store_req, comp_req, load_req}),
    .req_ready_i      ({store_req_ready, comp_req_ready, load_req_ready}),
    .rsp_i            ({store_rsp, comp_rsp, load_rsp}),
    .dbg_head_valid_o,
    .dbg_head_pc_o,
    .dbg_head_wait_o,
    .dbg_fetch_pc_o,
    .dbg_fetch_stall_o,
    .dbg_fetch_done_o,
    .dbg_retire_o,
    .ev_running_o     (ctl_ev_running),
    .ev_start_o       (ctl_ev_start),
    .ev_start_op_o    (ctl_ev_start_op),
    .ev_unit_busy_o   (ctl_ev_unit_busy),
    .ev_stall_o       (ctl_ev_stall),
    .ev_fetch_stall_o (ctl_ev_fetch_stall)
  );

  qsa_load #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows   (SpRows),
    .AccRows  (AccRows),
    .ParamRows(ParamRows),
    .BusBytes (BusBytes)
  ) u_load (
    .clk_i,
    .rst_ni,
    .req_valid_i      (load_req_valid),
    .req_i            (load_req),
    .req_ready_o      (load_req_ready),
    .rsp_o            (load_rsp),
    .rd_req_valid_o,
    .rd_req_ready_i,
    .rd_req_addr_o,
    .rd_req_pc_o,
    .rd_rsp_valid_i,
    .rd_rsp_ready_o,
    .rd_rsp_data_i,
    .sp_we_o       (sp_l_we),
    .sp_waddr_o    (sp_l_waddr),
    .sp_wdata_o    (sp_l_wdata),
    .sp_wmask_o    (sp_l_wmask),
    .sp_wtag_o     (sp_l_wtag),
    .acc_we_o      (acc_l_we),
    .acc_waddr_o   (acc_l_waddr),
    .acc_wdata_o   (acc_l_wdata),
    .acc_wmask_o   (acc_l_wmask),
    .acc_wtag_o    (acc_l_wtag),
    .prm_we_o      (prm_l_we),
    .prm_waddr_o   (prm_l_waddr),
    .prm_wdata_o   (prm_l_wdata),
    .prm_wmask_o   (prm_l_wmask),
    .prm_wtag_o    (prm_l_wtag),
    .ev_dram_rd_o  (load_ev_dram_rd),
    .ev_sp_wr_o    (load_ev_sp_wr),
    .ev_acc_wr_o   (load_ev_acc_wr),
    .ev_param_wr_o (load_ev_param_wr),
    .ev_rd_beats_o (load_ev_rd_beats)
  );

  qsa_compute #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows   (SpRows),
    .AccRows  (AccRows),
    .ParamRows(ParamRows)
  ) u_compute (
    .clk_i,
    .rst_ni,
    .req_valid_i      (comp_req_valid),
    .req_i            (comp_req),
    .req_ready_o      (comp_req_ready),
    .rsp_o            (comp_rsp),
    .mem_o            (comp_mem),
    .sp_wdata_o       (sp_c_wdata),
    .sp_wmask_o       (sp_c_wmask),
    .sp_wtag_o        (sp_c_wtag),
    .spa_rdata_i      (spa_rdata),
    .spb_rdata_i      (spb_rdata),
    .acc_rdata_i      (acc_c_rdata),
    .prm_rdata_i      (prm_c_rdata),
    .acc_wr_o         (acc_c_wr),
    .acc_wdata_o      (acc_c_wdata),
    .acc_wtag_o       (acc_c_wtag),
    .ev_o             (comp_ev)
  );
  // The compute unit's row accesses, each memory decoding the low bits of the row address.
  assign sp_c_we = comp_mem.sp_wr.en;
  assign sp_c_waddr = comp_mem.sp_wr.addr[SpAw-1:0];
  assign spa_re = comp_mem.spa_rd.en;
  assign spa_raddr = comp_mem.spa_rd.addr[SpAw-1:0];
  assign spb_re = comp_mem.spb_rd.en;
  assign spb_raddr = comp_mem.spb_rd.addr[SpAw-1:0];
  assign acc_c_re = comp_mem.acc_rd.en;
  assign acc_c_raddr = comp_mem.acc_rd.addr[AccAw-1:0];
  assign prm_c_re = comp_mem.prm_rd.en;
  assign prm_c_raddr = comp_mem.prm_rd.addr[PrmAw-1:0];
  assign acc_c_we = acc_c_wr.en;
  assign acc_c_waddr = acc_c_wr.addr[AccAw-1:0];

  qsa_store #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows   (SpRows),
    .AccRows  (AccRows),
    .BusBytes (BusBytes)
  ) u_store (
    .clk_i,
    .rst_ni,
    .req_valid_i      (store_req_valid),
    .req_i            (store_req),
    .req_ready_o      (store_req_ready),
    .rsp_o            (store_rsp),
    .sp_re_o       (sps_re),
    .sp_raddr_o    (sps_raddr),
    .sp_rdata_i    (sps_rdata),
    .acc_re_o      (acc_s_re),
    .acc_raddr_o   (acc_s_raddr),
    .acc_rdata_i   (acc_s_rdata),
    .wr_req_valid_o,
    .wr_req_ready_i,
    .wr_req_addr_o,
    .wr_req_data_o,
    .wr_req_strb_o,
    .wr_req_pc_o,
    .wr_ack_i,
    .ev_dram_wr_o  (store_ev_dram_wr),
    .ev_sp_rd_o    (store_ev_sp_rd),
    .ev_acc_rd_o   (store_ev_acc_rd),
    .ev_wr_beats_o (store_ev_wr_beats)
  );

  // ---------------------------------------------------------------- memories
  qsa_sram #(
    .Rows    (SpRows),
    .Lanes   (ArrayRows),
    .LaneBits(8),
    .Banks   (SpBanks),
    .NumWrite(2),
    .NumRead (3)
  ) u_scratchpad (
    .clk_i,
    .we_i   ({sp_c_we, sp_l_we}),
    .waddr_i({sp_c_waddr, sp_l_waddr}),
    .wdata_i({sp_c_wdata, sp_l_wdata}),
    .wmask_i({sp_c_wmask, sp_l_wmask}),
    .re_i   ({sps_re, spb_re, spa_re}),
    .raddr_i({sps_raddr, spb_raddr, spa_raddr}),
    .rdata_o({sps_rdata, spb_rdata, spa_rdata})
  );

  qsa_sram #(
    .Rows    (AccRows),
    .Lanes   (ArrayCols),
    .LaneBits(32),
    .Banks   (AccBanks),
    .NumWrite(2),
    .NumRead (2)
  ) u_accumulator (
    .clk_i,
    .we_i   ({acc_c_we, acc_l_we}),
    .waddr_i({acc_c_waddr, acc_l_waddr}),
    .wdata_i({acc_c_wdata, acc_l_wdata}),
    .wmask_i({acc_c_wmask, acc_l_wmask}),
    .re_i   ({acc_s_re, acc_c_re}),
    .raddr_i({acc_s_raddr, acc_c_raddr}),
    .rdata_o({acc_s_rdata, acc_c_rdata})
  );

  qsa_sram #(
    .Rows    (ParamRows),
    .Lanes   (ArrayCols),
    .LaneBits(32),
    .Banks   (1),
    .NumWrite(1),
    .NumRead (1)
  ) u_param (
    .clk_i,
    .we_i   (prm_l_we),
    .waddr_i(prm_l_waddr),
    .wdata_i(prm_l_wdata),
    .wmask_i(prm_l_wmask),
    .re_i   (prm_c_re),
    .raddr_i(prm_c_raddr),
    .rdata_o(prm_c_rdata)
  );

  // The compute unit writes whole accumulator rows (gemm).
  assign acc_c_wmask = '1;

  // ---------------------------------------------------------------- counters
  qsa_counters u_counters (
    .clk_i,
    .rst_ni,
    .clear_i                (start_i),
    .ctrl_ev_running_i      (ctl_ev_running),
    .ctrl_ev_start_i        (ctl_ev_start),
    .ctrl_ev_start_op_i     (ctl_ev_start_op),
    .ctrl_ev_unit_busy_i    (ctl_ev_unit_busy),
    .ctrl_ev_stall_i        (ctl_ev_stall),
    .ctrl_ev_fetch_stall_i  (ctl_ev_fetch_stall),
    .load_ev_dram_rd_i      (load_ev_dram_rd),
    .load_ev_sp_wr_i        (load_ev_sp_wr),
    .load_ev_acc_wr_i       (load_ev_acc_wr),
    .load_ev_param_wr_i     (load_ev_param_wr),
    .load_ev_rd_beats_i     (load_ev_rd_beats),
    .store_ev_dram_wr_i     (store_ev_dram_wr),
    .store_ev_sp_rd_i       (store_ev_sp_rd),
    .store_ev_acc_rd_i      (store_ev_acc_rd),
    .store_ev_wr_beats_i    (store_ev_wr_beats),
    .compute_ev_macs_issued_i  (comp_ev.macs_issued),
    .compute_ev_macs_useful_i  (comp_ev.macs_useful),
    .compute_ev_sp_rd_i        (comp_ev.sp_rd),
    .compute_ev_sp_wr_i        (comp_ev.sp_wr),
    .compute_ev_acc_rd_i       (comp_ev.acc_rd),
    .compute_ev_acc_wr_i       (comp_ev.acc_wr),
    .compute_ev_param_rd_i     (comp_ev.param_rd),
    .compute_ev_array_busy_i   (comp_ev.array_busy != 32'd0),
    .cnt_sel_i,
    .cnt_value_o
  );

  // ---------------------------------------------------------------- write observation
  assign obs_sp0_we_o = sp_l_we;
  assign obs_sp0_addr_o = sp_l_waddr;
  assign obs_sp0_data_o = sp_l_wdata;
  assign obs_sp0_mask_o = sp_l_wmask;
  assign obs_sp0_tag_o = sp_l_wtag;
  assign obs_sp1_we_o = sp_c_we;
  assign obs_sp1_addr_o = sp_c_waddr;
  assign obs_sp1_data_o = sp_c_wdata;
  assign obs_sp1_mask_o = sp_c_wmask;
  assign obs_sp1_tag_o = sp_c_wtag;
  assign obs_acc0_we_o = acc_l_we;
  assign obs_acc0_addr_o = acc_l_waddr;
  assign obs_acc0_data_o = acc_l_wdata;
  assign obs_acc0_mask_o = acc_l_wmask;
  assign obs_acc0_tag_o = acc_l_wtag;
  assign obs_acc1_we_o = acc_c_we;
  assign obs_acc1_addr_o = acc_c_waddr;
  assign obs_acc1_data_o = acc_c_wdata;
  assign obs_acc1_mask_o = acc_c_wmask;
  assign obs_acc1_tag_o = acc_c_wtag;
  assign obs_prm0_we_o = prm_l_we;
  assign obs_prm0_addr_o = prm_l_waddr;
  assign obs_prm0_data_o = prm_l_wdata;
  assign obs_prm0_mask_o = prm_l_wmask;
  assign obs_prm0_tag_o = prm_l_wtag;

`ifndef SYNTHESIS
  DoneAndErrorExclusive_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                            !(done_o && error_o));
  // The DMA requests only beats that hold bytes the program may touch.
  DramReadInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                            rd_req_valid_o |-> rd_req_addr_o < dram_size_i);
  DramWriteInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                             wr_req_valid_o |-> wr_req_addr_o < dram_size_i);
  // Every row access is inside its memory (the row address bits above the decoded ones are 0).
  SpRowInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (!comp_mem.sp_wr.en || 32'(comp_mem.sp_wr.addr) < SpRows) &&
      (!comp_mem.spa_rd.en || 32'(comp_mem.spa_rd.addr) < SpRows) &&
      (!comp_mem.spb_rd.en || 32'(comp_mem.spb_rd.addr) < SpRows));
  AccRowInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (!comp_mem.acc_rd.en || 32'(comp_mem.acc_rd.addr) < AccRows) &&
      (!acc_c_wr.en || 32'(acc_c_wr.addr) < AccRows));
  PrmRowInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      !comp_mem.prm_rd.en || 32'(comp_mem.prm_rd.addr) < ParamRows);
  StatusKnown_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                  !$isunknown({done_o, error_o, insn_ready_o, rd_req_valid_o,
                                               wr_req_valid_o}));
`endif
endmodule

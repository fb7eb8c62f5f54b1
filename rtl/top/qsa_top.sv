// The qsa accelerator: instruction fetch and the three queues with their dependency tokens
// (qsa_ctrl), the load and store DMA engines, the compute unit (systolic array, post-processor,
// vector unit), the scratchpad, accumulator and parameter memories, and the performance
// counters. DRAM is outside, behind an AXI4 master port (docs/rtl.md "AXI4 memory port"):
// BusBytes-wide data, INCR bursts of full-width beats of at most 16 beats that never cross a
// 4 KiB boundary, the load unit reading with ARID LoadId and the store unit writing with AWID
// StoreId (one ID each, so each unit's bursts complete in order), several bursts in flight;
// latency and back-pressure come from the system around it. The ar/w pc outputs name the
// instruction of each burst and beat for traces; they are not part of AXI.
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
  // Cycles from a memory read to its data (1 or 2): every SRAM macro's, and every consumer's
  // pipeline (gemm, post, vadd, pool, store) is built for it.
  parameter int unsigned ReadLatency = 1,
  parameter int unsigned InsnDepth = 16,
  parameter int unsigned TokenDepth = 8,
  parameter int unsigned BusBytes = 16,
  parameter int unsigned AxiIdW = 4,
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
  // AXI4 master: read address.
  output logic                  axi_ar_valid_o,
  input  logic                  axi_ar_ready_i,
  output logic [AxiIdW-1:0]     axi_ar_id_o,
  output logic [31:0]           axi_ar_addr_o,
  output logic [7:0]            axi_ar_len_o,
  output logic [2:0]            axi_ar_size_o,
  output logic [1:0]            axi_ar_burst_o,
  output logic [31:0]           axi_ar_pc_o,  // the load instruction's pc (for traces)
  // Read data.
  input  logic                  axi_r_valid_i,
  output logic                  axi_r_ready_o,
  input  logic [AxiIdW-1:0]     axi_r_id_i,
  input  logic [BusBytes*8-1:0] axi_r_data_i,
  input  logic [1:0]            axi_r_resp_i,
  input  logic                  axi_r_last_i,
  // Write address.
  output logic                  axi_aw_valid_o,
  input  logic                  axi_aw_ready_i,
  output logic [AxiIdW-1:0]     axi_aw_id_o,
  output logic [31:0]           axi_aw_addr_o,
  output logic [7:0]            axi_aw_len_o,
  output logic [2:0]            axi_aw_size_o,
  output logic [1:0]            axi_aw_burst_o,
  // Write data.
  output logic                  axi_w_valid_o,
  input  logic                  axi_w_ready_i,
  output logic [BusBytes*8-1:0] axi_w_data_o,
  output logic [BusBytes-1:0]   axi_w_strb_o,
  output logic                  axi_w_last_o,
  output logic [31:0]           axi_w_pc_o,  // the store instruction's pc (for traces)
  // Write response.
  input  logic                  axi_b_valid_i,
  output logic                  axi_b_ready_o,
  input  logic [AxiIdW-1:0]     axi_b_id_i,
  input  logic [1:0]            axi_b_resp_i,
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
  // AXI IDs: one per unit. The load unit is the only reader and the store unit the only writer.
  localparam logic [AxiIdW-1:0] LoadId = AxiIdW'(0);
  localparam logic [AxiIdW-1:0] StoreId = AxiIdW'(1);
  localparam logic [2:0] AxiSize = 3'($clog2(BusBytes));  // full-width beats
  localparam logic [1:0] AxiIncr = 2'b01;

  // ---------------------------------------------------------------- control <-> units
  qsa_pkg::unit_req_t load_req, comp_req, store_req;
  qsa_pkg::unit_rsp_t load_rsp, comp_rsp, store_rsp;
  logic load_req_valid, comp_req_valid, store_req_valid;
  logic load_req_ready, comp_req_ready, store_req_ready;

  // ---------------------------------------------------------------- memory ports
  // Row accesses, each memory built from banks of 1R1W macros selected by the high row bits
  // (qsa_sram). The clients in each bank's priority order, first first: scratchpad writes:
  // compute, load; reads: compute B, compute A, store. Accumulator writes: compute, load; reads:
  // compute (gemm), compute (post), store. Parameter buffer: one bank, write load, read compute. The compute unit never
  // waits (it resolves A against B itself); the load and store units wait for a bank the compute
  // unit uses in the same cycle.
  qsa_pkg::row_req_t    sp_l_wr, acc_l_wr, prm_l_wr, acc_c_wr, sp_s_rd, acc_s_rd, acc_p_rd;
  qsa_pkg::cu_mem_req_t comp_mem;
  logic [SpW-1:0]       sp_l_wdata, sp_c_wdata, spa_rdata, spb_rdata, sp_s_rdata;
  logic [ArrayRows-1:0] sp_c_wmask;
  logic [AccW-1:0]      word_l_wdata, acc_c_wdata, acc_c_rdata, acc_p_rdata, acc_s_rdata,
                        prm_c_rdata;
  logic [31:0]          load_wtag, sp_c_wtag, acc_c_wtag;
  logic [1:0]           sp_wgnt, acc_wgnt;
  logic [2:0]           sp_rgnt, acc_rgnt;
  logic                 load_wgnt, store_rgnt;
  logic                 prm_wgnt_unused, prm_rgnt_unused;
  // The load's row write and the store's row read are done when their memory grants them.
  assign load_wgnt = (sp_l_wr.en && sp_wgnt[1]) || (acc_l_wr.en && acc_wgnt[1]) || prm_l_wr.en;
  assign store_rgnt = (sp_s_rd.en && sp_rgnt[2]) || (acc_s_rd.en && acc_rgnt[2]);

  // ---------------------------------------------------------------- counter events
  qsa_pkg::ctrl_ev_t ctrl_ev;
  qsa_pkg::unit_ev_t load_ev, store_ev;
  qsa_pkg::unit_ev_t comp_ev;

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
    .ev_o             (ctrl_ev)
  );

  qsa_load #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .BusBytes (BusBytes)
  ) u_load (
    .clk_i,
    .rst_ni,
    .req_valid_i      (load_req_valid),
    .req_i            (load_req),
    .req_ready_o      (load_req_ready),
    .rsp_o            (load_rsp),
    .ar_valid_o       (axi_ar_valid_o),
    .ar_ready_i       (axi_ar_ready_i),
    .ar_addr_o        (axi_ar_addr_o),
    .ar_len_o         (axi_ar_len_o),
    .ar_pc_o          (axi_ar_pc_o),
    .r_valid_i        (axi_r_valid_i),
    .r_ready_o        (axi_r_ready_o),
    .r_data_i         (axi_r_data_i),
    .r_resp_i         (axi_r_resp_i),
    .r_last_i         (axi_r_last_i),
    .sp_wr_o          (sp_l_wr),
    .acc_wr_o         (acc_l_wr),
    .prm_wr_o         (prm_l_wr),
    .sp_wdata_o       (sp_l_wdata),
    .word_wdata_o     (word_l_wdata),
    .wtag_o           (load_wtag),
    .wr_gnt_i         (load_wgnt),
    .ev_o             (load_ev)
  );

  qsa_compute #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows   (SpRows),
    .AccRows  (AccRows),
    .ParamRows(ParamRows),
    .SpBanks  (SpBanks),
    .AccBanks (AccBanks),
    .ReadLatency(ReadLatency)
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
    .acc_prd_o        (acc_p_rd),
    .acc_prdata_i     (acc_p_rdata),
    .prm_rdata_i      (prm_c_rdata),
    .acc_wr_o         (acc_c_wr),
    .acc_wdata_o      (acc_c_wdata),
    .acc_wtag_o       (acc_c_wtag),
    .ev_o             (comp_ev)
  );

  qsa_store #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .BusBytes (BusBytes),
    .ReadLatency(ReadLatency)
  ) u_store (
    .clk_i,
    .rst_ni,
    .req_valid_i      (store_req_valid),
    .req_i            (store_req),
    .req_ready_o      (store_req_ready),
    .rsp_o            (store_rsp),
    .sp_rd_o          (sp_s_rd),
    .rd_gnt_i         (store_rgnt),
    .sp_rdata_i       (sp_s_rdata),
    .acc_rd_o         (acc_s_rd),
    .acc_rdata_i      (acc_s_rdata),
    .aw_valid_o       (axi_aw_valid_o),
    .aw_ready_i       (axi_aw_ready_i),
    .aw_addr_o        (axi_aw_addr_o),
    .aw_len_o         (axi_aw_len_o),
    .w_valid_o        (axi_w_valid_o),
    .w_ready_i        (axi_w_ready_i),
    .w_data_o         (axi_w_data_o),
    .w_strb_o         (axi_w_strb_o),
    .w_last_o         (axi_w_last_o),
    .w_pc_o           (axi_w_pc_o),
    .b_valid_i        (axi_b_valid_i),
    .b_ready_o        (axi_b_ready_o),
    .b_resp_i         (axi_b_resp_i),
    .ev_o             (store_ev)
  );

  // ---------------------------------------------------------------- memories
  // Client p of each kind is bits [p*W +: W]; client 0 comes first in every bank. Load writes
  // whole rows, and so does the compute unit into the accumulator (gemm).
  qsa_sram #(
    .Rows       (SpRows),
    .Lanes      (ArrayRows),
    .LaneBits   (8),
    .Banks      (SpBanks),
    .NumWrite   (2),
    .NumRead    (3),
    .ReadLatency(ReadLatency)
  ) u_scratchpad (
    .clk_i,
    .we_i   ({sp_l_wr.en, comp_mem.sp_wr.en}),
    .waddr_i({sp_l_wr.addr[SpAw-1:0], comp_mem.sp_wr.addr[SpAw-1:0]}),
    .wdata_i({sp_l_wdata, sp_c_wdata}),
    .wmask_i({{ArrayRows{1'b1}}, sp_c_wmask}),
    .wgnt_o (sp_wgnt),
    .re_i   ({sp_s_rd.en, comp_mem.spa_rd.en, comp_mem.spb_rd.en}),
    .raddr_i({sp_s_rd.addr[SpAw-1:0], comp_mem.spa_rd.addr[SpAw-1:0],
              comp_mem.spb_rd.addr[SpAw-1:0]}),
    .rgnt_o (sp_rgnt),
    .rdata_o({sp_s_rdata, spa_rdata, spb_rdata})
  );

  qsa_sram #(
    .Rows       (AccRows),
    .Lanes      (ArrayCols),
    .LaneBits   (32),
    .Banks      (AccBanks),
    .NumWrite   (2),
    .NumRead    (3),
    .ReadLatency(ReadLatency)
  ) u_accumulator (
    .clk_i,
    .we_i   ({acc_l_wr.en, acc_c_wr.en}),
    .waddr_i({acc_l_wr.addr[AccAw-1:0], acc_c_wr.addr[AccAw-1:0]}),
    .wdata_i({word_l_wdata, acc_c_wdata}),
    .wmask_i({2*ArrayCols{1'b1}}),
    .wgnt_o (acc_wgnt),
    .re_i   ({acc_s_rd.en, acc_p_rd.en, comp_mem.acc_rd.en}),
    .raddr_i({acc_s_rd.addr[AccAw-1:0], acc_p_rd.addr[AccAw-1:0],
              comp_mem.acc_rd.addr[AccAw-1:0]}),
    .rgnt_o (acc_rgnt),
    .rdata_o({acc_s_rdata, acc_p_rdata, acc_c_rdata})
  );

  qsa_sram #(
    .Rows       (ParamRows),
    .Lanes      (ArrayCols),
    .LaneBits   (32),
    .Banks      (1),
    .NumWrite   (1),
    .NumRead    (1),
    .ReadLatency(ReadLatency)
  ) u_param (
    .clk_i,
    .we_i   (prm_l_wr.en),
    .waddr_i(prm_l_wr.addr[PrmAw-1:0]),
    .wdata_i(word_l_wdata),
    .wmask_i({ArrayCols{1'b1}}),
    .wgnt_o (prm_wgnt_unused),
    .re_i   (comp_mem.prm_rd.en),
    .raddr_i(comp_mem.prm_rd.addr[PrmAw-1:0]),
    .rgnt_o (prm_rgnt_unused),
    .rdata_o(prm_c_rdata)
  );

  // ---------------------------------------------------------------- counters
  qsa_counters u_counters (
    .clk_i,
    .rst_ni,
    .clear_i     (start_i),
    .ctrl_ev_i   (ctrl_ev),
    .load_ev_i   (load_ev),
    .store_ev_i  (store_ev),
    .compute_ev_i(comp_ev),
    .cnt_sel_i,
    .cnt_value_o
  );

  assign axi_ar_id_o = LoadId;
  assign axi_ar_size_o = AxiSize;
  assign axi_ar_burst_o = AxiIncr;
  assign axi_aw_id_o = StoreId;
  assign axi_aw_size_o = AxiSize;
  assign axi_aw_burst_o = AxiIncr;

  // ---------------------------------------------------------------- write observation
  assign obs_sp0_we_o = sp_l_wr.en && sp_wgnt[1];
  assign obs_sp0_addr_o = sp_l_wr.addr[SpAw-1:0];
  assign obs_sp0_data_o = sp_l_wdata;
  assign obs_sp0_mask_o = '1;
  assign obs_sp0_tag_o = load_wtag;
  assign obs_sp1_we_o = comp_mem.sp_wr.en;
  assign obs_sp1_addr_o = comp_mem.sp_wr.addr[SpAw-1:0];
  assign obs_sp1_data_o = sp_c_wdata;
  assign obs_sp1_mask_o = sp_c_wmask;
  assign obs_sp1_tag_o = sp_c_wtag;
  assign obs_acc0_we_o = acc_l_wr.en && acc_wgnt[1];
  assign obs_acc0_addr_o = acc_l_wr.addr[AccAw-1:0];
  assign obs_acc0_data_o = word_l_wdata;
  assign obs_acc0_mask_o = '1;
  assign obs_acc0_tag_o = load_wtag;
  assign obs_acc1_we_o = acc_c_wr.en;
  assign obs_acc1_addr_o = acc_c_wr.addr[AccAw-1:0];
  assign obs_acc1_data_o = acc_c_wdata;
  assign obs_acc1_mask_o = '1;
  assign obs_acc1_tag_o = acc_c_wtag;
  assign obs_prm0_we_o = prm_l_wr.en;
  assign obs_prm0_addr_o = prm_l_wr.addr[PrmAw-1:0];
  assign obs_prm0_data_o = word_l_wdata;
  assign obs_prm0_mask_o = '1;
  assign obs_prm0_tag_o = load_wtag;

`ifndef SYNTHESIS
  DoneAndErrorExclusive_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                            !(done_o && error_o));
  // The DMA requests only bursts that start at beats holding bytes the program may touch (a
  // burst's last beat may lie past dram_size_i only when the DRAM's size is not a multiple of
  // the bus width).
  DramReadInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                            axi_ar_valid_o |-> axi_ar_addr_o < dram_size_i);
  DramWriteInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                             axi_aw_valid_o |-> axi_aw_addr_o < dram_size_i);
  // Each unit's responses carry its own ID.
  AxiRIdHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                  axi_r_valid_i |-> axi_r_id_i == LoadId);
  AxiBIdHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                  axi_b_valid_i |-> axi_b_id_i == StoreId);
  // Every row access is inside its memory (the row address bits above the decoded ones are 0).
  function automatic logic RowInBounds(input qsa_pkg::row_req_t r, input int unsigned rows);
    RowInBounds = !r.en || 32'(r.addr) < rows;
  endfunction
  SpRowInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      RowInBounds(sp_l_wr, SpRows) && RowInBounds(comp_mem.sp_wr, SpRows) &&
      RowInBounds(comp_mem.spa_rd, SpRows) && RowInBounds(comp_mem.spb_rd, SpRows) &&
      RowInBounds(sp_s_rd, SpRows));
  AccRowInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      RowInBounds(acc_l_wr, AccRows) && RowInBounds(acc_c_wr, AccRows) &&
      RowInBounds(comp_mem.acc_rd, AccRows) && RowInBounds(acc_p_rd, AccRows) &&
      RowInBounds(acc_s_rd, AccRows));
  PrmRowInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      RowInBounds(prm_l_wr, ParamRows) && RowInBounds(comp_mem.prm_rd, ParamRows));
  // The compute unit's requests are never refused (it comes first; A and B never share a bank).
  ComputeBanksGrantedHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (!comp_mem.sp_wr.en || sp_wgnt[0]) && (!comp_mem.spb_rd.en || sp_rgnt[0]) &&
      (!comp_mem.spa_rd.en || sp_rgnt[1]) && (!acc_c_wr.en || acc_wgnt[0]) &&
      (!comp_mem.acc_rd.en || acc_rgnt[0]) && (!acc_p_rd.en || acc_rgnt[1]));
  StatusKnown_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                  !$isunknown({done_o, error_o, insn_ready_o, axi_ar_valid_o,
                                               axi_aw_valid_o, axi_w_valid_o}));
`endif
endmodule

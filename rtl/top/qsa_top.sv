// The qsa accelerator: the register interface (qsa_regs, an AXI4-Lite slave, and an interrupt),
// instruction fetch from DRAM (qsa_fetch), the three queues with their dependency tokens
// (qsa_ctrl), the load and store DMA engines, the compute unit (systolic array, post-processor,
// vector unit), the scratchpad, accumulator and parameter memories, and the performance
// counters. DRAM is outside, behind an AXI4 master port (docs/rtl.md "AXI4 memory port"):
// BusBytes-wide data, INCR bursts of full-width beats of at most 16 beats that never cross a
// 4 KiB boundary, the load unit reading with ARID LoadId, instruction fetch with ARID FetchId
// and the store unit writing with AWID StoreId (one ID each, so each client's bursts complete in
// order), several bursts in flight; latency and back-pressure come from the system around it.
// Load and fetch share AR round-robin, burst by burst (an offered burst keeps AR until taken).
// The ar/w pc outputs name the instruction of each burst and beat for traces; they are not part
// of AXI.
//
// A run (docs/rtl.md "Runs, errors, abort and the watchdog"): CTRL.START checks the program's
// place (ERR_FETCH_BOUNDS), then starts fetch and control. The run ends with finish, an error
// (control's, a fetch error response, the watchdog, a refused register write) or CTRL.ABORT; from
// then on nothing new is started and no new AXI burst is offered, while every burst already
// offered is completed (R and B taken, W beats of accepted AW sent); then control, fetch, the load,
// store and compute units are reset for one cycle (the memories keep their contents, the
// counters their counts), the status registers take the outcome and the interrupt rises.
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
  // AXI4-Lite slave: the registers (qsa_regs; docs/rtl.md "Register map").
  input  logic                  s_awvalid_i,
  output logic                  s_awready_o,
  input  logic [11:0]           s_awaddr_i,
  input  logic                  s_wvalid_i,
  output logic                  s_wready_o,
  input  logic [31:0]           s_wdata_i,
  input  logic [3:0]            s_wstrb_i,
  output logic                  s_bvalid_o,
  input  logic                  s_bready_i,
  output logic [1:0]            s_bresp_o,
  input  logic                  s_arvalid_i,
  output logic                  s_arready_o,
  input  logic [11:0]           s_araddr_i,
  output logic                  s_rvalid_o,
  input  logic                  s_rready_i,
  output logic [31:0]           s_rdata_o,
  output logic [1:0]            s_rresp_o,
  // Interrupt: IRQ_STATUS & IRQ_ENABLE.
  output logic                  irq_o,
  // AXI4 master: read address.
  output logic                  axi_ar_valid_o,
  input  logic                  axi_ar_ready_i,
  output logic [AxiIdW-1:0]     axi_ar_id_o,
  output logic [31:0]           axi_ar_addr_o,
  output logic [7:0]            axi_ar_len_o,
  output logic [2:0]            axi_ar_size_o,
  output logic [1:0]            axi_ar_burst_o,
  output logic [31:0]           axi_ar_pc_o,  // the load's or first fetched word's pc (traces)
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
  // AXI IDs: one per client. The load unit and instruction fetch read, the store unit writes.
  localparam logic [AxiIdW-1:0] LoadId = AxiIdW'(0);
  localparam logic [AxiIdW-1:0] StoreId = AxiIdW'(1);
  localparam logic [AxiIdW-1:0] FetchId = AxiIdW'(2);
  // The prefetch buffer: two bursts of 16 words.
  localparam int unsigned FetchDepth = 32;
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

  // ---------------------------------------------------------------- registers and runs
  logic        core_rst_n;  // control, fetch, load, store and compute: rst_ni, or a run's end
  logic        run_start, halt;
  logic        reg_start, reg_abort, reg_bad_write;
  logic [31:0] prog_base, prog_len, dram_size, watchdog, mem_size;
  logic [5:0]  cnt_sel;
  logic [63:0] cnt_value;
  logic        ctrl_done, ctrl_error;
  logic [3:0]  ctrl_error_code;
  logic [31:0] ctrl_error_pc;
  logic        insn_valid, insn_ready;
  logic [127:0] insn_data;
  logic        fetch_err, fetch_idle_unused;
  logic [3:0]  fetch_err_code;
  logic [31:0] fetch_err_pc;

  // Run states: IDLE, RUN (fetch and control running), DRAIN (the run has ended; bursts already
  // offered complete), CLEAR (one cycle: the units' reset, the status written).
  typedef enum logic [1:0] {
    StIdle  = 2'd0,
    StRun   = 2'd1,
    StDrain = 2'd2,
    StClear = 2'd3
  } run_state_e;
  run_state_e  state_q;
  logic        end_err_q, end_abort_q;
  logic [3:0]  end_code_q;
  logic [31:0] end_pc_q;
  logic [31:0] wd_count_q;
  logic        quiet;       // no new AXI burst may be offered
  logic        bounds_bad;  // the program's place, checked at START
  logic        drained;     // nothing offered or in flight on the AXI port
  logic        progress, wd_fire;
  logic [31:0] oldest_pc;   // the oldest instruction control holds (for watchdog and abort)

  assign quiet = state_q == StDrain || state_q == StClear;
  assign halt = quiet;
  assign core_rst_n = rst_ni && state_q != StClear;

  qsa_regs #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols)
  ) u_regs (
    .clk_i,
    .rst_ni,
    .awvalid_i       (s_awvalid_i),
    .awready_o       (s_awready_o),
    .awaddr_i        (s_awaddr_i),
    .wvalid_i        (s_wvalid_i),
    .wready_o        (s_wready_o),
    .wdata_i         (s_wdata_i),
    .wstrb_i         (s_wstrb_i),
    .bvalid_o        (s_bvalid_o),
    .bready_i        (s_bready_i),
    .bresp_o         (s_bresp_o),
    .arvalid_i       (s_arvalid_i),
    .arready_o       (s_arready_o),
    .araddr_i        (s_araddr_i),
    .rvalid_o        (s_rvalid_o),
    .rready_i        (s_rready_i),
    .rdata_o         (s_rdata_o),
    .rresp_o         (s_rresp_o),
    .start_o         (reg_start),
    .abort_o         (reg_abort),
    .bad_write_o     (reg_bad_write),
    .prog_base_o     (prog_base),
    .prog_len_o      (prog_len),
    .dram_size_o     (dram_size),
    .watchdog_o      (watchdog),
    .mem_size_o      (mem_size),
    .busy_i          (state_q != StIdle),
    .finish_i        (state_q == StClear),
    .finish_error_i  (end_err_q),
    .finish_aborted_i(end_abort_q),
    .finish_code_i   (end_code_q),
    .finish_pc_i     (end_pc_q),
    .cnt_sel_o       (cnt_sel),
    .cnt_value_i     (cnt_value),
    .irq_o
  );

  // The program: 16-byte aligned, at least one word, and below MEM_SIZE (0: 4 GiB).
  logic [35:0] prog_end;
  assign prog_end = {4'd0, prog_base} + {prog_len, 4'd0};
  assign bounds_bad = prog_base[3:0] != 4'd0 || prog_len == '0 ||
                      (mem_size != '0 ? prog_end > {4'd0, mem_size} : prog_end > 36'h1_0000_0000);
  assign run_start = reg_start && !bounds_bad;

  // ---------------------------------------------------------------- instruction fetch
  logic        fetch_ar_valid, fetch_ar_ready, fetch_r_valid, fetch_r_ready;
  logic [31:0] fetch_ar_addr, fetch_ar_pc;
  logic [7:0]  fetch_ar_len;
  qsa_fetch #(
    .BusBytes(BusBytes),
    .Depth   (FetchDepth),
    .MaxBurst(16)
  ) u_fetch (
    .clk_i,
    .rst_ni      (core_rst_n),
    .start_i     (run_start),
    .stop_i      (quiet),
    .prog_base_i (prog_base),
    .prog_len_i  (prog_len),
    .ar_valid_o  (fetch_ar_valid),
    .ar_ready_i  (fetch_ar_ready),
    .ar_addr_o   (fetch_ar_addr),
    .ar_len_o    (fetch_ar_len),
    .ar_pc_o     (fetch_ar_pc),
    .r_valid_i   (fetch_r_valid),
    .r_ready_o   (fetch_r_ready),
    .r_data_i    (axi_r_data_i),
    .r_resp_i    (axi_r_resp_i),
    .insn_valid_o(insn_valid),
    .insn_ready_i(insn_ready),
    .insn_data_o (insn_data),
    .err_o       (fetch_err),
    .err_code_o  (fetch_err_code),
    .err_pc_o    (fetch_err_pc),
    .idle_o      (fetch_idle_unused)
  );

  // ---------------------------------------------------------------- AXI port sharing
  // AR: load (0) and fetch (1), round-robin by burst; an offered burst keeps the channel until
  // taken (ar_hold_q), and while quiet only such a burst is offered. R goes by ID; while quiet the
  // load unit's beats are taken and dropped (it is reset at the end of the drain). AW likewise.
  logic        load_ar_valid, load_ar_ready, load_r_valid, load_r_ready;
  logic [31:0] load_ar_addr, load_ar_pc;
  logic [7:0]  load_ar_len;
  logic        store_aw_valid, store_aw_ready;
  logic        ar_hold_q, ar_sel_q, ar_last_q, aw_hold_q;
  logic        ar_sel;  // 1: fetch
  logic [15:0] rd_out_q, wr_out_q;  // bursts accepted and not yet answered
  logic        ar_fire, r_fire, r_end, aw_fire, b_fire;
  always_comb begin
    if (ar_hold_q) ar_sel = ar_sel_q;
    else if (load_ar_valid && fetch_ar_valid) ar_sel = !ar_last_q;
    else ar_sel = fetch_ar_valid;
  end
  assign axi_ar_valid_o = (ar_sel ? fetch_ar_valid : load_ar_valid) && (!quiet || ar_hold_q);
  assign axi_ar_id_o = ar_sel ? FetchId : LoadId;
  assign axi_ar_addr_o = ar_sel ? fetch_ar_addr : load_ar_addr;
  assign axi_ar_len_o = ar_sel ? fetch_ar_len : load_ar_len;
  assign axi_ar_pc_o = ar_sel ? fetch_ar_pc : load_ar_pc;
  assign load_ar_ready = axi_ar_ready_i && axi_ar_valid_o && !ar_sel;
  assign fetch_ar_ready = axi_ar_ready_i && axi_ar_valid_o && ar_sel;
  assign fetch_r_valid = axi_r_valid_i && axi_r_id_i == FetchId;
  assign load_r_valid = axi_r_valid_i && axi_r_id_i == LoadId && !quiet;
  assign axi_r_ready_o = axi_r_id_i == FetchId ? fetch_r_ready : (quiet || load_r_ready);
  assign axi_aw_valid_o = store_aw_valid && (!quiet || aw_hold_q);
  assign store_aw_ready = axi_aw_ready_i && axi_aw_valid_o;

  assign ar_fire = axi_ar_valid_o && axi_ar_ready_i;
  assign r_fire = axi_r_valid_i && axi_r_ready_o;
  assign r_end = r_fire && axi_r_last_i;
  assign aw_fire = axi_aw_valid_o && axi_aw_ready_i;
  assign b_fire = axi_b_valid_i && axi_b_ready_o;
  assign drained = rd_out_q == '0 && wr_out_q == '0 && !ar_hold_q && !aw_hold_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ar_hold_q <= 1'b0;
      ar_sel_q <= 1'b0;
      ar_last_q <= 1'b0;
      aw_hold_q <= 1'b0;
      rd_out_q <= '0;
      wr_out_q <= '0;
    end else begin
      ar_hold_q <= axi_ar_valid_o && !axi_ar_ready_i;
      ar_sel_q <= ar_sel;
      if (ar_fire) ar_last_q <= ar_sel;
      aw_hold_q <= axi_aw_valid_o && !axi_aw_ready_i;
      rd_out_q <= rd_out_q + 16'(ar_fire) - 16'(r_end);
      wr_out_q <= wr_out_q + 16'(aw_fire) - 16'(b_fire);
    end
  end

  // ---------------------------------------------------------------- run state, watchdog
  // Progress: an instruction retired or an AXI handshake.
  assign progress = dbg_retire_o != '0 || ar_fire || r_fire || aw_fire || b_fire ||
                    (axi_w_valid_o && axi_w_ready_i);
  assign wd_fire = watchdog != '0 && wd_count_q >= watchdog;
  always_comb begin
    oldest_pc = dbg_fetch_pc_o;
    for (int q = 2; q >= 0; q--) begin
      if (dbg_head_valid_o[q] && dbg_head_pc_o[q*32 +: 32] < oldest_pc) begin
        oldest_pc = dbg_head_pc_o[q*32 +: 32];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      end_err_q <= 1'b0;
      end_abort_q <= 1'b0;
      end_code_q <= qsa_pkg::ERR_NONE;
      end_pc_q <= '0;
      wd_count_q <= '0;
    end else begin
      wd_count_q <= (state_q != StRun || progress) ? 32'd0 : wd_count_q + 32'd1;
      unique case (state_q)
        StIdle: begin
          if (reg_start) begin
            end_err_q <= bounds_bad;
            end_abort_q <= 1'b0;
            end_code_q <= bounds_bad ? qsa_pkg::ERR_FETCH_BOUNDS : qsa_pkg::ERR_NONE;
            end_pc_q <= '0;
            state_q <= bounds_bad ? StDrain : StRun;
          end
        end
        StRun: begin
          // The first reason wins; control's error first among those of one cycle.
          if (ctrl_error) begin
            end_err_q <= 1'b1;
            end_code_q <= ctrl_error_code;
            end_pc_q <= ctrl_error_pc;
            state_q <= StDrain;
          end else if (fetch_err) begin
            end_err_q <= 1'b1;
            end_code_q <= fetch_err_code;
            end_pc_q <= fetch_err_pc;
            state_q <= StDrain;
          end else if (ctrl_done) begin
            state_q <= StDrain;
          end else if (wd_fire || reg_bad_write) begin
            end_err_q <= 1'b1;
            end_code_q <= wd_fire ? qsa_pkg::ERR_WATCHDOG : qsa_pkg::ERR_REG_WRITE;
            end_pc_q <= oldest_pc;
            state_q <= StDrain;
          end else if (reg_abort) begin
            end_abort_q <= 1'b1;
            end_pc_q <= oldest_pc;
            state_q <= StDrain;
          end
        end
        StDrain: if (drained) state_q <= StClear;
        default: state_q <= StIdle;
      endcase
    end
  end

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
    .rst_ni           (core_rst_n),
    .start_i          (run_start),
    .halt_i           (halt),
    .dram_size_i      (dram_size),
    .insn_valid_i     (insn_valid),
    .insn_ready_o     (insn_ready),
    .insn_data_i      (insn_data),
    .done_o           (ctrl_done),
    .error_o          (ctrl_error),
    .error_code_o     (ctrl_error_code),
    .error_pc_o       (ctrl_error_pc),
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
    .rst_ni           (core_rst_n),
    .req_valid_i      (load_req_valid),
    .req_i            (load_req),
    .req_ready_o      (load_req_ready),
    .rsp_o            (load_rsp),
    .ar_valid_o       (load_ar_valid),
    .ar_ready_i       (load_ar_ready),
    .ar_addr_o        (load_ar_addr),
    .ar_len_o         (load_ar_len),
    .ar_pc_o          (load_ar_pc),
    .r_valid_i        (load_r_valid),
    .r_ready_o        (load_r_ready),
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
    .rst_ni           (core_rst_n),
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
    .rst_ni           (core_rst_n),
    .req_valid_i      (store_req_valid),
    .req_i            (store_req),
    .req_ready_o      (store_req_ready),
    .rsp_o            (store_rsp),
    .sp_rd_o          (sp_s_rd),
    .rd_gnt_i         (store_rgnt),
    .sp_rdata_i       (sp_s_rdata),
    .acc_rd_o         (acc_s_rd),
    .acc_rdata_i      (acc_s_rdata),
    .aw_valid_o       (store_aw_valid),
    .aw_ready_i       (store_aw_ready),
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
    .clear_i     (run_start),
    .ctrl_ev_i   (ctrl_ev),
    .load_ev_i   (load_ev),
    .store_ev_i  (store_ev),
    .compute_ev_i(comp_ev),
    .cnt_sel_i   (cnt_sel),
    .cnt_value_o (cnt_value)
  );

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
                                            !(ctrl_done && ctrl_error));
  // The DMA requests only bursts that start at beats holding bytes the program may touch (a
  // burst's last beat may lie past DRAM_SIZE only when the DRAM's size is not a multiple of
  // the bus width). Instruction fetch reads the program, wherever it lies.
  DramReadInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (axi_ar_valid_o && axi_ar_id_o == LoadId) |-> axi_ar_addr_o < dram_size);
  DramWriteInBoundsHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                             axi_aw_valid_o |-> axi_aw_addr_o < dram_size);
  // An offered AR or AW holds with its payload until taken (across the run's end too).
  AxiArStableHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (axi_ar_valid_o && !axi_ar_ready_i) |=>
          (axi_ar_valid_o && $stable(axi_ar_addr_o) && $stable(axi_ar_id_o)));
  AxiAwStableHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
      (axi_aw_valid_o && !axi_aw_ready_i) |=> (axi_aw_valid_o && $stable(axi_aw_addr_o)));
  // The units are reset only with nothing in flight.
  ClearDrainedHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                        state_q == StClear |-> drained);
  // Each client's responses carry its own ID.
  AxiRIdHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                  axi_r_valid_i |-> (axi_r_id_i == LoadId || axi_r_id_i == FetchId));
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
  // Cover points of the run's ends that control does not see (its own error codes are covered
  // in qsa_ctrl).
  ErrFetchBounds_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == StClear && end_err_q && end_code_q == qsa_pkg::ERR_FETCH_BOUNDS);
  ErrFetchResp_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == StRun && !ctrl_error && fetch_err);
  ErrWatchdog_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == StClear && end_err_q && end_code_q == qsa_pkg::ERR_WATCHDOG);
  ErrRegWrite_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == StClear && end_err_q && end_code_q == qsa_pkg::ERR_REG_WRITE);
  Aborted_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == StClear && end_abort_q);
  // An abort or error while bursts are in flight: the drain has work to do.
  DrainWithBurstsInFlight_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      state_q == StDrain && !drained);
    StatusKnown_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
                                  !$isunknown({irq_o, state_q, insn_ready, axi_ar_valid_o,
                                               axi_aw_valid_o, axi_w_valid_o}));
`endif
endmodule

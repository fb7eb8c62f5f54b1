// Register interface: an AXI4-Lite slave (32-bit data, one transaction of each direction at a
// time) holding the accelerator's control and status registers (docs/rtl.md, "Register map"):
//
//   0x000 ID         RO  0x51534101: "QSA", register map version 1
//   0x004 SHAPE      RO  ArrayRows in [15:0], ArrayCols in [31:16]
//   0x008 CTRL       WO  bit 0 START, bit 1 ABORT (reads 0)
//   0x00C STATUS     RO  bit 0 BUSY, bit 1 DONE, bit 2 ERROR, bit 3 ABORTED, [11:8] error code
//   0x010 ERROR_PC   RO  the pc of the instruction that failed (valid with ERROR)
//   0x014 PROG_BASE  RW  DRAM byte address of instruction 0
//   0x018 PROG_LEN   RW  instructions in the program
//   0x01C DRAM_SIZE  RW  bytes of DRAM the program may touch
//   0x020 WATCHDOG   RW  cycles without progress that end a run with an error (0: never)
//   0x024 IRQ_ENABLE RW  bit 0 done, bit 1 error
//   0x028 IRQ_STATUS RW1C bit 0 done, bit 1 error: set when a run ends, whatever IRQ_ENABLE holds
//   0x02C MEM_SIZE   RW  bytes of memory behind the AXI port from address 0: the program must lie
//                        below it (0: the whole 4 GiB)
//   0x200 + 8k       RO  counter k (qsa_pkg::CNT_*), low word; reading it captures the high word
//   0x204 + 8k       RO  counter k, high word: the word captured by the last low-word read of k,
//                        else the counter's current high word
//
// irq_o is high while IRQ_STATUS & IRQ_ENABLE is not zero. A write of START while no run is
// in progress pulses start_o (and clears DONE, ERROR and ABORTED); ABORT pulses abort_o. While a
// run is in progress (busy_i), a write of START or of a configuration register (PROG_BASE ..
// WATCHDOG, MEM_SIZE) changes nothing, answers SLVERR and pulses bad_write_o (qsa_top then ends the
// run with qsa_pkg::ERR_REG_WRITE). An address outside the map answers SLVERR (reads return 0). Control reports the end
// of every run with one finish_i pulse carrying how it ended.
//
// Timing: a write completes (B valid) the cycle after both its address and data have been
// taken; a read's data is valid two cycles after its address was taken (the counter select is
// registered first, then the selected counter).
module qsa_regs #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  // AXI4-Lite slave.
  input  logic        awvalid_i,
  output logic        awready_o,
  input  logic [11:0] awaddr_i,
  input  logic        wvalid_i,
  output logic        wready_o,
  input  logic [31:0] wdata_i,
  input  logic [3:0]  wstrb_i,
  output logic        bvalid_o,
  input  logic        bready_i,
  output logic [1:0]  bresp_o,
  input  logic        arvalid_i,
  output logic        arready_o,
  input  logic [11:0] araddr_i,
  output logic        rvalid_o,
  input  logic        rready_i,
  output logic [31:0] rdata_o,
  output logic [1:0]  rresp_o,
  // To control.
  output logic        start_o,
  output logic        abort_o,
  output logic        bad_write_o,
  output logic [31:0] prog_base_o,
  output logic [31:0] prog_len_o,
  output logic [31:0] dram_size_o,
  output logic [31:0] watchdog_o,
  output logic [31:0] mem_size_o,
  // From control: a run is in progress; the end of a run.
  input  logic        busy_i,
  input  logic        finish_i,
  input  logic        finish_error_i,
  input  logic        finish_aborted_i,
  input  logic [3:0]  finish_code_i,
  input  logic [31:0] finish_pc_i,
  // Performance counters.
  output logic [5:0]  cnt_sel_o,
  input  logic [63:0] cnt_value_i,
  output logic        irq_o
);
  localparam logic [1:0] RespOkay = 2'b00;
  localparam logic [1:0] RespSlvErr = 2'b10;
  localparam logic [31:0] IdValue = 32'h5153_4101;
  localparam logic [11:0] AddrId = 12'h000, AddrShape = 12'h004, AddrCtrl = 12'h008,
                          AddrStatus = 12'h00C, AddrErrorPc = 12'h010, AddrProgBase = 12'h014,
                          AddrProgLen = 12'h018, AddrDramSize = 12'h01C, AddrWatchdog = 12'h020,
                          AddrIrqEnable = 12'h024, AddrIrqStatus = 12'h028,
                          AddrMemSize = 12'h02C;

  // ---------------------------------------------------------------- registers
  logic [31:0] prog_base_q, prog_len_q, dram_size_q, watchdog_q, mem_size_q, error_pc_q;
  logic [1:0]  irq_enable_q, irq_status_q;
  logic        done_q, error_q, aborted_q;
  logic [3:0]  error_code_q;

  // ---------------------------------------------------------------- write channel
  logic        aw_full_q, w_full_q, b_valid_q;
  logic [11:0] aw_addr_q;
  logic [31:0] w_data_q;
  logic [3:0]  w_strb_q;
  logic [1:0]  b_resp_q;
  assign awready_o = !aw_full_q && !b_valid_q;
  assign wready_o = !w_full_q && !b_valid_q;
  assign bvalid_o = b_valid_q;
  assign bresp_o = b_resp_q;

  // The write performed this cycle: address and data both held.
  logic do_write;
  assign do_write = aw_full_q && w_full_q;

  // Byte-strobed update of a 32-bit register.
  function automatic logic [31:0] Strobed(logic [31:0] old, logic [31:0] data, logic [3:0] strb);
    for (int b = 0; b < 4; b++) Strobed[b*8 +: 8] = strb[b] ? data[b*8 +: 8] : old[b*8 +: 8];
  endfunction

  logic is_config, is_ctrl, is_irq_enable, is_irq_status, write_mapped, write_refused;
  logic start_req, abort_req;
  always_comb begin
    is_config = aw_addr_q == AddrProgBase || aw_addr_q == AddrProgLen ||
                aw_addr_q == AddrDramSize || aw_addr_q == AddrWatchdog ||
                aw_addr_q == AddrMemSize;
    is_ctrl = aw_addr_q == AddrCtrl;
    is_irq_enable = aw_addr_q == AddrIrqEnable;
    is_irq_status = aw_addr_q == AddrIrqStatus;
    write_mapped = is_config || is_ctrl || is_irq_enable || is_irq_status;
    start_req = do_write && is_ctrl && w_strb_q[0] && w_data_q[0];
    abort_req = do_write && is_ctrl && w_strb_q[0] && w_data_q[1];
    write_refused = busy_i && (is_config || (is_ctrl && w_strb_q[0] && w_data_q[0]));
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      aw_full_q <= 1'b0;
      w_full_q <= 1'b0;
      b_valid_q <= 1'b0;
      aw_addr_q <= '0;
      w_data_q <= '0;
      w_strb_q <= '0;
      b_resp_q <= RespOkay;
    end else begin
      if (awvalid_i && awready_o) begin
        aw_full_q <= 1'b1;
        aw_addr_q <= awaddr_i;
      end
      if (wvalid_i && wready_o) begin
        w_full_q <= 1'b1;
        w_data_q <= wdata_i;
        w_strb_q <= wstrb_i;
      end
      if (do_write) begin
        aw_full_q <= 1'b0;
        w_full_q <= 1'b0;
        b_valid_q <= 1'b1;
        b_resp_q <= (write_mapped && !write_refused) ? RespOkay : RespSlvErr;
      end else if (b_valid_q && bready_i) begin
        b_valid_q <= 1'b0;
      end
    end
  end

  // ---------------------------------------------------------------- register updates
  // IRQ_STATUS: a write of 1 clears a bit, a finish sets its bits; a finish in the same cycle wins.
  logic [1:0] irq_status_d;
  always_comb begin
    irq_status_d = irq_status_q;
    if (do_write && is_irq_status && w_strb_q[0]) irq_status_d = irq_status_d & ~w_data_q[1:0];
    if (finish_i) irq_status_d = irq_status_d | {finish_error_i, 1'b1};
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prog_base_q <= '0;
      prog_len_q <= '0;
      dram_size_q <= '0;
      watchdog_q <= '0;
      mem_size_q <= '0;
      irq_enable_q <= '0;
      irq_status_q <= '0;
      done_q <= 1'b0;
      error_q <= 1'b0;
      aborted_q <= 1'b0;
      error_code_q <= '0;
      error_pc_q <= '0;
    end else begin
      if (do_write && !write_refused) begin
        unique case (aw_addr_q)
          AddrProgBase: prog_base_q <= Strobed(prog_base_q, w_data_q, w_strb_q);
          AddrProgLen: prog_len_q <= Strobed(prog_len_q, w_data_q, w_strb_q);
          AddrDramSize: dram_size_q <= Strobed(dram_size_q, w_data_q, w_strb_q);
          AddrWatchdog: watchdog_q <= Strobed(watchdog_q, w_data_q, w_strb_q);
          AddrMemSize: mem_size_q <= Strobed(mem_size_q, w_data_q, w_strb_q);
          AddrIrqEnable: if (w_strb_q[0]) irq_enable_q <= w_data_q[1:0];
          default: ;
        endcase
      end
      irq_status_q <= irq_status_d;
      if (start_req && !busy_i) begin
        done_q <= 1'b0;
        error_q <= 1'b0;
        aborted_q <= 1'b0;
        error_code_q <= '0;
      end
      if (finish_i) begin
        done_q <= 1'b1;
        error_q <= finish_error_i;
        aborted_q <= finish_aborted_i;
        error_code_q <= finish_error_i ? finish_code_i : 4'd0;
        error_pc_q <= finish_pc_i;
      end
    end
  end

  assign start_o = start_req && !busy_i;
  assign abort_o = abort_req;
  assign bad_write_o = do_write && write_refused;
  assign prog_base_o = prog_base_q;
  assign prog_len_o = prog_len_q;
  assign dram_size_o = dram_size_q;
  assign watchdog_o = watchdog_q;
  assign mem_size_o = mem_size_q;
  assign irq_o = |(irq_status_q & irq_enable_q);

  // ---------------------------------------------------------------- read channel
  // Stage 1 (address taken): the counter select registered; stage 2: the data.
  logic        ar_full_q, r_valid_q;
  logic [11:0] ar_addr_q;
  logic [31:0] r_data_q;
  logic [1:0]  r_resp_q;
  logic [5:0]  cnt_sel_q, hi_index_q;
  logic [31:0] hi_word_q;
  logic        hi_held_q;
  assign arready_o = !ar_full_q && !r_valid_q;
  assign rvalid_o = r_valid_q;
  assign rdata_o = r_data_q;
  assign rresp_o = r_resp_q;
  assign cnt_sel_o = cnt_sel_q;

  logic        is_counter, counter_high;
  logic [31:0] read_value;
  logic        read_mapped;
  always_comb begin
    // 0x200 .. 0x3FF: up to 64 counters of two words; the counter index is addr[8:3].
    is_counter = ar_addr_q[11:9] == 3'b001 && ar_addr_q[1:0] == 2'b00 &&
                 32'(ar_addr_q[8:3]) < qsa_pkg::NUM_COUNTERS;
    counter_high = ar_addr_q[2];
    read_mapped = 1'b1;
    read_value = '0;
    if (is_counter) begin
      read_value = !counter_high ? cnt_value_i[31:0]
                 : (hi_held_q && hi_index_q == cnt_sel_q) ? hi_word_q : cnt_value_i[63:32];
    end else begin
      unique case (ar_addr_q)
        AddrId: read_value = IdValue;
        AddrShape: read_value = {16'(ArrayCols), 16'(ArrayRows)};
        AddrCtrl: read_value = '0;
        AddrStatus: read_value = {20'd0, error_code_q, 4'd0, aborted_q, error_q, done_q, busy_i};
        AddrErrorPc: read_value = error_pc_q;
        AddrProgBase: read_value = prog_base_q;
        AddrProgLen: read_value = prog_len_q;
        AddrDramSize: read_value = dram_size_q;
        AddrWatchdog: read_value = watchdog_q;
        AddrIrqEnable: read_value = {30'd0, irq_enable_q};
        AddrIrqStatus: read_value = {30'd0, irq_status_q};
        AddrMemSize: read_value = mem_size_q;
        default: read_mapped = 1'b0;
      endcase
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ar_full_q <= 1'b0;
      r_valid_q <= 1'b0;
      ar_addr_q <= '0;
      r_data_q <= '0;
      r_resp_q <= RespOkay;
      cnt_sel_q <= '0;
      hi_index_q <= '0;
      hi_word_q <= '0;
      hi_held_q <= 1'b0;
    end else begin
      if (arvalid_i && arready_o) begin
        ar_full_q <= 1'b1;
        ar_addr_q <= araddr_i;
        cnt_sel_q <= araddr_i[8:3];
      end
      if (ar_full_q) begin
        ar_full_q <= 1'b0;
        r_valid_q <= 1'b1;
        r_data_q <= read_value;
        r_resp_q <= read_mapped ? RespOkay : RespSlvErr;
        if (is_counter && !counter_high) begin
          hi_index_q <= cnt_sel_q;
          hi_word_q <= cnt_value_i[63:32];
          hi_held_q <= 1'b1;
        end
      end else if (r_valid_q && rready_i) begin
        r_valid_q <= 1'b0;
      end
    end
  end

`ifndef SYNTHESIS
  // AXI4-Lite slave rules: a response, once valid, holds until taken, with stable payload.
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   bvalid_o && !bready_i |=> bvalid_o && $stable(bresp_o));
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   rvalid_o && !rready_i |=> rvalid_o && $stable(rdata_o) && $stable(rresp_o));
  // No start while a run is in progress.
  assert property (@(posedge clk_i) disable iff (!rst_ni) start_o |-> !busy_i);
`endif
endmodule

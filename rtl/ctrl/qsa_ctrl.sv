// The accelerator's control (docs/isa.md, "Machine model", "Dependency tokens", "Execution and
// errors"): fetches instruction words in order, checks each (qsa_check), dispatches them into the
// load, compute and store queues, runs the token protocol between the queues, offers each queue
// head to its unit, executes sync and finish itself, and keeps the status (done, error).
//
// Fetch: a word taken from the stream waits one cycle in a fetch register, where it is checked;
// the verdict and the target queue are registered with the word in a check register, and from
// there the word enters the queue of its opcode (a sync: the queue it names) unless that queue is
// full. One word per cycle when nothing stalls; the checker's arithmetic ends in registers, never
// at insn_ready_o or a queue's push. An illegal word stops the accelerator when it reaches the
// check register; fetch ends with the finish word.
//
// Tokens: per token queue, `avail` tokens are visible and `reserved` are promised by started,
// not yet completed instructions. A head may start when every token it pops is available and
// every token queue it pushes into has room (avail + reserved < TokenDepth); it then takes its
// pops and reserves its pushes, which become visible from the cycle after it completes.
//
// Queue index q: 0 load, 1 compute, 2 store. Token queue index t: 0 load→compute,
// 1 compute→load, 2 compute→store, 3 store→compute.
module qsa_ctrl #(
  parameter int unsigned ArrayRows = 16,
  parameter int unsigned ArrayCols = 16,
  parameter int unsigned SpRows = 4096,
  parameter int unsigned AccRows = 1024,
  parameter int unsigned ParamRows = 256,
  parameter int unsigned InsnDepth = 16,
  parameter int unsigned TokenDepth = 8
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         start_i,       // pulse: begin fetching at instruction 0
  // Level: start nothing more and take no word (the run is being ended: an abort, the watchdog,
  // an error outside control; qsa_top then resets control).
  input  logic         halt_i,
  input  logic [31:0]  dram_size_i,
  // Instruction stream: words pc, pc + 1, ... in order.
  input  logic         insn_valid_i,
  output logic         insn_ready_o,
  input  logic [127:0] insn_data_i,
  // Status (sticky until the next start).
  output logic         done_o,        // finish completed
  output logic         error_o,
  output logic [3:0]   error_code_o,  // qsa_pkg::ERR_*
  output logic [31:0]  error_pc_o,
  // Units, per queue q (0 load, 1 compute, 2 store), each field [q*W +: W] (W = the struct's
  // width): the queue head offered, whether the unit takes it, and what the unit reports.
  output logic [2:0]                       req_valid_o,
  output logic [3*qsa_pkg::UNIT_REQ_W-1:0] req_o,
  input  logic [2:0]                       req_ready_i,
  input  logic [3*qsa_pkg::UNIT_RSP_W-1:0] rsp_i,
  // Debug, for hang reports; per queue q (0 load, 1 compute, 2 store).
  output logic [2:0]   dbg_head_valid_o,
  output logic [95:0]  dbg_head_pc_o,     // [q*32 +: 32]
  output logic [17:0]  dbg_head_wait_o,   // [q*6 +: 6], bits below
  output logic [31:0]  dbg_fetch_pc_o,    // pc of the word fetch holds or wants next
  output logic         dbg_fetch_stall_o, // a checked word waits for room in a full queue
  output logic         dbg_fetch_done_o,  // finish has entered the compute queue
  output logic [2:0]   dbg_retire_o,      // an instruction of queue q completed
  // Counter events (qsa_counters).
  output qsa_pkg::ctrl_ev_t ev_o
);
  // dbg_head_wait_o bits of one queue.
  localparam int unsigned WaitPopPrev = 0;    // a token from the previous queue
  localparam int unsigned WaitPopNext = 1;    // a token from the next queue
  localparam int unsigned WaitPushPrev = 2;   // room in the token queue to the previous queue
  localparam int unsigned WaitPushNext = 3;   // room in the token queue to the next queue
  localparam int unsigned WaitUnit = 4;       // the unit (not ready; sync: not idle)
  localparam int unsigned WaitDrain = 5;      // finish: load and store not drained

  localparam int unsigned QLoad = 0;
  localparam int unsigned QCompute = 1;
  localparam int unsigned QStore = 2;
  localparam int unsigned TLoadCompute = 0;
  localparam int unsigned TComputeLoad = 1;
  localparam int unsigned TComputeStore = 2;
  localparam int unsigned TStoreCompute = 3;

  localparam int unsigned EntryW = 32 + 128;  // {pc, word}
  // Instructions a unit holds between start and done (gemms pipeline through the array); a head
  // waits while its unit's record FIFO is full.
  localparam int unsigned FlightDepth = 8;
  localparam int unsigned FlightW = 32 + 2;   // {pc, push_prev, push_next}
  localparam int unsigned Tw = $clog2(TokenDepth + 1) + 1;
  localparam logic [Tw-1:0] TokenLimit = Tw'(TokenDepth);

  // ---------------------------------------------------------------------------------------------
  // Unit responses as per-queue vectors.
  localparam int unsigned RspW = qsa_pkg::UNIT_RSP_W;
  localparam int unsigned ReqW = qsa_pkg::UNIT_REQ_W;
  logic [2:0] req_ready, unit_done, unit_idle, unit_err;
  // Packed per queue: [q*32 +: 32], [q*4 +: 4].
  logic [95:0] done_pc, err_pc;
  logic [11:0] err_code;
  qsa_pkg::unit_rsp_t rsp;
  assign req_ready = req_ready_i;
  always_comb begin
    rsp = '0;
    for (int q = 0; q < 3; q++) begin
      rsp = rsp_i[q*RspW +: RspW];
      unit_done[q] = rsp.done;
      unit_idle[q] = rsp.idle;
      unit_err[q] = rsp.err;
      done_pc[q*32 +: 32] = rsp.done_pc;
      err_pc[q*32 +: 32] = rsp.err_pc;
      err_code[q*4 +: 4] = rsp.err_code;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Status registers.
  logic run_q, run_d, done_q, done_d, err_q, err_d;
  logic [3:0] err_code_q, err_code_d;
  logic [31:0] err_pc_q, err_pc_d;
  // Nothing starts in a cycle an error is raised or after it.
  logic stop;

  // Fetch registers.
  logic [31:0] fetch_pc_q, fetch_pc_d;
  logic fetch_end_q, fetch_end_d;  // finish taken from the stream
  logic f_valid_q, f_valid_d;
  logic [31:0] f_pc_q, f_pc_d;
  logic [127:0] f_word_q;
  // The word in the fetch register arrived in the previous cycle: the checker runs only then,
  // and its verdict is held while the word waits for room in its queue.
  logic f_new_q;
  logic f_ok_q;
  logic [3:0] f_err_code_q;
  // The program's DRAM size, registered: it holds still from before start (a word is checked two
  // cycles after start at the earliest), and the copy keeps the top-level input off the
  // combinational paths to the checker and from there to every unit's start.
  logic [31:0] dram_size_q;

  // The fetch register's word: legality and target queue.
  logic f_ok, chk_ok;
  logic [3:0] f_err_code, chk_err_code;
  logic [1:0] f_queue;
  logic f_adv, f_accept;
  // The check register: a checked word, its verdict and its queue.
  logic c_valid_q, c_valid_d;
  logic [31:0] c_pc_q;
  logic [127:0] c_word_q;
  logic c_ok_q;
  logic [3:0] c_err_code_q;
  logic [1:0] c_queue_q;
  logic c_illegal, c_push, c_stall;

  qsa_check #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SpRows(SpRows),
    .AccRows(AccRows),
    .ParamRows(ParamRows)
  ) u_check (
    .en_i(f_new_q),
    .word_i(f_word_q),
    .dram_size_i(dram_size_q),
    .ok_o(chk_ok),
    .err_code_o(chk_err_code)
  );
  assign f_ok = f_new_q ? chk_ok : f_ok_q;
  assign f_err_code = f_new_q ? chk_err_code : f_err_code_q;

  always_comb begin
    unique case (f_word_q[qsa_isa_pkg::HDR_OPCODE_LSB +: qsa_isa_pkg::HDR_OPCODE_BITS])
      qsa_isa_pkg::OP_LOAD_SP, qsa_isa_pkg::OP_LOAD_ACC, qsa_isa_pkg::OP_LOAD_PARAM:
        f_queue = 2'(QLoad);
      qsa_isa_pkg::OP_STORE_SP, qsa_isa_pkg::OP_STORE_ACC: f_queue = 2'(QStore);
      qsa_isa_pkg::OP_SYNC:
        f_queue = f_word_q[qsa_isa_pkg::SYNC_QUEUE_LSB +: qsa_isa_pkg::SYNC_QUEUE_BITS];
      default: f_queue = 2'(QCompute);
    endcase
  end

  // ---------------------------------------------------------------------------------------------
  // Instruction queues.
  logic [2:0] q_push, q_pop, q_empty, q_full;
  logic [3*EntryW-1:0] q_head;  // [q*EntryW +: EntryW]
  logic [EntryW-1:0] f_entry;
  assign f_entry = {c_pc_q, c_word_q};

  for (genvar q = 0; q < 3; q++) begin : gen_queue
    logic [$clog2(InsnDepth+1)-1:0] count_unused;
    qsa_fifo #(
      .Width(EntryW),
      .Depth(InsnDepth)
    ) u_queue (
      .clk_i(clk_i),
      .rst_ni(rst_ni),
      .push_i(q_push[q]),
      .data_i(f_entry),
      .pop_i(q_pop[q]),
      .data_o(q_head[q*EntryW +: EntryW]),
      .empty_o(q_empty[q]),
      .full_o(q_full[q]),
      .count_o(count_unused)
    );
  end

  assign c_illegal = run_q && !err_q && c_valid_q && !c_ok_q;
  assign c_push = run_q && !err_q && c_valid_q && c_ok_q && !q_full[c_queue_q];
  assign c_stall = run_q && !err_q && c_valid_q && c_ok_q && q_full[c_queue_q];
  assign f_adv = run_q && !err_q && f_valid_q && (!c_valid_q || c_push);
  assign insn_ready_o = run_q && !err_q && !halt_i && !fetch_end_q && (!f_valid_q || f_adv);
  assign f_accept = insn_valid_i && insn_ready_o;
  always_comb begin
    for (int q = 0; q < 3; q++) q_push[q] = c_push && (c_queue_q == 2'(q));
  end

  always_comb begin
    fetch_pc_d = fetch_pc_q;
    fetch_end_d = fetch_end_q;
    f_valid_d = f_valid_q;
    f_pc_d = f_pc_q;
    c_valid_d = c_valid_q;
    if (c_push) c_valid_d = 1'b0;
    if (f_adv) begin
      f_valid_d = 1'b0;
      c_valid_d = 1'b1;
    end
    if (f_accept) begin
      f_valid_d = 1'b1;
      f_pc_d = fetch_pc_q;
      fetch_pc_d = fetch_pc_q + 32'd1;
      if (insn_data_i[qsa_isa_pkg::HDR_OPCODE_LSB +: qsa_isa_pkg::HDR_OPCODE_BITS] ==
          qsa_isa_pkg::OP_FINISH) begin
        fetch_end_d = 1'b1;
      end
    end
    if (start_i && !run_q) begin
      fetch_pc_d = '0;
      fetch_end_d = 1'b0;
      f_valid_d = 1'b0;
      c_valid_d = 1'b0;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Queue heads.
  logic [2:0] h_valid, h_sync, h_finish, h_unit;
  logic [2:0] h_pop_prev, h_pop_next, h_push_prev, h_push_next;
  logic [95:0] h_pc;     // [q*32 +: 32]
  logic [383:0] h_word;  // [q*128 +: 128]
  logic [11:0] h_op;     // [q*4 +: 4]
  always_comb begin
    for (int q = 0; q < 3; q++) begin
      h_valid[q] = !q_empty[q];
      h_pc[q*32 +: 32] = q_head[q*EntryW + 128 +: 32];
      h_word[q*128 +: 128] = q_head[q*EntryW +: 128];
      h_op[q*4 +: 4] =
          q_head[q*EntryW + qsa_isa_pkg::HDR_OPCODE_LSB +: qsa_isa_pkg::HDR_OPCODE_BITS];
      h_sync[q] = h_op[q*4 +: 4] == qsa_isa_pkg::OP_SYNC;
      h_finish[q] = h_op[q*4 +: 4] == qsa_isa_pkg::OP_FINISH;
      h_unit[q] = !h_sync[q] && !h_finish[q];
      // Flags toward a missing neighbour never reach a queue (qsa_check); mask them anyway.
      h_pop_prev[q] = (q != QLoad) && q_head[q*EntryW + qsa_isa_pkg::HDR_POP_PREV_LSB];
      h_pop_next[q] = (q != QStore) && q_head[q*EntryW + qsa_isa_pkg::HDR_POP_NEXT_LSB];
      h_push_prev[q] = (q != QLoad) && q_head[q*EntryW + qsa_isa_pkg::HDR_PUSH_PREV_LSB];
      h_push_next[q] = (q != QStore) && q_head[q*EntryW + qsa_isa_pkg::HDR_PUSH_NEXT_LSB];
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Token counters.
  logic [4*Tw-1:0] avail_q, avail_d, resv_q, resv_d;  // [t*Tw +: Tw]
  logic [3:0] tok_has, tok_room;
  always_comb begin
    for (int t = 0; t < 4; t++) begin
      tok_has[t] = avail_q[t*Tw +: Tw] != '0;
      tok_room[t] = Tw'(avail_q[t*Tw +: Tw] + resv_q[t*Tw +: Tw]) < TokenLimit;
    end
  end

  // What each head waits for among the tokens.
  logic [2:0] w_pop_prev, w_pop_next, w_push_prev, w_push_next, tok_ok;
  always_comb begin
    w_pop_prev = '0;
    w_pop_next = '0;
    w_push_prev = '0;
    w_push_next = '0;
    w_pop_next[QLoad] = h_pop_next[QLoad] && !tok_has[TComputeLoad];
    w_push_next[QLoad] = h_push_next[QLoad] && !tok_room[TLoadCompute];
    w_pop_prev[QCompute] = h_pop_prev[QCompute] && !tok_has[TLoadCompute];
    w_pop_next[QCompute] = h_pop_next[QCompute] && !tok_has[TStoreCompute];
    w_push_prev[QCompute] = h_push_prev[QCompute] && !tok_room[TComputeLoad];
    w_push_next[QCompute] = h_push_next[QCompute] && !tok_room[TComputeStore];
    w_pop_prev[QStore] = h_pop_prev[QStore] && !tok_has[TComputeStore];
    w_push_prev[QStore] = h_push_prev[QStore] && !tok_room[TStoreCompute];
    tok_ok = ~(w_pop_prev | w_pop_next | w_push_prev | w_push_next);
  end

  // ---------------------------------------------------------------------------------------------
  // In-flight instructions: per unit, the push flags of the instructions it has taken, in order;
  // control's own sync / finish of each queue (busy one cycle).
  logic [2:0] fl_push, fl_empty, fl_full;
  logic [3*FlightW-1:0] fl_head;  // [q*FlightW +: FlightW]
  logic [2:0] self_q, self_d;                 // a sync / finish of queue q completes this cycle
  logic [2:0] self_push_prev_q, self_push_prev_d, self_push_next_q, self_push_next_d;
  logic self_finish_q, self_finish_d;         // ... and it is finish

  for (genvar q = 0; q < 3; q++) begin : gen_flight
    logic [$clog2(FlightDepth+1)-1:0] count_unused;
    qsa_fifo #(
      .Width(FlightW),
      .Depth(FlightDepth)
    ) u_flight (
      .clk_i(clk_i),
      .rst_ni(rst_ni),
      .push_i(fl_push[q]),
      .data_i({h_pc[q*32 +: 32], h_push_prev[q], h_push_next[q]}),
      .pop_i(unit_done[q]),
      .data_o(fl_head[q*FlightW +: FlightW]),
      .empty_o(fl_empty[q]),
      .full_o(fl_full[q]),
      .count_o(count_unused)
    );
  end

  // ---------------------------------------------------------------------------------------------
  // Starts.
  logic [2:0] can_go, req_valid, start, unit_wait;
  logic drained;
  always_comb begin
    // finish: load and store queues empty, nothing in flight, every unit idle.
    drained = q_empty[QLoad] && q_empty[QStore] && (&fl_empty) && (self_q == '0) && (&unit_idle);
    for (int q = 0; q < 3; q++) begin
      can_go[q] = run_q && !stop && h_valid[q] && tok_ok[q];
      req_valid[q] = can_go[q] && h_unit[q] && !fl_full[q];
      unit_wait[q] = h_unit[q] ? !(req_ready[q] && !fl_full[q]) :
                     h_sync[q] ? !(unit_idle[q] && fl_empty[q] && !self_q[q]) : 1'b0;
      start[q] = can_go[q] && (h_unit[q] ? req_ready[q] && !fl_full[q] :
                               h_sync[q] ? !unit_wait[q] : drained);
    end
  end
  assign q_pop = start;
  assign fl_push = start & h_unit;

  assign req_valid_o = req_valid;
  qsa_pkg::unit_req_t req;
  always_comb begin
    req = '0;
    for (int q = 0; q < 3; q++) begin
      req.insn = h_word[q*128 +: 128];
      req.pc = h_pc[q*32 +: 32];
      req_o[q*ReqW +: ReqW] = req;
    end
  end

  // Control's own sync / finish.
  always_comb begin
    self_d = start & ~h_unit;
    self_push_prev_d = h_push_prev;
    self_push_next_d = h_push_next;
    self_finish_d = start[QCompute] && h_finish[QCompute];
  end

  // ---------------------------------------------------------------------------------------------
  // Completions: a unit's done (the oldest in-flight entry) or control's own instruction.
  logic [2:0] retire, credit_prev, credit_next;
  always_comb begin
    for (int q = 0; q < 3; q++) begin
      retire[q] = unit_done[q] || self_q[q];
      credit_prev[q] = (unit_done[q] && fl_head[q*FlightW + 1]) ||
                       (self_q[q] && self_push_prev_q[q]);
      credit_next[q] = (unit_done[q] && fl_head[q*FlightW]) ||
                       (self_q[q] && self_push_next_q[q]);
    end
  end

  // Per token queue: popped by a start, reserved by a start, credited by a completion.
  logic [3:0] tok_pop, tok_resv, tok_credit;
  always_comb begin
    tok_pop[TLoadCompute] = start[QCompute] && h_pop_prev[QCompute];
    tok_resv[TLoadCompute] = start[QLoad] && h_push_next[QLoad];
    tok_credit[TLoadCompute] = credit_next[QLoad];
    tok_pop[TComputeLoad] = start[QLoad] && h_pop_next[QLoad];
    tok_resv[TComputeLoad] = start[QCompute] && h_push_prev[QCompute];
    tok_credit[TComputeLoad] = credit_prev[QCompute];
    tok_pop[TComputeStore] = start[QStore] && h_pop_prev[QStore];
    tok_resv[TComputeStore] = start[QCompute] && h_push_next[QCompute];
    tok_credit[TComputeStore] = credit_next[QCompute];
    tok_pop[TStoreCompute] = start[QCompute] && h_pop_next[QCompute];
    tok_resv[TStoreCompute] = start[QStore] && h_push_prev[QStore];
    tok_credit[TStoreCompute] = credit_prev[QStore];
    for (int t = 0; t < 4; t++) begin
      avail_d[t*Tw +: Tw] = avail_q[t*Tw +: Tw] + Tw'(tok_credit[t]) - Tw'(tok_pop[t]);
      resv_d[t*Tw +: Tw] = resv_q[t*Tw +: Tw] + Tw'(tok_resv[t]) - Tw'(tok_credit[t]);
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Status: run from start to the end of finish or the first error (first wins, sticky).
  assign stop = err_q || c_illegal || (unit_err != '0) || halt_i;
  always_comb begin
    run_d = run_q;
    done_d = done_q;
    err_d = err_q;
    err_code_d = err_code_q;
    err_pc_d = err_pc_q;
    if (run_q && self_finish_q) begin
      run_d = 1'b0;
      done_d = 1'b1;
    end
    if (!err_q) begin
      if (c_illegal) begin
        err_d = 1'b1;
        err_code_d = c_err_code_q;
        err_pc_d = c_pc_q;
      end else begin
        for (int q = 2; q >= 0; q--) begin
          if (unit_err[q]) begin
            err_d = 1'b1;
            err_code_d = err_code[q*4 +: 4];
            err_pc_d = err_pc[q*32 +: 32];
          end
        end
      end
      if (err_d) run_d = 1'b0;
    end
  end

  // A start clears the status and the token counters; it is applied in the registers, so that
  // the input start_i reaches no combinational logic (a simulator evaluates that on every input
  // change).
  logic restart;
  assign restart = start_i && !run_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      run_q <= 1'b0;
      done_q <= 1'b0;
      err_q <= 1'b0;
      err_code_q <= qsa_pkg::ERR_NONE;
      err_pc_q <= '0;
      fetch_pc_q <= '0;
      fetch_end_q <= 1'b0;
      f_valid_q <= 1'b0;
      f_pc_q <= '0;
      c_valid_q <= 1'b0;
      avail_q <= '0;
      resv_q <= '0;
      self_q <= '0;
      self_push_prev_q <= '0;
      self_push_next_q <= '0;
      self_finish_q <= 1'b0;
    end else begin
      if (restart) begin
        run_q <= 1'b1;
        done_q <= 1'b0;
        err_q <= 1'b0;
        err_code_q <= qsa_pkg::ERR_NONE;
        err_pc_q <= '0;
        avail_q <= '0;
        resv_q <= '0;
      end else begin
        run_q <= run_d;
        done_q <= done_d;
        err_q <= err_d;
        err_code_q <= err_code_d;
        err_pc_q <= err_pc_d;
        avail_q <= avail_d;
        resv_q <= resv_d;
      end
      fetch_pc_q <= fetch_pc_d;
      fetch_end_q <= fetch_end_d;
      f_valid_q <= f_valid_d;
      f_pc_q <= f_pc_d;
      c_valid_q <= c_valid_d;
      self_q <= self_d;
      self_push_prev_q <= self_push_prev_d;
      self_push_next_q <= self_push_next_d;
      self_finish_q <= self_finish_d;
    end
  end

  // The fetch register's word and its check: loaded only when a word is taken (wide registers
  // are not copied every cycle).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      f_word_q <= '0;
      dram_size_q <= '0;
      f_new_q <= 1'b0;
      f_ok_q <= 1'b1;
      f_err_code_q <= qsa_pkg::ERR_NONE;
    end else begin
      if (f_accept) f_word_q <= insn_data_i;
      dram_size_q <= dram_size_i;
      f_new_q <= f_accept;
      f_ok_q <= f_ok;
      f_err_code_q <= f_err_code;
    end
  end

  // The check register: loaded only when a word moves there from the fetch register.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      c_pc_q <= '0;
      c_word_q <= '0;
      c_ok_q <= 1'b1;
      c_err_code_q <= qsa_pkg::ERR_NONE;
      c_queue_q <= '0;
    end else if (f_adv) begin
      c_pc_q <= f_pc_q;
      c_word_q <= f_word_q;
      c_ok_q <= f_ok;
      c_err_code_q <= f_err_code;
      c_queue_q <= f_queue;
    end
  end

  assign done_o = done_q;
  assign error_o = err_q;
  assign error_code_o = err_code_q;
  assign error_pc_o = err_pc_q;

  // ---------------------------------------------------------------------------------------------
  // Debug and counter events.
  always_comb begin
    for (int q = 0; q < 3; q++) begin
      dbg_head_pc_o[q*32 +: 32] = h_pc[q*32 +: 32];
      dbg_head_wait_o[q*6 +: 6] = '0;
      if (h_valid[q]) begin
        dbg_head_wait_o[q*6 + WaitPopPrev] = w_pop_prev[q];
        dbg_head_wait_o[q*6 + WaitPopNext] = w_pop_next[q];
        dbg_head_wait_o[q*6 + WaitPushPrev] = w_push_prev[q];
        dbg_head_wait_o[q*6 + WaitPushNext] = w_push_next[q];
        dbg_head_wait_o[q*6 + WaitUnit] = unit_wait[q];
        dbg_head_wait_o[q*6 + WaitDrain] = h_finish[q] && !drained;
      end
    end
  end
  assign dbg_head_valid_o = h_valid;
  assign dbg_fetch_pc_o = c_valid_q ? c_pc_q : (f_valid_q ? f_pc_q : fetch_pc_q);
  assign dbg_fetch_stall_o = c_stall;
  assign dbg_fetch_done_o = fetch_end_q && !f_valid_q && !c_valid_q;
  assign dbg_retire_o = retire;

  assign ev_o.running = run_q;
  assign ev_o.start = start;
  assign ev_o.start_op = h_op;
  assign ev_o.unit_busy = ~unit_idle;
  assign ev_o.stall = (run_q && !err_q) ? (h_valid & ~start) : 3'b000;
  assign ev_o.fetch_stall = c_stall;

`ifndef SYNTHESIS
  for (genvar q = 0; q < 3; q++) begin : gen_assert_queue
    // A unit completes the oldest instruction it took.
    DonePcHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
        unit_done[q] |-> (!fl_empty[q] &&
                          done_pc[q*32 +: 32] == fl_head[q*FlightW + 2 +: 32]));
    // A unit never holds more instructions than the in-flight FIFO tracks.
    FlightRoomHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
        fl_push[q] |-> !fl_full[q]);
    // Fetch pushes only into a queue with room.
    QueueRoomHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
        q_push[q] |-> !q_full[q]);
  end
  for (genvar t = 0; t < 4; t++) begin : gen_assert_token
    TokenBoundHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
        (avail_q[t*Tw +: Tw] + resv_q[t*Tw +: Tw]) <= TokenLimit);
    TokenPopHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
        tok_pop[t] |-> avail_q[t*Tw +: Tw] != '0);
    TokenCreditHolds_A : assert property (@(posedge clk_i) disable iff (!rst_ni)
        tok_credit[t] |-> resv_q[t*Tw +: Tw] != '0);
  end
`endif

`ifndef SYNTHESIS
  // ---- Cover points (counted in the coverage models, --coverage-user; scripts/rtl_coverage.sh
  // lists which were hit) ----
  // Every opcode started by the queue that runs it (sync in all three, finish in compute). One
  // statement per point (points of a generate loop would share a source line), and no function
  // calls (Verilator 5.006 evaluates a function's result after a cover point reads it).
  LoadQueueLoadSp_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QLoad] && h_op[QLoad*4 +: 4] == qsa_isa_pkg::OP_LOAD_SP);
  LoadQueueLoadAcc_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QLoad] && h_op[QLoad*4 +: 4] == qsa_isa_pkg::OP_LOAD_ACC);
  LoadQueueLoadParam_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QLoad] && h_op[QLoad*4 +: 4] == qsa_isa_pkg::OP_LOAD_PARAM);
  LoadQueueSync_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QLoad] && h_op[QLoad*4 +: 4] == qsa_isa_pkg::OP_SYNC);
  ComputeQueueGemm_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QCompute] && h_op[QCompute*4 +: 4] == qsa_isa_pkg::OP_GEMM);
  ComputeQueuePost_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QCompute] && h_op[QCompute*4 +: 4] == qsa_isa_pkg::OP_POST);
  ComputeQueueVadd_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QCompute] && h_op[QCompute*4 +: 4] == qsa_isa_pkg::OP_VADD);
  ComputeQueuePool_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QCompute] && h_op[QCompute*4 +: 4] == qsa_isa_pkg::OP_POOL);
  ComputeQueueSync_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QCompute] && h_op[QCompute*4 +: 4] == qsa_isa_pkg::OP_SYNC);
  ComputeQueueFinish_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QCompute] && h_op[QCompute*4 +: 4] == qsa_isa_pkg::OP_FINISH);
  StoreQueueStoreSp_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QStore] && h_op[QStore*4 +: 4] == qsa_isa_pkg::OP_STORE_SP);
  StoreQueueStoreAcc_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QStore] && h_op[QStore*4 +: 4] == qsa_isa_pkg::OP_STORE_ACC);
  StoreQueueSync_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      start[QStore] && h_op[QStore*4 +: 4] == qsa_isa_pkg::OP_SYNC);
  // Every error code of qsa_pkg entering the status register (the first error of a run).
  ErrIllegalOpcode_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_ILLEGAL_OPCODE);
  ErrReservedBits_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_RESERVED_BITS);
  ErrTokenFlag_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_TOKEN_FLAG);
  ErrIllegalField_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_ILLEGAL_FIELD);
  ErrDramBounds_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_DRAM_BOUNDS);
  ErrSpBounds_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_SP_BOUNDS);
  ErrAccBounds_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_ACC_BOUNDS);
  ErrParamBounds_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_PARAM_BOUNDS);
  ErrDescriptor_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_DESCRIPTOR);
  ErrDramResp_C : cover property (@(posedge clk_i) disable iff (!rst_ni)
      !err_q && err_d && err_code_d == qsa_pkg::ERR_DRAM_RESP);
`endif
endmodule

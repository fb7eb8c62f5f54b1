// The inside of a model library: implements sim/rtl_model_api.h on the verilated qsa_top
// (Vqsa_top). Compiled once per array configuration; QSA_RTL_* are that configuration's
// parameters. Verilator's $stop/$fatal/$finish handlers are replaced so that a failed assertion
// ends the run with a message instead of ending the process.
//
// Two switches from the environment, read when a model is created (no ABI change for either):
// - QSA_RTL_RANDOM_INIT=N: every variable (registers and memories) starts from a random value
//   seeded by N (the library is verilated with --x-initial unique; Verilator's randReset(2) and
//   randSeed(N)) instead of zero, so that a register the reset misses shows up as a difference.
// - QSA_RTL_COVERAGE_DIR=DIR, in a library verilated with coverage (scripts/rtl_coverage.sh):
//   each model's coverage counts are added up in the process and written to
//   DIR/qsa_rtl_<pid>.dat (Verilator's coverage format) when the process ends.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <type_traits>
#if VM_COVERAGE
#include <unistd.h>

#include <fstream>
#include <map>

#include "verilated_cov.h"
#endif

#include "Vqsa_top.h"
#include "sim/rtl_model_api.h"
#include "verilated.h"
#if VM_TRACE_FST
#include "verilated_fst_c.h"
#endif

namespace {

// The reason the simulation stopped; one model library runs one simulation at a time.
std::string& StopMessage() {
  static std::string message;
  return message;
}

void RecordStop(const char* filename, int linenum, const char* what) {
  if (!StopMessage().empty()) return;  // keep the first
  StopMessage() =
      std::string(what) + (filename != nullptr && filename[0] != '\0'
                               ? " at " + std::string(filename) + ":" + std::to_string(linenum)
                               : std::string());
  Verilated::threadContextp()->gotError(true);
  Verilated::threadContextp()->gotFinish(true);
}

// Copies the low `bytes` bytes of a verilated signal (CData..QData or VlWide) to `out`, LSB
// first.
template <typename T>
void SignalToBytes(const T& signal, std::uint8_t* out, std::size_t bytes) {
  if constexpr (std::is_integral_v<T>) {
    for (std::size_t k = 0; k < bytes && k < sizeof(T); ++k) {
      out[k] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(signal) >> (8 * k));
    }
  } else {
    for (std::size_t k = 0; k < bytes; ++k) {
      out[k] = static_cast<std::uint8_t>(signal[k / 4] >> (8 * (k % 4)));
    }
  }
}

template <typename T>
void BytesToSignal(const std::uint8_t* in, std::size_t bytes, T& signal) {
  if constexpr (std::is_integral_v<T>) {
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < bytes && k < sizeof(T); ++k) v |= std::uint64_t{in[k]} << (8 * k);
    signal = static_cast<T>(v);
  } else {
    for (std::size_t w = 0; w < (bytes + 3) / 4; ++w) signal[w] = 0;
    for (std::size_t k = 0; k < bytes; ++k) signal[k / 4] |= std::uint32_t{in[k]} << (8 * (k % 4));
  }
}

template <typename T>
bool SignalBit(const T& signal, std::size_t bit) {
  if constexpr (std::is_integral_v<T>) {
    return ((static_cast<std::uint64_t>(signal) >> bit) & 1u) != 0;
  } else {
    return ((signal[bit / 32] >> (bit % 32)) & 1u) != 0;
  }
}

template <typename Data, typename Mask>
void ObserveWrites(std::uint8_t we, std::uint32_t addr, const Data& data, const Mask& mask,
                   std::uint32_t tag, std::size_t lanes, std::size_t lane_bytes, bool copy,
                   QsaRtlWritePort& out) {
  out.we = we;
  out.addr = addr;
  out.tag = tag;
  if (!copy || we == 0) return;
  for (std::size_t l = 0; l < lanes; ++l) out.mask[l] = SignalBit(mask, l) ? 1 : 0;
  SignalToBytes(data, out.data, lanes * lane_bytes);
}

#if VM_COVERAGE
// The coverage counts of every model this process ran, by Verilator's point key; written out
// when the library is unloaded (at process exit).
class CoverageTotals {
 public:
  ~CoverageTotals() {
    if (dir_.empty() || counts_.empty()) return;
    std::ofstream out(dir_ + "/qsa_rtl_" + std::to_string(getpid()) + ".dat");
    out << "# SystemC::Coverage-3\n";
    for (const auto& [key, count] : counts_) out << "C '" << key << "' " << count << "\n";
  }
  // Adds the counts of `context`'s model (Verilator writes them only to a file).
  void Add(VerilatedContext& context) {
    const char* dir = std::getenv("QSA_RTL_COVERAGE_DIR");
    if (dir == nullptr || dir[0] == '\0') return;
    dir_ = dir;
    const std::string part = dir_ + "/.qsa_rtl_" + std::to_string(getpid()) + ".part";
    context.coveragep()->write(part.c_str());
    std::ifstream in(part);
    std::string line;
    while (std::getline(in, line)) {
      // C '<key>' <count>
      const std::size_t close = line.rfind("' ");
      if (line.rfind("C '", 0) != 0 || close == std::string::npos) continue;
      counts_[line.substr(3, close - 3)] += std::strtoull(line.c_str() + close + 2, nullptr, 10);
    }
    in.close();
    std::remove(part.c_str());
  }

 private:
  std::string dir_;
  std::map<std::string, unsigned long long> counts_;
};

CoverageTotals& Coverage() {
  static CoverageTotals totals;
  return totals;
}
#endif

}  // namespace

// Verilator calls these instead of its defaults (VL_USER_FINISH/STOP/FATAL are defined for the
// whole library).
void vl_finish(const char* filename, int linenum, const char* /*hier*/) {
  RecordStop(filename, linenum, "$finish");
}
void vl_stop(const char* filename, int linenum, const char* /*hier*/) {
  RecordStop(filename, linenum, "$stop (a failed assertion)");
}
void vl_fatal(const char* filename, int linenum, const char* /*hier*/, const char* msg) {
  RecordStop(filename, linenum, msg != nullptr ? msg : "fatal error");
}

struct QsaRtlModel {
  std::unique_ptr<VerilatedContext> context;
  std::unique_ptr<Vqsa_top> top;
#if VM_TRACE_FST
  std::unique_ptr<VerilatedFstC> trace;
#endif
  bool finished = false;

  void Eval() {
    top->eval();
#if VM_TRACE_FST
    if (trace) trace->dump(context->time());
#endif
    context->timeInc(1);
  }
  void Finish() {
    if (finished) return;
    finished = true;
    top->final();
#if VM_TRACE_FST
    if (trace) trace->close();
#endif
#if VM_COVERAGE
    Coverage().Add(*context);
#endif
  }
};

namespace {

constexpr std::size_t kRows = QSA_RTL_ROWS;
constexpr std::size_t kCols = QSA_RTL_COLS;
static_assert(kRows <= QSA_RTL_MAX_LANES && kCols <= QSA_RTL_MAX_LANES);

void CopyError(const std::string& message, char* error, std::uint32_t error_size) {
  if (error == nullptr || error_size == 0) return;
  std::snprintf(error, error_size, "%s", message.c_str());
}

QsaRtlModel* Create(const char* fst_path, char* error, std::uint32_t error_size) {
  StopMessage().clear();
  auto model = std::make_unique<QsaRtlModel>();
  model->context = std::make_unique<VerilatedContext>();
  model->context->fatalOnError(false);
  const bool trace = fst_path != nullptr && fst_path[0] != '\0';
  if (trace) model->context->traceEverOn(true);
  if (const char* seed = std::getenv("QSA_RTL_RANDOM_INIT"); seed != nullptr && seed[0] != '\0') {
    model->context->randReset(2);
    model->context->randSeed(static_cast<int>(std::strtol(seed, nullptr, 0)));
  }
  // The model's constructor draws the initial values from the thread's context.
  Verilated::threadContextp(model->context.get());
  model->top = std::make_unique<Vqsa_top>(model->context.get(), "qsa_top");
  if (trace) {
#if VM_TRACE_FST
    model->trace = std::make_unique<VerilatedFstC>();
    model->top->trace(model->trace.get(), 99);
    model->trace->open(fst_path);
    if (!model->trace->isOpen()) {
      CopyError(std::string("cannot open the waveform file ") + fst_path, error, error_size);
      model->Finish();
      return nullptr;
    }
#else
    CopyError("this model library was built without FST tracing", error, error_size);
    return nullptr;
#endif
  }
  return model.release();
}

void Destroy(QsaRtlModel* model) {
  if (model == nullptr) return;
  model->Finish();
  delete model;
}

void ApplyInputs(Vqsa_top& top, const QsaRtlInputs& in) {
  top.s_awvalid_i = in.s_aw_valid;
  top.s_awaddr_i = static_cast<std::uint16_t>(in.s_aw_addr & 0xFFFu);
  top.s_wvalid_i = in.s_w_valid;
  top.s_wdata_i = in.s_w_data;
  top.s_wstrb_i = in.s_w_strb & 0xFu;
  top.s_bready_i = in.s_b_ready;
  top.s_arvalid_i = in.s_ar_valid;
  top.s_araddr_i = static_cast<std::uint16_t>(in.s_ar_addr & 0xFFFu);
  top.s_rready_i = in.s_r_ready;
  top.axi_ar_ready_i = in.ar_ready;
  top.axi_r_valid_i = in.r_valid;
  top.axi_r_id_i = static_cast<std::uint8_t>(in.r_id & 0xFu);
  BytesToSignal(in.r_data, QSA_RTL_BUS_BYTES, top.axi_r_data_i);
  top.axi_r_resp_i = in.r_resp;
  top.axi_r_last_i = in.r_last;
  top.axi_aw_ready_i = in.aw_ready;
  top.axi_w_ready_i = in.w_ready;
  top.axi_b_valid_i = in.b_valid;
  top.axi_b_id_i = static_cast<std::uint8_t>(in.b_id & 0xFu);
  top.axi_b_resp_i = in.b_resp;
}

void ReadOutputs(const Vqsa_top& top, bool copy, QsaRtlOutputs& out) {
  out.s_aw_ready = top.s_awready_o;
  out.s_w_ready = top.s_wready_o;
  out.s_b_valid = top.s_bvalid_o;
  out.s_b_resp = top.s_bresp_o;
  out.s_ar_ready = top.s_arready_o;
  out.s_r_valid = top.s_rvalid_o;
  out.s_r_data = top.s_rdata_o;
  out.s_r_resp = top.s_rresp_o;
  out.irq = top.irq_o;
  out.ar_valid = top.axi_ar_valid_o;
  out.ar_id = top.axi_ar_id_o;
  out.ar_addr = top.axi_ar_addr_o;
  out.ar_len = top.axi_ar_len_o;
  out.ar_size = top.axi_ar_size_o;
  out.ar_burst = top.axi_ar_burst_o;
  out.ar_pc = top.axi_ar_pc_o;
  out.r_ready = top.axi_r_ready_o;
  out.aw_valid = top.axi_aw_valid_o;
  out.aw_id = top.axi_aw_id_o;
  out.aw_addr = top.axi_aw_addr_o;
  out.aw_len = top.axi_aw_len_o;
  out.aw_size = top.axi_aw_size_o;
  out.aw_burst = top.axi_aw_burst_o;
  out.w_valid = top.axi_w_valid_o;
  if (top.axi_w_valid_o) SignalToBytes(top.axi_w_data_o, out.w_data, QSA_RTL_BUS_BYTES);
  out.w_strb = top.axi_w_strb_o;
  out.w_last = top.axi_w_last_o;
  out.w_pc = top.axi_w_pc_o;
  out.b_ready = top.axi_b_ready_o;
  out.dbg_head_valid = top.dbg_head_valid_o;
  for (int q = 0; q < QSA_RTL_NUM_QUEUES; ++q) {
    out.dbg_head_pc[q] = top.dbg_head_pc_o[q];
    out.dbg_head_wait[q] = static_cast<std::uint8_t>((top.dbg_head_wait_o >> (6 * q)) & 0x3Fu);
  }
  out.dbg_fetch_pc = top.dbg_fetch_pc_o;
  out.dbg_fetch_stall = top.dbg_fetch_stall_o;
  out.dbg_fetch_done = top.dbg_fetch_done_o;
  out.dbg_retire = top.dbg_retire_o;
  ObserveWrites(top.obs_sp0_we_o, top.obs_sp0_addr_o, top.obs_sp0_data_o, top.obs_sp0_mask_o,
                top.obs_sp0_tag_o, kRows, 1, copy, out.obs[QSA_RTL_OBS_SP0]);
  ObserveWrites(top.obs_sp1_we_o, top.obs_sp1_addr_o, top.obs_sp1_data_o, top.obs_sp1_mask_o,
                top.obs_sp1_tag_o, kRows, 1, copy, out.obs[QSA_RTL_OBS_SP1]);
  ObserveWrites(top.obs_acc0_we_o, top.obs_acc0_addr_o, top.obs_acc0_data_o, top.obs_acc0_mask_o,
                top.obs_acc0_tag_o, kCols, 4, copy, out.obs[QSA_RTL_OBS_ACC0]);
  ObserveWrites(top.obs_acc1_we_o, top.obs_acc1_addr_o, top.obs_acc1_data_o, top.obs_acc1_mask_o,
                top.obs_acc1_tag_o, kCols, 4, copy, out.obs[QSA_RTL_OBS_ACC1]);
  ObserveWrites(top.obs_prm0_we_o, top.obs_prm0_addr_o, top.obs_prm0_data_o, top.obs_prm0_mask_o,
                top.obs_prm0_tag_o, kCols, 4, copy, out.obs[QSA_RTL_OBS_PRM0]);
}

void Reset(QsaRtlModel* model, std::uint32_t cycles) {
  Vqsa_top& top = *model->top;
  const QsaRtlInputs idle{};
  ApplyInputs(top, idle);
  top.rst_ni = 0;
  for (std::uint32_t c = 0; c < cycles; ++c) {
    top.clk_i = 0;
    model->Eval();
    top.clk_i = 1;
    model->Eval();
  }
  top.clk_i = 0;
  model->Eval();
  top.rst_ni = 1;
  model->Eval();
}

int Cycle(QsaRtlModel* model, const QsaRtlInputs* in, QsaRtlOutputs* out, int copy_write_data) {
  Vqsa_top& top = *model->top;
  ApplyInputs(top, *in);
  top.clk_i = 0;
  model->Eval();
  ReadOutputs(top, copy_write_data != 0, *out);
  top.clk_i = 1;
  model->Eval();
  return model->context->gotFinish() ? 1 : 0;
}

const char* LastError(const QsaRtlModel* /*model*/) { return StopMessage().c_str(); }

const QsaRtlModelApi kApi = {
    QSA_RTL_MODEL_ABI_VERSION,
    {QSA_RTL_MODEL_ABI_VERSION, QSA_RTL_ROWS, QSA_RTL_COLS, QSA_RTL_SP_ROWS, QSA_RTL_ACC_ROWS,
     QSA_RTL_PARAM_ROWS, QSA_RTL_SP_BANKS, QSA_RTL_ACC_BANKS, QSA_RTL_READ_LATENCY,
     QSA_RTL_INSN_DEPTH, QSA_RTL_TOKEN_DEPTH, QSA_RTL_BUS_BYTES},
    Create,
    Destroy,
    Reset,
    Cycle,
    LastError,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const QsaRtlModelApi* qsa_rtl_model_api() {
  return &kApi;
}

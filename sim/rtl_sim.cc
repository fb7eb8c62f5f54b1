#include "sim/rtl_sim.h"

#include <array>

#include <algorithm>
#include <iostream>
#include <limits>
#include <unordered_map>
#include <utility>

#include "model/base/error.h"
#include "model/base/fnv.h"
#include "model/isa/isa.h"
#include "model/isa/simulator.h"
#include "sim/axi_dram.h"
#include "sim/rtl_model_api.h"
#include "sim/rtl_model_cache.h"

namespace qsa::sim {
namespace {

using isa::Memory;
using isa::WriteRecord;

// qsa_pkg: counter indices.
enum Counter : std::uint32_t {
  kCntCycles = 0,
  kCntMacsIssued = 12,
  kCntMacsUseful = 13,
  kCntDramRd = 14,
  kCntDramWr = 15,
  kCntSpRd = 16,
  kCntSpWr = 17,
  kCntAccRd = 18,
  kCntAccWr = 19,
  kCntParamRd = 20,
  kCntParamWr = 21,
  kCntLoadBusy = 22,
  kCntLoadStall = 25,
  kCntFetchStall = 28,
  kCntArrayBusy = 29,
  kCntDramRdBeats = 30,
  kCntDramWrBeats = 31,
  kCntBankStall = 32,
};
constexpr std::uint32_t kNumOpcodes = 11;
// The DRAM controller's outstanding bursts (sim/axi_dram.h AxiLimits), as many as the load and
// store units keep in flight (256 beats, 256 bursts), so that bursts of one beat still fill the
// bus at a latency of 200 cycles (docs/rtl.md "AXI4 memory port").
constexpr int kAxiMaxReads = 256;
constexpr int kAxiMaxWrites = 256;

// qsa_pkg: status error codes.
std::string ErrorCodeText(unsigned code) {
  switch (code) {
    case 1:
      return "illegal opcode";
    case 2:
      return "reserved bits set";
    case 3:
      return "token flag toward a missing neighbour";
    case 4:
      return "illegal field value";
    case 5:
      return "DRAM access out of bounds";
    case 6:
      return "scratchpad row out of bounds";
    case 7:
      return "accumulator row out of bounds";
    case 8:
      return "parameter row out of bounds";
    case 9:
      return "illegal parameter word (descriptor)";
    case 10:
      return "DRAM error response (SLVERR or DECERR)";
    default:
      return "unknown error";
  }
}

// "instruction 12 (load.sp)".
std::string InstructionName(const isa::Program& program, std::int64_t pc) {
  std::string text = "instruction " + std::to_string(pc);
  if (pc < 0 || pc >= static_cast<std::int64_t>(program.instructions.size())) return text;
  const auto& word = program.instructions[static_cast<std::size_t>(pc)];
  const isa::OpSpec* op = isa::FindOp(isa::OpcodeOf(word));
  return text + " (" + (op != nullptr ? std::string(op->mnemonic) : "illegal opcode") + ")";
}

// The model instance, destroyed (final blocks run, trace closed) on every way out.
class ModelInstance {
 public:
  ModelInstance(const QsaRtlModelApi& api, const std::string& fst_path) : api_(api) {
    char error[512] = {};
    model_ = api_.create(fst_path.c_str(), error, sizeof(error));
    if (model_ == nullptr) throw Error(error);
  }
  ~ModelInstance() { api_.destroy(model_); }
  ModelInstance(const ModelInstance&) = delete;
  ModelInstance& operator=(const ModelInstance&) = delete;
  QsaRtlModel* get() const { return model_; }

 private:
  const QsaRtlModelApi& api_;
  QsaRtlModel* model_ = nullptr;
};

// The final value of every element each instruction wrote, per memory, turned into the ISA
// simulator's WriteRecords at the end.
class WriteCollector {
 public:
  WriteCollector(const isa::ArchConfig& arch, std::uint64_t dram_size)
      : rows_(arch.rows), cols_(arch.cols), dram_size_(dram_size) {}

  void Observe(const QsaRtlOutputs& out) {
    static constexpr std::pair<int, Memory> kPorts[] = {{QSA_RTL_OBS_SP0, Memory::kScratchpad},
                                                        {QSA_RTL_OBS_SP1, Memory::kScratchpad},
                                                        {QSA_RTL_OBS_ACC0, Memory::kAccumulator},
                                                        {QSA_RTL_OBS_ACC1, Memory::kAccumulator},
                                                        {QSA_RTL_OBS_PRM0, Memory::kParam}};
    for (const auto& [port, memory] : kPorts) {
      const QsaRtlWritePort& w = out.obs[port];
      if (w.we == 0) continue;
      const bool bytes = memory == Memory::kScratchpad;
      const std::int64_t lanes = bytes ? rows_ : cols_;
      auto& values = elements_[{w.tag, memory}];
      for (std::int64_t l = 0; l < lanes; ++l) {
        const auto lane = static_cast<std::size_t>(l);
        if (w.mask[lane] == 0) continue;
        std::uint32_t v = w.data[lane];
        if (!bytes) {
          v = 0;
          for (std::size_t k = 0; k < 4; ++k) v |= std::uint32_t{w.data[4 * lane + k]} << (8 * k);
        }
        values[std::int64_t{w.addr} * lanes + l] = v;
      }
    }
  }

  void ObserveDram(std::uint32_t pc, const DramWrite& write) {
    auto& values = elements_[{pc, Memory::kDram}];
    for (std::size_t k = 0; k < write.data.size(); ++k) {
      const std::uint64_t a = std::uint64_t{write.addr} + k;
      if (((write.strb >> k) & 1u) != 0 && a < dram_size_) {
        values[static_cast<std::int64_t>(a)] = write.data[k];
      }
    }
  }

  std::vector<WriteRecord> Records() const {
    std::vector<WriteRecord> records;
    for (const auto& [where, values] : elements_) {
      const Memory memory = where.second;
      const std::int64_t lanes = memory == Memory::kDram         ? 1
                                 : memory == Memory::kScratchpad ? rows_
                                                                 : cols_;
      const int bytes = memory == Memory::kDram || memory == Memory::kScratchpad ? 1 : 4;
      WriteRecord r;
      r.instruction = where.first;
      r.memory = memory;
      std::int64_t lo = std::numeric_limits<std::int64_t>::max();
      std::int64_t hi = 0;
      for (const auto& [element, value] : values) {
        lo = std::min(lo, element);
        hi = std::max(hi, element);
        const std::uint64_t h =
            base::Fnv1a64(base::kFnv1a64Offset, static_cast<std::uint64_t>(element), 8);
        r.hash += base::Fnv1a64(h, value, bytes);
      }
      r.first = lo / lanes;
      r.extent = hi / lanes - r.first + 1;
      records.push_back(r);
    }
    return records;
  }

 private:
  std::int64_t rows_;
  std::int64_t cols_;
  std::uint64_t dram_size_;
  // (instruction, memory) → element address → final value; ordered as the records are.
  std::map<std::pair<std::int64_t, Memory>, std::unordered_map<std::int64_t, std::uint32_t>>
      elements_;
};

// One queue's line of a hang report, from the dbg_* outputs.
std::string QueueState(const isa::Program& program, const QsaRtlOutputs& out, int q) {
  const auto queue = static_cast<isa::Queue>(q);
  const std::string name = std::string(isa::QueueName(queue)) + " queue";
  if (((out.dbg_head_valid >> q) & 1u) == 0) return name + " is empty";
  const std::string at = InstructionName(program, out.dbg_head_pc[q]);
  const std::string prev = q > 0 ? std::string(QueueName(isa::Queue(q - 1))) : "?";
  const std::string next = q < 2 ? std::string(QueueName(isa::Queue(q + 1))) : "?";
  const std::string reasons[] = {"a token from " + prev,
                                 "a token from " + next,
                                 "room in the token queue to " + prev,
                                 "room in the token queue to " + next,
                                 "its busy unit",
                                 "the load and store queues to drain"};
  std::string waits;
  for (int bit = 0; bit < 6; ++bit) {
    if (((out.dbg_head_wait[q] >> bit) & 1u) != 0) {
      waits += (waits.empty() ? "" : " and ") + reasons[bit];
    }
  }
  if (waits.empty()) return name + " holds " + at + " and waits for nothing";
  return name + " waits at " + at + " for " + waits;
}

std::string HangMessage(const isa::Program& program, const QsaRtlOutputs& out, std::int64_t idle,
                        std::int64_t cycle) {
  std::string message = "hang: no progress for " + std::to_string(idle) + " cycles at cycle " +
                        std::to_string(cycle) + ": ";
  for (int q = 0; q < isa::kNumQueues; ++q) message += QueueState(program, out, q) + "; ";
  if (out.dbg_fetch_done != 0) {
    message +=
        "fetch has dispatched all " + std::to_string(program.instructions.size()) + " instructions";
  } else if (out.dbg_fetch_stall != 0) {
    message += "fetch stalled at " + InstructionName(program, out.dbg_fetch_pc);
  } else {
    message += "fetch waits at " + InstructionName(program, out.dbg_fetch_pc);
  }
  return message;
}

void FillInputs(const AxiSlaveOut& s, QsaRtlInputs& in) {
  in.ar_ready = s.ar_ready;
  in.r_valid = s.r_valid;
  in.r_id = s.r_id;
  std::copy(s.r_data.begin(), s.r_data.end(), in.r_data);
  in.r_resp = s.r_resp;
  in.r_last = s.r_last;
  in.aw_ready = s.aw_ready;
  in.w_ready = s.w_ready;
  in.b_valid = s.b_valid;
  in.b_id = s.b_id;
  in.b_resp = s.b_resp;
}

AxiAddress AddressOf(std::uint32_t id, std::uint32_t addr, std::uint8_t len, std::uint8_t size,
                     std::uint8_t burst) {
  AxiAddress a;
  a.id = id;
  a.addr = addr;
  a.len = len;
  a.size = size;
  a.burst = burst;
  return a;
}

AxiMasterOut MasterOf(const QsaRtlOutputs& out) {
  AxiMasterOut m;
  m.ar_valid = out.ar_valid != 0;
  m.ar = AddressOf(out.ar_id, out.ar_addr, out.ar_len, out.ar_size, out.ar_burst);
  m.r_ready = out.r_ready != 0;
  m.aw_valid = out.aw_valid != 0;
  m.aw = AddressOf(out.aw_id, out.aw_addr, out.aw_len, out.aw_size, out.aw_burst);
  m.w_valid = out.w_valid != 0;
  std::copy(std::begin(out.w_data), std::end(out.w_data), m.w_data.begin());
  m.w_strb = out.w_strb;
  m.w_last = out.w_last != 0;
  m.b_ready = out.b_ready != 0;
  return m;
}

// Whether anything moved during the cycle.
bool Progressed(const QsaRtlInputs& in, const QsaRtlOutputs& out) {
  bool moved = (in.insn_valid && out.insn_ready) || (in.ar_ready && out.ar_valid) ||
               (in.r_valid && out.r_ready) || (in.aw_ready && out.aw_valid) ||
               (in.w_ready && out.w_valid) || (in.b_valid && out.b_ready) || out.dbg_retire != 0;
  for (const QsaRtlWritePort& w : out.obs) moved = moved || w.we != 0;
  return moved;
}

void ReadCounters(const QsaRtlModelApi& api, QsaRtlModel* m, RtlRunResult& r) {
  auto get = [&](std::uint32_t index) { return static_cast<std::int64_t>(api.counter(m, index)); };
  r.cycles = get(kCntCycles);
  isa::IsaCounters& c = r.counters;
  for (std::uint32_t op = 1; op <= kNumOpcodes; ++op) {
    c.instructions_by_opcode[op] = get(op);
    c.instructions += c.instructions_by_opcode[op];
  }
  c.macs_issued = get(kCntMacsIssued);
  c.macs_useful = get(kCntMacsUseful);
  c.dram = {get(kCntDramRd), get(kCntDramWr)};
  c.scratchpad = {get(kCntSpRd), get(kCntSpWr)};
  c.accumulator = {get(kCntAccRd), get(kCntAccWr)};
  c.param = {get(kCntParamRd), get(kCntParamWr)};
  for (std::uint32_t q = 0; q < isa::kNumQueues; ++q) {
    r.busy[q] = get(kCntLoadBusy + q);
    r.stall[q] = get(kCntLoadStall + q);
  }
  r.fetch_stall = get(kCntFetchStall);
  r.array_busy = get(kCntArrayBusy);
  r.dram_read_beats = get(kCntDramRdBeats);
  r.dram_write_beats = get(kCntDramWrBeats);
  r.bank_stall = get(kCntBankStall);
}

}  // namespace

RtlSimulator::RtlSimulator(const isa::ArchConfig& arch, const isa::Program& program,
                           const RtlOptions& options)
    : arch_(arch), program_(program), options_(options) {
  if (options_.check_program) {
    // The ISA simulator's constructor checks the program and lays out its DRAM image.
    isa::IsaSimulator checked(arch, program);
    dram_ = std::move(checked.state().dram);
  } else {
    isa::CheckProgramArch(program, arch, "(in memory)");
    if (program.dram_size > isa::kMaxDramSize || program.dram_image.size() > program.dram_size) {
      throw Error("the program's DRAM image of " + std::to_string(program.dram_image.size()) +
                  " bytes does not fit its DRAM of " + std::to_string(program.dram_size) +
                  " bytes (at most " + std::to_string(isa::kMaxDramSize >> 20) + " MiB)");
    }
    dram_.assign(program.dram_size, 0);
    std::copy(program.dram_image.begin(), program.dram_image.end(), dram_.begin());
  }
  LoadRtlModel(arch_, std::cerr);
}

RtlRunResult RtlSimulator::Run() {
  if (ran_) throw Error("the RTL simulator has already run this program; make a new one");
  ran_ = true;
  const QsaRtlModelApi& api = LoadRtlModel(arch_, std::cerr).api();
  const ModelInstance instance(api, options_.fst_path);
  QsaRtlModel* m = instance.get();
  api.reset(m, 4);

  const std::uint64_t dram_size = dram_.size();
  AxiDram dram(std::move(dram_),
               DramOptions{arch_.dram_latency_cycles, arch_.dram_bytes_per_cycle,
                           options_.dram_seed, options_.dram_jitter, options_.dram_backpressure},
               AxiLimits{kAxiMaxReads, kAxiMaxWrites});
  dram.SetSlaveErrorRange(options_.dram_error_begin, options_.dram_error_end);
  WriteCollector writes(arch_, dram_size);
  const auto count = static_cast<std::int64_t>(program_.instructions.size());
  QsaRtlInputs in{};
  QsaRtlOutputs out{};
  in.start = 1;
  in.dram_size = static_cast<std::uint32_t>(std::min<std::uint64_t>(dram_size, 0xFFFFFFFFu));
  std::int64_t fed = 0;
  std::int64_t cycle = 0;
  std::int64_t last_progress = 0;
  // Instructions of each queue in program order, for the retire cycles.
  std::array<std::vector<std::int64_t>, isa::kNumQueues> in_queue;
  for (std::int64_t i = 0; i < count; ++i) {
    try {
      const auto q = static_cast<std::size_t>(
          isa::QueueOf(isa::Decode(program_.instructions[static_cast<std::size_t>(i)])));
      in_queue[q].push_back(i);
    } catch (const Error&) {
      // An illegal word (with the program check off) enters no queue: the accelerator stops at it.
    }
  }
  std::array<std::size_t, isa::kNumQueues> retired{};
  std::vector<std::int64_t> retire_cycles(static_cast<std::size_t>(count), -1);
  for (;; ++cycle) {
    const AxiSlaveOut drive = dram.Drive();
    FillInputs(drive, in);
    in.insn_valid = fed < count;
    if (fed < count) {
      const auto& word = program_.instructions[static_cast<std::size_t>(fed)];
      in.insn_data[0] = static_cast<std::uint32_t>(word.lo);
      in.insn_data[1] = static_cast<std::uint32_t>(word.lo >> 32);
      in.insn_data[2] = static_cast<std::uint32_t>(word.hi);
      in.insn_data[3] = static_cast<std::uint32_t>(word.hi >> 32);
    }
    if (api.cycle(m, &in, &out, options_.record_writes ? 1 : 0) != 0) {
      throw Error("the RTL stopped at cycle " + std::to_string(cycle) + ": " + api.last_error(m));
    }
    const std::optional<DramWrite> written = dram.Clock(drive, MasterOf(out));
    if (options_.record_writes) {
      writes.Observe(out);
      if (written) writes.ObserveDram(out.w_pc, *written);
    }
    for (std::size_t q = 0; q < isa::kNumQueues; ++q) {
      if ((out.dbg_retire >> q & 1) != 0 && retired[q] < in_queue[q].size()) {
        retire_cycles[static_cast<std::size_t>(in_queue[q][retired[q]++])] = cycle;
      }
    }
    if (Progressed(in, out)) last_progress = cycle;
    if (in.insn_valid && out.insn_ready) ++fed;
    in.start = 0;
    if (out.error != 0) {
      dram_ = std::move(dram.dram());  // as the accelerator left it, for dram()
      throw Error(InstructionName(program_, out.error_pc) +
                  ": the accelerator stopped: " + ErrorCodeText(out.error_code) + " (error code " +
                  std::to_string(out.error_code) + ")");
    }
    if (out.done != 0) break;
    if (cycle - last_progress >= options_.hang_cycles) {
      throw Error(HangMessage(program_, out, cycle - last_progress, cycle));
    }
    if (cycle + 1 >= options_.cycle_limit) {
      throw Error("the accelerator did not finish within the cycle limit of " +
                  std::to_string(options_.cycle_limit) + " cycles");
    }
  }
  RtlRunResult result;
  ReadCounters(api, m, result);
  result.simulated_cycles = cycle + 1;
  result.retire_cycles = std::move(retire_cycles);
  if (options_.record_writes) result.writes = writes.Records();
  result.dram = std::move(dram.dram());
  return result;
}

RtlProgramRun RunProgramOnRtl(const isa::ArchConfig& arch, const isa::Program& program,
                              const std::map<std::string, golden::Tensor>& inputs,
                              const RtlOptions& options) {
  RtlSimulator simulator(arch, program, options);
  isa::WriteProgramInputs(program, inputs, simulator.dram());
  RtlProgramRun run;
  run.result = simulator.Run();
  for (const isa::ManifestTensor& out : program.manifest.outputs) {
    run.outputs[out.name] = isa::ReadTensorFromDram(out, run.result.dram);
  }
  return run;
}

nlohmann::json RtlRunResultToJson(const RtlRunResult& result) {
  isa::IsaRunResult same;
  same.counters = result.counters;
  same.timing.cycles = result.cycles;
  same.timing.busy = result.busy;
  same.timing.bank_stall_cycles = result.bank_stall;
  nlohmann::json j = isa::IsaRunResultToJson(same);
  nlohmann::json stall = nlohmann::json::object();
  for (int q = 0; q < isa::kNumQueues; ++q) {
    stall[std::string(isa::QueueName(static_cast<isa::Queue>(q)))] =
        result.stall[static_cast<std::size_t>(q)];
  }
  j["stall_cycles"] = stall;
  j["fetch_stall_cycles"] = result.fetch_stall;
  j["array_busy_cycles"] = result.array_busy;
  j["dram_beats"] = {{"read", result.dram_read_beats}, {"written", result.dram_write_beats}};
  return j;
}

}  // namespace qsa::sim

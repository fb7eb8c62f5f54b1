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

// The DRAM controller's outstanding bursts (sim/axi_dram.h AxiLimits), as many as the load and
// store units keep in flight (256 beats, 256 bursts), so that bursts of one beat still fill the
// bus at a latency of 200 cycles (docs/rtl.md "AXI4 memory port").
constexpr int kAxiMaxReads = 256;
constexpr int kAxiMaxWrites = 256;

}  // namespace

// qsa_pkg: status error codes.
std::string RtlErrorCodeText(unsigned code) {
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
    case 11:
      return "program outside memory (PROG_BASE, PROG_LEN, MEM_SIZE)";
    case 12:
      return "watchdog: no progress";
    case 13:
      return "register write while busy";
    default:
      return "unknown error";
  }
}

namespace {

// "instruction 12 (load.sp)".
std::string InstructionName(const isa::Program& program, std::int64_t pc) {
  std::string text = "instruction " + std::to_string(pc);
  if (pc < 0 || pc >= static_cast<std::int64_t>(program.instructions.size())) return text;
  const auto& word = program.instructions[static_cast<std::size_t>(pc)];
  const isa::OpSpec* op = isa::FindOp(isa::OpcodeOf(word));
  return text + " (" + (op != nullptr ? std::string(op->mnemonic) : "illegal opcode") + ")";
}

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
  bool moved = (in.ar_ready && out.ar_valid) || (in.r_valid && out.r_ready) ||
               (in.aw_ready && out.aw_valid) || (in.w_ready && out.w_valid) ||
               (in.b_valid && out.b_ready) || out.dbg_retire != 0;
  for (const QsaRtlWritePort& w : out.obs) moved = moved || w.we != 0;
  return moved;
}

void ReadCounters(RtlMachine& m, RtlRunResult& r) {
  auto get = [&](std::uint32_t index) { return static_cast<std::int64_t>(m.Counter(index)); };
  r.cycles = get(kCntCycles);
  r.counters = IsaCountersOf(get);
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

namespace {

// The AXI DRAM of a machine: the architecture's timing, the options' randomness and faults.
template <typename Memory>
std::unique_ptr<AxiDram> MakeAxiDram(const isa::ArchConfig& arch, Memory&& memory,
                                     const RtlOptions& options) {
  auto dram = std::make_unique<AxiDram>(
      std::forward<Memory>(memory),
      DramOptions{arch.dram_latency_cycles, arch.dram_bytes_per_cycle, options.dram_seed,
                  options.dram_jitter, options.dram_backpressure},
      AxiLimits{kAxiMaxReads, kAxiMaxWrites});
  dram->SetSlaveErrorRange(options.dram_error_begin, options.dram_error_end);
  dram->SetStallWindow(options.dram_stall_begin, options.dram_stall_end);
  return dram;
}

}  // namespace

RtlMachine::RtlMachine(const isa::ArchConfig& arch, std::vector<std::uint8_t> memory,
                       const RtlOptions& options)
    : RtlMachine(arch, MakeAxiDram(arch, std::move(memory), options), options) {}

RtlMachine::RtlMachine(const isa::ArchConfig& arch, AxiBacking& backing, const RtlOptions& options)
    : RtlMachine(arch, MakeAxiDram(arch, backing, options), options) {}

RtlMachine::RtlMachine(const isa::ArchConfig& arch, std::unique_ptr<AxiDram> dram,
                       const RtlOptions& options)
    : api_(LoadRtlModel(arch, std::cerr).api()),
      dram_(std::move(dram)),
      copy_writes_(options.record_writes) {
  char error[512] = {};
  model_ = api_.create(options.fst_path.c_str(), error, sizeof(error));
  if (model_ == nullptr) throw Error(error);
  api_.reset(model_, 4);
}

RtlMachine::~RtlMachine() { api_.destroy(model_); }

void RtlMachine::Step() {
  const AxiSlaveOut drive = dram_->Drive();
  FillInputs(drive, in_);
  if (api_.cycle(model_, &in_, &out_, copy_writes_ ? 1 : 0) != 0) {
    throw Error("the RTL stopped at cycle " + std::to_string(cycle_) + ": " +
                api_.last_error(model_));
  }
  const std::optional<DramWrite> written = dram_->Clock(drive, MasterOf(out_));
  if (observer_) observer_(in_, out_, written);
  ++cycle_;
}

std::uint8_t RtlMachine::WriteReg(std::uint32_t addr, std::uint32_t value) {
  in_.s_aw_valid = 1;
  in_.s_aw_addr = addr;
  in_.s_w_valid = 1;
  in_.s_w_data = value;
  in_.s_w_strb = 0xF;
  in_.s_b_ready = 1;
  for (int c = 0; c < 1000; ++c) {
    const QsaRtlInputs sent = in_;
    Step();
    if (sent.s_aw_valid && out_.s_aw_ready) in_.s_aw_valid = 0;
    if (sent.s_w_valid && out_.s_w_ready) in_.s_w_valid = 0;
    if (sent.s_b_ready && out_.s_b_valid) {
      in_.s_b_ready = 0;
      return out_.s_b_resp;
    }
  }
  throw Error("register write at " + std::to_string(addr) + ": no response in 1000 cycles");
}

std::uint32_t RtlMachine::ReadReg(std::uint32_t addr) {
  in_.s_ar_valid = 1;
  in_.s_ar_addr = addr;
  in_.s_r_ready = 1;
  for (int c = 0; c < 1000; ++c) {
    const QsaRtlInputs sent = in_;
    Step();
    if (sent.s_ar_valid && out_.s_ar_ready) in_.s_ar_valid = 0;
    if (sent.s_r_ready && out_.s_r_valid) {
      in_.s_r_ready = 0;
      if (out_.s_r_resp != reg::kRespOkay) {
        throw Error("register read at " + std::to_string(addr) + ": SLVERR");
      }
      return out_.s_r_data;
    }
  }
  throw Error("register read at " + std::to_string(addr) + ": no response in 1000 cycles");
}

std::uint64_t RtlMachine::Counter(std::uint32_t index) {
  const std::uint64_t lo = ReadReg(reg::kCounters + 8 * index);
  const std::uint64_t hi = ReadReg(reg::kCounters + 8 * index + 4);
  return hi << 32 | lo;
}

bool RtlMachine::WaitIrq(std::int64_t limit) {
  for (std::int64_t c = 0; c < limit; ++c) {
    if (out_.irq != 0) return true;
    Step();
  }
  return out_.irq != 0;
}

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
  // The memory behind the AXI port: the program's DRAM (bounded by DRAM_SIZE for loads and
  // stores), then, from the next 4 KiB boundary, the instruction words.
  const std::uint64_t dram_size = dram_.size();
  const auto count = static_cast<std::int64_t>(program_.instructions.size());
  const std::uint64_t prog_base = (dram_size + 0xFFFu) & ~std::uint64_t{0xFFF};
  const std::uint64_t mem_size = prog_base + std::uint64_t(count) * 16;
  if (mem_size > 0xFFFFFFFFu) {
    throw Error("the program's DRAM of " + std::to_string(dram_size) + " bytes and its " +
                std::to_string(count) + " instructions do not fit the 4 GiB address space");
  }
  std::vector<std::uint8_t> memory = std::move(dram_);
  memory.resize(mem_size, 0);
  for (std::int64_t i = 0; i < count; ++i) {
    const auto& word = program_.instructions[static_cast<std::size_t>(i)];
    for (int k = 0; k < 8; ++k) {
      memory[prog_base + std::uint64_t(i) * 16 + std::uint64_t(k)] =
          static_cast<std::uint8_t>(word.lo >> (8 * k));
      memory[prog_base + std::uint64_t(i) * 16 + 8 + std::uint64_t(k)] =
          static_cast<std::uint8_t>(word.hi >> (8 * k));
    }
  }
  RtlMachine machine(arch_, std::move(memory), options_);
  // The data part of the memory, as the accelerator left it.
  auto data_of = [&]() {
    std::vector<std::uint8_t> data(
        machine.dram().dram().begin(),
        machine.dram().dram().begin() + static_cast<std::ptrdiff_t>(dram_size));
    return data;
  };

  WriteCollector writes(arch_, dram_size);
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
  std::int64_t start_cycle = 0;
  std::int64_t last_progress = 0;
  machine.SetObserver([&](const QsaRtlInputs& in, const QsaRtlOutputs& out,
                          const std::optional<DramWrite>& written) {
    const std::int64_t cycle = machine.cycle();
    if (options_.record_writes) {
      writes.Observe(out);
      if (written) writes.ObserveDram(out.w_pc, *written);
    }
    for (std::size_t q = 0; q < isa::kNumQueues; ++q) {
      if ((out.dbg_retire >> q & 1) != 0 && retired[q] < in_queue[q].size()) {
        retire_cycles[static_cast<std::size_t>(in_queue[q][retired[q]++])] = cycle - start_cycle;
      }
    }
    if (Progressed(in, out)) last_progress = cycle;
  });

  const std::uint32_t enable = 3;  // interrupt on done and on error
  const std::pair<std::uint32_t, std::uint32_t> setup[] = {
      {reg::kProgBase, static_cast<std::uint32_t>(prog_base)},
      {reg::kProgLen, static_cast<std::uint32_t>(count)},
      {reg::kDramSize, static_cast<std::uint32_t>(std::min<std::uint64_t>(dram_size, 0xFFFFFFFFu))},
      {reg::kMemSize, static_cast<std::uint32_t>(mem_size)},
      {reg::kWatchdog, options_.watchdog_cycles},
      {reg::kIrqEnable, enable}};
  for (const auto& [addr, value] : setup) {
    if (machine.WriteReg(addr, value) != reg::kRespOkay) {
      throw Error("the accelerator refused the write of register " + std::to_string(addr));
    }
  }
  start_cycle = machine.cycle();
  if (machine.WriteReg(reg::kCtrl, reg::kCtrlStart) != reg::kRespOkay) {
    throw Error("the accelerator refused CTRL.START");
  }
  last_progress = machine.cycle();
  const QsaRtlOutputs& out = machine.outputs();
  while (out.irq == 0) {
    machine.Step();
    const std::int64_t cycle = machine.cycle();
    if (cycle - last_progress >= options_.hang_cycles) {
      throw Error(HangMessage(program_, out, cycle - last_progress, cycle));
    }
    if (cycle - start_cycle >= options_.cycle_limit) {
      throw Error("the accelerator did not finish within the cycle limit of " +
                  std::to_string(options_.cycle_limit) + " cycles");
    }
  }
  const std::int64_t end_cycle = machine.cycle();
  const std::uint32_t status = machine.ReadReg(reg::kStatus);
  if ((status & reg::kStatusError) != 0) {
    const std::uint32_t pc = machine.ReadReg(reg::kErrorPc);
    const unsigned code = (status >> 8) & 0xFu;
    dram_ = data_of();  // as the accelerator left it, for dram()
    throw Error(InstructionName(program_, pc) + ": the accelerator stopped: " +
                RtlErrorCodeText(code) + " (error code " + std::to_string(code) + ")");
  }
  if ((status & reg::kStatusDone) == 0 || (status & reg::kStatusAborted) != 0) {
    throw Error("the accelerator raised its interrupt with STATUS " + std::to_string(status));
  }
  machine.SetObserver(nullptr);
  RtlRunResult result;
  ReadCounters(machine, result);
  result.simulated_cycles = end_cycle - start_cycle;
  result.retire_cycles = std::move(retire_cycles);
  if (options_.record_writes) result.writes = writes.Records();
  result.dram = data_of();
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

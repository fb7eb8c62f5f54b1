// The ISA simulator: runs a program on the architectural state with the three instruction
// queues and the dependency-token protocol (docs/isa.md, "Execution"), counts events, and gives a
// first cycle estimate from a simple timing model.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/golden/tensor.h"
#include "model/isa/arch.h"
#include "model/isa/executor.h"
#include "model/isa/isa.h"
#include "model/isa/program.h"

namespace qsa::isa {

// One executed instruction, as IsaSimOptions::observe sees it: its index, queue, estimated start
// and end cycle, and the counters before and after it (their difference is its events).
struct InstructionRun {
  std::int64_t index = 0;
  Queue queue = Queue::kLoad;
  std::int64_t start = 0;
  std::int64_t end = 0;
  const Instruction* instruction = nullptr;
  const IsaCounters* before = nullptr;
  const IsaCounters* after = nullptr;
};

struct IsaSimOptions {
  // When set, one line per executed instruction: index, queue, mnemonic, estimated start and end
  // cycle, and what it wrote where (docs/isa.md, "Trace").
  std::ostream* trace = nullptr;
  // Keep every WriteRecord in the result (for locating the first differing instruction).
  bool record_writes = false;
  // When set, called every kProgressEvery retired instructions with the instructions retired so
  // far and the estimated cycle of the last one (for a progress display).
  std::function<void(std::int64_t instructions, std::int64_t cycles)> progress;
  static constexpr std::int64_t kProgressEvery = 1 << 16;
  // When set, called after each executed instruction (per-layer counts, timelines).
  std::function<void(const InstructionRun&)> observe;
  // Every instruction word is there at cycle 0 instead of being fetched from DRAM as the RTL does
  // (docs/isa.md, "Timing model"): for tests of the rest of the timing model in isolation.
  bool instant_fetch = false;
};

struct IsaTiming {
  std::int64_t cycles = 0;                      // estimated cycles until finish retires
  std::array<std::int64_t, kNumQueues> busy{};  // cycles each queue's unit was busy
  // Cycles the compute unit waits because two of its reads of one cycle share a scratchpad bank
  // (docs/isa.md, "Timing model"): exact for vadd, estimated for a gemm's weight preload.
  std::int64_t bank_stall_cycles = 0;
};

struct IsaRunResult {
  IsaCounters counters;
  IsaTiming timing;
  std::vector<WriteRecord> writes;  // with record_writes, in execution order
};

class IsaSimulator {
 public:
  // Checks the program against `arch` (architecture hash; every word decodes and passes
  // CheckWord; exactly one finish, the last instruction; DRAM image within dram_size) and loads
  // the DRAM image. Throws qsa::Error naming the problem.
  IsaSimulator(const ArchConfig& arch, const Program& program);

  IsaState& state() { return state_; }
  const IsaState& state() const { return state_; }

  // Runs to finish. Throws qsa::Error on an out-of-bounds access or illegal field (from Execute),
  // or on a deadlock: "deadlock: load queue waits at instruction 3 (load.sp) for a token from
  // compute; compute queue is empty; ...; fetch stalled at ...", listing each queue's head
  // instruction and what it waits for. Can run once.
  IsaRunResult Run(const IsaSimOptions& options = {});

 private:
  std::vector<Instruction> decoded_;
  IsaState state_;
  bool ran_ = false;
};

// The outputs of a program run, by manifest name, and the run's result.
struct IsaProgramRun {
  std::map<std::string, golden::Tensor> outputs;
  IsaRunResult result;
};
// Writes `inputs` (one per manifest input, checked for dtype and shape) into DRAM, runs the
// program, and reads the manifest outputs back.
IsaProgramRun RunProgramOnIsa(const ArchConfig& arch, const Program& program,
                              const std::map<std::string, golden::Tensor>& inputs,
                              const IsaSimOptions& options = {});

// {"cycles": …, "busy_cycles": {"load": …}, "instructions": {"gemm": …}, "macs_issued": …,
// "macs_useful": …, "dram": {"bytes_read": …, "bytes_written": …}, "scratchpad": {…}, …}
nlohmann::json IsaRunResultToJson(const IsaRunResult& result);

}  // namespace qsa::isa

// Runs a program on the verilated accelerator (qsa_top) with a DRAM model: the RTL counterpart
// of the ISA simulator (model/isa/simulator.h), with the same counters and write records so the two
// can be compared instruction by instruction.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/golden/tensor.h"
#include "model/isa/arch.h"
#include "model/isa/executor.h"
#include "model/isa/program.h"
#include "sim/accel_regs.h"
#include "sim/axi_dram.h"
#include "sim/rtl_model_api.h"

namespace qsa::sim {

struct RtlOptions {
  std::string fst_path;  // waveform file; empty: none
  // DRAM randomness (sim/axi_dram.h): with a seed, up to dram_jitter extra cycles of latency per
  // burst and address and write data channels not ready with probability dram_backpressure each
  // cycle.
  std::optional<std::uint64_t> dram_seed;
  int dram_jitter = 0;
  double dram_backpressure = 0.0;
  // Fault injection: AXI bursts touching a DRAM byte in [dram_error_begin, dram_error_end) are
  // answered SLVERR (empty range: none).
  std::uint32_t dram_error_begin = 0;
  std::uint32_t dram_error_end = 0;
  // The DRAM answers nothing during its cycles [dram_stall_begin, dram_stall_end) (counted from
  // reset; AxiDram::SetStallWindow).
  std::int64_t dram_stall_begin = 0;
  std::int64_t dram_stall_end = 0;
  // The WATCHDOG register: cycles without progress that end a run with ERR_WATCHDOG (0: off).
  std::uint32_t watchdog_cycles = 0;
  std::int64_t cycle_limit = std::int64_t{1} << 40;  // stop (with an error) after this many
  std::int64_t hang_cycles = 100000;  // cycles without any progress that count as a hang
  // Keep a WriteRecord per (instruction, memory), DRAM included.
  bool record_writes = false;
  // Check every word before the run, as the ISA simulator does (an illegal word is then refused
  // with the simulator's message). Off: only the architecture hash and the DRAM image are
  // checked, and the accelerator's own decoder finds illegal words (its status register).
  bool check_program = true;
};

struct RtlRunResult {
  std::int64_t cycles = 0;  // the CNT_CYCLES counter: from start to the end of finish
  isa::IsaCounters counters;
  std::array<std::int64_t, isa::kNumQueues> busy{};   // cycles each unit held an insn
  std::array<std::int64_t, isa::kNumQueues> stall{};  // cycles each head waited
  std::int64_t fetch_stall = 0;
  std::int64_t array_busy = 0;
  std::int64_t dram_read_beats = 0;
  std::int64_t dram_write_beats = 0;
  // Cycles a client waited for a memory bank another client of higher priority used (one per
  // waiting client; the CNT_BANK_STALL counter).
  std::int64_t bank_stall = 0;
  std::int64_t simulated_cycles = 0;  // harness clock cycles after reset
  // With record_writes: sorted by instruction, then memory (the ISA simulator's order when
  // instructions run in program order).
  std::vector<isa::WriteRecord> writes;
  std::vector<std::uint8_t> dram;  // the final DRAM image
  // The harness cycle at which each instruction retired (in program order; -1 if it did not,
  // e.g. the final finish), from the queues' retire signals.
  std::vector<std::int64_t> retire_cycles;
};

// qsa_pkg::ERR_*: "DRAM access out of bounds", ...
std::string RtlErrorCodeText(unsigned code);

// The verilated accelerator (qsa_top) with an AXI4 DRAM (sim/axi_dram.h) on its memory port and
// an AXI4-Lite master on its register port: the system the accelerator sits in. Runs, aborts and
// restarts are register accesses, as software would do them; every access clocks the whole
// system. Reset once, at construction.
class RtlMachine {
 public:
  // `memory` is the whole memory behind the AXI port (data, then the programs). Finds or builds
  // the model library for `arch`. Throws qsa::Error.
  RtlMachine(const isa::ArchConfig& arch, std::vector<std::uint8_t> memory,
             const RtlOptions& options = {});
  // The memory is `backing` (the SystemC platform's DRAM), which must outlive the machine.
  RtlMachine(const isa::ArchConfig& arch, AxiBacking& backing, const RtlOptions& options = {});
  ~RtlMachine();
  RtlMachine(const RtlMachine&) = delete;
  RtlMachine& operator=(const RtlMachine&) = delete;

  // Called after every cycle with the inputs and outputs of the cycle and the DRAM write beat
  // it applied (with its pc: QsaRtlOutputs::w_pc).
  using Observer = std::function<void(const QsaRtlInputs&, const QsaRtlOutputs&,
                                      const std::optional<DramWrite>&)>;
  void SetObserver(Observer observer) { observer_ = std::move(observer); }

  // One clock cycle. Throws qsa::Error when the RTL stopped (a failed assertion).
  void Step();
  // A register write or read over AXI4-Lite, clocking until its response; returns the response
  // (reg::kRespOkay or kRespSlvErr) or the data (throws qsa::Error on SLVERR).
  std::uint8_t WriteReg(std::uint32_t addr, std::uint32_t value);
  std::uint32_t ReadReg(std::uint32_t addr);
  // A 64-bit counter (qsa_pkg::CNT_*), low word first.
  std::uint64_t Counter(std::uint32_t index);
  // Steps until the interrupt is raised, at most `limit` cycles; false if it was not.
  bool WaitIrq(std::int64_t limit);

  AxiDram& dram() { return *dram_; }
  const QsaRtlOutputs& outputs() const { return out_; }
  std::int64_t cycle() const { return cycle_; }

 private:
  const QsaRtlModelApi& api_;
  QsaRtlModel* model_ = nullptr;
  RtlMachine(const isa::ArchConfig& arch, std::unique_ptr<AxiDram> dram, const RtlOptions& options);

  std::unique_ptr<AxiDram> dram_;
  Observer observer_;
  bool copy_writes_ = false;
  QsaRtlInputs in_{};
  QsaRtlOutputs out_{};
  std::int64_t cycle_ = 0;
};

class RtlSimulator {
 public:
  // Checks the program against `arch` like the ISA simulator (architecture hash, every word,
  // finish last, DRAM size), finds or builds the model library for `arch` and loads the DRAM
  // image. Throws qsa::Error naming the problem.
  RtlSimulator(const isa::ArchConfig& arch, const isa::Program& program,
               const RtlOptions& options = {});

  // The DRAM before the run (write inputs here).
  std::vector<std::uint8_t>& dram() { return dram_; }

  // Resets the accelerator, places the program's instructions in DRAM above the data (the
  // first 4 KiB boundary at or after the program's DRAM size), writes PROG_BASE, PROG_LEN,
  // DRAM_SIZE, MEM_SIZE, WATCHDOG and IRQ_ENABLE, starts it (CTRL.START), clocks it until the
  // interrupt, and reads STATUS, ERROR_PC and the counters through the registers. Throws qsa::Error
  // "instruction 12 (load.sp): the accelerator stopped: DRAM access out of bounds (error code
  // 5)" on an error, "hang: no progress for N cycles at cycle C: ..." on a hang, or on a failed
  // assertion in the RTL. Can run once. After the error of the accelerator, dram() holds the
  // DRAM as it left it.
  RtlRunResult Run();

 private:
  isa::ArchConfig arch_;
  const isa::Program& program_;
  RtlOptions options_;
  std::vector<std::uint8_t> dram_;
  bool ran_ = false;
};

struct RtlProgramRun {
  std::map<std::string, golden::Tensor> outputs;
  RtlRunResult result;
};
// Writes `inputs` into DRAM (one per manifest input), runs the program and reads the manifest
// outputs, like isa::RunProgramOnIsa.
RtlProgramRun RunProgramOnRtl(const isa::ArchConfig& arch, const isa::Program& program,
                              const std::map<std::string, golden::Tensor>& inputs,
                              const RtlOptions& options = {});

// The keys of isa::IsaRunResultToJson ("cycles", "busy_cycles", "bank_stall_cycles",
// "instructions", ...; bank_stall_cycles is the CNT_BANK_STALL counter) plus "stall_cycles",
// "fetch_stall_cycles", "array_busy_cycles" and "dram_beats".
nlohmann::json RtlRunResultToJson(const RtlRunResult& result);

}  // namespace qsa::sim

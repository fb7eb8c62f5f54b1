#include "sim/platform/platform.h"

#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "model/base/error.h"
#include "sim/platform/isa_core.h"
#include "sim/platform/rtl_core.h"
#include "sim/platform/tlm_bus.h"
#include "sim/platform/tlm_dram.h"

namespace qsa::sim {

namespace platform {
namespace {

// Each core's window of the DRAM: its program's data from 0, the program's instructions from
// kMaxDramSize (beyond any data a program may touch).
constexpr std::uint64_t kProgramOffset = isa::kMaxDramSize;
constexpr std::uint64_t kWindowBytes = 2 * isa::kMaxDramSize;
constexpr std::uint64_t kWordBytes = 16;

class Host : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_initiator_socket<Host> regs;  // port c: core c's registers
  tlm_utils::simple_initiator_socket<Host> mem;              // the whole DRAM

  Host(sc_core::sc_module_name name, std::vector<PlatformCore*> cores, sc_core::sc_time cycle)
      : sc_core::sc_module(name),
        regs("regs"),
        mem("mem"),
        cores_(std::move(cores)),
        cycle_(cycle) {
    SC_THREAD(Thread);
  }

  void Post(const std::vector<PlatformJob>& jobs, PlatformRun& run) {
    jobs_ = &jobs;
    run_ = &run;
    error_.clear();
    has_work_ = true;
    posted_.notify(sc_core::SC_ZERO_TIME);
  }
  const std::string& error() const { return error_; }

 private:
  SC_HAS_PROCESS(Host);

  void Thread() {
    while (true) {
      if (!has_work_) sc_core::wait(posted_);
      has_work_ = false;
      try {
        Serve();
      } catch (const std::exception& e) {
        error_ = e.what();
      }
    }
  }

  void Serve() {
    const std::vector<PlatformJob>& jobs = *jobs_;
    run_->jobs.assign(jobs.size(), {});
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    std::deque<std::size_t> pending;
    for (std::size_t i = 0; i < jobs.size(); ++i) pending.push_back(i);
    std::vector<std::optional<std::size_t>> running(cores_.size());
    while (true) {
      for (std::size_t c = 0; c < cores_.size(); ++c) {
        if (running[c]) continue;
        for (auto it = pending.begin(); it != pending.end(); ++it) {
          const int pin = jobs[*it].core;
          if (pin < 0 || static_cast<std::size_t>(pin) == c) {
            running[c] = *it;
            pending.erase(it);
            Start(c, *jobs[*running[c]].program);
            break;
          }
        }
      }
      bool any = false;
      for (const auto& job : running) any = any || job.has_value();
      if (!any) break;
      // A core has finished when its STATUS says so (its interrupt signal changes a delta cycle
      // after a register write, so it is only waited for, not read).
      std::vector<bool> ended(cores_.size(), false);
      bool any_ended = false;
      for (std::size_t c = 0; c < cores_.size(); ++c) {
        ended[c] = running[c].has_value() && Ended(c);
        any_ended = any_ended || ended[c];
      }
      if (!any_ended) {
        sc_core::sc_event_or_list irqs;
        for (std::size_t c = 0; c < cores_.size(); ++c) {
          if (running[c]) irqs |= cores_[c]->irq.posedge_event();
        }
        sc_core::wait(irqs);
        continue;
      }
      for (std::size_t c = 0; c < cores_.size(); ++c) {
        if (ended[c]) {
          Finish(c, *running[c], *jobs[*running[c]].program);
          running[c].reset();
        }
      }
    }
    const double cycles = (sc_core::sc_time_stamp() - start) / cycle_;
    run_->report.cycles = static_cast<std::int64_t>(cycles + 0.5);
  }

  void Start(std::size_t core, const isa::Program& program) {
    const std::uint64_t base = core * kWindowBytes;
    std::vector<std::uint8_t> data(program.dram_size, 0);
    std::memcpy(data.data(), program.dram_image.data(), program.dram_image.size());
    Debug(base, data, tlm::TLM_WRITE_COMMAND);
    std::vector<std::uint8_t> words(program.instructions.size() * kWordBytes);
    for (std::size_t i = 0; i < program.instructions.size(); ++i) {
      std::memcpy(&words[i * kWordBytes], &program.instructions[i].lo, 8);
      std::memcpy(&words[i * kWordBytes + 8], &program.instructions[i].hi, 8);
    }
    Debug(base + kProgramOffset, words, tlm::TLM_WRITE_COMMAND);
    WriteReg(core, reg::kProgBase, static_cast<std::uint32_t>(kProgramOffset));
    WriteReg(core, reg::kProgLen, static_cast<std::uint32_t>(program.instructions.size()));
    WriteReg(core, reg::kDramSize, static_cast<std::uint32_t>(program.dram_size));
    WriteReg(core, reg::kMemSize, static_cast<std::uint32_t>(kWindowBytes));
    WriteReg(core, reg::kIrqStatus, reg::kIrqDone | reg::kIrqError);
    WriteReg(core, reg::kIrqEnable, reg::kIrqDone | reg::kIrqError);
    WriteReg(core, reg::kCtrl, reg::kCtrlStart);
  }

  bool Ended(std::size_t core) {
    const std::uint32_t status = ReadReg(core, reg::kStatus);
    return (status & reg::kStatusBusy) == 0 &&
           (status & (reg::kStatusDone | reg::kStatusError)) != 0;
  }

  void Finish(std::size_t core, std::size_t index, const isa::Program& program) {
    const std::uint32_t status = ReadReg(core, reg::kStatus);
    WriteReg(core, reg::kIrqStatus, reg::kIrqDone | reg::kIrqError);
    if ((status & reg::kStatusError) != 0) {
      std::string message = cores_[core]->ErrorMessage();
      if (message.empty()) {
        message = RtlErrorCodeText((status >> reg::kStatusCodeShift) & 0xFu) + " at instruction " +
                  std::to_string(ReadReg(core, reg::kErrorPc));
      }
      throw Error("job " + std::to_string(index) + " on core " + std::to_string(core) + ": " +
                  message);
    }
    PlatformJobResult& result = run_->jobs[index];
    result.core = static_cast<int>(core);
    result.cycles = static_cast<std::int64_t>(Counter(core, kCntCycles));
    result.counters = IsaCountersOf([&](std::uint32_t k) { return Counter(core, k); });
    result.dram.assign(program.dram_size, 0);
    Debug(core * kWindowBytes, result.dram, tlm::TLM_READ_COMMAND);
    PlatformCoreReport& report = run_->report.cores[core];
    report.jobs += 1;
    report.cycles += result.cycles;
    report.contention_cycles += cores_[core]->contention_cycles();
  }

  void Debug(std::uint64_t addr, std::vector<std::uint8_t>& bytes, tlm::tlm_command command) {
    tlm::tlm_generic_payload trans;
    trans.set_command(command);
    trans.set_address(addr);
    trans.set_data_ptr(bytes.data());
    trans.set_data_length(static_cast<unsigned int>(bytes.size()));
    trans.set_streaming_width(static_cast<unsigned int>(bytes.size()));
    if (!bytes.empty() && mem->transport_dbg(trans) != bytes.size()) {
      throw Error("host: DRAM access at " + std::to_string(addr) + " failed");
    }
  }

  std::uint32_t Access(std::size_t core, std::uint32_t offset, std::uint32_t value,
                       tlm::tlm_command command) {
    tlm::tlm_generic_payload trans;
    trans.set_command(command);
    trans.set_address(offset);
    trans.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
    trans.set_data_length(4);
    trans.set_streaming_width(4);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    regs[static_cast<int>(core)]->b_transport(trans, delay);
    if (trans.is_response_error()) {
      throw Error("host: core " + std::to_string(core) + " refused the register access at " +
                  std::to_string(offset) + " (" + trans.get_response_string() + ")");
    }
    return value;
  }
  void WriteReg(std::size_t core, std::uint32_t offset, std::uint32_t value) {
    Access(core, offset, value, tlm::TLM_WRITE_COMMAND);
  }
  std::uint32_t ReadReg(std::size_t core, std::uint32_t offset) {
    return Access(core, offset, 0, tlm::TLM_READ_COMMAND);
  }
  // Counter k: the low word first (its read captures the high word).
  std::uint64_t Counter(std::size_t core, std::uint32_t k) {
    const std::uint64_t low = ReadReg(core, reg::kCounters + 8 * k);
    return std::uint64_t{ReadReg(core, reg::kCounters + 8 * k + 4)} << 32 | low;
  }

  std::vector<PlatformCore*> cores_;
  sc_core::sc_time cycle_;
  sc_core::sc_event posted_;
  bool has_work_ = false;
  const std::vector<PlatformJob>* jobs_ = nullptr;
  PlatformRun* run_ = nullptr;
  std::string error_;
};

class Platform : public sc_core::sc_module {
 public:
  Platform(sc_core::sc_module_name name, const isa::ArchConfig& arch,
           const PlatformOptions& options)
      : sc_core::sc_module(name), cycle_(1000.0 / arch.clock_mhz, sc_core::SC_NS) {
    const auto cores = static_cast<std::size_t>(options.cores);
    dram_ = std::make_unique<TlmDram>(
        "dram", cores * kWindowBytes,
        DramTiming{options.dram_latency_cycles, options.dram_bytes_per_cycle}, cycle_);
    std::vector<BusWindow> windows;
    for (std::size_t c = 0; c < cores; ++c) windows.push_back({c * kWindowBytes, kWindowBytes});
    windows.push_back({0, cores * kWindowBytes});  // the host
    bus_ = std::make_unique<TlmBus>("bus", windows);
    bus_->dram.bind(dram_->socket);
    std::vector<PlatformCore*> raw;
    const std::vector<std::string> models = CoreModelsOf(options);
    for (std::size_t c = 0; c < cores; ++c) {
      const std::string core_name = "core" + std::to_string(c);
      if (models[c] == "rtl") {
        cores_.push_back(std::make_unique<RtlCore>(core_name.c_str(), arch, cycle_, kWindowBytes));
      } else {
        cores_.push_back(
            std::make_unique<IsaCore>(core_name.c_str(), arch, cycle_, options.burst_bytes));
      }
      cores_.back()->MemorySocket().bind(bus_->targets);
      raw.push_back(cores_.back().get());
    }
    host_ = std::make_unique<Host>("host", raw, cycle_);
    host_->mem.bind(bus_->targets);
    for (auto& core : cores_) host_->regs.bind(core->RegisterSocket());
  }

  PlatformRun Run(const std::vector<PlatformJob>& jobs) {
    PlatformRun run;
    run.report.cores.assign(cores_.size(), {});
    const std::vector<BusPortStats> bus_before = bus_->stats();
    const DramStats dram_before = dram_->stats();
    host_->Post(jobs, run);
    try {
      sc_core::sc_start();
    } catch (const std::exception& e) {
      throw Error(std::string("the platform stopped: ") + e.what());
    }
    if (!host_->error().empty()) throw Error(host_->error());
    for (std::size_t c = 0; c < cores_.size(); ++c) {
      run.report.cores[c].dram_read = bus_->stats()[c].bytes_read - bus_before[c].bytes_read;
      run.report.cores[c].dram_written =
          bus_->stats()[c].bytes_written - bus_before[c].bytes_written;
    }
    run.report.dram_bytes = dram_->stats().bytes - dram_before.bytes;
    run.report.dram_busy_cycles = dram_->stats().busy_cycles - dram_before.busy_cycles;
    return run;
  }

 private:
  sc_core::sc_time cycle_;
  std::unique_ptr<TlmDram> dram_;
  std::unique_ptr<TlmBus> bus_;
  std::vector<std::unique_ptr<PlatformCore>> cores_;
  std::unique_ptr<Host> host_;
};

struct Built {
  std::uint64_t arch_hash = 0;
  double clock_mhz = 0;
  PlatformOptions options;
  std::unique_ptr<Platform> platform;
};

// Never destroyed: at exit the SystemC kernel's and the model libraries' own statics may already
// be gone (destroying a verilated model then waits forever on a Verilated mutex), so the platform
// lives as long as the process.
Built& TheBuilt() {
  static Built* const built = new Built;
  return *built;
}

}  // namespace
}  // namespace platform

PlatformRun RunOnPlatform(const isa::ArchConfig& arch, const std::vector<PlatformJob>& jobs,
                          const PlatformOptions& options) {
  CheckPlatformOptions(options);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].program == nullptr)
      throw Error("platform job " + std::to_string(i) + " has no program");
    isa::CheckProgramArch(*jobs[i].program, arch, "platform job " + std::to_string(i));
    if (jobs[i].core >= options.cores) {
      throw Error("platform job " + std::to_string(i) + " is pinned to core " +
                  std::to_string(jobs[i].core) + " of " + std::to_string(options.cores));
    }
  }
  platform::Built& built = platform::TheBuilt();
  if (!built.platform) {
    // The SystemC kernel prints a banner on its first use unless told not to.
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    built.arch_hash = arch.Hash();
    built.clock_mhz = arch.clock_mhz;
    built.options = options;
    built.platform = std::make_unique<platform::Platform>("platform", arch, options);
  } else if (built.arch_hash != arch.Hash() || built.clock_mhz != arch.clock_mhz ||
             built.options != options) {
    throw Error(
        "the platform is built once per process (SystemC elaborates once): it already runs "
        "another architecture or other options");
  }
  return built.platform->Run(jobs);
}

}  // namespace qsa::sim

// libsystemc's own main() calls sc_main; qsa's programs have their own main and never reach it,
// but the shared library's reference must resolve.
extern "C" int sc_main(int /*argc*/, char* /*argv*/[]) { return 1; }

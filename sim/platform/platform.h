// A SystemC/TLM-2.0 virtual platform (docs/platform.md): N accelerator cores, a host that loads
// programs, writes the cores' registers and waits for their interrupts, and an interconnect to a
// shared DRAM. This header needs no SystemC.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/isa/arch.h"
#include "model/isa/executor.h"
#include "model/isa/program.h"

namespace qsa::sim {

struct PlatformOptions {
  int cores = 1;
  // "isa": transaction level, built on the ISA simulator; "rtl": the verilated accelerator,
  // cycle by cycle; or one of them per core, comma-separated ("isa,isa,rtl").
  std::string core_model = "isa";
  int dram_latency_cycles = 100;  // the shared DRAM (PlatformOptionsFor: the architecture's)
  int dram_bytes_per_cycle = 16;
  int burst_bytes = 256;  // a core's DRAM traffic goes in bursts of this size (16 beats of 16 B)
  bool operator==(const PlatformOptions&) const = default;
};

// The options of a platform whose DRAM is the architecture's (latency, bandwidth), with `cores`
// cores of `core_model`, then the keys of the platform file `path` when not empty: a JSON object
// with any of "dram_latency_cycles", "dram_bytes_per_cycle", "burst_bytes" (positive integers).
// Throws qsa::Error naming the file and the problem (unreadable, not JSON, an unknown key, a
// value that is not a positive integer), or CheckPlatformOptions's error.
PlatformOptions PlatformOptionsFor(const isa::ArchConfig& arch, int cores,
                                   const std::string& core_model, const std::string& path);

// Throws qsa::Error for options no platform can have: fewer than 1 core, an unknown core model
// or a list of another length than the cores, a DRAM latency or bandwidth below 1, a burst below
// 1 byte.
void CheckPlatformOptions(const PlatformOptions& options);
// Each core's model, "isa" or "rtl" (the options checked).
std::vector<std::string> CoreModelsOf(const PlatformOptions& options);

// One program to run (its DRAM image holds the inputs); `core` pins it to a core, -1: the first
// free one.
struct PlatformJob {
  const isa::Program* program = nullptr;
  int core = -1;
};

struct PlatformCoreReport {
  std::int64_t jobs = 0;
  std::int64_t cycles = 0;             // the cores' CYCLES counters, summed over its jobs
  std::int64_t contention_cycles = 0;  // its DRAM bursts' waits behind other traffic
  std::int64_t dram_read = 0;          // bytes through its memory port (timed traffic)
  std::int64_t dram_written = 0;
};

struct PlatformReport {
  std::int64_t cycles = 0;  // from the host's first start to the last interrupt
  std::vector<PlatformCoreReport> cores;
  std::int64_t dram_bytes = 0;
  std::int64_t dram_busy_cycles = 0;  // cycles the DRAM's data path moved data
};

struct PlatformJobResult {
  std::vector<std::uint8_t> dram;  // the job's DRAM after its run
  std::int64_t cycles = 0;         // the core's CYCLES counter
  isa::IsaCounters counters;       // from the core's counter registers
  int core = 0;
};

struct PlatformRun {
  std::vector<PlatformJobResult> jobs;  // in the order given
  PlatformReport report;                // of this call
};

// Runs the jobs on the platform; throws qsa::Error naming the job and core when a core reports an
// error. SystemC elaborates once per process: the platform is built on the first call, and a
// later call with another architecture or other options is refused.
PlatformRun RunOnPlatform(const isa::ArchConfig& arch, const std::vector<PlatformJob>& jobs,
                          const PlatformOptions& options);

}  // namespace qsa::sim

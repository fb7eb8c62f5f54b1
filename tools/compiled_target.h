// Compiled models on the command line: a compiled folder (qsa compile -o OUT) or a model file
// compiled on the fly, run step by step on the ISA simulator or the RTL.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/estimate/estimate.h"
#include "model/golden/tensor.h"
#include "model/isa/arch.h"
#include "sim/platform/platform.h"
#include "sim/rtl_sim.h"
#include "tools/tool_util.h"

namespace qsa::tools {

// A compiled model with its source model (the golden reference) and the inputs given for it.
struct CompiledTarget {
  compiler::CompiledModel compiled;
  std::string source;      // path of the source model
  PreparedModel prepared;  // the source model and its feeds
};

// True when PATH names a compiled folder.
bool IsCompiledTarget(const std::string& path);
// Reads a compiled folder (checking --arch against it when given), or loads and compiles a model
// file for --arch (default: the built-in default) in the requantization mode `requant`
// (tflite-double or single-rounding); then reads the inputs for the source model.
CompiledTarget LoadCompiledTarget(const std::string& path, const std::string& arch_path,
                                  const std::string& requant,
                                  const std::vector<std::string>& inputs);

// One layer of a program run on the RTL: the cycles from the previous layer's last retired
// instruction to its own (layers overlap a little at their borders, so this is a measure, not a
// partition of the work), and the layer's multiply-accumulates.
struct LayerSpan {
  std::string name;
  std::int64_t macs = 0;
  std::int64_t cycles = 0;
};

// Totals of the programs' runs on one engine.
struct EngineTotals {
  std::vector<LayerSpan> layers;  // rtl only
  std::int64_t programs = 0;
  std::int64_t cycles = 0;  // estimated (isa) or measured (rtl), summed over the programs
  std::int64_t macs_useful = 0;
  std::int64_t macs_issued = 0;
  std::int64_t dram_read = 0;
  std::int64_t dram_written = 0;
  std::int64_t instructions = 0;
  std::int64_t bank_stall = 0;  // cycles clients waited for a memory bank (isa: its estimate)
  // isa: each program's per-layer events and cycles (with per-instruction slices when
  // keep_slices is set before the run).
  std::vector<std::unique_ptr<estimate::LayerProfiler>> profiles;
  bool keep_slices = false;
  // rtl with keep_slices: each program's timeline from its retire cycles.
  std::vector<estimate::ProgramTimeline> rtl_timelines;
  // rtl with rtl_events: each layer's events (from an ISA-simulator run of the same program: the
  // RTL's counters equal the ISA simulator's) with the RTL's measured cycles.
  bool rtl_events = false;
  std::vector<estimate::LayerRow> rtl_rows;
  // rtl: the options of every program's run. A waveform path (fst_path) names one file per
  // program: the path itself for a model of one program, else the program's name inserted before
  // the extension (trace.fst: trace.segment0.fst, trace.segment1.fst, ...).
  sim::RtlOptions rtl_options;
  // isa: when set, every program's instruction trace, each after a "# program NAME" line.
  std::ostream* isa_trace = nullptr;
  // systemc: the platform; each program runs as one job per core (independent copies of the
  // model, one per core), and `platform` sums the platform's reports over the programs.
  sim::PlatformOptions platform_options;
  sim::PlatformReport platform;
};
// The waveform file of program `name` for --trace PATH when the model has `programs` programs.
std::string ProgramTracePath(const std::string& path, const std::string& name,
                             std::size_t programs);
// Runs the compiled model with its programs on `engine` ("isa", "rtl" or "systemc"); every tensor
// computed,
// by name. Adds each program's figures to `totals` when given.
std::map<std::string, golden::Tensor> RunCompiledOn(const std::string& engine,
                                                    const CompiledTarget& target,
                                                    EngineTotals* totals);
// The per-layer table of an RTL run: layer, MACs, cycles, array utilization.
void PrintLayerSpans(const isa::ArchConfig& arch, const EngineTotals& totals);

// "isa: 3 programs, 12,345 cycles, array utilization 71.2 %, DRAM ..." — one line.
// systemc: the platform's cores, cycles and DRAM contention, one line per core.
std::string DescribePlatform(const EngineTotals& totals);
std::string DescribeTotals(const std::string& engine, const isa::ArchConfig& arch,
                           const EngineTotals& totals);

// The per-layer table `qsa compile` prints.
void PrintCompileReport(const compiler::CompiledModel& model, const std::string& out_dir);

}  // namespace qsa::tools

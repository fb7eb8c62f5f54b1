// Latency and energy estimates from one set of architectural events (docs/estimation.md):
//   analytic  the compiler's cost model (compiler/lower/cost_model.h), no simulation;
//   isa       the ISA simulator's exact event counts and its timing model, per layer
//             (LayerProfiler observes each executed instruction);
//   rtl       the RTL's measured cycles (its event counters equal the ISA simulator's).
// Energy = Σ events × pJ per event (energy.h), per layer and per component.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/compile.h"
#include "compiler/estimate/energy.h"
#include "compiler/lower/cost_model.h"
#include "model/isa/arch.h"
#include "model/isa/program.h"
#include "model/isa/simulator.h"

namespace qsa::estimate {

// The events energy is counted from.
struct Events {
  std::int64_t cycles = 0;
  std::int64_t instructions = 0;
  std::int64_t macs_issued = 0;  // ROWS · COLS per activation row streamed
  std::int64_t macs_useful = 0;
  std::int64_t accumulates = 0;  // int32 values added into accumulator rows already written
  std::int64_t requants = 0;     // values post writes
  std::int64_t vadds = 0;        // values vadd writes
  std::int64_t pool_taps = 0;    // values pool reads
  isa::MemoryTraffic scratchpad, accumulator, param, dram;
  Events& operator+=(const Events& other);
  bool operator==(const Events& other) const = default;
};

// Energy by component, pJ.
struct Energy {
  double array = 0;   // MACs and accumulation
  double vector = 0;  // post, vadd, pool arithmetic
  double scratchpad = 0, accumulator = 0, param = 0;
  double dram = 0;
  double control = 0;  // instruction fetch, check and issue
  double leakage = 0;
  double Total() const;
  Energy& operator+=(const Energy& other);
};
inline constexpr std::array<std::string_view, 8> kEnergyComponents = {
    "array", "vector",  "scratchpad", "accumulator", "parameter_buffer",
    "dram",  "control", "leakage"};
std::array<double, 8> Components(const Energy& e);

Energy EnergyOf(const Events& events, const EventEnergies& pj);

// The analytic events of one layer from its cost-model estimate (the on-chip traffic rules of
// docs/isa.md "Counters" applied to the tiling's rows).
Events AnalyticEvents(const isa::ArchConfig& arch, const compiler::LayerEstimate& e);

// The events of one executed instruction (its counters' difference, split by what it does).
Events InstructionEvents(const isa::InstructionRun& run);

// What limits a layer: "compute" (the array), "vector" (post/vadd/pool unit), "dram".
std::string BoundOf(const compiler::LayerEstimate& e);

struct LayerRow {
  std::string program;  // "segment0"
  std::string name;
  std::string op;
  std::int64_t macs = 0;
  std::int64_t cycles = 0;
  std::int64_t compute_cycles = 0, load_cycles = 0, store_cycles = 0;
  double utilization = 0;  // macs / (cycles · ROWS · COLS)
  std::string bound;
  Events events;
  Energy energy;
  Energy fp32;  // with --fp32
};

struct EstimateReport {
  std::string source;  // how the figures were obtained: "analytic", "isa", "rtl"
  isa::ArchConfig arch;
  EnergyTable table;
  bool fp32 = false;
  std::vector<LayerRow> layers;
  // Totals over the layers.
  Events events;
  Energy energy;
  Energy fp32_energy;
};

// The analytic estimate of a compiled model (every accelerator program's layers, in order).
EstimateReport EstimateCompiled(const compiler::CompiledModel& model, const EnergyTable& table,
                                bool fp32);
// Fills in a report's totals, utilization and energies from its layers' events and cycles.
void FinishReport(EstimateReport& report);

// {"source", "arch", "energy_table", "cycles", "time_us", "energy_pj", "energy_by_component",
//  "events", "layers": [{"name", "op", "macs", "cycles", "utilization", "bound", "dram_read",
//  "dram_written", "energy_pj", "energy_by_component", "events"...}]} (docs/estimation.md).
nlohmann::json ReportToJson(const EstimateReport& report);
// One line per layer, the columns of the JSON's layers.
std::string ReportToCsv(const EstimateReport& report);

// One layer of a SCALE-Sim topology file: a convolution ("Layer name, IFMAP Height, IFMAP
// Width, Filter Height, Filter Width, Channels, Num Filter, Strides,") or a GEMM ("Layer Name, M,
// N, K,": an M × K by K × N product, run as a 1×1 convolution of M pixels, K channels, N
// filters). Convolutions are unpadded, as SCALE-Sim's: (IFMAP − Filter) / Stride + 1 outputs.
struct TopologyLayer {
  std::string name;
  std::int64_t ifmap_h = 1, ifmap_w = 1, filter_h = 1, filter_w = 1, channels = 1, filters = 1;
  std::int64_t stride = 1;
};
// Parses the text of a topology CSV; throws qsa::Error naming `source`, the line and the field.
std::vector<TopologyLayer> ParseTopologyCsv(std::string_view text, const std::string& source);
// Each layer tiled by the compiler's cost model on `arch` (the cheapest tiling that fits) and
// estimated like a compiled model's layer (program "topology").
EstimateReport EstimateTopology(const isa::ArchConfig& arch,
                                const std::vector<TopologyLayer>& layers, const EnergyTable& table,
                                bool fp32);

// One program's timeline: its layers (name and cycles, in order, partitioning the run) and one
// slice per executed instruction.
struct TimelineSlice {
  std::int64_t index = 0;
  isa::Queue queue = isa::Queue::kLoad;
  std::int64_t start = 0, end = 0;
  std::int64_t dram_bytes = 0;  // -1: not known (the RTL's timeline)
  int layer = 0;
  std::string_view mnemonic;
};
struct ProgramTimeline {
  std::string program;
  std::vector<std::string> layer_names;
  std::vector<std::int64_t> layer_cycles;
  std::vector<TimelineSlice> slices;
};

// Collects per-layer events and cycles of one program's ISA run: attach Observer() to
// IsaSimOptions::observe. Instructions outside the manifest's layer ranges (tokens, finish) count
// to the layer before them (the first layer when there is none).
class LayerProfiler {
 public:
  LayerProfiler(const isa::Program& program, std::string name);
  std::function<void(const isa::InstructionRun&)> Observer();
  // One row per layer. A layer's cycles run from the previous layer's completion to the
  // completion of its own last instruction, so they add up to the program's cycles.
  std::vector<LayerRow> Layers() const;
  // Keep a slice per instruction for Timeline().
  void KeepSlices() { keep_slices_ = true; }
  ProgramTimeline Timeline() const;

 private:
  std::string program_name_;
  std::vector<std::string> names_;
  std::vector<int> layer_of_;
  std::vector<Events> events_;
  std::vector<std::int64_t> end_;
  bool keep_slices_ = false;
  std::vector<TimelineSlice> slices_;
};

// The timeline of an RTL run from the cycle each instruction retired (in program order; -1: did
// not, as the final finish): an instruction's slice runs from the previous retirement in its
// queue (or the start) to its own, so it includes the time it waited at the queue's head; the
// layers end at their last retirement. DRAM bytes per instruction are not known.
ProgramTimeline RtlTimeline(const isa::Program& program, const std::string& name,
                            const std::vector<std::int64_t>& retire_cycles);

// A Chrome/Perfetto trace (JSON object format) of programs run one after the other: one process
// per program with tracks for layers, the load, compute and store queues (one slice per
// instruction; a queue whose instructions overlap gets more tracks, "compute queue 2", ..., so
// that the slices of each track nest) and, when the DRAM bytes are known, a DRAM bandwidth counter
// (bytes per cycle, averaged over windows of 1/500 of the program, at least 64 cycles). Times in µs
// at the arch clock.
nlohmann::json TimelineJson(const isa::ArchConfig& arch,
                            const std::vector<ProgramTimeline>& programs);

}  // namespace qsa::estimate

// The estimator's three sources on the bundled examples: the ISA simulator's per-layer events add
// up to exactly the RTL's event counters, and the analytic (cost-model) estimate agrees with the
// ISA simulator per layer within the tolerances docs/estimation.md states; the ISA simulator's
// cycles agree with the RTL's within a stated tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/compile.h"
#include "compiler/estimate/estimate.h"
#include "compiler/importer/load_model.h"
#include "compiler/run_compiled.h"
#include "model/golden/npy.h"
#include "model/isa/assembler.h"
#include "model/isa/simulator.h"
#include "sim/rtl_sim.h"

namespace qsa::sim {
namespace {

struct Example {
  const char* model;
  const char* input;
};

const Example kExamples[] = {
    {"examples/digits/digits_qdq.onnx", "examples/digits/input.npy"},
    {"examples/cnn3/cnn3.json", "examples/cnn3/input.npy"},
    {"examples/tinycnn/tinycnn_qdq.onnx", "examples/tinycnn/input.npy"},
};

std::string Source(const char* path) { return std::string(QSA_SOURCE_DIR) + "/" + path; }

// An example compiled for the default array, with its input.
struct CompiledExample {
  compiler::CompiledModel model;
  std::map<std::string, golden::Tensor> feeds;
};

CompiledExample Compile(const Example& ex) {
  const importer::LoadedModel loaded = importer::LoadModel(Source(ex.model), {});
  compiler::CompileOptions options;
  options.arch = isa::DefaultArchConfig();
  return {compiler::Compile(loaded.graph, options),
          {{loaded.graph.inputs.at(0), golden::ReadNpy(Source(ex.input))}}};
}

// Per layer, analytic against the ISA simulator (docs/estimation.md, "Validation").
constexpr double kDramTolerance = 0.05;
constexpr double kEnergyTolerance = 0.05;
constexpr double kOnChipTolerance = 0.25;

double RelativeDifference(double a, double b) {
  return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1.0});
}

TEST(EstimateCosim, IsaEventsEqualRtlCountersAndAnalyticAgrees) {
  for (const Example& ex : kExamples) {
    SCOPED_TRACE(ex.model);
    const CompiledExample compiled = Compile(ex);
    const compiler::CompiledModel& cm = compiled.model;
    const std::map<std::string, golden::Tensor>& feeds = compiled.feeds;

    std::vector<std::unique_ptr<estimate::LayerProfiler>> profiles;
    std::vector<RtlRunResult> rtl;
    compiler::RunCompiled(
        cm, feeds,
        [&](const compiler::CompiledProgram& p, const std::map<std::string, golden::Tensor>& in) {
          profiles.push_back(std::make_unique<estimate::LayerProfiler>(p.program, p.name));
          isa::IsaSimOptions o;
          o.observe = profiles.back()->Observer();
          auto outputs = isa::RunProgramOnIsa(cm.arch, p.program, in, o).outputs;
          rtl.push_back(RunProgramOnRtl(cm.arch, p.program, in).result);
          return outputs;
        });
    ASSERT_EQ(profiles.size(), rtl.size());
    ASSERT_EQ(profiles.size(), cm.programs.size());

    estimate::EstimateReport isa_report;
    isa_report.arch = cm.arch;
    isa_report.table = estimate::DefaultEnergyTable();
    for (std::size_t k = 0; k < profiles.size(); ++k) {
      // Exact: the ISA simulator's events, summed over the layers, are the RTL's counters.
      estimate::Events sum;
      for (const estimate::LayerRow& l : profiles[k]->Layers()) {
        sum += l.events;
        isa_report.layers.push_back(l);
      }
      const isa::IsaCounters& c = rtl[k].counters;
      EXPECT_EQ(sum.instructions, c.instructions);
      EXPECT_EQ(sum.macs_issued, c.macs_issued);
      EXPECT_EQ(sum.macs_useful, c.macs_useful);
      EXPECT_EQ(sum.scratchpad, c.scratchpad);
      EXPECT_EQ(sum.accumulator, c.accumulator);
      EXPECT_EQ(sum.param, c.param);
      EXPECT_EQ(sum.dram, c.dram);
    }
    estimate::FinishReport(isa_report);
    const estimate::EstimateReport analytic =
        estimate::EstimateCompiled(cm, estimate::DefaultEnergyTable(), false);
    ASSERT_EQ(analytic.layers.size(), isa_report.layers.size());
    for (std::size_t i = 0; i < analytic.layers.size(); ++i) {
      const estimate::LayerRow& a = analytic.layers[i];
      const estimate::LayerRow& s = isa_report.layers[i];
      SCOPED_TRACE(a.name);
      EXPECT_EQ(a.name, s.name);
      std::printf("%-36s %-18s cycles %8lld %8lld  energy %12.1f %12.1f pJ  dram %8lld %8lld\n",
                  ex.model, a.name.c_str(), static_cast<long long>(a.cycles),
                  static_cast<long long>(s.cycles), a.energy.Total(), s.energy.Total(),
                  static_cast<long long>(a.events.dram.bytes_read + a.events.dram.bytes_written),
                  static_cast<long long>(s.events.dram.bytes_read + s.events.dram.bytes_written));
      EXPECT_EQ(a.events.dram.bytes_written, s.events.dram.bytes_written);
      EXPECT_LE(RelativeDifference(static_cast<double>(a.events.dram.bytes_read),
                                   static_cast<double>(s.events.dram.bytes_read)),
                kDramTolerance);
      EXPECT_LE(RelativeDifference(a.energy.Total(), s.energy.Total()), kEnergyTolerance);
      // The on-chip part alone (no DRAM, no leakage): the array, vector unit, memories, control.
      const auto on_chip = [](const estimate::Energy& e) {
        return e.array + e.vector + e.scratchpad + e.accumulator + e.param + e.control;
      };
      std::printf("    on-chip %12.1f %12.1f pJ (%.1f %%)\n", on_chip(a.energy), on_chip(s.energy),
                  100.0 * RelativeDifference(on_chip(a.energy), on_chip(s.energy)));
      EXPECT_LE(RelativeDifference(on_chip(a.energy), on_chip(s.energy)), kOnChipTolerance);
    }
  }
}

// The ISA simulator's timing model against the RTL's measured cycles (docs/estimation.md,
// "Validation"): each program's cycles within kIsaCycleTolerance, and each layer's (from the
// previous layer's last retirement to its own) within that or kIsaLayerSlack cycles, whichever is
// larger (a few cycles of queue handoff between layers are not modelled).
constexpr double kIsaCycleTolerance = 0.02;
constexpr std::int64_t kIsaLayerSlack = 16;

TEST(EstimateCosim, IsaCyclesAgreeWithRtlCycles) {
  for (const Example& ex : kExamples) {
    SCOPED_TRACE(ex.model);
    const CompiledExample compiled = Compile(ex);
    const compiler::CompiledModel& cm = compiled.model;
    const std::map<std::string, golden::Tensor>& feeds = compiled.feeds;
    compiler::RunCompiled(
        cm, feeds,
        [&](const compiler::CompiledProgram& p, const std::map<std::string, golden::Tensor>& in) {
          estimate::LayerProfiler profile(p.program, p.name);
          isa::IsaSimOptions o;
          o.observe = profile.Observer();
          isa::IsaProgramRun isa_run = isa::RunProgramOnIsa(cm.arch, p.program, in, o);
          const RtlRunResult rtl = RunProgramOnRtl(cm.arch, p.program, in).result;
          const double isa_cycles = static_cast<double>(isa_run.result.timing.cycles);
          std::printf("%-36s %-10s cycles: ISA %lld, RTL %lld\n", ex.model, p.name.c_str(),
                      static_cast<long long>(isa_run.result.timing.cycles),
                      static_cast<long long>(rtl.cycles));
          EXPECT_LE(std::abs(isa_cycles - static_cast<double>(rtl.cycles)),
                    kIsaCycleTolerance * static_cast<double>(rtl.cycles));
          const std::vector<estimate::LayerRow> layers = profile.Layers();
          EXPECT_EQ(layers.size(), p.program.manifest.layers.size());
          std::int64_t previous_end = 0;
          for (std::size_t k = 0; k < std::min(layers.size(), p.program.manifest.layers.size());
               ++k) {
            const isa::LayerRange& range = p.program.manifest.layers[k];
            std::int64_t end = previous_end;
            for (std::int64_t i = range.first; i < range.first + range.count; ++i) {
              end = std::max(end, rtl.retire_cycles.at(static_cast<std::size_t>(i)));
            }
            const std::int64_t rtl_layer = end - previous_end;
            previous_end = end;
            std::printf("    %-18s ISA %6lld RTL %6lld\n", range.name.c_str(),
                        static_cast<long long>(layers[k].cycles),
                        static_cast<long long>(rtl_layer));
            EXPECT_LE(std::abs(static_cast<double>(layers[k].cycles - rtl_layer)),
                      std::max(kIsaCycleTolerance * static_cast<double>(rtl_layer),
                               static_cast<double>(kIsaLayerSlack)))
                << range.name;
          }
          return isa_run.outputs;
        });
  }
}

// The hand-written example programs, on the architectures they are written for: their whole
// run within kIsaCycleTolerance (gemm_tile: ISA 467, RTL 468 cycles; conv3x3_s2: 1,156 and 1,170,
// instruction fetch from DRAM included: about 100 cycles more than with instructions fed at once).
TEST(EstimateCosim, IsaCyclesOfTheExampleProgramsAgreeWithRtlCycles) {
  const std::pair<const char*, const char*> programs[] = {
      {"examples/isa/gemm_tile.s", "default"},
      {"examples/isa/conv3x3_s2/conv.s", "8x8"},
  };
  for (const auto& [path, arch_name] : programs) {
    SCOPED_TRACE(path);
    const isa::ArchConfig arch =
        std::string(arch_name) == "default"
            ? isa::DefaultArchConfig()
            : isa::LoadArchConfig(Source("model/isa/arch/") + arch_name + ".json");
    const isa::Program program = isa::AssembleFile(Source(path), arch);
    isa::IsaSimulator sim(arch, program);
    const std::int64_t isa_cycles = sim.Run().timing.cycles;
    RtlSimulator rtl(arch, program, {});
    const std::int64_t rtl_cycles = rtl.Run().cycles;
    std::printf("%-34s cycles: ISA %lld, RTL %lld\n", path, static_cast<long long>(isa_cycles),
                static_cast<long long>(rtl_cycles));
    EXPECT_LE(std::abs(static_cast<double>(isa_cycles - rtl_cycles)),
              kIsaCycleTolerance * static_cast<double>(rtl_cycles));
  }
}

}  // namespace
}  // namespace qsa::sim

#include "tools/compiled_target.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "compiler/compiled_folder.h"
#include "compiler/importer/load_model.h"
#include "compiler/run_compiled.h"
#include "model/base/error.h"
#include "model/isa/simulator.h"
#include "sim/rtl_sim.h"

namespace qsa::tools {

namespace fs = std::filesystem;

bool IsCompiledTarget(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && compiler::IsCompiledModel(path);
}

CompiledTarget LoadCompiledTarget(const std::string& path, const std::string& arch_path,
                                  const std::string& requant,
                                  const std::vector<std::string>& inputs) {
  CompiledTarget t;
  if (IsCompiledTarget(path)) {
    t.compiled = compiler::ReadCompiled(path);
    if (!arch_path.empty()) {
      const isa::ArchConfig arch = LoadArch(arch_path);
      if (arch.Hash() != t.compiled.arch.Hash()) {
        throw Error("'" + path + "' was compiled for architecture '" + t.compiled.arch.name +
                    "', not for '" + arch.name + "' (" + arch_path + "); compile it again");
      }
      // Timing parameters may differ; the programs run on the given configuration.
      t.compiled.arch = arch;
    }
    t.source = compiler::CompiledSourceModel(path);
    if (t.source.empty()) throw Error("'" + path + "' holds no source model (model.onnx)");
    t.prepared = PrepareModel(t.source, ParseInputSpecs(inputs));
    return t;
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw Error("'" + path +
                "' is a folder without compiled.json; give a model file or a folder "
                "made by qsa compile");
  }
  compiler::CompileOptions options;
  options.rounding = compiler::AcceleratorRounding(requant);
  t.source = path;
  t.prepared = PrepareModel(path, ParseInputSpecs(inputs));
  options.arch = LoadArch(arch_path);
  t.compiled = compiler::Compile(t.prepared.loaded.graph, options);
  return t;
}

namespace {

void AddRun(EngineTotals& sum, std::int64_t cycles, std::int64_t bank_stall,
            const isa::IsaCounters& c) {
  ++sum.programs;
  sum.cycles += cycles;
  sum.bank_stall += bank_stall;
  sum.macs_useful += c.macs_useful;
  sum.macs_issued += c.macs_issued;
  sum.dram_read += c.dram.bytes_read;
  sum.dram_written += c.dram.bytes_written;
  sum.instructions += c.instructions;
}

}  // namespace

std::map<std::string, golden::Tensor> RunCompiledOn(const std::string& engine,
                                                    const CompiledTarget& target,
                                                    EngineTotals* totals) {
  const isa::ArchConfig& arch = target.compiled.arch;
  EngineTotals local;
  EngineTotals& sum = totals != nullptr ? *totals : local;
  compiler::ProgramEngine run;
  if (engine == "isa") {
    run = [&](const compiler::CompiledProgram& p, const std::map<std::string, golden::Tensor>& in) {
      auto profile = std::make_unique<estimate::LayerProfiler>(p.program, p.name);
      if (sum.keep_slices) profile->KeepSlices();
      isa::IsaSimOptions options;
      options.observe = profile->Observer();
      if (sum.isa_trace != nullptr) {
        *sum.isa_trace << "# program " << p.name << "\n";
        options.trace = sum.isa_trace;
      }
      isa::IsaProgramRun r = isa::RunProgramOnIsa(arch, p.program, in, options);
      sum.profiles.push_back(std::move(profile));
      AddRun(sum, r.result.timing.cycles, r.result.timing.bank_stall_cycles, r.result.counters);
      return r.outputs;
    };
  } else if (engine == "rtl") {
    run = [&](const compiler::CompiledProgram& p, const std::map<std::string, golden::Tensor>& in) {
      sim::RtlOptions rtl_options = sum.rtl_options;
      if (!rtl_options.fst_path.empty()) {
        rtl_options.fst_path =
            ProgramTracePath(rtl_options.fst_path, p.name, target.compiled.programs.size());
      }
      sim::RtlProgramRun r = sim::RunProgramOnRtl(arch, p.program, in, rtl_options);
      if (sum.keep_slices) {
        sum.rtl_timelines.push_back(
            estimate::RtlTimeline(p.program, p.name, r.result.retire_cycles));
      }
      const std::size_t first_span = sum.layers.size();
      std::int64_t previous_end = 0;
      for (const isa::LayerRange& range : p.program.manifest.layers) {
        std::int64_t end = previous_end;
        for (std::int64_t i = range.first; i < range.first + range.count; ++i) {
          end = std::max(end, r.result.retire_cycles[static_cast<std::size_t>(i)]);
        }
        LayerSpan span{range.name, 0, end - previous_end};
        for (const compiler::LayerEstimate& e : p.layers) {
          if (e.name == range.name) span.macs = e.macs;
        }
        sum.layers.push_back(span);
        previous_end = end;
      }
      if (sum.rtl_events) {
        estimate::LayerProfiler profile(p.program, p.name);
        isa::IsaSimOptions options;
        options.observe = profile.Observer();
        isa::RunProgramOnIsa(arch, p.program, in, options);
        std::vector<estimate::LayerRow> rows = profile.Layers();
        const std::size_t spans = sum.layers.size() - first_span;
        for (std::size_t k = 0; k < rows.size(); ++k) {
          rows[k].cycles =
              spans == rows.size() ? sum.layers[first_span + k].cycles : r.result.cycles;
          sum.rtl_rows.push_back(std::move(rows[k]));
        }
      }
      AddRun(sum, r.result.cycles, r.result.bank_stall, r.result.counters);
      return r.outputs;
    };
  } else if (engine == "systemc") {
#if QSA_HAVE_SYSTEMC
    run = [&](const compiler::CompiledProgram& p, const std::map<std::string, golden::Tensor>& in) {
      isa::Program program = p.program;
      program.dram_image.resize(program.dram_size, 0);
      isa::WriteProgramInputs(program, in, program.dram_image);
      const int cores = sum.platform_options.cores;
      std::vector<sim::PlatformJob> jobs;
      for (int c = 0; c < cores; ++c) jobs.push_back({&program, c});
      const sim::PlatformRun r = sim::RunOnPlatform(arch, jobs, sum.platform_options);
      for (std::size_t k = 1; k < r.jobs.size(); ++k) {
        if (r.jobs[k].dram != r.jobs[0].dram) {
          throw Error("program " + p.name + ": core " + std::to_string(k) +
                      " computed another DRAM than core 0 from the same inputs");
        }
      }
      std::map<std::string, golden::Tensor> outputs;
      for (const isa::ManifestTensor& out : program.manifest.outputs) {
        outputs[out.name] = isa::ReadTensorFromDram(out, r.jobs[0].dram);
      }
      AddRun(sum, r.report.cycles, 0, r.jobs[0].counters);
      sim::PlatformReport& total = sum.platform;
      total.cycles += r.report.cycles;
      total.dram_bytes += r.report.dram_bytes;
      total.dram_busy_cycles += r.report.dram_busy_cycles;
      total.cores.resize(r.report.cores.size());
      for (std::size_t c = 0; c < r.report.cores.size(); ++c) {
        total.cores[c].jobs += r.report.cores[c].jobs;
        total.cores[c].cycles += r.report.cores[c].cycles;
        total.cores[c].contention_cycles += r.report.cores[c].contention_cycles;
        total.cores[c].dram_read += r.report.cores[c].dram_read;
        total.cores[c].dram_written += r.report.cores[c].dram_written;
      }
      return outputs;
    };
#else
    throw Error(
        "this qsa was built without SystemC (Debian's libsystemc-dev): --engine systemc is not "
        "available");
#endif
  } else {
    throw Error("internal: engine '" + engine + "' runs no programs");
  }
  return compiler::RunCompiled(target.compiled, target.prepared.feeds, run);
}

std::string DescribePlatform(const EngineTotals& totals) {
  const sim::PlatformReport& p = totals.platform;
  const sim::PlatformOptions& o = totals.platform_options;
  const double busy =
      p.cycles > 0 ? static_cast<double>(p.dram_busy_cycles) / static_cast<double>(p.cycles) : 0.0;
  std::string text = "platform: " + std::to_string(o.cores) + " " + o.core_model +
                     (o.cores == 1 ? " core" : " cores") + ", " + FormatCount(p.cycles) +
                     " cycles, DRAM " + std::to_string(o.dram_bytes_per_cycle) +
                     " bytes/cycle at latency " + std::to_string(o.dram_latency_cycles) + ": " +
                     FormatCount(p.dram_bytes) + " bytes, data path busy " + FormatPercent(busy) +
                     " %\n";
  for (std::size_t c = 0; c < p.cores.size(); ++c) {
    const sim::PlatformCoreReport& r = p.cores[c];
    text += "  core " + std::to_string(c) + ": " + FormatCount(r.cycles) + " cycles, " +
            FormatCount(r.dram_read) + " bytes read, " + FormatCount(r.dram_written) +
            " written; its DRAM transfers waited " + FormatCount(r.contention_cycles) +
            " cycles in all behind other cores'\n";
  }
  return text;
}

std::string ProgramTracePath(const std::string& path, const std::string& name,
                             std::size_t programs) {
  if (programs <= 1) return path;
  const fs::path p(path);
  return (p.parent_path() / (p.stem().string() + "." + name + p.extension().string())).string();
}

std::string DescribeTotals(const std::string& engine, const isa::ArchConfig& arch,
                           const EngineTotals& t) {
  const double util = static_cast<double>(t.macs_useful) /
                      (static_cast<double>(arch.rows) * arch.cols *
                       static_cast<double>(std::max<std::int64_t>(t.cycles, 1)));
  return engine + ": " + FormatCount(t.programs) +
         (t.programs == 1 ? " program, " : " programs, ") + FormatCount(t.instructions) +
         " instructions, " + FormatCount(t.cycles) +
         (engine == "isa" ? " estimated cycles" : " cycles") + ", array utilization " +
         FormatPercent(util) + " %, DRAM " + FormatCount(t.dram_read) + " bytes read, " +
         FormatCount(t.dram_written) + " written";
}

void PrintLayerSpans(const isa::ArchConfig& arch, const EngineTotals& totals) {
  std::printf("%-28s %14s %12s %12s\n", "layer", "MACs", "cycles", "utilization");
  for (const LayerSpan& l : totals.layers) {
    const double util =
        static_cast<double>(l.macs) / (static_cast<double>(arch.rows) * arch.cols *
                                       static_cast<double>(std::max<std::int64_t>(l.cycles, 1)));
    const std::string u = l.macs > 0 ? FormatPercent(util) + " %" : "-";
    std::printf("%-28s %14s %12s %12s\n", l.name.c_str(), FormatCount(l.macs).c_str(),
                FormatCount(l.cycles).c_str(), u.c_str());
  }
}

void PrintCompileReport(const compiler::CompiledModel& cm, const std::string& out_dir) {
  const isa::ArchConfig& arch = cm.arch;
  std::printf("%-24s %-18s %12s %6s %12s %12s %12s  %s\n", "layer", "op", "MACs", "tiles",
              "est. cycles", "DRAM bytes", "min bytes", "plan");
  std::int64_t macs = 0, cycles = 0, bytes = 0, min_bytes = 0;
  for (const compiler::CompiledStep& s : cm.steps) {
    if (s.host) {
      for (const std::string& n : s.nodes) {
        const auto& nodes = cm.host_graph.nodes;
        const auto it = std::find_if(nodes.begin(), nodes.end(),
                                     [&](const golden::Node& x) { return x.name == n; });
        std::printf("%-24s %-18s %12s %6s %12s %12s %12s  %s\n", n.c_str(),
                    it == nodes.end() ? "?" : it->op.c_str(), "-", "-", "-", "-", "-", "host");
      }
      continue;
    }
    const compiler::CompiledProgram& p = cm.programs[static_cast<std::size_t>(s.program)];
    for (const compiler::LayerEstimate& e : p.layers) {
      std::printf("%-24s %-18s %12s %6lld %12s %12s %12s  %s\n", e.name.c_str(), e.op.c_str(),
                  FormatCount(e.macs).c_str(), static_cast<long long>(e.tiles),
                  FormatCount(e.cycles).c_str(), FormatCount(e.dram_read + e.dram_written).c_str(),
                  FormatCount(e.min_dram_bytes).c_str(), e.plan.c_str());
      macs += e.macs;
      cycles += e.cycles;
      bytes += e.dram_read + e.dram_written;
      min_bytes += e.min_dram_bytes;
    }
  }
  std::int64_t instructions = 0;
  for (const compiler::CompiledProgram& p : cm.programs) {
    instructions += static_cast<std::int64_t>(p.program.instructions.size());
  }
  const double util =
      static_cast<double>(macs) / (static_cast<double>(arch.rows) * arch.cols *
                                   static_cast<double>(std::max<std::int64_t>(cycles, 1)));
  std::printf(
      "total: %s MACs, %s estimated cycles (%s us at %s MHz, array utilization %s %%), "
      "%s DRAM bytes (minimum %s)\n",
      FormatCount(macs).c_str(), FormatCount(cycles).c_str(),
      FormatFloat(static_cast<double>(cycles) / arch.clock_mhz).c_str(),
      FormatFloat(arch.clock_mhz).c_str(), FormatPercent(util).c_str(), FormatCount(bytes).c_str(),
      FormatCount(min_bytes).c_str());
  std::printf("%zu accelerator %s, %s instructions, for the %dx%d array '%s'; compiled in %s s\n",
              cm.programs.size(), cm.programs.size() == 1 ? "program" : "programs",
              FormatCount(instructions).c_str(), arch.rows, arch.cols, arch.name.c_str(),
              FormatFloat(cm.compile_seconds).c_str());
  if (cm.host_fallbacks.empty()) {
    std::printf("host fallback: none\n");
  } else {
    std::printf("host fallback (%zu %s run on the host by the golden model):\n",
                cm.host_fallbacks.size(), cm.host_fallbacks.size() == 1 ? "node" : "nodes");
    for (const compiler::HostFallback& f : cm.host_fallbacks) {
      std::printf("  %s '%s': %s\n", f.op.c_str(), f.node.c_str(), f.reason.c_str());
    }
  }
  if (!out_dir.empty()) std::printf("written to %s\n", out_dir.c_str());
}

}  // namespace qsa::tools

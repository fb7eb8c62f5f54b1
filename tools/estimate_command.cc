// qsa estimate: latency and energy of a model on the configured accelerator from the compiler's
// cost model, without simulation (docs/estimation.md).
#include <chrono>
#include <cstdio>
#include <iostream>

#include "compiler/compile.h"
#include "compiler/compiled_folder.h"
#include "compiler/estimate/estimate.h"
#include "compiler/importer/load_model.h"
#include "model/base/error.h"
#include "model/base/read_file.h"
#include "model/base/text.h"
#include "tools/commands.h"
#include "tools/compiled_target.h"
#include "tools/output_stage.h"
#include "tools/tool_util.h"

namespace qsa::tools {

CLI::App* AddEstimateCommand(CLI::App& app, EstimateArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "estimate", "Estimate cycles and energy per layer from the cost model (no simulation)");
  cmd->add_option("MODEL", args.model,
                  "A quantized .onnx/.tflite model or .json graph, or a folder made by qsa compile")
      ->type_name("FILE");
  cmd->add_option("--topology", args.topology,
                  "Estimate the layers of a SCALE-Sim topology CSV (convolutions or GEMMs) "
                  "instead of a model")
      ->type_name("FILE.csv");
  AddArchOption(cmd, args.arch);
  cmd->add_option("--energy", args.energy,
                  "Energy table (JSON; default: the built-in 45 nm table, share/qsa/energy)")
      ->type_name("FILE");
  cmd->add_option("--json", args.json, "Write the estimate as JSON")->type_name("FILE.json");
  cmd->add_option("--csv", args.csv, "Write one line per layer as CSV")->type_name("FILE.csv");
  cmd->add_flag("--fp32", args.fp32,
                "Also estimate the energy of a float32 accelerator with the same array and "
                "memories (fp32 MACs, 4-byte operands)");
  cmd->add_flag("-q,--quiet", args.quiet, "Print only the totals");
  AddRequantOption(cmd, args.requant, "The accelerator's rounding when compiling MODEL");
  cmd->footer(
      "Compiles MODEL (or reads the compiled folder) and prints one line per layer: MACs,\n"
      "estimated cycles, array utilization, what bounds the layer (compute: the array; vector:\n"
      "the post/vadd/pool unit; dram: the load or store queue), DRAM bytes and energy in nJ by\n"
      "component; then the totals. The figures, the energy table and what they assume:\n"
      "docs/estimation.md. qsa run --engine isa --report gives the simulated figures.\n"
      "Example: qsa estimate examples/digits/digits_qdq.onnx --fp32 --json est.json");
  return cmd;
}

namespace {

double NanoJoules(double pj) { return pj / 1000.0; }

void PrintReport(const estimate::EstimateReport& r, bool table, double seconds, double load_seconds,
                 double compile_seconds) {
  if (table) {
    std::printf("%-28s %-17s %13s %11s %6s %-7s %12s %10s %9s %9s %9s %9s %9s %9s\n", "layer", "op",
                "MACs", "cycles", "util%", "bound", "DRAM bytes", "energy nJ", "array", "vector",
                "SRAM", "DRAM", "control", "leakage");
    for (const estimate::LayerRow& l : r.layers) {
      const estimate::Energy& e = l.energy;
      std::printf(
          "%-28s %-17s %13s %11s %6.1f %-7s %12s %10.1f %9.1f %9.1f %9.1f %9.1f %9.1f "
          "%9.1f\n",
          l.name.substr(0, 28).c_str(), l.op.substr(0, 17).c_str(), FormatCount(l.macs).c_str(),
          FormatCount(l.cycles).c_str(), 100.0 * l.utilization, l.bound.c_str(),
          FormatCount(l.events.dram.bytes_read + l.events.dram.bytes_written).c_str(),
          NanoJoules(e.Total()), NanoJoules(e.array), NanoJoules(e.vector),
          NanoJoules(e.scratchpad + e.accumulator + e.param), NanoJoules(e.dram),
          NanoJoules(e.control), NanoJoules(e.leakage));
    }
  }
  const std::int64_t cycles = r.events.cycles;
  const double util = r.layers.empty()
                          ? 0.0
                          : static_cast<double>(r.events.macs_useful) /
                                (static_cast<double>(std::max<std::int64_t>(cycles, 1)) *
                                 r.arch.rows * r.arch.cols);
  std::cout << "total: " << r.layers.size() << " layers, " << FormatCount(r.events.macs_useful)
            << " MACs, " << FormatCount(cycles) << " cycles ("
            << FormatFloat(static_cast<double>(cycles) / r.arch.clock_mhz) << " us at "
            << r.arch.clock_mhz << " MHz), array utilization " << FormatPercent(util) << " %, DRAM "
            << FormatCount(r.events.dram.bytes_read + r.events.dram.bytes_written) << " bytes\n";
  const estimate::Energy& e = r.energy;
  std::cout << "energy: " << FormatFloat(e.Total() / 1e6) << " uJ (array "
            << FormatFloat(e.array / 1e6) << ", vector " << FormatFloat(e.vector / 1e6)
            << ", scratchpad " << FormatFloat(e.scratchpad / 1e6) << ", accumulator "
            << FormatFloat(e.accumulator / 1e6) << ", parameter buffer "
            << FormatFloat(e.param / 1e6) << ", DRAM " << FormatFloat(e.dram / 1e6) << ", control "
            << FormatFloat(e.control / 1e6) << ", leakage " << FormatFloat(e.leakage / 1e6)
            << "), table " << r.table.name << "\n";
  if (r.fp32) {
    const double f = r.fp32_energy.Total();
    std::cout << "fp32 accelerator: " << FormatFloat(f / 1e6) << " uJ (array "
              << FormatFloat(r.fp32_energy.array / 1e6) << "); int8 saves "
              << FormatPercent(f > 0 ? 1.0 - e.Total() / f : 0.0) << " % (array "
              << FormatPercent(r.fp32_energy.array > 0 ? 1.0 - e.array / r.fp32_energy.array : 0.0)
              << " %)\n";
  }
  std::cout << "estimated in " << FormatFloat(seconds) << " s";
  if (load_seconds > 0) {
    std::cout << " (loading the model " << FormatFloat(load_seconds) << " s, compiling "
              << FormatFloat(compile_seconds) << " s)";
  }
  std::cout << "\n";
}

}  // namespace

void EstimateCommand(const EstimateArgs& args) {
  const auto t0 = std::chrono::steady_clock::now();
  if (args.model.empty() == args.topology.empty()) {
    throw Error(args.model.empty()
                    ? "give a MODEL, a compiled folder or --topology FILE.csv (see 'qsa estimate "
                      "--help')"
                    : "give a MODEL or --topology FILE.csv, not both");
  }
  const estimate::EnergyTable table = estimate::LoadEnergyTableOrDefault(args.energy);
  OutputStage stage;
  compiler::CompiledModel compiled;
  double load_seconds = 0;
  if (!args.topology.empty()) {
    const std::vector<estimate::TopologyLayer> layers =
        estimate::ParseTopologyCsv(base::ReadRegularFile(args.topology, base::kMaxTextFileBytes),
                                   base::QuotePath(args.topology));
    compiled.arch = LoadArch(args.arch);
    const estimate::EstimateReport report =
        estimate::EstimateTopology(compiled.arch, layers, table, args.fp32);
    if (!args.json.empty()) {
      nlohmann::json j = estimate::ReportToJson(report);
      j["topology"] = args.topology;
      stage.AddFile(args.json, j.dump(2) + "\n");
    }
    if (!args.csv.empty()) stage.AddFile(args.csv, estimate::ReportToCsv(report));
    stage.Commit();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    PrintReport(report, !args.quiet, seconds, 0, 0);
    return;
  }
  if (IsCompiledTarget(args.model)) {
    compiled = compiler::ReadCompiled(args.model);
    if (!args.arch.empty()) {
      const isa::ArchConfig arch = LoadArch(args.arch);
      if (isa::ArchConfigToJson(arch) != isa::ArchConfigToJson(compiled.arch)) {
        throw Error("'" + args.model + "' was compiled for architecture '" + compiled.arch.name +
                    "', not for '" + arch.name + "' (" + args.arch +
                    "); estimate the model file instead");
      }
    }
  } else {
    compiler::CompileOptions options;
    options.rounding = compiler::AcceleratorRounding(args.requant, "--requant: ");
    options.arch = LoadArch(args.arch);
    options.keep_intermediates = false;
    const importer::LoadedModel loaded = importer::LoadModel(args.model, {});
    load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    compiled = compiler::Compile(loaded.graph, options);
  }
  const estimate::EstimateReport report = estimate::EstimateCompiled(compiled, table, args.fp32);
  if (!args.json.empty()) {
    nlohmann::json j = estimate::ReportToJson(report);
    j["model"] = args.model;
    stage.AddFile(args.json, j.dump(2) + "\n");
  }
  if (!args.csv.empty()) stage.AddFile(args.csv, estimate::ReportToCsv(report));
  stage.Commit();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  PrintReport(report, !args.quiet, seconds, load_seconds, compiled.compile_seconds);
}

}  // namespace qsa::tools

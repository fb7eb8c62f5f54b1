// qsa run: executes a model (golden engine) or an accelerator program (isa engine) on .npy inputs
// and writes every output as DIR/<name>.npy.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "compiler/compiled_folder.h"
#include "compiler/estimate/estimate.h"
#include "compiler/importer/load_model.h"
#include "model/base/error.h"
#include "model/base/text.h"
#include "model/golden/executor.h"
#include "model/golden/npy.h"
#include "model/isa/arch.h"
#include "model/isa/program.h"
#include "model/isa/simulator.h"
#include "sim/platform/platform.h"
#include "sim/rtl_sim.h"
#include "tools/commands.h"
#include "tools/compiled_target.h"
#include "tools/output_stage.h"
#include "tools/progress.h"
#include "tools/tool_util.h"

namespace qsa::tools {

CLI::App* AddRunCommand(CLI::App& app, RunArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a model or a program on .npy inputs, write each output to DIR/<name>.npy");
  AddRequired(cmd, "MODEL", args.model,
              "A .onnx/.tflite model or a .json graph (with --engine isa or rtl compiled on "
              "the fly), a folder made by qsa compile, or an accelerator program: a program "
              "folder (program.bin + manifest.json), a program .bin or an assembly .s",
              "FILE");
  AddInputOption(cmd, args.inputs, "Input value; repeat for each input");
  cmd->add_option("-e,--engine", args.engine, "Execution engine: golden, isa, rtl or systemc")
      ->type_name("ENGINE")
      ->capture_default_str();
  AddArchOption(cmd, args.arch,
                "Architecture configuration (--engine isa; default: the built-in default)");
  cmd->add_option("--trace-isa", args.trace_isa,
                  "Write one line per executed instruction to FILE (--engine isa)")
      ->type_name("FILE");
  cmd->add_option("--report", args.report,
                  "Write cycles, busy cycles and event counters as JSON (--engine isa or rtl)")
      ->type_name("FILE.json");
  cmd->add_option("--trace", args.trace, "Write the RTL's waveforms to FILE.fst (--engine rtl)")
      ->type_name("FILE.fst");
  cmd->add_option("--dram-seed", args.dram_seed,
                  "Random DRAM latency jitter and back-pressure from this seed (--engine rtl)")
      ->type_name("N")
      ->check(IntegerAtLeast(0));
  cmd->add_flag("-q,--quiet", args.quiet,
                "No progress line (shown on a terminal for --engine isa runs past 2 seconds)");
  cmd->add_flag("--layers", args.layers,
                "With a compiled model on --engine isa or rtl: cycles and array utilization per "
                "layer");
  cmd->add_option("--timeline", args.timeline,
                  "Write a Chrome/Perfetto trace of the run: layers, the load, compute and store "
                  "queues, DRAM bandwidth (--engine isa or rtl)")
      ->type_name("FILE.json");
  cmd->add_option("--energy", args.energy,
                  "Energy table for the --report's per-layer energy (--engine isa; default: the "
                  "built-in one)")
      ->type_name("FILE");
  cmd->add_option("--cores", args.cores,
                  "Accelerator cores on the platform, each running a copy of the model "
                  "(--engine systemc)")
      ->type_name("N")
      ->capture_default_str();
  cmd->add_option("--core-model", args.core_model,
                  "The platform's cores: isa (transaction level, on the ISA simulator) or rtl "
                  "(the verilated accelerator, cycle by cycle), or one per core: isa,isa,rtl "
                  "(--engine systemc)")
      ->type_name("MODEL")
      ->capture_default_str();
  cmd->add_option("--platform", args.platform,
                  "Platform file: the shared DRAM's timing as JSON (--engine systemc; default: "
                  "the architecture's DRAM)")
      ->type_name("FILE.json");
  AddRequantOption(cmd, args.requant, golden::kRequantModes.Join(", ", " or "));
  AddRequired(cmd, "-o,--out", args.out_dir, "Output folder, created if missing", "DIR");
  cmd->footer(
      "--input NAME=FILE.npy gives graph input NAME; FILE.npy alone is enough when one input is\n"
      "left without a value. Values for an ONNX model's parameter inputs (weights, scales, ...)\n"
      "are bound as constants.\n"
      "--requant: how int32 accumulators become 8-bit outputs. tflite-double: gemmlowp fixed\n"
      "point, two roundings (the hardware's arithmetic); single-rounding: fixed point, one\n"
      "rounding; float32-rne: float32 multiply, ties to even (ONNX Runtime); float64-rne: the "
      "same\n"
      "in float64 (ONNX reference).\n"
      "--engine: golden runs MODEL on the bit-exact reference model; isa runs an accelerator\n"
      "program (from qsa asm or the compiler) on the instruction-set simulator for the --arch\n"
      "configuration (golden ignores --arch; isa ignores --requant, the program holds its\n"
      "arithmetic) and prints instructions, estimated cycles and time, MACs, array utilization\n"
      "and DRAM traffic; rtl runs it cycle-accurately on the verilated accelerator (a "
      "configuration\n"
      "other than the built ones is verilated on first use and cached) and prints the same\n"
      "summary with the measured cycles.\n"
      "Each graph output is written to DIR/<name>.npy, characters other than letters, digits, "
      "'_',\n"
      "'-' and '.' replaced by '_' (a leading '.' gets a '_' in front; names that collide get\n"
      "_2, _3, ...). One line per output is printed: name, dtype[shape], file.\n"
      "Example: qsa run examples/cnn3/cnn3.json --input examples/cnn3/input.npy --out out\n"
      "         qsa run prog/ --engine isa --input x.npy --out out --report out/report.json");
  return cmd;
}

namespace {

// Stages each of `names` (in order) from `values` as DIR/<sanitized name>.npy and returns the line
// to print for each once the outputs are written. Names that sanitize alike get "_2", "_3", ...
std::vector<std::string> StageOutputs(const std::vector<std::string>& names,
                                      const std::map<std::string, golden::Tensor>& values,
                                      const std::string& out_dir, OutputStage& stage) {
  stage.AddFolder(out_dir);
  std::set<std::string> used;
  const std::filesystem::path dir(out_dir);
  std::vector<std::string> lines;
  for (const std::string& name : names) {
    const std::string base = SanitizeFileName(name);
    std::string file = base + ".npy";
    for (int k = 2; used.count(file) != 0; ++k) file = base + "_" + std::to_string(k) + ".npy";
    used.insert(file);
    const std::string path = (dir / file).string();
    const golden::Tensor& value = values.at(name);
    stage.AddFile(path, golden::EncodeNpy(value));
    lines.push_back(name + "  " + value.Describe() + "  " + path);
  }
  return lines;
}

void PrintLines(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) std::cout << line << "\n";
}

// Runs `body`, naming the program file in any error that does not already name it.
template <typename F>
auto NamingProgram(const std::string& path, F&& body) {
  try {
    return body();
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string quoted = base::QuotePath(path);
    if (what.find(path) != std::string::npos) throw;
    throw Error(quoted + ": " + what);
  }
}

void RunGolden(const RunArgs& args) {
  if (!args.trace_isa.empty() || !args.report.empty() || !args.timeline.empty()) {
    throw Error(std::string(!args.trace_isa.empty() ? "--trace-isa"
                            : !args.report.empty()  ? "--report"
                                                    : "--timeline") +
                " needs --engine isa (the golden engine runs a model, not a program)");
  }
  golden::RunOptions options;
  options.mode = ParseRequantModeOrThrow(args.requant);
  PreparedModel prepared = PrepareModel(args.model, ParseInputSpecs(args.inputs));
  const golden::Graph& graph = prepared.loaded.graph;
  OutputStage stage;
  const std::vector<std::string> lines = StageOutputs(
      graph.outputs, golden::RunGraph(graph, prepared.feeds, options), args.out_dir, stage);
  stage.Commit();
  PrintLines(lines);
}

// The per-layer events, cycles and energy of profiled ISA runs (docs/estimation.md).
estimate::EstimateReport ProfiledReport(
    const RunArgs& args, const isa::ArchConfig& arch,
    const std::vector<const estimate::LayerProfiler*>& profiles) {
  estimate::EstimateReport r;
  r.source = "isa";
  r.arch = arch;
  r.table = estimate::LoadEnergyTableOrDefault(args.energy);
  for (const estimate::LayerProfiler* p : profiles) {
    for (estimate::LayerRow& row : p->Layers()) r.layers.push_back(std::move(row));
  }
  estimate::FinishReport(r);
  return r;
}

// Adds the per-layer figures and the energy of `r` to a run report.
void AddEnergy(nlohmann::json& report, const estimate::EstimateReport& r) {
  const nlohmann::json j = estimate::ReportToJson(r);
  for (const char* key : {"energy_table", "energy_pj", "energy_by_component", "memories"}) {
    report[key] = j[key];
  }
  report["layers"] = j["layers"];
}

nlohmann::json IsaReport(const RunArgs& args, const isa::ArchConfig& arch,
                         const isa::IsaRunResult& result) {
  nlohmann::json report = isa::IsaRunResultToJson(result);
  report["engine"] = "isa";
  report["program"] = args.model;
  report["arch"] = {{"name", arch.name}, {"hash", arch.HashHex()}};
  report["clock_mhz"] = arch.clock_mhz;
  report["time_us"] = static_cast<double>(result.timing.cycles) / arch.clock_mhz;
  report["array_utilization"] = ArrayUtilization(arch, result);
  return report;
}

// The values of a program's manifest inputs from --input.
AssignedInputs ProgramInputs(const RunArgs& args, const isa::Program& program) {
  std::vector<golden::TensorInfo> declared;
  for (const isa::ManifestTensor& in : program.manifest.inputs) {
    declared.push_back(golden::TensorInfo{in.name, in.dtype, in.shape, in.quant});
  }
  return AssignInputs(ReadInputFiles(ParseInputSpecs(args.inputs)), declared, {},
                      {"program", "program input"}, true);
}

// The trace up to the failing instruction is how the cause is found, so it is the one output
// written when a run fails; the run's error is the one to report even if the trace cannot be
// written.
void WriteTraceOfFailedRun(const std::string& path, const std::string& trace) {
  if (path.empty()) return;
  try {
    golden::WriteFileAtomically(path, {trace});
  } catch (const Error&) {
  }
}

// --trace and --dram-seed as the RTL harness' options.
sim::RtlOptions RtlOptionsOf(const RunArgs& args) {
  sim::RtlOptions options;
  options.fst_path = args.trace;
  if (args.dram_seed >= 0) {
    options.dram_seed = static_cast<std::uint64_t>(args.dram_seed);
    options.dram_jitter = 16;
    options.dram_backpressure = 0.25;
  }
  return options;
}

void RunIsa(const RunArgs& args) {
  const ProgramTarget target = LoadProgramTarget(args.model, args.arch);
  const isa::ArchConfig& arch = target.arch;
  const isa::Program& program = target.program;
  const AssignedInputs inputs = ProgramInputs(args, program);

  std::ostringstream trace;
  isa::IsaSimOptions options;
  if (!args.trace_isa.empty()) options.trace = &trace;
  estimate::LayerProfiler profile(program, "program");
  if (!args.timeline.empty()) profile.KeepSlices();
  options.observe = profile.Observer();
  ProgressLine progress(args.quiet);
  options.progress = [&progress](std::int64_t instructions, std::int64_t cycles) {
    progress.Update("isa: " + FormatCount(instructions) + " instructions, " + FormatCount(cycles) +
                    " cycles");
  };
  isa::IsaProgramRun run;
  try {
    run = NamingProgram(
        args.model, [&] { return isa::RunProgramOnIsa(arch, program, inputs.values, options); });
  } catch (const Error&) {
    WriteTraceOfFailedRun(args.trace_isa, trace.str());
    throw;
  }

  progress.Clear();
  std::vector<std::string> names;
  for (const isa::ManifestTensor& out : program.manifest.outputs) names.push_back(out.name);
  OutputStage stage;
  const std::vector<std::string> lines = StageOutputs(names, run.outputs, args.out_dir, stage);
  if (!args.trace_isa.empty()) stage.AddFile(args.trace_isa, trace.str());
  if (!args.report.empty()) {
    nlohmann::json report = IsaReport(args, arch, run.result);
    AddEnergy(report, ProfiledReport(args, arch, {&profile}));
    stage.AddFile(args.report, report.dump(2) + "\n");
  }
  if (!args.timeline.empty()) {
    stage.AddFile(args.timeline, estimate::TimelineJson(arch, {profile.Timeline()}).dump() + "\n");
  }
  stage.Commit();
  PrintLines(lines);
  PrintIsaSummary(arch, run.result);
}

void RunRtl(const RunArgs& args) {
  if (!args.energy.empty()) throw Error("--energy needs --engine isa");
  const ProgramTarget target = LoadProgramTarget(args.model, args.arch);
  const isa::ArchConfig& arch = target.arch;
  const AssignedInputs inputs = ProgramInputs(args, target.program);
  const sim::RtlProgramRun run = NamingProgram(args.model, [&] {
    return sim::RunProgramOnRtl(arch, target.program, inputs.values, RtlOptionsOf(args));
  });
  std::vector<std::string> names;
  for (const isa::ManifestTensor& out : target.program.manifest.outputs) {
    names.push_back(out.name);
  }
  OutputStage stage;
  const std::vector<std::string> lines = StageOutputs(names, run.outputs, args.out_dir, stage);
  const sim::RtlRunResult& r = run.result;
  const double utilization = static_cast<double>(r.counters.macs_useful) /
                             (static_cast<double>(arch.rows) * arch.cols *
                              static_cast<double>(std::max<std::int64_t>(r.cycles, 1)));
  if (!args.timeline.empty()) {
    stage.AddFile(args.timeline,
                  estimate::TimelineJson(
                      arch, {estimate::RtlTimeline(target.program, "program", r.retire_cycles)})
                          .dump() +
                      "\n");
  }
  if (!args.report.empty()) {
    nlohmann::json report = sim::RtlRunResultToJson(r);
    report["engine"] = "rtl";
    report["program"] = args.model;
    report["arch"] = {{"name", arch.name}, {"hash", arch.HashHex()}};
    report["clock_mhz"] = arch.clock_mhz;
    report["array_utilization"] = utilization;
    stage.AddFile(args.report, report.dump(2) + "\n");
  }
  stage.Commit();
  PrintLines(lines);
  std::cout << "rtl: " << FormatCount(r.cycles) << " cycles ("
            << FormatFloat(static_cast<double>(r.cycles) / arch.clock_mhz) << " us at "
            << arch.clock_mhz << " MHz), busy load " << FormatCount(r.busy[0]) << " compute "
            << FormatCount(r.busy[1]) << " store " << FormatCount(r.busy[2]) << "\n"
            << "MACs " << FormatCount(r.counters.macs_useful) << " useful of "
            << FormatCount(r.counters.macs_issued) << " issued, array utilization "
            << FormatPercent(utilization) << " %\n"
            << "DRAM " << FormatCount(r.counters.dram.bytes_read) << " bytes read, "
            << FormatCount(r.counters.dram.bytes_written) << " written ("
            << FormatCount(r.dram_read_beats + r.dram_write_beats) << " bus beats)\n";
}

// A model file given with --engine isa/rtl, or a compiled folder: compiled (on the fly) and run
// step by step; writes the model's outputs.
void RunCompiledModel(const RunArgs& args) {
  if (args.layers && args.engine == "golden") {
    throw Error("--layers needs --engine isa or rtl (per-layer cycles of the accelerator)");
  }
  if (args.engine == "golden" && !args.energy.empty()) {
    throw Error("--energy needs --engine isa or rtl");
  }
  if (args.engine == "golden") {
    // The golden reference of a compiled folder is its source model.
    RunArgs golden = args;
    golden.model = compiler::CompiledSourceModel(args.model);
    if (golden.model.empty()) throw Error("'" + args.model + "' holds no source model");
    return RunGolden(golden);
  }
  const CompiledTarget target =
      LoadCompiledTarget(args.model, args.arch, args.requant, args.inputs);
  EngineTotals totals;
  totals.keep_slices = !args.timeline.empty();
  totals.rtl_events = args.engine == "rtl" && !args.report.empty();
  totals.rtl_options = RtlOptionsOf(args);
  if (args.engine == "systemc") {
    totals.platform_options =
        sim::PlatformOptionsFor(target.compiled.arch, args.cores, args.core_model, args.platform);
  }
  std::ostringstream trace;
  if (!args.trace_isa.empty()) totals.isa_trace = &trace;
  std::map<std::string, golden::Tensor> values;
  try {
    values = RunCompiledOn(args.engine, target, &totals);
  } catch (const Error&) {
    WriteTraceOfFailedRun(args.trace_isa, trace.str());
    throw;
  }
  std::vector<const estimate::LayerProfiler*> profiles;
  for (const auto& p : totals.profiles) profiles.push_back(p.get());
  estimate::EstimateReport profiled;
  if (args.engine == "isa") {
    profiled = ProfiledReport(args, target.compiled.arch, profiles);
    for (const estimate::LayerRow& l : profiled.layers) {
      totals.layers.push_back(LayerSpan{l.name, l.macs, l.cycles});
    }
  }
  OutputStage stage;
  const std::vector<std::string> lines =
      StageOutputs(target.compiled.outputs, values, args.out_dir, stage);
  if (!args.report.empty()) {
    nlohmann::json report = {
        {"engine", args.engine},
        {"model", args.model},
        {"programs", totals.programs},
        {"cycles", totals.cycles},
        {"bank_stall_cycles", totals.bank_stall},
        {"instructions", totals.instructions},
        {"macs_useful", totals.macs_useful},
        {"macs_issued", totals.macs_issued},
        {"dram", {{"bytes_read", totals.dram_read}, {"bytes_written", totals.dram_written}}}};
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerSpan& l : totals.layers) {
      layers.push_back({{"name", l.name}, {"macs", l.macs}, {"cycles", l.cycles}});
    }
    report["layers"] = layers;
    if (args.engine == "isa") AddEnergy(report, profiled);
    if (args.engine == "systemc") {
      const sim::PlatformReport& p = totals.platform;
      nlohmann::json cores = nlohmann::json::array();
      for (const sim::PlatformCoreReport& c : p.cores) {
        cores.push_back(
            {{"cycles", c.cycles},
             {"contention_cycles", c.contention_cycles},
             {"dram", {{"bytes_read", c.dram_read}, {"bytes_written", c.dram_written}}}});
      }
      report["platform"] = {{"cores", cores},
                            {"core_model", totals.platform_options.core_model},
                            {"cycles", p.cycles},
                            {"dram_bytes", p.dram_bytes},
                            {"dram_busy_cycles", p.dram_busy_cycles},
                            {"dram_latency_cycles", totals.platform_options.dram_latency_cycles},
                            {"dram_bytes_per_cycle", totals.platform_options.dram_bytes_per_cycle}};
    }
    if (args.engine == "rtl") {
      estimate::EstimateReport measured;
      measured.source = "rtl";
      measured.arch = target.compiled.arch;
      measured.table = estimate::LoadEnergyTableOrDefault(args.energy);
      measured.layers = std::move(totals.rtl_rows);
      estimate::FinishReport(measured);
      AddEnergy(report, measured);
    }
    stage.AddFile(args.report, report.dump(2) + "\n");
  }
  if (!args.timeline.empty()) {
    std::vector<estimate::ProgramTimeline> timelines = std::move(totals.rtl_timelines);
    for (const estimate::LayerProfiler* p : profiles) timelines.push_back(p->Timeline());
    stage.AddFile(args.timeline,
                  estimate::TimelineJson(target.compiled.arch, timelines).dump() + "\n");
  }
  if (!args.trace_isa.empty()) stage.AddFile(args.trace_isa, trace.str());
  stage.Commit();
  PrintLines(lines);
  std::cout << DescribeTotals(args.engine, target.compiled.arch, totals) << "\n";
  if (args.engine == "systemc") std::cout << DescribePlatform(totals);
  if (args.layers) PrintLayerSpans(target.compiled.arch, totals);
}

}  // namespace

void RunCommand(const RunArgs& args) {
  CheckEngine(args.engine);
  if (args.engine != "rtl" && (!args.trace.empty() || args.dram_seed >= 0)) {
    throw Error(std::string(args.trace.empty() ? "--dram-seed" : "--trace") +
                " needs --engine rtl");
  }
  if (args.engine != "isa" && !args.trace_isa.empty()) {
    throw Error("--trace-isa needs --engine isa; use --trace FILE.fst");
  }
  if (args.engine != "systemc" &&
      (args.cores != 1 || args.core_model != "isa" || !args.platform.empty())) {
    throw Error(std::string(args.cores != 1            ? "--cores"
                            : args.core_model != "isa" ? "--core-model"
                                                       : "--platform") +
                " needs --engine systemc");
  }
  if (args.engine == "systemc" && (!args.timeline.empty() || args.layers || !args.energy.empty())) {
    throw Error(std::string(!args.timeline.empty() ? "--timeline"
                            : args.layers          ? "--layers"
                                                   : "--energy") +
                " needs --engine isa or rtl");
  }
  if (IsCompiledTarget(args.model) ||
      (args.engine != "golden" && importer::IsModelPath(args.model))) {
    return RunCompiledModel(args);
  }
  if (args.engine == "systemc") {
    throw Error("--engine systemc takes a model or a compiled folder (qsa compile), not a program");
  }
  if (args.layers)
    throw Error("--layers takes a compiled model (a folder from qsa compile) or a model file");
  if (args.engine != "isa" && !args.energy.empty()) throw Error("--energy needs --engine isa");
  if (args.engine == "rtl") {
    RunRtl(args);
  } else if (args.engine == "isa") {
    RunIsa(args);
  } else {
    RunGolden(args);
  }
}

}  // namespace qsa::tools

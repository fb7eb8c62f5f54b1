// qsa compare: runs one computation on several engines (golden model, ISA simulator, RTL) and
// says, per output tensor, whether they agree bit for bit — and if not, where they first differ
// and, between the ISA simulator and the RTL, which instruction first wrote something different.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "compiler/importer/load_model.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/isa/assembler.h"
#include "model/isa/program.h"
#include "model/isa/simulator.h"
#include "sim/rtl_sim.h"
#include "tools/commands.h"
#include "tools/compiled_target.h"
#include "tools/tool_util.h"

namespace qsa::tools {

CLI::App* AddCompareCommand(CLI::App& app, CompareArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "compare", "Run a program on several engines and report where their outputs first differ");
  AddRequired(cmd, "TARGET", args.target,
              "A model (.onnx, .tflite, .json; compiled on the fly), a folder made by qsa "
              "compile, or one program: a program folder (program.bin + manifest.json, or "
              "one .s file), a program .bin or an assembly .s",
              "PATH");
  AddInputOption(cmd, args.inputs,
                 "Input value; repeat for each input (default: PROGRAM/input.npy if present)");
  cmd->add_option("-e,--engines", args.engines, "Comma-separated: golden, isa, rtl")
      ->type_name("LIST")
      ->capture_default_str();
  cmd->add_option("--golden", args.golden,
                  "The graph the golden engine runs (default: model.json or model.onnx in the "
                  "program's folder)")
      ->type_name("MODEL");
  AddArchOption(cmd, args.arch, "Architecture configuration (default: the program's)");
  AddRequantOption(cmd, args.requant, "Golden engine's requantization mode");
  cmd->footer(
      "Prints, for every output tensor and every pair of engines, 'bit-exact' or the first\n"
      "mismatch (element index and both values). Between isa and rtl it also compares what every\n"
      "instruction wrote to each memory and names the first instruction whose writes differ.\n"
      "Exit status 0 only when everything is bit-exact.\n"
      "Example: qsa compare examples/isa/conv3x3_s2 --engines golden,isa,rtl");
  return cmd;
}

namespace {

// What one engine produced: the outputs by name, and for isa/rtl what each instruction wrote.
struct EngineResult {
  std::map<std::string, golden::Tensor> outputs;
  std::optional<std::vector<isa::WriteRecord>> writes;
  std::string summary;
};

std::vector<std::string> ParseEngines(const std::string& list) {
  std::vector<std::string> engines;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name != "golden" && name != "isa" && name != "rtl") {
      throw Error("unknown engine '" + name + "' in --engines; use golden, isa and rtl");
    }
    if (std::find(engines.begin(), engines.end(), name) != engines.end()) {
      throw Error("engine '" + name + "' is listed twice in --engines");
    }
    engines.push_back(name);
  }
  if (engines.size() < 2) throw Error("--engines needs at least two engines to compare");
  return engines;
}

// The golden graph: --golden, else model.json / model.onnx beside the program.
std::string GoldenModelPath(const CompareArgs& args, const ProgramTarget& target) {
  if (!args.golden.empty()) return args.golden;
  for (const char* name : {"model.json", "model.onnx", "model.tflite"}) {
    const std::filesystem::path p = std::filesystem::path(target.folder) / name;
    std::error_code ec;
    if (!target.folder.empty() && std::filesystem::is_regular_file(p, ec)) return p.string();
  }
  throw Error(
      "the golden engine needs the graph the program computes: give --golden MODEL (no "
      "model.json or model.onnx beside the program)");
}

// "[0, 3, 1, 2]" for flat index `i` of `shape`.
std::string IndexOf(std::int64_t i, const golden::Shape& shape) {
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] > 0 ? i % shape[d] : 0;
    i = shape[d] > 0 ? i / shape[d] : 0;
  }
  std::string s = "[";
  for (std::size_t d = 0; d < index.size(); ++d) s += (d ? ", " : "") + std::to_string(index[d]);
  return s + "]";
}

// One line per pair of engines for one output; returns false when they differ.
bool ComparePair(const std::string& out, const std::string& a_name, const golden::Tensor& a,
                 const std::string& b_name, const golden::Tensor& b) {
  std::cout << "  " << a_name << " vs " << b_name << ": ";
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) {
    std::cout << "differ in type: " << a.Describe() << " vs " << b.Describe() << "\n";
    return false;
  }
  const Agreement agreement = Compare(a, b);
  if (agreement.first_mismatch < 0) {
    std::cout << "bit-exact (" << FormatCount(agreement.total) << " values)\n";
    return true;
  }
  const std::int64_t i = agreement.first_mismatch;
  std::cout << FormatCount(agreement.total - agreement.equal) << " of "
            << FormatCount(agreement.total) << " values differ; first at " << IndexOf(i, a.shape())
            << " (element " << i << " of " << out << "): " << a_name << " " << a.GetInt(i) << ", "
            << b_name << " " << b.GetInt(i) << "\n";
  return false;
}

std::string DescribeRecord(const isa::WriteRecord& r) {
  std::ostringstream s;
  s << isa::MemoryName(r.memory) << " " << r.first << ".." << (r.first + r.extent - 1) << " hash "
    << std::hex << r.hash;
  return s.str();
}

// Compares the per-instruction write records of two engines; returns false at the first
// instruction whose records differ, after printing it.
bool CompareWrites(const std::string& a_name, std::vector<isa::WriteRecord> a,
                   const std::string& b_name, std::vector<isa::WriteRecord> b,
                   const isa::Program& program) {
  auto order = [](const isa::WriteRecord& x, const isa::WriteRecord& y) {
    return std::tie(x.instruction, x.memory) < std::tie(y.instruction, y.memory);
  };
  std::sort(a.begin(), a.end(), order);
  std::sort(b.begin(), b.end(), order);
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) {
    std::cout << a_name << " vs " << b_name << " writes: every instruction wrote the same values ("
              << FormatCount(static_cast<std::int64_t>(a.size())) << " records)\n";
    return true;
  }
  const std::int64_t at = std::min(i < a.size() ? a[i].instruction : INT64_MAX,
                                   i < b.size() ? b[i].instruction : INT64_MAX);
  std::cout << a_name << " vs " << b_name << " writes: first difference at instruction " << at
            << " (" << isa::DisassembleWord(program.instructions[static_cast<std::size_t>(at)])
            << ")\n";
  for (const auto& [name, records] : {std::pair{a_name, &a}, std::pair{b_name, &b}}) {
    std::cout << "  " << name << " wrote:";
    bool any = false;
    for (const isa::WriteRecord& r : *records) {
      if (r.instruction != at) continue;
      std::cout << (any ? ", " : " ") << DescribeRecord(r);
      any = true;
    }
    std::cout << (any ? "" : " nothing") << "\n";
  }
  return false;
}

// Element i as text: the integer, or the float with its digits.
std::string ValueAt(const golden::Tensor& t, std::int64_t i) {
  if (t.dtype() == golden::DType::kFloat32) return FormatFloat(t.GetDouble(i));
  return std::to_string(t.GetInt(i));
}

// A compiled model (or a model compiled on the fly): every tensor the programs compute and every
// model output, engine against engine, in the order the steps compute them; the first tensor
// that differs is where to look.
void CompareCompiled(const CompareArgs& args, const std::vector<std::string>& engines) {
  if (!args.golden.empty()) {
    throw Error(
        "--golden is for program folders; a compiled model's golden reference is its "
        "source model");
  }
  // The accelerator rounds once when --requant says single-rounding, else as tflite-double.
  const golden::RequantMode rounding =
      golden::ParseRequantMode(args.requant) == golden::RequantMode::kSingleRounding
          ? golden::RequantMode::kSingleRounding
          : golden::RequantMode::kTfliteDouble;
  const CompiledTarget target = LoadCompiledTarget(
      args.target, args.arch, std::string(golden::RequantModeName(rounding)), args.inputs);
  const compiler::CompiledModel& cm = target.compiled;
  std::int64_t instructions = 0;
  for (const compiler::CompiledProgram& p : cm.programs) {
    instructions += static_cast<std::int64_t>(p.program.instructions.size());
  }
  std::cout << "model " << args.target << ": " << cm.programs.size()
            << (cm.programs.size() == 1 ? " program" : " programs") << " of "
            << FormatCount(instructions) << " instructions for the " << cm.arch.rows << "x"
            << cm.arch.cols << " array '" << cm.arch.name << "', " << cm.host_fallbacks.size()
            << " host " << (cm.host_fallbacks.size() == 1 ? "node" : "nodes") << "\n";
  std::map<std::string, std::map<std::string, golden::Tensor>> results;
  for (const std::string& engine : engines) {
    if (engine == "golden") {
      golden::RunOptions options;
      options.mode = ParseRequantModeOrThrow(args.requant);
      options.keep_intermediates = true;
      results[engine] =
          golden::RunGraph(target.prepared.loaded.graph, target.prepared.feeds, options);
      std::cout << "golden: " << golden::RequantModeName(options.mode) << "\n";
    } else {
      EngineTotals totals;
      results[engine] = RunCompiledOn(engine, target, &totals);
      std::cout << DescribeTotals(engine, cm.arch, totals) << "\n";
    }
  }
  // Tensors in the order the steps compute them, then the model's outputs.
  std::vector<std::string> order;
  std::set<std::string> seen;
  const auto add = [&](const std::string& name) {
    if (seen.insert(name).second) order.push_back(name);
  };
  for (const compiler::CompiledStep& step : cm.steps) {
    if (step.host) continue;
    for (const isa::ManifestTensor& t :
         cm.programs[static_cast<std::size_t>(step.program)].program.manifest.outputs) {
      add(t.name);
    }
  }
  for (const std::string& out : cm.outputs) add(out);
  const std::set<std::string> outputs(cm.outputs.begin(), cm.outputs.end());

  bool exact = true;
  std::int64_t compared = 0, skipped = 0;
  std::string first_difference;
  for (const std::string& name : order) {
    std::vector<std::string> have;
    for (const std::string& e : engines) {
      if (results[e].count(name) != 0) have.push_back(e);
    }
    if (have.size() < 2) {
      ++skipped;
      continue;
    }
    ++compared;
    bool tensor_exact = true;
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < have.size(); ++i) {
      for (std::size_t j = i + 1; j < have.size(); ++j) {
        const golden::Tensor& a = results[have[i]].at(name);
        const golden::Tensor& b = results[have[j]].at(name);
        if (a.dtype() != b.dtype() || a.shape() != b.shape()) {
          lines.push_back("  " + have[i] + " vs " + have[j] + ": differ in type: " + a.Describe() +
                          " vs " + b.Describe());
          tensor_exact = false;
          continue;
        }
        const Agreement ag = Compare(a, b);
        if (ag.first_mismatch < 0) {
          lines.push_back("  " + have[i] + " vs " + have[j] + ": bit-exact (" +
                          FormatCount(ag.total) + " values)");
          continue;
        }
        tensor_exact = false;
        lines.push_back(
            "  " + have[i] + " vs " + have[j] + ": " + FormatCount(ag.total - ag.equal) + " of " +
            FormatCount(ag.total) + " values differ (" +
            FormatFloat(100.0 * static_cast<double>(ag.equal) / static_cast<double>(ag.total)) +
            " % agree, max " + FormatFloat(ag.max_abs_diff) +
            (a.dtype() == golden::DType::kFloat32 ? "" : " LSB") + "); first at " +
            IndexOf(ag.first_mismatch, a.shape()) + ": " + have[i] + " " +
            ValueAt(a, ag.first_mismatch) + ", " + have[j] + " " + ValueAt(b, ag.first_mismatch));
      }
    }
    if (!tensor_exact && first_difference.empty()) first_difference = name;
    exact = exact && tensor_exact;
    // Model outputs always; other tensors only when they differ.
    if (outputs.count(name) != 0 || !tensor_exact) {
      std::cout << name << (outputs.count(name) != 0 ? " (model output)" : "") << "\n";
      for (const std::string& l : lines) std::cout << l << "\n";
    }
  }
  std::cout << FormatCount(compared) << " tensors compared";
  if (skipped > 0)
    std::cout << " (" << FormatCount(skipped) << " computed by fewer than two engines)";
  std::cout << "\n";
  if (!exact && results.count("isa") != 0 && results.count("rtl") != 0) {
    // Between the simulator and the RTL: the first program and instruction whose writes differ.
    for (const compiler::CompiledProgram& p : cm.programs) {
      std::map<std::string, golden::Tensor> in;
      for (const isa::ManifestTensor& t : p.program.manifest.inputs)
        in[t.name] = results["isa"].at(t.name);
      isa::IsaSimOptions isa_options;
      isa_options.record_writes = true;
      sim::RtlOptions rtl_options;
      rtl_options.record_writes = true;
      auto isa_run = isa::RunProgramOnIsa(cm.arch, p.program, in, isa_options);
      auto rtl_run = sim::RunProgramOnRtl(cm.arch, p.program, in, rtl_options);
      std::cout << "program " << p.name << ": ";
      if (!CompareWrites("isa", std::move(isa_run.result.writes), "rtl",
                         std::move(rtl_run.result.writes), p.program)) {
        break;
      }
    }
  }
  if (!exact) {
    throw Error("the engines disagree; the first tensor that differs is '" + first_difference +
                "' (see above)");
  }
  std::cout << "all tensors bit-exact\n";
}

}  // namespace

void CompareCommand(const CompareArgs& args) {
  const std::vector<std::string> engines = ParseEngines(args.engines);
  if (IsCompiledTarget(args.target) || importer::IsModelPath(args.target)) {
    return CompareCompiled(args, engines);
  }
  const ProgramTarget target = LoadProgramTarget(args.target, args.arch);
  const isa::Program& program = target.program;

  std::vector<std::string> input_values = args.inputs;
  const std::filesystem::path default_input = std::filesystem::path(target.folder) / "input.npy";
  std::error_code ec;
  if (input_values.empty() && !target.folder.empty() &&
      std::filesystem::is_regular_file(default_input, ec)) {
    input_values.push_back(default_input.string());
  }
  std::vector<golden::TensorInfo> declared;
  for (const isa::ManifestTensor& in : program.manifest.inputs) {
    declared.push_back(golden::TensorInfo{in.name, in.dtype, in.shape, in.quant});
  }
  const AssignedInputs inputs = AssignInputs(ReadInputFiles(ParseInputSpecs(input_values)),
                                             declared, {}, {"program", "program input"}, true);

  std::cout << "program " << args.target << ": "
            << FormatCount(static_cast<std::int64_t>(program.instructions.size()))
            << " instructions for the " << target.arch.rows << "x" << target.arch.cols << " array '"
            << target.arch.name << "'\n";
  std::map<std::string, EngineResult> results;
  for (const std::string& engine : engines) {
    EngineResult& r = results[engine];
    if (engine == "golden") {
      PreparedModel prepared =
          PrepareModel(GoldenModelPath(args, target), ParseInputSpecs(input_values));
      golden::RunOptions options;
      options.mode = ParseRequantModeOrThrow(args.requant);
      r.outputs = golden::RunGraph(prepared.loaded.graph, prepared.feeds, options);
      r.summary = "golden: " + std::string(golden::RequantModeName(options.mode));
    } else if (engine == "isa") {
      isa::IsaSimOptions options;
      options.record_writes = true;
      isa::IsaProgramRun run = isa::RunProgramOnIsa(target.arch, program, inputs.values, options);
      r.outputs = std::move(run.outputs);
      r.writes = std::move(run.result.writes);
      r.summary = "isa: " + FormatCount(run.result.timing.cycles) + " estimated cycles";
    } else {
      sim::RtlOptions options;
      options.record_writes = true;
      sim::RtlProgramRun run = sim::RunProgramOnRtl(target.arch, program, inputs.values, options);
      r.outputs = std::move(run.outputs);
      r.writes = std::move(run.result.writes);
      r.summary = "rtl: " + FormatCount(run.result.cycles) + " cycles";
    }
    std::cout << r.summary << "\n";
  }

  bool exact = true;
  for (const isa::ManifestTensor& out : program.manifest.outputs) {
    std::cout << out.name << "\n";
    for (std::size_t i = 0; i < engines.size(); ++i) {
      for (std::size_t j = i + 1; j < engines.size(); ++j) {
        const auto& a = results.at(engines[i]).outputs;
        const auto& b = results.at(engines[j]).outputs;
        const auto ia = a.find(out.name), ib = b.find(out.name);
        if (ia == a.end() || ib == b.end()) {
          throw Error("engine " + (ia == a.end() ? engines[i] : engines[j]) +
                      " produced no output '" + out.name + "'");
        }
        exact = ComparePair(out.name, engines[i], ia->second, engines[j], ib->second) && exact;
      }
    }
  }
  if (results.count("isa") != 0 && results.count("rtl") != 0) {
    exact = CompareWrites("isa", *results.at("isa").writes, "rtl", *results.at("rtl").writes,
                          program) &&
            exact;
  }
  if (!exact) throw Error("the engines disagree (see above)");
  std::cout << "all outputs bit-exact\n";
}

}  // namespace qsa::tools

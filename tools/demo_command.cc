// qsa demo: runs the bundled examples end to end with the golden engine in every requantization
// mode and reports how far the modes agree, then compiled on the ISA simulator, the RTL and the
// SystemC platform.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "model/base/error.h"
#include "model/base/install_layout.h"
#include "model/golden/executor.h"
#include "model/golden/npy.h"
#include "model/isa/arch.h"
#include "model/isa/assembler.h"
#include "model/isa/simulator.h"
#include "sim/rtl_sim.h"
#include "tools/commands.h"
#include "tools/compiled_target.h"
#include "tools/tool_util.h"

namespace qsa::tools {
namespace {

namespace fs = std::filesystem;

struct Example {
  fs::path model;
  fs::path input;
};

bool IsJsonGraph(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str().find("\"qsa_graph\"") != std::string::npos;
}

// Every model (an .onnx file or a .json graph) in a subfolder of `dir` that has an input.npy.
std::vector<Example> FindExamples(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error("examples folder '" + dir.string() +
                "' does not exist; give --examples DIR or set QSA_EXAMPLES");
  }
  std::vector<fs::path> folders;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory()) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  std::vector<Example> examples;
  for (const fs::path& folder : folders) {
    const fs::path input = folder / "input.npy";
    if (!fs::is_regular_file(input, ec)) continue;
    std::vector<fs::path> models;
    for (const fs::directory_entry& entry : fs::directory_iterator(folder, ec)) {
      const fs::path& p = entry.path();
      if (!entry.is_regular_file()) continue;
      if (p.extension() == ".onnx" || (p.extension() == ".json" && IsJsonGraph(p))) {
        models.push_back(p);
      }
    }
    std::sort(models.begin(), models.end());
    for (const fs::path& model : models) examples.push_back({model, input});
  }
  return examples;
}

std::string Relative(const fs::path& path, const fs::path& base) {
  return path.lexically_relative(base).string();
}

std::string TopClass(const golden::Tensor& t) {
  if (t.size() < 2 || t.rank() == 0 || t.shape().back() != t.size()) return "";
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < t.size(); ++i) {
    if (t.GetDouble(i) > t.GetDouble(best)) best = i;
  }
  return "  top class " + std::to_string(best);
}

std::string Padded(std::string label) {
  label.resize(std::max<std::size_t>(label.size(), 16) + 1, ' ');
  return label;
}

// The size of one quantization step of a graph output: 1 for an integer output; for a float
// output made by DequantizeLinear from a per-tensor quantized tensor, that tensor's scale.
std::optional<double> OutputStep(const golden::Graph& graph, const std::string& out) {
  if (golden::IsInteger(graph.Info(out).dtype)) return 1.0;
  for (const golden::Node& node : graph.nodes) {
    if (node.outputs.empty() || node.outputs[0] != out) continue;
    if (node.op != "DequantizeLinear" || node.inputs.empty()) return std::nullopt;
    const golden::QuantParams& q = graph.Info(node.inputs[0]).quant;
    if (q.per_axis() || q.scales.size() != 1) return std::nullopt;
    return static_cast<double>(q.scales[0]);
  }
  return std::nullopt;
}

void PrintAgreement(const std::string& label, const std::string& out, const golden::Tensor& a,
                    const golden::Tensor& b, std::optional<double> step) {
  const Agreement agreement = Compare(a, b);
  std::cout << "    " << Padded(label) << out << ": " << agreement.equal << "/" << agreement.total
            << " equal";
  if (agreement.equal == agreement.total) {
    std::cout << "\n";
    return;
  }
  std::cout << ", max difference ";
  if (golden::IsInteger(a.dtype())) {
    std::cout << static_cast<std::int64_t>(agreement.max_abs_diff) << " LSB\n";
    return;
  }
  std::cout << FormatFloat(agreement.max_abs_diff);
  if (step && *step > 0)
    std::cout << " (" << FormatFloat(agreement.max_abs_diff / *step) << " LSB)";
  std::cout << "\n";
}

void RunExample(const Example& example, const fs::path& base) {
  PreparedModel prepared = PrepareModel(example.model.string(), {InputSpec{"", example.input}});
  const golden::Graph& graph = prepared.loaded.graph;
  std::int64_t macs = 0;
  for (const golden::Node& node : graph.nodes) macs += NodeMacs(graph, node).value_or(0);
  std::cout << "graph '" << graph.name << "': " << graph.nodes.size() << " nodes, "
            << FormatCount(macs) << " MACs\n";
  for (const auto& [name, value] : prepared.feeds) {
    std::cout << "  input  " << name << " = " << Relative(example.input, base) << "  "
              << value.Describe() << "\n";
  }

  std::map<golden::RequantMode, std::map<std::string, golden::Tensor>> results;
  std::size_t width = 0;
  for (const std::string& out : graph.outputs) width = std::max(width, out.size());
  for (golden::RequantMode mode : golden::kRequantModes.Values()) {
    golden::RunOptions options;
    options.mode = mode;
    results[mode] = golden::RunGraph(graph, prepared.feeds, options);
    for (const std::string& out : graph.outputs) {
      const golden::Tensor& value = results[mode].at(out);
      std::cout << "  " << Padded(std::string(golden::RequantModeName(mode))) << out
                << std::string(width - out.size() + 2, ' ') << value.Describe() << " "
                << FormatValues(value) << TopClass(value) << "\n";
    }
  }
  const golden::RequantMode reference = golden::kRequantModes.Values().front();
  std::cout << "  agreement with " << golden::RequantModeName(reference) << ":\n";
  for (golden::RequantMode mode : golden::kRequantModes.Values()) {
    if (mode == reference) continue;
    for (const std::string& out : graph.outputs) {
      PrintAgreement(std::string(golden::RequantModeName(mode)), out, results[reference].at(out),
                     results[mode].at(out), OutputStep(graph, out));
    }
  }

  // ONNX Runtime's output for input.npy, when the example ships it as <model>.ort.npy.
  fs::path ort = example.model;
  ort.replace_extension(".ort.npy");
  std::error_code ec;
  if (graph.outputs.size() == 1 && fs::is_regular_file(ort, ec)) {
    const golden::Tensor expected = golden::ReadNpy(ort.string());
    const std::string& out = graph.outputs[0];
    std::cout << "  agreement with ONNX Runtime (" << Relative(ort, base) << "):\n";
    for (golden::RequantMode mode : golden::kRequantModes.Values()) {
      const golden::Tensor& value = results[mode].at(out);
      if (value.dtype() != expected.dtype() || value.shape() != expected.shape()) {
        std::cout << "    " << Padded(std::string(golden::RequantModeName(mode))) << out
                  << ": not comparable (" << value.Describe() << " vs " << expected.Describe()
                  << ")\n";
        continue;
      }
      PrintAgreement(std::string(golden::RequantModeName(mode)), out, expected, value,
                     OutputStep(graph, out));
    }
  }
}

// A hand-written accelerator program: DIR/isa/<name>/ with one .s file, the same computation as
// a golden graph (model.json) and its input (input.npy).
struct IsaExample {
  fs::path source;
  fs::path model;
  fs::path input;
};

std::vector<IsaExample> FindIsaExamples(const fs::path& dir) {
  std::vector<IsaExample> examples;
  std::error_code ec;
  if (!fs::is_directory(dir / "isa", ec)) return examples;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir / "isa", ec)) {
    if (!entry.is_directory()) continue;
    const fs::path model = entry.path() / "model.json";
    const fs::path input = entry.path() / "input.npy";
    if (!fs::is_regular_file(model, ec) || !fs::is_regular_file(input, ec)) continue;
    for (const fs::directory_entry& file : fs::directory_iterator(entry.path(), ec)) {
      if (file.path().extension() == ".s") examples.push_back({file.path(), model, input});
    }
  }
  std::sort(examples.begin(), examples.end(),
            [](const IsaExample& a, const IsaExample& b) { return a.source < b.source; });
  return examples;
}

// Assembles the program, runs it on the ISA simulator and the graph on the golden engine, and
// compares every output. Returns false when an output differs.
bool RunIsaExample(const IsaExample& example, const fs::path& base) {
  const isa::ArchConfig arch = ArchOfAssembly(example.source.string());
  const isa::Program program = isa::AssembleFile(example.source.string(), arch);
  std::cout << "program " << Relative(example.source, base) << ": " << program.instructions.size()
            << " instructions for the " << arch.rows << "x" << arch.cols << " array '" << arch.name
            << "', DRAM image " << FormatCount(static_cast<std::int64_t>(program.dram_image.size()))
            << " bytes\n";
  PreparedModel prepared = PrepareModel(example.model.string(), {InputSpec{"", example.input}});
  if (program.manifest.inputs.size() != 1 || prepared.feeds.size() != 1) {
    throw Error("an ISA example needs one input in both the program and model.json");
  }
  const golden::Tensor& input = prepared.feeds.begin()->second;
  const isa::IsaProgramRun run =
      isa::RunProgramOnIsa(arch, program, {{program.manifest.inputs[0].name, input}});
  const std::map<std::string, golden::Tensor> golden =
      golden::RunGraph(prepared.loaded.graph, prepared.feeds);
  PrintIsaSummary(arch, run.result);
  bool exact = true;
  for (const auto& [name, value] : run.outputs) {
    const auto it = golden.find(name);
    if (it == golden.end()) throw Error("model.json has no output '" + name + "'");
    std::cout << "  " << name << " " << value.Describe() << " " << FormatValues(value) << "\n";
    const Agreement agreement = Compare(it->second, value);
    const bool same = agreement.equal == agreement.total;
    exact = exact && same;
    std::cout << "  isa vs golden (tflite-double) " << name << ": " << agreement.equal << "/"
              << agreement.total << " equal" << (same ? ", bit-exact" : "") << "\n";
  }
  // The same program on the verilated accelerator, cycle by cycle.
  const sim::RtlProgramRun rtl =
      sim::RunProgramOnRtl(arch, program, {{program.manifest.inputs[0].name, input}});
  std::cout << "  rtl: " << FormatCount(rtl.result.cycles) << " cycles (the ISA simulator "
            << "estimated " << FormatCount(run.result.timing.cycles) << ")\n";
  for (const auto& [name, value] : rtl.outputs) {
    const Agreement agreement = Compare(golden.at(name), value);
    const bool same = agreement.equal == agreement.total;
    exact = exact && same;
    std::cout << "  rtl vs golden (tflite-double) " << name << ": " << agreement.equal << "/"
              << agreement.total << " equal" << (same ? ", bit-exact" : "") << "\n";
  }
  return exact;
}

// An example model compiled for the default 16x16 array and run with its programs on the ISA
// simulator and the RTL: the outputs must equal the golden model's (tflite-double) bit for bit.
bool RunCompiledExample(const Example& example) {
  const CompiledTarget target =
      LoadCompiledTarget(example.model.string(), "",
                         std::string(golden::RequantModeName(golden::RequantMode::kTfliteDouble)),
                         {example.input.string()});
  const compiler::CompiledModel& cm = target.compiled;
  std::size_t accel_nodes = 0;
  for (const compiler::CompiledProgram& p : cm.programs) accel_nodes += p.nodes.size();
  std::int64_t estimate = 0;
  for (const compiler::CompiledProgram& p : cm.programs) {
    for (const compiler::LayerEstimate& e : p.layers) estimate += e.cycles;
  }
  std::cout << "  compiled for " << cm.arch.rows << "x" << cm.arch.cols << ": " << accel_nodes
            << " nodes in " << cm.programs.size()
            << (cm.programs.size() == 1 ? " program" : " programs") << ", "
            << cm.host_fallbacks.size() << " on the host; " << FormatCount(estimate)
            << " cycles estimated\n";
  if (cm.programs.empty()) {
    std::cout << "  nothing for the accelerator: every node runs on the host\n";
    return true;
  }
  const auto golden = golden::RunGraph(target.prepared.loaded.graph, target.prepared.feeds);
  bool exact = true;
  std::vector<std::string> engines = {"isa", "rtl"};
#if QSA_HAVE_SYSTEMC
  engines.push_back("systemc");  // two cores, each running a copy, sharing the DRAM
#endif
  for (const std::string& engine : engines) {
    EngineTotals totals;
    if (engine == "systemc")
      totals.platform_options = sim::PlatformOptionsFor(cm.arch, 2, "isa", "");
    const auto values = RunCompiledOn(engine, target, &totals);
    bool same = true;
    for (const std::string& out : cm.outputs) same = same && values.at(out) == golden.at(out);
    std::cout << "  " << DescribeTotals(engine, cm.arch, totals) << "; outputs "
              << (same ? "bit-exact with golden" : "DIFFER from golden") << "\n";
    if (engine == "systemc") {
      std::istringstream lines(DescribePlatform(totals));
      for (std::string line; std::getline(lines, line);) std::cout << "    " << line << "\n";
    }
    exact = exact && same;
  }
  return exact;
}

}  // namespace

CLI::App* AddDemoCommand(CLI::App& app, DemoArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "demo", "Run the bundled examples in all four requantization modes and compare them");
  cmd->add_option("--examples", args.examples_dir,
                  "Examples folder (default: $QSA_EXAMPLES, else the examples installed with qsa)")
      ->type_name("DIR");
  cmd->footer(
      "Runs every .onnx model and .json graph in DIR/*/ that has an input.npy beside it with the\n"
      "golden engine in each --requant mode, prints the outputs and how far the modes agree, and,\n"
      "where <model>.ort.npy holds ONNX Runtime's output for input.npy, the agreement with it;\n"
      "then compiles the model for the default array and runs it on the ISA simulator, the RTL\n"
      "and the SystemC platform (two cores sharing a DRAM), which must give the golden model's\n"
      "outputs bit for bit.\n"
      "Then assembles each hand-written program DIR/isa/*/*.s, runs it on the ISA simulator and "
      "on\n"
      "the verilated RTL, and\n"
      "checks it bit-exact against the same layer as a golden graph (model.json beside it).\n"
      "Exits 1 when an example fails.");
  return cmd;
}

void DemoCommand(const DemoArgs& args) {
  std::string dir = args.examples_dir;
  if (dir.empty()) {
    const char* env = std::getenv("QSA_EXAMPLES");
    dir = env != nullptr && *env != '\0' ? env : base::DataPath("examples").string();
  }
  const fs::path base(dir);
  const std::vector<Example> examples = FindExamples(base);
  if (examples.empty()) {
    throw Error("no examples in '" + dir +
                "' (each is a folder with an .onnx or .json model and an input.npy)");
  }
  std::cout << "qsa demo: " << examples.size() << " example" << (examples.size() == 1 ? "" : "s")
            << " in " << dir << "\n";
  std::vector<std::string> failed;
  for (const Example& example : examples) {
    const std::string name = Relative(example.model, base);
    std::cout << "\n== " << name << "\n";
    try {
      RunExample(example, base);
      if (!RunCompiledExample(example)) failed.push_back(name + " (compiled: not bit-exact)");
    } catch (const std::exception& e) {
      std::cout << "  FAILED: " << e.what() << "\n";
      failed.push_back(name);
    }
  }
  const std::vector<IsaExample> isa_examples = FindIsaExamples(base);
  for (const IsaExample& example : isa_examples) {
    const std::string name = Relative(example.source, base);
    std::cout << "\n== " << name << " on the ISA simulator\n";
    try {
      if (!RunIsaExample(example, base)) failed.push_back(name + " (not bit-exact)");
    } catch (const std::exception& e) {
      std::cout << "  FAILED: " << e.what() << "\n";
      failed.push_back(name);
    }
  }
  const std::size_t total = examples.size() + isa_examples.size();
  std::cout << "\n" << total - failed.size() << " of " << total << " examples ran\n";
  if (!failed.empty()) {
    std::string list;
    for (const std::string& f : failed) list += (list.empty() ? "" : ", ") + f;
    throw Error("demo: " + std::to_string(failed.size()) + " of " + std::to_string(total) +
                " examples failed: " + list);
  }
}

}  // namespace qsa::tools

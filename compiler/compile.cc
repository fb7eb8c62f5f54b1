#include "compiler/compile.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "compiler/lower/lower.h"
#include "compiler/passes/pass.h"
#include "model/base/error.h"
#include "model/golden/graph_json.h"
#include "model/golden/npy.h"

namespace qsa::compiler {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "qsa-compiled-model";
constexpr int kVersion = 1;

// Where each node runs, and the segments of consecutive accelerator nodes.
struct Partition {
  std::vector<bool> accel;                // per node
  std::map<std::string, Layout> layouts;  // tensors an accelerator node produces
  std::vector<HostFallback> fallbacks;
};

bool IsQuantizedOrInt32(golden::DType t) {
  return t == golden::DType::kUInt8 || t == golden::DType::kInt8 || t == golden::DType::kInt32;
}

Partition PartitionGraph(const golden::Graph& g, const isa::ArchConfig& arch) {
  Partition p;
  p.accel.assign(g.nodes.size(), false);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const golden::Node& node = g.nodes[i];
    std::vector<Layout> in_layouts;
    bool alias_of_host = false;
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        in_layouts.push_back({});
        continue;
      }
      const auto it = p.layouts.find(in);
      if (it != p.layouts.end()) {
        in_layouts.push_back(it->second);
      } else {
        in_layouts.push_back(DefaultLayout(g.Info(in).shape));
        if (IsAlias(node)) alias_of_host = true;
      }
    }
    std::string reason;
    if (alias_of_host) {
      reason = "its input is computed on the host";
    } else {
      try {
        reason = AcceleratorRefusal(g, node, in_layouts, arch);
      } catch (const Error& e) {
        reason = e.what();
      }
    }
    // Inputs the accelerator reads must be storable in a program's DRAM.
    for (const std::string& in : node.inputs) {
      if (reason.empty() && !in.empty() && !g.IsConstant(in) &&
          !IsQuantizedOrInt32(g.Info(in).dtype)) {
        reason = "input '" + in + "' is " + std::string(golden::DTypeName(g.Info(in).dtype));
      }
    }
    if (reason.empty()) {
      p.accel[i] = true;
      p.layouts[node.outputs[0]] = OutputLayout(g, node, in_layouts);
    } else {
      p.fallbacks.push_back({node.name, node.op, reason});
    }
  }
  return p;
}

std::vector<std::uint8_t> BytesInLayout(const golden::Tensor& t, const Layout& layout) {
  const std::vector<std::int64_t> offsets = ElementOffsets(layout);
  const std::size_t es = golden::DTypeSize(t.dtype());
  std::vector<std::uint8_t> out(offsets.size() * es);
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const std::int64_t v = t.GetInt(static_cast<std::int64_t>(i));
    for (std::size_t b = 0; b < es; ++b) {
      out[static_cast<std::size_t>(offsets[i]) * es + b] =
          static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * b));
    }
  }
  return out;
}

isa::ManifestTensor ManifestOf(const std::string& name, const DramTensor& t) {
  isa::ManifestTensor m;
  m.name = name;
  m.dram_addr = static_cast<std::uint64_t>(t.addr);
  m.shape = t.layout.shape;
  m.dtype = t.dtype;
  m.dram_perm = t.layout.perm;
  m.quant = t.quant;
  return m;
}

CompiledProgram CompileSegment(const golden::Graph& g, const std::vector<std::size_t>& nodes,
                               const std::set<std::string>& needed_outside,
                               const CompileOptions& options, int index) {
  CompiledProgram cp;
  cp.name = "segment" + std::to_string(index);
  ProgramBuilder pb(options.arch);
  LowerContext ctx{g, pb, LowerOptions{options.rounding}, {}, {}};
  isa::Manifest io;
  std::set<std::string> produced;
  for (std::size_t i : nodes) {
    const golden::Node& node = g.nodes[i];
    cp.nodes.push_back(node.name);
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      const std::string& in = node.inputs[k];
      if (in.empty() || ctx.tensors.count(in) != 0) continue;
      const bool activation = k == 0 || node.op == "Add" || node.op == "Concat";
      if (g.IsConstant(in)) {
        if (!activation) continue;  // weights and biases: the lowering packs them
        DramTensor t;
        t.layout = DefaultLayout(g.Info(in).shape);
        t.dtype = g.Info(in).dtype;
        t.quant = g.Info(in).quant;
        t.addr = pb.PutBytes(BytesInLayout(g.Constant(in), t.layout));
        ctx.tensors[in] = t;
        continue;
      }
      // A program input: the host writes it before the run.
      const golden::TensorInfo& info = g.Info(in);
      DramTensor t;
      t.layout = DefaultLayout(info.shape);
      t.dtype = info.dtype;
      t.quant = info.quant;
      t.addr = pb.AllocDram(golden::NumElements(info.shape) *
                            static_cast<std::int64_t>(golden::DTypeSize(info.dtype)));
      ctx.tensors[in] = t;
      io.inputs.push_back(ManifestOf(in, t));
    }
    LowerNode(ctx, node);
    for (const std::string& out : node.outputs) {
      produced.insert(out);
      if (options.keep_intermediates || needed_outside.count(out) != 0) {
        io.outputs.push_back(ManifestOf(out, ctx.Tensor(out)));
      }
    }
  }
  cp.program = pb.Build(io, &cp.listing);
  cp.layers = std::move(ctx.layers);
  return cp;
}

// The graph of every host node: its inputs are what those nodes read from the model's inputs or
// from accelerator programs, its outputs what programs or the model's outputs need from them.
golden::Graph HostGraph(const golden::Graph& g, const std::vector<bool>& accel) {
  golden::Graph h;
  h.name = g.name + " (host)";
  std::set<std::string> produced, consumed_by_accel;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (!accel[i]) continue;
    for (const std::string& in : g.nodes[i].inputs) consumed_by_accel.insert(in);
  }
  std::set<std::string> inputs;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (accel[i]) continue;
    const golden::Node& node = g.nodes[i];
    for (const std::string& in : node.inputs) {
      if (in.empty()) continue;
      h.tensors[in] = g.Info(in);
      if (g.IsConstant(in)) {
        h.constants[in] = g.Constant(in);
      } else if (produced.count(in) == 0 && inputs.insert(in).second) {
        h.inputs.push_back(in);
      }
    }
    for (const std::string& out : node.outputs) {
      produced.insert(out);
      h.tensors[out] = g.Info(out);
      if (consumed_by_accel.count(out) != 0 ||
          std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end()) {
        h.outputs.push_back(out);
      }
    }
    h.nodes.push_back(node);
  }
  h.Validate();
  return h;
}

}  // namespace

golden::RequantMode AcceleratorRounding(std::string_view name, std::string_view context) {
  const std::optional<golden::RequantMode> mode = golden::ParseRequantMode(name);
  if (!mode || !golden::IsFixedPointMode(*mode)) {
    throw Error(std::string(context) + "the accelerator computes in " +
                golden::kRequantModes.Join(", ", " or ", golden::IsFixedPointMode) + ", not '" +
                std::string(name) + "'");
  }
  return *mode;
}

CompiledModel Compile(const golden::Graph& graph, const CompileOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  isa::ValidateArchConfig(options.arch, "arch");
  AcceleratorRounding(golden::RequantModeName(options.rounding));
  CompiledModel cm;
  cm.arch = options.arch;
  cm.rounding = options.rounding;
  cm.inputs = graph.inputs;
  cm.outputs = graph.outputs;

  golden::Graph g = graph;
  PassContext pctx;
  RunPasses(g, pctx);
  cm.pass_log = std::move(pctx.log);

  const Partition part = PartitionGraph(g, options.arch);
  cm.host_fallbacks = part.fallbacks;
  // Tensors a node outside a segment (or the model's output list) reads.
  std::map<std::string, std::set<std::size_t>> readers;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& in : g.nodes[i].inputs) readers[in].insert(i);
  }
  std::size_t i = 0;
  while (i < g.nodes.size()) {
    std::size_t j = i;
    while (j < g.nodes.size() && part.accel[j] == part.accel[i]) ++j;
    CompiledStep step;
    step.host = !part.accel[i];
    if (step.host) {
      for (std::size_t k = i; k < j; ++k) step.nodes.push_back(g.nodes[k].name);
    } else {
      std::vector<std::size_t> nodes;
      std::set<std::string> needed;
      for (std::size_t k = i; k < j; ++k) {
        nodes.push_back(k);
        for (const std::string& out : g.nodes[k].outputs) {
          bool outside = std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end();
          for (std::size_t r : readers[out]) outside = outside || r < i || r >= j;
          if (outside) needed.insert(out);
        }
      }
      step.program = static_cast<int>(cm.programs.size());
      cm.programs.push_back(
          CompileSegment(g, nodes, needed, options, static_cast<int>(cm.programs.size())));
      step.nodes = cm.programs.back().nodes;
    }
    cm.steps.push_back(std::move(step));
    i = j;
  }
  cm.host_graph = HostGraph(g, part.accel);
  cm.compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return cm;
}

// ---- Folder ------------------------------------------------------------------------------------

namespace {

json EstimateToJson(const LayerEstimate& e) {
  return {{"name", e.name},
          {"op", e.op},
          {"macs", e.macs},
          {"tiles", e.tiles},
          {"plan", e.plan},
          {"cycles", e.cycles},
          {"compute_cycles", e.compute_cycles},
          {"load_cycles", e.load_cycles},
          {"store_cycles", e.store_cycles},
          {"dram_read", e.dram_read},
          {"dram_written", e.dram_written},
          {"min_dram_bytes", e.min_dram_bytes},
          {"instructions", e.instructions}};
}

LayerEstimate EstimateFromJson(const json& j) {
  LayerEstimate e;
  e.name = j.at("name").get<std::string>();
  e.op = j.at("op").get<std::string>();
  e.macs = j.at("macs").get<std::int64_t>();
  e.tiles = j.at("tiles").get<std::int64_t>();
  e.plan = j.at("plan").get<std::string>();
  e.cycles = j.at("cycles").get<std::int64_t>();
  e.compute_cycles = j.at("compute_cycles").get<std::int64_t>();
  e.load_cycles = j.at("load_cycles").get<std::int64_t>();
  e.store_cycles = j.at("store_cycles").get<std::int64_t>();
  e.dram_read = j.at("dram_read").get<std::int64_t>();
  e.dram_written = j.at("dram_written").get<std::int64_t>();
  e.min_dram_bytes = j.at("min_dram_bytes").get<std::int64_t>();
  e.instructions = j.at("instructions").get<std::int64_t>();
  return e;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

bool IsCompiledModel(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "compiled.json", ec);
}

std::string CompiledSourceModel(const std::string& dir) {
  for (const char* name : {"model.onnx", "model.json"}) {
    std::error_code ec;
    const fs::path p = fs::path(dir) / name;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

void WriteCompiled(const CompiledModel& cm, const std::string& dir,
                   const std::string& source_model) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) throw Error("'" + dir + "' exists and is not a folder");
    if (!IsCompiledModel(dir) && !fs::is_empty(dir, ec)) {
      throw Error("'" + dir + "' is a folder that holds no compiled model; not replacing it");
    }
  }
  // Everything goes into a fresh folder beside the target, which then replaces it.
  const fs::path target(dir);
  const fs::path tmp = target.string() + ".partial-" + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error("cannot create '" + tmp.string() + "': " + ec.message());
  try {
    json steps = json::array();
    for (const CompiledStep& s : cm.steps) {
      if (s.host) {
        steps.push_back({{"host", s.nodes}});
      } else {
        const CompiledProgram& p = cm.programs[static_cast<std::size_t>(s.program)];
        json layers = json::array();
        for (const LayerEstimate& e : p.layers) layers.push_back(EstimateToJson(e));
        steps.push_back({{"program", p.name}, {"nodes", p.nodes}, {"layers", layers}});
        isa::WriteProgram(p.program, (tmp / p.name).string());
        golden::WriteFileAtomically((tmp / p.name / "program.s").string(), {p.listing});
      }
    }
    json fallbacks = json::array();
    for (const HostFallback& f : cm.host_fallbacks) {
      fallbacks.push_back({{"node", f.node}, {"op", f.op}, {"reason", f.reason}});
    }
    std::string source_name;
    if (!source_model.empty()) {
      const std::string ext = fs::path(source_model).extension().string();
      source_name = ext == ".json" ? "model.json" : "model.onnx";
      fs::copy_file(source_model, tmp / source_name, fs::copy_options::overwrite_existing, ec);
      if (ec) throw Error("cannot copy '" + source_model + "': " + ec.message());
    }
    const json j = {{"format", kFormat},
                    {"version", kVersion},
                    {"arch", {{"name", cm.arch.name}, {"hash", cm.arch.HashHex()}}},
                    {"rounding", std::string(golden::RequantModeName(cm.rounding))},
                    {"source", source_name},
                    {"inputs", cm.inputs},
                    {"outputs", cm.outputs},
                    {"steps", steps},
                    {"host_fallback", fallbacks},
                    {"passes", cm.pass_log},
                    {"compile_seconds", cm.compile_seconds}};
    golden::WriteFileAtomically((tmp / "compiled.json").string(), {j.dump(2) + "\n"});
    golden::WriteFileAtomically((tmp / "arch.json").string(),
                                {isa::ArchConfigToJson(cm.arch).dump(2) + "\n"});
    golden::WriteFileAtomically((tmp / "host.json").string(),
                                {golden::GraphToJson(cm.host_graph).dump() + "\n"});
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  fs::remove_all(target, ec);
  fs::rename(tmp, target, ec);
  if (ec) throw Error("cannot move the compiled model into '" + dir + "': " + ec.message());
}

CompiledModel ReadCompiled(const std::string& dir) {
  const std::string path = (fs::path(dir) / "compiled.json").string();
  json j;
  try {
    j = json::parse(ReadText(path));
  } catch (const json::exception& e) {
    throw Error("'" + path + "': malformed JSON: " + e.what());
  }
  CompiledModel cm;
  try {
    if (j.at("format").get<std::string>() != kFormat) {
      throw Error("'" + path + "': not a compiled qsa model");
    }
    if (j.at("version").get<int>() != kVersion) {
      throw Error("'" + path + "': unsupported version " + j.at("version").dump());
    }
    cm.arch = isa::LoadArchConfig((fs::path(dir) / "arch.json").string());
    if (cm.arch.HashHex() != j.at("arch").at("hash").get<std::string>()) {
      throw Error("'" + path + "': arch.json does not match the recorded architecture hash");
    }
    // Anything but single-rounding reads as tflite-double.
    cm.rounding = golden::ParseRequantMode(j.at("rounding").get<std::string>()) ==
                          golden::RequantMode::kSingleRounding
                      ? golden::RequantMode::kSingleRounding
                      : golden::RequantMode::kTfliteDouble;
    cm.inputs = j.at("inputs").get<std::vector<std::string>>();
    cm.outputs = j.at("outputs").get<std::vector<std::string>>();
    for (const json& s : j.at("steps")) {
      CompiledStep step;
      if (s.contains("host")) {
        step.host = true;
        step.nodes = s.at("host").get<std::vector<std::string>>();
      } else {
        CompiledProgram p;
        p.name = s.at("program").get<std::string>();
        if (p.name.empty() || p.name.find('/') != std::string::npos || p.name[0] == '.') {
          throw Error("'" + path + "': bad program folder name '" + p.name + "'");
        }
        p.nodes = s.at("nodes").get<std::vector<std::string>>();
        for (const json& l : s.at("layers")) p.layers.push_back(EstimateFromJson(l));
        p.program = isa::ReadProgram((fs::path(dir) / p.name).string());
        isa::CheckProgramArch(p.program, cm.arch, (fs::path(dir) / p.name).string());
        step.program = static_cast<int>(cm.programs.size());
        step.nodes = p.nodes;
        cm.programs.push_back(std::move(p));
      }
      cm.steps.push_back(std::move(step));
    }
    for (const json& f : j.at("host_fallback")) {
      cm.host_fallbacks.push_back({f.at("node").get<std::string>(), f.at("op").get<std::string>(),
                                   f.at("reason").get<std::string>()});
    }
    cm.pass_log = j.at("passes").get<std::vector<std::string>>();
    cm.compile_seconds = j.at("compile_seconds").get<double>();
  } catch (const json::exception& e) {
    throw Error("'" + path + "': " + e.what());
  }
  cm.host_graph = golden::ReadGraphJson((fs::path(dir) / "host.json").string());
  for (const CompiledStep& s : cm.steps) {
    if (!s.host) continue;
    for (const std::string& n : s.nodes) {
      const auto& nodes = cm.host_graph.nodes;
      if (std::none_of(nodes.begin(), nodes.end(),
                       [&](const golden::Node& x) { return x.name == n; })) {
        throw Error("'" + path + "': host step names node '" + n + "', which host.json lacks");
      }
    }
  }
  return cm;
}

}  // namespace qsa::compiler

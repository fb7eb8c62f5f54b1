// The compiled-model folder (compiled_folder.h): compiled.json and its JSON, programs, host graph.
#include "compiler/compiled_folder.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/base/error.h"
#include "model/base/json_text.h"
#include "model/base/read_file.h"
#include "model/base/temp_files.h"
#include "model/golden/graph_json.h"
#include "model/golden/npy.h"

namespace qsa::compiler {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "qsa-compiled-model";
constexpr int kVersion = 1;

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
          {"instructions", e.instructions},
          {"gemm_rows", e.gemm_rows},
          {"weight_preloads", e.weight_preloads},
          {"accumulate_rows", e.accumulate_rows},
          {"post_rows", e.post_rows},
          {"posts", e.posts},
          {"param_bytes", e.param_bytes}};
}

// Typed access to compiled.json that names the key path of what is missing or mistyped
// ("steps[2].layers[0].macs: expected an integer").
class Reader {
 public:
  Reader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  const std::string& where() const { return where_; }
  Reader At(const std::string& key) const {
    if (!j_.is_object()) Fail(where_, "expected an object");
    const auto it = j_.find(key);
    if (it == j_.end()) Fail(where_, "missing key \"" + key + "\"");
    return Reader(*it, Sub(key));
  }
  bool Has(const std::string& key) const { return j_.is_object() && j_.contains(key); }
  std::vector<Reader> Items() const {
    if (!j_.is_array()) Fail(where_, "expected an array");
    std::vector<Reader> items;
    for (std::size_t i = 0; i < j_.size(); ++i) {
      items.emplace_back(j_[i], where_ + "[" + std::to_string(i) + "]");
    }
    return items;
  }
  std::string String() const {
    if (!j_.is_string()) Fail(where_, "expected a string");
    return j_.get<std::string>();
  }
  std::int64_t Int() const {
    if (!j_.is_number_integer()) Fail(where_, "expected an integer");
    if (j_.is_number_unsigned() &&
        j_.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      Fail(where_, "integer out of range");
    }
    return j_.get<std::int64_t>();
  }
  double Number() const {
    if (!j_.is_number()) Fail(where_, "expected a number");
    return j_.get<double>();
  }
  std::vector<std::string> Strings() const {
    std::vector<std::string> out;
    for (const Reader& item : Items()) out.push_back(item.String());
    return out;
  }

  [[noreturn]] static void Fail(const std::string& where, const std::string& problem) {
    throw Error(where + ": " + problem);
  }

 private:
  std::string Sub(const std::string& key) const {
    return where_.empty() ? key : where_ + "." + key;
  }
  const json& j_;
  std::string where_;
};

LayerEstimate EstimateFromJson(const Reader& j) {
  LayerEstimate e;
  e.name = j.At("name").String();
  e.op = j.At("op").String();
  e.macs = j.At("macs").Int();
  e.tiles = j.At("tiles").Int();
  e.plan = j.At("plan").String();
  e.cycles = j.At("cycles").Int();
  e.compute_cycles = j.At("compute_cycles").Int();
  e.load_cycles = j.At("load_cycles").Int();
  e.store_cycles = j.At("store_cycles").Int();
  e.dram_read = j.At("dram_read").Int();
  e.dram_written = j.At("dram_written").Int();
  e.min_dram_bytes = j.At("min_dram_bytes").Int();
  e.instructions = j.At("instructions").Int();
  // The array's events (absent from folders compiled before the estimator: zero).
  if (j.Has("gemm_rows")) e.gemm_rows = j.At("gemm_rows").Int();
  if (j.Has("weight_preloads")) e.weight_preloads = j.At("weight_preloads").Int();
  if (j.Has("accumulate_rows")) e.accumulate_rows = j.At("accumulate_rows").Int();
  if (j.Has("post_rows")) e.post_rows = j.At("post_rows").Int();
  if (j.Has("posts")) e.posts = j.At("posts").Int();
  if (j.Has("param_bytes")) e.param_bytes = j.At("param_bytes").Int();
  return e;
}

std::string ReadText(const std::string& path) {
  return base::ReadRegularFile(path, base::kMaxTextFileBytes);
}

}  // namespace

bool IsCompiledModel(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "compiled.json", ec);
}

std::string CompiledSourceModel(const std::string& dir) {
  for (const char* name : {"model.onnx", "model.tflite", "model.json"}) {
    std::error_code ec;
    const fs::path p = fs::path(dir) / name;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

void WriteCompiled(const CompiledModel& cm, const std::string& dir,
                   const std::string& source_model) {
  std::error_code ec;
  if (dir.empty()) throw Error("the output folder name is empty");
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
  base::TempPath guard(tmp.string(), true);  // removed on SIGINT/SIGTERM
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
        isa::WriteProgram(p.program, (tmp / p.name).string(), p.listing);
      }
    }
    json fallbacks = json::array();
    for (const HostFallback& f : cm.host_fallbacks) {
      fallbacks.push_back({{"node", f.node}, {"op", f.op}, {"reason", f.reason}});
    }
    std::string source_name;
    if (!source_model.empty()) {
      const std::string ext = fs::path(source_model).extension().string();
      source_name = ext == ".json"     ? "model.json"
                    : ext == ".tflite" ? "model.tflite"
                                       : "model.onnx";
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
  if (ec) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    throw Error("cannot move the compiled model into '" + dir + "': " + ec.message());
  }
}

CompiledModel ReadCompiled(const std::string& dir) {
  const std::string path = (fs::path(dir) / "compiled.json").string();
  const std::string quoted = base::QuotePath(path);
  const json j = base::ParseJsonText(ReadText(path), quoted);
  CompiledModel cm;
  try {
    const Reader root(j, "");
    if (!j.is_object()) Reader::Fail("the top level", "expected an object");
    if (root.At("format").String() != kFormat) throw Error("not a compiled qsa model");
    if (root.At("version").Int() != kVersion) {
      throw Error("unsupported version " + base::Printable(j.at("version").dump()) +
                  " (this qsa reads version " + std::to_string(kVersion) + ")");
    }
    static const std::set<std::string> kKeys = {
        "format",  "version", "arch",          "rounding", "source",         "inputs",
        "outputs", "steps",   "host_fallback", "passes",   "compile_seconds"};
    for (const auto& item : j.items()) {
      if (kKeys.count(item.key()) == 0) throw Error("unknown key " + base::Quote(item.key()));
    }
    cm.arch = isa::LoadArchConfig((fs::path(dir) / "arch.json").string());
    if (cm.arch.HashHex() != root.At("arch").At("hash").String()) {
      throw Error("arch.json does not match the recorded architecture hash");
    }
    // The accelerator implements the two fixed-point modes; anything else is refused.
    const Reader rounding = root.At("rounding");
    const std::optional<golden::RequantMode> mode = golden::ParseRequantMode(rounding.String());
    if (!mode || !golden::IsFixedPointMode(*mode)) {
      Reader::Fail(rounding.where(),
                   base::Quote(rounding.String()) + " is not an accelerator rounding (expected " +
                       golden::kRequantModes.Join(", ", " or ", golden::IsFixedPointMode) + ")");
    }
    cm.rounding = *mode;
    cm.inputs = root.At("inputs").Strings();
    cm.outputs = root.At("outputs").Strings();
    for (const Reader& s : root.At("steps").Items()) {
      CompiledStep step;
      if (s.Has("host")) {
        step.host = true;
        step.nodes = s.At("host").Strings();
      } else {
        CompiledProgram p;
        const Reader name = s.At("program");
        p.name = name.String();
        if (p.name.empty() || p.name.find('/') != std::string::npos || p.name[0] == '.') {
          Reader::Fail(name.where(), "bad program folder name " + base::Quote(p.name));
        }
        p.nodes = s.At("nodes").Strings();
        for (const Reader& l : s.At("layers").Items()) p.layers.push_back(EstimateFromJson(l));
        p.program = isa::ReadProgram((fs::path(dir) / p.name).string());
        isa::CheckProgramArch(p.program, cm.arch, (fs::path(dir) / p.name).string());
        step.program = static_cast<int>(cm.programs.size());
        step.nodes = p.nodes;
        cm.programs.push_back(std::move(p));
      }
      cm.steps.push_back(std::move(step));
    }
    for (const Reader& f : root.At("host_fallback").Items()) {
      cm.host_fallbacks.push_back(
          {f.At("node").String(), f.At("op").String(), f.At("reason").String()});
    }
    cm.pass_log = root.At("passes").Strings();
    cm.compile_seconds = root.At("compile_seconds").Number();
  } catch (const Error& e) {
    const std::string what = e.what();
    // Errors from the files compiled.json refers to already name them.
    if (what.find(dir) != std::string::npos || what.rfind("arch ", 0) == 0) throw;
    throw Error(quoted + ": " + what);
  }
  // host.json holds the host steps' nodes; a model that runs wholly on the accelerator has an
  // empty one (no outputs), which is not a graph to read.
  const bool any_host =
      std::any_of(cm.steps.begin(), cm.steps.end(), [](const CompiledStep& s) { return s.host; });
  if (any_host) cm.host_graph = golden::ReadGraphJson((fs::path(dir) / "host.json").string());
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

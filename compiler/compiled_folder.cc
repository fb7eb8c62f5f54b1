// The compiled-model folder (compiled_folder.h): compiled.json and its JSON, programs, host graph.
#include "compiler/compiled_folder.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/base/error.h"
#include "model/base/temp_files.h"
#include "model/base/read_file.h"
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
  return base::ReadRegularFile(path, base::kMaxTextFileBytes);
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
  if (ec) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    throw Error("cannot move the compiled model into '" + dir + "': " + ec.message());
  }
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

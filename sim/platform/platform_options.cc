// The platform's options: checked, and read from a platform file (no SystemC needed, so that the
// command line checks them in every build).
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/base/error.h"
#include "model/base/read_file.h"
#include "sim/platform/platform.h"

namespace qsa::sim {

void CheckPlatformOptions(const PlatformOptions& options) {
  if (options.cores < 1) {
    throw Error("--cores must be at least 1 (got " + std::to_string(options.cores) + ")");
  }
  CoreModelsOf(options);
  if (options.dram_latency_cycles < 1 || options.dram_bytes_per_cycle < 1) {
    throw Error("the platform DRAM needs a latency and a bandwidth of at least 1 (latency " +
                std::to_string(options.dram_latency_cycles) + " cycles, " +
                std::to_string(options.dram_bytes_per_cycle) + " bytes per cycle)");
  }
  if (options.burst_bytes < 1) throw Error("the platform's burst size must be at least 1 byte");
}

std::vector<std::string> CoreModelsOf(const PlatformOptions& options) {
  std::vector<std::string> models;
  std::string::size_type begin = 0;
  while (true) {
    const std::string::size_type comma = options.core_model.find(',', begin);
    models.push_back(options.core_model.substr(begin, comma - begin));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  for (const std::string& m : models) {
    if (m != "isa" && m != "rtl") {
      throw Error("unknown core model '" + m + "' (the platform has: isa, rtl)");
    }
  }
  if (models.size() == 1)
    models.assign(static_cast<std::size_t>(std::max(options.cores, 1)), models[0]);
  if (models.size() != static_cast<std::size_t>(options.cores)) {
    throw Error("--core-model lists " + std::to_string(models.size()) + " models for " +
                std::to_string(options.cores) + " cores");
  }
  return models;
}

PlatformOptions PlatformOptionsFor(const isa::ArchConfig& arch, int cores,
                                   const std::string& core_model, const std::string& path) {
  PlatformOptions options;
  options.cores = cores;
  options.core_model = core_model;
  options.dram_latency_cycles = arch.dram_latency_cycles;
  options.dram_bytes_per_cycle = arch.dram_bytes_per_cycle;
  if (!path.empty()) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(base::ReadRegularFile(path, base::kMaxTextFileBytes));
    } catch (const nlohmann::json::exception& e) {
      throw Error("platform file " + path + ": not JSON (" + e.what() + ")");
    }
    if (!j.is_object()) throw Error("platform file " + path + ": not a JSON object");
    const std::pair<const char*, int*> keys[] = {
        {"dram_latency_cycles", &options.dram_latency_cycles},
        {"dram_bytes_per_cycle", &options.dram_bytes_per_cycle},
        {"burst_bytes", &options.burst_bytes}};
    for (const auto& [key, value] : j.items()) {
      int* field = nullptr;
      for (const auto& [name, target] : keys) {
        if (key == name) field = target;
      }
      if (field == nullptr) {
        throw Error("platform file " + path + ": unknown key '" + key +
                    "' (known: dram_latency_cycles, dram_bytes_per_cycle, burst_bytes)");
      }
      if (!value.is_number_integer() || value.get<std::int64_t>() < 1 ||
          value.get<std::int64_t>() > (std::int64_t{1} << 20)) {
        throw Error("platform file " + path + ": " + key +
                    " must be an integer in [1, 2^20] (got " + value.dump() + ")");
      }
      *field = value.get<int>();
    }
  }
  CheckPlatformOptions(options);
  return options;
}

}  // namespace qsa::sim

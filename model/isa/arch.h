// The architecture configuration: one JSON file (model/isa/arch/default.json is the default;
// `--arch FILE` selects another) read by the ISA simulator, the RTL build, the compiler and the
// estimator. Format and rules: docs/arch-config.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace qsa::isa {

struct ArchConfig {
  std::string name = "default";
  // Systolic array: ROWS input lanes (the reduction dimension) × COLS output lanes.
  int rows = 16;
  int cols = 16;
  // Operand and accumulator widths (only 8, 8 and 32 are implemented).
  int input_bits = 8;
  int weight_bits = 8;
  int acc_bits = 32;
  // On-chip memories. A scratchpad row holds ROWS bytes; an accumulator row and a parameter row
  // hold COLS int32 values.
  std::int64_t scratchpad_bytes = 256 * 1024;
  std::int64_t accumulator_bytes = 64 * 1024;
  std::int64_t param_rows = 256;
  int scratchpad_banks = 4;
  int accumulator_banks = 2;
  // Instruction queue and token queue depths.
  int instruction_queue_depth = 16;
  int token_queue_depth = 8;
  // Timing (not part of the architecture hash: a program runs unchanged at any of these).
  double clock_mhz = 1000.0;
  int dram_latency_cycles = 100;
  int dram_bytes_per_cycle = 16;

  std::int64_t scratchpad_rows() const { return scratchpad_bytes / rows; }
  std::int64_t accumulator_rows() const { return accumulator_bytes / (4 * std::int64_t{cols}); }

  // FNV-1a 64 over the fields a program's meaning depends on (array shape, widths, memory
  // sizes); a program file records it and refuses to run on a configuration with another hash.
  std::uint64_t Hash() const;
  // The hash as 16 lowercase hex digits.
  std::string HashHex() const;
};

// Parses a configuration. Keys left out take the default configuration's values; an unknown key,
// a value of the wrong type or an impossible configuration throws qsa::Error naming `source`,
// the key and the rule broken ("arch 8x8.json: array.rows is 0; must be a power of two in
// 1..128").
ArchConfig ParseArchConfig(const nlohmann::json& j, const std::string& source);
// Reads and parses a JSON file.
ArchConfig LoadArchConfig(const std::string& path);
// The built-in default configuration (model/isa/arch/default.json, compiled in).
const ArchConfig& DefaultArchConfig();
// `path` when not empty, else the default.
ArchConfig LoadArchConfigOrDefault(const std::string& path);
// Every field, in the file format.
nlohmann::json ArchConfigToJson(const ArchConfig& arch);
// Checks the rules of docs/arch-config.md; throws qsa::Error naming `source` and the rule.
void ValidateArchConfig(const ArchConfig& arch, const std::string& source);

// The text of model/isa/arch/default.json (generated at configure time).
std::string_view DefaultArchJson();

}  // namespace qsa::isa

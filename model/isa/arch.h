// The architecture configuration: one JSON file (model/isa/arch/default.json is the default;
// `--arch FILE` selects another) read by the ISA simulator, the RTL build, the compiler and the
// estimator. Format and rules: docs/arch-config.md.
#pragma once

#include <array>
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
  // SRAM banks (simple dual-port macros: one read and one write per cycle each) of the
  // scratchpad and the accumulator; the high row bits select the bank (docs/rtl.md, "Memories").
  // Not part of the architecture hash: banks change cycles, never results.
  int scratchpad_banks = 4;
  int accumulator_banks = 2;
  // Cycles from an SRAM read to its data: 1 (the macro's output register) or 2 (one more output
  // register stage, as a compiled SRAM at speed or an FPGA block RAM with its output register
  // has). Not part of the architecture hash either: it changes cycles, never results.
  int sram_read_latency = 1;
  // Instruction queue and token queue depths.
  int instruction_queue_depth = 16;
  int token_queue_depth = 8;
  // Timing (not part of the architecture hash: a program runs unchanged at any of these).
  double clock_mhz = 500.0;  // docs/rtl.md, "Logic depth": no timing closure claims more
  int dram_latency_cycles = 100;
  int dram_bytes_per_cycle = 16;

  std::int64_t scratchpad_rows() const { return scratchpad_bytes / rows; }
  std::int64_t accumulator_rows() const { return accumulator_bytes / (4 * std::int64_t{cols}); }
  // The bank of scratchpad row r: r / (rows / banks).
  std::int64_t scratchpad_bank(std::int64_t r) const {
    return r / (scratchpad_rows() / scratchpad_banks);
  }

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
// The same from the text of a file.
ArchConfig ParseArchConfigText(std::string_view text, const std::string& source);
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

// The parameters of the accelerator RTL's top module (qsa_top) for a configuration. They are
// derived here and nowhere else: the RTL build, the model cache (sim/rtl_model_cache.h) and
// scripts/rtl_check.sh take them from qsa_archgen (gen/archgen.cc), which prints them.
struct RtlParams {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t sp_rows = 0;   // scratchpad rows of ROWS bytes
  std::int64_t acc_rows = 0;  // accumulator rows of COLS int32 values
  std::int64_t param_rows = 0;
  std::int64_t sp_banks = 0;
  std::int64_t acc_banks = 0;
  std::int64_t read_latency = 0;  // SRAM read latency in cycles
  std::int64_t insn_depth = 0;
  std::int64_t token_depth = 0;
  bool operator==(const RtlParams& other) const = default;
};
RtlParams RtlParamsOf(const ArchConfig& arch);

// One RTL parameter: its name in qsa_top, its name in the build and the model's C++ shim
// (QSA_RTL_<macro>), its letter in the model key, and its field.
struct RtlParamField {
  std::string_view top_name;
  std::string_view macro;
  std::string_view key_letter;
  std::int64_t RtlParams::*field;
};
// Every parameter, in the order of the key.
inline constexpr std::array<RtlParamField, 10> kRtlParamFields = {{
    {"ArrayRows", "ROWS", "r", &RtlParams::rows},
    {"ArrayCols", "COLS", "c", &RtlParams::cols},
    {"SpRows", "SP_ROWS", "s", &RtlParams::sp_rows},
    {"AccRows", "ACC_ROWS", "a", &RtlParams::acc_rows},
    {"ParamRows", "PARAM_ROWS", "p", &RtlParams::param_rows},
    {"SpBanks", "SP_BANKS", "b", &RtlParams::sp_banks},
    {"AccBanks", "ACC_BANKS", "x", &RtlParams::acc_banks},
    {"ReadLatency", "READ_LATENCY", "l", &RtlParams::read_latency},
    {"InsnDepth", "INSN_DEPTH", "q", &RtlParams::insn_depth},
    {"TokenDepth", "TOKEN_DEPTH", "t", &RtlParams::token_depth},
}};

// The name of a configuration's verilated model library: each parameter's key letter and value,
// "r16c16s16384a1024p256b4x2l1q16t8" for the default.
std::string RtlModelKey(const RtlParams& params);

// The key and the RTL parameters of `arch` as CMake set() commands (QSA_RTL_KEY, QSA_RTL_<macro>,
// QSA_RTL_TOP_PARAMS as a list of Name=value, QSA_RTL_DEFINES as a list of QSA_RTL_<macro>=value)
// and as POSIX shell assignments of the same variables (lists separated by spaces). These are
// qsa_archgen's outputs; docs/arch-config.md shows them.
std::string RtlParamsCMake(const ArchConfig& arch);
std::string RtlParamsShell(const ArchConfig& arch);

}  // namespace qsa::isa

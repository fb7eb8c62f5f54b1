// The energy table: picojoules per architectural event, from published 45 nm figures
// (compiler/estimate/energy/default.json, compiled in; `--energy FILE` reads another), and the
// per-event energies it gives an architecture configuration. The model and its sources:
// docs/estimation.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/isa/arch.h"

namespace qsa::estimate {

struct EnergyTable {
  std::string name;
  std::vector<std::string> sources;
  // Arithmetic, pJ per operation.
  double int8_add = 0, int8_mult = 0, int32_add = 0, int32_mult = 0, fp32_add = 0, fp32_mult = 0;
  // SRAM: one access of `sram_reference_width_bits` to a bank of `sram_reference_bytes` costs
  // `sram_reference_pj`; other banks scale linearly with the width and with
  // (depth / reference depth)^sram_depth_exponent. A write costs write_factor times a read.
  double sram_reference_pj = 0, sram_reference_bytes = 0, sram_reference_width_bits = 0;
  double sram_depth_exponent = 0, sram_write_factor = 0;
  double dram_pj_per_byte = 0;
  double instruction_pj = 0;                // fetching, checking and issuing one instruction
  double leakage_pj_per_cycle_per_kib = 0;  // static energy per cycle per KiB of on-chip SRAM
};

// Parses a table. Every key is required; an unknown key, a value of the wrong type, a negative
// or non-finite number throws qsa::Error naming `source` and the key ("energy my.json:
// ops_pj.int8_mult is -1; must be a finite number >= 0").
EnergyTable ParseEnergyTableText(std::string_view text, const std::string& source);
EnergyTable LoadEnergyTable(const std::string& path);
// The built-in table (energy/default.json).
const EnergyTable& DefaultEnergyTable();
std::string_view DefaultEnergyJson();
// `path` when not empty, else the default.
EnergyTable LoadEnergyTableOrDefault(const std::string& path);
nlohmann::json EnergyTableToJson(const EnergyTable& table);

// One access (read) of a bank `width_bits` wide and `depth` rows deep, by the scaling rule.
double SramAccessPj(const EnergyTable& table, double width_bits, double depth);

// An on-chip memory as the energy model sees it: its banks' geometry.
struct BankGeometry {
  std::string name;
  std::int64_t width_bits = 0;  // one row
  std::int64_t depth = 0;       // rows per bank
  std::int64_t banks = 0;
  double read_pj = 0;  // one row read (SramAccessPj)
  double write_pj = 0;
  std::int64_t Bytes() const { return width_bits / 8 * depth * banks; }
};
// Scratchpad (ROWS bytes wide), accumulator (COLS int32), parameter buffer (COLS int32), each
// bank `rows / banks` deep (model/isa/arch.h).
std::vector<BankGeometry> MemoryBanks(const isa::ArchConfig& arch, const EnergyTable& table);

// pJ per event on one architecture. With `fp32`, a float32 accelerator with the same array and
// memories: fp32 multiply and add per MAC, fp32 adds in the vector unit, and every scratchpad
// and DRAM byte of an int8 operand four bytes.
struct EventEnergies {
  double mac = 0;         // one multiply-accumulate issued in the array
  double accumulate = 0;  // one value added into an accumulator row already written
  double requant = 0;     // one output value of post (bias, multiply, round, shift, clamp)
  double vadd = 0;        // one output value of vadd (two rescales and an add)
  double pool_tap = 0;    // one input value pool reads
  double sp_read_byte = 0, sp_write_byte = 0;
  double acc_read_byte = 0, acc_write_byte = 0;
  double param_read_byte = 0, param_write_byte = 0;
  double dram_byte = 0;
  double instruction = 0;
  double leakage_per_cycle = 0;
};
EventEnergies EventEnergiesOf(const isa::ArchConfig& arch, const EnergyTable& table, bool fp32);

}  // namespace qsa::estimate

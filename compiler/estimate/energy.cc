#include "compiler/estimate/energy.h"

#include <cmath>
#include <set>
#include <sstream>

#include "model/base/error.h"
#include "model/base/json_text.h"
#include "model/base/read_file.h"
#include "model/base/text.h"

namespace qsa::estimate {

namespace {

using nlohmann::json;

// Strict typed access naming the key path ("ops_pj.int8_mult").
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  // Refuses any key of the object at `path` that is not in `known`.
  void OnlyKeys(const json& object, const std::string& path,
                const std::set<std::string>& known) const {
    if (!object.is_object()) Fail(path.empty() ? "the file" : path, "must be an object");
    for (const auto& [key, value] : object.items()) {
      if (known.count(key) == 0) {
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        Fail(Join(path, key), "is not a key of the energy table (known here: " + list + ")");
      }
    }
  }
  const json& At(const json& object, const std::string& path, const std::string& key) const {
    const auto it = object.find(key);
    if (it == object.end()) Fail(Join(path, key), "is missing");
    return *it;
  }
  double Number(const json& object, const std::string& path, const std::string& key) const {
    const json& v = At(object, path, key);
    if (!v.is_number())
      Fail(Join(path, key), "must be a number, not " + std::string(v.type_name()));
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < 0) {
      std::ostringstream text;
      text << "is " << d << "; must be a finite number >= 0";
      Fail(Join(path, key), text.str());
    }
    return d;
  }
  double Positive(const json& object, const std::string& path, const std::string& key) const {
    const double d = Number(object, path, key);
    if (d <= 0) Fail(Join(path, key), "is 0; must be above 0");
    return d;
  }
  std::string String(const json& object, const std::string& path, const std::string& key) const {
    const json& v = At(object, path, key);
    if (!v.is_string())
      Fail(Join(path, key), "must be a string, not " + std::string(v.type_name()));
    return v.get<std::string>();
  }
  [[noreturn]] void Fail(const std::string& key, const std::string& problem) const {
    throw Error("energy " + source_ + ": " + key + " " + problem);
  }

 private:
  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  std::string source_;
};

}  // namespace

EnergyTable ParseEnergyTableText(std::string_view text, const std::string& source) {
  const json j = base::ParseJsonText(text, "energy " + source);
  const Reader r(source);
  r.OnlyKeys(j, "",
             {"format", "name", "sources", "ops_pj", "sram", "dram_pj_per_byte", "instruction_pj",
              "leakage_pj_per_cycle_per_kib"});
  if (r.String(j, "", "format") != "qsa-energy") r.Fail("format", "must be \"qsa-energy\"");
  EnergyTable t;
  t.name = r.String(j, "", "name");
  const json& sources = r.At(j, "", "sources");
  if (!sources.is_array()) r.Fail("sources", "must be an array of strings");
  for (const json& s : sources) {
    if (!s.is_string()) r.Fail("sources", "must be an array of strings");
    t.sources.push_back(s.get<std::string>());
  }
  const json& ops = r.At(j, "", "ops_pj");
  r.OnlyKeys(ops, "ops_pj",
             {"int8_add", "int8_mult", "int32_add", "int32_mult", "fp32_add", "fp32_mult"});
  t.int8_add = r.Number(ops, "ops_pj", "int8_add");
  t.int8_mult = r.Number(ops, "ops_pj", "int8_mult");
  t.int32_add = r.Number(ops, "ops_pj", "int32_add");
  t.int32_mult = r.Number(ops, "ops_pj", "int32_mult");
  t.fp32_add = r.Number(ops, "ops_pj", "fp32_add");
  t.fp32_mult = r.Number(ops, "ops_pj", "fp32_mult");
  const json& sram = r.At(j, "", "sram");
  r.OnlyKeys(sram, "sram",
             {"reference_pj", "reference_bytes", "reference_width_bits", "depth_exponent",
              "write_factor"});
  t.sram_reference_pj = r.Number(sram, "sram", "reference_pj");
  t.sram_reference_bytes = r.Positive(sram, "sram", "reference_bytes");
  t.sram_reference_width_bits = r.Positive(sram, "sram", "reference_width_bits");
  t.sram_depth_exponent = r.Number(sram, "sram", "depth_exponent");
  t.sram_write_factor = r.Number(sram, "sram", "write_factor");
  t.dram_pj_per_byte = r.Number(j, "", "dram_pj_per_byte");
  t.instruction_pj = r.Number(j, "", "instruction_pj");
  t.leakage_pj_per_cycle_per_kib = r.Number(j, "", "leakage_pj_per_cycle_per_kib");
  return t;
}

EnergyTable LoadEnergyTable(const std::string& path) {
  return ParseEnergyTableText(base::ReadRegularFile(path, base::kMaxTextFileBytes),
                              base::QuotePath(path));
}

const EnergyTable& DefaultEnergyTable() {
  static const EnergyTable table = ParseEnergyTableText(DefaultEnergyJson(), "(built-in)");
  return table;
}

EnergyTable LoadEnergyTableOrDefault(const std::string& path) {
  return path.empty() ? DefaultEnergyTable() : LoadEnergyTable(path);
}

json EnergyTableToJson(const EnergyTable& t) {
  return {{"format", "qsa-energy"},
          {"name", t.name},
          {"sources", t.sources},
          {"ops_pj",
           {{"int8_add", t.int8_add},
            {"int8_mult", t.int8_mult},
            {"int32_add", t.int32_add},
            {"int32_mult", t.int32_mult},
            {"fp32_add", t.fp32_add},
            {"fp32_mult", t.fp32_mult}}},
          {"sram",
           {{"reference_pj", t.sram_reference_pj},
            {"reference_bytes", t.sram_reference_bytes},
            {"reference_width_bits", t.sram_reference_width_bits},
            {"depth_exponent", t.sram_depth_exponent},
            {"write_factor", t.sram_write_factor}}},
          {"dram_pj_per_byte", t.dram_pj_per_byte},
          {"instruction_pj", t.instruction_pj},
          {"leakage_pj_per_cycle_per_kib", t.leakage_pj_per_cycle_per_kib}};
}

double SramAccessPj(const EnergyTable& t, double width_bits, double depth) {
  const double reference_depth = t.sram_reference_bytes * 8 / t.sram_reference_width_bits;
  return t.sram_reference_pj * (width_bits / t.sram_reference_width_bits) *
         std::pow(depth / reference_depth, t.sram_depth_exponent);
}

std::vector<BankGeometry> MemoryBanks(const isa::ArchConfig& arch, const EnergyTable& table) {
  std::vector<BankGeometry> banks = {
      {"scratchpad", std::int64_t{8} * arch.rows, arch.scratchpad_rows() / arch.scratchpad_banks,
       arch.scratchpad_banks, 0, 0},
      {"accumulator", std::int64_t{32} * arch.cols,
       arch.accumulator_rows() / arch.accumulator_banks, arch.accumulator_banks, 0, 0},
      {"parameter buffer", std::int64_t{32} * arch.cols, arch.param_rows, 1, 0, 0},
  };
  for (BankGeometry& b : banks) {
    b.read_pj =
        SramAccessPj(table, static_cast<double>(b.width_bits), static_cast<double>(b.depth));
    b.write_pj = b.read_pj * table.sram_write_factor;
  }
  return banks;
}

EventEnergies EventEnergiesOf(const isa::ArchConfig& arch, const EnergyTable& t, bool fp32) {
  const std::vector<BankGeometry> banks = MemoryBanks(arch, t);
  EventEnergies e;
  // The array's partial sums are int32: a MAC is an 8-bit multiply and a 32-bit add.
  e.mac = fp32 ? t.fp32_mult + t.fp32_add : t.int8_mult + t.int32_add;
  e.accumulate = fp32 ? t.fp32_add : t.int32_add;
  // post: bias add, the 32-bit multiplier, the rounding add (shift and clamp are wiring and
  // comparators, below these). fp32: the bias add.
  e.requant = fp32 ? t.fp32_add : t.int32_mult + 2 * t.int32_add;
  // vadd: each operand rescaled (a multiply and a rounding add), the sum, the output requantized.
  e.vadd = fp32 ? t.fp32_add : 3 * t.int32_mult + 4 * t.int32_add;
  e.pool_tap = fp32 ? t.fp32_add : t.int32_add;
  const double operand = fp32 ? 4.0 : 1.0;  // bytes per int8 operand byte
  const auto per_byte = [](const BankGeometry& b, double pj) {
    return pj / static_cast<double>(b.width_bits / 8);
  };
  e.sp_read_byte = operand * per_byte(banks[0], banks[0].read_pj);
  e.sp_write_byte = operand * per_byte(banks[0], banks[0].write_pj);
  e.acc_read_byte = per_byte(banks[1], banks[1].read_pj);
  e.acc_write_byte = per_byte(banks[1], banks[1].write_pj);
  e.param_read_byte = per_byte(banks[2], banks[2].read_pj);
  e.param_write_byte = per_byte(banks[2], banks[2].write_pj);
  e.dram_byte = operand * t.dram_pj_per_byte;
  e.instruction = t.instruction_pj;
  std::int64_t bytes = 0;
  for (const BankGeometry& b : banks) bytes += b.Bytes();
  // The table's leakage is per cycle of a 1 GHz clock: a slower clock leaks longer per cycle.
  e.leakage_per_cycle = t.leakage_pj_per_cycle_per_kib * static_cast<double>(bytes) / 1024.0 *
                        (1000.0 / arch.clock_mhz);
  return e;
}

}  // namespace qsa::estimate

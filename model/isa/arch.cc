#include "model/isa/arch.h"

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "model/base/error.h"
#include "model/base/fnv.h"
#include "model/base/hex.h"
#include "model/base/json_text.h"
#include "model/base/read_file.h"

namespace qsa::isa {
namespace {

constexpr int kMaxLanes = 128;            // lane counts are 8-bit instruction fields
constexpr std::int64_t kMaxRows = 65536;  // row addresses are 16-bit instruction fields
constexpr int kMaxQueueDepth = 1024;

bool IsPowerOfTwo(std::int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

[[noreturn]] void Fail(const std::string& source, const std::string& message) {
  throw Error("arch " + source + ": " + message);
}

// Reads the keys of one JSON object into the fields bound to them, refusing unknown keys.
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& j, std::string path, const std::string& source)
      : j_(j), path_(std::move(path)), source_(source) {
    if (!j_.is_object()) Fail(source_, Where() + "must be a JSON object");
  }

  void Int(const std::string& key, int& out) {
    std::int64_t v = out;
    Int64(key, v);
    if (v < INT32_MIN || v > INT32_MAX) Fail(source_, Key(key) + " is out of range");
    out = static_cast<int>(v);
  }
  void Int64(const std::string& key, std::int64_t& out) {
    known_.insert(key);
    if (!j_.contains(key)) return;
    const nlohmann::json& v = j_.at(key);
    if (!v.is_number_integer()) Fail(source_, Key(key) + " must be an integer");
    out = v.get<std::int64_t>();
  }
  void Double(const std::string& key, double& out) {
    known_.insert(key);
    if (!j_.contains(key)) return;
    const nlohmann::json& v = j_.at(key);
    if (!v.is_number()) Fail(source_, Key(key) + " must be a number");
    out = v.get<double>();
  }
  void String(const std::string& key, std::string& out) {
    known_.insert(key);
    if (!j_.contains(key)) return;
    const nlohmann::json& v = j_.at(key);
    if (!v.is_string()) Fail(source_, Key(key) + " must be a string");
    out = v.get<std::string>();
  }
  // A nested object, read by `read` when present.
  template <typename F>
  void Object(const std::string& key, F read) {
    known_.insert(key);
    if (!j_.contains(key)) return;
    ObjectReader inner(j_.at(key), Key(key), source_);
    read(inner);
    inner.Finish();
  }
  void Finish() const {
    for (const auto& [key, value] : j_.items()) {
      if (!known_.contains(key)) Fail(source_, "unknown key " + Key(key));
    }
  }

 private:
  std::string Where() const { return path_.empty() ? "the file " : path_ + " "; }
  std::string Key(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const nlohmann::json& j_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> known_;
};

void CheckRange(const std::string& source, const std::string& key, std::int64_t v, std::int64_t lo,
                std::int64_t hi, bool power_of_two) {
  const bool ok = v >= lo && v <= hi && (!power_of_two || IsPowerOfTwo(v));
  if (ok) return;
  Fail(source, key + " is " + std::to_string(v) + "; must be " +
                   (power_of_two ? "a power of two in " : "in ") + std::to_string(lo) + ".." +
                   std::to_string(hi));
}

}  // namespace

std::uint64_t ArchConfig::Hash() const {
  std::ostringstream s;
  s << "qsa-arch-v1;rows=" << rows << ";cols=" << cols << ";input_bits=" << input_bits
    << ";weight_bits=" << weight_bits << ";acc_bits=" << acc_bits
    << ";scratchpad_bytes=" << scratchpad_bytes << ";accumulator_bytes=" << accumulator_bytes
    << ";param_rows=" << param_rows;
  std::uint64_t h = base::kFnv1a64Offset;
  for (unsigned char c : s.str()) h = base::Fnv1a64(h, c, 1);
  return h;
}

std::string ArchConfig::HashHex() const { return base::HexDigits(Hash(), 16); }

void ValidateArchConfig(const ArchConfig& a, const std::string& source) {
  CheckRange(source, "array.rows", a.rows, 1, kMaxLanes, true);
  CheckRange(source, "array.cols", a.cols, 1, kMaxLanes, true);
  if (a.input_bits != 8 || a.weight_bits != 8 || a.acc_bits != 32) {
    Fail(source, "bits are input " + std::to_string(a.input_bits) + ", weight " +
                     std::to_string(a.weight_bits) + ", accumulator " + std::to_string(a.acc_bits) +
                     "; only 8, 8 and 32 are implemented");
  }
  CheckRange(source, "memory.scratchpad_banks", a.scratchpad_banks, 1, 64, true);
  CheckRange(source, "memory.accumulator_banks", a.accumulator_banks, 1, 64, true);
  if (a.sram_read_latency != 1 && a.sram_read_latency != 2) {
    Fail(source, "memory.sram_read_latency is " + std::to_string(a.sram_read_latency) +
                     "; must be 1 or 2 (cycles from an SRAM read to its data)");
  }
  if (a.scratchpad_bytes <= 0 || a.scratchpad_bytes % a.rows != 0 ||
      !IsPowerOfTwo(a.scratchpad_rows())) {
    Fail(source, "memory.scratchpad_kib gives " + std::to_string(a.scratchpad_bytes) +
                     " bytes; must be a power-of-two number of " + std::to_string(a.rows) +
                     "-byte rows");
  }
  const std::int64_t acc_row_bytes = 4 * std::int64_t{a.cols};
  if (a.accumulator_bytes <= 0 || a.accumulator_bytes % acc_row_bytes != 0 ||
      !IsPowerOfTwo(a.accumulator_rows())) {
    Fail(source, "memory.accumulator_kib gives " + std::to_string(a.accumulator_bytes) +
                     " bytes; must be a power-of-two number of " + std::to_string(acc_row_bytes) +
                     "-byte rows");
  }
  const std::int64_t sp_rows = a.scratchpad_rows();
  const std::int64_t acc_rows = a.accumulator_rows();
  const std::int64_t sp_min = 2 * std::int64_t{a.cols} + 2 * std::int64_t{a.rows};
  if (sp_rows < sp_min) {
    Fail(source, "scratchpad of " + std::to_string(sp_rows) + " rows is too small for one tile: " +
                     "two weight tiles and two activation tiles need " + std::to_string(sp_min) +
                     " rows of " + std::to_string(a.rows) + " bytes");
  }
  if (sp_rows > kMaxRows) {
    Fail(source, "scratchpad of " + std::to_string(sp_rows) + " rows exceeds the " +
                     std::to_string(kMaxRows) + " rows a 16-bit row address reaches");
  }
  if (acc_rows < 2 * std::int64_t{a.rows}) {
    Fail(source, "accumulator of " + std::to_string(acc_rows) +
                     " rows is too small for one tile: two output tiles need " +
                     std::to_string(2 * a.rows) + " rows");
  }
  if (acc_rows > kMaxRows) {
    Fail(source, "accumulator of " + std::to_string(acc_rows) + " rows exceeds the " +
                     std::to_string(kMaxRows) + " rows a 16-bit row address reaches");
  }
  if (sp_rows % a.scratchpad_banks != 0 || acc_rows % a.accumulator_banks != 0) {
    Fail(source, "memory banks must divide the rows of their memory");
  }
  CheckRange(source, "memory.param_rows", a.param_rows, 8, kMaxRows, true);
  CheckRange(source, "queues.instruction_depth", a.instruction_queue_depth, 1, kMaxQueueDepth,
             true);
  CheckRange(source, "queues.token_depth", a.token_queue_depth, 1, kMaxQueueDepth, true);
  if (!std::isfinite(a.clock_mhz) || a.clock_mhz <= 0) {
    Fail(source, "clock_mhz must be a positive number");
  }
  CheckRange(source, "dram.latency_cycles", a.dram_latency_cycles, 1, 100000, false);
  CheckRange(source, "dram.bytes_per_cycle", a.dram_bytes_per_cycle, 1, 1024, true);
}

namespace {

// Reads `j` over `base`: keys left out keep base's values.
ArchConfig ParseOver(const ArchConfig& base, const nlohmann::json& j, const std::string& source) {
  ArchConfig a = base;
  std::int64_t sp_kib = a.scratchpad_bytes / 1024;
  std::int64_t acc_kib = a.accumulator_bytes / 1024;
  ObjectReader top(j, "", source);
  top.String("name", a.name);
  top.Object("array", [&](ObjectReader& r) {
    r.Int("rows", a.rows);
    r.Int("cols", a.cols);
  });
  top.Object("bits", [&](ObjectReader& r) {
    r.Int("input", a.input_bits);
    r.Int("weight", a.weight_bits);
    r.Int("accumulator", a.acc_bits);
  });
  top.Object("memory", [&](ObjectReader& r) {
    r.Int64("scratchpad_kib", sp_kib);
    r.Int64("accumulator_kib", acc_kib);
    r.Int64("param_rows", a.param_rows);
    r.Int("scratchpad_banks", a.scratchpad_banks);
    r.Int("accumulator_banks", a.accumulator_banks);
    r.Int("sram_read_latency", a.sram_read_latency);
  });
  top.Object("queues", [&](ObjectReader& r) {
    r.Int("instruction_depth", a.instruction_queue_depth);
    r.Int("token_depth", a.token_queue_depth);
  });
  top.Double("clock_mhz", a.clock_mhz);
  top.Object("dram", [&](ObjectReader& r) {
    r.Int("latency_cycles", a.dram_latency_cycles);
    r.Int("bytes_per_cycle", a.dram_bytes_per_cycle);
  });
  top.Finish();
  CheckRange(source, "memory.scratchpad_kib", sp_kib, 1, 1 << 20, false);
  CheckRange(source, "memory.accumulator_kib", acc_kib, 1, 1 << 20, false);
  a.scratchpad_bytes = sp_kib * 1024;
  a.accumulator_bytes = acc_kib * 1024;
  ValidateArchConfig(a, source);
  return a;
}

}  // namespace

ArchConfig ParseArchConfig(const nlohmann::json& j, const std::string& source) {
  return ParseOver(DefaultArchConfig(), j, source);
}

ArchConfig LoadArchConfig(const std::string& path) {
  const std::string text = [&] {
    try {
      return base::ReadRegularFile(path, base::kMaxTextFileBytes);
    } catch (const Error& e) {
      throw Error(std::string("arch: ") + e.what());
    }
  }();
  return ParseArchConfigText(text, path);
}

ArchConfig ParseArchConfigText(std::string_view text, const std::string& source) {
  return ParseArchConfig(base::ParseJsonText(text, "arch " + base::QuotePath(source)), source);
}

const ArchConfig& DefaultArchConfig() {
  static const ArchConfig kDefault = [] {
    return ParseOver(ArchConfig{}, nlohmann::json::parse(DefaultArchJson()), "(built-in default)");
  }();
  return kDefault;
}

ArchConfig LoadArchConfigOrDefault(const std::string& path) {
  return path.empty() ? DefaultArchConfig() : LoadArchConfig(path);
}

nlohmann::json ArchConfigToJson(const ArchConfig& a) {
  return {
      {"name", a.name},
      {"array", {{"rows", a.rows}, {"cols", a.cols}}},
      {"bits", {{"input", a.input_bits}, {"weight", a.weight_bits}, {"accumulator", a.acc_bits}}},
      {"memory",
       {{"scratchpad_kib", a.scratchpad_bytes / 1024},
        {"accumulator_kib", a.accumulator_bytes / 1024},
        {"param_rows", a.param_rows},
        {"scratchpad_banks", a.scratchpad_banks},
        {"accumulator_banks", a.accumulator_banks},
        {"sram_read_latency", a.sram_read_latency}}},
      {"queues",
       {{"instruction_depth", a.instruction_queue_depth}, {"token_depth", a.token_queue_depth}}},
      {"clock_mhz", a.clock_mhz},
      {"dram",
       {{"latency_cycles", a.dram_latency_cycles}, {"bytes_per_cycle", a.dram_bytes_per_cycle}}},
  };
}

RtlParams RtlParamsOf(const ArchConfig& a) {
  return RtlParams{a.rows,
                   a.cols,
                   a.scratchpad_rows(),
                   a.accumulator_rows(),
                   a.param_rows,
                   a.scratchpad_banks,
                   a.accumulator_banks,
                   a.sram_read_latency,
                   a.instruction_queue_depth,
                   a.token_queue_depth};
}

std::string RtlModelKey(const RtlParams& p) {
  std::string key;
  for (const RtlParamField& f : kRtlParamFields) {
    key += f.key_letter;
    key += std::to_string(p.*f.field);
  }
  return key;
}

namespace {

// The variables both formats assign, in order: name and value.
std::vector<std::pair<std::string, std::string>> RtlVariables(const ArchConfig& a,
                                                              const std::string& list_separator) {
  const RtlParams p = RtlParamsOf(a);
  std::vector<std::pair<std::string, std::string>> vars = {{"QSA_RTL_KEY", RtlModelKey(p)}};
  std::string top_params;
  std::string defines;
  for (const RtlParamField& f : kRtlParamFields) {
    const std::string name = "QSA_RTL_" + std::string(f.macro);
    const std::string value = std::to_string(p.*f.field);
    vars.emplace_back(name, value);
    const std::string separator = top_params.empty() ? "" : list_separator;
    top_params += separator + std::string(f.top_name) + "=" + value;
    defines += separator + name + "=" + value;
  }
  vars.emplace_back("QSA_RTL_TOP_PARAMS", top_params);
  vars.emplace_back("QSA_RTL_DEFINES", defines);
  return vars;
}

// The first line of both formats (a comment in CMake and in the shell).
constexpr std::string_view kGeneratedHeader =
    "# RTL parameters derived by ArchConfig (model/isa/arch.h), written by qsa_archgen. Do not "
    "edit.\n";

}  // namespace

std::string RtlParamsCMake(const ArchConfig& a) {
  std::string text(kGeneratedHeader);
  for (const auto& [name, value] : RtlVariables(a, ";")) {
    text += "set(" + name + " \"" + value + "\")\n";
  }
  return text;
}

std::string RtlParamsShell(const ArchConfig& a) {
  std::string text(kGeneratedHeader);
  for (const auto& [name, value] : RtlVariables(a, " ")) {
    text += name + "='" + value + "'\n";
  }
  return text;
}

}  // namespace qsa::isa

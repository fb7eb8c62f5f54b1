#include "tools/tool_util.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "model/base/error.h"
#include "model/base/install_layout.h"
#include "model/base/read_file.h"
#include "model/base/text.h"
#include "model/golden/npy.h"
#include "model/isa/assembler.h"
#include "model/isa/isa.h"

namespace qsa::tools {

using golden::Tensor;

std::vector<InputSpec> ParseInputSpecs(const std::vector<std::string>& values) {
  std::vector<InputSpec> specs;
  for (const std::string& value : values) {
    const std::size_t eq = value.find('=');
    const std::size_t slash = value.find('/');
    InputSpec spec;
    // "NAME=FILE": the name is what precedes the first '=', unless that part holds a '/' (then the
    // whole value is a path that happens to contain '=').
    if (eq != std::string::npos && eq > 0 && (slash == std::string::npos || slash > eq)) {
      spec.name = value.substr(0, eq);
      spec.path = value.substr(eq + 1);
    } else {
      spec.path = value;
    }
    if (spec.path.empty()) throw Error("--input '" + value + "': missing file name after '='");
    specs.push_back(std::move(spec));
  }
  return specs;
}

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string s;
  for (const std::string& item : items) s += (s.empty() ? "" : ", ") + item;
  return s;
}

std::string InfoText(const golden::TensorInfo& info) {
  return std::string(golden::DTypeName(info.dtype)) + golden::ShapeToString(info.shape);
}

}  // namespace

InputFiles ReadInputFiles(const std::vector<InputSpec>& specs) {
  InputFiles files;
  for (const InputSpec& spec : specs) {
    Tensor value = golden::ReadNpy(spec.path);
    if (spec.name.empty()) {
      if (files.unnamed) {
        throw Error("only one --input may omit its name; write --input NAME=FILE.npy for each of " +
                    files.unnamed->first + ", " + spec.path);
      }
      files.unnamed.emplace(spec.path, std::move(value));
    } else if (!files.named.emplace(spec.name, std::move(value)).second) {
      throw Error("--input given twice for '" + spec.name + "'");
    } else {
      files.named_files[spec.name] = spec.path;
    }
  }
  return files;
}

AssignedInputs AssignInputs(InputFiles files, const std::vector<golden::TensorInfo>& declared,
                            const std::set<std::string>& skip, const InputOwner& owner,
                            bool require_all) {
  std::vector<std::string> names;
  std::map<std::string, const golden::TensorInfo*> info_of;
  for (const golden::TensorInfo& info : declared) {
    names.push_back(info.name);
    info_of[info.name] = &info;
  }
  AssignedInputs assigned;
  for (auto& [name, value] : files.named) {
    if (skip.count(name) != 0) continue;
    if (info_of.count(name) == 0) {
      throw Error("unknown input name '" + name + "' (--input " + name + "=" +
                  files.named_files[name] + "); " +
                  (names.empty() ? "the " + owner.noun + " has no runtime inputs"
                                 : "the " + owner.noun + "'s inputs are: " + Join(names)));
    }
    assigned.values[name] = std::move(value);
    assigned.files[name] = files.named_files[name];
  }
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    if (assigned.values.count(name) == 0) missing.push_back(name);
  }
  if (files.unnamed) {
    const std::string& path = files.unnamed->first;
    if (missing.size() != 1) {
      throw Error("--input " + path + " has no name, but the " + owner.noun + " has " +
                  std::to_string(missing.size()) + " inputs without a value" +
                  (missing.empty() ? std::string() : " (" + Join(missing) + ")") +
                  "; write --input NAME=FILE.npy");
    }
    assigned.values[missing[0]] = std::move(files.unnamed->second);
    assigned.files[missing[0]] = path;
    missing.clear();
  }
  for (const auto& [name, value] : assigned.values) {
    const golden::TensorInfo& info = *info_of.at(name);
    const std::string source = "input '" + name + "' from '" + assigned.files[name] + "'";
    if (value.dtype() != info.dtype) {
      throw Error(source + " has dtype " + std::string(golden::DTypeName(value.dtype())) +
                  " but the " + owner.noun + " expects " + InfoText(info));
    }
    if (value.shape() != info.shape) {
      throw Error(source + " has shape " + golden::ShapeToString(value.shape()) + " but the " +
                  owner.noun + " expects " + InfoText(info));
    }
  }
  if (require_all && !missing.empty()) {
    throw Error("no value for " + owner.input + " '" + missing[0] + "' (" +
                InfoText(*info_of.at(missing[0])) + "); give --input " +
                (names.size() == 1 ? "" : missing[0] + "=") + "FILE.npy");
  }
  return assigned;
}

PreparedModel PrepareModel(const std::string& model_path, const std::vector<InputSpec>& specs,
                           bool require_all) {
  InputFiles files = ReadInputFiles(specs);
  PreparedModel prepared;
  prepared.loaded = importer::LoadModel(model_path, files.named,
                                        files.unnamed ? &files.unnamed->second : nullptr);
  const golden::Graph& graph = prepared.loaded.graph;
  std::vector<golden::TensorInfo> declared;
  for (const std::string& name : graph.inputs) declared.push_back(graph.Info(name));
  AssignedInputs assigned = AssignInputs(std::move(files), declared, prepared.loaded.bound,
                                         {"model", "graph input"}, require_all);
  prepared.feeds = std::move(assigned.values);
  prepared.feed_files = std::move(assigned.files);
  return prepared;
}

CLI::Validator FiniteIn(double lo, double hi) {
  const std::string range = "[" + FormatFloat(lo) + ", " + FormatFloat(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v < lo ||
            v > hi) {
          return base::Quote(text) + " is not a number in " + range;
        }
        return "";
      },
      "NUMBER in " + range);
}

CLI::Validator FiniteAbove(double lo) {
  return CLI::Validator(
      [lo](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v <= lo) {
          return base::Quote(text) + " is not a finite number above " + FormatFloat(lo);
        }
        return "";
      },
      "NUMBER > " + FormatFloat(lo));
}

CLI::Validator IntegerAtLeast(std::int64_t lo) {
  return CLI::Validator(
      [lo](std::string& text) -> std::string {
        std::int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo) {
          return base::Quote(text) + " is not an integer of at least " + std::to_string(lo);
        }
        return "";
      },
      "INTEGER >= " + std::to_string(lo));
}

CLI::Option* AddRequired(CLI::App* cmd, const std::string& name, std::string& value,
                         const std::string& help, const std::string& type) {
  return cmd->add_option(name, value, help)->required()->type_name(type);
}

CLI::Option* AddInputOption(CLI::App* cmd, std::vector<std::string>& inputs,
                            const std::string& help, const std::string& type) {
  return cmd->add_option("-i,--input", inputs, help)->type_name(type)->allow_extra_args(false);
}

CLI::Option* AddArchOption(CLI::App* cmd, std::string& arch, const std::string& help) {
  return cmd->add_option("--arch", arch, help)->type_name("NAME|FILE");
}

CLI::Option* AddRequantOption(CLI::App* cmd, std::string& requant, const std::string& help) {
  return cmd->add_option("-r,--requant", requant, help)->type_name("MODE")->capture_default_str();
}

golden::RequantMode ParseRequantModeOrThrow(const std::string& name) {
  if (auto mode = golden::ParseRequantMode(name)) return *mode;
  throw Error("unknown requant mode '" + name +
              "' (expected one of: " + golden::kRequantModes.Join(", ", ", ") + ")");
}

void CheckEngine(const std::string& engine) {
  if (engine == "golden" || engine == "isa" || engine == "rtl" || engine == "systemc") return;
  throw Error("unknown engine '" + engine + "' (available: golden, isa, rtl, systemc)");
}

std::string SanitizeFileName(const std::string& name) {
  std::string s;
  for (char c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '.';
    s += keep ? c : '_';
  }
  if (s.empty() || s[0] == '.') s = "_" + s;
  return s;
}

std::string FormatFloat(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

std::string FormatPercent(double ratio) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", 100.0 * ratio);
  return buffer;
}

std::string FormatQuant(const golden::QuantParams& quant) {
  if (quant.scales.empty() && quant.zero_points.empty()) return "";
  auto range = [](const auto& values, auto format) {
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    return *lo == *hi ? format(*lo) : format(*lo) + ".." + format(*hi);
  };
  const auto fmt_scale = [](float s) { return FormatFloat(static_cast<double>(s)); };
  const auto fmt_zp = [](std::int32_t z) { return std::to_string(z); };
  std::string text;
  if (quant.per_axis()) {
    const std::size_t n = std::max(quant.scales.size(), quant.zero_points.size());
    text =
        "per-axis (axis " + std::to_string(quant.axis) + ", " + std::to_string(n) + " channels): ";
  }
  if (!quant.scales.empty()) text += "scale " + range(quant.scales, fmt_scale);
  if (!quant.zero_points.empty()) {
    if (!quant.scales.empty()) text += ", ";
    text += "zero point " + range(quant.zero_points, fmt_zp);
  }
  return text;
}

std::string FormatCount(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

std::string FormatValues(const Tensor& tensor, std::int64_t limit) {
  std::string s = "[";
  const std::int64_t n = tensor.size();
  for (std::int64_t i = 0; i < std::min(n, limit); ++i) {
    if (i) s += ", ";
    s += golden::IsInteger(tensor.dtype()) ? std::to_string(tensor.GetInt(i))
                                           : FormatFloat(tensor.GetDouble(i));
  }
  if (n > limit) s += ", ... (" + std::to_string(n) + " values)";
  return s + "]";
}

Agreement Compare(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) {
    throw Error("cannot compare " + a.Describe() + " with " + b.Describe());
  }
  Agreement agreement;
  agreement.total = a.size();
  for (std::int64_t i = 0; i < a.size(); ++i) {
    const double x = a.GetDouble(i);
    const double y = b.GetDouble(i);
    if (x == y || (std::isnan(x) && std::isnan(y))) {
      ++agreement.equal;
    } else {
      const double d = std::isnan(x) || std::isnan(y) ? INFINITY : std::fabs(x - y);
      if (agreement.first_mismatch < 0) agreement.first_mismatch = i;
      agreement.max_abs_diff = std::max(agreement.max_abs_diff, d);
    }
  }
  return agreement;
}

std::optional<std::int64_t> NodeMacs(const golden::Graph& graph, const golden::Node& node) {
  if (node.op != "Conv" && node.op != "MatMul") return std::nullopt;
  if (node.inputs.size() < 2 || node.outputs.empty()) return std::nullopt;
  const golden::Shape& out = graph.Info(node.outputs[0]).shape;
  if (node.op == "Conv") {
    const golden::Shape& w = graph.Info(node.inputs[1]).shape;
    if (w.empty()) return std::nullopt;
    return golden::NumElements(out) * golden::NumElements(golden::Shape(w.begin() + 1, w.end()));
  }
  const golden::Shape& a = graph.Info(node.inputs[0]).shape;
  if (a.empty()) return std::nullopt;
  return golden::NumElements(out) * a.back();
}

double ArrayUtilization(const isa::ArchConfig& arch, const isa::IsaRunResult& result) {
  const double peak = static_cast<double>(arch.rows) * arch.cols *
                      static_cast<double>(std::max<std::int64_t>(result.timing.cycles, 1));
  return static_cast<double>(result.counters.macs_useful) / peak;
}

void PrintIsaSummary(const isa::ArchConfig& arch, const isa::IsaRunResult& result) {
  const isa::IsaCounters& c = result.counters;
  std::string by_op;
  for (const isa::OpSpec& op : isa::kOps) {
    const std::int64_t n = c.instructions_by_opcode[op.opcode];
    if (n > 0)
      by_op += (by_op.empty() ? "" : ", ") + std::string(op.mnemonic) + " " + FormatCount(n);
  }
  const std::int64_t cycles = result.timing.cycles;
  std::cout << "isa: " << FormatCount(c.instructions) << " instructions (" << by_op << ")\n"
            << "cycles: " << FormatCount(cycles) << " estimated, "
            << FormatFloat(static_cast<double>(cycles) / arch.clock_mhz) << " us at "
            << FormatFloat(arch.clock_mhz) << " MHz (busy: load "
            << FormatCount(result.timing.busy[0]) << ", compute "
            << FormatCount(result.timing.busy[1]) << ", store "
            << FormatCount(result.timing.busy[2]) << ")\n"
            << "MACs: " << FormatCount(c.macs_issued) << " issued, " << FormatCount(c.macs_useful)
            << " useful; array utilization " << FormatPercent(ArrayUtilization(arch, result))
            << "% of " << arch.rows << "x" << arch.cols << "\n"
            << "DRAM: " << FormatCount(c.dram.bytes_read) << " bytes read, "
            << FormatCount(c.dram.bytes_written) << " bytes written\n";
}

std::vector<std::string> BundledArchNames() {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(base::DataPath("arch"), ec)) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

isa::ArchConfig LoadArch(const std::string& name_or_file) {
  namespace fs = std::filesystem;
  if (name_or_file.empty() || name_or_file == isa::DefaultArchConfig().name) {
    return isa::DefaultArchConfig();
  }
  std::error_code ec;
  const bool is_name =
      name_or_file.find('/') == std::string::npos && fs::path(name_or_file).extension() != ".json";
  if (is_name && !fs::exists(name_or_file, ec)) {
    const std::vector<std::string> names = BundledArchNames();
    if (std::find(names.begin(), names.end(), name_or_file) == names.end()) {
      std::string list;
      for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
      throw Error("no architecture named '" + name_or_file + "' (bundled: " + list +
                  "; or give a .json file)");
    }
    return isa::LoadArchConfig(base::DataPath("arch/" + name_or_file + ".json").string());
  }
  return isa::LoadArchConfig(name_or_file);
}

isa::ArchConfig ArchOfAssembly(const std::string& source) {
  std::istringstream in(base::ReadRegularFile(source, base::kMaxTextFileBytes));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string directive, name;
    if (words >> directive >> name && directive == ".arch") {
      // A name that is not bundled: the assembler's .arch check names the mismatch.
      const std::vector<std::string> names = BundledArchNames();
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        return isa::DefaultArchConfig();
      }
      return LoadArch(name);
    }
  }
  return isa::DefaultArchConfig();
}

ProgramTarget LoadProgramTarget(const std::string& path, const std::string& arch_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path source;
  std::string folder;
  if (fs::is_directory(path, ec)) {
    folder = path;
    if (!fs::exists(fs::path(path) / "program.bin", ec)) {
      std::vector<fs::path> sources;
      for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
        if (e.path().extension() == ".s") sources.push_back(e.path());
      }
      if (sources.size() != 1) {
        throw Error("'" + path + "' holds neither program.bin nor exactly one .s file (" +
                    std::to_string(sources.size()) + " .s files)");
      }
      source = sources[0];
    }
  } else if (fs::path(path).extension() == ".s") {
    source = path;
  }
  if (!source.empty()) {
    const isa::ArchConfig arch =
        arch_path.empty() ? ArchOfAssembly(source.string()) : LoadArch(arch_path);
    return ProgramTarget{arch, isa::AssembleFile(source.string(), arch), folder};
  }
  const isa::ArchConfig arch = LoadArch(arch_path);
  isa::Program program = isa::ReadProgram(path);
  isa::CheckProgramArch(program, arch, path);
  return ProgramTarget{arch, std::move(program), folder};
}

}  // namespace qsa::tools

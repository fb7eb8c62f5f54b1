// Helpers shared by the `qsa` subcommands: --input handling, model loading with runtime inputs,
// option checks, and the text forms of tensors and quantization parameters.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "compiler/importer/load_model.h"
#include "model/golden/graph.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"
#include "model/isa/arch.h"
#include "model/isa/program.h"
#include "model/isa/simulator.h"

namespace qsa::tools {

// One --input value: "NAME=FILE.npy", or "FILE.npy" (name empty) for a model with one input.
struct InputSpec {
  std::string name;
  std::string path;
};
std::vector<InputSpec> ParseInputSpecs(const std::vector<std::string>& values);

// The values of the --input files: by name, and the one given without a name (if any).
struct InputFiles {
  std::map<std::string, golden::Tensor> named;
  std::map<std::string, std::string> named_files;                 // input name → .npy path
  std::optional<std::pair<std::string, golden::Tensor>> unnamed;  // path, value
};
// Reads every file; refuses a name given twice and more than one file without a name.
InputFiles ReadInputFiles(const std::vector<InputSpec>& specs);

// How messages name what takes the inputs: {"model", "graph input"} or {"program", "program
// input"}.
struct InputOwner {
  std::string noun;
  std::string input;
};
// Values for the declared inputs, and the file each came from.
struct AssignedInputs {
  std::map<std::string, golden::Tensor> values;
  std::map<std::string, std::string> files;
};
// Gives each of `declared` its value from `files`: named values by name (a name neither declared
// nor in `skip` is an error), the unnamed one to the only declared input left without a value;
// checks dtypes and shapes. With `require_all`, every declared input must have a value.
AssignedInputs AssignInputs(InputFiles files, const std::vector<golden::TensorInfo>& declared,
                            const std::set<std::string>& skip, const InputOwner& owner,
                            bool require_all);

// A loaded model and the values of its runtime (not bound) inputs, checked against the graph.
struct PreparedModel {
  importer::LoadedModel loaded;
  std::map<std::string, golden::Tensor> feeds;
  std::map<std::string, std::string> feed_files;  // input name → .npy path it came from
};
// Reads every input file, loads the model (passing the named values so that an ONNX model can
// bind its parameter inputs), assigns an unnamed file to the one input left, and checks that every
// runtime input has a value of the declared dtype and shape. With `require_all` false, inputs
// without a value are allowed (for `qsa inspect`).
PreparedModel PrepareModel(const std::string& model_path, const std::vector<InputSpec>& specs,
                           bool require_all = true);

// ---- Options shared by the subcommands --------------------------------------------------------

// A required argument or option: cmd->add_option(name, value, help)->required()->type_name(type).
CLI::Option* AddRequired(CLI::App* cmd, const std::string& name, std::string& value,
                         const std::string& help, const std::string& type);
// -i,--input: repeatable, one value per occurrence.
CLI::Option* AddInputOption(CLI::App* cmd, std::vector<std::string>& inputs,
                            const std::string& help, const std::string& type = "[NAME=]FILE.npy");
// --arch NAME|FILE: a bundled architecture (BundledArchNames) or a configuration file.
CLI::Option* AddArchOption(
    CLI::App* cmd, std::string& arch,
    const std::string& help =
        "Architecture: a bundled name or a configuration file (default: the built-in one)");
// -r,--requant MODE, its default shown in the help.
CLI::Option* AddRequantOption(CLI::App* cmd, std::string& requant, const std::string& help);

// Option checks whose messages state the real range: a finite number in [lo, hi]; an integer of
// at least `lo`. NaN, infinities and text are refused ("--percentile: 'nan' is not a number in
// [50, 100]").
CLI::Validator FiniteIn(double lo, double hi);
CLI::Validator IntegerAtLeast(std::int64_t lo);
// A finite number above `lo` (exclusive).
CLI::Validator FiniteAbove(double lo);

// The names of an enum table (base::EnumNames), in order: an option's choices for CLI::IsMember.
template <typename Names>
std::vector<std::string> Choices(const Names& names) {
  std::vector<std::string> out;
  for (const auto& e : names) out.emplace_back(e.name);
  return out;
}

// "tflite-double" → kTfliteDouble; throws qsa::Error listing the modes otherwise.
golden::RequantMode ParseRequantModeOrThrow(const std::string& name);
// Accepts "golden", "isa" and "rtl"; throws for unknown engines.
void CheckEngine(const std::string& engine);

// A file name for a tensor name: characters other than letters, digits, '_', '-' and '.' become
// '_', and a leading '.' (or an empty name) gets a '_' in front.
std::string SanitizeFileName(const std::string& name);

// "0.0078125" — six significant digits.
std::string FormatFloat(double v);
// A ratio as a percentage with one decimal: 0.90472 -> "90.5" (no sign, no " %").
std::string FormatPercent(double ratio);
// "scale 0.02, zero point 128"; per-axis: "per-axis (axis 0, 8 channels): scale 0.0031..0.0102,
// zero point 0"; "" when there are no quantization parameters.
std::string FormatQuant(const golden::QuantParams& quant);
// "1,234,567".
std::string FormatCount(std::int64_t n);
// The first `limit` values of a tensor: "[3, -7, 12, ...]".
std::string FormatValues(const golden::Tensor& tensor, std::int64_t limit = 16);

// Element-wise agreement of two tensors of the same dtype and shape.
struct Agreement {
  std::int64_t equal = 0;
  std::int64_t total = 0;
  double max_abs_diff = 0;           // in LSB for integer tensors
  std::int64_t first_mismatch = -1;  // flat index of the first differing element, -1 if none
};
Agreement Compare(const golden::Tensor& a, const golden::Tensor& b);

// Multiply-accumulates of a Conv (output elements × weight elements per output channel) or a
// MatMul (output elements × the shared dimension); nullopt for other ops.
std::optional<std::int64_t> NodeMacs(const golden::Graph& graph, const golden::Node& node);

// The fraction of the array's peak an ISA run used: useful MACs over ROWS · COLS · cycles.
double ArrayUtilization(const isa::ArchConfig& arch, const isa::IsaRunResult& result);
// Instructions by mnemonic, estimated cycles and time, busy cycles per queue, MACs and array
// utilization, DRAM traffic — four lines on standard output.
void PrintIsaSummary(const isa::ArchConfig& arch, const isa::IsaRunResult& result);

// The names of the bundled architectures (arch/NAME.json in qsa's data folder), sorted.
std::vector<std::string> BundledArchNames();
// An architecture given as `--arch`: empty or "default" → the built-in default; a bundled NAME
// (no '/', no .json, not an existing file) → arch/NAME.json in qsa's data folder; else a file.
isa::ArchConfig LoadArch(const std::string& name_or_file);

// The architecture an assembly text names with `.arch NAME` (LoadArch), else the default.
isa::ArchConfig ArchOfAssembly(const std::string& source);

// An accelerator program given on the command line, and the configuration it runs on.
struct ProgramTarget {
  isa::ArchConfig arch;
  isa::Program program;
  std::string folder;  // the folder the program came from ("" for a file outside one)
};
// Reads PATH: a program folder (program.bin + manifest.json), a program .bin, an assembly .s
// (assembled for --arch, else for the configuration its `.arch` names), or a folder holding one
// .s file. `arch_path` ("" = default or the source's own) selects the configuration; the
// program's architecture hash must match it.
ProgramTarget LoadProgramTarget(const std::string& path, const std::string& arch_path);

}  // namespace qsa::tools

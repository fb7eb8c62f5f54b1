// qsa run: executes a model on .npy inputs and writes every graph output as DIR/<name>.npy.
#include <filesystem>
#include <iostream>
#include <set>

#include "model/error.h"
#include "model/executor.h"
#include "model/npy.h"
#include "tools/commands.h"
#include "tools/tool_util.h"

namespace qsa::tools {

CLI::App* AddRunCommand(CLI::App& app, RunArgs& args) {
  CLI::App* cmd =
      app.add_subcommand("run", "Run a model on .npy inputs, write each output to DIR/<name>.npy");
  cmd->add_option("MODEL", args.model, "A quantized .onnx model or a .json graph")
      ->required()
      ->type_name("FILE");
  cmd->add_option("-i,--input", args.inputs, "Input value; repeat for each input")
      ->type_name("[NAME=]FILE.npy")
      ->allow_extra_args(false);
  cmd->add_option("-e,--engine", args.engine, "Execution engine: golden")
      ->type_name("ENGINE")
      ->capture_default_str();
  cmd->add_option("-r,--requant", args.requant,
                  "tflite-double, single-rounding, float32-rne or float64-rne")
      ->type_name("MODE")
      ->capture_default_str();
  cmd->add_option("-o,--out", args.out_dir, "Output folder, created if missing")
      ->required()
      ->type_name("DIR");
  cmd->footer(
      "--input NAME=FILE.npy gives graph input NAME; FILE.npy alone is enough when one input is\n"
      "left without a value. Values for an ONNX model's parameter inputs (weights, scales, ...)\n"
      "are bound as constants.\n"
      "--requant: how int32 accumulators become 8-bit outputs. tflite-double: gemmlowp fixed\n"
      "point, two roundings (the hardware's arithmetic); single-rounding: fixed point, one\n"
      "rounding; float32-rne: float32 multiply, ties to even (ONNX Runtime); float64-rne: the "
      "same\n"
      "in float64 (ONNX reference).\n"
      "--engine: golden is the bit-exact reference model; isa and rtl are planned.\n"
      "Each graph output is written to DIR/<name>.npy, characters other than letters, digits, "
      "'_',\n"
      "'-' and '.' replaced by '_' (a leading '.' gets a '_' in front; names that collide get\n"
      "_2, _3, ...). One line per output is printed: name, dtype[shape], file.\n"
      "Example: qsa run examples/cnn3/cnn3.json --input examples/cnn3/input.npy --out out");
  return cmd;
}

void RunCommand(const RunArgs& args) {
  CheckEngine(args.engine);
  model::RunOptions options;
  options.mode = ParseRequantModeOrThrow(args.requant);

  PreparedModel prepared = PrepareModel(args.model, ParseInputSpecs(args.inputs));
  const model::Graph& graph = prepared.loaded.graph;
  const std::map<std::string, model::Tensor> outputs =
      model::RunGraph(graph, prepared.feeds, options);

  // One file per graph output; names that sanitize alike get "_2", "_3", ...
  std::vector<std::pair<std::string, std::string>> files;  // output name → path
  std::set<std::string> used;
  const std::filesystem::path dir(args.out_dir);
  for (const std::string& name : graph.outputs) {
    const std::string base = SanitizeFileName(name);
    std::string file = base + ".npy";
    for (int k = 2; used.count(file) != 0; ++k) file = base + "_" + std::to_string(k) + ".npy";
    used.insert(file);
    files.emplace_back(name, (dir / file).string());
  }

  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    throw Error("cannot create output folder '" + args.out_dir +
                "': a file of that name exists and is not a folder");
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw Error("cannot create output folder '" + args.out_dir + "': " + ec.message());
  }

  std::vector<std::string> written;
  for (const auto& [name, path] : files) {
    const model::Tensor& value = outputs.at(name);
    try {
      model::WriteNpy(path, value);
    } catch (const Error& e) {
      std::string message = "output '" + name + "' failed: " + e.what();
      if (!written.empty()) {
        message += " (already written:";
        for (const std::string& w : written) message += " " + w;
        message += ")";
      }
      throw Error(message);
    }
    written.push_back(path);
    std::cout << name << "  " << value.Describe() << "  " << path << "\n";
  }
}

}  // namespace qsa::tools

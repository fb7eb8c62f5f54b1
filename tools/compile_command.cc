// qsa compile: a quantized model to accelerator programs, with a per-layer report.
#include <iostream>

#include "compiler/compile.h"
#include "compiler/compiled_folder.h"
#include "compiler/importer/load_model.h"
#include "model/base/error.h"
#include "tools/commands.h"
#include "tools/compiled_target.h"
#include "tools/tool_util.h"

namespace qsa::tools {

CLI::App* AddCompileCommand(CLI::App& app, CompileArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "compile", "Compile a quantized model into accelerator programs (and host steps)");
  AddRequired(cmd, "MODEL", args.model, "A quantized .onnx/.tflite model or .json graph", "FILE");
  AddRequired(cmd, "-o,--out", args.out, "Output folder (replaced if it holds a compiled model)",
              "DIR");
  AddArchOption(cmd, args.arch);
  AddRequantOption(cmd, args.requant,
                   "The accelerator's rounding: " +
                       golden::kRequantModes.Join(", ", " or ", golden::IsFixedPointMode));
  cmd->add_flag("--outputs-only", args.outputs_only,
                "List only the tensors later steps and the model's outputs need in the programs' "
                "manifests (default: every tensor a program computes, for qsa compare)");
  cmd->footer(
      "Prints one line per layer: MACs, output tiles, estimated cycles, DRAM bytes moved and the\n"
      "minimum (each input, weight and output byte once), and the tiling; then the totals and\n"
      "the nodes that run on the host, with the reason. The folder holds compiled.json, "
      "arch.json,\n"
      "host.json, a copy of the model and one folder per accelerator program (program.bin,\n"
      "manifest.json and the assembly listing program.s); docs/file-formats.md.\n"
      "Example: qsa compile examples/digits/digits_qdq.onnx -o digits_prog\n"
      "         qsa compare digits_prog --input x.npy --engines golden,isa,rtl");
  return cmd;
}

void CompileCommand(const CompileArgs& args) {
  compiler::CompileOptions options;
  options.rounding = compiler::AcceleratorRounding(args.requant, "--requant: ");
  options.arch = LoadArch(args.arch);
  options.keep_intermediates = !args.outputs_only;
  const importer::LoadedModel loaded = importer::LoadModel(args.model, {});
  const compiler::CompiledModel cm = compiler::Compile(loaded.graph, options);
  compiler::WriteCompiled(cm, args.out, args.model);
  PrintCompileReport(cm, args.out);
}

}  // namespace qsa::tools

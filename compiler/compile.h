// The compiler's driver: graph → passes → partition (accelerator or host, node by node) →
// lowering, tiling and scheduling of each accelerator segment → programs (docs/compiler.md).
//
// A compiled model is a list of steps run in order: host steps (nodes the golden model runs on
// the host: QuantizeLinear of a float input, softmax, ...) and accelerator programs. On disk
// (WriteCompiled) it is a folder:
//   compiled.json        steps, host fallbacks, per-layer report, pass log (docs/file-formats.md)
//   arch.json            the architecture configuration the programs were built for
//   host.json            the host nodes as a graph (JSON IR), run by the golden model
//   model.onnx|.json     a copy of the source model, the golden reference for `qsa compare`
//   segmentN/            program.bin, manifest.json and program.s of accelerator segment N
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/lower/cost_model.h"
#include "model/golden/graph.h"
#include "model/golden/quant.h"
#include "model/isa/arch.h"
#include "model/isa/program.h"

namespace qsa::compiler {

struct CompileOptions {
  isa::ArchConfig arch;
  // tflite-double (gemmlowp's two roundings) or single-rounding (TFLite's one); Compile refuses
  // the float modes.
  golden::RequantMode rounding = golden::RequantMode::kTfliteDouble;
  // List every tensor an accelerator program computes among its outputs (for `qsa compare`
  // tensor by tensor); off, only the tensors later steps or the model's outputs need.
  bool keep_intermediates = true;
};

// The mode named `name` when the accelerator computes it (tflite-double or single-rounding);
// otherwise throws qsa::Error "<context>the accelerator computes in tflite-double or
// single-rounding, not '<name>'".
golden::RequantMode AcceleratorRounding(std::string_view name, std::string_view context = "");

struct HostFallback {
  std::string node;
  std::string op;
  std::string reason;
};

struct CompiledProgram {
  std::string name;                // "segment0": its folder
  std::vector<std::string> nodes;  // the graph nodes it implements, in order
  isa::Program program;
  std::string listing;  // program.s
  std::vector<LayerEstimate> layers;
};

struct CompiledStep {
  bool host = false;
  std::vector<std::string> nodes;  // host: the host graph's nodes to run, in order
  int program = -1;                // accelerator: index into programs
};

struct CompiledModel {
  isa::ArchConfig arch;
  golden::RequantMode rounding = golden::RequantMode::kTfliteDouble;
  std::vector<std::string> inputs;  // the model's inputs and outputs, in order
  std::vector<std::string> outputs;
  golden::Graph host_graph;  // every host node; inputs: what it reads from elsewhere
  std::vector<CompiledStep> steps;
  std::vector<CompiledProgram> programs;
  std::vector<HostFallback> host_fallbacks;
  std::vector<std::string> pass_log;
  double compile_seconds = 0;
};

// Compiles a validated graph. Throws qsa::Error naming the layer when it cannot be compiled
// (e.g. no tiling fits the on-chip memories).
CompiledModel Compile(const golden::Graph& graph, const CompileOptions& options);

// The folder above; `source_model` is copied in as model.onnx or model.json. Every file is
// written atomically; an existing folder's files are replaced.
void WriteCompiled(const CompiledModel& model, const std::string& dir,
                   const std::string& source_model);
// Reads a folder WriteCompiled wrote; throws qsa::Error naming the file and the problem.
CompiledModel ReadCompiled(const std::string& dir);
// True when `dir` holds a compiled model (compiled.json).
bool IsCompiledModel(const std::string& dir);
// The source model copied into a compiled folder ("" when none is there).
std::string CompiledSourceModel(const std::string& dir);

}  // namespace qsa::compiler

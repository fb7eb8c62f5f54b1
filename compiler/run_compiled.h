// Runs a compiled model step by step: host steps on the golden model, accelerator programs on an
// engine the caller provides (the ISA simulator, the RTL), passing tensors between them.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "compiler/compile.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"
#include "model/isa/program.h"

namespace qsa::compiler {

// Runs one program on `inputs` (one per manifest input) and returns its manifest outputs.
using ProgramEngine = std::function<std::map<std::string, golden::Tensor>(
    const CompiledProgram& program, const std::map<std::string, golden::Tensor>& inputs)>;

// Every tensor the run computed (the model's inputs, every host node's outputs and every
// program output, intermediates included when the programs list them), by name. `feeds` holds
// one value per model input. Host steps run in the requantization mode the programs were
// compiled for. Throws qsa::Error naming the step that failed.
std::map<std::string, golden::Tensor> RunCompiled(
    const CompiledModel& model, const std::map<std::string, golden::Tensor>& feeds,
    const ProgramEngine& engine);

// The ISA simulator as an engine.
ProgramEngine IsaEngine(const isa::ArchConfig& arch);

}  // namespace qsa::compiler

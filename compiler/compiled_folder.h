// A compiled model on disk (docs/file-formats.md): a folder holding
//   compiled.json        steps, host fallbacks, per-layer report, pass log
//   arch.json            the architecture configuration the programs were built for
//   host.json            the host nodes as a graph (JSON IR), run by the golden model
//   model.onnx|.tflite|.json  a copy of the source model, the golden reference for `qsa compare`
//   segmentN/            program.bin, manifest.json and program.s of accelerator segment N
#pragma once

#include <string>

#include "compiler/compile.h"

namespace qsa::compiler {

// The folder above; `source_model` is copied in as model.onnx, model.tflite or model.json. Every
// file is written atomically; an existing folder's files are replaced.
void WriteCompiled(const CompiledModel& model, const std::string& dir,
                   const std::string& source_model);
// Reads a folder WriteCompiled wrote; throws qsa::Error naming the file and the problem.
CompiledModel ReadCompiled(const std::string& dir);
// True when `dir` holds a compiled model (compiled.json).
bool IsCompiledModel(const std::string& dir);
// The source model copied into a compiled folder ("" when none is there).
std::string CompiledSourceModel(const std::string& dir);

}  // namespace qsa::compiler

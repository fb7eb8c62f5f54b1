// Fuzz target: the ONNX importer (compiler/importer/onnx_import.h), bytes to a validated graph.
#include "compiler/importer/onnx_import.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qsa::fuzz::Run(
      [&] { qsa::importer::ImportOnnxBytes(qsa::fuzz::AsText(data, size), "fuzz.onnx"); });
  return 0;
}

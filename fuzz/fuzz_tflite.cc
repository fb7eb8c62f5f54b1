// Fuzz target: the TFLite importer (compiler/importer/tflite_import.h), bytes to a validated graph.
#include "compiler/importer/tflite_import.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qsa::fuzz::Run(
      [&] { qsa::importer::ImportTfliteBytes(qsa::fuzz::AsText(data, size), "fuzz.tflite"); });
  return 0;
}

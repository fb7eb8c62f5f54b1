// Fuzz target: the JSON graph IR reader (model/golden/graph_json.h), up to a validated graph.
#include "fuzz/fuzz_util.h"
#include "model/golden/graph_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qsa::fuzz::Run([&] {
    // "npy" constants resolve against a folder that does not exist: no file is ever read.
    qsa::golden::ParseGraphJson(qsa::fuzz::AsText(data, size), "fuzz.json", "/nonexistent/");
  });
  return 0;
}

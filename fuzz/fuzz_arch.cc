// Fuzz target: architecture configurations (model/isa/arch.h).
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "model/isa/arch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qsa::fuzz::Run(
      [&] { qsa::isa::ParseArchConfigText(qsa::fuzz::AsText(data, size), "fuzz.json"); });
  return 0;
}

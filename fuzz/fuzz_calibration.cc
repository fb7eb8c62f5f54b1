// Fuzz target: calibration archives (.npz, stored or deflated; compiler/quantizer/data.h).
#include "compiler/quantizer/data.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qsa::fuzz::Run([&] { qsa::quantizer::ParseNpz(qsa::fuzz::AsText(data, size), "fuzz.npz"); });
  return 0;
}

// Fuzz target: the .npy reader (model/golden/npy.h).
#include "fuzz/fuzz_util.h"
#include "model/golden/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qsa::fuzz::Run([&] {
    const qsa::golden::Tensor t = qsa::golden::ParseNpy(qsa::fuzz::AsText(data, size), "fuzz.npy");
    // What was read writes back to a file that reads as the same tensor.
    const qsa::golden::Tensor again = qsa::golden::ParseNpy(qsa::golden::EncodeNpy(t), "again");
    if (again.shape() != t.shape() || again.dtype() != t.dtype()) std::abort();
  });
  return 0;
}

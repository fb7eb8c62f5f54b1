// Fuzz target: the assembler (model/isa/assembler.h) on the built-in architecture. `.npy` paths
// resolve against a folder that does not exist.
#include "fuzz/fuzz_util.h"
#include "model/isa/arch.h"
#include "model/isa/assembler.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  qsa::fuzz::Run([&] {
    qsa::isa::Assemble(qsa::fuzz::AsText(data, size), "/nonexistent/fuzz.s",
                       qsa::isa::DefaultArchConfig());
  });
  return 0;
}

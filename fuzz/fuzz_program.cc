// Fuzz target: the program container (program.bin) and its manifest (model/isa/program.h). The
// first byte selects which: even, a program.bin; odd, a manifest.json over a fixed one-instruction
// program.
#include <span>

#include "fuzz/fuzz_util.h"
#include "model/isa/program.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool manifest = (data[0] & 1) != 0;
  ++data;
  --size;
  qsa::fuzz::Run([&] {
    if (!manifest) {
      const qsa::isa::Program p =
          qsa::isa::DecodeProgramBinary(std::span<const std::uint8_t>(data, size), "fuzz.bin");
      // A program that decodes encodes again.
      qsa::isa::EncodeProgramBinary(p);
      return;
    }
    qsa::isa::Program p;
    p.instructions.resize(1);
    p.dram_size = 4096;
    qsa::isa::ReadManifestText(qsa::fuzz::AsText(data, size), "fuzz/manifest.json", p);
  });
  return 0;
}

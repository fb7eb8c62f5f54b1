// Fuzz target: the program container (program.bin) and its manifest (model/isa/program.h). The
// first byte selects which: even, a program.bin; odd, a manifest.json over a program shaped like
// examples/isa/gemm_tile.s (7 instructions, 1 KiB of DRAM, the built-in architecture), so that
// the seed manifest of that example is accepted.
#include <span>

#include "fuzz/fuzz_util.h"
#include "model/isa/arch.h"
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
    p.instructions.resize(7);
    p.dram_size = 0x400;
    p.arch_name = qsa::isa::DefaultArchConfig().name;
    p.arch_hash = qsa::isa::DefaultArchConfig().Hash();
    qsa::isa::ReadManifestText(qsa::fuzz::AsText(data, size), "fuzz/manifest.json", p);
  });
  return 0;
}

// RTL benchmark (not a test): simulated cycles per second of the verilated accelerator on a long
// GEMM program, and the array utilization of a 256×256×256 GEMM on the 16×16 array with DRAM at
// 16 bytes per cycle. Usage: qsa_rtl_bench [ARCH.json ...] (default: model/isa/arch/8x8.json, the
// built-in 16×16 and a 32×32 array, verilated on first use). docs/benchmarks.md quotes it.
#include <chrono>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/isa/arch.h"
#include "sim/rtl_sim.h"
#include "testkit/gemm_program.h"

namespace {

using qsa::isa::ArchConfig;

double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// The largest square-ish GEMM of at most `m` rows that fits the array's memories.
qsa::testkit::GemmProgramShape FittingShape(const ArchConfig& arch, std::int64_t m) {
  qsa::testkit::GemmProgramShape s{m, 16 * arch.rows, 16 * arch.cols};
  while (s.k > arch.rows && (s.k / arch.rows) * (s.m + 2 * arch.cols) > arch.scratchpad_rows()) {
    s.k /= 2;
  }
  while (2 * s.m > arch.accumulator_rows()) s.m /= 2;
  return s;
}

void Run(const ArchConfig& arch, const qsa::testkit::GemmProgramShape& shape, const char* what) {
  const qsa::isa::Program program = qsa::testkit::MakeGemmProgram(arch, shape, 1);
  qsa::sim::RtlSimulator sim(arch, program);  // builds or loads the model first
  const double cpu0 = CpuSeconds();
  const auto wall0 = std::chrono::steady_clock::now();
  const qsa::sim::RtlRunResult r = sim.Run();
  const double cpu = CpuSeconds() - cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const std::vector<std::int32_t> expected =
      qsa::testkit::GemmProgramReference(arch, shape, program);
  const std::size_t c = program.manifest.outputs[0].dram_addr;
  std::int64_t wrong = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    std::uint32_t v = 0;
    for (std::size_t b = 0; b < 4; ++b) v |= std::uint32_t{r.dram[c + 4 * i + b]} << (8 * b);
    wrong += static_cast<std::int32_t>(v) != expected[i] ? 1 : 0;
  }
  const double util = static_cast<double>(r.counters.macs_useful) /
                      (static_cast<double>(arch.rows) * arch.cols * static_cast<double>(r.cycles));
  std::cout << what << " " << arch.rows << "x" << arch.cols << " GEMM " << shape.m << "x" << shape.k
            << "x" << shape.n << " (DRAM " << arch.dram_bytes_per_cycle << " B/cycle, latency "
            << arch.dram_latency_cycles << "): " << r.simulated_cycles << " cycles in " << cpu
            << " s CPU (" << wall
            << " s wall) = " << static_cast<double>(r.simulated_cycles) / cpu / 1e6
            << " M cycles/s; array utilization " << 100.0 * util << " %; "
            << (wrong == 0 ? "result exact" : std::to_string(wrong) + " WRONG elements") << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<ArchConfig> arches;
    for (int i = 1; i < argc; ++i) arches.push_back(qsa::isa::LoadArchConfig(argv[i]));
    if (arches.empty()) {
      arches.push_back(
          qsa::isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/8x8.json"));
      arches.push_back(qsa::isa::DefaultArchConfig());
      ArchConfig big = qsa::isa::DefaultArchConfig();
      big.name = "32x32";
      big.rows = big.cols = 32;
      big.accumulator_bytes = 128 * 1024;
      arches.push_back(big);
    }
    // The utilization target: 256^3 on the default array, DRAM at 16 B/cycle.
    ArchConfig def = qsa::isa::DefaultArchConfig();
    def.dram_bytes_per_cycle = 16;
    Run(def, {256, 256, 256}, "utilization:");
    for (const ArchConfig& arch : arches) Run(arch, FittingShape(arch, 1024), "speed:");
  } catch (const qsa::Error& e) {
    std::cerr << "qsa_rtl_bench: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

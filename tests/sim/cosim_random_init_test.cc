// Co-simulation from a random initial state: every variable of the verilated accelerator
// (registers without a reset value and the SRAM macros alike) starts from a seeded random value
// instead of zero (QSA_RTL_RANDOM_INIT, sim/rtl_shim.cc; the models are verilated with
// --x-initial unique), and the results must still equal the ISA simulator's. A register the
// reset misses, or one read before it is written, shows up here as a difference.
//
// Seeds: run k uses initial-state seed QSA_TEST_SEED + k (default 1) and the random program of
// that seed; QSA_RANDOM_INIT_PROGRAMS sets the number of runs (default 40).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "model/base/error.h"
#include "model/isa/arch.h"
#include "model/isa/assembler.h"
#include "model/isa/simulator.h"
#include "sim/rtl_sim.h"
#include "testkit/gemm_program.h"
#include "testkit/isa_random.h"
#include "tests/sim/sim_test_util.h"

namespace qsa::sim {
namespace {

using isa::ArchConfig;
using isa::Program;
using isa::WriteRecord;

ArchConfig Arch(const std::string& name) {
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/" + name + ".json");
}

// Sets QSA_RTL_RANDOM_INIT for the models created in its lifetime.
class RandomInitialState {
 public:
  explicit RandomInitialState(std::uint64_t seed) {
    setenv("QSA_RTL_RANDOM_INIT", std::to_string(seed).c_str(), 1);
  }
  ~RandomInitialState() { unsetenv("QSA_RTL_RANDOM_INIT"); }
  RandomInitialState(const RandomInitialState&) = delete;
  RandomInitialState& operator=(const RandomInitialState&) = delete;
};

std::vector<WriteRecord> Sorted(std::vector<WriteRecord> records) {
  std::sort(records.begin(), records.end(), [](const WriteRecord& a, const WriteRecord& b) {
    return std::tie(a.instruction, a.memory) < std::tie(b.instruction, b.memory);
  });
  return records;
}

RtlRunResult RunRtl(const ArchConfig& arch, const Program& program) {
  RtlOptions options;
  options.record_writes = true;
  RtlSimulator sim(arch, program, options);
  return sim.Run();
}

// "" when the RTL (from the current initial state) writes what the ISA simulator writes, ends
// with its DRAM and counts its events; else the first difference.
std::string CompareWithIsa(const ArchConfig& arch, const Program& program) {
  isa::IsaSimulator isa_sim(arch, program);
  isa::IsaSimOptions isa_options;
  isa_options.record_writes = true;
  isa::IsaRunResult isa = isa_sim.Run(isa_options);
  RtlRunResult rtl;
  try {
    rtl = RunRtl(arch, program);
  } catch (const Error& e) {
    return std::string("the RTL failed: ") + e.what();
  }
  const std::vector<WriteRecord> a = Sorted(std::move(isa.writes));
  const std::vector<WriteRecord> b = Sorted(std::move(rtl.writes));
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i < a.size() || i < b.size()) {
    const std::int64_t at = i < a.size() ? a[i].instruction : b[i].instruction;
    return "write record #" + std::to_string(i) + " differs (instruction " + std::to_string(at) +
           ")";
  }
  if (isa_sim.state().dram != rtl.dram) return "the final DRAM differs";
  if (isa.counters.macs_useful != rtl.counters.macs_useful ||
      isa.counters.instructions != rtl.counters.instructions ||
      isa.counters.scratchpad.bytes_written != rtl.counters.scratchpad.bytes_written) {
    return "the counters differ";
  }
  return "";
}

int RunCount(int default_count) {
  const char* env = std::getenv("QSA_RANDOM_INIT_PROGRAMS");
  return env != nullptr ? std::atoi(env) : default_count;
}

// The switch reaches the RTL: a store of scratchpad rows nothing wrote returns zeros from the
// zero initial state, and different bytes from two random initial states (the SRAM macros are
// randomized like every register).
TEST(CosimRandomInit, TheInitialStateIsRandomizedBySeed) {
  const ArchConfig arch = Arch("4x4");
  const Program program = isa::Assemble(
      ".dram_size 0x100\n"
      "store.sp sram=100 dram=0x0 ny=1 nx=16 stride_x=4 lanes=4\n"
      "finish\n",
      "unwritten.s", arch);
  const std::uint64_t seed = sim_test::TestSeed(1);
  const std::vector<std::uint8_t> zero = RunRtl(arch, program).dram;
  std::vector<std::uint8_t> first;
  std::vector<std::uint8_t> second;
  {
    const RandomInitialState init(seed);
    first = RunRtl(arch, program).dram;
  }
  {
    const RandomInitialState init(seed + 1);
    second = RunRtl(arch, program).dram;
  }
  const auto nonzero = [](const std::vector<std::uint8_t>& d) {
    return std::count_if(d.begin(), d.begin() + 64, [](std::uint8_t b) { return b != 0; });
  };
  EXPECT_EQ(nonzero(zero), 0);
  EXPECT_GT(nonzero(first), 32) << "seed " << seed;
  EXPECT_GT(nonzero(second), 32) << "seed " << seed + 1;
  EXPECT_NE(first, second) << "seeds " << seed << " and " << seed + 1;
  {
    const RandomInitialState init(seed);
    EXPECT_EQ(RunRtl(arch, program).dram, first) << "seed " << seed << " is not reproducible";
  }
}

// Random programs of every instruction class and a double-buffered GEMM, each from its own
// random initial state: bit-exact against the ISA simulator.
TEST(CosimRandomInit, ProgramsFromARandomInitialStateMatchTheIsaSimulator) {
  const ArchConfig arch = Arch("4x4");
  const std::uint64_t base = sim_test::TestSeed(1);
  const int count = RunCount(40);
  for (int k = 0; k < count; ++k) {
    const std::uint64_t seed = base + static_cast<std::uint64_t>(k);
    const Program program = testkit::GenerateRandomProgram(arch, seed);
    const RandomInitialState init(seed);
    EXPECT_EQ(CompareWithIsa(arch, program), "")
        << "random program and initial state of seed " << seed << " (QSA_TEST_SEED=" << seed
        << " QSA_RANDOM_INIT_PROGRAMS=1 reproduces it)";
  }
  const Program gemm = testkit::MakeGemmProgram(arch, testkit::GemmProgramShape{32, 16, 16}, 7);
  const RandomInitialState init(base + 1000);
  EXPECT_EQ(CompareWithIsa(arch, gemm), "") << "GEMM program, initial state seed " << base + 1000;
  std::cout << count << " random programs and a GEMM from random initial states, seeds " << base
            << ".." << base + static_cast<std::uint64_t>(count) - 1 << " and " << base + 1000
            << "\n";
}

}  // namespace
}  // namespace qsa::sim

// The SystemC platform with cycle-accurate RTL cores: one core alone runs exactly the cycles of
// the C++ harness; RTL and transaction-level cores share the DRAM. gtest runs each test in its own
// process (the platform is elaborated once per process).
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/isa/arch.h"
#include "model/isa/simulator.h"
#include "sim/rtl_sim.h"
#include "testkit/gemm_program.h"
#include "testkit/isa_random.h"
#include "tests/sim/sim_test_util.h"

#if QSA_HAVE_SYSTEMC
#include "sim/platform/platform.h"
#endif

namespace qsa::sim {
namespace {

#if QSA_HAVE_SYSTEMC

isa::ArchConfig Arch4x4() {
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/4x4.json");
}

PlatformOptions OptionsLike(const isa::ArchConfig& arch, int cores, const std::string& models) {
  PlatformOptions options;
  options.cores = cores;
  options.core_model = models;
  options.dram_latency_cycles = arch.dram_latency_cycles;
  options.dram_bytes_per_cycle = arch.dram_bytes_per_cycle;
  return options;
}

TEST(PlatformRtl, ACoreAloneRunsTheHarnessCyclesAndResult) {
  const isa::ArchConfig arch = Arch4x4();
  const isa::Program program = testkit::MakeGemmProgram(arch, {64, 32, 32}, 11);
  RtlSimulator harness(arch, program);
  const RtlRunResult expected = harness.Run();

  const PlatformRun run = RunOnPlatform(arch, {{&program, -1}}, OptionsLike(arch, 1, "rtl"));
  ASSERT_EQ(run.jobs.size(), 1u);
  ASSERT_EQ(run.jobs[0].dram.size(), program.dram_size);
  EXPECT_TRUE(std::equal(run.jobs[0].dram.begin(), run.jobs[0].dram.end(), expected.dram.begin()));
  EXPECT_EQ(run.jobs[0].cycles, expected.cycles);
  EXPECT_EQ(run.jobs[0].counters, expected.counters);
  EXPECT_EQ(run.report.cores[0].contention_cycles, 0);
  // A second job on the same core, without reset: the same again.
  const PlatformRun again = RunOnPlatform(arch, {{&program, 0}}, OptionsLike(arch, 1, "rtl"));
  EXPECT_EQ(again.jobs[0].cycles, expected.cycles);
  EXPECT_EQ(again.jobs[0].dram, run.jobs[0].dram);
}

// The co-simulation regression's constrained-random programs, one after another on one RTL core
// without reset: each job's DRAM and CYCLES counter are the C++ harness's.
TEST(PlatformRtl, RandomProgramsGiveTheHarnessResultsAndCycles) {
  const isa::ArchConfig arch = Arch4x4();
  const std::uint64_t seed = sim_test::TestSeed(500);
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  std::vector<isa::Program> programs;
  for (std::uint64_t k = 0; k < 24; ++k) {
    programs.push_back(testkit::GenerateRandomProgram(arch, seed + k));
  }
  std::vector<PlatformJob> jobs;
  for (const isa::Program& p : programs) jobs.push_back({&p, 0});
  const PlatformRun run = RunOnPlatform(arch, jobs, OptionsLike(arch, 1, "rtl"));
  for (std::size_t k = 0; k < programs.size(); ++k) {
    RtlSimulator harness(arch, programs[k]);
    const RtlRunResult expected = harness.Run();
    EXPECT_TRUE(std::equal(run.jobs[k].dram.begin(), run.jobs[k].dram.end(), expected.dram.begin()))
        << "seed " << seed + k;
    EXPECT_EQ(run.jobs[k].cycles, expected.cycles) << "seed " << seed + k;
    EXPECT_EQ(run.jobs[k].counters, expected.counters) << "seed " << seed + k;
  }
}

TEST(PlatformRtl, RtlAndTransactionLevelCoresShareANarrowDram) {
  isa::ArchConfig arch = Arch4x4();
  arch.dram_bytes_per_cycle = 4;
  std::vector<isa::Program> programs;
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    programs.push_back(testkit::MakeGemmProgram(arch, {64, 32, 32}, 20 + seed));
  }
  const PlatformOptions options = OptionsLike(arch, 3, "isa,isa,rtl");
  const PlatformRun alone = RunOnPlatform(arch, {{&programs[2], 2}}, options);
  EXPECT_EQ(alone.report.cores[2].contention_cycles, 0);
  const PlatformRun all =
      RunOnPlatform(arch, {{&programs[0], 0}, {&programs[1], 1}, {&programs[2], 2}}, options);
  for (std::size_t i = 0; i < programs.size(); ++i) {
    isa::IsaSimulator reference(arch, programs[i]);
    reference.Run();
    EXPECT_EQ(all.jobs[i].dram, reference.state().dram) << "job " << i;
  }
  std::printf("RTL core alone %lld cycles, beside two ISA cores %lld (waited %lld)\n",
              static_cast<long long>(alone.jobs[0].cycles),
              static_cast<long long>(all.jobs[2].cycles),
              static_cast<long long>(all.report.cores[2].contention_cycles));
  EXPECT_EQ(all.jobs[2].dram, alone.jobs[0].dram);
  EXPECT_GT(all.report.cores[2].contention_cycles, 0);
  EXPECT_GT(all.jobs[2].cycles, alone.jobs[0].cycles);
}

#else

TEST(PlatformRtl, NeedsSystemC) { GTEST_SKIP() << "built without SystemC"; }

#endif

}  // namespace
}  // namespace qsa::sim

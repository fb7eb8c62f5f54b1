// The SystemC/TLM-2.0 platform with transaction-level cores: results and cycles against the ISA
// simulator, several cores sharing a DRAM, bad options. gtest runs each test in its own process
// (the platform is elaborated once per process).
#include "sim/platform/platform.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/base/error.h"
#include "model/isa/arch.h"
#include "model/isa/simulator.h"
#include "testkit/gemm_program.h"

namespace qsa::sim {
namespace {

isa::ArchConfig Arch4x4() {
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/4x4.json");
}

PlatformOptions OptionsLike(const isa::ArchConfig& arch, int cores) {
  PlatformOptions options;
  options.cores = cores;
  options.dram_latency_cycles = arch.dram_latency_cycles;
  options.dram_bytes_per_cycle = arch.dram_bytes_per_cycle;
  return options;
}

struct IsaReference {
  std::vector<std::uint8_t> dram;
  std::int64_t cycles = 0;
};

IsaReference RunIsa(const isa::ArchConfig& arch, const isa::Program& program) {
  isa::IsaSimulator simulator(arch, program);
  const isa::IsaRunResult result = simulator.Run();
  return {simulator.state().dram, result.timing.cycles};
}

TEST(Platform, OneCoreGivesTheIsaSimulatorsResultAndCycles) {
  const isa::ArchConfig arch = Arch4x4();
  const isa::Program program = testkit::MakeGemmProgram(arch, {64, 32, 32}, 7);
  const IsaReference expected = RunIsa(arch, program);

  const PlatformRun run = RunOnPlatform(arch, {{&program, -1}}, OptionsLike(arch, 1));
  ASSERT_EQ(run.jobs.size(), 1u);
  EXPECT_EQ(run.jobs[0].dram, expected.dram);
  // Alone on a DRAM like the ISA simulator's, the core's bursts never wait.
  EXPECT_EQ(run.report.cores[0].contention_cycles, 0);
  EXPECT_EQ(run.jobs[0].cycles, expected.cycles);
  EXPECT_EQ(run.report.cycles, expected.cycles);
  const isa::IsaRunResult counts = isa::IsaSimulator(arch, program).Run();
  EXPECT_EQ(run.report.cores[0].dram_read, counts.counters.dram.bytes_read);
  EXPECT_EQ(run.report.cores[0].dram_written, counts.counters.dram.bytes_written);
}

TEST(Platform, JobsSpreadOverCoresAndEachGivesItsOwnResult) {
  const isa::ArchConfig arch = Arch4x4();
  std::vector<isa::Program> programs;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    programs.push_back(testkit::MakeGemmProgram(arch, {32, 16, 16}, seed));
  }
  std::vector<PlatformJob> jobs;
  for (const isa::Program& p : programs) jobs.push_back({&p, -1});
  jobs[4].core = 0;  // pinned
  const PlatformRun run = RunOnPlatform(arch, jobs, OptionsLike(arch, 2));
  ASSERT_EQ(run.jobs.size(), programs.size());
  for (std::size_t i = 0; i < programs.size(); ++i) {
    EXPECT_EQ(run.jobs[i].dram, RunIsa(arch, programs[i]).dram) << "job " << i;
  }
  EXPECT_EQ(run.jobs[4].core, 0);
  EXPECT_EQ(run.report.cores[0].jobs + run.report.cores[1].jobs, 5);
  EXPECT_GE(run.report.cores[1].jobs, 2);
  // A second call reuses the platform.
  const PlatformRun again = RunOnPlatform(arch, {{&programs[2], 1}}, OptionsLike(arch, 2));
  EXPECT_EQ(again.jobs[0].dram, run.jobs[2].dram);
  EXPECT_EQ(again.jobs[0].core, 1);
}

// On a DRAM narrower than the programs need, N cores together take about as long as the DRAM
// needs to move all their bytes: the slowdown follows the bandwidth bound, within the tolerance
// docs/platform.md states for the loosely-timed cores (every wait is charged to the critical
// path, so the platform errs slow).
TEST(Platform, CoresOnANarrowDramAreBoundByItsBandwidth) {
  isa::ArchConfig arch = Arch4x4();
  arch.dram_bytes_per_cycle = 1;
  std::vector<isa::Program> programs;
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    programs.push_back(testkit::MakeGemmProgram(arch, {64, 64, 64}, seed));
  }
  const PlatformOptions options = OptionsLike(arch, 4);
  const PlatformRun alone = RunOnPlatform(arch, {{&programs[0], 0}}, options);
  EXPECT_EQ(alone.report.cores[0].contention_cycles, 0);
  const double alone_bound = static_cast<double>(alone.report.dram_bytes);
  std::printf("1 core: %lld cycles, its bytes take %.0f cycles\n",
              static_cast<long long>(alone.report.cycles), alone_bound);
  for (int cores : {2, 4}) {
    std::vector<PlatformJob> jobs;
    for (int c = 0; c < cores; ++c) jobs.push_back({&programs[static_cast<std::size_t>(c)], c});
    const PlatformRun run = RunOnPlatform(arch, jobs, options);
    EXPECT_EQ(run.jobs[0].dram, alone.jobs[0].dram);
    const double bound = std::max(static_cast<double>(run.report.dram_bytes),
                                  static_cast<double>(alone.report.cycles));
    std::printf("%d cores: %lld cycles, bound %.0f cycles (%.2fx), DRAM busy %lld cycles\n", cores,
                static_cast<long long>(run.report.cycles), bound,
                static_cast<double>(run.report.cycles) / bound,
                static_cast<long long>(run.report.dram_busy_cycles));
    EXPECT_GE(static_cast<double>(run.report.cycles), bound);
    EXPECT_LE(static_cast<double>(run.report.cycles), bound * 1.25);
    EXPECT_GT(run.report.cores[0].contention_cycles, 0);
  }
}

TEST(Platform, RefusesImpossibleOptionsWithOneLine) {
  const isa::ArchConfig arch = Arch4x4();
  const isa::Program program = testkit::MakeGemmProgram(arch, {32, 16, 16}, 1);
  PlatformOptions options = OptionsLike(arch, 0);
  EXPECT_THROW(
      {
        try {
          RunOnPlatform(arch, {{&program, -1}}, options);
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(), "--cores must be at least 1 (got 0)");
          throw;
        }
      },
      Error);
  options = OptionsLike(arch, 1);
  options.core_model = "gate";
  EXPECT_THROW(RunOnPlatform(arch, {{&program, -1}}, options), Error);
  options = OptionsLike(arch, 1);
  options.dram_bytes_per_cycle = 0;
  EXPECT_THROW(RunOnPlatform(arch, {{&program, -1}}, options), Error);
  options = OptionsLike(arch, 1);
  EXPECT_THROW(RunOnPlatform(arch, {{&program, 1}}, options), Error);  // no core 1
  // Built once: another configuration in the same process is refused.
  RunOnPlatform(arch, {{&program, -1}}, options);
  options.cores = 2;
  EXPECT_THROW(RunOnPlatform(arch, {{&program, -1}}, options), Error);
}

TEST(Platform, ACoreErrorNamesTheJobAndCore) {
  const isa::ArchConfig arch = Arch4x4();
  isa::Program program = testkit::MakeGemmProgram(arch, {32, 16, 16}, 1);
  program.dram_size = 64;  // the image and the output no longer fit
  program.dram_image.resize(64);
  try {
    RunOnPlatform(arch, {{&program, -1}}, OptionsLike(arch, 1));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("job 0 on core 0: "), std::string::npos) << e.what();
  }
  // An empty program: the core's fetch refuses it before the ISA simulator sees it.
  isa::Program empty = testkit::MakeGemmProgram(arch, {32, 16, 16}, 1);
  empty.instructions.clear();
  try {
    RunOnPlatform(arch, {{&empty, -1}}, OptionsLike(arch, 1));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is empty, misaligned or beyond MEM_SIZE"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace qsa::sim

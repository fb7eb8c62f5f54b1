// The verilated accelerator against the ISA simulator on constrained-random programs: the same
// final DRAM, the same event counters and the same writes per instruction; and the same
// instruction named when a program is defective.
#include "sim/rtl_sim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "model/base/error.h"
#include "model/isa/arch.h"
#include "model/isa/simulator.h"
#include "testkit/isa_random.h"
#include "tests/sim/sim_test_util.h"

namespace qsa::sim {
namespace {

isa::ArchConfig Arch(const std::string& name) {
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/" + name + ".json");
}

void ExpectSameAsIsa(const isa::ArchConfig& arch, std::uint64_t seed, const RtlOptions& base) {
  SCOPED_TRACE("arch " + arch.name + ", program seed " + std::to_string(seed));
  sim_test::ExpectRtlMatchesIsa(arch, testkit::GenerateRandomProgram(arch, seed), base);
}

TEST(RtlSim, RandomProgramsMatchTheIsaSimulator) {
  const std::uint64_t seed = sim_test::TestSeed(1);
  for (const char* name : {"4x4", "8x16", "default"}) {
    for (std::uint64_t k = 0; k < 3; ++k) ExpectSameAsIsa(Arch(name), seed + k, RtlOptions{});
  }
}

TEST(RtlSim, RandomProgramsMatchWithDramJitterAndBackPressure) {
  const std::uint64_t seed = sim_test::TestSeed(2);
  RtlOptions options;
  options.dram_seed = seed;
  options.dram_jitter = 40;
  options.dram_backpressure = 0.3;
  for (std::uint64_t k = 0; k < 3; ++k) ExpectSameAsIsa(Arch("4x4"), seed + k, options);
}

// Defects the harness's program check lets through reach the accelerator, which must stop at
// the instruction the ISA simulator names.
TEST(RtlSim, DefectsStopAtTheSameInstruction) {
  const std::uint64_t seed = sim_test::TestSeed(3);
  const isa::ArchConfig arch = Arch("4x4");
  for (testkit::DefectKind kind :
       {testkit::DefectKind::kDramOutOfBounds, testkit::DefectKind::kRowOutOfBounds,
        testkit::DefectKind::kIllegalField, testkit::DefectKind::kMissingPush,
        testkit::DefectKind::kQueueCapacity}) {
    SCOPED_TRACE(std::string(testkit::DefectKindName(kind)));
    testkit::RandomProgramOptions random;
    random.defect = kind;
    testkit::InjectedDefect defect;
    const isa::Program program = testkit::GenerateRandomProgram(arch, seed, random, &defect);
    RtlOptions options;
    options.hang_cycles = 2000;
    RtlSimulator rtl(arch, program, options);
    try {
      rtl.Run();
      ADD_FAILURE() << "no error for " << defect.description;
    } catch (const Error& e) {
      const std::string message = e.what();
      const std::string at = "instruction " + std::to_string(defect.instruction) + " (";
      if (testkit::IsDeadlockDefect(kind)) {
        EXPECT_EQ(message.rfind("hang: ", 0), 0u) << message;
      } else {
        EXPECT_EQ(message.rfind(at, 0), 0u) << message;
      }
      EXPECT_NE(message.find(at), std::string::npos) << message;
    }
  }
}

TEST(RtlSim, JsonHasTheIsaKeysAndTheRtlOnes) {
  const isa::ArchConfig arch = Arch("4x4");
  const isa::Program program = testkit::GenerateRandomProgram(arch, 5);
  RtlSimulator rtl(arch, program);
  const RtlRunResult result = rtl.Run();
  const nlohmann::json j = RtlRunResultToJson(result);
  isa::IsaSimulator isa(arch, program);
  const nlohmann::json isa_json = isa::IsaRunResultToJson(isa.Run());
  for (const auto& [key, value] : isa_json.items()) EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["cycles"], result.cycles);
  EXPECT_EQ(j["instructions"], isa_json["instructions"]);
  EXPECT_EQ(j["dram"], isa_json["dram"]);
  EXPECT_TRUE(j.contains("stall_cycles"));
}

TEST(RtlSim, RejectsAProgramForAnotherArchitecture) {
  const isa::Program program = testkit::GenerateRandomProgram(Arch("4x4"), 1);
  EXPECT_THROW(RtlSimulator(Arch("8x8"), program), Error);
}

}  // namespace
}  // namespace qsa::sim

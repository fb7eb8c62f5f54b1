// The dependency-token scheduler: hand-made cases that need (or need no) tokens, and constrained-
// random programs (testkit/isa_random.h) with their tokens and syncs stripped, scheduled again and
// run on the ISA simulator — whose queues reorder instructions across queues wherever tokens
// allow — on configurations with queues of 1 and 2 entries: the final memories must equal a
// plain in-order evaluation, and no program may deadlock. The seed is printed (QSA_TEST_SEED).
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <variant>

#include "compiler/codegen/schedule.h"
#include "model/isa/executor.h"
#include "model/isa/simulator.h"
#include "testkit/isa_random.h"

namespace qsa::compiler {
namespace {

isa::LoadSp Load(std::uint32_t row, std::uint32_t rows, std::uint32_t dram) {
  isa::LoadSp in;
  in.sram = row;
  in.dram = dram;
  in.ny = 1;
  in.nx = rows;
  in.stride_x = 16;
  in.lanes = 16;
  return in;
}

isa::Gemm GemmOn(std::uint32_t act, std::uint32_t rows, std::uint32_t w) {
  isa::Gemm g;
  g.act = act;
  g.act_outer = rows;
  g.act_inner = 1;
  g.n_outer = 1;
  g.n_inner = rows;
  g.acc_outer = rows;
  g.w = w;
  g.k_lanes = 16;
  g.n_lanes = 16;
  g.preload = true;
  return g;
}

isa::Deps DepsAt(const std::vector<ScheduledInstruction>& code, std::size_t i) {
  return isa::DepsOf(code.at(i).inst);
}

TEST(TokenSchedulerTest, ARowWrittenByALoadAndReadByAGemmIsOneToken) {
  TokenScheduler s(isa::DefaultArchConfig());
  s.Add(Load(0, 16, 0), "weights", 0);
  s.Add(Load(16, 8, 256), "input", 0);
  s.Add(GemmOn(16, 8, 0), "gemm", 0);
  const auto code = s.Finish();
  ASSERT_EQ(code.size(), 4u);               // no sync needed
  EXPECT_EQ(DepsAt(code, 0), isa::Deps{});  // ordered by the later load's token (in order)
  EXPECT_TRUE(DepsAt(code, 1).push_next);
  EXPECT_TRUE(DepsAt(code, 2).pop_prev);
  EXPECT_FALSE(DepsAt(code, 2).pop_next);
  EXPECT_TRUE(std::holds_alternative<isa::Finish>(code[3].inst));
}

TEST(TokenSchedulerTest, InstructionsOnDisjointMemoryGetNoTokens) {
  TokenScheduler s(isa::DefaultArchConfig());
  s.Add(Load(0, 16, 0), "weights", 0);
  s.Add(Load(16, 8, 256), "input", 0);
  s.Add(GemmOn(16, 8, 0), "gemm", 0);         // needs both loads
  s.Add(Load(100, 8, 512), "next input", 0);  // other rows: no wait for the gemm
  const auto code = s.Finish();
  EXPECT_EQ(DepsAt(code, 3), isa::Deps{});
}

TEST(TokenSchedulerTest, ALoadOverwritingRowsAGemmReadsWaitsForIt) {
  TokenScheduler s(isa::DefaultArchConfig());
  s.Add(Load(0, 16, 0), "weights", 0);
  s.Add(Load(16, 8, 256), "input", 0);
  s.Add(GemmOn(16, 8, 0), "gemm", 0);
  s.Add(Load(16, 8, 512), "next input into the same rows", 0);
  const auto code = s.Finish();
  ASSERT_EQ(code.size(), 5u);
  EXPECT_TRUE(DepsAt(code, 2).push_prev);  // the gemm tells the load queue it is done
  EXPECT_TRUE(DepsAt(code, 3).pop_next);
}

TEST(TokenSchedulerTest, ALoadOfWhatAStoreWroteGoesThroughAComputeSync) {
  TokenScheduler s(isa::DefaultArchConfig());
  s.Add(Load(0, 4, 0), "data", 0);
  isa::StoreSp out;
  out.sram = 0;
  out.dram = 4096;
  out.ny = 1;
  out.nx = 4;
  out.stride_x = 16;
  out.lanes = 16;
  s.Add(out, "store", 0);
  s.Add(Load(8, 4, 4096), "load it back", 0);
  const auto code = s.Finish();
  // load, [compute sync: load → store], store, [compute sync: store → load], load, finish.
  ASSERT_EQ(code.size(), 6u);
  ASSERT_TRUE(std::holds_alternative<isa::Sync>(code[1].inst));
  EXPECT_TRUE(DepsAt(code, 1).pop_prev && DepsAt(code, 1).push_next);
  EXPECT_TRUE(DepsAt(code, 2).pop_prev && DepsAt(code, 2).push_prev);
  ASSERT_TRUE(std::holds_alternative<isa::Sync>(code[3].inst));
  EXPECT_TRUE(DepsAt(code, 3).pop_next && DepsAt(code, 3).push_prev);
  EXPECT_TRUE(DepsAt(code, 4).pop_next);
  EXPECT_EQ(s.syncs_added(), 2);
}

TEST(TokenSchedulerTest, RefusesInstructionsWithTokenFlags) {
  TokenScheduler s(isa::DefaultArchConfig());
  isa::LoadSp in = Load(0, 4, 0);
  in.deps.push_next = true;
  EXPECT_THROW(s.Add(in, "", 0), Error);
}

std::uint64_t Seed() {
  const char* env = std::getenv("QSA_TEST_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : 20261207;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::cout << "[   SEED   ] QSA_TEST_SEED=" << seed << std::endl;
  return seed;
}

// Random programs without their tokens, scheduled again.
TEST(TokenSchedulerTest, RescheduledRandomProgramsMatchInOrderEvaluation) {
  const std::uint64_t seed = Seed();
  std::vector<isa::ArchConfig> archs;
  for (int variant = 0; variant < 3; ++variant) {
    isa::ArchConfig a = isa::DefaultArchConfig();
    a.rows = a.cols = 8;
    a.scratchpad_bytes = 16 * 1024;
    a.accumulator_bytes = 8 * 1024;
    a.param_rows = 64;
    a.name = "8x8-q" + std::to_string(variant);
    a.instruction_queue_depth = variant == 0 ? 1 : variant == 1 ? 2 : 16;
    a.token_queue_depth = variant == 0 ? 1 : variant == 1 ? 2 : 8;
    a.dram_latency_cycles = variant == 2 ? 300 : 20;
    archs.push_back(a);
  }
  int programs = 0;
  for (const isa::ArchConfig& arch : archs) {
    for (int k = 0; k < 60; ++k) {
      const std::uint64_t s = seed * 1000003 + static_cast<std::uint64_t>(programs++);
      SCOPED_TRACE(arch.name + " program seed " + std::to_string(s));
      testkit::RandomProgramOptions options;
      options.instructions = 80;
      const isa::Program original = testkit::GenerateRandomProgram(arch, s, options);
      // In order, no queues: the program's meaning.
      isa::IsaState want(arch, original.dram_size);
      std::copy(original.dram_image.begin(), original.dram_image.end(), want.dram.begin());
      isa::IsaCounters counters;
      TokenScheduler scheduler(arch);
      for (std::size_t i = 0; i < original.instructions.size(); ++i) {
        isa::Instruction inst = isa::Decode(original.instructions[i]);
        if (std::holds_alternative<isa::Sync>(inst) || std::holds_alternative<isa::Finish>(inst)) {
          continue;
        }
        isa::Execute(want, inst, static_cast<std::int64_t>(i), counters, nullptr);
        std::visit([](auto& x) { x.deps = isa::Deps{}; }, inst);
        scheduler.Add(inst, "", 0);
      }
      isa::Program p = original;
      p.instructions.clear();
      for (const ScheduledInstruction& si : scheduler.Finish()) {
        p.instructions.push_back(isa::Encode(si.inst));
      }
      isa::IsaSimulator sim(arch, p);
      ASSERT_NO_THROW(sim.Run());
      ASSERT_TRUE(sim.state().dram == want.dram);
      ASSERT_TRUE(sim.state().scratchpad == want.scratchpad);
      ASSERT_TRUE(sim.state().accumulator == want.accumulator);
      ASSERT_TRUE(sim.state().param == want.param);
    }
  }
}

}  // namespace
}  // namespace qsa::compiler

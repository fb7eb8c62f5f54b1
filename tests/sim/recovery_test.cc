// The accelerator as a system component (docs/rtl.md, "Runs, errors, abort and the watchdog"):
// on a 4x4 array, runs driven through the registers end with an abort, an error response on a
// load, a store or an instruction fetch, the watchdog, a program outside memory or a refused
// register write; each time the accelerator drains its AXI port, raises its interrupt with the
// status, writes nothing to DRAM past the failing instruction, and the next START (no reset) runs
// a fresh program bit-exact with the ISA simulator.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/isa/arch.h"
#include "model/isa/assembler.h"
#include "model/isa/simulator.h"
#include "sim/rtl_sim.h"
#include "tests/sim/sim_test_util.h"

namespace qsa::sim {
namespace {

constexpr std::uint32_t kDramSize = 0x4000;
constexpr std::uint32_t kProgA = 0x8000;  // the programs' places, above the data
constexpr std::uint32_t kProgB = 0xC000;
constexpr std::uint32_t kMemSize = 0x10000;
constexpr std::uint32_t kCntCycles = 0;
constexpr std::uint32_t kCntInsnFirst = 1;  // instructions started by opcode 1..11

isa::ArchConfig Arch4x4() {
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/4x4.json");
}

// `tiles` times: a load of 16 rows, a sync passing its token on, a store of the rows; every
// tile its own DRAM rows (source 0x000.., destination 0x2000..). Random source bytes.
isa::Program Chain(int tiles, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string text = ".dram_size " + std::to_string(kDramSize) + "\n";
  for (int t = 0; t < tiles; ++t) {
    const int src = t * 64;
    const int dst = 0x2000 + t * 64;
    const int row = (t % 8) * 16;
    text += "load.sp sram=" + std::to_string(row) + " dram=" + std::to_string(src) +
            " ny=1 nx=16 stride_x=4 lanes=4 push_next\n";
    text += "sync queue=1 pop_prev push_next\n";
    text += "store.sp sram=" + std::to_string(row) + " dram=" + std::to_string(dst) +
            " ny=1 nx=16 stride_x=4 lanes=4 pop_prev\n";
  }
  text += "finish\n";
  for (int a = 0; a < tiles * 64; a += 16) {
    text += ".data " + std::to_string(a) + " u8";
    for (int k = 0; k < 16; ++k) {
      text += " " + std::to_string(std::uniform_int_distribution<int>(0, 255)(rng));
    }
    text += "\n";
  }
  return isa::Assemble(text, "chain.s", Arch4x4());
}

void Place(std::vector<std::uint8_t>& memory, std::uint32_t base, const isa::Program& program) {
  for (std::size_t i = 0; i < program.instructions.size(); ++i) {
    for (int k = 0; k < 8; ++k) {
      memory[base + 16 * i + static_cast<std::size_t>(k)] =
          static_cast<std::uint8_t>(program.instructions[i].lo >> (8 * k));
      memory[base + 16 * i + 8 + static_cast<std::size_t>(k)] =
          static_cast<std::uint8_t>(program.instructions[i].hi >> (8 * k));
    }
  }
}

// The memory: program A's and B's words at kProgA and kProgB, A's data image.
std::vector<std::uint8_t> Memory(const isa::Program& a, const isa::Program& b) {
  std::vector<std::uint8_t> memory(kMemSize, 0);
  std::copy(a.dram_image.begin(), a.dram_image.end(), memory.begin());
  Place(memory, kProgA, a);
  Place(memory, kProgB, b);
  return memory;
}

// Every DRAM write beat's pc, in order.
void RecordWritePcs(RtlMachine& m, std::vector<std::uint32_t>& pcs) {
  m.SetObserver([&pcs](const QsaRtlInputs&, const QsaRtlOutputs& out,
                       const std::optional<DramWrite>& written) {
    if (written) pcs.push_back(out.w_pc);
  });
}

void Configure(RtlMachine& m, std::uint32_t base, std::uint32_t len, std::uint32_t watchdog = 0) {
  ASSERT_EQ(m.WriteReg(reg::kProgBase, base), reg::kRespOkay);
  ASSERT_EQ(m.WriteReg(reg::kProgLen, len), reg::kRespOkay);
  ASSERT_EQ(m.WriteReg(reg::kDramSize, kDramSize), reg::kRespOkay);
  ASSERT_EQ(m.WriteReg(reg::kMemSize, kMemSize), reg::kRespOkay);
  ASSERT_EQ(m.WriteReg(reg::kWatchdog, watchdog), reg::kRespOkay);
  ASSERT_EQ(m.WriteReg(reg::kIrqEnable, 3), reg::kRespOkay);
}

// Waits for the interrupt, clears it, and returns STATUS (BUSY clear, DONE set), having checked
// that no burst is left in the DRAM model.
std::uint32_t Finish(RtlMachine& m) {
  EXPECT_TRUE(m.WaitIrq(200000)) << "no interrupt";
  const std::uint32_t status = m.ReadReg(reg::kStatus);
  EXPECT_EQ(status & reg::kStatusBusy, 0u);
  EXPECT_NE(status & reg::kStatusDone, 0u);
  EXPECT_EQ(m.dram().outstanding_reads(), 0u);
  EXPECT_EQ(m.dram().outstanding_writes(), 0u);
  EXPECT_EQ(m.WriteReg(reg::kIrqStatus, 3), reg::kRespOkay);
  EXPECT_FALSE(m.outputs().irq);
  return status;
}

std::uint32_t Code(std::uint32_t status) { return (status >> 8) & 0xFu; }

// Program B from kProgB on fresh data: STATUS done without error, the DRAM and the instruction
// counters as the ISA simulator's.
void ExpectFreshRunMatchesIsa(RtlMachine& m, const isa::Program& b) {
  std::vector<std::uint8_t>& dram = m.dram().dram();
  std::fill(dram.begin(), dram.begin() + kDramSize, 0);
  std::copy(b.dram_image.begin(), b.dram_image.end(), dram.begin());
  Configure(m, kProgB, static_cast<std::uint32_t>(b.instructions.size()));
  ASSERT_EQ(m.WriteReg(reg::kCtrl, reg::kCtrlStart), reg::kRespOkay);
  const std::uint32_t status = Finish(m);
  EXPECT_EQ(status, reg::kStatusDone) << "STATUS " << status << " code " << Code(status);
  isa::IsaSimulator isa(Arch4x4(), b);
  const isa::IsaRunResult want = isa.Run();
  const std::vector<std::uint8_t> got(dram.begin(), dram.begin() + kDramSize);
  EXPECT_TRUE(got == isa.state().dram) << "the fresh program's DRAM differs";
  for (std::uint32_t op = 1; op <= 11; ++op) {
    EXPECT_EQ(static_cast<std::int64_t>(m.Counter(kCntInsnFirst + op - 1)),
              want.counters.instructions_by_opcode[op])
        << "opcode " << op << ": the counters restart at each start";
  }
  EXPECT_GT(m.Counter(kCntCycles), 0u);
}

TEST(Recovery, AbortInTheMiddleOfALongProgramThenAFreshProgramIsBitExact) {
  const std::uint64_t seed = sim_test::TestSeed(71);
  const isa::Program a = Chain(64, seed);
  const isa::Program b = Chain(5, seed + 1);
  RtlMachine m(Arch4x4(), Memory(a, b));
  Configure(m, kProgA, static_cast<std::uint32_t>(a.instructions.size()));
  ASSERT_EQ(m.WriteReg(reg::kCtrl, reg::kCtrlStart), reg::kRespOkay);
  for (int c = 0; c < 1500; ++c) m.Step();
  EXPECT_NE(m.ReadReg(reg::kStatus) & reg::kStatusBusy, 0u) << "the long program ended early";
  EXPECT_GT(m.dram().outstanding_reads() + m.dram().outstanding_writes(), 0u)
      << "abort without bursts in flight tests no drain";
  ASSERT_EQ(m.WriteReg(reg::kCtrl, reg::kCtrlAbort), reg::kRespOkay);
  const std::uint32_t status = Finish(m);
  EXPECT_EQ(status, reg::kStatusDone | reg::kStatusAborted) << "STATUS " << status;
  // Stopped somewhere inside the program.
  const std::uint32_t pc = m.ReadReg(reg::kErrorPc);
  EXPECT_GT(pc, 0u);
  EXPECT_LT(pc, a.instructions.size() - 1);
  ExpectFreshRunMatchesIsa(m, b);
}

// SLVERR on a load's, a store's or an instruction word's burst: error code 10 with that
// instruction's pc, no DRAM write of a later instruction, and then a fresh program runs.
TEST(Recovery, ErrorResponsesOnLoadStoreAndFetchThenAFreshProgramIsBitExact) {
  const std::uint64_t seed = sim_test::TestSeed(72);
  const isa::Program a = Chain(12, seed);
  const isa::Program b = Chain(4, seed + 1);
  struct Case {
    const char* what;
    std::uint32_t begin;
    std::uint32_t pc;     // the failing instruction
    bool earlier_writes;  // stores before it have written
  };
  // The DRAM answers SLVERR for a whole burst: a load's row, a store's row, 16 instruction words
  // (words 16..31: the error is the first of them).
  const Case cases[] = {
      {"load of tile 5", 5 * 64 + 20, 15, true},            // load.sp of tile 5: instruction 15
      {"store of tile 3", 0x2000 + 3 * 64 + 36, 11, true},  // store.sp of tile 3: instruction 11
      {"fetch of word 20", kProgA + 20 * 16 + 3, 16, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    RtlOptions options;
    options.dram_error_begin = c.begin;
    options.dram_error_end = c.begin + 1;
    RtlMachine m(Arch4x4(), Memory(a, b), options);
    std::vector<std::uint32_t> pcs;
    RecordWritePcs(m, pcs);
    Configure(m, kProgA, static_cast<std::uint32_t>(a.instructions.size()));
    ASSERT_EQ(m.WriteReg(reg::kCtrl, reg::kCtrlStart), reg::kRespOkay);
    const std::uint32_t status = Finish(m);
    EXPECT_EQ(status, reg::kStatusDone | reg::kStatusError | (10u << 8)) << "STATUS " << status;
    EXPECT_EQ(m.ReadReg(reg::kErrorPc), c.pc);
    if (c.earlier_writes) {
      EXPECT_FALSE(pcs.empty());
    }
    for (const std::uint32_t pc : pcs) EXPECT_LE(pc, c.pc) << "a write past the failing one";
    m.SetObserver(nullptr);
    m.dram().SetSlaveErrorRange(0, 0);
    ExpectFreshRunMatchesIsa(m, b);
  }
}

// The DRAM answers nothing for 3,000 cycles: with WATCHDOG 1,000 the run ends with error code
// 12; once the DRAM answers again the bursts in flight complete, and the next start works.
TEST(Recovery, TheWatchdogEndsARunWhoseDramStopsAnsweringAndTheNextStartWorks) {
  const std::uint64_t seed = sim_test::TestSeed(73);
  const isa::Program a = Chain(16, seed);
  const isa::Program b = Chain(4, seed + 1);
  RtlOptions options;
  options.dram_stall_begin = 600;
  options.dram_stall_end = 3600;
  RtlMachine m(Arch4x4(), Memory(a, b), options);
  Configure(m, kProgA, static_cast<std::uint32_t>(a.instructions.size()), 1000);
  ASSERT_EQ(m.WriteReg(reg::kCtrl, reg::kCtrlStart), reg::kRespOkay);
  EXPECT_TRUE(m.WaitIrq(200000));
  EXPECT_GE(m.cycle(), 3600) << "the run ended before the DRAM answered again";
  const std::uint32_t status = Finish(m);
  EXPECT_EQ(status, reg::kStatusDone | reg::kStatusError | (12u << 8)) << "STATUS " << status;
  EXPECT_LT(m.ReadReg(reg::kErrorPc), a.instructions.size());
  ExpectFreshRunMatchesIsa(m, b);
}

// Without the watchdog the same stall only delays the run.
TEST(Recovery, WithoutTheWatchdogADramStallOnlyDelaysTheRun) {
  const std::uint64_t seed = sim_test::TestSeed(74);
  const isa::Program a = Chain(16, seed);
  RtlOptions options;
  options.dram_stall_begin = 600;
  options.dram_stall_end = 3600;
  RtlMachine m(Arch4x4(), Memory(a, a), options);
  Configure(m, kProgA, static_cast<std::uint32_t>(a.instructions.size()), 0);
  ASSERT_EQ(m.WriteReg(reg::kCtrl, reg::kCtrlStart), reg::kRespOkay);
  EXPECT_EQ(Finish(m), reg::kStatusDone);
}

TEST(Recovery, AProgramOutsideMemoryIsRefusedAtStartAndTheNextStartWorks) {
  const std::uint64_t seed = sim_test::TestSeed(75);
  const isa::Program b = Chain(3, seed);
  RtlMachine m(Arch4x4(), Memory(b, b));
  std::vector<std::uint32_t> pcs;
  RecordWritePcs(m, pcs);
  const struct {
    std::uint32_t base, len;
  } bad[] = {{kMemSize - 16 * 3, 4}, {kMemSize, 1}, {kProgB + 8, 4}, {kProgB, 0}};
  for (const auto& p : bad) {
    Configure(m, p.base, p.len);
    ASSERT_EQ(m.WriteReg(reg::kCtrl, reg::kCtrlStart), reg::kRespOkay);
    const std::uint32_t status = Finish(m);
    EXPECT_EQ(status, reg::kStatusDone | reg::kStatusError | (11u << 8))
        << "base " << p.base << " len " << p.len << ": STATUS " << status;
    EXPECT_EQ(m.ReadReg(reg::kErrorPc), 0u);
  }
  EXPECT_EQ(m.dram().stats().read_bursts, 0) << "a refused program was fetched";
  EXPECT_TRUE(pcs.empty());
  m.SetObserver(nullptr);
  ExpectFreshRunMatchesIsa(m, b);
}

// While a run is in progress a write of START or of a configuration register answers SLVERR and
// ends the run with error code 13; IRQ_ENABLE may still be written.
TEST(Recovery, ARegisterWriteWhileBusyIsRefusedAndEndsTheRun) {
  const std::uint64_t seed = sim_test::TestSeed(76);
  const isa::Program a = Chain(32, seed);
  const isa::Program b = Chain(4, seed + 1);
  RtlMachine m(Arch4x4(), Memory(a, b));
  Configure(m, kProgA, static_cast<std::uint32_t>(a.instructions.size()));
  ASSERT_EQ(m.WriteReg(reg::kCtrl, reg::kCtrlStart), reg::kRespOkay);
  for (int c = 0; c < 800; ++c) m.Step();
  EXPECT_EQ(m.WriteReg(reg::kIrqEnable, 3), reg::kRespOkay);
  EXPECT_EQ(m.WriteReg(reg::kProgBase, kProgB), reg::kRespSlvErr);
  const std::uint32_t status = Finish(m);
  EXPECT_EQ(status, reg::kStatusDone | reg::kStatusError | (13u << 8)) << "STATUS " << status;
  EXPECT_EQ(m.ReadReg(reg::kProgBase), kProgA) << "the refused write changed the register";
  ExpectFreshRunMatchesIsa(m, b);
}

}  // namespace
}  // namespace qsa::sim

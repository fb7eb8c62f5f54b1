// Co-simulation: the verilated accelerator against the ISA simulator. Every program runs on both;
// what each instruction wrote to each memory (write records), the final DRAM and the event
// counters must be identical. Random DRAM latency and back-pressure must change nothing but the
// cycle count, and the cycle count is deterministic for a given seed and configuration.
//
// Seeds: program k uses seed QSA_TEST_SEED + k (default 1); QSA_RANDOM_PROGRAMS sets the number
// of random programs per configuration (default 350, so 1,050 in all). A failure names the
// configuration, the seed and the first instruction whose writes differ.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <tuple>

#include "model/base/error.h"
#include "model/golden/npy.h"
#include "model/isa/arch.h"
#include "model/isa/assembler.h"
#include "model/isa/executor.h"
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

int ProgramCount(int default_count) {
  const char* env = std::getenv("QSA_RANDOM_PROGRAMS");
  return env != nullptr ? std::atoi(env) : default_count;
}

std::vector<WriteRecord> Sorted(std::vector<WriteRecord> records) {
  std::sort(records.begin(), records.end(), [](const WriteRecord& a, const WriteRecord& b) {
    return std::tie(a.instruction, a.memory) < std::tie(b.instruction, b.memory);
  });
  return records;
}

std::string Describe(const WriteRecord& r) {
  std::ostringstream s;
  s << "instruction " << r.instruction << " " << isa::MemoryName(r.memory) << " " << r.first << "+"
    << r.extent << " hash " << std::hex << r.hash;
  return s.str();
}

// "" when the records agree, else the first difference with the instruction's disassembly.
std::string FirstDifference(const Program& program, const std::vector<WriteRecord>& isa,
                            const std::vector<WriteRecord>& rtl) {
  std::size_t i = 0;
  while (i < isa.size() && i < rtl.size() && isa[i] == rtl[i]) ++i;
  if (i == isa.size() && i == rtl.size()) return "";
  std::string s = "first differing write record #" + std::to_string(i) + ": isa ";
  s += i < isa.size() ? Describe(isa[i]) : "(none)";
  s += ", rtl ";
  s += i < rtl.size() ? Describe(rtl[i]) : "(none)";
  const std::int64_t at = i < isa.size() ? isa[i].instruction : rtl[i].instruction;
  s += " — " + isa::DisassembleWord(program.instructions[static_cast<std::size_t>(at)]);
  return s;
}

std::string CounterDifference(const isa::IsaCounters& a, const isa::IsaCounters& b) {
  std::ostringstream s;
  auto check = [&](const char* name, std::int64_t x, std::int64_t y) {
    if (x != y) s << name << " isa " << x << " rtl " << y << "; ";
  };
  check("instructions", a.instructions, b.instructions);
  for (std::size_t op = 0; op < a.instructions_by_opcode.size(); ++op) {
    check(("opcode " + std::to_string(op)).c_str(), a.instructions_by_opcode[op],
          b.instructions_by_opcode[op]);
  }
  check("macs_issued", a.macs_issued, b.macs_issued);
  check("macs_useful", a.macs_useful, b.macs_useful);
  check("dram.bytes_read", a.dram.bytes_read, b.dram.bytes_read);
  check("dram.bytes_written", a.dram.bytes_written, b.dram.bytes_written);
  check("scratchpad.bytes_read", a.scratchpad.bytes_read, b.scratchpad.bytes_read);
  check("scratchpad.bytes_written", a.scratchpad.bytes_written, b.scratchpad.bytes_written);
  check("accumulator.bytes_read", a.accumulator.bytes_read, b.accumulator.bytes_read);
  check("accumulator.bytes_written", a.accumulator.bytes_written, b.accumulator.bytes_written);
  check("param.bytes_read", a.param.bytes_read, b.param.bytes_read);
  check("param.bytes_written", a.param.bytes_written, b.param.bytes_written);
  return s.str();
}

struct IsaReference {
  std::vector<WriteRecord> writes;
  std::vector<std::uint8_t> dram;
  isa::IsaCounters counters;
};

IsaReference RunIsa(const ArchConfig& arch, const Program& program) {
  isa::IsaSimulator sim(arch, program);
  isa::IsaSimOptions options;
  options.record_writes = true;
  isa::IsaRunResult result = sim.Run(options);
  return {Sorted(std::move(result.writes)), sim.state().dram, result.counters};
}

RtlRunResult RunRtl(const ArchConfig& arch, const Program& program, RtlOptions options) {
  options.record_writes = true;
  RtlSimulator sim(arch, program, options);
  return sim.Run();
}

// Checks one program on both engines; returns "" or what differs.
std::string Cosimulate(const ArchConfig& arch, const Program& program, const RtlOptions& options,
                       std::int64_t* cycles = nullptr) {
  const IsaReference isa = RunIsa(arch, program);
  RtlRunResult rtl;
  try {
    rtl = RunRtl(arch, program, options);
  } catch (const Error& e) {
    return std::string("the RTL failed on a valid program: ") + e.what();
  }
  if (cycles != nullptr) *cycles = rtl.cycles;
  std::string diff = FirstDifference(program, isa.writes, Sorted(rtl.writes));
  if (!diff.empty()) return diff;
  if (isa.dram != rtl.dram) {
    std::size_t i = 0;
    while (i < isa.dram.size() && i < rtl.dram.size() && isa.dram[i] == rtl.dram[i]) ++i;
    return "final DRAM differs at byte " + std::to_string(i);
  }
  diff = CounterDifference(isa.counters, rtl.counters);
  if (!diff.empty()) return "counters differ: " + diff;
  return "";
}

class CosimRandom : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    arch_ = Arch(GetParam());
    seed_ = sim_test::TestSeed(1);
  }
  std::string Where(std::uint64_t seed) const {
    return "arch " + arch_.name + ", seed " + std::to_string(seed) +
           " (QSA_TEST_SEED=" + std::to_string(seed) + " QSA_RANDOM_PROGRAMS=1 reproduces it)";
  }
  ArchConfig arch_;
  std::uint64_t seed_ = 1;
};

// Constrained-random programs of every instruction class; every other one with random DRAM
// latency jitter and back-pressure.
TEST_P(CosimRandom, RandomProgramsMatchTheIsaSimulator) {
  const int count = ProgramCount(350);
  std::int64_t total_cycles = 0;
  for (int k = 0; k < count; ++k) {
    const std::uint64_t seed = seed_ + static_cast<std::uint64_t>(k);
    const Program program = testkit::GenerateRandomProgram(arch_, seed);
    RtlOptions options;
    if (k % 2 == 1) {
      options.dram_seed = seed;
      options.dram_jitter = 40;
      options.dram_backpressure = 0.3;
    }
    std::int64_t cycles = 0;
    const std::string diff = Cosimulate(arch_, program, options, &cycles);
    ASSERT_EQ(diff, "") << Where(seed);
    total_cycles += cycles;
  }
  std::cout << count << " programs on " << arch_.name << ", " << total_cycles
            << " RTL cycles in all\n";
}

// The DRAM's timing changes the cycle count only; the same seed gives the same cycle count.
TEST_P(CosimRandom, DramTimingChangesNothingButCycles) {
  for (int k = 0; k < 20; ++k) {
    const std::uint64_t seed = seed_ + 1000 + static_cast<std::uint64_t>(k);
    const Program program = testkit::GenerateRandomProgram(arch_, seed);
    RtlOptions plain;
    RtlOptions noisy;
    noisy.dram_seed = seed;
    noisy.dram_jitter = 60;
    noisy.dram_backpressure = 0.5;
    const RtlRunResult a = RunRtl(arch_, program, plain);
    const RtlRunResult b = RunRtl(arch_, program, noisy);
    const RtlRunResult c = RunRtl(arch_, program, noisy);
    EXPECT_EQ(Sorted(a.writes), Sorted(b.writes)) << Where(seed);
    EXPECT_EQ(a.dram, b.dram) << Where(seed);
    EXPECT_EQ(b.cycles, c.cycles) << Where(seed) << ": the same DRAM seed gave another cycle count";
    EXPECT_EQ(Sorted(b.writes), Sorted(c.writes)) << Where(seed);
    EXPECT_GT(b.cycles, a.cycles) << Where(seed) << ": jitter and back-pressure cost no cycles";
  }
}

// Every injected defect stops the RTL at the instruction the ISA simulator names: an error code
// for illegal words and out-of-bounds accesses, a hang report for the two deadlocks.
TEST_P(CosimRandom, DefectsStopTheAcceleratorAtTheirInstruction) {
  int checked = 0;
  for (testkit::DefectKind kind : testkit::kAllDefectKinds) {
    for (int k = 0; k < 6; ++k) {
      const std::uint64_t seed = seed_ + 2000 + static_cast<std::uint64_t>(k);
      testkit::RandomProgramOptions options;
      options.defect = kind;
      testkit::InjectedDefect defect;
      const Program program = testkit::GenerateRandomProgram(arch_, seed, options, &defect);
      const std::string where = Where(seed) + ", " + std::string(testkit::DefectKindName(kind)) +
                                ": " + defect.description;
      RtlOptions rtl_options;
      rtl_options.hang_cycles = 5000;
      rtl_options.check_program = false;  // the accelerator's decoder must find illegal words
      std::string message;
      try {
        RtlSimulator sim(arch_, program, rtl_options);
        sim.Run();
      } catch (const Error& e) {
        message = e.what();
      }
      ASSERT_NE(message, "") << where << ": the RTL did not stop";
      const std::string named = "instruction " + std::to_string(defect.instruction) + " ";
      if (message.find(named) == std::string::npos &&
          message.find("instruction " + std::to_string(defect.instruction) + ")") ==
              std::string::npos &&
          message.find("at instruction " + std::to_string(defect.instruction)) ==
              std::string::npos) {
        ADD_FAILURE() << where << ": the message does not name instruction " << defect.instruction
                      << ": " << message;
      }
      if (testkit::IsDeadlockDefect(kind)) {
        EXPECT_NE(message.find("hang"), std::string::npos) << where << ": " << message;
      }
      EXPECT_EQ(message.find('\n'), std::string::npos) << where << ": " << message;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6 * static_cast<int>(std::size(testkit::kAllDefectKinds)));
}

INSTANTIATE_TEST_SUITE_P(Arrays, CosimRandom, ::testing::Values("4x4", "8x8", "8x16", "4x4_l2"),
                         [](const auto& param_info) { return "a" + param_info.param; });

// A long double-buffered GEMM: correct against a plain matrix product, equal to the ISA
// simulator, and the array busy most of the time.
TEST(CosimGemm, DoubleBufferedGemmIsExactAndKeepsTheArrayBusy) {
  for (const auto& [name, shape] :
       {std::pair{std::string("4x4"), testkit::GemmProgramShape{64, 32, 32}},
        std::pair{std::string("8x16"), testkit::GemmProgramShape{128, 64, 64}},
        std::pair{std::string("4x4_l2"), testkit::GemmProgramShape{64, 32, 32}}}) {
    const ArchConfig arch = Arch(name);
    const Program program = testkit::MakeGemmProgram(arch, shape, 7);
    std::int64_t cycles = 0;
    ASSERT_EQ(Cosimulate(arch, program, {}, &cycles), "") << name;
    const RtlRunResult rtl = RunRtl(arch, program, {});
    const std::vector<std::int32_t> expected = testkit::GemmProgramReference(arch, shape, program);
    const std::size_t c = program.manifest.outputs[0].dram_addr;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      std::uint32_t v = 0;
      for (std::size_t b = 0; b < 4; ++b) v |= std::uint32_t{rtl.dram[c + 4 * i + b]} << (8 * b);
      ASSERT_EQ(static_cast<std::int32_t>(v), expected[i]) << name << " element " << i;
    }
    const double utilization =
        static_cast<double>(rtl.counters.macs_useful) /
        (static_cast<double>(arch.rows * arch.cols) * static_cast<double>(rtl.cycles));
    std::cout << name << " GEMM " << shape.m << "x" << shape.k << "x" << shape.n << ": "
              << rtl.cycles << " cycles, utilization " << utilization << ", bank stalls "
              << rtl.bank_stall << "\n";
    EXPECT_GT(utilization, 0.5) << name;
  }
}

// ---- Bank conflicts (docs/rtl.md, "Memories") ----------------------------------------------
// On 4x4 the scratchpad is 4 banks of 1024 rows and the accumulator 2 banks of 256 rows. Each
// program below makes clients meet in one bank; the results must stay exact (only cycles change)
// and the RTL's bank-stall counter must equal the ISA simulator's where that one is exact.

// `.data ADDR TYPE v0 v1 ...` with `count` values (k * 37 + seed) wrapped into the type's range.
std::string DataLines(std::int64_t addr, const std::string& type, std::int64_t count, int seed) {
  std::ostringstream s;
  const std::int64_t size = type == "i32" ? 4 : 1;
  for (std::int64_t k = 0; k < count; k += 16, addr += 16 * size) {
    s << ".data 0x" << std::hex << addr << std::dec << " " << type;
    for (std::int64_t j = k; j < std::min(count, k + 16); ++j) {
      const std::int64_t v = j * 37 + seed;
      s << " " << (type == "u8" ? v % 256 : type == "i8" ? v % 256 - 128 : v * 1009 - 40000);
    }
    s << "\n";
  }
  return s.str();
}

struct BankRun {
  std::int64_t rtl_stall = 0;
  std::int64_t isa_stall = 0;
};

// Cosimulates `text` on 4x4 (exact or the test fails) and returns both bank-stall figures.
// Back-to-back gemms of n = 1, 2 or 3 rows, each adding to the accumulator rows 0..n-1 the one
// before wrote: a gemm's row reads the row the previous gemm writes n cycles before its own write
// (one or two cycles before: the gemm's accumulate bypass at both read latencies, docs/rtl.md
// "Memories"). Exact against the ISA simulator on every write and against a plain sum of products.
TEST(CosimGemm, AccumulatingIntoRowsJustWrittenIsExact) {
  constexpr int kGemms = 6;
  for (const std::string name : {"4x4", "4x4_l2"}) {
    for (const int n : {1, 2, 3}) {
      SCOPED_TRACE(name + ", " + std::to_string(n) + " rows per gemm");
      const ArchConfig arch = Arch(name);
      std::string text =
          ".dram_size 0x400\n"
          "load.sp sram=0 dram=0x0 ny=1 nx=18 stride_x=4 lanes=4\n"
          "load.sp sram=1024 dram=0x80 ny=1 nx=4 stride_x=4 lanes=4 push_next\n";
      for (int g = 0; g < kGemms; ++g) {
        text += "gemm act=" + std::to_string(g * n) + " act_outer=" + std::to_string(n) +
                " act_inner=1 acc=0 acc_outer=" + std::to_string(n) +
                " n_outer=1 n_inner=" + std::to_string(n) + " w=1024 k_lanes=4 n_lanes=4" +
                (g == 0 ? " preload pop_prev" : " accumulate") +
                (g == kGemms - 1 ? " push_next" : "") + " act_signed\n";
      }
      text += "store.acc sram=0 dram=0x200 ny=1 nx=" + std::to_string(n) +
              " stride_x=16 lanes=4 pop_prev\n"
              "finish\n" +
              DataLines(0, "i8", 72, 5) + DataLines(0x80, "i8", 16, 6);
      const Program program = isa::Assemble(text, "bypass_test.s", arch);
      ASSERT_EQ(Cosimulate(arch, program, {}), "");
      const RtlRunResult rtl = RunRtl(arch, program, {});
      // DataLines' i8 value of byte j.
      const auto byte = [](std::int64_t j, int seed) { return (j * 37 + seed) % 256 - 128; };
      for (int r = 0; r < n; ++r) {
        for (int c = 0; c < 4; ++c) {
          std::int64_t want = 0;
          for (int g = 0; g < kGemms; ++g) {
            for (int k = 0; k < 4; ++k) want += byte((g * n + r) * 4 + k, 5) * byte(c * 4 + k, 6);
          }
          std::uint32_t v = 0;
          const std::size_t at = 0x200 + static_cast<std::size_t>(16 * r + 4 * c);
          for (std::size_t b = 0; b < 4; ++b) v |= std::uint32_t{rtl.dram[at + b]} << (8 * b);
          EXPECT_EQ(static_cast<std::int32_t>(v), want) << "row " << r << " lane " << c;
        }
      }
    }
  }
}

BankRun RunBankProgram(const std::string& text) {
  const ArchConfig arch = Arch("4x4");
  const Program program = isa::Assemble(text, "bank_test.s", arch);
  EXPECT_EQ(Cosimulate(arch, program, {}), "");
  isa::IsaSimulator sim(arch, program);
  BankRun r;
  r.isa_stall = sim.Run().timing.bank_stall_cycles;
  r.rtl_stall = RunRtl(arch, program, {}).bank_stall;
  std::cout << "bank stalls: ISA " << r.isa_stall << ", RTL " << r.rtl_stall << "\n";
  // At SRAM read latency 2: the same results, and the compute unit's requests meet in the same
  // cycles (the same stalls where the ISA simulator's count is exact; a DMA waiting for a bank,
  // which it leaves out, may meet the compute unit's reads a cycle apart).
  const ArchConfig l2 = Arch("4x4_l2");
  EXPECT_EQ(Cosimulate(l2, program, {}), "");
  EXPECT_EQ(isa::IsaSimulator(l2, program).Run().timing.bank_stall_cycles, r.isa_stall);
  if (r.isa_stall == r.rtl_stall) {
    EXPECT_EQ(RunRtl(l2, program, {}).bank_stall, r.rtl_stall);
  }
  return r;
}

// vadd: rows a + i and b + i in one bank take two cycles. A at rows 1020..1027 (banks 0 and 1),
// B at 0..7 (bank 0): rows 0..3 share bank 0, an exact count of 4 in both engines.
TEST(CosimBanks, VaddOperandsInOneBankAreReadInTwoCycles) {
  const std::string descriptor = ".data 0x100 i32 " + std::to_string(3 | 5 << 8 | 7 << 16) + " " +
                                 std::to_string(255 << 8 | 20 << 16) +
                                 " 1518500250 256 1073741824 0 1431655765 " +
                                 std::to_string(19 << 8) + "\n";
  for (const auto& [a, stalls] : {std::pair{1020, 4}, std::pair{1024, 0}}) {
    const std::string text =
        ".dram_size 0x300\n"
        "load.sp sram=" +
        std::to_string(a) +
        " dram=0x0 ny=1 nx=8 stride_x=4 lanes=4\n"
        "load.sp sram=0 dram=0x40 ny=1 nx=8 stride_x=4 lanes=4\n"
        "load.param sram=0 dram=0x100 ny=1 nx=2 stride_x=16 lanes=4 "
        "push_next\n"
        "vadd a=" +
        std::to_string(a) +
        " b=0 dst=2048 n=8 param=0 pop_prev push_next\n"
        "store.sp sram=2048 dram=0x200 ny=1 nx=8 stride_x=4 lanes=4 "
        "pop_prev\n"
        "finish\n" +
        DataLines(0, "u8", 32, 1) + DataLines(0x40, "u8", 32, 2) + descriptor;
    const BankRun r = RunBankProgram(text);
    EXPECT_EQ(r.isa_stall, stalls) << "a = " << a;
    EXPECT_EQ(r.rtl_stall, stalls) << "a = " << a;
  }
}

// gemm on an idle unit: the preload reads weight rows w..w+3 while the stream would start; in
// the activations' bank the stream waits for the last COLS - 1 = 3 of them (exact in both).
TEST(CosimBanks, PreloadInTheStreamsBankDelaysTheStream) {
  for (const auto& [w, stalls] : {std::pair{8, 3}, std::pair{1024, 0}}) {
    const std::string text =
        ".dram_size 0x400\n"
        "load.sp sram=0 dram=0x0 ny=1 nx=8 stride_x=4 lanes=4\n"
        "load.sp sram=" +
        std::to_string(w) +
        " dram=0x40 ny=1 nx=4 stride_x=4 lanes=4 push_next\n"
        "gemm act=0 act_outer=0 act_inner=1 acc=0 acc_outer=0 n_outer=1 "
        "n_inner=8 w=" +
        std::to_string(w) +
        " k_lanes=4 n_lanes=4 preload act_signed pop_prev push_next\n"
        "store.acc sram=0 dram=0x100 ny=1 nx=8 stride_x=16 lanes=4 "
        "pop_prev\n"
        "finish\n" +
        DataLines(0, "i8", 32, 3) + DataLines(0x40, "i8", 16, 4);
    const BankRun r = RunBankProgram(text);
    EXPECT_EQ(r.isa_stall, stalls) << "w = " << w;
    EXPECT_EQ(r.rtl_stall, stalls) << "w = " << w;
  }
}

// Back-to-back gemms: the second one's preload runs while the first streams; with its weights
// in the first one's activation bank the stream takes bubbles (the ISA simulator estimates
// COLS of them; the RTL counts the bubbles it takes).
TEST(CosimBanks, PreloadDuringThePreviousGemmsStreamTakesBubbles) {
  for (const auto& [w2, conflict] : {std::pair{16, true}, std::pair{1040, false}}) {
    const std::string text =
        ".dram_size 0x1000\n"
        "load.sp sram=0 dram=0x0 ny=1 nx=64 stride_x=4 lanes=4\n"
        "load.sp sram=1024 dram=0x100 ny=1 nx=4 stride_x=4 lanes=4\n"
        "load.sp sram=" +
        std::to_string(w2) +
        " dram=0x110 ny=1 nx=4 stride_x=4 lanes=4 push_next\n"
        "gemm act=0 act_outer=0 act_inner=1 acc=0 acc_outer=0 n_outer=1 "
        "n_inner=64 w=1024 k_lanes=4 n_lanes=4 preload pop_prev\n"
        "gemm act=0 act_outer=0 act_inner=1 acc=64 acc_outer=0 n_outer=1 "
        "n_inner=64 w=" +
        std::to_string(w2) +
        " k_lanes=4 n_lanes=4 preload push_next\n"
        "store.acc sram=0 dram=0x200 ny=1 nx=128 stride_x=16 lanes=4 "
        "pop_prev\n"
        "finish\n" +
        DataLines(0, "u8", 256, 5) + DataLines(0x100, "i8", 32, 6);
    const ArchConfig arch = Arch("4x4");
    const BankRun r = RunBankProgram(text);
    EXPECT_EQ(r.isa_stall, conflict ? arch.cols : 0) << "w2 = " << w2;
    if (conflict) {
      EXPECT_GT(r.rtl_stall, 0) << "w2 = " << w2;
      EXPECT_LE(r.rtl_stall, arch.cols) << "w2 = " << w2;
    } else {
      EXPECT_EQ(r.rtl_stall, 0) << "w2 = " << w2;
    }
  }
}

// The DMA yields to the compute unit: while a long gemm streams from scratchpad bank 0 and writes
// accumulator rows 0..191 (bank 0), a store reads scratchpad rows of bank 0 and a load writes
// accumulator rows 200..215 (bank 0). Both wait for bubbles (the ISA simulator does not model DMA
// conflicts: 0 there); with the DMA's rows in other banks nobody waits.
TEST(CosimBanks, LoadAndStoreWaitForTheComputeUnitsBank) {
  for (const auto& [sp_row, acc_row, conflict] :
       {std::tuple{200, 200, true}, std::tuple{2048, 300, false}}) {
    const std::string text =
        ".dram_size 0x2000\n"
        "load.sp sram=0 dram=0x0 ny=1 nx=64 stride_x=4 lanes=4\n"
        "load.sp sram=1024 dram=0x100 ny=1 nx=4 stride_x=4 lanes=4\n"
        "load.sp sram=" +
        std::to_string(sp_row) +
        " dram=0x200 ny=1 nx=16 stride_x=4 lanes=4 push_next\n"
        "load.acc sram=" +
        std::to_string(acc_row) +
        " dram=0x300 ny=1 nx=16 stride_x=16 lanes=4 push_next\n"
        "sync queue=1 pop_prev push_next\n"
        "gemm act=0 act_outer=0 act_inner=1 acc=0 acc_outer=64 n_outer=3 n_inner=64 w=1024 "
        "k_lanes=4 n_lanes=4 preload\n"
        "sync queue=1 pop_prev push_next\n"
        "store.sp sram=" +
        std::to_string(sp_row) +
        " dram=0x400 ny=1 nx=16 stride_x=4 lanes=4 pop_prev\n"
        "store.acc sram=0 dram=0x1000 ny=1 nx=192 stride_x=16 lanes=4 pop_prev\n"
        "store.acc sram=" +
        std::to_string(acc_row) +
        " dram=0x800 ny=1 nx=16 stride_x=16 lanes=4\n"
        "finish\n" +
        DataLines(0, "u8", 256, 7) + DataLines(0x100, "i8", 16, 8) + DataLines(0x200, "u8", 64, 9) +
        DataLines(0x300, "i32", 64, 10);
    const BankRun r = RunBankProgram(text);
    EXPECT_EQ(r.isa_stall, 0);
    if (conflict) {
      EXPECT_GT(r.rtl_stall, 0);
    } else {
      EXPECT_EQ(r.rtl_stall, 0);
    }
  }
}

// The hand-written convolution example: RTL output equals the golden model's expected output.
// ---- Post beside the next gemm (docs/isa.md, "Overlap") ------------------------------------
// gemm A (accumulator rows 0..63, bank 0), post A, gemm B, post B on 4x4. gemm B writes
// accumulator rows `acc_b` and reads scratchpad rows `act_b`: in the other accumulator bank and
// away from post A's output it runs beside post A; on post A's accumulator rows (a write after
// the post's read) or on its output rows (a read after its write) it must wait for post A. The
// results are exact in every case (the ISA simulator executes in program order); the cycles show
// the overlap in the RTL and in the ISA simulator alike. gemm B accumulates (its rows come from
// a load.acc): with its rows in post A's accumulator bank, post A's reads wait for gemm B's
// (bank stalls), results unchanged.
struct OverlapRun {
  std::int64_t rtl_cycles = 0, isa_cycles = 0, rtl_stall = 0, isa_stall = 0;
};

OverlapRun RunOverlapProgram(const std::string& arch_name, int acc_b, int act_b) {
  const std::string text =
      ".dram_size 0x1000\n"
      "load.sp sram=0 dram=0x0 ny=1 nx=64 stride_x=4 lanes=4\n"
      "load.sp sram=2048 dram=0x0 ny=1 nx=64 stride_x=4 lanes=4\n"
      "load.sp sram=1024 dram=0x100 ny=1 nx=4 stride_x=4 lanes=4\n"
      "load.acc sram=" +
      std::to_string(acc_b) +
      " dram=0x600 ny=1 nx=64 stride_x=16 lanes=4\n"
      "load.param sram=0 dram=0x200 ny=1 nx=4 stride_x=16 lanes=4 push_next\n"
      "gemm act=0 act_outer=0 act_inner=1 acc=0 acc_outer=0 n_outer=1 n_inner=64 w=1024 "
      "k_lanes=4 n_lanes=4 preload pop_prev\n"
      "post acc=0 n=64 dst=3072 dst_stride=1 n_lanes=4 param=0\n"
      "gemm act=" +
      std::to_string(act_b) + " act_outer=0 act_inner=1 acc=" + std::to_string(acc_b) +
      " acc_outer=0 n_outer=1 n_inner=64 w=1024 k_lanes=4 n_lanes=4 accumulate\n"
      "post acc=" +
      std::to_string(acc_b) +
      " n=64 dst=3136 dst_stride=1 n_lanes=4 param=0 push_next\n"
      "store.sp sram=3072 dram=0x400 ny=1 nx=128 stride_x=4 lanes=4 pop_prev\n"
      "finish\n" +
      DataLines(0, "u8", 256, 5) + DataLines(0x100, "i8", 16, 6) + DataLines(0x600, "i32", 256, 7) +
      ".data 0x200 i32 0 0 0 0\n"
      ".data 0x210 i32 1073741824 1073741824 1073741824 1073741824\n"
      ".data 0x220 i32 2048 2048 2048 2048\n"
      ".data 0x230 i32 " +
      std::to_string(255 << 16) + " " + std::to_string(255 << 16) + " " +
      std::to_string(255 << 16) + " " + std::to_string(255 << 16) + "\n";
  const ArchConfig arch = Arch(arch_name);
  const Program program = isa::Assemble(text, "overlap_test.s", arch);
  EXPECT_EQ(Cosimulate(arch, program, {}), "") << arch_name << " acc_b " << acc_b;
  OverlapRun r;
  const RtlRunResult rtl = RunRtl(arch, program, {});
  r.rtl_cycles = rtl.cycles;
  r.rtl_stall = rtl.bank_stall;
  const isa::IsaRunResult isa_run = isa::IsaSimulator(arch, program).Run();
  r.isa_cycles = isa_run.timing.cycles;
  r.isa_stall = isa_run.timing.bank_stall_cycles;
  std::cout << arch_name << " acc_b " << acc_b << " act_b " << act_b << ": RTL " << r.rtl_cycles
            << " cycles (" << r.rtl_stall << " bank stalls), ISA " << r.isa_cycles << " ("
            << r.isa_stall << ")\n";
  return r;
}

TEST(CosimOverlap, PostRunsBesideTheNextGemmUnlessTheirRowsMeet) {
  for (const std::string name : {"4x4", "4x4_l2"}) {
    const OverlapRun apart = RunOverlapProgram(name, 256, 0);         // other bank, other rows
    const OverlapRun same_rows = RunOverlapProgram(name, 0, 0);       // writes post A's rows
    const OverlapRun reads_out = RunOverlapProgram(name, 256, 3072);  // reads post A's output
    const OverlapRun same_bank = RunOverlapProgram(name, 64, 0);      // post A's bank
    // Post A's 64 rows run beside gemm B's 64 rows: about 64 cycles fewer than when gemm B
    // waits for post A.
    EXPECT_LT(apart.rtl_cycles + 50, same_rows.rtl_cycles) << name;
    EXPECT_LT(apart.rtl_cycles + 50, reads_out.rtl_cycles) << name;
    EXPECT_LT(apart.isa_cycles + 50, same_rows.isa_cycles) << name;
    EXPECT_LT(apart.isa_cycles + 50, reads_out.isa_cycles) << name;
    EXPECT_EQ(apart.rtl_stall, 0) << name;
    // (The ISA simulator leaves these waits out: docs/isa.md, "Timing model"; about one per row.)
    EXPECT_GT(same_bank.rtl_stall, 32) << name;
    EXPECT_LE(same_bank.rtl_stall, 64) << name;
    for (const OverlapRun* r : {&apart, &same_rows, &reads_out}) {
      const double ratio = static_cast<double>(r->isa_cycles) / static_cast<double>(r->rtl_cycles);
      EXPECT_NEAR(ratio, 1.0, 0.05) << name;
    }
  }
}

TEST(CosimExample, HandWrittenConvolutionEqualsTheGoldenOutput) {
  const std::string dir = std::string(QSA_SOURCE_DIR) + "/examples/isa/conv3x3_s2/";
  const ArchConfig arch = Arch("8x8");
  const Program program = isa::AssembleFile(dir + "conv.s", arch);
  const golden::Tensor input = golden::ReadNpy(dir + "input.npy");
  const golden::Tensor expected = golden::ReadNpy(dir + "expected.npy");
  const RtlProgramRun run =
      RunProgramOnRtl(arch, program, {{program.manifest.inputs[0].name, input}});
  const golden::Tensor& y = run.outputs.at(program.manifest.outputs[0].name);
  ASSERT_EQ(y.shape(), expected.shape());
  for (std::int64_t i = 0; i < y.size(); ++i) ASSERT_EQ(y.GetInt(i), expected.GetInt(i)) << i;
  EXPECT_EQ(run.result.counters.macs_useful, 13824);
}

}  // namespace
}  // namespace qsa::sim

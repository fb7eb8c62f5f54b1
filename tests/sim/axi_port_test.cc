// The accelerator's AXI4 memory port (docs/rtl.md, "AXI4 memory port") in co-simulation: rows at
// any byte alignment and bursts split at 4 KiB boundaries give the ISA simulator's bytes under
// jitter and back-pressure; an error response stops the accelerator with its own error code at
// the instruction that met it, with nothing written after it; long loads and stores keep the bus
// busy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "model/base/error.h"
#include "model/isa/arch.h"
#include "model/isa/assembler.h"
#include "model/isa/simulator.h"
#include "sim/rtl_sim.h"
#include "tests/sim/sim_test_util.h"

namespace qsa::sim {
namespace {

// `.data` lines of `bytes` random bytes from `addr`.
std::string RandomData(std::uint32_t addr, int bytes, std::mt19937_64& rng) {
  std::string text;
  for (int k = 0; k < bytes; k += 16) {
    text += ".data " + std::to_string(addr + static_cast<std::uint32_t>(k)) + " u8";
    for (int j = 0; j < 16 && k + j < bytes; ++j) {
      text += " " + std::to_string(std::uniform_int_distribution<int>(0, 255)(rng));
    }
    text += "\n";
  }
  return text;
}

// Loads and stores whose rows start at odd addresses and cross 4 KiB boundaries (a row of
// load.sp from 0xff3 spans 0xff3..0x1002; the load.acc rows of 64 bytes cross 0x1000 and 0x2000;
// the stores end past 0x2000 and 0x3000), moved through the scratchpad and the accumulator.
std::string CrossingProgram(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string text = ".dram_size 0x4000\n";
  text += RandomData(0xE00, 0x600, rng);
  text += RandomData(0x1F00, 0x200, rng);
  text += R"(
load.sp sram=0 dram=0xff3 ny=2 nx=8 stride_y=133 stride_x=16 lanes=16 pad_left=1 fill=7
load.acc sram=0 dram=0xf05 ny=2 nx=3 stride_y=0x1000 stride_x=64 lanes=16 push_next
sync queue=1 pop_prev push_next
store.sp sram=0 dram=0x2f81 ny=2 nx=8 stride_y=135 stride_x=16 lanes=13 lane0=2 pop_prev
store.acc sram=0 dram=0x1fc7 ny=1 nx=6 stride_x=64 lanes=16
finish
)";
  return text;
}

isa::ArchConfig Default() { return isa::DefaultArchConfig(); }

TEST(AxiPort, UnalignedRowsCrossingFourKibBoundariesMatchTheIsaSimulator) {
  const std::uint64_t seed = sim_test::TestSeed(41);
  SCOPED_TRACE("data seed " + std::to_string(seed));
  const isa::Program program = isa::Assemble(CrossingProgram(seed), "crossing.s", Default());
  sim_test::ExpectRtlMatchesIsa(Default(), program, RtlOptions{});
}

TEST(AxiPort, JitterAndBackPressureChangeOnlyTheCycles) {
  const std::uint64_t seed = sim_test::TestSeed(42);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const isa::Program program = isa::Assemble(CrossingProgram(seed), "crossing.s", Default());
  for (std::uint64_t k = 0; k < 3; ++k) {
    RtlOptions options;
    options.dram_seed = seed + k;
    options.dram_jitter = 60;
    options.dram_backpressure = 0.4;
    sim_test::ExpectRtlMatchesIsa(Default(), program, options);
  }
}

// Error responses (SLVERR injected on one DRAM byte): the accelerator stops with error code 10
// at the instruction whose burst met it. A load writes no row from the failing beat on; a store's
// later bursts are not sent and the next store never starts.
TEST(AxiPort, AnErrorResponseStopsAtTheInstructionThatMetIt) {
  const std::uint64_t seed = sim_test::TestSeed(43);
  SCOPED_TRACE("data seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::string text =
      ".dram_size 0x2000\n" + RandomData(0x0, 64, rng) + RandomData(0x800, 64, rng) + R"(
load.sp sram=0 dram=0x0 ny=1 nx=4 stride_x=16 lanes=16 push_next
load.sp sram=8 dram=0x800 ny=1 nx=4 stride_x=16 lanes=16 push_next
sync queue=1 pop_prev push_next
sync queue=1 pop_prev push_next
store.sp sram=0 dram=0x1000 ny=1 nx=4 stride_x=16 lanes=16 pop_prev
store.sp sram=8 dram=0x1800 ny=1 nx=4 stride_x=16 lanes=16 pop_prev
finish
)";
  const isa::Program program = isa::Assemble(text, "error.s", Default());
  const std::string stopped =
      ": the accelerator stopped: DRAM error response (SLVERR or DECERR) "
      "(error code 10)";
  {
    RtlOptions options;
    options.dram_error_begin = 0x820;  // the second load's third row
    options.dram_error_end = 0x821;
    RtlSimulator rtl(Default(), program, options);
    try {
      rtl.Run();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "instruction 1 (load.sp)" + stopped);
    }
    // The second store, which pops the failing load's token, never wrote.
    for (std::size_t a = 0x1800; a < 0x1840; ++a) EXPECT_EQ(rtl.dram()[a], 0) << a;
  }
  {
    RtlOptions options;
    options.dram_error_begin = 0x1000;  // the first store's first row
    options.dram_error_end = 0x1001;
    RtlSimulator rtl(Default(), program, options);
    try {
      rtl.Run();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "instruction 4 (store.sp)" + stopped);
    }
    const std::vector<std::uint8_t>& image = program.dram_image;
    for (std::size_t a = 0; a < 16; ++a) EXPECT_EQ(rtl.dram()[0x1000 + a], 0) << a;  // dropped
    for (std::size_t a = 0x1800; a < 0x1840; ++a) EXPECT_EQ(rtl.dram()[a], 0) << a;
    // Rows sent before the error response came back are written (each row is its own burst).
    std::size_t written = 0;
    for (std::size_t a = 16; a < 64; ++a) written += rtl.dram()[0x1000 + a] == image[a] ? 1 : 0;
    EXPECT_EQ(written, 48u);
  }
}

// DRAM bus efficiency, bytes moved / (16 bytes x the unit's busy cycles), of a long load and a
// long store (4,080 rows of 16 bytes each, one burst per row) at 100 cycles of latency: the
// latency is paid once per instruction, so both stay above 85 %.
TEST(AxiPort, ALongLoadAndALongStoreKeepTheBusBusy) {
  const std::string text = R"(
.dram_size 0x20000
load.sp sram=0 dram=0x0 ny=16 nx=255 stride_y=4080 stride_x=16 lanes=16 push_next
sync queue=1 pop_prev push_next
store.sp sram=0 dram=0x10000 ny=16 nx=255 stride_y=4080 stride_x=16 lanes=16 pop_prev
finish
)";
  const isa::ArchConfig arch = Default();
  ASSERT_EQ(arch.dram_latency_cycles, 100);
  const isa::Program program = isa::Assemble(text, "long.s", arch);
  RtlSimulator rtl(arch, program, {});
  const RtlRunResult r = rtl.Run();
  const double bytes = 16.0 * 4080;
  const double load = bytes / (16.0 * static_cast<double>(r.busy[0]));
  const double store = bytes / (16.0 * static_cast<double>(r.busy[2]));
  std::printf("bus efficiency at latency 100: load %.1f %% (%lld cycles), store %.1f %% (%lld)\n",
              100.0 * load, static_cast<long long>(r.busy[0]), 100.0 * store,
              static_cast<long long>(r.busy[2]));
  EXPECT_EQ(r.dram_read_beats, 4080);
  EXPECT_EQ(r.dram_write_beats, 4080);
  EXPECT_GE(load, 0.85);
  EXPECT_GE(store, 0.85);
}

}  // namespace
}  // namespace qsa::sim

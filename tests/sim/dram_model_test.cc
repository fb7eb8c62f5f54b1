#include "sim/dram_model.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <optional>
#include <vector>

#include "model/base/error.h"
#include "tests/sim/sim_test_util.h"

namespace qsa::sim {
namespace {

using sim_test::Counting;
using sim_test::Timing;

DramOptions Random(int latency, std::optional<std::uint64_t> seed, int jitter,
                   double backpressure) {
  DramOptions options = Timing(latency);
  options.seed = seed;
  options.max_jitter = jitter;
  options.backpressure = backpressure;
  return options;
}

DramActivity ReadAt(std::uint32_t addr) {
  DramActivity a;
  a.rd_req_valid = true;
  a.rd_req_addr = addr;
  a.rd_rsp_ready = true;
  return a;
}

// Issues one read at cycle 0 and returns the cycle its response is offered.
TEST(DramModel, ReadAnswersAfterTheLatencyWithTheBeat) {
  DramModel dram(Counting(64), Timing(5));
  DramDrive d = dram.Drive();
  ASSERT_TRUE(d.rd_req_ready);
  dram.Clock(d, ReadAt(16));
  DramActivity idle;
  idle.rd_rsp_ready = true;
  for (int cycle = 1; cycle < 5; ++cycle) {
    d = dram.Drive();
    EXPECT_FALSE(d.rd_rsp_valid) << "cycle " << cycle;
    dram.Clock(d, idle);
  }
  d = dram.Drive();
  ASSERT_TRUE(d.rd_rsp_valid);
  for (int k = 0; k < kBusBytes; ++k) EXPECT_EQ(d.rd_rsp_data[k], 17 + k);
  dram.Clock(d, idle);
  EXPECT_EQ(dram.outstanding_reads(), 0u);
}

TEST(DramModel, BytesPastTheEndReadAsZeroAndWritesThereAreDropped) {
  DramModel dram(Counting(20), Timing(1));
  DramDrive d = dram.Drive();
  DramActivity a = ReadAt(16);
  a.wr_req_valid = true;
  a.wr_req_addr = 16;
  a.wr_req_data.fill(0xAB);
  a.wr_req_strb = 0xFFFF;
  // Read and write accepted in the same cycle: the read sees the DRAM before the write.
  ASSERT_TRUE(d.rd_req_ready && d.wr_req_ready);
  const auto written = dram.Clock(d, a);
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(dram.dram().size(), 20u);
  for (std::size_t k = 16; k < 20; ++k) EXPECT_EQ(dram.dram()[k], 0xAB);
  d = dram.Drive();
  ASSERT_TRUE(d.rd_rsp_valid);
  EXPECT_TRUE(d.wr_ack);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(d.rd_rsp_data[k], 17 + k);
  for (int k = 4; k < kBusBytes; ++k) EXPECT_EQ(d.rd_rsp_data[k], 0);
}

TEST(DramModel, StrobesSelectTheBytesWritten) {
  DramModel dram(std::vector<std::uint8_t>(32, 0), Timing(3));
  DramActivity a;
  a.wr_req_valid = true;
  a.wr_req_addr = 16;
  a.wr_req_data.fill(7);
  a.wr_req_strb = 0x0005;  // bytes 0 and 2
  dram.Clock(dram.Drive(), a);
  std::vector<std::uint8_t> want(32, 0);
  want[16] = 7;
  want[18] = 7;
  EXPECT_EQ(dram.dram(), want);
  // The acknowledge comes after the latency, once.
  int acks = 0;
  int ack_cycle = -1;
  for (int cycle = 1; cycle < 10; ++cycle) {
    const DramDrive d = dram.Drive();
    if (d.wr_ack) {
      ++acks;
      ack_cycle = cycle;
    }
    dram.Clock(d, DramActivity{});
  }
  EXPECT_EQ(acks, 1);
  EXPECT_EQ(ack_cycle, 3);
}

// With 4 bytes per cycle a 16-byte beat occupies the port for 4 cycles; reads and writes share
// it.
TEST(DramModel, BandwidthIsSharedByReadsAndWrites) {
  DramModel dram(Counting(4096), Timing(2, 4));
  DramActivity a = ReadAt(0);
  a.wr_req_valid = true;
  a.wr_req_strb = 0xFFFF;
  int beats = 0;
  const int cycles = 400;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    const DramDrive d = dram.Drive();
    beats += (d.rd_req_ready ? 1 : 0) + (d.wr_req_ready ? 1 : 0);
    dram.Clock(d, a);
  }
  // 400 cycles × 4 bytes = 100 beats (the first may start on the initial credit).
  EXPECT_GE(beats, 99);
  EXPECT_LE(beats, 102);
}

TEST(DramModel, FractionalBeatCostAccumulatesCredit) {
  // 5 bytes per cycle: a beat every 3.2 cycles.
  DramModel dram(Counting(4096), Timing(2, 5));
  int beats = 0;
  for (int cycle = 0; cycle < 320; ++cycle) {
    const DramDrive d = dram.Drive();
    beats += d.rd_req_ready ? 1 : 0;
    dram.Clock(d, ReadAt(0));
  }
  EXPECT_GE(beats, 99);
  EXPECT_LE(beats, 101);
}

// With jitter and back-pressure, responses still come back in request order, each after at
// least the latency, and the channels are sometimes not ready.
TEST(DramModel, JitterKeepsResponsesInOrder) {
  const std::uint64_t seed = sim_test::TestSeed(11);
  const int latency = 10;
  DramModel dram(Counting(4096), Random(latency, seed, 30, 0.25));
  std::vector<std::pair<std::uint32_t, int>> issued;  // address, cycle
  std::size_t answered = 0;
  int not_ready = 0;
  int distinct_delays = 0;
  int last_delay = -1;
  for (int cycle = 0; cycle < 2000; ++cycle) {
    const DramDrive d = dram.Drive();
    const auto addr = static_cast<std::uint32_t>((issued.size() * 16) % 4096);
    if (d.rd_req_ready) {
      issued.emplace_back(addr, cycle);
    } else {
      ++not_ready;
    }
    if (d.rd_rsp_valid) {
      ASSERT_LT(answered, issued.size());
      const auto [want_addr, at] = issued[answered];
      EXPECT_EQ(d.rd_rsp_data[0], static_cast<std::uint8_t>(want_addr + 1)) << answered;
      EXPECT_GE(cycle - at, latency);
      if (cycle - at != last_delay) ++distinct_delays;
      last_delay = cycle - at;
      ++answered;
    }
    dram.Clock(d, ReadAt(addr));
  }
  EXPECT_GT(answered, 1000u);
  EXPECT_GT(not_ready, 200);
  EXPECT_GT(distinct_delays, 10);
}

TEST(DramModel, WithoutASeedNothingIsRandom) {
  DramModel dram(Counting(64), Random(1, std::nullopt, 50, 0.9));
  for (int cycle = 0; cycle < 100; ++cycle) {
    const DramDrive d = dram.Drive();
    EXPECT_TRUE(d.rd_req_ready && d.wr_req_ready);
    dram.Clock(d, DramActivity{});
  }
}

TEST(DramModel, RejectsImpossibleTiming) {
  EXPECT_THROW(DramModel(Counting(16), Timing(0)), Error);
  EXPECT_THROW(DramModel(Counting(16), Timing(1, 0)), Error);
  EXPECT_THROW(DramModel(Counting(16), Random(1, 1, 0, 1.0)), Error);
}

}  // namespace
}  // namespace qsa::sim

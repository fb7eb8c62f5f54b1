// Shared by the harness tests: the test seed (QSA_TEST_SEED overrides the default), DRAM images
// and options, and the comparison of an RTL run with the ISA simulator's.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "model/isa/arch.h"
#include "model/isa/program.h"
#include "model/isa/simulator.h"
#include "sim/dram_model.h"
#include "sim/rtl_sim.h"

namespace qsa::sim_test {

inline std::uint64_t TestSeed(std::uint64_t default_seed) {
  const char* env = std::getenv("QSA_TEST_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : default_seed;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::cout << "[   SEED   ] QSA_TEST_SEED=" << seed << std::endl;
  return seed;
}

// A DRAM image of `size` bytes holding 1, 2, 3, ... (wrapping at 256).
inline std::vector<std::uint8_t> Counting(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  std::iota(bytes.begin(), bytes.end(), std::uint8_t{1});
  return bytes;
}

// DRAM options with a latency and a bandwidth, no jitter or back-pressure.
inline sim::DramOptions Timing(int latency, int bytes_per_cycle = sim::kBusBytes) {
  sim::DramOptions options;
  options.latency_cycles = latency;
  options.bytes_per_cycle = bytes_per_cycle;
  return options;
}

// Write records sorted by instruction, then memory (the RTL's order).
inline std::vector<isa::WriteRecord> Sorted(std::vector<isa::WriteRecord> records) {
  std::sort(records.begin(), records.end(),
            [](const isa::WriteRecord& a, const isa::WriteRecord& b) {
              return std::tie(a.instruction, a.memory) < std::tie(b.instruction, b.memory);
            });
  return records;
}

// The first record that differs, for a readable failure.
inline std::string FirstDifference(const std::vector<isa::WriteRecord>& isa,
                                   const std::vector<isa::WriteRecord>& rtl) {
  for (std::size_t k = 0; k < std::max(isa.size(), rtl.size()); ++k) {
    if (k >= isa.size() || k >= rtl.size() || !(isa[k] == rtl[k])) {
      const isa::WriteRecord& w = k < isa.size() ? isa[k] : rtl[k];
      return "record " + std::to_string(k) + ": instruction " + std::to_string(w.instruction) +
             " " + std::string(isa::MemoryName(w.memory));
    }
  }
  return "none";
}

// Runs `program` on the ISA simulator and on the RTL (with `base`'s DRAM options, writes
// recorded): the same final DRAM, the same event counters, the same writes per instruction.
inline void ExpectRtlMatchesIsa(const isa::ArchConfig& arch, const isa::Program& program,
                                const sim::RtlOptions& base) {
  isa::IsaSimulator isa(arch, program);
  isa::IsaSimOptions isa_options;
  isa_options.record_writes = true;
  const isa::IsaRunResult want = isa.Run(isa_options);

  sim::RtlOptions options = base;
  options.record_writes = true;
  sim::RtlSimulator rtl(arch, program, options);
  const sim::RtlRunResult got = rtl.Run();

  EXPECT_EQ(got.dram, isa.state().dram);
  EXPECT_EQ(got.counters, want.counters);
  const std::vector<isa::WriteRecord> want_writes = Sorted(want.writes);
  EXPECT_FALSE(want_writes.empty());
  EXPECT_EQ(got.writes.size(), want_writes.size());
  EXPECT_TRUE(got.writes == want_writes)
      << "first difference: " << FirstDifference(want_writes, got.writes);
  EXPECT_GT(got.cycles, 0);
  EXPECT_GE(got.simulated_cycles, got.cycles);
}

}  // namespace qsa::sim_test

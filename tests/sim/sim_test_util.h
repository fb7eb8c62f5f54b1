// Shared by the harness tests: the test seed (QSA_TEST_SEED overrides the default), DRAM images
// and options.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "sim/dram_model.h"

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

}  // namespace qsa::sim_test

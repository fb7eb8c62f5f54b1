// Shared by the harness tests: the test seed (QSA_TEST_SEED overrides the default).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

namespace qsa::sim_test {

inline std::uint64_t TestSeed(std::uint64_t default_seed) {
  const char* env = std::getenv("QSA_TEST_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : default_seed;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::cout << "[   SEED   ] QSA_TEST_SEED=" << seed << std::endl;
  return seed;
}

}  // namespace qsa::sim_test

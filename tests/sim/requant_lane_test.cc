// The pipelined requantizer lane (rtl/core/qsa_requant.sv), verilated on its own, against the
// golden model's arithmetic (model/golden/quant.h): Rq(x, m, lsh, rsh, single_rounding) of
// docs/isa.md on random and edge vectors, one new vector per cycle. QSA_REQUANT_VECTORS sets the
// count (the `slow` test requant_lane_slow runs 20 million); QSA_TEST_SEED the seed.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <limits>
#include <memory>
#include <random>
#include <string>

#include "model/golden/quant.h"
#include "tests/sim/sim_test_util.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vqsa_requant.h"
#include "verilated.h"
#pragma GCC diagnostic pop

namespace qsa::sim {
namespace {

constexpr int kLatency = 4;  // qsa_pkg::RQ_LATENCY
constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();

struct Vector {
  std::int32_t x = 0;
  std::int32_t m = 0;
  int lsh = 0;
  int rsh = 0;
  bool single = false;
};

std::int32_t Sat32(std::int64_t v) {
  return static_cast<std::int32_t>(std::min<std::int64_t>(std::max<std::int64_t>(v, kMin), kMax));
}

// Rq of docs/isa.md from the golden model's primitives.
std::int32_t Expected(const Vector& v) {
  if (v.single) {
    return golden::MultiplyByQuantizedMultiplierSingleRounding(v.x, {v.m, v.lsh - v.rsh});
  }
  const std::int32_t shifted = Sat32(std::int64_t{v.x} * (std::int64_t{1} << v.lsh));
  return golden::RoundingDivideByPOT(golden::SaturatingRoundingDoublingHighMul(shifted, v.m),
                                     v.rsh);
}

// Random and edge vectors with legal shifts.
class VectorSource {
 public:
  explicit VectorSource(std::uint64_t seed) : rng_(seed) {
    for (int k = 0; k < 31; ++k) {
      const std::int32_t p = std::int32_t{1} << k;
      for (std::int32_t v : {p, p - 1, p + 1}) {
        specials_.push_back(v);
        specials_.push_back(-v);
      }
    }
    for (std::int32_t v : {0, kMin, kMin + 1, kMax, kMax - 1}) specials_.push_back(v);
  }

  Vector Next() {
    Vector v;
    v.single = Bit();
    v.lsh = Uniform(0, 31);
    v.rsh = Uniform(0, 31);
    if (v.single) {  // lsh - rsh in [-31, 30]
      while (v.lsh - v.rsh > 30 || v.lsh - v.rsh < -31) v.rsh = Uniform(0, 31);
    }
    switch (Uniform(0, 5)) {
      case 0:  // edge values on both sides
        v.x = Special();
        v.m = Special();
        break;
      case 1:  // a normalized multiplier, any accumulator
        v.x = Int32();
        v.m = Uniform(std::int32_t{1} << 30, kMax);
        break;
      case 2:  // small accumulators (post of a short dot product, pool sums)
        v.x = Uniform(-70000, 70000);
        v.m = Bit() ? Uniform(std::int32_t{1} << 30, kMax) : Int32();
        break;
      case 3:  // a tie of RoundingDivideByPOT: SRDHM(2x, 2^30) = x = q * 2^e + 2^(e-1)
        v.single = false;
        v.lsh = 1;
        v.rsh = Uniform(1, 31);
        v.m = std::int32_t{1} << 30;
        v.x =
            Sat32((std::int64_t{Uniform(-1024, 1023)} << v.rsh) + (std::int64_t{1} << (v.rsh - 1)));
        break;
      case 4: {  // a tie of the single rounding: x * 2^k = odd * 2^(31 - shift - 1)
        v.single = true;
        while (v.lsh - v.rsh > 30 || v.lsh - v.rsh < -31) v.rsh = Uniform(0, 31);
        const int shift = v.lsh - v.rsh;
        const int k = Uniform(0, 30);
        const int e = 30 - shift - k;  // x = odd * 2^e
        v.m = std::int32_t{1} << k;
        v.x = e >= 0 && e < 31 ? Sat32(std::int64_t{2 * Uniform(-512, 511) + 1} << e) : Int32();
        break;
      }
      default:
        v.x = Int32();
        v.m = Int32();
        break;
    }
    return v;
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::int32_t Int32() { return Uniform(kMin, kMax); }
  bool Bit() { return Uniform(0, 1) == 1; }
  std::int32_t Special() {
    return specials_[static_cast<std::size_t>(Uniform(0, static_cast<int>(specials_.size()) - 1))];
  }

  std::mt19937_64 rng_;
  std::vector<std::int32_t> specials_;
};

std::int64_t VectorCount(std::int64_t default_count) {
  const char* env = std::getenv("QSA_REQUANT_VECTORS");
  return env != nullptr ? std::strtoll(env, nullptr, 0) : default_count;
}

TEST(RequantLane, EqualsTheGoldenArithmetic) {
  const std::uint64_t seed = sim_test::TestSeed(20261207);
  const std::int64_t count = VectorCount(1'000'000);
  VectorSource source(seed);
  auto context = std::make_unique<VerilatedContext>();
  auto lane = std::make_unique<Vqsa_requant>(context.get());
  lane->clk_i = 0;
  lane->rst_ni = 0;
  lane->valid_i = 0;
  lane->eval();
  lane->rst_ni = 1;
  lane->eval();

  std::deque<Vector> in_flight;  // vectors presented, oldest first
  std::int64_t presented = 0;
  std::int64_t checked = 0;
  std::int64_t wrong = 0;
  std::array<std::int64_t, 2> per_mode{};
  for (std::int64_t cycle = 0; checked < count; ++cycle) {
    // Present a vector (a gap now and then), then the rising edge.
    const bool present = presented < count && (cycle % 97) != 13;
    Vector v;
    if (present) v = source.Next();
    lane->valid_i = present ? 1 : 0;
    lane->x_i = static_cast<std::uint32_t>(v.x);
    lane->m_i = static_cast<std::uint32_t>(v.m);
    lane->lsh_i = static_cast<std::uint8_t>(v.lsh);
    lane->rsh_i = static_cast<std::uint8_t>(v.rsh);
    lane->single_i = v.single ? 1 : 0;
    lane->clk_i = 0;
    lane->eval();
    lane->clk_i = 1;
    lane->eval();
    if (present) {
      in_flight.push_back(v);
      ++presented;
    }
    // Results leave in order, Latency cycles after their vector.
    if (lane->valid_o != 0) {
      ASSERT_FALSE(in_flight.empty()) << "valid_o without a vector, cycle " << cycle;
      const Vector want = in_flight.front();
      in_flight.pop_front();
      const std::int32_t got = static_cast<std::int32_t>(lane->y_o);
      const std::int32_t expected = Expected(want);
      ++per_mode[want.single ? 1 : 0];
      if (got != expected) {
        if (++wrong <= 10) {
          ADD_FAILURE() << "Rq(x=" << want.x << ", m=" << want.m << ", lsh=" << want.lsh
                        << ", rsh=" << want.rsh << ", single=" << want.single << ") = " << got
                        << ", expected " << expected;
        }
      }
      ++checked;
    }
    ASSERT_LE(in_flight.size(), static_cast<std::size_t>(kLatency)) << "cycle " << cycle;
  }
  lane->final();
  std::cout << checked << " vectors (" << per_mode[0] << " two roundings, " << per_mode[1]
            << " single rounding), " << wrong << " wrong\n";
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(checked, count);
}

}  // namespace
}  // namespace qsa::sim

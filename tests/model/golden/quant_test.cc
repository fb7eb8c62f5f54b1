// Tests of the golden model's quantization arithmetic (model/golden/quant.h, docs/arithmetic.md).
//
// The fixed-point primitives are checked against gemmlowp, an independent implementation, on
// seeded random cases (default seed kDefaultSeed; the environment variable QSA_TEST_SEED
// overrides it). Everything else is checked against values derived by hand in the comments.
#include <gemmlowp/fixedpoint/fixedpoint.h>
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model/base/error.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::golden {
namespace {

constexpr std::int32_t kMin32 = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kMax32 = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t k2p30 = std::int32_t{1} << 30;
constexpr std::uint64_t kDefaultSeed = 20240611;

std::uint64_t TestSeed() {
  const char* env = std::getenv("QSA_TEST_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : kDefaultSeed;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::cout << "[   SEED   ] QSA_TEST_SEED=" << seed << std::endl;
  return seed;
}

// Random int32 values mixing the cases where fixed-point rounding goes wrong: uniform over the
// whole range, small values, powers of two and their neighbours, and the extremes.
class Int32Source {
 public:
  explicit Int32Source(std::uint64_t seed) : rng_(seed) {}

  std::int32_t Next() {
    switch (Uniform(0, 5)) {
      case 0:
      case 1:
        return static_cast<std::int32_t>(Uniform(kMin32, kMax32));
      case 2:
        return static_cast<std::int32_t>(Uniform(-300, 300));
      case 3: {  // ±2^k, ±2^k ± 1
        const std::int64_t p = std::int64_t{1} << Uniform(0, 31);
        const std::int64_t v = (Uniform(0, 1) ? p : -p) + Uniform(-1, 1);
        return static_cast<std::int32_t>(v < kMin32 ? kMin32 : (v > kMax32 ? kMax32 : v));
      }
      case 4: {
        constexpr std::int32_t kExtremes[] = {kMin32, kMin32 + 1, kMax32, kMax32 - 1, 0, -1, 1};
        return kExtremes[Uniform(0, 6)];
      }
      default:  // uniform over a random bit width, so every magnitude is well represented
        return static_cast<std::int32_t>(Uniform(0, 1)
                                             ? Uniform(0, (std::int64_t{1} << Uniform(0, 31)) - 1)
                                             : -Uniform(0, std::int64_t{1} << Uniform(0, 31)));
    }
  }

  std::int64_t Uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }
  double UniformReal(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng_);
  }

 private:
  std::mt19937_64 rng_;
};

// ---- gemmlowp oracle
// -----------------------------------------------------------------------------

std::int32_t OracleSrdhm(std::int32_t a, std::int32_t b) {
  return gemmlowp::SaturatingRoundingDoublingHighMul<std::int32_t>(a, b);
}
std::int32_t OracleRdbpot(std::int32_t x, int exponent) {
  return gemmlowp::RoundingDivideByPOT<std::int32_t>(x, exponent);
}
// TFLite's MultiplyByQuantizedMultiplier composed from gemmlowp's primitives, with gemmlowp's
// saturating ShiftLeft for the left shift.
std::int32_t OracleMbqm(std::int32_t x, std::int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return OracleRdbpot(OracleSrdhm(gemmlowp::ShiftLeft(x, left), multiplier), right);
}

TEST(QuantFixedPointOracle, SaturatingRoundingDoublingHighMulMatchesGemmlowp) {
  Int32Source src(TestSeed());
  std::int64_t cases = 0;
  std::int64_t ties = 0;
  std::int64_t mismatches = 0;
  const auto check = [&](std::int32_t a, std::int32_t b) {
    ++cases;
    const std::int32_t got = SaturatingRoundingDoublingHighMul(a, b);
    const std::int32_t want = OracleSrdhm(a, b);
    if (got != want && ++mismatches <= 10) {
      ADD_FAILURE() << "SRDHM(" << a << ", " << b << ") = " << got << ", gemmlowp " << want;
    }
  };
  // Every pair of special values.
  std::vector<std::int32_t> special = {0, 1, -1, kMin32, kMin32 + 1, kMax32, kMax32 - 1};
  for (int k = 1; k < 31; ++k) {
    special.push_back(std::int32_t{1} << k);
    special.push_back(-(std::int32_t{1} << k));
    special.push_back((std::int32_t{1} << k) + 1);
    special.push_back(-(std::int32_t{1} << k) - 1);
  }
  for (std::int32_t a : special) {
    for (std::int32_t b : special) check(a, b);
  }
  constexpr int kRandom = 1'000'000;
  for (int i = 0; i < kRandom; ++i) {
    if (i % 4 == 0) {
      // An exact tie: a = odd·2^k, b = odd'·2^(30−k), so a·b = odd·odd'·2^30 ≡ 2^30 (mod 2^31),
      // i.e. a·b / 2^31 has fractional part exactly one half; both signs.
      const int k = static_cast<int>(src.Uniform(0, 30));
      const std::int64_t oa = 2 * src.Uniform(0, (std::int64_t{1} << (30 - k)) - 1) + 1;
      const std::int64_t ob = 2 * src.Uniform(0, (std::int64_t{1} << k) - 1) + 1;
      const std::int64_t a = (src.Uniform(0, 1) ? oa : -oa) * (std::int64_t{1} << k);
      const std::int64_t b = (src.Uniform(0, 1) ? ob : -ob) * (std::int64_t{1} << (30 - k));
      ASSERT_EQ((a * b) % (std::int64_t{1} << 31), (a * b < 0 ? -1 : 1) * (std::int64_t{1} << 30));
      ++ties;
      check(static_cast<std::int32_t>(a), static_cast<std::int32_t>(b));
    } else {
      check(src.Next(), src.Next());
    }
  }
  std::cout << "SRDHM: " << cases << " cases (" << ties << " exact ties), " << mismatches
            << " mismatches against gemmlowp" << std::endl;
  RecordProperty("cases", std::to_string(cases));
  EXPECT_GE(cases, 1'000'000);
  EXPECT_EQ(mismatches, 0);
}

TEST(QuantFixedPointOracle, RoundingDivideByPOTMatchesGemmlowp) {
  Int32Source src(TestSeed() + 1);
  std::int64_t cases = 0;
  std::int64_t ties = 0;
  std::int64_t mismatches = 0;
  std::vector<std::int64_t> per_exponent(32, 0);
  const auto check = [&](std::int32_t x, int e) {
    ++cases;
    ++per_exponent[static_cast<std::size_t>(e)];
    const std::int32_t got = RoundingDivideByPOT(x, e);
    const std::int32_t want = OracleRdbpot(x, e);
    if (got != want && ++mismatches <= 10) {
      ADD_FAILURE() << "RoundingDivideByPOT(" << x << ", " << e << ") = " << got << ", gemmlowp "
                    << want;
    }
  };
  constexpr int kRandom = 1'024'000;  // 32 000 per exponent
  for (int i = 0; i < kRandom; ++i) {
    const int e = i % 32;
    if (e > 0 && (i / 32) % 3 == 0) {
      // x = q·2^e + 2^(e−1): the low e bits hold exactly half of 2^e, x / 2^e = q + 1/2; q of
      // either sign (q = −1 gives −1/2).
      const std::int64_t q =
          src.Uniform(-(std::int64_t{1} << (31 - e)), (std::int64_t{1} << (31 - e)) - 1);
      const std::int64_t x = q * (std::int64_t{1} << e) + (std::int64_t{1} << (e - 1));
      ++ties;
      check(static_cast<std::int32_t>(x), e);
    } else {
      check(src.Next(), e);
    }
  }
  for (int e = 0; e < 32; ++e) {
    for (std::int32_t x : {kMin32, kMin32 + 1, kMax32, kMax32 - 1, 0, 1, -1}) check(x, e);
  }
  std::cout << "RoundingDivideByPOT: " << cases << " cases (" << ties << " exact ties), "
            << mismatches << " mismatches against gemmlowp" << std::endl;
  RecordProperty("cases", std::to_string(cases));
  for (int e = 0; e < 32; ++e) EXPECT_GT(per_exponent[static_cast<std::size_t>(e)], 30'000) << e;
  EXPECT_GE(cases, 1'000'000);
  EXPECT_EQ(mismatches, 0);
}

TEST(QuantFixedPointOracle, MultiplyByQuantizedMultiplierMatchesGemmlowpComposition) {
  Int32Source src(TestSeed() + 2);
  std::int64_t cases = 0;
  std::int64_t mismatches = 0;
  constexpr int kPerShift = 20'000;
  for (int shift = -31; shift <= 30; ++shift) {
    for (int i = 0; i < kPerShift; ++i) {
      std::int32_t multiplier = 0;
      switch (i % 8) {
        case 0:
          multiplier = static_cast<std::int32_t>(src.Uniform(kMin32, kMax32));  // any int32
          break;
        case 1: {
          constexpr std::int32_t kEdges[] = {0, 1, k2p30, k2p30 + 1, kMax32, kMax32 - 1};
          multiplier = kEdges[src.Uniform(0, 5)];
          break;
        }
        default:  // what QuantizeMultiplier produces
          multiplier = static_cast<std::int32_t>(src.Uniform(k2p30, kMax32));
      }
      const std::int32_t x = src.Next();
      ++cases;
      const std::int32_t got = MultiplyByQuantizedMultiplier(x, {multiplier, shift});
      const std::int32_t want = OracleMbqm(x, multiplier, shift);
      if (got != want && ++mismatches <= 10) {
        ADD_FAILURE() << "MultiplyByQuantizedMultiplier(" << x << ", {" << multiplier << ", "
                      << shift << "}) = " << got << ", gemmlowp " << want;
      }
    }
  }
  std::cout << "MultiplyByQuantizedMultiplier: " << cases << " cases over shifts -31..30, "
            << mismatches << " mismatches against gemmlowp" << std::endl;
  RecordProperty("cases", std::to_string(cases));
  EXPECT_EQ(cases, 62 * kPerShift);
  EXPECT_EQ(mismatches, 0);
}

// Single rounding against exact arithmetic in long double (64-bit significand on x86-64):
// x · multiplier · 2^(shift − 31) is exact there, and so is adding 1/2 (the sum spans at most
// 63 significant bits), so floor(v + 1/2) is the exact round-half-up of the real product.
TEST(QuantFixedPointOracle, SingleRoundingMatchesExactArithmetic) {
  if (std::numeric_limits<long double>::digits < 64) {
    GTEST_SKIP() << "long double has fewer than 64 significand bits here";
  }
  Int32Source src(TestSeed() + 3);
  std::int64_t cases = 0;
  std::int64_t mismatches = 0;
  for (int shift = -31; shift <= 30; ++shift) {
    for (int i = 0; i < 5'000; ++i) {
      const auto multiplier =
          static_cast<std::int32_t>(i % 4 == 0 ? src.Next() : src.Uniform(k2p30, kMax32));
      const std::int32_t x = src.Next();
      const long double v = std::ldexp(static_cast<long double>(x) * multiplier, shift - 31);
      long double want = std::floor(v + 0.5L);
      want = want < kMin32 ? kMin32 : (want > kMax32 ? kMax32 : want);
      const std::int32_t got = MultiplyByQuantizedMultiplierSingleRounding(x, {multiplier, shift});
      ++cases;
      if (static_cast<long double>(got) != want && ++mismatches <= 10) {
        ADD_FAILURE() << "single rounding of " << x << " · {" << multiplier << ", " << shift
                      << "} = " << got << ", exact " << static_cast<double>(want);
      }
    }
  }
  std::cout << "single rounding: " << cases << " cases, " << mismatches << " mismatches"
            << std::endl;
  EXPECT_EQ(mismatches, 0);
}

// ---- Hand-checked fixed-point values
// ---------------------------------------------------------------

TEST(QuantFixedPoint, SrdhmTiesGoTowardPlusInfinity) {
  // 2^15 · 2^15 / 2^31 = 0.5 → 1;  −2^15 · 2^15 / 2^31 = −0.5 → 0;  3·2^30 / 2^31 = 1.5 → 2;
  // −3·2^30 / 2^31 = −1.5 → −1.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1 << 15, 1 << 15), 1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-(1 << 15), 1 << 15), 0);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(3, k2p30), 2);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-3, k2p30), -1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin32, kMin32), kMax32);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin32, kMax32), -kMax32);  // exact −(2^31 − 1)
}

TEST(QuantFixedPoint, RoundingDivideByPOTTiesGoAwayFromZero) {
  EXPECT_EQ(RoundingDivideByPOT(1, 1), 1);    // 0.5
  EXPECT_EQ(RoundingDivideByPOT(-1, 1), -1);  // −0.5
  EXPECT_EQ(RoundingDivideByPOT(5, 1), 3);    // 2.5
  EXPECT_EQ(RoundingDivideByPOT(-5, 1), -3);  // −2.5
  EXPECT_EQ(RoundingDivideByPOT(-6, 2), -2);  // −1.5
  EXPECT_EQ(RoundingDivideByPOT(-5, 2), -1);  // −1.25
  EXPECT_EQ(RoundingDivideByPOT(kMin32, 31), -1);
  EXPECT_EQ(RoundingDivideByPOT(kMax32, 31), 1);  // 0.99999...
  EXPECT_EQ(RoundingDivideByPOT(kMax32, 0), kMax32);
  EXPECT_THROW(RoundingDivideByPOT(1, 32), Error);
  EXPECT_THROW(RoundingDivideByPOT(1, -1), Error);
}

TEST(QuantFixedPoint, LeftShiftSaturates) {
  // 2^30 · 2^2 = 2^32 saturates to 2^31 − 1; SRDHM(2^31 − 1, 2^30) = (2^31 − 1)/2 = 2^30 − 0.5,
  // a tie, → 2^30. The exact product 2^31 does not fit.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(k2p30, {k2p30, 2}), k2p30);
  // −2^30 · 4 saturates to −2^31; SRDHM(−2^31, 2^30) = −2^30 exactly.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-k2p30, {k2p30, 2}), -k2p30);
  // Single rounding saturates the final value instead: 2^30 · 2^30 · 2^(2−31) = 2^31 → 2^31 − 1.
  EXPECT_EQ(MultiplyByQuantizedMultiplierSingleRounding(k2p30, {k2p30, 2}), kMax32);
  EXPECT_EQ(MultiplyByQuantizedMultiplierSingleRounding(-k2p30, {k2p30, 2}), kMin32);
  EXPECT_EQ(MultiplyByQuantizedMultiplierSingleRounding(-k2p30 - 1, {k2p30, 2}), kMin32);
  EXPECT_THROW(MultiplyByQuantizedMultiplier(1, {k2p30, 31}), Error);
  EXPECT_THROW(MultiplyByQuantizedMultiplier(1, {k2p30, -32}), Error);
  EXPECT_THROW(MultiplyByQuantizedMultiplierSingleRounding(1, {k2p30, 31}), Error);
}

TEST(QuantMultiplier, HandDerivedValues) {
  using M = FixedPointMultiplier;
  EXPECT_EQ(QuantizeMultiplier(0.5), (M{k2p30, 0}));        // 0.5 = 0.5 · 2^0
  EXPECT_EQ(QuantizeMultiplier(1.0), (M{k2p30, 1}));        // 1 = 0.5 · 2^1
  EXPECT_EQ(QuantizeMultiplier(0.75), (M{1610612736, 0}));  // 0.75 · 2^31 = 3 · 2^29
  EXPECT_EQ(QuantizeMultiplier(0.0), (M{0, 0}));
  EXPECT_EQ(QuantizeMultiplier(-0.0), (M{0, 0}));
  // 1/3 = (2/3) · 2^-1; (2/3) · 2^31 = 1431655765.33 → 1431655765.
  EXPECT_EQ(QuantizeMultiplier(1.0 / 3.0), (M{1431655765, -1}));
  // (2^30 + 1/2) / 2^31 · 2^31 is a tie: half away from zero gives 2^30 + 1 (even would be 2^30).
  EXPECT_EQ(QuantizeMultiplier((1073741824.0 + 0.5) / 2147483648.0), (M{k2p30 + 1, 0}));
  // Mantissa rounding up to 2^31: 1 − 2^-33 has fraction 1 − 2^-33, · 2^31 = 2^31 − 1/4 → 2^31,
  // so the multiplier is halved and the shift incremented: {2^30, 1} (= 1.0).
  EXPECT_EQ(QuantizeMultiplier(1.0 - std::ldexp(1.0, -33)), (M{k2p30, 1}));
  // Likewise (2^31 − 1/2)/2^31 (a tie, away from zero → 2^31); just below it stays 2^31 − 1.
  EXPECT_EQ(QuantizeMultiplier((2147483648.0 - 0.5) / 2147483648.0), (M{k2p30, 1}));
  EXPECT_EQ(QuantizeMultiplier((2147483648.0 - 0.75) / 2147483648.0), (M{kMax32, 0}));
  // The small end: 2^-31 = 0.5 · 2^-30; 2^-32 = 0.5 · 2^-31 is the last kept shift; 2^-33
  // (shift −32) flushes to zero.
  EXPECT_EQ(QuantizeMultiplier(std::ldexp(1.0, -31)), (M{k2p30, -30}));
  EXPECT_EQ(QuantizeMultiplier(std::ldexp(1.0, -32)), (M{k2p30, -31}));
  EXPECT_EQ(QuantizeMultiplier(std::ldexp(1.0, -33)), (M{0, 0}));
  EXPECT_EQ(QuantizeMultiplier(std::ldexp(0.7, -32)), (M{0, 0}));
  EXPECT_EQ(QuantizeMultiplier(5e-324), (M{0, 0}));
  // (1 − 2^-40) · 2^-32 has shift −32 but its mantissa rounds up to 2^31: the fix-up to shift −31
  // happens before the flush check, so it is kept as 2^-32.
  EXPECT_EQ(QuantizeMultiplier(std::ldexp(1.0 - std::ldexp(1.0, -40), -32)), (M{k2p30, -31}));
  // The large end: 2^29 = 0.5 · 2^30 is the largest shift; 2^30 and values rounding up to it
  // throw.
  EXPECT_EQ(QuantizeMultiplier(std::ldexp(1.0, 29)), (M{k2p30, 30}));
  EXPECT_THROW(QuantizeMultiplier(std::ldexp(1.0, 30)), Error);
  EXPECT_THROW(QuantizeMultiplier(std::ldexp(1.0 - std::ldexp(1.0, -40), 30)), Error);
  EXPECT_THROW(QuantizeMultiplier(-1.0), Error);
  EXPECT_THROW(QuantizeMultiplier(-1e-300), Error);
  EXPECT_THROW(QuantizeMultiplier(std::numeric_limits<double>::quiet_NaN()), Error);
  EXPECT_THROW(QuantizeMultiplier(std::numeric_limits<double>::infinity()), Error);
  EXPECT_THROW(QuantizeMultiplier(-std::numeric_limits<double>::infinity()), Error);
}

TEST(QuantMultiplier, FixedPointToDoubleIsExact) {
  EXPECT_EQ(FixedPointToDouble({k2p30, 0}), 0.5);
  EXPECT_EQ(FixedPointToDouble({1610612736, 0}), 0.75);
  EXPECT_EQ(FixedPointToDouble({k2p30, 30}), 536870912.0);
  EXPECT_EQ(FixedPointToDouble({1, -31}), std::ldexp(1.0, -62));
  EXPECT_EQ(FixedPointToDouble({kMax32, 0}), 1.0 - std::ldexp(1.0, -31));
  EXPECT_EQ(FixedPointToDouble({0, 0}), 0.0);
}

TEST(QuantMultiplier, RandomRoundTripWithinHalfUlp) {
  Int32Source src(TestSeed() + 4);
  constexpr int kCases = 200'000;
  int failures = 0;
  for (int i = 0; i < kCases; ++i) {
    // M = f · 2^e with f uniform in [0.5, 1) and e in [−31, 30]: every kept shift.
    const int e = static_cast<int>(src.Uniform(-31, 30));
    const double m = std::ldexp(src.UniformReal(0.5, 1.0), e);
    if (m >= std::ldexp(1.0, 30) - 0.25) continue;  // would round up to 2^30: throws (tested)
    const FixedPointMultiplier q = QuantizeMultiplier(m);
    const double back = FixedPointToDouble(q);
    const bool ok = q.multiplier >= k2p30 && q.shift >= -31 && q.shift <= 30 &&
                    std::fabs(back - m) <= m * std::ldexp(1.0, -31) &&
                    std::fabs(back - m) <= std::ldexp(1.0, q.shift - 32);  // half a unit
    if (!ok && ++failures <= 10) {
      ADD_FAILURE() << "QuantizeMultiplier(" << m << ") = {" << q.multiplier << ", " << q.shift
                    << "} = " << back;
    }
  }
  EXPECT_EQ(failures, 0);
}

// ---- Requantization
// ------------------------------------------------------------------------------

struct RequantCase {
  std::int32_t acc;
  std::int32_t tflite_double;
  std::int32_t single_rounding;
  std::int32_t float32_rne;
  std::int32_t float64_rne;
};

void CheckModes(FixedPointMultiplier m, std::int32_t zp, std::int32_t qmin, std::int32_t qmax,
                const std::vector<RequantCase>& cases) {
  for (const RequantCase& c : cases) {
    SCOPED_TRACE("acc " + std::to_string(c.acc) + ", zp " + std::to_string(zp));
    EXPECT_EQ(MakeRequantizer(RequantMode::kTfliteDouble, m, zp, qmin, qmax).Apply(c.acc),
              c.tflite_double);
    EXPECT_EQ(MakeRequantizer(RequantMode::kSingleRounding, m, zp, qmin, qmax).Apply(c.acc),
              c.single_rounding);
    EXPECT_EQ(MakeRequantizer(RequantMode::kFloat32Rne, m, zp, qmin, qmax).Apply(c.acc),
              c.float32_rne);
    EXPECT_EQ(MakeRequantizer(RequantMode::kFloat64Rne, m, zp, qmin, qmax).Apply(c.acc),
              c.float64_rne);
  }
}

TEST(QuantRequant, TiesWithMultiplierOneHalf) {
  // M = 0.5 = {2^30, 0}: no right shift, so tflite-double is SRDHM alone (ties toward +∞), as is
  // single rounding ((acc·2^30 + 2^30) >> 31); the float modes round ties to even.
  // Columns: acc, tflite-double, single-rounding, float32-rne, float64-rne; comment: acc·M.
  CheckModes({k2p30, 0}, 0, -128, 127,
             {
                 {1, 1, 1, 0, 0},       // 0.5
                 {3, 2, 2, 2, 2},       // 1.5
                 {5, 3, 3, 2, 2},       // 2.5
                 {-1, 0, 0, 0, 0},      // −0.5
                 {-3, -1, -1, -2, -2},  // −1.5
                 {-5, -2, -2, -2, -2},  // −2.5
                 {7, 4, 4, 4, 4},       // 3.5
             });
}

TEST(QuantRequant, TiesWithMultiplierOneQuarter) {
  // M = 0.25 = {2^30, −1}: tflite-double = RDBPOT(SRDHM(acc, 2^30), 1), two roundings (SRDHM's
  // ties up, RDBPOT's away from zero); single rounding = (acc·2^30 + 2^31) >> 32.
  //    2 (0.5):   SRDHM 1 → RDBPOT 0.5 → 1;     sr (2^31 + 2^31) >> 32 = 1.
  //   −2 (−0.5):  SRDHM −1 → −0.5 → −1;         sr (−2^31 + 2^31) >> 32 = 0.
  //   −6 (−1.5):  SRDHM −3 → −1.5 → −2;         sr (−6·2^30 + 2^31) >> 32 = −2^32 >> 32 = −1.
  //   10 (2.5):   SRDHM 5 → 2.5 → 3;            sr 12·2^30 >> 32 = 3.
  //  −10 (−2.5):  SRDHM −5 → −2.5 → −3;         sr −8·2^30 >> 32 = −2.
  //    1 (0.25):  SRDHM 0.5 → 1 → RDBPOT 0.5 → 1 (double rounding); sr 3·2^30 >> 32 = 0.
  // Columns: acc, tflite-double, single-rounding, float32-rne, float64-rne.
  CheckModes({k2p30, -1}, 0, -128, 127,
             {
                 {2, 1, 1, 0, 0},
                 {-2, -1, 0, 0, 0},
                 {-6, -2, -1, -2, -2},
                 {10, 3, 3, 2, 2},
                 {-10, -3, -2, -2, -2},
                 {1, 1, 0, 0, 0},
             });
}

TEST(QuantRequant, LargeAccumulatorsLoseFloat32Precision) {
  // Output range: all of int32, so nothing saturates.
  // M = 1 = {2^30, 1}. acc = 2^24 + 1 is not a float32; float(acc) = 2^24 (tie → even mantissa).
  // The fixed-point modes and float64 are exact.
  CheckModes({k2p30, 1}, 0, kMin32, kMax32,
             {
                 {16777217, 16777217, 16777217, 16777216, 16777217},
                 {-16777217, -16777217, -16777217, -16777216, -16777217},
             });
  // M = 0.75 = {3·2^29, 0}. acc = 2^25 + 1: float(acc) = 2^25, · 0.75 = 25165824 exactly; the exact
  // product 25165824.75 rounds to 25165825 in every other mode (SRDHM: 0.75 is not a tie).
  CheckModes({1610612736, 0}, 0, kMin32, kMax32,
             {
                 {33554433, 25165825, 25165825, 25165824, 25165825},
                 {-33554433, -25165825, -25165825, -25165824, -25165825},
             });
}

TEST(QuantRequant, ZeroPointAndSaturation) {
  // M = 0.5, zp = −3: 4·0.5 − 3 = −1 in every mode.
  CheckModes({k2p30, 0}, -3, -128, 127, {{4, -1, -1, -1, -1}});
  // M = 0.5, zp = 10, int8: 1000·0.5 + 10 = 510 → 127; −1000·0.5 + 10 = −490 → −128.
  CheckModes({k2p30, 0}, 10, -128, 127,
             {{1000, 127, 127, 127, 127}, {-1000, -128, -128, -128, -128}});
  // uint8, zp 0: −2·0.5 = −1 → 0; 600·0.5 = 300 → 255.
  CheckModes({k2p30, 0}, 0, 0, 255, {{-2, 0, 0, 0, 0}, {600, 255, 255, 255, 255}});
  // A fused ReLU6-like range [0, 6] on top of zp = 0.
  CheckModes({k2p30, 0}, 0, 0, 6, {{13, 6, 6, 6, 6}, {11, 6, 6, 6, 6}, {9, 5, 5, 4, 4}});
  // A tie with an odd zero point separates the float modes: acc·M = 0.5, zp = 1. ONNX Runtime
  // rounds first (rne(0.5) = 0, + 1 = 1); the ONNX reference adds first (rne(1.5) = 2). The
  // fixed-point modes round 0.5 up to 1, + 1 = 2. Likewise 2.5 + 1: f32 2 + 1 = 3, f64 rne(3.5)
  // = 4.
  CheckModes({k2p30, 0}, 1, 0, 255, {{1, 2, 2, 1, 2}, {5, 4, 4, 3, 4}});
  // The extreme accumulators with the largest multiplier below 1 and int32 output:
  // INT32_MIN · (2^31 − 1)/2^31 = −2^31 + 1 exactly; INT32_MAX · (…) = 2^31 − 2 + 2^-31 → 2^31 − 2.
  CheckModes({kMax32, 0}, 0, kMin32, kMax32,
             {{kMin32, kMin32 + 1, kMin32 + 1, kMin32, kMin32 + 1},
              {kMax32, kMax32 - 1, kMax32 - 1, kMax32, kMax32 - 1}});
}

TEST(QuantRequant, FromScalesUsesEachEnginesMultiplier) {
  // s_in = 1, s_w = 1, s_out = 3. TFLite: M = 1/3 in double → {1431655765, −1} (see
  // QuantMultiplier.HandDerivedValues). float32: 1/3 rounds to 11184811 · 2^-25
  // = 1/3 + 1/(3·2^25). The ONNX reference multiplies by that float32 value in float64.
  const float m32 = std::ldexp(11184811.0f, -25);
  for (RequantMode mode : {RequantMode::kTfliteDouble, RequantMode::kSingleRounding,
                           RequantMode::kFloat32Rne, RequantMode::kFloat64Rne}) {
    const Requantizer r = MakeRequantizer(mode, 1.0f, 1.0f, 3.0f, 0, kMin32, kMax32);
    EXPECT_EQ(r.mode, mode);
    EXPECT_EQ(r.fixed, (FixedPointMultiplier{1431655765, -1}));
    EXPECT_EQ(r.real32, m32);
    EXPECT_EQ(r.real64, static_cast<double>(m32));
  }
  // acc = 16777219 = 2^24 + 3 (exact value acc/3 = 5592406.333):
  //  tflite-double: acc · 1431655765 / 2^31 = 11184812.664 → 11184813, / 2 = 5592406.5 → 5592407.
  //  single rounding: acc · 1431655765 / 2^32 = 5592406.332 → 5592406.
  //  float32: float(acc) = 16777220 (tie → even), · m32 = 5592406.83 → float 5592407 → 5592407.
  //  float64: acc · m32 = 5592406.5 + 2^-25 exactly → 5592407 (with M = 1/3 it would be 5592406).
  const std::int32_t acc = 16777219;
  const auto apply = [&](RequantMode mode) {
    return MakeRequantizer(mode, 1.0f, 1.0f, 3.0f, 0, kMin32, kMax32).Apply(acc);
  };
  EXPECT_EQ(apply(RequantMode::kTfliteDouble), 5592407);
  EXPECT_EQ(apply(RequantMode::kSingleRounding), 5592406);
  EXPECT_EQ(apply(RequantMode::kFloat32Rne), 5592407);
  EXPECT_EQ(apply(RequantMode::kFloat64Rne), 5592407);

  EXPECT_THROW(MakeRequantizer(RequantMode::kTfliteDouble, 1.0f, 1.0f, 0.0f, 0, 0, 255), Error);
  EXPECT_THROW(MakeRequantizer(RequantMode::kTfliteDouble, 1.0f, -1.0f, 1.0f, 0, 0, 255), Error);
  EXPECT_THROW(MakeRequantizer(RequantMode::kFloat32Rne, 1.0f, 1.0f, 1.0f, 0, 10, 9), Error);
  EXPECT_THROW(MakeRequantizer(RequantMode::kTfliteDouble, {-1, 0}, 0, 0, 255), Error);
  EXPECT_THROW(MakeRequantizer(RequantMode::kTfliteDouble, {k2p30, 31}, 0, 0, 255), Error);
  EXPECT_THROW(MakeRequantizer(RequantMode::kTfliteDouble, {k2p30, -32}, 0, 0, 255), Error);
}

TEST(QuantRequant, ExplicitMultiplierFields) {
  const Requantizer r = MakeRequantizer(RequantMode::kFloat64Rne, {1610612736, -3}, 5, -128, 127);
  EXPECT_EQ(r.fixed, (FixedPointMultiplier{1610612736, -3}));
  EXPECT_EQ(r.real64, 0.09375);  // 0.75 / 8
  EXPECT_EQ(r.real32, 0.09375f);
  EXPECT_EQ(r.zero_point, 5);
  EXPECT_EQ(r.qmin, -128);
  EXPECT_EQ(r.qmax, 127);
  EXPECT_EQ(r.Apply(100), 14);  // 9.375 + 5 = 14.375 → 14
}

TEST(QuantRequant, ModeNames) {
  constexpr std::pair<RequantMode, const char*> kNames[] = {
      {RequantMode::kTfliteDouble, "tflite-double"},
      {RequantMode::kSingleRounding, "single-rounding"},
      {RequantMode::kFloat32Rne, "float32-rne"},
      {RequantMode::kFloat64Rne, "float64-rne"},
  };
  for (const auto& [mode, name] : kNames) {
    EXPECT_EQ(RequantModeName(mode), name);
    EXPECT_EQ(ParseRequantMode(name), mode);
  }
  EXPECT_EQ(ParseRequantMode("tflite"), std::nullopt);
  EXPECT_EQ(ParseRequantMode("Float32-rne"), std::nullopt);
  EXPECT_EQ(ParseRequantMode(""), std::nullopt);
}

// The list users see, the default first; the accelerator computes the two fixed-point modes and
// rounds once only in single-rounding.
TEST(QuantRequant, ModeListAndAcceleratorRounding) {
  EXPECT_EQ(kRequantModes.Values(),
            (std::array<RequantMode, 4>{RequantMode::kTfliteDouble, RequantMode::kSingleRounding,
                                        RequantMode::kFloat32Rne, RequantMode::kFloat64Rne}));
  EXPECT_EQ(kRequantModes.Join(", ", " or "),
            "tflite-double, single-rounding, float32-rne or float64-rne");
  EXPECT_EQ(kRequantModes.Join(", ", " or ", IsFixedPointMode), "tflite-double or single-rounding");
  EXPECT_TRUE(IsFixedPointMode(RequantMode::kTfliteDouble));
  EXPECT_TRUE(IsFixedPointMode(RequantMode::kSingleRounding));
  EXPECT_FALSE(IsFixedPointMode(RequantMode::kFloat32Rne));
  EXPECT_FALSE(IsFixedPointMode(RequantMode::kFloat64Rne));
  EXPECT_FALSE(IsSingleRounding(RequantMode::kTfliteDouble));
  EXPECT_TRUE(IsSingleRounding(RequantMode::kSingleRounding));
  EXPECT_FALSE(IsSingleRounding(RequantMode::kFloat32Rne));
  EXPECT_FALSE(IsSingleRounding(RequantMode::kFloat64Rne));
}

// ---- Rounding, quantize, dequantize
// ----------------------------------------------------------------

TEST(QuantRounding, HalfToEven) {
  EXPECT_EQ(RoundHalfToEven(0.5f), 0.0f);
  EXPECT_EQ(RoundHalfToEven(1.5f), 2.0f);
  EXPECT_EQ(RoundHalfToEven(2.5f), 2.0f);
  EXPECT_EQ(RoundHalfToEven(-0.5f), 0.0f);
  EXPECT_TRUE(std::signbit(RoundHalfToEven(-0.5f)));
  EXPECT_EQ(RoundHalfToEven(-1.5f), -2.0f);
  EXPECT_EQ(RoundHalfToEven(-2.5f), -2.0f);
  EXPECT_EQ(RoundHalfToEven(0.49999997f), 0.0f);       // largest float below 0.5
  EXPECT_EQ(RoundHalfToEven(8388607.5f), 8388608.0f);  // 2^23 − 0.5 → even 2^23
  EXPECT_EQ(RoundHalfToEven(8388609.0f), 8388609.0f);  // above 2^23: already integral
  EXPECT_EQ(RoundHalfToEven(-8388606.5f), -8388606.0f);
  EXPECT_TRUE(std::isnan(RoundHalfToEven(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(RoundHalfToEven(-std::numeric_limits<float>::infinity()),
            -std::numeric_limits<float>::infinity());
  EXPECT_EQ(RoundHalfToEven(2.5), 2.0);
  EXPECT_EQ(RoundHalfToEven(3.5), 4.0);
  EXPECT_EQ(RoundHalfToEven(-3.5), -4.0);
  EXPECT_EQ(RoundHalfToEven(4503599627370495.5), 4503599627370496.0);  // 2^52 − 0.5
  EXPECT_EQ(RoundHalfToEven(0.5 + std::ldexp(1.0, -53)), 1.0);
}

// Against std::nearbyint in the default rounding mode on random bit patterns; then the same values
// under the three other rounding modes must give the same answers.
TEST(QuantRounding, MatchesNearbyintInEveryRoundingMode) {
  Int32Source src(TestSeed() + 5);
  constexpr int kCases = 100'000;
  std::vector<float> xf;
  std::vector<double> xd;
  for (int i = 0; i < kCases; ++i) {
    // Magnitudes mostly below 2^24 where rounding does something; halves included.
    const auto bits = static_cast<std::uint32_t>(src.Uniform(0, 0xFFFFFFFF));
    float f = std::bit_cast<float>(bits);
    if (i % 3 == 0) f = static_cast<float>(src.Uniform(-20000, 20000)) * 0.5f;
    if (i % 3 == 1) f = static_cast<float>(src.UniformReal(-1e7, 1e7));
    if (std::isnan(f)) continue;
    xf.push_back(f);
    if (i % 3 == 0) {
      xd.push_back(static_cast<double>(src.Uniform(-20000, 20000)) * 0.5);
    } else {
      xd.push_back(src.UniformReal(i % 3 == 1 ? -1e6 : -1e16, i % 3 == 1 ? 1e6 : 1e16));
    }
  }
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  std::vector<float> want_f;
  std::vector<double> want_d;
  want_f.reserve(xf.size());
  want_d.reserve(xd.size());
  for (float f : xf) want_f.push_back(std::nearbyint(f));
  for (double d : xd) want_d.push_back(std::nearbyint(d));
  for (int mode : {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO}) {
    ASSERT_EQ(std::fesetround(mode), 0);
    int mismatches = 0;
    for (std::size_t i = 0; i < xf.size(); ++i) {
      const float got = RoundHalfToEven(xf[i]);
      if (std::bit_cast<std::uint32_t>(got) != std::bit_cast<std::uint32_t>(want_f[i]))
        ++mismatches;
    }
    for (std::size_t i = 0; i < xd.size(); ++i) {
      const double got = RoundHalfToEven(xd[i]);
      if (std::bit_cast<std::uint64_t>(got) != std::bit_cast<std::uint64_t>(want_d[i]))
        ++mismatches;
    }
    std::fesetround(FE_TONEAREST);
    EXPECT_EQ(mismatches, 0) << "rounding mode " << mode;
  }
}

TEST(QuantRounding, Saturate) {
  EXPECT_EQ(Saturate(300, DType::kUInt8), 255);
  EXPECT_EQ(Saturate(-1, DType::kUInt8), 0);
  EXPECT_EQ(Saturate(-129, DType::kInt8), -128);
  EXPECT_EQ(Saturate(128, DType::kInt8), 127);
  EXPECT_EQ(Saturate(5, DType::kInt8), 5);
  EXPECT_EQ(Saturate(std::int64_t{1} << 40, DType::kInt32), kMax32);
  EXPECT_EQ(Saturate(-(std::int64_t{1} << 40), DType::kInt32), kMin32);
  EXPECT_THROW(Saturate(0, DType::kFloat32), Error);
}

TEST(QuantValue, QuantizeTiesToEvenAndSaturates) {
  EXPECT_EQ(QuantizeValue(0.5f, 1.0f, 0, DType::kInt8), 0);
  EXPECT_EQ(QuantizeValue(1.5f, 1.0f, 0, DType::kInt8), 2);
  EXPECT_EQ(QuantizeValue(2.5f, 1.0f, 0, DType::kInt8), 2);
  EXPECT_EQ(QuantizeValue(-0.5f, 1.0f, 0, DType::kInt8), 0);
  EXPECT_EQ(QuantizeValue(-1.5f, 1.0f, 0, DType::kInt8), -2);
  EXPECT_EQ(QuantizeValue(-2.5f, 1.0f, 0, DType::kInt8), -2);
  // Rounded before the zero point is added: 0.25/0.5 = 0.5 → 0, + 129 = 129 (not rne(129.5)=130).
  EXPECT_EQ(QuantizeValue(0.25f, 0.5f, 129, DType::kUInt8), 129);
  EXPECT_EQ(QuantizeValue(1.0f, 0.5f, 128, DType::kUInt8), 130);
  EXPECT_EQ(QuantizeValue(300.0f, 1.0f, 0, DType::kUInt8), 255);
  EXPECT_EQ(QuantizeValue(-1.0f, 1.0f, 0, DType::kUInt8), 0);
  EXPECT_EQ(QuantizeValue(-0.4f, 1.0f, 0, DType::kUInt8), 0);
  EXPECT_EQ(QuantizeValue(200.0f, 1.0f, 0, DType::kInt8), 127);
  EXPECT_EQ(QuantizeValue(-200.0f, 1.0f, 0, DType::kInt8), -128);
  EXPECT_EQ(QuantizeValue(100.0f, 1.0f, 100, DType::kInt8), 127);  // 200 saturates
  EXPECT_EQ(QuantizeValue(std::numeric_limits<float>::infinity(), 1.0f, 0, DType::kUInt8), 255);
  EXPECT_EQ(QuantizeValue(-std::numeric_limits<float>::infinity(), 1.0f, 0, DType::kInt8), -128);
  EXPECT_EQ(QuantizeValue(std::numeric_limits<float>::quiet_NaN(), 1.0f, 7, DType::kInt8), 7);
  EXPECT_EQ(QuantizeValue(3.0e38f, 1.0e-3f, 0, DType::kInt32), kMax32);  // quotient is inf
  EXPECT_EQ(QuantizeValue(-5.0e9f, 1.0f, 0, DType::kInt32), kMin32);
  EXPECT_EQ(QuantizeValue(1000.5f, 1.0f, 0, DType::kInt32), 1000);
}

TEST(QuantValue, QuantizeDividesInFloat32) {
  // r / s computed exactly is 1.4999999629, but in float32 the quotient rounds to 1.5 exactly,
  // which rounds to even 2 (a double division would give 1). The operands' bit patterns were
  // found with exact rational arithmetic.
  const float r1 = std::bit_cast<float>(std::uint32_t{1067071979});  // 1.2048925
  const float s1 = std::bit_cast<float>(std::uint32_t{1062052495});  // 0.8032617
  EXPECT_EQ(QuantizeValue(r1, s1, 0, DType::kInt8), 2);
  // Exactly 2.5000000571, float32 quotient 2.5 → 2 (double: 3).
  const float r2 = std::bit_cast<float>(std::uint32_t{1067902782});  // 1.303932
  const float s2 = std::bit_cast<float>(std::uint32_t{1057326539});  // 0.52157277
  EXPECT_EQ(QuantizeValue(r2, s2, 0, DType::kInt8), 2);
}

TEST(QuantValue, Dequantize) {
  EXPECT_EQ(DequantizeValue(130, 0.5f, 128), 1.0f);
  EXPECT_EQ(DequantizeValue(-128, 0.25f, 0), -32.0f);
  EXPECT_EQ(DequantizeValue(0, 0.25f, -3), 0.75f);
  EXPECT_EQ(DequantizeValue(255, 2.0f, 0), 510.0f);
}

TEST(QuantParamsTest, ScaleAndZeroPointLookup) {
  QuantParams per_tensor{{0.5f}, {3}, -1};
  EXPECT_EQ(per_tensor.scale(0), 0.5f);
  EXPECT_EQ(per_tensor.scale(17), 0.5f);
  EXPECT_EQ(per_tensor.zero_point(17), 3);
  QuantParams per_axis{{1.0f, 2.0f, 4.0f}, {0, 1, 2}, 1};
  EXPECT_EQ(per_axis.scale(2), 4.0f);
  EXPECT_EQ(per_axis.zero_point(1), 1);
  EXPECT_THROW(per_axis.scale(3), Error);
  EXPECT_THROW(per_axis.scale(-1), Error);
  EXPECT_THROW(per_axis.zero_point(3), Error);
  QuantParams no_zp{{1.0f, 2.0f}, {}, 0};
  EXPECT_EQ(no_zp.zero_point(1), 0);
  EXPECT_EQ(no_zp.zero_point(99), 0);
  QuantParams zp_only{{}, {5}, -1};  // e.g. ConvInteger's x_zero_point
  EXPECT_EQ(zp_only.zero_point(0), 5);
  EXPECT_THROW(zp_only.scale(0), Error);
  EXPECT_TRUE(zp_only.empty());
}

TEST(QuantTensor, PerTensorRoundTrip) {
  const Tensor real = Tensor::FromVector<float>({2, 2}, {0.5f, 1.5f, -0.5f, 1000.0f});
  const Tensor q = QuantizeTensor(real, {{0.5f}, {10}, -1}, DType::kUInt8);
  // 1 + 10, 3 + 10, −1 + 10, 2000 + 10 → 255.
  EXPECT_EQ(q, Tensor::FromVector<std::uint8_t>({2, 2}, {11, 13, 9, 255}));
  const Tensor back = DequantizeTensor(q, {{0.5f}, {10}, -1});
  EXPECT_EQ(back, Tensor::FromVector<float>({2, 2}, {0.5f, 1.5f, -0.5f, 122.5f}));
  // No zero points: zero.
  const Tensor q32 = QuantizeTensor(real, {{0.25f}, {}, -1}, DType::kInt32);
  EXPECT_EQ(q32, Tensor::FromVector<std::int32_t>({2, 2}, {2, 6, -2, 4000}));
}

TEST(QuantTensor, PerAxisOnAxisOne) {
  // [2,3] tensor, axis 1: column c uses scale s[c] and zero point z[c].
  const Tensor real = Tensor::FromVector<float>({2, 3}, {1.0f, 1.0f, 1.0f, -2.0f, 3.0f, 0.5f});
  const QuantParams params{{1.0f, 0.5f, 0.25f}, {0, 1, -1}, 1};
  const Tensor q = QuantizeTensor(real, params, DType::kInt8);
  // Column 0: r/1 + 0 → 1, −2. Column 1: r/0.5 + 1 → 3, 7. Column 2: r/0.25 − 1 → 3, 1.
  EXPECT_EQ(q, Tensor::FromVector<std::int8_t>({2, 3}, {1, 3, 3, -2, 7, 1}));
  EXPECT_EQ(DequantizeTensor(q, params), real);
  // Axis 0 of the same tensor: row r uses scale s[r].
  const Tensor q0 = QuantizeTensor(real, {{1.0f, 0.5f}, {}, 0}, DType::kInt8);
  EXPECT_EQ(q0, Tensor::FromVector<std::int8_t>({2, 3}, {1, 1, 1, -4, 6, 1}));  // 0.5/0.5 = 1
}

TEST(QuantTensor, BadParamsThrow) {
  const Tensor real = Tensor::FromVector<float>({2, 3}, {0, 0, 0, 0, 0, 0});
  const Tensor ints = Tensor::FromVector<std::int8_t>({2, 3}, {0, 0, 0, 0, 0, 0});
  // Per-axis counts must equal dimension `axis` (3 here).
  EXPECT_THROW(QuantizeTensor(real, {{1.0f, 1.0f}, {}, 1}, DType::kInt8), Error);
  EXPECT_THROW(QuantizeTensor(real, {{1.0f, 1.0f, 1.0f}, {0, 0}, 1}, DType::kInt8), Error);
  EXPECT_THROW(DequantizeTensor(ints, {{1.0f, 1.0f}, {}, 1}), Error);
  EXPECT_THROW(DequantizeTensor(ints, {{1.0f, 1.0f, 1.0f}, {0}, 1}), Error);
  EXPECT_THROW(QuantizeTensor(real, {{1.0f, 1.0f, 1.0f}, {}, 2}, DType::kInt8), Error);  // rank 2
  // Per-tensor takes exactly one scale.
  EXPECT_THROW(QuantizeTensor(real, {{1.0f, 1.0f}, {}, -1}, DType::kInt8), Error);
  EXPECT_THROW(QuantizeTensor(real, {{}, {}, -1}, DType::kInt8), Error);
  // Zero point out of the type's range, bad scale, wrong types.
  EXPECT_THROW(QuantizeTensor(real, {{1.0f}, {200}, -1}, DType::kInt8), Error);
  EXPECT_THROW(QuantizeTensor(real, {{1.0f}, {-1}, -1}, DType::kUInt8), Error);
  EXPECT_THROW(QuantizeTensor(real, {{0.0f}, {}, -1}, DType::kInt8), Error);
  EXPECT_THROW(QuantizeTensor(real, {{-1.0f}, {}, -1}, DType::kInt8), Error);
  EXPECT_THROW(QuantizeTensor(ints, {{1.0f}, {}, -1}, DType::kInt8), Error);
  EXPECT_THROW(QuantizeTensor(real, {{1.0f}, {}, -1}, DType::kFloat32), Error);
  EXPECT_THROW(DequantizeTensor(real, {{1.0f}, {}, -1}), Error);
  EXPECT_THROW(DequantizeTensor(ints, {{1.0f}, {300}, -1}), Error);
  // The same counts are accepted.
  EXPECT_NO_THROW(QuantizeTensor(real, {{1.0f, 1.0f, 1.0f}, {0, 0, 0}, 1}, DType::kInt8));
  EXPECT_NO_THROW(DequantizeTensor(ints, {{1.0f, 1.0f}, {0, 0}, 0}));
}

}  // namespace
}  // namespace qsa::golden

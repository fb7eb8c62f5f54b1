// Calibration observers (compiler/quantize_observer.h) on samples of known distributions —
// uniform, Gaussian, and Gaussian with a few large outliers — against closed-form expectations:
// quantiles of the distributions, and the clipping threshold that minimizes the analytic
// mean squared quantization error (clipping error of the tails plus Δ²/12 inside), found here by
// a dense search over the formula. Randomized: the seed is printed, QSA_TEST_SEED overrides it.
#include "compiler/quantizer/observer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "model/base/error.h"
#include "testkit/op_test.h"

namespace qsa::quantizer {
namespace {

using golden::DType;
using testkit::op_test::TestSeed;

constexpr double kPi = 3.14159265358979323846;

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double Density(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * kPi); }

// Standard normal quantile by bisection on Phi.
double NormalQuantile(double p) {
  double lo = -10.0, hi = 10.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (Phi(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// The α in (0, limit] minimizing f, on a grid of 1e5 points.
double Argmin(const std::function<double(double)>& f, double limit) {
  double best = limit, best_value = f(limit);
  for (int i = 1; i <= 100000; ++i) {
    const double a = limit * i / 100000.0;
    if (const double v = f(a); v < best_value) {
      best_value = v;
      best = a;
    }
  }
  return best;
}

// Expected squared error of symmetric clipping at ±α with `steps` grid steps, for N(0, 1):
// tails 2·E[(|x| − α)²; |x| > α] = 2·((α² + 1)(1 − Φ(α)) − α·φ(α)), inside P(|x| < α)·Δ²/12.
double GaussianMse(double alpha, double steps) {
  const double tails = 2.0 * ((alpha * alpha + 1.0) * (1.0 - Phi(alpha)) - alpha * Density(alpha));
  const double step = 2.0 * alpha / steps;
  return tails + (2.0 * Phi(alpha) - 1.0) * step * step / 12.0;
}

// The same for U(−1, 1): tails ∫_α^1 (x − α)² dx = (1 − α)³ / 3, inside α·Δ²/12.
double UniformMse(double alpha, double steps) {
  const double step = 2.0 * alpha / steps;
  return std::pow(1.0 - alpha, 3) / 3.0 + alpha * step * step / 12.0;
}

class ObserverTest : public ::testing::Test {
 protected:
  void SetUp() override { rng_.seed(TestSeed(20240611)); }

  std::vector<float> Uniform(std::size_t n) {
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng_);
    return v;
  }
  std::vector<float> Gaussian(std::size_t n) {
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng_);
    return v;
  }
  // Laplace(0, 1) by its quantiles at (i + 0.5) / n, in random order: a sample without sampling
  // noise, whose largest magnitude is exactly ln(n).
  std::vector<float> Laplace(std::size_t n) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double p = (static_cast<double>(i) + 0.5) / static_cast<double>(n);
      v[i] = static_cast<float>(p < 0.5 ? std::log(2.0 * p) : -std::log(2.0 * (1.0 - p)));
    }
    std::shuffle(v.begin(), v.end(), rng_);
    return v;
  }
  // N(0, 1) with `outliers` values of magnitude in [30, 60] and random sign.
  std::vector<float> HeavyTailed(std::size_t n, std::size_t outliers) {
    std::vector<float> v = Gaussian(n);
    std::uniform_real_distribution<float> mag(30.0f, 60.0f);
    std::uniform_int_distribution<std::size_t> at(0, n - 1);
    for (std::size_t k = 0; k < outliers; ++k) v[at(rng_)] = (k % 2 ? -1.0f : 1.0f) * mag(rng_);
    return v;
  }

  static TensorObserver Observe(const std::vector<float>& v) {
    TensorObserver o;
    // Two batches per pass, as the calibration loop feeds them.
    const std::span<const float> all(v);
    o.ObserveRange(all.first(v.size() / 2));
    o.ObserveRange(all.subspan(v.size() / 2));
    o.ObserveHistogram(all.first(v.size() / 2));
    o.ObserveHistogram(all.subspan(v.size() / 2));
    return o;
  }

  std::mt19937 rng_;
};

const TensorScheme kInt8Sym{golden::DType::kInt8, 8, true};
const TensorScheme kUint8Asym{golden::DType::kUInt8, 8, false};
const TensorScheme kInt4Sym{golden::DType::kInt8, 4, true};

TEST_F(ObserverTest, MinMaxIsTheObservedRange) {
  const std::vector<float> v = Uniform(100000);
  const TensorObserver o = Observe(v);
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  const RealRange r = o.Choose(CalibrationMethod::kMinMax, kUint8Asym, 0.0);
  EXPECT_EQ(r.lo, *lo);
  EXPECT_EQ(r.hi, *hi);
  EXPECT_EQ(o.count(), 100000);
  // And the parameters: s = (max − min) / 255, z = rne(−min / s).
  const golden::QuantParams p = ChooseParams(r, kUint8Asym);
  const double s = (static_cast<double>(*hi) - *lo) / 255.0;
  EXPECT_FLOAT_EQ(p.scales[0], static_cast<float>(s));
  EXPECT_EQ(p.zero_points[0], static_cast<int>(std::nearbyint(-*lo / s)));
}

TEST_F(ObserverTest, PercentileOfUniformAndGaussian) {
  const TensorObserver u = Observe(Uniform(400000));
  // |x| of U(−1, 1) is U(0, 1): its 99th percentile is 0.99. Tolerance: a bin (1/2048) plus
  // sampling error (sd √(p(1 − p)/N) = 1.6e-4).
  const RealRange ru = u.Choose(CalibrationMethod::kPercentile, kInt8Sym, 99.0);
  EXPECT_NEAR(ru.hi, 0.99, 0.002);
  EXPECT_NEAR(ru.lo, -0.99, 0.002);
  // Asymmetric: each tail at 1 %: the 99th percentile of x is 0.98, the 1st is −0.98.
  const RealRange ra = u.Choose(CalibrationMethod::kPercentile, kUint8Asym, 99.0);
  EXPECT_NEAR(ra.hi, 0.98, 0.002);
  EXPECT_NEAR(ra.lo, -0.98, 0.002);

  const TensorObserver g = Observe(Gaussian(400000));
  // |x| of N(0, 1): 99th percentile Φ⁻¹(0.995) = 2.5758; sampling sd ≈ 0.011.
  const RealRange rg = g.Choose(CalibrationMethod::kPercentile, kInt8Sym, 99.0);
  EXPECT_NEAR(rg.hi, NormalQuantile(0.995), 0.04);
  EXPECT_NEAR(NormalQuantile(0.995), 2.5758, 1e-3);
  EXPECT_THROW(g.Choose(CalibrationMethod::kPercentile, kInt8Sym, 0.0), Error);
  EXPECT_THROW(g.Choose(CalibrationMethod::kPercentile, kInt8Sym, 101.0), Error);
}

TEST_F(ObserverTest, MseMatchesTheAnalyticOptimum) {
  const TensorObserver g = Observe(Gaussian(1000000));
  for (const TensorScheme& scheme : {kInt4Sym, kInt8Sym}) {
    const double steps = scheme.steps();
    const double best = Argmin([&](double a) { return GaussianMse(a, steps); }, 6.0);
    const RealRange r = g.Choose(CalibrationMethod::kMse, scheme, 0.0);
    const double chosen = std::max(-static_cast<double>(r.lo), static_cast<double>(r.hi));
    SCOPED_TRACE(scheme.Describe() + ": analytic optimum " + std::to_string(best) + ", chosen " +
                 std::to_string(chosen));
    // The error at the chosen clip is within 2 % of the analytic minimum, and the clips agree.
    EXPECT_LE(GaussianMse(chosen, steps), 1.02 * GaussianMse(best, steps));
    EXPECT_NEAR(chosen, best, scheme.bits == 4 ? 0.1 : 0.35);
  }
  // 4-bit on N(0, 1): about 2.5σ (Banner et al.'s ACIQ table gives 2.55 for 16 levels).
  EXPECT_NEAR(Argmin([](double a) { return GaussianMse(a, 14.0); }, 6.0), 2.5, 0.1);

  const TensorObserver u = Observe(Uniform(400000));
  const double best_u = Argmin([](double a) { return UniformMse(a, 254.0); }, 1.0);
  const RealRange ru = u.Choose(CalibrationMethod::kMse, kInt8Sym, 0.0);
  EXPECT_NEAR(ru.hi, best_u, 0.003);
  EXPECT_GT(best_u, 0.99);  // barely clipped: uniform data has no tail worth cutting
}

TEST_F(ObserverTest, KlKeepsUniformDataWhole) {
  const TensorObserver u = Observe(Uniform(400000));
  const RealRange r = u.Choose(CalibrationMethod::kKl, kInt8Sym, 0.0);
  EXPECT_GT(r.hi, 0.97);
  EXPECT_LE(r.hi, u.max());
}

// Squared quantization error of `v` on the grid of `range`, and its part on the values of
// magnitude at most `body`.
struct Errors {
  double all = 0.0;
  double body = 0.0;
};
Errors QuantizationErrors(const std::vector<float>& v, RealRange range, const TensorScheme& s,
                          float body) {
  const golden::QuantParams p = ChooseParams(range, s);
  Errors e;
  for (float x : v) {
    const float q =
        golden::DequantizeValue(golden::QuantizeValue(x, p.scales[0], p.zero_points[0], s.dtype),
                                p.scales[0], p.zero_points[0]);
    const double d = (static_cast<double>(x) - q) * (static_cast<double>(x) - q);
    e.all += d;
    if (std::fabs(x) <= body) e.body += d;
  }
  return e;
}

TEST_F(ObserverTest, KlAndMseClipHeavyTailsTighterThanMinMax) {
  // Laplace(0, 1), heavier-tailed than a Gaussian; 1,000,000 quantiles reach ln(1e6) = 13.8.
  // Symmetric 8-bit MSE analytically: tails 2·∫_T^∞ (x − T)² e^(−x)/2 dx = 2e^(−T), inside
  // (1 − e^(−T))·Δ²/12, optimum near T = 9.9 (ACIQ's table: 9.89).
  const std::vector<float> v = Laplace(1000000);
  const TensorObserver o = Observe(v);
  const RealRange minmax = o.Choose(CalibrationMethod::kMinMax, kInt8Sym, 0.0);
  const float full = std::max(-minmax.lo, minmax.hi);
  ASSERT_NEAR(full, std::log(1e6), 1e-3);
  auto laplace_mse = [](double t) {
    const double step = 2.0 * t / 254.0;
    return 2.0 * std::exp(-t) + (1.0 - std::exp(-t)) * step * step / 12.0;
  };
  const double best = Argmin(laplace_mse, 20.0);
  EXPECT_NEAR(best, 9.9, 0.1);
  const Errors minmax_error = QuantizationErrors(v, minmax, kInt8Sym, 5.0f);
  for (CalibrationMethod m : {CalibrationMethod::kKl, CalibrationMethod::kMse}) {
    const RealRange r = o.Choose(m, kInt8Sym, 0.0);
    const float t = std::max(-r.lo, r.hi);
    SCOPED_TRACE(std::string(CalibrationMethodName(m)) + " clips at " + std::to_string(t) +
                 ", min-max at " + std::to_string(full));
    EXPECT_LT(t, 0.85f * full);
    EXPECT_GT(t, 5.0f);
    // The body of the distribution is quantized more finely than with min-max.
    EXPECT_LT(QuantizationErrors(v, r, kInt8Sym, 5.0f).body, 0.8 * minmax_error.body);
  }
  // MSE: near the analytic optimum, and a lower total squared error than min-max.
  const RealRange mse = o.Choose(CalibrationMethod::kMse, kInt8Sym, 0.0);
  EXPECT_LE(laplace_mse(mse.hi), 1.05 * laplace_mse(best));
  EXPECT_LT(QuantizationErrors(v, mse, kInt8Sym, 5.0f).all, minmax_error.all);
}

TEST_F(ObserverTest, KlAndPercentileIgnoreRareExtremeOutliers) {
  // 100,000 N(0, 1) values and 10 outliers of magnitude 30–60 (0.01 %). KL and percentile clip
  // them; MSE keeps them: their squared clipping error (10 · ~45²) outweighs the finer grid's
  // gain on the body (Δ²/12 · 1e5 ≈ 1300 at ±50), so min-max is MSE-optimal here.
  const std::vector<float> v = HeavyTailed(100000, 10);
  const TensorObserver o = Observe(v);
  const RealRange minmax = o.Choose(CalibrationMethod::kMinMax, kInt8Sym, 0.0);
  ASSERT_GT(std::max(-minmax.lo, minmax.hi), 30.0f);
  for (CalibrationMethod m : {CalibrationMethod::kKl, CalibrationMethod::kPercentile}) {
    const RealRange r = o.Choose(m, kInt8Sym, 99.9);
    const float t = std::max(-r.lo, r.hi);
    SCOPED_TRACE(std::string(CalibrationMethodName(m)) + " clips at " + std::to_string(t));
    EXPECT_LT(t, 15.0f);
    EXPECT_GT(t, 3.0f);
    EXPECT_LT(QuantizationErrors(v, r, kInt8Sym, 5.0f).body,
              0.1 * QuantizationErrors(v, minmax, kInt8Sym, 5.0f).body);
  }
  const RealRange mse = o.Choose(CalibrationMethod::kMse, kInt8Sym, 0.0);
  EXPECT_GT(std::max(-mse.lo, mse.hi), 30.0f);
}

TEST_F(ObserverTest, AsymmetricMethodsOnNonNegativeHeavyTails) {
  // ReLU output: max(x, 0) of Laplace(0, 1).
  std::vector<float> v = Laplace(1000000);
  for (float& x : v) x = std::max(x, 0.0f);
  const TensorObserver o = Observe(v);
  const RealRange minmax = o.Choose(CalibrationMethod::kMinMax, kUint8Asym, 0.0);
  EXPECT_EQ(minmax.lo, 0.0f);
  for (CalibrationMethod m : {CalibrationMethod::kKl, CalibrationMethod::kMse}) {
    const RealRange r = o.Choose(m, kUint8Asym, 0.0);
    SCOPED_TRACE(std::string(CalibrationMethodName(m)) + " clips at " + std::to_string(r.hi));
    EXPECT_EQ(r.lo, 0.0f);
    EXPECT_LT(r.hi, 0.85f * minmax.hi);
    EXPECT_GT(r.hi, 5.0f);
  }
}

TEST_F(ObserverTest, KlKeepsTheRangeOfDiscreteValues) {
  // Pixels k / 16 (17 grey levels, as the digits images): fewer occupied bins than the 128
  // levels, so KL keeps [min, max] instead of clipping at the first level above 0.
  std::uniform_int_distribution<int> level(0, 16);
  std::vector<float> v(20000);
  for (float& x : v) x = static_cast<float>(level(rng_)) / 16.0f;
  const TensorObserver o = Observe(v);
  const RealRange r = o.Choose(CalibrationMethod::kKl, kUint8Asym, 0.0);
  EXPECT_EQ(r.lo, 0.0f);
  EXPECT_EQ(r.hi, 1.0f);
}

TEST_F(ObserverTest, RefusalsAndEdgeCases) {
  TensorObserver o;
  const std::vector<float> v = {1.0f, -2.0f};
  o.ObserveRange(v);
  // Without pass 2, only min-max is possible.
  EXPECT_THROW(o.Choose(CalibrationMethod::kKl, kInt8Sym, 0.0), Error);
  const RealRange r = o.Choose(CalibrationMethod::kMinMax, kInt8Sym, 0.0);
  EXPECT_EQ(r.lo, -2.0f);
  EXPECT_EQ(r.hi, 1.0f);
  const std::vector<float> bad = {0.0f, NAN};
  EXPECT_THROW(o.ObserveRange(bad), Error);
  // All zeros: every method gives the empty range.
  TensorObserver zeros;
  const std::vector<float> z(100, 0.0f);
  zeros.ObserveRange(z);
  zeros.ObserveHistogram(z);
  for (CalibrationMethod m :
       {CalibrationMethod::kPercentile, CalibrationMethod::kMse, CalibrationMethod::kKl}) {
    const RealRange e = zeros.Choose(m, kUint8Asym, 99.0);
    EXPECT_EQ(e.lo, 0.0f);
    EXPECT_EQ(e.hi, 0.0f);
  }
  EXPECT_EQ(ParseCalibrationMethod("kl"), CalibrationMethod::kKl);
  EXPECT_EQ(ParseCalibrationMethod("entropy"), std::nullopt);
}

TEST(ChannelObserverTest, PerChannelMaxima) {
  ChannelObserver c;
  const std::vector<float> a = {1.0f, -5.0f, 2.0f, 0.5f, 3.0f, -1.0f};  // [2, 3]
  c.Observe(a, 3);
  const std::vector<float> b = {-4.0f, 0.0f, 0.0f};
  c.Observe(b, 3);
  EXPECT_EQ(c.absmax(), (std::vector<float>{4.0f, 5.0f, 2.0f}));
  EXPECT_THROW(c.Observe(b, 4), Error);
}

}  // namespace
}  // namespace qsa::quantizer

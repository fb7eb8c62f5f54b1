// Shared by the tests of the integer compute operators (tests/model/golden/ops/conv_test.cc,
// matmul_test.cc, add_test.cc, pool_test.cc): seeded random data, graph building, and references
// that are written independently of the code under test — real-number (float64) re-derivations of
// each op and re-derivations of the four requantization formulas of model/golden/quant.h (the
// tflite-double one on top of gemmlowp).
#pragma once

#include <gemmlowp/fixedpoint/fixedpoint.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/golden/dtype.h"
#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"
#include "testkit/op_test.h"

namespace qsa::testkit::compute_test {

constexpr std::uint64_t kDefaultSeed = 20240611;

// The seed of a randomized test: QSA_TEST_SEED when set, else kDefaultSeed; recorded and printed.
inline std::uint64_t TestSeed() { return op_test::TestSeed(kDefaultSeed); }

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}

  std::int64_t Int(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(gen_);
  }
  double Real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(gen_); }
  bool Chance(double p) { return Real(0.0, 1.0) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(Int(0, static_cast<std::int64_t>(v.size()) - 1))];
  }

  // A scale with a full random float32 mantissa, in [lo, hi).
  float Scale(double lo, double hi) { return static_cast<float>(Real(lo, hi)); }
  // k · 2^-e with k odd in [1, 255]: products of two such scales are exact in float32, so the
  // requantization multiplier is exact in every mode.
  float DyadicScale(int e_lo, int e_hi) {
    const auto k = static_cast<double>(2 * Int(0, 127) + 1);
    return static_cast<float>(std::ldexp(k, -static_cast<int>(Int(e_lo, e_hi))));
  }
  std::int32_t ZeroPoint(golden::DType dtype) {
    return static_cast<std::int32_t>(Int(golden::DTypeMin(dtype), golden::DTypeMax(dtype)));
  }
  // Uniform values over the whole range of an integer dtype.
  golden::Tensor Values(golden::DType dtype, const golden::Shape& shape) {
    golden::Tensor t(dtype, shape);
    for (std::int64_t i = 0; i < t.size(); ++i)
      t.SetInt(i, Int(golden::DTypeMin(dtype), golden::DTypeMax(dtype)));
    return t;
  }

 private:
  std::mt19937_64 gen_;
};

using op_test::PerTensor;

inline golden::TensorInfo MakeInfo(const std::string& name, golden::DType dtype,
                                   golden::Shape shape, golden::QuantParams q = {}) {
  return golden::TensorInfo{name, dtype, std::move(shape), std::move(q)};
}

inline void AddInput(golden::Graph& g, const std::string& name, golden::DType dtype,
                     golden::Shape shape, golden::QuantParams q = {}) {
  g.tensors[name] = MakeInfo(name, dtype, std::move(shape), std::move(q));
  g.inputs.push_back(name);
}

inline void DeclareOutput(golden::Graph& g, const std::string& name, golden::DType dtype,
                          golden::QuantParams q = {}) {
  g.tensors[name] = MakeInfo(name, dtype, {}, std::move(q));
  g.outputs.push_back(name);
}

inline golden::Tensor RunOne(const golden::Graph& g,
                             const std::map<std::string, golden::Tensor>& inputs,
                             golden::RequantMode mode) {
  golden::RunOptions options;
  options.mode = mode;
  return golden::RunGraph(g, inputs, options).at(g.outputs.at(0));
}

constexpr auto kModes = golden::kRequantModes.Values();

// Quantization of the weight of an accumulating op (Conv's W, MatMul's B): one scale and zero
// point per output channel, or one for all.
struct WeightQuant {
  std::vector<float> scales;
  std::vector<std::int32_t> zero_points;
  bool per_channel = true;

  float Scale(std::int64_t c) const {
    return scales[per_channel ? static_cast<std::size_t>(c) : 0];
  }
  std::int32_t ZeroPoint(std::int64_t c) const {
    return zero_points[per_channel ? static_cast<std::size_t>(c) : 0];
  }
  // The params as a TensorInfo gives them, quantized along `axis` when per channel.
  golden::QuantParams Params(int axis) const {
    return {scales, zero_points, per_channel ? axis : -1};
  }
};

// Scale of an accumulating op's activation input (dyadic: exactly representable).
inline float RandomActivationScale(Rng& rng, bool dyadic) {
  return dyadic ? rng.DyadicScale(6, 9) : rng.Scale(0.002, 0.05);
}

// Weight scales (dyadic: exactly representable) and zero points (0 unless `zero_points`).
inline WeightQuant RandomWeightQuant(Rng& rng, golden::DType dtype, std::int64_t channels,
                                     bool per_channel, bool zero_points, bool dyadic) {
  WeightQuant q;
  q.per_channel = per_channel;
  q.scales.resize(static_cast<std::size_t>(per_channel ? channels : 1));
  q.zero_points.assign(q.scales.size(), 0);
  for (std::size_t i = 0; i < q.scales.size(); ++i) {
    q.scales[i] = dyadic ? rng.DyadicScale(8, 11) : rng.Scale(0.001, 0.02);
    if (zero_points) q.zero_points[i] = rng.ZeroPoint(dtype);
  }
  return q;
}

// An int32 bias [channels] uniform in [−limit, limit]; all zero when not `enabled`.
inline std::vector<std::int32_t> RandomBias(Rng& rng, std::int64_t channels, bool enabled,
                                            std::int64_t limit) {
  std::vector<std::int32_t> bias(static_cast<std::size_t>(channels), 0);
  if (enabled) {
    for (auto& b : bias) b = static_cast<std::int32_t>(rng.Int(-limit, limit));
  }
  return bias;
}

// ---- Independent arithmetic ---------------------------------------------------------------------

// Round half to even in the default floating-point environment (FE_TONEAREST).
inline double Rne(double v) { return std::nearbyint(v); }
inline float Rne(float v) { return std::nearbyint(v); }

// q = clamp(rne(v) + zero_point, lo, hi): the real-number reference after dividing by s_out.
inline std::int64_t QuantizeReal(double v, std::int32_t zero_point, std::int64_t lo,
                                 std::int64_t hi) {
  const double r = Rne(v) + zero_point;
  return static_cast<std::int64_t>(std::clamp(r, static_cast<double>(lo), static_cast<double>(hi)));
}

// TFLite's QuantizeMultiplier, written from its definition: frexp, round the mantissa to Q31
// (half away from zero), renormalize 2^31, flush shifts below −31 to zero.
inline golden::FixedPointMultiplier RefQuantizeMultiplier(double m) {
  if (m == 0.0) return {0, 0};
  int shift = 0;
  const double q = std::frexp(m, &shift);
  auto fixed = static_cast<std::int64_t>(std::llround(q * 2147483648.0));
  if (fixed == (std::int64_t{1} << 31)) {
    fixed /= 2;
    ++shift;
  }
  if (shift < -31) return {0, 0};
  return {static_cast<std::int32_t>(fixed), shift};
}

// TFLite's MultiplyByQuantizedMultiplier on gemmlowp's primitives.
inline std::int32_t RefTflite(std::int32_t x, golden::FixedPointMultiplier m) {
  const int left = std::max(m.shift, 0);
  const int right = std::max(-m.shift, 0);
  const std::int64_t shifted = static_cast<std::int64_t>(x) * (std::int64_t{1} << left);
  const auto sat = static_cast<std::int32_t>(std::clamp<std::int64_t>(
      shifted, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
  return gemmlowp::RoundingDivideByPOT(
      gemmlowp::SaturatingRoundingDoublingHighMul(sat, m.multiplier), right);
}

// TFLite's single-rounding variant: one 64-bit product, one rounding (ties toward +∞).
inline std::int32_t RefSingleRounding(std::int32_t x, golden::FixedPointMultiplier m) {
  const int total = 31 - m.shift;
  const std::int64_t product = static_cast<std::int64_t>(x) * m.multiplier;
  const std::int64_t r = (product + (std::int64_t{1} << (total - 1))) >> total;
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(
      r, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
}

// The four requantization formulas of model/golden/quant.h, from scales.
struct RefRequant {
  golden::FixedPointMultiplier fixed;
  float m32 = 0.0f;
  double m64 = 0.0;
  std::int32_t zp = 0;
  std::int64_t lo = 0;
  std::int64_t hi = 0;

  static RefRequant FromScales(float s_in, float s_w, float s_out, std::int32_t zp, std::int64_t lo,
                               std::int64_t hi) {
    RefRequant r;
    r.fixed = RefQuantizeMultiplier(static_cast<double>(s_in) * static_cast<double>(s_w) /
                                    static_cast<double>(s_out));
    r.m32 = s_in * s_w / s_out;
    r.m64 = static_cast<double>(r.m32);
    r.zp = zp;
    r.lo = lo;
    r.hi = hi;
    return r;
  }

  std::int64_t Apply(golden::RequantMode mode, std::int32_t acc) const {
    std::int64_t v = 0;
    switch (mode) {
      case golden::RequantMode::kTfliteDouble:
        v = std::int64_t{RefTflite(acc, fixed)} + zp;
        break;
      case golden::RequantMode::kSingleRounding:
        v = std::int64_t{RefSingleRounding(acc, fixed)} + zp;
        break;
      case golden::RequantMode::kFloat32Rne: {
        const float p = static_cast<float>(acc) * m32;
        v = static_cast<std::int64_t>(Rne(p)) + zp;
        break;
      }
      case golden::RequantMode::kFloat64Rne: {
        const double p = static_cast<double>(acc) * m64;
        const double s = p + zp;
        return static_cast<std::int64_t>(
            Rne(std::clamp(s, static_cast<double>(lo), static_cast<double>(hi))));
      }
    }
    return std::clamp(v, lo, hi);
  }
};

// An output scale and zero point that map the real outputs `y` onto most of dtype's range
// (a few values saturate). Dyadic: the scale is a power of two and the zero point even, so that
// the real-number reference is exact and its ties agree with float64-rne's.
struct OutQuant {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};

inline OutQuant ChooseOutput(Rng& rng, const std::vector<double>& y, golden::DType dtype,
                             bool dyadic) {
  double lo = 0.0, hi = 0.0;
  for (double v : y) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const double span = std::max(hi - lo, 1e-6);
  double s = span / 250.0 * rng.Real(0.85, 1.05);
  if (dyadic) s = std::ldexp(1.0, static_cast<int>(std::round(std::log2(s))));
  OutQuant q;
  q.scale = static_cast<float>(s);
  const double z = static_cast<double>(golden::DTypeMin(dtype)) - lo / s + rng.Real(-4.0, 4.0);
  auto zp = static_cast<std::int64_t>(std::round(z));
  if (dyadic) zp -= zp % 2;
  zp = std::clamp<std::int64_t>(zp, golden::DTypeMin(dtype) + 1, golden::DTypeMax(dtype) - 1);
  if (dyadic) zp -= zp % 2;
  q.zero_point = static_cast<std::int32_t>(zp);
  return q;
}

// Agreement of each mode with the real-number reference, accumulated over a test.
class Tally {
 public:
  // Checks |got − expected| ≤ max_diff for every element; counts exact ones.
  void Compare(golden::RequantMode mode, const golden::Tensor& got,
               const std::vector<std::int64_t>& expected, std::int64_t max_diff,
               const std::string& what) {
    ASSERT_EQ(got.size(), static_cast<std::int64_t>(expected.size())) << what;
    Entry& e = entries_[static_cast<std::size_t>(mode)];
    int reported = 0;
    for (std::int64_t i = 0; i < got.size(); ++i) {
      const std::int64_t d = std::abs(got.GetInt(i) - expected[static_cast<std::size_t>(i)]);
      ++e.total;
      if (d == 0) ++e.exact;
      e.max_diff = std::max(e.max_diff, d);
      if (d > max_diff && reported++ < 5) {
        ADD_FAILURE() << what << " [" << golden::RequantModeName(mode) << "] element " << i
                      << ": got " << got.GetInt(i) << ", real-number reference "
                      << expected[static_cast<std::size_t>(i)];
      }
    }
  }

  void Report(const std::string& name) const {
    for (golden::RequantMode mode : kModes) {
      const Entry& e = entries_[static_cast<std::size_t>(mode)];
      if (e.total == 0) continue;
      const double frac = static_cast<double>(e.exact) / static_cast<double>(e.total);
      std::cout << "[  AGREE   ] " << name << " " << golden::RequantModeName(mode) << ": "
                << e.exact << "/" << e.total << " equal to the float64 reference (" << frac * 100.0
                << "%), max |diff| " << e.max_diff << std::endl;
      ::testing::Test::RecordProperty(
          name + "." + std::string(golden::RequantModeName(mode)) + ".exact", std::to_string(frac));
    }
  }

  double ExactFraction(golden::RequantMode mode) const {
    const Entry& e = entries_[static_cast<std::size_t>(mode)];
    return e.total == 0 ? 1.0 : static_cast<double>(e.exact) / static_cast<double>(e.total);
  }

 private:
  struct Entry {
    std::int64_t total = 0;
    std::int64_t exact = 0;
    std::int64_t max_diff = 0;
  };
  std::array<Entry, 4> entries_{};
};

// Exact equality of an integer tensor with expected values; reports the first few differences.
inline void ExpectValues(const golden::Tensor& got, const std::vector<std::int64_t>& expected,
                         const std::string& what) {
  ASSERT_EQ(got.size(), static_cast<std::int64_t>(expected.size())) << what;
  int reported = 0;
  for (std::int64_t i = 0; i < got.size(); ++i) {
    if (got.GetInt(i) != expected[static_cast<std::size_t>(i)] && reported++ < 5) {
      ADD_FAILURE() << what << " element " << i << ": got " << got.GetInt(i) << ", expected "
                    << expected[static_cast<std::size_t>(i)];
    }
  }
}

// The output clamp of a requantizing op: dtype's range, or [zy, zy + relu_span] within it when
// `relu` (a fused ReLU6-like activation).
inline void OutputRange(golden::DType dtype, const OutQuant& yq, bool relu, std::int64_t relu_span,
                        std::int64_t& lo, std::int64_t& hi) {
  lo = golden::DTypeMin(dtype);
  hi = golden::DTypeMax(dtype);
  if (relu) {
    lo = yq.zero_point;
    hi = std::min<std::int64_t>(hi, yq.zero_point + relu_span);
  }
}

// Runs a graph whose output is a raw int32 accumulator and expects exactly `acc`.
inline void ExpectAccumulator(const golden::Graph& g,
                              const std::map<std::string, golden::Tensor>& inputs,
                              const golden::Shape& out_shape,
                              const std::vector<std::int64_t>& acc) {
  const golden::Tensor y = RunOne(g, inputs, golden::RequantMode::kTfliteDouble);
  EXPECT_EQ(y.shape(), out_shape);
  ExpectValues(y, acc, "int32 accumulator");
}

// Runs a requantizing accumulating op (Conv, MatMul) in every mode. Element i has the exact
// accumulator acc[i], real value real[i] and output channel channel_of(i). Expects each mode's own
// formula exactly (re-derived from acc with M = s_in · s_w[channel] / s_y) and tallies the
// real-number reference (exact in float64-rne with dyadic scales, else within 1 LSB).
template <typename ChannelOf>
void ExpectRequantized(const golden::Graph& g, const std::map<std::string, golden::Tensor>& inputs,
                       const golden::Shape& out_shape, golden::DType out_dtype,
                       const std::vector<std::int64_t>& acc, const std::vector<double>& real,
                       float s_in, const WeightQuant& wq, const OutQuant& yq, std::int64_t lo,
                       std::int64_t hi, bool dyadic, ChannelOf channel_of, Tally& tally) {
  std::vector<std::int64_t> expected(real.size());
  for (std::size_t i = 0; i < real.size(); ++i) {
    expected[i] = QuantizeReal(real[i] / static_cast<double>(yq.scale), yq.zero_point, lo, hi);
  }
  for (golden::RequantMode mode : kModes) {
    const golden::Tensor y = RunOne(g, inputs, mode);
    ASSERT_EQ(y.dtype(), out_dtype);
    ASSERT_EQ(y.shape(), out_shape);
    // Each mode's own formula, re-derived from the exact accumulator.
    std::vector<std::int64_t> formula(acc.size());
    for (std::size_t i = 0; i < acc.size(); ++i) {
      const std::int64_t c = channel_of(static_cast<std::int64_t>(i));
      formula[i] = RefRequant::FromScales(s_in, wq.Scale(c), yq.scale, yq.zero_point, lo, hi)
                       .Apply(mode, static_cast<std::int32_t>(acc[i]));
    }
    ExpectValues(y, formula,
                 std::string("formula of ") + std::string(golden::RequantModeName(mode)));
    const bool exact = mode == golden::RequantMode::kFloat64Rne && dyadic;
    tally.Compare(mode, y, expected, exact ? 0 : 1, "real reference");
  }
}

// Runs `infer` on the graph's only node and expects an Error that starts with the node's label
// and contains `fragment`.
template <typename InferFn>
void ExpectRefused(InferFn infer, golden::Graph& g, const std::string& fragment) {
  const golden::Node& node = g.nodes.at(0);
  try {
    infer(node, g);
    ADD_FAILURE() << node.Label() << ": expected an error containing '" << fragment << "'";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(node.Label() + ": ", 0), 0u) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

}  // namespace qsa::testkit::compute_test

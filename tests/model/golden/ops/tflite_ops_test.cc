// TFLite's integer operators (model/golden/ops/tflite_ops.cc): TfliteSoftmax against the same
// formula evaluated with gemmlowp's fixed-point library (an independent implementation of the
// exp, the reciprocal and the roundings); TfliteMean, TfliteAveragePool, TfliteMul,
// TfliteFcRequant, TfliteQuantize and Pad against plain re-derivations written here; and refused
// cases. Randomized; seed printed, QSA_TEST_SEED overrides it. LiteRT's reference kernels check
// the same ops end to end in tests/compiler/importer/tflite_import_test.cc.
#include <gemmlowp/fixedpoint/fixedpoint.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/quant.h"
#include "testkit/op_test.h"

namespace qsa::golden {
namespace {

using namespace testkit::op_test;

Tensor Run1(Graph g, const std::map<std::string, Tensor>& in) {
  g.Validate();
  return RunGraph(g, in).at("y");
}

Tensor RandomInt8(std::mt19937_64& rng, const Shape& shape) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<std::int8_t> v(static_cast<std::size_t>(NumElements(shape)));
  for (auto& x : v) x = static_cast<std::int8_t>(d(rng));
  return Tensor::FromVector(shape, v);
}

// ---- TfliteSoftmax vs gemmlowp ---------------------------------------------------------------

std::vector<std::int8_t> GemmlowpSoftmax(const std::vector<std::int8_t>& row, float scale,
                                         double beta) {
  using FixedPointScaledDiff = gemmlowp::FixedPoint<std::int32_t, 5>;
  using FixedPointAccum = gemmlowp::FixedPoint<std::int32_t, 12>;
  using FixedPoint0 = gemmlowp::FixedPoint<std::int32_t, 0>;
  const double real = std::min(beta * static_cast<double>(scale) * double(1 << 26),
                               static_cast<double>((std::int64_t{1} << 31) - 1));
  const FixedPointMultiplier m = QuantizeMultiplier(real);
  const int left_shift = m.shift;
  const auto diff_min = -static_cast<std::int32_t>(
      std::floor(31.0 * double(std::int64_t{1} << 26) / double(std::int64_t{1} << left_shift)));
  const std::int32_t max_in_row = *std::max_element(row.begin(), row.end());
  auto exp_of = [&](std::int32_t diff) {
    const std::int32_t rescaled =
        gemmlowp::SaturatingRoundingDoublingHighMul(diff * (1 << left_shift), m.multiplier);
    return gemmlowp::exp_on_negative_values(FixedPointScaledDiff::FromRaw(rescaled));
  };
  FixedPointAccum sum = FixedPointAccum::Zero();
  for (std::int8_t x : row) {
    const std::int32_t diff = x - max_in_row;
    if (diff >= diff_min) sum = sum + gemmlowp::Rescale<12>(exp_of(diff));
  }
  int headroom = 0;
  for (std::uint32_t v = static_cast<std::uint32_t>(sum.raw()); !(v & 0x80000000u); v <<= 1) {
    ++headroom;
  }
  const int bits_over_unit = 12 - headroom;
  const auto shifted_minus_one = static_cast<std::int32_t>(
      (static_cast<std::uint32_t>(sum.raw()) << headroom) - (std::uint32_t{1} << 31));
  const FixedPoint0 scale_f =
      gemmlowp::one_over_one_plus_x_for_x_in_0_1(FixedPoint0::FromRaw(shifted_minus_one));
  std::vector<std::int8_t> out;
  for (std::int8_t x : row) {
    const std::int32_t diff = x - max_in_row;
    if (diff < diff_min) {
      out.push_back(-128);
      continue;
    }
    const std::int32_t unsat =
        gemmlowp::RoundingDivideByPOT((scale_f * exp_of(diff)).raw(), bits_over_unit + 23);
    out.push_back(static_cast<std::int8_t>(std::clamp(unsat - 128, -128, 127)));
  }
  return out;
}

TEST(TfliteSoftmaxTest, MatchesGemmlowpFixedPoint) {
  std::mt19937_64 rng(TestSeed(16));
  std::int64_t rows_checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const std::int64_t depth = std::uniform_int_distribution<std::int64_t>(1, 40)(rng);
    const float scale = std::uniform_real_distribution<float>(0.005f, 0.5f)(rng);
    const double beta =
        std::vector<double>{1.0, 0.5, 2.0, 0.1}[static_cast<std::size_t>(trial % 4)];
    const Shape shape{3, depth};
    Graph g = OneNode("TfliteSoftmax", {Info("x", DType::kInt8, shape, PerTensor(scale, 3))},
                      Attrs({{"beta", beta}}));
    const Tensor x = RandomInt8(rng, shape);
    const Tensor y = Run1(g, {{"x", x}});
    for (std::int64_t r = 0; r < 3; ++r) {
      std::vector<std::int8_t> row;
      for (std::int64_t c = 0; c < depth; ++c) {
        row.push_back(static_cast<std::int8_t>(x.GetInt(r * depth + c)));
      }
      const std::vector<std::int8_t> want = GemmlowpSoftmax(row, scale, beta);
      for (std::int64_t c = 0; c < depth; ++c) {
        ASSERT_EQ(y.GetInt(r * depth + c), want[static_cast<std::size_t>(c)])
            << "trial " << trial << " row " << r << " col " << c;
      }
      ++rows_checked;
    }
  }
  EXPECT_EQ(rows_checked, 600);
}

TEST(TfliteSoftmaxTest, ProbabilitiesOfTwoClasses) {
  // Equal logits: 1/2 each, i.e. 128/256 → stored 0; a large gap: all on one class.
  Graph g = OneNode("TfliteSoftmax", {Info("x", DType::kInt8, {2, 2}, PerTensor(0.1f, 0))});
  const Tensor y = Run1(g, {{"x", Tensor::FromVector<std::int8_t>({2, 2}, {5, 5, 127, -128})}});
  EXPECT_EQ(y.GetInt(0), 0);
  EXPECT_EQ(y.GetInt(1), 0);
  EXPECT_EQ(y.GetInt(2), 127);
  EXPECT_EQ(y.GetInt(3), -128);
}

TEST(TfliteSoftmaxTest, Refusals) {
  ExpectRefused(OneNode("TfliteSoftmax", {Info("x", DType::kUInt8, {2}, PerTensor(0.1f, 0))}),
                "X must be int8");
  ExpectRefused(OneNode("TfliteSoftmax", {Info("x", DType::kInt8, {2})}), "per-tensor scale");
  Graph bad_out = OneNode("TfliteSoftmax", {Info("x", DType::kInt8, {2}, PerTensor(0.1f, 0))});
  bad_out.tensors["y"] = Info("y", DType::kInt8, {2}, PerTensor(0.01f, 0));
  ExpectRefused(bad_out, "scale 1/256 and zero point -128");
  ExpectRefused(OneNode("TfliteSoftmax", {Info("x", DType::kInt8, {2}, PerTensor(0.1f, 0))},
                        Attrs({{"beta", -1.0}})),
                "beta must be positive");
}

// ---- TfliteMean ------------------------------------------------------------------------------

std::int32_t RefMbqm(std::int64_t x, FixedPointMultiplier m) {
  // gemmlowp's two roundings, written out in 64-bit integers.
  const std::int64_t left = m.shift > 0 ? m.shift : 0;
  const std::int64_t right = m.shift > 0 ? 0 : -m.shift;
  const std::int64_t a = x * (std::int64_t{1} << left);
  const std::int64_t prod = a * m.multiplier;
  const std::int64_t nudge = prod >= 0 ? (std::int64_t{1} << 30) : 1 - (std::int64_t{1} << 30);
  const std::int64_t high = (prod + nudge) / (std::int64_t{1} << 31);
  const std::int64_t mask = (std::int64_t{1} << right) - 1;
  const std::int64_t rem = high & mask;
  const std::int64_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return static_cast<std::int32_t>((high >> right) + (rem > threshold ? 1 : 0));
}

TEST(TfliteMeanTest, MatchesTheReferenceFormula) {
  std::mt19937_64 rng(TestSeed(17));
  for (int trial = 0; trial < 100; ++trial) {
    auto dim = [&] { return std::uniform_int_distribution<std::int64_t>(1, 9)(rng); };
    const Shape shape{1, dim(), dim(), dim()};
    const float sx = std::uniform_real_distribution<float>(0.01f, 0.1f)(rng);
    const float sy = sx * std::uniform_real_distribution<float>(0.5f, 2.0f)(rng);
    const std::int32_t zx = std::uniform_int_distribution<std::int32_t>(-20, 20)(rng);
    const std::int32_t zy = std::uniform_int_distribution<std::int32_t>(-20, 20)(rng);
    Graph g =
        OneNode("TfliteMean", {Info("x", DType::kInt8, shape, PerTensor(sx, zx))},
                Attrs({{"axes", std::vector<std::int64_t>{1, 2}}, {"keepdims", std::int64_t{1}}}));
    g.tensors["y"] = Info("y", DType::kInt8, {}, PerTensor(sy, zy));
    const Tensor x = RandomInt8(rng, shape);
    const Tensor y = Run1(g, {{"x", x}});
    ASSERT_EQ(y.shape(), (Shape{1, 1, 1, shape[3]}));
    const std::int64_t n = shape[1] * shape[2];
    FixedPointMultiplier m = QuantizeMultiplier(static_cast<double>(sx) / static_cast<double>(sy));
    int k = 0;
    while ((std::int64_t{1} << (k + 1)) <= n) ++k;
    k = std::min({k, 32, 31 + m.shift});
    m.multiplier = static_cast<std::int32_t>((static_cast<std::int64_t>(m.multiplier) << k) / n);
    m.shift -= k;
    for (std::int64_t c = 0; c < shape[3]; ++c) {
      std::int64_t sum = 0;
      for (std::int64_t i = 0; i < n; ++i) sum += x.GetInt(i * shape[3] + c);
      const std::int64_t want = std::clamp<std::int64_t>(RefMbqm(sum - zx * n, m) + zy, -128, 127);
      ASSERT_EQ(y.GetInt(c), want) << "trial " << trial << " channel " << c;
    }
  }
}

TEST(TfliteMeanTest, Refusals) {
  Graph no_scale = OneNode("TfliteMean", {Info("x", DType::kInt8, {1, 2, 2, 1})},
                           Attrs({{"axes", std::vector<std::int64_t>{1}}}));
  ExpectRefused(no_scale, "per-tensor scale");
  ExpectRefused(OneNode("TfliteMean", {Info("x", DType::kFloat32, {1, 2})},
                        Attrs({{"axes", std::vector<std::int64_t>{1}}})),
                "int8 or uint8");
}

// ---- TfliteAveragePool -------------------------------------------------------------------------

TEST(TfliteAveragePoolTest, RoundsHalfAwayFromZeroOverTheTapsInside) {
  // 2x2 window, stride 1, padding 1 at the end: the last window has 2 or 1 taps inside.
  Graph g =
      OneNode("TfliteAveragePool", {Info("x", DType::kInt8, {1, 1, 2, 2}, PerTensor(0.1f, -5))},
              Attrs({{"kernel_shape", std::vector<std::int64_t>{2, 2}},
                     {"pads", std::vector<std::int64_t>{0, 0, 1, 1}}}));
  const Tensor y = Run1(g, {{"x", Tensor::FromVector<std::int8_t>({1, 1, 2, 2}, {1, 2, -3, -4})}});
  ASSERT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.GetInt(0), -1);  // (1 + 2 − 3 − 4) / 4 = −1
  EXPECT_EQ(y.GetInt(1), -1);  // (2 − 4) / 2 = −1
  EXPECT_EQ(y.GetInt(2), -4);  // (−3 − 4) / 2 = −3.5 → −4
  EXPECT_EQ(y.GetInt(3), -4);  // −4 / 1
  Graph clamped = g;
  clamped.nodes[0].attrs.Set("clamp_min", std::int64_t{-2});
  const Tensor c =
      Run1(clamped, {{"x", Tensor::FromVector<std::int8_t>({1, 1, 2, 2}, {1, 2, -3, -4})}});
  EXPECT_EQ(c.GetInt(2), -2);
}

TEST(TfliteAveragePoolTest, Refusals) {
  ExpectRefused(OneNode("TfliteAveragePool", {Info("x", DType::kInt32, {1, 1, 2, 2})},
                        Attrs({{"kernel_shape", std::vector<std::int64_t>{2, 2}}})),
                "int8 or uint8");
  ExpectRefused(OneNode("TfliteAveragePool", {Info("x", DType::kInt8, {1, 1, 2, 2})},
                        Attrs({{"kernel_shape", std::vector<std::int64_t>{1, 1}},
                               {"pads", std::vector<std::int64_t>{1, 0, 0, 0}},
                               {"strides", std::vector<std::int64_t>{1, 1}}})),
                "entirely in the padding");
}

// ---- TfliteMul, TfliteFcRequant, TfliteQuantize, Pad -------------------------------------------

TEST(TfliteMulTest, MatchesTheReferenceFormula) {
  std::mt19937_64 rng(TestSeed(18));
  const float sa = 0.05f, sb = 0.02f, sy = 0.004f;
  Graph g = OneNode("TfliteMul", {Info("a", DType::kInt8, {2, 3}, PerTensor(sa, 3)),
                                  Info("b", DType::kInt8, {1, 3}, PerTensor(sb, -7))});
  g.tensors["y"] = Info("y", DType::kInt8, {}, PerTensor(sy, 1));
  const Tensor a = RandomInt8(rng, {2, 3});
  const Tensor b = RandomInt8(rng, {1, 3});
  const Tensor y = Run1(g, {{"a", a}, {"b", b}});
  const FixedPointMultiplier m = QuantizeMultiplier(
      static_cast<double>(sa) * static_cast<double>(sb) / static_cast<double>(sy));
  for (std::int64_t i = 0; i < 6; ++i) {
    const std::int64_t prod = (a.GetInt(i) - 3) * (b.GetInt(i % 3) + 7);
    EXPECT_EQ(y.GetInt(i), std::clamp<std::int64_t>(RefMbqm(prod, m) + 1, -128, 127)) << i;
  }
  ExpectRefused(OneNode("TfliteMul", {Info("a", DType::kInt8, {2}, PerTensor(sa, 0)),
                                      Info("b", DType::kUInt8, {2}, PerTensor(sb, 0))}),
                "must both be int8 or both uint8");
}

TEST(TfliteFcRequantTest, SixteenBitMultiplierOneRounding) {
  // MobileNetV2's last layer: acc 928, multiplier (1776607682, −9), output zero point −24. The
  // exact value is 1.49948 + z: one rounding gives 1 (−23); gemmlowp's two give 2 (−22).
  Graph g = OneNode("TfliteFcRequant", {Info("x", DType::kInt32, {1, 3})});
  g.nodes[0].requant = {{1776607682, -9}};
  g.tensors["y"] = Info("y", DType::kInt8, {}, PerTensor(0.1f, -24));
  const Tensor y = Run1(g, {{"x", Tensor::FromVector<std::int32_t>({1, 3}, {928, -928, 0})}});
  EXPECT_EQ(y.GetInt(0), -23);
  EXPECT_EQ(y.GetInt(1), -25);  // −1.49948 → −1 (>> rounds half up; not a tie here)
  EXPECT_EQ(y.GetInt(2), -24);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(928, {1776607682, -9}) - 24, -22);
  Graph no_requant = OneNode("TfliteFcRequant", {Info("x", DType::kInt32, {1})});
  ExpectRefused(no_requant, "one explicit requant multiplier");
}

TEST(TfliteQuantizeTest, TiesRoundAwayFromZero) {
  Graph g = OneNode("TfliteQuantize", {Info("x", DType::kFloat32, {5})});
  g.tensors["y"] = Info("y", DType::kInt8, {}, PerTensor(0.5f, 1));
  const Tensor y =
      Run1(g, {{"x", Tensor::FromVector<float>({5}, {0.25f, -0.25f, 0.75f, 100.0f, -100.0f})}});
  // 0.5 → 1, −0.5 → −1, 1.5 → 2 (QuantizeLinear would give 0, 0, 2), then + 1, saturated.
  EXPECT_EQ(y.GetInt(0), 2);
  EXPECT_EQ(y.GetInt(1), 0);
  EXPECT_EQ(y.GetInt(2), 3);
  EXPECT_EQ(y.GetInt(3), 127);
  EXPECT_EQ(y.GetInt(4), -128);
  ExpectRefused(OneNode("TfliteQuantize", {Info("x", DType::kFloat32, {5})}), "declared int8");
}

TEST(TfliteLogisticTest, TableOfTheFloatLogistic) {
  const float sx = 0.05f;
  const std::int32_t zx = 4;
  Graph g = OneNode("TfliteLogistic", {Info("x", DType::kInt8, {256}, PerTensor(sx, zx))});
  std::vector<std::int8_t> all;
  for (int v = -128; v <= 127; ++v) all.push_back(static_cast<std::int8_t>(v));
  const Tensor y = Run1(g, {{"x", Tensor::FromVector<std::int8_t>({256}, all)}});
  std::int64_t previous = -129;
  std::int64_t within_one = 0;
  for (int v = -128; v <= 127; ++v) {
    const std::int64_t q = y.GetInt(v + 128);
    EXPECT_GE(q, previous) << "not monotonic at " << v;  // the logistic is increasing
    previous = q;
    const double exact = 256.0 / (1.0 + std::exp(-0.05 * (v - zx))) - 128.0;
    within_one += std::abs(static_cast<double>(q) - std::clamp(exact, -128.0, 127.0)) <= 0.5 + 1e-3;
  }
  EXPECT_EQ(y.GetInt(zx + 128), 0);  // logistic(0) = 1/2 = 128/256
  EXPECT_EQ(within_one, 256);        // each entry is the rounded float64 value
  ExpectRefused(OneNode("TfliteLogistic", {Info("x", DType::kUInt8, {2}, PerTensor(sx, 0))}),
                "X must be int8");
  Graph bad_out = OneNode("TfliteLogistic", {Info("x", DType::kInt8, {2}, PerTensor(sx, 0))});
  bad_out.tensors["y"] = Info("y", DType::kInt8, {2}, PerTensor(0.01f, 0));
  ExpectRefused(bad_out, "scale 1/256 and zero point -128");
}

TEST(PadTest, PadsEveryAxisWithTheValue) {
  Graph g = OneNode("Pad", {Info("x", DType::kInt8, {1, 2}, PerTensor(0.1f, -3))},
                    Attrs({{"pads", std::vector<std::int64_t>{0, 1, 1, 0}}, {"value", -3.0}}));
  const Tensor y = Run1(g, {{"x", Tensor::FromVector<std::int8_t>({1, 2}, {7, 8})}});
  ASSERT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(y.GetInt(0), -3);
  EXPECT_EQ(y.GetInt(1), 7);
  EXPECT_EQ(y.GetInt(2), 8);
  for (std::int64_t i = 3; i < 6; ++i) EXPECT_EQ(y.GetInt(i), -3);
  ExpectRefused(OneNode("Pad", {Info("x", DType::kInt8, {2})},
                        Attrs({{"pads", std::vector<std::int64_t>{1}}})),
                "needs 2");
  ExpectRefused(OneNode("Pad", {Info("x", DType::kInt8, {2})},
                        Attrs({{"pads", std::vector<std::int64_t>{0, -1}}})),
                ">= 0");
  ExpectRefused(OneNode("Pad", {Info("x", DType::kInt8, {2})},
                        Attrs({{"pads", std::vector<std::int64_t>{0, 1}}, {"value", 300.0}})),
                "not a int8 value");
}

}  // namespace
}  // namespace qsa::golden

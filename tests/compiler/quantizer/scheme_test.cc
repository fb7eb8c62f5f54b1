// Scale and zero-point choice of the quantizer (compiler/quantize_scheme.h) on hand-derived
// ranges: every expected value is written from the formulas in the header, not taken from the
// code.
#include "compiler/quantizer/scheme.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "model/base/error.h"

namespace qsa::quantizer {
namespace {

using golden::DType;
using golden::QuantParams;
using golden::Tensor;

TEST(QuantizeSchemeTest, GridsOfEachScheme) {
  const TensorScheme u8{golden::DType::kUInt8, 8, false};
  EXPECT_EQ(u8.qmin(), 0);
  EXPECT_EQ(u8.qmax(), 255);
  const TensorScheme i8{golden::DType::kInt8, 8, false};
  EXPECT_EQ(i8.qmin(), -128);
  EXPECT_EQ(i8.qmax(), 127);
  const TensorScheme i8s{golden::DType::kInt8, 8, true};
  EXPECT_EQ(i8s.qmin(), -127);
  EXPECT_EQ(i8s.qmax(), 127);
  const TensorScheme u8s{golden::DType::kUInt8, 8, true};
  EXPECT_EQ(u8s.qmin(), 1);
  EXPECT_EQ(u8s.qmax(), 255);
  EXPECT_EQ(u8s.symmetric_zero_point(), 128);
  const TensorScheme i4{golden::DType::kInt8, 4, false};
  EXPECT_EQ(i4.qmin(), -8);
  EXPECT_EQ(i4.qmax(), 7);
  const TensorScheme i4s{golden::DType::kInt8, 4, true};
  EXPECT_EQ(i4s.qmin(), -7);
  EXPECT_EQ(i4s.qmax(), 7);
  EXPECT_EQ(i4s.Describe(), "int4 symmetric");
  EXPECT_EQ(u8.Describe(), "uint8 asymmetric");
}

TEST(QuantizeSchemeTest, AsymmetricUint8) {
  // [−1, 3]: s = 4 / 255, z = rne(0 + 1 / s) = rne(63.75) = 64.
  const golden::QuantParams p = ChooseParams({-1.0f, 3.0f}, {golden::DType::kUInt8, 8, false});
  ASSERT_EQ(p.scales.size(), 1u);
  EXPECT_FLOAT_EQ(p.scales[0], 4.0f / 255.0f);
  EXPECT_EQ(p.zero_points[0], 64);
  EXPECT_EQ(p.axis, -1);
  // Real 0 is exactly representable: it quantizes to z and back to 0.
  EXPECT_EQ(golden::QuantizeValue(0.0f, p.scales[0], p.zero_points[0], golden::DType::kUInt8), 64);
}

TEST(QuantizeSchemeTest, RangeIsWidenedToContainZero) {
  // [2, 6] → [0, 6]: s = 6 / 255, z = 0 (uint8); for int8, z = rne(−128 − 0) = −128.
  const golden::QuantParams u = ChooseParams({2.0f, 6.0f}, {golden::DType::kUInt8, 8, false});
  EXPECT_FLOAT_EQ(u.scales[0], 6.0f / 255.0f);
  EXPECT_EQ(u.zero_points[0], 0);
  const golden::QuantParams i = ChooseParams({2.0f, 6.0f}, {golden::DType::kInt8, 8, false});
  EXPECT_EQ(i.zero_points[0], -128);
  // [−5, −1] → [−5, 0]: z = rne(0 + 5 / (5/255)) = 255.
  const golden::QuantParams n = ChooseParams({-5.0f, -1.0f}, {golden::DType::kUInt8, 8, false});
  EXPECT_EQ(n.zero_points[0], 255);
}

TEST(QuantizeSchemeTest, SymmetricScalesUseTheNarrowRange) {
  // int8: s = max(|−2|, |1.5|) / 127, z = 0; uint8: the same scale, z = 128.
  const golden::QuantParams i = ChooseParams({-2.0f, 1.5f}, {golden::DType::kInt8, 8, true});
  EXPECT_FLOAT_EQ(i.scales[0], 2.0f / 127.0f);
  EXPECT_EQ(i.zero_points[0], 0);
  const golden::QuantParams u = ChooseParams({-2.0f, 1.5f}, {golden::DType::kUInt8, 8, true});
  EXPECT_FLOAT_EQ(u.scales[0], 2.0f / 127.0f);
  EXPECT_EQ(u.zero_points[0], 128);
  // 4-bit: s = 2 / 7.
  const golden::QuantParams q4 = ChooseParams({-2.0f, 1.5f}, {golden::DType::kInt8, 4, true});
  EXPECT_FLOAT_EQ(q4.scales[0], 2.0f / 7.0f);
}

TEST(QuantizeSchemeTest, AsymmetricInt4) {
  // [−1, 2] on [−8, 7]: s = 3 / 15 = 0.2, z = rne(−8 + 1 / 0.2) = −3.
  const golden::QuantParams p = ChooseParams({-1.0f, 2.0f}, {golden::DType::kInt8, 4, false});
  EXPECT_FLOAT_EQ(p.scales[0], 0.2f);
  EXPECT_EQ(p.zero_points[0], -3);
}

TEST(QuantizeSchemeTest, EmptyRangeGetsScaleOne) {
  const golden::QuantParams p = ChooseParams({0.0f, 0.0f}, {golden::DType::kUInt8, 8, false});
  EXPECT_EQ(p.scales[0], 1.0f);
  EXPECT_EQ(p.zero_points[0], 0);
  const golden::QuantParams s = ChooseParams({0.0f, 0.0f}, {golden::DType::kInt8, 8, true});
  EXPECT_EQ(s.scales[0], 1.0f);
  EXPECT_EQ(s.zero_points[0], 0);
}

TEST(QuantizeSchemeTest, RefusesNonFiniteRanges) {
  EXPECT_THROW(ChooseParams({-INFINITY, 1.0f}, {golden::DType::kUInt8, 8, false}), Error);
  EXPECT_THROW(ChooseParams({0.0f, NAN}, {golden::DType::kUInt8, 8, false}), Error);
  EXPECT_THROW(WeightTensorScheme(WeightScheme{}, 2), Error);
  EXPECT_THROW(ActivationTensorScheme(ActivationScheme{golden::DType::kInt32, false}), Error);
}

TEST(QuantizeSchemeTest, PerChannelWeightParams) {
  // W [3, 2]: channel 0 in [−0.5, 0.25], channel 1 all zero, channel 2 in [−1, 2].
  const golden::Tensor w =
      golden::Tensor::FromVector<float>({3, 2}, {-0.5f, 0.25f, 0.0f, 0.0f, 2.0f, -1.0f});
  const TensorScheme sym{golden::DType::kInt8, 8, true};
  const golden::QuantParams p = ChooseWeightParams(w, 0, sym);
  EXPECT_EQ(p.axis, 0);
  ASSERT_EQ(p.scales.size(), 3u);
  EXPECT_FLOAT_EQ(p.scales[0], 0.5f / 127.0f);
  EXPECT_FLOAT_EQ(p.scales[2], 2.0f / 127.0f);
  // The all-zero channel takes the largest other scale.
  EXPECT_FLOAT_EQ(p.scales[1], 2.0f / 127.0f);
  EXPECT_EQ(p.zero_points, (std::vector<std::int32_t>{0, 0, 0}));
  // Per tensor: one scale from the whole tensor.
  const golden::QuantParams t = ChooseWeightParams(w, -1, sym);
  ASSERT_EQ(t.scales.size(), 1u);
  EXPECT_FLOAT_EQ(t.scales[0], 2.0f / 127.0f);
  // Along axis 1 (columns): column 0 {−0.5, 0, 2}, column 1 {0.25, 0, −1}.
  const golden::QuantParams c = ChooseWeightParams(w, 1, sym);
  EXPECT_FLOAT_EQ(c.scales[0], 2.0f / 127.0f);
  EXPECT_FLOAT_EQ(c.scales[1], 1.0f / 127.0f);
}

TEST(QuantizeSchemeTest, FourBitWeightsStayInTheirRange) {
  const golden::Tensor w =
      golden::Tensor::FromVector<float>({1, 5}, {-1.0f, -0.5f, 0.0f, 0.6f, 2.0f});
  const TensorScheme s{golden::DType::kInt8, 4, false};
  const golden::QuantParams p = ChooseWeightParams(w, 0, s);  // s = 0.2, z = −3 (above)
  const golden::Tensor q = QuantizeWeights(w, p, s);
  ASSERT_EQ(q.dtype(), golden::DType::kInt8);
  // rne(r / 0.2) − 3: −5 − 3, −2.5 → −2 − 3, 0 − 3, 3 − 3, 10 − 3.
  const std::vector<std::int64_t> want = {-8, -5, -3, 0, 7};
  for (std::int64_t i = 0; i < q.size(); ++i)
    EXPECT_EQ(q.GetInt(i), want[static_cast<std::size_t>(i)]);
  // A value beyond the grid clamps to [−8, 7], not to int8's range.
  const golden::Tensor far = golden::Tensor::FromVector<float>({1, 1}, {100.0f});
  EXPECT_EQ(QuantizeWeights(far, p, s).GetInt(0), 7);
}

TEST(QuantizeSchemeTest, BiasAtInputTimesWeightScale) {
  // s_in = 0.5, s_w = {0.25, 0.125}: bias scales 0.125 and 0.0625.
  const golden::QuantParams w{{0.25f, 0.125f}, {0, 0}, 0};
  golden::QuantParams bias_params;
  const golden::Tensor b = QuantizeBias(golden::Tensor::FromVector<float>({2}, {1.0f, -0.09375f}),
                                        0.5f, w, 2, bias_params);
  ASSERT_EQ(b.dtype(), golden::DType::kInt32);
  EXPECT_EQ(b.GetInt(0), 8);   // 1 / 0.125
  EXPECT_EQ(b.GetInt(1), -2);  // −0.09375 / 0.0625 = −1.5 → −2 (ties to even)
  EXPECT_EQ(bias_params.scales, (std::vector<float>{0.125f, 0.0625f}));
  EXPECT_EQ(bias_params.zero_points, (std::vector<std::int32_t>{0, 0}));
  EXPECT_EQ(bias_params.axis, 0);
  // One bias value broadcasts to every channel; a wrong count is refused.
  const golden::Tensor one =
      QuantizeBias(golden::Tensor::FromVector<float>({1}, {0.25f}), 0.5f, w, 2, bias_params);
  EXPECT_EQ(one.GetInt(0), 2);
  EXPECT_EQ(one.GetInt(1), 4);
  EXPECT_THROW(QuantizeBias(golden::Tensor::FromVector<float>({3}, {1.0f, 2.0f, 3.0f}), 0.5f, w, 2,
                            bias_params),
               Error);
}

}  // namespace
}  // namespace qsa::quantizer

// Clip on integer tensors (ReLU, ReLU6 and general bounds in the quantized domain) and on float32;
// refused cases.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/golden/ops/ops.h"
#include "testkit/compute_test.h"

namespace qsa::golden {
namespace {

using testkit::compute_test::AddInput;
using testkit::compute_test::DeclareOutput;
using testkit::compute_test::ExpectRefused;
using testkit::compute_test::PerTensor;
using testkit::compute_test::RunOne;

Graph ClipGraph(DType dtype, const QuantParams& q) {
  Graph g;
  AddInput(g, "x", dtype, {6}, q);
  g.nodes.push_back(Node{"clip0", "Clip", {"x"}, {"y"}, {}, {}});
  g.outputs = {"y"};
  return g;
}

TEST(OpsClip, ReluAndRelu6OnUint8) {
  // Scale 0.1, zero point 20: ReLU is min = 20; ReLU6 adds max = 20 + 6 / 0.1 = 80.
  const QuantParams q = PerTensor(0.1f, 20);
  Graph g = ClipGraph(DType::kUInt8, q);
  g.nodes[0].attrs.Set("min", std::int64_t{20});
  g.Validate();
  EXPECT_EQ(g.Info("y").quant, q);
  EXPECT_EQ(g.Info("y").dtype, DType::kUInt8);
  const Tensor x = Tensor::FromVector<std::uint8_t>({6}, {0, 19, 20, 21, 80, 255});
  EXPECT_EQ(RunOne(g, {{"x", x}}, RequantMode::kTfliteDouble),
            Tensor::FromVector<std::uint8_t>({6}, {20, 20, 20, 21, 80, 255}));
  g.nodes[0].attrs.Set("max", std::int64_t{80});
  g.Validate();
  EXPECT_EQ(RunOne(g, {{"x", x}}, RequantMode::kTfliteDouble),
            Tensor::FromVector<std::uint8_t>({6}, {20, 20, 20, 21, 80, 80}));
}

TEST(OpsClip, Int8AndInt32Bounds) {
  Graph g = ClipGraph(DType::kInt8, PerTensor(0.5f, -3));
  g.nodes[0].attrs.Set("min", std::int64_t{-100});
  g.nodes[0].attrs.Set("max", 5.0);  // an integral float reads as an integer bound
  g.Validate();
  EXPECT_EQ(RunOne(g, {{"x", Tensor::FromVector<std::int8_t>({6}, {-128, -101, -100, 0, 5, 127})}},
                   RequantMode::kTfliteDouble),
            Tensor::FromVector<std::int8_t>({6}, {-100, -100, -100, 0, 5, 5}));
  Graph w = ClipGraph(DType::kInt32, {});
  w.nodes[0].attrs.Set("max", std::int64_t{1000000});
  w.Validate();
  EXPECT_EQ(RunOne(w,
                   {{"x", Tensor::FromVector<std::int32_t>(
                              {6}, {std::numeric_limits<std::int32_t>::min(), -1, 0, 999999,
                                    1000001, std::numeric_limits<std::int32_t>::max()})}},
                   RequantMode::kTfliteDouble),
            Tensor::FromVector<std::int32_t>(
                {6}, {std::numeric_limits<std::int32_t>::min(), -1, 0, 999999, 1000000, 1000000}));
}

TEST(OpsClip, Float32) {
  Graph g = ClipGraph(DType::kFloat32, {});
  g.nodes[0].attrs.Set("min", -1.5);
  g.nodes[0].attrs.Set("max", 6.0);
  g.Validate();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor y =
      RunOne(g, {{"x", Tensor::FromVector<float>({6}, {-3.0f, -1.5f, 0.25f, 6.0f, 7.5f, nan})}},
             RequantMode::kTfliteDouble);
  const auto d = y.Data<float>();
  EXPECT_EQ(d[0], -1.5f);
  EXPECT_EQ(d[1], -1.5f);
  EXPECT_EQ(d[2], 0.25f);
  EXPECT_EQ(d[3], 6.0f);
  EXPECT_EQ(d[4], 6.0f);
  EXPECT_TRUE(std::isnan(d[5]));
  // No bounds: identity.
  Graph id = ClipGraph(DType::kFloat32, {});
  id.Validate();
  const Tensor x = Tensor::FromVector<float>({6}, {-1e30f, -1.0f, 0.0f, 1.0f, 1e30f, 3.0f});
  EXPECT_EQ(RunOne(id, {{"x", x}}, RequantMode::kTfliteDouble), x);
}

TEST(OpsClip, RefusesBadBounds) {
  Graph order = ClipGraph(DType::kUInt8, PerTensor(0.1f, 0));
  order.nodes[0].attrs.Set("min", std::int64_t{10});
  order.nodes[0].attrs.Set("max", std::int64_t{9});
  ExpectRefused(ops::kClip.infer, order, "min 10 exceeds max 9");
  Graph range = ClipGraph(DType::kInt8, PerTensor(0.1f, 0));
  range.nodes[0].attrs.Set("max", std::int64_t{200});
  ExpectRefused(ops::kClip.infer, range, "max 200 is not representable in int8");
  Graph frac = ClipGraph(DType::kUInt8, PerTensor(0.1f, 0));
  frac.nodes[0].attrs.Set("min", 0.5);
  ExpectRefused(ops::kClip.infer, frac, "min 0.5 is not representable in uint8");
  Graph quant = ClipGraph(DType::kUInt8, PerTensor(0.1f, 0));
  quant.tensors["y"] = testkit::compute_test::MakeInfo("y", DType::kUInt8, {}, PerTensor(0.1f, 1));
  ExpectRefused(ops::kClip.infer, quant, "declares quantization different from input 'x'");
  Graph two = ClipGraph(DType::kUInt8, PerTensor(0.1f, 0));
  two.nodes[0].inputs.push_back("x");
  ExpectRefused(ops::kClip.infer, two, "expects 1 inputs, has 2");
}

}  // namespace
}  // namespace qsa::golden

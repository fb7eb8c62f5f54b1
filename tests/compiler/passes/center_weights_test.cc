// center-weights: uint8 weights with per-channel zero points (Conv), int8 weights with
// per-column zero points (MatMul, B as [K, N] and transposed) become int8 w − zw with zero points
// 0 and the same scales and axis, bit-exact in every mode; weights whose w − zw leaves int8 are
// refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

// Values of a weight with zero point zp[c] along `axis`, within zp ± 100 (so w − zw fits int8).
Tensor WeightAround(Rng& rng, DType dtype, const Shape& shape, int axis,
                    const std::vector<std::int32_t>& zps) {
  Tensor t(dtype, shape);
  const std::int64_t stride = golden::Strides(shape)[static_cast<std::size_t>(axis)];
  for (std::int64_t i = 0; i < t.size(); ++i) {
    const std::int64_t zp =
        zps[static_cast<std::size_t>((i / stride) % shape[static_cast<std::size_t>(axis)])];
    t.SetInt(i, std::clamp<std::int64_t>(zp + rng.Int(-100, 100), golden::DTypeMin(dtype),
                                         golden::DTypeMax(dtype)));
  }
  return t;
}

void ExpectCentered(const Graph& before, const Graph& after, const std::string& node,
                    const std::string& old_weight) {
  const std::string& name = NodeNamed(after, node).inputs[1];
  ASSERT_NE(name, old_weight);
  const Tensor& w = after.Constant(name);
  const Tensor& old = before.Constant(old_weight);
  const QuantParams& q = before.Info(old_weight).quant;
  EXPECT_EQ(w.dtype(), DType::kInt8);
  EXPECT_EQ(w.shape(), old.shape());
  const QuantParams& nq = after.Info(name).quant;
  EXPECT_EQ(nq.scales, q.scales);
  EXPECT_EQ(nq.axis, q.axis);
  EXPECT_EQ(nq.zero_points, std::vector<std::int32_t>(q.zero_points.size(), 0));
  const std::int64_t stride = golden::Strides(old.shape())[static_cast<std::size_t>(q.axis)];
  for (std::int64_t i = 0; i < w.size(); ++i) {
    const std::int64_t c = (i / stride) % old.shape()[static_cast<std::size_t>(q.axis)];
    EXPECT_EQ(w.GetInt(i), old.GetInt(i) - q.zero_points[static_cast<std::size_t>(c)]) << i;
  }
}

TEST(CenterWeightsPassTest, CentersUint8ConvWeightsPerChannel) {
  Rng rng(Seed(41));
  Graph g;
  g.name = "conv";
  AddInput(g, "x", DType::kUInt8, {1, 2, 5, 5}, PerTensor(0.02f, 120));
  const std::vector<std::int32_t> zps = {100, 128, 140};
  g.AddConstant("w", WeightAround(rng, DType::kUInt8, {3, 2, 3, 3}, 0, zps),
                {rng.Reals(3, 0.004f, 0.01f), zps, 0});
  g.AddConstant("b", rng.Values(DType::kInt32, {3}, -500, 500));
  Declare(g, "y", DType::kUInt8, PerTensor(0.05f, 128));
  AddNode(g, "conv", "Conv", {"x", "w", "b"}, {"y"},
          Attrs({{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}));
  g.outputs = {"y"};
  g.Validate();
  const Graph before = g;
  PassContext ctx;
  ASSERT_TRUE(RunPass(CenterWeights, g, ctx));
  EXPECT_EQ(NodeNamed(g, "conv").inputs[1], "w_centered");
  ExpectCentered(before, g, "conv", "w");
  EXPECT_TRUE(g.IsConstant("w"));  // left for dead-code
  EXPECT_TRUE(Logged(ctx, "center-weights: Conv 'conv': weight 'w' centered into int8"));
  ExpectSameOutputs(before, g, rng);
}

TEST(CenterWeightsPassTest, CentersInt8MatMulWeightsPerColumn) {
  for (const bool transpose_b : {false, true}) {
    SCOPED_TRACE(transpose_b ? "transpose_b" : "B as [K, N]");
    Rng rng(Seed(42));
    Graph g;
    g.name = "matmul";
    AddInput(g, "x", DType::kInt8, {3, 6}, PerTensor(0.03f, -7));
    const std::vector<std::int32_t> zps = {-20, 0, 25, 3};
    const int axis = transpose_b ? 0 : 1;
    const Shape shape = transpose_b ? Shape{4, 6} : Shape{6, 4};
    g.AddConstant("w", WeightAround(rng, DType::kInt8, shape, axis, zps),
                  {rng.Reals(4, 0.004f, 0.01f), zps, axis});
    Declare(g, "y", DType::kInt8, PerTensor(0.04f, 5));
    AddNode(g, "fc", "MatMul", {"x", "w"}, {"y"},
            Attrs({{"transpose_b", std::int64_t{transpose_b ? 1 : 0}}}));
    // A second MatMul on the same weight shares the centered copy.
    Declare(g, "y2", DType::kInt8, PerTensor(0.05f, 0));
    AddNode(g, "fc2", "MatMul", {"x", "w"}, {"y2"},
            Attrs({{"transpose_b", std::int64_t{transpose_b ? 1 : 0}}}));
    g.outputs = {"y", "y2"};
    g.Validate();
    const Graph before = g;
    PassContext ctx;
    ASSERT_TRUE(RunPass(CenterWeights, g, ctx));
    ExpectCentered(before, g, "fc", "w");
    EXPECT_EQ(NodeNamed(g, "fc2").inputs[1], NodeNamed(g, "fc").inputs[1]);
    ExpectSameOutputs(before, g, rng);
  }
}

TEST(CenterWeightsPassTest, LeavesInt8WeightsWithZeroPointZero) {
  Rng rng(Seed(43));
  Graph g;
  g.name = "symmetric";
  AddInput(g, "x", DType::kInt8, {2, 4}, PerTensor(0.03f, 0));
  g.AddConstant("w", rng.Values(DType::kInt8, {4, 2}), PerTensor(0.01f, 0));
  Declare(g, "y", DType::kInt8, PerTensor(0.04f, 0));
  AddNode(g, "fc", "MatMul", {"x", "w"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  PassContext ctx;
  ExpectRefused(CenterWeights, g, ctx);
  EXPECT_TRUE(ctx.log.empty());
}

TEST(CenterWeightsPassTest, RefusesValuesThatDoNotFitInt8) {
  Graph g;
  g.name = "wide";
  AddInput(g, "x", DType::kUInt8, {1, 1, 3, 3}, PerTensor(0.02f, 0));
  g.AddConstant("w", Tensor::FromVector<std::uint8_t>({2, 1, 1, 1}, {200, 20}),
                {{0.01f, 0.01f}, {10, 10}, 0});
  Declare(g, "y", DType::kUInt8, PerTensor(0.05f, 0));
  AddNode(g, "conv", "Conv", {"x", "w"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  PassContext ctx;
  ExpectRefused(CenterWeights, g, ctx);
  EXPECT_TRUE(Logged(ctx,
                     "Conv 'conv' left alone: weight value 200 minus its zero point 10 is "
                     "190, outside int8"));
}

}  // namespace
}  // namespace qsa::compiler

// fold-zero-point: a Conv with padding and MatMuls (B as [K, N] and transposed, with and without
// bias) on inputs with nonzero zero points get the bias B − zx · Σ W and the attribute
// x_zero_point_folded; the golden engine gives identical outputs with the folded attribute
// (tflite-double, float32-rne and the other modes); weights with a zero point are refused.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/passes/fold_zero_point.h"
#include "compiler/passes/pass.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

// The folded bias of `node` in `before`, computed here: B[c] − zx · Σ_k W[c, k].
std::vector<std::int32_t> ExpectedBias(const Graph& g, const golden::Node& node,
                                       std::int64_t channels, bool channel_major) {
  const Tensor& w = g.Constant(node.inputs[1]);
  const std::int64_t zx = g.Info(node.inputs[0]).quant.zero_points.at(0);
  const std::int64_t depth = w.size() / channels;
  std::vector<std::int32_t> out;
  for (std::int64_t c = 0; c < channels; ++c) {
    std::int64_t sum = 0;
    for (std::int64_t k = 0; k < depth; ++k) {
      sum += w.GetInt(channel_major ? c * depth + k : k * channels + c);
    }
    const std::int64_t b = node.inputs.size() > 2 ? g.Constant(node.inputs[2]).GetInt(c) : 0;
    out.push_back(static_cast<std::int32_t>(b - zx * sum));
  }
  return out;
}

void ExpectFolded(const Graph& before, const Graph& after, const std::string& name,
                  std::int64_t channels, bool channel_major) {
  const golden::Node& node = NodeNamed(after, name);
  EXPECT_EQ(node.attrs.GetInt("x_zero_point_folded"), 1);
  ASSERT_EQ(node.inputs.size(), 3u);
  const Tensor& bias = after.Constant(node.inputs[2]);
  const std::vector<std::int32_t> want =
      ExpectedBias(before, NodeNamed(before, name), channels, channel_major);
  EXPECT_EQ(bias, Tensor::FromVector<std::int32_t>({channels}, want));
  EXPECT_EQ(AcceleratorBias(after, node), want);
}

TEST(FoldZeroPointPassTest, ConvWithPadding) {
  Rng rng(Seed(71));
  Graph g;
  g.name = "conv";
  AddInput(g, "x", DType::kUInt8, {1, 3, 6, 6}, PerTensor(0.02f, 131));
  g.AddConstant("w", rng.Values(DType::kInt8, {4, 3, 3, 3}),
                {rng.Reals(4, 0.004f, 0.01f), {0, 0, 0, 0}, 0});
  g.AddConstant("b", rng.Values(DType::kInt32, {4}, -3000, 3000));
  Declare(g, "y", DType::kUInt8, PerTensor(0.06f, 120));
  AddNode(g, "conv", "Conv", {"x", "w", "b"}, {"y"},
          Attrs({{"pads", std::vector<std::int64_t>{1, 2, 2, 1}},
                 {"strides", std::vector<std::int64_t>{2, 1}}}));
  g.outputs = {"y"};
  g.Validate();
  const Graph before = g;
  PassContext ctx;
  ASSERT_TRUE(RunPass(FoldZeroPoint, g, ctx));
  ExpectFolded(before, g, "conv", 4, true);
  EXPECT_EQ(g.nodes[0].inputs[2], "conv_bias_zero_point_folded");
  EXPECT_TRUE(Logged(ctx, "fold-zero-point: Conv 'conv': input zero point folded into the bias"));
  ExpectSameOutputs(before, g, rng, 6);
}

TEST(FoldZeroPointPassTest, MatMul) {
  for (const bool transpose_b : {false, true}) {
    for (const bool bias : {true, false}) {
      SCOPED_TRACE(std::string(transpose_b ? "transpose_b" : "B as [K, N]") +
                   (bias ? ", bias" : ", no bias"));
      Rng rng(Seed(72));
      Graph g;
      g.name = "matmul";
      AddInput(g, "a", DType::kInt8, {3, 10}, PerTensor(0.03f, -37));
      g.AddConstant(
          "w", rng.Values(DType::kInt8, transpose_b ? Shape{6, 10} : Shape{10, 6}),
          {rng.Reals(6, 0.004f, 0.01f), std::vector<std::int32_t>(6, 0), transpose_b ? 0 : 1});
      std::vector<std::string> inputs = {"a", "w"};
      if (bias) {
        g.AddConstant("b", rng.Values(DType::kInt32, {6}, -3000, 3000));
        inputs.push_back("b");
      }
      Declare(g, "y", DType::kInt8, PerTensor(0.05f, 9));
      AddNode(g, "fc", "MatMul", inputs, {"y"},
              Attrs({{"transpose_b", std::int64_t{transpose_b ? 1 : 0}}}));
      g.outputs = {"y"};
      g.Validate();
      const Graph before = g;
      PassContext ctx;
      ASSERT_TRUE(RunPass(FoldZeroPoint, g, ctx));
      ExpectFolded(before, g, "fc", 6, transpose_b);
      ExpectSameOutputs(before, g, rng, 6);
    }
  }
}

TEST(FoldZeroPointPassTest, RefusesWeightsWithAZeroPoint) {
  Rng rng(Seed(73));
  Graph g;
  g.name = "asymmetric";
  AddInput(g, "a", DType::kUInt8, {2, 4}, PerTensor(0.03f, 100));
  g.AddConstant("w", rng.Values(DType::kUInt8, {4, 3}), PerTensor(0.01f, 128));
  Declare(g, "y", DType::kUInt8, PerTensor(0.05f, 128));
  AddNode(g, "fc", "MatMul", {"a", "w"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  PassContext ctx;
  ExpectRefused(FoldZeroPoint, g, ctx);
  EXPECT_TRUE(Logged(ctx,
                     "MatMul 'fc' left alone: it needs constant int8 weights with zero "
                     "point 0"));
}

}  // namespace
}  // namespace qsa::compiler

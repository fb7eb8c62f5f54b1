// fold-batchnorm: Conv → BatchNormalization becomes one Conv with the closed-form weights and
// bias, whose golden outputs agree with the unfolded pair within float rounding; a Conv whose
// output is also read elsewhere and a BatchNormalization with a runtime parameter are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

constexpr std::int64_t kChannels = 4;

// x float32 [1,3,6,6] → Conv 'conv' (3→4, 3×3, pad 1, bias optional, group 1) → c →
// BatchNormalization 'bn' → y.
Graph ConvBatchNorm(Rng& rng, bool bias, double epsilon) {
  Graph g;
  g.name = "conv_bn";
  AddInput(g, "x", DType::kFloat32, {1, 3, 6, 6});
  g.AddConstant("w", Tensor::FromVector<float>({kChannels, 3, 3, 3}, rng.Reals(108, -1, 1)));
  std::vector<std::string> conv_inputs = {"x", "w"};
  if (bias) {
    g.AddConstant("b", Tensor::FromVector<float>({kChannels}, rng.Reals(4, -1, 1)));
    conv_inputs.push_back("b");
  }
  g.AddConstant("scale", Tensor::FromVector<float>({kChannels}, rng.Reals(4, 0.5f, 2.0f)));
  g.AddConstant("shift", Tensor::FromVector<float>({kChannels}, rng.Reals(4, -1.0f, 1.0f)));
  g.AddConstant("mean", Tensor::FromVector<float>({kChannels}, rng.Reals(4, -0.5f, 0.5f)));
  g.AddConstant("var", Tensor::FromVector<float>({kChannels}, rng.Reals(4, 0.1f, 3.0f)));
  AddNode(g, "conv", "Conv", conv_inputs, {"c"},
          Attrs({{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}));
  AddNode(g, "bn", "BatchNormalization", {"c", "scale", "shift", "mean", "var"}, {"y"},
          Attrs({{"epsilon", epsilon}}));
  g.outputs = {"y"};
  g.Validate();
  return g;
}

// Golden outputs before and after agree within 1e-5 relative (1e-5 absolute near zero).
void ExpectCloseOutputs(const Graph& before, const Graph& after, Rng& rng) {
  for (int trial = 0; trial < 4; ++trial) {
    const auto feeds = RandomFeeds(before, rng);
    const Tensor want = RunGolden(before, feeds, RequantMode::kTfliteDouble).at("y");
    const Tensor got = RunGolden(after, feeds, RequantMode::kTfliteDouble).at("y");
    ASSERT_EQ(got.shape(), want.shape());
    const auto w = want.Data<float>();
    const auto v = got.Data<float>();
    for (std::size_t i = 0; i < w.size(); ++i) {
      EXPECT_NEAR(v[i], w[i], 1e-5 * std::max(1.0, std::fabs(static_cast<double>(w[i]))))
          << "element " << i << ", trial " << trial;
    }
  }
}

TEST(FoldBatchNormPassTest, FoldsIntoTheConvBefore) {
  for (const bool bias : {true, false}) {
    SCOPED_TRACE(bias ? "with bias" : "without bias");
    Rng rng(Seed(21));
    Graph g = ConvBatchNorm(rng, bias, 1e-3);
    const Graph before = g;
    PassContext ctx;
    ASSERT_TRUE(RunPass(FoldBatchNorm, g, ctx));
    ASSERT_EQ(g.nodes.size(), 1u);
    const golden::Node& conv = g.nodes[0];
    EXPECT_EQ(conv.op, "Conv");
    EXPECT_EQ(conv.outputs, std::vector<std::string>{"y"});
    ASSERT_EQ(conv.inputs.size(), 3u);
    EXPECT_EQ(conv.inputs[1], "conv_bn_folded_weight");
    EXPECT_EQ(conv.inputs[2], "conv_bn_folded_bias");
    EXPECT_FALSE(g.HasTensor("c"));
    EXPECT_TRUE(Logged(ctx, "fold-batchnorm: BatchNormalization 'bn' folded into Conv 'conv'"));

    // The closed form, per channel m: factor = scale / sqrt(var + eps).
    const auto at = [&](const char* name, std::int64_t i) {
      return static_cast<double>(before.Constant(name).Data<float>()[static_cast<std::size_t>(i)]);
    };
    const double eps = static_cast<double>(static_cast<float>(1e-3));
    for (std::int64_t m = 0; m < kChannels; ++m) {
      const double factor = at("scale", m) / std::sqrt(at("var", m) + eps);
      for (std::int64_t k = 0; k < 27; ++k) {
        EXPECT_EQ(g.Constant(conv.inputs[1]).Data<float>()[static_cast<std::size_t>(m * 27 + k)],
                  static_cast<float>(at("w", m * 27 + k) * factor));
      }
      const double b = bias ? at("b", m) : 0.0;
      EXPECT_EQ(g.Constant(conv.inputs[2]).Data<float>()[static_cast<std::size_t>(m)],
                static_cast<float>((b - at("mean", m)) * factor + at("shift", m)));
    }
    ExpectCloseOutputs(before, g, rng);
  }
}

TEST(FoldBatchNormPassTest, RefusesAConvOutputReadElsewhere) {
  Rng rng(Seed(22));
  Graph g = ConvBatchNorm(rng, true, 1e-5);
  AddNode(g, "other", "Relu", {"c"}, {"r"});
  g.outputs.push_back("r");
  g.Validate();
  PassContext ctx;
  ExpectRefused(FoldBatchNorm, g, ctx);
  EXPECT_TRUE(Logged(ctx, "BatchNormalization 'bn' left alone: its input 'c' has other consumers"));
}

TEST(FoldBatchNormPassTest, RefusesARuntimeParameter) {
  Rng rng(Seed(23));
  Graph g = ConvBatchNorm(rng, true, 1e-5);
  g.constants.erase("mean");
  g.inputs.push_back("mean");
  g.Validate();
  PassContext ctx;
  ExpectRefused(FoldBatchNorm, g, ctx);
  EXPECT_TRUE(Logged(ctx,
                     "BatchNormalization 'bn' left alone: parameter 'mean' is not a float32 "
                     "constant"));
}

TEST(FoldBatchNormPassTest, RefusesAConvOutputThatIsAGraphOutput) {
  Rng rng(Seed(24));
  Graph g = ConvBatchNorm(rng, false, 1e-5);
  g.outputs.push_back("c");
  PassContext ctx;
  ExpectRefused(FoldBatchNorm, g, ctx);
  EXPECT_TRUE(Logged(ctx, "its input 'c' is a graph output"));
}

}  // namespace
}  // namespace qsa::compiler

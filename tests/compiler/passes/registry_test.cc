// The pass list and RunPasses: the verifier comes first and every pass is found by name;
// RunPasses keeps the golden outputs of the digits example models (QDQ and QOperator imports)
// bit-exact on test images, and of a small graph on which most passes apply.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/importer/load_model.h"
#include "compiler/passes/pass.h"
#include "model/golden/npy.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

TEST(PassRegistryTest, ListsTheVerifierFirst) {
  const std::vector<Pass>& passes = Passes();
  ASSERT_GE(passes.size(), 8u);
  EXPECT_EQ(passes.front().name, "verify");
  EXPECT_EQ(passes.front().run, &VerifyGraph);
  EXPECT_EQ(passes.back().name, "dead-code");
  std::set<std::string_view> names;
  for (const Pass& p : passes) {
    EXPECT_TRUE(names.insert(p.name).second) << p.name;
    EXPECT_FALSE(p.summary.empty()) << p.name;
    EXPECT_EQ(FindPass(p.name), &p);
  }
  EXPECT_EQ(FindPass("no-such-pass"), nullptr);
}

TEST(PassRegistryTest, FreshNameAvoidsTensorsAndNodes) {
  Graph g;
  g.AddConstant("w", Tensor::FromVector<std::int8_t>({1}, {1}));
  g.AddConstant("w_1", Tensor::FromVector<std::int8_t>({1}, {1}));
  AddNode(g, "w_2", "Identity", {"w"}, {"o"});
  EXPECT_EQ(FreshName(g, "v"), "v");
  EXPECT_EQ(FreshName(g, "w"), "w_3");
}

// The test image i of the digits example, [1, 1, 8, 8].
Tensor DigitsImage(const Tensor& images, std::int64_t i) {
  const std::int64_t size = 64;
  const auto data = images.Data<float>();
  return Tensor::FromVector<float>(
      {1, 1, 8, 8}, std::vector<float>(data.begin() + i * size, data.begin() + (i + 1) * size));
}

TEST(PassRegistryTest, KeepsTheDigitsModelsBitExact) {
  const std::string dir = std::string(QSA_SOURCE_DIR) + "/examples/digits/";
  const Tensor images = golden::ReadNpy(dir + "test_images.npy");
  for (const char* file : {"digits_qdq.onnx", "digits_qop.onnx"}) {
    SCOPED_TRACE(file);
    const Graph before = importer::LoadModel(dir + file, {}).graph;
    Graph after = before;
    PassContext ctx;
    RunPasses(after, ctx);
    // The three Convs and the MatMul take the folded bias.
    int folded = 0;
    for (const std::string& line : ctx.log) {
      folded += line.find("fold-zero-point:") == 0 &&
                        line.find("input zero point folded into the bias") != std::string::npos
                    ? 1
                    : 0;
    }
    EXPECT_EQ(folded, 4);
    for (const golden::Node& node : after.nodes) {
      if (node.op == "Conv" || node.op == "MatMul") {
        EXPECT_EQ(node.attrs.GetInt("x_zero_point_folded", 0), 1) << node.name;
      }
    }
    EXPECT_EQ(after.nodes.size(), before.nodes.size());
    ASSERT_EQ(before.inputs.size(), 1u);
    for (std::int64_t i = 0; i < 5; ++i) {
      const std::map<std::string, Tensor> feeds = {{before.inputs[0], DigitsImage(images, i)}};
      for (RequantMode mode : kModes) {
        const auto want = RunGolden(before, feeds, mode);
        const auto got = RunGolden(after, feeds, mode);
        EXPECT_EQ(got, want) << "image " << i << ", " << golden::RequantModeName(mode);
      }
    }
  }
}

// x uint8 [1,2,4,4] → Conv (uint8 weights with zero points) → Clip (ReLU) → Flatten →
// MatMul (B from a constant QuantizeLinear) → y.
TEST(PassRegistryTest, RunsEveryPassOnASmallGraph) {
  Rng rng(Seed(81));
  Graph g;
  g.name = "pipeline";
  AddInput(g, "x", DType::kUInt8, {1, 2, 4, 4}, PerTensor(0.02f, 110));
  g.AddConstant("w", rng.Values(DType::kUInt8, {3, 2, 3, 3}, 60, 200),
                {{0.01f, 0.008f, 0.012f}, {128, 120, 135}, 0});
  g.AddConstant("b", rng.Values(DType::kInt32, {3}, -500, 500));
  Declare(g, "c", DType::kUInt8, PerTensor(0.04f, 100));
  AddNode(g, "conv", "Conv", {"x", "w", "b"}, {"c"},
          Attrs({{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}));
  AddNode(g, "relu", "Clip", {"c"}, {"r"}, Attrs({{"min", std::int64_t{100}}}));
  AddNode(g, "flat", "Flatten", {"r"}, {"f"});
  g.AddConstant("fc_wf", Tensor::FromVector<float>({48, 4}, rng.Reals(192, -1, 1)));
  Declare(g, "fc_w", DType::kInt8, PerTensor(1.0f / 127.0f, 0));
  AddNode(g, "quantize_fc_w", "QuantizeLinear", {"fc_wf"}, {"fc_w"});
  Declare(g, "y", DType::kUInt8, PerTensor(0.2f, 128));
  AddNode(g, "fc", "MatMul", {"f", "fc_w"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  const Graph before = g;
  PassContext ctx;
  RunPasses(g, ctx);
  for (const char* line :
       {"fold-constants: QuantizeLinear 'quantize_fc_w' evaluated",
        "fuse-activation: Clip 'relu' fused into Conv 'conv'",
        "center-weights: Conv 'conv': weight 'w' centered", "nhwc-flatten: Flatten 'flat'",
        "fold-zero-point: Conv 'conv': input zero point folded",
        "fold-zero-point: MatMul 'fc': input zero point folded",
        "dead-code: constant 'fc_wf' removed", "dead-code: constant 'w' removed"}) {
    EXPECT_TRUE(Logged(ctx, line)) << line;
  }
  std::vector<std::string> ops;
  for (const golden::Node& n : g.nodes) ops.push_back(n.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"Conv", "Transpose", "Reshape", "MatMul"}));
  ExpectSameOutputs(before, g, rng, 6);
}

}  // namespace
}  // namespace qsa::compiler

// fold-constants: a chain of nodes on constants (QuantizeLinear → Transpose of a float weight)
// becomes one constant with the declared quantization, the MatMul reading it stays, and the
// golden outputs do not change; a node with a runtime input and a node whose value depends on
// the requantization mode are refused.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "compiler/passes/pass.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

// wf float32 [4,3] → QuantizeLinear → wq int8 [4,3] → Transpose → wt int8 [3,4];
// x uint8 [2,3] · wt → y uint8 [2,4].
Graph QuantizedWeightChain(Rng& rng) {
  Graph g;
  g.name = "chain";
  AddInput(g, "x", DType::kUInt8, {2, 3}, PerTensor(0.02f, 128));
  g.AddConstant("wf", Tensor::FromVector<float>({4, 3}, rng.Reals(12, -1.0f, 1.0f)));
  Declare(g, "wq", DType::kInt8, PerTensor(1.0f / 127.0f, 0));
  Declare(g, "y", DType::kUInt8, PerTensor(0.05f, 120));
  AddNode(g, "quantize_w", "QuantizeLinear", {"wf"}, {"wq"});
  AddNode(g, "transpose_w", "Transpose", {"wq"}, {"wt"});
  AddNode(g, "fc", "MatMul", {"x", "wt"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  return g;
}

TEST(FoldConstantsPassTest, FoldsAChainOfConstantNodes) {
  Rng rng(Seed(11));
  Graph g = QuantizedWeightChain(rng);
  const Graph before = g;
  PassContext ctx;
  ASSERT_TRUE(RunPass(FoldConstants, g, ctx));
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "fc");
  ASSERT_TRUE(g.IsConstant("wq"));
  ASSERT_TRUE(g.IsConstant("wt"));
  EXPECT_EQ(g.Constant("wt").dtype(), DType::kInt8);
  EXPECT_EQ(g.Constant("wt").shape(), (Shape{3, 4}));
  EXPECT_EQ(g.Info("wt").quant, PerTensor(1.0f / 127.0f, 0));
  // wt[k, n] = quantized wf[n, k].
  const Tensor& wf = before.Constant("wf");
  for (std::int64_t k = 0; k < 3; ++k) {
    for (std::int64_t n = 0; n < 4; ++n) {
      EXPECT_EQ(g.Constant("wt").GetInt(k * 4 + n),
                golden::QuantizeValue(wf.Data<float>()[static_cast<std::size_t>(n * 3 + k)],
                                      1.0f / 127.0f, 0, DType::kInt8));
    }
  }
  EXPECT_TRUE(Logged(ctx, "fold-constants: Transpose 'transpose_w' evaluated"));
  ExpectSameOutputs(before, g, rng);
}

TEST(FoldConstantsPassTest, FoldsANodeWritingAGraphOutput) {
  Graph g;
  g.name = "constant_output";
  g.AddConstant("c", Tensor::FromVector<std::uint8_t>({4}, {0, 9, 100, 255}), PerTensor(0.1f, 9));
  AddNode(g, "relu", "Clip", {"c"}, {"y"}, Attrs({{"min", std::int64_t{9}}}));
  g.outputs = {"y"};
  g.Validate();
  const Graph before = g;
  PassContext ctx;
  ASSERT_TRUE(RunPass(FoldConstants, g, ctx));
  EXPECT_TRUE(g.nodes.empty());
  EXPECT_EQ(g.Constant("y"), Tensor::FromVector<std::uint8_t>({4}, {9, 9, 100, 255}));
  EXPECT_EQ(g.Info("y").quant, PerTensor(0.1f, 9));
  Rng rng(Seed(12));
  ExpectSameOutputs(before, g, rng, 1);
}

TEST(FoldConstantsPassTest, RefusesANodeWithARuntimeInput) {
  Graph g;
  g.name = "runtime";
  AddInput(g, "x", DType::kInt8, {2, 2}, PerTensor(0.1f, 0));
  g.AddConstant("unused", Tensor::FromVector<std::int8_t>({1}, {1}));
  AddNode(g, "relu", "Clip", {"x"}, {"y"}, Attrs({{"min", std::int64_t{0}}}));
  g.outputs = {"y"};
  g.Validate();
  PassContext ctx;
  ExpectRefused(FoldConstants, g, ctx);
  EXPECT_TRUE(ctx.log.empty());
}

TEST(FoldConstantsPassTest, RefusesAValueThatDependsOnTheRequantizationMode) {
  // acc = 1 · 1, M = 0.5, zero point 1: float32-rne rounds 0.5 to 0 then adds 1; float64-rne
  // rounds 1.5 to 2.
  Graph g;
  g.name = "tie";
  g.AddConstant("a", Tensor::FromVector<std::int8_t>({1, 1}, {1}), PerTensor(1.0f, 0));
  g.AddConstant("b", Tensor::FromVector<std::int8_t>({1, 1}, {1}), PerTensor(0.5f, 0));
  Declare(g, "y", DType::kInt8, PerTensor(1.0f, 1));
  AddNode(g, "mm", "MatMul", {"a", "b"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  PassContext ctx;
  ExpectRefused(FoldConstants, g, ctx);
  EXPECT_TRUE(Logged(ctx, "MatMul 'mm' left alone: its value depends on the requantization mode"));
}

}  // namespace
}  // namespace qsa::compiler

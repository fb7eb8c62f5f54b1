// dead-code: a chain of nodes nothing reads, an unused constant and stale tensor infos go; the
// nodes producing graph outputs, the constants they read and the graph inputs (even unused) stay.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

// x → Add 'keep' (x + k) → y (graph output); x → Clip 'dead1' → t → Clip 'dead2' → u;
// constant 'unused'; input 'spare' read by nothing.
Graph WithDeadCode() {
  Graph g;
  g.name = "dead";
  AddInput(g, "x", DType::kUInt8, {2, 3}, PerTensor(0.1f, 10));
  AddInput(g, "spare", DType::kInt8, {1});
  g.AddConstant("k", Tensor::FromVector<std::uint8_t>({1, 3}, {0, 50, 255}), PerTensor(0.2f, 3));
  g.AddConstant("unused", Tensor::FromVector<std::int8_t>({2}, {1, 2}));
  AddNode(g, "dead1", "Clip", {"x"}, {"t"}, Attrs({{"min", std::int64_t{10}}}));
  Declare(g, "y", DType::kUInt8, PerTensor(0.3f, 0));
  AddNode(g, "keep", "Add", {"x", "k"}, {"y"});
  AddNode(g, "dead2", "Clip", {"t"}, {"u"}, Attrs({{"max", std::int64_t{100}}}));
  g.outputs = {"y"};
  g.Validate();
  return g;
}

TEST(DeadCodePassTest, RemovesUnreadNodesConstantsAndInfos) {
  Graph g = WithDeadCode();
  g.tensors["stale"] = golden::TensorInfo{"stale", DType::kInt8, {4}, {}};
  const Graph before = g;
  PassContext ctx;
  ASSERT_TRUE(RunPass(RemoveDeadCode, g, ctx));
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "keep");
  EXPECT_TRUE(g.IsConstant("k"));
  EXPECT_FALSE(g.IsConstant("unused"));
  for (const char* gone : {"t", "u", "unused", "stale"}) EXPECT_FALSE(g.HasTensor(gone)) << gone;
  for (const char* kept : {"x", "spare", "k", "y"}) EXPECT_TRUE(g.HasTensor(kept)) << kept;
  EXPECT_EQ(g.inputs, before.inputs);
  EXPECT_TRUE(Logged(ctx, "dead-code: Clip 'dead1' removed"));
  EXPECT_TRUE(Logged(ctx, "dead-code: Clip 'dead2' removed"));
  EXPECT_TRUE(Logged(ctx, "dead-code: constant 'unused' removed"));
  Rng rng(Seed(61));
  ExpectSameOutputs(before, g, rng);
}

TEST(DeadCodePassTest, KeepsEverythingThatIsUsed) {
  Graph g = WithDeadCode();
  // Both Clips now feed a graph output; the constant 'unused' is read by a node writing another.
  g.outputs.push_back("u");
  AddNode(g, "use", "Identity", {"unused"}, {"z"});
  g.outputs.push_back("z");
  g.Validate();
  PassContext ctx;
  ExpectRefused(RemoveDeadCode, g, ctx);
  EXPECT_TRUE(ctx.log.empty());
}

}  // namespace
}  // namespace qsa::compiler

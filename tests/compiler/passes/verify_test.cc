// verify: a well-formed graph passes untouched; a node reading an undefined tensor, nodes out of
// topological order and a graph output nothing produces are refused with the culprit named.
#include <gtest/gtest.h>

#include <string>

#include "compiler/passes/pass.h"
#include "model/base/error.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

// x uint8 → Clip 'relu' → Clip 'cap' → y.
Graph TwoClips() {
  Graph g;
  g.name = "two_clips";
  AddInput(g, "x", DType::kUInt8, {1, 4}, PerTensor(0.5f, 3));
  AddNode(g, "relu", "Clip", {"x"}, {"r"}, Attrs({{"min", std::int64_t{3}}}));
  AddNode(g, "cap", "Clip", {"r"}, {"y"}, Attrs({{"max", std::int64_t{200}}}));
  g.outputs = {"y"};
  g.Validate();
  return g;
}

std::string VerifyError(Graph& g) {
  PassContext ctx;
  try {
    VerifyGraph(g, ctx);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(VerifyPassTest, AcceptsAGoodGraphAndChangesNothing) {
  Graph g = TwoClips();
  const nlohmann::json before = golden::GraphToJson(g);
  PassContext ctx;
  EXPECT_FALSE(VerifyGraph(g, ctx));
  EXPECT_EQ(golden::GraphToJson(g), before);
  ASSERT_EQ(ctx.log.size(), 1u);
  EXPECT_EQ(ctx.log[0].rfind("verify: ", 0), 0u) << ctx.log[0];
}

TEST(VerifyPassTest, DoesNotCompleteTensorInfos) {
  // A graph not validated yet: the output shapes are unknown and stay so.
  Graph g = TwoClips();
  g.tensors["y"].shape.clear();
  PassContext ctx;
  EXPECT_FALSE(VerifyGraph(g, ctx));
  EXPECT_TRUE(g.tensors.at("y").shape.empty());
}

TEST(VerifyPassTest, RefusesANodeReadingAnUndefinedTensor) {
  Graph g = TwoClips();
  g.nodes[1].inputs[0] = "nowhere";
  EXPECT_EQ(VerifyError(g),
            "Clip 'cap': input 'nowhere' is not a graph input, a constant or an earlier node's "
            "output");
}

TEST(VerifyPassTest, RefusesNodesOutOfTopologicalOrder) {
  Graph g = TwoClips();
  std::swap(g.nodes[0], g.nodes[1]);
  EXPECT_EQ(VerifyError(g),
            "Clip 'cap': input 'r' is not a graph input, a constant or an earlier node's output");
}

TEST(VerifyPassTest, RefusesAGraphOutputNothingProduces) {
  Graph g = TwoClips();
  g.outputs.push_back("ghost");
  EXPECT_EQ(VerifyError(g), "graph output 'ghost' is not produced by any node or input");
}

TEST(VerifyPassTest, RefusesAnOutputListedTwice) {
  Graph g = TwoClips();
  g.outputs.push_back("y");
  EXPECT_EQ(VerifyError(g), "graph output 'y' listed twice");
}

TEST(VerifyPassTest, RefusesAnOpThatDoesNotCheck) {
  Graph g = TwoClips();
  g.nodes[0].attrs.Set("min", std::int64_t{300});
  EXPECT_EQ(VerifyError(g).rfind("Clip 'relu': min 300 is not representable in uint8", 0), 0u)
      << VerifyError(g);
}

TEST(VerifyPassTest, RunsFirst) {
  ASSERT_FALSE(Passes().empty());
  EXPECT_EQ(Passes().front().name, "verify");
  EXPECT_EQ(FindPass("verify"), &Passes().front());
}

}  // namespace
}  // namespace qsa::compiler

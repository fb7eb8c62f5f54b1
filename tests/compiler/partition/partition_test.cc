// The partition rules (compiler/partition/partition.h): a small graph whose nodes go to the
// accelerator or to the host, each host node with the reason the compile report gives.
#include "compiler/partition/partition.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/isa/arch.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

// x ─► conv ─► c ─► add(c, c) ─► s ─► transpose ─► t
//                └► dq ─► cf ─► q ─► cq ─► flatten ─► f
//             └► reshape ─► r            (a flatten of an NHWC image moves bytes)
// x, xw ─► conv_act ─► ca                (weights computed at run time)
Graph SmallGraph() {
  Rng rng(Seed(90));
  Graph g;
  g.name = "partition";
  AddInput(g, "x", DType::kUInt8, {1, 4, 3, 3}, PerTensor(0.02f, 128));
  AddInput(g, "xw", DType::kInt8, {4, 4, 1, 1}, PerTensor(0.01f, 0));
  g.AddConstant("w", rng.Values(DType::kInt8, {4, 4, 1, 1}), PerTensor(0.01f, 0));
  Declare(g, "c", DType::kUInt8, PerTensor(0.05f, 120));
  AddNode(g, "conv", "Conv", {"x", "w"}, {"c"});
  Declare(g, "s", DType::kUInt8, PerTensor(0.1f, 110));
  AddNode(g, "add", "Add", {"c", "c"}, {"s"});
  Declare(g, "t", DType::kUInt8, PerTensor(0.1f, 110));
  AddNode(g, "transpose", "Transpose", {"s"}, {"t"},
          Attrs({{"perm", std::vector<std::int64_t>{0, 2, 3, 1}}}));
  Declare(g, "cf", DType::kFloat32);
  AddNode(g, "dq", "DequantizeLinear", {"c"}, {"cf"});
  Declare(g, "cq", DType::kUInt8, PerTensor(0.05f, 120));
  AddNode(g, "q", "QuantizeLinear", {"cf"}, {"cq"});
  Declare(g, "f", DType::kUInt8, PerTensor(0.05f, 120));
  AddNode(g, "flatten", "Flatten", {"cq"}, {"f"}, Attrs({{"axis", std::int64_t{1}}}));
  Declare(g, "r", DType::kUInt8, PerTensor(0.05f, 120));
  AddNode(g, "reshape", "Reshape", {"c"}, {"r"},
          Attrs({{"shape", std::vector<std::int64_t>{1, 36}}}));
  Declare(g, "ca", DType::kUInt8, PerTensor(0.05f, 120));
  AddNode(g, "conv_act", "Conv", {"x", "xw"}, {"ca"});
  g.outputs = {"t", "f", "r", "ca"};
  g.Validate();
  return g;
}

TEST(PartitionTest, AcceleratorAndHostNodesWithReasons) {
  const Graph g = SmallGraph();
  const Partition p = PartitionGraph(g, isa::DefaultArchConfig());
  // conv, add, transpose | dq, q, flatten, reshape, conv_act
  EXPECT_EQ(p.accel, (std::vector<bool>{true, true, true, false, false, false, false, false}));
  ASSERT_EQ(p.fallbacks.size(), 5u);
  const std::vector<std::vector<std::string>> want = {
      {"dq", "DequantizeLinear", "no accelerator lowering for DequantizeLinear"},
      {"q", "QuantizeLinear", "no accelerator lowering for QuantizeLinear"},
      {"flatten", "Flatten", "its input is computed on the host"},
      {"reshape", "Reshape", "the input's DRAM order is not the output's (a transposing reshape)"},
      {"conv_act", "Conv",
       "activation x activation products run on the host (the weights must be constant)"}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(p.fallbacks[i].node, want[i][0]);
    EXPECT_EQ(p.fallbacks[i].op, want[i][1]);
    EXPECT_EQ(p.fallbacks[i].reason, want[i][2]);
  }
  // Images are stored NHWC; the transpose to NHWC is then the identity order of its output.
  ASSERT_EQ(p.layouts.count("c"), 1u);
  EXPECT_EQ(p.layouts.at("c").perm, (std::vector<int>{0, 2, 3, 1}));
  EXPECT_EQ(p.layouts.at("s").perm, (std::vector<int>{0, 2, 3, 1}));
  ASSERT_EQ(p.layouts.count("t"), 1u);
  EXPECT_EQ(p.layouts.at("t").shape, (golden::Shape{1, 3, 3, 4}));
  EXPECT_EQ(p.layouts.count("cf"), 0u);  // host tensors have no accelerator layout
  EXPECT_EQ(p.layouts.count("r"), 0u);
}

TEST(PartitionTest, RefusalDependsOnTheInputLayout) {
  const Graph g = SmallGraph();
  const golden::Node& add = NodeNamed(g, "add");
  const isa::ArchConfig arch = isa::DefaultArchConfig();
  const Layout nhwc = DefaultLayout({1, 4, 3, 3});
  ASSERT_EQ(nhwc.perm, (std::vector<int>{0, 2, 3, 1}));
  const Layout nchw{{1, 4, 3, 3}, {}};
  EXPECT_EQ(AcceleratorRefusal(g, add, {nhwc, nhwc}, arch), "");
  EXPECT_EQ(AcceleratorRefusal(g, add, {nhwc, nchw}, arch),
            "the two inputs are stored in different orders");
  const golden::Node& conv = NodeNamed(g, "conv");
  EXPECT_EQ(AcceleratorRefusal(g, conv, {nhwc, {}}, arch), "");
  EXPECT_EQ(AcceleratorRefusal(g, conv, {nchw, {}}, arch), "input is not stored NHWC");
}

}  // namespace
}  // namespace qsa::compiler

// LowerNode's dispatch: layout-only nodes become new names for their input's bytes, each op
// reaches its lowering, outputs are placed once, and a node without a lowering is refused.
#include "compiler/lower/lower.h"
#include "compiler/partition/partition.h"

#include <gtest/gtest.h>

#include "model/base/error.h"
#include "tests/compiler/lower/lower_test_util.h"

namespace qsa::compiler {
namespace {

using namespace lower_test;

TEST(LowerTest, LayoutOnlyNodesAreAliases) {
  golden::Node node;
  for (const char* op : {"Reshape", "Flatten", "Transpose", "Identity", "Squeeze", "Unsqueeze"}) {
    node.op = op;
    EXPECT_TRUE(IsAlias(node)) << op;
  }
  node.op = "Conv";
  EXPECT_FALSE(IsAlias(node));
}

TEST(LowerTest, AFlattenSharesItsInputsBytes) {
  Graph g;
  g.name = "flatten";
  AddInput(g, "x", DType::kUInt8, {1, 6, 1, 1}, PerTensor(0.5f, 4));
  Declare(g, "f", DType::kUInt8, PerTensor(0.5f, 4));
  AddNode(g, "flat", "Flatten", {"x"}, {"f"}, Attrs({{"axis", std::int64_t{1}}}));
  g.outputs = {"f"};
  g.Validate();
  const Lowered l = LowerGraph(g, SmallArch());
  EXPECT_TRUE(l.layers.empty());
  ASSERT_EQ(l.tensors.count("f"), 1u);
  EXPECT_EQ(l.tensors.at("f").addr, l.tensors.at("x").addr);
  EXPECT_EQ(l.tensors.at("f").layout.shape, (Shape{1, 6}));
  EXPECT_TRUE(OfType<isa::LoadSp>(l.code).empty());
}

TEST(LowerTest, EachOpReachesItsLowering) {
  // Flatten (alias), then Add of the result with itself, then MaxPool of an image.
  Graph g;
  g.name = "mixed";
  AddInput(g, "x", DType::kUInt8, {1, 4, 2, 2}, PerTensor(0.5f, 4));
  Declare(g, "p", DType::kUInt8, PerTensor(0.5f, 4));
  Declare(g, "f", DType::kUInt8, PerTensor(0.5f, 4));
  Declare(g, "s", DType::kUInt8, PerTensor(1.0f, 4));
  AddNode(g, "pool", "MaxPool", {"x"}, {"p"},
          Attrs({{"kernel_shape", std::vector<std::int64_t>{2, 2}}}));
  AddNode(g, "flat", "Flatten", {"p"}, {"f"}, Attrs({{"axis", std::int64_t{1}}}));
  AddNode(g, "add", "Add", {"f", "f"}, {"s"});
  g.outputs = {"s"};
  g.Validate();
  const Lowered l = LowerGraph(g, SmallArch());
  ASSERT_EQ(l.layers.size(), 2u);
  EXPECT_EQ(l.layers[0].op, "MaxPool");
  EXPECT_EQ(l.layers[1].op, "Add");
  EXPECT_EQ(OfType<isa::Pool>(l.code).size(), 1u);
  EXPECT_EQ(OfType<isa::Vadd>(l.code).size(), 1u);
  // The add reads the pool's output through the flatten's name for it.
  const std::vector<isa::LoadSp> loads = OfType<isa::LoadSp>(l.code);
  ASSERT_FALSE(loads.empty());
  EXPECT_EQ(loads.back().dram, static_cast<std::uint32_t>(l.tensors.at("p").addr));
}

TEST(LowerTest, OutputsArePlacedOnce) {
  Graph g;
  g.name = "place";
  AddInput(g, "x", DType::kInt8, {2, 3}, PerTensor(0.5f, 0));
  ProgramBuilder pb(SmallArch());
  LowerContext ctx{g, pb, LowerOptions{}, {}, {}};
  const DramTensor& x = PlaceOutput(ctx, "x", DefaultLayout({2, 3}));
  EXPECT_EQ(x.addr, 0);
  EXPECT_EQ(x.dtype, DType::kInt8);
  EXPECT_EQ(pb.dram_size(), 6);
  EXPECT_EQ(&PlaceOutput(ctx, "x", DefaultLayout({2, 3})), &x);
  EXPECT_EQ(pb.dram_size(), 6);
  EXPECT_THROW(ctx.Tensor("missing"), Error);
}

// Groups read in the same cycles start separate scratchpad banks (1024 rows, 4 banks of 256),
// the next layer's after the previous layer's; groups that cannot be apart follow each other.
TEST(LowerTest, ScratchpadGroupsTakeSeparateBanks) {
  const isa::ArchConfig arch = SmallArch();
  EXPECT_TRUE(ScratchpadGroupsApart(arch, {100, 256, 1}));
  EXPECT_TRUE(ScratchpadGroupsApart(arch, {300, 256, 256}));
  EXPECT_FALSE(ScratchpadGroupsApart(arch, {300, 256, 257}));
  ProgramBuilder pb(arch);
  const OnChipBase a = pb.TakeOnChipApart({100, 20}, 8, 4, "a");
  EXPECT_EQ(a.groups, (std::vector<std::int64_t>{0, 256}));
  EXPECT_EQ(a.scratchpad, 0);
  EXPECT_EQ(a.accumulator, 0);
  EXPECT_EQ(a.param, 0);
  // Three banks do not fit after bank 1: from bank 0 again.
  const OnChipBase b = pb.TakeOnChipApart({300, 10}, 8, 4, "b");
  EXPECT_EQ(b.groups, (std::vector<std::int64_t>{0, 512}));
  EXPECT_EQ(b.accumulator, 8);
  // Five banks: one after the other, from row 0 (768 + 1000 rows do not fit).
  const OnChipBase c = pb.TakeOnChipApart({500, 300, 200}, 0, 0, "c");
  EXPECT_EQ(c.groups, (std::vector<std::int64_t>{0, 500, 800}));
  EXPECT_EQ(c.scratchpad, 0);
}

TEST(LowerTest, ANodeWithoutALoweringIsRefused) {
  Graph g;
  g.name = "softmax";
  AddInput(g, "x", DType::kFloat32, {1, 4});
  AddNode(g, "sm", "Softmax", {"x"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  EXPECT_EQ(AcceleratorRefusal(g, g.nodes[0], {DefaultLayout({1, 4})}, SmallArch()),
            "no accelerator lowering for Softmax");
  ProgramBuilder pb(SmallArch());
  LowerContext ctx{g, pb, LowerOptions{}, {}, {}};
  try {
    LowerNode(ctx, g.nodes[0]);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("internal: no lowering for"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace qsa::compiler

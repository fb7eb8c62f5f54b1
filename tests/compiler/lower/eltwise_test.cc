// Quantized Add lowering: the bytes as ROWS-byte rows with a partial last row, the descriptor
// in DRAM, tiles that alternate buffers when the scratchpad is small, and the Adds left to the
// host.
#include <gtest/gtest.h>

#include "tests/compiler/lower/lower_test_util.h"

namespace qsa::compiler {
namespace {

using namespace lower_test;

// y = a + b over [1, 2, 11] uint8 (22 bytes: 5 rows of 4 and one of 2).
Graph AddGraph(const Shape& b_shape = {1, 2, 11}) {
  Graph g;
  g.name = "add";
  AddInput(g, "a", DType::kUInt8, {1, 2, 11}, PerTensor(0.5f, 1));
  AddInput(g, "b", DType::kUInt8, b_shape, PerTensor(0.25f, 2));
  Declare(g, "y", DType::kUInt8, PerTensor(1.0f, 3));
  AddNode(g, "add", "Add", {"a", "b"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  return g;
}

TEST(EltwiseLoweringTest, OneTileWithAPartialLastRow) {
  const Lowered l = LowerGraph(AddGraph(), SmallArch());
  // DRAM: a at 0, b at 64, y at 128, the descriptor (8 words, two rows of 4) at 192.
  EXPECT_EQ(l.tensors.at("y").addr, 128);
  EXPECT_EQ(WordAt(l.program, 192), 1 | 2 << 8 | 3 << 16);  // zero points, all unsigned
  EXPECT_EQ(WordAt(l.program, 196) & 0xffff, 255 << 8);     // clamp 0..255
  const std::vector<isa::LoadParam> params = OfType<isa::LoadParam>(l.code);
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].dram, 192u);
  EXPECT_EQ(params[0].nx, 2u);
  const std::vector<isa::LoadSp> loads = OfType<isa::LoadSp>(l.code);
  ASSERT_EQ(loads.size(), 4u);
  EXPECT_EQ(loads[0].sram, 0u);  // a: 5 full rows, then 2 bytes
  EXPECT_EQ(loads[0].dram, 0u);
  EXPECT_EQ(loads[0].nx, 5u);
  EXPECT_EQ(loads[0].stride_x, 4u);
  EXPECT_EQ(loads[0].lanes, 4u);
  EXPECT_EQ(loads[1].sram, 5u);
  EXPECT_EQ(loads[1].dram, 20u);
  EXPECT_EQ(loads[1].nx, 1u);
  EXPECT_EQ(loads[1].lanes, 2u);
  EXPECT_EQ(loads[2].sram, 256u);  // b in the next scratchpad bank (4 banks of 256 rows)
  EXPECT_EQ(loads[2].dram, 64u);
  EXPECT_EQ(loads[3].dram, 84u);
  const std::vector<isa::Vadd> adds = OfType<isa::Vadd>(l.code);
  ASSERT_EQ(adds.size(), 1u);
  EXPECT_EQ(adds[0].a, 0u);
  EXPECT_EQ(adds[0].b, 256u);
  EXPECT_EQ(adds[0].dst, 0u);
  EXPECT_EQ(adds[0].n, 6u);
  EXPECT_EQ(adds[0].param, 0u);
  const std::vector<isa::StoreSp> stores = OfType<isa::StoreSp>(l.code);
  ASSERT_EQ(stores.size(), 2u);
  EXPECT_EQ(stores[0].dram, 128u);
  EXPECT_EQ(stores[0].nx, 5u);
  EXPECT_EQ(stores[1].sram, 5u);
  EXPECT_EQ(stores[1].dram, 148u);
  EXPECT_EQ(stores[1].lanes, 2u);
  ASSERT_EQ(l.layers.size(), 1u);
  EXPECT_EQ(l.layers[0].tiles, 1);
  EXPECT_EQ(l.layers[0].plan, "1 tile of 6 rows");
  EXPECT_EQ(l.layers[0].dram_written, 22);
}

TEST(EltwiseLoweringTest, SmallScratchpadTilesAlternateBuffers) {
  isa::ArchConfig arch = SmallArch();
  arch.scratchpad_bytes = 64;  // 16 rows: tiles of 4 rows, a's two buffers, then b's (a bank of 8)
  const Lowered l = LowerGraph(AddGraph(), arch);
  const std::vector<isa::Vadd> adds = OfType<isa::Vadd>(l.code);
  ASSERT_EQ(adds.size(), 2u);
  EXPECT_EQ(adds[0].a, 0u);
  EXPECT_EQ(adds[0].b, 8u);
  EXPECT_EQ(adds[0].n, 4u);
  EXPECT_EQ(adds[1].a, 4u);
  EXPECT_EQ(adds[1].b, 12u);
  EXPECT_EQ(adds[1].n, 2u);  // bytes 16..21: one full row and 2 bytes
  const std::vector<isa::StoreSp> stores = OfType<isa::StoreSp>(l.code);
  ASSERT_EQ(stores.size(), 3u);
  EXPECT_EQ(stores[1].sram, 4u);
  EXPECT_EQ(stores[1].dram, 128u + 16);
  EXPECT_EQ(stores[2].sram, 5u);
  EXPECT_EQ(stores[2].dram, 128u + 20);
  EXPECT_EQ(stores[2].lanes, 2u);
  EXPECT_EQ(l.layers.at(0).plan, "2 tiles of 4 rows");
}

TEST(EltwiseLoweringTest, BroadcastingAddIsLeftToTheHost) {
  const Graph g = AddGraph({1, 1, 11});
  const std::vector<Layout> layouts = {DefaultLayout({1, 2, 11}), DefaultLayout({1, 1, 11})};
  EXPECT_EQ(AcceleratorRefusal(g, g.nodes[0], layouts, SmallArch()),
            "broadcasting Add runs on the host");
  const Graph same = AddGraph();
  EXPECT_EQ(AcceleratorRefusal(same, same.nodes[0], {layouts[0], layouts[0]}, SmallArch()), "");
}

}  // namespace
}  // namespace qsa::compiler

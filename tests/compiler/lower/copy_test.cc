// Concat lowering: each input's runs copied through the scratchpad into place (a partial row per
// run, or full rows and a tail), the buffers alternating per input; a run too long for the
// scratchpad and requantizing inputs are refused.
#include <gtest/gtest.h>

#include "model/base/error.h"
#include "tests/compiler/lower/lower_test_util.h"

namespace qsa::compiler {
namespace {

using namespace lower_test;

Graph ConcatGraph(const Shape& x0, const Shape& x1, std::int64_t axis, float x1_scale = 0.5f) {
  Graph g;
  g.name = "cat";
  AddInput(g, "x0", DType::kUInt8, x0, PerTensor(0.5f, 4));
  AddInput(g, "x1", DType::kUInt8, x1, PerTensor(x1_scale, 4));
  Declare(g, "y", DType::kUInt8, PerTensor(0.5f, 4));
  AddNode(g, "cat", "Concat", {"x0", "x1"}, {"y"}, Attrs({{"axis", axis}}));
  g.outputs = {"y"};
  g.Validate();
  return g;
}

TEST(CopyLoweringTest, ChannelConcatCopiesEachPixelsChannelsIntoPlace) {
  // NHWC: each of the 4 pixels is a run of 2 (then 3) bytes, 5 bytes apart in the output.
  const Lowered l = LowerGraph(ConcatGraph({1, 2, 2, 2}, {1, 3, 2, 2}, 1), SmallArch());
  EXPECT_EQ(l.tensors.at("y").addr, 128);
  const std::vector<isa::LoadSp> loads = OfType<isa::LoadSp>(l.code);
  const std::vector<isa::StoreSp> stores = OfType<isa::StoreSp>(l.code);
  ASSERT_EQ(loads.size(), 2u);
  ASSERT_EQ(stores.size(), 2u);
  EXPECT_EQ(loads[0].sram, 0u);
  EXPECT_EQ(loads[0].dram, 0u);
  EXPECT_EQ(loads[0].nx, 4u);
  EXPECT_EQ(loads[0].stride_x, 2u);
  EXPECT_EQ(loads[0].lanes, 2u);
  EXPECT_EQ(stores[0].dram, 128u);
  EXPECT_EQ(stores[0].nx, 4u);
  EXPECT_EQ(stores[0].stride_x, 5u);
  EXPECT_EQ(stores[0].lanes, 2u);
  // x1 in the second half of the scratchpad (512 rows each), after x0's 2 channels.
  EXPECT_EQ(loads[1].sram, 512u);
  EXPECT_EQ(loads[1].dram, 64u);
  EXPECT_EQ(loads[1].stride_x, 3u);
  EXPECT_EQ(loads[1].lanes, 3u);
  EXPECT_EQ(stores[1].sram, 512u);
  EXPECT_EQ(stores[1].dram, 130u);
  EXPECT_EQ(stores[1].stride_x, 5u);
  EXPECT_EQ(stores[1].lanes, 3u);
  ASSERT_EQ(l.layers.size(), 1u);
  EXPECT_EQ(l.layers[0].tiles, 2);
  EXPECT_EQ(l.layers[0].plan, "copies 2 inputs into place");
}

TEST(CopyLoweringTest, LongRunsAreFullRowsAndATail) {
  // Rows of [1, 10] and [2, 10]: runs of 10 bytes (2 rows and 2 bytes), then 20 (5 rows).
  const Lowered l = LowerGraph(ConcatGraph({1, 10}, {2, 10}, 0), SmallArch());
  const std::vector<isa::LoadSp> loads = OfType<isa::LoadSp>(l.code);
  const std::vector<isa::StoreSp> stores = OfType<isa::StoreSp>(l.code);
  ASSERT_EQ(loads.size(), 3u);
  ASSERT_EQ(stores.size(), 3u);
  EXPECT_EQ(loads[0].nx, 2u);
  EXPECT_EQ(loads[0].lanes, 4u);
  EXPECT_EQ(loads[1].sram, 2u);
  EXPECT_EQ(loads[1].dram, 8u);
  EXPECT_EQ(loads[1].lanes, 2u);
  EXPECT_EQ(stores[1].dram, 128u + 8);
  EXPECT_EQ(loads[2].dram, 64u);
  EXPECT_EQ(loads[2].nx, 5u);
  EXPECT_EQ(stores[2].dram, 128u + 10);
  EXPECT_EQ(stores[2].nx, 5u);
}

TEST(CopyLoweringTest, ARunLongerThanTheScratchpadIsRefused) {
  isa::ArchConfig arch = SmallArch();
  arch.scratchpad_bytes = 32;  // 8 rows: 4 for each buffer
  try {
    LowerGraph(ConcatGraph({1, 10}, {2, 10}, 0), arch);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "layer 'cat' does not fit: one run of input 'x1' needs 5 scratchpad rows; 4 are "
              "free for it");
  }
}

TEST(CopyLoweringTest, RequantizingInputsAreRefused) {
  const Graph g = ConcatGraph({1, 10}, {2, 10}, 0, 0.25f);
  EXPECT_EQ(AcceleratorRefusal(g, g.nodes[0], {DefaultLayout({1, 10}), DefaultLayout({2, 10})},
                               SmallArch()),
            "input 'x1' is requantized (its type or scale differs)");
}

}  // namespace
}  // namespace qsa::compiler

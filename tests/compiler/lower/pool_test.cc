// Pool lowering piece by piece on a 4×4 array: the window, the input rows a tile of outputs
// reads, the descriptor, the tiling and the step of one tile (fields worked out by hand), the
// layer end to end, and the pools the vector unit refuses.
#include "compiler/lower/pool.h"

#include <gtest/gtest.h>

#include "model/base/error.h"
#include "model/golden/quant.h"
#include "tests/compiler/lower/lower_test_util.h"

namespace qsa::compiler {
namespace {

using namespace lower_test;

// A 3×3 stride-2 pool with padding 1 over a 1×6×7×7 uint8 image (zero point 5): 4×4 output
// (zero point 7 for the average pools).
Graph PoolGraph(const std::string& op, DType dtype = DType::kUInt8,
                golden::Attributes attrs = Attrs({{"kernel_shape", std::vector<std::int64_t>{3, 3}},
                                                  {"strides", std::vector<std::int64_t>{2, 2}},
                                                  {"pads",
                                                   std::vector<std::int64_t>{1, 1, 1, 1}}})) {
  Graph g;
  g.name = "pool";
  AddInput(g, "x", dtype, {1, 6, 7, 7}, PerTensor(0.5f, 5));
  // A max pool keeps its input's quantization.
  Declare(g, "y", dtype, op == "MaxPool" ? PerTensor(0.5f, 5) : PerTensor(0.25f, 7));
  AddNode(g, "pool", op, {"x"}, {"y"}, std::move(attrs));
  g.outputs = {"y"};
  g.Validate();
  return g;
}

TEST(PoolLoweringTest, WindowAndTheInputRowsOfATile) {
  const Graph g = PoolGraph("MaxPool");
  const golden::ops::Window2d w = PoolWindow(g, g.nodes[0]);
  EXPECT_EQ(w.kernel[0], 3);
  EXPECT_EQ(w.stride[1], 2);
  EXPECT_EQ(w.out[0], 4);
  EXPECT_EQ(w.out[1], 4);
  // Outputs 0..1 read rows −1..3: rows 0..3 loaded, one row of padding before them.
  const PoolAxisRange top = PoolInputRange(w, 0, 0, 2);
  EXPECT_EQ(top.lo, 0);
  EXPECT_EQ(top.hi, 4);
  EXPECT_EQ(top.pad, 1);
  // Outputs 2..3 read rows 3..7: clipped to 3..6, no padding before.
  const PoolAxisRange bottom = PoolInputRange(w, 0, 2, 4);
  EXPECT_EQ(bottom.lo, 3);
  EXPECT_EQ(bottom.hi, 7);
  EXPECT_EQ(bottom.pad, 0);

  const Graph global = PoolGraph("GlobalAveragePool", DType::kUInt8, {});
  const golden::ops::Window2d gw = PoolWindow(global, global.nodes[0]);
  EXPECT_EQ(gw.kernel[0], 7);
  EXPECT_EQ(gw.kernel[1], 7);
  EXPECT_EQ(gw.out[0], 1);
}

TEST(PoolLoweringTest, MaxPoolDescriptorIsZeroPointsAndClamp) {
  const Graph g = PoolGraph("MaxPool");
  const golden::ops::Window2d w = PoolWindow(g, g.nodes[0]);
  // The max pool keeps the input's zero point; uint8 clamp 0..255; unsigned; padded windows.
  EXPECT_EQ(
      PoolDescriptor(SmallArch(), g, g.nodes[0], w),
      (std::vector<std::int32_t>{static_cast<std::int32_t>(5u | 5u << 8 | 255u << 24), 0, 0, 0}));
}

TEST(PoolLoweringTest, AveragePoolDescriptorHasOneDivisorPerWindowCorner) {
  const isa::ArchConfig arch = SmallArch();
  const Graph g = PoolGraph("AveragePool");
  const golden::ops::Window2d w = PoolWindow(g, g.nodes[0]);
  const std::vector<std::int32_t> desc = PoolDescriptor(arch, g, g.nodes[0], w);
  // 2 words, then 9 (multiplier, shifts) pairs: 20 words, five rows of 4.
  ASSERT_EQ(desc.size(), 20u);
  EXPECT_EQ(desc[0], static_cast<std::int32_t>(5u | 7u << 8 | 255u << 24));
  EXPECT_EQ(desc[1], 0);  // unsigned, windows cut by the padding counted as they are
  // Entry 4 (one row and one column cut): a window of 2 × 2 = 4 inputs.
  const golden::PreShiftedMultiplier four =
      golden::AveragePoolMultiplier(0.5f, 0.25f, 4, golden::ops::MaxCentered(DType::kUInt8, 5));
  EXPECT_EQ(desc[2 + 2 * 4], four.fixed.multiplier);
  // Entry 0: the whole window of 9.
  const golden::PreShiftedMultiplier nine =
      golden::AveragePoolMultiplier(0.5f, 0.25f, 9, golden::ops::MaxCentered(DType::kUInt8, 5));
  EXPECT_EQ(desc[2], nine.fixed.multiplier);
  EXPECT_NE(desc[2], desc[2 + 2 * 4]);

  // No padding: every window is whole, one entry, read as count_include_pad.
  const Graph whole = PoolGraph("AveragePool", DType::kInt8,
                                Attrs({{"kernel_shape", std::vector<std::int64_t>{3, 3}},
                                       {"strides", std::vector<std::int64_t>{2, 2}}}));
  const std::vector<std::int32_t> one =
      PoolDescriptor(arch, whole, whole.nodes[0], PoolWindow(whole, whole.nodes[0]));
  ASSERT_EQ(one.size(), 4u);
  EXPECT_EQ(one[1], 1 | 2);  // signed, count_include_pad
  EXPECT_EQ(one[2],
            golden::AveragePoolMultiplier(0.5f, 0.25f, 9, golden::ops::MaxCentered(DType::kInt8, 5))
                .fixed.multiplier);
}

TEST(PoolLoweringTest, TilingShrinksToFitAndRefusesWhatCannotFit) {
  isa::ArchConfig arch = SmallArch();
  const Graph g = PoolGraph("MaxPool");
  const golden::ops::Window2d w = PoolWindow(g, g.nodes[0]);
  // Everything fits: 2 · (7·7 input + 4·4 output rows) = 130 <= 1,024.
  const PoolTiling all = ChoosePoolTiling(arch, w, "pool");
  EXPECT_EQ(all.th, 4);
  EXPECT_EQ(all.tw, 4);
  EXPECT_EQ(all.buffers, 2);
  EXPECT_EQ(all.in_rows, 49);
  EXPECT_EQ(all.out_rows, 16);
  // 64 rows: one output row reads 3 input rows: 2 · (3·7 + 4) = 50.
  arch.scratchpad_bytes = 256;
  const PoolTiling rows = ChoosePoolTiling(arch, w, "pool");
  EXPECT_EQ(rows.th, 1);
  EXPECT_EQ(rows.tw, 4);
  EXPECT_EQ(rows.buffers, 2);
  EXPECT_EQ(rows.in_rows, 21);
  EXPECT_EQ(rows.out_rows, 4);
  // 12 rows: one buffer of one pixel's window and output, 3·3 + 1.
  arch.scratchpad_bytes = 48;
  const PoolTiling one = ChoosePoolTiling(arch, w, "pool");
  EXPECT_EQ(one.buffers, 1);
  EXPECT_EQ(one.th, 1);
  EXPECT_EQ(one.tw, 1);
  arch.scratchpad_bytes = 32;  // 8 rows
  try {
    ChoosePoolTiling(arch, w, "pool");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "layer 'pool' does not fit: one output pixel's window needs 10 scratchpad rows; "
              "the architecture has 8");
  }
}

TEST(PoolLoweringTest, OneTileFieldByField) {
  const Graph g = PoolGraph("MaxPool");
  PoolLayer layer;
  layer.name = "pool";
  layer.max = true;
  layer.window = PoolWindow(g, g.nodes[0]);
  layer.c = 6;
  layer.fill = 5;
  layer.tiling = {1, 4, 2, 21, 4};
  layer.x_addr = 100;
  layer.x_pixel = 6;
  layer.y_addr = 500;
  layer.scratchpad = 10;
  layer.param = 3;
  // Output row 1, channels 4..5, second buffer.
  Step step;
  EmitPoolTile(SmallArch(), layer, {0, 1, 0, 1, 4, 1, 1}, step);
  ASSERT_EQ(step.loads.size(), 1u);
  ASSERT_EQ(step.computes.size(), 1u);
  ASSERT_EQ(step.stores.size(), 1u);
  // Input rows 1..3 (window rows 1..3 of output row 1), all 7 columns, channels 4..5.
  const isa::LoadSp in = std::get<isa::LoadSp>(step.loads[0].inst);
  EXPECT_EQ(in.sram, 10u + 25);
  EXPECT_EQ(in.dram, 100u + 1 * 42 + 4);
  EXPECT_EQ(in.ny, 3u);
  EXPECT_EQ(in.nx, 7u);
  EXPECT_EQ(in.stride_y, 42u);
  EXPECT_EQ(in.stride_x, 6u);
  EXPECT_EQ(in.pad_top + in.pad_bottom + in.pad_left + in.pad_right, 0u);
  EXPECT_EQ(in.lanes, 2u);
  EXPECT_EQ(in.fill, 5u);
  const isa::Pool p = std::get<isa::Pool>(step.computes[0].inst);
  EXPECT_EQ(p.src, 35u);
  EXPECT_EQ(p.dst, 35u + 21);
  EXPECT_EQ(p.in_h, 3u);
  EXPECT_EQ(p.in_w, 7u);
  EXPECT_EQ(p.out_h, 1u);
  EXPECT_EQ(p.out_w, 4u);
  EXPECT_EQ(p.kh, 3u);
  EXPECT_EQ(p.kw, 3u);
  EXPECT_EQ(p.stride_h, 2u);
  EXPECT_EQ(p.stride_w, 2u);
  EXPECT_EQ(p.pad_top, 0u);
  EXPECT_EQ(p.pad_left, 1u);
  EXPECT_EQ(p.dil_h, 1u);
  EXPECT_EQ(p.dil_w, 1u);
  EXPECT_TRUE(p.max);
  EXPECT_EQ(p.param, 3u);
  // Output pixels (1, 0..3), channels 4..5, NHWC with 6 channels.
  const isa::StoreSp out = std::get<isa::StoreSp>(step.stores[0].inst);
  EXPECT_EQ(out.sram, 56u);
  EXPECT_EQ(out.dram, 500u + 4 * 6 + 4);
  EXPECT_EQ(out.ny, 1u);
  EXPECT_EQ(out.nx, 4u);
  EXPECT_EQ(out.stride_x, 6u);
  EXPECT_EQ(out.lanes, 2u);
}

TEST(PoolLoweringTest, LowerPoolEndToEnd) {
  isa::ArchConfig arch = SmallArch();
  arch.scratchpad_bytes = 256;  // tiles of one output row
  const Graph g = PoolGraph("MaxPool");
  const Lowered l = LowerGraph(g, arch);
  // 4 output rows × 2 channel blocks.
  const std::vector<isa::Pool> pools = OfType<isa::Pool>(l.code);
  ASSERT_EQ(pools.size(), 8u);
  EXPECT_EQ(pools[0].pad_top, 1u);  // row 0 reads the padding above the image
  EXPECT_EQ(pools[0].in_h, 2u);
  ASSERT_EQ(l.layers.size(), 1u);
  EXPECT_EQ(l.layers[0].op, "MaxPool");
  EXPECT_EQ(l.layers[0].tiles, 4);
  EXPECT_EQ(l.layers[0].plan, "4 tiles of 1x4");
  // DRAM: x (294 bytes) at 0, y at 320, the descriptor after it.
  EXPECT_EQ(l.tensors.at("y").addr, 320);
  EXPECT_EQ(WordAt(l.program, 448), static_cast<std::int32_t>(5u | 5u << 8 | 255u << 24));
  EXPECT_EQ(OfType<isa::LoadParam>(l.code).size(), 1u);
}

TEST(PoolLoweringTest, RefusesWhatTheVectorUnitCannotPool) {
  Graph real;  // a float pool stays on the host
  real.name = "float";
  AddInput(real, "x", DType::kFloat32, {1, 6, 7, 7});
  AddNode(real, "pool", "MaxPool", {"x"}, {"y"},
          Attrs({{"kernel_shape", std::vector<std::int64_t>{2, 2}}}));
  real.outputs = {"y"};
  real.Validate();
  EXPECT_EQ(PoolRefusal(real, real.nodes[0]),
            "the accelerator pools uint8/int8 tensors, not float32");
  const Graph dilated = PoolGraph("MaxPool", DType::kUInt8,
                                  Attrs({{"kernel_shape", std::vector<std::int64_t>{2, 2}},
                                         {"dilations", std::vector<std::int64_t>{4, 1}}}));
  EXPECT_EQ(PoolRefusal(dilated, dilated.nodes[0]), "dilation above 3");
  const Graph fine = PoolGraph("AveragePool");
  EXPECT_EQ(PoolRefusal(fine, fine.nodes[0]), "");
}

}  // namespace
}  // namespace qsa::compiler

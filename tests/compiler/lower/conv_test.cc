// Conv and MatMul lowering piece by piece on a 4×4 array: the problem read from a node, the
// weight tiles of each output block and their bytes, the constants' DRAM image, the output
// tiles, the on-chip regions, the packed form for few channels, and the steps the emitter makes
// for a 3×3 stride-2 padded convolution (every field worked out by hand).
#include "compiler/lower/conv.h"

#include <gtest/gtest.h>

#include <deque>

#include "model/base/error.h"
#include "tests/compiler/lower/lower_test_util.h"

namespace qsa::compiler {
namespace {

using namespace lower_test;

// W[m][c][ky][kx] of the hand-made problems: distinct values, small enough for int8.
std::int8_t W(std::int64_t m, std::int64_t c, std::int64_t ky, std::int64_t kx) {
  return static_cast<std::int8_t>(m * 20 + c * 9 + ky * 3 + kx - 60);
}

// 3×3, stride 2, padding 1: a 5×5 image of 6 channels (input channel blocks of 4 and 2) to 6
// output channels (output blocks of 4 and 2), 3×3 output. Input at DRAM 1000 (NHWC: pixel
// stride 6, row stride 30).
ConvProblem StridedConv() {
  ConvProblem p;
  p.name = "conv";
  p.op = "Conv";
  ConvShape& s = p.shape;
  s.c = 6;
  s.h = s.w = 5;
  s.m = 6;
  s.kh = s.kw = 3;
  s.sh = s.sw = 2;
  s.pt = s.pl = s.pb = s.pr = 1;
  s.oh = s.ow = 3;
  p.fill = 3;
  for (std::int64_t m = 0; m < s.m; ++m) {
    for (std::int64_t c = 0; c < s.c; ++c) {
      for (std::int64_t ky = 0; ky < 3; ++ky) {
        for (std::int64_t kx = 0; kx < 3; ++kx) p.weights.push_back(W(m, c, ky, kx));
      }
    }
    p.bias.push_back(static_cast<std::int32_t>(100 * (m + 1)));
    p.mult.push_back(static_cast<std::int32_t>(1000 + m));
    p.shifts.push_back(static_cast<std::int32_t>(2000 + m));
    p.format.push_back(static_cast<std::int32_t>(3000 + m));
  }
  p.x_addr = 1000;
  p.x_pixel = 6;
  p.x_row = 30;
  p.x_image = 150;
  return p;
}

TEST(ConvLoweringTest, WeightTilesAreTapMajorOverTheBlocksChannelBlocks) {
  const isa::ArchConfig arch = SmallArch();
  const ConvProblem p = StridedConv();
  const std::vector<ConvWeightTile> tiles = WeightTilesOfBlock(arch, p, 0);
  ASSERT_EQ(tiles.size(), 18u);  // 9 taps × 2 channel blocks
  EXPECT_EQ(tiles[0], (ConvWeightTile{0, 0, 0}));
  EXPECT_EQ(tiles[1], (ConvWeightTile{0, 0, 1}));
  EXPECT_EQ(tiles[2], (ConvWeightTile{0, 1, 0}));
  EXPECT_EQ(tiles[6], (ConvWeightTile{1, 0, 0}));
  EXPECT_EQ(tiles[17], (ConvWeightTile{2, 2, 1}));
  EXPECT_EQ(WeightTilesOfBlock(arch, p, 1), tiles);
}

TEST(ConvLoweringTest, DepthwiseBlocksOnlyTakeTheirOwnChannelBlock) {
  const isa::ArchConfig arch = SmallArch();
  ConvProblem p;
  p.shape.c = p.shape.m = p.shape.group = 8;
  p.shape.kh = p.shape.kw = 3;
  p.weights.assign(8 * 9, 1);
  const std::vector<ConvWeightTile> block1 = WeightTilesOfBlock(arch, p, 1);
  ASSERT_EQ(block1.size(), 9u);
  for (const ConvWeightTile& t : block1) EXPECT_EQ(t.cb, 1);
  EXPECT_EQ(block1[4], (ConvWeightTile{1, 1, 1}));
  // Tile bytes: output channel 4 + c reads only input channel 4 + c.
  for (std::int64_t m = 0; m < 8; ++m) {
    for (std::int64_t k = 0; k < 9; ++k) {
      p.weights[static_cast<std::size_t>(m * 9 + k)] = static_cast<std::int8_t>(10 * m + k);
    }
  }
  std::vector<std::uint8_t> bytes;
  AppendWeightTile(arch, p, 1, block1[4], bytes);  // tap (1, 1): k = 4
  const std::vector<std::uint8_t> want = {44, 0, 0, 0, 0, 54, 0, 0, 0, 0, 64, 0, 0, 0, 0, 74};
  EXPECT_EQ(bytes, want);
}

TEST(ConvLoweringTest, WeightTileBytesAreOutputChannelRowsOfInputChannelLanes) {
  const isa::ArchConfig arch = SmallArch();
  const ConvProblem p = StridedConv();
  std::vector<std::uint8_t> bytes = {9};  // appended after what is there
  AppendWeightTile(arch, p, 1, {1, 2, 1}, bytes);
  ASSERT_EQ(bytes.size(), 17u);
  EXPECT_EQ(bytes[0], 9);
  // Row c: output channel 4 + c (only 4 and 5 exist); lane r: input channel 4 + r (4 and 5).
  for (std::int64_t c = 0; c < 4; ++c) {
    for (std::int64_t r = 0; r < 4; ++r) {
      const std::uint8_t want =
          c < 2 && r < 2 ? static_cast<std::uint8_t>(W(4 + c, 4 + r, 1, 2)) : std::uint8_t{0};
      EXPECT_EQ(bytes[static_cast<std::size_t>(1 + c * 4 + r)], want) << c << "," << r;
    }
  }
}

TEST(ConvLoweringTest, PlanRecordsTheTilesOfEachBlock) {
  const isa::ArchConfig arch = SmallArch();
  ConvProblem p = StridedConv();
  const ConvPlan plan = PlanConv(arch, p);
  ASSERT_EQ(plan.tiles.size(), 2u);
  EXPECT_EQ(plan.tiles[1].size(), 18u);
  EXPECT_EQ(p.shape.tiles_per_block, (std::vector<std::int64_t>{18, 18}));
  EXPECT_EQ(plan.estimate.name, "conv");
  EXPECT_EQ(plan.estimate.op, "Conv");
  EXPECT_EQ(plan.estimate.macs, 9 * 6 * 6 * 9);
  // The tiling fits the array's memories.
  EXPECT_LE(plan.tiling.ScratchpadRows(), arch.scratchpad_rows());
  EXPECT_LE(plan.tiling.acc_rows, arch.accumulator_rows());
}

TEST(ConvLoweringTest, ConstantsAreTilesBlockByBlockAndFourParameterRowsPerBlock) {
  const isa::ArchConfig arch = SmallArch();
  ConvProblem p = StridedConv();
  const ConvPlan plan = PlanConv(arch, p);
  const ConvConstants k = ConvConstantsOf(arch, p, plan);
  EXPECT_EQ(k.tile_count, 36);
  EXPECT_EQ(k.block_first_tile, (std::vector<std::int64_t>{0, 18}));
  ASSERT_EQ(k.weights.size(), 36u * 16);
  // Block 1's tile 3 is tap (0, 1), channel block 1: byte (c 1, lane 0) is W[5][4][0][1].
  EXPECT_EQ(k.weights[(18 + 3) * 16 + 1 * 4 + 0], static_cast<std::uint8_t>(W(5, 4, 0, 1)));
  const std::vector<std::int32_t> want = {
      100,  200,  300,  400,  1000, 1001, 1002, 1003,
      2000, 2001, 2002, 2003, 3000, 3001, 3002, 3003,  // block 0
      500,  600,  0,    0,    1004, 1005, 0,    0,
      2004, 2005, 0,    0,    3004, 3005, 0,    0};  // block 1: channels 4 and 5
  EXPECT_EQ(k.params, want);

  p.shape.raw = true;  // int32 output: the bias alone, COLS words per block
  EXPECT_EQ(ConvConstantsOf(arch, p, plan).params,
            (std::vector<std::int32_t>{100, 200, 300, 400, 500, 600, 0, 0}));
}

TEST(ConvLoweringTest, SpatialTilesGridAndFlat) {
  ConvShape s;
  s.batch = 2;
  s.oh = s.ow = 3;
  ConvTiling grid;
  grid.th = 2;
  grid.tw = 3;
  EXPECT_EQ(SpatialTilesOf(s, grid), (std::vector<ConvSpatialTile>{{0, 0, 0, 2, 3, 0, 0},
                                                                   {0, 2, 0, 1, 3, 0, 0},
                                                                   {1, 0, 0, 2, 3, 0, 0},
                                                                   {1, 2, 0, 1, 3, 0, 0}}));
  ConvTiling flat;
  flat.flat = true;
  flat.run = 8;
  EXPECT_EQ(SpatialTilesOf(s, flat),
            (std::vector<ConvSpatialTile>{
                {0, 0, 0, 0, 0, 0, 8}, {0, 0, 0, 0, 0, 8, 8}, {0, 0, 0, 0, 0, 16, 2}}));
}

TEST(ConvLoweringTest, RegionsFollowEachOtherInTheScratchpad) {
  ConvTiling t;
  t.in_rows = 98;
  t.in_buffers = 2;
  t.w_rows = 144;
  const ConvRegions r = ConvRegionsOf(t, {10, 20, 30, {}});
  EXPECT_EQ(r.input, 10);
  EXPECT_EQ(r.weights, 10 + 196);
  EXPECT_EQ(r.output, 10 + 196 + 144);
  EXPECT_EQ(r.acc, 20);
  EXPECT_EQ(r.param, 30);
}

TEST(ConvLoweringTest, RegionsInSeparateBanksComeFromTheGroups) {
  ConvTiling t;
  t.in_rows = 98;
  t.in_buffers = 2;
  t.w_rows = 144;
  t.out_rows = 50;
  EXPECT_EQ(ConvScratchpadGroups(t), (std::vector<std::int64_t>{196, 144 + 100}));
  const ConvRegions r = ConvRegionsOf(t, {0, 20, 30, {4096, 8192}});
  EXPECT_EQ(r.input, 4096);
  EXPECT_EQ(r.weights, 8192);
  EXPECT_EQ(r.output, 8192 + 144);
  EXPECT_EQ(r.acc, 20);
}

// The strided convolution with a tiling chosen by hand: one 3×3 tile, weights and parameters
// resident; regions from row 0. Weights at DRAM 4096, parameters at 8192, output at 2048.
struct HandPlanned {
  ConvProblem p = StridedConv();
  DramTensor y;
  ConvPlan plan;
  ConvConstants constants;
  std::deque<Step> steps;

  explicit HandPlanned(bool streamed, bool raw = false) {
    const isa::ArchConfig arch = SmallArch();
    p.shape.raw = raw;
    y.addr = 2048;
    p.y = &y;
    plan.tiles = {WeightTilesOfBlock(arch, p, 0), WeightTilesOfBlock(arch, p, 1)};
    ConvTiling& t = plan.tiling;
    t.th = t.tw = 3;
    t.in_rows = 2 * 49;  // two channel blocks of the 7×7 window
    t.in_buffers = 1;
    t.weights_resident = !streamed;
    t.params_resident = !streamed;
    t.chunk = streamed ? 10 : 0;
    t.w_rows = streamed ? 2 * 10 * 4 : 36 * 4;
    t.out_rows = 9;
    t.acc_rows = 9;
    t.param_rows = 8;
    constants = ConvConstantsOf(arch, p, plan);
    ConvEmitter emitter(arch, p, plan, constants, 4096, 8192, {0, 0, 0, {}}, false);
    emitter.Emit({0, 0, 0, 3, 3, 0, 0}, [this]() -> Step& { return steps.emplace_back(); });
  }
};

TEST(ConvLoweringTest, EmitterResidentStepsFieldByField) {
  const HandPlanned h(false);
  ASSERT_EQ(h.steps.size(), 2u);  // one per output block
  const Step& s0 = h.steps[0];
  const std::vector<isa::LoadSp> loads = OfType<isa::LoadSp>(s0.loads);
  ASSERT_EQ(loads.size(), 3u);
  // Input channels 0..3: the 7×7 window from (-1, -1), one row and column of padding per side.
  EXPECT_EQ(loads[0].sram, 0u);
  EXPECT_EQ(loads[0].dram, 1000u);
  EXPECT_EQ(loads[0].ny, 7u);
  EXPECT_EQ(loads[0].nx, 7u);
  EXPECT_EQ(loads[0].stride_y, 30u);
  EXPECT_EQ(loads[0].stride_x, 6u);
  EXPECT_EQ(loads[0].pad_top, 1u);
  EXPECT_EQ(loads[0].pad_bottom, 1u);
  EXPECT_EQ(loads[0].pad_left, 1u);
  EXPECT_EQ(loads[0].pad_right, 1u);
  EXPECT_EQ(loads[0].lanes, 4u);
  EXPECT_EQ(loads[0].fill, 3u);
  // Input channels 4..5 in the second block of 49 rows.
  EXPECT_EQ(loads[1].sram, 49u);
  EXPECT_EQ(loads[1].dram, 1004u);
  EXPECT_EQ(loads[1].lanes, 2u);
  // Block 0's 18 weight tiles (72 rows of 4 bytes) after the input buffer (row 98); block 1's
  // load with block 1, so that block 0's gemms need not wait for them.
  EXPECT_EQ(loads[2].sram, 98u);
  EXPECT_EQ(loads[2].dram, 4096u);
  EXPECT_EQ(loads[2].ny, 1u);
  EXPECT_EQ(loads[2].nx, 72u);
  EXPECT_EQ(loads[2].stride_x, 4u);
  EXPECT_EQ(loads[2].lanes, 4u);
  const std::vector<isa::LoadParam> params = OfType<isa::LoadParam>(s0.loads);
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].dram, 8192u);
  EXPECT_EQ(params[0].nx, 8u);  // 4 rows per block, 2 blocks
  EXPECT_EQ(params[0].stride_x, 16u);

  const std::vector<isa::Gemm> gemms = OfType<isa::Gemm>(s0.computes);
  ASSERT_EQ(gemms.size(), 18u);
  const isa::Gemm& g0 = gemms[0];  // tap (0, 0), channels 0..3
  EXPECT_EQ(g0.act, 0u);
  EXPECT_EQ(g0.act_outer, 14u);  // stride 2 rows of the 7-wide window
  EXPECT_EQ(g0.act_inner, 2u);
  EXPECT_EQ(g0.acc, 0u);
  EXPECT_EQ(g0.acc_outer, 3u);
  EXPECT_EQ(g0.n_outer, 3u);
  EXPECT_EQ(g0.n_inner, 3u);
  EXPECT_EQ(g0.w, 98u);
  EXPECT_EQ(g0.k_lanes, 4u);
  EXPECT_EQ(g0.n_lanes, 4u);
  EXPECT_TRUE(g0.preload);
  EXPECT_FALSE(g0.accumulate);
  EXPECT_FALSE(g0.act_signed);
  EXPECT_EQ(gemms[1].act, 49u);  // tap (0, 0), channels 4..5
  EXPECT_EQ(gemms[1].w, 102u);
  EXPECT_EQ(gemms[1].k_lanes, 2u);
  EXPECT_TRUE(gemms[1].accumulate);
  EXPECT_EQ(gemms[2].act, 1u);  // tap (0, 1)
  EXPECT_EQ(gemms[6].act, 7u);  // tap (1, 0): one window row down
  EXPECT_EQ(gemms[6].w, 122u);
  EXPECT_EQ(gemms[17].act, 49u + 2 * 7 + 2);  // tap (2, 2), channels 4..5
  EXPECT_EQ(gemms[17].w, 98u + 17 * 4);

  const std::vector<isa::Post> posts = OfType<isa::Post>(s0.computes);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].acc, 0u);
  EXPECT_EQ(posts[0].n, 9u);
  EXPECT_EQ(posts[0].dst, 98u + 144);  // the first output buffer
  EXPECT_EQ(posts[0].dst_stride, 1u);
  EXPECT_EQ(posts[0].blk_stride, 9u);
  EXPECT_EQ(posts[0].dst_lane, 0u);
  EXPECT_EQ(posts[0].n_lanes, 4u);
  EXPECT_EQ(posts[0].param, 0u);
  const std::vector<isa::StoreSp> stores = OfType<isa::StoreSp>(s0.stores);
  ASSERT_EQ(stores.size(), 1u);
  EXPECT_EQ(stores[0].sram, 242u);
  EXPECT_EQ(stores[0].dram, 2048u);
  EXPECT_EQ(stores[0].ny, 3u);
  EXPECT_EQ(stores[0].nx, 3u);
  EXPECT_EQ(stores[0].stride_y, 18u);  // 3 pixels of 6 channels
  EXPECT_EQ(stores[0].stride_x, 6u);
  EXPECT_EQ(stores[0].lanes, 4u);

  // Block 1: its own 18 weight tiles after block 0's; its parameters follow block 0's; the other
  // output buffer; channels 4 and 5.
  const Step& s1 = h.steps[1];
  const std::vector<isa::LoadSp> loads1 = OfType<isa::LoadSp>(s1.loads);
  ASSERT_EQ(loads1.size(), 1u);
  ASSERT_EQ(s1.loads.size(), 1u);
  EXPECT_EQ(loads1[0].sram, 98u + 72);
  EXPECT_EQ(loads1[0].dram, 4096u + 18 * 16);
  EXPECT_EQ(loads1[0].nx, 72u);
  const std::vector<isa::Gemm> g1 = OfType<isa::Gemm>(s1.computes);
  ASSERT_EQ(g1.size(), 18u);
  EXPECT_EQ(g1[0].w, 98u + 18 * 4);
  EXPECT_EQ(g1[0].n_lanes, 2u);
  EXPECT_FALSE(g1[0].accumulate);
  const isa::Post post1 = OfType<isa::Post>(s1.computes).at(0);
  EXPECT_EQ(post1.dst, 251u);
  EXPECT_EQ(post1.param, 4u);
  EXPECT_EQ(post1.n_lanes, 2u);
  const isa::StoreSp store1 = OfType<isa::StoreSp>(s1.stores).at(0);
  EXPECT_EQ(store1.sram, 251u);
  EXPECT_EQ(store1.dram, 2048u + 4);
  EXPECT_EQ(store1.lanes, 2u);
}

TEST(ConvLoweringTest, EmitterStreamsWeightChunksAndParametersPerBlock) {
  const HandPlanned h(true);
  // Block 0: tiles 0..9 and 10..17; block 1 likewise.
  ASSERT_EQ(h.steps.size(), 4u);
  const std::vector<isa::LoadSp> l0 = OfType<isa::LoadSp>(h.steps[0].loads);
  ASSERT_EQ(l0.size(), 3u);  // the input's two channel blocks, then the first chunk
  EXPECT_EQ(l0[2].sram, 98u);
  EXPECT_EQ(l0[2].dram, 4096u);
  EXPECT_EQ(l0[2].nx, 40u);
  const isa::LoadParam p0 = OfType<isa::LoadParam>(h.steps[0].loads).at(0);
  EXPECT_EQ(p0.sram, 0u);
  EXPECT_EQ(p0.dram, 8192u);
  EXPECT_EQ(p0.nx, 4u);
  EXPECT_TRUE(OfType<isa::Post>(h.steps[0].computes).empty());
  EXPECT_TRUE(h.steps[0].stores.empty());

  const std::vector<isa::LoadSp> l1 = OfType<isa::LoadSp>(h.steps[1].loads);
  ASSERT_EQ(l1.size(), 1u);  // the second chunk into the other weight buffer
  EXPECT_EQ(l1[0].sram, 98u + 40);
  EXPECT_EQ(l1[0].dram, 4096u + 10 * 16);
  EXPECT_EQ(l1[0].nx, 32u);
  EXPECT_TRUE(OfType<isa::LoadParam>(h.steps[1].loads).empty());
  const std::vector<isa::Gemm> g1 = OfType<isa::Gemm>(h.steps[1].computes);
  ASSERT_EQ(g1.size(), 8u);
  EXPECT_EQ(g1[0].w, 98u + 40);
  EXPECT_TRUE(g1[0].accumulate);
  EXPECT_EQ(OfType<isa::Post>(h.steps[1].computes).size(), 1u);

  // Block 1's first chunk: back to the first weight buffer; its parameters into the second.
  const std::vector<isa::LoadSp> l2 = OfType<isa::LoadSp>(h.steps[2].loads);
  ASSERT_EQ(l2.size(), 1u);
  EXPECT_EQ(l2[0].sram, 98u);
  EXPECT_EQ(l2[0].dram, 4096u + 18 * 16);
  const isa::LoadParam p2 = OfType<isa::LoadParam>(h.steps[2].loads).at(0);
  EXPECT_EQ(p2.sram, 4u);
  EXPECT_EQ(p2.dram, 8192u + 64);
  EXPECT_EQ(OfType<isa::Post>(h.steps[3].computes).at(0).param, 4u);
}

TEST(ConvLoweringTest, EmitterRawOutputStartsFromTheBiasAndStoresInt32) {
  const HandPlanned h(false, true);
  ASSERT_EQ(h.steps.size(), 2u);
  EXPECT_TRUE(OfType<isa::LoadParam>(h.steps[0].loads).empty());
  // Block b's accumulators (buffer b of 9 rows) start from its 4 bias words, in every row.
  for (std::uint32_t b = 0; b < 2; ++b) {
    const std::vector<isa::LoadAcc> bias = OfType<isa::LoadAcc>(h.steps[b].loads);
    ASSERT_EQ(bias.size(), 1u);
    EXPECT_EQ(bias[0].sram, 9u * b);
    EXPECT_EQ(bias[0].dram, 8192u + 16 * b);
    EXPECT_EQ(bias[0].nx, 9u);
    EXPECT_EQ(bias[0].stride_x, 0u);
    EXPECT_EQ(bias[0].lanes, 4u);
    const std::vector<isa::Gemm> gemms = OfType<isa::Gemm>(h.steps[b].computes);
    ASSERT_EQ(gemms.size(), 18u);
    EXPECT_TRUE(gemms[0].accumulate);
    EXPECT_EQ(gemms[0].acc, 9u * b);
    EXPECT_TRUE(OfType<isa::Post>(h.steps[b].computes).empty());
  }
  // Output pixels of 6 int32 channels (24 bytes); block 1 from channel 4 (byte 16).
  const isa::StoreAcc s1 = OfType<isa::StoreAcc>(h.steps[1].stores).at(0);
  EXPECT_EQ(s1.sram, 9u);
  EXPECT_EQ(s1.dram, 2048u + 16);
  EXPECT_EQ(s1.ny, 3u);
  EXPECT_EQ(s1.nx, 3u);
  EXPECT_EQ(s1.stride_y, 72u);
  EXPECT_EQ(s1.stride_x, 24u);
  EXPECT_EQ(s1.lanes, 2u);
}

TEST(ConvLoweringTest, StridedPointwiseReadsOnlyThePixelsItUses) {
  ConvProblem p;
  ConvShape& s = p.shape;
  s.c = 6;
  s.h = s.w = 6;
  s.sh = s.sw = 2;
  s.oh = s.ow = 3;
  p.x_pixel = 6;
  p.x_row = 36;
  ViewStridedPointwise(p);
  EXPECT_EQ(p.x_pixel, 12);
  EXPECT_EQ(p.x_row, 72);
  EXPECT_EQ(s.h, 3);
  EXPECT_EQ(s.w, 3);
  EXPECT_EQ(s.sh, 1);
  EXPECT_EQ(s.sw, 1);
  EXPECT_FALSE(s.dense_input);

  ConvProblem padded = StridedConv();  // 3×3: left as it is
  ViewStridedPointwise(padded);
  EXPECT_EQ(padded.x_pixel, 6);
  EXPECT_EQ(padded.shape.sh, 2);
}

// Two input channels, 3×3, padding 1 on a 5×5 image: two pixels per row of 4 lanes.
ConvProblem FewChannels() {
  ConvProblem p;
  ConvShape& s = p.shape;
  s.c = 2;
  s.h = s.w = s.oh = s.ow = 5;
  s.m = 3;
  s.kh = s.kw = 3;
  s.pt = s.pl = s.pb = s.pr = 1;
  for (std::int64_t m = 0; m < 3; ++m) {
    for (std::int64_t c = 0; c < 2; ++c) {
      for (std::int64_t ky = 0; ky < 3; ++ky) {
        for (std::int64_t kx = 0; kx < 3; ++kx) p.weights.push_back(W(m, c, ky, kx));
      }
    }
  }
  return p;
}

TEST(ConvLoweringTest, FewChannelsPackTwoPixelsPerRow) {
  const isa::ArchConfig arch = SmallArch();
  const ConvProblem p = FewChannels();
  const std::optional<ConvPacking> k = PackingFor(arch, p);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->pixels, 2);
  EXPECT_EQ(k->groups, 2);  // kernel columns 0..1 and 2
  EXPECT_EQ(k->hp, 7);
  EXPECT_EQ(k->width, 8);  // (5 − 1) + 2 · 2 pixels for the last output column
  const ConvProblem q = PackedProblem(p, *k);
  EXPECT_EQ(q.shape.c, 4);
  EXPECT_EQ(q.shape.h, 7);
  EXPECT_EQ(q.shape.w, 7);
  EXPECT_EQ(q.shape.kw, 2);
  EXPECT_EQ(q.shape.dw, 2);
  EXPECT_EQ(q.shape.pt + q.shape.pl + q.shape.pb + q.shape.pr, 0);
  EXPECT_EQ(q.packed_c, 2);
  EXPECT_EQ(q.packed_kw, 3);
  EXPECT_EQ(q.x_pixel, 2);
  EXPECT_EQ(q.x_row, 16);
  EXPECT_EQ(q.x_image, 112);
  // Lane p·C + c of tap (ky, g) is W[m][c][ky][g·2 + p]; nothing past kernel column 2.
  EXPECT_EQ(q.Weight(1, 0, 2, 0), W(1, 0, 2, 0));
  EXPECT_EQ(q.Weight(1, 3, 2, 0), W(1, 1, 2, 1));
  EXPECT_EQ(q.Weight(2, 1, 0, 1), W(2, 1, 0, 2));
  EXPECT_EQ(q.Weight(2, 2, 0, 1), 0);
  EXPECT_EQ(q.Weight(2, 3, 0, 1), 0);
}

TEST(ConvLoweringTest, PackingRefusesWhatItCannotPack) {
  const isa::ArchConfig arch = SmallArch();
  ConvProblem grouped = FewChannels();
  grouped.shape.group = 2;
  grouped.shape.m = 2;
  EXPECT_FALSE(PackingFor(arch, grouped).has_value());
  ConvProblem three = FewChannels();
  three.shape.c = 3;  // 2 · 3 > 4 lanes
  EXPECT_FALSE(PackingFor(arch, three).has_value());
  ConvProblem raw = FewChannels();
  raw.shape.raw = true;
  EXPECT_FALSE(PackingFor(arch, raw).has_value());
  ConvProblem wide = FewChannels();
  wide.shape.w = wide.shape.ow = 300;  // a padded row of more than 255 pixels
  EXPECT_FALSE(PackingFor(arch, wide).has_value());
}

// A Conv node: 1×3×3×3 uint8 input (zero point 3, scale 0.5), two 2×2 filters (scale 0.25;
// W[m][c][ky][kx] = ±(c + 1)), bias, uint8 output (zero point 5, scale 0.5). Three channels: too
// many to pack on 4 lanes.
std::vector<std::int8_t> ConvGraphWeights() {
  std::vector<std::int8_t> w;
  for (int m = 0; m < 2; ++m) {
    for (int c = 0; c < 3; ++c) {
      for (int k = 0; k < 4; ++k)
        w.push_back(static_cast<std::int8_t>((m == 0 ? 1 : -1) * (c + 1)));
    }
  }
  return w;
}

Graph ConvGraph() {
  Graph g;
  g.name = "conv";
  AddInput(g, "x", DType::kUInt8, {1, 3, 3, 3}, PerTensor(0.5f, 3));
  g.AddConstant("w", Tensor::FromVector<std::int8_t>({2, 3, 2, 2}, ConvGraphWeights()),
                PerTensor(0.25f, 0));
  g.AddConstant("b", Tensor::FromVector<std::int32_t>({2}, {10, 20}));
  Declare(g, "y", DType::kUInt8, PerTensor(0.5f, 5));
  AddNode(g, "conv", "Conv", {"x", "w", "b"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  return g;
}

TEST(ConvLoweringTest, ReadsAConvNode) {
  const Graph g = ConvGraph();
  const ConvProblem p = ReadConvProblem(g, g.nodes[0]);
  EXPECT_EQ(p.name, "conv");
  EXPECT_EQ(p.shape.c, 3);
  EXPECT_EQ(p.shape.m, 2);
  EXPECT_EQ(p.shape.h, 3);
  EXPECT_EQ(p.shape.kh, 2);
  EXPECT_EQ(p.shape.oh, 2);
  EXPECT_FALSE(p.shape.raw);
  EXPECT_FALSE(p.x_signed);
  EXPECT_EQ(p.fill, 3);
  EXPECT_EQ(p.weights, ConvGraphWeights());
  EXPECT_EQ(p.Weight(1, 2, 1, 0), -3);
  // The input zero point folded in: 10 − 3 · 24 and 20 − 3 · (−24).
  EXPECT_EQ(p.bias, (std::vector<std::int32_t>{-62, 92}));
  // 0.5 · 0.25 / 0.5 = 0.25 = 0.5 · 2^−1: multiplier 2^30 (0.5 in Q31), right shift 1.
  EXPECT_EQ(p.mult, (std::vector<std::int32_t>{1 << 30, 1 << 30}));
  EXPECT_EQ(p.shifts, (std::vector<std::int32_t>{1 << 8, 1 << 8}));
  // Output zero point 5, clamp 0..255, unsigned.
  EXPECT_EQ(p.format, (std::vector<std::int32_t>{5 | 255 << 16, 5 | 255 << 16}));
  EXPECT_EQ(p.x, nullptr);  // no DRAM yet
}

TEST(ConvLoweringTest, ReadsAMatMulAsAPointwiseConvolutionOfItsRows) {
  Graph g;
  g.name = "matmul";
  AddInput(g, "a", DType::kInt8, {2, 3, 4}, PerTensor(0.5f, 0));
  std::vector<std::int8_t> b;
  for (std::int8_t v = 0; v < 20; ++v) b.push_back(v);
  g.AddConstant("b", Tensor::FromVector<std::int8_t>({4, 5}, b), PerTensor(0.25f, 0));
  Declare(g, "y", DType::kInt8, PerTensor(0.5f, 0));
  AddNode(g, "mm", "MatMul", {"a", "b"}, {"y"});
  g.outputs = {"y"};
  g.Validate();
  const ConvProblem p = ReadConvProblem(g, g.nodes[0]);
  EXPECT_EQ(p.op, "MatMul");
  EXPECT_EQ(p.channel_axis, 2);
  EXPECT_EQ(p.shape.c, 4);
  EXPECT_EQ(p.shape.m, 5);
  EXPECT_EQ(p.shape.h, 6);  // 2 · 3 rows of A
  EXPECT_EQ(p.shape.oh, 6);
  EXPECT_TRUE(p.x_signed);
  // Weights [n][k] = B^T: B[k][n] = 5k + n.
  EXPECT_EQ(p.Weight(0, 1, 0, 0), 5);
  EXPECT_EQ(p.Weight(3, 2, 0, 0), 13);
  EXPECT_EQ(p.format[0], 0 | (-128 & 0xff) << 8 | 127 << 16 | 1 << 24);
}

TEST(ConvLoweringTest, LowerConvPutsTheConstantsAndEmitsEveryGemm) {
  const Graph g = ConvGraph();
  const Lowered l = LowerGraph(g, SmallArch());
  // DRAM: x (27 bytes) at 0, y (8 bytes) at 64, the four weight tiles at 128, parameters at 192.
  EXPECT_EQ(l.tensors.at("y").addr, 64);
  ASSERT_EQ(l.layers.size(), 1u);
  EXPECT_EQ(l.layers[0].name, "conv");
  // One gemm per tap (one channel block), one post, one store of the 2×2 output.
  const std::vector<isa::Gemm> gemms = OfType<isa::Gemm>(l.code);
  ASSERT_EQ(gemms.size(), 4u);
  EXPECT_EQ(gemms[3].k_lanes, 3u);
  EXPECT_EQ(gemms[3].n_lanes, 2u);
  EXPECT_EQ(OfType<isa::Post>(l.code).size(), 1u);
  const std::vector<isa::StoreSp> stores = OfType<isa::StoreSp>(l.code);
  ASSERT_EQ(stores.size(), 1u);
  EXPECT_EQ(stores[0].dram, 64u);
  EXPECT_EQ(stores[0].lanes, 2u);
  // Tap (0, 1)'s tile: row c = output channel c, lane r = W[c][r][0][1].
  const std::vector<std::int8_t> tile(l.program.dram_image.begin() + 128 + 16,
                                      l.program.dram_image.begin() + 128 + 32);
  EXPECT_EQ(tile, (std::vector<std::int8_t>{1, 2, 3, 0, -1, -2, -3, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(WordAt(l.program, 192), -62);  // bias of channel 0
  EXPECT_EQ(WordAt(l.program, 196), 92);
  EXPECT_EQ(WordAt(l.program, 192 + 16), 1 << 30);  // its multiplier
}

TEST(ConvLoweringTest, ALayerThatFitsNothingIsRefusedByName) {
  isa::ArchConfig arch = SmallArch();
  arch.scratchpad_bytes = 64;  // 16 rows
  ConvProblem p = StridedConv();
  p.name = "big";
  try {
    PlanConv(arch, p);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'big' does not fit"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace qsa::compiler

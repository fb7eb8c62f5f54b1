// The cost model and the tiler: estimates of small layers worked out by hand, tilings that fit
// the memories they are given, and the error for a layer nothing fits.
#include <gtest/gtest.h>

#include "compiler/lower/cost_model.h"
#include "model/base/error.h"

namespace qsa::compiler {
namespace {

isa::ArchConfig Arch() {
  isa::ArchConfig a = isa::DefaultArchConfig();
  a.dram_latency_cycles = 100;
  a.dram_bytes_per_cycle = 16;
  return a;
}

// A 3x3 convolution, 16 -> 16 channels, 8x8, padding 1: one tile, weights resident.
ConvShape Conv3x3() {
  ConvShape s;
  s.c = s.m = 16;
  s.h = s.w = s.oh = s.ow = 8;
  s.kh = s.kw = 3;
  s.pt = s.pl = s.pb = s.pr = 1;
  s.tiles_per_block = {9};
  return s;
}

TEST(CostModelTest, TwoTileConvolutionByHand) {
  const isa::ArchConfig arch = Arch();
  const ConvShape s = Conv3x3();
  // With two accumulator buffers a tile's post runs beside the next tile's gemms, so two tiles
  // of 4×8 pixels stream more of the time than one of 8×8 (compute 644 against 676, below) and
  // the tiler takes them (the longest queue, the loads, is then 648).
  const ConvTiling t = ChooseConvTiling(arch, s, "conv");
  EXPECT_FALSE(t.flat);
  EXPECT_EQ(t.th, 4);
  EXPECT_EQ(t.tw, 8);
  EXPECT_TRUE(t.weights_resident);
  EXPECT_EQ(t.in_rows, 6 * 10);  // the padded window, one channel block
  const LayerEstimate e = EstimateConv(arch, s, t);
  EXPECT_EQ(e.macs, 8 * 8 * 16 * 16 * 9);
  EXPECT_EQ(e.tiles, 2);
  // Per tile 9 gemms of 32 rows, longer than the previous tile's drain and post
  // (16 + 16 + 2 + 32 + 15 + 2 = 83); then the last tile's drain (16 + 16) and post (32 + 4).
  // One 8×8 tile: 9 · 64 + 32 + 64 + 4 = 676.
  EXPECT_EQ(e.compute_cycles, 2 * 9 * 32 + 32 + 32 + 4);
  // Loads: weights (9·256 bytes), parameters (16·16 bytes), each tile's input (5 rows of 8
  // pixels inside the image × 16 bytes).
  EXPECT_EQ(e.dram_read, 9 * 256 + 256 + 2 * 40 * 16);
  // Each load: latency, beats, 2 cycles to complete.
  EXPECT_EQ(e.load_cycles, (100 + 144 + 2) + (100 + 16 + 2) + 2 * (100 + 40 + 2));
  EXPECT_EQ(e.dram_written, 64 * 16);
  EXPECT_EQ(e.store_cycles, 2 * (100 + 32 + 4));
  // The tiler's figure: the longest queue.
  EXPECT_EQ(e.steady_cycles, std::max({e.compute_cycles, e.load_cycles, e.store_cycles}));
  EXPECT_EQ(e.steady_cycles, 648);
  // The layer: the loads before the first gemm (the fill: all but the second tile's input), the
  // compute with each block's gemm's 2 extra cycles and post's 15 instead of 4, the last store
  // (the drain); the compute after the last load (the second tile's gemms, drain and post)
  // bounds it from the loads' side.
  EXPECT_EQ(e.fill_cycles, e.load_cycles - (100 + 40 + 2));
  EXPECT_EQ(e.compute_latency_cycles, 2 * (2 + 11));
  EXPECT_EQ(e.tail_compute_cycles, 9 * 32 + 32 + 2 + 32 + 15);
  EXPECT_EQ(e.drain_cycles, 100 + 32 + 4);
  EXPECT_EQ(e.cycles, std::max({e.fill_cycles + e.compute_cycles + e.compute_latency_cycles,
                                e.load_cycles + e.tail_compute_cycles, e.store_cycles}) +
                          e.drain_cycles);
  EXPECT_EQ(e.min_dram_bytes + 2 * 8 * 16, e.dram_read + e.dram_written);  // the halo row
}

TEST(CostModelTest, SmallMemoriesGetSmallerTilesThatFit) {
  isa::ArchConfig arch = Arch();
  ConvShape s = Conv3x3();
  s.h = s.w = s.oh = s.ow = 56;
  s.c = s.m = 64;
  s.tiles_per_block = {36, 36, 36, 36};
  arch.scratchpad_bytes = 16 * 1024;  // 1,024 rows
  arch.accumulator_bytes = 8 * 1024;  // 128 rows
  const ConvTiling t = ChooseConvTiling(arch, s, "conv");
  EXPECT_LE(t.ScratchpadRows(), arch.scratchpad_rows());
  EXPECT_LE(t.acc_rows, arch.accumulator_rows());
  EXPECT_LE(t.th * t.tw, 128);
  const LayerEstimate e = EstimateConv(arch, s, t);
  EXPECT_GT(e.tiles, 1);
  EXPECT_EQ(e.macs, s.Macs());
}

TEST(CostModelTest, ALayerThatFitsNothingNamesTheLayerAndTheRows) {
  isa::ArchConfig arch = Arch();
  arch.rows = arch.cols = 4;
  arch.scratchpad_bytes = 1024;
  ConvShape s = Conv3x3();
  s.c = 512;
  s.tiles_per_block = std::vector<std::int64_t>(4, 9 * 128);
  try {
    ChooseConvTiling(arch, s, "wide");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("layer 'wide' does not fit"), std::string::npos) << m;
    EXPECT_NE(m.find("scratchpad rows (the architecture has 256)"), std::string::npos) << m;
  }
}

TEST(CostModelTest, PointwiseLayersAreFlatRuns) {
  const isa::ArchConfig arch = Arch();
  ConvShape s;
  s.c = 32;
  s.m = 48;
  s.h = s.oh = 100;  // a matmul of 100 rows
  s.tiles_per_block = {2, 2, 2};
  const ConvTiling t = ChooseConvTiling(arch, s, "fc");
  EXPECT_TRUE(t.flat);
  EXPECT_EQ(t.run, 100);
}

}  // namespace
}  // namespace qsa::compiler

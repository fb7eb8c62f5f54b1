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
  // Loads: parameters (16·16 bytes), each tile's input (5 rows of 8 pixels inside the image ×
  // 16 bytes), weights (9·256 bytes).
  EXPECT_EQ(e.dram_read, 256 + 2 * 40 * 16 + 9 * 256);
  // The load unit pipelines them (LoadPipe, as qsa_load does): each starts the cycle after the
  // previous one's last request, is busy max(beats, rows written) and completes latency + 2
  // after that. Parameters: 16 beats, 4 rows: 0 .. 16, ends 118. First tile's input: 40 beats,
  // 60 rows (the padded 6×10 window): 17 .. 77, ends 179. Weights: 144 beats and rows: 78 .. 222,
  // ends 324 (the fill: the first gemm waits for them). Second tile's input: 223 .. 283, ends 385.
  EXPECT_EQ(e.fill_cycles, 78 + 144 + 100 + 2);
  EXPECT_EQ(e.load_cycles, 223 + 60 + 100 + 2);
  EXPECT_EQ(e.dram_written, 64 * 16);
  EXPECT_EQ(e.store_cycles, 2 * (100 + 32 + 4));
  // The DRAM port: 16 + 40 + 144 + 40 beats loaded, 2 · 32 stored.
  EXPECT_EQ(e.port_cycles, 240 + 64);
  // The tiler's figure: the longest queue, with every load paying its own latency (the serial
  // figure: 118 + 142 + 246 + 142 = 648).
  EXPECT_EQ(e.steady_cycles, 648);
  // The layer: the fill, the compute and the last block's gemm (2 cycles beyond ROWS + COLS) and
  // post (15 instead of 4) latencies, the last store (the drain); the compute after the last load
  // (the second tile's gemms, drain and post) bounds it from the loads' side.
  EXPECT_EQ(e.compute_latency_cycles, 2 + 11);
  EXPECT_EQ(e.tail_compute_cycles, 9 * 32 + 32 + 2 + 32 + 15);
  EXPECT_EQ(e.drain_cycles, 100 + 32 + 4);
  EXPECT_EQ(e.cycles,
            std::max({e.fill_cycles + e.compute_cycles + e.compute_latency_cycles,
                      e.load_cycles + e.tail_compute_cycles, e.store_cycles, e.port_cycles + 100}) +
                e.drain_cycles);
  EXPECT_EQ(e.cycles, 324 + 644 + 13 + 136);
  // Its last step (the second tile's block) is what moves to the next layer's range when the
  // next layer's loads go ahead of it.
  EXPECT_EQ(e.last_step_cycles, 9 * 32);
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

TEST(CostModelTest, RowsTouchTheBeatsTheirAlignmentGives) {
  EXPECT_EQ(SixteenthBeatsPerRow(16, 16), 16);  // aligned rows: one beat each
  EXPECT_EQ(SixteenthBeatsPerRow(64, 64), 64);
  // 3-byte pixels start at every offset; those at 14 and 15 cross a beat: 18 / 16 beats.
  EXPECT_EQ(SixteenthBeatsPerRow(3, 3), 18);
  // The first 16 channels of 24-channel pixels start at offsets 0 and 8: 1 and 2 beats.
  EXPECT_EQ(SixteenthBeatsPerRow(16, 24), 24);
  EXPECT_EQ(SixteenthBeatsPerRow(8, 24), 16);  // the other 8 never cross
  EXPECT_EQ(SixteenthBeatsPerRow(0, 16), 0);
}

TEST(CostModelTest, TheLoadUnitPaysTheLatencyOncePerRunAndHoldsFourLoads) {
  const isa::ArchConfig arch = Arch();
  LoadPipe p(arch);
  // One-beat loads start two cycles apart (busy 1, the next the cycle after its request) and
  // complete latency + 2 after their request.
  EXPECT_EQ(p.Add(1, 1), 1 + 100 + 2);
  EXPECT_EQ(p.Add(1, 1), 2 + 1 + 100 + 2);
  EXPECT_EQ(p.Add(1, 1), 4 + 1 + 100 + 2);
  EXPECT_EQ(p.Add(1, 1), 6 + 1 + 100 + 2);
  // The fifth waits for the first to complete (four loads in flight).
  EXPECT_EQ(p.Add(1, 1), 103 + 1 + 100 + 2);
  // A long load's beats come at the port's rate: 256 beats after the previous request.
  LoadPipe q(arch);
  q.AddBytes(4096, 256);
  EXPECT_EQ(q.AddBytes(4096, 256), 257 + 256 + 100 + 2);
  // Padding only (no beats): a row a cycle, done 3 cycles after the last.
  LoadPipe r(arch);
  EXPECT_EQ(r.Add(0, 10), 13);
}

TEST(CostModelTest, ALayersLastStepMovesWhenTheNextLayersLoadsGoAheadOfIt) {
  std::vector<LayerEstimate> layers(3);
  for (LayerEstimate& e : layers) {
    e.cycles = 10000;
    e.fill_cycles = 300;
    e.last_step_cycles = 1000;
  }
  OverlapLayers(layers, {false, true, false});
  // Layer 1's first loads went ahead of layer 0's last step: the step counts to layer 1, whose
  // fill runs beside it; layer 2's loads waited, so nothing moves there.
  EXPECT_EQ(layers[0].cycles, 9000);
  EXPECT_EQ(layers[1].cycles, 10000 + 1000 - 300);
  EXPECT_EQ(layers[1].hidden_fill_cycles, 300);
  EXPECT_EQ(layers[1].moved_cycles, 1000);
  EXPECT_EQ(layers[2].cycles, 10000);
  // A mismatch between the flags and the layers changes nothing.
  OverlapLayers(layers, {true});
  EXPECT_EQ(layers[0].cycles, 9000);
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

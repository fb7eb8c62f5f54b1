// SCALE-Sim topology files: parsing, and each layer estimated like the compiler's own layer.
#include <gtest/gtest.h>

#include <string>

#include "compiler/estimate/estimate.h"
#include "compiler/lower/cost_model.h"
#include "model/base/error.h"

namespace qsa::estimate {
namespace {

std::string ErrorOf(const std::string& text) {
  try {
    ParseTopologyCsv(text, "t.csv");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Topology, ReadsConvolutionAndGemmFiles) {
  const std::vector<TopologyLayer> conv = ParseTopologyCsv(
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
      "Strides,\nConv1, 224, 224, 7, 7, 3, 64, 2,\n\nConv2,56,56,3,3,64,64,1\n",
      "t.csv");
  ASSERT_EQ(conv.size(), 2u);
  EXPECT_EQ(conv[0].name, "Conv1");
  EXPECT_EQ(conv[0].ifmap_h, 224);
  EXPECT_EQ(conv[0].filter_w, 7);
  EXPECT_EQ(conv[0].channels, 3);
  EXPECT_EQ(conv[0].filters, 64);
  EXPECT_EQ(conv[0].stride, 2);
  EXPECT_EQ(conv[1].ifmap_w, 56);
  const std::vector<TopologyLayer> gemm =
      ParseTopologyCsv("Layer Name, M, N, K,\r\ng1, 512, 256, 1024,\r\n", "t.csv");
  ASSERT_EQ(gemm.size(), 1u);
  EXPECT_EQ(gemm[0].ifmap_h, 512);
  EXPECT_EQ(gemm[0].filters, 256);
  EXPECT_EQ(gemm[0].channels, 1024);
}

TEST(Topology, BadFilesAreOneClearError) {
  EXPECT_EQ(ErrorOf("Layer Name, M, N, K,\ng1, 512, 0, 1024,\n"),
            "t.csv line 2: field 3 is '0'; must be an integer in 1..65536");
  EXPECT_EQ(ErrorOf("Layer Name, M, N, K,\ng1, 512, x, 1024,\n"),
            "t.csv line 2: field 3 is 'x'; must be an integer in 1..65536");
  EXPECT_EQ(ErrorOf("Layer Name, M, N, K,\ng1, 512, 2,\n"),
            "t.csv line 2: 3 fields; a GEMM line has 4");
  EXPECT_EQ(ErrorOf("Layer Name, M, N, K,\n"), "t.csv: no layers");
  EXPECT_EQ(ErrorOf("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                    "Channels, Num Filter, Strides,\nc, 4096, 2, 1, 1, 1, 1, 1,\n"),
            "t.csv line 2: field 2 is '4096'; must be an integer in 1..2048");
  EXPECT_NE(ErrorOf("a,b,c\n").find("t.csv line 1: expected SCALE-Sim's header"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                    "Channels, Num Filter, Strides,\nc, 2, 2, 3, 3, 1, 1, 1,\n"),
            "t.csv line 2: the filter (3x3) is larger than the input (2x2)");
}

TEST(Topology, ALayerIsTheCostModelsConvolution) {
  const isa::ArchConfig& arch = isa::DefaultArchConfig();
  // 56x56x64 → 64 filters of 3x3, unpadded: 54x54 outputs.
  const EstimateReport r =
      EstimateTopology(arch, {{"c", 56, 56, 3, 3, 64, 64, 1}}, DefaultEnergyTable(), false);
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].macs, std::int64_t{54} * 54 * 64 * 64 * 9);
  compiler::ConvShape s;
  s.c = 64;
  s.h = s.w = 56;
  s.m = 64;
  s.kh = s.kw = 3;
  s.oh = s.ow = 54;
  s.tiles_per_block.assign(4, 9 * 4);
  const compiler::LayerEstimate e =
      compiler::EstimateConv(arch, s, compiler::ChooseConvTiling(arch, s, "c"));
  EXPECT_EQ(r.layers[0].cycles, e.cycles);
  EXPECT_EQ(r.events.dram.bytes_read, e.dram_read);
  // A GEMM is a 1x1 convolution of M pixels: M·N·K MACs.
  const EstimateReport g =
      EstimateTopology(arch, {{"g", 512, 1, 1, 1, 1024, 256, 1}}, DefaultEnergyTable(), false);
  EXPECT_EQ(g.layers[0].macs, std::int64_t{512} * 256 * 1024);
  EXPECT_EQ(g.layers[0].bound, "compute");
}

}  // namespace
}  // namespace qsa::estimate

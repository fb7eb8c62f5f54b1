// The DMA patterns: runs of rows split into grids of at most 255 × 255, an image window with its
// padding in one instruction or split when the padding is wider than the fields, strides too
// large for their fields, and the values the instruction fields refuse.
#include "compiler/lower/dma.h"

#include <gtest/gtest.h>

#include "model/base/error.h"
#include "tests/compiler/lower/lower_test_util.h"

namespace qsa::compiler {
namespace {

using lower_test::OfType;
using Pairs = std::vector<std::pair<std::int64_t, std::int64_t>>;

TEST(DmaTest, RunsCoverTheCountInGridsOf255) {
  EXPECT_EQ(Runs(0), Pairs{});
  EXPECT_EQ(Runs(10), (Pairs{{1, 10}}));
  EXPECT_EQ(Runs(255), (Pairs{{1, 255}}));
  EXPECT_EQ(Runs(600), (Pairs{{2, 255}, {1, 90}}));
  EXPECT_EQ(Runs(255 * 255 + 1), (Pairs{{255, 255}, {1, 1}}));
}

// A 5 × 6 image of 10-byte pixels at DRAM 1000 (row stride 60), 8 lanes, zero point 7.
ImageWindow Window(std::int64_t y0, std::int64_t y1, std::int64_t x0, std::int64_t x1) {
  ImageWindow w;
  w.dram = 1000;
  w.height = 5;
  w.width = 6;
  w.stride_y = 60;
  w.stride_x = 10;
  w.y0 = y0;
  w.y1 = y1;
  w.x0 = x0;
  w.x1 = x1;
  w.lanes = 8;
  w.fill = 7;
  return w;
}

TEST(DmaTest, StridedPaddedWindowIsOneLoad) {
  std::vector<LoweredOp> ops;
  // Rows −1..3, columns −2..2: one row of padding on top, two columns on the left.
  LoadWindow(ops, 32, Window(-1, 4, -2, 3), "top left");
  ASSERT_EQ(ops.size(), 1u);
  const isa::LoadSp in = std::get<isa::LoadSp>(ops[0].inst);
  EXPECT_EQ(ops[0].comment, "top left");
  EXPECT_EQ(in.sram, 32u);
  EXPECT_EQ(in.dram, 1000u);
  EXPECT_EQ(in.ny, 5u);
  EXPECT_EQ(in.nx, 5u);
  EXPECT_EQ(in.stride_y, 60u);
  EXPECT_EQ(in.stride_x, 10u);
  EXPECT_EQ(in.pad_top, 1u);
  EXPECT_EQ(in.pad_bottom, 0u);
  EXPECT_EQ(in.pad_left, 2u);
  EXPECT_EQ(in.pad_right, 0u);
  EXPECT_EQ(in.lanes, 8u);
  EXPECT_EQ(in.fill, 7u);

  // Rows 3..6, columns 4..7: two rows and columns past the bottom right corner.
  ops.clear();
  LoadWindow(ops, 0, Window(3, 7, 4, 8), "bottom right");
  ASSERT_EQ(ops.size(), 1u);
  const isa::LoadSp br = std::get<isa::LoadSp>(ops[0].inst);
  EXPECT_EQ(br.dram, 1000u + 3 * 60 + 4 * 10);
  EXPECT_EQ(br.ny, 4u);
  EXPECT_EQ(br.nx, 4u);
  EXPECT_EQ(br.pad_top, 0u);
  EXPECT_EQ(br.pad_bottom, 2u);
  EXPECT_EQ(br.pad_left, 0u);
  EXPECT_EQ(br.pad_right, 2u);
}

TEST(DmaTest, PaddingWiderThanTheFieldsIsSplit) {
  std::vector<LoweredOp> ops;
  // Rows 0..1, columns −5..2: five columns of padding (at most 3 fit a field).
  LoadWindow(ops, 100, Window(0, 2, -5, 3), "wide");
  // Per row: the padding (a padding-only load), then the row's 3 pixels.
  ASSERT_EQ(ops.size(), 4u);
  const std::vector<isa::LoadSp> loads = OfType<isa::LoadSp>(ops);
  EXPECT_EQ(loads[0].sram, 100u);
  EXPECT_EQ(loads[0].ny, 1u);
  EXPECT_EQ(loads[0].nx, 5u);
  EXPECT_EQ(loads[0].pad_top, 1u);  // all padding: no DRAM read
  EXPECT_EQ(loads[0].fill, 7u);
  EXPECT_EQ(loads[1].sram, 105u);
  EXPECT_EQ(loads[1].dram, 1000u);
  EXPECT_EQ(loads[1].ny, 1u);
  EXPECT_EQ(loads[1].nx, 3u);
  EXPECT_EQ(loads[1].stride_x, 10u);
  EXPECT_EQ(loads[1].pad_left, 0u);
  EXPECT_EQ(loads[2].sram, 108u);
  EXPECT_EQ(loads[3].sram, 113u);
  EXPECT_EQ(loads[3].dram, 1060u);
}

TEST(DmaTest, AWindowOutsideTheImageIsAllPadding) {
  std::vector<LoweredOp> ops;
  LoadWindow(ops, 0, Window(6, 8, 0, 3), "below");
  ASSERT_EQ(ops.size(), 1u);
  const isa::LoadSp in = std::get<isa::LoadSp>(ops[0].inst);
  // The 2 × 3 rows as one padding-only grid row of 6.
  EXPECT_EQ(in.ny, 1u);
  EXPECT_EQ(in.nx, 6u);
  EXPECT_EQ(in.pad_top, 1u);
  EXPECT_EQ(in.pad_bottom, 0u);
  EXPECT_EQ(in.fill, 7u);
}

TEST(DmaTest, StridesTooLargeForTheirFieldsGoElementByElement) {
  std::vector<LoweredOp> ops;
  StoreRows(ops, 4, 0, 3, 20000, 4, 0, "far apart");  // 20,000 > 2^14 − 1
  const std::vector<isa::StoreSp> stores = OfType<isa::StoreSp>(ops);
  ASSERT_EQ(stores.size(), 3u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(stores[i].sram, 4u + i);
    EXPECT_EQ(stores[i].dram, 20000u * i);
    EXPECT_EQ(stores[i].nx, 1u);
    EXPECT_EQ(stores[i].stride_x, 0u);
  }
}

TEST(DmaTest, GridsOfMoreThan255RowsAreSplit) {
  std::vector<LoweredOp> ops;
  StoreGrid(ops, 10, 500, 300, 2, 64, 8, 4, 2, "tall");
  const std::vector<isa::StoreSp> stores = OfType<isa::StoreSp>(ops);
  ASSERT_EQ(stores.size(), 2u);
  EXPECT_EQ(stores[0].ny, 255u);
  EXPECT_EQ(stores[0].lane0, 2u);
  EXPECT_EQ(stores[1].sram, 10u + 255 * 2);
  EXPECT_EQ(stores[1].dram, 500u + 255 * 64);
  EXPECT_EQ(stores[1].ny, 45u);
  EXPECT_EQ(stores[1].nx, 2u);
  EXPECT_EQ(stores[1].stride_y, 64u);
  EXPECT_EQ(stores[1].stride_x, 8u);
}

TEST(DmaTest, ParameterRowsAreConsecutiveWords) {
  isa::ArchConfig arch;
  arch.cols = 8;
  std::vector<LoweredOp> ops;
  LoadParamRows(ops, arch, 2, 4096, 3, "params");
  ASSERT_EQ(ops.size(), 1u);
  const isa::LoadParam p = std::get<isa::LoadParam>(ops[0].inst);
  EXPECT_EQ(p.sram, 2u);
  EXPECT_EQ(p.dram, 4096u);
  EXPECT_EQ(p.nx, 3u);
  EXPECT_EQ(p.stride_x, 32u);
  EXPECT_EQ(p.lanes, 8u);
}

TEST(DmaTest, FieldsRefuseValuesTheyCannotHold) {
  EXPECT_EQ(Field(0xffffffffLL, "x"), 0xffffffffu);
  EXPECT_THROW(Field(-1, "row"), Error);
  try {
    Field(std::int64_t{1} << 32, "DRAM address");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "internal: DRAM address 4294967296 does not fit an instruction field");
  }
  std::vector<LoweredOp> ops;
  EXPECT_THROW(LoadWindow(ops, 0, Window(0, 1, 0, 256), "too wide"), Error);
  EXPECT_THROW(StoreGrid(ops, 0, 0, 1, 256, 0, 1, 4, 0, "too wide"), Error);
  EXPECT_TRUE(ops.empty());
}

}  // namespace
}  // namespace qsa::compiler

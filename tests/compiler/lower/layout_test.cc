// DRAM layouts: element offsets, reshapes and transposes that keep the bytes, rows views.
#include <gtest/gtest.h>

#include "compiler/lower/layout.h"

namespace qsa::compiler {
namespace {

TEST(LayoutTest, NhwcOffsetsOfAnImage) {
  const Layout l = DefaultLayout({1, 3, 2, 2});  // N, C, H, W stored as N, H, W, C
  ASSERT_EQ(l.perm, (std::vector<int>{0, 2, 3, 1}));
  const std::vector<std::int64_t> off = ElementOffsets(l);
  // Logical (c, h, w) = (1, 0, 1) is element 5 in C order; in NHWC it is pixel 1, channel 1.
  EXPECT_EQ(off[5], 1 * 3 + 1);
  // (2, 1, 1): element 11; pixel 3, channel 2.
  EXPECT_EQ(off[11], 3 * 3 + 2);
  EXPECT_EQ(DefaultLayout({4, 5}).perm, std::vector<int>{});
}

TEST(LayoutTest, TransposeToNhwcOfAnNhwcImageIsThePlainOrder) {
  const Layout t = TransposedLayout(DefaultLayout({1, 8, 4, 4}), {0, 2, 3, 1});
  EXPECT_EQ(t.shape, (golden::Shape{1, 4, 4, 8}));
  EXPECT_TRUE(t.perm.empty());
  // Transposing back gives the NHWC layout of the image again.
  const Layout back = TransposedLayout(t, {0, 3, 1, 2});
  EXPECT_TRUE(SameBytes(back, DefaultLayout({1, 8, 4, 4})));
}

TEST(LayoutTest, ReshapesKeepBytesOnlyWhenTheOrderAllows) {
  // [1, C, 1, 1] in NHWC is the same bytes as [1, C].
  EXPECT_TRUE(ReshapedLayout(DefaultLayout({1, 16, 1, 1}), {1, 16}).has_value());
  // [1, C, H, W] with H·W > 1 flattened in NCHW order is not NHWC's.
  EXPECT_FALSE(ReshapedLayout(DefaultLayout({1, 16, 2, 2}), {1, 64}).has_value());
  // A row-major matrix reshaped keeps its bytes.
  const auto r = ReshapedLayout(Layout{{6, 4}, {}}, {2, 3, 4});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->perm.empty());
}

TEST(LayoutTest, RowsViews) {
  const auto image = RowsOf(DefaultLayout({2, 5, 3, 3}), 1);
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(image->pixels, 18);
  EXPECT_EQ(image->channels, 5);
  EXPECT_EQ(image->pixel_stride, 5);
  const auto matrix = RowsOf(Layout{{7, 9}, {}}, 1);
  ASSERT_TRUE(matrix.has_value());
  EXPECT_EQ(matrix->pixels, 7);
  // An image stored NCHW is not rows of channels.
  EXPECT_FALSE(RowsOf(Layout{{1, 5, 3, 3}, {}}, 1).has_value());
  // ... unless it has one pixel.
  EXPECT_TRUE(RowsOf(Layout{{1, 5, 1, 1}, {}}, 1).has_value());
}

}  // namespace
}  // namespace qsa::compiler

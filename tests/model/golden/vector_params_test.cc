// The public parameters of the vector unit (model/golden/vector_params.h): what the compiler's
// add and pool lowerings read from the golden model.
#include "model/golden/vector_params.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "model/base/error.h"

namespace qsa::golden::ops {
namespace {

TensorInfo Info(const char* name, DType dtype, float scale, std::int32_t zero_point) {
  return TensorInfo{name, dtype, {1, 8}, QuantParams{{scale}, {zero_point}, -1}};
}

TEST(VectorParamsTest, ZeroPointAtPerTensorAndPerAxis) {
  EXPECT_EQ(ZeroPointAt(QuantParams{}, 3), 0);
  EXPECT_EQ(ZeroPointAt(QuantParams{{0.5f}, {7}, -1}, 3), 7);
  EXPECT_EQ(ZeroPointAt(QuantParams{{0.1f, 0.2f}, {3, 4}, 1}, 1), 4);
}

TEST(VectorParamsTest, QuantizedAddFromScales) {
  Node add;
  add.name = "add";
  add.op = "Add";
  // twice_max = 2 · max(0.5, 0.25) = 1: ma = 0.5, mb = 0.25, my = 1 / (2^20 · 1).
  const AddFixedPoint f = QuantizedAddFixedPoint(add, Info("a", DType::kUInt8, 0.5f, 3),
                                                 Info("b", DType::kUInt8, 0.25f, 9),
                                                 Info("y", DType::kUInt8, 1.0f, 128));
  EXPECT_EQ(f.left_shift, 20);
  EXPECT_EQ(f.ma, (FixedPointMultiplier{1 << 30, 0}));
  EXPECT_EQ(f.mb, (FixedPointMultiplier{1 << 30, -1}));
  EXPECT_EQ(f.my, (FixedPointMultiplier{1 << 30, -19}));
  EXPECT_EQ(f.za, 3);
  EXPECT_EQ(f.zb, 9);
  EXPECT_EQ(f.zy, 128);
  EXPECT_EQ(f.qmin, 0);
  EXPECT_EQ(f.qmax, 255);
}

TEST(VectorParamsTest, QuantizedAddRefusesAMissingScale) {
  Node add;
  add.name = "add";
  add.op = "Add";
  TensorInfo y{"y", DType::kInt8, {1, 8}, {}};
  EXPECT_THROW(QuantizedAddFixedPoint(add, Info("a", DType::kInt8, 0.5f, 0),
                                      Info("b", DType::kInt8, 0.5f, 0), y),
               Error);
}

TEST(VectorParamsTest, ReadWindowFloorAndCeil) {
  Node pool;
  pool.name = "pool";
  pool.op = "MaxPool";
  pool.attrs.Set("strides", std::vector<std::int64_t>{2, 2});
  pool.attrs.Set("pads", std::vector<std::int64_t>{1, 1, 0, 0});
  // (7 + 1 + 0 − 3) / 2 + 1: 3 windows rounding down, 4 rounding up (the last starts at 5 < 7).
  const Window2d floor = ReadWindow(pool, 7, 7, 3, 3, true);
  EXPECT_EQ(floor.out[0], 3);
  EXPECT_EQ(floor.out[1], 3);
  EXPECT_EQ(floor.Start(0, 0), -1);
  EXPECT_EQ(floor.TapsInside(0, 0), 2);
  EXPECT_EQ(floor.TapsInside(0, 1), 3);
  pool.attrs.Set("ceil_mode", std::int64_t{1});
  const Window2d ceil = ReadWindow(pool, 7, 7, 3, 3, true);
  EXPECT_EQ(ceil.out[0], 4);
  EXPECT_EQ(ceil.TapsInside(0, 3), 2);
  EXPECT_EQ(ReadWindow(pool, 7, 7, 3, 3, false).out[0], 3);  // ceil_mode only where allowed
  pool.attrs.Set("pads", std::vector<std::int64_t>{1, 1});
  EXPECT_THROW(ReadWindow(pool, 7, 7, 3, 3, true), Error);
}

// TapsInside counts in constant time; here against the tap-by-tap count, on random geometry
// including windows that start and end in the padding and dilations that skip the input.
TEST(VectorParamsTest, TapsInsideEqualsCountingEveryTap) {
  const std::uint64_t seed = 20261207;
  std::printf("[   SEED   ] %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 20000; ++trial) {
    Window2d w;
    w.in[0] = pick(1, 12);
    w.kernel[0] = pick(1, 9);
    w.stride[0] = pick(1, 4);
    w.dilation[0] = pick(1, 7);
    w.pad_begin[0] = pick(0, 20);
    for (std::int64_t o = 0; o < 12; ++o) {
      std::int64_t count = 0;
      for (std::int64_t k = 0; k < w.kernel[0]; ++k) {
        const std::int64_t p = w.Start(0, o) + k * w.dilation[0];
        if (p >= 0 && p < w.in[0]) ++count;
      }
      ASSERT_EQ(w.TapsInside(0, o), count)
          << "in " << w.in[0] << " kernel " << w.kernel[0] << " stride " << w.stride[0]
          << " dilation " << w.dilation[0] << " pad " << w.pad_begin[0] << " output " << o;
    }
  }
  // A kernel of 2^30 taps is counted at once.
  Window2d huge;
  huge.in[1] = 5;
  huge.kernel[1] = std::int64_t{1} << 30;
  huge.pad_begin[1] = 3;
  EXPECT_EQ(huge.TapsInside(1, 0), 5);
  EXPECT_EQ(huge.TapsInside(1, 6), 2);  // starts at 3: taps 3 and 4
  EXPECT_EQ(huge.TapsInside(1, 8), 0);  // starts at 5, past the input
  huge.out[1] = 8;
  EXPECT_FALSE(huge.SomeWindowOnlyInPadding());  // outputs 0..7 start at -3..4
  huge.out[1] = 9;
  EXPECT_TRUE(huge.SomeWindowOnlyInPadding());  // output 8 starts at 5
}

}  // namespace
}  // namespace qsa::golden::ops

// The data-path semantics of each instruction (docs/isa.md, "Semantics" and "Counters") on tiny
// states with values worked out by hand in the comments: padding and fill, lanes, strides,
// signedness, wrap-around, accumulate and overwrite, weight preload and reuse, the three post
// layouts (COLS = ROWS, COLS > ROWS, COLS < ROWS), every out-of-bounds path with its message,
// every illegal field value, the counters of each instruction and the write records.
#include "model/isa/executor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "testkit/isa_test.h"

namespace qsa::isa {
namespace {

using testkit::isa_test::Arch;
using testkit::isa_test::Machine;

constexpr std::int32_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kHalf = 1 << 30;  // multiplier 0.5 in Q31

// ---- State helpers --------------------------------------------------------------------------

void SetSp(Machine& m, std::int64_t row, const std::vector<int>& lanes) {
  std::span<std::uint8_t> r = m.state().ScratchpadRow(row);
  for (std::size_t l = 0; l < lanes.size(); ++l) r[l] = static_cast<std::uint8_t>(lanes[l] & 0xFF);
}
std::vector<int> Sp(Machine& m, std::int64_t row) {
  std::span<std::uint8_t> r = m.state().ScratchpadRow(row);
  return std::vector<int>(r.begin(), r.end());
}
void SetAcc(Machine& m, std::int64_t row, const std::vector<std::int32_t>& lanes) {
  std::span<std::int32_t> r = m.state().AccumulatorRow(row);
  for (std::size_t l = 0; l < lanes.size(); ++l) r[l] = lanes[l];
}
std::vector<std::int32_t> Acc(Machine& m, std::int64_t row) {
  std::span<std::int32_t> r = m.state().AccumulatorRow(row);
  return std::vector<std::int32_t>(r.begin(), r.end());
}
void SetParam(Machine& m, std::int64_t row, const std::vector<std::int32_t>& lanes) {
  std::span<std::int32_t> r = m.state().ParamRow(row);
  for (std::size_t l = 0; l < lanes.size(); ++l) r[l] = lanes[l];
}
std::vector<std::int32_t> Param(Machine& m, std::int64_t row) {
  std::span<std::int32_t> r = m.state().ParamRow(row);
  return std::vector<std::int32_t>(r.begin(), r.end());
}
std::vector<int> DramBytes(Machine& m, std::size_t addr, std::size_t n) {
  return std::vector<int>(m.state().dram.begin() + static_cast<std::ptrdiff_t>(addr),
                          m.state().dram.begin() + static_cast<std::ptrdiff_t>(addr + n));
}

// The post parameter words: shifts `lsh | rsh << 8`, output format
// `zp | qmin << 8 | qmax << 16 | signed << 24` (bytes as given, raw).
std::int32_t Shifts(int lsh, int rsh) { return lsh | (rsh << 8); }
std::int32_t Format(int zp, int qmin, int qmax, bool is_signed) {
  return (zp & 0xFF) | ((qmin & 0xFF) << 8) | ((qmax & 0xFF) << 16) | (is_signed ? 1 << 24 : 0);
}

// FNV-1a 64 of the element address (8 bytes LE) and value (`bytes` bytes LE), written here from
// the definition (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
std::uint64_t RefElementHash(std::uint64_t address, std::uint32_t value, int bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::uint64_t byte) { h = (h ^ byte) * 0x100000001b3ull; };
  for (int k = 0; k < 8; ++k) mix((address >> (8 * k)) & 0xFF);
  for (int k = 0; k < bytes; ++k) mix((value >> (8 * k)) & 0xFF);
  return h;
}

// The expected hash of scratchpad rows [first, first + count), all lanes, as they are now.
std::uint64_t SpRowsHash(Machine& m, std::int64_t first, std::int64_t count) {
  const std::int64_t rows = m.state().arch.rows;
  std::uint64_t h = 0;
  for (std::int64_t e = first * rows; e < (first + count) * rows; ++e) {
    h += RefElementHash(static_cast<std::uint64_t>(e),
                        m.state().scratchpad[static_cast<std::size_t>(e)], 1);
  }
  return h;
}

// Counters with only the named fields set, to compare with whole IsaCounters.
IsaCounters Counted(Opcode op, std::int64_t times = 1) {
  IsaCounters c;
  c.instructions = times;
  c.instructions_by_opcode[static_cast<std::size_t>(op)] = times;
  return c;
}

// The state and results a failing instruction must leave untouched.
struct Snapshot {
  std::vector<std::uint8_t> dram, scratchpad;
  std::vector<std::int32_t> accumulator, param;
  std::vector<std::int8_t> weights;
  IsaCounters counters;
  std::size_t writes = 0;
  explicit Snapshot(Machine& m)
      : dram(m.state().dram),
        scratchpad(m.state().scratchpad),
        accumulator(m.state().accumulator),
        param(m.state().param),
        weights(m.state().weights),
        counters(m.counters()),
        writes(m.writes().size()) {}
  bool operator==(const Snapshot& other) const = default;
};

// Runs `in` and expects exactly `message`, with nothing written or counted.
void ExpectError(Machine& m, const Instruction& in, const std::string& message) {
  const Snapshot before(m);
  EXPECT_EQ(m.ErrorOf(in), message);
  EXPECT_TRUE(Snapshot(m) == before) << "the failing instruction changed the state: " << message;
}

// A 4×4 machine with 256 bytes of DRAM where byte a holds a.
Machine Small() {
  Machine m(Arch("4x4"), 256);
  for (std::size_t a = 0; a < 256; ++a) m.state().dram[a] = static_cast<std::uint8_t>(a);
  return m;
}

// ---- State ------------------------------------------------------------------------------------

TEST(IsaState, SizesFollowTheArchitecture) {
  Machine m(Arch("8x16"), 100);
  const IsaState& s = m.state();
  EXPECT_EQ(s.dram.size(), 100u);
  EXPECT_EQ(s.scratchpad.size(), 32u * 1024);       // 4096 rows of 8 bytes
  EXPECT_EQ(s.accumulator.size(), 32u * 1024 / 4);  // 512 rows of 16 words
  EXPECT_EQ(s.param.size(), 128u * 16);
  EXPECT_EQ(s.weights.size(), 8u * 16);
  EXPECT_EQ(m.state().ScratchpadRow(4095).size(), 8u);
  EXPECT_EQ(m.state().AccumulatorRow(511).size(), 16u);
  EXPECT_EQ(m.state().ParamRow(127).size(), 16u);
  EXPECT_THROW(m.state().ScratchpadRow(4096), Error);
  EXPECT_THROW(m.state().AccumulatorRow(-1), Error);
  EXPECT_THROW(m.state().ParamRow(128), Error);
  EXPECT_EQ(MemoryName(Memory::kParam), "parameter buffer");
}

// ---- Loads ------------------------------------------------------------------------------------

TEST(IsaExecLoad, LoadSpPadsFillsAndStrides) {
  Machine m = Small();
  LoadSp in;
  in.sram = 2;
  in.dram = 0x10;
  in.ny = 3;
  in.nx = 3;
  in.stride_y = 0x20;
  in.stride_x = 4;
  in.pad_top = 1;
  in.pad_right = 1;
  in.lanes = 3;
  in.fill = 0xAA;
  m.Run(in);
  // Grid row 0 and column 2 are padding; element (y, x) inside reads 0x10 + (y−1)·0x20 + x·4.
  for (int row : {2, 3, 4, 7, 10})
    EXPECT_EQ(Sp(m, row), (std::vector<int>{0xAA, 0xAA, 0xAA, 0xAA}));
  EXPECT_EQ(Sp(m, 5), (std::vector<int>{0x10, 0x11, 0x12, 0xAA}));
  EXPECT_EQ(Sp(m, 6), (std::vector<int>{0x14, 0x15, 0x16, 0xAA}));
  EXPECT_EQ(Sp(m, 8), (std::vector<int>{0x30, 0x31, 0x32, 0xAA}));
  EXPECT_EQ(Sp(m, 9), (std::vector<int>{0x34, 0x35, 0x36, 0xAA}));
  EXPECT_EQ(Sp(m, 1), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(Sp(m, 11), (std::vector<int>{0, 0, 0, 0}));

  IsaCounters want = Counted(Opcode::kLoadSp);
  want.dram.bytes_read = 4 * 3;           // 4 elements inside, 3 lanes each
  want.scratchpad.bytes_written = 9 * 4;  // 9 rows of ROWS bytes
  EXPECT_EQ(m.counters(), want);
  ASSERT_EQ(m.writes().size(), 1u);
  EXPECT_EQ(m.writes()[0], (WriteRecord{0, Memory::kScratchpad, 2, 9, SpRowsHash(m, 2, 9)}));
}

TEST(IsaExecLoad, LoadOfPaddingOnlyReadsNoDram) {
  Machine m = Small();
  LoadSp in;
  in.dram = 0xFFFFFF00;  // far outside the DRAM, but never read
  in.ny = 2;
  in.nx = 1;
  in.pad_top = 1;
  in.pad_bottom = 1;
  in.lanes = 4;
  in.fill = 7;
  m.Run(in);
  EXPECT_EQ(Sp(m, 0), (std::vector<int>{7, 7, 7, 7}));
  EXPECT_EQ(Sp(m, 1), (std::vector<int>{7, 7, 7, 7}));
  EXPECT_EQ(m.counters().dram.bytes_read, 0);
  EXPECT_EQ(m.counters().scratchpad.bytes_written, 8);
}

TEST(IsaExecLoad, LoadAccReadsLittleEndianInt32AndSignExtendsFill) {
  Machine m(Arch("4x4"), 64);
  m.PutInt32(0, std::vector<std::int32_t>{1, -2, kInt32Max, kInt32Min, 5, 6, 7, 8});
  LoadAcc in;
  in.sram = 1;
  in.dram = 0;
  in.ny = 1;
  in.nx = 3;
  in.stride_x = 16;
  in.pad_left = 1;
  in.lanes = 3;
  in.fill = 0xFE;  // −2
  m.Run(in);
  EXPECT_EQ(Acc(m, 1), (std::vector<std::int32_t>{-2, -2, -2, -2}));  // padding column
  EXPECT_EQ(Acc(m, 2), (std::vector<std::int32_t>{1, -2, kInt32Max, -2}));
  EXPECT_EQ(Acc(m, 3), (std::vector<std::int32_t>{5, 6, 7, -2}));
  IsaCounters want = Counted(Opcode::kLoadAcc);
  want.dram.bytes_read = 2 * 3 * 4;
  want.accumulator.bytes_written = 3 * 4 * 4;  // 3 rows of COLS int32
  EXPECT_EQ(m.counters(), want);
  ASSERT_EQ(m.writes().size(), 1u);
  EXPECT_EQ(m.writes()[0].memory, Memory::kAccumulator);
  EXPECT_EQ(m.writes()[0].first, 1);
  EXPECT_EQ(m.writes()[0].extent, 3);
}

TEST(IsaExecLoad, LoadParamStridesRowsAndFillsPositive) {
  Machine m(Arch("4x4"), 64);
  m.PutInt32(0, std::vector<std::int32_t>{1, -2, kInt32Max, kInt32Min, 5, 6, 7, 8});
  LoadParam in;
  in.sram = 3;
  in.dram = 4;
  in.ny = 2;
  in.nx = 1;
  in.stride_y = 8;
  in.lanes = 2;
  in.fill = 5;
  m.Run(in);
  EXPECT_EQ(Param(m, 3), (std::vector<std::int32_t>{-2, kInt32Max, 5, 5}));
  EXPECT_EQ(Param(m, 4), (std::vector<std::int32_t>{kInt32Min, 5, 5, 5}));
  IsaCounters want = Counted(Opcode::kLoadParam);
  want.dram.bytes_read = 2 * 2 * 4;
  want.param.bytes_written = 2 * 4 * 4;
  EXPECT_EQ(m.counters(), want);
  ASSERT_EQ(m.writes().size(), 1u);
  // Word addresses row·COLS + lane: 12..19, values as stored.
  std::uint64_t h = 0;
  for (std::uint64_t e = 12; e < 20; ++e) {
    h += RefElementHash(e, static_cast<std::uint32_t>(m.state().param[e]), 4);
  }
  EXPECT_EQ(m.writes()[0], (WriteRecord{0, Memory::kParam, 3, 2, h}));
}

// ---- Stores -----------------------------------------------------------------------------------

TEST(IsaExecStore, StoreSpWritesALaneRangeWithStrides) {
  Machine m(Arch("4x4"), 256);
  std::fill(m.state().dram.begin(), m.state().dram.end(), 0xEE);
  for (int row = 10; row < 14; ++row)
    SetSp(m, row, {16 * row, 16 * row + 1, 16 * row + 2, 16 * row + 3});
  StoreSp in;
  in.sram = 10;
  in.dram = 0x40;
  in.ny = 2;
  in.nx = 2;
  in.stride_y = 0x10;
  in.stride_x = 3;
  in.lanes = 2;
  in.lane0 = 1;
  m.Run(in);
  // Element (y, x) = row 10 + 2y + x, lanes 1..2, at 0x40 + 0x10·y + 3·x.
  EXPECT_EQ(DramBytes(m, 0x40, 7), (std::vector<int>{161, 162, 0xEE, 177, 178, 0xEE, 0xEE}));
  EXPECT_EQ(DramBytes(m, 0x50, 6), (std::vector<int>{193, 194, 0xEE, 209, 210, 0xEE}));
  IsaCounters want = Counted(Opcode::kStoreSp);
  want.scratchpad.bytes_read = 4 * 4;
  want.dram.bytes_written = 4 * 2;
  EXPECT_EQ(m.counters(), want);
  ASSERT_EQ(m.writes().size(), 1u);
  const std::uint64_t h = RefElementHash(0x40, 161, 1) + RefElementHash(0x41, 162, 1) +
                          RefElementHash(0x43, 177, 1) + RefElementHash(0x44, 178, 1) +
                          RefElementHash(0x50, 193, 1) + RefElementHash(0x51, 194, 1) +
                          RefElementHash(0x53, 209, 1) + RefElementHash(0x54, 210, 1);
  EXPECT_EQ(m.writes()[0], (WriteRecord{0, Memory::kDram, 0x40, 0x15, h}));
}

TEST(IsaExecStore, LaterElementsOverwriteEarlierOnes) {
  Machine m(Arch("4x4"), 256);
  for (int row = 10; row < 13; ++row) SetSp(m, row, {row, 0, 0, 0});
  StoreSp in;
  in.sram = 10;
  in.dram = 0x80;
  in.ny = 1;
  in.nx = 3;
  in.stride_x = 0;  // all three elements to the same byte
  in.lanes = 1;
  m.Run(in);
  EXPECT_EQ(m.state().dram[0x80], 12);
  EXPECT_EQ(m.counters().dram.bytes_written, 3);
  // The record holds the address once, with its final value.
  EXPECT_EQ(m.writes()[0], (WriteRecord{0, Memory::kDram, 0x80, 1, RefElementHash(0x80, 12, 1)}));
}

TEST(IsaExecStore, StoreAccWritesRawLittleEndianInt32) {
  Machine m(Arch("4x4"), 64);
  SetAcc(m, 2, {1, -2, 0x12345678, kInt32Min});
  StoreAcc in;
  in.sram = 2;
  in.dram = 0x20;
  in.ny = 1;
  in.nx = 1;
  in.lanes = 2;
  in.lane0 = 1;
  m.Run(in);
  EXPECT_EQ(DramBytes(m, 0x20, 9),
            (std::vector<int>{0xFE, 0xFF, 0xFF, 0xFF, 0x78, 0x56, 0x34, 0x12, 0}));
  IsaCounters want = Counted(Opcode::kStoreAcc);
  want.accumulator.bytes_read = 4 * 4;
  want.dram.bytes_written = 8;
  EXPECT_EQ(m.counters(), want);
  EXPECT_EQ(m.writes()[0].first, 0x20);
  EXPECT_EQ(m.writes()[0].extent, 8);
}

// ---- gemm -------------------------------------------------------------------------------------

// Weight tile at rows 20..23 (row c = output lane c's weights), activations at rows 0..3.
//   W = [[1, 2, 3, 4], [−1, 0, 1, 0], [127, −128, 0, 0], [0, 0, 0, −1]]
//   x0 = [1, 1, 1, 1], x1 = [255, 0, 0, 0], x2 = [0, 255, 0, 2], x3 = [10, 20, 30, 40]
Machine GemmMachine() {
  Machine m(Arch("4x4"), 16);
  SetSp(m, 20, {1, 2, 3, 4});
  SetSp(m, 21, {-1, 0, 1, 0});
  SetSp(m, 22, {127, -128, 0, 0});
  SetSp(m, 23, {0, 0, 0, -1});
  SetSp(m, 0, {1, 1, 1, 1});
  SetSp(m, 1, {255, 0, 0, 0});
  SetSp(m, 2, {0, 255, 0, 2});
  SetSp(m, 3, {10, 20, 30, 40});
  return m;
}

// W·x per activation row, unsigned: x0 → [10, 0, −1, −1]; x1 → [255, −255, 32385, 0];
// x2 → [518, 0, −32640, −2]; x3 → [300, 20, −1290, −40].
const std::vector<std::vector<std::int32_t>> kUnsignedProducts = {
    {10, 0, -1, -1}, {255, -255, 32385, 0}, {518, 0, -32640, -2}, {300, 20, -1290, -40}};

Gemm GemmOver(std::uint32_t act, std::uint32_t n_inner, std::uint32_t acc) {
  Gemm g;
  g.act = act;
  g.act_inner = 1;
  g.n_outer = 1;
  g.n_inner = n_inner;
  g.acc = acc;
  g.k_lanes = 4;
  g.n_lanes = 4;
  return g;
}

TEST(IsaExecGemm, PreloadsAndStreamsUnsignedActivations) {
  Machine m = GemmMachine();
  Gemm g = GemmOver(0, 4, 5);
  g.w = 20;
  g.preload = true;
  g.k_lanes = 3;
  g.n_lanes = 2;
  m.Run(g);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(Acc(m, 5 + i), kUnsignedProducts[static_cast<std::size_t>(i)]) << i;
  IsaCounters want = Counted(Opcode::kGemm);
  want.macs_issued = 4 * 16;
  want.macs_useful = 4 * 3 * 2;
  want.scratchpad.bytes_read = (4 + 4) * 4;  // 4 activation rows + COLS weight rows
  want.accumulator.bytes_written = 4 * 16;
  EXPECT_EQ(m.counters(), want);
  // The resident tile: element [c·ROWS + r] is W[c][r].
  EXPECT_EQ(m.state().weights[2 * 4 + 0], 127);
  EXPECT_EQ(m.state().weights[2 * 4 + 1], -128);
  EXPECT_EQ(m.state().weights[3 * 4 + 3], -1);
}

TEST(IsaExecGemm, ReusesTheResidentTileWithSignedActivations) {
  Machine m = GemmMachine();
  Gemm first = GemmOver(0, 1, 0);
  first.w = 20;
  first.preload = true;
  m.Run(first);
  SetSp(m, 20, {0, 0, 0, 0});  // changing the scratchpad does not change the resident tile
  Gemm g = GemmOver(1, 2, 10);
  g.act_signed = true;
  m.Run(g);
  // x1 = [−1, 0, 0, 0] → [−1, 1, −127, 0]; x2 = [0, −1, 0, 2] → [6, 0, 128, −2].
  EXPECT_EQ(Acc(m, 10), (std::vector<std::int32_t>{-1, 1, -127, 0}));
  EXPECT_EQ(Acc(m, 11), (std::vector<std::int32_t>{6, 0, 128, -2}));
  EXPECT_EQ(m.counters().scratchpad.bytes_read, (1 + 4) * 4 + 2 * 4);  // no preload: no tile rows
}

TEST(IsaExecGemm, WeightsAreZeroUntilTheFirstPreload) {
  Machine m = GemmMachine();
  SetAcc(m, 0, {9, 9, 9, 9});
  m.Run(GemmOver(3, 1, 0));
  EXPECT_EQ(Acc(m, 0), (std::vector<std::int32_t>{0, 0, 0, 0}));
}

TEST(IsaExecGemm, AccumulatesWithWrapAround) {
  Machine m = GemmMachine();
  Gemm first = GemmOver(0, 1, 5);
  first.w = 20;
  first.preload = true;
  m.Run(first);
  SetAcc(m, 30, {kInt32Max, kInt32Min, 0, 0});
  Gemm add = GemmOver(3, 1, 5);
  add.accumulate = true;
  m.Run(add);
  Gemm wrap = GemmOver(3, 1, 30);
  wrap.accumulate = true;
  m.Run(wrap);
  // Row 5 = x0 + x3 products; row 30 wraps modulo 2^32.
  EXPECT_EQ(Acc(m, 5), (std::vector<std::int32_t>{310, 20, -1291, -41}));
  EXPECT_EQ(Acc(m, 30), (std::vector<std::int32_t>{kInt32Min + 299, kInt32Min + 20, -1290, -40}));
  // Accumulating gemms read their accumulator rows.
  EXPECT_EQ(m.counters().accumulator.bytes_read, 2 * 16);
  EXPECT_EQ(m.counters().accumulator.bytes_written, 3 * 16);
}

TEST(IsaExecGemm, TwoLevelLoopAddressesActivationAndAccumulatorRows) {
  Machine m = GemmMachine();
  SetAcc(m, 42, {7, 7, 7, 7});
  Gemm g = GemmOver(0, 2, 40);
  g.w = 20;
  g.preload = true;
  g.n_outer = 2;
  g.act_outer = 2;
  g.acc_outer = 3;
  m.Run(g);
  // (i, j) reads row 2i + j and writes row 40 + 3i + j: rows 40, 41, 43, 44; 42 is untouched.
  EXPECT_EQ(Acc(m, 40), kUnsignedProducts[0]);
  EXPECT_EQ(Acc(m, 41), kUnsignedProducts[1]);
  EXPECT_EQ(Acc(m, 42), (std::vector<std::int32_t>{7, 7, 7, 7}));
  EXPECT_EQ(Acc(m, 43), kUnsignedProducts[2]);
  EXPECT_EQ(Acc(m, 44), kUnsignedProducts[3]);
  std::uint64_t h = 0;
  for (std::uint64_t row : {40, 41, 43, 44}) {
    for (std::uint64_t c = 0; c < 4; ++c) {
      h += RefElementHash(row * 4 + c,
                          static_cast<std::uint32_t>(m.state().accumulator[row * 4 + c]), 4);
    }
  }
  EXPECT_EQ(m.writes().back(), (WriteRecord{0, Memory::kAccumulator, 40, 5, h}));
}

TEST(IsaExecGemm, ActivationStrideZeroRepeatsARow) {
  Machine m = GemmMachine();
  Gemm g = GemmOver(3, 3, 0);
  g.w = 20;
  g.preload = true;
  g.act_inner = 0;
  m.Run(g);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Acc(m, i), kUnsignedProducts[3]);
}

// ---- post -------------------------------------------------------------------------------------

// Accumulator rows 0 and 1, parameter rows 0..3 of a 4×4 post, per lane:
//   lane 0: M = 0.5 · 2^−2, zp 3, uint8:       1000 → SRDHM 500 → RDBP(500, 2) = 125 → 128;
//                                                 0 → 3
//   lane 1: M = 0.5 · 2^−8, zp −5, int8:      −1000 → SRDHM −500 → RDBP(−500, 8) = −2 → −7;
//                                              40000 → 20000 → RDBP(20000, 8) = 78 → 73
//   lane 2: bias 28, M = 0.75 · 2, [10, 200]:  100+28 → 256 · 0.75 = 192;
//                                               −5+28 → 46 · 0.75 = 34.5, ties up → 35
//   lane 3: bias 1, M = 0.5 · 2:                 7+1 → 16 · 0.5 = 8;
//                               INT32_MAX+1 wraps to INT32_MIN → sat(−2^32)·0.5 = −2^30 → 0
Machine PostMachine() {
  Machine m(Arch("4x4"), 16);
  SetAcc(m, 0, {1000, -1000, 100, 7});
  SetAcc(m, 1, {0, 40000, -5, kInt32Max});
  SetParam(m, 0, {0, 0, 28, 1});
  SetParam(m, 1, {kHalf, kHalf, kHalf + (1 << 29), kHalf});
  SetParam(m, 2, {Shifts(0, 2), Shifts(0, 8), Shifts(1, 0), Shifts(1, 0)});
  SetParam(m, 3,
           {Format(3, 0, 255, false), Format(-5, -128, 127, true), Format(0, 10, 200, false),
            Format(0, 0, 255, false)});
  return m;
}

Post PostOver(std::uint32_t n, std::uint32_t dst, std::uint32_t n_lanes) {
  Post p;
  p.acc = 0;
  p.n = n;
  p.dst = dst;
  p.dst_stride = 1;
  p.n_lanes = n_lanes;
  return p;
}

TEST(IsaExecPost, BiasRequantizesAddsZeroPointAndClamps) {
  Machine m = PostMachine();
  SetSp(m, 101, {0x55, 0x55, 0x55, 0x55});
  Post p = PostOver(2, 100, 4);
  p.dst_stride = 2;
  m.Run(p);
  EXPECT_EQ(Sp(m, 100), (std::vector<int>{128, 0xF9, 192, 8}));
  EXPECT_EQ(Sp(m, 101), (std::vector<int>{0x55, 0x55, 0x55, 0x55}));
  EXPECT_EQ(Sp(m, 102), (std::vector<int>{3, 73, 35, 0}));
  IsaCounters want = Counted(Opcode::kPost);
  want.accumulator.bytes_read = 2 * 16;
  want.scratchpad.bytes_written = 2 * 4;  // n_lanes bytes per accumulator row
  want.param.bytes_read = 16 * 4;
  EXPECT_EQ(m.counters(), want);
  EXPECT_EQ(m.writes()[0].first, 100);
  EXPECT_EQ(m.writes()[0].extent, 3);
}

TEST(IsaExecPost, WritesOnlyNLanes) {
  Machine m = PostMachine();
  SetSp(m, 7, {0x55, 0x55, 0x55, 0x55});
  m.Run(PostOver(1, 7, 2));
  EXPECT_EQ(Sp(m, 7), (std::vector<int>{128, 0xF9, 0x55, 0x55}));
  // Only the two lanes written enter the record.
  EXPECT_EQ(m.writes()[0].hash, RefElementHash(28, 128, 1) + RefElementHash(29, 0xF9, 1));
}

TEST(IsaExecPost, SingleRoundingRoundsOnce) {
  // 5 · 0.25 = 1.25: two roundings give SRDHM(5, 2^30) = 3, RDBP(3, 1) = 2; one rounding gives 1.
  for (bool single : {false, true}) {
    Machine m(Arch("4x4"), 16);
    SetAcc(m, 0, {5, 0, 0, 0});
    SetParam(m, 1, {kHalf, 0, 0, 0});
    SetParam(m, 2, {Shifts(0, 1), 0, 0, 0});
    SetParam(m, 3, {Format(0, 0, 255, false), 0, 0, 0});
    Post p = PostOver(1, 0, 1);
    p.single_rounding = single;
    m.Run(p);
    EXPECT_EQ(Sp(m, 0)[0], single ? 1 : 2);
  }
}

// M = 1 (0.5 · 2^1), zp 0, uint8 [0, 255] in every lane: y = the accumulator.
void IdentityPostParams(Machine& m, int cols) {
  SetParam(m, 1, std::vector<std::int32_t>(static_cast<std::size_t>(cols), kHalf));
  SetParam(m, 2, std::vector<std::int32_t>(static_cast<std::size_t>(cols), Shifts(1, 0)));
  SetParam(m, 3,
           std::vector<std::int32_t>(static_cast<std::size_t>(cols), Format(0, 0, 255, false)));
}

TEST(IsaExecPost, WideArrayFillsChannelBlocksBlkStrideApart) {
  // 8×16: an accumulator row of 16 lanes fills two scratchpad rows of 8 lanes.
  Machine m(Arch("8x16"), 16);
  std::vector<std::int32_t> row0, row1;
  for (int c = 0; c < 16; ++c) {
    row0.push_back(8 * c);
    row1.push_back(8 * c + 1);
  }
  SetAcc(m, 0, row0);
  SetAcc(m, 1, row1);
  IdentityPostParams(m, 16);
  SetSp(m, 15, std::vector<int>(8, 0x55));
  Post p = PostOver(2, 10, 12);
  p.blk_stride = 5;
  m.Run(p);
  // Row i: lanes 0..7 → row 10 + i, lanes 8..11 → row 15 + i lanes 0..3.
  EXPECT_EQ(Sp(m, 10), (std::vector<int>{0, 8, 16, 24, 32, 40, 48, 56}));
  EXPECT_EQ(Sp(m, 11), (std::vector<int>{1, 9, 17, 25, 33, 41, 49, 57}));
  EXPECT_EQ(Sp(m, 15), (std::vector<int>{64, 72, 80, 88, 0x55, 0x55, 0x55, 0x55}));
  EXPECT_EQ(Sp(m, 16), (std::vector<int>{65, 73, 81, 89, 0, 0, 0, 0}));
  EXPECT_EQ(m.counters().scratchpad.bytes_written, 2 * 12);
  EXPECT_EQ(m.counters().param.bytes_read, 16 * 16);
  EXPECT_EQ(m.writes()[0].first, 10);
  EXPECT_EQ(m.writes()[0].extent, 7);  // rows 10..16
}

TEST(IsaExecPost, NarrowArrayWritesPartOfARowAtDstLane) {
  // 8×4: an accumulator row of 4 lanes fills lanes [dst_lane, dst_lane + 4) of one row.
  Machine m(testkit::isa_test::Arch8x4(), 16);
  SetAcc(m, 0, {1, 2, 3, 4});
  IdentityPostParams(m, 4);
  SetSp(m, 7, std::vector<int>(8, 0x55));
  Post p = PostOver(1, 7, 4);
  p.dst_lane = 4;
  m.Run(p);
  EXPECT_EQ(Sp(m, 7), (std::vector<int>{0x55, 0x55, 0x55, 0x55, 1, 2, 3, 4}));
  EXPECT_EQ(m.counters().scratchpad.bytes_written, 4);
}

// ---- vadd -------------------------------------------------------------------------------------

// Descriptor words of a vadd (docs/isa.md): zero points, signedness, clamp, left shift, three
// scalers (m, lsh, rsh).
std::vector<std::int32_t> VaddDescriptor(int za, int zb, int zy, bool a_signed, bool b_signed,
                                         bool y_signed, int qmin, int qmax, int left_shift,
                                         const std::vector<std::array<int, 3>>& scalers) {
  std::vector<std::int32_t> d = {(za & 0xFF) | ((zb & 0xFF) << 8) | ((zy & 0xFF) << 16) |
                                     (a_signed ? 1 << 24 : 0) | (b_signed ? 1 << 25 : 0) |
                                     (y_signed ? 1 << 26 : 0),
                                 (qmin & 0xFF) | ((qmax & 0xFF) << 8) | (left_shift << 16)};
  for (const auto& s : scalers) {
    d.push_back(s[0]);
    d.push_back(Shifts(s[1], s[2]));
  }
  return d;
}

// Puts descriptor words from word `param·COLS` on (they may span rows).
void SetDescriptor(Machine& m, std::int64_t param, const std::vector<std::int32_t>& words) {
  const std::int64_t cols = m.state().arch.cols;
  for (std::size_t k = 0; k < words.size(); ++k) {
    m.state().param.at(static_cast<std::size_t>(param * cols) + k) = words[k];
  }
}

// fa = SRDHM(da · 2^20, 0.5) = da · 2^19, fb = db · 2^19, y = SRDHM(fa + fb, 0.5) / 2^18 =
// da + db, exactly: y = (a − za) + (b − zb) + zy.
const std::vector<std::array<int, 3>> kUnitScalers = {{kHalf, 0, 0}, {kHalf, 0, 0}, {kHalf, 0, 18}};

TEST(IsaExecVadd, AddsUnsignedRowsWithClamp) {
  Machine m(Arch("4x4"), 16);
  SetDescriptor(m, 2, VaddDescriptor(10, 20, 5, false, false, false, 0, 200, 20, kUnitScalers));
  SetSp(m, 0, {10, 50, 0, 255});
  SetSp(m, 1, {11, 12, 13, 14});
  SetSp(m, 4, {20, 30, 255, 0});
  SetSp(m, 5, {20, 20, 20, 20});
  Vadd v;
  v.a = 0;
  v.b = 4;
  v.dst = 8;
  v.n = 2;
  v.param = 2;  // words 8..15: rows 2 and 3 of a 4-column buffer
  m.Run(v);
  // da = [0, 40, −10, 245], db = [0, 10, 235, −20]: 5 + [0, 50, 225, 225] → clamp 200.
  EXPECT_EQ(Sp(m, 8), (std::vector<int>{5, 55, 200, 200}));
  EXPECT_EQ(Sp(m, 9), (std::vector<int>{6, 7, 8, 9}));
  IsaCounters want = Counted(Opcode::kVadd);
  want.scratchpad.bytes_read = 2 * 2 * 4;
  want.scratchpad.bytes_written = 2 * 4;
  want.param.bytes_read = 32;
  EXPECT_EQ(m.counters(), want);
  EXPECT_EQ(m.writes()[0], (WriteRecord{0, Memory::kScratchpad, 8, 2, SpRowsHash(m, 8, 2)}));
}

TEST(IsaExecVadd, MixedSignednessInPlace) {
  Machine m(Arch("4x4"), 16);
  SetDescriptor(m, 0, VaddDescriptor(-2, 20, -3, true, false, true, -128, 127, 20, kUnitScalers));
  SetSp(m, 0, {0xFF, 0x80, 0x7F, 0});
  SetSp(m, 1, {20, 30, 255, 0});
  Vadd v;
  v.a = 0;
  v.b = 1;
  v.dst = 0;
  v.n = 1;
  m.Run(v);
  // a int8 [−1, −128, 127, 0] + 2; b uint8 − 20; sum − 3 = [−2, −119, 361, −21] → 127 clamp.
  EXPECT_EQ(Sp(m, 0), (std::vector<int>{0xFE, 0x89, 0x7F, 0xEB}));
}

// ---- pool -------------------------------------------------------------------------------------

// Pool descriptor word 0: zx | zy << 8 | qmin << 16 | qmax << 24 (raw bytes).
std::int32_t PoolFormat(int zx, int zy, int qmin, int qmax) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(zx & 0xFF) |
                                   static_cast<std::uint32_t>(zy & 0xFF) << 8 |
                                   static_cast<std::uint32_t>(qmin & 0xFF) << 16 |
                                   static_cast<std::uint32_t>(qmax & 0xFF) << 24);
}

// 3×3 input pixels at rows 0..8, pixel (y, x) lane r = 10·(3y + x) + r.
Machine PoolMachine() {
  Machine m(Arch("4x4"), 16);
  for (int p = 0; p < 9; ++p) SetSp(m, p, {10 * p, 10 * p + 1, 10 * p + 2, 10 * p + 3});
  return m;
}

Pool PoolOver(std::uint32_t in_h, std::uint32_t in_w, std::uint32_t out_h, std::uint32_t out_w,
              std::uint32_t k, std::uint32_t stride, std::uint32_t dst) {
  Pool p;
  p.src = 0;
  p.dst = dst;
  p.in_h = in_h;
  p.in_w = in_w;
  p.out_h = out_h;
  p.out_w = out_w;
  p.kh = p.kw = k;
  p.stride_h = p.stride_w = stride;
  p.dil_h = p.dil_w = 1;
  return p;
}

TEST(IsaExecPool, MaxIgnoresPadding) {
  Machine m = PoolMachine();
  SetDescriptor(m, 1, {0, 0});
  Pool p = PoolOver(3, 3, 2, 2, 2, 2, 20);
  p.pad_top = 1;
  p.pad_left = 1;
  p.max = true;
  p.param = 1;
  m.Run(p);
  // Windows: rows {0}, {1, 2} × columns {0}, {1, 2}; the max is the last pixel of each.
  EXPECT_EQ(Sp(m, 20), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(Sp(m, 21), (std::vector<int>{20, 21, 22, 23}));
  EXPECT_EQ(Sp(m, 22), (std::vector<int>{60, 61, 62, 63}));
  EXPECT_EQ(Sp(m, 23), (std::vector<int>{80, 81, 82, 83}));
  IsaCounters want = Counted(Opcode::kPool);
  want.scratchpad.bytes_read = (1 + 2 + 2 + 4) * 4;  // one row per tap read
  want.scratchpad.bytes_written = 4 * 4;
  want.param.bytes_read = 8;
  EXPECT_EQ(m.counters(), want);
}

TEST(IsaExecPool, MaxComparesAsTheDescriptorSays) {
  for (bool is_signed : {false, true}) {
    Machine m(Arch("4x4"), 16);
    SetSp(m, 0, {0xF0, 0x10, 0x80, 0x7F});
    SetSp(m, 1, {0x10, 0xF0, 0x7F, 0x80});
    SetDescriptor(m, 0, {0, is_signed ? 1 : 0});
    Pool p = PoolOver(1, 2, 1, 1, 1, 1, 5);
    p.kw = 2;
    p.max = true;
    m.Run(p);
    EXPECT_EQ(Sp(m, 5), is_signed ? (std::vector<int>{0x10, 0x10, 0x7F, 0x7F})
                                  : (std::vector<int>{0xF0, 0xF0, 0x80, 0x80}));
  }
}

TEST(IsaExecPool, AverageCountingPadding) {
  Machine m = PoolMachine();
  // zx 10, zy 1, uint8; entry 0: M = 0.5 · 2^−1 = 1/4.
  SetDescriptor(m, 0, {PoolFormat(10, 1, 0, 255), 2, kHalf, Shifts(0, 1)});
  Pool p = PoolOver(3, 3, 2, 2, 2, 1, 20);
  m.Run(p);
  // Output (0, 0) lane r: Σ(x − 10) over pixels 0, 1, 3, 4 = 40 + 4r → /4 = 10 + r → + 1.
  EXPECT_EQ(Sp(m, 20), (std::vector<int>{11, 12, 13, 14}));
  EXPECT_EQ(Sp(m, 21), (std::vector<int>{21, 22, 23, 24}));
  EXPECT_EQ(Sp(m, 22), (std::vector<int>{41, 42, 43, 44}));
  EXPECT_EQ(Sp(m, 23), (std::vector<int>{51, 52, 53, 54}));
  IsaCounters want = Counted(Opcode::kPool);
  want.scratchpad.bytes_read = 4 * 4 * 4;
  want.scratchpad.bytes_written = 4 * 4;
  want.param.bytes_read = 8 + 8;  // one table entry
  EXPECT_EQ(m.counters(), want);
}

TEST(IsaExecPool, AverageEntryFollowsTheWindowInsideTheInput) {
  // 2×2 input [10 20; 30 40] + r, 2×2 window, stride 1, padding above and left: the windows
  // inside the input are 1×1 (e = 3), 1×2 (e = 2), 2×1 (e = 1) and 2×2 (e = 0).
  Machine m(Arch("4x4"), 16);
  for (int p = 0; p < 4; ++p)
    SetSp(m, p, {10 * (p + 1), 10 * (p + 1) + 1, 10 * (p + 1) + 2, 10 * (p + 1) + 3});
  // Entry 0: /4; entry 1: /2; entry 2: ×1 (deliberately not /2, to tell it from entry 1);
  // entry 3: ×1.
  SetDescriptor(m, 0,
                {PoolFormat(0, 0, 0, 255), 0, kHalf, Shifts(0, 1), kHalf, Shifts(0, 0), kHalf,
                 Shifts(1, 0), kHalf, Shifts(1, 0)});
  Pool p = PoolOver(2, 2, 2, 2, 2, 1, 10);
  p.pad_top = 1;
  p.pad_left = 1;
  m.Run(p);
  EXPECT_EQ(Sp(m, 10), (std::vector<int>{10, 11, 12, 13}));  // pixel (0, 0)
  EXPECT_EQ(Sp(m, 11), (std::vector<int>{30, 32, 34, 36}));  // (0,0)+(0,1), entry 2: ×1
  EXPECT_EQ(Sp(m, 12), (std::vector<int>{20, 21, 22, 23}));  // (0,0)+(1,0), entry 1: /2
  EXPECT_EQ(Sp(m, 13), (std::vector<int>{25, 26, 27, 28}));  // all four, entry 0: /4
  EXPECT_EQ(m.counters().param.bytes_read, 8 + 8 * 4);
}

TEST(IsaExecPool, DilationSkipsPixels) {
  Machine m = PoolMachine();
  SetDescriptor(m, 0, {0, 0});
  Pool p = PoolOver(3, 3, 1, 1, 2, 1, 20);
  p.dil_h = p.dil_w = 2;
  p.max = true;
  SetSp(m, 4, {99, 99, 99, 99});  // the centre pixel is not a tap
  m.Run(p);
  EXPECT_EQ(Sp(m, 20), (std::vector<int>{80, 81, 82, 83}));
  EXPECT_EQ(m.counters().scratchpad.bytes_read, 4 * 4);
}

// ---- sync, finish -----------------------------------------------------------------------------

TEST(IsaExecControl, SyncAndFinishOnlyCount) {
  Machine m = Small();
  const Snapshot before(m);
  Sync s;
  s.queue = 2;
  m.Run(s);
  m.Run(Finish{});
  IsaCounters want = Counted(Opcode::kSync);
  want.instructions = 2;
  want.instructions_by_opcode[static_cast<std::size_t>(Opcode::kFinish)] = 1;
  EXPECT_EQ(m.counters(), want);
  EXPECT_TRUE(m.writes().empty());
  EXPECT_EQ(m.state().dram, before.dram);
  s.queue = 3;
  ExpectError(
      m, s, "instruction 2 (sync): field queue = 3 is outside [0, 2] (0 load, 1 compute, 2 store)");
}

// ---- Out-of-bounds accesses --------------------------------------------------------------------
// 4×4: 4096 scratchpad rows, 512 accumulator rows, 64 parameter rows; 256 bytes of DRAM.

TEST(IsaExecBounds, Loads) {
  Machine m = Small();
  LoadSp sp;
  sp.dram = 0xFE;
  sp.ny = 1;
  sp.nx = 1;
  sp.lanes = 4;
  ExpectError(m, sp,
              "instruction 0 (load.sp): DRAM read [0xfe, 0x102) is outside the program's DRAM of "
              "256 bytes");
  // Strided: the last element (1, 1) at 0xc0 + 0x40 ends at 0x104.
  sp.dram = 0;
  sp.ny = 2;
  sp.nx = 2;
  sp.stride_y = 0xC0;
  sp.stride_x = 0x40;
  ExpectError(
      m, sp,
      "instruction 1 (load.sp): DRAM read [0x0, 0x104) is outside the program's DRAM of 256 bytes");
  // A padding row above moves nothing: the first row inside still reads from 0x0.
  sp.ny = 3;
  sp.pad_top = 1;
  ExpectError(
      m, sp,
      "instruction 2 (load.sp): DRAM read [0x0, 0x104) is outside the program's DRAM of 256 bytes");
  // With the last row as padding only [0x0, 0x44) is read.
  sp.pad_bottom = 1;
  EXPECT_EQ(m.ErrorOf(sp), "");
  sp = LoadSp{};
  sp.sram = 4095;
  sp.ny = 1;
  sp.nx = 2;
  sp.lanes = 1;
  ExpectError(m, sp,
              "instruction 4 (load.sp): scratchpad write rows [4095, 4097) is outside the "
              "scratchpad of 4096 rows");

  LoadAcc acc;
  acc.dram = 0xF0;
  acc.ny = 1;
  acc.nx = 1;
  acc.lanes = 4;
  EXPECT_EQ(m.ErrorOf(acc), "");
  acc.dram = 0xF4;
  ExpectError(m, acc,
              "instruction 6 (load.acc): DRAM read [0xf4, 0x104) is outside the program's DRAM of "
              "256 bytes");
  acc.dram = 0;
  acc.sram = 511;
  acc.nx = 2;
  ExpectError(m, acc,
              "instruction 7 (load.acc): accumulator write rows [511, 513) is outside the "
              "accumulator of 512 rows");

  LoadParam param;
  param.sram = 63;
  param.ny = 2;
  param.nx = 1;
  param.lanes = 4;
  ExpectError(m, param,
              "instruction 8 (load.param): parameter buffer write rows [63, 65) is outside the "
              "parameter buffer of 64 rows");
}

TEST(IsaExecBounds, Stores) {
  Machine m = Small();
  StoreSp sp;
  sp.sram = 4095;
  sp.ny = 1;
  sp.nx = 2;
  sp.lanes = 1;
  ExpectError(m, sp,
              "instruction 0 (store.sp): scratchpad read rows [4095, 4097) is outside the "
              "scratchpad of 4096 rows");
  sp.sram = 0;
  sp.nx = 1;
  sp.dram = 0xFF;
  sp.lanes = 2;
  ExpectError(m, sp,
              "instruction 1 (store.sp): DRAM write [0xff, 0x101) is outside the program's DRAM of "
              "256 bytes");
  StoreAcc acc;
  acc.sram = 510;
  acc.ny = 3;
  acc.nx = 1;
  acc.lanes = 1;
  ExpectError(m, acc,
              "instruction 2 (store.acc): accumulator read rows [510, 513) is outside the "
              "accumulator of 512 rows");
  acc.sram = 0;
  acc.ny = 2;
  acc.stride_y = 0x78;
  acc.dram = 0x80;
  acc.lanes = 3;
  acc.lane0 = 1;
  // The last element at 0x80 + 0x78 holds 3 int32: it ends at 0x104.
  ExpectError(m, acc,
              "instruction 3 (store.acc): DRAM write [0x80, 0x104) is outside the program's DRAM "
              "of 256 bytes");
}

TEST(IsaExecBounds, Gemm) {
  Machine m = Small();
  Gemm g = GemmOver(0, 1, 0);
  g.preload = true;
  g.w = 4093;
  ExpectError(m, g,
              "instruction 0 (gemm): scratchpad read rows [4093, 4097) is outside the scratchpad "
              "of 4096 rows");
  g.w = 0;
  g.act = 4000;
  g.n_outer = 2;
  g.n_inner = 2;
  g.act_outer = 90;
  g.act_inner = 6;
  g.acc_outer = 2;
  // The last activation row is 4000 + 90 + 6.
  ExpectError(m, g,
              "instruction 1 (gemm): scratchpad read rows [4000, 4097) is outside the scratchpad "
              "of 4096 rows");
  g.act = 0;
  g.acc = 500;
  g.acc_outer = 11;
  // The last output row is 500 + 11 + 1.
  ExpectError(m, g,
              "instruction 2 (gemm): accumulator write rows [500, 513) is outside the accumulator "
              "of 512 rows");
}

TEST(IsaExecBounds, Post) {
  Machine m = Small();
  Post p = PostOver(3, 0, 4);
  p.acc = 510;
  ExpectError(m, p,
              "instruction 0 (post): accumulator read rows [510, 513) is outside the accumulator "
              "of 512 rows");
  p.acc = 0;
  p.param = 61;
  ExpectError(m, p,
              "instruction 1 (post): parameter buffer read rows [61, 65) is outside the parameter "
              "buffer of 64 rows");
  p.param = 0;
  p.dst = 4000;
  p.dst_stride = 48;
  ExpectError(m, p,
              "instruction 2 (post): scratchpad write rows [4000, 4097) is outside the scratchpad "
              "of 4096 rows");
}

TEST(IsaExecBounds, Vadd) {
  Machine m = Small();
  Vadd v;
  v.n = 2;
  v.a = 0;
  v.b = 2;
  v.dst = 4;
  v.param = 63;  // 8 words from word 252: rows 63 and 64
  ExpectError(m, v,
              "instruction 0 (vadd): parameter buffer read rows [63, 65) is outside the parameter "
              "buffer of 64 rows");
  v.param = 0;
  v.a = 4095;
  ExpectError(m, v,
              "instruction 1 (vadd): scratchpad read rows [4095, 4097) is outside the scratchpad "
              "of 4096 rows");
  v.a = 0;
  v.b = 4095;
  ExpectError(m, v,
              "instruction 2 (vadd): scratchpad read rows [4095, 4097) is outside the scratchpad "
              "of 4096 rows");
  v.b = 2;
  v.dst = 4095;
  ExpectError(m, v,
              "instruction 3 (vadd): scratchpad write rows [4095, 4097) is outside the scratchpad "
              "of 4096 rows");
}

TEST(IsaExecBounds, Pool) {
  Machine m = Small();
  Pool p = PoolOver(3, 3, 1, 1, 3, 1, 20);
  p.param = 64;
  ExpectError(m, p,
              "instruction 0 (pool): parameter buffer read rows [64, 65) is outside the parameter "
              "buffer of 64 rows");
  // Average with count_include_pad = 0 needs 2 + 2·9 words: rows [63, 68) of 4 words.
  p.param = 63;
  ExpectError(m, p,
              "instruction 1 (pool): parameter buffer read rows [63, 68) is outside the parameter "
              "buffer of 64 rows");
  p.param = 0;
  p.max = true;
  p.src = 4090;
  p.dst = 0;
  ExpectError(m, p,
              "instruction 2 (pool): scratchpad read rows [4090, 4099) is outside the scratchpad "
              "of 4096 rows");
  p.src = 0;
  p.dst = 4096;
  ExpectError(m, p,
              "instruction 3 (pool): scratchpad write rows [4096, 4097) is outside the scratchpad "
              "of 4096 rows");
  // Only the pixels the windows read count: one 1×1 window over a 3×3 input reads pixel (0, 0).
  Pool q = PoolOver(3, 3, 1, 1, 1, 2, 0);
  q.max = true;
  q.src = 4095;
  EXPECT_EQ(m.ErrorOf(q), "");
  q.src = 4096;
  ExpectError(m, q,
              "instruction 5 (pool): scratchpad read rows [4096, 4097) is outside the scratchpad "
              "of 4096 rows");
}

// ---- Illegal field values ----------------------------------------------------------------------

TEST(IsaExecIllegal, LoadAndStoreFields) {
  Machine m = Small();
  LoadSp sp;
  sp.ny = 1;
  sp.nx = 1;
  sp.lanes = 4;
  sp.ny = 0;
  ExpectError(m, sp, "instruction 0 (load.sp): field ny = 0 is outside [1, 255]");
  sp.ny = 1;
  sp.nx = 0;
  ExpectError(m, sp, "instruction 1 (load.sp): field nx = 0 is outside [1, 255]");
  sp.nx = 1;
  sp.lanes = 5;
  ExpectError(m, sp, "instruction 2 (load.sp): field lanes = 5 is outside [1, 4] (1..ROWS)");
  sp.lanes = 0;
  ExpectError(m, sp, "instruction 3 (load.sp): field lanes = 0 is outside [1, 4] (1..ROWS)");
  sp.lanes = 4;
  sp.ny = 3;
  sp.pad_top = 2;
  sp.pad_bottom = 2;
  ExpectError(m, sp, "instruction 4 (load.sp): pad_top + pad_bottom = 4 exceeds ny = 3");
  sp.pad_top = sp.pad_bottom = 0;
  sp.pad_left = 1;
  sp.pad_right = 1;
  ExpectError(m, sp, "instruction 5 (load.sp): pad_left + pad_right = 2 exceeds nx = 1");
  LoadParam param;
  param.ny = param.nx = 1;
  param.lanes = 5;
  ExpectError(m, param, "instruction 6 (load.param): field lanes = 5 is outside [1, 4] (1..COLS)");

  StoreSp st;
  st.ny = st.nx = 1;
  st.lanes = 0;
  ExpectError(m, st, "instruction 7 (store.sp): field lanes = 0 is outside [1, 4] (1..ROWS)");
  st.lanes = 2;
  st.lane0 = 3;
  ExpectError(m, st, "instruction 8 (store.sp): lane0 + lanes = 5 exceeds ROWS = 4");
  StoreAcc sa;
  sa.ny = 1;
  sa.nx = 0;
  sa.lanes = 1;
  ExpectError(m, sa, "instruction 9 (store.acc): field nx = 0 is outside [1, 255]");
  sa.nx = 1;
  sa.lane0 = 4;
  ExpectError(m, sa, "instruction 10 (store.acc): lane0 + lanes = 5 exceeds COLS = 4");
}

TEST(IsaExecIllegal, GemmFields) {
  Machine m = Small();
  Gemm g = GemmOver(0, 1, 0);
  g.n_outer = 0;
  ExpectError(m, g, "instruction 0 (gemm): field n_outer = 0 is outside [1, 255]");
  g.n_outer = 1;
  g.n_inner = 0;
  ExpectError(m, g, "instruction 1 (gemm): field n_inner = 0 is outside [1, 255]");
  g.n_inner = 1;
  g.k_lanes = 5;
  ExpectError(m, g, "instruction 2 (gemm): field k_lanes = 5 is outside [1, 4] (1..ROWS)");
  g.k_lanes = 0;
  ExpectError(m, g, "instruction 3 (gemm): field k_lanes = 0 is outside [1, 4] (1..ROWS)");
  g.k_lanes = 4;
  g.n_lanes = 0;
  ExpectError(m, g, "instruction 4 (gemm): field n_lanes = 0 is outside [1, 4] (1..COLS)");
  g.n_lanes = 4;
  g.n_outer = 2;
  g.n_inner = 3;
  g.acc_outer = 2;
  ExpectError(m, g,
              "instruction 5 (gemm): acc_outer = 2 is below n_inner = 3; output rows would be "
              "written twice");
  g.n_outer = 1;  // one outer iteration: acc_outer does not matter
  EXPECT_EQ(m.ErrorOf(g), "");
}

TEST(IsaExecIllegal, PostFields) {
  Machine m = Small();
  Post p = PostOver(0, 0, 4);
  ExpectError(m, p, "instruction 0 (post): field n = 0 is outside [1, 4095]");
  p.n = 1;
  p.n_lanes = 5;
  ExpectError(m, p, "instruction 1 (post): field n_lanes = 5 is outside [1, 4] (1..COLS)");
  p.n_lanes = 4;
  p.dst_lane = 4;
  ExpectError(m, p, "instruction 2 (post): field dst_lane = 4 must be 0 when COLS >= ROWS");
  p.dst_lane = 0;
  SetParam(m, 2, {Shifts(0, 0), Shifts(32, 0), 0, 0});
  ExpectError(m, p,
              "instruction 3 (post): lane 1 (parameter row 2) has shifts lsh = 32, rsh = 0; each "
              "must be at most 31");
  SetParam(m, 2, {Shifts(0, 0), Shifts(0, 31), Shifts(31, 0), 0});
  EXPECT_EQ(m.ErrorOf(p), "");  // two roundings take any shifts up to 31
  p.single_rounding = true;
  ExpectError(m, p,
              "instruction 5 (post): lane 2 (parameter row 2) has lsh - rsh = 31, outside [-31, "
              "30] in single rounding");
  // Lanes beyond n_lanes are not read for their parameters.
  p.n_lanes = 2;
  EXPECT_EQ(m.ErrorOf(p), "");

  Machine narrow(testkit::isa_test::Arch8x4(), 16);
  IdentityPostParams(narrow, 4);
  Post q = PostOver(1, 0, 4);
  q.dst_lane = 2;
  ExpectError(
      narrow, q,
      "instruction 0 (post): field dst_lane = 2 must be a multiple of COLS = 4 below ROWS = 8");
  q.dst_lane = 8;
  ExpectError(
      narrow, q,
      "instruction 1 (post): field dst_lane = 8 must be a multiple of COLS = 4 below ROWS = 8");
}

TEST(IsaExecIllegal, VaddFields) {
  Machine m = Small();
  SetDescriptor(m, 0, VaddDescriptor(0, 0, 0, false, false, false, 0, 255, 20, kUnitScalers));
  Vadd v;
  v.a = 0;
  v.b = 10;
  v.dst = 20;
  v.n = 0;
  ExpectError(m, v, "instruction 0 (vadd): field n = 0 is outside [1, 65535]");
  v.n = 4;
  v.dst = 2;
  ExpectError(m, v,
              "instruction 1 (vadd): output rows [2, 6) overlap input a rows [0, 4) without being "
              "equal to them");
  v.dst = 12;
  ExpectError(m, v,
              "instruction 2 (vadd): output rows [12, 16) overlap input b rows [10, 14) without "
              "being equal to them");
  v.dst = 10;  // equal to b: in place
  EXPECT_EQ(m.ErrorOf(v), "");
  v.dst = 20;
  SetDescriptor(m, 0, VaddDescriptor(0, 0, 0, false, false, false, 0, 255, 31, kUnitScalers));
  ExpectError(m, v, "instruction 4 (vadd): descriptor left_shift = 31 is above 30");
  SetDescriptor(m, 0,
                VaddDescriptor(0, 0, 0, false, false, false, 0, 255, 20,
                               {{kHalf, 0, 0}, {kHalf, 0, 40}, {kHalf, 0, 0}}));
  ExpectError(m, v,
              "instruction 5 (vadd): descriptor scaler b has shifts lsh = 0, rsh = 40; each must "
              "be at most 31");
  // lsh = 31 is legal with two roundings, not in single rounding (lsh − rsh <= 30).
  SetDescriptor(m, 0,
                VaddDescriptor(0, 0, 0, false, false, false, 0, 255, 20,
                               {{kHalf, 0, 0}, {kHalf, 0, 0}, {kHalf, 31, 0}}));
  EXPECT_EQ(m.ErrorOf(v), "");
  v.single_rounding = true;
  ExpectError(m, v,
              "instruction 7 (vadd): descriptor scaler y has lsh - rsh = 31, outside [-31, 30] in "
              "single rounding");
}

TEST(IsaExecIllegal, PoolFields) {
  Machine m = PoolMachine();
  SetDescriptor(m, 0, {0, 0});
  const Pool base = PoolOver(3, 3, 1, 1, 3, 1, 20);
  const std::vector<std::pair<std::string, std::uint32_t Pool::*>> fields = {
      {"in_h", &Pool::in_h},
      {"in_w", &Pool::in_w},
      {"out_h", &Pool::out_h},
      {"out_w", &Pool::out_w},
      {"kh", &Pool::kh},
      {"kw", &Pool::kw},
      {"stride_h", &Pool::stride_h},
      {"stride_w", &Pool::stride_w},
      {"dil_h", &Pool::dil_h},
      {"dil_w", &Pool::dil_w}};
  std::int64_t index = 0;
  for (const auto& [name, member] : fields) {
    Pool p = base;
    p.max = true;
    p.*member = 0;
    ExpectError(m, p,
                "instruction " + std::to_string(index++) + " (pool): field " + name +
                    " = 0; it must be at least 1");
  }
  Pool p = base;
  p.max = true;
  p.dst = 8;
  ExpectError(m, p, "instruction 10 (pool): output rows [8, 9) overlap input rows [0, 9)");
  p.dst = 20;
  p.kh = p.kw = 1;
  p.pad_top = 3;
  ExpectError(m, p,
              "instruction 11 (pool): output row 0 has a window with no tap inside the input");
  p.pad_top = 0;
  p.pad_left = 3;
  ExpectError(m, p,
              "instruction 12 (pool): output column 0 has a window with no tap inside the input");
  // Average, count_include_pad = 0, 3×3 window fully inside: only entry 0 is used, so a bad
  // shift in another entry is accepted, but not in entry 0.
  Pool avg = base;
  std::vector<std::int32_t> d = {0, 0};
  for (int e = 0; e < 9; ++e) {
    d.push_back(kHalf);
    d.push_back(e == 0 ? Shifts(0, 3) : Shifts(40, 0));
  }
  SetDescriptor(m, 0, d);
  EXPECT_EQ(m.ErrorOf(avg), "");
  d[3] = Shifts(0, 32);
  SetDescriptor(m, 0, d);
  ExpectError(m, avg,
              "instruction 14 (pool): requantizer entry 0 has shifts lsh = 0, rsh = 32; each must "
              "be at most 31");
}

// ---- Write records ----------------------------------------------------------------------------

TEST(IsaExecWrites, HashIsTheSumOfElementHashes) {
  // FNV-1a 64 of the 9 bytes 00 00 00 00 00 00 00 00 00 (address 0, value 0), worked out from
  // the definition: the hash the record of a single zero byte at address 0 must carry.
  const std::uint64_t zero = 0xe604823a249029bfull;
  EXPECT_EQ(RefElementHash(0, 0, 1), zero);
  Machine m(Arch("4x4"), 16);
  StoreSp st;
  st.ny = st.nx = 1;
  st.lanes = 1;
  m.Run(st);
  EXPECT_EQ(m.writes()[0], (WriteRecord{0, Memory::kDram, 0, 1, zero}));
  EXPECT_NE(zero, 0u);
}

TEST(IsaExecWrites, RecordDoesNotDependOnTheWriteOrder) {
  // The same four rows loaded as a 2×2 grid walked row by row and as a 4×1 grid walked in
  // another DRAM order give the same content, so the same record (bar the instruction index).
  Machine a = Small();
  Machine b = Small();
  LoadSp grid;
  grid.sram = 8;
  grid.ny = 2;
  grid.nx = 2;
  grid.stride_y = 32;
  grid.stride_x = 16;
  grid.lanes = 4;
  a.Run(grid);
  for (int k = 3; k >= 0; --k) {  // one row at a time, last row first
    LoadSp one;
    one.sram = static_cast<std::uint32_t>(8 + k);
    one.dram = static_cast<std::uint32_t>(32 * (k / 2) + 16 * (k % 2));
    one.ny = one.nx = 1;
    one.lanes = 4;
    b.Run(one);
  }
  EXPECT_EQ(a.state().scratchpad, b.state().scratchpad);
  std::uint64_t sum = 0;
  for (const WriteRecord& r : b.writes()) sum += r.hash;
  EXPECT_EQ(a.writes()[0].hash, sum);
  EXPECT_EQ(a.writes()[0].hash, SpRowsHash(a, 8, 4));

  // A store that overwrites a byte three times records what a single store of the final value
  // records.
  Machine c = Small();
  Machine d = Small();
  for (int row = 0; row < 3; ++row) {
    SetSp(c, row, {row + 1, 0, 0, 0});
    SetSp(d, row, {row + 1, 0, 0, 0});
  }
  StoreSp many;
  many.ny = 1;
  many.nx = 3;
  many.lanes = 1;
  many.dram = 0x30;
  c.Run(many);
  StoreSp last = many;
  last.sram = 2;
  last.nx = 1;
  d.Run(last);
  EXPECT_EQ(c.writes()[0], d.writes()[0]);
}

TEST(IsaExecWrites, NoRecordsWithoutAList) {
  Machine m = Small();
  IsaCounters counters;
  LoadSp in;
  in.ny = in.nx = 1;
  in.lanes = 4;
  Execute(m.state(), in, 0, counters, nullptr);
  EXPECT_EQ(Sp(m, 0), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(counters.instructions, 1);
  EXPECT_EQ(counters.scratchpad.bytes_written, 4);
}

}  // namespace
}  // namespace qsa::isa

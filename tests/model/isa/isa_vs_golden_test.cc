// Hand-written ISA programs checked bit-exact against the golden operators: each test lowers one
// quantized layer to load / gemm / post / vadd / pool / store instructions the way a compiler
// would (channel blocks of ROWS lanes, weight tiles of COLS × ROWS, the input zero point folded
// into the bias, requantization parameters from the golden model's own formulas), runs the
// program on the architectural state (isa::Execute in program order, and through the ISA
// simulator with tokens), and compares the output in DRAM with golden::RunGraph on a one-node
// graph, in tflite-double and single-rounding modes. Randomized; the seed is printed and
// QSA_TEST_SEED overrides it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/golden/graph_json.h"
#include "model/golden/npy.h"
#include "model/isa/assembler.h"
#include "model/isa/simulator.h"
#include "testkit/compute_test.h"
#include "testkit/isa_test.h"

namespace qsa::isa {
namespace {

using testkit::compute_test::Rng;
using testkit::isa_test::ProgramBuilder;

constexpr std::uint64_t kDefaultSeed = 20240917;

const std::vector<std::string> kArchNames = {"4x4", "8x8", "8x16", "default"};

// The configurations the layer tests run on: the shipped ones and an 8×4 array (COLS < ROWS).
std::vector<ArchConfig> AllArchs() {
  std::vector<ArchConfig> archs;
  for (const std::string& name : kArchNames) archs.push_back(testkit::isa_test::Arch(name));
  archs.push_back(testkit::isa_test::Arch8x4());
  return archs;
}

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
std::uint32_t U32(std::int64_t v) { return static_cast<std::uint32_t>(v); }

// A requantizer as the ISA holds it: multiplier and the shift pair (lsh, rsh).
struct IsaScaler {
  std::int32_t m = 0;
  int lsh = 0;
  int rsh = 0;
  std::int32_t ShiftWord() const { return lsh | (rsh << 8); }
};

// The golden model's MultiplyByQuantizedMultiplier(x, {m, shift}) is Rq(x, m, max(shift, 0),
// max(−shift, 0)) (docs/isa.md).
IsaScaler FromFixed(golden::FixedPointMultiplier f) {
  return {f.multiplier, std::max(f.shift, 0), std::max(-f.shift, 0)};
}

// Average pooling: the golden model computes MBQM(acc · 2^L, {m, s}) with s the shift already
// lowered by L; that is Rq(acc, m, L + max(s, 0), max(−s, 0)).
IsaScaler FromPreShifted(const golden::PreShiftedMultiplier& p) {
  return {p.fixed.multiplier, p.pre_shift + std::max(p.fixed.shift, 0),
          std::max(-p.fixed.shift, 0)};
}

std::int32_t Byte(std::int32_t v) { return v & 0xFF; }

// ---- Lowering helpers ---------------------------------------------------------------------------

// Loads an NHWC tensor [h][w][c] at `dram` into channel blocks of ROWS lanes: pixel (y, x) of
// block kb's padded grid (pads top, left, bottom, right) goes to scratchpad row
// base + kb·hp·wp + y·wp + x; padding pixels and the lanes beyond c hold `fill`.
void LoadNhwc(ProgramBuilder& b, const ArchConfig& arch, std::uint32_t dram, std::int64_t h,
              std::int64_t w, std::int64_t c, std::uint32_t base, const std::array<int, 4>& pads,
              std::int32_t fill) {
  const std::int64_t hp = h + pads[0] + pads[2], wp = w + pads[1] + pads[3];
  for (std::int64_t kb = 0; kb < CeilDiv(c, arch.rows); ++kb) {
    LoadSp in;
    in.sram = U32(base + kb * hp * wp);
    in.dram = U32(dram + kb * arch.rows);
    in.ny = U32(hp);
    in.nx = U32(wp);
    in.stride_y = U32(w * c);
    in.stride_x = U32(c);
    in.pad_top = U32(pads[0]);
    in.pad_left = U32(pads[1]);
    in.pad_bottom = U32(pads[2]);
    in.pad_right = U32(pads[3]);
    in.lanes = U32(std::min<std::int64_t>(arch.rows, c - kb * arch.rows));
    in.fill = U32(Byte(fill));
    b.loads.push_back(in);
  }
}

// Stores channel blocks (block kb's pixel (y, x) at row base + kb·h·w + y·w + x) to an NHWC
// tensor [h][w][c] at `dram`.
void StoreNhwc(ProgramBuilder& b, const ArchConfig& arch, std::uint32_t base, std::int64_t h,
               std::int64_t w, std::int64_t c, std::uint32_t dram) {
  for (std::int64_t kb = 0; kb < CeilDiv(c, arch.rows); ++kb) {
    StoreSp out;
    out.sram = U32(base + kb * h * w);
    out.dram = U32(dram + kb * arch.rows);
    out.ny = U32(h);
    out.nx = U32(w);
    out.stride_y = U32(w * c);
    out.stride_x = U32(c);
    out.lanes = U32(std::min<std::int64_t>(arch.rows, c - kb * arch.rows));
    b.stores.push_back(out);
  }
}

// Puts parameter words in DRAM and loads them into parameter rows from `row` on (zero-padded
// to whole rows).
void LoadWords(ProgramBuilder& b, const ArchConfig& arch, std::vector<std::int32_t> words,
               std::uint32_t row) {
  words.resize(static_cast<std::size_t>(
                   CeilDiv(static_cast<std::int64_t>(words.size()), arch.cols) * arch.cols),
               0);
  LoadParam in;
  in.sram = row;
  in.dram = b.PutInt32(words);
  in.ny = U32(static_cast<std::int64_t>(words.size()) / arch.cols);
  in.nx = 1;
  in.stride_y = U32(4 * arch.cols);
  in.lanes = U32(arch.cols);
  b.loads.push_back(in);
}

// NHWC bytes [h][w][c] of a tensor [1, c, h, w].
std::vector<std::uint8_t> ToNhwc(const golden::Tensor& t) {
  const std::int64_t c = t.shape()[1], h = t.shape()[2], w = t.shape()[3];
  std::vector<std::uint8_t> out(static_cast<std::size_t>(c * h * w));
  for (std::int64_t ci = 0; ci < c; ++ci) {
    for (std::int64_t p = 0; p < h * w; ++p) {
      out[static_cast<std::size_t>(p * c + ci)] =
          static_cast<std::uint8_t>(Byte(static_cast<std::int32_t>(t.GetInt(ci * h * w + p))));
    }
  }
  return out;
}

// Values of an NHWC byte tensor [h][w][c] in NCHW order, read as `dtype`.
std::vector<std::int64_t> FromNhwc(std::span<const std::uint8_t> bytes, golden::DType dtype,
                                   std::int64_t c, std::int64_t h, std::int64_t w) {
  std::vector<std::int64_t> out;
  for (std::int64_t ci = 0; ci < c; ++ci) {
    for (std::int64_t p = 0; p < h * w; ++p) {
      const std::uint8_t v = bytes[static_cast<std::size_t>(p * c + ci)];
      out.push_back(dtype == golden::DType::kInt8 ? std::int64_t{static_cast<std::int8_t>(v)} : v);
    }
  }
  return out;
}

// Runs the program in program order and through the simulator (which must agree on the final
// DRAM and the counters); returns the DRAM bytes [addr, addr + n) after the run.
std::vector<std::uint8_t> RunProgram(const ArchConfig& arch, const ProgramBuilder& b,
                                     std::uint32_t addr, std::int64_t n) {
  testkit::isa_test::Machine m = b.RunInOrder(arch);
  const Program program = b.ToProgram(arch);
  IsaSimulator sim(arch, program);
  const IsaRunResult result = sim.Run();
  EXPECT_TRUE(sim.state().dram == m.state().dram) << "the simulator's DRAM differs";
  IsaCounters want = m.counters();
  ++want.instructions;
  ++want.instructions_by_opcode[static_cast<std::size_t>(Opcode::kFinish)];
  EXPECT_EQ(result.counters, want);
  const auto first = m.state().dram.begin() + addr;
  return std::vector<std::uint8_t>(first, first + n);
}

// ---- Accumulating layers: Conv and MatMul ----------------------------------------------------

// A convolution in the accelerator's terms (MatMul is the 1×1 case over an h × 1 image):
// x NHWC, weights [m][c][k][k] int8, the bias with the input zero point folded in, per-channel
// fixed-point multipliers, output zero point and clamp.
struct AccumLayer {
  std::int64_t c = 1, h = 1, w = 1, m = 1, k = 1, stride = 1, pad = 0;
  bool x_signed = false, y_signed = false, single_rounding = false;
  std::int32_t zx = 0, zy = 0, qmin = 0, qmax = 255;
  std::vector<std::uint8_t> x_nhwc;
  std::vector<std::int8_t> weights;
  std::vector<std::int32_t> bias;
  std::vector<golden::FixedPointMultiplier> requant;

  std::int64_t OutH() const { return (h + 2 * pad - k) / stride + 1; }
  std::int64_t OutW() const { return (w + 2 * pad - k) / stride + 1; }
  std::int8_t Weight(std::int64_t mi, std::int64_t ci, std::int64_t kh, std::int64_t kw) const {
    return weights[static_cast<std::size_t>(((mi * c + ci) * k + kh) * k + kw)];
  }
};

// B[m] − zx · Σ W[m]: the bias that makes Σ x · W over every tap (padding holds zx) equal the
// golden accumulator B[m] + Σ (x − zx) · W over the taps inside the input.
std::vector<std::int32_t> FoldZeroPoint(const std::vector<std::int32_t>& bias,
                                        const std::vector<std::int8_t>& weights, std::int32_t zx) {
  std::vector<std::int32_t> folded = bias;
  const std::size_t per = weights.size() / bias.size();
  for (std::size_t mi = 0; mi < bias.size(); ++mi) {
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < per; ++i) sum += weights[mi * per + i];
    folded[mi] = static_cast<std::int32_t>(bias[mi] - std::int64_t{zx} * sum);
  }
  return folded;
}

// The program of an accumulating layer; the output, NHWC [oh][ow][m], is at the returned address.
// Scratchpad: input blocks, weight tiles, output blocks; accumulator: oh·ow rows per output block
// of COLS channels; parameters: four rows per output block.
std::uint32_t LowerAccumulating(const ArchConfig& arch, const AccumLayer& l, ProgramBuilder& b) {
  const std::int64_t rows = arch.rows, cols = arch.cols;
  const std::int64_t kb_n = CeilDiv(l.c, rows), mb_n = CeilDiv(l.m, cols);
  const std::int64_t hp = l.h + 2 * l.pad, wp = l.w + 2 * l.pad;
  const std::int64_t oh = l.OutH(), ow = l.OutW(), pixels = oh * ow;
  const std::int64_t taps = l.k * l.k;
  const std::int64_t in_base = 0;
  const std::int64_t tile_base = in_base + kb_n * hp * wp;
  const std::int64_t out_base = tile_base + taps * kb_n * mb_n * cols;
  const auto tile_of = [&](std::int64_t tap, std::int64_t kb, std::int64_t mb) {
    return (tap * kb_n + kb) * mb_n + mb;
  };

  // DRAM: input, weight tiles (row c of tile (tap, kb, mb) = output channel mb·COLS + c's
  // weights for input channels kb·ROWS + r), parameters, output.
  const std::uint32_t x_addr = b.PutBytes(l.x_nhwc);
  std::vector<std::uint8_t> tiles(static_cast<std::size_t>(taps * kb_n * mb_n * cols * rows), 0);
  for (std::int64_t tap = 0; tap < taps; ++tap) {
    for (std::int64_t kb = 0; kb < kb_n; ++kb) {
      for (std::int64_t mb = 0; mb < mb_n; ++mb) {
        for (std::int64_t cc = 0; cc < cols && mb * cols + cc < l.m; ++cc) {
          for (std::int64_t r = 0; r < rows && kb * rows + r < l.c; ++r) {
            const std::int64_t at = (tile_of(tap, kb, mb) * cols + cc) * rows + r;
            tiles[static_cast<std::size_t>(at)] = static_cast<std::uint8_t>(
                l.Weight(mb * cols + cc, kb * rows + r, tap / l.k, tap % l.k));
          }
        }
      }
    }
  }
  const std::uint32_t w_addr = b.PutBytes(tiles);
  std::vector<std::int32_t> params(static_cast<std::size_t>(mb_n * 4 * cols), 0);
  for (std::int64_t mi = 0; mi < l.m; ++mi) {
    const std::size_t at = static_cast<std::size_t>((mi / cols) * 4 * cols + mi % cols);
    const IsaScaler s = FromFixed(l.requant[static_cast<std::size_t>(mi)]);
    params[at] = l.bias[static_cast<std::size_t>(mi)];
    params[at + static_cast<std::size_t>(cols)] = s.m;
    params[at + static_cast<std::size_t>(2 * cols)] = s.ShiftWord();
    params[at + static_cast<std::size_t>(3 * cols)] =
        Byte(l.zy) | Byte(l.qmin) << 8 | Byte(l.qmax) << 16 | (l.y_signed ? 1 << 24 : 0);
  }
  const std::uint32_t y_addr = b.Alloc(pixels * l.m);

  const int pad = static_cast<int>(l.pad);
  LoadNhwc(b, arch, x_addr, l.h, l.w, l.c, U32(in_base), {pad, pad, pad, pad}, l.zx);
  for (std::int64_t t = 0; t < taps * kb_n * mb_n; ++t) {
    LoadSp in;
    in.sram = U32(tile_base + t * cols);
    in.dram = U32(w_addr + t * cols * rows);
    in.ny = 1;
    in.nx = U32(cols);
    in.stride_x = U32(rows);
    in.lanes = U32(rows);
    b.loads.push_back(in);
  }
  LoadWords(b, arch, params, 0);

  for (std::int64_t mb = 0; mb < mb_n; ++mb) {
    const std::int64_t n_lanes = std::min(cols, l.m - mb * cols);
    for (std::int64_t tap = 0; tap < taps; ++tap) {
      for (std::int64_t kb = 0; kb < kb_n; ++kb) {
        // Tap (kh, kw) over the oh × ow output tile (docs/isa.md, gemm).
        Gemm g;
        g.act = U32(in_base + kb * hp * wp + (tap / l.k) * wp + tap % l.k);
        g.act_outer = U32(l.stride * wp);
        g.act_inner = U32(l.stride);
        g.acc = U32(mb * pixels);
        g.acc_outer = U32(ow);
        g.n_outer = U32(oh);
        g.n_inner = U32(ow);
        g.w = U32(tile_base + tile_of(tap, kb, mb) * cols);
        g.k_lanes = U32(std::min(rows, l.c - kb * rows));
        g.n_lanes = U32(n_lanes);
        g.preload = true;
        g.accumulate = tap > 0 || kb > 0;
        g.act_signed = l.x_signed;
        b.compute.push_back(g);
      }
    }
    // Output channel mb·COLS + c goes to block (mb·COLS + c) / ROWS, lane (mb·COLS + c) % ROWS.
    Post p;
    p.acc = U32(mb * pixels);
    p.n = U32(pixels);
    p.dst = U32(out_base + (mb * cols / rows) * pixels);
    p.dst_stride = 1;
    p.blk_stride = U32(pixels);
    p.dst_lane = U32((mb * cols) % rows);
    p.n_lanes = U32(n_lanes);
    p.param = U32(4 * mb);
    p.single_rounding = l.single_rounding;
    b.compute.push_back(p);
  }
  StoreNhwc(b, arch, U32(out_base), oh, ow, l.m, y_addr);
  return y_addr;
}

// The exact golden accumulator of a Conv (x − zx over the taps inside the input), NCHW order,
// only used to choose an output scale that spans the output type.
std::vector<double> RealConvOutputs(const AccumLayer& l, const golden::Tensor& x,
                                    const std::vector<std::int32_t>& bias, float s_x,
                                    const std::vector<float>& s_w) {
  std::vector<double> real;
  for (std::int64_t mi = 0; mi < l.m; ++mi) {
    for (std::int64_t oy = 0; oy < l.OutH(); ++oy) {
      for (std::int64_t ox = 0; ox < l.OutW(); ++ox) {
        std::int64_t acc = bias[static_cast<std::size_t>(mi)];
        for (std::int64_t ci = 0; ci < l.c; ++ci) {
          for (std::int64_t kh = 0; kh < l.k; ++kh) {
            for (std::int64_t kw = 0; kw < l.k; ++kw) {
              const std::int64_t iy = oy * l.stride - l.pad + kh, ix = ox * l.stride - l.pad + kw;
              if (iy < 0 || iy >= l.h || ix < 0 || ix >= l.w) continue;
              acc += (x.GetInt((ci * l.h + iy) * l.w + ix) - l.zx) * l.Weight(mi, ci, kh, kw);
            }
          }
        }
        real.push_back(static_cast<double>(acc) * static_cast<double>(s_x) *
                       static_cast<double>(s_w[static_cast<std::size_t>(mi)]));
      }
    }
  }
  return real;
}

// The ISA's output values against the golden output tensor, element by element.
void ExpectMatchesGolden(const std::vector<std::int64_t>& isa, const golden::Tensor& golden,
                         const std::string& what) {
  ASSERT_EQ(static_cast<std::int64_t>(isa.size()), golden.size()) << what;
  int reported = 0;
  for (std::int64_t i = 0; i < golden.size(); ++i) {
    if (isa[static_cast<std::size_t>(i)] != golden.GetInt(i) && reported++ < 5) {
      ADD_FAILURE() << what << " element " << i << ": ISA " << isa[static_cast<std::size_t>(i)]
                    << ", golden " << golden.GetInt(i);
    }
  }
}

const char* ModeName(bool single_rounding) {
  return single_rounding ? "single-rounding" : "tflite-double";
}

golden::RequantMode ModeOf(bool single_rounding) {
  return single_rounding ? golden::RequantMode::kSingleRounding
                         : golden::RequantMode::kTfliteDouble;
}

// The "done when" test: a 3×3, stride-2, pad-1 per-channel convolution with ReLU, its
// input channels not a multiple of ROWS, lowered to one gemm per tap and channel block, checked
// against the golden Conv.
void CheckConv3x3(const ArchConfig& arch, Rng& rng, bool x_signed, bool single_rounding) {
  AccumLayer l;
  l.k = 3;
  l.stride = 2;
  l.pad = 1;
  l.c = rng.Int(1, 2 * arch.rows + 3);
  if (l.c % arch.rows == 0) ++l.c;
  l.m = rng.Int(1, 2 * arch.cols + 3);
  l.h = rng.Int(3, 11);
  l.w = rng.Int(3, 11);
  l.x_signed = l.y_signed = x_signed;
  l.single_rounding = single_rounding;
  const golden::DType dtype = x_signed ? golden::DType::kInt8 : golden::DType::kUInt8;
  SCOPED_TRACE(arch.name + " x " + std::string(golden::DTypeName(dtype)) + " [1," +
               std::to_string(l.c) + "," + std::to_string(l.h) + "," + std::to_string(l.w) +
               "] m " + std::to_string(l.m) + " " + ModeName(single_rounding));

  const golden::Tensor x = rng.Values(dtype, {1, l.c, l.h, l.w});
  const golden::Tensor w = rng.Values(golden::DType::kInt8, {l.m, l.c, 3, 3});
  const float s_x = testkit::compute_test::RandomActivationScale(rng, false);
  l.zx = rng.ZeroPoint(dtype);
  const testkit::compute_test::WeightQuant wq =
      testkit::compute_test::RandomWeightQuant(rng, golden::DType::kInt8, l.m, true, false, false);
  const std::vector<std::int32_t> bias = testkit::compute_test::RandomBias(rng, l.m, true, 40000);
  for (std::int64_t i = 0; i < w.size(); ++i) {
    l.weights.push_back(static_cast<std::int8_t>(w.GetInt(i)));
  }
  l.x_nhwc = ToNhwc(x);
  const testkit::compute_test::OutQuant yq = testkit::compute_test::ChooseOutput(
      rng, RealConvOutputs(l, x, bias, s_x, wq.scales), dtype, false);
  l.zy = yq.zero_point;
  l.qmin = yq.zero_point;  // ReLU: clamp_min = the output zero point
  l.qmax = static_cast<std::int32_t>(golden::DTypeMax(dtype));
  l.bias = FoldZeroPoint(bias, l.weights, l.zx);
  for (std::int64_t mi = 0; mi < l.m; ++mi) {
    // As the golden model derives it (model/golden/quant.cc, MakeRequantizer).
    l.requant.push_back(
        golden::QuantizeMultiplier(static_cast<double>(s_x) * static_cast<double>(wq.Scale(mi)) /
                                   static_cast<double>(yq.scale)));
  }

  golden::Graph g;
  g.name = "conv";
  testkit::compute_test::AddInput(g, "x", dtype, x.shape(),
                                  testkit::compute_test::PerTensor(s_x, l.zx));
  g.AddConstant("w", w, wq.Params(0));
  g.AddConstant("b", golden::Tensor::FromVector<std::int32_t>({l.m}, bias));
  golden::Node node;
  node.name = "conv0";
  node.op = "Conv";
  node.inputs = {"x", "w", "b"};
  node.outputs = {"y"};
  node.attrs.Set("strides", std::vector<std::int64_t>{2, 2});
  node.attrs.Set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  node.attrs.Set("clamp_min", std::int64_t{l.qmin});
  g.nodes.push_back(node);
  testkit::compute_test::DeclareOutput(g, "y", dtype,
                                       testkit::compute_test::PerTensor(yq.scale, yq.zero_point));
  g.Validate();
  const golden::Tensor golden =
      testkit::compute_test::RunOne(g, {{"x", x}}, ModeOf(single_rounding));
  ASSERT_EQ(golden.shape(), (golden::Shape{1, l.m, l.OutH(), l.OutW()}));

  ProgramBuilder b;
  const std::uint32_t y_addr = LowerAccumulating(arch, l, b);
  const std::vector<std::uint8_t> y = RunProgram(arch, b, y_addr, golden.size());
  ExpectMatchesGolden(FromNhwc(y, dtype, l.m, l.OutH(), l.OutW()), golden, "Conv output");
}

TEST(IsaVsGolden, Conv3x3Stride2PaddedPerChannelRelu) {
  Rng rng(testkit::isa_test::TestSeed(kDefaultSeed));
  for (const ArchConfig& arch : AllArchs()) {
    for (int i = 0; i < 8; ++i) {
      CheckConv3x3(arch, rng, i % 2 == 1, i % 4 >= 2);
      if (HasFailure()) return;
    }
  }
}

// A MatMul A [rows, K] uint8/int8 × B [K, N] int8 per-column, K and N not multiples of the
// array, is the 1×1 convolution of an rows × 1 image: the same program, with the golden MatMul.
// With `explicit_requant`, the multipliers are random fixed-point values (shifts from −12 to +4,
// so M > 1 too) given to the node explicitly instead of derived from scales.
void CheckMatMul(const ArchConfig& arch, Rng& rng, bool x_signed, bool single_rounding,
                 bool explicit_requant) {
  AccumLayer l;
  const std::int64_t m_rows = rng.Int(1, 40);
  l.c = rng.Int(1, 3 * arch.rows);
  if (l.c % arch.rows == 0) ++l.c;
  l.m = rng.Int(1, 3 * arch.cols);
  if (l.m % arch.cols == 0) ++l.m;
  l.h = m_rows;
  l.x_signed = l.y_signed = x_signed;
  l.single_rounding = single_rounding;
  const golden::DType dtype = x_signed ? golden::DType::kInt8 : golden::DType::kUInt8;
  SCOPED_TRACE(arch.name + " A " + std::string(golden::DTypeName(dtype)) + " [" +
               std::to_string(m_rows) + "," + std::to_string(l.c) + "] x B [" +
               std::to_string(l.c) + "," + std::to_string(l.m) + "] " + ModeName(single_rounding) +
               (explicit_requant ? " explicit requant" : ""));

  const golden::Tensor a = rng.Values(dtype, {m_rows, l.c});
  const golden::Tensor bmat = rng.Values(golden::DType::kInt8, {l.c, l.m});
  const float s_a = testkit::compute_test::RandomActivationScale(rng, false);
  l.zx = rng.ZeroPoint(dtype);
  const testkit::compute_test::WeightQuant wq =
      testkit::compute_test::RandomWeightQuant(rng, golden::DType::kInt8, l.m, true, false, false);
  const std::vector<std::int32_t> bias = testkit::compute_test::RandomBias(rng, l.m, true, 40000);
  for (std::int64_t mi = 0; mi < l.m; ++mi) {
    for (std::int64_t ci = 0; ci < l.c; ++ci) {
      l.weights.push_back(static_cast<std::int8_t>(bmat.GetInt(ci * l.m + mi)));
    }
  }
  l.x_nhwc.resize(static_cast<std::size_t>(a.size()));
  for (std::int64_t i = 0; i < a.size(); ++i) {
    l.x_nhwc[static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(Byte(static_cast<std::int32_t>(a.GetInt(i))));
  }

  testkit::compute_test::OutQuant yq;
  if (explicit_requant) {
    yq.zero_point = rng.ZeroPoint(dtype);
    for (std::int64_t mi = 0; mi < l.m; ++mi) {
      l.requant.push_back(
          {static_cast<std::int32_t>(rng.Int(std::int64_t{1} << 30, (std::int64_t{1} << 31) - 1)),
           static_cast<int>(rng.Int(-12, 4))});
    }
  } else {
    // Real outputs from the exact accumulator, to choose a scale that spans the output type.
    std::vector<double> real;
    for (std::int64_t i = 0; i < m_rows; ++i) {
      for (std::int64_t mi = 0; mi < l.m; ++mi) {
        std::int64_t acc = bias[static_cast<std::size_t>(mi)];
        for (std::int64_t ci = 0; ci < l.c; ++ci) {
          acc += (a.GetInt(i * l.c + ci) - l.zx) * l.Weight(mi, ci, 0, 0);
        }
        real.push_back(static_cast<double>(acc) * static_cast<double>(s_a) *
                       static_cast<double>(wq.Scale(mi)));
      }
    }
    yq = testkit::compute_test::ChooseOutput(rng, real, dtype, false);
    for (std::int64_t mi = 0; mi < l.m; ++mi) {
      l.requant.push_back(
          golden::QuantizeMultiplier(static_cast<double>(s_a) * static_cast<double>(wq.Scale(mi)) /
                                     static_cast<double>(yq.scale)));
    }
  }
  l.zy = yq.zero_point;
  l.qmin = static_cast<std::int32_t>(golden::DTypeMin(dtype));
  l.qmax = static_cast<std::int32_t>(golden::DTypeMax(dtype));
  l.bias = FoldZeroPoint(bias, l.weights, l.zx);

  golden::Graph g;
  g.name = "matmul";
  testkit::compute_test::AddInput(g, "a", dtype, a.shape(),
                                  testkit::compute_test::PerTensor(s_a, l.zx));
  g.AddConstant("b", bmat, wq.Params(1));
  g.AddConstant("bias", golden::Tensor::FromVector<std::int32_t>({l.m}, bias));
  golden::Node node;
  node.name = "matmul0";
  node.op = "MatMul";
  node.inputs = {"a", "b", "bias"};
  node.outputs = {"y"};
  if (explicit_requant) node.requant = l.requant;
  g.nodes.push_back(node);
  testkit::compute_test::DeclareOutput(
      g, "y", dtype,
      explicit_requant ? golden::QuantParams{{}, {yq.zero_point}, -1}
                       : testkit::compute_test::PerTensor(yq.scale, yq.zero_point));
  g.Validate();
  const golden::Tensor golden =
      testkit::compute_test::RunOne(g, {{"a", a}}, ModeOf(single_rounding));
  ASSERT_EQ(golden.shape(), (golden::Shape{m_rows, l.m}));

  ProgramBuilder b;
  const std::uint32_t y_addr = LowerAccumulating(arch, l, b);
  const std::vector<std::uint8_t> y = RunProgram(arch, b, y_addr, golden.size());
  // [rows][N] row-major is the NHWC layout of the 1×1 convolution's [rows][1][N] output.
  std::vector<std::int64_t> got;
  for (std::uint8_t v : y) got.push_back(x_signed ? std::int64_t{static_cast<std::int8_t>(v)} : v);
  ExpectMatchesGolden(got, golden, "MatMul output");
}

TEST(IsaVsGolden, GemmTileMatMulPerChannel) {
  Rng rng(testkit::isa_test::TestSeed(kDefaultSeed + 1));
  for (const ArchConfig& arch : AllArchs()) {
    for (int i = 0; i < 4; ++i) {
      CheckMatMul(arch, rng, i % 2 == 1, i >= 2, false);
      if (HasFailure()) return;
    }
  }
}

TEST(IsaVsGolden, RequantPerChannelWithPositiveAndNegativeShifts) {
  Rng rng(testkit::isa_test::TestSeed(kDefaultSeed + 2));
  for (const ArchConfig& arch : AllArchs()) {
    for (int i = 0; i < 4; ++i) {
      CheckMatMul(arch, rng, i % 2 == 1, i >= 2, true);
      if (HasFailure()) return;
    }
  }
}

// ---- Quantized add
// -------------------------------------------------------------------------------

// Golden Add of two [1, c, h, w] tensors (a and b of either signedness, y declared) lowered to one
// vadd over every channel block, in place (dst = a) or into separate rows. The descriptor holds
// TFLite's multipliers exactly as model/golden/ops/add.cc derives them.
void CheckAdd(const ArchConfig& arch, Rng& rng, bool single_rounding, bool in_place) {
  const golden::DType a_type = rng.Chance(0.5) ? golden::DType::kInt8 : golden::DType::kUInt8;
  const golden::DType b_type = rng.Chance(0.5) ? golden::DType::kInt8 : golden::DType::kUInt8;
  const golden::DType y_type = rng.Chance(0.5) ? golden::DType::kInt8 : golden::DType::kUInt8;
  const std::int64_t c = rng.Int(1, 3 * arch.rows), h = rng.Int(1, 6), w = rng.Int(1, 6);
  SCOPED_TRACE(arch.name + " add " + std::string(golden::DTypeName(a_type)) + " + " +
               std::string(golden::DTypeName(b_type)) + " -> " +
               std::string(golden::DTypeName(y_type)) + " [1," + std::to_string(c) + "," +
               std::to_string(h) + "," + std::to_string(w) + "] " + ModeName(single_rounding) +
               (in_place ? " in place" : ""));
  const golden::Tensor a = rng.Values(a_type, {1, c, h, w});
  const golden::Tensor bt = rng.Values(b_type, {1, c, h, w});
  const float s_a = rng.Scale(0.005, 0.05), s_b = rng.Scale(0.005, 0.05);
  const float s_y = rng.Scale(0.01, 0.08);
  const std::int32_t za = rng.ZeroPoint(a_type), zb = rng.ZeroPoint(b_type);
  const std::int32_t zy = rng.ZeroPoint(y_type);
  std::int64_t qmin = golden::DTypeMin(y_type), qmax = golden::DTypeMax(y_type);
  if (rng.Chance(0.5)) {
    qmin = rng.Int(qmin, zy);
    qmax = rng.Int(zy, qmax);
  }
  constexpr int kLeftShift = 20;

  golden::Graph g;
  g.name = "add";
  testkit::compute_test::AddInput(g, "a", a_type, a.shape(),
                                  testkit::compute_test::PerTensor(s_a, za));
  testkit::compute_test::AddInput(g, "b", b_type, bt.shape(),
                                  testkit::compute_test::PerTensor(s_b, zb));
  golden::Node node;
  node.name = "add0";
  node.op = "Add";
  node.inputs = {"a", "b"};
  node.outputs = {"y"};
  node.attrs.Set("clamp_min", qmin);
  node.attrs.Set("clamp_max", qmax);
  g.nodes.push_back(node);
  testkit::compute_test::DeclareOutput(g, "y", y_type, testkit::compute_test::PerTensor(s_y, zy));
  g.Validate();
  const golden::Tensor golden =
      testkit::compute_test::RunOne(g, {{"a", a}, {"b", bt}}, ModeOf(single_rounding));

  // model/golden/ops/add.cc: twice_max = 2·max(s_a, s_b); m_a = s_a / twice_max, m_b = s_b /
  // twice_max, m_y = twice_max / (2^left_shift · s_y).
  const double twice_max = 2.0 * std::max(static_cast<double>(s_a), static_cast<double>(s_b));
  const IsaScaler ma = FromFixed(golden::QuantizeMultiplier(static_cast<double>(s_a) / twice_max));
  const IsaScaler mb = FromFixed(golden::QuantizeMultiplier(static_cast<double>(s_b) / twice_max));
  const IsaScaler my = FromFixed(golden::QuantizeMultiplier(
      twice_max / (static_cast<double>(1 << kLeftShift) * static_cast<double>(s_y))));
  const std::vector<std::int32_t> descriptor = {
      Byte(za) | Byte(zb) << 8 | Byte(zy) << 16 | (a_type == golden::DType::kInt8 ? 1 << 24 : 0) |
          (b_type == golden::DType::kInt8 ? 1 << 25 : 0) |
          (y_type == golden::DType::kInt8 ? 1 << 26 : 0),
      Byte(static_cast<std::int32_t>(qmin)) | Byte(static_cast<std::int32_t>(qmax)) << 8 |
          kLeftShift << 16,
      ma.m,
      ma.ShiftWord(),
      mb.m,
      mb.ShiftWord(),
      my.m,
      my.ShiftWord()};

  const std::int64_t blocks = CeilDiv(c, arch.rows), pixels = h * w;
  const std::uint32_t a_base = 0, b_base = U32(blocks * pixels);
  const std::uint32_t out_base = in_place ? a_base : U32(2 * blocks * pixels + 3);
  ProgramBuilder b;
  const std::uint32_t a_addr = b.PutBytes(ToNhwc(a));
  const std::uint32_t b_addr = b.PutBytes(ToNhwc(bt));
  const std::uint32_t y_addr = b.Alloc(c * pixels);
  LoadNhwc(b, arch, a_addr, h, w, c, a_base, {0, 0, 0, 0}, 0);
  LoadNhwc(b, arch, b_addr, h, w, c, b_base, {0, 0, 0, 0}, 0);
  LoadWords(b, arch, descriptor, 0);
  Vadd v;
  v.a = a_base;
  v.b = b_base;
  v.dst = out_base;
  v.n = U32(blocks * pixels);
  v.single_rounding = single_rounding;
  b.compute.push_back(v);
  StoreNhwc(b, arch, out_base, h, w, c, y_addr);
  const std::vector<std::uint8_t> y = RunProgram(arch, b, y_addr, golden.size());
  ExpectMatchesGolden(FromNhwc(y, y_type, c, h, w), golden, "Add output");
}

TEST(IsaVsGolden, QuantizedAdd) {
  Rng rng(testkit::isa_test::TestSeed(kDefaultSeed + 3));
  for (const ArchConfig& arch : AllArchs()) {
    for (int i = 0; i < 4; ++i) {
      CheckAdd(arch, rng, i % 2 == 1, i >= 2);
      if (HasFailure()) return;
    }
  }
}

// ---- Pools
// ---------------------------------------------------------------------------------------

struct PoolCase {
  std::string op;  // MaxPool, AveragePool, GlobalAveragePool
  std::int64_t c = 1, h = 1, w = 1, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  std::int64_t pads[4] = {0, 0, 0, 0};  // top, left, bottom, right
  bool ceil_mode = false, count_include_pad = false;
  golden::DType dtype = golden::DType::kUInt8;

  std::string Describe() const {
    return op + " " + std::string(golden::DTypeName(dtype)) + " [1," + std::to_string(c) + "," +
           std::to_string(h) + "," + std::to_string(w) + "] k " + std::to_string(kh) + "x" +
           std::to_string(kw) + " s " + std::to_string(sh) + "," + std::to_string(sw) + " d " +
           std::to_string(dh) + "," + std::to_string(dw) + " pads " + std::to_string(pads[0]) +
           "," + std::to_string(pads[1]) + "," + std::to_string(pads[2]) + "," +
           std::to_string(pads[3]) + (ceil_mode ? " ceil" : "") +
           (count_include_pad ? " count_include_pad" : "");
  }
};

// Largest |q − zx| over the values of `dtype` (the golden pool's bound for the pre-shift).
std::int64_t MaxCentered(golden::DType dtype, std::int32_t zx) {
  return std::max(zx - golden::DTypeMin(dtype), golden::DTypeMax(dtype) - zx);
}

// True when every output index along one axis has a window tap inside the input (the ISA's pool
// requires it; the golden model also refuses such windows unless count_include_pad).
bool EveryWindowReachesTheInput(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s,
                                std::int64_t pad, std::int64_t d) {
  for (std::int64_t o = 0; o < out; ++o) {
    bool any = false;
    for (std::int64_t t = 0; t < k; ++t) {
      const std::int64_t p = o * s - pad + t * d;
      any = any || (p >= 0 && p < in);
    }
    if (!any) return false;
  }
  return true;
}

void CheckPool(const ArchConfig& arch, Rng& rng, const PoolCase& pc, bool single_rounding) {
  SCOPED_TRACE(arch.name + " " + pc.Describe() + " " + ModeName(single_rounding));
  const bool max = pc.op == "MaxPool";
  const golden::Tensor x = rng.Values(pc.dtype, {1, pc.c, pc.h, pc.w});
  const float s_x = rng.Scale(0.005, 0.05);
  const float s_y = max ? s_x : rng.Scale(0.002, 0.05);
  const std::int32_t zx = rng.ZeroPoint(pc.dtype);
  const std::int32_t zy = max ? zx : rng.ZeroPoint(pc.dtype);

  golden::Graph g;
  g.name = "pool";
  testkit::compute_test::AddInput(g, "x", pc.dtype, x.shape(),
                                  testkit::compute_test::PerTensor(s_x, zx));
  golden::Node node;
  node.name = "pool0";
  node.op = pc.op;
  node.inputs = {"x"};
  node.outputs = {"y"};
  if (pc.op != "GlobalAveragePool") {
    node.attrs.Set("kernel_shape", std::vector<std::int64_t>{pc.kh, pc.kw});
    node.attrs.Set("strides", std::vector<std::int64_t>{pc.sh, pc.sw});
    node.attrs.Set("dilations", std::vector<std::int64_t>{pc.dh, pc.dw});
    node.attrs.Set("pads", std::vector<std::int64_t>(pc.pads, pc.pads + 4));
    node.attrs.Set("ceil_mode", std::int64_t{pc.ceil_mode ? 1 : 0});
  }
  if (pc.op == "AveragePool") {
    node.attrs.Set("count_include_pad", std::int64_t{pc.count_include_pad ? 1 : 0});
  }
  g.nodes.push_back(node);
  testkit::compute_test::DeclareOutput(g, "y", pc.dtype, testkit::compute_test::PerTensor(s_y, zy));
  g.Validate();
  const golden::Tensor golden =
      testkit::compute_test::RunOne(g, {{"x", x}}, ModeOf(single_rounding));
  const std::int64_t oh = golden.shape()[2], ow = golden.shape()[3];

  // Descriptor: zx | zy << 8 | qmin << 16 | qmax << 24, signed | count_include_pad << 1, then
  // entry e = (kh − th)·kw + (kw − tw) for a window of th × tw taps inside the input (or the one
  // entry of the whole window), each the golden multiplier for n = th·tw with its pre-shift.
  const bool is_signed = pc.dtype == golden::DType::kInt8;
  const auto qmin = static_cast<std::int32_t>(golden::DTypeMin(pc.dtype));
  const auto qmax = static_cast<std::int32_t>(golden::DTypeMax(pc.dtype));
  std::vector<std::int32_t> d = {
      static_cast<std::int32_t>(
          static_cast<std::uint32_t>(Byte(zx) | Byte(zy) << 8 | Byte(qmin) << 16) |
          static_cast<std::uint32_t>(Byte(qmax)) << 24),
      (is_signed ? 1 : 0) | (pc.count_include_pad ? 2 : 0)};
  if (!max) {
    const std::int64_t bound = MaxCentered(pc.dtype, zx);
    const auto add_entry = [&](std::int64_t n) {
      const IsaScaler s = FromPreShifted(golden::AveragePoolMultiplier(s_x, s_y, n, bound));
      d.push_back(s.m);
      d.push_back(s.ShiftWord());
    };
    if (pc.count_include_pad) {
      add_entry(pc.kh * pc.kw);
    } else {
      for (std::int64_t e = 0; e < pc.kh * pc.kw; ++e) {
        add_entry((pc.kh - e / pc.kw) * (pc.kw - e % pc.kw));  // th = kh − e / kw, tw = kw − e % kw
      }
    }
  }

  const std::int64_t blocks = CeilDiv(pc.c, arch.rows);
  const std::uint32_t out_base = U32(blocks * pc.h * pc.w);
  ProgramBuilder b;
  const std::uint32_t x_addr = b.PutBytes(ToNhwc(x));
  const std::uint32_t y_addr = b.Alloc(pc.c * oh * ow);
  LoadNhwc(b, arch, x_addr, pc.h, pc.w, pc.c, 0, {0, 0, 0, 0}, 0);
  LoadWords(b, arch, d, 0);
  for (std::int64_t kb = 0; kb < blocks; ++kb) {
    Pool p;
    p.src = U32(kb * pc.h * pc.w);
    p.dst = U32(out_base + kb * oh * ow);
    p.in_h = U32(pc.h);
    p.in_w = U32(pc.w);
    p.out_h = U32(oh);
    p.out_w = U32(ow);
    p.kh = U32(pc.kh);
    p.kw = U32(pc.kw);
    p.stride_h = U32(pc.sh);
    p.stride_w = U32(pc.sw);
    p.pad_top = U32(pc.pads[0]);
    p.pad_left = U32(pc.pads[1]);
    p.dil_h = U32(pc.dh);
    p.dil_w = U32(pc.dw);
    p.max = max;
    p.single_rounding = single_rounding;
    b.compute.push_back(p);
  }
  StoreNhwc(b, arch, out_base, oh, ow, pc.c, y_addr);
  const std::vector<std::uint8_t> y = RunProgram(arch, b, y_addr, golden.size());
  ExpectMatchesGolden(FromNhwc(y, pc.dtype, pc.c, oh, ow), golden, pc.op + " output");
}

// A random windowed pool whose every window reaches the input (redrawn until it does).
PoolCase RandomPool(const ArchConfig& arch, Rng& rng, const std::string& op) {
  for (;;) {
    PoolCase pc;
    pc.op = op;
    pc.dtype = rng.Chance(0.5) ? golden::DType::kInt8 : golden::DType::kUInt8;
    pc.c = rng.Int(1, 2 * arch.rows + 3);
    pc.h = rng.Int(1, 9);
    pc.w = rng.Int(1, 9);
    pc.kh = rng.Int(1, std::min<std::int64_t>(4, pc.h + 1));
    pc.kw = rng.Int(1, std::min<std::int64_t>(4, pc.w + 1));
    pc.sh = rng.Int(1, 3);
    pc.sw = rng.Int(1, 3);
    pc.dh = rng.Chance(0.25) ? 2 : 1;
    pc.dw = rng.Chance(0.25) ? 2 : 1;
    pc.pads[0] = rng.Int(0, pc.kh - 1);
    pc.pads[1] = rng.Int(0, pc.kw - 1);
    pc.pads[2] = rng.Int(0, pc.kh - 1);
    pc.pads[3] = rng.Int(0, pc.kw - 1);
    pc.ceil_mode = rng.Chance(0.5);
    pc.count_include_pad = rng.Chance(0.5);
    // The output size as the golden model computes it (model/golden/ops/compute_util.cc).
    const auto out = [&](std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p0,
                         std::int64_t p1, std::int64_t dil) -> std::int64_t {
      const std::int64_t extent = dil * (k - 1) + 1, span = in + p0 + p1;
      if (span < extent) return 0;
      if (!pc.ceil_mode) return (span - extent) / s + 1;
      std::int64_t o = (span - extent + s - 1) / s + 1;
      if ((o - 1) * s >= in + p0) --o;
      return o;
    };
    const std::int64_t oh = out(pc.h, pc.kh, pc.sh, pc.pads[0], pc.pads[2], pc.dh);
    const std::int64_t ow = out(pc.w, pc.kw, pc.sw, pc.pads[1], pc.pads[3], pc.dw);
    if (oh < 1 || ow < 1) continue;
    if (!EveryWindowReachesTheInput(pc.h, oh, pc.kh, pc.sh, pc.pads[0], pc.dh)) continue;
    if (!EveryWindowReachesTheInput(pc.w, ow, pc.kw, pc.sw, pc.pads[1], pc.dw)) continue;
    return pc;
  }
}

TEST(IsaVsGolden, MaxPool) {
  Rng rng(testkit::isa_test::TestSeed(kDefaultSeed + 4));
  for (const ArchConfig& arch : AllArchs()) {
    for (int i = 0; i < 6; ++i) {
      CheckPool(arch, rng, RandomPool(arch, rng, "MaxPool"), false);
      if (HasFailure()) return;
    }
  }
}

TEST(IsaVsGolden, AveragePool) {
  Rng rng(testkit::isa_test::TestSeed(kDefaultSeed + 5));
  for (const ArchConfig& arch : AllArchs()) {
    for (int i = 0; i < 8; ++i) {
      PoolCase pc = RandomPool(arch, rng, "AveragePool");
      pc.count_include_pad = i % 2 == 1;
      CheckPool(arch, rng, pc, i % 4 >= 2);
      if (HasFailure()) return;
    }
  }
}

TEST(IsaVsGolden, AveragePoolCeilModeOverhang) {
  // 5×5, 2×2 window, stride 2, ceil mode: the last row and column of windows overhang the input
  // by one (2×1, 1×2 and 1×1 taps inside); count_include_pad 1 still divides by 4 there.
  Rng rng(testkit::isa_test::TestSeed(kDefaultSeed + 6));
  for (const ArchConfig& arch : AllArchs()) {
    for (int ccip = 0; ccip < 2; ++ccip) {
      PoolCase pc;
      pc.op = "AveragePool";
      pc.c = arch.rows + 1;
      pc.h = pc.w = 5;
      pc.kh = pc.kw = 2;
      pc.sh = pc.sw = 2;
      pc.ceil_mode = true;
      pc.count_include_pad = ccip == 1;
      pc.dtype = ccip == 1 ? golden::DType::kInt8 : golden::DType::kUInt8;
      CheckPool(arch, rng, pc, false);
      if (HasFailure()) return;
    }
  }
}

TEST(IsaVsGolden, GlobalAveragePool) {
  Rng rng(testkit::isa_test::TestSeed(kDefaultSeed + 7));
  for (const ArchConfig& arch : AllArchs()) {
    for (int i = 0; i < 4; ++i) {
      PoolCase pc;
      pc.op = "GlobalAveragePool";
      pc.dtype = i % 2 == 1 ? golden::DType::kInt8 : golden::DType::kUInt8;
      pc.c = rng.Int(1, 2 * arch.rows + 3);
      pc.h = pc.kh = rng.Int(1, 12);
      pc.w = pc.kw = rng.Int(1, 12);
      pc.count_include_pad = true;  // one entry: the whole window
      CheckPool(arch, rng, pc, i >= 2);
      if (HasFailure()) return;
    }
  }
}

// ---- The example program ---------------------------------------------------------------------

// examples/isa/conv3x3_s2: the hand-written conv.s, assembled for the 8×8 array and run on its
// input, gives the golden model's output of model.json and the output the example's script
// computed with its own fixed-point arithmetic.
TEST(IsaVsGolden, ExampleConv3x3Stride2) {
  const std::string dir = std::string(QSA_SOURCE_DIR) + "/examples/isa/conv3x3_s2/";
  const ArchConfig arch = testkit::isa_test::Arch("8x8");
  const Program program = AssembleFile(dir + "conv.s", arch);
  const golden::Tensor x = golden::ReadNpy(dir + "input.npy");
  const IsaProgramRun run = RunProgramOnIsa(arch, program, {{"x", x}});
  const golden::Graph graph = golden::ReadGraphJson(dir + "model.json");
  const golden::Tensor golden = golden::RunGraph(graph, {{"x", x}}).at("y");
  const golden::Tensor expected = golden::ReadNpy(dir + "expected.npy");
  EXPECT_TRUE(run.outputs.at("y") == golden) << run.outputs.at("y").Describe();
  EXPECT_TRUE(golden == expected) << golden.Describe();
  // 18 gemms of 16 rows; 8 of the 8×8 lanes useful in block 0, 4 in block 1.
  EXPECT_EQ(run.result.counters.macs_issued, 18 * 16 * 64);
  EXPECT_EQ(run.result.counters.macs_useful, 9 * 16 * (8 + 4) * 8);
}

}  // namespace
}  // namespace qsa::isa

// Conv and MatMul on the systolic array: a sum over kernel taps of GEMMs on shifted windows of
// the input tile in the scratchpad (docs/isa.md, "gemm"; docs/compiler.md, "Convolution").
//
// Input channel block cb of an input tile occupies ih × iw scratchpad rows (one per pixel of the
// padded window, padding filled with the input zero point); weight tile (tap, cb) of output
// block mb is COLS rows of ROWS int8 (row c: output channel mb·COLS + c's weights for input
// channels cb·ROWS .. cb·ROWS + ROWS − 1, zero outside the channel's group). For each output tile
// and output block, one gemm per nonzero (tap, cb) accumulates into one accumulator row per output
// pixel; post adds the bias (with −zx·Σw folded in), requantizes, adds the output zero point,
// clamps and writes the channels into the output buffer, which the store queue writes to DRAM.
// A MatMul A[..., M, K] × B[K, N] is the 1×1 convolution of an image of M pixels with K channels.
#include <algorithm>
#include <cstring>

#include "compiler/lower/dma.h"
#include "compiler/lower/lower.h"
#include "compiler/passes/fold_zero_point.h"
#include "model/error.h"
#include "model/ops/op_util.h"

namespace qsa::compiler {
namespace isa = model::isa;

namespace {

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::uint8_t Byte(std::int64_t v) { return static_cast<std::uint8_t>(v & 0xff); }

// A convolution ready to lower: geometry, int8 weights [m][c/group][kh][kw], the bias with the
// input zero point folded in, and the per-channel post-processing words.
struct ConvProblem {
  std::string name;
  std::string op;
  int channel_axis = 1;  // of the input: 1 for images, the last axis for matrices
  ConvShape shape;
  bool x_signed = false;
  std::uint8_t fill = 0;  // the input zero point's byte
  std::vector<std::int8_t> weights;
  std::vector<std::int32_t> bias;
  std::vector<std::int32_t> mult, shifts, format;  // post parameter rows 1..3 per channel
  const DramTensor* x = nullptr;
  const DramTensor* y = nullptr;

  std::int64_t InPerGroup() const { return shape.c / shape.group; }
  std::int64_t OutPerGroup() const { return shape.m / shape.group; }
  std::int8_t Weight(std::int64_t m, std::int64_t ci, std::int64_t ky, std::int64_t kx) const {
    return weights[static_cast<std::size_t>(((m * InPerGroup() + ci) * shape.kh + ky) * shape.kw +
                                            kx)];
  }
};

// The post-processing words of each output channel from the golden model's own requantizers.
void SetPostParams(const model::Graph& graph, const model::Node& node, const model::QuantParams& wq,
                   ConvProblem& p) {
  const model::TensorInfo& x = graph.Info(node.inputs[0]);
  const model::TensorInfo& y = graph.Info(node.outputs[0]);
  if (y.dtype == model::DType::kInt32) return;
  const float s_in = x.quant.empty() ? 0.0f : x.quant.scale(0);
  const std::vector<model::Requantizer> rq = model::ops::ChannelRequantizers(
      node, model::RequantMode::kTfliteDouble, s_in, wq, y, p.shape.m);
  const bool y_signed = y.dtype == model::DType::kInt8;
  for (std::int64_t m = 0; m < p.shape.m; ++m) {
    const model::Requantizer& r = rq[rq.size() == 1 ? 0 : static_cast<std::size_t>(m)];
    p.mult.push_back(r.fixed.multiplier);
    p.shifts.push_back(std::max(r.fixed.shift, 0) | std::max(-r.fixed.shift, 0) << 8);
    p.format.push_back(static_cast<std::int32_t>(static_cast<std::uint32_t>(Byte(r.zero_point)) |
                                                 static_cast<std::uint32_t>(Byte(r.qmin)) << 8 |
                                                 static_cast<std::uint32_t>(Byte(r.qmax)) << 16 |
                                                 (y_signed ? 1u << 24 : 0u)));
  }
}

// Weight tiles of output block mb: the (tap, cb) pairs whose channels meet a group of the block.
struct TileRef {
  std::int64_t ky = 0, kx = 0, cb = 0;
};

std::vector<TileRef> TilesOfBlock(const model::ArchConfig& arch, const ConvProblem& p,
                                  std::int64_t mb) {
  const ConvShape& s = p.shape;
  const std::int64_t m0 = mb * arch.cols, m1 = std::min(s.m, m0 + arch.cols);
  const std::int64_t g0 = m0 / p.OutPerGroup(), g1 = (m1 - 1) / p.OutPerGroup();
  const std::int64_t c0 = g0 * p.InPerGroup(), c1 = (g1 + 1) * p.InPerGroup();
  std::vector<TileRef> tiles;
  for (std::int64_t ky = 0; ky < s.kh; ++ky) {
    for (std::int64_t kx = 0; kx < s.kw; ++kx) {
      for (std::int64_t cb = c0 / arch.rows; cb * arch.rows < c1; ++cb) {
        tiles.push_back({ky, kx, cb});
      }
    }
  }
  return tiles;
}

// The tile's bytes: row c (output channel mb·COLS + c), lane r (input channel cb·ROWS + r).
void AppendTile(const model::ArchConfig& arch, const ConvProblem& p, std::int64_t mb,
                const TileRef& t, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.resize(start + static_cast<std::size_t>(arch.cols * arch.rows), 0);
  std::uint8_t* tile = out.data() + start;
  const std::int64_t taps = p.shape.kh * p.shape.kw, tap = t.ky * p.shape.kw + t.kx;
  for (std::int64_t c = 0; c < arch.cols; ++c) {
    const std::int64_t m = mb * arch.cols + c;
    if (m >= p.shape.m) break;
    // Input channels of m's group that fall in this tile's lanes.
    const std::int64_t g0 = (m / p.OutPerGroup()) * p.InPerGroup();
    const std::int64_t lo = std::max(g0, t.cb * arch.rows);
    const std::int64_t hi =
        std::min({g0 + p.InPerGroup(), t.cb * arch.rows + arch.rows, p.shape.c});
    const std::int8_t* wm = p.weights.data() + m * p.InPerGroup() * taps + tap;
    for (std::int64_t ci = lo; ci < hi; ++ci) {
      tile[c * arch.rows + (ci - t.cb * arch.rows)] =
          static_cast<std::uint8_t>(wm[(ci - g0) * taps]);
    }
  }
}

std::string TileName(std::int64_t n, std::int64_t y, std::int64_t x, std::int64_t th,
                     std::int64_t tw) {
  return "n" + std::to_string(n) + " y" + std::to_string(y) + ".." + std::to_string(y + th - 1) +
         " x" + std::to_string(x) + ".." + std::to_string(x + tw - 1);
}

void Lower(LowerContext& ctx, ConvProblem& p) {
  const model::ArchConfig& arch = ctx.arch();
  const std::int64_t rows = arch.rows, cols = arch.cols;
  ConvShape& s = p.shape;
  const std::int64_t cb_n = CeilDiv(s.c, rows), mb_n = CeilDiv(s.m, cols);
  std::vector<std::vector<TileRef>> tiles(static_cast<std::size_t>(mb_n));
  s.tiles_per_block.clear();
  for (std::int64_t mb = 0; mb < mb_n; ++mb) {
    tiles[static_cast<std::size_t>(mb)] = TilesOfBlock(arch, p, mb);
    s.tiles_per_block.push_back(
        static_cast<std::int64_t>(tiles[static_cast<std::size_t>(mb)].size()));
  }
  const ConvTiling t = ChooseConvTiling(arch, s, p.name);
  LayerEstimate estimate = EstimateConv(arch, s, t);
  estimate.name = p.name;

  ProgramBuilder& pb = ctx.program;
  const int layer = pb.BeginLayer(p.name);
  (void)layer;

  // DRAM: weight tiles block by block (the tiles of a block contiguous), post parameters.
  std::vector<std::uint8_t> wbytes;
  std::vector<std::int64_t> block_first_tile;
  std::int64_t tile_count = 0;
  for (std::int64_t mb = 0; mb < mb_n; ++mb) {
    block_first_tile.push_back(tile_count);
    for (const TileRef& tr : tiles[static_cast<std::size_t>(mb)])
      AppendTile(arch, p, mb, tr, wbytes);
    tile_count += static_cast<std::int64_t>(tiles[static_cast<std::size_t>(mb)].size());
  }
  const std::int64_t w_addr = pb.PutBytes(wbytes);
  const std::int64_t tile_bytes = rows * cols;
  std::int64_t param_addr = 0;
  std::int64_t bias_addr = 0;  // raw output: each block's bias, loaded into its accumulators
  if (s.raw) {
    std::vector<std::int32_t> words(static_cast<std::size_t>(mb_n * cols), 0);
    std::copy(p.bias.begin(), p.bias.end(), words.begin());
    bias_addr = pb.PutWords(words);
  } else {
    std::vector<std::int32_t> words(static_cast<std::size_t>(mb_n * 4 * cols), 0);
    for (std::int64_t m = 0; m < s.m; ++m) {
      const std::size_t at = static_cast<std::size_t>((m / cols) * 4 * cols + m % cols);
      const auto mi = static_cast<std::size_t>(m);
      words[at] = p.bias[mi];
      words[at + static_cast<std::size_t>(cols)] = p.mult[mi];
      words[at + static_cast<std::size_t>(2 * cols)] = p.shifts[mi];
      words[at + static_cast<std::size_t>(3 * cols)] = p.format[mi];
    }
    param_addr = pb.PutWords(words);
  }

  // On-chip regions.
  const OnChipBase base = pb.TakeOnChip(t.ScratchpadRows(), t.acc_rows, t.param_rows, p.name);
  const std::int64_t in_base = base.scratchpad;
  const std::int64_t w_base = in_base + t.in_rows * t.in_buffers;
  const std::int64_t out_base = w_base + t.w_rows;
  const std::int64_t spb = std::max<std::int64_t>(1, cols / rows);
  const std::int64_t mbs_per_unit = std::max<std::int64_t>(1, rows / cols);
  const std::int64_t max_pixels = t.flat ? t.run : t.th * t.tw;

  const RowsView xr = *RowsOf(p.x->layout, p.channel_axis);
  const std::int64_t x_pixel = xr.pixel_stride;
  const std::int64_t y_pixel = s.m * (s.raw ? 4 : 1);

  bool first_step = true;
  std::int64_t tile_index = 0;
  std::int64_t out_buffer = 0;  // alternates per output unit
  std::int64_t w_buffer = 0;    // alternates per streamed weight chunk
  std::int64_t acc_buffer = 0;  // alternates per block (raw output only)

  // One spatial tile: input window, then every output block.
  struct SpatialTile {
    std::int64_t n = 0, oy = 0, ox = 0, th = 0, tw = 0;  // grid
    std::int64_t p0 = 0, count = 0;                      // flat
  };
  std::vector<SpatialTile> spatial;
  if (t.flat) {
    const std::int64_t total = s.batch * s.oh * s.ow;
    for (std::int64_t p0 = 0; p0 < total; p0 += t.run) {
      spatial.push_back({0, 0, 0, 0, 0, p0, std::min(t.run, total - p0)});
    }
  } else {
    for (std::int64_t n = 0; n < s.batch; ++n) {
      for (std::int64_t oy = 0; oy < s.oh; oy += t.th) {
        for (std::int64_t ox = 0; ox < s.ow; ox += t.tw) {
          spatial.push_back(
              {n, oy, ox, std::min(t.th, s.oh - oy), std::min(t.tw, s.ow - ox), 0, 0});
        }
      }
    }
  }

  for (const SpatialTile& st : spatial) {
    const std::int64_t in_buf = in_base + (tile_index % t.in_buffers) * t.in_rows;
    const std::int64_t pixels = t.flat ? st.count : st.th * st.tw;
    const std::string where =
        t.flat ? "pixels " + std::to_string(st.p0) + ".." + std::to_string(st.p0 + st.count - 1)
               : TileName(st.n, st.oy, st.ox, st.th, st.tw);
    // Input window geometry (grid).
    const std::int64_t ih = t.flat ? 0 : WindowExtent(st.th, s.kh, s.sh, s.dh);
    const std::int64_t iw = t.flat ? 0 : WindowExtent(st.tw, s.kw, s.sw, s.dw);
    const std::int64_t in_block_rows = t.flat ? t.run : ih * iw;
    for (std::int64_t mb = 0; mb < mb_n; ++mb) {
      const auto& block = tiles[static_cast<std::size_t>(mb)];
      const std::int64_t n_tiles = static_cast<std::int64_t>(block.size());
      const std::int64_t chunk = t.weights_resident ? std::max<std::int64_t>(n_tiles, 1) : t.chunk;
      const std::int64_t n_lanes = std::min(cols, s.m - mb * cols);
      const std::int64_t unit = mb / mbs_per_unit;
      const bool unit_first = mb % mbs_per_unit == 0;
      const bool unit_last = (mb + 1) % mbs_per_unit == 0 || mb + 1 == mb_n;
      if (unit_first && mb > 0) ++out_buffer;
      const std::int64_t out_buf =
          out_base + (out_buffer % std::max<std::int64_t>(t.out_buffers, 1)) * t.out_rows;
      const std::int64_t acc =
          base.accumulator + (s.raw ? (acc_buffer++ % t.w_buffers) * max_pixels : 0);
      for (std::int64_t c0 = 0; c0 < std::max<std::int64_t>(n_tiles, 1); c0 += chunk) {
        Step& step = pb.NewStep();
        const std::string tag = p.name + " " + where + " block " + std::to_string(mb);
        if (first_step) {
          if (t.weights_resident) {
            LoadRows(step.loads, w_base, w_addr, tile_count * cols, rows, rows, 0,
                     p.name + ": all weight tiles");
          }
          if (!s.raw && t.params_resident) {
            LoadParamRows(step.loads, arch, base.param, param_addr, 4 * mb_n,
                          p.name + ": bias and requantization of every block");
          }
          first_step = false;
        }
        if (mb == 0 && c0 == 0) {
          for (std::int64_t cb = 0; cb < cb_n; ++cb) {
            const std::int64_t lanes = std::min(rows, s.c - cb * rows);
            const std::string what = p.name + " " + where + ": input channels " +
                                     std::to_string(cb * rows) + ".." +
                                     std::to_string(cb * rows + lanes - 1);
            const std::int64_t row = in_buf + cb * in_block_rows;
            if (t.flat) {
              LoadRows(step.loads, row, p.x->addr + st.p0 * x_pixel + cb * rows, st.count, x_pixel,
                       lanes, p.fill, what);
            } else {
              ImageWindow w;
              w.dram = p.x->addr + st.n * s.h * s.w * x_pixel + cb * rows;
              w.height = s.h;
              w.width = s.w;
              w.stride_y = s.w * x_pixel;
              w.stride_x = x_pixel;
              w.y0 = st.oy * s.sh - s.pt;
              w.y1 = w.y0 + ih;
              w.x0 = st.ox * s.sw - s.pl;
              w.x1 = w.x0 + iw;
              w.lanes = lanes;
              w.fill = p.fill;
              LoadWindow(step.loads, row, w, what);
            }
          }
        }
        const std::int64_t c1 = std::min(n_tiles, c0 + chunk);
        std::int64_t w_rows_base = 0;
        if (t.weights_resident) {
          w_rows_base = w_base + (block_first_tile[static_cast<std::size_t>(mb)] + c0) * cols;
        } else {
          w_rows_base = w_base + (w_buffer++ % t.w_buffers) * t.chunk * cols;
          LoadRows(step.loads, w_rows_base,
                   w_addr + (block_first_tile[static_cast<std::size_t>(mb)] + c0) * tile_bytes,
                   (c1 - c0) * cols, rows, rows, 0,
                   p.name + " block " + std::to_string(mb) + ": weight tiles " +
                       std::to_string(c0) + ".." + std::to_string(c1 - 1));
        }
        std::int64_t param_row = base.param + 4 * mb;
        if (!s.raw && !t.params_resident) {
          param_row = base.param + 4 * (mb % t.w_buffers);
          if (c0 == 0) {
            LoadParamRows(step.loads, arch, param_row, param_addr + mb * 16 * cols, 4,
                          p.name + " block " + std::to_string(mb) + ": bias and requantization");
          }
        }
        if (s.raw && c0 == 0) {
          // No post-processing adds the bias: the accumulators start from it.
          LoadAccRows(step.loads, acc, bias_addr + mb * cols * 4, pixels, 0, cols,
                      tag + ": bias into the accumulators");
        }
        for (std::int64_t i = c0; i < c1; ++i) {
          const TileRef& tr = block[static_cast<std::size_t>(i)];
          const std::int64_t in_rows0 = in_buf + tr.cb * in_block_rows;
          const std::int64_t w_row = w_rows_base + (i - c0) * cols;
          const std::string what = tag + " tap " + std::to_string(tr.ky) + "," +
                                   std::to_string(tr.kx) + " channels " +
                                   std::to_string(tr.cb * rows) + "+";
          isa::Gemm g;
          g.w = Field(w_row, "weight row");
          g.preload = true;
          g.accumulate = i > 0 || s.raw;
          g.act_signed = p.x_signed;
          g.k_lanes = Field(std::min(rows, s.c - tr.cb * rows), "k_lanes");
          g.n_lanes = Field(n_lanes, "n_lanes");
          if (t.flat) {
            std::int64_t done = 0;
            for (const auto& [outer, inner] : Runs(st.count)) {
              isa::Gemm r = g;
              r.act = Field(in_rows0 + done, "act");
              r.act_outer = Field(inner, "act_outer");
              r.act_inner = 1;
              r.acc = Field(acc + done, "acc");
              r.acc_outer = Field(inner, "acc_outer");
              r.n_outer = Field(outer, "n_outer");
              r.n_inner = Field(inner, "n_inner");
              r.preload = done == 0;
              step.computes.push_back({r, what});
              done += outer * inner;
            }
          } else {
            g.act = Field(in_rows0 + tr.ky * s.dh * iw + tr.kx * s.dw, "act");
            g.act_outer = Field(s.sh * iw, "act_outer");
            g.act_inner = Field(s.sw, "act_inner");
            g.acc = Field(acc, "acc");
            g.acc_outer = Field(st.tw, "acc_outer");
            g.n_outer = Field(st.th, "n_outer");
            g.n_inner = Field(st.tw, "n_inner");
            step.computes.push_back({g, what});
          }
        }
        if (c1 < n_tiles) continue;  // more weight chunks for this block
        if (n_tiles == 0) {
          throw Error("internal: output block without weight tiles in " + p.name);
        }
        // Output pixel i of the tile: DRAM address of its first channel.
        const std::int64_t ch0 = mb * cols;
        if (s.raw) {
          const std::string what = tag + ": raw accumulators";
          if (t.flat) {
            StoreAccRows(step.stores, acc, p.y->addr + st.p0 * y_pixel + ch0 * 4, st.count, y_pixel,
                         n_lanes, what);
          } else {
            StoreAccGrid(step.stores, acc,
                         p.y->addr + ((st.n * s.oh + st.oy) * s.ow + st.ox) * y_pixel + ch0 * 4,
                         st.th, st.tw, s.ow * y_pixel, y_pixel, n_lanes, what);
          }
          continue;
        }
        isa::Post post;
        post.acc = Field(acc, "acc");
        post.n = Field(pixels, "n");
        post.dst = Field(out_buf, "dst");
        post.dst_stride = 1;
        post.blk_stride = Field(max_pixels, "blk_stride");
        post.dst_lane = Field(cols < rows ? (mb * cols) % rows : 0, "dst_lane");
        post.n_lanes = Field(n_lanes, "n_lanes");
        post.param = Field(param_row, "param");
        post.single_rounding = ctx.options.single_rounding;
        step.computes.push_back({post, tag + ": bias, requantize, clamp"});
        if (!unit_last) continue;
        // Store the unit's channel blocks of ROWS channels.
        const std::int64_t unit_ch0 = unit * mbs_per_unit * cols;
        for (std::int64_t b = 0; b < spb; ++b) {
          const std::int64_t c_first = unit_ch0 + b * rows;
          if (c_first >= s.m) break;
          const std::int64_t lanes = std::min(rows, s.m - c_first);
          const std::int64_t row = out_buf + b * max_pixels;
          const std::string what = tag + ": output channels " + std::to_string(c_first) + ".." +
                                   std::to_string(c_first + lanes - 1);
          if (t.flat) {
            StoreRows(step.stores, row, p.y->addr + st.p0 * y_pixel + c_first, st.count, y_pixel,
                      lanes, 0, what);
          } else {
            StoreGrid(step.stores, row,
                      p.y->addr + ((st.n * s.oh + st.oy) * s.ow + st.ox) * y_pixel + c_first, st.th,
                      st.tw, s.ow * y_pixel, y_pixel, lanes, 0, what);
          }
        }
      }
    }
    ++tile_index;
    ++out_buffer;
  }
  estimate.op = p.op;
  ctx.layers.push_back(estimate);
}

// Weights as int8 [m][c/group][kh][kw] from a constant int8 tensor with zero points 0.
std::vector<std::int8_t> Int8Values(const model::Tensor& t) {
  const auto v = t.Data<std::int8_t>();
  return std::vector<std::int8_t>(v.begin(), v.end());
}

void Common(LowerContext& ctx, const model::Node& node, ConvProblem& p,
            const model::QuantParams& wq) {
  const model::Graph& g = ctx.graph;
  const model::TensorInfo& x = g.Info(node.inputs[0]);
  const model::TensorInfo& y = g.Info(node.outputs[0]);
  p.name = node.name;
  p.op = node.op;
  p.x_signed = x.dtype == model::DType::kInt8;
  p.fill = Byte(x.quant.zero_points.empty() ? 0 : x.quant.zero_points[0]);
  p.shape.raw = y.dtype == model::DType::kInt32;
  p.bias = AcceleratorBias(g, node);
  SetPostParams(g, node, wq, p);
  p.x = &ctx.Tensor(node.inputs[0]);
  p.y = &PlaceOutput(ctx, node.outputs[0], DefaultLayout(y.shape));
}

}  // namespace

void LowerConv(LowerContext& ctx, const model::Node& node) {
  const model::Graph& g = ctx.graph;
  const model::TensorInfo& x = g.Info(node.inputs[0]);
  const model::TensorInfo& w = g.Info(node.inputs[1]);
  const model::TensorInfo& y = g.Info(node.outputs[0]);
  ConvProblem p;
  ConvShape& s = p.shape;
  s.batch = x.shape[0];
  s.c = x.shape[1];
  s.h = x.shape[2];
  s.w = x.shape[3];
  s.m = w.shape[0];
  s.kh = w.shape[2];
  s.kw = w.shape[3];
  s.oh = y.shape[2];
  s.ow = y.shape[3];
  s.group = node.attrs.GetInt("group", 1);
  const auto strides = node.attrs.GetInts("strides", {1, 1});
  const auto dil = node.attrs.GetInts("dilations", {1, 1});
  const auto pads = node.attrs.GetInts("pads", {0, 0, 0, 0});
  s.sh = strides[0];
  s.sw = strides[1];
  s.dh = dil[0];
  s.dw = dil[1];
  s.pt = pads[0];
  s.pl = pads[1];
  s.pb = pads[2];
  s.pr = pads[3];
  p.weights = Int8Values(g.Constant(node.inputs[1]));
  Common(ctx, node, p, w.quant);
  Lower(ctx, p);
}

void LowerMatMul(LowerContext& ctx, const model::Node& node) {
  const model::Graph& g = ctx.graph;
  const model::TensorInfo& a = g.Info(node.inputs[0]);
  const model::TensorInfo& b = g.Info(node.inputs[1]);
  const bool transpose_b = node.attrs.GetInt("transpose_b", 0) == 1;
  const std::int64_t rb = static_cast<std::int64_t>(b.shape.size());
  const std::int64_t k = transpose_b ? b.shape[static_cast<std::size_t>(rb - 1)]
                                     : b.shape[static_cast<std::size_t>(rb - 2)];
  const std::int64_t n = transpose_b ? b.shape[static_cast<std::size_t>(rb - 2)]
                                     : b.shape[static_cast<std::size_t>(rb - 1)];
  ConvProblem p;
  p.channel_axis = static_cast<int>(a.shape.size()) - 1;
  ConvShape& s = p.shape;
  s.c = k;
  s.m = n;
  s.h = model::NumElements(a.shape) / k;  // every row of A is a pixel
  s.oh = s.h;
  // Weights [n][k][1][1] = B^T.
  const model::Tensor& bt = g.Constant(node.inputs[1]);
  p.weights.resize(static_cast<std::size_t>(n * k));
  for (std::int64_t ni = 0; ni < n; ++ni) {
    for (std::int64_t ki = 0; ki < k; ++ki) {
      const std::int64_t at = transpose_b ? ni * k + ki : ki * n + ni;
      p.weights[static_cast<std::size_t>(ni * k + ki)] = static_cast<std::int8_t>(bt.GetInt(at));
    }
  }
  // The golden MatMul's per-column weight quantization is along B's N axis.
  model::QuantParams wq = b.quant;
  if (wq.per_axis()) wq.axis = 0;
  Common(ctx, node, p, wq);
  Lower(ctx, p);
}

}  // namespace qsa::compiler

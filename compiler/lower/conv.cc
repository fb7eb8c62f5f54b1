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
#include <optional>

#include "compiler/lower/dma.h"
#include "compiler/lower/lower.h"
#include "compiler/passes/fold_zero_point.h"
#include "model/base/error.h"
#include "model/golden/ops/op_util.h"

namespace qsa::compiler {

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
  // DRAM addresses of the input: x_addr + n·x_image + y·x_row + x·x_pixel + channel. From the
  // input's rows view, or the padded copy's view when channels are packed (PackSmallChannels).
  std::int64_t x_addr = 0, x_pixel = 0, x_row = 0, x_image = 0;
  // Packed (PackSmallChannels): the original channels and kernel width, for the lanes that carry
  // real products; 0 when not packed.
  std::int64_t packed_c = 0, packed_kw = 0;

  std::int64_t InPerGroup() const { return shape.c / shape.group; }
  std::int64_t OutPerGroup() const { return shape.m / shape.group; }
  std::int8_t Weight(std::int64_t m, std::int64_t ci, std::int64_t ky, std::int64_t kx) const {
    return weights[static_cast<std::size_t>(((m * InPerGroup() + ci) * shape.kh + ky) * shape.kw +
                                            kx)];
  }
};

// The post-processing words of each output channel from the golden model's own requantizers.
void SetPostParams(const golden::Graph& graph, const golden::Node& node,
                   const golden::QuantParams& wq, ConvProblem& p) {
  const golden::TensorInfo& x = graph.Info(node.inputs[0]);
  const golden::TensorInfo& y = graph.Info(node.outputs[0]);
  if (y.dtype == golden::DType::kInt32) return;
  const float s_in = x.quant.empty() ? 0.0f : x.quant.scale(0);
  const std::vector<golden::Requantizer> rq = golden::ops::ChannelRequantizers(
      node, golden::RequantMode::kTfliteDouble, s_in, wq, y, p.shape.m);
  const bool y_signed = y.dtype == golden::DType::kInt8;
  for (std::int64_t m = 0; m < p.shape.m; ++m) {
    const golden::Requantizer& r = rq[rq.size() == 1 ? 0 : static_cast<std::size_t>(m)];
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

std::vector<TileRef> TilesOfBlock(const isa::ArchConfig& arch, const ConvProblem& p,
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
void AppendTile(const isa::ArchConfig& arch, const ConvProblem& p, std::int64_t mb,
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

// The weight tiles of every output block, and the tiling the cost model picks.
struct Plan {
  std::vector<std::vector<TileRef>> tiles;
  ConvTiling tiling;
  LayerEstimate estimate;
};

Plan PlanProblem(const isa::ArchConfig& arch, ConvProblem& p) {
  Plan plan;
  ConvShape& s = p.shape;
  const std::int64_t mb_n = CeilDiv(s.m, arch.cols);
  plan.tiles.resize(static_cast<std::size_t>(mb_n));
  s.tiles_per_block.clear();
  for (std::int64_t mb = 0; mb < mb_n; ++mb) {
    plan.tiles[static_cast<std::size_t>(mb)] = TilesOfBlock(arch, p, mb);
    s.tiles_per_block.push_back(
        static_cast<std::int64_t>(plan.tiles[static_cast<std::size_t>(mb)].size()));
  }
  plan.tiling = ChooseConvTiling(arch, s, p.name);
  plan.estimate = EstimateConv(arch, s, plan.tiling);
  plan.estimate.name = p.name;
  plan.estimate.op = p.op;
  return plan;
}

void Lower(LowerContext& ctx, const ConvProblem& p, const Plan& plan) {
  const isa::ArchConfig& arch = ctx.arch();
  const std::int64_t rows = arch.rows, cols = arch.cols;
  const ConvShape& s = p.shape;
  const std::int64_t cb_n = CeilDiv(s.c, rows), mb_n = CeilDiv(s.m, cols);
  const std::vector<std::vector<TileRef>>& tiles = plan.tiles;
  const ConvTiling& t = plan.tiling;

  ProgramBuilder& pb = ctx.program;
  pb.BeginLayer(p.name);

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

  const std::int64_t x_pixel = p.x_pixel;
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
              LoadRows(step.loads, row, p.x_addr + st.p0 * x_pixel + cb * rows, st.count, x_pixel,
                       lanes, p.fill, what);
            } else {
              ImageWindow w;
              w.dram = p.x_addr + st.n * p.x_image + cb * rows;
              w.height = s.h;
              w.width = s.w;
              w.stride_y = p.x_row;
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
          const std::int64_t k_lanes =
              p.packed_c > 0
                  ? std::min(s.dw, p.packed_kw - tr.kx * s.dw) * p.packed_c  // pixels · channels
                  : std::min({rows, s.c - tr.cb * rows, p.InPerGroup()});    // a group's lanes
          g.k_lanes = Field(k_lanes, "k_lanes");
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
        post.single_rounding = golden::IsSingleRounding(ctx.options.rounding);
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
  ctx.layers.push_back(plan.estimate);
}

// Weights as int8 [m][c/group][kh][kw] from a constant int8 tensor with zero points 0.
std::vector<std::int8_t> Int8Values(const golden::Tensor& t) {
  const auto v = t.Data<std::int8_t>();
  return std::vector<std::int8_t>(v.begin(), v.end());
}

void Common(LowerContext& ctx, const golden::Node& node, ConvProblem& p,
            const golden::QuantParams& wq) {
  const golden::Graph& g = ctx.graph;
  const golden::TensorInfo& x = g.Info(node.inputs[0]);
  const golden::TensorInfo& y = g.Info(node.outputs[0]);
  p.name = node.name;
  p.op = node.op;
  p.x_signed = x.dtype == golden::DType::kInt8;
  p.fill = Byte(x.quant.zero_points.empty() ? 0 : x.quant.zero_points[0]);
  p.shape.raw = y.dtype == golden::DType::kInt32;
  p.bias = AcceleratorBias(g, node);
  SetPostParams(g, node, wq, p);
  p.x = &ctx.Tensor(node.inputs[0]);
  p.y = &PlaceOutput(ctx, node.outputs[0], DefaultLayout(y.shape));
  const RowsView xr = *RowsOf(p.x->layout, p.channel_axis);
  p.x_addr = p.x->addr;
  p.x_pixel = xr.pixel_stride;
  p.x_row = p.shape.w * p.x_pixel;
  p.x_image = p.shape.h * p.x_row;
}

// ---- Small channel counts: several pixels per scratchpad row ------------------------------------
//
// A convolution with C <= ROWS / 2 input channels (the first layer of an image network) uses
// C of the array's ROWS input lanes. Packing P = ROWS / C horizontally adjacent pixels into one
// row uses P·C: in NHWC the channels of pixels x .. x + P − 1 are P·C consecutive bytes, so
// reading P·C bytes at pixel x gives that row. This is a convolution of the same output over a
// view X' of the zero-point-padded input: X'[y][x'] = the P·C bytes at padded pixel (y, x'),
// kernel KH × ceil(KW / P), horizontal dilation P (tap g covers kernel columns g·P .. g·P + P − 1),
// no padding; weight lane p·C + c of tap (ky, g) is W[m][c][ky][g·P + p] (0 past KW). The padded
// copy (with zero-point borders, so that no row straddles the image edge) is made by the program
// first: load with padding, store.

struct Packing {
  std::int64_t pixels = 0;  // P
  std::int64_t groups = 0;  // ceil(KW / P)
  std::int64_t hp = 0;      // padded height
  std::int64_t width = 0;   // padded width, with room for the last row's P pixels
};

std::optional<Packing> PackingFor(const isa::ArchConfig& arch, const ConvProblem& p) {
  const ConvShape& s = p.shape;
  if (s.group != 1 || s.dw != 1 || s.kw < 2 || 2 * s.c > arch.rows || s.raw) return std::nullopt;
  Packing k;
  k.pixels = arch.rows / s.c;
  k.groups = CeilDiv(s.kw, k.pixels);
  k.hp = s.h + s.pt + s.pb;
  k.width = std::max(s.w + s.pl + s.pr, (s.ow - 1) * s.sw + k.groups * k.pixels);
  if (k.width > 255) return std::nullopt;  // one padded row must fit a DMA grid row
  return k;
}

ConvProblem PackedProblem(const ConvProblem& p, const Packing& k) {
  ConvProblem q = p;
  ConvShape& s = q.shape;
  const ConvShape& o = p.shape;
  s.c = k.pixels * o.c;
  s.h = k.hp;
  s.w = k.width - k.pixels + 1;
  s.kw = k.groups;
  s.dw = k.pixels;
  s.pt = s.pl = s.pb = s.pr = 0;
  q.weights.assign(static_cast<std::size_t>(o.m * s.c * o.kh * k.groups), 0);
  for (std::int64_t m = 0; m < o.m; ++m) {
    for (std::int64_t ky = 0; ky < o.kh; ++ky) {
      for (std::int64_t g = 0; g < k.groups; ++g) {
        for (std::int64_t px = 0; px < k.pixels && g * k.pixels + px < o.kw; ++px) {
          for (std::int64_t c = 0; c < o.c; ++c) {
            q.weights[static_cast<std::size_t>(((m * s.c + px * o.c + c) * o.kh + ky) * k.groups +
                                               g)] = p.Weight(m, c, ky, g * k.pixels + px);
          }
        }
      }
    }
  }
  q.packed_c = o.c;
  q.packed_kw = o.kw;
  q.x_pixel = o.c;
  q.x_row = k.width * o.c;
  q.x_image = k.hp * q.x_row;
  return q;
}

// The padded copy: DRAM rows of `width` pixels (zero point outside the image), `hp` per image.
// Returns its estimate; `dst` receives the copy's address.
LayerEstimate EmitPaddedCopy(LowerContext& ctx, const ConvProblem& p, const Packing& k,
                             std::int64_t& dst) {
  const isa::ArchConfig& arch = ctx.arch();
  const ConvShape& s = p.shape;
  ProgramBuilder& pb = ctx.program;
  const std::string name = p.name + " (padded input)";
  pb.BeginLayer(name);
  dst = pb.AllocDram(s.batch * k.hp * k.width * s.c);
  const std::int64_t budget = arch.scratchpad_rows() / 2;
  const std::int64_t chunk = std::clamp<std::int64_t>(budget / k.width, 1, k.hp);
  const OnChipBase base = pb.TakeOnChip(2 * chunk * k.width, 0, 0, name);
  LayerEstimate e;
  e.name = name;
  e.op = "Pad";
  e.min_dram_bytes = s.batch * (s.h * s.w + k.hp * k.width) * s.c;
  std::int64_t buffer = 0;
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t r0 = 0; r0 < k.hp; r0 += chunk, ++buffer) {
      const std::int64_t r1 = std::min(k.hp, r0 + chunk);
      Step& step = pb.NewStep();
      const std::int64_t row = base.scratchpad + (buffer % 2) * chunk * k.width;
      const std::string tag = name + " n" + std::to_string(n) + " rows " + std::to_string(r0) +
                              ".." + std::to_string(r1 - 1);
      ImageWindow w;
      w.dram = p.x_addr + n * p.x_image;
      w.height = s.h;
      w.width = s.w;
      w.stride_y = p.x_row;
      w.stride_x = p.x_pixel;
      w.y0 = r0 - s.pt;
      w.y1 = r1 - s.pt;
      w.x0 = -s.pl;
      w.x1 = k.width - s.pl;
      w.lanes = s.c;
      w.fill = p.fill;
      LoadWindow(step.loads, row, w, tag);
      const std::int64_t count = (r1 - r0) * k.width;
      StoreRows(step.stores, row, dst + (n * k.hp + r0) * k.width * s.c, count, s.c, s.c, 0, tag);
      const std::int64_t inside = std::max<std::int64_t>(
          0, std::min(r1 - s.pt, s.h) - std::max(r0 - s.pt, std::int64_t{0}));
      e.load_cycles += DmaCycles(arch, inside * s.w * s.c);
      e.dram_read += inside * s.w * s.c;
      e.store_cycles += std::max(DmaCycles(arch, count * s.c), count);
      e.dram_written += count * s.c;
      e.instructions += 2;
      ++e.tiles;
    }
  }
  FinishEstimate(arch, e);
  e.plan = std::to_string(e.tiles) + " chunks of " + std::to_string(chunk) + " rows";
  return e;
}

// A 1×1 convolution with stride s and no padding reads every s-th pixel: it is the stride-1
// convolution of the strided view (pixel stride s·C, row stride s·W·C), so that only the pixels
// it reads are loaded.
void ViewStridedPointwise(ConvProblem& p) {
  ConvShape& s = p.shape;
  if (s.kh != 1 || s.kw != 1 || (s.sh == 1 && s.sw == 1) || s.pt != 0 || s.pl != 0 || s.pb != 0 ||
      s.pr != 0) {
    return;
  }
  p.x_pixel *= s.sw;
  p.x_row *= s.sh;
  s.h = s.oh;
  s.w = s.ow;
  s.sh = s.sw = 1;
  s.dense_input = false;
}

// Lowers the convolution packed when the cost model says that is faster, else as it is.
void LowerChoosingPacking(LowerContext& ctx, ConvProblem& p) {
  const isa::ArchConfig& arch = ctx.arch();
  ViewStridedPointwise(p);
  Plan plan = PlanProblem(arch, p);
  if (const std::optional<Packing> k = PackingFor(arch, p)) {
    ConvProblem q = PackedProblem(p, *k);
    try {
      Plan packed = PlanProblem(arch, q);
      // The copy moves one padded row per cycle at best, loads and stores overlapping.
      const std::int64_t copy = p.shape.batch * k->hp * k->width + 2 * arch.dram_latency_cycles;
      if (packed.estimate.cycles + copy < plan.estimate.cycles) {
        std::int64_t dst = 0;
        ctx.layers.push_back(EmitPaddedCopy(ctx, p, *k, dst));
        q.x_addr = dst;
        packed.estimate.plan += ", " + std::to_string(k->pixels) + " pixels per row";
        packed.estimate.macs = p.shape.Macs();
        Lower(ctx, q, packed);
        return;
      }
    } catch (const Error&) {
      // The packed form does not fit; the plain one does.
    }
  }
  Lower(ctx, p, plan);
}

}  // namespace

void LowerConv(LowerContext& ctx, const golden::Node& node) {
  const golden::Graph& g = ctx.graph;
  const golden::TensorInfo& x = g.Info(node.inputs[0]);
  const golden::TensorInfo& w = g.Info(node.inputs[1]);
  const golden::TensorInfo& y = g.Info(node.outputs[0]);
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
  LowerChoosingPacking(ctx, p);
}

void LowerMatMul(LowerContext& ctx, const golden::Node& node) {
  const golden::Graph& g = ctx.graph;
  const golden::TensorInfo& a = g.Info(node.inputs[0]);
  const golden::TensorInfo& b = g.Info(node.inputs[1]);
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
  s.h = golden::NumElements(a.shape) / k;  // every row of A is a pixel
  s.oh = s.h;
  // Weights [n][k][1][1] = B^T.
  const golden::Tensor& bt = g.Constant(node.inputs[1]);
  p.weights.resize(static_cast<std::size_t>(n * k));
  for (std::int64_t ni = 0; ni < n; ++ni) {
    for (std::int64_t ki = 0; ki < k; ++ki) {
      const std::int64_t at = transpose_b ? ni * k + ki : ki * n + ni;
      p.weights[static_cast<std::size_t>(ni * k + ki)] = static_cast<std::int8_t>(bt.GetInt(at));
    }
  }
  // The golden MatMul's per-column weight quantization is along B's N axis.
  golden::QuantParams wq = b.quant;
  if (wq.per_axis()) wq.axis = 0;
  Common(ctx, node, p, wq);
  Lower(ctx, p, PlanProblem(ctx.arch(), p));
}

}  // namespace qsa::compiler

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
#include "compiler/lower/conv.h"

#include <algorithm>

#include "compiler/lower/dma.h"
#include "compiler/passes/fold_zero_point.h"
#include "model/base/error.h"
#include "model/golden/ops/op_util.h"

namespace qsa::compiler {

namespace {

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::uint8_t Byte(std::int64_t v) { return static_cast<std::uint8_t>(v & 0xff); }

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

// What every accumulating node shares: names, input signedness and zero point, raw output, bias
// and post parameters.
void ReadCommon(const golden::Graph& g, const golden::Node& node, const golden::QuantParams& wq,
                ConvProblem& p) {
  const golden::TensorInfo& x = g.Info(node.inputs[0]);
  const golden::TensorInfo& y = g.Info(node.outputs[0]);
  p.name = node.name;
  p.op = node.op;
  p.x_signed = x.dtype == golden::DType::kInt8;
  p.fill = Byte(x.quant.zero_points.empty() ? 0 : x.quant.zero_points[0]);
  p.shape.raw = y.dtype == golden::DType::kInt32;
  p.bias = AcceleratorBias(g, node);
  SetPostParams(g, node, wq, p);
}

ConvProblem ReadConv(const golden::Graph& g, const golden::Node& node) {
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
  // Weights as int8 [m][c/group][kh][kw] from a constant int8 tensor with zero points 0.
  const auto v = g.Constant(node.inputs[1]).Data<std::int8_t>();
  p.weights.assign(v.begin(), v.end());
  ReadCommon(g, node, w.quant, p);
  return p;
}

ConvProblem ReadMatMul(const golden::Graph& g, const golden::Node& node) {
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
  ReadCommon(g, node, wq, p);
  return p;
}

std::string TileName(std::int64_t n, std::int64_t y, std::int64_t x, std::int64_t th,
                     std::int64_t tw) {
  return "n" + std::to_string(n) + " y" + std::to_string(y) + ".." + std::to_string(y + th - 1) +
         " x" + std::to_string(x) + ".." + std::to_string(x + tw - 1);
}

}  // namespace

ConvProblem ReadConvProblem(const golden::Graph& graph, const golden::Node& node) {
  if (node.op == "MatMul") return ReadMatMul(graph, node);
  return ReadConv(graph, node);
}

void PlaceConvTensors(LowerContext& ctx, const golden::Node& node, ConvProblem& p) {
  const golden::TensorInfo& y = ctx.graph.Info(node.outputs[0]);
  p.x = &ctx.Tensor(node.inputs[0]);
  p.y = &PlaceOutput(ctx, node.outputs[0], DefaultLayout(y.shape));
  const RowsView xr = *RowsOf(p.x->layout, p.channel_axis);
  p.x_addr = p.x->addr;
  p.x_pixel = xr.pixel_stride;
  p.x_row = p.shape.w * p.x_pixel;
  p.x_image = p.shape.h * p.x_row;
}

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

std::vector<ConvWeightTile> WeightTilesOfBlock(const isa::ArchConfig& arch, const ConvProblem& p,
                                               std::int64_t mb) {
  const ConvShape& s = p.shape;
  const std::int64_t m0 = mb * arch.cols, m1 = std::min(s.m, m0 + arch.cols);
  const std::int64_t g0 = m0 / p.OutPerGroup(), g1 = (m1 - 1) / p.OutPerGroup();
  const std::int64_t c0 = g0 * p.InPerGroup(), c1 = (g1 + 1) * p.InPerGroup();
  std::vector<ConvWeightTile> tiles;
  for (std::int64_t ky = 0; ky < s.kh; ++ky) {
    for (std::int64_t kx = 0; kx < s.kw; ++kx) {
      for (std::int64_t cb = c0 / arch.rows; cb * arch.rows < c1; ++cb) {
        tiles.push_back({ky, kx, cb});
      }
    }
  }
  return tiles;
}

void AppendWeightTile(const isa::ArchConfig& arch, const ConvProblem& p, std::int64_t mb,
                      const ConvWeightTile& t, std::vector<std::uint8_t>& out) {
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

ConvPlan PlanConv(const isa::ArchConfig& arch, ConvProblem& p) {
  ConvPlan plan;
  ConvShape& s = p.shape;
  const std::int64_t mb_n = CeilDiv(s.m, arch.cols);
  plan.tiles.resize(static_cast<std::size_t>(mb_n));
  s.tiles_per_block.clear();
  for (std::int64_t mb = 0; mb < mb_n; ++mb) {
    plan.tiles[static_cast<std::size_t>(mb)] = WeightTilesOfBlock(arch, p, mb);
    s.tiles_per_block.push_back(
        static_cast<std::int64_t>(plan.tiles[static_cast<std::size_t>(mb)].size()));
  }
  plan.tiling = ChooseConvTiling(arch, s, p.name);
  plan.estimate = EstimateConv(arch, s, plan.tiling);
  plan.estimate.name = p.name;
  plan.estimate.op = p.op;
  return plan;
}

ConvConstants ConvConstantsOf(const isa::ArchConfig& arch, const ConvProblem& p,
                              const ConvPlan& plan) {
  const std::int64_t cols = arch.cols;
  const ConvShape& s = p.shape;
  const std::int64_t mb_n = static_cast<std::int64_t>(plan.tiles.size());
  ConvConstants k;
  for (std::int64_t mb = 0; mb < mb_n; ++mb) {
    const std::vector<ConvWeightTile>& block = plan.tiles[static_cast<std::size_t>(mb)];
    k.block_first_tile.push_back(k.tile_count);
    for (const ConvWeightTile& t : block) AppendWeightTile(arch, p, mb, t, k.weights);
    k.tile_count += static_cast<std::int64_t>(block.size());
  }
  if (s.raw) {
    k.params.assign(static_cast<std::size_t>(mb_n * cols), 0);
    std::copy(p.bias.begin(), p.bias.end(), k.params.begin());
    return k;
  }
  k.params.assign(static_cast<std::size_t>(mb_n * 4 * cols), 0);
  for (std::int64_t m = 0; m < s.m; ++m) {
    const std::size_t at = static_cast<std::size_t>((m / cols) * 4 * cols + m % cols);
    const auto mi = static_cast<std::size_t>(m);
    k.params[at] = p.bias[mi];
    k.params[at + static_cast<std::size_t>(cols)] = p.mult[mi];
    k.params[at + static_cast<std::size_t>(2 * cols)] = p.shifts[mi];
    k.params[at + static_cast<std::size_t>(3 * cols)] = p.format[mi];
  }
  return k;
}

ConvRegions ConvRegionsOf(const ConvTiling& t, const OnChipBase& base) {
  ConvRegions r;
  if (base.groups.size() == 2) {  // TakeOnChipApart with ConvScratchpadGroups
    r.input = base.groups[0];
    r.weights = base.groups[1];
    r.output = r.weights + t.w_rows;
  } else {
    r.input = base.scratchpad;
    r.weights = r.input + t.in_rows * t.in_buffers;
    r.output = r.weights + t.w_rows;
  }
  r.acc = base.accumulator;
  r.param = base.param;
  return r;
}

ConvAccLayout ConvAccLayoutOf(const isa::ArchConfig& arch, const ConvShape& s,
                              const ConvTiling& t) {
  if (s.raw) return {t.acc_rows, 0};
  const std::int64_t pixels = t.flat ? t.run : t.th * t.tw;
  const std::int64_t capacity = arch.accumulator_rows();
  const std::int64_t bank = capacity / std::max(arch.accumulator_banks, 1);
  if (arch.accumulator_banks >= 2 && pixels <= bank) return {2 * bank, bank};
  if (2 * pixels <= capacity) return {2 * pixels, pixels};
  return {pixels, 0};
}

std::vector<ConvSpatialTile> SpatialTilesOf(const ConvShape& s, const ConvTiling& t) {
  std::vector<ConvSpatialTile> spatial;
  if (t.flat) {
    const std::int64_t total = s.batch * s.oh * s.ow;
    for (std::int64_t p0 = 0; p0 < total; p0 += t.run) {
      spatial.push_back({0, 0, 0, 0, 0, p0, std::min(t.run, total - p0)});
    }
    return spatial;
  }
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t oy = 0; oy < s.oh; oy += t.th) {
      for (std::int64_t ox = 0; ox < s.ow; ox += t.tw) {
        spatial.push_back({n, oy, ox, std::min(t.th, s.oh - oy), std::min(t.tw, s.ow - ox), 0, 0});
      }
    }
  }
  return spatial;
}

// ---- Emission ----------------------------------------------------------------------------------

// Where one output tile's input sits: its buffer, each channel block's rows, the window.
struct ConvEmitter::TileRows {
  std::int64_t in_buf = 0;         // first row of the input buffer
  std::int64_t in_block_rows = 0;  // rows per input channel block
  std::int64_t ih = 0, iw = 0;     // grid: input window
  std::int64_t pixels = 0;         // output pixels of the tile
  std::string where;               // for comments
};

// One output block of the current tile: its weight tiles, lanes, output unit and buffers.
struct ConvEmitter::Block {
  std::int64_t mb = 0;
  const std::vector<ConvWeightTile>* tiles = nullptr;
  std::int64_t n_tiles = 0;
  std::int64_t chunk = 0;    // weight tiles per step
  std::int64_t n_lanes = 0;  // output channels of the block
  std::int64_t unit = 0;     // output unit (ROWS / COLS blocks share one)
  bool unit_last = false;
  std::int64_t out_buf = 0;  // scratchpad row of the unit's output buffer
  std::int64_t acc = 0;      // first accumulator row
};

ConvEmitter::ConvEmitter(const isa::ArchConfig& arch, const ConvProblem& p, const ConvPlan& plan,
                         const ConvConstants& constants, std::int64_t w_addr,
                         std::int64_t param_addr, const OnChipBase& base, bool single_rounding,
                         std::int64_t acc_stride)
    : arch_(arch),
      p_(p),
      plan_(plan),
      constants_(constants),
      w_addr_(w_addr),
      param_addr_(param_addr),
      regions_(ConvRegionsOf(plan.tiling, base)),
      single_rounding_(single_rounding) {
  regions_.acc_stride = acc_stride;
  cb_n_ = CeilDiv(p.shape.c, arch.rows);
  mb_n_ = CeilDiv(p.shape.m, arch.cols);
  spb_ = std::max<std::int64_t>(1, arch.cols / arch.rows);
  mbs_per_unit_ = std::max<std::int64_t>(1, arch.rows / arch.cols);
  max_pixels_ = plan.tiling.flat ? plan.tiling.run : plan.tiling.th * plan.tiling.tw;
}

ConvEmitter::TileRows ConvEmitter::TileRowsOf(const ConvSpatialTile& st) const {
  const ConvTiling& t = plan_.tiling;
  const ConvShape& s = p_.shape;
  TileRows r;
  r.in_buf = regions_.input + (tile_index_ % t.in_buffers) * t.in_rows;
  r.pixels = t.flat ? st.count : st.th * st.tw;
  r.where = t.flat ? "pixels " + std::to_string(st.p0) + ".." + std::to_string(st.p0 + st.count - 1)
                   : TileName(st.n, st.oy, st.ox, st.th, st.tw);
  r.ih = t.flat ? 0 : WindowExtent(st.th, s.kh, s.sh, s.dh);
  r.iw = t.flat ? 0 : WindowExtent(st.tw, s.kw, s.sw, s.dw);
  r.in_block_rows = t.flat ? t.run : r.ih * r.iw;
  return r;
}

// Block mb of the current tile; takes the next output buffer when the block starts an output unit
// (after the first) and, for raw output, the next accumulator buffer.
ConvEmitter::Block ConvEmitter::BlockOf(std::int64_t mb) {
  const ConvTiling& t = plan_.tiling;
  const ConvShape& s = p_.shape;
  Block b;
  b.mb = mb;
  b.tiles = &plan_.tiles[static_cast<std::size_t>(mb)];
  b.n_tiles = static_cast<std::int64_t>(b.tiles->size());
  b.chunk = t.weights_resident ? std::max<std::int64_t>(b.n_tiles, 1) : t.chunk;
  b.n_lanes = std::min<std::int64_t>(arch_.cols, s.m - mb * arch_.cols);
  b.unit = mb / mbs_per_unit_;
  b.unit_last = (mb + 1) % mbs_per_unit_ == 0 || mb + 1 == mb_n_;
  if (mb % mbs_per_unit_ == 0 && mb > 0) ++out_buffer_;
  b.out_buf =
      regions_.output + (out_buffer_ % std::max<std::int64_t>(t.out_buffers, 1)) * t.out_rows;
  b.acc = regions_.acc + (s.raw ? (acc_buffer_++ % t.w_buffers) * max_pixels_
                                : (acc_buffer_++ % 2) * regions_.acc_stride);
  return b;
}

void ConvEmitter::Emit(const ConvSpatialTile& st, const NewStep& new_step) {
  const TileRows rows = TileRowsOf(st);
  for (std::int64_t mb = 0; mb < mb_n_; ++mb) {
    const Block b = BlockOf(mb);
    for (std::int64_t c0 = 0; c0 < std::max<std::int64_t>(b.n_tiles, 1); c0 += b.chunk) {
      Step& step = new_step();
      const std::string tag = p_.name + " " + rows.where + " block " + std::to_string(mb);
      if (first_step_) {
        LoadResident(step);
        first_step_ = false;
      }
      const std::int64_t c1 = std::min(b.n_tiles, c0 + b.chunk);
      if (mb == 0 && c0 == 0) LoadInput(step, st, rows);
      const std::int64_t w_rows = LoadWeights(step, b, c0, c1);
      const std::int64_t param_row = LoadParams(step, b, c0);
      if (p_.shape.raw && c0 == 0) {
        // No post-processing adds the bias: the accumulators start from it.
        LoadAccRows(step.loads, b.acc, param_addr_ + mb * arch_.cols * 4, rows.pixels, 0,
                    arch_.cols, tag + ": bias into the accumulators");
      }
      Gemms(step, st, rows, b, c0, c1, w_rows, tag);
      if (c1 < b.n_tiles) continue;  // more weight chunks for this block
      if (b.n_tiles == 0) throw Error("internal: output block without weight tiles in " + p_.name);
      if (p_.shape.raw) {
        StoreRaw(step, st, b, tag);
        continue;
      }
      Post(step, rows, b, param_row, tag);
      if (b.unit_last) StoreUnit(step, st, b, tag);
    }
  }
  ++tile_index_;
  ++out_buffer_;
}

void ConvEmitter::LoadResident(Step& step) const {
  const ConvTiling& t = plan_.tiling;
  if (!p_.shape.raw && t.params_resident) {
    LoadParamRows(step.loads, arch_, regions_.param, param_addr_, 4 * mb_n_,
                  p_.name + ": bias and requantization of every block");
  }
}

void ConvEmitter::LoadInput(Step& step, const ConvSpatialTile& st, const TileRows& r) const {
  const ConvShape& s = p_.shape;
  const std::int64_t rows = arch_.rows;
  for (std::int64_t cb = 0; cb < cb_n_; ++cb) {
    const std::int64_t lanes = std::min(rows, s.c - cb * rows);
    const std::string what = p_.name + " " + r.where + ": input channels " +
                             std::to_string(cb * rows) + ".." +
                             std::to_string(cb * rows + lanes - 1);
    const std::int64_t row = r.in_buf + cb * r.in_block_rows;
    if (plan_.tiling.flat) {
      LoadRows(step.loads, row, p_.x_addr + st.p0 * p_.x_pixel + cb * rows, st.count, p_.x_pixel,
               lanes, p_.fill, what);
      continue;
    }
    ImageWindow w;
    w.dram = p_.x_addr + st.n * p_.x_image + cb * rows;
    w.height = s.h;
    w.width = s.w;
    w.stride_y = p_.x_row;
    w.stride_x = p_.x_pixel;
    w.y0 = st.oy * s.sh - s.pt;
    w.y1 = w.y0 + r.ih;
    w.x0 = st.ox * s.sw - s.pl;
    w.x1 = w.x0 + r.iw;
    w.lanes = lanes;
    w.fill = p_.fill;
    LoadWindow(step.loads, row, w, what);
  }
}

// The first weight row of tiles [c0, c1) of the block: resident, or a streamed chunk loaded now.
std::int64_t ConvEmitter::LoadWeights(Step& step, const Block& b, std::int64_t c0,
                                      std::int64_t c1) {
  const ConvTiling& t = plan_.tiling;
  const std::int64_t cols = arch_.cols, rows = arch_.rows;
  const std::int64_t first = constants_.block_first_tile[static_cast<std::size_t>(b.mb)] + c0;
  if (t.weights_resident) {
    // Resident weights load block by block with the first tile, so that the first block's gemms
    // start after its own tiles rather than after the layer's.
    if (tile_index_ == 0 && c0 == 0 && b.n_tiles > 0) {
      LoadRows(step.loads, regions_.weights + first * cols, w_addr_ + first * rows * cols,
               b.n_tiles * cols, rows, rows, 0,
               p_.name + " block " + std::to_string(b.mb) + ": all its weight tiles");
    }
    return regions_.weights + first * cols;
  }
  const std::int64_t w_rows = regions_.weights + (w_buffer_++ % t.w_buffers) * t.chunk * cols;
  LoadRows(step.loads, w_rows, w_addr_ + first * rows * cols, (c1 - c0) * cols, rows, rows, 0,
           p_.name + " block " + std::to_string(b.mb) + ": weight tiles " + std::to_string(c0) +
               ".." + std::to_string(c1 - 1));
  return w_rows;
}

// The block's first parameter row: resident, or (streamed) loaded with the block's first chunk.
std::int64_t ConvEmitter::LoadParams(Step& step, const Block& b, std::int64_t c0) const {
  const ConvTiling& t = plan_.tiling;
  if (p_.shape.raw || t.params_resident) return regions_.param + 4 * b.mb;
  const std::int64_t param_row = regions_.param + 4 * (b.mb % t.w_buffers);
  if (c0 == 0) {
    LoadParamRows(step.loads, arch_, param_row, param_addr_ + b.mb * 16 * arch_.cols, 4,
                  p_.name + " block " + std::to_string(b.mb) + ": bias and requantization");
  }
  return param_row;
}

void ConvEmitter::Gemms(Step& step, const ConvSpatialTile& st, const TileRows& r, const Block& b,
                        std::int64_t c0, std::int64_t c1, std::int64_t w_rows,
                        const std::string& tag) const {
  const ConvShape& s = p_.shape;
  const std::int64_t rows = arch_.rows, cols = arch_.cols;
  for (std::int64_t i = c0; i < c1; ++i) {
    const ConvWeightTile& tr = (*b.tiles)[static_cast<std::size_t>(i)];
    const std::int64_t in_rows0 = r.in_buf + tr.cb * r.in_block_rows;
    const std::string what = tag + " tap " + std::to_string(tr.ky) + "," + std::to_string(tr.kx) +
                             " channels " + std::to_string(tr.cb * rows) + "+";
    isa::Gemm g;
    g.w = Field(w_rows + (i - c0) * cols, "weight row");
    g.preload = true;
    g.accumulate = i > 0 || s.raw;
    g.act_signed = p_.x_signed;
    const std::int64_t k_lanes =
        p_.packed_c > 0
            ? std::min(s.dw, p_.packed_kw - tr.kx * s.dw) * p_.packed_c  // pixels · channels
            : std::min({rows, s.c - tr.cb * rows, p_.InPerGroup()});     // a group's lanes
    g.k_lanes = Field(k_lanes, "k_lanes");
    g.n_lanes = Field(b.n_lanes, "n_lanes");
    if (plan_.tiling.flat) {
      std::int64_t done = 0;
      for (const auto& [outer, inner] : Runs(st.count)) {
        isa::Gemm run = g;
        run.act = Field(in_rows0 + done, "act");
        run.act_outer = Field(inner, "act_outer");
        run.act_inner = 1;
        run.acc = Field(b.acc + done, "acc");
        run.acc_outer = Field(inner, "acc_outer");
        run.n_outer = Field(outer, "n_outer");
        run.n_inner = Field(inner, "n_inner");
        run.preload = done == 0;
        step.computes.push_back({run, what});
        done += outer * inner;
      }
      continue;
    }
    g.act = Field(in_rows0 + tr.ky * s.dh * r.iw + tr.kx * s.dw, "act");
    g.act_outer = Field(s.sh * r.iw, "act_outer");
    g.act_inner = Field(s.sw, "act_inner");
    g.acc = Field(b.acc, "acc");
    g.acc_outer = Field(st.tw, "acc_outer");
    g.n_outer = Field(st.th, "n_outer");
    g.n_inner = Field(st.tw, "n_inner");
    step.computes.push_back({g, what});
  }
}

// Output pixel i of the tile: DRAM address of its first channel, raw int32 words.
void ConvEmitter::StoreRaw(Step& step, const ConvSpatialTile& st, const Block& b,
                           const std::string& tag) const {
  const ConvShape& s = p_.shape;
  const std::int64_t y_pixel = s.m * 4;
  const std::int64_t ch0 = b.mb * arch_.cols;
  const std::string what = tag + ": raw accumulators";
  if (plan_.tiling.flat) {
    StoreAccRows(step.stores, b.acc, p_.y->addr + st.p0 * y_pixel + ch0 * 4, st.count, y_pixel,
                 b.n_lanes, what);
    return;
  }
  StoreAccGrid(step.stores, b.acc,
               p_.y->addr + ((st.n * s.oh + st.oy) * s.ow + st.ox) * y_pixel + ch0 * 4, st.th,
               st.tw, s.ow * y_pixel, y_pixel, b.n_lanes, what);
}

void ConvEmitter::Post(Step& step, const TileRows& r, const Block& b, std::int64_t param_row,
                       const std::string& tag) const {
  const std::int64_t rows = arch_.rows, cols = arch_.cols;
  isa::Post post;
  post.acc = Field(b.acc, "acc");
  post.n = Field(r.pixels, "n");
  post.dst = Field(b.out_buf, "dst");
  post.dst_stride = 1;
  post.blk_stride = Field(max_pixels_, "blk_stride");
  post.dst_lane = Field(cols < rows ? (b.mb * cols) % rows : 0, "dst_lane");
  post.n_lanes = Field(b.n_lanes, "n_lanes");
  post.param = Field(param_row, "param");
  post.single_rounding = single_rounding_;
  step.computes.push_back({post, tag + ": bias, requantize, clamp"});
}

// Stores the unit's channel blocks of ROWS channels.
void ConvEmitter::StoreUnit(Step& step, const ConvSpatialTile& st, const Block& b,
                            const std::string& tag) const {
  const ConvShape& s = p_.shape;
  const std::int64_t rows = arch_.rows;
  const std::int64_t y_pixel = s.m;
  const std::int64_t unit_ch0 = b.unit * mbs_per_unit_ * arch_.cols;
  for (std::int64_t k = 0; k < spb_; ++k) {
    const std::int64_t c_first = unit_ch0 + k * rows;
    if (c_first >= s.m) break;
    const std::int64_t lanes = std::min(rows, s.m - c_first);
    const std::int64_t row = b.out_buf + k * max_pixels_;
    const std::string what = tag + ": output channels " + std::to_string(c_first) + ".." +
                             std::to_string(c_first + lanes - 1);
    if (plan_.tiling.flat) {
      StoreRows(step.stores, row, p_.y->addr + st.p0 * y_pixel + c_first, st.count, y_pixel, lanes,
                0, what);
    } else {
      StoreGrid(step.stores, row,
                p_.y->addr + ((st.n * s.oh + st.oy) * s.ow + st.ox) * y_pixel + c_first, st.th,
                st.tw, s.ow * y_pixel, y_pixel, lanes, 0, what);
    }
  }
}

// ---- Few input channels ------------------------------------------------------------------------

std::optional<ConvPacking> PackingFor(const isa::ArchConfig& arch, const ConvProblem& p) {
  const ConvShape& s = p.shape;
  if (s.group != 1 || s.dw != 1 || s.kw < 2 || 2 * s.c > arch.rows || s.raw) return std::nullopt;
  ConvPacking k;
  k.pixels = arch.rows / s.c;
  k.groups = CeilDiv(s.kw, k.pixels);
  k.hp = s.h + s.pt + s.pb;
  k.width = std::max(s.w + s.pl + s.pr, (s.ow - 1) * s.sw + k.groups * k.pixels);
  if (k.width > 255) return std::nullopt;  // one padded row must fit a DMA grid row
  return k;
}

ConvProblem PackedProblem(const ConvProblem& p, const ConvPacking& k) {
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

namespace {

// The layer's constants, on-chip regions and the steps of every output tile.
void EmitConv(LowerContext& ctx, const ConvProblem& p, const ConvPlan& plan) {
  ProgramBuilder& pb = ctx.program;
  pb.BeginLayer(p.name);
  const ConvConstants constants = ConvConstantsOf(ctx.arch(), p, plan);
  const std::int64_t w_addr = pb.PutBytes(constants.weights);
  const std::int64_t param_addr = pb.PutWords(constants.params);
  const ConvTiling& t = plan.tiling;
  const ConvAccLayout acc = ConvAccLayoutOf(ctx.arch(), p.shape, t);
  const OnChipBase base =
      pb.TakeOnChipApart(ConvScratchpadGroups(t), acc.rows, t.param_rows, p.name);
  ConvEmitter emitter(ctx.arch(), p, plan, constants, w_addr, param_addr, base,
                      golden::IsSingleRounding(ctx.options.rounding), acc.stride);
  for (const ConvSpatialTile& st : SpatialTilesOf(p.shape, t)) {
    emitter.Emit(st, [&pb]() -> Step& { return pb.NewStep(); });
  }
  ctx.layers.push_back(plan.estimate);
}

// The padded copy: DRAM rows of `width` pixels (zero point outside the image), `hp` per image.
// Returns its estimate; `dst` receives the copy's address.
LayerEstimate EmitPaddedCopy(LowerContext& ctx, const ConvProblem& p, const ConvPacking& k,
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
  LoadPipe loads(arch);
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
      // One load per image row inside the window (its padding columns are loads of their own,
      // of a few rows each), each row's pixels in their own beats: an element of c bytes at
      // stride c touches (c + 15) / 16 beats on average. The store's rows likewise.
      // A window whose padding fits the load's 2-bit fields is one load (compiler/lower/dma.cc).
      const std::int64_t beats = CeilDiv(inside * s.w * SixteenthBeatsPerRow(s.c, s.c), 16);
      const std::int64_t pad_right = k.width - s.pl - s.w;
      const std::int64_t pad_top = std::max<std::int64_t>(0, s.pt - r0);
      const std::int64_t pad_bottom = std::max<std::int64_t>(0, r1 - s.pt - s.h);
      // The loads run through the load unit's pipeline (LoadPipe): the latency is paid once for
      // a run of loads, and at most four are in flight.
      if (inside > 0 && s.pl <= 3 && pad_right <= 3 && pad_top <= 3 && pad_bottom <= 3) {
        e.load_cycles = loads.Add(beats, count);
      } else {
        const std::int64_t row_beats = CeilDiv(s.w * SixteenthBeatsPerRow(s.c, s.c), 16);
        for (std::int64_t y = 0; y < inside; ++y) {
          if (s.pl > 0) loads.Add(0, s.pl);
          loads.Add(row_beats, s.w);
          if (pad_right > 0) loads.Add(0, pad_right);
        }
        e.load_cycles = loads.end();
      }
      e.dram_read += inside * s.w * s.c;
      const std::int64_t out_port =
          PortCycles(arch, CeilDiv(count * SixteenthBeatsPerRow(s.c, s.c), 16));
      e.port_cycles += PortCycles(arch, beats) + out_port;
      e.drain_cycles = std::max(DmaCycles(arch, count * s.c), count) + kStoreTail;
      e.store_cycles += e.drain_cycles;
      e.last_step_cycles = e.drain_cycles;
      e.dram_written += count * s.c;
      e.instructions += 2;
      ++e.tiles;
    }
  }
  FinishEstimate(arch, e);
  e.plan = std::to_string(e.tiles) + " chunks of " + std::to_string(chunk) + " rows";
  return e;
}

// Lowers the convolution packed when the cost model says that is faster, else as it is.
void LowerChoosingPacking(LowerContext& ctx, ConvProblem& p) {
  const isa::ArchConfig& arch = ctx.arch();
  ViewStridedPointwise(p);
  ConvPlan plan = PlanConv(arch, p);
  if (const std::optional<ConvPacking> k = PackingFor(arch, p)) {
    ConvProblem q = PackedProblem(p, *k);
    try {
      ConvPlan packed = PlanConv(arch, q);
      // The copy moves one padded row per cycle at best, loads and stores overlapping.
      const std::int64_t copy = p.shape.batch * k->hp * k->width + 2 * arch.dram_latency_cycles;
      if (packed.estimate.steady_cycles + copy < plan.estimate.steady_cycles) {
        std::int64_t dst = 0;
        ctx.layers.push_back(EmitPaddedCopy(ctx, p, *k, dst));
        q.x_addr = dst;
        packed.estimate.plan += ", " + std::to_string(k->pixels) + " pixels per row";
        packed.estimate.macs = p.shape.Macs();
        EmitConv(ctx, q, packed);
        return;
      }
    } catch (const Error&) {
      // The packed form does not fit; the plain one does.
    }
  }
  EmitConv(ctx, p, plan);
}

}  // namespace

void LowerConv(LowerContext& ctx, const golden::Node& node) {
  ConvProblem p = ReadConvProblem(ctx.graph, node);
  PlaceConvTensors(ctx, node, p);
  LowerChoosingPacking(ctx, p);
}

void LowerMatMul(LowerContext& ctx, const golden::Node& node) {
  ConvProblem p = ReadConvProblem(ctx.graph, node);
  PlaceConvTensors(ctx, node, p);
  EmitConv(ctx, p, PlanConv(ctx.arch(), p));
}

}  // namespace qsa::compiler

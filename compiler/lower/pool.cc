// MaxPool, AveragePool and GlobalAveragePool on the vector unit (docs/isa.md, "pool"): per tile
// of output rows and channel block, the input rows the windows read (clipped to the image; the
// instruction itself treats what lies outside as padding) are loaded, pooled and stored.
#include "compiler/lower/pool.h"

#include <algorithm>

#include "compiler/lower/dma.h"
#include "compiler/lower/lower.h"
#include "model/base/error.h"
#include "model/golden/ops/op_util.h"

namespace qsa::compiler {

namespace {

constexpr std::int64_t kMaxField = 255;
constexpr std::int64_t kMaxPadField = 15;

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
std::uint32_t Byte(std::int64_t v) { return static_cast<std::uint32_t>(v & 0xff); }

// True when every window along both axes lies inside the input.
bool AllWindowsFull(const golden::ops::Window2d& w) {
  for (int a = 0; a < 2; ++a) {
    for (std::int64_t o = 0; o < w.out[a]; ++o) {
      if (w.TapsInside(a, o) != w.kernel[a]) return false;
    }
  }
  return true;
}

}  // namespace

PoolAxisRange PoolInputRange(const golden::ops::Window2d& w, int axis, std::int64_t o0,
                             std::int64_t o1) {
  const std::int64_t first = o0 * w.stride[axis] - w.pad_begin[axis];
  PoolAxisRange r;
  r.lo = std::clamp<std::int64_t>(first, 0, w.in[axis]);
  r.hi = std::clamp<std::int64_t>(
      (o1 - 1) * w.stride[axis] - w.pad_begin[axis] + (w.kernel[axis] - 1) * w.dilation[axis] + 1,
      r.lo, w.in[axis]);
  r.pad = r.lo - first;
  return r;
}

namespace {

// Taps of outputs [o0, o0 + n) along `axis` that fall inside the input (the pool unit reads no
// padding tap).
std::int64_t InsideTaps(const golden::ops::Window2d& w, int axis, std::int64_t o0, std::int64_t n) {
  std::int64_t taps = 0;
  for (std::int64_t o = o0; o < o0 + n; ++o) {
    for (std::int64_t k = 0; k < w.kernel[axis]; ++k) {
      const std::int64_t i = o * w.stride[axis] - w.pad_begin[axis] + k * w.dilation[axis];
      if (i >= 0 && i < w.in[axis]) ++taps;
    }
  }
  return taps;
}

}  // namespace

golden::ops::Window2d PoolWindow(const golden::Graph& graph, const golden::Node& node) {
  const golden::TensorInfo& x = graph.Info(node.inputs[0]);
  if (node.op == "GlobalAveragePool") {
    golden::ops::Window2d w;
    w.in[0] = w.kernel[0] = x.shape[2];
    w.in[1] = w.kernel[1] = x.shape[3];
    return w;
  }
  const auto k = node.attrs.GetInts("kernel_shape");
  return golden::ops::ReadWindow(node, x.shape[2], x.shape[3], k[0], k[1], true);
}

std::string PoolRefusal(const golden::Graph& graph, const golden::Node& node) {
  const golden::TensorInfo& x = graph.Info(node.inputs[0]);
  if (x.dtype != golden::DType::kUInt8 && x.dtype != golden::DType::kInt8) {
    return "the accelerator pools uint8/int8 tensors, not " +
           std::string(golden::DTypeName(x.dtype));
  }
  if (x.shape.size() != 4) return "input is not an image [N, C, H, W]";
  const golden::ops::Window2d w = PoolWindow(graph, node);
  if (w.kernel[0] > kMaxField || w.kernel[1] > kMaxField) return "window larger than 255";
  if (w.stride[0] > kMaxPadField || w.stride[1] > kMaxPadField) return "stride above 15";
  if (w.pad_begin[0] > kMaxPadField || w.pad_begin[1] > kMaxPadField) return "padding above 15";
  if (w.dilation[0] > 3 || w.dilation[1] > 3) return "dilation above 3";
  if (w.out[0] > kMaxField * 64 || w.out[1] > kMaxField) return "output wider than 255";
  if (w.SomeWindowOnlyInPadding()) return "a window lies entirely in the padding";
  return "";
}

std::vector<std::int32_t> PoolDescriptor(const isa::ArchConfig& arch, const golden::Graph& graph,
                                         const golden::Node& node, const golden::ops::Window2d& w) {
  const golden::TensorInfo& xi = graph.Info(node.inputs[0]);
  const golden::TensorInfo& yi = graph.Info(node.outputs[0]);
  const bool max = node.op == "MaxPool";
  // Windows that all lie inside the input need one table entry: count them as count_include_pad
  // (the same divisor), which the instruction reads from entry 0.
  const bool ccip = node.attrs.GetInt("count_include_pad", 0) == 1 || AllWindowsFull(w);
  const bool is_signed = xi.dtype == golden::DType::kInt8;
  const std::int32_t zx = golden::ops::ZeroPointAt(xi.quant, 0);
  const std::int32_t zy = max ? zx : golden::ops::ZeroPointAt(yi.quant, 0);
  const std::int32_t qmin = max ? static_cast<std::int32_t>(golden::DTypeMin(yi.dtype))
                                : golden::ops::ClampMin(node, yi.dtype);
  const std::int32_t qmax = max ? static_cast<std::int32_t>(golden::DTypeMax(yi.dtype))
                                : golden::ops::ClampMax(node, yi.dtype);
  std::vector<std::int32_t> desc = {
      static_cast<std::int32_t>(Byte(zx) | Byte(zy) << 8 | Byte(qmin) << 16 | Byte(qmax) << 24),
      (is_signed ? 1 : 0) | (ccip ? 2 : 0)};
  if (!max) {
    // The instruction addresses kh·kw entries unless count_include_pad.
    const std::int64_t entries = ccip ? 1 : w.kernel[0] * w.kernel[1];
    const float s_x = xi.quant.scale(0), s_y = yi.quant.scale(0);
    const std::int64_t bound = golden::ops::MaxCentered(xi.dtype, zx);
    for (std::int64_t e = 0; e < entries; ++e) {
      const std::int64_t n =
          ccip ? w.kernel[0] * w.kernel[1]
               : (w.kernel[0] - e / w.kernel[1]) * (w.kernel[1] - e % w.kernel[1]);
      if (n <= 0) {
        desc.push_back(0);
        desc.push_back(0);
        continue;
      }
      const golden::PreShiftedMultiplier m = golden::AveragePoolMultiplier(s_x, s_y, n, bound);
      desc.push_back(m.fixed.multiplier);
      desc.push_back((m.pre_shift + std::max(m.fixed.shift, 0)) | std::max(-m.fixed.shift, 0) << 8);
    }
  }
  const std::int64_t param_rows = CeilDiv(static_cast<std::int64_t>(desc.size()), arch.cols);
  desc.resize(static_cast<std::size_t>(param_rows * arch.cols), 0);
  return desc;
}

PoolTiling ChoosePoolTiling(const isa::ArchConfig& arch, const golden::ops::Window2d& w,
                            const std::string& layer) {
  const std::int64_t oh = w.out[0], ow = w.out[1];
  const std::int64_t budget = arch.scratchpad_rows();
  PoolTiling t;
  const auto in_extent = [&](int a, std::int64_t n) {
    return std::min(w.in[a], (n - 1) * w.stride[a] + (w.kernel[a] - 1) * w.dilation[a] + 1);
  };
  const auto fits = [&](std::int64_t t_h, std::int64_t t_w) {
    const std::int64_t ih = in_extent(0, t_h), iw = in_extent(1, t_w);
    return ih <= kMaxField && iw <= kMaxField && t.buffers * (ih * iw + t_h * t_w) <= budget;
  };
  const auto shrink = [&] {
    t.th = std::min(oh, kMaxField);
    t.tw = std::min(ow, kMaxField);
    while (!fits(t.th, t.tw) && t.th > 1) --t.th;
    while (!fits(t.th, t.tw) && t.tw > 1) --t.tw;
  };
  shrink();
  if (!fits(t.th, t.tw)) {
    t.buffers = 1;
    shrink();
  }
  if (!fits(t.th, t.tw)) {
    throw Error("layer '" + layer + "' does not fit: one output pixel's window needs " +
                std::to_string(in_extent(0, 1) * in_extent(1, 1) + 1) +
                " scratchpad rows; the architecture has " + std::to_string(budget));
  }
  t.in_rows = in_extent(0, t.th) * in_extent(1, t.tw);
  t.out_rows = t.th * t.tw;
  return t;
}

void EmitPoolTile(const isa::ArchConfig& arch, const PoolLayer& layer, const PoolTile& tile,
                  Step& step) {
  const golden::ops::Window2d& w = layer.window;
  const std::int64_t rows = arch.rows;
  const std::int64_t h = w.in[0], wd = w.in[1], oh = w.out[0], ow = w.out[1];
  const PoolTiling& t = layer.tiling;
  const PoolAxisRange ry = PoolInputRange(w, 0, tile.oy, tile.oy + tile.th);
  const PoolAxisRange rx = PoolInputRange(w, 1, tile.ox, tile.ox + tile.tw);
  const std::string tag = layer.name + " n" + std::to_string(tile.n) + " y" +
                          std::to_string(tile.oy) + " x" + std::to_string(tile.ox) + " channels " +
                          std::to_string(tile.cb * rows) + "+";
  const std::int64_t lanes = std::min(rows, layer.c - tile.cb * rows);
  const std::int64_t in_buf =
      layer.scratchpad + (tile.buffer % t.buffers) * (t.in_rows + t.out_rows);
  const std::int64_t out_buf = in_buf + t.in_rows;
  ImageWindow win;
  win.dram = layer.x_addr + tile.n * h * wd * layer.x_pixel + tile.cb * rows;
  win.height = h;
  win.width = wd;
  win.stride_y = wd * layer.x_pixel;
  win.stride_x = layer.x_pixel;
  win.y0 = ry.lo;
  win.y1 = ry.hi;
  win.x0 = rx.lo;
  win.x1 = rx.hi;
  win.lanes = lanes;
  win.fill = layer.fill;
  LoadWindow(step.loads, in_buf, win, tag + ": input");
  isa::Pool p;
  p.src = Field(in_buf, "src");
  p.dst = Field(out_buf, "dst");
  p.in_h = Field(ry.hi - ry.lo, "in_h");
  p.in_w = Field(rx.hi - rx.lo, "in_w");
  p.out_h = Field(tile.th, "out_h");
  p.out_w = Field(tile.tw, "out_w");
  p.kh = Field(w.kernel[0], "kh");
  p.kw = Field(w.kernel[1], "kw");
  p.stride_h = Field(w.stride[0], "stride_h");
  p.stride_w = Field(w.stride[1], "stride_w");
  p.pad_top = Field(ry.pad, "pad_top");
  p.pad_left = Field(rx.pad, "pad_left");
  p.dil_h = Field(w.dilation[0], "dil_h");
  p.dil_w = Field(w.dilation[1], "dil_w");
  p.max = layer.max;
  p.param = Field(layer.param, "param");
  p.single_rounding = layer.single_rounding;
  step.computes.push_back({p, tag + (layer.max ? ": max pool" : ": average pool")});
  const std::int64_t y_pixel = layer.c;
  StoreGrid(step.stores, out_buf,
            layer.y_addr + ((tile.n * oh + tile.oy) * ow + tile.ox) * y_pixel + tile.cb * rows,
            tile.th, tile.tw, ow * y_pixel, y_pixel, lanes, 0, tag + ": output");
}

void LowerPool(LowerContext& ctx, const golden::Node& node) {
  const golden::Graph& g = ctx.graph;
  const isa::ArchConfig& arch = ctx.arch();
  const std::int64_t rows = arch.rows;
  const golden::TensorInfo& xi = g.Info(node.inputs[0]);
  const golden::TensorInfo& yi = g.Info(node.outputs[0]);
  PoolLayer layer;
  layer.name = node.name;
  layer.max = node.op == "MaxPool";
  layer.window = PoolWindow(g, node);
  const golden::ops::Window2d& w = layer.window;
  layer.batch = xi.shape[0];
  layer.c = xi.shape[1];
  layer.fill = static_cast<std::uint8_t>(golden::ops::ZeroPointAt(xi.quant, 0) & 0xff);
  layer.single_rounding = golden::IsSingleRounding(ctx.options.rounding);
  const std::int64_t batch = layer.batch, c = layer.c, h = w.in[0], wd = w.in[1];
  const std::int64_t oh = w.out[0], ow = w.out[1];
  const std::vector<std::int32_t> desc = PoolDescriptor(arch, g, node, w);
  const std::int64_t param_rows = static_cast<std::int64_t>(desc.size()) / arch.cols;

  const DramTensor& x = ctx.Tensor(node.inputs[0]);
  const DramTensor& y = PlaceOutput(ctx, node.outputs[0], DefaultLayout(yi.shape));
  layer.x_addr = x.addr;
  layer.x_pixel = RowsOf(x.layout, 1)->pixel_stride;
  layer.y_addr = y.addr;
  layer.tiling = ChoosePoolTiling(arch, w, node.name);
  const PoolTiling& t = layer.tiling;

  ProgramBuilder& pb = ctx.program;
  pb.BeginLayer(node.name);
  const std::int64_t param_addr = pb.PutWords(desc);
  const OnChipBase base =
      pb.TakeOnChip(t.buffers * (t.in_rows + t.out_rows), 0, param_rows, node.name);
  layer.scratchpad = base.scratchpad;
  layer.param = base.param;

  LayerEstimate e;
  e.name = node.name;
  e.op = node.op;
  e.min_dram_bytes =
      batch * h * wd * c + batch * oh * ow * c + 4 * static_cast<std::int64_t>(desc.size());
  bool first = true;
  std::int64_t buffer = 0;
  LoadPipe loads(arch);
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t oy = 0; oy < oh; oy += t.th) {
      const std::int64_t th = std::min(t.th, oh - oy);
      const PoolAxisRange ry = PoolInputRange(w, 0, oy, oy + th);
      for (std::int64_t ox = 0; ox < ow; ox += t.tw) {
        const std::int64_t tw = std::min(t.tw, ow - ox);
        const PoolAxisRange rx = PoolInputRange(w, 1, ox, ox + tw);
        ++e.tiles;
        for (std::int64_t cb = 0; cb < CeilDiv(c, rows); ++cb, ++buffer) {
          Step& step = pb.NewStep();
          if (first) {
            LoadParamRows(step.loads, arch, base.param, param_addr, param_rows,
                          node.name + ": pool descriptor");
            e.load_cycles = loads.AddBytes(4 * static_cast<std::int64_t>(desc.size()), param_rows);
            e.dram_read += 4 * static_cast<std::int64_t>(desc.size());
            ++e.instructions;
            first = false;
          }
          EmitPoolTile(arch, layer, {n, oy, ox, th, tw, cb, buffer}, step);
          const std::int64_t lanes = std::min(rows, c - cb * rows);
          const std::int64_t in_bytes = (ry.hi - ry.lo) * (rx.hi - rx.lo) * lanes;
          // The first tile's loads are the fill, the last tile's pool after the last load and
          // its store the drain.
          // Loads run through the load unit's pipeline (LoadPipe); a pixel's lanes of this
          // channel block are a row of their own beats (pixels lie c bytes apart).
          const std::int64_t in_beats =
              CeilDiv((ry.hi - ry.lo) * (rx.hi - rx.lo) * SixteenthBeatsPerRow(lanes, c), 16);
          e.load_cycles = loads.Add(in_beats, (ry.hi - ry.lo) * (rx.hi - rx.lo));
          const std::int64_t out_port =
              PortCycles(arch, CeilDiv(th * tw * SixteenthBeatsPerRow(lanes, c), 16));
          e.port_cycles += PortCycles(arch, in_beats) + out_port;
          if (e.tiles == 1 && cb == 0) e.fill_cycles = e.load_cycles;
          e.dram_read += in_bytes;
          // The pool reads only the taps inside the image (padding taps are skipped).
          const std::int64_t taps = InsideTaps(w, 0, oy, th) * InsideTaps(w, 1, ox, tw);
          e.compute_cycles += taps + 4;
          e.compute_latency_cycles += kPoolOverhead - 4;
          e.tail_compute_cycles = taps + kPoolOverhead;
          e.drain_cycles = DmaCycles(arch, th * tw * lanes) + kStoreTail;
          e.store_cycles += e.drain_cycles;
          e.last_step_cycles = std::max(taps + 4, e.drain_cycles);
          e.dram_written += th * tw * lanes;
          e.instructions += 3;
        }
      }
    }
  }
  FinishEstimate(arch, e);
  e.plan = std::to_string(e.tiles) + (e.tiles == 1 ? " tile" : " tiles") + " of " +
           std::to_string(t.th) + "x" + std::to_string(t.tw);
  ctx.layers.push_back(e);
}

}  // namespace qsa::compiler

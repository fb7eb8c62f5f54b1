// Concat on the DMA engines: each input is copied, through the scratchpad, into its place in the
// output. With the output stored in the same axis order as its inputs, the part of input i is
// `outer` runs of `chunk` contiguous bytes (outer: the product of the DRAM dimensions before the
// concatenation axis; chunk: input i's extent along it times the bytes of one step), written
// `out_stride` apart from the byte offset of its first index along the axis.
#include <algorithm>

#include "compiler/lower/dma.h"
#include "compiler/lower/lower.h"
#include "model/base/error.h"
#include "model/golden/ops/op_util.h"

namespace qsa::compiler {

namespace {

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Where the concatenation axis sits in DRAM order, and the elements of one step along it.
struct AxisPlace {
  std::int64_t outer = 1;  // product of the DRAM dimensions before the axis
  std::int64_t inner = 1;  // product of the DRAM dimensions after it
};

AxisPlace PlaceOf(const Layout& layout, int axis) {
  const std::vector<int> perm = FullPerm(layout);
  AxisPlace p;
  bool after = false;
  for (int a : perm) {
    const std::int64_t d = layout.shape[static_cast<std::size_t>(a)];
    if (a == axis) {
      after = true;
    } else if (after) {
      p.inner *= d;
    } else {
      p.outer *= d;
    }
  }
  return p;
}

}  // namespace

std::string ConcatRefusal(const golden::Graph& graph, const golden::Node& node,
                          const std::vector<Layout>& input_layouts) {
  const golden::TensorInfo& y = graph.Info(node.outputs[0]);
  const auto rank = static_cast<std::int64_t>(y.shape.size());
  const int axis = static_cast<int>(golden::ops::NormalizeAxis(node.attrs.GetInt("axis"), rank));
  const Layout out = DefaultLayout(y.shape);
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const golden::TensorInfo& x = graph.Info(node.inputs[i]);
    if (x.dtype != y.dtype || x.quant != y.quant) {
      return "input '" + node.inputs[i] + "' is requantized (its type or scale differs)";
    }
    // The input's DRAM order must be the output's, so that its part is a box of whole runs.
    Layout expect = out;
    expect.shape = x.shape;
    if (!SameBytes(input_layouts[i], expect)) return "an input is stored in another order";
  }
  (void)axis;
  return "";
}

void LowerConcat(LowerContext& ctx, const golden::Node& node) {
  const golden::Graph& g = ctx.graph;
  const isa::ArchConfig& arch = ctx.arch();
  const std::int64_t rows = arch.rows;
  const golden::TensorInfo& yi = g.Info(node.outputs[0]);
  const auto rank = static_cast<std::int64_t>(yi.shape.size());
  const int axis = static_cast<int>(golden::ops::NormalizeAxis(node.attrs.GetInt("axis"), rank));
  const DramTensor& y = PlaceOutput(ctx, node.outputs[0], DefaultLayout(yi.shape));
  const auto es = static_cast<std::int64_t>(golden::DTypeSize(yi.dtype));
  const AxisPlace place = PlaceOf(y.layout, axis);
  const std::int64_t out_stride = yi.shape[static_cast<std::size_t>(axis)] * place.inner * es;

  ProgramBuilder& pb = ctx.program;
  pb.BeginLayer(node.name);
  const std::int64_t budget = arch.scratchpad_rows() / 2;
  const OnChipBase base = pb.TakeOnChip(2 * budget, 0, 0, node.name);
  LayerEstimate e;
  e.name = node.name;
  e.op = node.op;
  e.min_dram_bytes = 2 * golden::NumElements(yi.shape) * es;
  std::int64_t offset = 0, buffer = 0;
  LoadPipe loads(arch);
  for (const std::string& name : node.inputs) {
    const DramTensor& x = ctx.Tensor(name);
    const golden::TensorInfo& xi = g.Info(name);
    const std::int64_t chunk = xi.shape[static_cast<std::size_t>(axis)] * place.inner * es;
    const std::int64_t full = chunk / rows, tail = chunk % rows;
    if (full > budget) {
      throw Error("layer '" + node.name + "' does not fit: one run of input '" + name + "' needs " +
                  std::to_string(CeilDiv(chunk, rows)) + " scratchpad rows; " +
                  std::to_string(budget) + " are free for it");
    }
    // Runs per step: their full rows (a grid of at most 255 x 255) and tails must fit.
    std::int64_t runs_per_step = std::max<std::int64_t>(1, budget / (full + (tail > 0 ? 1 : 0)));
    if (full > 0) runs_per_step = std::min<std::int64_t>(runs_per_step, 255);
    for (std::int64_t r0 = 0; r0 < place.outer; r0 += runs_per_step, ++buffer) {
      const std::int64_t n = std::min(runs_per_step, place.outer - r0);
      Step& step = pb.NewStep();
      const std::int64_t row0 = base.scratchpad + (buffer % 2) * budget;
      const std::int64_t tails = row0 + n * full;  // one row per run after the full rows
      const std::string tag = node.name + " input '" + name + "' runs " + std::to_string(r0) +
                              ".." + std::to_string(r0 + n - 1);
      const std::int64_t src = x.addr + r0 * chunk, dst = y.addr + r0 * out_stride + offset;
      if (full > 0) {
        ImageWindow w;  // run k's full rows: grid row k
        w.dram = src;
        w.height = n;
        w.width = full;
        w.stride_y = chunk;
        w.stride_x = rows;
        w.y1 = n;
        w.x1 = full;
        w.lanes = rows;
        LoadWindow(step.loads, row0, w, tag);
        StoreGrid(step.stores, row0, dst, n, full, out_stride, rows, rows, 0, tag);
      }
      if (tail > 0) {
        LoadRows(step.loads, tails, src + full * rows, n, chunk, tail, 0, tag);
        StoreRows(step.stores, tails, dst + full * rows, n, out_stride, tail, 0, tag);
      }
      // Loads run through the load unit's pipeline (LoadPipe): the latency once per run.
      if (full > 0) loads.AddBytes(n * full * rows, n * full);
      if (tail > 0) loads.Add(CeilDiv(n * SixteenthBeatsPerRow(tail, chunk), 16), n);
      e.load_cycles = loads.end();
      e.port_cycles += 2 * PortCycles(arch, CeilDiv(n * chunk, 16));
      e.store_cycles += DmaCycles(arch, n * chunk);
      e.dram_read += n * chunk;
      e.dram_written += n * chunk;
      e.instructions += (full > 0 ? 2 : 0) + (tail > 0 ? 2 : 0);
      ++e.tiles;
    }
    offset += chunk;
  }
  FinishEstimate(arch, e);
  e.plan = "copies " + std::to_string(node.inputs.size()) + " inputs into place";
  ctx.layers.push_back(e);
}

}  // namespace qsa::compiler

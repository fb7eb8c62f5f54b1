// Quantized Add on the vector unit (docs/isa.md, "vadd"). Both inputs and the output share one
// DRAM layout, so the add runs over their bytes as runs of ROWS-byte scratchpad rows, whatever
// the shape: tiles of rows are loaded from both inputs, added in place into the first input's
// rows and stored.
#include <algorithm>

#include "compiler/lower/dma.h"
#include "compiler/lower/lower.h"
#include "model/base/error.h"
#include "model/golden/vector_params.h"

namespace qsa::compiler {

namespace {

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
std::uint32_t Byte(std::int64_t v) { return static_cast<std::uint32_t>(v & 0xff); }

constexpr std::int64_t kMaxVaddRows = 65535;

// Moves bytes [first, first + count·ROWS), capped at `bytes_left`, as full rows and a partial
// last row, with `rows_op` (LoadRows or StoreRows with their lane arguments bound).
template <typename RowsOp>
void MoveBytes(std::int64_t rows, std::int64_t count, std::int64_t bytes_left,
               const RowsOp& rows_op) {
  const std::int64_t full = std::min(count, bytes_left / rows);
  rows_op(0, full, rows);
  if (full < count) rows_op(full, 1, bytes_left - full * rows);
}

}  // namespace

void LowerAdd(LowerContext& ctx, const golden::Node& node) {
  const golden::Graph& g = ctx.graph;
  const isa::ArchConfig& arch = ctx.arch();
  const std::int64_t rows = arch.rows;
  const golden::TensorInfo& ai = g.Info(node.inputs[0]);
  const golden::TensorInfo& bi = g.Info(node.inputs[1]);
  const golden::TensorInfo& yi = g.Info(node.outputs[0]);
  const golden::ops::AddFixedPoint f = golden::ops::QuantizedAddFixedPoint(node, ai, bi, yi);
  const auto scaler = [](golden::FixedPointMultiplier m) {
    return std::max(m.shift, 0) | std::max(-m.shift, 0) << 8;
  };
  std::vector<std::int32_t> desc = {
      static_cast<std::int32_t>(Byte(f.za) | Byte(f.zb) << 8 | Byte(f.zy) << 16 |
                                (ai.dtype == golden::DType::kInt8 ? 1u << 24 : 0u) |
                                (bi.dtype == golden::DType::kInt8 ? 1u << 25 : 0u) |
                                (yi.dtype == golden::DType::kInt8 ? 1u << 26 : 0u)),
      static_cast<std::int32_t>(Byte(f.qmin) | Byte(f.qmax) << 8 |
                                static_cast<std::uint32_t>(f.left_shift) << 16),
      f.ma.multiplier,
      scaler(f.ma),
      f.mb.multiplier,
      scaler(f.mb),
      f.my.multiplier,
      scaler(f.my)};
  const std::int64_t param_rows = CeilDiv(8, arch.cols);
  desc.resize(static_cast<std::size_t>(param_rows * arch.cols), 0);

  const DramTensor& a = ctx.Tensor(node.inputs[0]);
  const DramTensor& b = ctx.Tensor(node.inputs[1]);
  const DramTensor& y = PlaceOutput(ctx, node.outputs[0], a.layout);
  const std::int64_t bytes = golden::NumElements(yi.shape);
  const std::int64_t total_rows = CeilDiv(bytes, rows);
  // Tiles: two buffers of (A rows, B rows), the sum written over A.
  const std::int64_t tile = std::clamp<std::int64_t>(arch.scratchpad_rows() / 4, 1, kMaxVaddRows);
  const std::int64_t run = std::min(tile, total_rows);

  ProgramBuilder& pb = ctx.program;
  const bool apart = ScratchpadGroupsApart(arch, {2 * run, 2 * run});
  pb.BeginLayer(node.name);
  const std::int64_t param_addr = pb.PutWords(desc);
  // Both A buffers in one group and both B buffers in another: vadd reads A and B in the same
  // cycle, so they go to separate scratchpad banks where they fit (else B's row waits a cycle).
  const OnChipBase base = pb.TakeOnChipApart({2 * run, 2 * run}, 0, param_rows, node.name);

  LayerEstimate e;
  e.name = node.name;
  e.op = node.op;
  e.min_dram_bytes = 3 * bytes + 4 * static_cast<std::int64_t>(desc.size());
  std::int64_t buffer = 0;
  LoadPipe loads(arch);
  for (std::int64_t r0 = 0; r0 < total_rows; r0 += run, ++buffer) {
    const std::int64_t count = std::min(run, total_rows - r0);
    const std::int64_t left = bytes - r0 * rows;
    const std::int64_t moved = std::min(count * rows, left);
    Step& step = pb.NewStep();
    const std::string tag = node.name + " bytes " + std::to_string(r0 * rows) + ".." +
                            std::to_string(r0 * rows + moved - 1);
    if (r0 == 0) {
      LoadParamRows(step.loads, arch, base.param, param_addr, param_rows,
                    node.name + ": add descriptor");
      loads.AddBytes(4 * static_cast<std::int64_t>(desc.size()), param_rows);
    }
    const std::int64_t a_buf = base.groups[0] + (buffer % 2) * run;
    const std::int64_t b_buf = base.groups[1] + (buffer % 2) * run;
    // Row k of the tile holds bytes r0·ROWS + k·ROWS ..; each load or store moves `n` rows of
    // `lanes` bytes from row `k`.
    const auto load = [&](std::int64_t buf, std::int64_t addr, const std::string& what) {
      return [&, buf, addr, what](std::int64_t k, std::int64_t n, std::int64_t lanes) {
        LoadRows(step.loads, buf + k, addr + r0 * rows + k * rows, n, rows, lanes, 0, what);
      };
    };
    MoveBytes(rows, count, left, load(a_buf, a.addr, tag + ": input A"));
    MoveBytes(rows, count, left, load(b_buf, b.addr, tag + ": input B"));
    isa::Vadd v;
    v.a = Field(a_buf, "a");
    v.b = Field(b_buf, "b");
    v.dst = Field(a_buf, "dst");
    v.n = Field(count, "n");
    v.param = Field(base.param, "param");
    v.single_rounding = golden::IsSingleRounding(ctx.options.rounding);
    step.computes.push_back({v, tag + ": quantized add"});
    MoveBytes(rows, count, left, [&](std::int64_t k, std::int64_t n, std::int64_t lanes) {
      StoreRows(step.stores, a_buf + k, y.addr + r0 * rows + k * rows, n, rows, lanes, 0,
                tag + ": output");
    });
    // The tile's loads (the first tile's are the fill), its vadd, its store (the last is the
    // drain); a vadd's descriptor, checks and pipeline add kVaddOverhead to its rows.
    // The two loads run through the load unit's pipeline (LoadPipe): the latency is paid once
    // for a run of loads.
    loads.AddBytes(moved, count);
    e.load_cycles = loads.AddBytes(moved, count);
    const std::int64_t vadd = (apart ? count : 2 * count) + 4;
    if (r0 == 0) e.fill_cycles = e.load_cycles;
    e.tail_compute_cycles = vadd + kVaddOverhead - 4;
    e.store_cycles += DmaCycles(arch, moved) + kStoreTail;
    e.port_cycles += 3 * PortCycles(arch, CeilDiv(moved, 16));
    e.drain_cycles = DmaCycles(arch, moved) + kStoreTail;
    e.compute_cycles += vadd;
    e.last_step_cycles = std::max(vadd, e.drain_cycles);
    e.compute_latency_cycles += kVaddOverhead - 4;
    e.dram_read += 2 * moved;
    e.dram_written += moved;
    e.instructions += 4;
    ++e.tiles;
  }
  e.dram_read += 4 * static_cast<std::int64_t>(desc.size());
  FinishEstimate(arch, e);
  e.plan = std::to_string(e.tiles) + (e.tiles == 1 ? " tile" : " tiles") + " of " +
           std::to_string(run) + " rows";
  ctx.layers.push_back(e);
}

}  // namespace qsa::compiler

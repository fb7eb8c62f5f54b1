#include "compiler/lower/cost_model.h"

#include <algorithm>
#include <sstream>

#include "model/base/error.h"

namespace qsa::compiler {

namespace {

constexpr std::int64_t kMaxGrid = 255;
constexpr std::int64_t kMaxPostRows = 4095;

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The DMA instructions a run of `rows` rows takes: as many as compiler/lower/dma.cc's Runs
// gives (grids of up to 255 × 255 rows, then the rest), counted without building them.
std::int64_t GridCount(std::int64_t rows) {
  if (rows <= kMaxGrid) return 1;
  return CeilDiv(rows / kMaxGrid, kMaxGrid) + (rows % kMaxGrid != 0 ? 1 : 0);
}

struct Blocks {
  std::int64_t cb = 1, mb = 1, spb = 1, total_tiles = 0, max_tiles = 0;
};

Blocks BlocksOf(const isa::ArchConfig& arch, const ConvShape& s) {
  Blocks b;
  b.cb = CeilDiv(s.c, arch.rows);
  b.mb = CeilDiv(s.m, arch.cols);
  b.spb = std::max<std::int64_t>(1, arch.cols / arch.rows);
  for (std::int64_t t : s.tiles_per_block) {
    b.total_tiles += t;
    b.max_tiles = std::max(b.max_tiles, t);
  }
  return b;
}

// Output pixels of a tile along one axis: the ranges [o0, o0 + t) of a tiling by `t`.
std::vector<std::int64_t> Extents(std::int64_t total, std::int64_t t) {
  std::vector<std::int64_t> e;
  for (std::int64_t o = 0; o < total; o += t) e.push_back(std::min(t, total - o));
  return e;
}

// Input positions [lo, hi) inside [0, size) that output positions [o0, o0 + n) read.
std::int64_t InsideExtent(std::int64_t o0, std::int64_t n, std::int64_t size, std::int64_t kernel,
                          std::int64_t stride, std::int64_t dilation, std::int64_t pad) {
  const std::int64_t lo = std::max<std::int64_t>(0, o0 * stride - pad);
  const std::int64_t hi = std::min(size, (o0 + n - 1) * stride - pad + (kernel - 1) * dilation + 1);
  return std::max<std::int64_t>(0, hi - lo);
}

ConvTiling MakeTiling(const isa::ArchConfig& arch, const ConvShape& s, const Blocks& b, bool flat,
                      std::int64_t run, std::int64_t th, std::int64_t tw, bool resident,
                      std::int64_t chunk, bool double_buffered) {
  ConvTiling t;
  t.double_buffered = double_buffered;
  const std::int64_t buffers = double_buffered ? 2 : 1;
  t.flat = flat;
  t.run = run;
  t.th = th;
  t.tw = tw;
  t.weights_resident = resident;
  t.chunk = resident ? b.max_tiles : chunk;
  const std::int64_t pixels = flat ? run : th * tw;
  const std::int64_t spatial =
      flat ? CeilDiv(s.batch * s.oh * s.ow, run) : s.batch * CeilDiv(s.oh, th) * CeilDiv(s.ow, tw);
  t.in_rows =
      b.cb * (flat ? run : WindowExtent(th, s.kh, s.sh, s.dh) * WindowExtent(tw, s.kw, s.sw, s.dw));
  t.in_buffers = spatial > 1 ? buffers : 1;
  t.w_buffers = buffers;
  t.w_rows = (resident ? b.total_tiles : buffers * t.chunk) * arch.cols;
  t.out_rows = s.raw ? 0 : b.spb * pixels;
  t.out_buffers = s.raw ? 0 : buffers;
  t.acc_rows = s.raw ? buffers * pixels : pixels;
  t.params_resident = 4 * b.mb <= arch.param_rows / 2;
  t.param_rows = s.raw ? 0 : (t.params_resident ? 4 * b.mb : 4 * buffers);
  return t;
}

bool Fits(const isa::ArchConfig& arch, const ConvShape& s, const ConvTiling& t) {
  if (t.ScratchpadRows() > arch.scratchpad_rows()) return false;
  if (t.acc_rows > arch.accumulator_rows() || t.param_rows > arch.param_rows) return false;
  const std::int64_t pixels = t.flat ? t.run : t.th * t.tw;
  if (pixels > kMaxPostRows) return false;
  if (!t.flat) {
    const std::int64_t iw = WindowExtent(t.tw, s.kw, s.sw, s.dw);
    if (t.th > kMaxGrid || t.tw > kMaxGrid || WindowExtent(t.th, s.kh, s.sh, s.dh) > kMaxGrid ||
        iw > kMaxGrid || s.sh * iw > 65535 || s.sw > kMaxGrid || t.tw > 4095) {
      return false;
    }
  }
  return true;
}

// Better: fewer cycles, then fewer DRAM bytes, then fewer instructions, then fewer on-chip rows.
// Cycles within 1/512 of each other count as equal: with the posts overlapped, smaller tiles
// save only their last block's post (a few hundred cycles of a layer's hundreds of thousands)
// while their halos cost DRAM traffic, and their many short loads latency and bank waits the
// model does not see whole.
bool Better(const LayerEstimate& a, const ConvTiling& ta, const LayerEstimate& b,
            const ConvTiling& tb) {
  const std::int64_t slack = std::max(a.steady_cycles, b.steady_cycles) / 512;
  if (std::abs(a.steady_cycles - b.steady_cycles) > slack) {
    return a.steady_cycles < b.steady_cycles;
  }
  const std::int64_t da = a.dram_read + a.dram_written, db = b.dram_read + b.dram_written;
  if (da != db) return da < db;
  if (a.instructions != b.instructions) return a.instructions < b.instructions;
  return ta.ScratchpadRows() < tb.ScratchpadRows();
}

}  // namespace

std::int64_t DmaCycles(const isa::ArchConfig& arch, std::int64_t bytes) {
  if (bytes <= 0) return 1;
  return arch.dram_latency_cycles + CeilDiv(bytes, arch.dram_bytes_per_cycle);
}

std::int64_t PortCycles(const isa::ArchConfig& arch, std::int64_t beats) {
  return CeilDiv(16 * beats, arch.dram_bytes_per_cycle);
}

std::int64_t SixteenthBeatsPerRow(std::int64_t lanes, std::int64_t stride) {
  if (lanes <= 0) return 0;
  // The row starts at stride · i mod 16: a cycle of 16 / gcd(stride, 16) offsets, equally often.
  std::int64_t g = 16;
  for (std::int64_t a = stride % 16; a != 0;) {
    const std::int64_t r = g % a;
    g = a;
    a = r;
  }
  std::int64_t sum = 0;
  for (std::int64_t o = 0; o < 16; o += g) sum += (o + lanes + 15) / 16;
  return sum * g;
}

std::int64_t LoadPipe::Add(std::int64_t beats, std::int64_t rows) {
  constexpr int kSlots = 4;
  const std::int64_t start = std::max(next_, count_ >= kSlots ? ends_[count_ % kSlots] : 0);
  const std::int64_t port = CeilDiv(16 * beats, arch_->dram_bytes_per_cycle);
  const std::int64_t busy = std::max(port, rows);
  next_ = start + busy + 1;
  const std::int64_t end =
      beats > 0 ? start + busy + arch_->dram_latency_cycles + kLoadTail : start + rows + 3;
  end_ = std::max(end_, end);
  ends_[count_ % kSlots] = end_;
  ++count_;
  return end_;
}

std::int64_t LoadPipe::AddBytes(std::int64_t bytes, std::int64_t rows) {
  return Add(CeilDiv(bytes, 16), rows);
}

void FinishEstimate(const isa::ArchConfig& arch, LayerEstimate& e) {
  e.steady_cycles = std::max({e.compute_cycles, e.load_cycles, e.store_cycles});
  const std::int64_t drain = e.drain_cycles > 0 ? e.drain_cycles : arch.dram_latency_cycles;
  e.cycles = std::max({e.fill_cycles + e.compute_cycles + e.compute_latency_cycles,
                       e.load_cycles + e.tail_compute_cycles, e.store_cycles,
                       e.port_cycles + arch.dram_latency_cycles}) +
             drain;
}

void OverlapLayers(std::vector<LayerEstimate>& layers, const std::vector<bool>& ahead) {
  if (ahead.size() != layers.size()) return;
  for (std::size_t i = 1; i < layers.size(); ++i) {
    if (!ahead[i]) continue;
    LayerEstimate& prev = layers[i - 1];
    LayerEstimate& e = layers[i];
    // The previous layer's last step runs in this layer's range; this layer's fill runs beside it.
    const std::int64_t moved = std::min(prev.last_step_cycles, prev.cycles);
    prev.cycles -= moved;
    prev.moved_cycles -= moved;
    e.moved_cycles += moved;
    e.hidden_fill_cycles = std::min(e.fill_cycles, moved);
    e.cycles += moved - e.hidden_fill_cycles;
  }
}

std::int64_t WindowExtent(std::int64_t outputs, std::int64_t kernel, std::int64_t stride,
                          std::int64_t dilation) {
  return (outputs - 1) * stride + (kernel - 1) * dilation + 1;
}

LayerEstimate EstimateConv(const isa::ArchConfig& arch, const ConvShape& s, const ConvTiling& t) {
  const Blocks b = BlocksOf(arch, s);
  const std::int64_t rows = arch.rows, cols = arch.cols;
  LayerEstimate e;
  e.op = "Conv";
  e.macs = s.Macs();
  const std::int64_t out_bytes_per = s.raw ? 4 : 1;
  const std::int64_t weight_bytes = b.total_tiles * cols * rows;
  // The input pixels some window reads (a strided 1x1 convolution reads a quarter of them).
  const auto touched = [](std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                          std::int64_t dilation, std::int64_t pad) {
    std::vector<bool> read(static_cast<std::size_t>(in), false);
    for (std::int64_t o = 0; o < out; ++o) {
      for (std::int64_t tap = 0; tap < k; ++tap) {
        const std::int64_t i = o * stride - pad + tap * dilation;
        if (i >= 0 && i < in) read[static_cast<std::size_t>(i)] = true;
      }
    }
    return static_cast<std::int64_t>(std::count(read.begin(), read.end(), true));
  };
  const std::int64_t input_bytes = s.batch * s.c * touched(s.h, s.oh, s.kh, s.sh, s.dh, s.pt) *
                                   touched(s.w, s.ow, s.kw, s.sw, s.dw, s.pl);
  e.min_dram_bytes = input_bytes + weight_bytes + s.batch * s.oh * s.ow * s.m * out_bytes_per +
                     (s.raw ? 0 : 16 * cols * b.mb);
  std::int64_t instructions = 0;
  // The loads before the first gemm can start are the fill; the last store the drain.
  bool computing = false;
  // Loads run through the load unit's pipeline (LoadPipe): the DRAM latency is paid once per run
  // of loads. A run of `run_rows` rows is split into grids of at most 255 × 255
  // (compiler/lower/dma.h), each a load of its own. `sixteenths`: the DRAM beats the load
  // requests, in 1/16 beats (0: whole 16-byte rows, bytes / 16).
  LoadPipe pipe(arch);
  // Double buffering as a ring (docs/compiler.md, "Tiling and the cost model"): the loads of a unit
  // of work (the loads issued together, then the compute that uses them) go into the buffer the
  // unit two before used, so they start only when that unit's gemms have read it (their token), and
  // the latency they pay then is not hidden behind the previous loads. In steady state a unit takes
  // P = max(C, (L + latency + kLoadTail + C) / 2) cycles of the array, C its compute and L its
  // loads' busy cycles: the array waits P - C.
  std::int64_t unit_load = 0, unit_start = 0, units = 0, ring_wait = 0;
  std::int64_t serial_loads = 0;  // each load with its own latency (the tiler's figure, below)
  const auto close_unit = [&] {
    const std::int64_t c = e.compute_cycles - unit_start;
    if (units >= 2 && t.double_buffered) {
      ring_wait += std::max<std::int64_t>(
          0, (unit_load + arch.dram_latency_cycles + kLoadTail + c + 1) / 2 - c);
    }
    ++units;
    unit_load = 0;
    unit_start = e.compute_cycles;
  };
  const auto load = [&](std::int64_t bytes, std::int64_t run_rows, std::int64_t sixteenths = 0,
                        bool grid = false) {
    if (computing && e.compute_cycles > unit_start) close_unit();
    const std::int64_t parts = grid ? 1 : GridCount(run_rows);
    const std::int64_t beats = sixteenths > 0 ? CeilDiv(sixteenths, 16) : CeilDiv(bytes, 16);
    // Runs: whole 255-row grids first, then the rest (beats in proportion to the rows).
    std::int64_t left_rows = run_rows, left_beats = bytes > 0 ? beats : 0;
    for (std::int64_t p = parts; p > 0; --p) {
      const std::int64_t r =
          p == 1 ? left_rows : std::min(kMaxGrid * kMaxGrid, left_rows - left_rows % kMaxGrid);
      const std::int64_t bt =
          p == 1 ? left_beats : left_beats * r / std::max<std::int64_t>(left_rows, 1);
      pipe.Add(bt, r);
      e.port_cycles += PortCycles(arch, bt);
      unit_load += std::max(PortCycles(arch, bt), r) + 1;
      left_rows -= r;
      left_beats -= bt;
    }
    e.load_cycles = pipe.end();
    serial_loads += DmaCycles(arch, bytes) + (bytes > 0 ? kLoadTail : 0) +
                    (parts - 1) * (arch.dram_latency_cycles + kLoadTail);
    if (!computing) e.fill_cycles = pipe.end();
    e.tail_compute_cycles = 0;
    e.dram_read += bytes;
    ++instructions;
  };
  // A store of `pixels` rows of `bytes_per` bytes, m · (1 or 4) bytes apart in DRAM: one at a
  // time, each paying the latency (the store unit takes one instruction at a time).
  const std::int64_t out_stride = s.m * out_bytes_per;
  const auto store = [&](std::int64_t pixels, std::int64_t bytes_per) {
    const std::int64_t bytes = pixels * bytes_per;
    const std::int64_t beats = CeilDiv(pixels * SixteenthBeatsPerRow(bytes_per, out_stride), 16);
    e.port_cycles += PortCycles(arch, beats);
    // A run of more than 255 rows is split into grids, each a store that pays the latency.
    const std::int64_t parts = GridCount(pixels);
    const std::int64_t c =
        parts * (arch.dram_latency_cycles + kStoreTail) + std::max(PortCycles(arch, beats), pixels);
    e.store_cycles += c;
    e.drain_cycles = c;
    e.dram_written += bytes;
    ++instructions;
  };
  if (!s.raw && t.params_resident) {
    load(16 * cols * b.mb, 4 * b.mb);
    e.param_bytes += 16 * cols * b.mb;
  }

  // Spatial tiles: (pixels, interior input pixels, input rows written).
  struct Tile {
    std::int64_t pixels, inside, in_rows;
  };
  std::vector<Tile> tiles;
  if (t.flat) {
    for (std::int64_t p : Extents(s.batch * s.oh * s.ow, t.run)) tiles.push_back({p, p, p});
  } else {
    for (std::int64_t n = 0; n < s.batch; ++n) {
      std::int64_t oy = 0;
      for (std::int64_t th : Extents(s.oh, t.th)) {
        const std::int64_t iy = InsideExtent(oy, th, s.h, s.kh, s.sh, s.dh, s.pt);
        std::int64_t ox = 0;
        for (std::int64_t tw : Extents(s.ow, t.tw)) {
          tiles.push_back(
              {th * tw, iy * InsideExtent(ox, tw, s.w, s.kw, s.sw, s.dw, s.pl),
               WindowExtent(th, s.kh, s.sh, s.dh) * WindowExtent(tw, s.kw, s.sw, s.dw)});
          ox += tw;
        }
        oy += th;
      }
    }
  }
  e.tiles = static_cast<std::int64_t>(tiles.size());
  const std::int64_t max_pixels = t.flat ? t.run : t.th * t.tw;
  const bool acc_double = !s.raw && 2 * max_pixels <= arch.accumulator_rows();
  std::int64_t last_tail = 0;  // the last block's drain and post, which no block hides
  for (const auto& tile : tiles) {
    const std::int64_t pixels = tile.pixels, inside = tile.inside;
    for (std::int64_t cb = 0; cb < b.cb; ++cb) {
      // One row per input pixel of the window (padding rows filled by the unit, without beats);
      // each pixel's lanes of this channel block touch their own beats (pixels lie c bytes apart).
      const std::int64_t lanes = std::min(rows, s.c - cb * rows);
      load(inside * lanes, tile.in_rows, inside * SixteenthBeatsPerRow(lanes, s.c), !t.flat);
    }
    for (std::int64_t mb = 0; mb < b.mb; ++mb) {
      const std::int64_t n_tiles = s.tiles_per_block[static_cast<std::size_t>(mb)];
      const std::int64_t block_start = e.compute_cycles;
      if (!s.raw && !t.params_resident) {
        load(16 * cols, 4);
        e.param_bytes += 16 * cols;
      }
      if (t.weights_resident && &tile == &tiles.front()) {
        // Resident weights: each block's tiles with the first spatial tile.
        load(n_tiles * cols * rows, n_tiles * cols);
        computing = true;
      }
      if (!t.weights_resident) {
        for (std::int64_t done = 0; done < n_tiles; done += t.chunk) {
          load(std::min(t.chunk, n_tiles - done) * cols * rows,
               std::min(t.chunk, n_tiles - done) * cols);
          computing = true;  // the first gemm waits for its chunk only
        }
      }
      computing = true;
      const std::int64_t last_chunk =
          t.weights_resident ? n_tiles : n_tiles - (n_tiles - 1) / t.chunk * t.chunk;
      // With two accumulator buffers (ConvAccLayoutOf) the block's post runs beside the next
      // block's gemms: the array waits only when a block's gemms stream for less than the previous
      // block's drain and post (docs/isa.md, "Overlap").
      const std::int64_t stream = n_tiles * std::max(pixels, cols);
      if (acc_double) {
        e.compute_cycles += std::max(
            stream, rows + cols + kGemmLatencyExtra + pixels + kPostOverhead + kPostRunGap);
        last_tail = rows + cols + pixels + 4;
      } else {
        e.compute_cycles += stream + rows + cols;
      }
      e.tail_compute_cycles +=
          last_chunk * std::max(pixels, cols) + rows + cols + kGemmLatencyExtra;
      // With two accumulator buffers the block's gemm and post latencies run beside the next
      // block's gemms (counted in its max above); only the last block's are paid (below).
      if (!acc_double) e.compute_latency_cycles += kGemmLatencyExtra;
      instructions += n_tiles;
      e.gemm_rows += n_tiles * pixels;
      e.weight_preloads += n_tiles;
      e.accumulate_rows += (s.raw ? n_tiles : std::max<std::int64_t>(n_tiles - 1, 0)) * pixels;
      // The lowering's last step is the last chunk of the last block (compiler/lower/conv.cc).
      const std::int64_t block_cycles = e.compute_cycles - block_start;
      e.last_step_cycles = n_tiles > 0 ? block_cycles * last_chunk / n_tiles : block_cycles;
      const std::int64_t lanes = std::min(cols, s.m - mb * cols);
      if (s.raw) {
        store(pixels, lanes * 4);
      } else {
        if (!acc_double) e.compute_cycles += pixels + 4;
        if (!acc_double) e.compute_latency_cycles += kPostOverhead - 4;
        e.tail_compute_cycles += pixels + kPostOverhead;
        e.post_rows += pixels;
        ++e.posts;
        ++instructions;
        store(pixels, lanes);
      }
    }
  }
  close_unit();
  e.compute_cycles += last_tail + ring_wait;
  if (acc_double) e.compute_latency_cycles += kGemmLatencyExtra + kPostOverhead - 4;
  e.instructions = instructions;
  FinishEstimate(arch, e);
  // The tiler compares tilings by their queues with each load paying its own latency and
  // without the ring's waits: with the pipelined figure, tilings the estimate cannot tell apart
  // within the tiler's slack fall to the tie-breakers (fewer DRAM bytes), which picked tilings
  // the RTL runs slower (MobileNetV2 at 224×224: 2,991,536 RTL cycles against 2,985,304).
  e.steady_cycles = std::max({e.compute_cycles - ring_wait, serial_loads, e.store_cycles});
  if (!t.double_buffered) {
    e.steady_cycles = e.compute_cycles + e.load_cycles + e.store_cycles;
    e.cycles = e.steady_cycles + e.compute_latency_cycles + e.drain_cycles;
  }
  std::ostringstream plan;
  if (t.flat) {
    plan << e.tiles << (e.tiles == 1 ? " tile" : " tiles") << " of " << t.run << " pixels";
  } else {
    plan << e.tiles << (e.tiles == 1 ? " tile" : " tiles") << " of " << t.th << "x" << t.tw;
  }
  plan << ", weights " << (t.weights_resident ? "resident" : "streamed");
  if (!t.double_buffered) plan << ", single-buffered";
  if (!t.weights_resident && t.chunk < b.max_tiles) plan << " in chunks of " << t.chunk << " tiles";
  e.plan = plan.str();
  return e;
}

std::vector<std::int64_t> ConvScratchpadGroups(const ConvTiling& t) {
  return {t.in_rows * t.in_buffers, t.w_rows + t.out_rows * t.out_buffers};
}

ConvTiling ChooseConvTiling(const isa::ArchConfig& arch, const ConvShape& s,
                            const std::string& layer) {
  const Blocks b = BlocksOf(arch, s);
  std::vector<ConvTiling> candidates;
  // Weight chunks: the whole block, else halves until one fits.
  std::vector<std::int64_t> chunks;
  for (std::int64_t c = b.max_tiles; c >= 1; c = c / 2) {
    chunks.push_back(c);
    if (c == 1) break;
  }
  const auto add_all = [&](bool flat, std::int64_t run, std::int64_t th, std::int64_t tw) {
    for (bool db : {true, false}) {
      candidates.push_back(MakeTiling(arch, s, b, flat, run, th, tw, true, 0, db));
      for (std::int64_t c : chunks) {
        ConvTiling t = MakeTiling(arch, s, b, flat, run, th, tw, false, c, db);
        if (Fits(arch, s, t)) {
          candidates.push_back(t);
          break;  // the largest chunk that fits
        }
      }
    }
  };
  if (s.Pointwise()) {
    const std::int64_t pixels = s.batch * s.oh * s.ow;
    std::int64_t last = 0;
    for (std::int64_t k = 1; k <= pixels; k = k < 64 ? k + 1 : k * 2) {
      const std::int64_t run = CeilDiv(pixels, k);
      if (run == last || run > kMaxPostRows) continue;
      last = run;
      add_all(true, run, 0, 0);
      if (run == 1) break;
    }
  } else {
    for (std::int64_t tw = std::min<std::int64_t>(s.ow, kMaxGrid); tw >= 1; tw = CeilDiv(tw, 2)) {
      // One candidate per number of tile rows: the most even split into that many.
      std::int64_t last = 0;
      for (std::int64_t k = 1; k <= s.oh; ++k) {
        const std::int64_t th = CeilDiv(s.oh, k);
        if (th == last || th > kMaxGrid) continue;
        last = th;
        add_all(false, 0, th, tw);
      }
      if (tw == 1) break;
    }
  }
  const ConvTiling* best = nullptr;
  LayerEstimate best_e;
  for (const ConvTiling& t : candidates) {
    if (!Fits(arch, s, t)) continue;
    LayerEstimate e = EstimateConv(arch, s, t);
    if (best == nullptr || Better(e, t, best_e, *best)) {
      best = &t;
      best_e = std::move(e);
    }
  }
  if (best == nullptr) {
    // The smallest tiling: one output pixel (row), one weight tile at a time.
    const ConvTiling t = MakeTiling(arch, s, b, s.Pointwise(), 1, 1, 1, false, 1, false);
    throw Error("layer '" + layer +
                "' does not fit the on-chip memories: its smallest tile needs " +
                std::to_string(t.ScratchpadRows()) + " scratchpad rows (the architecture has " +
                std::to_string(arch.scratchpad_rows()) + "), " + std::to_string(t.acc_rows) +
                " accumulator rows (has " + std::to_string(arch.accumulator_rows()) + ") and " +
                std::to_string(t.param_rows) + " parameter rows (has " +
                std::to_string(arch.param_rows) + ")");
  }
  return *best;
}

}  // namespace qsa::compiler

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

void FinishEstimate(const isa::ArchConfig& arch, LayerEstimate& e) {
  e.steady_cycles = std::max({e.compute_cycles, e.load_cycles, e.store_cycles});
  const std::int64_t drain = e.drain_cycles > 0 ? e.drain_cycles : arch.dram_latency_cycles;
  e.cycles = std::max({e.fill_cycles + e.compute_cycles + e.compute_latency_cycles,
                       e.load_cycles + e.tail_compute_cycles, e.store_cycles}) +
             drain;
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
  // A run of `rows` rows is split into grids of at most 255 × 255 (compiler/lower/dma.h), each
  // a load of its own that pays the latency.
  const auto load = [&](std::int64_t bytes, std::int64_t run_rows = 1) {
    const std::int64_t parts = GridCount(run_rows);
    const std::int64_t c = DmaCycles(arch, bytes) + (bytes > 0 ? kLoadTail : 0) +
                           (parts - 1) * (arch.dram_latency_cycles + kLoadTail);
    e.load_cycles += c;
    if (!computing) e.fill_cycles += c;
    e.tail_compute_cycles = 0;
    e.dram_read += bytes;
    ++instructions;
  };
  const auto store = [&](std::int64_t bytes) {
    const std::int64_t c = DmaCycles(arch, bytes) + kStoreTail;
    e.store_cycles += c;
    e.drain_cycles = c;
    e.dram_written += bytes;
    ++instructions;
  };
  if (!s.raw && t.params_resident) {
    load(16 * cols * b.mb);
    e.param_bytes += 16 * cols * b.mb;
  }

  // Spatial tiles: (pixels, interior input pixels).
  std::vector<std::pair<std::int64_t, std::int64_t>> tiles;
  if (t.flat) {
    for (std::int64_t p : Extents(s.batch * s.oh * s.ow, t.run)) tiles.emplace_back(p, p);
  } else {
    for (std::int64_t n = 0; n < s.batch; ++n) {
      std::int64_t oy = 0;
      for (std::int64_t th : Extents(s.oh, t.th)) {
        const std::int64_t iy = InsideExtent(oy, th, s.h, s.kh, s.sh, s.dh, s.pt);
        std::int64_t ox = 0;
        for (std::int64_t tw : Extents(s.ow, t.tw)) {
          tiles.emplace_back(th * tw, iy * InsideExtent(ox, tw, s.w, s.kw, s.sw, s.dw, s.pl));
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
    const auto& [pixels, inside] = tile;
    for (std::int64_t cb = 0; cb < b.cb; ++cb) {
      load(inside * std::min(rows, s.c - cb * rows));
    }
    for (std::int64_t mb = 0; mb < b.mb; ++mb) {
      const std::int64_t n_tiles = s.tiles_per_block[static_cast<std::size_t>(mb)];
      if (!s.raw && !t.params_resident) {
        load(16 * cols);
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
      e.compute_latency_cycles += kGemmLatencyExtra;
      instructions += n_tiles;
      e.gemm_rows += n_tiles * pixels;
      e.weight_preloads += n_tiles;
      e.accumulate_rows += (s.raw ? n_tiles : std::max<std::int64_t>(n_tiles - 1, 0)) * pixels;
      const std::int64_t lanes = std::min(cols, s.m - mb * cols);
      if (s.raw) {
        store(pixels * lanes * 4);
      } else {
        if (!acc_double) e.compute_cycles += pixels + 4;
        e.compute_latency_cycles += kPostOverhead - 4;
        e.tail_compute_cycles += pixels + kPostOverhead;
        e.post_rows += pixels;
        ++e.posts;
        ++instructions;
        store(pixels * lanes);
      }
    }
  }
  e.compute_cycles += last_tail;
  e.instructions = instructions;
  FinishEstimate(arch, e);
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

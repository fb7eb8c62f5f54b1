#include "compiler/lower/dma.h"

#include <algorithm>

#include "model/base/error.h"

namespace qsa::compiler {

namespace {

constexpr std::int64_t kMaxGrid = 255;  // ny, nx
constexpr std::int64_t kMaxStrideY = (1 << 18) - 1;
constexpr std::int64_t kMaxStrideX = (1 << 14) - 1;
constexpr std::int64_t kMaxPad = 3;

// The fields every DMA instruction shares.
struct GridFields {
  std::int64_t row = 0, dram = 0, ny = 0, nx = 0, sy = 0, sx = 0;
  std::int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
};

template <typename T>
void SetGrid(T& in, const GridFields& g) {
  in.sram = Field(g.row, "on-chip row");
  in.dram = Field(g.dram, "DRAM address");
  in.ny = Field(g.ny, "grid rows");
  in.nx = Field(g.nx, "grid columns");
  in.stride_y = Field(g.ny > 1 ? g.sy : 0, "DRAM row stride");
  in.stride_x = Field(g.nx > 1 ? g.sx : 0, "DRAM column stride");
  if constexpr (requires { in.pad_top; }) {
    in.pad_top = Field(g.pad_top, "padding");
    in.pad_bottom = Field(g.pad_bottom, "padding");
    in.pad_left = Field(g.pad_left, "padding");
    in.pad_right = Field(g.pad_right, "padding");
  }
}

// Emits an unpadded grid, split so that every instruction's fields fit: at most 255 rows and
// columns, strides within their fields (a grid whose strides do not fit goes row by row or
// element by element).
template <typename Make>
void Grid(std::vector<LoweredOp>& ops, GridFields g, const Make& make, const std::string& comment) {
  if (g.ny <= 0 || g.nx <= 0) return;
  if (g.nx > kMaxGrid) throw Error("internal: DMA grid of " + std::to_string(g.nx) + " columns");
  if (g.nx > 1 && g.sx > kMaxStrideX) {
    for (std::int64_t y = 0; y < g.ny; ++y) {
      for (std::int64_t x = 0; x < g.nx; ++x) {
        Grid(ops, GridFields{g.row + y * g.nx + x, g.dram + y * g.sy + x * g.sx, 1, 1, 0, 0}, make,
             comment);
      }
    }
    return;
  }
  if (g.ny > 1 && g.sy > kMaxStrideY) {
    for (std::int64_t y = 0; y < g.ny; ++y) {
      GridFields one = g;
      one.row = g.row + y * g.nx;
      one.dram = g.dram + y * g.sy;
      one.ny = 1;
      Grid(ops, one, make, comment);
    }
    return;
  }
  for (std::int64_t y0 = 0; y0 < g.ny; y0 += kMaxGrid) {
    GridFields part = g;
    part.ny = std::min(kMaxGrid, g.ny - y0);
    part.row = g.row + y0 * g.nx;
    part.dram = g.dram + y0 * g.sy;
    ops.push_back({make(part), comment});
  }
}

// Rows i = 0 .. count-1 at dram + i·stride as grids (Runs).
template <typename Make>
void FlatRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram, std::int64_t count,
              std::int64_t stride, const Make& make, const std::string& comment) {
  std::int64_t done = 0;
  for (const auto& [outer, inner] : Runs(count)) {
    Grid(ops, GridFields{row + done, dram + done * stride, outer, inner, inner * stride, stride},
         make, comment);
    done += outer * inner;
  }
}

// Makes the DMA instruction T of a grid: its grid fields, `lanes`, and what `extra` sets (fill,
// lane0).
template <typename T, typename Extra>
auto Maker(std::int64_t lanes, Extra extra) {
  return [lanes, extra](const GridFields& g) {
    T in;
    SetGrid(in, g);
    in.lanes = Field(lanes, "lanes");
    extra(in);
    return isa::Instruction{in};
  };
}

constexpr auto kNothing = [](auto&) {};

}  // namespace

std::uint32_t Field(std::int64_t v, const char* what) {
  if (v < 0 || v > 0xffffffffLL) {
    throw Error(std::string("internal: ") + what + " " + std::to_string(v) +
                " does not fit an instruction field");
  }
  return static_cast<std::uint32_t>(v);
}

std::vector<std::pair<std::int64_t, std::int64_t>> Runs(std::int64_t count) {
  std::vector<std::pair<std::int64_t, std::int64_t>> runs;
  if (count <= 0) return runs;
  if (count <= kMaxGrid) return {{1, count}};
  std::int64_t done = 0;
  while (count - done >= kMaxGrid) {
    const std::int64_t outer = std::min(kMaxGrid, (count - done) / kMaxGrid);
    runs.emplace_back(outer, kMaxGrid);
    done += outer * kMaxGrid;
  }
  if (count > done) runs.emplace_back(1, count - done);
  return runs;
}

void FillRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t count, std::uint8_t fill,
              const std::string& comment) {
  // A grid that is all padding: ny <= 6 rows (3 on top, 3 at the bottom) of up to 255.
  while (count > 0) {
    const std::int64_t nx = std::min(count, kMaxGrid);
    const std::int64_t ny = std::min<std::int64_t>(2 * kMaxPad, count / nx);
    isa::LoadSp in;
    GridFields g;
    g.row = row;
    g.ny = ny;
    g.nx = nx;
    g.pad_top = std::min(ny, kMaxPad);
    g.pad_bottom = ny - g.pad_top;
    SetGrid(in, g);
    in.lanes = 1;
    in.fill = fill;
    ops.push_back({in, comment});
    row += ny * nx;
    count -= ny * nx;
  }
}

void LoadWindow(std::vector<LoweredOp>& ops, std::int64_t row, const ImageWindow& w,
                const std::string& comment) {
  const std::int64_t ny = w.y1 - w.y0, nx = w.x1 - w.x0;
  if (ny > kMaxGrid || nx > kMaxGrid) {
    throw Error("internal: image window of " + std::to_string(ny) + "x" + std::to_string(nx));
  }
  // Rows and columns of the window inside the image.
  const std::int64_t iy0 = std::clamp<std::int64_t>(w.y0, 0, w.height);
  const std::int64_t iy1 = std::clamp<std::int64_t>(w.y1, iy0, w.height);
  const std::int64_t ix0 = std::clamp<std::int64_t>(w.x0, 0, w.width);
  const std::int64_t ix1 = std::clamp<std::int64_t>(w.x1, ix0, w.width);
  const std::int64_t pt = iy0 - w.y0, pb = w.y1 - iy1, pl = ix0 - w.x0, pr = w.x1 - ix1;
  const std::uint8_t fill = w.fill;
  const auto make = Maker<isa::LoadSp>(w.lanes, [fill](isa::LoadSp& in) { in.fill = fill; });
  if (iy1 == iy0 || ix1 == ix0) {
    FillRows(ops, row, ny * nx, w.fill, comment);
    return;
  }
  const std::int64_t first = w.dram + iy0 * w.stride_y + ix0 * w.stride_x;
  if (pt <= kMaxPad && pb <= kMaxPad && pl <= kMaxPad && pr <= kMaxPad &&
      w.stride_y <= kMaxStrideY && w.stride_x <= kMaxStrideX) {
    GridFields g{row, first, ny, nx, w.stride_y, w.stride_x, pt, pb, pl, pr};
    if (ny == 1) g.sy = 0;
    if (nx == 1) g.sx = 0;
    ops.push_back({make(g), comment});
    return;
  }
  // Wide padding: fill the padding rows, then each row's left padding, inside and right padding.
  FillRows(ops, row, pt * nx, w.fill, comment);
  for (std::int64_t y = iy0; y < iy1; ++y) {
    const std::int64_t r = row + (y - w.y0) * nx;
    FillRows(ops, r, pl, w.fill, comment);
    Grid(
        ops,
        GridFields{r + pl, w.dram + y * w.stride_y + ix0 * w.stride_x, 1, ix1 - ix0, 0, w.stride_x},
        make, comment);
    FillRows(ops, r + pl + (ix1 - ix0), pr, w.fill, comment);
  }
  FillRows(ops, row + (iy1 - w.y0) * nx, pb * nx, w.fill, comment);
}

void LoadRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram, std::int64_t count,
              std::int64_t stride, std::int64_t lanes, std::uint8_t fill,
              const std::string& comment) {
  FlatRows(ops, row, dram, count, stride,
           Maker<isa::LoadSp>(lanes, [fill](isa::LoadSp& in) { in.fill = fill; }), comment);
}

void LoadAccRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram,
                 std::int64_t count, std::int64_t stride, std::int64_t lanes,
                 const std::string& comment) {
  FlatRows(ops, row, dram, count, stride, Maker<isa::LoadAcc>(lanes, kNothing), comment);
}

void LoadParamRows(std::vector<LoweredOp>& ops, const isa::ArchConfig& arch, std::int64_t row,
                   std::int64_t dram, std::int64_t count, const std::string& comment) {
  FlatRows(ops, row, dram, count, 4 * std::int64_t{arch.cols},
           Maker<isa::LoadParam>(arch.cols, kNothing), comment);
}

void StoreRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram, std::int64_t count,
               std::int64_t stride, std::int64_t lanes, std::int64_t lane0,
               const std::string& comment) {
  const std::uint32_t first = Field(lane0, "lane0");
  FlatRows(ops, row, dram, count, stride,
           Maker<isa::StoreSp>(lanes, [first](isa::StoreSp& out) { out.lane0 = first; }), comment);
}

void StoreGrid(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram, std::int64_t ny,
               std::int64_t nx, std::int64_t stride_y, std::int64_t stride_x, std::int64_t lanes,
               std::int64_t lane0, const std::string& comment) {
  const std::uint32_t first = Field(lane0, "lane0");
  Grid(ops, GridFields{row, dram, ny, nx, stride_y, stride_x},
       Maker<isa::StoreSp>(lanes, [first](isa::StoreSp& out) { out.lane0 = first; }), comment);
}

void StoreAccRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram,
                  std::int64_t count, std::int64_t stride, std::int64_t lanes,
                  const std::string& comment) {
  FlatRows(ops, row, dram, count, stride, Maker<isa::StoreAcc>(lanes, kNothing), comment);
}

void StoreAccGrid(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram, std::int64_t ny,
                  std::int64_t nx, std::int64_t stride_y, std::int64_t stride_x, std::int64_t lanes,
                  const std::string& comment) {
  Grid(ops, GridFields{row, dram, ny, nx, stride_y, stride_x},
       Maker<isa::StoreAcc>(lanes, kNothing), comment);
}

}  // namespace qsa::compiler

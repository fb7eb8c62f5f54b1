#include "compiler/lower/layout.h"

#include <numeric>

namespace qsa::compiler {

Layout DefaultLayout(const golden::Shape& shape) {
  Layout l;
  l.shape = shape;
  if (shape.size() == 4) l.perm = {0, 2, 3, 1};
  return l;
}

std::vector<int> FullPerm(const Layout& layout) {
  if (!layout.perm.empty()) return layout.perm;
  std::vector<int> perm(layout.shape.size());
  std::iota(perm.begin(), perm.end(), 0);
  return perm;
}

std::vector<std::int64_t> ElementOffsets(const Layout& layout) {
  const int rank = layout.rank();
  const std::vector<int> perm = FullPerm(layout);
  // DRAM stride of each logical axis.
  std::vector<std::int64_t> stride(static_cast<std::size_t>(rank), 1);
  std::int64_t s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    stride[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])] = s;
    s *= layout.shape[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])];
  }
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(s));
  std::vector<std::int64_t> index(static_cast<std::size_t>(rank), 0);
  std::int64_t off = 0;
  for (std::int64_t i = 0; i < s; ++i) {
    offsets[static_cast<std::size_t>(i)] = off;
    for (int a = rank - 1; a >= 0; --a) {
      const auto au = static_cast<std::size_t>(a);
      ++index[au];
      off += stride[au];
      if (index[au] < layout.shape[au]) break;
      off -= stride[au] * index[au];
      index[au] = 0;
    }
  }
  return offsets;
}

namespace {

// For layouts of one logical shape: the DRAM order of the logical axes with axes of size 1
// dropped and runs of axes that stay adjacent and in order merged. Two layouts of the same shape
// store every element at the same offset exactly when these agree.
std::vector<std::pair<int, std::int64_t>> Canonical(const Layout& layout) {
  std::vector<std::pair<int, std::int64_t>> axes;  // (first logical axis, merged size)
  int last = -2;
  for (int p : FullPerm(layout)) {
    const std::int64_t size = layout.shape[static_cast<std::size_t>(p)];
    if (size == 1) continue;
    if (!axes.empty() && p == last + 1) {
      axes.back().second *= size;
    } else {
      axes.emplace_back(p, size);
    }
    last = p;
  }
  return axes;
}

}  // namespace

bool SameBytes(const Layout& a, const Layout& b) {
  if (golden::NumElements(a.shape) != golden::NumElements(b.shape)) return false;
  if (a.shape == b.shape) return Canonical(a) == Canonical(b);
  return ElementOffsets(a) == ElementOffsets(b);
}

Layout TransposedLayout(const Layout& in, const std::vector<int>& perm) {
  // out = transpose(x, perm): out axis k is x axis perm[k]. DRAM holds transpose(x, q), which is
  // transpose(out, q') with q'[i] = inverse(perm)[q[i]].
  const std::vector<int> q = FullPerm(in);
  std::vector<int> inverse(perm.size());
  for (std::size_t k = 0; k < perm.size(); ++k) {
    inverse[static_cast<std::size_t>(perm[k])] = static_cast<int>(k);
  }
  Layout out;
  for (int p : perm) out.shape.push_back(in.shape[static_cast<std::size_t>(p)]);
  bool identity = true;
  for (std::size_t i = 0; i < q.size(); ++i) {
    out.perm.push_back(inverse[static_cast<std::size_t>(q[i])]);
    identity = identity && out.perm.back() == static_cast<int>(i);
  }
  if (identity) out.perm.clear();
  return out;
}

std::optional<Layout> ReshapedLayout(const Layout& in, const golden::Shape& shape) {
  const Layout plain{shape, {}};
  if (SameBytes(in, plain)) return plain;
  const Layout dflt = DefaultLayout(shape);
  if (!dflt.perm.empty() && SameBytes(in, dflt)) return dflt;
  return std::nullopt;
}

std::optional<RowsView> RowsOf(const Layout& layout, int channel_axis) {
  const int rank = layout.rank();
  if (channel_axis < 0 || channel_axis >= rank) return std::nullopt;
  Layout rows;
  rows.shape = layout.shape;
  for (int a = 0; a < rank; ++a) {
    if (a != channel_axis) rows.perm.push_back(a);
  }
  rows.perm.push_back(channel_axis);
  if (!SameBytes(layout, rows)) return std::nullopt;
  RowsView v;
  v.channels = layout.shape[static_cast<std::size_t>(channel_axis)];
  v.pixels = golden::NumElements(layout.shape) / std::max<std::int64_t>(v.channels, 1);
  v.pixel_stride = v.channels;
  return v;
}

}  // namespace qsa::compiler

// DRAM layouts of the tensors an accelerator program reads and writes.
//
// A tensor of logical shape S (the graph's, NCHW for images) is stored in DRAM as the C-ordered
// array transpose(S, perm): dram_shape[i] = S[perm[i]], as a program manifest states it
// (docs/file-formats.md). Images are stored NHWC (perm [0, 2, 3, 1]) so that one scratchpad row
// holds the channels of one pixel; everything else is stored in its own order. Reshape, Flatten
// and Transpose become new names for the same bytes whenever the bytes' order allows
// (docs/compiler.md, "Layouts").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/golden/dtype.h"

namespace qsa::compiler {

struct Layout {
  golden::Shape shape;    // logical
  std::vector<int> perm;  // DRAM order of the logical axes; empty: the identity

  int rank() const { return static_cast<int>(shape.size()); }
  bool operator==(const Layout& other) const = default;
};

// The layout the compiler gives a tensor it stores: NHWC for rank 4, the identity otherwise.
Layout DefaultLayout(const golden::Shape& shape);
// perm, or the identity when perm is empty.
std::vector<int> FullPerm(const Layout& layout);

// The DRAM element offset of every logical element (in C order of the logical shape).
std::vector<std::int64_t> ElementOffsets(const Layout& layout);
// True when the two layouts put every logical element (C order) at the same DRAM offset.
bool SameBytes(const Layout& a, const Layout& b);

// The layout of transpose(x, perm) when x has `in`: the same bytes, composed permutation.
Layout TransposedLayout(const Layout& in, const std::vector<int>& perm);
// A layout of shape `shape` holding the same bytes as `in` in the same order, or nullopt when
// neither the identity nor DefaultLayout(shape) does.
std::optional<Layout> ReshapedLayout(const Layout& in, const golden::Shape& shape);

// A tensor seen as rows: `pixels` rows of `channels` contiguous elements, row p at element offset
// p · pixel_stride (the channel axis is innermost in DRAM, the other axes in logical order).
// Images [N, C, H, W] stored NHWC and matrices [..., M, K] stored in order are rows.
struct RowsView {
  std::int64_t pixels = 0;
  std::int64_t channels = 0;
  std::int64_t pixel_stride = 0;
};
// The rows view of `layout` with the channel axis `channel_axis` (1 for images, the last axis
// for matrices), or nullopt when the layout does not store the tensor that way.
std::optional<RowsView> RowsOf(const Layout& layout, int channel_axis);

}  // namespace qsa::compiler

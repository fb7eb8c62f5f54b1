// The input zero point folded into the bias (ARCHITECTURE §5): the array multiplies raw
// activations, so an integer Conv or MatMul with constant int8 weights (zero point 0) adds
//   B'[c] = B[c] − zx · Σ_k W[c, k]
// instead of B[c], and padding is filled with zx, which then contributes exactly 0.
#pragma once

#include <cstdint>
#include <vector>

#include "model/golden/graph.h"

namespace qsa::compiler {

// True when `node` is a Conv or MatMul the pass can fold: integer input, constant int8 weights
// with zero point 0 (a single matrix for MatMul), not folded yet.
bool CanFoldZeroPoint(const golden::Graph& graph, const golden::Node& node);

// B' per output channel for such a node: the stored bias when the node is already folded
// (attribute x_zero_point_folded = 1), else B − zx · Σ W (B = 0 without a bias). Throws
// qsa::Error naming the node when a value does not fit int32.
std::vector<std::int32_t> AcceleratorBias(const golden::Graph& graph, const golden::Node& node);

}  // namespace qsa::compiler

// Lowering: one graph node at a time into steps of accelerator instructions (docs/compiler.md).
//
// Every tensor an accelerator program touches lives in DRAM (DramTensor); a layer loads its
// inputs, weights and parameters into on-chip regions, computes tile by tile and stores its
// output. Tile sizes come from the cost model (cost_model.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/codegen/program_builder.h"
#include "compiler/lower/cost_model.h"
#include "compiler/lower/layout.h"
#include "model/golden/graph.h"
#include "model/golden/quant.h"

namespace qsa::compiler {

struct DramTensor {
  std::int64_t addr = 0;
  Layout layout;
  golden::DType dtype = golden::DType::kUInt8;
  golden::QuantParams quant;
};

struct LowerOptions {
  // tflite-double or single-rounding; instructions carry golden::IsSingleRounding(rounding).
  golden::RequantMode rounding = golden::RequantMode::kTfliteDouble;
};

// What lowering needs and leaves behind: the graph, the program being built, and where each
// tensor of the program is.
struct LowerContext {
  const golden::Graph& graph;
  ProgramBuilder& program;
  LowerOptions options;
  std::map<std::string, DramTensor> tensors;
  std::vector<LayerEstimate> layers;  // one per lowered node with instructions

  const isa::ArchConfig& arch() const { return program.arch(); }
  const DramTensor& Tensor(const std::string& name) const;
};

// Why `node` cannot run on the accelerator given the DRAM layouts of its inputs, or "" when it
// can (then LowerNode accepts it). Layout-only nodes (Reshape, Flatten, Transpose, Identity,
// Squeeze, Unsqueeze) can when their input's bytes already have the output's order.
std::string AcceleratorRefusal(const golden::Graph& graph, const golden::Node& node,
                               const std::vector<Layout>& input_layouts,
                               const isa::ArchConfig& arch);

// The DRAM layout the node's outputs get on the accelerator (a layout-only node's output shares
// its input's bytes).
Layout OutputLayout(const golden::Graph& graph, const golden::Node& node,
                    const std::vector<Layout>& input_layouts);

// True when the node's output is a new name for its input's bytes (no instructions).
bool IsAlias(const golden::Node& node);

// Lowers one node whose inputs are in ctx.tensors; adds its outputs to ctx.tensors (allocating
// DRAM for them unless already placed) and its steps to ctx.program. Throws qsa::Error naming
// the node when no tiling fits the on-chip memories.
void LowerNode(LowerContext& ctx, const golden::Node& node);

// Per-op lowerings (conv.cc, pool.cc, eltwise.cc, copy.cc).
void LowerConv(LowerContext& ctx, const golden::Node& node);
void LowerMatMul(LowerContext& ctx, const golden::Node& node);
void LowerPool(LowerContext& ctx, const golden::Node& node);
void LowerAdd(LowerContext& ctx, const golden::Node& node);
void LowerConcat(LowerContext& ctx, const golden::Node& node);

// Output tensor `name` of the program: DRAM for it, in the default layout unless given.
const DramTensor& PlaceOutput(LowerContext& ctx, const std::string& name, const Layout& layout);

}  // namespace qsa::compiler

// Shared by the lowering tests (tests/compiler/lower/*_test.cc): a small array, graphs lowered
// node by node into a program as the compiler does, and the instructions of a step by type.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "compiler/codegen/program_builder.h"
#include "compiler/lower/lower.h"
#include "model/isa/isa.h"
#include "model/isa/program.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler::lower_test {

using namespace pass_test;

// A 4×4 array with 4 KiB of scratchpad (1,024 rows), 1 KiB of accumulators (64 rows) and 64
// parameter rows.
inline isa::ArchConfig SmallArch() {
  isa::ArchConfig a;
  a.name = "4x4";
  a.rows = a.cols = 4;
  a.scratchpad_bytes = 4096;
  a.accumulator_bytes = 1024;
  a.param_rows = 64;
  return a;
}

// What lowering a graph leaves: the program (decoded), the layers and where the tensors are.
struct Lowered {
  isa::Program program;
  std::vector<isa::Instruction> code;
  std::vector<LayerEstimate> layers;
  std::map<std::string, DramTensor> tensors;
};

// Lowers every node of `g` in order. The graph's inputs get DRAM first, in order, in their
// default layouts (as a compiled segment's inputs do).
inline Lowered LowerGraph(const golden::Graph& g, const isa::ArchConfig& arch) {
  ProgramBuilder pb(arch);
  LowerContext ctx{g, pb, LowerOptions{}, {}, {}};
  for (const std::string& in : g.inputs) {
    const golden::TensorInfo& info = g.Info(in);
    DramTensor t;
    t.layout = DefaultLayout(info.shape);
    t.dtype = info.dtype;
    t.quant = info.quant;
    t.addr = pb.AllocDram(golden::NumElements(info.shape) *
                          static_cast<std::int64_t>(golden::DTypeSize(info.dtype)));
    ctx.tensors[in] = t;
  }
  for (const golden::Node& node : g.nodes) LowerNode(ctx, node);
  Lowered out;
  out.program = pb.Build(isa::Manifest{}, nullptr);
  for (const isa::Word& w : out.program.instructions) out.code.push_back(isa::Decode(w));
  out.layers = ctx.layers;
  out.tensors = ctx.tensors;
  return out;
}

// The instructions of type T, in order.
template <typename T>
std::vector<T> OfType(const std::vector<isa::Instruction>& code) {
  std::vector<T> out;
  for (const isa::Instruction& in : code) {
    if (const T* t = std::get_if<T>(&in)) out.push_back(*t);
  }
  return out;
}
template <typename T>
std::vector<T> OfType(const std::vector<LoweredOp>& ops) {
  std::vector<T> out;
  for (const LoweredOp& op : ops) {
    if (const T* t = std::get_if<T>(&op.inst)) out.push_back(*t);
  }
  return out;
}

// The int32 word at a DRAM address of the program's image (little-endian).
inline std::int32_t WordAt(const isa::Program& p, std::int64_t addr) {
  std::uint32_t v = 0;
  for (int b = 0; b < 4; ++b) {
    v |= std::uint32_t{p.dram_image.at(static_cast<std::size_t>(addr + b))} << (8 * b);
  }
  return static_cast<std::int32_t>(v);
}

}  // namespace qsa::compiler::lower_test

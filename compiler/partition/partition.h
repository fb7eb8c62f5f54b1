// Partition: which nodes of a graph run on the accelerator and which on the host, and why
// (docs/compiler.md, "Partition: accelerator or host").
//
// Node by node, in topological order, a node runs on the accelerator when AcceleratorRefusal
// finds no reason against it given the DRAM layouts of its inputs, and every input it reads that
// is not a constant is storable in a program's DRAM (uint8, int8, int32). A layout-only node
// whose input is computed on the host stays on the host (it would move no data there). Everything
// else runs on the host in the golden model. Consecutive accelerator nodes form one segment (one
// program) in the compile driver (compile.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/lower/layout.h"
#include "model/golden/graph.h"
#include "model/isa/arch.h"

namespace qsa::compiler {

// A node the host runs, and why the accelerator does not.
struct HostFallback {
  std::string node;
  std::string op;
  std::string reason;
};

// Where each node of a graph runs.
struct Partition {
  std::vector<bool> accel;                // per node of the graph, in its order
  std::map<std::string, Layout> layouts;  // DRAM layout of each tensor an accelerator node writes
  std::vector<HostFallback> fallbacks;    // the host nodes, in graph order
};

// Why `node` cannot run on the accelerator given the DRAM layouts of its inputs, or "" when it
// can (then LowerNode accepts it). Layout-only nodes (Reshape, Flatten, Transpose, Identity,
// Squeeze, Unsqueeze) can when their input's bytes already have the output's order.
std::string AcceleratorRefusal(const golden::Graph& graph, const golden::Node& node,
                               const std::vector<Layout>& input_layouts,
                               const isa::ArchConfig& arch);

// Partitions a validated graph (after the passes) for `arch`. Never throws for a node the
// accelerator cannot take: the refusal (an error of the golden model's checks included) becomes
// its host fallback reason.
Partition PartitionGraph(const golden::Graph& graph, const isa::ArchConfig& arch);

}  // namespace qsa::compiler

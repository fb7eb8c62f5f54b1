// The compile driver (compile.h): passes, partition, then one program per accelerator segment.
#include "compiler/compile.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/lower/lower.h"
#include "compiler/partition/partition.h"
#include "compiler/passes/pass.h"
#include "model/base/error.h"

namespace qsa::compiler {

namespace {

std::vector<std::uint8_t> BytesInLayout(const golden::Tensor& t, const Layout& layout) {
  const std::vector<std::int64_t> offsets = ElementOffsets(layout);
  const std::size_t es = golden::DTypeSize(t.dtype());
  std::vector<std::uint8_t> out(offsets.size() * es);
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const std::int64_t v = t.GetInt(static_cast<std::int64_t>(i));
    for (std::size_t b = 0; b < es; ++b) {
      out[static_cast<std::size_t>(offsets[i]) * es + b] =
          static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * b));
    }
  }
  return out;
}

isa::ManifestTensor ManifestOf(const std::string& name, const DramTensor& t) {
  isa::ManifestTensor m;
  m.name = name;
  m.dram_addr = static_cast<std::uint64_t>(t.addr);
  m.shape = t.layout.shape;
  m.dtype = t.dtype;
  m.dram_perm = t.layout.perm;
  m.quant = t.quant;
  return m;
}

CompiledProgram CompileSegment(const golden::Graph& g, const std::vector<std::size_t>& nodes,
                               const std::set<std::string>& needed_outside,
                               const CompileOptions& options, int index) {
  CompiledProgram cp;
  cp.name = "segment" + std::to_string(index);
  ProgramBuilder pb(options.arch);
  LowerContext ctx{g, pb, LowerOptions{options.rounding}, {}, {}};
  isa::Manifest io;
  std::set<std::string> produced;
  for (std::size_t i : nodes) {
    const golden::Node& node = g.nodes[i];
    cp.nodes.push_back(node.name);
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      const std::string& in = node.inputs[k];
      if (in.empty() || ctx.tensors.count(in) != 0) continue;
      const bool activation = k == 0 || node.op == "Add" || node.op == "Concat";
      if (g.IsConstant(in)) {
        if (!activation) continue;  // weights and biases: the lowering packs them
        DramTensor t;
        t.layout = DefaultLayout(g.Info(in).shape);
        t.dtype = g.Info(in).dtype;
        t.quant = g.Info(in).quant;
        t.addr = pb.PutBytes(BytesInLayout(g.Constant(in), t.layout));
        ctx.tensors[in] = t;
        continue;
      }
      // A program input: the host writes it before the run.
      const golden::TensorInfo& info = g.Info(in);
      DramTensor t;
      t.layout = DefaultLayout(info.shape);
      t.dtype = info.dtype;
      t.quant = info.quant;
      t.addr = pb.AllocDram(golden::NumElements(info.shape) *
                            static_cast<std::int64_t>(golden::DTypeSize(info.dtype)));
      ctx.tensors[in] = t;
      io.inputs.push_back(ManifestOf(in, t));
    }
    LowerNode(ctx, node);
    for (const std::string& out : node.outputs) {
      produced.insert(out);
      if (options.keep_intermediates || needed_outside.count(out) != 0) {
        io.outputs.push_back(ManifestOf(out, ctx.Tensor(out)));
      }
    }
  }
  std::vector<bool> ahead;
  cp.program = pb.Build(io, &cp.listing, &ahead);
  cp.layers = std::move(ctx.layers);
  OverlapLayers(cp.layers, ahead);
  return cp;
}

// The graph of every host node: its inputs are what those nodes read from the model's inputs or
// from accelerator programs, its outputs what programs or the model's outputs need from them.
golden::Graph HostGraph(const golden::Graph& g, const std::vector<bool>& accel) {
  golden::Graph h;
  h.name = g.name + " (host)";
  std::set<std::string> produced, consumed_by_accel;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (!accel[i]) continue;
    for (const std::string& in : g.nodes[i].inputs) consumed_by_accel.insert(in);
  }
  std::set<std::string> inputs;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (accel[i]) continue;
    const golden::Node& node = g.nodes[i];
    for (const std::string& in : node.inputs) {
      if (in.empty()) continue;
      h.tensors[in] = g.Info(in);
      if (g.IsConstant(in)) {
        h.constants[in] = g.Constant(in);
      } else if (produced.count(in) == 0 && inputs.insert(in).second) {
        h.inputs.push_back(in);
      }
    }
    for (const std::string& out : node.outputs) {
      produced.insert(out);
      h.tensors[out] = g.Info(out);
      if (consumed_by_accel.count(out) != 0 ||
          std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end()) {
        h.outputs.push_back(out);
      }
    }
    h.nodes.push_back(node);
  }
  h.Validate();
  return h;
}

}  // namespace

golden::RequantMode AcceleratorRounding(std::string_view name, std::string_view context) {
  const std::optional<golden::RequantMode> mode = golden::ParseRequantMode(name);
  if (!mode || !golden::IsFixedPointMode(*mode)) {
    throw Error(std::string(context) + "the accelerator computes in " +
                golden::kRequantModes.Join(", ", " or ", golden::IsFixedPointMode) + ", not '" +
                std::string(name) + "'");
  }
  return *mode;
}

CompiledModel Compile(const golden::Graph& graph, const CompileOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  isa::ValidateArchConfig(options.arch, "arch");
  AcceleratorRounding(golden::RequantModeName(options.rounding));
  CompiledModel cm;
  cm.arch = options.arch;
  cm.rounding = options.rounding;
  cm.inputs = graph.inputs;
  cm.outputs = graph.outputs;

  golden::Graph g = graph;
  PassContext pctx;
  RunPasses(g, pctx);
  cm.pass_log = std::move(pctx.log);

  const Partition part = PartitionGraph(g, options.arch);
  cm.host_fallbacks = part.fallbacks;
  // Tensors a node outside a segment (or the model's output list) reads.
  std::map<std::string, std::set<std::size_t>> readers;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& in : g.nodes[i].inputs) readers[in].insert(i);
  }
  std::size_t i = 0;
  while (i < g.nodes.size()) {
    std::size_t j = i;
    while (j < g.nodes.size() && part.accel[j] == part.accel[i]) ++j;
    CompiledStep step;
    step.host = !part.accel[i];
    if (step.host) {
      for (std::size_t k = i; k < j; ++k) step.nodes.push_back(g.nodes[k].name);
    } else {
      std::vector<std::size_t> nodes;
      std::set<std::string> needed;
      for (std::size_t k = i; k < j; ++k) {
        nodes.push_back(k);
        for (const std::string& out : g.nodes[k].outputs) {
          bool outside = std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end();
          for (std::size_t r : readers[out]) outside = outside || r < i || r >= j;
          if (outside) needed.insert(out);
        }
      }
      step.program = static_cast<int>(cm.programs.size());
      cm.programs.push_back(
          CompileSegment(g, nodes, needed, options, static_cast<int>(cm.programs.size())));
      step.nodes = cm.programs.back().nodes;
    }
    cm.steps.push_back(std::move(step));
    i = j;
  }
  cm.host_graph = HostGraph(g, part.accel);
  cm.compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return cm;
}

}  // namespace qsa::compiler

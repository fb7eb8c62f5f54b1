#include "compiler/run_compiled.h"

#include <algorithm>
#include <set>

#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/isa/simulator.h"

namespace qsa::compiler {

namespace {

// The host graph's nodes `names` as a graph of their own: inputs are what they read from
// elsewhere, outputs everything they produce.
golden::Graph HostStepGraph(const golden::Graph& host, const std::vector<std::string>& names) {
  golden::Graph g;
  g.name = host.name;
  std::set<std::string> produced, inputs;
  for (const std::string& name : names) {
    const auto it = std::find_if(host.nodes.begin(), host.nodes.end(),
                                 [&](const golden::Node& n) { return n.name == name; });
    if (it == host.nodes.end()) throw Error("host node '" + name + "' is not in the host graph");
    for (const std::string& in : it->inputs) {
      if (in.empty()) continue;
      g.tensors[in] = host.Info(in);
      if (host.IsConstant(in)) {
        g.constants[in] = host.Constant(in);
      } else if (produced.count(in) == 0 && inputs.insert(in).second) {
        g.inputs.push_back(in);
      }
    }
    for (const std::string& out : it->outputs) {
      produced.insert(out);
      g.tensors[out] = host.Info(out);
      g.outputs.push_back(out);
    }
    g.nodes.push_back(*it);
  }
  g.Validate();
  return g;
}

}  // namespace

std::map<std::string, golden::Tensor> RunCompiled(
    const CompiledModel& cm, const std::map<std::string, golden::Tensor>& feeds,
    const ProgramEngine& engine) {
  std::map<std::string, golden::Tensor> env = feeds;
  const auto take = [&](const std::string& name, const std::string& step) -> const golden::Tensor& {
    const auto it = env.find(name);
    if (it == env.end()) throw Error(step + " needs tensor '" + name + "', which nothing computed");
    return it->second;
  };
  for (const std::string& in : cm.inputs) take(in, "the model");
  for (const CompiledStep& step : cm.steps) {
    if (step.host) {
      const golden::Graph g = HostStepGraph(cm.host_graph, step.nodes);
      std::map<std::string, golden::Tensor> in;
      for (const std::string& name : g.inputs) in[name] = take(name, "host step " + step.nodes[0]);
      golden::RunOptions options;
      options.mode = cm.rounding;
      for (auto& [name, value] : golden::RunGraph(g, in, options)) env[name] = std::move(value);
      continue;
    }
    const CompiledProgram& p = cm.programs[static_cast<std::size_t>(step.program)];
    std::map<std::string, golden::Tensor> in;
    for (const isa::ManifestTensor& t : p.program.manifest.inputs) {
      in[t.name] = take(t.name, "program " + p.name);
    }
    for (auto& [name, value] : engine(p, in)) env[name] = std::move(value);
  }
  for (const std::string& out : cm.outputs) take(out, "the model's output list");
  return env;
}

ProgramEngine IsaEngine(const isa::ArchConfig& arch) {
  return [arch](const CompiledProgram& p, const std::map<std::string, golden::Tensor>& inputs) {
    return isa::RunProgramOnIsa(arch, p.program, inputs).outputs;
  };
}

}  // namespace qsa::compiler

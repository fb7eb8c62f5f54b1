#include "model/golden/executor.h"

#include "model/base/error.h"
#include "model/golden/op_registry.h"

namespace qsa::golden {

std::map<std::string, Tensor> RunGraph(const Graph& graph,
                                       const std::map<std::string, Tensor>& inputs,
                                       const RunOptions& options) {
  std::map<std::string, Tensor> values;
  for (const auto& [name, value] : inputs) {
    bool known = false;
    for (const std::string& in : graph.inputs) known = known || in == name;
    if (!known) throw Error("'" + name + "' is not an input of the graph");
  }
  for (const std::string& name : graph.inputs) {
    auto it = inputs.find(name);
    if (it == inputs.end()) throw Error("missing value for graph input '" + name + "'");
    const TensorInfo& info = graph.Info(name);
    if (it->second.dtype() != info.dtype || it->second.shape() != info.shape) {
      throw Error("input '" + name + "': expected " + std::string(DTypeName(info.dtype)) +
                  ShapeToString(info.shape) + ", got " + it->second.Describe());
    }
    values[name] = it->second;
  }
  // Consumers left per tensor, so that intermediates are freed as soon as they are dead.
  std::map<std::string, int> uses;
  for (const Node& node : graph.nodes) {
    for (const std::string& in : node.inputs) ++uses[in];
  }
  for (const std::string& out : graph.outputs) ++uses[out];

  for (const Node& node : graph.nodes) {
    const OpDef* def = FindOp(node.op);
    if (def == nullptr) throw Error(node.Label() + ": unknown op '" + node.op + "'");
    OpContext ctx{node, graph, options.mode, {}};
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        ctx.inputs.push_back(nullptr);
      } else if (auto c = graph.constants.find(in); c != graph.constants.end()) {
        ctx.inputs.push_back(&c->second);
      } else {
        auto v = values.find(in);
        if (v == values.end()) throw Error(node.Label() + ": input '" + in + "' has no value");
        ctx.inputs.push_back(&v->second);
      }
    }
    std::vector<Tensor> outs;
    try {
      outs = def->run(ctx);
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.rfind(node.Label(), 0) == 0) throw;
      throw Error(node.Label() + ": " + what);
    }
    if (outs.size() != node.outputs.size()) {
      throw Error(node.Label() + ": produced " + std::to_string(outs.size()) +
                  " outputs, expected " + std::to_string(node.outputs.size()));
    }
    for (std::size_t i = 0; i < outs.size(); ++i) {
      const TensorInfo& info = graph.Info(node.outputs[i]);
      if (outs[i].dtype() != info.dtype || outs[i].shape() != info.shape) {
        throw Error(node.Label() + ": output '" + node.outputs[i] + "' computed as " +
                    outs[i].Describe() + ", declared " + std::string(DTypeName(info.dtype)) +
                    ShapeToString(info.shape));
      }
      values[node.outputs[i]] = std::move(outs[i]);
    }
    if (!options.keep_intermediates) {
      for (const std::string& in : node.inputs) {
        if (!in.empty() && --uses[in] == 0) values.erase(in);
      }
    }
  }
  if (options.keep_intermediates) return values;
  std::map<std::string, Tensor> result;
  for (const std::string& out : graph.outputs) {
    auto it = values.find(out);
    if (it != values.end()) {
      result[out] = it->second;
    } else if (auto c = graph.constants.find(out); c != graph.constants.end()) {
      result[out] = c->second;
    } else {
      throw Error("graph output '" + out + "' was not computed");
    }
  }
  return result;
}

}  // namespace qsa::golden

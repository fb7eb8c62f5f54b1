#include "compiler/lower/lower.h"

#include "model/base/error.h"

namespace qsa::compiler {

namespace {

std::vector<int> TransposePerm(const golden::Node& node, int rank) {
  std::vector<std::int64_t> p = node.attrs.GetInts("perm", {});
  std::vector<int> perm;
  if (p.empty()) {
    for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
  } else {
    for (std::int64_t v : p) perm.push_back(static_cast<int>(v < 0 ? v + rank : v));
  }
  return perm;
}

}  // namespace

const DramTensor& LowerContext::Tensor(const std::string& name) const {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw Error("internal: tensor '" + name + "' is not in the program");
  return it->second;
}

bool IsAlias(const golden::Node& node) {
  return node.op == "Reshape" || node.op == "Flatten" || node.op == "Transpose" ||
         node.op == "Identity" || node.op == "Squeeze" || node.op == "Unsqueeze";
}

Layout OutputLayout(const golden::Graph& graph, const golden::Node& node,
                    const std::vector<Layout>& input_layouts) {
  const golden::TensorInfo& y = graph.Info(node.outputs[0]);
  if (IsAlias(node) && !input_layouts.empty()) {
    const Layout& in = input_layouts[0];
    if (node.op == "Transpose") return TransposedLayout(in, TransposePerm(node, in.rank()));
    if (node.op == "Identity") return in;
    if (auto l = ReshapedLayout(in, y.shape)) return *l;
  }
  return DefaultLayout(y.shape);
}

const DramTensor& PlaceOutput(LowerContext& ctx, const std::string& name, const Layout& layout) {
  const auto it = ctx.tensors.find(name);
  if (it != ctx.tensors.end()) return it->second;
  const golden::TensorInfo& info = ctx.graph.Info(name);
  DramTensor t;
  t.layout = layout;
  t.dtype = info.dtype;
  t.quant = info.quant;
  t.addr = ctx.program.AllocDram(golden::NumElements(info.shape) *
                                 static_cast<std::int64_t>(golden::DTypeSize(info.dtype)));
  return ctx.tensors.emplace(name, t).first->second;
}

void LowerNode(LowerContext& ctx, const golden::Node& node) {
  if (IsAlias(node)) {
    const DramTensor& in = ctx.Tensor(node.inputs[0]);
    DramTensor out = in;
    out.layout = OutputLayout(ctx.graph, node, {in.layout});
    const golden::TensorInfo& info = ctx.graph.Info(node.outputs[0]);
    out.quant = info.quant;
    ctx.tensors[node.outputs[0]] = out;
    return;
  }
  if (node.op == "Conv") return LowerConv(ctx, node);
  if (node.op == "MatMul") return LowerMatMul(ctx, node);
  if (node.op == "Add") return LowerAdd(ctx, node);
  if (node.op == "Concat") return LowerConcat(ctx, node);
  if (node.op == "MaxPool" || node.op == "AveragePool" || node.op == "GlobalAveragePool") {
    return LowerPool(ctx, node);
  }
  throw Error("internal: no lowering for " + node.Label());
}

}  // namespace qsa::compiler

#include "compiler/lower/lower.h"

#include "compiler/passes/fold_zero_point.h"
#include "model/base/error.h"

namespace qsa::compiler {

std::string PoolRefusal(const golden::Graph& graph, const golden::Node& node);  // pool.cc
std::string ConcatRefusal(const golden::Graph& graph, const golden::Node& node,
                          const std::vector<Layout>& input_layouts);  // copy.cc

namespace {

bool IsQuantized(golden::DType t) {
  return t == golden::DType::kUInt8 || t == golden::DType::kInt8;
}
bool IsStorable(golden::DType t) { return IsQuantized(t) || t == golden::DType::kInt32; }

std::string Name(golden::DType t) { return std::string(golden::DTypeName(t)); }

bool HasInput(const golden::Node& node, std::size_t i) {
  return i < node.inputs.size() && !node.inputs[i].empty();
}

// Why an integer Conv or MatMul cannot run on the array, or "".
std::string AccumulatingRefusal(const golden::Graph& graph, const golden::Node& node) {
  const golden::TensorInfo& x = graph.Info(node.inputs[0]);
  const golden::TensorInfo& y = graph.Info(node.outputs[0]);
  if (!IsQuantized(x.dtype)) {
    return "the array takes uint8/int8 activations, not " + Name(x.dtype);
  }
  if (!graph.IsConstant(node.inputs[1])) {
    return "activation x activation products run on the host (the weights must be constant)";
  }
  if (!IsStorable(y.dtype)) return "output is " + Name(y.dtype);
  if (!CanFoldZeroPoint(graph, node) && node.attrs.GetInt("x_zero_point_folded", 0) != 1) {
    return "the weights must be int8 with zero point 0 (a single matrix for MatMul)";
  }
  if (HasInput(node, 2) && !graph.IsConstant(node.inputs[2])) return "the bias is not constant";
  if (node.attrs.GetInt("x_zero_point_folded", 0) != 1) {
    // The fold-zero-point pass leaves a node alone when its folded bias does not fit.
    try {
      AcceleratorBias(graph, node);
    } catch (const Error& e) {
      return e.what();
    }
  }
  return "";
}

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

std::string AcceleratorRefusal(const golden::Graph& graph, const golden::Node& node,
                               const std::vector<Layout>& input_layouts,
                               const isa::ArchConfig& arch) {
  (void)arch;
  if (node.outputs.size() != 1) return "the accelerator lowers single-output nodes";
  const golden::TensorInfo& y = graph.Info(node.outputs[0]);
  if (IsAlias(node)) {
    if (!IsStorable(y.dtype)) return Name(y.dtype) + " tensors stay on the host";
    if (node.op == "Reshape" || node.op == "Flatten" || node.op == "Squeeze" ||
        node.op == "Unsqueeze") {
      if (!ReshapedLayout(input_layouts[0], y.shape)) {
        return "the input's DRAM order is not the output's (a transposing reshape)";
      }
    }
    return "";
  }
  if (node.op == "Conv") {
    const golden::TensorInfo& x = graph.Info(node.inputs[0]);
    if (x.shape.size() != 4) return "only 2-D convolutions";
    if (std::string r = AccumulatingRefusal(graph, node); !r.empty()) return r;
    if (!RowsOf(input_layouts[0], 1)) return "input is not stored NHWC";
    return "";
  }
  if (node.op == "MatMul") {
    const golden::TensorInfo& a = graph.Info(node.inputs[0]);
    if (a.shape.size() < 2) return "input A is a vector";
    if (std::string r = AccumulatingRefusal(graph, node); !r.empty()) return r;
    if (!RowsOf(input_layouts[0], static_cast<int>(a.shape.size()) - 1))
      return "input A is not stored row by row";
    return "";
  }
  if (node.op == "Add") {
    const golden::TensorInfo& a = graph.Info(node.inputs[0]);
    const golden::TensorInfo& b = graph.Info(node.inputs[1]);
    if (!IsQuantized(a.dtype) || !IsQuantized(b.dtype) || !IsQuantized(y.dtype)) {
      return "the vector unit adds uint8/int8 tensors";
    }
    if (a.shape != b.shape || a.shape != y.shape) return "broadcasting Add runs on the host";
    if (!SameBytes(input_layouts[0], input_layouts[1])) {
      return "the two inputs are stored in different orders";
    }
    return "";
  }
  if (node.op == "MaxPool" || node.op == "AveragePool" || node.op == "GlobalAveragePool") {
    if (std::string r = PoolRefusal(graph, node); !r.empty()) return r;
    if (!RowsOf(input_layouts[0], 1)) return "input is not stored NHWC";
    return "";
  }
  if (node.op == "Concat") {
    for (const std::string& in : node.inputs) {
      if (!IsQuantized(graph.Info(in).dtype)) return "the DMA engines copy uint8/int8 tensors";
    }
    return ConcatRefusal(graph, node, input_layouts);
  }
  return "no accelerator lowering for " + node.op;
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

// nhwc-flatten: an image X [N, C, H, W] flattened (Flatten axis 1, or Reshape to [N, C·H·W])
// into input A of an integer MatMul with a constant B is flattened in NHWC order instead:
//   X → Transpose perm [0, 2, 3, 1] → Reshape [N, H·W·C] → MatMul with B's K rows permuted,
//   new row (h·W + w)·C + c = old row c·H·W + h·W + w
// (B's columns when transpose_b = 1). A and B are permuted alike along K, so every product
// (a − za)·(b − zb) meets the same partner and the integer sum is the same: bit-exact. B's
// quantization is along N and does not move. The accelerator keeps images in NHWC, where this
// transpose is free. Applies when H·W > 1, the flattened tensor feeds that MatMul (as A) alone
// and is not a graph output, and B is a constant [C·H·W, N'] ([N', C·H·W] with transpose_b).
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"
#include "model/golden/tensor.h"

namespace qsa::compiler {

namespace {

constexpr std::string_view kName = "nhwc-flatten";

// Why the flatten `node` cannot be rewritten, "" when it can; `matmul` receives its consumer.
std::string Refusal(const golden::Graph& graph, const golden::Node& node,
                    const golden::Node*& matmul) {
  const std::string& y = node.outputs[0];
  const std::vector<const golden::Node*> users = Consumers(graph, y);
  if (IsGraphOutput(graph, y)) return "its output '" + y + "' is a graph output";
  if (users.size() != 1) return "its output '" + y + "' does not feed exactly one node";
  matmul = users[0];
  if (matmul->op != "MatMul" || matmul->inputs.size() < 2 || matmul->inputs[0] != y ||
      matmul->inputs[1] == y) {
    return "its output feeds " + matmul->Label() + ", not input A of a MatMul";
  }
  if (!golden::IsQuantizedType(graph.Info(y).dtype)) return matmul->Label() + " is not integer";
  const std::string& b = matmul->inputs[1];
  if (!graph.IsConstant(b)) return "input B '" + b + "' of " + matmul->Label() + " is not constant";
  if (graph.Info(b).shape.size() != 2) return "input B '" + b + "' is not a matrix";
  return "";
}

// B with its K rows (columns when transposed) in NHWC order.
golden::Tensor PermutedB(const golden::Tensor& b, bool transpose_b, std::int64_t c_n,
                         std::int64_t h_n, std::int64_t w_n) {
  const std::int64_t rows = b.shape()[0], cols = b.shape()[1];
  golden::Tensor out(b.dtype(), b.shape());
  const std::int64_t hw = h_n * w_n;
  for (std::int64_t c = 0; c < c_n; ++c) {
    for (std::int64_t p = 0; p < hw; ++p) {
      const std::int64_t old_k = c * hw + p;
      const std::int64_t new_k = p * c_n + c;
      if (transpose_b) {
        for (std::int64_t r = 0; r < rows; ++r) {
          out.SetInt(r * cols + new_k, b.GetInt(r * cols + old_k));
        }
      } else {
        for (std::int64_t j = 0; j < cols; ++j) {
          out.SetInt(new_k * cols + j, b.GetInt(old_k * cols + j));
        }
      }
    }
  }
  return out;
}

}  // namespace

bool NhwcFlatten(golden::Graph& graph, PassContext& ctx) {
  bool changed = false;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const golden::Node& node = graph.nodes[i];
    if ((node.op != "Flatten" && node.op != "Reshape") || node.inputs.size() != 1 ||
        node.outputs.size() != 1) {
      continue;
    }
    const golden::TensorInfo& x = graph.Info(node.inputs[0]);
    const golden::TensorInfo& y = graph.Info(node.outputs[0]);
    if (x.shape.size() != 4) continue;
    const std::int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
    if (y.shape != golden::Shape{n, c * h * w} || h * w == 1) continue;
    const golden::Node* matmul = nullptr;
    const std::string why = Refusal(graph, node, matmul);
    if (!why.empty()) {
      ctx.Note(kName, node.Label() + " left alone: " + why);
      continue;
    }
    const std::string matmul_name = matmul->name;
    const std::string b_name = matmul->inputs[1];
    const bool transpose_b = matmul->attrs.GetInt("transpose_b", 0) == 1;

    // B, permuted, as a new constant (the old one may have other readers).
    golden::QuantParams b_quant = graph.Info(b_name).quant;
    const std::string new_b = FreshName(graph, matmul_name + "_weight_nhwc");
    graph.AddConstant(new_b, PermutedB(graph.Constant(b_name), transpose_b, c, h, w),
                      std::move(b_quant));

    // X → Transpose → the flatten, now a Reshape of the NHWC tensor.
    const std::string nhwc = FreshName(graph, node.inputs[0] + "_nhwc");
    graph.tensors[nhwc] = golden::TensorInfo{nhwc, x.dtype, {n, h, w, c}, x.quant};
    golden::Node transpose;
    transpose.name = FreshName(graph, node.name + "_nhwc_transpose");
    transpose.op = "Transpose";
    transpose.inputs = {node.inputs[0]};
    transpose.outputs = {nhwc};
    transpose.attrs.Set("perm", std::vector<std::int64_t>{0, 2, 3, 1});

    // The flattened tensor holds its elements in another order than the old one: a new name, so
    // that no tensor name means two different things (qsa compare matches tensors by name).
    const std::string old_flat = node.outputs[0];
    const std::string flat = FreshName(graph, old_flat + "_nhwc");
    graph.tensors[flat] = golden::TensorInfo{flat, y.dtype, y.shape, y.quant};
    golden::Node flatten = node;
    flatten.op = "Reshape";
    flatten.inputs = {nhwc};
    flatten.outputs = {flat};
    flatten.attrs = {};
    flatten.attrs.Set("shape", std::vector<std::int64_t>{n, h * w * c});
    ctx.Note(kName, node.Label() + " flattens NHWC through " + transpose.Label() + "; " +
                        "MatMul '" + matmul_name + "' reads B rows permuted in '" + new_b + "'");
    graph.nodes[i] = std::move(flatten);
    graph.nodes.insert(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i), std::move(transpose));
    ++i;
    for (golden::Node& m : graph.nodes) {
      if (m.name != matmul_name) continue;
      m.inputs[0] = flat;
      m.inputs[1] = new_b;
    }
    graph.tensors.erase(old_flat);
    changed = true;
  }
  return changed;
}

}  // namespace qsa::compiler

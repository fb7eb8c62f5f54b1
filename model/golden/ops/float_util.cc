#include "model/golden/ops/float_util.h"

#include "model/base/error.h"
#include "model/golden/ops/compute_util.h"
#include "model/golden/ops/op_util.h"

namespace qsa::golden::ops {

bool FloatOperands(const Node& node, const Graph& graph, std::size_t a, std::size_t b) {
  return HasInput(node, a) && HasInput(node, b) &&
         graph.Info(node.inputs[a]).dtype == DType::kFloat32 &&
         graph.Info(node.inputs[b]).dtype == DType::kFloat32;
}

const TensorInfo& ExpectFloatInput(const Node& node, const Graph& graph, std::size_t i,
                                   const std::string& role) {
  if (!HasInput(node, i)) Fail(node, "required input " + role + " is absent");
  const TensorInfo& info = graph.Info(node.inputs[i]);
  if (info.dtype != DType::kFloat32) {
    Fail(node, role + " '" + node.inputs[i] + "' is " + std::string(DTypeName(info.dtype)) + "; " +
                   node.op + " takes float32 here");
  }
  return info;
}

void RefuseQuantizedAttributes(const Node& node) {
  if (!node.requant.empty()) {
    Fail(node,
         "explicit requant multipliers given, but a float32 " + node.op + " does not requantize");
  }
  for (const char* attr : {"clamp_min", "clamp_max"}) {
    if (node.attrs.Has(attr)) {
      Fail(node, std::string(attr) + " is a quantized-domain clamp; a float32 " + node.op +
                     " does not take it (use a Clip node)");
    }
  }
  if (node.attrs.Has("output_dtype") && node.attrs.GetString("output_dtype") != "float32") {
    Fail(node, "output_dtype '" + node.attrs.GetString("output_dtype") + "' contradicts the " +
                   "float32 inputs; a float32 " + node.op + " gives float32");
  }
}

void CheckChannelVector(const Node& node, const Graph& graph, std::size_t i,
                        const std::string& role, std::int64_t channels) {
  if (!HasInput(node, i)) return;
  const TensorInfo& info = ExpectFloatInput(node, graph, i, role);
  if (info.shape != Shape{channels}) {
    Fail(node, role + " '" + node.inputs[i] + "' has shape " + ShapeToString(info.shape) +
                   ", expected [" + std::to_string(channels) + "]");
  }
}

void MatMulAccumulate(const float* a, const float* b, std::int64_t rows, std::int64_t depth,
                      std::int64_t cols, double* acc) {
  for (std::int64_t i = 0; i < rows; ++i) {
    double* row = acc + i * cols;
    for (std::int64_t k = 0; k < depth; ++k) {
      const double a_ik = static_cast<double>(a[i * depth + k]);
      const float* b_row = b + k * cols;
      for (std::int64_t n = 0; n < cols; ++n) row[n] += a_ik * static_cast<double>(b_row[n]);
    }
  }
}

std::vector<float> Transposed(std::span<const float> m, std::int64_t rows, std::int64_t cols) {
  std::vector<float> t(m.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      t[static_cast<std::size_t>(c * rows + r)] = m[static_cast<std::size_t>(r * cols + c)];
    }
  }
  return t;
}

std::vector<float> RoundToFloat(const std::vector<double>& values) {
  std::vector<float> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<float>(values[i]);
  return out;
}

}  // namespace qsa::golden::ops

// QDQ form, as ONNX Runtime's quantizer writes it: float ops between DequantizeLinear and
// QuantizeLinear nodes. A recognized pattern
//
//   DequantizeLinear(x_q) ─┐
//   DequantizeLinear(w_q) ─┼─► Conv | MatMul | Gemm | Add | AveragePool | GlobalAveragePool |
//   [bias]                ─┘   MaxPool | Reshape | Flatten | Transpose | Identity | Concat
//                                 ─► [Relu | Clip] ─► QuantizeLinear ─► y_q
//
// becomes one integer IR op from x_q (and w_q) to y_q, with the activation fused as the
// requantization clamp: Relu → clamp_min = zero point of y_q; Clip(min, max) → its bounds
// quantized with y_q's parameters. Both are exact: quantization is monotonic, so
// Q(max(r, 0)) = max(Q(r), z) and Q(clip(r, lo, hi)) = clamp(Q(r), Q(lo), Q(hi)).
// Everything else stays as IR DequantizeLinear / float host op / QuantizeLinear nodes
// (docs/onnx-import.md).
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "compiler/importer/convert.h"
#include "compiler/importer/onnx_internal.h"
#include "compiler/onnx_model/tensor.h"
#include "model/base/error.h"

namespace qsa::importer::onnx_internal {

using golden::DType;
using golden::QuantParams;
using golden::Tensor;

namespace {

// The quantized tensor behind a float tensor that a DequantizeLinear with constant parameters
// produces.
struct Source {
  std::size_t dq = 0;
  std::string tensor;  // the DequantizeLinear's input
  QuantParams params;
  DType dtype = DType::kUInt8;
  bool constant = false;
};

bool StaticParams(const Importer& im, const OnnxNode& n) {
  return n.Has(1) && im.IsConstant(n.In(1)) && (!n.Has(2) || im.IsConstant(n.In(2)));
}

// The element type of a DequantizeLinear's input, when the importer can tell before emitting.
std::optional<DType> DqInputType(const Importer& im, const OnnxNode& dq) {
  if (dq.Has(2)) return im.ZeroPointType(dq, 2);
  const std::string& x = dq.In(0);
  if (im.IsConstant(x)) return onnx_model::DTypeFromOnnx(im.ConstantElemType(x));
  if (const OnnxNode* p = im.Producer(x); p != nullptr && IsQuantizeNode(*p)) {
    return im.ZeroPointType(*p, 2);
  }
  return std::nullopt;
}

std::optional<Source> FromDq(const Importer& im, const std::string& tensor) {
  const OnnxNode* p = im.Producer(tensor);
  if (p == nullptr || !IsDequantizeNode(*p) || p->output_count() != 1 || !StaticParams(im, *p)) {
    return std::nullopt;
  }
  const QuantParams* q = im.Quant(p->In(0));
  const std::optional<DType> dtype = DqInputType(im, *p);
  if (q == nullptr || q->scales.empty() || !dtype) return std::nullopt;
  return Source{p->index, p->In(0), *q, *dtype, im.IsConstant(p->In(0))};
}

// An activation: uint8/int8, per tensor.
std::optional<Source> ActivationFromDq(const Importer& im, const std::string& tensor) {
  std::optional<Source> s = FromDq(im, tensor);
  if (!s || s->params.per_axis() || !golden::IsQuantizedType(s->dtype)) return std::nullopt;
  return s;
}

// A constant uint8/int8 weight.
std::optional<Source> WeightFromDq(const Importer& im, const std::string& tensor) {
  std::optional<Source> s = FromDq(im, tensor);
  if (!s || !s->constant || !golden::IsQuantizedType(s->dtype)) return std::nullopt;
  return s;
}

// A bias: absent, a DequantizeLinear of an int32 constant, or a float constant. Returns false
// when the input is something else.
bool MatchBias(const Importer& im, const OnnxNode& n, std::size_t i, Fusion& f) {
  if (!n.Has(i)) return true;
  if (std::optional<Source> b = FromDq(im, n.In(i))) {
    if (!b->constant || b->dtype != DType::kInt32) return false;
    f.dq[i] = b->dq;
    return true;
  }
  return im.IsConstant(n.In(i)) && im.ConstantElemType(n.In(i)) == onnx::TensorProto::FLOAT;
}

bool StaticQuantize(const Importer& im, const OnnxNode& q) {
  if (!StaticParams(im, q)) return false;
  const QuantParams* params = im.Quant(q.Out(0));
  return params != nullptr && !params->per_axis() && !params->scales.empty() &&
         golden::IsQuantizedType(im.ZeroPointType(q, 2));
}

bool ClipBoundsConstant(const Importer& im, const OnnxNode& clip) {
  if (im.opset() < 11) return true;
  for (std::size_t i = 1; i < 3; ++i) {
    if (clip.Has(i) && !im.IsConstant(clip.In(i))) return false;
  }
  return true;
}

// The single reader chain of n's output: [Relu | Clip] then a QuantizeLinear with constant
// per-tensor parameters. No intermediate may be a graph output or have other readers.
bool MatchOutput(const Importer& im, const OnnxNode& n, bool allow_activation, Fusion& f) {
  if (n.output_count() != 1) return false;
  std::string t = n.Out(0);
  for (int step = 0; step < 2; ++step) {
    if (t.empty() || im.IsGraphOutput(t)) return false;
    const std::vector<std::size_t> readers = im.Consumers(t);
    if (readers.size() != 1) return false;
    const OnnxNode& c = im.nodes()[readers[0]];
    if (c.In(0) != t) return false;
    if (IsQuantizeNode(c)) {
      if (!StaticQuantize(im, c)) return false;
      f.quantize = c.index;
      return true;
    }
    const bool activation = IsDefaultDomain(c) && c.output_count() == 1 &&
                            (c.op() == "Relu" || (c.op() == "Clip" && ClipBoundsConstant(im, c)));
    if (step > 0 || !allow_activation || !activation) return false;
    f.activation = c.index;
    t = c.Out(0);
  }
  return false;
}

std::optional<Fusion> Match(const Importer& im, const OnnxNode& n) {
  if (!IsDefaultDomain(n) || n.output_count() != 1) return std::nullopt;
  const std::string& op = n.op();
  Fusion f;
  f.anchor = n.index;
  f.dq.assign(n.input_count(), std::nullopt);
  bool allow_activation = true;
  // For ops that do not requantize: the output must keep the input's parameters and type.
  std::optional<Source> same_as_output;

  if (op == "Conv" || op == "Gemm") {
    if (n.input_count() < 2) return std::nullopt;
    const std::optional<Source> x = ActivationFromDq(im, n.In(0));
    const std::optional<Source> w = WeightFromDq(im, n.In(1));
    if (!x || !w || !MatchBias(im, n, 2, f)) return std::nullopt;
    f.dq[0] = x->dq;
    f.dq[1] = w->dq;
  } else if (op == "MatMul" || op == "Add") {
    if (n.input_count() != 2) return std::nullopt;
    const std::optional<Source> a = ActivationFromDq(im, n.In(0));
    const std::optional<Source> b =
        op == "Add" ? ActivationFromDq(im, n.In(1)) : FromDq(im, n.In(1));
    if (!a || !b || !golden::IsQuantizedType(b->dtype)) return std::nullopt;
    f.dq[0] = a->dq;
    f.dq[1] = b->dq;
  } else if (op == "AveragePool" || op == "GlobalAveragePool") {
    const std::optional<Source> x = ActivationFromDq(im, n.In(0));
    if (!x) return std::nullopt;
    f.dq[0] = x->dq;
  } else if (op == "MaxPool" || op == "Identity" || op == "Reshape" || op == "Flatten" ||
             op == "Transpose") {
    same_as_output = ActivationFromDq(im, n.In(0));
    if (!same_as_output) return std::nullopt;
    f.dq[0] = same_as_output->dq;
    allow_activation = op == "MaxPool";
  } else if (op == "Concat") {
    std::optional<DType> dtype;
    for (std::size_t i = 0; i < n.input_count(); ++i) {
      const std::optional<Source> x = ActivationFromDq(im, n.In(i));
      if (!x || (dtype && *dtype != x->dtype)) return std::nullopt;
      dtype = x->dtype;
      f.dq[i] = x->dq;
    }
    if (!dtype) return std::nullopt;
    allow_activation = false;
  } else {
    return std::nullopt;
  }

  if (!MatchOutput(im, n, allow_activation, f)) return std::nullopt;
  const OnnxNode& q = im.nodes()[f.quantize];
  if (same_as_output && (*im.Quant(q.Out(0)) != same_as_output->params ||
                         im.ZeroPointType(q, 2) != same_as_output->dtype)) {
    return std::nullopt;
  }
  if (op == "Concat") {
    const std::optional<Source> first = ActivationFromDq(im, n.In(0));
    if (im.ZeroPointType(q, 2) != first->dtype) return std::nullopt;
  }
  return f;
}

// ---- Emission -----------------------------------------------------------------------------------

struct Output {
  std::string tensor;
  DType dtype = DType::kUInt8;
  QuantParams quant;
};

// The fused clamp of the activation between the op and the QuantizeLinear, in y_q's domain.
void SetClamp(Importer& im, const Fusion& f, const Output& out, golden::Node& node,
              const char* min_attr, const char* max_attr) {
  if (!f.activation) return;
  const OnnxNode& act = im.nodes()[*f.activation];
  const float scale = out.quant.scale(0);
  const std::int32_t zero_point = out.quant.zero_point(0);
  if (act.op() == "Relu") {
    im.CheckAttributes(act, {});
    node.attrs.Set(min_attr, std::int64_t{zero_point});
    return;
  }
  std::optional<double> bound[2];
  if (im.opset() < 11) {
    im.CheckAttributes(act, {"min", "max"});
    if (auto v = im.AttrFloat(act, "min")) bound[0] = *v;
    if (auto v = im.AttrFloat(act, "max")) bound[1] = *v;
  } else {
    im.CheckAttributes(act, {});
    const char* roles[2] = {"min", "max"};
    for (std::size_t k = 0; k < 2; ++k) {
      if (!act.Has(k + 1)) continue;
      const std::vector<double> v = im.ConstantReals(act, k + 1, roles[k]);
      if (v.size() != 1) im.Fail(act, std::string(roles[k]) + " must be a scalar");
      bound[k] = v[0];
    }
  }
  const char* attrs[2] = {min_attr, max_attr};
  const double limit = std::numeric_limits<float>::max();
  for (std::size_t k = 0; k < 2; ++k) {
    if (!bound[k]) continue;
    const auto real = static_cast<float>(std::clamp(*bound[k], -limit, limit));
    node.attrs.Set(attrs[k],
                   std::int64_t{golden::QuantizeValue(real, scale, zero_point, out.dtype)});
  }
}

// The int32 bias [channels] of a fused Conv or Gemm, at scale s_x · s_w[c]:
//  - a DequantizeLinear of an int32 constant with zero point 0 whose scale is s_x · s_w[c] (as
//    ONNX Runtime's quantizer writes it): its values;
//  - with another scale: its real values s_b[c] · q re-quantized at s_x · s_w[c] (in double);
//  - a float constant: quantized at s_x · s_w[c] as ONNX Runtime's quantizer does it, in float32
//    (round(b / (s_x · s_w)), ties to even).
// One value is broadcast to every channel. Saturates to int32.
std::string FusedBias(Importer& im, const OnnxNode& n, const Fusion& f, std::size_t index,
                      float x_scale, const QuantParams& w_quant, std::int64_t channels) {
  std::vector<float> bias_scale(static_cast<std::size_t>(channels));
  for (std::int64_t c = 0; c < channels; ++c) {
    bias_scale[static_cast<std::size_t>(c)] = x_scale * w_quant.scale(c);
  }
  auto saturate = [](double v) {
    return static_cast<std::int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
  };
  std::vector<std::int32_t> values(static_cast<std::size_t>(channels));
  auto check_count = [&](std::int64_t count) {
    if (count != 1 && count != channels) {
      im.Fail(n, "bias '" + n.In(index) + "' has " + std::to_string(count) + " values for " +
                     std::to_string(channels) + " output channels");
    }
  };
  if (f.dq[index]) {
    const OnnxNode& dq = im.nodes()[*f.dq[index]];
    const Tensor b = im.ConstantTensor(dq, 0, "bias");
    const QuantParams& bq = *im.Quant(dq.In(0));
    check_count(b.size());
    for (std::int32_t z : bq.zero_points) {
      if (z != 0)
        im.Fail(n, "bias '" + dq.In(0) + "' has zero point " + std::to_string(z) +
                       "; an int32 bias must have zero point 0");
    }
    bool same_scale = true;
    for (std::int64_t c = 0; c < channels; ++c) {
      const double want = bias_scale[static_cast<std::size_t>(c)];
      same_scale = same_scale && std::fabs(static_cast<double>(bq.scale(c)) - want) <= 1e-6 * want;
    }
    for (std::int64_t c = 0; c < channels; ++c) {
      const std::int64_t q = b.GetInt(b.size() == 1 ? 0 : c);
      values[static_cast<std::size_t>(c)] =
          same_scale ? static_cast<std::int32_t>(q)
                     : saturate(golden::RoundHalfToEven(static_cast<double>(bq.scale(c)) *
                                                        static_cast<double>(q) /
                                                        bias_scale[static_cast<std::size_t>(c)]));
    }
    if (same_scale && b.shape() == golden::Shape{channels}) {
      return im.OperandTensor(n, dq.In(0), "bias");
    }
  } else {
    const Tensor b = im.ConstantTensor(n, index, "bias");
    check_count(b.size());
    for (std::int64_t c = 0; c < channels; ++c) {
      const float real = b.Data<float>()[static_cast<std::size_t>(b.size() == 1 ? 0 : c)];
      values[static_cast<std::size_t>(c)] =
          saturate(golden::RoundHalfToEven(real / bias_scale[static_cast<std::size_t>(c)]));
    }
  }
  return im.AddConstant(n.name + "_bias", Tensor::FromVector<std::int32_t>({channels}, values));
}

std::string Quantized(Importer& im, const OnnxNode& n, const Fusion& f, std::size_t i,
                      const std::string& role) {
  return im.OperandTensor(n, im.nodes()[*f.dq[i]].In(0), role);
}

void EmitConv(Importer& im, const OnnxNode& n, const Fusion& f, const Output& out) {
  im.CheckAttributes(n, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  const std::string x = Quantized(im, n, f, 0, "X");
  const std::string w = Quantized(im, n, f, 1, "W");
  const golden::TensorInfo& w_info = im.Info(w);
  const std::vector<std::int64_t> kernel = ConvKernel(im, n, w_info.shape);
  if (w_info.quant.per_axis() && w_info.quant.axis != 0) {
    im.Fail(n, "weight '" + w + "' is quantized per axis along dimension " +
                   std::to_string(w_info.quant.axis) +
                   "; only per-output-channel (axis 0) parameters are supported");
  }
  std::vector<std::string> inputs = {x, w};
  if (n.Has(2)) {
    inputs.push_back(
        FusedBias(im, n, f, 2, im.Info(x).quant.scale(0), w_info.quant, w_info.shape[0]));
  }
  golden::Node node = im.MakeNode(n, "Conv", std::move(inputs), {out.tensor});
  im.SetWindowAttributes(n, node, im.Info(x).shape, kernel, true, false);
  node.attrs.Set("group", im.AttrInt(n, "group", 1));
  SetClamp(im, f, out, node, "clamp_min", "clamp_max");
  im.Emit(n, std::move(node), {out.dtype});
}

// [R, C] → [C, R] of an integer tensor.
Tensor Transposed(const Tensor& t) {
  const std::int64_t rows = t.shape()[0];
  const std::int64_t cols = t.shape()[1];
  Tensor r(t.dtype(), {cols, rows});
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) r.SetInt(j * rows + i, t.GetInt(i * cols + j));
  }
  return r;
}

void CheckColumnQuant(Importer& im, const OnnxNode& n, const std::string& b) {
  const golden::TensorInfo& info = im.Info(b);
  if (info.quant.per_axis() && info.quant.axis != static_cast<int>(info.shape.size()) - 1) {
    im.Fail(n, "B '" + b + "' is quantized per axis along dimension " +
                   std::to_string(info.quant.axis) + " of " + golden::ShapeToString(info.shape) +
                   "; only per-column (last dimension) parameters are supported");
  }
}

void EmitMatMul(Importer& im, const OnnxNode& n, const Fusion& f, const Output& out) {
  im.CheckAttributes(n, {});
  const std::string a = Quantized(im, n, f, 0, "A");
  const std::string b = Quantized(im, n, f, 1, "B");
  CheckColumnQuant(im, n, b);
  golden::Node node = im.MakeNode(n, "MatMul", {a, b}, {out.tensor});
  SetClamp(im, f, out, node, "clamp_min", "clamp_max");
  im.Emit(n, std::move(node), {out.dtype});
}

void EmitGemm(Importer& im, const OnnxNode& n, const Fusion& f, const Output& out) {
  im.CheckAttributes(n, {"alpha", "beta", "transA", "transB"});
  for (const char* name : {"alpha", "beta"}) {
    const float v = im.AttrFloat(n, name, 1.0f);
    if (v != 1.0f) {
      im.Fail(n, std::string(name) + " = " + std::to_string(v) +
                     " is not supported; only alpha = beta = 1");
    }
  }
  if (im.AttrInt(n, "transA", 0) != 0) im.Fail(n, "transA = 1 is not supported");
  const bool trans_b = im.AttrInt(n, "transB", 0) != 0;
  const std::string a = Quantized(im, n, f, 0, "A");
  const OnnxNode& b_dq = im.nodes()[*f.dq[1]];
  std::string b;
  if (trans_b) {
    // The constant weight [N, K] is transposed once, here, to [K, N].
    const Tensor value = im.ConstantTensor(b_dq, 0, "B");
    if (value.rank() != 2) {
      im.Fail(n, "B '" + b_dq.In(0) + "' has shape " + golden::ShapeToString(value.shape()) +
                     "; Gemm needs a matrix");
    }
    QuantParams quant = *im.Quant(b_dq.In(0));
    if (quant.per_axis()) quant.axis = 1 - quant.axis;
    b = im.AddConstant(b_dq.In(0) + "_transposed", Transposed(value), quant);
  } else {
    b = Quantized(im, n, f, 1, "B");
    if (im.Info(b).shape.size() != 2) {
      im.Fail(n, "B '" + b + "' has shape " + golden::ShapeToString(im.Info(b).shape) +
                     "; Gemm needs a matrix");
    }
  }
  CheckColumnQuant(im, n, b);
  std::vector<std::string> inputs = {a, b};
  if (n.Has(2)) {
    inputs.push_back(FusedBias(im, n, f, 2, im.Info(a).quant.scale(0), im.Info(b).quant,
                               im.Info(b).shape.back()));
  }
  golden::Node node = im.MakeNode(n, "MatMul", std::move(inputs), {out.tensor});
  SetClamp(im, f, out, node, "clamp_min", "clamp_max");
  im.Emit(n, std::move(node), {out.dtype});
}

void EmitAdd(Importer& im, const OnnxNode& n, const Fusion& f, const Output& out) {
  im.CheckAttributes(n, {});
  const std::string a = Quantized(im, n, f, 0, "A");
  const std::string b = Quantized(im, n, f, 1, "B");
  golden::Node node = im.MakeNode(n, "Add", {a, b}, {out.tensor});
  SetClamp(im, f, out, node, "clamp_min", "clamp_max");
  im.Emit(n, std::move(node), {out.dtype});
}

void EmitAveragePool(Importer& im, const OnnxNode& n, const Fusion& f, const Output& out) {
  const std::string x = Quantized(im, n, f, 0, "X");
  golden::Node node = n.op() == "AveragePool"
                          ? PoolNode(im, n, x, out.tensor)
                          : im.MakeNode(n, "GlobalAveragePool", {x}, {out.tensor});
  if (n.op() == "GlobalAveragePool") im.CheckAttributes(n, {});
  SetClamp(im, f, out, node, "clamp_min", "clamp_max");
  im.Emit(n, std::move(node), {out.dtype});
}

// MaxPool and the layout ops move stored values; the pattern made sure that y_q has x_q's
// parameters. An activation after MaxPool becomes an integer Clip.
void EmitMove(Importer& im, const OnnxNode& n, const Fusion& f, const Output& out) {
  const std::string x = Quantized(im, n, f, 0, "X");
  const bool pool = n.op() == "MaxPool";
  if (!f.activation) {
    im.Emit(n, pool ? PoolNode(im, n, x, out.tensor) : LayoutNode(im, n, x, out.tensor),
            {out.dtype});
    return;
  }
  const std::string pooled = im.NewTensorName(out.tensor + "_pooled");
  im.Emit(n, PoolNode(im, n, x, pooled), {out.dtype}, {{pooled, out.quant}});
  golden::Node clip = im.MakeNode(n, "Clip", {pooled}, {out.tensor}, "_clamp");
  SetClamp(im, f, out, clip, "min", "max");
  im.Emit(n, std::move(clip), {out.dtype});
}

void EmitConcat(Importer& im, const OnnxNode& n, const Fusion& f, const Output& out) {
  im.CheckAttributes(n, {"axis"});
  if (!im.HasAttr(n, "axis")) im.Fail(n, "missing attribute 'axis'");
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < n.input_count(); ++i) {
    inputs.push_back(Quantized(im, n, f, i, "input " + std::to_string(i)));
  }
  golden::Node node = im.MakeNode(n, "Concat", std::move(inputs), {out.tensor});
  node.attrs.Set("axis", im.AttrInt(n, "axis", 0));
  im.Emit(n, std::move(node), {out.dtype});
}

}  // namespace

std::map<std::size_t, Fusion> FindFusions(const Importer& im, std::set<std::size_t>& absorbed) {
  std::map<std::size_t, Fusion> fusions;
  for (const OnnxNode& n : im.nodes()) {
    if (std::optional<Fusion> f = Match(im, n)) {
      absorbed.insert(f->anchor);
      if (f->activation) absorbed.insert(*f->activation);
      absorbed.insert(f->quantize);
      fusions[n.index] = std::move(*f);
    }
  }
  // A DequantizeLinear is needed as an IR node unless every reader is a fused op reading it
  // through the pattern (or nothing reads it).
  for (const OnnxNode& d : im.nodes()) {
    if (!IsDequantizeNode(d) || d.output_count() != 1 || im.IsGraphOutput(d.Out(0))) continue;
    bool needed = false;
    for (std::size_t reader : im.Consumers(d.Out(0))) {
      auto f = fusions.find(reader);
      if (f == fusions.end()) {
        needed = true;
        break;
      }
      const OnnxNode& anchor = im.nodes()[reader];
      for (std::size_t i = 0; i < anchor.input_count(); ++i) {
        if (anchor.In(i) == d.Out(0) && f->second.dq[i] != d.index) needed = true;
      }
    }
    if (!needed) absorbed.insert(d.index);
  }
  return fusions;
}

void EmitFusion(Importer& im, const Fusion& f) {
  const OnnxNode& n = im.nodes()[f.anchor];
  const OnnxNode& q = im.nodes()[f.quantize];
  Output out{q.Out(0), im.ZeroPointType(q, 2), *im.Quant(q.Out(0))};
  const std::string& op = n.op();
  if (op == "Conv") {
    EmitConv(im, n, f, out);
  } else if (op == "MatMul") {
    EmitMatMul(im, n, f, out);
  } else if (op == "Gemm") {
    EmitGemm(im, n, f, out);
  } else if (op == "Add") {
    EmitAdd(im, n, f, out);
  } else if (op == "AveragePool" || op == "GlobalAveragePool") {
    EmitAveragePool(im, n, f, out);
  } else if (op == "Concat") {
    EmitConcat(im, n, f, out);
  } else {
    EmitMove(im, n, f, out);
  }
}

}  // namespace qsa::importer::onnx_internal

// TFLite → graph IR. docs/tflite-import.md is the reference; in short:
//
// - The flatbuffer is verified (flatc-generated verifier of compiler/tflite_model/tflite.fbs),
//   then subgraph 0 is imported operator by operator, in the model's order.
// - Layout. TFLite's 4-D activations are NHWC; the IR's convolution and pools are NCHW. Each
//   TFLite tensor may exist in the IR in its own layout ("true": the TFLite shape) and, for rank
//   4, as its NCHW transpose; an operator asks for the layout it needs and the importer inserts
//   the conversion once (a Reshape when only size-1 dimensions move, else a Transpose). Graph
//   inputs and outputs keep TFLite's shapes and names.
// - Quantization. One scale is per tensor whatever quantized_dimension says (TFLite Micro's
//   legacy encoding); more are per axis. Fixed-point multipliers are derived from the scales in
//   double, as TFLite's kernels derive them; fused activations become the requantization clamp,
//   computed as TFLite's CalculateActivationRangeQuantized does.
// - A PAD whose only reader is a convolution, padding only H and W with the input zero point, is
//   folded into the convolution's padding (a padded tap of value z_x contributes 0 either way).
#include "compiler/importer/tflite_import.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "model/base/error.h"
#include "model/golden/quant.h"
#include "tflite_generated.h"

namespace qsa::importer {
namespace {

namespace fb = qsa::tflite_schema;
using golden::DType;
using golden::Graph;
using golden::Node;
using golden::QuantParams;
using golden::Shape;
using golden::Tensor;
using golden::TensorInfo;

enum class Layout { kTrue, kNchw };

// stored = transpose(true, kToNchw); true = transpose(stored, kFromNchw) (NumPy's perm meaning:
// result dimension i is input dimension perm[i]).
constexpr std::array<std::int64_t, 4> kToNchw = {0, 3, 1, 2};
constexpr std::array<std::int64_t, 4> kFromNchw = {0, 2, 3, 1};

std::string OpName(fb::BuiltinOperator code) {
  const auto value = static_cast<std::int32_t>(code);
  if (value >= 0 && value <= static_cast<std::int32_t>(fb::BuiltinOperator::MAX)) {
    const char* name = fb::EnumNameBuiltinOperator(code);
    if (name != nullptr && *name != '\0') return name;
  }
  return "builtin operator " + std::to_string(value);
}

std::string TypeName(fb::TensorType t) {
  const char* name = fb::EnumNameTensorType(t);
  return (name != nullptr && *name != '\0') ? name : "type " + std::to_string(static_cast<int>(t));
}

std::vector<std::int64_t> Permute(const std::vector<std::int64_t>& v,
                                  const std::vector<std::int64_t>& perm) {
  std::vector<std::int64_t> out(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) out[i] = v[static_cast<std::size_t>(perm[i])];
  return out;
}

std::vector<std::int64_t> Inverse(const std::vector<std::int64_t>& perm) {
  std::vector<std::int64_t> inv(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) {
    inv[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
  }
  return inv;
}

bool IsIdentity(const std::vector<std::int64_t>& perm) {
  for (std::size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<std::int64_t>(i)) return false;
  }
  return true;
}

// True when transposing a tensor of `shape` by `perm` keeps the element order (only size-1
// dimensions move), so a Reshape does it.
bool TransposeIsReshape(const Shape& shape, const std::vector<std::int64_t>& perm) {
  std::int64_t last = -1;
  for (std::int64_t p : perm) {
    if (shape[static_cast<std::size_t>(p)] == 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}

// Transposes a constant tensor by `perm` (any dtype).
Tensor TransposeTensor(const Tensor& t, const std::vector<std::int64_t>& perm) {
  const Shape& in = t.shape();
  const std::size_t rank = in.size();
  const Shape out_shape = Permute(in, perm);
  std::vector<std::int64_t> in_stride(rank, 1);
  for (std::size_t a = rank; a-- > 1;) in_stride[a - 1] = in_stride[a] * in[a];
  Tensor out(t.dtype(), out_shape);
  std::vector<std::int64_t> idx(rank, 0);
  for (std::int64_t o = 0; o < out.size(); ++o) {
    std::int64_t src = 0;
    for (std::size_t a = 0; a < rank; ++a)
      src += idx[a] * in_stride[static_cast<std::size_t>(perm[a])];
    if (t.dtype() == DType::kFloat32) {
      out.Data<float>()[static_cast<std::size_t>(o)] =
          t.Data<float>()[static_cast<std::size_t>(src)];
    } else {
      out.SetInt(o, t.GetInt(src));
    }
    for (std::size_t a = rank; a-- > 0;) {
      if (++idx[a] < out_shape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

struct Window {
  std::int64_t stride[2] = {1, 1};
  std::int64_t dilation[2] = {1, 1};
  std::int64_t pad_begin[2] = {0, 0};
  std::int64_t pad_end[2] = {0, 0};
};

// TFLite's padding (ComputePaddingHeightWidth): SAME → output ceil(in / stride), the total
// padding split with the odd pixel at the end; VALID → none.
void ResolvePadding(fb::Padding padding, const std::int64_t in[2], const std::int64_t kernel[2],
                    Window& w) {
  for (int a = 0; a < 2; ++a) {
    if (padding != fb::Padding::SAME) continue;
    const std::int64_t eff = (kernel[a] - 1) * w.dilation[a] + 1;
    const std::int64_t out = (in[a] + w.stride[a] - 1) / w.stride[a];
    const std::int64_t total = std::max<std::int64_t>((out - 1) * w.stride[a] + eff - in[a], 0);
    w.pad_begin[a] += total / 2;
    w.pad_end[a] += total - total / 2;
  }
}

class Importer {
 public:
  Importer(const fb::Model* model, std::string source)
      : model_(model), source_(std::move(source)) {}

  Graph Run();

 private:
  // ---- errors ----
  [[noreturn]] void Fail(const std::string& message) const {
    throw Error(source_ + ": " + (op_label_.empty() ? "" : op_label_ + ": ") + message);
  }

  // The operator's code table, nullptr when its index is out of range; its builtin code (the
  // larger of the deprecated int8 field and the int32 one, as TFLite reads them).
  const fb::OperatorCode* CodeTableOf(const fb::Operator* op) const {
    if (op == nullptr || model_->operator_codes() == nullptr ||
        op->opcode_index() >= model_->operator_codes()->size()) {
      return nullptr;
    }
    return model_->operator_codes()->Get(op->opcode_index());
  }
  static fb::BuiltinOperator BuiltinOf(const fb::OperatorCode* oc) {
    return static_cast<fb::BuiltinOperator>(std::max<std::int32_t>(
        oc->deprecated_builtin_code(), static_cast<std::int32_t>(oc->builtin_code())));
  }

  // ---- tensors ----
  const fb::Tensor* T(std::int32_t index) const;
  std::string TensorLabel(std::int32_t index) const {
    return "tensor '" + names_[static_cast<std::size_t>(index)] + "'";
  }
  DType TypeOf(std::int32_t index) const;
  Shape ShapeOf(std::int32_t index) const;
  QuantParams QuantOf(std::int32_t index) const;
  QuantParams PerTensorQuant(std::int32_t index, const char* role) const;
  bool IsConstant(std::int32_t index) const;
  Tensor ConstantOf(std::int32_t index) const;
  std::vector<std::int64_t> IntsOf(std::int32_t index, const char* role) const;

  // The IR name of tensor `index` in `layout`, making it (constant or conversion) when needed.
  std::string Get(std::int32_t index, Layout layout);
  bool Has(std::int32_t index, Layout layout) const {
    auto it = avail_.find(index);
    return it != avail_.end() && it->second.count(layout) != 0;
  }
  // Declares output tensor `index` produced in `layout` and returns its IR name.
  std::string Produce(std::int32_t index, Layout layout);
  std::string NameIn(std::int32_t index, Layout layout) const {
    return layout == Layout::kTrue ? names_[static_cast<std::size_t>(index)]
                                   : names_[static_cast<std::size_t>(index)] + "@nchw";
  }
  Shape StoredShape(std::int32_t index, Layout layout) const {
    Shape s = ShapeOf(index);
    if (layout == Layout::kNchw) {
      if (s.size() != kToNchw.size()) {
        Fail(TensorLabel(index) + " has shape " + golden::ShapeToString(s) +
             "; this operator takes and gives images of 4 dimensions (N, H, W, C)");
      }
      s = Permute(s, {kToNchw.begin(), kToNchw.end()});
    }
    return s;
  }
  void AddNode(Node node) { graph_.nodes.push_back(std::move(node)); }
  Node MakeNode(const std::string& op, std::vector<std::string> inputs,
                std::vector<std::string> outputs) const {
    Node n;
    n.name = outputs.empty() ? op : outputs[0];
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    return n;
  }

  // ---- operators ----
  void ImportOperator(const fb::Operator* op, fb::BuiltinOperator code);
  std::int32_t In(const fb::Operator* op, std::size_t i, bool optional = false) const;
  std::int32_t Out(const fb::Operator* op, std::size_t i) const;
  void ExpectIo(const fb::Operator* op, std::size_t in_lo, std::size_t in_hi,
                std::size_t outs) const;
  void SetClamp(Node& node, fb::ActivationFunctionType act, std::int32_t out_index) const;
  void CheckActivationType(std::int32_t index) const;
  Layout PreferredLayout(std::int32_t index) const {
    return ShapeOf(index).size() == 4 && Has(index, Layout::kNchw) ? Layout::kNchw : Layout::kTrue;
  }

  void Conv(const fb::Operator* op, bool depthwise);
  void FullyConnected(const fb::Operator* op);
  void AddOrMul(const fb::Operator* op, bool mul);
  void Pool(const fb::Operator* op, bool average);
  void Mean(const fb::Operator* op);
  void Pad(const fb::Operator* op, bool v2);
  void Reshape(const fb::Operator* op);
  void Transpose(const fb::Operator* op);
  void Concatenation(const fb::Operator* op);
  void Quantize(const fb::Operator* op);
  void Dequantize(const fb::Operator* op);
  void Relu(const fb::Operator* op, fb::BuiltinOperator code);
  void Softmax(const fb::Operator* op);
  void Logistic(const fb::Operator* op);

  // PAD operators folded into the convolution that reads them: pad output tensor → (pad input,
  // pads top, left, bottom, right).
  struct FoldedPad {
    std::int32_t input = -1;
    std::int64_t pads[4] = {0, 0, 0, 0};
  };
  void FindFoldablePads();
  // Names, in errors about graph input `index`, the first operator that reads it.
  void LabelFirstReader(std::int32_t index);
  std::string OperatorLabel(std::uint32_t k) const;
  std::int64_t PadValueOf(const fb::Operator* op, bool v2) const;

  const fb::Model* model_;
  std::string source_;
  const fb::SubGraph* sg_ = nullptr;
  std::vector<std::string> names_;
  std::map<std::int32_t, std::map<Layout, std::string>> avail_;
  std::map<std::int32_t, FoldedPad> folded_pads_;
  std::set<std::int32_t> graph_outputs_;
  Graph graph_;
  std::string op_label_;
};

// ---- tensors
// -------------------------------------------------------------------------------------

const fb::Tensor* Importer::T(std::int32_t index) const {
  if (index < 0 || sg_->tensors() == nullptr ||
      static_cast<std::uint32_t>(index) >= sg_->tensors()->size()) {
    Fail("tensor index " + std::to_string(index) + " is out of range");
  }
  const fb::Tensor* t = sg_->tensors()->Get(static_cast<std::uint32_t>(index));
  if (t == nullptr) Fail("tensor " + std::to_string(index) + " is missing");
  return t;
}

DType Importer::TypeOf(std::int32_t index) const {
  const fb::Tensor* t = T(index);
  switch (t->type()) {
    case fb::TensorType::INT8:
      return DType::kInt8;
    case fb::TensorType::UINT8:
      return DType::kUInt8;
    case fb::TensorType::INT32:
      return DType::kInt32;
    case fb::TensorType::FLOAT32:
      return DType::kFloat32;
    default:
      break;
  }
  Fail(TensorLabel(index) + " has type " + TypeName(t->type()) +
       "; only INT8, UINT8, INT32 and FLOAT32 tensors are supported");
}

Shape Importer::ShapeOf(std::int32_t index) const {
  const fb::Tensor* t = T(index);
  Shape s;
  if (t->shape() != nullptr) {
    for (std::int32_t d : *t->shape()) {
      if (d < 0) Fail(TensorLabel(index) + " has a negative dimension " + std::to_string(d));
      s.push_back(d);
    }
  }
  try {
    golden::NumElements(s);
  } catch (const Error& e) {
    Fail(TensorLabel(index) + ": " + e.what());
  }
  return s;
}

QuantParams Importer::QuantOf(std::int32_t index) const {
  const fb::Tensor* t = T(index);
  QuantParams q;
  const fb::QuantizationParameters* p = t->quantization();
  if (p == nullptr || p->scale() == nullptr || p->scale()->size() == 0) return q;
  if (p->details_type() != fb::QuantizationDetails::NONE) {
    Fail(TensorLabel(index) + " uses custom quantization, which is not supported");
  }
  for (float s : *p->scale()) q.scales.push_back(s);
  const std::size_t n = q.scales.size();
  if (p->zero_point() != nullptr && p->zero_point()->size() != 0) {
    if (p->zero_point()->size() != n) {
      Fail(TensorLabel(index) + " has " + std::to_string(n) + " scales but " +
           std::to_string(p->zero_point()->size()) + " zero points");
    }
    // The verifier checks a vector's length field, not the alignment of its 8-byte elements:
    // read them bytewise.
    for (std::uint32_t i = 0; i < p->zero_point()->size(); ++i) {
      std::int64_t z = 0;
      std::memcpy(&z, p->zero_point()->Data() + std::size_t{i} * sizeof z, sizeof z);
      z = flatbuffers::EndianScalar(z);
      if (z < std::numeric_limits<std::int32_t>::min() ||
          z > std::numeric_limits<std::int32_t>::max()) {
        Fail(TensorLabel(index) + " has zero point " + std::to_string(z) + " outside int32");
      }
      q.zero_points.push_back(static_cast<std::int32_t>(z));
    }
  } else {
    q.zero_points.assign(n, 0);
  }
  if (n > 1) {
    // Per axis. One scale is per tensor whatever quantized_dimension says (TFLite Micro's
    // legacy encoding, which person_detect.tflite uses).
    const Shape shape = ShapeOf(index);
    const std::int32_t axis = p->quantized_dimension();
    if (axis < 0 || static_cast<std::size_t>(axis) >= shape.size()) {
      Fail(TensorLabel(index) + " has " + std::to_string(n) + " scales along quantized_dimension " +
           std::to_string(axis) + ", outside its rank " + std::to_string(shape.size()));
    }
    if (shape[static_cast<std::size_t>(axis)] != static_cast<std::int64_t>(n)) {
      Fail(TensorLabel(index) + " has " + std::to_string(n) + " scales but dimension " +
           std::to_string(axis) + " has size " +
           std::to_string(shape[static_cast<std::size_t>(axis)]));
    }
    q.axis = axis;
  }
  for (float s : q.scales) {
    if (!(s > 0.0f) || !std::isfinite(s)) {
      Fail(TensorLabel(index) + " has scale " + std::to_string(s) + "; scales must be positive");
    }
  }
  return q;
}

QuantParams Importer::PerTensorQuant(std::int32_t index, const char* role) const {
  QuantParams q = QuantOf(index);
  if (q.empty())
    Fail(std::string(role) + " " + TensorLabel(index) + " has no quantization parameters");
  if (q.per_axis())
    Fail(std::string(role) + " " + TensorLabel(index) + " must be quantized per tensor");
  return q;
}

bool Importer::IsConstant(std::int32_t index) const {
  const fb::Tensor* t = T(index);
  if (t->buffer() == 0 || model_->buffers() == nullptr ||
      t->buffer() >= model_->buffers()->size()) {
    return false;
  }
  const fb::Buffer* b = model_->buffers()->Get(t->buffer());
  if (b == nullptr) return false;
  if (b->offset() > 1) {
    Fail(TensorLabel(index) +
         " keeps its data outside the flatbuffer (a model over 2 GB), which "
         "is not supported");
  }
  return b->data() != nullptr && b->data()->size() != 0;
}

Tensor Importer::ConstantOf(std::int32_t index) const {
  if (!IsConstant(index)) Fail(TensorLabel(index) + " must be a constant");
  const fb::Buffer* b = model_->buffers()->Get(T(index)->buffer());
  const DType dtype = TypeOf(index);
  const Shape shape = ShapeOf(index);
  const std::size_t elem = dtype == DType::kInt8 || dtype == DType::kUInt8 ? 1 : 4;
  // The byte count the shape needs, checked against the data before anything is allocated.
  std::size_t want = elem;
  for (std::int64_t d : shape) {
    const auto dim = static_cast<std::size_t>(d);
    if (dim != 0 && want > b->data()->size() / dim) {
      Fail(TensorLabel(index) + " has shape " + golden::ShapeToString(shape) + " but only " +
           std::to_string(b->data()->size()) + " bytes of data");
    }
    want *= dim;
  }
  if (b->data()->size() != want) {
    Fail(TensorLabel(index) + " has " + std::to_string(b->data()->size()) +
         " bytes of data; its "
         "shape and type need " +
         std::to_string(want));
  }
  Tensor t(dtype, shape);
  const std::uint8_t* src = b->data()->data();
  switch (dtype) {
    case DType::kInt8:
      std::memcpy(t.Data<std::int8_t>().data(), src, want);
      break;
    case DType::kUInt8:
      std::memcpy(t.Data<std::uint8_t>().data(), src, want);
      break;
    case DType::kInt32:
      std::memcpy(t.Data<std::int32_t>().data(), src, want);  // little-endian, as the format
      break;
    case DType::kFloat32:
      std::memcpy(t.Data<float>().data(), src, want);
      break;
  }
  return t;
}

std::vector<std::int64_t> Importer::IntsOf(std::int32_t index, const char* role) const {
  if (!IsConstant(index))
    Fail(std::string(role) + " " + TensorLabel(index) + " must be a constant");
  const fb::TensorType type = T(index)->type();
  if (type != fb::TensorType::INT32 && type != fb::TensorType::INT64) {
    Fail(std::string(role) + " " + TensorLabel(index) + " must be INT32 or INT64");
  }
  const auto* data = model_->buffers()->Get(T(index)->buffer())->data();
  const std::size_t width = type == fb::TensorType::INT32 ? 4 : 8;
  const std::int64_t count = golden::NumElements(ShapeOf(index));
  if (data->size() != static_cast<std::size_t>(count) * width) {
    Fail(std::string(role) + " " + TensorLabel(index) + " has " + std::to_string(data->size()) +
         " bytes of data; its shape needs " +
         std::to_string(static_cast<std::size_t>(count) * width));
  }
  std::vector<std::int64_t> v(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (width == 4) {
      std::int32_t x = 0;
      std::memcpy(&x, data->data() + i * 4, 4);
      v[i] = x;
    } else {
      std::memcpy(&v[i], data->data() + i * 8, 8);
    }
  }
  return v;
}

std::string Importer::Get(std::int32_t index, Layout layout) {
  auto& have = avail_[index];
  if (auto it = have.find(layout); it != have.end()) return it->second;
  const std::string name = NameIn(index, layout);
  if (IsConstant(index)) {
    Tensor value = ConstantOf(index);
    if (layout == Layout::kNchw) {
      StoredShape(index, layout);  // refuses a constant that is not 4-D
      value = TransposeTensor(value, {kToNchw.begin(), kToNchw.end()});
    }
    QuantParams q = QuantOf(index);
    if (q.per_axis() && layout == Layout::kNchw)
      q.axis = static_cast<int>(
          Inverse({kToNchw.begin(), kToNchw.end()})[static_cast<std::size_t>(q.axis)]);
    graph_.AddConstant(name, std::move(value), q);
    have[layout] = name;
    return name;
  }
  if (have.empty()) {
    Fail(TensorLabel(index) +
         " is read before any operator writes it (operators must be in "
         "execution order)");
  }
  if (ShapeOf(index).size() != 4) Fail(TensorLabel(index) + " is not 4-D; no NCHW form");
  const Layout from = layout == Layout::kTrue ? Layout::kNchw : Layout::kTrue;
  const std::string src = have.at(from);
  const std::vector<std::int64_t> perm =
      layout == Layout::kNchw ? std::vector<std::int64_t>(kToNchw.begin(), kToNchw.end())
                              : std::vector<std::int64_t>(kFromNchw.begin(), kFromNchw.end());
  const Shape src_shape = graph_.Info(src).shape;
  Node n;
  if (TransposeIsReshape(src_shape, perm)) {
    n = MakeNode("Reshape", {src}, {name});
    n.attrs.Set("shape", Permute(src_shape, perm));
  } else {
    n = MakeNode("Transpose", {src}, {name});
    n.attrs.Set("perm", perm);
  }
  n.name = name;
  TensorInfo info;
  info.name = name;
  info.dtype = TypeOf(index);
  info.shape = StoredShape(index, layout);
  info.quant = graph_.Info(src).quant;
  graph_.tensors[name] = info;
  AddNode(std::move(n));
  have[layout] = name;
  return name;
}

std::string Importer::Produce(std::int32_t index, Layout layout) {
  if (IsConstant(index))
    Fail(TensorLabel(index) + " is an operator output but holds constant data");
  if (!avail_[index].empty()) Fail(TensorLabel(index) + " is written by two operators");
  const std::string name = NameIn(index, layout);
  TensorInfo info;
  info.name = name;
  info.dtype = TypeOf(index);
  info.shape = StoredShape(index, layout);
  info.quant = QuantOf(index);
  if (info.quant.per_axis()) Fail("output " + TensorLabel(index) + " must be quantized per tensor");
  graph_.tensors[name] = info;
  avail_[index][layout] = name;
  return name;
}

// ---- operators
// -----------------------------------------------------------------------------------

std::int32_t Importer::In(const fb::Operator* op, std::size_t i, bool optional) const {
  const auto* ins = op->inputs();
  if (ins == nullptr || i >= ins->size() || ins->Get(static_cast<std::uint32_t>(i)) < 0) {
    if (optional) return -1;
    Fail("input " + std::to_string(i) + " is missing");
  }
  const std::int32_t index = ins->Get(static_cast<std::uint32_t>(i));
  T(index);
  return index;
}

std::int32_t Importer::Out(const fb::Operator* op, std::size_t i) const {
  const auto* outs = op->outputs();
  if (outs == nullptr || i >= outs->size()) Fail("output " + std::to_string(i) + " is missing");
  const std::int32_t index = outs->Get(static_cast<std::uint32_t>(i));
  T(index);
  return index;
}

void Importer::ExpectIo(const fb::Operator* op, std::size_t in_lo, std::size_t in_hi,
                        std::size_t outs) const {
  const std::size_t n_in = op->inputs() == nullptr ? 0 : op->inputs()->size();
  const std::size_t n_out = op->outputs() == nullptr ? 0 : op->outputs()->size();
  if (n_in < in_lo || n_in > in_hi) {
    Fail("has " + std::to_string(n_in) + " inputs; expected " +
         (in_lo == in_hi ? std::to_string(in_lo)
                         : std::to_string(in_lo) + " to " + std::to_string(in_hi)));
  }
  if (n_out != outs) {
    Fail("has " + std::to_string(n_out) + " outputs; expected " + std::to_string(outs));
  }
}

void Importer::CheckActivationType(std::int32_t index) const {
  const DType t = TypeOf(index);
  if (t != DType::kInt8 && t != DType::kUInt8) {
    Fail(TensorLabel(index) + " is " + std::string(golden::DTypeName(t)) +
         "; this operator is imported for int8 and uint8 tensors only");
  }
}

// TFLite's CalculateActivationRangeQuantized: the clamp in the output's quantized domain, with
// quantize(f) = z + round(f / s) (float division, rounding half away from zero).
void Importer::SetClamp(Node& node, fb::ActivationFunctionType act, std::int32_t out_index) const {
  const DType dtype = TypeOf(out_index);
  std::int64_t lo = golden::DTypeMin(dtype);
  std::int64_t hi = golden::DTypeMax(dtype);
  if (act != fb::ActivationFunctionType::NONE) {
    const QuantParams q = PerTensorQuant(out_index, "output");
    const float s = q.scales[0];
    const std::int32_t z = q.zero_points[0];
    auto quantize = [&](float f) {
      return static_cast<std::int64_t>(z) + static_cast<std::int64_t>(std::round(f / s));
    };
    switch (act) {
      case fb::ActivationFunctionType::RELU:
        lo = std::max(lo, quantize(0.0f));
        break;
      case fb::ActivationFunctionType::RELU6:
        lo = std::max(lo, quantize(0.0f));
        hi = std::min(hi, quantize(6.0f));
        break;
      case fb::ActivationFunctionType::RELU_N1_TO_1:
        lo = std::max(lo, quantize(-1.0f));
        hi = std::min(hi, quantize(1.0f));
        break;
      default: {
        const char* name = fb::EnumNameActivationFunctionType(act);
        Fail(std::string("fused activation ") + (name != nullptr ? name : "?") +
             " is not supported (NONE, RELU, RELU_N1_TO_1 and RELU6 are)");
      }
    }
  }
  node.attrs.Set("clamp_min", lo);
  node.attrs.Set("clamp_max", hi);
}

void Importer::FindFoldablePads() {
  std::map<std::int32_t, int> readers;
  std::map<std::int32_t, std::pair<const fb::Operator*, fb::BuiltinOperator>> reader_of;
  const auto* ops = sg_->operators();
  if (ops == nullptr) return;
  for (const fb::Operator* op : *ops) {
    const fb::OperatorCode* oc = CodeTableOf(op);
    if (oc == nullptr || op->inputs() == nullptr) continue;
    const fb::BuiltinOperator code = BuiltinOf(oc);
    for (std::uint32_t i = 0; i < op->inputs()->size(); ++i) {
      const std::int32_t t = op->inputs()->Get(i);
      ++readers[t];
      if (i == 0) reader_of[t] = {op, code};
    }
  }
  for (const fb::Operator* op : *ops) {
    const fb::OperatorCode* oc = CodeTableOf(op);
    if (oc == nullptr || op->inputs() == nullptr || op->outputs() == nullptr ||
        op->outputs()->size() != 1 || op->inputs()->size() < 2) {
      continue;
    }
    const fb::BuiltinOperator code = BuiltinOf(oc);
    if (code != fb::BuiltinOperator::PAD && code != fb::BuiltinOperator::PADV2) continue;
    const std::int32_t out = op->outputs()->Get(0);
    const std::int32_t in = op->inputs()->Get(0);
    if (readers[out] != 1 || graph_outputs_.count(out) != 0) continue;
    auto r = reader_of.find(out);
    if (r == reader_of.end() || (r->second.second != fb::BuiltinOperator::CONV_2D &&
                                 r->second.second != fb::BuiltinOperator::DEPTHWISE_CONV_2D)) {
      continue;
    }
    const std::int32_t paddings = op->inputs()->Get(1);
    if (paddings < 0 || ShapeOf(in).size() != 4 || !IsConstant(paddings)) continue;
    const fb::TensorType pt = T(paddings)->type();
    if (pt != fb::TensorType::INT32 && pt != fb::TensorType::INT64) continue;
    const QuantParams qi = QuantOf(in);
    if (qi.empty() || qi.per_axis() || !(qi == QuantOf(out))) continue;
    const std::vector<std::int64_t> p = IntsOf(paddings, "paddings");
    if (p.size() != 8 || p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0) continue;
    if (std::any_of(p.begin(), p.end(), [](std::int64_t v) { return v < 0; })) continue;
    if (PadValueOf(op, code == fb::BuiltinOperator::PADV2) != qi.zero_points[0]) continue;
    FoldedPad f;
    f.input = in;
    f.pads[0] = p[2];
    f.pads[1] = p[4];
    f.pads[2] = p[3];
    f.pads[3] = p[5];
    folded_pads_[out] = f;
  }
}

std::string Importer::OperatorLabel(std::uint32_t k) const {
  const fb::Operator* op = sg_->operators()->Get(k);
  const std::uint32_t n_tensors = sg_->tensors() == nullptr ? 0 : sg_->tensors()->size();
  const fb::OperatorCode* oc = CodeTableOf(op);
  if (oc == nullptr) {
    throw Error(source_ + ": operator " + std::to_string(k) + " has an invalid opcode index");
  }
  const fb::BuiltinOperator code = BuiltinOf(oc);
  std::string name = "#" + std::to_string(k);
  if (op->outputs() != nullptr && op->outputs()->size() != 0 && op->outputs()->Get(0) >= 0 &&
      static_cast<std::uint32_t>(op->outputs()->Get(0)) < n_tensors) {
    name = names_[static_cast<std::size_t>(op->outputs()->Get(0))];
  }
  if (code == fb::BuiltinOperator::CUSTOM) {
    return "custom operator '" +
           (oc->custom_code() != nullptr ? oc->custom_code()->str() : std::string()) +
           "' (operator " + std::to_string(k) + ", '" + name + "')";
  }
  return OpName(code) + " '" + name + "' (operator " + std::to_string(k) + ", version " +
         std::to_string(oc->version()) + ")";
}

void Importer::LabelFirstReader(std::int32_t index) {
  const std::uint32_t n_ops = sg_->operators() == nullptr ? 0 : sg_->operators()->size();
  for (std::uint32_t k = 0; k < n_ops; ++k) {
    const fb::Operator* op = sg_->operators()->Get(k);
    if (op == nullptr || op->inputs() == nullptr) continue;
    for (std::int32_t t : *op->inputs()) {
      if (t == index) {
        op_label_ = OperatorLabel(k);
        return;
      }
    }
  }
}

// The stored value PAD / PADV2 pads with: the output zero point (PAD on quantized tensors, as
// TFLite), 0 (PAD on other tensors) or PADV2's constant_values.
std::int64_t Importer::PadValueOf(const fb::Operator* op, bool v2) const {
  const std::int32_t out = Out(op, 0);
  if (v2 && op->inputs()->size() >= 3 && op->inputs()->Get(2) >= 0) {
    const std::int32_t c = op->inputs()->Get(2);
    if (!IsConstant(c)) Fail("constant_values " + TensorLabel(c) + " must be a constant");
    const Tensor t = ConstantOf(c);
    if (t.size() != 1) Fail("constant_values must hold one value");
    if (t.dtype() == DType::kFloat32) return static_cast<std::int64_t>(t.Data<float>()[0]);
    return t.GetInt(0);
  }
  const QuantParams q = QuantOf(out);
  return q.empty() ? 0 : q.zero_points[0];
}

void Importer::Conv(const fb::Operator* op, bool depthwise) {
  ExpectIo(op, 2, 3, 1);
  std::int32_t x = In(op, 0);
  const std::int32_t w = In(op, 1);
  const std::int32_t b = In(op, 2, /*optional=*/true);
  const std::int32_t y = Out(op, 0);
  CheckActivationType(x);
  CheckActivationType(y);
  if (TypeOf(w) != DType::kInt8 && TypeOf(w) != DType::kUInt8) {
    Fail("weight " + TensorLabel(w) + " is " + std::string(golden::DTypeName(TypeOf(w))) +
         "; int8 weights are supported");
  }
  if (!IsConstant(w)) Fail("weight " + TensorLabel(w) + " must be a constant");
  if (b >= 0 && (TypeOf(b) != DType::kInt32 || !IsConstant(b))) {
    Fail("bias " + TensorLabel(b) + " must be a constant INT32 tensor");
  }
  PerTensorQuant(x, "input");
  PerTensorQuant(y, "output");
  const Shape ws = ShapeOf(w);
  if (ws.size() != 4) Fail("weight " + TensorLabel(w) + " must be 4-D");

  Window win;
  fb::Padding padding = fb::Padding::VALID;
  fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE;
  if (depthwise) {
    const fb::DepthwiseConv2DOptions* o = op->builtin_options_as_DepthwiseConv2DOptions();
    if (o == nullptr) Fail("DepthwiseConv2DOptions are missing");
    padding = o->padding();
    win.stride[0] = o->stride_h();
    win.stride[1] = o->stride_w();
    win.dilation[0] = o->dilation_h_factor();
    win.dilation[1] = o->dilation_w_factor();
    act = o->fused_activation_function();
  } else {
    const fb::Conv2DOptions* o = op->builtin_options_as_Conv2DOptions();
    if (o == nullptr) Fail("Conv2DOptions are missing");
    padding = o->padding();
    win.stride[0] = o->stride_h();
    win.stride[1] = o->stride_w();
    win.dilation[0] = o->dilation_h_factor();
    win.dilation[1] = o->dilation_w_factor();
    act = o->fused_activation_function();
    if (o->quantized_bias_type() != fb::TensorType::FLOAT32 &&
        o->quantized_bias_type() != fb::TensorType::INT32) {
      Fail("quantized_bias_type " + TypeName(o->quantized_bias_type()) + " is not supported");
    }
  }
  for (int a = 0; a < 2; ++a) {
    if (win.stride[a] < 1 || win.dilation[a] < 1) Fail("strides and dilations must be >= 1");
  }
  // A folded PAD: read its input and add its padding.
  if (auto f = folded_pads_.find(x); f != folded_pads_.end()) {
    x = f->second.input;
    win.pad_begin[0] = f->second.pads[0];
    win.pad_begin[1] = f->second.pads[1];
    win.pad_end[0] = f->second.pads[2];
    win.pad_end[1] = f->second.pads[3];
  }
  const Shape xs = ShapeOf(x);
  if (xs.size() != 4) Fail("input " + TensorLabel(x) + " must be 4-D (NHWC)");
  const std::int64_t in_hw[2] = {xs[1] + win.pad_begin[0] + win.pad_end[0],
                                 xs[2] + win.pad_begin[1] + win.pad_end[1]};
  const std::int64_t channels = xs[3];
  std::int64_t group = 1;
  Tensor weight = ConstantOf(w);
  QuantParams wq = QuantOf(w);
  if (wq.empty()) Fail("weight " + TensorLabel(w) + " has no quantization parameters");
  std::int64_t kernel[2] = {0, 0};
  if (depthwise) {
    // [1, KH, KW, C·M] → [C·M, 1, KH, KW], group C.
    if (ws[0] != 1 || channels == 0 || ws[3] % channels != 0) {
      Fail("weight shape " + golden::ShapeToString(ws) + " does not fit " +
           std::to_string(channels) + " input channels");
    }
    kernel[0] = ws[1];
    kernel[1] = ws[2];
    weight = TransposeTensor(weight, {3, 0, 1, 2});
    if (wq.per_axis()) {
      if (wq.axis != 3) Fail("weight " + TensorLabel(w) + " must be quantized along dimension 3");
      wq.axis = 0;
    }
    group = channels;
  } else {
    // [O, KH, KW, I] → [O, I, KH, KW]; I < C: grouped convolution.
    if (ws[3] == 0 || channels % ws[3] != 0) {
      Fail("weight shape " + golden::ShapeToString(ws) + " does not fit " +
           std::to_string(channels) + " input channels");
    }
    kernel[0] = ws[1];
    kernel[1] = ws[2];
    weight = TransposeTensor(weight, {0, 3, 1, 2});
    if (wq.per_axis() && wq.axis != 0) {
      Fail("weight " + TensorLabel(w) + " must be quantized along dimension 0");
    }
    group = channels / ws[3];
  }
  for (const std::int32_t z : wq.zero_points) {
    if (z != 0)
      Fail("weight " + TensorLabel(w) + " has zero point " + std::to_string(z) +
           "; TFLite's int8 convolution takes symmetric weights");
  }
  ResolvePadding(padding, in_hw, kernel, win);

  const std::string x_name = Get(x, Layout::kNchw);
  const std::string w_name = names_[static_cast<std::size_t>(w)] + "@oihw";
  graph_.AddConstant(w_name, std::move(weight), wq);
  std::vector<std::string> inputs = {x_name, w_name};
  if (b >= 0) {
    const std::string b_name = names_[static_cast<std::size_t>(b)];
    if (!graph_.IsConstant(b_name)) graph_.AddConstant(b_name, ConstantOf(b));
    inputs.push_back(b_name);
  }
  Node n = MakeNode("Conv", inputs, {Produce(y, Layout::kNchw)});
  n.attrs.Set("strides", std::vector<std::int64_t>{win.stride[0], win.stride[1]});
  n.attrs.Set("dilations", std::vector<std::int64_t>{win.dilation[0], win.dilation[1]});
  n.attrs.Set("pads", std::vector<std::int64_t>{win.pad_begin[0], win.pad_begin[1], win.pad_end[0],
                                                win.pad_end[1]});
  n.attrs.Set("group", group);
  SetClamp(n, act, y);
  AddNode(std::move(n));
}

void Importer::FullyConnected(const fb::Operator* op) {
  ExpectIo(op, 2, 3, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t w = In(op, 1);
  const std::int32_t b = In(op, 2, /*optional=*/true);
  const std::int32_t y = Out(op, 0);
  CheckActivationType(x);
  CheckActivationType(y);
  PerTensorQuant(x, "input");
  PerTensorQuant(y, "output");
  const fb::FullyConnectedOptions* o = op->builtin_options_as_FullyConnectedOptions();
  fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE;
  if (o != nullptr) {
    act = o->fused_activation_function();
    if (o->weights_format() != fb::FullyConnectedOptionsWeightsFormat::DEFAULT) {
      Fail("weights_format SHUFFLED4x16INT8 is not supported");
    }
    if (o->quantized_bias_type() != fb::TensorType::FLOAT32 &&
        o->quantized_bias_type() != fb::TensorType::INT32) {
      Fail("quantized_bias_type " + TypeName(o->quantized_bias_type()) + " is not supported");
    }
  }
  if (!IsConstant(w) || TypeOf(w) != DType::kInt8)
    Fail("weight " + TensorLabel(w) + " must be a constant int8 tensor");
  if (b >= 0 && (TypeOf(b) != DType::kInt32 || !IsConstant(b))) {
    Fail("bias " + TensorLabel(b) + " must be a constant INT32 tensor");
  }
  const Shape ws = ShapeOf(w);
  if (ws.size() != 2) Fail("weight " + TensorLabel(w) + " must be 2-D [units, depth]");
  QuantParams wq = QuantOf(w);
  if (wq.empty()) Fail("weight " + TensorLabel(w) + " has no quantization parameters");
  if (wq.per_axis()) Fail("per-channel weights are not supported for FULLY_CONNECTED yet");
  if (wq.zero_points[0] != 0) {
    Fail("weight " + TensorLabel(w) + " has zero point " + std::to_string(wq.zero_points[0]) +
         "; TFLite's int8 fully connected takes symmetric weights");
  }
  const std::int64_t depth = ws[1];
  const Shape xs = ShapeOf(x);
  const std::int64_t numel = golden::NumElements(xs);
  if (depth == 0 || numel % depth != 0) {
    Fail("input shape " + golden::ShapeToString(xs) + " does not split into rows of " +
         std::to_string(depth));
  }
  std::string a = Get(x, Layout::kTrue);
  const Shape rows{numel / depth, depth};
  if (xs != rows) {
    const std::string flat = names_[static_cast<std::size_t>(x)] + "@rows";
    if (!graph_.HasTensor(flat)) {
      Node r = MakeNode("Reshape", {a}, {flat});
      r.attrs.Set("shape", rows);
      TensorInfo info = graph_.Info(a);
      info.name = flat;
      info.shape = rows;
      graph_.tensors[flat] = info;
      AddNode(std::move(r));
    }
    a = flat;
  }
  const std::string w_name = names_[static_cast<std::size_t>(w)] + "@kn";
  graph_.AddConstant(w_name, TransposeTensor(ConstantOf(w), {1, 0}), wq);
  std::vector<std::string> inputs = {a, w_name};
  if (b >= 0) {
    const std::string b_name = names_[static_cast<std::size_t>(b)];
    if (!graph_.IsConstant(b_name)) graph_.AddConstant(b_name, ConstantOf(b));
    inputs.push_back(b_name);
  }
  // An int32 MatMul (the accelerator can run it) and TFLite's output stage (TfliteFcRequant).
  const Shape ys = ShapeOf(y);
  const Shape mat{numel / depth, ws[0]};
  const std::string acc = names_[static_cast<std::size_t>(y)] + "@acc";
  TensorInfo acc_info;
  acc_info.name = acc;
  acc_info.dtype = DType::kInt32;
  acc_info.shape = mat;
  graph_.tensors[acc] = acc_info;
  Node n = MakeNode("MatMul", inputs, {acc});
  n.attrs.Set("output_dtype", std::string("int32"));
  AddNode(std::move(n));
  const QuantParams xq = QuantOf(x);
  const QuantParams yq = QuantOf(y);
  // TFLite's GetQuantizedConvolutionMultipler: the scale product in float32, the ratio in double.
  const float product = xq.scales[0] * wq.scales[0];
  const double real = static_cast<double>(product) / static_cast<double>(yq.scales[0]);
  const bool reshape_out = ys != mat;
  std::string out_name;
  if (reshape_out) {
    out_name = names_[static_cast<std::size_t>(y)] + "@rows";
    TensorInfo info;
    info.name = out_name;
    info.dtype = TypeOf(y);
    info.shape = mat;
    info.quant = yq;
    graph_.tensors[out_name] = info;
  } else {
    out_name = Produce(y, Layout::kTrue);
  }
  Node rq = MakeNode("TfliteFcRequant", {acc}, {out_name});
  rq.requant = {golden::QuantizeMultiplier(real)};
  rq.attrs.Set("output_dtype", std::string(TypeOf(y) == DType::kUInt8 ? "uint8" : "int8"));
  SetClamp(rq, act, y);
  AddNode(std::move(rq));
  if (reshape_out) {
    Node r = MakeNode("Reshape", {out_name}, {Produce(y, Layout::kTrue)});
    r.attrs.Set("shape", ys);
    AddNode(std::move(r));
  }
}

void Importer::AddOrMul(const fb::Operator* op, bool mul) {
  ExpectIo(op, 2, 2, 1);
  const std::int32_t a = In(op, 0);
  const std::int32_t b = In(op, 1);
  const std::int32_t y = Out(op, 0);
  for (std::int32_t t : {a, b, y}) {
    CheckActivationType(t);
    PerTensorQuant(t, t == y ? "output" : "input");
  }
  fb::ActivationFunctionType act = fb::ActivationFunctionType::NONE;
  if (mul) {
    if (const fb::MulOptions* o = op->builtin_options_as_MulOptions())
      act = o->fused_activation_function();
  } else if (const fb::AddOptions* o = op->builtin_options_as_AddOptions()) {
    act = o->fused_activation_function();
  }
  const bool all4 = ShapeOf(a).size() == 4 && ShapeOf(b).size() == 4 && ShapeOf(y).size() == 4;
  const Layout layout =
      all4 && (PreferredLayout(a) == Layout::kNchw || PreferredLayout(b) == Layout::kNchw)
          ? Layout::kNchw
          : Layout::kTrue;
  const std::string an = Get(a, layout);
  const std::string bn = Get(b, layout);
  Node n = MakeNode(mul ? "TfliteMul" : "Add", {an, bn}, {Produce(y, layout)});
  SetClamp(n, act, y);
  AddNode(std::move(n));
}

void Importer::Pool(const fb::Operator* op, bool average) {
  ExpectIo(op, 1, 1, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  CheckActivationType(x);
  CheckActivationType(y);
  const fb::Pool2DOptions* o = op->builtin_options_as_Pool2DOptions();
  if (o == nullptr) Fail("Pool2DOptions are missing");
  if (!(QuantOf(x) == QuantOf(y))) {
    Fail("input and output quantization differ; TFLite's int8 pools keep them equal");
  }
  const Shape xs = ShapeOf(x);
  if (xs.size() != 4) Fail("input " + TensorLabel(x) + " must be 4-D (NHWC)");
  Window win;
  win.stride[0] = o->stride_h();
  win.stride[1] = o->stride_w();
  const std::int64_t kernel[2] = {o->filter_height(), o->filter_width()};
  if (win.stride[0] < 1 || win.stride[1] < 1 || kernel[0] < 1 || kernel[1] < 1) {
    Fail("filter sizes and strides must be >= 1");
  }
  const std::int64_t in_hw[2] = {xs[1], xs[2]};
  ResolvePadding(o->padding(), in_hw, kernel, win);
  const std::string xn = Get(x, Layout::kNchw);
  const std::string yn = Produce(y, Layout::kNchw);
  const std::vector<std::int64_t> pads{win.pad_begin[0], win.pad_begin[1], win.pad_end[0],
                                       win.pad_end[1]};
  if (average) {
    Node n = MakeNode("TfliteAveragePool", {xn}, {yn});
    n.attrs.Set("kernel_shape", std::vector<std::int64_t>{kernel[0], kernel[1]});
    n.attrs.Set("strides", std::vector<std::int64_t>{win.stride[0], win.stride[1]});
    n.attrs.Set("pads", pads);
    SetClamp(n, o->fused_activation_function(), y);
    AddNode(std::move(n));
    return;
  }
  Node clip;
  std::string pool_out = yn;
  const bool has_act = o->fused_activation_function() != fb::ActivationFunctionType::NONE;
  if (has_act) {
    pool_out = yn + "@pool";
    TensorInfo info = graph_.Info(yn);
    info.name = pool_out;
    graph_.tensors[pool_out] = info;
  }
  Node n = MakeNode("MaxPool", {xn}, {pool_out});
  n.attrs.Set("kernel_shape", std::vector<std::int64_t>{kernel[0], kernel[1]});
  n.attrs.Set("strides", std::vector<std::int64_t>{win.stride[0], win.stride[1]});
  n.attrs.Set("pads", pads);
  AddNode(std::move(n));
  if (has_act) {
    Node c = MakeNode("Clip", {pool_out}, {yn});
    Node bounds;
    SetClamp(bounds, o->fused_activation_function(), y);
    c.attrs.Set("min", bounds.attrs.GetInt("clamp_min"));
    c.attrs.Set("max", bounds.attrs.GetInt("clamp_max"));
    AddNode(std::move(c));
  }
}

void Importer::Mean(const fb::Operator* op) {
  ExpectIo(op, 2, 2, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  CheckActivationType(x);
  CheckActivationType(y);
  PerTensorQuant(x, "input");
  PerTensorQuant(y, "output");
  std::vector<std::int64_t> axes = IntsOf(In(op, 1), "axis");
  const fb::ReducerOptions* o = op->builtin_options_as_ReducerOptions();
  const bool keep = o != nullptr && o->keep_dims();
  const auto rank = static_cast<std::int64_t>(ShapeOf(x).size());
  for (std::int64_t& a : axes) {
    if (a < -rank || a >= rank)
      Fail("axis " + std::to_string(a) + " is outside rank " + std::to_string(rank));
    if (a < 0) a += rank;
  }
  Layout layout = keep ? PreferredLayout(x) : Layout::kTrue;
  if (layout == Layout::kNchw) {
    const std::vector<std::int64_t> inv = Inverse({kToNchw.begin(), kToNchw.end()});
    for (std::int64_t& a : axes) a = inv[static_cast<std::size_t>(a)];
  }
  const std::string xn = Get(x, layout);
  Node n = MakeNode("TfliteMean", {xn}, {Produce(y, layout)});
  n.attrs.Set("axes", axes);
  n.attrs.Set("keepdims", std::int64_t{keep ? 1 : 0});
  AddNode(std::move(n));
}

void Importer::Pad(const fb::Operator* op, bool v2) {
  ExpectIo(op, 2, v2 ? 3 : 2, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  if (folded_pads_.count(y) != 0) return;  // folded into the convolution that reads it
  if (!(QuantOf(x) == QuantOf(y))) Fail("input and output quantization differ");
  const Shape xs = ShapeOf(x);
  const std::vector<std::int64_t> p = IntsOf(In(op, 1), "paddings");
  if (p.size() != 2 * xs.size()) Fail("paddings must be [rank, 2]");
  for (std::int64_t v : p) {
    if (v < 0) Fail("negative padding " + std::to_string(v) + " is not supported");
  }
  const Layout layout = PreferredLayout(x);
  std::vector<std::int64_t> begins(xs.size()), ends(xs.size());
  for (std::size_t a = 0; a < xs.size(); ++a) {
    begins[a] = p[2 * a];
    ends[a] = p[2 * a + 1];
  }
  if (layout == Layout::kNchw) {
    begins = Permute(begins, {kToNchw.begin(), kToNchw.end()});
    ends = Permute(ends, {kToNchw.begin(), kToNchw.end()});
  }
  std::vector<std::int64_t> pads = begins;
  pads.insert(pads.end(), ends.begin(), ends.end());
  const std::string xn = Get(x, layout);
  Node n = MakeNode("Pad", {xn}, {Produce(y, layout)});
  n.attrs.Set("pads", pads);
  n.attrs.Set("value", static_cast<double>(PadValueOf(op, v2)));
  AddNode(std::move(n));
}

void Importer::Reshape(const fb::Operator* op) {
  ExpectIo(op, 1, 2, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  if (!(QuantOf(x) == QuantOf(y))) Fail("input and output quantization differ");
  const std::string xn = Get(x, Layout::kTrue);
  Node n = MakeNode("Reshape", {xn}, {Produce(y, Layout::kTrue)});
  n.attrs.Set("shape", ShapeOf(y));
  AddNode(std::move(n));
}

void Importer::Transpose(const fb::Operator* op) {
  ExpectIo(op, 2, 2, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  if (!(QuantOf(x) == QuantOf(y))) Fail("input and output quantization differ");
  const std::vector<std::int64_t> t = IntsOf(In(op, 1), "perm");
  const std::size_t rank = ShapeOf(x).size();
  std::vector<bool> seen(rank, false);
  if (t.size() != rank)
    Fail("perm has " + std::to_string(t.size()) + " entries for rank " + std::to_string(rank));
  for (std::int64_t v : t) {
    if (v < 0 || static_cast<std::size_t>(v) >= rank || seen[static_cast<std::size_t>(v)]) {
      Fail("perm is not a permutation of 0.." + std::to_string(rank - 1));
    }
    seen[static_cast<std::size_t>(v)] = true;
  }
  // stored_out = transpose(stored_in, Qin⁻¹[T[Qout]]).
  const Layout in_layout = PreferredLayout(x);
  const Layout out_layout = rank == 4 ? Layout::kNchw : Layout::kTrue;
  std::vector<std::int64_t> q_in_inv(rank), q_out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    q_in_inv[i] = in_layout == Layout::kNchw ? kFromNchw[i] : static_cast<std::int64_t>(i);
    q_out[i] = out_layout == Layout::kNchw ? kToNchw[i] : static_cast<std::int64_t>(i);
  }
  std::vector<std::int64_t> perm(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    perm[i] = q_in_inv[static_cast<std::size_t>(t[static_cast<std::size_t>(q_out[i])])];
  }
  const std::string xn = Get(x, in_layout);
  if (IsIdentity(perm) && graph_outputs_.count(y) == 0) {
    avail_[y][out_layout] = xn;  // the same values, already in the wanted order
    return;
  }
  const Shape in_shape = graph_.Info(xn).shape;
  Node n;
  if (TransposeIsReshape(in_shape, perm)) {
    n = MakeNode("Reshape", {xn}, {Produce(y, out_layout)});
    n.attrs.Set("shape", Permute(in_shape, perm));
  } else {
    n = MakeNode("Transpose", {xn}, {Produce(y, out_layout)});
    n.attrs.Set("perm", perm);
  }
  AddNode(std::move(n));
}

void Importer::Concatenation(const fb::Operator* op) {
  if (op->inputs() == nullptr || op->inputs()->size() < 1) Fail("has no inputs");
  ExpectIo(op, 1, op->inputs()->size(), 1);
  const std::int32_t y = Out(op, 0);
  const fb::ConcatenationOptions* o = op->builtin_options_as_ConcatenationOptions();
  if (o == nullptr) Fail("ConcatenationOptions are missing");
  if (o->fused_activation_function() != fb::ActivationFunctionType::NONE) {
    Fail("a fused activation on CONCATENATION is not supported");
  }
  const auto rank = static_cast<std::int64_t>(ShapeOf(y).size());
  std::int64_t axis = o->axis();
  if (axis < -rank || axis >= rank)
    Fail("axis " + std::to_string(axis) + " is outside rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  std::vector<std::int32_t> ins;
  bool nchw = rank == 4;
  for (std::uint32_t i = 0; i < op->inputs()->size(); ++i) {
    const std::int32_t x = In(op, i);
    if (!(QuantOf(x) == QuantOf(y))) {
      Fail("input " + TensorLabel(x) +
           " has other quantization parameters than the output; "
           "TFLite's int8 concatenation needs equal ones");
    }
    ins.push_back(x);
  }
  if (nchw) nchw = PreferredLayout(ins[0]) == Layout::kNchw;
  const Layout layout = nchw ? Layout::kNchw : Layout::kTrue;
  if (nchw) axis = Inverse({kToNchw.begin(), kToNchw.end()})[static_cast<std::size_t>(axis)];
  std::vector<std::string> names;
  for (std::int32_t x : ins) names.push_back(Get(x, layout));
  Node n = MakeNode("Concat", names, {Produce(y, layout)});
  n.attrs.Set("axis", axis);
  AddNode(std::move(n));
}

void Importer::Quantize(const fb::Operator* op) {
  ExpectIo(op, 1, 1, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  CheckActivationType(y);
  PerTensorQuant(y, "output");
  if (TypeOf(x) != DType::kFloat32) {
    Fail("requantizing QUANTIZE (" + std::string(golden::DTypeName(TypeOf(x))) + " to " +
         std::string(golden::DTypeName(TypeOf(y))) + ") is not supported; float32 input is");
  }
  const Layout layout = PreferredLayout(x);
  const std::string xn = Get(x, layout);
  AddNode(MakeNode("TfliteQuantize", {xn}, {Produce(y, layout)}));
}

void Importer::Dequantize(const fb::Operator* op) {
  ExpectIo(op, 1, 1, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  CheckActivationType(x);
  PerTensorQuant(x, "input");
  if (TypeOf(y) != DType::kFloat32) Fail("the output must be FLOAT32");
  const Layout layout = PreferredLayout(x);
  const std::string xn = Get(x, layout);
  AddNode(MakeNode("DequantizeLinear", {xn}, {Produce(y, layout)}));
}

void Importer::Relu(const fb::Operator* op, fb::BuiltinOperator code) {
  ExpectIo(op, 1, 1, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  CheckActivationType(x);
  CheckActivationType(y);
  if (!(QuantOf(x) == QuantOf(y))) {
    Fail("input and output quantization differ; only an activation that keeps them is supported");
  }
  const fb::ActivationFunctionType act =
      code == fb::BuiltinOperator::RELU    ? fb::ActivationFunctionType::RELU
      : code == fb::BuiltinOperator::RELU6 ? fb::ActivationFunctionType::RELU6
                                           : fb::ActivationFunctionType::RELU_N1_TO_1;
  Node bounds;
  SetClamp(bounds, act, y);
  const Layout layout = PreferredLayout(x);
  const std::string xn = Get(x, layout);
  Node n = MakeNode("Clip", {xn}, {Produce(y, layout)});
  n.attrs.Set("min", bounds.attrs.GetInt("clamp_min"));
  n.attrs.Set("max", bounds.attrs.GetInt("clamp_max"));
  AddNode(std::move(n));
}

void Importer::Softmax(const fb::Operator* op) {
  ExpectIo(op, 1, 1, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  const fb::SoftmaxOptions* o = op->builtin_options_as_SoftmaxOptions();
  const double beta = o == nullptr ? 1.0 : static_cast<double>(o->beta());
  if (TypeOf(x) != DType::kInt8 || TypeOf(y) != DType::kInt8) {
    Fail("only int8 → int8 softmax is supported (input " +
         std::string(golden::DTypeName(TypeOf(x))) + ", output " +
         std::string(golden::DTypeName(TypeOf(y))) + ")");
  }
  const QuantParams q = PerTensorQuant(y, "output");
  if (q.scales[0] != 1.0f / 256.0f || q.zero_points[0] != -128) {
    Fail("the output must have scale 1/256 and zero point -128 (TFLite's int8 softmax)");
  }
  const std::string xn = Get(x, Layout::kTrue);
  Node n = MakeNode("TfliteSoftmax", {xn}, {Produce(y, Layout::kTrue)});
  n.attrs.Set("beta", static_cast<double>(static_cast<float>(beta)));
  AddNode(std::move(n));
}

void Importer::Logistic(const fb::Operator* op) {
  ExpectIo(op, 1, 1, 1);
  const std::int32_t x = In(op, 0);
  const std::int32_t y = Out(op, 0);
  if (TypeOf(x) != DType::kInt8 || TypeOf(y) != DType::kInt8) {
    Fail("only int8 → int8 logistic is supported");
  }
  PerTensorQuant(x, "input");
  const QuantParams q = PerTensorQuant(y, "output");
  if (q.scales[0] != 1.0f / 256.0f || q.zero_points[0] != -128) {
    Fail("the output must have scale 1/256 and zero point -128 (TFLite's int8 logistic)");
  }
  const Layout layout = PreferredLayout(x);
  const std::string xn = Get(x, layout);
  AddNode(MakeNode("TfliteLogistic", {xn}, {Produce(y, layout)}));
}

void Importer::ImportOperator(const fb::Operator* op, fb::BuiltinOperator code) {
  using Op = fb::BuiltinOperator;
  switch (code) {
    case Op::CONV_2D:
      return Conv(op, /*depthwise=*/false);
    case Op::DEPTHWISE_CONV_2D:
      return Conv(op, /*depthwise=*/true);
    case Op::FULLY_CONNECTED:
      return FullyConnected(op);
    case Op::ADD:
      return AddOrMul(op, /*mul=*/false);
    case Op::MUL:
      return AddOrMul(op, /*mul=*/true);
    case Op::AVERAGE_POOL_2D:
      return Pool(op, /*average=*/true);
    case Op::MAX_POOL_2D:
      return Pool(op, /*average=*/false);
    case Op::MEAN:
      return Mean(op);
    case Op::PAD:
      return Pad(op, /*v2=*/false);
    case Op::PADV2:
      return Pad(op, /*v2=*/true);
    case Op::RESHAPE:
    case Op::SQUEEZE:
      return Reshape(op);
    case Op::TRANSPOSE:
      return Transpose(op);
    case Op::CONCATENATION:
      return Concatenation(op);
    case Op::QUANTIZE:
      return Quantize(op);
    case Op::DEQUANTIZE:
      return Dequantize(op);
    case Op::RELU:
    case Op::RELU6:
    case Op::RELU_N1_TO_1:
      return Relu(op, code);
    case Op::SOFTMAX:
      return Softmax(op);
    case Op::LOGISTIC:
      return Logistic(op);
    default:
      break;
  }
  Fail("operator is not supported (docs/tflite-import.md lists the imported ones)");
}

Graph Importer::Run() {
  if (model_->version() != 3) {
    throw Error(source_ + ": schema version " + std::to_string(model_->version()) +
                " is not supported (version 3 is)");
  }
  if (model_->subgraphs() == nullptr || model_->subgraphs()->size() == 0 ||
      model_->subgraphs()->Get(0) == nullptr) {
    throw Error(source_ + ": the model has no subgraph");
  }
  sg_ = model_->subgraphs()->Get(0);
  const std::uint32_t n_tensors = sg_->tensors() == nullptr ? 0 : sg_->tensors()->size();
  std::set<std::string> used;
  for (std::uint32_t i = 0; i < n_tensors; ++i) {
    const fb::Tensor* t = sg_->tensors()->Get(i);
    std::string name = t != nullptr && t->name() != nullptr ? t->name()->str() : "";
    if (name.empty() || used.count(name) != 0 || name.find('@') != std::string::npos) {
      name = (name.empty() ? "tensor" : name) + "#" + std::to_string(i);
    }
    used.insert(name);
    names_.push_back(name);
    if (t != nullptr && t->sparsity() != nullptr) {
      throw Error(source_ + ": tensor '" + name + "' is sparse, which is not supported");
    }
    if (t != nullptr && t->is_variable()) {
      throw Error(source_ + ": tensor '" + name + "' is a variable, which is not supported");
    }
  }
  graph_.name = sg_->name() != nullptr && sg_->name()->size() != 0 ? sg_->name()->str() : "tflite";
  if (sg_->outputs() != nullptr) {
    for (std::int32_t o : *sg_->outputs()) graph_outputs_.insert(o);
  }
  if (sg_->inputs() != nullptr) {
    for (std::int32_t i : *sg_->inputs()) {
      T(i);
      if (IsConstant(i)) continue;
      LabelFirstReader(i);
      TensorInfo info;
      info.name = names_[static_cast<std::size_t>(i)];
      info.dtype = TypeOf(i);
      info.shape = ShapeOf(i);
      info.quant = QuantOf(i);
      if (info.quant.per_axis())
        Fail("graph input " + TensorLabel(i) + " must be quantized per tensor");
      graph_.tensors[info.name] = info;
      graph_.inputs.push_back(info.name);
      avail_[i][Layout::kTrue] = info.name;
      op_label_.clear();
    }
  }
  FindFoldablePads();
  const std::uint32_t n_ops = sg_->operators() == nullptr ? 0 : sg_->operators()->size();
  for (std::uint32_t k = 0; k < n_ops; ++k) {
    const fb::Operator* op = sg_->operators()->Get(k);
    op_label_ = OperatorLabel(k);  // throws for an invalid opcode index
    const fb::BuiltinOperator code = BuiltinOf(CodeTableOf(op));
    if (code == fb::BuiltinOperator::CUSTOM) Fail("custom operators are not supported");
    ImportOperator(op, code);
  }
  op_label_.clear();
  if (sg_->outputs() != nullptr) {
    for (std::int32_t o : *sg_->outputs()) {
      T(o);
      graph_.outputs.push_back(Get(o, Layout::kTrue));
    }
  }
  try {
    graph_.Validate();
  } catch (const Error& e) {
    throw Error(source_ + ": " + e.what());
  }
  return std::move(graph_);
}

}  // namespace

golden::Graph ImportTfliteBytes(std::string_view bytes, std::string_view source) {
  const std::string src(source);
  if (bytes.empty()) throw Error(src + ": the file is empty; expected a TFLite model");
  if (bytes.size() < 8 || !flatbuffers::BufferHasIdentifier(bytes.data(), fb::ModelIdentifier())) {
    throw Error(src + ": not a TFLite model (no TFL3 file identifier)");
  }
  flatbuffers::Verifier verifier(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (!fb::VerifyModelBuffer(verifier)) {
    throw Error(src + ": not a TFLite model (the flatbuffer data is malformed or truncated)");
  }
  return Importer(fb::GetModel(bytes.data()), src).Run();
}

golden::Graph ImportTfliteFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot open file");
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) throw Error(path + ": cannot read file");
  return ImportTfliteBytes(bytes, path);
}

}  // namespace qsa::importer

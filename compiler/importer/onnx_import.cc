// ONNX importer: the import state and passes (compiler/importer/onnx_internal.h), the dispatch of
// each node to its converter, and the public entry points. Converters of the default-domain ops:
// convert_*.cc (convert.h); QOperator ops: onnx_qoperator.cc; QDQ patterns: onnx_qdq.cc; the
// rules: docs/onnx-import.md.
#include "compiler/importer/onnx_import.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <utility>

#include "compiler/importer/convert.h"
#include "compiler/importer/onnx_internal.h"
#include "compiler/onnx_model/tensor.h"
#include "model/base/error.h"
#include "model/base/read_file.h"
#include "model/base/text.h"
#include "model/golden/op_registry.h"

namespace qsa::importer {
namespace onnx_internal {

using golden::DType;
using golden::QuantParams;
using golden::Shape;
using golden::Tensor;

namespace {

const std::string kEmpty;

bool IsDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

}  // namespace

std::string TypeText(DType dtype) { return std::string(golden::DTypeName(dtype)); }

std::string FloatText(double v) {
  std::ostringstream s;
  s.precision(std::numeric_limits<float>::max_digits10);
  s << v;
  return s.str();
}

// ---- Small helpers shared by the converters -----------------------------------------------------

bool OnnxNode::Has(std::size_t i) const {
  return i < input_count() && !proto->input(static_cast<int>(i)).empty();
}

const std::string& OnnxNode::In(std::size_t i) const {
  return i < input_count() ? proto->input(static_cast<int>(i)) : kEmpty;
}

const std::string& OnnxNode::Out(std::size_t i) const {
  return i < output_count() ? proto->output(static_cast<int>(i)) : kEmpty;
}

std::string DescribeQuant(const QuantParams& q) {
  std::ostringstream s;
  s.precision(std::numeric_limits<float>::max_digits10);
  if (q.per_axis()) {
    s << "per-axis parameters (axis " << q.axis << ", "
      << std::max(q.scales.size(), q.zero_points.size()) << " channels)";
    return s.str();
  }
  if (q.scales.empty() && q.zero_points.empty()) return "no quantization parameters";
  if (!q.scales.empty()) s << "scale " << q.scales[0] << ", ";
  s << "zero point " << (q.zero_points.empty() ? 0 : q.zero_points[0]);
  return s.str();
}

// ---- Importer: set-up ---------------------------------------------------------------------------

Importer::Importer(const onnx::ModelProto& model, std::string source, const ImportOptions& options)
    : model_(model), onnx_graph_(model.graph()), source_(std::move(source)), options_(options) {}

void Importer::Fail(const OnnxNode& n, const std::string& message) const {
  throw Error(source_ + ": " + n.label + ": " + message);
}

void Importer::FailModel(const std::string& message) const {
  throw Error(source_ + ": " + message);
}

void Importer::Relabel(const OnnxNode& n, const std::string& ir_label,
                       const std::string& what) const {
  // Messages of the IR ops start with the IR node's label ("Conv 'conv1': "); the ONNX node's
  // label says more to the user, so it replaces it.
  const std::string prefix = ir_label + ": ";
  Fail(n, what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what);
}

ImportResult Importer::Run() {
  bool has_default = false;
  for (const onnx::OperatorSetIdProto& set : model_.opset_import()) {
    if (IsDefaultDomain(set.domain())) {
      has_default = true;
      opset_ = set.version();
    }
  }
  if (!has_default) FailModel("the model imports no default-domain (ai.onnx) opset");
  if (opset_ > kMaxOpset) {
    FailModel("opset " + std::to_string(opset_) + " is newer than the newest supported (" +
              std::to_string(kMaxOpset) + ", ONNX 1.12)");
  }
  IndexGraph();
  CollectConstants();
  BindParameterInputs();
  CollectQuant();
  PropagateQuant();
  fusions_ = FindFusions(*this, absorbed_);
  for (const OnnxNode& n : nodes_) {
    if (auto f = fusions_.find(n.index); f != fusions_.end()) {
      EmitFusion(*this, f->second);
    } else if (absorbed_.count(n.index) == 0) {
      EmitNode(n);
    }
  }
  Finish();
  return ImportResult{std::move(graph_), std::move(bound_)};
}

void Importer::IndexGraph() {
  graph_.name = onnx_graph_.name();
  std::set<std::string> initializers;
  for (const onnx::TensorProto& init : onnx_graph_.initializer()) {
    initializers.insert(init.name());
    used_names_.insert(init.name());
  }
  for (const onnx::ValueInfoProto& input : onnx_graph_.input()) {
    used_names_.insert(input.name());
    if (initializers.count(input.name()) == 0) graph_inputs_[input.name()] = &input;
  }
  for (const onnx::ValueInfoProto& info : onnx_graph_.value_info())
    value_info_[info.name()] = &info;
  if (onnx_graph_.output_size() == 0) {
    FailModel("the graph declares no outputs; a model needs at least one");
  }
  for (const onnx::ValueInfoProto& output : onnx_graph_.output()) {
    graph_outputs_.insert(output.name());
    used_names_.insert(output.name());
    value_info_.emplace(output.name(), &output);
  }
  std::set<std::string> onnx_names;
  for (const onnx::NodeProto& node : onnx_graph_.node()) {
    if (!node.name().empty()) onnx_names.insert(node.name());
  }
  for (int k = 0; k < onnx_graph_.node_size(); ++k) {
    const onnx::NodeProto& proto = onnx_graph_.node(k);
    OnnxNode n;
    n.proto = &proto;
    n.index = nodes_.size();
    // The ONNX name, else the first output's, else the op type; made unique against every
    // ONNX node name.
    const std::string base = !proto.name().empty() ? proto.name()
                             : proto.output_size() > 0 && !proto.output(0).empty()
                                 ? proto.output(0)
                                 : proto.op_type();
    std::string candidate = base;
    for (int suffix = 1; node_names_.count(candidate) != 0 ||
                         (candidate != proto.name() && onnx_names.count(candidate) != 0);
         ++suffix) {
      candidate = base + "_" + std::to_string(suffix);
    }
    n.name = candidate;
    node_names_.insert(candidate);
    n.label = base::Printable(proto.op_type()) + " " + base::Quote(n.name);
    std::set<std::string> attribute_names;
    for (const onnx::AttributeProto& attr : proto.attribute()) {
      if (!attribute_names.insert(attr.name()).second) {
        Fail(n, "attribute " + base::Quote(attr.name()) + " is given twice");
      }
    }
    for (const std::string& out : proto.output()) {
      if (out.empty()) continue;
      used_names_.insert(out);
      if (producer_.count(out) != 0 || initializers.count(out) != 0 ||
          graph_inputs_.count(out) != 0) {
        Fail(n, "output '" + out +
                    "' is already produced by another node, an initializer or a "
                    "graph input");
      }
      producer_[out] = n.index;
    }
    for (const std::string& in : proto.input()) {
      if (in.empty()) continue;
      used_names_.insert(in);
      consumers_[in].push_back(n.index);
    }
    nodes_.push_back(std::move(n));
  }
}

void Importer::CollectConstants() {
  for (const onnx::TensorProto& init : onnx_graph_.initializer()) {
    if (init.name().empty()) FailModel("an initializer has no name");
    constants_[init.name()] = ConstantValue{&init, nullptr};
  }
  for (const OnnxNode& n : nodes_) {
    if (n.op() != "Constant" || !IsDefaultDomain(n.proto->domain())) continue;
    if (n.output_count() != 1) Fail(n, "expects 1 output");
    if (n.proto->attribute_size() != 1) Fail(n, "expects exactly one value attribute");
    const onnx::AttributeProto& attr = n.proto->attribute(0);
    const std::string& name = attr.name();
    onnx::TensorProto proto;
    if (name == "value") {
      proto = attr.t();
    } else if (name == "value_float") {
      proto.set_data_type(onnx::TensorProto::FLOAT);
      proto.add_float_data(attr.f());
    } else if (name == "value_floats") {
      proto.set_data_type(onnx::TensorProto::FLOAT);
      proto.add_dims(attr.floats_size());
      for (float v : attr.floats()) proto.add_float_data(v);
    } else if (name == "value_int") {
      proto.set_data_type(onnx::TensorProto::INT64);
      proto.add_int64_data(attr.i());
    } else if (name == "value_ints") {
      proto.set_data_type(onnx::TensorProto::INT64);
      proto.add_dims(attr.ints_size());
      for (std::int64_t v : attr.ints()) proto.add_int64_data(v);
    } else {
      Fail(n, "attribute '" + name +
                  "' is not supported (expected value, value_float(s) or "
                  "value_int(s))");
    }
    proto.set_name(n.Out(0));
    owned_protos_.push_back(std::move(proto));
    constants_[n.Out(0)] = ConstantValue{&owned_protos_.back(), nullptr};
  }
}

void Importer::BindParameterInputs() {
  for (const OnnxNode& n : nodes_) {
    for (const auto& [index, role] : ParameterInputsOf(n, opset_)) {
      if (!n.Has(index)) continue;
      const std::string& tensor = n.In(index);
      if (constants_.count(tensor) != 0) continue;
      auto input = graph_inputs_.find(tensor);
      if (input == graph_inputs_.end()) continue;  // produced by a node: the converter decides
      auto given = options_.bound_inputs.find(tensor);
      if (given == options_.bound_inputs.end()) {
        Fail(n, role + " '" + tensor + "' must be an initializer or a provided input");
      }
      // The value must fit the declaration (an int32 value stands for a declared int64).
      const onnx::TypeProto& type = input->second->type();
      if (type.has_tensor_type()) {
        const std::int32_t elem = type.tensor_type().elem_type();
        const std::optional<DType> declared = onnx_model::DTypeFromOnnx(elem);
        const bool fits =
            declared ? *declared == given->second.dtype()
                     : elem == onnx::TensorProto::INT64 && given->second.dtype() == DType::kInt32;
        if (!fits) {
          Fail(n, role + " '" + tensor + "' is declared " + onnx_model::OnnxTypeName(elem) +
                      " but the provided value is " + given->second.Describe());
        }
        if (type.tensor_type().has_shape()) {
          const auto& dims = type.tensor_type().shape().dim();
          bool same = dims.size() == static_cast<int>(given->second.shape().size());
          for (int d = 0; same && d < dims.size(); ++d) {
            same = !dims[d].has_dim_value() ||
                   dims[d].dim_value() == given->second.shape()[static_cast<std::size_t>(d)];
          }
          if (!same) {
            Fail(n, role + " '" + tensor + "' has a declared shape that the provided value " +
                        given->second.Describe() + " does not match");
          }
        }
      }
      constants_[tensor] = ConstantValue{nullptr, &given->second};
      bound_.insert(tensor);
    }
  }
}

// ---- Quantization parameters --------------------------------------------------------------------

void Importer::CollectQuant() {
  for (const OnnxNode& n : nodes_) {
    const bool q_or_dq = n.op() == "QuantizeLinear" || n.op() == "DequantizeLinear";
    for (const QuantSpec& spec : QuantSpecsOf(n)) {
      const std::string& tensor = spec.output ? n.Out(spec.tensor) : n.In(spec.tensor);
      if (tensor.empty()) continue;
      const bool has_scale = spec.scale != kNone && n.Has(spec.scale);
      if (q_or_dq) {
        // A runtime scale or zero point: the dynamic form, no parameters on the tensor.
        if (!has_scale || !IsConstant(n.In(spec.scale))) continue;
        if (n.Has(spec.zero_point) && !IsConstant(n.In(spec.zero_point))) continue;
      }
      if (spec.scale != kNone && !has_scale) Fail(n, "missing input " + spec.role + "_scale");
      const QuantParams params = ReadQuant(n, spec);
      if (params.scales.empty() && params.zero_points.empty()) continue;
      SetQuant(n, tensor, params, spec.role);
    }
  }
}

void Importer::SetQuant(const OnnxNode& n, const std::string& tensor, const QuantParams& params,
                        const std::string& role) {
  auto it = quant_.find(tensor);
  if (it == quant_.end()) {
    quant_[tensor] = QuantEntry{params, n.label};
    return;
  }
  QuantParams& have = it->second.params;
  if (have == params) return;
  // A zero point alone (ConvInteger) and full parameters agree when the zero points do.
  if (have.zero_points == params.zero_points && have.axis == params.axis &&
      (have.scales.empty() || params.scales.empty())) {
    if (have.scales.empty()) it->second = QuantEntry{params, n.label};
    return;
  }
  Fail(n, role + " '" + tensor + "' is given " + DescribeQuant(params) + " here but " +
              DescribeQuant(have) + " by " + it->second.origin +
              "; one tensor has one set of quantization parameters");
}

void Importer::PropagateQuant() {
  // Ops that pass stored integers through unchanged (or clamped) keep their meaning only with the
  // same parameters on both sides; carry per-tensor parameters to a side that has none.
  static const std::set<std::string> kPassThrough = {"Identity", "Reshape", "Flatten", "Transpose",
                                                     "MaxPool",  "Clip",    "Relu"};
  auto per_tensor = [this](const std::string& t) -> const QuantEntry* {
    auto it = quant_.find(t);
    if (it == quant_.end() || it->second.params.per_axis() || it->second.params.scales.empty()) {
      return nullptr;
    }
    return &it->second;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (const OnnxNode& n : nodes_) {
      if (!IsDefaultDomain(n.proto->domain()) || n.output_count() < 1 || !n.Has(0)) continue;
      const std::string& out = n.Out(0);
      if (kPassThrough.count(n.op()) != 0) {
        const std::string& in = n.In(0);
        if (quant_.count(out) == 0 && per_tensor(in) != nullptr) {
          quant_[out] = *per_tensor(in);
          changed = true;
        } else if (quant_.count(in) == 0 && per_tensor(out) != nullptr) {
          quant_[in] = *per_tensor(out);
          changed = true;
        }
      } else if (n.op() == "Concat") {
        if (const QuantEntry* q = per_tensor(out)) {
          for (std::size_t i = 0; i < n.input_count(); ++i) {
            if (n.Has(i) && quant_.count(n.In(i)) == 0) {
              quant_[n.In(i)] = *q;
              changed = true;
            }
          }
        } else if (quant_.count(out) == 0 && per_tensor(n.In(0)) != nullptr) {
          bool same = true;
          for (std::size_t i = 0; i < n.input_count(); ++i) {
            same = same && per_tensor(n.In(i)) != nullptr &&
                   per_tensor(n.In(i))->params == per_tensor(n.In(0))->params;
          }
          if (same) {
            quant_[out] = *per_tensor(n.In(0));
            changed = true;
          }
        }
      }
    }
  }
}

const QuantParams* Importer::Quant(const std::string& tensor) const {
  auto it = quant_.find(tensor);
  return it == quant_.end() ? nullptr : &it->second.params;
}

QuantParams Importer::ReadQuant(const OnnxNode& n, const QuantSpec& spec) const {
  const std::string& tensor = spec.output ? n.Out(spec.tensor) : n.In(spec.tensor);
  const std::string scale_role = spec.role + "_scale";
  const std::string zp_role = spec.role + "_zero_point";
  QuantParams q;
  std::size_t count = 0;
  if (spec.scale != kNone) {
    RequireConstant(n, spec.scale, scale_role);
    const Tensor scale = ConstantTensor(n, spec.scale, scale_role);
    if (scale.dtype() != DType::kFloat32) {
      Fail(n, scale_role + " '" + n.In(spec.scale) + "' is " + scale.Describe() +
                  "; expected float32");
    }
    if (scale.rank() > 1) {
      Fail(n, scale_role + " '" + n.In(spec.scale) + "' has shape " +
                  golden::ShapeToString(scale.shape()) + "; expected a scalar or a 1-D tensor");
    }
    for (float s : scale.Data<float>()) {
      if (!std::isfinite(s) || s <= 0.0f) {
        Fail(n, scale_role + " '" + n.In(spec.scale) + "' holds " + FloatText(s) +
                    "; scales must be positive and finite");
      }
      q.scales.push_back(s);
    }
    count = q.scales.size();
    if (count == 0) Fail(n, scale_role + " '" + n.In(spec.scale) + "' is empty");
  }
  if (n.Has(spec.zero_point)) {
    RequireConstant(n, spec.zero_point, zp_role);
    const Tensor zp = ConstantTensor(n, spec.zero_point, zp_role);
    if (!golden::IsInteger(zp.dtype())) {
      Fail(n, zp_role + " '" + n.In(spec.zero_point) + "' is " + zp.Describe() +
                  "; expected uint8, int8 or int32");
    }
    if (zp.rank() > 1) {
      Fail(n, zp_role + " '" + n.In(spec.zero_point) + "' has shape " +
                  golden::ShapeToString(zp.shape()) + "; expected a scalar or a 1-D tensor");
    }
    if (count != 0 && zp.size() != 1 && static_cast<std::size_t>(zp.size()) != count) {
      Fail(n, zp_role + " '" + n.In(spec.zero_point) + "' has " + std::to_string(zp.size()) +
                  " values for " + std::to_string(count) + " scales");
    }
    if (count == 0) count = static_cast<std::size_t>(zp.size());
    for (std::size_t i = 0; i < count; ++i) {
      q.zero_points.push_back(
          static_cast<std::int32_t>(zp.GetInt(zp.size() == 1 ? 0 : static_cast<std::int64_t>(i))));
    }
  } else if (spec.scale != kNone) {
    q.zero_points.assign(count, 0);
  }
  if (count <= 1) return q;

  std::optional<std::size_t> rank = KnownRank(tensor);
  std::int64_t axis = 0;
  switch (spec.rule) {
    case AxisRule::kPerTensor:
      Fail(n, spec.role + " '" + tensor + "' is given " + std::to_string(count) +
                  " scales or zero points; only per-tensor parameters are supported for it");
    case AxisRule::kFirst:
      axis = 0;
      break;
    case AxisRule::kLast:
      if (!rank) {
        Fail(n, spec.role + " '" + tensor +
                    "' is quantized per column but its rank is not known to the importer");
      }
      axis = static_cast<std::int64_t>(*rank) - 1;
      break;
    case AxisRule::kGemmB:
      axis = AttrInt(n, "transB", 0) != 0 ? 0 : 1;
      break;
    case AxisRule::kAttr:
      if (opset_ < 13 && IsDefaultDomain(n.proto->domain())) {
        Fail(n, "per-axis quantization needs opset 13 or newer (the model has opset " +
                    std::to_string(opset_) + ")");
      }
      axis = AttrInt(n, "axis", 1);
      if (axis < 0) {
        if (!rank) {
          Fail(n, "axis " + std::to_string(axis) + " of '" + tensor +
                      "' cannot be resolved: the tensor's rank is not known to the importer");
        }
        axis += static_cast<std::int64_t>(*rank);
      }
      break;
  }
  if (axis < 0 || (rank && axis >= static_cast<std::int64_t>(*rank))) {
    Fail(n, "quantization axis " + std::to_string(axis) + " is out of range for '" + tensor + "'");
  }
  q.axis = static_cast<int>(axis);
  return q;
}

DType Importer::ZeroPointType(const OnnxNode& n, std::size_t zero_point_input) const {
  if (!n.Has(zero_point_input)) return DType::kUInt8;
  const std::string& zp = n.In(zero_point_input);
  std::int32_t elem = onnx::TensorProto::UNDEFINED;
  if (IsConstant(zp)) {
    elem = ConstantElemType(zp);
  } else if (graph_.HasTensor(zp)) {
    return graph_.Info(zp).dtype;
  } else if (auto in = graph_inputs_.find(zp); in != graph_inputs_.end()) {
    elem = in->second->type().tensor_type().elem_type();
  } else {
    Fail(n, "zero point '" + zp + "' is not available here");
  }
  const std::optional<DType> dtype = onnx_model::DTypeFromOnnx(elem);
  if (!dtype || !golden::IsInteger(*dtype)) {
    Fail(n, "zero point '" + zp + "' is " + onnx_model::OnnxTypeName(elem) +
                "; expected UINT8, INT8 or INT32");
  }
  return *dtype;
}

// ---- Graph queries ------------------------------------------------------------------------------

const OnnxNode* Importer::Producer(const std::string& tensor) const {
  auto it = producer_.find(tensor);
  return it == producer_.end() ? nullptr : &nodes_[it->second];
}

std::vector<std::size_t> Importer::Consumers(const std::string& tensor) const {
  auto it = consumers_.find(tensor);
  return it == consumers_.end() ? std::vector<std::size_t>{} : it->second;
}

std::optional<std::size_t> Importer::KnownRank(const std::string& tensor) const {
  if (const ConstantValue* c = FindConstant(tensor)) {
    return c->bound != nullptr ? c->bound->shape().size()
                               : static_cast<std::size_t>(c->proto->dims_size());
  }
  const onnx::ValueInfoProto* info = nullptr;
  if (auto in = graph_inputs_.find(tensor); in != graph_inputs_.end()) info = in->second;
  if (auto vi = value_info_.find(tensor); info == nullptr && vi != value_info_.end()) {
    info = vi->second;
  }
  if (info != nullptr && info->type().has_tensor_type() && info->type().tensor_type().has_shape()) {
    return static_cast<std::size_t>(info->type().tensor_type().shape().dim_size());
  }
  return std::nullopt;
}

// ---- Constants ----------------------------------------------------------------------------------

const Importer::ConstantValue* Importer::FindConstant(const std::string& tensor) const {
  auto it = constants_.find(tensor);
  return it == constants_.end() ? nullptr : &it->second;
}

bool Importer::IsConstant(const std::string& tensor) const {
  return !tensor.empty() && constants_.count(tensor) != 0;
}

std::int32_t Importer::ConstantElemType(const std::string& tensor) const {
  const ConstantValue* c = FindConstant(tensor);
  if (c == nullptr) return onnx::TensorProto::UNDEFINED;
  if (c->proto != nullptr) return c->proto->data_type();
  return onnx_model::OnnxElemType(c->bound->dtype());
}

Shape Importer::ConstantShape(const std::string& tensor) const {
  const ConstantValue* c = FindConstant(tensor);
  if (c == nullptr) return {};
  if (c->bound != nullptr) return c->bound->shape();
  return Shape(c->proto->dims().begin(), c->proto->dims().end());
}

void Importer::RequireConstant(const OnnxNode& n, std::size_t i, const std::string& role) const {
  if (!n.Has(i)) Fail(n, "missing input " + role);
  if (!IsConstant(n.In(i))) {
    Fail(n, role + " '" + n.In(i) + "' must be an initializer or a provided input");
  }
}

Tensor Importer::ConstantTensor(const OnnxNode& n, std::size_t i, const std::string& role) const {
  RequireConstant(n, i, role);
  const ConstantValue* c = FindConstant(n.In(i));
  if (c->bound != nullptr) return *c->bound;
  try {
    return onnx_model::TensorFromProto(*c->proto);
  } catch (const Error& e) {
    Fail(n, role + " '" + n.In(i) + "': " + e.what());
  }
}

std::vector<std::int64_t> Importer::ConstantInts(const OnnxNode& n, std::size_t i,
                                                 const std::string& role) const {
  RequireConstant(n, i, role);
  const ConstantValue* c = FindConstant(n.In(i));
  std::vector<std::int64_t> values;
  if (c->proto != nullptr && (c->proto->data_type() == onnx::TensorProto::INT64)) {
    try {
      return onnx_model::Int64sFromProto(*c->proto);
    } catch (const Error& e) {
      Fail(n, role + " '" + n.In(i) + "': " + e.what());
    }
  }
  const Tensor t = ConstantTensor(n, i, role);
  if (!golden::IsInteger(t.dtype())) {
    Fail(n, role + " '" + n.In(i) + "' is " + t.Describe() + "; expected integers");
  }
  for (std::int64_t k = 0; k < t.size(); ++k) values.push_back(t.GetInt(k));
  return values;
}

std::vector<double> Importer::ConstantReals(const OnnxNode& n, std::size_t i,
                                            const std::string& role) const {
  RequireConstant(n, i, role);
  const ConstantValue* c = FindConstant(n.In(i));
  if (c->proto != nullptr && c->proto->data_type() == onnx::TensorProto::INT64) {
    const std::vector<std::int64_t> ints = ConstantInts(n, i, role);
    return std::vector<double>(ints.begin(), ints.end());
  }
  const Tensor t = ConstantTensor(n, i, role);
  std::vector<double> values;
  for (std::int64_t k = 0; k < t.size(); ++k) values.push_back(t.GetDouble(k));
  return values;
}

// ---- Attributes ---------------------------------------------------------------------------------

const onnx::AttributeProto* Importer::FindAttr(const OnnxNode& n, const char* name) const {
  for (const onnx::AttributeProto& attr : n.proto->attribute()) {
    if (attr.name() == name) return &attr;
  }
  return nullptr;
}

bool Importer::HasAttr(const OnnxNode& n, const char* name) const {
  return FindAttr(n, name) != nullptr;
}

void Importer::CheckAttributes(const OnnxNode& n,
                               std::initializer_list<const char*> allowed) const {
  for (const onnx::AttributeProto& attr : n.proto->attribute()) {
    bool known = false;
    for (const char* name : allowed) known = known || attr.name() == name;
    if (!known) Fail(n, "attribute '" + attr.name() + "' is not supported");
  }
}

std::int64_t Importer::AttrInt(const OnnxNode& n, const char* name, std::int64_t fallback) const {
  const onnx::AttributeProto* attr = FindAttr(n, name);
  if (attr == nullptr) return fallback;
  if (attr->type() != onnx::AttributeProto::INT) {
    Fail(n, "attribute '" + std::string(name) + "' must be an integer");
  }
  return attr->i();
}

std::optional<float> Importer::AttrFloat(const OnnxNode& n, const char* name) const {
  const onnx::AttributeProto* attr = FindAttr(n, name);
  if (attr == nullptr) return std::nullopt;
  if (attr->type() == onnx::AttributeProto::INT) return static_cast<float>(attr->i());
  if (attr->type() != onnx::AttributeProto::FLOAT) {
    Fail(n, "attribute '" + std::string(name) + "' must be a number");
  }
  return attr->f();
}

float Importer::AttrFloat(const OnnxNode& n, const char* name, float fallback) const {
  return AttrFloat(n, name).value_or(fallback);
}

std::string Importer::AttrString(const OnnxNode& n, const char* name,
                                 const std::string& fallback) const {
  const onnx::AttributeProto* attr = FindAttr(n, name);
  if (attr == nullptr) return fallback;
  if (attr->type() != onnx::AttributeProto::STRING) {
    Fail(n, "attribute '" + std::string(name) + "' must be a string");
  }
  return attr->s();
}

std::optional<std::vector<std::int64_t>> Importer::AttrInts(const OnnxNode& n,
                                                            const char* name) const {
  const onnx::AttributeProto* attr = FindAttr(n, name);
  if (attr == nullptr) return std::nullopt;
  if (attr->type() != onnx::AttributeProto::INTS) {
    Fail(n, "attribute '" + std::string(name) + "' must be a list of integers");
  }
  return std::vector<std::int64_t>(attr->ints().begin(), attr->ints().end());
}

// ---- Building the IR ----------------------------------------------------------------------------

golden::TensorInfo Importer::GraphInputInfo(const onnx::ValueInfoProto& input) const {
  const std::string& name = input.name();
  if (!input.type().has_tensor_type()) FailModel("graph input '" + name + "' is not a tensor");
  const onnx::TypeProto_Tensor& type = input.type().tensor_type();
  const std::optional<DType> dtype = onnx_model::DTypeFromOnnx(type.elem_type());
  if (!dtype) {
    FailModel("graph input '" + name + "' has element type " +
              onnx_model::OnnxTypeName(type.elem_type()) +
              "; only UINT8, INT8, INT32 and FLOAT are supported");
  }
  if (!type.has_shape()) {
    FailModel("graph input '" + name + "' has no shape; graph inputs need fixed shapes");
  }
  // The value the user gives for this input, if any: it binds symbolic dimensions.
  const Tensor* value = nullptr;
  if (auto it = options_.bound_inputs.find(name); it != options_.bound_inputs.end()) {
    value = &it->second;
  } else if (options_.unnamed_input) {
    std::size_t without_value = 0;
    for (const auto& entry : graph_inputs_) {
      without_value += options_.bound_inputs.count(entry.first) == 0 ? 1 : 0;
    }
    if (without_value == 1) value = &*options_.unnamed_input;
  }
  Shape shape;
  for (int d = 0; d < type.shape().dim_size(); ++d) {
    const onnx::TensorShapeProto_Dimension& dim = type.shape().dim(d);
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(dim.dim_value());
      continue;
    }
    const std::string label =
        dim.has_dim_param() ? "'" + dim.dim_param() + "'" : std::string("(unnamed)");
    if (value == nullptr || value->rank() != type.shape().dim_size()) {
      FailModel("graph input '" + name + "' has a dynamic dimension " + label + " at index " +
                std::to_string(d) +
                (value == nullptr ? "; give the input's value to bind it, or fix the shape"
                                  : "; the given value has rank " + std::to_string(value->rank()) +
                                        ", the input " + std::to_string(type.shape().dim_size())));
    }
    const std::int64_t size = value->shape()[static_cast<std::size_t>(d)];
    if (dim.has_dim_param() && !dim.dim_param().empty()) {
      auto [it, added] = symbols_.emplace(dim.dim_param(), std::make_pair(size, name));
      if (!added && it->second.first != size) {
        FailModel("graph input '" + name + "' binds dimension " + label + " to " +
                  std::to_string(size) + " but graph input '" + it->second.second +
                  "' bound it to " + std::to_string(it->second.first));
      }
    }
    shape.push_back(size);
  }
  golden::TensorInfo info{name, *dtype, shape, {}};
  if (const QuantParams* q = Quant(name)) info.quant = *q;
  return info;
}

std::string Importer::Operand(const OnnxNode& n, std::size_t i, const std::string& role) {
  if (!n.Has(i)) Fail(n, "missing input " + role);
  return OperandTensor(n, n.In(i), role);
}

std::string Importer::OperandTensor(const OnnxNode& n, const std::string& tensor,
                                    const std::string& role) {
  if (graph_.HasTensor(tensor)) return tensor;
  if (const ConstantValue* c = FindConstant(tensor)) {
    Tensor value;
    if (c->bound != nullptr) {
      value = *c->bound;
    } else {
      try {
        value = onnx_model::TensorFromProto(*c->proto);
      } catch (const Error& e) {
        Fail(n, role + " '" + tensor + "': " + e.what());
      }
    }
    const QuantParams* q = Quant(tensor);
    graph_.AddConstant(tensor, std::move(value), q != nullptr ? *q : QuantParams{});
    return tensor;
  }
  if (auto in = graph_inputs_.find(tensor); in != graph_inputs_.end()) {
    graph_.tensors[tensor] = GraphInputInfo(*in->second);
    return tensor;
  }
  if (const OnnxNode* p = Producer(tensor)) {
    if (p->index >= n.index) {
      Fail(n, role + " '" + tensor + "' is produced by a later node, " + p->label +
                  "; the graph's nodes are not in topological order");
    }
    Fail(n, role + " '" + tensor + "' comes from " + p->label +
                ", which was not imported as a separate tensor");
  }
  Fail(n, role + " '" + tensor +
              "' is not a graph input, an initializer or the output of an earlier node");
}

const golden::TensorInfo& Importer::Info(const std::string& ir_tensor) const {
  return graph_.Info(ir_tensor);
}

std::string Importer::NewTensorName(const std::string& base) {
  std::string name = base;
  for (int k = 1; used_names_.count(name) != 0 || graph_.HasTensor(name); ++k) {
    name = base + "_" + std::to_string(k);
  }
  used_names_.insert(name);
  return name;
}

std::string Importer::AddConstant(const std::string& base, Tensor value, QuantParams quant) {
  const std::string name = NewTensorName(base);
  graph_.AddConstant(name, std::move(value), std::move(quant));
  return name;
}

golden::Node Importer::MakeNode(const OnnxNode& n, const std::string& op,
                                std::vector<std::string> inputs, std::vector<std::string> outputs,
                                const std::string& suffix) {
  golden::Node node;
  std::string name = n.name + suffix;
  // Unique among the IR nodes, and an extra node of n never takes another ONNX node's name.
  for (int k = 1;
       ir_node_names_.count(name) != 0 || (name != n.name && node_names_.count(name) != 0); ++k) {
    name = n.name + suffix + "_" + std::to_string(k);
  }
  node.name = name;
  node.op = op;
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  return node;
}

void Importer::Emit(const OnnxNode& n, golden::Node node, const std::vector<DType>& out_dtypes,
                    const std::map<std::string, QuantParams>& quant) {
  const golden::OpDef* def = golden::FindOp(node.op);
  if (def == nullptr) Fail(n, "the IR has no op '" + node.op + "'");
  for (std::size_t i = 0; i < node.outputs.size(); ++i) {
    const std::string& out = node.outputs[i];
    if (out.empty()) Fail(n, "output " + std::to_string(i) + " has no name");
    if (graph_.HasTensor(out)) Fail(n, "output '" + out + "' is defined twice");
    golden::TensorInfo info{out, out_dtypes.at(i), {}, {}};
    if (auto it = quant.find(out); it != quant.end()) {
      info.quant = it->second;
    } else if (const QuantParams* q = Quant(out)) {
      info.quant = *q;
    }
    graph_.tensors[out] = std::move(info);
    used_names_.insert(out);
  }
  try {
    def->infer(node, graph_);
    for (const std::string& out : node.outputs) golden::CheckOutputShape(node, graph_.Info(out));
  } catch (const Error& e) {
    Relabel(n, node.Label(), e.what());
  }
  ir_node_names_.insert(node.name);
  graph_.nodes.push_back(std::move(node));
}

void Importer::SetWindowAttributes(const OnnxNode& n, golden::Node& node, const Shape& in_shape,
                                   const std::vector<std::int64_t>& kernel, bool dilations,
                                   bool ceil_mode) const {
  auto pair_attr = [&](const char* name, std::size_t size,
                       std::vector<std::int64_t> fallback) -> std::vector<std::int64_t> {
    std::vector<std::int64_t> v = AttrInts(n, name).value_or(std::move(fallback));
    if (v.size() != size) {
      Fail(n, std::string(name) + " " + golden::ShapeToString(v) + " has " +
                  std::to_string(v.size()) + " entries, expected " + std::to_string(size) +
                  " (only 2-D windows over NCHW tensors are supported)");
    }
    return v;
  };
  const std::vector<std::int64_t> strides = pair_attr("strides", 2, {1, 1});
  const std::vector<std::int64_t> dilation =
      dilations ? pair_attr("dilations", 2, {1, 1}) : std::vector<std::int64_t>{1, 1};
  std::vector<std::int64_t> pads = pair_attr("pads", 4, {0, 0, 0, 0});
  for (std::int64_t s : strides) {
    if (s <= 0) Fail(n, "strides must be positive, got " + golden::ShapeToString(strides));
  }
  for (std::int64_t d : dilation) {
    if (d <= 0) Fail(n, "dilations must be positive, got " + golden::ShapeToString(dilation));
  }
  const std::string auto_pad = AttrString(n, "auto_pad", "NOTSET");
  if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    if (in_shape.size() != 4) {
      Fail(n, "auto_pad " + auto_pad + " needs an NCHW input, got shape " +
                  golden::ShapeToString(in_shape));
    }
    // Output size ceil(in / stride); the padding that achieves it, the odd pixel at the end
    // (SAME_UPPER) or at the beginning (SAME_LOWER).
    for (std::size_t a = 0; a < 2; ++a) {
      const std::int64_t in = in_shape[2 + a];
      const std::int64_t out = (in + strides[a] - 1) / strides[a];
      const std::int64_t total = std::max<std::int64_t>(
          0, (out - 1) * strides[a] + (kernel[a] - 1) * dilation[a] + 1 - in);
      const std::int64_t small = total / 2;
      const std::int64_t large = total - small;
      pads[a] = auto_pad == "SAME_UPPER" ? small : large;
      pads[a + 2] = auto_pad == "SAME_UPPER" ? large : small;
    }
  } else if (auto_pad != "NOTSET") {
    Fail(n, "auto_pad '" + auto_pad +
                "' is not supported (expected NOTSET, SAME_UPPER, SAME_LOWER or VALID)");
  }
  node.attrs.Set("strides", strides);
  node.attrs.Set("pads", pads);
  if (dilations) node.attrs.Set("dilations", dilation);
  if (ceil_mode) {
    const std::int64_t ceil = AttrInt(n, "ceil_mode", 0);
    if (ceil != 0 && ceil != 1) Fail(n, "ceil_mode must be 0 or 1, got " + std::to_string(ceil));
    // With auto_pad the output size is fixed by the padding computed above.
    node.attrs.Set("ceil_mode", auto_pad == "NOTSET" ? ceil : std::int64_t{0});
  }
}

// ---- Emission ---------------------------------------------------------------------------------

namespace {

// The converters of the default-domain ops that are not QOperator ops (convert.h).
bool ConvertCommon(Importer& im, const OnnxNode& n) {
  const std::string& op = n.op();
  if (op == "Identity" || op == "Reshape" || op == "Flatten" || op == "Transpose") {
    ConvertLayout(im, n);
  } else if (op == "Concat") {
    ConvertConcat(im, n);
  } else if (op == "MaxPool" || op == "AveragePool") {
    ConvertPool(im, n);
  } else if (op == "GlobalAveragePool") {
    ConvertGlobalAveragePool(im, n);
  } else if (op == "Clip") {
    ConvertClip(im, n);
  } else if (op == "Relu") {
    ConvertRelu(im, n);
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    ConvertBinaryFloat(im, n);
  } else if (op == "Max" || op == "Min") {
    ConvertVariadic(im, n);
  } else if (op == "Round" || op == "Sigmoid" || op == "Tanh") {
    ConvertUnaryFloat(im, n);
  } else if (op == "Cast") {
    ConvertCast(im, n);
  } else if (op == "ReduceMax" || op == "ReduceMin") {
    ConvertReduce(im, n);
  } else if (op == "Conv" || op == "MatMul") {
    ConvertFloatConvOrMatMul(im, n);
  } else if (op == "Gemm") {
    ConvertGemm(im, n);
  } else if (op == "BatchNormalization") {
    ConvertBatchNormalization(im, n);
  } else if (op == "Softmax") {
    ConvertSoftmax(im, n);
  } else if (op == "LeakyRelu") {
    ConvertLeakyRelu(im, n);
  } else {
    return false;
  }
  return true;
}

}  // namespace

void Importer::EmitNode(const OnnxNode& n) {
  const std::string& domain = n.proto->domain();
  if (IsDefaultDomain(domain) && n.op() == "Constant") return;  // a constant value (pass 1)
  if (IsDefaultDomain(domain) || domain == kMicrosoftDomain) {
    if (ConvertQOperator(*this, n)) return;
    if (IsDefaultDomain(domain) && ConvertCommon(*this, n)) return;
  }
  std::string message = source_ + ": " + n.label + ": op is not supported";
  if (!IsDefaultDomain(domain)) message += " (domain " + base::Quote(domain) + ")";
  throw Error(message);
}

void Importer::Finish() {
  for (const onnx::ValueInfoProto& input : onnx_graph_.input()) {
    const std::string& name = input.name();
    if (graph_inputs_.count(name) == 0 || bound_.count(name) != 0) continue;
    if (!graph_.HasTensor(name)) graph_.tensors[name] = GraphInputInfo(input);
    graph_.inputs.push_back(name);
  }
  for (const onnx::ValueInfoProto& output : onnx_graph_.output()) {
    const std::string& name = output.name();
    if (!graph_.HasTensor(name)) {
      if (const ConstantValue* c = FindConstant(name)) {
        Tensor value;
        try {
          value = c->bound != nullptr ? *c->bound : onnx_model::TensorFromProto(*c->proto);
        } catch (const Error& e) {
          FailModel("graph output '" + name + "': " + e.what());
        }
        graph_.AddConstant(name, std::move(value));
      } else {
        FailModel("graph output '" + name + "' is not produced by any node");
      }
    }
    graph_.outputs.push_back(name);
  }
  try {
    graph_.Validate();
  } catch (const Error& e) {
    FailModel(std::string("the imported graph is not valid: ") + e.what());
  }
  // The model's declared output types, where it states them, must be what the graph computes.
  for (const onnx::ValueInfoProto& output : onnx_graph_.output()) {
    if (!output.type().has_tensor_type()) continue;
    const onnx::TypeProto_Tensor& type = output.type().tensor_type();
    const golden::TensorInfo& info = graph_.Info(output.name());
    if (type.elem_type() != onnx::TensorProto::UNDEFINED &&
        onnx_model::DTypeFromOnnx(type.elem_type()) != info.dtype) {
      FailModel("graph output '" + output.name() + "' is declared " +
                onnx_model::OnnxTypeName(type.elem_type()) + " but the imported graph computes " +
                TypeText(info.dtype));
    }
    if (!type.has_shape()) continue;
    bool known = true;
    Shape declared;
    for (const auto& dim : type.shape().dim()) {
      known = known && dim.has_dim_value();
      declared.push_back(dim.dim_value());
    }
    if (known && declared != info.shape) {
      FailModel("graph output '" + output.name() + "' is declared " +
                golden::ShapeToString(declared) + " but the imported graph computes " +
                golden::ShapeToString(info.shape));
    }
  }
}

}  // namespace onnx_internal

ImportResult ImportOnnxBytes(std::string_view bytes, std::string_view source,
                             const ImportOptions& options) {
  const std::string where(source);
  if (bytes.empty()) throw Error(where + ": the file is empty; expected an ONNX model");
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw Error(where + ": the model is larger than 2 GiB, which protobuf cannot parse");
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(where + ": not an ONNX model (the protobuf data is malformed or truncated)");
  }
  if (!model.has_ir_version() || !model.has_graph()) {
    throw Error(where + ": not an ONNX model (" +
                (model.has_ir_version() ? "it has no graph" : "it has no ir_version") + ")");
  }
  return onnx_internal::Importer(model, where, options).Run();
}

ImportResult ImportOnnxFile(const std::string& path, const ImportOptions& options) {
  return ImportOnnxBytes(base::ReadRegularFile(path), path, options);
}

}  // namespace qsa::importer

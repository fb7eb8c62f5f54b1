// Shared by the quantizer tests (quantize_*_test.cc): small float ONNX models built with the
// protobuf API, random tensors, and runs of a model on the golden engine.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "compiler/onnx_model/tensor.h"
#include "compiler/quantizer/run.h"
#include "model/golden/tensor.h"

namespace qsa::quantizer::quantize_test {

class FloatModel {
 public:
  explicit FloatModel(std::int64_t opset = 13) {
    proto.set_ir_version(8);
    onnx::OperatorSetIdProto* set = proto.add_opset_import();
    set->set_domain("");
    set->set_version(opset);
    proto.mutable_graph()->set_name("test");
  }
  FloatModel& Input(const std::string& name, const std::vector<std::int64_t>& dims) {
    onnx::ValueInfoProto* v = proto.mutable_graph()->add_input();
    v->set_name(name);
    auto* type = v->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : dims) {
      if (d < 0) {
        type->mutable_shape()->add_dim()->set_dim_param("N");
      } else {
        type->mutable_shape()->add_dim()->set_dim_value(d);
      }
    }
    return *this;
  }
  FloatModel& Output(const std::string& name) {
    onnx::ValueInfoProto* v = proto.mutable_graph()->add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    return *this;
  }
  FloatModel& Init(const std::string& name, const golden::Tensor& value) {
    *proto.mutable_graph()->add_initializer() = onnx_model::TensorToProto(name, value);
    return *this;
  }
  // Adds a node; attributes are set on the returned proto.
  onnx::NodeProto& Node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    onnx::NodeProto* n = proto.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string& i : inputs) n->add_input(i);
    for (const std::string& o : outputs) n->add_output(o);
    return *n;
  }
  std::string Bytes() const { return proto.SerializeAsString(); }

  onnx::ModelProto proto;
};

inline void Attr(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
inline void Attr(onnx::NodeProto& n, const std::string& name, float v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
inline void Attr(onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (std::int64_t x : v) a->add_ints(x);
}

// Uniform values in [lo, hi).
inline golden::Tensor Random(const golden::Shape& shape, std::mt19937& rng, float lo = -1.0f,
                             float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(golden::NumElements(shape)));
  for (float& x : v) x = d(rng);
  return golden::Tensor::FromVector(shape, v);
}

// The graph outputs of `model` on the golden engine.
inline std::map<std::string, golden::Tensor> RunModel(
    const onnx::ModelProto& model, const std::map<std::string, golden::Tensor>& feeds) {
  const GoldenRunner runner(model, 1, "test model");
  return runner.Run(feeds);
}

// Largest |a − b| relative to the largest |a| (float32 tensors of equal size).
inline double RelativeDifference(const golden::Tensor& a, const golden::Tensor& b) {
  const auto x = a.Data<float>();
  const auto y = b.Data<float>();
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(x[i]) - y[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(x[i])));
  }
  return x.size() == y.size() ? diff / std::max(scale, 1e-30) : 1e30;
}

}  // namespace qsa::quantizer::quantize_test

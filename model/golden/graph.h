// The graph IR that the golden model executes and the compiler transforms.
//
// A Graph is a list of Nodes in topological order over named tensors. Every tensor has a
// TensorInfo (dtype, shape, quantization parameters); constants (weights, biases) also have a
// value. Operator semantics live in model/golden/ops/ (one OpDef per op name, see op_registry.h);
// the JSON form is documented in docs/ir-json.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "model/base/text.h"
#include "model/golden/dtype.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::golden {

struct TensorInfo {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  QuantParams quant;
};

using AttrValue =
    std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>, std::vector<double>>;

// Named node attributes with typed getters that name the attribute when it has the wrong type.
class Attributes {
 public:
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  void Set(const std::string& name, AttrValue value) { values_[name] = std::move(value); }
  void Erase(const std::string& name) { values_.erase(name); }

  std::int64_t GetInt(const std::string& name) const;
  std::int64_t GetInt(const std::string& name, std::int64_t fallback) const;
  double GetFloat(const std::string& name) const;  // an int attribute reads as a float too
  double GetFloat(const std::string& name, double fallback) const;
  const std::string& GetString(const std::string& name) const;
  std::string GetString(const std::string& name, const std::string& fallback) const;
  std::vector<std::int64_t> GetInts(const std::string& name) const;
  std::vector<std::int64_t> GetInts(const std::string& name,
                                    const std::vector<std::int64_t>& fallback) const;
  std::vector<double> GetFloats(const std::string& name) const;

  const std::map<std::string, AttrValue>& values() const { return values_; }

 private:
  std::map<std::string, AttrValue> values_;
};

struct Node;
struct TensorInfo;
// Throws qsa::Error naming `node` when the shape it inferred for `info` is negative or larger
// than kMaxTensorElements.
void CheckOutputShape(const Node& node, const TensorInfo& info);

struct Node {
  std::string name;
  std::string op;                    // an OpDef name: "Conv", "MatMul", "Add", ...
  std::vector<std::string> inputs;   // tensor names; "" marks an absent optional input
  std::vector<std::string> outputs;  // tensor names
  Attributes attrs;
  // Explicit fixed-point requantization, one entry per output channel (or one for all). Empty:
  // derived from the tensors' scales. The meaning of each entry is the op's (docs/ir-json.md).
  std::vector<FixedPointMultiplier> requant;

  // "Conv 'conv1'" — how error messages name a node.
  std::string Label() const { return base::Printable(op) + " " + base::Quote(name); }
};

class Graph {
 public:
  std::string name;
  std::vector<std::string> inputs;   // runtime inputs, in order
  std::vector<std::string> outputs;  // graph outputs, in order
  std::map<std::string, TensorInfo> tensors;
  std::map<std::string, Tensor> constants;
  std::vector<Node> nodes;

  bool HasTensor(const std::string& tensor) const { return tensors.count(tensor) != 0; }
  // Throws qsa::Error naming the tensor when it is unknown.
  const TensorInfo& Info(const std::string& tensor) const;
  TensorInfo& MutableInfo(const std::string& tensor);
  bool IsConstant(const std::string& tensor) const { return constants.count(tensor) != 0; }
  // The constant value of a tensor; throws when the tensor is not constant.
  const Tensor& Constant(const std::string& tensor) const;

  // Adds (or replaces) a constant and its TensorInfo (dtype and shape from the value).
  void AddConstant(const std::string& tensor, Tensor value, QuantParams quant = {});

  // Checks the graph and completes it: every tensor is produced once (by a node, a graph input or
  // a constant) before it is used; nodes name known ops; each op's Infer fills in its outputs'
  // dtype and shape (and checks those already given). Throws qsa::Error naming the node.
  void Validate();
};

}  // namespace qsa::golden

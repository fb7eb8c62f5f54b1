#include "model/golden/graph.h"

#include <set>

#include "model/base/error.h"
#include "model/base/text.h"
#include "model/golden/op_registry.h"

namespace qsa::golden {
namespace {

template <typename T>
const T& Get(const std::map<std::string, AttrValue>& values, const std::string& name,
             const char* type_name) {
  auto it = values.find(name);
  if (it == values.end()) throw Error("missing attribute " + base::Quote(name));
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  throw Error("attribute " + base::Quote(name) + " is not " + type_name);
}

}  // namespace

std::int64_t Attributes::GetInt(const std::string& name) const {
  return Get<std::int64_t>(values_, name, "an integer");
}
std::int64_t Attributes::GetInt(const std::string& name, std::int64_t fallback) const {
  return Has(name) ? GetInt(name) : fallback;
}
double Attributes::GetFloat(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) {
    if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  }
  return Get<double>(values_, name, "a number");
}
double Attributes::GetFloat(const std::string& name, double fallback) const {
  return Has(name) ? GetFloat(name) : fallback;
}
const std::string& Attributes::GetString(const std::string& name) const {
  return Get<std::string>(values_, name, "a string");
}
std::string Attributes::GetString(const std::string& name, const std::string& fallback) const {
  return Has(name) ? GetString(name) : fallback;
}
std::vector<std::int64_t> Attributes::GetInts(const std::string& name) const {
  return Get<std::vector<std::int64_t>>(values_, name, "a list of integers");
}
std::vector<std::int64_t> Attributes::GetInts(const std::string& name,
                                              const std::vector<std::int64_t>& fallback) const {
  return Has(name) ? GetInts(name) : fallback;
}
std::vector<double> Attributes::GetFloats(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) {
    if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&it->second)) {
      return std::vector<double>(ints->begin(), ints->end());
    }
  }
  return Get<std::vector<double>>(values_, name, "a list of numbers");
}

const TensorInfo& Graph::Info(const std::string& tensor) const {
  auto it = tensors.find(tensor);
  if (it == tensors.end()) throw Error("unknown tensor " + base::Quote(tensor));
  return it->second;
}

TensorInfo& Graph::MutableInfo(const std::string& tensor) {
  auto it = tensors.find(tensor);
  if (it == tensors.end()) throw Error("unknown tensor " + base::Quote(tensor));
  return it->second;
}

const Tensor& Graph::Constant(const std::string& tensor) const {
  auto it = constants.find(tensor);
  if (it == constants.end()) throw Error("tensor " + base::Quote(tensor) + " is not a constant");
  return it->second;
}

void Graph::AddConstant(const std::string& tensor, Tensor value, QuantParams quant) {
  tensors[tensor] = TensorInfo{tensor, value.dtype(), value.shape(), std::move(quant)};
  constants[tensor] = std::move(value);
}

void Graph::Validate() {
  std::set<std::string> defined;
  for (const auto& [tensor, value] : constants) {
    const TensorInfo& info = Info(tensor);
    if (info.dtype != value.dtype() || info.shape != value.shape()) {
      throw Error("constant " + base::Quote(tensor) + " is " + value.Describe() + " but declared " +
                  std::string(DTypeName(info.dtype)) + ShapeToString(info.shape));
    }
    defined.insert(tensor);
  }
  for (const std::string& input : inputs) {
    if (!HasTensor(input))
      throw Error("graph input " + base::Quote(input) + " has no dtype and shape");
    if (IsConstant(input)) throw Error("graph input " + base::Quote(input) + " is also a constant");
    if (!defined.insert(input).second)
      throw Error("graph input " + base::Quote(input) + " listed twice");
    NumElements(Info(input).shape);
  }
  std::set<std::string> node_names;
  for (const Node& node : nodes) {
    if (!node_names.insert(node.name).second) {
      throw Error("two nodes are named " + base::Quote(node.name));
    }
    const OpDef* def = FindOp(node.op);
    if (def == nullptr) throw Error(node.Label() + ": unknown op " + base::Quote(node.op));
    for (const std::string& in : node.inputs) {
      if (!in.empty() && defined.count(in) == 0) {
        throw Error(node.Label() + ": input " + base::Quote(in) +
                    " is not a graph input, a constant or an earlier node's output");
      }
    }
    for (const std::string& out : node.outputs) {
      if (out.empty()) throw Error(node.Label() + ": empty output name");
      if (defined.count(out) != 0) {
        throw Error(node.Label() + ": output " + base::Quote(out) + " is already defined");
      }
    }
    try {
      def->infer(node, *this);
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.rfind(node.Label(), 0) == 0) throw;
      throw Error(node.Label() + ": " + what);
    }
    for (const std::string& out : node.outputs) {
      if (!HasTensor(out))
        throw Error(node.Label() + ": op did not define output " + base::Quote(out));
      CheckOutputShape(node, Info(out));
      tensors[out].name = out;
      defined.insert(out);
    }
  }
  for (const std::string& output : outputs) {
    if (defined.count(output) == 0) {
      throw Error("graph output " + base::Quote(output) + " is not produced by any node or input");
    }
  }
}

void CheckOutputShape(const Node& node, const TensorInfo& info) {
  try {
    NumElements(info.shape);
  } catch (const Error& e) {
    throw Error(node.Label() + ": output " + base::Quote(info.name) + ": " + e.what());
  }
}

}  // namespace qsa::golden

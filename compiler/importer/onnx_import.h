// ONNX importer: quantized ONNX (QOperator or QDQ form), or a plain float32 model, → qsa graph IR
// (model/golden/graph.h).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "model/golden/graph.h"
#include "model/golden/tensor.h"

namespace qsa::importer {

struct ImportOptions {
  // Values for graph inputs that the model uses as parameters (weights, biases, scales, zero
  // points, shapes) rather than as activations — as ONNX's conformance models do. Such an input
  // becomes a constant. Entries for other inputs are ignored.
  std::map<std::string, golden::Tensor> bound_inputs;
  // The value given without a name for the one runtime input that has none in bound_inputs.
  // Runtime input values (named or this one) bind the symbolic dimensions of their inputs, as
  // ONNX Runtime does: a dimension with a name or none takes the value's size there, the same
  // name everywhere the same size.
  std::optional<golden::Tensor> unnamed_input;
};

struct ImportResult {
  golden::Graph graph;          // validated
  std::set<std::string> bound;  // graph inputs of the ONNX model that became constants
};

// Reads and imports an .onnx file. Throws qsa::Error with one line naming the problem: the file
// (unreadable, not an ONNX model), or the node, its op type and why it cannot be taken.
ImportResult ImportOnnxFile(const std::string& path, const ImportOptions& options = {});
// Same, from the serialized bytes of a ModelProto; `source` names it in messages.
ImportResult ImportOnnxBytes(std::string_view bytes, std::string_view source,
                             const ImportOptions& options = {});

}  // namespace qsa::importer

// Loads a model for the `qsa` command: an .onnx or .tflite file (via the importers) or the JSON
// graph IR.
#pragma once

#include <map>
#include <set>
#include <string>

#include "model/golden/graph.h"
#include "model/golden/tensor.h"

namespace qsa::importer {

struct LoadedModel {
  golden::Graph graph;          // validated
  std::set<std::string> bound;  // provided inputs that became constants (ONNX parameter inputs)
};

// Dispatches on the extension (".onnx", ".tflite", ".json"); `provided` are the user's --input
// values, of which parameter inputs of an ONNX model are bound as constants. Throws qsa::Error.
// `unnamed` is the value given without a name (bound to the one input left without a value); an
// ONNX model's symbolic input dimensions are bound from the given values.
LoadedModel LoadModel(const std::string& path,
                      const std::map<std::string, golden::Tensor>& provided,
                      const golden::Tensor* unnamed = nullptr);

// True when `path` names a model file LoadModel takes: extension .onnx, .tflite or .json (any
// case), not a folder.
bool IsModelPath(const std::string& path);

}  // namespace qsa::importer

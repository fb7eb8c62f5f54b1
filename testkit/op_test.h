// Shared by the operator tests (tests/model/golden/ops/*_test.cc): seeds of randomized tests and
// graphs of one node built by hand, plus the check that an op's Infer refuses such a graph with a
// one-line message.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "model/base/error.h"
#include "model/golden/graph.h"
#include "model/golden/op_registry.h"
#include "model/golden/quant.h"

namespace qsa::testkit::op_test {

// The seed of a randomized test: QSA_TEST_SEED when set, else `default_seed`; recorded and
// printed.
inline std::uint64_t TestSeed(std::uint64_t default_seed) {
  const char* env = std::getenv("QSA_TEST_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : default_seed;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::cout << "[   SEED   ] QSA_TEST_SEED=" << seed << std::endl;
  return seed;
}

inline golden::TensorInfo Info(const std::string& name, golden::DType dtype, golden::Shape shape,
                               golden::QuantParams quant = {}) {
  return golden::TensorInfo{name, dtype, std::move(shape), std::move(quant)};
}

inline golden::Attributes Attrs(
    std::initializer_list<std::pair<std::string, golden::AttrValue>> values) {
  golden::Attributes attrs;
  for (const auto& [name, value] : values) attrs.Set(name, value);
  return attrs;
}

inline golden::QuantParams PerTensor(float scale, std::int32_t zero_point) {
  return {{scale}, {zero_point}, -1};
}

// A graph of one node "n" whose inputs are graph inputs and whose outputs are graph outputs.
inline golden::Graph OneNode(const std::string& op, const std::vector<golden::TensorInfo>& inputs,
                             const std::vector<std::string>& outputs,
                             golden::Attributes attrs = {}) {
  golden::Graph g;
  g.name = "test";
  golden::Node node;
  node.name = "n";
  node.op = op;
  node.attrs = std::move(attrs);
  for (const golden::TensorInfo& in : inputs) {
    g.tensors[in.name] = in;
    g.inputs.push_back(in.name);
    node.inputs.push_back(in.name);
  }
  node.outputs = outputs;
  g.outputs = outputs;
  g.nodes.push_back(node);
  return g;
}

// The same with the one output "y".
inline golden::Graph OneNode(const std::string& op, const std::vector<golden::TensorInfo>& inputs,
                             golden::Attributes attrs = {}) {
  return OneNode(op, inputs, {"y"}, std::move(attrs));
}

// The message of the error the op's Infer throws on the graph's first node ("" when it does not
// throw).
inline std::string InferError(golden::Graph& g) {
  const golden::Node& node = g.nodes.at(0);
  try {
    golden::FindOp(node.op)->infer(node, g);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Expects Infer to refuse the graph's first node with a message that starts with the node's label
// and contains `needle`.
inline void ExpectRefused(golden::Graph g, const std::string& needle) {
  const std::string message = InferError(g);
  const std::string label = g.nodes.at(0).Label() + ": ";
  EXPECT_EQ(message.rfind(label, 0), 0u) << "message: '" << message << "'";
  EXPECT_NE(message.find(needle), std::string::npos)
      << "message: '" << message << "' lacks '" << needle << "'";
}

}  // namespace qsa::testkit::op_test

// Shared by the pass tests (tests/compiler/passes/*_test.cc): graphs built by hand, random
// inputs from a printed seed, and the golden engine run before and after a pass.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "compiler/passes/pass.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/graph_json.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"
#include "testkit/op_test.h"

namespace qsa::compiler::pass_test {

using golden::DType;
using golden::Graph;
using golden::QuantParams;
using golden::RequantMode;
using golden::Shape;
using golden::Tensor;

constexpr std::array<RequantMode, 4> kModes = {RequantMode::kTfliteDouble,
                                               RequantMode::kSingleRounding,
                                               RequantMode::kFloat32Rne, RequantMode::kFloat64Rne};

inline QuantParams PerTensor(float scale, std::int32_t zero_point) {
  return {{scale}, {zero_point}, -1};
}

inline void AddInput(Graph& g, const std::string& name, DType dtype, Shape shape,
                     QuantParams quant = {}) {
  g.tensors[name] = golden::TensorInfo{name, dtype, std::move(shape), std::move(quant)};
  g.inputs.push_back(name);
}

// Declares a tensor's dtype and quantization; its shape comes from Validate.
inline void Declare(Graph& g, const std::string& name, DType dtype, QuantParams quant = {}) {
  g.tensors[name] = golden::TensorInfo{name, dtype, {}, std::move(quant)};
}

inline golden::Node& AddNode(Graph& g, const std::string& name, const std::string& op,
                             std::vector<std::string> inputs, std::vector<std::string> outputs,
                             golden::Attributes attrs = {}) {
  golden::Node node;
  node.name = name;
  node.op = op;
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  node.attrs = std::move(attrs);
  g.nodes.push_back(std::move(node));
  return g.nodes.back();
}

using testkit::op_test::Attrs;

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}
  std::int64_t Int(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(gen_);
  }
  float Real(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen_); }
  // Integers uniform in [lo, hi] (the dtype's range by default), or floats in [-1, 1).
  Tensor Values(DType dtype, const Shape& shape) {
    return Values(dtype, shape, dtype == DType::kFloat32 ? -1 : golden::DTypeMin(dtype),
                  dtype == DType::kFloat32 ? 1 : golden::DTypeMax(dtype));
  }
  Tensor Values(DType dtype, const Shape& shape, std::int64_t lo, std::int64_t hi) {
    Tensor t(dtype, shape);
    if (dtype == DType::kFloat32) {
      for (float& v : t.Data<float>()) v = Real(static_cast<float>(lo), static_cast<float>(hi));
    } else {
      for (std::int64_t i = 0; i < t.size(); ++i) t.SetInt(i, Int(lo, hi));
    }
    return t;
  }
  std::vector<float> Reals(std::size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (float& x : v) x = Real(lo, hi);
    return v;
  }

 private:
  std::mt19937_64 gen_;
};

// The seed of a randomized test (QSA_TEST_SEED overrides it), printed so a failure can be re-run.
inline std::uint64_t Seed(std::uint64_t fallback) { return testkit::op_test::TestSeed(fallback); }

// A random value for every graph input.
inline std::map<std::string, Tensor> RandomFeeds(const Graph& g, Rng& rng) {
  std::map<std::string, Tensor> feeds;
  for (const std::string& in : g.inputs) {
    const golden::TensorInfo& info = g.Info(in);
    feeds[in] = rng.Values(info.dtype, info.shape);
  }
  return feeds;
}

inline std::map<std::string, Tensor> RunGolden(const Graph& g,
                                               const std::map<std::string, Tensor>& feeds,
                                               RequantMode mode) {
  golden::RunOptions options;
  options.mode = mode;
  return golden::RunGraph(g, feeds, options);
}

// Runs `before` and `after` on `trials` random inputs in every RequantMode and expects the same
// outputs, bit for bit.
inline void ExpectSameOutputs(const Graph& before, const Graph& after, Rng& rng, int trials = 4) {
  for (int t = 0; t < trials; ++t) {
    const std::map<std::string, Tensor> feeds = RandomFeeds(before, rng);
    for (RequantMode mode : kModes) {
      const auto want = RunGolden(before, feeds, mode);
      const auto got = RunGolden(after, feeds, mode);
      ASSERT_EQ(want.size(), got.size());
      for (const auto& [name, value] : want) {
        ASSERT_TRUE(got.count(name)) << name;
        EXPECT_TRUE(got.at(name) == value) << "output '" << name << "' differs in "
                                           << golden::RequantModeName(mode) << ", trial " << t;
      }
    }
  }
}

// Runs `pass` on `g` (validated first), validates the result when it changed, returns whether
// it did; the log lands in `ctx`.
inline bool RunPass(bool (*pass)(Graph&, PassContext&), Graph& g, PassContext& ctx) {
  const bool changed = pass(g, ctx);
  if (changed) g.Validate();
  return changed;
}

// A pass that must refuse: it returns false and the graph is exactly as it was.
inline void ExpectRefused(bool (*pass)(Graph&, PassContext&), Graph& g, PassContext& ctx) {
  const nlohmann::json before = golden::GraphToJson(g);
  EXPECT_FALSE(pass(g, ctx));
  EXPECT_EQ(golden::GraphToJson(g), before);
}

inline int CountOps(const Graph& g, const std::string& op) {
  int n = 0;
  for (const golden::Node& node : g.nodes) n += node.op == op ? 1 : 0;
  return n;
}

inline const golden::Node& NodeNamed(const Graph& g, const std::string& name) {
  for (const golden::Node& node : g.nodes) {
    if (node.name == name) return node;
  }
  throw Error("no node '" + name + "'");
}

// True when some line of the log contains `text`.
inline bool Logged(const PassContext& ctx, const std::string& text) {
  for (const std::string& line : ctx.log) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace qsa::compiler::pass_test

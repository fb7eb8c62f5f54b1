// Throughput of the golden engine's reference operators, in MACs per second: the golden model
// is the oracle every other engine is compared against, so its speed bounds how large the
// differential tests and the compare command can go.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>

#include "model/golden/executor.h"
#include "model/golden/graph.h"

namespace {

using qsa::golden::DType;
using qsa::golden::Graph;
using qsa::golden::Node;
using qsa::golden::QuantParams;
using qsa::golden::Shape;
using qsa::golden::Tensor;
using qsa::golden::TensorInfo;

template <typename T>
Tensor RandomTensor(const Shape& shape, int lo, int hi, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<T> values(static_cast<std::size_t>(qsa::golden::NumElements(shape)));
  for (T& v : values) v = static_cast<T>(dist(rng));
  return Tensor::FromVector<T>(shape, std::move(values));
}

// A single quantized 3×3 convolution, C → C channels on H × H, padding 1, per-channel weights.
Graph ConvGraph(std::int64_t channels, std::int64_t size) {
  Graph g;
  g.name = "conv_bench";
  g.inputs = {"x"};
  g.outputs = {"y"};
  g.tensors["x"] = TensorInfo{"x", DType::kUInt8, {1, channels, size, size}, {{0.02f}, {128}, -1}};
  QuantParams wq;
  wq.axis = 0;
  for (std::int64_t c = 0; c < channels; ++c) {
    wq.scales.push_back(0.001f * static_cast<float>(1 + c % 7));
    wq.zero_points.push_back(0);
  }
  g.AddConstant("w", RandomTensor<std::int8_t>({channels, channels, 3, 3}, -127, 127, 1), wq);
  g.AddConstant("b", RandomTensor<std::int32_t>({channels}, -1000, 1000, 2));
  g.tensors["y"] = TensorInfo{"y", DType::kUInt8, {}, {{0.05f}, {10}, -1}};
  Node conv;
  conv.name = "conv";
  conv.op = "Conv";
  conv.inputs = {"x", "w", "b"};
  conv.outputs = {"y"};
  conv.attrs.Set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(conv);
  g.Validate();
  return g;
}

// A quantized matmul [M, K] × [K, N] with per-column scales.
Graph MatMulGraph(std::int64_t m, std::int64_t k, std::int64_t n) {
  Graph g;
  g.name = "matmul_bench";
  g.inputs = {"a"};
  g.outputs = {"y"};
  g.tensors["a"] = TensorInfo{"a", DType::kInt8, {m, k}, {{0.02f}, {3}, -1}};
  QuantParams bq;
  bq.axis = 1;
  for (std::int64_t c = 0; c < n; ++c) {
    bq.scales.push_back(0.001f * static_cast<float>(1 + c % 5));
    bq.zero_points.push_back(0);
  }
  g.AddConstant("b", RandomTensor<std::int8_t>({k, n}, -127, 127, 3), bq);
  g.tensors["y"] = TensorInfo{"y", DType::kInt8, {}, {{0.1f}, {-5}, -1}};
  Node mm;
  mm.name = "matmul";
  mm.op = "MatMul";
  mm.inputs = {"a", "b"};
  mm.outputs = {"y"};
  g.nodes.push_back(mm);
  g.Validate();
  return g;
}

void BM_Conv3x3(benchmark::State& state) {
  const std::int64_t channels = state.range(0);
  const std::int64_t size = state.range(1);
  const Graph g = ConvGraph(channels, size);
  const std::map<std::string, Tensor> inputs = {
      {"x", RandomTensor<std::uint8_t>({1, channels, size, size}, 0, 255, 4)}};
  for (auto _ : state) {
    auto out = qsa::golden::RunGraph(g, inputs);
    benchmark::DoNotOptimize(out);
  }
  const double macs = static_cast<double>(channels * channels * 9 * size * size);
  state.counters["MACs/s"] =
      benchmark::Counter(macs, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Conv3x3)->Args({16, 32})->Args({64, 28})->Unit(benchmark::kMillisecond);

void BM_MatMul(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const Graph g = MatMulGraph(n, n, n);
  const std::map<std::string, Tensor> inputs = {
      {"a", RandomTensor<std::int8_t>({n, n}, -128, 127, 5)}};
  for (auto _ : state) {
    auto out = qsa::golden::RunGraph(g, inputs);
    benchmark::DoNotOptimize(out);
  }
  state.counters["MACs/s"] = benchmark::Counter(static_cast<double>(n * n * n),
                                                benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MatMul)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

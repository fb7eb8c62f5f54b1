// Random single-op quantized models for the compiler's differential tests (golden model vs the
// compiled programs on the ISA simulator and the RTL): convolutions with odd channel counts,
// strides, dilations, padding, groups and depthwise; matmuls whose dimensions are not multiples
// of the array, batched and with B transposed; quantized adds; max, average and global average
// pools. Output scales are chosen from the layer's own accumulators so that outputs spread over
// the output type. Also a few architectures with small memories, so that layers need several
// tiles, streamed weights and weight chunks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/tensor.h"
#include "model/isa/arch.h"
#include "testkit/compute_test.h"

namespace qsa::testkit::random_models {

using golden::DType;
using golden::Graph;
using golden::Node;
using golden::QuantParams;
using golden::Shape;
using golden::Tensor;

// The compute tests' random source, with the activation types drawn half and half.
class Rng : public testkit::compute_test::Rng {
 public:
  using testkit::compute_test::Rng::Rng;
  DType Activation() { return Chance(0.5) ? DType::kUInt8 : DType::kInt8; }
};

struct RandomModel {
  Graph graph;
  std::map<std::string, Tensor> feeds;
  std::string description;
};

inline QuantParams PerTensor(float scale, std::int32_t zp) { return {{scale}, {zp}, -1}; }

inline void AddInput(Graph& g, const std::string& name, DType t, const Shape& shape,
                     const QuantParams& q) {
  g.tensors[name] = {name, t, shape, q};
  g.inputs.push_back(name);
}

// Output quantization spreading reals [lo, hi] over the type.
inline QuantParams Spread(double lo, double hi, DType t) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, lo + 1e-6);
  const double qmin = static_cast<double>(golden::DTypeMin(t));
  const double qmax = static_cast<double>(golden::DTypeMax(t));
  const auto scale = static_cast<float>((hi - lo) / (qmax - qmin));
  const auto zp =
      static_cast<std::int32_t>(std::clamp(std::nearbyint(qmin - lo / scale), qmin, qmax));
  return PerTensor(scale, zp);
}

// Appends a node and returns it (for attributes).
inline Node& AppendNode(Graph& g, const std::string& name, const std::string& op,
                        std::vector<std::string> inputs, std::vector<std::string> outputs) {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  g.nodes.push_back(std::move(n));
  return g.nodes.back();
}

// Appends `node` writing tensor `y` of dtype `out` (uint8/int8 requantized, or int32 raw) and
// makes `y` the graph's output. For a requantized output the scale comes from a raw run of the
// graph so far: acc · s_x · s_w over the random input.
inline void AppendAccumulating(Rng& rng, RandomModel& m, Node node, const std::vector<float>& s_w,
                               std::int64_t channel_axis, DType out, const std::string& x,
                               const std::string& y) {
  Graph& g = m.graph;
  if (out != DType::kInt32) {
    Graph raw = g;
    Node n = node;
    n.outputs = {y + "_acc"};
    raw.tensors[y + "_acc"] = {y + "_acc", DType::kInt32, {}, {}};
    raw.nodes.push_back(n);
    raw.outputs = {y + "_acc"};
    raw.Validate();
    const Tensor acc = golden::RunGraph(raw, m.feeds).at(y + "_acc");
    const float s_x = g.Info(x).quant.scale(0);
    double lo = 0, hi = 0;
    const std::int64_t channels = acc.shape()[static_cast<std::size_t>(channel_axis)];
    std::int64_t inner = 1;
    for (std::size_t d = static_cast<std::size_t>(channel_axis) + 1; d < acc.shape().size(); ++d) {
      inner *= acc.shape()[d];
    }
    for (std::int64_t i = 0; i < acc.size(); ++i) {
      const std::int64_t c = (i / inner) % channels;
      const double r = static_cast<double>(acc.GetInt(i)) * s_x *
                       s_w[s_w.size() == 1 ? 0 : static_cast<std::size_t>(c)];
      lo = std::min(lo, r);
      hi = std::max(hi, r);
    }
    // Narrow the range now and then so that some outputs saturate.
    const double shrink = rng.Chance(0.3) ? 0.5 : 1.0;
    g.tensors[y] = {y, out, {}, Spread(lo * shrink, hi * shrink, out)};
    if (rng.Chance(0.3)) {
      node.attrs.Set("clamp_min", std::int64_t{g.tensors[y].quant.zero_points[0]});  // ReLU
    }
  } else {
    g.tensors[y] = {y, DType::kInt32, {}, {}};
  }
  node.outputs = {y};
  g.nodes.push_back(node);
  g.outputs = {y};
  g.Validate();
}

inline void FinishAccumulating(Rng& rng, RandomModel& m, Node node, const std::vector<float>& s_w,
                               std::int64_t channel_axis, DType out, const std::string& x) {
  AppendAccumulating(rng, m, std::move(node), s_w, channel_axis, out, x, "y");
}

inline RandomModel RandomConv(Rng& rng, const isa::ArchConfig& arch) {
  RandomModel m;
  Graph& g = m.graph;
  g.name = "conv";
  const DType xt = rng.Activation();
  const std::int64_t rows = arch.rows, cols = arch.cols;
  std::int64_t c = rng.Int(1, 2 * rows + 3);
  std::int64_t group = 1, mult = 1;
  const int kind = static_cast<int>(rng.Int(0, 9));
  if (kind <= 1) {  // depthwise
    group = c;
    mult = rng.Chance(0.25) ? 2 : 1;
  } else if (kind == 2) {  // grouped
    group = rng.Int(2, 4);
    c = group * rng.Int(1, rows);
  }
  const std::int64_t m_out =
      group == c ? c * mult : group * rng.Int(1, std::max<std::int64_t>(1, (2 * cols + 3) / group));
  const std::int64_t kh = rng.Chance(0.2) ? 1 : rng.Int(1, 5),
                     kw = rng.Chance(0.5) ? kh : rng.Int(1, 5);
  const std::int64_t sh = rng.Int(1, 3), sw = rng.Chance(0.7) ? sh : rng.Int(1, 3);
  const std::int64_t dh = rng.Chance(0.2) ? 2 : 1, dw = rng.Chance(0.2) ? 2 : 1;
  std::int64_t h = 0, w = 0, pads[4] = {0, 0, 0, 0};
  for (;;) {
    h = rng.Int(1, 12);
    w = rng.Int(1, 12);
    for (int i = 0; i < 4; ++i) pads[i] = rng.Chance(0.5) ? rng.Int(0, (i % 2 == 0 ? kh : kw)) : 0;
    const std::int64_t oh = (h + pads[0] + pads[2] - dh * (kh - 1) - 1) / sh + 1;
    const std::int64_t ow = (w + pads[1] + pads[3] - dw * (kw - 1) - 1) / sw + 1;
    if (h + pads[0] + pads[2] >= dh * (kh - 1) + 1 && w + pads[1] + pads[3] >= dw * (kw - 1) + 1 &&
        oh >= 1 && ow >= 1) {
      break;
    }
  }
  const std::int64_t batch = rng.Chance(0.15) ? 2 : 1;
  const float s_x = static_cast<float>(rng.Real(0.005, 0.05));
  const std::int32_t zx = rng.ZeroPoint(xt);
  AddInput(g, "x", xt, {batch, c, h, w}, PerTensor(s_x, zx));
  m.feeds["x"] = rng.Values(xt, {batch, c, h, w});
  const bool per_channel = rng.Chance(0.8);
  std::vector<float> s_w(static_cast<std::size_t>(per_channel ? m_out : 1));
  for (float& s : s_w) s = static_cast<float>(rng.Real(0.001, 0.02));
  g.AddConstant("w", rng.Values(DType::kInt8, {m_out, c / group, kh, kw}),
                QuantParams{s_w, std::vector<std::int32_t>(s_w.size(), 0), per_channel ? 0 : -1});
  Node node;
  node.name = "conv0";
  node.op = "Conv";
  node.inputs = {"x", "w"};
  if (rng.Chance(0.8)) {
    std::vector<std::int32_t> b(static_cast<std::size_t>(m_out));
    for (auto& v : b) v = static_cast<std::int32_t>(rng.Int(-30000, 30000));
    g.AddConstant("b", Tensor::FromVector<std::int32_t>({m_out}, b));
    node.inputs.push_back("b");
  }
  node.attrs.Set("strides", std::vector<std::int64_t>{sh, sw});
  node.attrs.Set("dilations", std::vector<std::int64_t>{dh, dw});
  node.attrs.Set("pads", std::vector<std::int64_t>{pads[0], pads[1], pads[2], pads[3]});
  node.attrs.Set("group", group);
  const DType out = rng.Chance(0.1) ? DType::kInt32 : rng.Activation();
  std::ostringstream d;
  d << "Conv x " << golden::DTypeName(xt) << "[" << batch << "," << c << "," << h << "," << w
    << "] zp " << zx << " w[" << m_out << "," << c / group << "," << kh << "," << kw << "] group "
    << group << " strides " << sh << "," << sw << " dilations " << dh << "," << dw << " pads "
    << pads[0] << "," << pads[1] << "," << pads[2] << "," << pads[3] << " -> "
    << golden::DTypeName(out);
  m.description = d.str();
  FinishAccumulating(rng, m, node, s_w, 1, out, "x");
  return m;
}

inline RandomModel RandomMatMul(Rng& rng, const isa::ArchConfig& arch) {
  RandomModel m;
  Graph& g = m.graph;
  g.name = "matmul";
  const DType at = rng.Activation();
  const std::int64_t k = rng.Int(1, 3 * arch.rows + 3), n = rng.Int(1, 3 * arch.cols + 3);
  const std::int64_t rows = rng.Int(1, 40);
  const bool batched = rng.Chance(0.3);
  const bool tb = rng.Chance(0.3);
  const Shape a_shape = batched ? Shape{rng.Int(2, 3), rows, k} : Shape{rows, k};
  const float s_a = static_cast<float>(rng.Real(0.005, 0.05));
  const std::int32_t za = rng.ZeroPoint(at);
  AddInput(g, "a", at, a_shape, PerTensor(s_a, za));
  m.feeds["a"] = rng.Values(at, a_shape);
  const bool per_channel = rng.Chance(0.8);
  std::vector<float> s_w(static_cast<std::size_t>(per_channel ? n : 1));
  for (float& s : s_w) s = static_cast<float>(rng.Real(0.001, 0.02));
  g.AddConstant(
      "b", rng.Values(DType::kInt8, tb ? Shape{n, k} : Shape{k, n}),
      QuantParams{s_w, std::vector<std::int32_t>(s_w.size(), 0), per_channel ? (tb ? 0 : 1) : -1});
  Node node;
  node.name = "matmul0";
  node.op = "MatMul";
  node.inputs = {"a", "b"};
  if (tb) node.attrs.Set("transpose_b", std::int64_t{1});
  if (rng.Chance(0.7)) {
    std::vector<std::int32_t> b(static_cast<std::size_t>(n));
    for (auto& v : b) v = static_cast<std::int32_t>(rng.Int(-30000, 30000));
    g.AddConstant("bias", Tensor::FromVector<std::int32_t>({n}, b));
    node.inputs.push_back("bias");
  }
  const DType out = rng.Chance(0.1) ? DType::kInt32 : rng.Activation();
  std::ostringstream d;
  d << "MatMul a " << golden::DTypeName(at) << golden::ShapeToString(a_shape) << " zp " << za
    << " b[" << (tb ? n : k) << "," << (tb ? k : n) << "]" << (tb ? " transposed" : "") << " -> "
    << golden::DTypeName(out);
  m.description = d.str();
  FinishAccumulating(rng, m, node, s_w, static_cast<std::int64_t>(a_shape.size()) - 1, out, "a");
  return m;
}

inline RandomModel RandomAdd(Rng& rng, const isa::ArchConfig& arch) {
  RandomModel m;
  Graph& g = m.graph;
  g.name = "add";
  const DType at = rng.Activation(), bt = rng.Chance(0.7) ? at : rng.Activation();
  const Shape shape = rng.Chance(0.6)
                          ? Shape{1, rng.Int(1, 3 * arch.rows), rng.Int(1, 9), rng.Int(1, 9)}
                          : Shape{rng.Int(1, 20), rng.Int(1, 50)};
  AddInput(g, "a", at, shape,
           PerTensor(static_cast<float>(rng.Real(0.01, 0.1)), rng.ZeroPoint(at)));
  AddInput(g, "b", bt, shape,
           PerTensor(static_cast<float>(rng.Real(0.01, 0.1)), rng.ZeroPoint(bt)));
  m.feeds["a"] = rng.Values(at, shape);
  m.feeds["b"] = rng.Values(bt, shape);
  const DType yt = rng.Chance(0.8) ? at : rng.Activation();
  g.tensors["y"] = {
      "y", yt, {}, PerTensor(static_cast<float>(rng.Real(0.02, 0.2)), rng.ZeroPoint(yt))};
  Node node;
  node.name = "add0";
  node.op = "Add";
  node.inputs = {"a", "b"};
  node.outputs = {"y"};
  if (rng.Chance(0.3))
    node.attrs.Set("clamp_min", std::int64_t{g.tensors["y"].quant.zero_points[0]});
  g.nodes.push_back(node);
  g.outputs = {"y"};
  g.Validate();
  m.description = "Add " + std::string(golden::DTypeName(at)) + " + " +
                  std::string(golden::DTypeName(bt)) + " " + golden::ShapeToString(shape) + " -> " +
                  std::string(golden::DTypeName(yt));
  return m;
}

inline RandomModel RandomPool(Rng& rng, const isa::ArchConfig& arch) {
  for (;;) {
    RandomModel m;
    Graph& g = m.graph;
    g.name = "pool";
    const int kind = static_cast<int>(rng.Int(0, 2));
    const char* op = kind == 0 ? "MaxPool" : kind == 1 ? "AveragePool" : "GlobalAveragePool";
    const DType xt = rng.Activation();
    const std::int64_t c = rng.Int(1, 2 * arch.rows + 3), h = rng.Int(1, 12), w = rng.Int(1, 12);
    const std::int64_t kh = rng.Int(1, std::min<std::int64_t>(4, h + 1));
    const std::int64_t kw = rng.Int(1, std::min<std::int64_t>(4, w + 1));
    const std::int64_t sh = rng.Int(1, 3), sw = rng.Int(1, 3);
    const std::int64_t dh = rng.Chance(0.2) ? 2 : 1, dw = rng.Chance(0.2) ? 2 : 1;
    const std::int64_t pads[4] = {rng.Int(0, kh - 1), rng.Int(0, kw - 1), rng.Int(0, kh - 1),
                                  rng.Int(0, kw - 1)};
    const bool ceil = rng.Chance(0.4), ccip = rng.Chance(0.5);
    const float s_x = static_cast<float>(rng.Real(0.01, 0.1));
    const std::int32_t zx = rng.ZeroPoint(xt);
    AddInput(g, "x", xt, {1, c, h, w}, PerTensor(s_x, zx));
    m.feeds["x"] = rng.Values(xt, {1, c, h, w});
    Node node;
    node.name = "pool0";
    node.op = op;
    node.inputs = {"x"};
    node.outputs = {"y"};
    if (kind != 2) {
      node.attrs.Set("kernel_shape", std::vector<std::int64_t>{kh, kw});
      node.attrs.Set("strides", std::vector<std::int64_t>{sh, sw});
      node.attrs.Set("dilations", std::vector<std::int64_t>{dh, dw});
      node.attrs.Set("pads", std::vector<std::int64_t>{pads[0], pads[1], pads[2], pads[3]});
      node.attrs.Set("ceil_mode", std::int64_t{ceil ? 1 : 0});
    }
    if (kind == 1) node.attrs.Set("count_include_pad", std::int64_t{ccip ? 1 : 0});
    g.tensors["y"] = {"y",
                      xt,
                      {},
                      kind == 0
                          ? PerTensor(s_x, zx)
                          : PerTensor(static_cast<float>(rng.Real(0.005, 0.1)), rng.ZeroPoint(xt))};
    g.nodes.push_back(node);
    g.outputs = {"y"};
    try {
      g.Validate();
    } catch (const Error&) {
      continue;  // an empty output or a window entirely in the padding: draw again
    }
    // The vector unit refuses a window with no tap inside the input (count_include_pad keeps
    // such windows in ONNX; the compiler leaves those pools on the host).
    const auto reaches = [](std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s,
                            std::int64_t pad, std::int64_t d) {
      for (std::int64_t o = 0; o < out; ++o) {
        bool any = false;
        for (std::int64_t t = 0; t < k; ++t) {
          const std::int64_t p = o * s - pad + t * d;
          any = any || (p >= 0 && p < in);
        }
        if (!any) return false;
      }
      return true;
    };
    const Shape& ys = g.Info("y").shape;
    if (kind != 2 &&
        (!reaches(h, ys[2], kh, sh, pads[0], dh) || !reaches(w, ys[3], kw, sw, pads[1], dw))) {
      continue;
    }
    std::ostringstream d;
    d << op << " " << golden::DTypeName(xt) << "[1," << c << "," << h << "," << w << "]";
    if (kind != 2) {
      d << " k " << kh << "x" << kw << " s " << sh << "," << sw << " d " << dh << "," << dw
        << " pads " << pads[0] << "," << pads[1] << "," << pads[2] << "," << pads[3]
        << (ceil ? " ceil" : "") << (kind == 1 && ccip ? " count_include_pad" : "");
    }
    m.description = d.str();
    return m;
  }
}

// Concat of two or three inputs of one type and quantization along a random axis of an image
// [1, C, H, W] or a matrix; channel counts not multiples of the array.
inline RandomModel RandomConcat(Rng& rng, const isa::ArchConfig& arch) {
  RandomModel m;
  Graph& g = m.graph;
  g.name = "concat";
  const DType t = rng.Activation();
  const bool image = rng.Chance(0.7);
  Shape base = image ? Shape{1, rng.Int(1, 2 * arch.rows + 3), rng.Int(1, 9), rng.Int(1, 9)}
                     : Shape{rng.Int(1, 12), rng.Int(1, 40)};
  const auto axis =
      static_cast<std::int64_t>(rng.Int(image ? 1 : 0, static_cast<std::int64_t>(base.size()) - 1));
  const QuantParams q = PerTensor(static_cast<float>(rng.Real(0.01, 0.1)), rng.ZeroPoint(t));
  Node node;
  node.name = "concat0";
  node.op = "Concat";
  node.attrs.Set("axis", axis);
  const std::int64_t n = rng.Int(2, 3);
  std::ostringstream d;
  d << "Concat axis " << axis << " of";
  for (std::int64_t i = 0; i < n; ++i) {
    Shape s = base;
    s[static_cast<std::size_t>(axis)] = rng.Int(1, axis == 1 && image ? 2 * arch.rows + 3 : 9);
    const std::string name = "x" + std::to_string(i);
    AddInput(g, name, t, s, q);
    m.feeds[name] = rng.Values(t, s);
    node.inputs.push_back(name);
    d << " " << golden::DTypeName(t) << golden::ShapeToString(s);
  }
  node.outputs = {"y"};
  g.tensors["y"] = {"y", t, {}, q};
  g.nodes.push_back(node);
  g.outputs = {"y"};
  g.Validate();
  m.description = d.str();
  return m;
}

// A small network: a 3x3 convolution, a depthwise 3x3, a residual add, a max pool, a concat
// with a 1x1 branch, a global average pool, a flatten and a fully connected layer, with random
// channel counts and image size — the layers hand their tensors to one another on the
// accelerator.
inline RandomModel RandomNetwork(Rng& rng, const isa::ArchConfig& arch) {
  RandomModel m;
  Graph& g = m.graph;
  g.name = "network";
  const DType t = rng.Activation();
  const std::int64_t c0 = rng.Int(1, 4), c1 = rng.Int(2, 2 * arch.rows + 3);
  const std::int64_t h = rng.Int(4, 12), w = rng.Int(4, 12);
  AddInput(g, "x", t, {1, c0, h, w},
           PerTensor(static_cast<float>(rng.Real(0.01, 0.05)), rng.ZeroPoint(t)));
  m.feeds["x"] = rng.Values(t, {1, c0, h, w});
  int counter = 0;
  // Random int8 weights with one scale per channel along `axis`.
  const auto weights = [&](const Shape& shape, std::int64_t channels, int axis) {
    const std::string name = "w" + std::to_string(counter++);
    std::vector<float> s_w(static_cast<std::size_t>(channels));
    for (float& s : s_w) s = static_cast<float>(rng.Real(0.005, 0.03));
    g.AddConstant(name, rng.Values(DType::kInt8, shape),
                  QuantParams{s_w, std::vector<std::int32_t>(s_w.size(), 0), axis});
    return std::make_pair(name, s_w);
  };
  const auto random_quant = [&](double lo, double hi) {
    return PerTensor(static_cast<float>(rng.Real(lo, hi)), rng.ZeroPoint(t));
  };
  const auto conv = [&](const std::string& x, std::int64_t cin, std::int64_t cout, std::int64_t k,
                        std::int64_t group, const std::string& y) {
    const auto [wn, s_w] = weights({cout, cin / group, k, k}, cout, 0);
    Node n;
    n.name = y + "_conv";
    n.op = "Conv";
    n.inputs = {x, wn};
    n.attrs.Set("pads", std::vector<std::int64_t>{k / 2, k / 2, k / 2, k / 2});
    n.attrs.Set("group", group);
    AppendAccumulating(rng, m, n, s_w, 1, t, x, y);
  };
  conv("x", c0, c1, 3, 1, "a");
  conv("a", c1, c1, 3, c1, "b");  // depthwise
  g.tensors["r"] = {"r", t, {}, random_quant(0.05, 0.2)};
  AppendNode(g, "res", "Add", {"a", "b"}, {"r"});
  Node& pool = AppendNode(g, "pool", "MaxPool", {"r"}, {"p"});
  pool.attrs.Set("kernel_shape", std::vector<std::int64_t>{2, 2});
  pool.attrs.Set("strides", std::vector<std::int64_t>{2, 2});
  g.outputs = {"p"};
  g.Validate();
  const std::int64_t c2 = rng.Int(1, arch.cols + 3);
  conv("p", c1, c2, 1, 1, "q");
  // Concat needs one quantization: the branch is requantized by a 1x1 conv to p's.
  const std::string back = weights({c1, c2, 1, 1}, c1, 0).first;
  g.tensors["q2"] = {"q2", t, {}, g.Info("p").quant};
  AppendNode(g, "q2_conv", "Conv", {"q", back}, {"q2"});
  AppendNode(g, "cat", "Concat", {"p", "q2"}, {"c"}).attrs.Set("axis", std::int64_t{1});
  g.tensors["gp"] = {"gp", t, {}, random_quant(0.02, 0.1)};
  AppendNode(g, "gap", "GlobalAveragePool", {"c"}, {"gp"});
  AppendNode(g, "flatten", "Flatten", {"gp"}, {"f"}).attrs.Set("axis", std::int64_t{1});
  g.outputs = {"f"};
  g.Validate();
  const std::int64_t classes = rng.Int(2, 2 * arch.cols + 3);
  const auto [bn, s_b] = weights({2 * c1, classes}, classes, 1);
  Node fc;
  fc.name = "fc";
  fc.op = "MatMul";
  fc.inputs = {"f", bn};
  AppendAccumulating(rng, m, fc, s_b, 1, t, "f", "logits");
  std::ostringstream d;
  d << "network " << golden::DTypeName(t) << "[1," << c0 << "," << h << "," << w << "] widths "
    << c1 << "," << c2 << " classes " << classes;
  m.description = d.str();
  return m;
}

// The shipped configurations and variants with small memories (several tiles per layer, weights
// streamed in chunks, parameters loaded per block).
inline isa::ArchConfig ArchWith(const isa::ArchConfig& base, const std::string& name,
                                std::int64_t scratchpad_bytes, std::int64_t accumulator_bytes,
                                std::int64_t param_rows) {
  isa::ArchConfig a = base;
  a.name = name;
  a.scratchpad_bytes = scratchpad_bytes;
  a.accumulator_bytes = accumulator_bytes;
  a.param_rows = param_rows;
  isa::ValidateArchConfig(a, name);
  return a;
}

}  // namespace qsa::testkit::random_models

// The post-training quantization pipeline (quantize.h).
#include "compiler/quantizer/quantize.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "compiler/onnx_model/graph.h"
#include "compiler/quantizer/fold.h"
#include "compiler/quantizer/mixed.h"
#include "compiler/quantizer/plan.h"
#include "compiler/quantizer/run.h"
#include "compiler/quantizer/smooth.h"
#include "compiler/quantizer/writer.h"
#include "model/base/enum_names.h"
#include "model/base/error.h"
#include "model/base/read_file.h"
#include "model/golden/npy.h"

namespace qsa::quantizer {

namespace {

using golden::Tensor;
using Feeds = std::map<std::string, golden::Tensor>;

constexpr std::int64_t kMinOpset = 10;         // QuantizeLinear / DequantizeLinear
constexpr std::int64_t kPerChannelOpset = 13;  // DequantizeLinear's axis

onnx::ModelProto ParseModel(std::string_view bytes, const std::string& source) {
  onnx::ModelProto model;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(source + ": not an ONNX model (malformed or truncated protobuf)");
  }
  return model;
}

// A number as the shortest text that reads back as it ("6", "0.5").
std::string Text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Bytes of an initializer's data (elements × element size).
std::int64_t InitializerBytes(const onnx::TensorProto& t) {
  std::int64_t n = 1;
  for (std::int64_t d : t.dims()) n *= d;
  switch (t.data_type()) {
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::BOOL:
      return n;
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      return 2 * n;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT64:
    case onnx::TensorProto::DOUBLE:
      return 8 * n;
    default:
      return 4 * n;
  }
}

std::int64_t ParameterBytes(const onnx::ModelProto& model) {
  std::int64_t bytes = 0;
  for (const onnx::TensorProto& t : model.graph().initializer()) bytes += InitializerBytes(t);
  return bytes;
}

// Fraction of rows (all but the last dimension) whose argmax over the last dimension agrees.
struct ArgmaxMeter {
  std::int64_t same = 0;
  std::int64_t rows = 0;

  void Add(const golden::Tensor& a, const golden::Tensor& b) {
    if (a.rank() < 1 || a.shape().back() <= 1) return;
    const std::int64_t width = a.shape().back();
    const std::span<const float> x = a.Data<float>();
    const std::span<const float> y = b.Data<float>();
    for (std::size_t r = 0; r + static_cast<std::size_t>(width) <= x.size();
         r += static_cast<std::size_t>(width)) {
      const auto end = static_cast<std::ptrdiff_t>(r) + width;
      const auto ax = std::max_element(x.begin() + static_cast<std::ptrdiff_t>(r), x.begin() + end);
      const auto ay = std::max_element(y.begin() + static_cast<std::ptrdiff_t>(r), y.begin() + end);
      same += (ax - x.begin()) == (ay - y.begin()) ? 1 : 0;
      ++rows;
    }
  }
  double Fraction() const {
    return rows > 0 ? static_cast<double>(same) / static_cast<double>(rows) : 0.0;
  }
};

constexpr auto kLayerKindNames = base::MakeEnumNames<LayerKind>({
    {LayerKind::kWeighted, "weighted"},
    {LayerKind::kCompute, "compute"},
    {LayerKind::kMove, "move"},
    {LayerKind::kConcat, "concat"},
});

std::string LayerKindName(LayerKind kind) { return std::string(kLayerKindNames.Name(kind)); }

// "int8 symmetric per-channel"; `type` is "int8", "int4" or "int8/int4".
std::string WeightSchemeText(const WeightScheme& w, const std::string& type) {
  return type + (w.symmetric ? " symmetric" : " asymmetric") +
         (w.per_channel ? " per-channel" : " per-tensor") +
         (w.clipping == CalibrationMethod::kMinMax
              ? ""
              : ", " + std::string(CalibrationMethodName(w.clipping)) + " clipping");
}

class Pipeline {
 public:
  Pipeline(std::string_view bytes, std::string source, const CalibrationData& data,
           const QuantizeOptions& options)
      : source_(std::move(source)),
        data_(data),
        options_(options),
        original_(ParseModel(bytes, source_)),
        model_(original_) {}

  QuantizeResult Run();

 private:
  void Prepare();
  void Reload();
  // Runs the float model on each calibration run; visit(values) sees every tensor.
  template <typename Visit>
  void ForEachFloatRun(Visit visit) const {
    for (const Feeds& run : runs_) visit(float_->Run(run, true));
  }
  void FindOutliersAndSmooth();
  void Calibrate();
  void MeasureSensitivity();
  void Measure(const QdqModel& q);
  void ReportLayers(const QdqModel& q);
  // SQNR of the graph outputs of `model` (QDQ) against the float model's over the runs.
  double OutputSqnr(const onnx::ModelProto& model, const std::string& what) const;

  std::string source_;
  const CalibrationData& data_;
  const QuantizeOptions& options_;
  onnx::ModelProto original_;
  onnx::ModelProto model_;  // prepared
  std::int64_t batch_ = 1;
  std::vector<Feeds> runs_;
  std::unique_ptr<GoldenRunner> float_;
  QuantPlan plan_;
  std::map<std::string, golden::QuantParams> params_;
  std::vector<Feeds> float_outputs_;  // graph outputs of the float model, per run
  std::map<std::string, int> bits_;
  std::map<std::string, LayerSensitivity> sensitivity_;
  std::map<std::string, NoiseMeter> layer_noise_;
  QuantizeReport report_;
};

void Pipeline::Prepare() {
  const std::int64_t opset = onnx_model::DefaultOpset(model_);
  if (opset < kMinOpset) {
    throw Error(source_ + ": the model imports opset " + std::to_string(opset) +
                "; quantization writes QuantizeLinear / DequantizeLinear, which need opset " +
                std::to_string(kMinOpset) + " or newer (convert it with onnx.version_converter)");
  }
  if (options_.weights.per_channel && opset < kPerChannelOpset) {
    throw Error(source_ + ": the model imports opset " + std::to_string(opset) +
                "; per-channel weights need opset " + std::to_string(kPerChannelOpset) +
                " (DequantizeLinear's axis): convert the model or quantize weights per tensor");
  }
  onnx::GraphProto& graph = *model_.mutable_graph();
  NameNodes(graph);
  ConstantsToInitializers(graph);
  if (options_.fold_batch_norm) {
    for (const FoldedBatchNorm& f : FoldBatchNorms(model_)) {
      report_.folded_batch_norms.push_back({f.batch_norm, f.into});
    }
  }
  const std::vector<ModelInput> inputs = OnnxModelInputs(model_);
  batch_ = RunBatch(inputs);
  runs_ = MakeRuns(data_, inputs, batch_, options_.max_samples);
}

void Pipeline::Reload() {
  float_ = std::make_unique<GoldenRunner>(model_, batch_, source_);
  const onnx_model::OnnxGraph g(*model_.mutable_graph());
  plan_ = PlanQuantization(g, float_->graph().tensors);
}

void Pipeline::FindOutliersAndSmooth() {
  const auto& infos = float_->graph().tensors;
  std::vector<const LayerPlan*> targets;
  for (const LayerPlan& l : plan_.layers) {
    if (l.kind == LayerKind::kWeighted && (l.op == "MatMul" || l.op == "Gemm")) {
      targets.push_back(&l);
    }
  }
  if (targets.empty()) {
    if (options_.smoothquant_alpha) {
      report_.notes.push_back("SmoothQuant: the model has no quantized MatMul / Gemm layer");
    }
    return;
  }
  std::map<std::string, ChannelObserver> observers;
  ForEachFloatRun([&](const Feeds& values) {
    for (const LayerPlan* l : targets) {
      const std::string& x = l->inputs[0];
      observers[l->name].Observe(values.at(x).Data<float>(), infos.at(x).shape.back());
    }
  });
  std::vector<std::pair<const LayerPlan*, std::vector<float>>> to_smooth;
  for (const LayerPlan* l : targets) {
    const std::vector<float>& absmax = observers[l->name].absmax();
    const ChannelOutliers o =
        FindOutliers(l->name, l->inputs[0], absmax, options_.outlier_threshold);
    QuantizeReport::Outliers entry{o.layer,      o.tensor,        o.channels, o.threshold,
                                   o.max_absmax, o.median_absmax, {}};
    for (const ChannelOutliers::Channel& c : o.outliers)
      entry.outliers.emplace_back(c.index, c.absmax);
    report_.outliers.push_back(std::move(entry));
    if (options_.smoothquant_alpha && !o.outliers.empty()) to_smooth.emplace_back(l, absmax);
  }
  if (to_smooth.empty()) {
    if (options_.smoothquant_alpha) {
      report_.notes.push_back(
          "SmoothQuant: no MatMul / Gemm input has a channel above the "
          "outlier threshold " +
          Text(options_.outlier_threshold) + "; nothing smoothed");
    }
    return;
  }
  for (const auto& [layer, absmax] : to_smooth) {
    const SmoothedLayer s = SmoothLayer(model_, *layer, absmax, *options_.smoothquant_alpha, infos);
    report_.smoothquant.push_back(
        {s.layer, s.tensor, s.alpha, s.min_factor, s.max_factor, s.migrated_into, s.inserted_mul});
  }
  Reload();
}

void Pipeline::Calibrate() {
  std::vector<std::string> observed;
  for (const std::string& t : plan_.tensors) {
    if (plan_.same_as.count(t) == 0) observed.push_back(t);
  }
  std::map<std::string, TensorObserver> observers;
  auto observe = [&](bool histogram) {
    ForEachFloatRun([&](const Feeds& values) {
      for (const std::string& t : observed) {
        try {
          const std::span<const float> v = values.at(t).Data<float>();
          histogram ? observers[t].ObserveHistogram(v) : observers[t].ObserveRange(v);
        } catch (const Error& e) {
          throw Error("calibration: tensor '" + t + "' " + e.what());
        }
      }
      if (!histogram) {
        Feeds outputs;
        for (const std::string& o : float_->graph().outputs) outputs[o] = values.at(o);
        float_outputs_.push_back(std::move(outputs));
      }
    });
  };
  float_outputs_.clear();
  observe(false);
  if (options_.method != CalibrationMethod::kMinMax) observe(true);

  const TensorScheme scheme = ActivationTensorScheme(options_.activations);
  auto add = [&](const std::string& t, float min, float max, RealRange range,
                 const std::string& shared, const std::string& note) {
    const golden::QuantParams& p = params_.at(t);
    report_.activations.push_back(
        {t, min, max, range.lo, range.hi, p.scales[0], p.zero_points[0], shared, note});
  };
  for (const std::string& t : observed) {
    const TensorObserver& o = observers.at(t);
    const RealRange range = o.Choose(options_.method, scheme, options_.percentile);
    params_[t] = ChooseParams(range, scheme);
    add(t, o.min(), o.max(), range, "", "");
  }
  for (const std::string& t : plan_.tensors) {
    if (auto it = plan_.same_as.find(t); it != plan_.same_as.end()) {
      params_[t] = params_.at(it->second);
      const TensorObserver& o = observers.at(it->second);
      add(t, o.min(), o.max(), RealRange{o.min(), o.max()}, it->second, "");
    }
  }
  const onnx_model::OnnxGraph g(*model_.mutable_graph());
  for (const std::string& c : plan_.constants) {
    const golden::Tensor value = g.Value(c);
    const std::span<const float> v = value.Data<float>();
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    const RealRange range{*lo, *hi};
    params_[c] = ChooseParams(range, scheme);
    add(c, *lo, *hi, range, "", "constant operand");
  }
}

double Pipeline::OutputSqnr(const onnx::ModelProto& model, const std::string& what) const {
  const GoldenRunner runner(model, batch_, source_ + " (" + what + ")");
  NoiseMeter meter;
  for (std::size_t r = 0; r < runs_.size(); ++r) {
    const Feeds outs = runner.Run(runs_[r]);
    for (const auto& [name, value] : float_outputs_[r]) {
      meter.Add(value, RealValues(runner.graph(), name, outs.at(name)));
    }
  }
  return meter.SqnrDb();
}

void Pipeline::MeasureSensitivity() {
  if (!options_.sensitivity && !options_.weight_budget) return;
  const onnx_model::OnnxGraph g(*model_.mutable_graph());
  std::vector<LayerSensitivity> layers;
  for (const LayerPlan& l : plan_.layers) {
    if (l.kind != LayerKind::kWeighted) continue;
    // MACs per run: output elements × weight elements per output channel.
    const std::int64_t weights = g.Value(l.weight).size();
    const std::string& out = g.node(l.node).output(0);
    const std::int64_t macs =
        golden::NumElements(float_->graph().Info(out).shape) * (weights / l.channels);
    LayerSensitivity s{l.name, l.op, weights, macs, 0.0, 0.0};
    const QuantPlan alone = PlanQuantization(
        g, float_->graph().tensors, [&](const std::string& name) { return name == l.name; });
    for (int bits : {8, 4}) {
      const QdqSpec spec{&alone, params_, options_.activations, options_.weights, {{l.name, bits}}};
      const double sqnr =
          OutputSqnr(WriteQdqModel(model_, spec).model,
                     "layer '" + l.name + "' alone, " + std::to_string(bits) + "-bit");
      (bits == 8 ? s.sqnr8_db : s.sqnr4_db) = sqnr;
    }
    sensitivity_[l.name] = s;
    layers.push_back(s);
  }
  if (!options_.weight_budget) return;
  const WeightBytesCost cost;
  double all8 = 0.0;
  for (const LayerSensitivity& s : layers) all8 += cost.Cost(s, 8);
  const BitAssignment a = AssignBitWidths(layers, cost, ParseBudget(*options_.weight_budget, all8));
  bits_ = a.bits;
  report_.mixed_precision = QuantizeReport::Mixed{
      std::string(cost.name()), a.budget, a.cost, a.cost_all8, a.cost_all4, a.exhaustive};
}

void Pipeline::Measure(const QdqModel& q) {
  const GoldenRunner runner(q.model, batch_, source_ + " (quantized)");
  std::map<std::string, NoiseMeter> outputs;
  std::map<std::string, ArgmaxMeter> argmax;
  for (std::size_t r = 0; r < runs_.size(); ++r) {
    const Feeds f = float_->Run(runs_[r], true);
    const Feeds qv = runner.Run(runs_[r], true);
    for (const LayerPlan& l : plan_.layers) {
      const std::string& qname = q.quantized_names.at(l.output);
      if (auto it = qv.find(qname); it != qv.end()) {
        layer_noise_[l.name].Add(f.at(l.output), RealValues(runner.graph(), qname, it->second));
      }
    }
    for (const std::string& o : float_->graph().outputs) {
      const golden::Tensor real = RealValues(runner.graph(), o, qv.at(o));
      outputs[o].Add(f.at(o), real);
      argmax[o].Add(f.at(o), real);
    }
  }
  for (const std::string& o : float_->graph().outputs) {
    report_.outputs.push_back({o, outputs[o].SqnrDb(), argmax[o].Fraction()});
  }
}

void Pipeline::ReportLayers(const QdqModel& q) {
  const onnx_model::OnnxGraph g(*model_.mutable_graph());
  std::map<std::string, const WrittenLayer*> written;
  for (const WrittenLayer& w : q.layers) written[w.name] = &w;
  for (const LayerPlan& l : plan_.layers) {
    LayerReport r;
    r.name = l.name;
    r.op = l.op;
    r.kind = LayerKindName(l.kind);
    r.inputs = l.inputs;
    r.output = l.output;
    if (l.activation >= 0) r.activation = g.node(l.activation).op_type();
    if (auto it = written.find(l.name); it != written.end()) {
      const WrittenLayer& w = *it->second;
      r.weight_bits = w.bits;
      r.weight_scheme = WeightSchemeText(options_.weights, "int" + std::to_string(w.bits));
      r.weight_count = w.weight_count;
      const auto [lo, hi] =
          std::minmax_element(w.weight_params.scales.begin(), w.weight_params.scales.end());
      r.weight_scale_min = *lo;
      r.weight_scale_max = *hi;
      r.weight_bytes = (w.weight_count * w.bits + 7) / 8;
      r.bias_bytes = 4 * w.bias_count;
      r.float_bytes = 4 * w.weight_count + (l.bias.empty() ? 0 : 4 * g.Value(l.bias).size());
    }
    r.sqnr_db = layer_noise_[l.name].SqnrDb();
    if (auto it = sensitivity_.find(l.name); it != sensitivity_.end()) {
      r.sensitivity8_db = it->second.sqnr8_db;
      r.sensitivity4_db = it->second.sqnr4_db;
    }
    report_.layers.push_back(std::move(r));
  }
  for (const HostNode& h : plan_.host) report_.float_nodes.push_back({h.name, h.op, h.reason});
}

QuantizeResult Pipeline::Run() {
  Prepare();
  Reload();
  FindOutliersAndSmooth();
  Calibrate();
  MeasureSensitivity();
  const QdqModel q = WriteQdqModel(
      model_, QdqSpec{&plan_, params_, options_.activations, options_.weights, bits_});
  Measure(q);
  ReportLayers(q);

  report_.model = source_;
  report_.calibration = data_.source;
  report_.samples = static_cast<std::int64_t>(runs_.size()) * batch_;
  report_.method = std::string(CalibrationMethodName(options_.method));
  report_.percentile = options_.percentile;
  report_.weight_scheme = WeightSchemeText(
      options_.weights,
      options_.weight_budget ? "int8/int4" : "int" + std::to_string(options_.weights.bits));
  report_.activation_scheme = ActivationTensorScheme(options_.activations).Describe();
  report_.float_parameter_bytes = ParameterBytes(original_);
  report_.quantized_parameter_bytes = ParameterBytes(q.model);
  for (const WrittenLayer& w : q.layers) {
    if (w.bits == 4) report_.quantized_parameter_bytes -= w.weight_count - (w.weight_count + 1) / 2;
  }
  return QuantizeResult{q.model.SerializeAsString(), std::move(report_)};
}

std::string ReadModelFile(const std::string& path) { return base::ReadRegularFile(path); }

}  // namespace

QuantizeResult QuantizeModel(std::string_view model_bytes, const std::string& source,
                             const CalibrationData& data, const QuantizeOptions& options) {
  Pipeline pipeline(model_bytes, source, data, options);
  return pipeline.Run();
}

QuantizeReport QuantizeFile(const std::string& model_path, const std::string& data_path,
                            const std::string& out_path, const QuantizeOptions& options,
                            const std::string& report_path) {
  const std::string bytes = ReadModelFile(model_path);
  const CalibrationData data = ReadCalibrationData(data_path);
  QuantizeResult result = QuantizeModel(bytes, model_path, data, options);
  // Both files or neither: a report that cannot be written leaves no model behind.
  std::vector<std::pair<std::string, std::string>> files = {{out_path, std::move(result.model)}};
  if (!report_path.empty()) {
    files.emplace_back(report_path, ReportToJson(result.report).dump(2) + "\n");
  }
  golden::WriteFilesAtomically(files);
  return std::move(result.report);
}

}  // namespace qsa::quantizer

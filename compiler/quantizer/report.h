// The quantization report: what `qsa quantize` chose and measured, as JSON (--report) and as the
// lines printed on the terminal (docs/quantization.md describes the fields).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/golden/quant.h"

namespace qsa::quantizer {

// An activation tensor's observed and chosen range and its parameters.
struct TensorReport {
  std::string tensor;
  float observed_min = 0.0f;
  float observed_max = 0.0f;
  float range_lo = 0.0f;  // the clipping range the calibration method chose
  float range_hi = 0.0f;
  float scale = 0.0f;
  std::int32_t zero_point = 0;
  std::string shared_with;  // a move op's output: the tensor whose parameters it takes
  std::string note;         // e.g. "constant operand"
};

struct LayerReport {
  std::string name;
  std::string op;
  std::string kind;           // "weighted", "compute", "move", "concat"
  int weight_bits = 0;        // 0 without weights
  std::string weight_scheme;  // "int8 symmetric per-channel"
  std::int64_t weight_count = 0;
  float weight_scale_min = 0.0f;
  float weight_scale_max = 0.0f;
  std::int64_t weight_bytes = 0;  // quantized storage (4-bit packed two per byte)
  std::int64_t bias_bytes = 0;    // int32
  std::int64_t float_bytes = 0;   // the same parameters in float32
  std::vector<std::string> inputs;
  std::string output;
  std::string activation;  // fused "Relu" / "Clip", "" when none
  double sqnr_db = 0.0;    // of the layer's output in the quantized model against the float model
  std::optional<double> sensitivity8_db;  // output SQNR with only this layer quantized
  std::optional<double> sensitivity4_db;
};

struct QuantizeReport {
  std::string model;
  std::string calibration;
  std::int64_t samples = 0;
  std::string method;
  double percentile = 0.0;
  std::string weight_scheme;
  std::string activation_scheme;

  struct Folded {
    std::string batch_norm;
    std::string into;
  };
  std::vector<Folded> folded_batch_norms;

  struct Outliers {
    std::string layer;
    std::string tensor;
    std::int64_t channels = 0;
    float threshold = 0.0f;
    float max_absmax = 0.0f;
    float median_absmax = 0.0f;
    std::vector<std::pair<std::int64_t, float>> outliers;  // channel, max |x|
  };
  std::vector<Outliers> outliers;

  struct Smoothed {
    std::string layer;
    std::string tensor;
    double alpha = 0.0;
    float min_factor = 0.0f;
    float max_factor = 0.0f;
    std::string migrated_into;
    bool inserted_mul = false;
  };
  std::vector<Smoothed> smoothquant;

  struct Mixed {
    std::string cost_model;
    double budget = 0.0;
    double cost = 0.0;
    double cost_all8 = 0.0;
    double cost_all4 = 0.0;
    bool exhaustive = false;
  };
  std::optional<Mixed> mixed_precision;

  std::vector<LayerReport> layers;
  std::vector<TensorReport> activations;
  struct HostOp {
    std::string name;
    std::string op;
    std::string reason;
  };
  std::vector<HostOp> float_nodes;  // nodes left float, run on the host

  struct Output {
    std::string name;
    double sqnr_db = 0.0;
    double argmax_agreement = 0.0;  // fraction of samples with the float model's argmax
  };
  std::vector<Output> outputs;

  // Parameter bytes: of the float model, and of the quantized one (quantized weights and biases,
  // plus float parameters left to host ops).
  std::vector<std::string> notes;  // anything else the user should know, one line each

  std::int64_t float_parameter_bytes = 0;
  std::int64_t quantized_parameter_bytes = 0;
};

nlohmann::ordered_json ReportToJson(const QuantizeReport& report);
// The terminal summary: one line per layer, the float nodes, outputs and the size ratio.
std::string ReportSummary(const QuantizeReport& report);

}  // namespace qsa::quantizer

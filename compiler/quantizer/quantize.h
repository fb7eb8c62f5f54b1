// Post-training quantization: float ONNX model + calibration data → QDQ ONNX model that qsa's
// importer and ONNX Runtime both load (docs/quantization.md).
//
// The pipeline: prepare the graph (constants as initializers, BatchNormalization folded into the
// Conv / Gemm before it); run the float model on the golden engine over the calibration set to
// find outlier channels of MatMul / Gemm inputs (and, when asked, migrate them into the weights
// with SmoothQuant); calibrate every activation tensor with an observer and choose its scale and
// zero point; optionally measure each layer's sensitivity and assign 8 or 4 weight bits under a
// budget; write the QDQ graph; run it on the golden engine against the float model for the
// report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/quantizer/data.h"
#include "compiler/quantizer/observer.h"
#include "compiler/quantizer/report.h"
#include "compiler/quantizer/scheme.h"

namespace qsa::quantizer {

struct QuantizeOptions {
  WeightScheme weights;          // default: int8, per-channel, symmetric
  ActivationScheme activations;  // default: uint8, asymmetric
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.99;  // for CalibrationMethod::kPercentile, in %
  bool fold_batch_norm = true;
  // SmoothQuant strength α for MatMul / Gemm layers whose input has outlier channels; none: off.
  std::optional<double> smoothquant_alpha;
  float outlier_threshold = 6.0f;  // LLM.int8()'s magnitude threshold
  // Mixed precision: a weight-size budget ("60%" of all-8-bit, or bytes: "12000", "12KiB");
  // each weighted layer then gets 8 or 4 bits (quantize_mixed.h).
  std::optional<std::string> weight_budget;
  bool sensitivity = false;      // measure per-layer sensitivity (implied by weight_budget)
  std::int64_t max_samples = 0;  // use at most this many calibration samples (0: all)
};

struct QuantizeResult {
  std::string model;  // the serialized QDQ ModelProto
  QuantizeReport report;
};

// Quantizes the serialized float model `model_bytes` (`source` names it in messages). Throws
// qsa::Error with one line naming the problem: a model qsa cannot run, calibration data that does
// not match the model's inputs, an unsupported option combination.
QuantizeResult QuantizeModel(std::string_view model_bytes, const std::string& source,
                             const CalibrationData& data, const QuantizeOptions& options);

// Reads the model and the calibration data, quantizes, and writes `out_path` (and the JSON
// report to `report_path` when not empty). Both files are written to a temporary file in the same
// folder and renamed, so a failure never leaves a half-written file.
QuantizeReport QuantizeFile(const std::string& model_path, const std::string& data_path,
                            const std::string& out_path, const QuantizeOptions& options,
                            const std::string& report_path = "");

}  // namespace qsa::quantizer

// qsa quantize: post-training quantization of a float ONNX model into QDQ ONNX
// (compiler/quantize.h, docs/quantization.md).
#include <iostream>

#include "compiler/quantizer/mixed.h"
#include "compiler/quantizer/quantize.h"
#include "model/base/error.h"
#include "tools/commands.h"
#include "tools/tool_util.h"

namespace qsa::tools {

CLI::App* AddQuantizeCommand(CLI::App& app, QuantizeArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "quantize", "Quantize a float ONNX model (post-training, calibrated) into QDQ ONNX");
  AddRequired(cmd, "MODEL", args.model, "The float .onnx model", "FILE");
  AddRequired(cmd, "-c,--calibration", args.calibration,
              "Calibration inputs: an .npz (one entry per model input) or a folder of .npy",
              "DATA");
  AddRequired(cmd, "-o,--out", args.out, "The quantized QDQ .onnx to write", "OUT.onnx");
  cmd->add_option("--report", args.report, "Write the quantization report as JSON")
      ->type_name("FILE.json");
  cmd->add_option("-m,--method", args.method,
                  "Calibration: " + quantizer::kCalibrationMethodNames.Join(", ", " or "))
      ->type_name("METHOD")
      ->check(CLI::IsMember(Choices(quantizer::kCalibrationMethodNames)))
      ->capture_default_str();
  cmd->add_option("--percentile", args.percentile, "Percentile kept by --method percentile, in %")
      ->type_name("P")
      ->check(FiniteIn(50.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--weight-bits", args.weight_bits,
                  "Weight bits: 8, or 4 (int8 storage in [-8,7])")
      ->type_name("BITS")
      ->check(CLI::IsMember({8, 4}))
      ->capture_default_str();
  cmd->add_option("--weight-clipping", args.weight_clipping,
                  "Each weight channel's range: minmax, or mse (MSE-optimal clipping)")
      ->type_name("METHOD")
      ->check(CLI::IsMember({"minmax", "mse"}))
      ->capture_default_str();
  cmd->add_flag("--per-tensor", args.per_tensor,
                "One weight scale per tensor (default: per channel)");
  cmd->add_flag("--asymmetric-weights", args.asymmetric_weights,
                "Weights with zero points (default: symmetric, zero point 0)");
  cmd->add_option("--activations", args.activations, "Activation type: uint8 or int8")
      ->type_name("TYPE")
      ->check(CLI::IsMember({"uint8", "int8"}))
      ->capture_default_str();
  cmd->add_flag("--symmetric-activations", args.symmetric_activations,
                "Activations around a fixed zero point (default: asymmetric)");
  cmd->add_flag("--no-fold-bn", args.no_fold_bn, "Leave BatchNormalization nodes unfolded (float)");
  cmd->add_option("--smoothquant", args.smoothquant,
                  "SmoothQuant strength alpha for MatMul/Gemm inputs with outlier channels")
      ->type_name("ALPHA")
      ->check(FiniteIn(0.0, 1.0));
  cmd->add_option("--outlier-threshold", args.outlier_threshold,
                  "Magnitude above which an input channel is an outlier")
      ->type_name("T")
      ->check(FiniteAbove(0.0))
      ->capture_default_str();
  cmd->add_option("--weight-budget", args.weight_budget,
                  "Mixed precision: 8 or 4 weight bits per layer within this weight size")
      ->type_name("SIZE");
  cmd->add_flag("--sensitivity", args.sensitivity,
                "Measure each layer's sensitivity (output SQNR with only it quantized)");
  cmd->add_option("--samples", args.samples, "Use at most N calibration samples")
      ->type_name("N")
      ->check(IntegerAtLeast(1));
  cmd->footer(
      "DATA: an .npz whose entries are named after the model's inputs (any name for a model with\n"
      "one input), or a folder of .npy batches (NAME.npy or NAME.<k>.npy for input NAME; any name\n"
      "for a model with one input). Arrays are [N, ...] batches of the input's dtype and shape.\n"
      "Default scheme: int8 per-channel symmetric weights, uint8 asymmetric activations, min-max\n"
      "calibration, BatchNormalization folded. Ops the quantizer does not handle stay float and\n"
      "run on the host; the summary lists them.\n"
      "--weight-budget SIZE: bytes (12000, 12kB, 12KiB) or a percentage of the all-8-bit weight\n"
      "size (60%); 4-bit weights count half a byte each.\n"
      "Example: qsa quantize examples/digits/digits_float.onnx \\\n"
      "           --calibration examples/digits/calibration.npz -o digits_int8.onnx");
  return cmd;
}

void QuantizeCommand(const QuantizeArgs& args) {
  // The budget's syntax and range are checked before anything is read.
  if (!args.weight_budget.empty()) quantizer::ParseBudget(args.weight_budget, 100.0);
  quantizer::QuantizeOptions options;
  options.method = *quantizer::ParseCalibrationMethod(args.method);
  options.percentile = args.percentile;
  options.weights.bits = args.weight_bits;
  options.weights.clipping = *quantizer::ParseCalibrationMethod(args.weight_clipping);
  options.weights.per_channel = !args.per_tensor;
  options.weights.symmetric = !args.asymmetric_weights;
  options.activations.dtype = *golden::ParseDType(args.activations);
  options.activations.symmetric = args.symmetric_activations;
  options.fold_batch_norm = !args.no_fold_bn;
  if (args.smoothquant >= 0.0) options.smoothquant_alpha = args.smoothquant;
  options.outlier_threshold = static_cast<float>(args.outlier_threshold);
  if (!args.weight_budget.empty()) options.weight_budget = args.weight_budget;
  options.sensitivity = args.sensitivity;
  options.max_samples = args.samples;

  const quantizer::QuantizeReport report =
      quantizer::QuantizeFile(args.model, args.calibration, args.out, options, args.report);
  std::cout << quantizer::ReportSummary(report);
  std::cout << "wrote " << args.out;
  if (!args.report.empty()) std::cout << " and " << args.report;
  std::cout << "\n";
}

}  // namespace qsa::tools

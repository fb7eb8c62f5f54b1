// Mixed precision: per-layer sensitivity and the choice of a weight bit width (8 or 4) per layer
// under a budget (docs/quantization.md).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qsa::quantizer {

// How much one weighted layer suffers from quantization: the SQNR (dB) of the model's outputs
// against the float model when only this layer is quantized, with 8-bit and with 4-bit weights.
struct LayerSensitivity {
  std::string layer;
  std::string op;
  std::int64_t weights = 0;  // weight elements
  std::int64_t macs = 0;     // multiply-accumulates per run (for cost models that want them)
  double sqnr8_db = 0.0;
  double sqnr4_db = 0.0;
};

// The cost a bit-width assignment is budgeted in. The quantizer uses weight storage today; a
// latency or energy estimate plugs in here once the estimator exists.
class LayerCostModel {
 public:
  virtual ~LayerCostModel() = default;
  virtual std::string_view name() const = 0;  // "weight bytes"
  virtual double Cost(const LayerSensitivity& layer, int bits) const = 0;
};

// Weight storage with 4-bit values packed two per byte: ceil(weights · bits / 8) bytes.
class WeightBytesCost : public LayerCostModel {
 public:
  std::string_view name() const override { return "weight bytes"; }
  double Cost(const LayerSensitivity& layer, int bits) const override;
};

struct BitAssignment {
  std::map<std::string, int> bits;  // per layer
  double cost = 0.0;                // of the assignment
  double cost_all8 = 0.0;           // every layer at 8 bits
  double cost_all4 = 0.0;           // every layer at 4 bits
  double budget = 0.0;
  double predicted_noise = 0.0;  // Σ 10^(−SQNR/10) over the layers, as the search saw it
  bool exhaustive = false;       // searched every assignment (else greedy)
};

// Picks 8 or 4 bits per layer so that the total cost is within `budget` and the predicted output
// noise — the sum over layers of the noise-to-signal ratio 10^(−SQNR_b/10) measured with only
// that layer quantized (noise from different layers assumed independent and additive) — is
// smallest. With up to 16 layers every assignment is tried; beyond, layers go to 4 bits greedily
// by least added noise per unit of cost saved. Throws qsa::Error when even all-4-bit exceeds the
// budget.
BitAssignment AssignBitWidths(const std::vector<LayerSensitivity>& layers,
                              const LayerCostModel& cost, double budget);

// A budget given as text: a number of bytes ("12000", "12kB" = 12000, "12KiB" = 12288) or a
// percentage of the all-8-bit cost ("60%"). Throws qsa::Error on anything else.
double ParseBudget(const std::string& text, double cost_all8);
// The largest budget in bytes ParseBudget accepts (1 TiB; a percentage may be at most 100).
inline constexpr double kMaxWeightBudgetBytes = 1099511627776.0;

}  // namespace qsa::quantizer

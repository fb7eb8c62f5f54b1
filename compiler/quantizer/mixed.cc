// Mixed-precision bit-width assignment (quantize_mixed.h).
#include "compiler/quantizer/mixed.h"

#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>

#include "model/base/error.h"
#include "model/base/text.h"

namespace qsa::quantizer {

namespace {

constexpr std::size_t kExhaustiveLimit = 16;

std::string Number(double v) {
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

// Noise-to-signal ratio of an SQNR in dB (0 for an infinite SQNR, 1e30 for NaN / −∞).
double Noise(double sqnr_db) {
  if (std::isnan(sqnr_db)) return 1e30;
  return std::pow(10.0, -sqnr_db / 10.0);
}

struct Choice {
  double cost = 0.0;
  double noise = 0.0;
};

Choice Evaluate(const std::vector<LayerSensitivity>& layers, const LayerCostModel& cost,
                const std::vector<int>& bits) {
  Choice c;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    c.cost += cost.Cost(layers[i], bits[i]);
    c.noise += Noise(bits[i] == 8 ? layers[i].sqnr8_db : layers[i].sqnr4_db);
  }
  return c;
}

}  // namespace

double WeightBytesCost::Cost(const LayerSensitivity& layer, int bits) const {
  return std::ceil(static_cast<double>(layer.weights) * bits / 8.0);
}

BitAssignment AssignBitWidths(const std::vector<LayerSensitivity>& layers,
                              const LayerCostModel& cost, double budget) {
  BitAssignment result;
  result.budget = budget;
  const std::size_t n = layers.size();
  for (const LayerSensitivity& l : layers) {
    result.cost_all8 += cost.Cost(l, 8);
    result.cost_all4 += cost.Cost(l, 4);
  }
  if (result.cost_all4 > budget) {
    throw Error("the " + std::string(cost.name()) + " budget " + Number(budget) +
                " is below the all-4-bit " + std::string(cost.name()) + " " +
                Number(result.cost_all4) + " (all 8-bit: " + Number(result.cost_all8) + ")");
  }
  std::vector<int> best(n, 8);
  Choice best_choice{std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::infinity()};
  if (n <= kExhaustiveLimit) {
    result.exhaustive = true;
    std::vector<int> bits(n);
    for (std::uint32_t mask = 0; mask < (std::uint32_t{1} << n); ++mask) {
      for (std::size_t i = 0; i < n; ++i) bits[i] = (mask >> i) & 1u ? 4 : 8;
      const Choice c = Evaluate(layers, cost, bits);
      const bool better = c.noise < best_choice.noise ||
                          (c.noise == best_choice.noise && c.cost < best_choice.cost);
      if (c.cost <= budget && better) {
        best_choice = c;
        best = bits;
      }
    }
  } else {
    std::vector<int> bits(n, 8);
    Choice c = Evaluate(layers, cost, bits);
    while (c.cost > budget) {
      std::size_t pick = n;
      double pick_ratio = std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < n; ++i) {
        if (bits[i] != 8) continue;
        const double saved = cost.Cost(layers[i], 8) - cost.Cost(layers[i], 4);
        const double added = Noise(layers[i].sqnr4_db) - Noise(layers[i].sqnr8_db);
        const double ratio = saved > 0.0 ? added / saved : std::numeric_limits<double>::infinity();
        if (pick == n || ratio < pick_ratio) {
          pick = i;
          pick_ratio = ratio;
        }
      }
      bits[pick] = 4;
      c = Evaluate(layers, cost, bits);
    }
    best = bits;
    best_choice = c;
  }
  for (std::size_t i = 0; i < n; ++i) result.bits[layers[i].layer] = best[i];
  result.cost = best_choice.cost;
  result.predicted_noise = best_choice.noise;
  return result;
}

double ParseBudget(const std::string& text, double cost_all8) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  const std::string unit = text.substr(static_cast<std::size_t>(end - begin));
  double factor = 0.0;
  if (unit.empty() || unit == "B") {
    factor = 1.0;
  } else if (unit == "%") {
    factor = cost_all8 / 100.0;
  } else if (unit == "kB") {
    factor = 1e3;
  } else if (unit == "KiB") {
    factor = 1024.0;
  } else if (unit == "MB") {
    factor = 1e6;
  } else if (unit == "MiB") {
    factor = 1024.0 * 1024.0;
  }
  if (end == begin || factor == 0.0 || !std::isfinite(value) || value < 0.0) {
    throw Error("budget " + base::Quote(text) +
                " is not a size (bytes, e.g. 12000, 12kB, 12KiB) or a percentage of the "
                "all-8-bit size (e.g. 60%)");
  }
  if (unit == "%" && value > 100.0) {
    throw Error("budget " + base::Quote(text) + " is above 100% of the all-8-bit size");
  }
  if (unit != "%" && value * factor > kMaxWeightBudgetBytes) {
    throw Error("budget " + base::Quote(text) + " is above the largest budget, " +
                std::to_string(static_cast<std::int64_t>(kMaxWeightBudgetBytes)) +
                " bytes (1 TiB)");
  }
  return value * factor;
}

}  // namespace qsa::quantizer

// Mixed-precision bit-width assignment (compiler/quantize_mixed.h): hand-made sensitivities with
// a known best assignment, the greedy search on many layers, budgets and refusals.
#include "compiler/quantizer/mixed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "model/base/error.h"

namespace qsa::quantizer {
namespace {

LayerSensitivity Layer(const std::string& name, std::int64_t weights, double sqnr8, double sqnr4) {
  return LayerSensitivity{name, "Conv", weights, 0, sqnr8, sqnr4};
}

TEST(MixedPrecisionTest, WeightBytesCountFourBitsAsHalfBytes) {
  const WeightBytesCost cost;
  EXPECT_EQ(cost.Cost(Layer("a", 1001, 0, 0), 8), 1001.0);
  EXPECT_EQ(cost.Cost(Layer("a", 1001, 0, 0), 4), 501.0);
}

TEST(MixedPrecisionTest, PutsTheLeastSensitiveLayersAtFourBits) {
  // Three layers of 1000 weights: all-8 = 3000 bytes; a budget of 2000 allows two at 4 bits.
  // Noise added at 4 bits (10^(−SQNR/10)): a 1e-2 − 1e-4, b 1e-3 − 1e-4, c 1e-1 − 1e-4.
  const std::vector<LayerSensitivity> layers = {Layer("a", 1000, 40, 20), Layer("b", 1000, 40, 30),
                                                Layer("c", 1000, 40, 10)};
  const WeightBytesCost cost;
  const BitAssignment a = AssignBitWidths(layers, cost, 2000);
  EXPECT_TRUE(a.exhaustive);
  EXPECT_EQ(a.bits.at("a"), 4);
  EXPECT_EQ(a.bits.at("b"), 4);
  EXPECT_EQ(a.bits.at("c"), 8);
  EXPECT_EQ(a.cost, 2000.0);
  EXPECT_EQ(a.cost_all8, 3000.0);
  EXPECT_EQ(a.cost_all4, 1500.0);
  EXPECT_NEAR(a.predicted_noise, 1e-2 + 1e-3 + 1e-4, 1e-12);
  // A budget of 2600 allows only one at 4 bits: the least sensitive, b.
  const BitAssignment one = AssignBitWidths(layers, cost, 2600);
  EXPECT_EQ(one.bits.at("b"), 4);
  EXPECT_EQ(one.bits.at("a"), 8);
  EXPECT_EQ(one.bits.at("c"), 8);
  // Enough budget: everything stays at 8 bits.
  const BitAssignment all = AssignBitWidths(layers, cost, 3000);
  for (const auto& [name, bits] : all.bits) EXPECT_EQ(bits, 8) << name;
}

TEST(MixedPrecisionTest, SizeMattersWhenNoiseIsEqual) {
  // Equal sensitivity: saving the budget with the one big layer beats two small ones (less
  // noise), and the exhaustive search finds it.
  const std::vector<LayerSensitivity> layers = {Layer("big", 2000, 40, 20),
                                                Layer("s1", 600, 40, 20), Layer("s2", 600, 40, 20)};
  const BitAssignment a = AssignBitWidths(layers, WeightBytesCost(), 2700);
  EXPECT_EQ(a.bits.at("big"), 4);
  EXPECT_EQ(a.bits.at("s1"), 8);
  EXPECT_EQ(a.bits.at("s2"), 8);
}

TEST(MixedPrecisionTest, GreedyBeyondSixteenLayers) {
  std::vector<LayerSensitivity> layers;
  for (int i = 0; i < 20; ++i) {
    // Layer i loses 10 + i dB at 4 bits: the lowest indices are the least sensitive.
    layers.push_back(Layer("l" + std::to_string(i), 100, 40, 30 - i));
  }
  const BitAssignment a = AssignBitWidths(layers, WeightBytesCost(), 2000 - 5 * 50);
  EXPECT_FALSE(a.exhaustive);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(a.bits.at("l" + std::to_string(i)), i < 5 ? 4 : 8) << i;
  }
  EXPECT_LE(a.cost, a.budget);
}

TEST(MixedPrecisionTest, RefusesAnImpossibleBudget) {
  const std::vector<LayerSensitivity> layers = {Layer("a", 1000, 40, 20)};
  try {
    AssignBitWidths(layers, WeightBytesCost(), 499);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("below the all-4-bit weight bytes 500"), std::string::npos)
        << e.what();
  }
}

TEST(MixedPrecisionTest, ParsesBudgets) {
  EXPECT_EQ(ParseBudget("12000", 0), 12000.0);
  EXPECT_EQ(ParseBudget("12kB", 0), 12000.0);
  EXPECT_EQ(ParseBudget("12KiB", 0), 12288.0);
  EXPECT_EQ(ParseBudget("60%", 5000), 3000.0);
  EXPECT_EQ(ParseBudget("1.5MiB", 0), 1.5 * 1024 * 1024);
  for (const char* bad : {"", "abc", "12 kB", "12GB", "-5", "%"}) {
    EXPECT_THROW(ParseBudget(bad, 100), Error) << bad;
  }
}

}  // namespace
}  // namespace qsa::quantizer

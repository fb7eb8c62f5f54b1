// golden::FoldBatchNorm (model/golden/batchnorm_fold.h): the folded weights and bias of a Conv
// (channels along dimension 0) and a Gemm's B (channels along dimension 1), and its refusals.
#include "model/golden/batchnorm_fold.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "model/base/error.h"

namespace qsa::golden {
namespace {

// γ = {2, 0.5}, β = {1, −1}, μ = {0.5, 2}, σ² = {3, 3}, ε = 1: f = {1, 0.25}.
const std::vector<float> kScale = {2.0f, 0.5f};
const std::vector<float> kOffset = {1.0f, -1.0f};
const std::vector<float> kMean = {0.5f, 2.0f};
const std::vector<float> kVar = {3.0f, 3.0f};

BatchNormParams Params() { return {kScale, kOffset, kMean, kVar, 1.0}; }

TEST(BatchNormFoldTest, ConvChannelsFirst) {
  const Tensor w = Tensor::FromVector<float>({2, 1, 1, 2}, {1, 2, 3, 4});
  const std::vector<float> b = {1.0f, 6.0f};
  const FoldedBatchNorm f = FoldBatchNorm(w, 0, b, Params());
  EXPECT_EQ(f.weight, Tensor::FromVector<float>({2, 1, 1, 2}, {1, 2, 0.75f, 1}));
  // b' = (b − μ) · f + β.
  EXPECT_EQ(f.bias, (std::vector<float>{1.5f, 0.0f}));
  const FoldedBatchNorm no_bias = FoldBatchNorm(w, 0, {}, Params());
  EXPECT_EQ(no_bias.bias, (std::vector<float>{0.5f, -1.5f}));
}

TEST(BatchNormFoldTest, GemmChannelsAreColumns) {
  const Tensor b_matrix = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  const FoldedBatchNorm f = FoldBatchNorm(b_matrix, 1, {}, Params());
  EXPECT_EQ(f.weight, Tensor::FromVector<float>({2, 2}, {1, 0.5f, 3, 1}));
}

TEST(BatchNormFoldTest, RoundsOncePerValueFromDouble) {
  const std::vector<float> scale = {0.1f};
  const std::vector<float> offset = {0.3f};
  const std::vector<float> mean = {0.7f};
  const std::vector<float> var = {0.9f};
  const BatchNormParams p{scale, offset, mean, var, static_cast<double>(1e-5f)};
  const Tensor w = Tensor::FromVector<float>({1, 3}, {0.2f, -1.3f, 7.1f});
  const std::vector<float> b = {0.45f};
  const FoldedBatchNorm f = FoldBatchNorm(w, 0, b, p);
  const double factor = 0.1f / std::sqrt(static_cast<double>(0.9f) + static_cast<double>(1e-5f));
  EXPECT_EQ(f.weight.Data<float>()[1], static_cast<float>(static_cast<double>(-1.3f) * factor));
  EXPECT_EQ(f.bias[0], static_cast<float>((static_cast<double>(0.45f) - 0.7f) * factor + 0.3f));
}

TEST(BatchNormFoldTest, RefusesMismatchedSizes) {
  const Tensor w = Tensor::FromVector<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  EXPECT_THROW(FoldBatchNorm(w, 0, {}, Params()), Error);  // 3 channels, 2 parameters
  const Tensor w2 = Tensor::FromVector<float>({2, 2}, {1, 2, 3, 4});
  const std::vector<float> b = {1, 2, 3};
  EXPECT_THROW(FoldBatchNorm(w2, 0, b, Params()), Error);
  EXPECT_THROW(FoldBatchNorm(w2, 2, {}, Params()), Error);
  const std::vector<float> short_var = {3.0f};
  EXPECT_THROW(FoldBatchNorm(w2, 0, {}, {kScale, kOffset, kMean, short_var, 1.0}), Error);
}

}  // namespace
}  // namespace qsa::golden

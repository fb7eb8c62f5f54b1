#include "model/golden/batchnorm_fold.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/base/error.h"

namespace qsa::golden {

FoldedBatchNorm FoldBatchNorm(const Tensor& weight, int axis, std::span<const float> bias,
                              const BatchNormParams& bn) {
  const std::size_t channels = bn.scale.size();
  const Shape& shape = weight.shape();
  if (bn.offset.size() != channels || bn.mean.size() != channels || bn.var.size() != channels) {
    throw Error("BatchNormalization parameters of different sizes");
  }
  if (weight.dtype() != DType::kFloat32 || axis < 0 || axis >= weight.rank() ||
      shape[static_cast<std::size_t>(axis)] != static_cast<std::int64_t>(channels)) {
    throw Error("cannot fold " + std::to_string(channels) + " BatchNormalization channels into " +
                "dimension " + std::to_string(axis) + " of " + weight.Describe());
  }
  if (!bias.empty() && bias.size() != channels) {
    throw Error("cannot fold " + std::to_string(channels) +
                " BatchNormalization channels into a bias of " + std::to_string(bias.size()));
  }
  std::vector<double> factor(channels);
  FoldedBatchNorm folded{weight, std::vector<float>(channels)};
  for (std::size_t c = 0; c < channels; ++c) {
    factor[c] =
        static_cast<double>(bn.scale[c]) / std::sqrt(static_cast<double>(bn.var[c]) + bn.epsilon);
    const double b = bias.empty() ? 0.0 : static_cast<double>(bias[c]);
    folded.bias[c] = static_cast<float>((b - static_cast<double>(bn.mean[c])) * factor[c] +
                                        static_cast<double>(bn.offset[c]));
  }
  std::int64_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::span<float> w = folded.weight.Data<float>();
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto c = static_cast<std::size_t>(static_cast<std::int64_t>(i) / inner) % channels;
    w[i] = static_cast<float>(static_cast<double>(w[i]) * factor[c]);
  }
  return folded;
}

}  // namespace qsa::golden

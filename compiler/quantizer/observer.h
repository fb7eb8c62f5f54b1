// Calibration observers: the distribution of one activation tensor over the calibration set, and
// the clipping range each calibration method chooses from it (docs/quantization.md).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "compiler/quantizer/scheme.h"

namespace qsa::quantizer {

// Collects a tensor's values in two passes over the calibration set:
//   pass 1, ObserveRange: the minimum and maximum (enough for min-max);
//   pass 2, ObserveHistogram: 2·kHalfBins equal bins over [−A, A], A = max(|min|, |max|) of
//           pass 1 — symmetric about 0, so that the histogram of |x| is exact too.
// Choose() then picks the clipping range of a method from what was collected.
class TensorObserver {
 public:
  static constexpr std::int64_t kHalfBins = 2048;

  // Throws qsa::Error on a NaN or infinite value.
  void ObserveRange(std::span<const float> values);
  void ObserveHistogram(std::span<const float> values);

  bool empty() const { return count_ == 0; }
  float min() const { return min_; }
  float max() const { return max_; }
  std::int64_t count() const { return count_; }
  bool has_histogram() const { return !bins_.empty(); }
  // Width of one histogram bin (A / kHalfBins).
  double bin_width() const;

  // The clipping range `method` chooses for a tensor quantized with `scheme` (always within
  // [min, max]; ChooseParams later widens it to contain 0):
  //   minmax:     [min, max].
  //   percentile: symmetric scheme: ±t, t the `percentile` (in %, e.g. 99.99) of |x|;
  //               asymmetric: hi the `percentile` of x, lo the (100 − percentile) one (each tail
  //               loses at most 100 − percentile % of the values).
  //   mse:        the bin edges lo ≤ 0 ≤ hi (lo = −hi when symmetric) minimizing the expected
  //               squared error  Σ_inside n·Δ²/12 + Σ_outside n·((c − edge)² + w²/12),  Δ the
  //               grid step (hi − lo) / steps, c a bin's centre, w the bin width.
  //   kl:         TensorRT's entropy calibration on the histogram of |x|: for each threshold of
  //               i ≥ L bins, the reference P (bins below i, the clipped mass added to bin i − 1)
  //               against Q (those bins merged into L levels and spread back over their non-empty
  //               bins); the threshold i·w of least KL(P || Q). The first bin (|x| ≈ 0, where
  //               ReLU outputs pile up) counts as much as the second. Values occupying fewer
  //               than L bins (a few discrete levels, such as 8-bit pixels) keep [min, max]. L =
  //               2^(bits − 1) = 128 levels for every 8-bit scheme, as TensorRT (with 256 levels
  //               for non-negative values the search degenerates: i = 256 reproduces P exactly and
  //               clips too much).
  // Methods other than minmax need pass 2; throws qsa::Error without it.
  RealRange Choose(CalibrationMethod method, const TensorScheme& scheme, double percentile) const;

 private:
  // Histogram of |x|: kHalfBins bins over [0, A].
  std::vector<double> AbsoluteBins() const;
  RealRange Percentile(const TensorScheme& scheme, double percentile) const;
  RealRange Mse(const TensorScheme& scheme) const;
  RealRange Kl(const TensorScheme& scheme) const;
  RealRange Clipped(double lo, double hi) const;

  float min_ = 0.0f;
  float max_ = 0.0f;
  std::int64_t count_ = 0;
  double bound_ = 0.0;              // A
  std::vector<std::int64_t> bins_;  // 2·kHalfBins, bin k covers [−A + k·w, −A + (k + 1)·w)
};

// The range `method` chooses for `values` alone (both passes over them), e.g. one weight channel.
RealRange ChooseRange(std::span<const float> values, CalibrationMethod method,
                      const TensorScheme& scheme, double percentile = 99.99);

// Per-channel maximum magnitude along the last axis of a tensor (the input channels of a
// MatMul / Gemm), for the outlier report and SmoothQuant.
class ChannelObserver {
 public:
  // Throws qsa::Error when the last dimension differs from earlier calls.
  void Observe(std::span<const float> values, std::int64_t channels);
  const std::vector<float>& absmax() const { return absmax_; }

 private:
  std::vector<float> absmax_;
};

}  // namespace qsa::quantizer

// Calibration observers and methods (quantize_observer.h).
#include "compiler/quantizer/observer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "model/base/error.h"

namespace qsa::quantizer {

namespace {

constexpr double kKlEpsilon = 1e-4;

// Sum of P·log(P/Q) over the bins where P > 0, after normalizing both; bins where Q is 0 and P
// is not take a small share (kKlEpsilon of the smallest non-zero Q) rather than infinity.
double KlDivergence(const std::vector<double>& p, const std::vector<double>& q) {
  double p_sum = 0.0;
  double q_sum = 0.0;
  double q_min = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < p.size(); ++k) {
    p_sum += p[k];
    q_sum += q[k];
    if (q[k] > 0.0) q_min = std::min(q_min, q[k]);
  }
  if (p_sum <= 0.0 || q_sum <= 0.0) return std::numeric_limits<double>::infinity();
  double kl = 0.0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    if (p[k] <= 0.0) continue;
    const double pk = p[k] / p_sum;
    const double qk = (q[k] > 0.0 ? q[k] : q_min * kKlEpsilon) / q_sum;
    kl += pk * std::log(pk / qk);
  }
  return kl;
}

}  // namespace

// ---- TensorObserver -----------------------------------------------------------------------------

void TensorObserver::ObserveRange(std::span<const float> values) {
  for (float v : values) {
    if (!std::isfinite(v)) throw Error("has a non-finite value (" + std::to_string(v) + ")");
    if (count_ == 0) {
      min_ = v;
      max_ = v;
    }
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    ++count_;
  }
}

void TensorObserver::ObserveHistogram(std::span<const float> values) {
  if (bins_.empty()) {
    bins_.assign(static_cast<std::size_t>(2 * kHalfBins), 0);
    bound_ = std::max(std::fabs(static_cast<double>(min_)), std::fabs(static_cast<double>(max_)));
  }
  const double scale = bound_ > 0.0 ? kHalfBins / bound_ : 0.0;
  for (float v : values) {
    const double position = (static_cast<double>(v) + bound_) * scale;
    const auto k = static_cast<std::int64_t>(
        std::clamp(std::floor(position), 0.0, static_cast<double>(2 * kHalfBins - 1)));
    ++bins_[static_cast<std::size_t>(k)];
  }
}

double TensorObserver::bin_width() const { return bound_ / kHalfBins; }

std::vector<double> TensorObserver::AbsoluteBins() const {
  std::vector<double> abs(static_cast<std::size_t>(kHalfBins));
  for (std::int64_t j = 0; j < kHalfBins; ++j) {
    abs[static_cast<std::size_t>(j)] =
        static_cast<double>(bins_[static_cast<std::size_t>(kHalfBins + j)] +
                            bins_[static_cast<std::size_t>(kHalfBins - 1 - j)]);
  }
  return abs;
}

RealRange TensorObserver::Clipped(double lo, double hi) const {
  return RealRange{static_cast<float>(std::max(lo, static_cast<double>(min_))),
                   static_cast<float>(std::min(hi, static_cast<double>(max_)))};
}

RealRange TensorObserver::Choose(CalibrationMethod method, const TensorScheme& scheme,
                                 double percentile) const {
  if (method == CalibrationMethod::kMinMax) return RealRange{min_, max_};
  if (!has_histogram()) {
    throw Error("calibration method '" + std::string(CalibrationMethodName(method)) +
                "' needs a histogram, and none was collected");
  }
  if (bound_ == 0.0) return RealRange{0.0f, 0.0f};  // every value was 0
  switch (method) {
    case CalibrationMethod::kPercentile:
      return Percentile(scheme, percentile);
    case CalibrationMethod::kMse:
      return Mse(scheme);
    case CalibrationMethod::kKl:
      return Kl(scheme);
    case CalibrationMethod::kMinMax:
      break;
  }
  return RealRange{min_, max_};
}

RealRange TensorObserver::Percentile(const TensorScheme& scheme, double percentile) const {
  if (!(percentile > 0.0 && percentile <= 100.0)) {
    throw Error("percentile " + std::to_string(percentile) + " is outside (0, 100]");
  }
  const double w = bin_width();
  const double keep = percentile / 100.0 * static_cast<double>(count_);
  if (scheme.symmetric) {
    const std::vector<double> abs = AbsoluteBins();
    double sum = 0.0;
    for (std::size_t j = 0; j < abs.size(); ++j) {
      sum += abs[j];
      if (sum >= keep) {
        const double t = static_cast<double>(j + 1) * w;
        return Clipped(-t, t);
      }
    }
    return Clipped(-bound_, bound_);
  }
  double hi = bound_;
  double sum = 0.0;
  for (std::size_t k = 0; k < bins_.size(); ++k) {
    sum += static_cast<double>(bins_[k]);
    if (sum >= keep) {
      hi = -bound_ + static_cast<double>(k + 1) * w;
      break;
    }
  }
  double lo = -bound_;
  sum = 0.0;
  for (std::size_t k = bins_.size(); k-- > 0;) {
    sum += static_cast<double>(bins_[k]);
    if (sum >= keep) {
      lo = -bound_ + static_cast<double>(k) * w;
      break;
    }
  }
  return Clipped(lo, hi);
}

RealRange TensorObserver::Mse(const TensorScheme& scheme) const {
  const double w = bin_width();
  const std::size_t n = bins_.size();
  // Prefix sums of n, n·c and n·c² over the bins (c the bin centre), so that the clipping error
  // of any tail is O(1).
  std::vector<double> s0(n + 1, 0.0), s1(n + 1, 0.0), s2(n + 1, 0.0);
  for (std::size_t k = 0; k < n; ++k) {
    const double c = -bound_ + (static_cast<double>(k) + 0.5) * w;
    const auto count = static_cast<double>(bins_[k]);
    s0[k + 1] = s0[k] + count;
    s1[k + 1] = s1[k] + count * c;
    s2[k + 1] = s2[k] + count * c * c;
  }
  const double bin_noise = w * w / 12.0;
  const double steps = scheme.steps();
  // Edge e (0..n) is the real value −A + e·w; lo at edge a ≤ H, hi at edge b ≥ H.
  auto error = [&](std::size_t a, std::size_t b) {
    const double lo = -bound_ + static_cast<double>(a) * w;
    const double hi = -bound_ + static_cast<double>(b) * w;
    const double step = (hi - lo) / steps;
    const double inside = s0[b] - s0[a];
    const double below = s2[a] - 2.0 * lo * s1[a] + lo * lo * s0[a] + s0[a] * bin_noise;
    const double above = (s2[n] - s2[b]) - 2.0 * hi * (s1[n] - s1[b]) + hi * hi * (s0[n] - s0[b]) +
                         (s0[n] - s0[b]) * bin_noise;
    return inside * step * step / 12.0 + below + above;
  };
  const auto half = static_cast<std::size_t>(kHalfBins);
  // The edges that still contain every observed value: nothing is gained beyond them.
  const auto first = static_cast<std::size_t>(std::clamp(
      std::floor((static_cast<double>(min_) + bound_) / w), 0.0, static_cast<double>(half)));
  const auto last =
      static_cast<std::size_t>(std::clamp(std::ceil((static_cast<double>(max_) + bound_) / w),
                                          static_cast<double>(half), static_cast<double>(n)));
  std::size_t best_a = first;
  std::size_t best_b = last;
  double best = std::numeric_limits<double>::infinity();
  if (scheme.symmetric) {
    for (std::size_t b = half + 1; b <= n; ++b) {
      const double e = error(n - b, b);
      if (e < best) {
        best = e;
        best_a = n - b;
        best_b = b;
      }
    }
  } else {
    for (std::size_t a = first; a <= half; ++a) {
      for (std::size_t b = std::max(half, a + 1); b <= last; ++b) {
        const double e = error(a, b);
        if (e < best) {
          best = e;
          best_a = a;
          best_b = b;
        }
      }
    }
  }
  return Clipped(-bound_ + static_cast<double>(best_a) * w,
                 -bound_ + static_cast<double>(best_b) * w);
}

RealRange TensorObserver::Kl(const TensorScheme& scheme) const {
  std::vector<double> abs = AbsoluteBins();
  // Exact zeros (ReLU outputs, padding) are represented exactly whatever the threshold; left in,
  // their spike dominates the divergence of any merge and drives the threshold down.
  if (abs.size() > 1) abs[0] = abs[1];
  const std::size_t levels = std::size_t{1} << (scheme.bits - 1);
  // Values that fill fewer bins than the grid has levels (pixels of a few grey levels) have no
  // distribution to approximate: the search would clip at the second occupied bin, where P and
  // Q are both a single spike. They keep their full range.
  const auto occupied = static_cast<std::size_t>(
      std::count_if(abs.begin(), abs.end(), [](double c) { return c > 0.0; }));
  if (occupied < levels) return RealRange{min_, max_};
  const std::size_t bins = abs.size();
  double total = 0.0;
  for (double c : abs) total += c;
  std::size_t best_i = bins;
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> p, q;
  double inside = 0.0;
  for (std::size_t j = 0; j < levels && j < bins; ++j) inside += abs[j];
  for (std::size_t i = std::min(levels, bins); i <= bins; ++i) {
    if (i > levels) inside += abs[i - 1];
    p.assign(abs.begin(), abs.begin() + static_cast<std::ptrdiff_t>(i));
    p[i - 1] += total - inside;  // the clipped values land in the last bin
    // Q: the i reference bins merged into `levels` groups (the last takes the remainder), each
    // group's count spread evenly over its non-empty bins.
    q.assign(i, 0.0);
    const std::size_t merged = i / levels;
    for (std::size_t g = 0; g < levels; ++g) {
      const std::size_t start = g * merged;
      const std::size_t stop = g + 1 == levels ? i : start + merged;
      double sum = 0.0;
      std::size_t nonzero = 0;
      for (std::size_t k = start; k < stop; ++k) {
        sum += abs[k];
        if (abs[k] != 0.0) ++nonzero;
      }
      if (nonzero == 0) continue;
      for (std::size_t k = start; k < stop; ++k) {
        if (abs[k] != 0.0) q[k] = sum / static_cast<double>(nonzero);
      }
    }
    const double kl = KlDivergence(p, q);
    if (kl < best) {
      best = kl;
      best_i = i;
    }
  }
  const double t = static_cast<double>(best_i) * bin_width();
  return Clipped(-t, t);
}

RealRange ChooseRange(std::span<const float> values, CalibrationMethod method,
                      const TensorScheme& scheme, double percentile) {
  TensorObserver o;
  o.ObserveRange(values);
  if (method != CalibrationMethod::kMinMax) o.ObserveHistogram(values);
  return o.Choose(method, scheme, percentile);
}

// ---- ChannelObserver ----------------------------------------------------------------------------

void ChannelObserver::Observe(std::span<const float> values, std::int64_t channels) {
  if (channels <= 0) throw Error("has no channels to observe");
  const auto c = static_cast<std::size_t>(channels);
  if (absmax_.empty()) absmax_.assign(c, 0.0f);
  if (absmax_.size() != c) {
    throw Error("has " + std::to_string(channels) + " channels, earlier " +
                std::to_string(absmax_.size()));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    absmax_[i % c] = std::max(absmax_[i % c], std::fabs(values[i]));
  }
}

}  // namespace qsa::quantizer

// A progress line for long runs: rewritten in place on standard error ("isa: 1,245,184
// instructions, 9,870,112 cycles, 12 s"), shown only when standard error is a terminal, the run
// has lasted a few seconds and --quiet is not given; cleared when the run ends.
#pragma once

#include <chrono>
#include <string>

namespace qsa::tools {

class ProgressLine {
 public:
  // `quiet`: never show anything.
  explicit ProgressLine(bool quiet);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Shows `text` and the elapsed seconds, at most a few times a second, once the run has lasted
  // kDelay.
  void Update(const std::string& text);
  // Removes the line (also done by the destructor).
  void Clear();

  static constexpr std::chrono::seconds kDelay{2};

 private:
  bool enabled_ = false;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace qsa::tools

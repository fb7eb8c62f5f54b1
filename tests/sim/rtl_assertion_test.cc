// The array's weight-buffer checker (rtl/core/qsa_array_check.sv) verilated alone for a 4x4
// array (--assert): a weight write into a buffer while a row that uses it is inside that column
// must fire ArrayWeightBufferFree_A; a write one cycle before the row reaches the column or after
// it has left, or into the other buffer, must not. In the accelerator the checker is bound into
// every gemm (rtl/core/qsa_binds.sv) and stays silent over the co-simulation regression.
#include <gtest/gtest.h>

#include <memory>
#include <string>

// Verilator's headers, under the project's warnings.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vqsa_array_check.h"
#include "verilated.h"
#pragma GCC diagnostic pop

namespace qsa::sim {
namespace {

constexpr int kRows = 4;

class ArrayCheckBench {
 public:
  ArrayCheckBench() : context_(std::make_unique<VerilatedContext>()) {
    context_->fatalOnError(false);  // a failed assertion sets gotError instead of aborting
    top_ = std::make_unique<Vqsa_array_check>(context_.get(), "check");
    top_->rst_ni = 0;
    Clock();
    Clock();
    top_->rst_ni = 1;
  }
  ~ArrayCheckBench() { top_->final(); }
  ArrayCheckBench(const ArrayCheckBench&) = delete;
  ArrayCheckBench& operator=(const ArrayCheckBench&) = delete;

  // One cycle with these inputs; returns whether an assertion failed so far.
  bool Cycle(bool valid, bool sel, bool wload, bool wbuf, int wcol) {
    top_->valid_i = valid;
    top_->sel_i = sel;
    top_->wload_i = wload;
    top_->wbuf_i = wbuf;
    top_->wcol_i = static_cast<std::uint8_t>(wcol);
    Clock();
    return context_->gotError();
  }
  bool Idle() { return Cycle(false, false, false, false, 0); }

 private:
  void Clock() {
    top_->clk_i = 0;
    top_->eval();
    top_->clk_i = 1;
    top_->eval();
  }
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vqsa_array_check> top_;
};

// A row of buffer 0 enters in cycle t; column c of buffer 0 is written `after` cycles later.
// Returns whether the checker fired.
bool WriteAfterRow(int column, int after, bool other_buffer = false) {
  ArrayCheckBench bench;
  bool fired = false;
  if (after == 0) {
    fired = bench.Cycle(true, false, true, other_buffer, column);
  } else {
    fired = bench.Cycle(true, false, false, false, 0);
    for (int k = 1; k < after; ++k) fired = bench.Idle() || fired;
    fired = bench.Cycle(false, false, true, other_buffer, column) || fired;
  }
  for (int k = 0; k < 3; ++k) fired = bench.Idle() || fired;
  return fired;
}

TEST(RtlAssertion, ArrayWeightWriteUnderAnInFlightRowFires) {
  // The row is in column c from cycle t + c to t + c + kRows - 1, and a write in cycle w counts
  // from w + 1: writes in [t + c, t + c + kRows - 2] split it; one cycle earlier is a preload
  // just in time, one cycle later finds the row gone.
  for (int c = 0; c < kRows; ++c) {
    const int first_bad = c;
    const int last_bad = c + kRows - 2;
    EXPECT_TRUE(WriteAfterRow(c, first_bad))
        << "column " << c << ", write " << first_bad << " cycles after the row entered";
    EXPECT_TRUE(WriteAfterRow(c, last_bad))
        << "column " << c << ", write " << last_bad << " cycles after the row entered";
    if (c > 0) {
      EXPECT_FALSE(WriteAfterRow(c, first_bad - 1))
          << "column " << c << ", write just before the row reaches the column";
    }
    EXPECT_FALSE(WriteAfterRow(c, last_bad + 1))
        << "column " << c << ", write " << last_bad + 1 << " cycles after (the row has left)";
    EXPECT_FALSE(WriteAfterRow(c, first_bad, /*other_buffer=*/true))
        << "column " << c << ", write into the other buffer";
  }
}

TEST(RtlAssertion, ArrayWeightWritesWithoutRowsAreSilent) {
  ArrayCheckBench bench;
  bool fired = false;
  for (int k = 0; k < 40; ++k)
    fired = bench.Cycle(false, (k & 1) != 0, true, (k & 2) != 0, k % kRows) || fired;
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace qsa::sim

// The DRAM on the other side of qsa_top's read and write channels (rtl_common: "DRAM port"): the
// program's DRAM image, a fixed latency, a bandwidth shared by reads and writes, and optionally
// seeded random latency jitter and back-pressure to shake out handshake bugs.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <vector>

namespace qsa::sim {

inline constexpr int kBusBytes = 16;
using Beat = std::array<std::uint8_t, kBusBytes>;

struct DramOptions {
  int latency_cycles = 100;  // from request acceptance to response / acknowledge
  int bytes_per_cycle = 16;  // port bandwidth, reads and writes together
  // With a seed: each request gets 0..max_jitter extra cycles of latency (responses stay in
  // order), and each cycle each request channel is not ready with probability backpressure.
  std::optional<std::uint64_t> seed;
  int max_jitter = 0;
  double backpressure = 0.0;
};

// Throws qsa::Error for options no DRAM can have (latency or bandwidth below 1, negative jitter,
// back-pressure outside [0, 1)).
void CheckDramOptions(const DramOptions& options);

// What the DRAM drives during a cycle; it depends only on the DRAM's state (not on the
// accelerator's outputs of the same cycle).
struct DramDrive {
  bool rd_req_ready = false;
  bool rd_rsp_valid = false;
  Beat rd_rsp_data{};
  bool wr_req_ready = false;
  bool wr_ack = false;
};

// What the accelerator did during the cycle (its outputs before the rising edge).
struct DramActivity {
  bool rd_req_valid = false;
  std::uint32_t rd_req_addr = 0;
  bool rd_rsp_ready = false;
  bool wr_req_valid = false;
  std::uint32_t wr_req_addr = 0;
  Beat wr_req_data{};
  std::uint16_t wr_req_strb = 0;
};

// One write beat the DRAM accepted.
struct DramWrite {
  std::uint32_t addr = 0;
  Beat data{};
  std::uint16_t strb = 0;
};

class DramModel {
 public:
  // `dram` is the whole DRAM (its size is the program's dram_size): bytes past its end read as
  // zero and writes there are dropped.
  DramModel(std::vector<std::uint8_t> dram, const DramOptions& options);

  // The signals for the current cycle (call once per cycle, before Clock).
  DramDrive Drive();
  // The rising edge: takes the handshakes of the cycle (drive & activity). Returns the write
  // beat accepted in this cycle, if any (already applied to the DRAM).
  std::optional<DramWrite> Clock(const DramDrive& drive, const DramActivity& activity);

  const std::vector<std::uint8_t>& dram() const { return dram_; }
  std::vector<std::uint8_t>& dram() { return dram_; }
  std::int64_t cycle() const { return cycle_; }
  // Requests accepted but not yet answered (reads) or acknowledged (writes).
  std::size_t outstanding_reads() const { return reads_.size(); }
  std::size_t outstanding_writes() const { return acks_.size(); }

 private:
  struct Response {
    std::int64_t due = 0;
    Beat data{};
  };
  std::int64_t DueCycle(std::int64_t& last_due);
  bool RandomStall();
  Beat ReadBeat(std::uint32_t addr) const;
  void WriteBeat(const DramWrite& write);

  std::vector<std::uint8_t> dram_;
  DramOptions options_;
  std::mt19937_64 rng_;
  std::int64_t cycle_ = 0;
  // Port bandwidth: bytes_per_cycle added each cycle (saved up to one cycle's worth); a beat
  // may start while the credit is positive and costs kBusBytes, driving it negative (a debt the
  // following cycles repay), so a beat occupies the port kBusBytes / bytes_per_cycle cycles on
  // average, fractions included.
  std::int64_t credit_ = 0;
  std::deque<Response> reads_;
  std::deque<std::int64_t> acks_;  // due cycles
  std::int64_t last_read_due_ = 0;
  std::int64_t last_ack_due_ = 0;
};

}  // namespace qsa::sim

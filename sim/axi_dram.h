// A DRAM behind an AXI4 slave port (AMBA AXI4: AR, R, AW, W and B channels), for a memory master
// in the RTL: INCR bursts of full-width beats, IDs with several bursts in flight, byte strobes,
// the latency, bandwidth, jitter and back-pressure of DramOptions (sim/dram_model.h), and a check
// of the master's side of the protocol every cycle.
//
// Timing. A read burst accepted in cycle t may send its first beat in t + latency (+ jitter); a
// burst, once started, sends its beats back to back (no interleaving of bursts on R); among the
// bursts that are due, the oldest goes first, except that a burst never passes an older one with
// the same ID (AXI's ordering rule; bursts with different IDs may complete out of order when
// jitter reorders them). R and W beats share the port's bandwidth (bytes_per_cycle, as in
// DramModel). Write data is taken only for an accepted AW (the slave may wait for the address);
// a burst's response is due latency (+ jitter) cycles after its last W beat, with the same
// per-ID ordering on B. A read returns the DRAM as it was when its AR was accepted.
//
// Responses: OKAY, or DECERR for a burst any byte of which lies outside the DRAM, or SLVERR for
// a burst any byte of which lies in the injected error range (SetSlaveErrorRange, for tests of
// the master's error handling); an erroneous burst's reads return zeros and its writes are
// dropped (DECERR takes precedence over SLVERR).
//
// Protocol checks (qsa::Error "AXI <channel>: cycle N: ..."): a VALID dropped before its
// handshake, or its payload changed while waiting; a burst that is not INCR, not full-width
// (size = log2 of the bus bytes), not aligned to the bus, or crossing a 4 KiB boundary; WLAST
// not on exactly the last beat of its burst. The model itself keeps its side: RVALID and BVALID
// stay raised with their payload until taken; it drops AWREADY/ARREADY when limits are reached.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "sim/dram_model.h"

namespace qsa::sim {

inline constexpr std::uint8_t kAxiBurstIncr = 1;
inline constexpr std::uint8_t kAxiRespOkay = 0;
inline constexpr std::uint8_t kAxiRespSlvErr = 2;
inline constexpr std::uint8_t kAxiRespDecErr = 3;
inline constexpr std::uint8_t kAxiFullSize = 4;  // log2(kBusBytes)

// The address of a burst (AR or AW).
struct AxiAddress {
  std::uint32_t id = 0;
  std::uint32_t addr = 0;
  std::uint8_t len = 0;  // beats - 1
  std::uint8_t size = kAxiFullSize;
  std::uint8_t burst = kAxiBurstIncr;
  bool operator==(const AxiAddress&) const = default;
};

// The master's outputs during a cycle (before the rising edge).
struct AxiMasterOut {
  bool ar_valid = false;
  AxiAddress ar;
  bool r_ready = false;
  bool aw_valid = false;
  AxiAddress aw;
  bool w_valid = false;
  Beat w_data{};
  std::uint16_t w_strb = 0;
  bool w_last = false;
  bool b_ready = false;
};

// The slave's outputs during a cycle; they depend only on the model's state.
struct AxiSlaveOut {
  bool ar_ready = false;
  bool r_valid = false;
  std::uint32_t r_id = 0;
  Beat r_data{};
  std::uint8_t r_resp = kAxiRespOkay;
  bool r_last = false;
  bool aw_ready = false;
  bool w_ready = false;
  bool b_valid = false;
  std::uint32_t b_id = 0;
  std::uint8_t b_resp = kAxiRespOkay;
};

struct AxiLimits {
  int max_reads = 16;   // read bursts accepted and not fully returned
  int max_writes = 16;  // write bursts accepted and not yet answered on B
};

// What the port did, for reports and tests.
struct AxiStats {
  std::int64_t read_bursts = 0;
  std::int64_t read_beats = 0;
  std::int64_t write_bursts = 0;
  std::int64_t write_beats = 0;
  int max_reads_in_flight = 0;
  int max_writes_in_flight = 0;
  std::int64_t reordered_bursts = 0;  // bursts answered before an older one with another ID
  // With an AxiBacking: the cycles bursts were delayed by its waits, summed over the bursts
  // (several in flight at once, so the sum may exceed the time lost).
  std::int64_t backing_wait_cycles = 0;
};

// Where an AxiDram's bytes live when they are not in its own vector: another memory model (the
// SystemC platform's shared DRAM). An access may have waited behind other traffic there; those
// cycles delay the burst beyond the port's own timing.
class AxiBacking {
 public:
  virtual ~AxiBacking() = default;
  virtual std::uint64_t Size() const = 0;
  // A read burst's bytes, taken when its AR is accepted; returns the cycles it waited.
  virtual std::int64_t Read(std::uint32_t addr, std::span<std::uint8_t> bytes) = 0;
  // One W beat with its byte strobes; returns the cycles it waited (added to its burst's
  // response).
  virtual std::int64_t Write(std::uint32_t addr, const Beat& data, std::uint16_t strb) = 0;
};

class AxiDram {
 public:
  // `dram` is the whole DRAM. Throws qsa::Error for impossible options.
  AxiDram(std::vector<std::uint8_t> dram, const DramOptions& options, const AxiLimits& limits = {});
  // The DRAM is `backing` (which must outlive this port); dram() is then empty.
  AxiDram(AxiBacking& backing, const DramOptions& options, const AxiLimits& limits = {});

  // The slave's signals for the current cycle (call once per cycle, before Clock).
  AxiSlaveOut Drive();
  // The rising edge: checks the master's signals, takes the cycle's handshakes. Returns the write
  // beat accepted in this cycle and applied to the DRAM, if any (none for an erroneous burst).
  std::optional<DramWrite> Clock(const AxiSlaveOut& slave, const AxiMasterOut& master);

  // Bursts touching a byte of [begin, end) are answered SLVERR from now on (begin == end: none).
  // Throws qsa::Error when end < begin.
  void SetSlaveErrorRange(std::uint32_t begin, std::uint32_t end);
  // During the model's cycles [begin, end) the slave answers nothing: no READY on AR, AW and W,
  // and no new R beat or B response (one already offered stays offered, as AXI requires); a
  // memory that stops answering for a while, for tests of the master's watchdog. Throws
  // qsa::Error when end < begin.
  void SetStallWindow(std::int64_t begin, std::int64_t end);

  const std::vector<std::uint8_t>& dram() const { return dram_; }
  std::vector<std::uint8_t>& dram() { return dram_; }
  std::int64_t cycle() const { return cycle_; }
  const AxiStats& stats() const { return stats_; }
  std::size_t outstanding_reads() const { return reads_.size(); }
  std::size_t outstanding_writes() const { return writes_.size() + responses_.size(); }

 private:
  struct ReadBurst {
    std::uint32_t id = 0;
    std::int64_t due = 0;
    std::int64_t order = 0;  // acceptance order
    std::vector<Beat> beats;
    std::uint8_t resp = kAxiRespOkay;
  };
  struct WriteBurst {
    AxiAddress aw;
    int beats_taken = 0;
    std::uint8_t resp = kAxiRespOkay;
    std::int64_t waited = 0;  // cycles its beats waited in the backing
  };
  struct Response {
    std::uint32_t id = 0;
    std::int64_t due = 0;
    std::int64_t order = 0;
    std::uint8_t resp = kAxiRespOkay;
  };

  void CheckStable(const AxiMasterOut& master) const;
  void CheckAddress(const char* channel, const AxiAddress& a) const;
  [[noreturn]] void Fail(const char* channel, const std::string& what) const;
  bool RandomStall();
  std::int64_t Due();
  bool InRange(const AxiAddress& a) const;
  // OKAY, DECERR or SLVERR for a burst.
  std::uint8_t ResponseOf(const AxiAddress& a) const;
  // The index of the read burst R serves now: the one already sending, else the oldest due burst
  // with no older burst of its ID; -1 when none.
  int NextRead() const;
  int NextResponse() const;

  std::vector<std::uint8_t> dram_;
  AxiBacking* backing_ = nullptr;
  DramOptions options_;
  AxiLimits limits_;
  std::mt19937_64 rng_;
  std::int64_t cycle_ = 0;
  std::int64_t credit_ = 0;  // bandwidth, as in DramModel
  std::int64_t accepted_ = 0;
  std::uint32_t slverr_begin_ = 0;  // the injected SLVERR range [begin, end)
  std::uint32_t slverr_end_ = 0;
  std::int64_t stall_begin_ = 0;  // the stall window [begin, end)
  std::int64_t stall_end_ = 0;
  std::deque<ReadBurst> reads_;
  int sending_ = -1;  // the read burst whose beats R is sending (or offering)
  std::size_t sent_beats_ = 0;
  bool r_offered_ = false;                 // a beat offered and not taken last cycle
  std::optional<std::int64_t> b_offered_;  // the response offered and not taken last cycle
  std::deque<WriteBurst> writes_;          // accepted AW, W beats still to come (in AW order)
  std::deque<Response> responses_;
  AxiStats stats_;
  // The previous cycle's unfinished handshakes, for the stability check.
  std::optional<AxiMasterOut> last_;
  AxiSlaveOut last_slave_;
};

}  // namespace qsa::sim

#include "sim/axi_dram.h"

#include <algorithm>
#include <string>

#include "model/base/error.h"

namespace qsa::sim {

AxiDram::AxiDram(std::vector<std::uint8_t> dram, const DramOptions& options,
                 const AxiLimits& limits)
    : dram_(std::move(dram)),
      options_(options),
      limits_(limits),
      rng_(options.seed.value_or(0)),
      credit_(options.bytes_per_cycle) {
  CheckDramOptions(options_);
  if (limits_.max_reads < 1 || limits_.max_writes < 1) {
    throw Error("AXI port: at least one outstanding read and one write burst");
  }
}

AxiDram::AxiDram(AxiBacking& backing, const DramOptions& options, const AxiLimits& limits)
    : AxiDram(std::vector<std::uint8_t>{}, options, limits) {
  backing_ = &backing;
}

void AxiDram::Fail(const char* channel, const std::string& what) const {
  throw Error(std::string("AXI ") + channel + ": cycle " + std::to_string(cycle_) + ": " + what);
}

bool AxiDram::RandomStall() {
  if (!options_.seed || options_.backpressure <= 0.0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < options_.backpressure;
}

std::int64_t AxiDram::Due() {
  std::int64_t due = cycle_ + options_.latency_cycles;
  if (options_.seed && options_.max_jitter > 0) {
    due += std::uniform_int_distribution<std::int64_t>(0, options_.max_jitter)(rng_);
  }
  return due;
}

bool AxiDram::InRange(const AxiAddress& a) const {
  const std::uint64_t end = std::uint64_t{a.addr} + (std::uint64_t{a.len} + 1) * kBusBytes;
  return end <= (backing_ != nullptr ? backing_->Size() : dram_.size());
}

void AxiDram::SetSlaveErrorRange(std::uint32_t begin, std::uint32_t end) {
  if (end < begin) {
    throw Error("AXI port: the SLVERR range ends at " + std::to_string(end) +
                ", before its start " + std::to_string(begin));
  }
  slverr_begin_ = begin;
  slverr_end_ = end;
}

void AxiDram::SetStallWindow(std::int64_t begin, std::int64_t end) {
  if (end < begin) {
    throw Error("AXI port: the stall window ends at cycle " + std::to_string(end) +
                ", before its start " + std::to_string(begin));
  }
  stall_begin_ = begin;
  stall_end_ = end;
}

std::uint8_t AxiDram::ResponseOf(const AxiAddress& a) const {
  if (!InRange(a)) return kAxiRespDecErr;
  const std::uint64_t end = std::uint64_t{a.addr} + (std::uint64_t{a.len} + 1) * kBusBytes;
  if (a.addr < slverr_end_ && slverr_begin_ < end) return kAxiRespSlvErr;
  return kAxiRespOkay;
}

void AxiDram::CheckAddress(const char* channel, const AxiAddress& a) const {
  if (a.burst != kAxiBurstIncr) {
    Fail(channel, "burst type " + std::to_string(a.burst) + " (only INCR, 1, is supported)");
  }
  if (a.size != kAxiFullSize) {
    Fail(channel, "size " + std::to_string(a.size) + " (beats are the full " +
                      std::to_string(kBusBytes) + "-byte bus, size " +
                      std::to_string(kAxiFullSize) + ")");
  }
  if (a.addr % kBusBytes != 0) {
    Fail(channel, "address " + std::to_string(a.addr) + " is not a multiple of " +
                      std::to_string(kBusBytes));
  }
  const std::uint32_t bytes = (std::uint32_t{a.len} + 1) * kBusBytes;
  if ((a.addr & 0xFFFu) + bytes > 0x1000u) {
    Fail(channel, "a burst of " + std::to_string(a.len + 1) + " beats at " +
                      std::to_string(a.addr) + " crosses a 4 KiB boundary");
  }
}

// A VALID, once raised, stays until its handshake, with the payload unchanged (AXI4 A3.2.1).
void AxiDram::CheckStable(const AxiMasterOut& m) const {
  if (!last_) return;
  const AxiMasterOut& p = *last_;
  if (p.ar_valid && !last_slave_.ar_ready) {
    if (!m.ar_valid) Fail("AR", "ARVALID dropped before ARREADY");
    if (!(m.ar == p.ar)) Fail("AR", "the address changed while ARVALID waited for ARREADY");
  }
  if (p.aw_valid && !last_slave_.aw_ready) {
    if (!m.aw_valid) Fail("AW", "AWVALID dropped before AWREADY");
    if (!(m.aw == p.aw)) Fail("AW", "the address changed while AWVALID waited for AWREADY");
  }
  if (p.w_valid && !last_slave_.w_ready) {
    if (!m.w_valid) Fail("W", "WVALID dropped before WREADY");
    if (m.w_data != p.w_data || m.w_strb != p.w_strb || m.w_last != p.w_last) {
      Fail("W", "the data, strobes or WLAST changed while WVALID waited for WREADY");
    }
  }
}

namespace {

// The index of the oldest entry that is due and has no older entry with the same ID (AXI's
// ordering rule), or -1. `entries` are in acceptance order, so this is the first such entry: one
// pass, remembering the IDs met (a bit mask below 64, a search above).
template <typename Entries>
int OldestDueInIdOrder(const Entries& entries, std::int64_t cycle) {
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::uint32_t id = entries[i].id;
    bool older_same_id = false;
    if (id < 64) {
      older_same_id = ((seen >> id) & 1u) != 0;
      seen |= std::uint64_t{1} << id;
    } else {
      for (std::size_t j = 0; j < i && !older_same_id; ++j) older_same_id = entries[j].id == id;
    }
    if (!older_same_id && entries[i].due <= cycle) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

int AxiDram::NextRead() const {
  if (sending_ >= 0) return sending_;
  return OldestDueInIdOrder(reads_, cycle_);
}

int AxiDram::NextResponse() const {
  if (b_offered_) {
    for (std::size_t i = 0; i < responses_.size(); ++i) {
      if (responses_[i].order == *b_offered_) return static_cast<int>(i);
    }
    return -1;
  }
  return OldestDueInIdOrder(responses_, cycle_);
}

AxiSlaveOut AxiDram::Drive() {
  AxiSlaveOut s;
  const bool stalled = stall_begin_ <= cycle_ && cycle_ < stall_end_;
  const bool port_free = credit_ > 0 && !stalled;
  // A beat once offered stays offered until taken (RVALID may not drop), bandwidth or not.
  s.ar_ready = static_cast<int>(reads_.size()) < limits_.max_reads && !RandomStall() && !stalled;
  s.aw_ready = static_cast<int>(writes_.size() + responses_.size()) < limits_.max_writes &&
               !RandomStall() && !stalled;
  s.w_ready = !writes_.empty() && port_free && !RandomStall();
  const int r = port_free || r_offered_ ? NextRead() : -1;
  if (r >= 0) {
    const ReadBurst& burst = reads_[static_cast<std::size_t>(r)];
    const std::size_t beat = r == sending_ ? sent_beats_ : 0;
    s.r_valid = true;
    s.r_id = burst.id;
    s.r_data = burst.beats[beat];
    s.r_resp = burst.resp;
    s.r_last = beat + 1 == burst.beats.size();
  }
  const int b = !stalled || b_offered_ ? NextResponse() : -1;
  if (b >= 0) {
    s.b_valid = true;
    s.b_id = responses_[static_cast<std::size_t>(b)].id;
    s.b_resp = responses_[static_cast<std::size_t>(b)].resp;
  }
  return s;
}

std::optional<DramWrite> AxiDram::Clock(const AxiSlaveOut& s, const AxiMasterOut& m) {
  CheckStable(m);
  std::optional<DramWrite> written;

  // R: the beat driven this cycle, taken when RREADY; a burst once offered is the one R serves
  // until its last beat, and an offered beat stays offered.
  r_offered_ = s.r_valid && !m.r_ready;
  if (s.r_valid) {
    const int r = NextRead();
    if (sending_ < 0) {
      for (const ReadBurst& other : reads_) {
        if (other.order < reads_[static_cast<std::size_t>(r)].order) {
          ++stats_.reordered_bursts;
          break;
        }
      }
    }
    sending_ = r;
    if (m.r_ready) {
      ++sent_beats_;
      ++stats_.read_beats;
      credit_ -= kBusBytes;
      if (s.r_last) {
        reads_.erase(reads_.begin() + r);
        sending_ = -1;
        sent_beats_ = 0;
      }
    }
  }
  // B: likewise, a response once offered stays offered until BREADY.
  const int b = s.b_valid ? NextResponse() : -1;
  b_offered_.reset();
  if (b >= 0) {
    if (m.b_ready) {
      responses_.erase(responses_.begin() + b);
    } else {
      b_offered_ = responses_[static_cast<std::size_t>(b)].order;
    }
  }
  // AR
  if (m.ar_valid) CheckAddress("AR", m.ar);
  if (s.ar_ready && m.ar_valid) {
    ReadBurst burst;
    burst.id = m.ar.id;
    burst.due = Due();
    burst.order = accepted_++;
    burst.resp = ResponseOf(m.ar);
    burst.beats.resize(std::size_t{m.ar.len} + 1);
    if (burst.resp == kAxiRespOkay && backing_ != nullptr) {
      std::vector<std::uint8_t> bytes(burst.beats.size() * kBusBytes);
      const std::int64_t waited = backing_->Read(m.ar.addr, bytes);
      burst.due += waited;
      stats_.backing_wait_cycles += waited;
      for (std::size_t k = 0; k < burst.beats.size(); ++k) {
        std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(k * kBusBytes), kBusBytes,
                    burst.beats[k].begin());
      }
    } else if (burst.resp == kAxiRespOkay) {
      for (std::size_t k = 0; k < burst.beats.size(); ++k) {
        const std::size_t base = m.ar.addr + k * kBusBytes;
        std::copy_n(dram_.begin() + static_cast<std::ptrdiff_t>(base), kBusBytes,
                    burst.beats[k].begin());
      }
    }
    reads_.push_back(std::move(burst));
    ++stats_.read_bursts;
    stats_.max_reads_in_flight =
        std::max(stats_.max_reads_in_flight, static_cast<int>(reads_.size()));
  }
  // W: a beat of the oldest burst whose address was accepted.
  if (m.w_valid && s.w_ready) {
    WriteBurst& w = writes_.front();
    const bool last = w.beats_taken == w.aw.len;
    if (m.w_last != last) {
      Fail("W", std::string("WLAST ") + (m.w_last ? "on" : "missing on") + " beat " +
                    std::to_string(w.beats_taken + 1) + " of a " + std::to_string(w.aw.len + 1) +
                    "-beat burst (ID " + std::to_string(w.aw.id) + ")");
    }
    const std::uint32_t addr = w.aw.addr + static_cast<std::uint32_t>(w.beats_taken) * kBusBytes;
    if (w.resp == kAxiRespOkay) {
      if (backing_ != nullptr) {
        // The beats wait behind the same traffic: the burst is as late as its latest beat.
        w.waited = std::max(w.waited, backing_->Write(addr, m.w_data, m.w_strb));
      } else {
        for (std::size_t k = 0; k < kBusBytes; ++k) {
          if (((m.w_strb >> k) & 1u) != 0) dram_[addr + k] = m.w_data[k];
        }
      }
      written = DramWrite{addr, m.w_data, m.w_strb};
    }
    ++w.beats_taken;
    ++stats_.write_beats;
    credit_ -= kBusBytes;
    if (last) {
      responses_.push_back(Response{w.aw.id, Due() + w.waited, accepted_++, w.resp});
      stats_.backing_wait_cycles += w.waited;
      writes_.pop_front();
    }
  }
  // AW
  if (m.aw_valid) CheckAddress("AW", m.aw);
  if (s.aw_ready && m.aw_valid) {
    writes_.push_back(WriteBurst{m.aw, 0, ResponseOf(m.aw), 0});
    ++stats_.write_bursts;
    stats_.max_writes_in_flight =
        std::max(stats_.max_writes_in_flight, static_cast<int>(writes_.size() + responses_.size()));
  }

  credit_ = std::min<std::int64_t>(credit_ + options_.bytes_per_cycle, options_.bytes_per_cycle);
  last_ = m;
  last_slave_ = s;
  ++cycle_;
  return written;
}

}  // namespace qsa::sim

#include "sim/dram_model.h"

#include <algorithm>

#include "model/base/error.h"

namespace qsa::sim {

void CheckDramOptions(const DramOptions& options) {
  if (options.latency_cycles < 1) {
    throw Error("DRAM latency_cycles is " + std::to_string(options.latency_cycles) +
                "; must be at least 1");
  }
  if (options.bytes_per_cycle < 1) {
    throw Error("DRAM bytes_per_cycle is " + std::to_string(options.bytes_per_cycle) +
                "; must be at least 1");
  }
  if (options.max_jitter < 0 || options.backpressure < 0.0 || options.backpressure >= 1.0) {
    throw Error("DRAM jitter must be >= 0 and back-pressure in [0, 1)");
  }
}

DramModel::DramModel(std::vector<std::uint8_t> dram, const DramOptions& options)
    : dram_(std::move(dram)),
      options_(options),
      rng_(options.seed.value_or(0)),
      credit_(options.bytes_per_cycle) {
  CheckDramOptions(options_);
}

bool DramModel::RandomStall() {
  if (!options_.seed || options_.backpressure <= 0.0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < options_.backpressure;
}

// The cycle a request accepted now is answered: the latency plus jitter, and not before the
// previous answer on the same channel (in order, one per cycle).
std::int64_t DramModel::DueCycle(std::int64_t& last_due) {
  std::int64_t due = cycle_ + options_.latency_cycles;
  if (options_.seed && options_.max_jitter > 0) {
    due += std::uniform_int_distribution<std::int64_t>(0, options_.max_jitter)(rng_);
  }
  due = std::max(due, last_due + 1);
  last_due = due;
  return due;
}

DramDrive DramModel::Drive() {
  DramDrive drive;
  const bool port_free = credit_ > 0;
  drive.rd_req_ready = port_free && !RandomStall();
  drive.wr_req_ready = port_free && !RandomStall();
  if (!reads_.empty() && reads_.front().due <= cycle_) {
    drive.rd_rsp_valid = true;
    drive.rd_rsp_data = reads_.front().data;
  }
  drive.wr_ack = !acks_.empty() && acks_.front() <= cycle_;
  return drive;
}

Beat DramModel::ReadBeat(std::uint32_t addr) const {
  Beat beat{};
  for (std::size_t k = 0; k < beat.size(); ++k) {
    const std::uint64_t a = std::uint64_t{addr} + k;
    if (a < dram_.size()) beat[k] = dram_[static_cast<std::size_t>(a)];
  }
  return beat;
}

void DramModel::WriteBeat(const DramWrite& write) {
  for (std::size_t k = 0; k < write.data.size(); ++k) {
    const std::uint64_t a = std::uint64_t{write.addr} + k;
    if (((write.strb >> k) & 1u) != 0 && a < dram_.size()) {
      dram_[static_cast<std::size_t>(a)] = write.data[k];
    }
  }
}

std::optional<DramWrite> DramModel::Clock(const DramDrive& drive, const DramActivity& activity) {
  std::optional<DramWrite> written;
  if (drive.rd_rsp_valid && activity.rd_rsp_ready) reads_.pop_front();
  if (drive.wr_ack) acks_.pop_front();
  if (drive.rd_req_ready && activity.rd_req_valid) {
    reads_.push_back(Response{DueCycle(last_read_due_), ReadBeat(activity.rd_req_addr)});
    credit_ -= kBusBytes;
  }
  if (drive.wr_req_ready && activity.wr_req_valid) {
    written = DramWrite{activity.wr_req_addr, activity.wr_req_data, activity.wr_req_strb};
    WriteBeat(*written);
    acks_.push_back(DueCycle(last_ack_due_));
    credit_ -= kBusBytes;
  }
  credit_ = std::min<std::int64_t>(credit_ + options_.bytes_per_cycle, options_.bytes_per_cycle);
  ++cycle_;
  return written;
}

}  // namespace qsa::sim

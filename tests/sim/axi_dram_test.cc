#include "sim/axi_dram.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "tests/sim/sim_test_util.h"

namespace qsa::sim {
namespace {

using sim_test::Counting;
using sim_test::Timing;

AxiAddress Burst(std::uint32_t id, std::uint32_t addr, int beats) {
  AxiAddress a;
  a.id = id;
  a.addr = addr;
  a.len = static_cast<std::uint8_t>(beats - 1);
  return a;
}

Beat BeatAt(const std::vector<std::uint8_t>& dram, std::uint32_t addr) {
  Beat b{};
  for (std::size_t k = 0; k < b.size(); ++k) b[k] = dram[addr + k];
  return b;
}

// One read burst on an idle port: the cycle of each R beat.
std::vector<std::int64_t> ReadBeatCycles(AxiDram& port, const AxiAddress& ar,
                                         std::vector<Beat>* data = nullptr) {
  std::vector<std::int64_t> cycles;
  bool asked = false;
  for (int guard = 0; guard < 10000; ++guard) {
    const AxiSlaveOut s = port.Drive();
    AxiMasterOut m;
    m.ar_valid = !asked;
    m.ar = ar;
    m.r_ready = true;
    if (s.ar_ready && m.ar_valid) asked = true;
    if (s.r_valid) {
      EXPECT_EQ(s.r_id, ar.id);
      EXPECT_EQ(s.r_resp, kAxiRespOkay);
      cycles.push_back(port.cycle());
      if (data) data->push_back(s.r_data);
      EXPECT_EQ(s.r_last, cycles.size() == std::size_t{ar.len} + 1);
    }
    port.Clock(s, m);
    if (cycles.size() == std::size_t{ar.len} + 1) return cycles;
  }
  ADD_FAILURE() << "the burst never completed";
  return cycles;
}

TEST(AxiDram, ABurstReturnsItsBeatsBackToBackAfterTheLatency) {
  const std::vector<std::uint8_t> image = Counting(8192);
  AxiDram port(image, Timing(100));
  std::vector<Beat> data;
  const std::vector<std::int64_t> cycles = ReadBeatCycles(port, Burst(3, 256, 16), &data);
  ASSERT_EQ(cycles.size(), 16u);
  EXPECT_EQ(cycles.front(), 100);  // AR taken in cycle 0
  EXPECT_EQ(cycles.back(), 115);
  for (std::size_t k = 0; k < data.size(); ++k) {
    EXPECT_EQ(data[k], BeatAt(image, static_cast<std::uint32_t>(256 + 16 * k))) << k;
  }
  EXPECT_EQ(port.stats().read_bursts, 1);
  EXPECT_EQ(port.stats().read_beats, 16);
}

TEST(AxiDram, HalfTheBandwidthSendsABeatEveryOtherCycle) {
  AxiDram port(Counting(4096), Timing(10, 8));
  const std::vector<std::int64_t> cycles = ReadBeatCycles(port, Burst(0, 0, 4));
  EXPECT_EQ(cycles, (std::vector<std::int64_t>{10, 12, 14, 16}));
}

TEST(AxiDram, ABurstOutsideTheDramAnswersDecErrWithZeros) {
  AxiDram port(Counting(1024), Timing(5));
  AxiMasterOut m;
  m.ar_valid = true;
  m.ar = Burst(1, 1024 - 32, 4);  // the last two beats are past the end
  m.r_ready = true;
  int beats = 0;
  for (int c = 0; c < 50 && beats < 4; ++c) {
    const AxiSlaveOut s = port.Drive();
    if (s.r_valid) {
      EXPECT_EQ(s.r_resp, kAxiRespDecErr);
      EXPECT_EQ(s.r_data, Beat{});
      ++beats;
    }
    port.Clock(s, m);
    if (s.ar_ready) m.ar_valid = false;
  }
  EXPECT_EQ(beats, 4);
}

TEST(AxiDram, AnInjectedSlaveErrorRangeAnswersSlvErrOnReadsAndDropsWrites) {
  const std::vector<std::uint8_t> image = Counting(8192);
  AxiDram port(image, Timing(5));
  port.SetSlaveErrorRange(4096 + 40, 4096 + 41);  // one byte, in the third beat at 4096
  AxiMasterOut m;
  m.r_ready = true;
  m.b_ready = true;
  // Reads: a burst over the byte (SLVERR, zeros), then one just before it (OKAY, data).
  std::vector<AxiAddress> reads = {Burst(1, 4096, 4), Burst(1, 4096, 2)};
  std::vector<std::uint8_t> resps;
  std::vector<Beat> data;
  // Writes: a burst over the byte (SLVERR, dropped), then one beside it (OKAY, written).
  std::vector<AxiAddress> writes = {Burst(2, 4096 + 32, 1), Burst(2, 4096 + 48, 1)};
  std::vector<std::uint8_t> bresps;
  std::size_t ar = 0, aw = 0;
  int w = 0;
  for (int c = 0; c < 200 && (data.size() < 6 || bresps.size() < 2); ++c) {
    const AxiSlaveOut s = port.Drive();
    m.ar_valid = ar < reads.size();
    if (m.ar_valid) m.ar = reads[ar];
    m.aw_valid = aw < writes.size();
    if (m.aw_valid) m.aw = writes[aw];
    m.w_valid = w < 2;  // W waits in the slave for its AW
    m.w_data.fill(0xEE);
    m.w_strb = 0xFFFF;
    m.w_last = true;
    if (s.r_valid) {
      resps.push_back(s.r_resp);
      data.push_back(s.r_data);
    }
    if (s.b_valid) bresps.push_back(s.b_resp);
    const std::optional<DramWrite> written = port.Clock(s, m);
    if (m.w_valid && s.w_ready) {
      EXPECT_EQ(written.has_value(), w == 1) << w;
      ++w;
    }
    if (m.ar_valid && s.ar_ready) ++ar;
    if (m.aw_valid && s.aw_ready) ++aw;
  }
  ASSERT_EQ(data.size(), 6u);
  for (std::size_t k = 0; k < 6; ++k) {
    EXPECT_EQ(resps[k], k < 4 ? kAxiRespSlvErr : kAxiRespOkay) << k;
    EXPECT_EQ(data[k],
              k < 4 ? Beat{} : BeatAt(image, static_cast<std::uint32_t>(4096 + 16 * (k - 4))))
        << k;
  }
  EXPECT_EQ(bresps, (std::vector<std::uint8_t>{kAxiRespSlvErr, kAxiRespOkay}));
  EXPECT_EQ(port.dram()[4096 + 32], image[4096 + 32]);  // dropped
  EXPECT_EQ(port.dram()[4096 + 48], 0xEE);
  EXPECT_THROW(port.SetSlaveErrorRange(10, 9), Error);
}

// A master with several bursts in flight on both channels, random VALID/READY, and a check of
// the slave's side: RVALID/BVALID held with a stable payload until taken, per-ID order, data.
struct RandomTraffic {
  std::uint64_t seed;
  int bursts;
  int ids;
  DramOptions options;
};

void RunRandomTraffic(const RandomTraffic& t) {
  SCOPED_TRACE("seed " + std::to_string(t.seed));
  std::mt19937_64 rng(t.seed);
  const std::size_t size = 64 * 1024;
  std::vector<std::uint8_t> expect = Counting(size);
  AxiDram port(expect, t.options);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };

  struct Pending {
    AxiAddress a;
    std::vector<Beat> data;  // reads: the expected beats; writes: the beats to send
    std::vector<std::uint16_t> strb;
  };
  std::deque<Pending> to_read, to_write;
  for (int i = 0; i < t.bursts; ++i) {
    const int beats = 1 + pick(16);
    const std::uint32_t page = static_cast<std::uint32_t>(pick(static_cast<int>(size / 4096)));
    const std::uint32_t addr =
        page * 4096 + static_cast<std::uint32_t>(pick(256 - beats + 1)) * kBusBytes;
    Pending p{Burst(static_cast<std::uint32_t>(pick(t.ids)), addr, beats), {}, {}};
    if (pick(2) == 0) {
      to_read.push_back(p);
    } else {
      for (int b = 0; b < beats; ++b) {
        Beat d{};
        for (auto& x : d) x = static_cast<std::uint8_t>(pick(256));
        p.data.push_back(d);
        p.strb.push_back(static_cast<std::uint16_t>(pick(1 << 16)));
      }
      to_write.push_back(p);
    }
  }
  // Reads and writes go to disjoint halves so the expected data does not depend on the order
  // of the two channels (AXI does not order them).
  for (Pending& p : to_read) p.a.addr %= size / 2;
  for (Pending& p : to_write) p.a.addr = p.a.addr % (size / 2) + size / 2;
  for (Pending& p : to_read) {
    for (int b = 0; b <= p.a.len; ++b) p.data.push_back(BeatAt(expect, p.a.addr + 16u * b));
  }
  for (const Pending& p : to_write) {
    for (std::size_t b = 0; b < p.data.size(); ++b) {
      for (std::size_t k = 0; k < kBusBytes; ++k) {
        if ((p.strb[b] >> k) & 1u) expect[p.a.addr + 16 * b + k] = p.data[b][k];
      }
    }
  }

  std::map<std::uint32_t, std::deque<Pending>> reads_by_id, writes_by_id;
  std::deque<Pending> w_queue;  // accepted AW, data to send
  std::size_t w_beat = 0;
  std::size_t ar_next = 0, aw_next = 0, reads_done = 0, writes_done = 0;
  std::vector<std::size_t> r_beat_of_id(static_cast<std::size_t>(t.ids), 0);
  AxiMasterOut m;
  std::optional<AxiSlaveOut> waiting_r, waiting_b;
  for (std::int64_t guard = 0; guard < 2000000; ++guard) {
    if (reads_done == to_read.size() && writes_done == to_write.size()) break;
    const AxiSlaveOut s = port.Drive();
    // The slave's side of the handshakes.
    if (waiting_r) {
      ASSERT_TRUE(s.r_valid) << "RVALID dropped in cycle " << port.cycle();
      EXPECT_EQ(s.r_id, waiting_r->r_id);
      EXPECT_EQ(s.r_data, waiting_r->r_data);
      EXPECT_EQ(s.r_last, waiting_r->r_last);
    }
    if (waiting_b) {
      ASSERT_TRUE(s.b_valid) << "BVALID dropped in cycle " << port.cycle();
      EXPECT_EQ(s.b_id, waiting_b->b_id);
    }
    // The master: keep VALID and the payload until the handshake.
    if (!m.ar_valid && ar_next < to_read.size() && pick(3) != 0) {
      m.ar_valid = true;
      m.ar = to_read[ar_next].a;
    }
    if (!m.aw_valid && aw_next < to_write.size() && pick(3) != 0) {
      m.aw_valid = true;
      m.aw = to_write[aw_next].a;
    }
    if (!m.w_valid && !w_queue.empty() && pick(4) != 0) {
      m.w_valid = true;
      m.w_data = w_queue.front().data[w_beat];
      m.w_strb = w_queue.front().strb[w_beat];
      m.w_last = w_beat + 1 == w_queue.front().data.size();
    }
    m.r_ready = pick(4) != 0;
    m.b_ready = pick(4) != 0;

    if (s.r_valid && m.r_ready) {
      auto& q = reads_by_id[s.r_id];
      ASSERT_FALSE(q.empty()) << "R beat for ID " << s.r_id << " with no read outstanding";
      std::size_t& beat = r_beat_of_id[s.r_id];
      EXPECT_EQ(s.r_resp, kAxiRespOkay);
      EXPECT_EQ(s.r_data, q.front().data[beat]) << "ID " << s.r_id << " beat " << beat;
      ++beat;
      EXPECT_EQ(s.r_last, beat == q.front().data.size());
      if (s.r_last) {
        q.pop_front();
        beat = 0;
        ++reads_done;
      }
    }
    if (s.b_valid && m.b_ready) {
      auto& q = writes_by_id[s.b_id];
      ASSERT_FALSE(q.empty()) << "B for ID " << s.b_id << " with no write outstanding";
      EXPECT_EQ(s.b_resp, kAxiRespOkay);
      q.pop_front();
      ++writes_done;
    }
    waiting_r = s.r_valid && !m.r_ready ? std::optional<AxiSlaveOut>(s) : std::nullopt;
    waiting_b = s.b_valid && !m.b_ready ? std::optional<AxiSlaveOut>(s) : std::nullopt;
    const AxiMasterOut sent = m;
    port.Clock(s, sent);
    if (sent.ar_valid && s.ar_ready) {
      reads_by_id[sent.ar.id].push_back(to_read[ar_next++]);
      m.ar_valid = false;
    }
    if (sent.aw_valid && s.aw_ready) {
      writes_by_id[sent.aw.id].push_back(to_write[aw_next]);
      w_queue.push_back(to_write[aw_next++]);
      m.aw_valid = false;
    }
    if (sent.w_valid && s.w_ready) {
      m.w_valid = false;
      if (++w_beat == w_queue.front().data.size()) {
        w_queue.pop_front();
        w_beat = 0;
      }
    }
  }
  EXPECT_EQ(reads_done, to_read.size());
  EXPECT_EQ(writes_done, to_write.size());
  EXPECT_EQ(port.dram(), expect);
  EXPECT_EQ(port.outstanding_reads(), 0u);
  EXPECT_EQ(port.outstanding_writes(), 0u);
  // The traffic really had bursts in flight together (the R channel is the bottleneck here, so
  // bursts are mostly answered oldest first; JitterLetsBurstsOfOtherIdsOvertake covers reordering).
  EXPECT_GT(port.stats().max_reads_in_flight, 2);
  EXPECT_GT(port.stats().max_writes_in_flight, 2);
}

TEST(AxiDram, RandomTrafficKeepsDataOrderAndHandshakes) {
  const std::uint64_t seed = sim_test::TestSeed(0x5eedaa11);
  DramOptions options = Timing(40);
  options.seed = seed;
  options.max_jitter = 30;
  options.backpressure = 0.3;
  for (int i = 0; i < 8; ++i) {
    RunRandomTraffic({seed + static_cast<std::uint64_t>(i), 300, 4, options});
  }
}

TEST(AxiDram, JitterLetsBurstsOfOtherIdsOvertake) {
  DramOptions options = Timing(50);
  options.seed = 11;
  options.max_jitter = 40;
  AxiDram port(Counting(8192), options);
  // Eight one-beat reads with eight IDs, back to back, then drain.
  AxiMasterOut m;
  m.r_ready = true;
  std::vector<std::uint32_t> order;
  for (int c = 0; c < 400 && order.size() < 8; ++c) {
    const AxiSlaveOut s = port.Drive();
    const std::uint32_t next = static_cast<std::uint32_t>(port.stats().read_bursts);
    m.ar_valid = next < 8;
    m.ar = Burst(next, 64 * next, 1);
    if (s.r_valid) order.push_back(s.r_id);
    port.Clock(s, m);
  }
  ASSERT_EQ(order.size(), 8u);
  EXPECT_GT(port.stats().reordered_bursts, 0)
      << "answers in order: " << ::testing::PrintToString(order);
  EXPECT_EQ(port.stats().max_reads_in_flight, 8);
}

TEST(AxiDram, OneIdStaysInOrderWhateverTheJitter) {
  DramOptions options = Timing(50);
  options.seed = 11;
  options.max_jitter = 40;
  AxiDram port(Counting(8192), options);
  AxiMasterOut m;
  m.r_ready = true;
  std::vector<std::uint8_t> first_bytes;
  for (int c = 0; c < 800 && first_bytes.size() < 8; ++c) {
    const AxiSlaveOut s = port.Drive();
    const std::uint32_t next = static_cast<std::uint32_t>(port.stats().read_bursts);
    m.ar_valid = next < 8;
    m.ar = Burst(5, 64 * next, 1);
    if (s.r_valid) first_bytes.push_back(s.r_data[0]);
    port.Clock(s, m);
  }
  EXPECT_EQ(first_bytes, (std::vector<std::uint8_t>{1, 65, 129, 193, 1, 65, 129, 193}));
  EXPECT_EQ(port.stats().reordered_bursts, 0);
}

TEST(AxiDram, AWriteBurstIsAnsweredAfterItsLastBeatWithStrobesApplied) {
  AxiDram port(std::vector<std::uint8_t>(4096, 0), Timing(20));
  AxiMasterOut m;
  m.aw_valid = true;
  m.aw = Burst(2, 512, 2);
  m.b_ready = true;
  std::int64_t b_cycle = -1;
  int beat = 0;
  for (int c = 0; c < 100 && b_cycle < 0; ++c) {
    const AxiSlaveOut s = port.Drive();
    m.w_valid = beat < 2 && c >= 3;  // the data comes a few cycles after the address
    m.w_data.fill(static_cast<std::uint8_t>(0xA0 + beat));
    m.w_strb = beat == 0 ? 0x00FF : 0xFF00;
    m.w_last = beat == 1;
    if (s.b_valid) {
      EXPECT_EQ(s.b_id, 2u);
      EXPECT_EQ(s.b_resp, kAxiRespOkay);
      b_cycle = port.cycle();
    }
    const std::optional<DramWrite> w = port.Clock(s, m);
    if (s.aw_ready) m.aw_valid = false;
    if (m.w_valid && s.w_ready) {
      ASSERT_TRUE(w.has_value());
      EXPECT_EQ(w->addr, 512u + 16u * static_cast<std::uint32_t>(beat));
      ++beat;
    }
  }
  EXPECT_EQ(b_cycle, 4 + 20);  // last beat taken in cycle 4
  for (int k = 0; k < 32; ++k) {
    const std::uint8_t want = k < 8 ? 0xA0 : (k >= 24 ? 0xA1 : 0);
    EXPECT_EQ(port.dram()[512 + static_cast<std::size_t>(k)], want) << k;
  }
}

// The master's protocol errors: each is one message naming the channel and the cycle.
std::string ErrorOf(const std::vector<AxiMasterOut>& cycles) {
  AxiDram port(Counting(16384), Timing(4));
  try {
    for (const AxiMasterOut& m : cycles) {
      const AxiSlaveOut s = port.Drive();
      port.Clock(s, m);
    }
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(AxiDram, ProtocolViolationsOfTheMasterAreNamed) {
  AxiMasterOut ar;
  ar.ar_valid = true;
  ar.ar = Burst(0, 4096 - 32, 4);
  EXPECT_EQ(ErrorOf({ar}), "AXI AR: cycle 0: a burst of 4 beats at 4064 crosses a 4 KiB boundary");
  ar.ar = Burst(0, 8, 1);
  EXPECT_EQ(ErrorOf({ar}), "AXI AR: cycle 0: address 8 is not a multiple of 16");
  ar.ar = Burst(0, 0, 1);
  ar.ar.burst = 2;
  EXPECT_EQ(ErrorOf({ar}), "AXI AR: cycle 0: burst type 2 (only INCR, 1, is supported)");
  ar.ar.burst = kAxiBurstIncr;
  ar.ar.size = 2;
  EXPECT_EQ(ErrorOf({ar}), "AXI AR: cycle 0: size 2 (beats are the full 16-byte bus, size 4)");

  // AW then a write beat with WLAST too early.
  AxiMasterOut aw;
  aw.aw_valid = true;
  aw.aw = Burst(1, 0, 2);
  AxiMasterOut w;
  w.w_valid = true;
  w.w_last = true;
  EXPECT_EQ(ErrorOf({aw, w}), "AXI W: cycle 1: WLAST on beat 1 of a 2-beat burst (ID 1)");
  AxiMasterOut w2 = w;
  w2.w_last = false;
  aw.aw = Burst(1, 0, 1);
  EXPECT_EQ(ErrorOf({aw, w2}), "AXI W: cycle 1: WLAST missing on beat 1 of a 1-beat burst (ID 1)");
}

TEST(AxiDram, AValidDroppedOrChangedBeforeItsHandshakeIsAnError) {
  // With back-pressure on every cycle the first request waits; the master then drops it.
  DramOptions options = Timing(4);
  options.seed = 1;
  options.backpressure = 0.999;
  AxiDram port(Counting(4096), options);
  AxiMasterOut m;
  m.ar_valid = true;
  m.ar = Burst(0, 0, 1);
  AxiSlaveOut s = port.Drive();
  ASSERT_FALSE(s.ar_ready);
  port.Clock(s, m);
  AxiMasterOut changed = m;
  changed.ar.addr = 16;
  s = port.Drive();
  try {
    port.Clock(s, changed);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "AXI AR: cycle 1: the address changed while ARVALID waited for ARREADY");
  }
}

TEST(AxiDram, ImpossibleOptionsAreRefused) {
  EXPECT_THROW(AxiDram({}, Timing(0)), Error);
  EXPECT_THROW(AxiDram({}, Timing(1, 0)), Error);
  EXPECT_THROW(AxiDram({}, Timing(1), AxiLimits{0, 1}), Error);
}

}  // namespace
}  // namespace qsa::sim

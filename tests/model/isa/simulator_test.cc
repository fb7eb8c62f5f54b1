// The ISA simulator: the dependency-token protocol, fetch into bounded queues, deadlock reports,
// the timing model on programs whose cycles are worked out by hand in the comments, the trace,
// counters and program checks.
#include "model/isa/simulator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "model/base/error.h"

namespace qsa::isa {
namespace {

// The 4×4 configuration with small, round timing figures: DRAM latency 10 cycles, 4 bytes per
// cycle.
ArchConfig TestArch(int instruction_depth = 16, int token_depth = 8) {
  ArchConfig arch = LoadArchConfig(QSA_SOURCE_DIR "/model/isa/arch/4x4.json");
  arch.instruction_queue_depth = instruction_depth;
  arch.token_queue_depth = token_depth;
  arch.dram_latency_cycles = 10;
  arch.dram_bytes_per_cycle = 4;
  return arch;
}

// "pop_prev push_next" → the flags.
Deps Flags(const std::string& text) {
  Deps deps;
  std::istringstream words(text);
  for (std::string w; words >> w;) {
    if (w == "pop_prev") deps.pop_prev = true;
    if (w == "pop_next") deps.pop_next = true;
    if (w == "push_prev") deps.push_prev = true;
    if (w == "push_next") deps.push_next = true;
  }
  return deps;
}

Sync SyncIn(Queue queue, const std::string& flags = "") {
  Sync s;
  s.queue = static_cast<std::uint32_t>(queue);
  s.deps = Flags(flags);
  return s;
}

Program MakeProgram(const ArchConfig& arch, const std::vector<Instruction>& instructions,
                    std::vector<std::uint8_t> image = {}, std::uint64_t dram_size = 4096) {
  Program program;
  program.arch_name = arch.name;
  program.arch_hash = arch.Hash();
  for (const Instruction& in : instructions) program.instructions.push_back(Encode(in));
  program.dram_image = std::move(image);
  program.dram_size = dram_size;
  return program;
}

struct Traced {
  IsaRunResult result;
  std::vector<std::string> lines;
};

// The schedules below test the queues, tokens and units with every instruction word there at
// cycle 0 (instant_fetch); IsaSimFetch.WordsArriveFromDramInBurstsThroughTheBuffer tests the
// fetch from DRAM that a run has by default.
Traced RunTraced(const ArchConfig& arch, const Program& program, bool instant_fetch = true) {
  std::ostringstream trace;
  IsaSimOptions options;
  options.trace = &trace;
  options.instant_fetch = instant_fetch;
  IsaSimulator simulator(arch, program);
  Traced traced;
  traced.result = simulator.Run(options);
  std::istringstream lines(trace.str());
  for (std::string line; std::getline(lines, line);) traced.lines.push_back(line);
  return traced;
}

// The trace lines without what they wrote ("#3 compute gemm [22, 34)").
std::vector<std::string> Schedule(const Traced& traced) {
  std::vector<std::string> out;
  for (const std::string& line : traced.lines) out.push_back(line.substr(0, line.find(" wrote")));
  return out;
}

std::vector<std::string> ScheduleOf(const ArchConfig& arch, const std::vector<Instruction>& prog,
                                    bool instant_fetch = true) {
  return Schedule(RunTraced(arch, MakeProgram(arch, prog), instant_fetch));
}

// The message of the qsa::Error that constructing and running the simulator throws.
std::string RunError(const ArchConfig& arch, const Program& program) {
  try {
    IsaSimulator simulator(arch, program);
    simulator.Run();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A scratchpad ← DRAM load of nx rows, `lanes` bytes each, `stride_x` bytes apart.
LoadSp LoadRows(std::uint32_t sram, std::uint32_t dram, std::uint32_t nx, std::uint32_t lanes,
                const std::string& flags = "") {
  LoadSp in;
  in.deps = Flags(flags);
  in.sram = sram;
  in.dram = dram;
  in.ny = 1;
  in.nx = nx;
  in.stride_x = lanes;
  in.lanes = lanes;
  return in;
}

StoreSp StoreRows(std::uint32_t sram, std::uint32_t dram, std::uint32_t nx, std::uint32_t lanes,
                  const std::string& flags = "") {
  StoreSp in;
  in.deps = Flags(flags);
  in.sram = sram;
  in.dram = dram;
  in.ny = 1;
  in.nx = nx;
  in.stride_x = lanes;
  in.lanes = lanes;
  return in;
}

// n activation rows from `act` through the array into accumulator rows from `acc`.
Gemm GemmRows(std::uint32_t act, std::uint32_t acc, std::uint32_t n, bool preload,
              const std::string& flags = "") {
  Gemm in;
  in.deps = Flags(flags);
  in.act = act;
  in.act_inner = 1;
  in.acc = acc;
  in.n_outer = 1;
  in.n_inner = n;
  in.w = 0;
  in.k_lanes = 3;
  in.n_lanes = 2;
  in.preload = preload;
  return in;
}

// ---------------------------------------------------------------------------------------------
// Token protocol

TEST(IsaSimTokens, EachNeighbourPairPassesTokensAndTheConsumerWaitsForThem) {
  const ArchConfig arch = TestArch();
  const Queue L = Queue::kLoad, C = Queue::kCompute, S = Queue::kStore;
  // Every consumer is fetched at cycle 0 and would start then; the token holds it until its
  // producer completes at cycle 1.
  EXPECT_EQ(ScheduleOf(arch, {SyncIn(L, "push_next"), SyncIn(C, "pop_prev"), Finish{}}),
            (std::vector<std::string>{"#0 load sync [0, 1)", "#1 compute sync [1, 2)",
                                      "#2 compute finish [2, 3)"}));
  EXPECT_EQ(ScheduleOf(arch, {SyncIn(L, "pop_next"), SyncIn(C, "push_prev"), Finish{}}),
            (std::vector<std::string>{"#1 compute sync [0, 1)", "#0 load sync [1, 2)",
                                      "#2 compute finish [2, 3)"}));
  EXPECT_EQ(ScheduleOf(arch, {SyncIn(S, "pop_prev"), SyncIn(C, "push_next"), Finish{}}),
            (std::vector<std::string>{"#1 compute sync [0, 1)", "#0 store sync [1, 2)",
                                      "#2 compute finish [2, 3)"}));
  EXPECT_EQ(ScheduleOf(arch, {SyncIn(S, "push_prev"), SyncIn(C, "pop_next"), Finish{}}),
            (std::vector<std::string>{"#0 store sync [0, 1)", "#1 compute sync [1, 2)",
                                      "#2 compute finish [2, 3)"}));
}

TEST(IsaSimTokens, ComputePopsFromBothNeighboursAndPushesToBoth) {
  const ArchConfig arch = TestArch();
  const Queue L = Queue::kLoad, C = Queue::kCompute, S = Queue::kStore;
  // Load completes at 1; store waits one cycle behind a store sync and completes at 2; compute
  // needs both tokens, runs [2, 3) and releases both sides, which run [3, 4).
  EXPECT_EQ(ScheduleOf(arch, {SyncIn(L, "push_next"), SyncIn(S), SyncIn(S, "push_prev"),
                              SyncIn(C, "pop_prev pop_next push_prev push_next"),
                              SyncIn(L, "pop_next"), SyncIn(S, "pop_prev"), Finish{}}),
            (std::vector<std::string>{"#0 load sync [0, 1)", "#1 store sync [0, 1)",
                                      "#2 store sync [1, 2)", "#3 compute sync [2, 3)",
                                      "#4 load sync [3, 4)", "#5 store sync [3, 4)",
                                      "#6 compute finish [4, 5)"}));
}

TEST(IsaSimTokens, APushIntoAFullTokenQueueWaitsForTheConsumerToPop) {
  const Queue L = Queue::kLoad, C = Queue::kCompute;
  const std::vector<Instruction> program = {SyncIn(L, "push_next"), SyncIn(L, "push_next"),
                                            SyncIn(C, "pop_prev"), SyncIn(C, "pop_prev"), Finish{}};
  // Room for two tokens: both load syncs run back to back.
  EXPECT_EQ(ScheduleOf(TestArch(16, 2), program),
            (std::vector<std::string>{"#0 load sync [0, 1)", "#1 load sync [1, 2)",
                                      "#2 compute sync [1, 2)", "#3 compute sync [2, 3)",
                                      "#4 compute finish [3, 4)"}));
  // Room for one: #1 may start only once #2 has taken the first token (at cycle 1), so #2
  // executes before it.
  EXPECT_EQ(ScheduleOf(TestArch(16, 1), program),
            (std::vector<std::string>{"#0 load sync [0, 1)", "#2 compute sync [1, 2)",
                                      "#1 load sync [1, 2)", "#3 compute sync [2, 3)",
                                      "#4 compute finish [3, 4)"}));
}

TEST(IsaSimTokens, TokensBecomeVisibleWhenThePusherCompletes) {
  const ArchConfig arch = TestArch();
  // The load of 4 rows of 4 bytes (each row its own 16-byte beat: 4 beats, 16 port cycles)
  // completes at 16 + 10 + 2 = 28: its token is visible then, not at its start.
  EXPECT_EQ(ScheduleOf(arch, {LoadRows(0, 0, 4, 4, "push_next"),
                              SyncIn(Queue::kCompute, "pop_prev"), Finish{}}),
            (std::vector<std::string>{"#0 load load.sp [0, 28)", "#1 compute sync [28, 29)",
                                      "#2 compute finish [29, 30)"}));
}

// ---------------------------------------------------------------------------------------------
// Fetch

TEST(IsaSimFetch, AFullInstructionQueueStallsFetchOfEverythingBehindIt) {
  const Queue L = Queue::kLoad, C = Queue::kCompute, S = Queue::kStore;
  const std::vector<Instruction> program = {SyncIn(C, "push_next"), SyncIn(S, "pop_prev"),
                                            SyncIn(S), SyncIn(L), Finish{}};
  // Depth 2: everything is fetched at once; the load sync runs at 0.
  EXPECT_EQ(ScheduleOf(TestArch(2), program),
            (std::vector<std::string>{"#0 compute sync [0, 1)", "#3 load sync [0, 1)",
                                      "#1 store sync [1, 2)", "#2 store sync [2, 3)",
                                      "#4 compute finish [3, 4)"}));
  // Depth 1: #2 waits for the store queue's slot until #1 starts at 1, and the load sync, behind
  // it in program order, is fetched only then.
  EXPECT_EQ(ScheduleOf(TestArch(1), program),
            (std::vector<std::string>{"#0 compute sync [0, 1)", "#1 store sync [1, 2)",
                                      "#3 load sync [1, 2)", "#2 store sync [2, 3)",
                                      "#4 compute finish [3, 4)"}));
}

// Fetch from DRAM (docs/isa.md, "Timing model"): 16-word bursts, the first two requested at
// cycles 1 and 3, a word entering control the cycle after it arrives, a later burst requested
// two cycles after the 32-word buffer has room for it. 40 compute syncs and finish.
TEST(IsaSimFetch, WordsArriveFromDramInBurstsThroughTheBuffer) {
  std::vector<Instruction> program(40, SyncIn(Queue::kCompute));
  program.push_back(Finish{});
  auto at = [](const std::vector<std::string>& schedule, std::size_t i) { return schedule[i]; };
  {
    // Latency 10, 4 bytes per cycle: a beat every 4 cycles. Burst 0 from cycle 11 (word 0 enters
    // at 12, word 15 at 72); burst 1, requested at 3, after burst 0's last beat: from 75 (word 16
    // at 76); burst 2, requested at 74 (word 15 entered at 72), after burst 1's: from 139.
    const std::vector<std::string> s = ScheduleOf(TestArch(), program, false);
    EXPECT_EQ(at(s, 0), "#0 compute sync [12, 13)");
    EXPECT_EQ(at(s, 15), "#15 compute sync [72, 73)");
    EXPECT_EQ(at(s, 16), "#16 compute sync [76, 77)");
    EXPECT_EQ(at(s, 32), "#32 compute sync [140, 141)");
    EXPECT_EQ(at(s, 40), "#40 compute finish [172, 173)");
  }
  {
    // Latency 100, 16 bytes per cycle: bursts 0 and 1 arrive back to back (words 0..31 enter at
    // 102..133); burst 2 waits for room: requested at 119 (word 15 entered at 117), its first
    // word arrives at 219. The buffer hides no latency when control takes a word every cycle.
    ArchConfig arch = TestArch();
    arch.dram_latency_cycles = 100;
    arch.dram_bytes_per_cycle = 16;
    const std::vector<std::string> s = ScheduleOf(arch, program, false);
    EXPECT_EQ(at(s, 0), "#0 compute sync [102, 103)");
    EXPECT_EQ(at(s, 31), "#31 compute sync [133, 134)");
    EXPECT_EQ(at(s, 32), "#32 compute sync [220, 221)");
    EXPECT_EQ(at(s, 40), "#40 compute finish [228, 229)");
  }
  // Instant fetch: one per cycle from 0.
  EXPECT_EQ(at(ScheduleOf(TestArch(), program), 40), "#40 compute finish [40, 41)");
}

TEST(IsaSimFetch, CapacityDeadlockBehindAFullQueue) {
  const Queue L = Queue::kLoad, C = Queue::kCompute;
  // The load head waits for a token that instruction 2 would give, but fetch cannot reach
  // instruction 2 while the load queue (depth 1) is full.
  const std::vector<Instruction> program = {SyncIn(L, "pop_next"), SyncIn(L),
                                            SyncIn(C, "push_prev"), Finish{}};
  EXPECT_EQ(RunError(TestArch(1), MakeProgram(TestArch(1), program)),
            "deadlock: load queue waits at instruction 0 (sync) for a token from compute; "
            "compute queue is empty; store queue is empty; fetch stalled at instruction 1 (sync): "
            "the load queue is full (1 instruction)");
  // With room for two the same program runs.
  EXPECT_EQ(ScheduleOf(TestArch(2), program),
            (std::vector<std::string>{"#2 compute sync [0, 1)", "#0 load sync [1, 2)",
                                      "#1 load sync [2, 3)", "#3 compute finish [3, 4)"}));
}

// ---------------------------------------------------------------------------------------------
// Deadlocks

TEST(IsaSimDeadlock, APopThatNothingPushes) {
  const ArchConfig arch = TestArch();
  EXPECT_EQ(RunError(arch, MakeProgram(arch, {SyncIn(Queue::kCompute, "pop_prev"), Finish{}})),
            "deadlock: load queue is empty; compute queue waits at instruction 0 (sync) for a "
            "token from load; store queue is empty; fetch has dispatched all 2 instructions");
}

TEST(IsaSimDeadlock, TwoQueuesWaitingForEachOther) {
  const ArchConfig arch = TestArch();
  const Program program =
      MakeProgram(arch, {SyncIn(Queue::kLoad, "pop_next push_next"),
                         SyncIn(Queue::kCompute, "pop_prev push_prev"), Finish{}});
  EXPECT_EQ(RunError(arch, program),
            "deadlock: load queue waits at instruction 0 (sync) for a token from compute; "
            "compute queue waits at instruction 1 (sync) for a token from load; store queue is "
            "empty; fetch has dispatched all 3 instructions");
}

TEST(IsaSimDeadlock, SeveralMissingTokensAreAllNamed) {
  const ArchConfig arch = TestArch();
  const Program program =
      MakeProgram(arch, {SyncIn(Queue::kCompute, "pop_prev pop_next"), Finish{}});
  EXPECT_EQ(RunError(arch, program),
            "deadlock: load queue is empty; compute queue waits at instruction 0 (sync) for a "
            "token from load and a token from store; store queue is empty; fetch has dispatched "
            "all 2 instructions");
}

TEST(IsaSimDeadlock, FinishWaitingForAStoreThatWaitsForAToken) {
  const ArchConfig arch = TestArch();
  const Program program =
      MakeProgram(arch, {SyncIn(Queue::kLoad), SyncIn(Queue::kStore, "pop_prev"), Finish{}});
  EXPECT_EQ(RunError(arch, program),
            "deadlock: load queue is empty; compute queue waits at instruction 2 (finish) for the "
            "store queue to drain; store queue waits at instruction 1 (sync) for a token from "
            "compute; fetch has dispatched all 3 instructions");
}

TEST(IsaSimDeadlock, APushIntoATokenQueueNobodyDrains) {
  const ArchConfig arch = TestArch(16, 1);
  const Program program =
      MakeProgram(arch, {SyncIn(Queue::kLoad, "push_next"), SyncIn(Queue::kLoad, "push_next"),
                         SyncIn(Queue::kStore, "pop_prev"), Finish{}});
  EXPECT_EQ(RunError(arch, program),
            "deadlock: load queue waits at instruction 1 (sync) for room in the token queue to "
            "compute (full, 1 token); compute queue waits at instruction 3 (finish) for the load "
            "and store queues to drain; store queue waits at instruction 2 (sync) for a token "
            "from compute; fetch has dispatched all 4 instructions");
}

// ---------------------------------------------------------------------------------------------
// finish

TEST(IsaSimFinish, WaitsForTheLoadAndStoreQueuesToDrain) {
  const ArchConfig arch = TestArch();
  // The store syncs complete at 2 and 3; finish, free to start at 1 as far as compute goes,
  // starts at 3.
  EXPECT_EQ(ScheduleOf(arch, {SyncIn(Queue::kCompute, "push_next"),
                              SyncIn(Queue::kStore, "pop_prev"), SyncIn(Queue::kStore), Finish{}}),
            (std::vector<std::string>{"#0 compute sync [0, 1)", "#1 store sync [1, 2)",
                                      "#2 store sync [2, 3)", "#3 compute finish [3, 4)"}));
  // A load of 2 rows of 4 bytes (2 beats, 8 cycles on the port) completes at 8 + 10 + 2 = 20.
  const Traced traced = RunTraced(arch, MakeProgram(arch, {LoadRows(0, 0, 2, 4), Finish{}}));
  EXPECT_EQ(Schedule(traced),
            (std::vector<std::string>{"#0 load load.sp [0, 20)", "#1 compute finish [20, 21)"}));
  EXPECT_EQ(traced.result.timing.cycles, 21);
}

// ---------------------------------------------------------------------------------------------
// Timing model (docs/isa.md, "Timing model"); arch 4×4, latency 10, 4 bytes per cycle: a 16-byte
// beat takes the port 4 cycles, a load completes 2 cycles after its data, a store 4

TEST(IsaSimTiming, TransfersTakeTheLongerOfPortAndRowsPlusLatencyAndLoadsOverlap) {
  const ArchConfig arch = TestArch();
  LoadAcc wide;  // one accumulator row of 4 int32: 16 bytes, 1 beat, 4 port cycles, 1 row
  wide.sram = 0;
  wide.ny = 1;
  wide.nx = 1;
  wide.lanes = 4;
  LoadSp narrow = LoadRows(0, 0, 8, 1);  // 8 rows of 1 byte: 8 beats, 32 port cycles, 8 rows
  LoadSp padding = LoadRows(16, 0, 1, 4);
  padding.pad_left = 1;  // all padding: no DRAM read, no latency
  const Traced traced = RunTraced(arch, MakeProgram(arch, {wide, narrow, padding, Finish{}}));
  EXPECT_EQ(Schedule(traced),
            (std::vector<std::string>{
                "#0 load load.acc [0, 16)",  // 4 + 10 + 2
                "#1 load load.sp [5, 49)",   // the cycle after #0's issue (4): 32 + 10 + 2
                "#2 load load.sp [38, 49)",  // 1 row of padding, 1 + 3, completes after #1
                "#3 compute finish [49, 50)"}));
  EXPECT_EQ(traced.result.timing.busy, (std::array<std::int64_t, 3>{4 + 32 + 1, 1, 0}));
}

TEST(IsaSimTiming, LoadOverlapsComputeThroughTokens) {
  const ArchConfig arch = TestArch();
  // #0 the weight tile (4 rows), #1 and #2 two activation tiles of 4 rows, each announced to
  // compute with a token; each load is 4 rows of 4 bytes: 4 beats, 16 port cycles, + 10 + 2,
  // and starts the cycle after the previous one's issue (16):
  //   #0 [0, 28), #1 [17, 45) → token at 45, #2 [34, 62) → token at 62.
  //   #3 gemm waits for the token; on an idle unit its preload runs beside the stream (busy 4
  //   rows) and reads weight rows 0..3 in the bank of its activation rows (bank 0 of 4), so the
  //   stream waits COLS - 1 = 3 cycles: [45, 45 + 4 + 3 + 2 + 8) = [45, 62).
  //   #4 gemm: array free at 52, its token at 62 → [62, 62 + 4 + 10) = [62, 76).
  //   finish at 76.
  const Traced traced = RunTraced(
      arch,
      MakeProgram(arch, {LoadRows(0, 0, 4, 4), LoadRows(4, 16, 4, 4, "push_next"),
                         LoadRows(8, 32, 4, 4, "push_next"), GemmRows(4, 0, 4, true, "pop_prev"),
                         GemmRows(8, 4, 4, false, "pop_prev"), Finish{}}));
  EXPECT_EQ(Schedule(traced),
            (std::vector<std::string>{"#0 load load.sp [0, 28)", "#1 load load.sp [17, 45)",
                                      "#2 load load.sp [34, 62)", "#3 compute gemm [45, 62)",
                                      "#4 compute gemm [62, 76)", "#5 compute finish [76, 77)"}));
  EXPECT_EQ(traced.result.timing.cycles, 77);
  EXPECT_EQ(traced.result.timing.busy, (std::array<std::int64_t, 3>{48, 4 + 3 + 4 + 1, 0}));
  EXPECT_EQ(traced.result.timing.bank_stall_cycles, 3);
}

// SRAM read latency 2: each gemm's results are complete one cycle later (its busy time and bank
// stalls are unchanged), so the second gemm and finish move by one cycle.
// The same program at SRAM read latency 1 and 2: the loads are unchanged, each gemm ends one
// cycle later (its rows arrive a cycle later; the second gemm streams behind the first as
// before), the finish waiting for them starts a cycle later, and so the program ends a cycle
// later; the bank stalls do not change.
TEST(IsaSimTiming, ReadLatencyTwoDelaysEachGemmsEndByOneCycle) {
  ArchConfig arch = TestArch();
  const auto program = [&] {
    return MakeProgram(arch,
                       {LoadRows(0, 0, 4, 4), LoadRows(4, 16, 4, 4, "push_next"),
                        LoadRows(8, 32, 4, 4, "push_next"), GemmRows(4, 0, 4, true, "pop_prev"),
                        GemmRows(8, 4, 4, false, "pop_prev"), Finish{}});
  };
  const Traced one = RunTraced(arch, program());
  arch.sram_read_latency = 2;
  const Traced two = RunTraced(arch, program());
  // "#3 compute gemm [18, 34)" -> {18, 34}
  const auto interval = [](const std::string& line) {
    const std::size_t open = line.find('[');
    const std::size_t comma = line.find(',', open);
    return std::pair<long, long>{std::stol(line.substr(open + 1)),
                                 std::stol(line.substr(comma + 1))};
  };
  const std::vector<std::string> a = Schedule(one), b = Schedule(two);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool gemm = a[i].find(" gemm ") != std::string::npos;
    const bool finish = a[i].find(" finish ") != std::string::npos;  // waits for the gemms
    EXPECT_EQ(interval(b[i]).first, interval(a[i]).first + (finish ? 1 : 0))
        << a[i] << " / " << b[i];
    EXPECT_EQ(interval(b[i]).second, interval(a[i]).second + (gemm || finish ? 1 : 0))
        << a[i] << " / " << b[i];
  }
  EXPECT_EQ(two.result.timing.cycles, one.result.timing.cycles + 1);
  EXPECT_EQ(two.result.timing.busy, one.result.timing.busy);
  EXPECT_EQ(two.result.timing.bank_stall_cycles, one.result.timing.bank_stall_cycles);
  EXPECT_EQ(two.result.timing.bank_stall_cycles, 3);
}

TEST(IsaSimTiming, GemmFollowsGemmWhenTheArrayIsFreePostOverlapsTheDrainAndTheNextGemm) {
  const ArchConfig arch = TestArch();
  // #0: 12 rows of 4 bytes, 12 beats: [0, 48 + 10 + 2) = [0, 60), token at 60.
  // #1 gemm with preload on an idle unit: busy 2 rows (the preload runs beside them), plus 3
  // bank stalls (weights and activations in bank 0): [60, 60 + 5 + 2 + 8) = [60, 75).
  // #2 gemm: array free at 65: busy 3 → [65, 78).
  // #3 post of 5 rows (accumulator rows 0..4, scratchpad rows 40..44) starts the next cycle,
  // while the gemms drain; its first row waits for #2's end: [66, 78 + 5 + 10) = [66, 93).
  // #4 gemm after the post: with accumulator rows 8.. it starts once the post streams (66 + 5)
  // and completes after it: [71, 93); writing accumulator row 0, which the post reads, it waits
  // for the post: [93, 93 + 1 + 10) = [93, 104).
  Post post;
  post.acc = 0;
  post.n = 5;
  post.dst = 40;
  post.dst_stride = 1;
  post.n_lanes = 4;
  for (const bool meets : {false, true}) {
    const Traced traced = RunTraced(
        arch, MakeProgram(arch, {LoadRows(0, 0, 12, 4, "push_next"),
                                 GemmRows(4, 0, 2, true, "pop_prev"), GemmRows(6, 2, 3, false),
                                 post, GemmRows(4, meets ? 0 : 8, 1, false), Finish{}}));
    const std::vector<std::string> head = {"#0 load load.sp [0, 60)", "#1 compute gemm [60, 75)",
                                           "#2 compute gemm [65, 78)", "#3 compute post [66, 93)"};
    std::vector<std::string> want = head;
    if (meets) {
      want.insert(want.end(), {"#4 compute gemm [93, 104)", "#5 compute finish [104, 105)"});
    } else {
      want.insert(want.end(), {"#4 compute gemm [71, 93)", "#5 compute finish [93, 94)"});
    }
    EXPECT_EQ(Schedule(traced), want) << "meets " << meets;
    EXPECT_EQ(traced.result.timing.busy,
              (std::array<std::int64_t, 3>{48, 2 + 3 + 3 + 10 + 1 + 1, 0}));
  }
}

TEST(IsaSimTiming, LoadAndStoreShareTheDramPort) {
  const ArchConfig arch = TestArch();
  // Both start at 0; the store (8 beats) holds the port for 32 cycles: [0, 32 + 10 + 5). The
  // load's one beat shares the port half and half with it: busy min(2 · 4, 4 + 32 / 2) = 8,
  // [0, 8 + 10 + 2) = [0, 20).
  EXPECT_EQ(ScheduleOf(arch, {StoreRows(0, 0x100, 8, 4), LoadRows(16, 0, 1, 4), Finish{}}),
            (std::vector<std::string>{"#0 store store.sp [0, 47)", "#1 load load.sp [0, 20)",
                                      "#2 compute finish [47, 48)"}));
  // A load alone: 4 + 10 + 2.
  EXPECT_EQ(ScheduleOf(arch, {LoadRows(16, 0, 1, 4), Finish{}}),
            (std::vector<std::string>{"#0 load load.sp [0, 16)", "#1 compute finish [16, 17)"}));
}

// pool: 2 + a tap a cycle, then 6; vadd: 2 + a row a cycle, then 15.
TEST(IsaSimTiming, VectorUnitsTakeARowOrTapPerCyclePlusTheirPipelines) {
  const ArchConfig arch = TestArch();
  Pool pool;  // 2×2 max pool of a 2×2 input: 4 taps
  pool.src = 0;
  pool.dst = 8;
  pool.in_h = pool.in_w = 2;
  pool.out_h = pool.out_w = 1;
  pool.kh = pool.kw = 2;
  pool.stride_h = pool.stride_w = 1;
  pool.dil_h = pool.dil_w = 1;
  pool.max = true;
  Pool padded = pool;  // 3×3 window at offset (−1, −1): 4 taps inside the input
  padded.dst = 9;
  padded.kh = padded.kw = 3;
  padded.pad_top = padded.pad_left = 1;
  Vadd vadd;  // 3 rows, A in bank 0 and B in bank 1 (4 banks of 1024 rows)
  vadd.a = 0;
  vadd.b = 1024;
  vadd.dst = 12;
  vadd.n = 3;
  EXPECT_EQ(ScheduleOf(arch, {pool, padded, vadd, Finish{}}),
            (std::vector<std::string>{"#0 compute pool [0, 12)", "#1 compute pool [12, 24)",
                                      "#2 compute vadd [24, 44)", "#3 compute finish [44, 45)"}));
}

// A vadd whose rows a + i and b + i share a bank reads b + i one cycle earlier: two cycles for
// those rows. Rows 1022..1025 of A sit in banks 0, 0, 1, 1; B's rows 0..3 in bank 0:
// busy 2 + 4 + 2, then 15.
TEST(IsaSimTiming, VaddRowsInOneBankTakeTwoCycles) {
  const ArchConfig arch = TestArch();
  Vadd vadd;
  vadd.a = 1022;
  vadd.b = 0;
  vadd.dst = 2048;
  vadd.n = 4;
  const Traced traced = RunTraced(arch, MakeProgram(arch, {vadd, Finish{}}));
  EXPECT_EQ(Schedule(traced),
            (std::vector<std::string>{"#0 compute vadd [0, 23)", "#1 compute finish [23, 24)"}));
  EXPECT_EQ(traced.result.timing.bank_stall_cycles, 2);
}

// ---------------------------------------------------------------------------------------------
// Trace, counters, determinism

std::uint64_t Fnv1a(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return h;
}

// Σ FNV-1a(address as 8 LE bytes, value byte) over byte-sized elements.
std::string ByteHash(std::uint64_t first_address, const std::vector<std::uint8_t>& values) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::vector<std::uint8_t> bytes;
    for (int k = 0; k < 8; ++k)
      bytes.push_back(static_cast<std::uint8_t>((first_address + i) >> (8 * k)));
    bytes.push_back(values[i]);
    sum += Fnv1a(bytes);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(sum));
  return text;
}

TEST(IsaSimTrace, OneLinePerInstructionWithWhatItWroteWhere) {
  const ArchConfig arch = TestArch();
  // Bytes 7 8 9 at DRAM 0x20 go to scratchpad row 2 (lanes 0..2, lane 3 gets the fill 0x55),
  // then to DRAM 0x40 via a store of lanes 1..3 (8 9 0x55).
  LoadSp load = LoadRows(2, 0x20, 1, 3, "push_next");
  load.fill = 0x55;
  StoreSp store = StoreRows(2, 0x40, 1, 3, "pop_prev");
  store.lane0 = 1;
  std::vector<std::uint8_t> image(0x24, 0);
  image[0x20] = 7;
  image[0x21] = 8;
  image[0x22] = 9;
  const Traced traced = RunTraced(
      arch,
      MakeProgram(arch, {load, SyncIn(Queue::kCompute, "pop_prev push_next"), store, Finish{}},
                  image));
  // load: 3 bytes → 1 beat, 4 port cycles: [0, 4 + 10 + 2); sync [16, 17); store, 1 beat:
  // [17, 17 + 4 + 10 + 5).
  EXPECT_EQ(traced.lines, (std::vector<std::string>{
                              "#0 load load.sp [0, 16) wrote scratchpad rows 2..2 hash " +
                                  ByteHash(2 * 4, {7, 8, 9, 0x55}),
                              "#1 compute sync [16, 17)",
                              "#2 store store.sp [17, 36) wrote DRAM bytes 0x40..0x42 hash " +
                                  ByteHash(0x40, {8, 9, 0x55}),
                              "#3 compute finish [36, 37)"}));
}

TEST(IsaSimCounters, AggregateOverTheRunAndMatchInstructionByInstructionExecution) {
  const ArchConfig arch = TestArch();
  Post post;
  post.acc = 0;
  post.n = 5;
  post.dst = 40;
  post.dst_stride = 1;
  post.n_lanes = 4;
  post.deps = Flags("push_next");
  const std::vector<Instruction> program = {LoadRows(0, 0, 12, 4, "push_next"),
                                            GemmRows(4, 0, 2, true, "pop_prev"),
                                            GemmRows(6, 2, 3, false),
                                            post,
                                            StoreRows(40, 0x100, 5, 4, "pop_prev"),
                                            Finish{}};
  IsaSimOptions options;
  options.record_writes = true;
  IsaSimulator simulator(arch, MakeProgram(arch, program));
  const IsaRunResult result = simulator.Run(options);

  // By hand: 5 activation rows through the 4×4 array, 3 × 2 useful lanes each.
  EXPECT_EQ(result.counters.instructions, 6);
  EXPECT_EQ(result.counters.instructions_by_opcode[static_cast<int>(Opcode::kGemm)], 2);
  EXPECT_EQ(result.counters.instructions_by_opcode[static_cast<int>(Opcode::kFinish)], 1);
  EXPECT_EQ(result.counters.macs_issued, 5 * 16);
  EXPECT_EQ(result.counters.macs_useful, 5 * 6);
  EXPECT_EQ(result.counters.dram.bytes_read, 48);
  EXPECT_EQ(result.counters.dram.bytes_written, 20);

  // The same instructions executed one by one, in program order, on a fresh state.
  IsaState state(arch, 4096);
  IsaCounters counters;
  std::vector<WriteRecord> writes;
  for (std::size_t i = 0; i < program.size(); ++i) {
    Execute(state, program[i], static_cast<std::int64_t>(i), counters, &writes);
  }
  EXPECT_EQ(result.counters, counters);
  EXPECT_EQ(result.writes, writes);
  EXPECT_EQ(simulator.state().dram, state.dram);
  EXPECT_EQ(simulator.state().scratchpad, state.scratchpad);
  EXPECT_EQ(simulator.state().accumulator, state.accumulator);
}

std::uint64_t TestSeed() {
  const char* env = std::getenv("QSA_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 20261122;
}

TEST(IsaSimDeterminism, TheSameProgramGivesTheSameTraceStateAndCounters) {
  const std::uint64_t seed = TestSeed();
  std::cout << "seed " << seed << "\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  const ArchConfig arch = TestArch(4, 2);
  // Pairs of loads and stores through compute, with random sizes and queue depths small enough
  // to stall fetch and fill token queues.
  std::vector<Instruction> program;
  std::vector<std::uint8_t> image(2048);
  for (std::uint8_t& b : image) b = static_cast<std::uint8_t>(rng());
  for (std::uint32_t k = 0; k < 24; ++k) {
    const auto rows = static_cast<std::uint32_t>(1 + rng() % 8);
    const std::uint32_t row = (k % 2) * 8;
    program.push_back(LoadRows(row, static_cast<std::uint32_t>(rng() % 512), rows, 4,
                               k >= 2 ? "pop_next push_next" : "push_next"));
    program.push_back(SyncIn(Queue::kCompute, "pop_prev push_next"));
    program.push_back(StoreRows(row, 1024 + 32 * k, rows, 4, "pop_prev push_prev"));
    program.push_back(SyncIn(Queue::kCompute, k + 2 < 24 ? "pop_next push_prev" : "pop_next"));
  }
  program.push_back(Finish{});
  const Program p = MakeProgram(arch, program, image);
  const Traced first = RunTraced(arch, p);
  const Traced second = RunTraced(arch, p);
  ASSERT_EQ(first.lines.size(), program.size());
  EXPECT_EQ(first.lines, second.lines);
  EXPECT_EQ(first.result.counters, second.result.counters);
  EXPECT_EQ(first.result.timing.cycles, second.result.timing.cycles);
  EXPECT_EQ(first.result.counters.dram.bytes_written, first.result.counters.dram.bytes_read);
  // Every store reads exactly what its load brought in.
  IsaSimulator simulator(arch, p);
  simulator.Run();
  for (std::uint32_t k = 0; k < 24; ++k) {
    const auto& load = std::get<LoadSp>(program[4 * k]);
    for (std::uint32_t b = 0; b < load.nx * 4; ++b) {
      ASSERT_EQ(simulator.state().dram[1024 + 32 * k + b], image[load.dram + b]) << k << " " << b;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Program checks, the program API and the JSON report

TEST(IsaSimProgram, RefusesMalformedPrograms) {
  const ArchConfig arch = TestArch();
  EXPECT_EQ(RunError(arch, MakeProgram(arch, {})),
            "the program has no instructions; it must end with finish");
  EXPECT_EQ(RunError(arch, MakeProgram(arch, {SyncIn(Queue::kLoad)})),
            "instruction 0 (sync): the program's last instruction must be finish");
  EXPECT_EQ(RunError(arch, MakeProgram(arch, {Finish{}, Finish{}})),
            "instruction 0 (finish): finish must be the last instruction (the program has 2 "
            "instructions)");
  EXPECT_EQ(RunError(arch, MakeProgram(arch, {Finish{}}, std::vector<std::uint8_t>(10), 8)),
            "the program's DRAM image of 10 bytes is larger than its DRAM of 8 bytes");

  Program reserved = MakeProgram(arch, {SyncIn(Queue::kLoad), Finish{}});
  reserved.instructions[0].hi |= std::uint64_t{1} << 60;
  EXPECT_NE(RunError(arch, reserved).find("instruction 0: sync: reserved bits"), std::string::npos)
      << RunError(arch, reserved);

  Program flags = MakeProgram(arch, {SyncIn(Queue::kLoad, "pop_prev"), Finish{}});
  EXPECT_EQ(RunError(arch, flags),
            "instruction 0 (sync): the load queue has no previous queue to exchange tokens with");

  const ArchConfig other = LoadArchConfig(QSA_SOURCE_DIR "/model/isa/arch/8x8.json");
  const std::string wrong_arch = RunError(other, MakeProgram(arch, {Finish{}}));
  EXPECT_NE(wrong_arch.find("was built for architecture '4x4'"), std::string::npos) << wrong_arch;
  EXPECT_NE(wrong_arch.find("not for '8x8'"), std::string::npos) << wrong_arch;
}

TEST(IsaSimProgram, OutOfBoundsAccessStopsTheRunWithTheInstructionNamed) {
  const ArchConfig arch = TestArch();
  const std::string message =
      RunError(arch, MakeProgram(arch, {LoadRows(0, 60, 2, 4), Finish{}}, {}, 64));
  EXPECT_EQ(message.rfind("instruction 0 (load.sp): DRAM read", 0), 0u) << message;
}

TEST(IsaSimProgram, RunsOnlyOnce) {
  const ArchConfig arch = TestArch();
  IsaSimulator simulator(arch, MakeProgram(arch, {Finish{}}));
  IsaSimOptions options;
  options.instant_fetch = true;
  EXPECT_EQ(simulator.Run(options).timing.cycles, 1);
  EXPECT_THROW(simulator.Run(), Error);
}

// A program that copies input x (int8 [2, 3], stored transposed) to output y through the
// scratchpad, one column of x per row.
Program CopyProgram(const ArchConfig& arch) {
  LoadSp load = LoadRows(0, 0x10, 3, 2, "push_next");
  load.stride_x = 2;
  StoreSp store = StoreRows(0, 0x80, 3, 2, "pop_prev");
  store.stride_x = 2;
  Program program = MakeProgram(
      arch, {load, SyncIn(Queue::kCompute, "pop_prev push_next"), store, Finish{}}, {}, 256);
  ManifestTensor x;
  x.name = "x";
  x.dram_addr = 0x10;
  x.shape = {2, 3};
  x.dtype = golden::DType::kInt8;
  x.dram_perm = {1, 0};
  ManifestTensor y = x;
  y.name = "y";
  y.dram_addr = 0x80;
  program.manifest.inputs = {x};
  program.manifest.outputs = {y};
  return program;
}

TEST(IsaSimProgram, RunProgramOnIsaWritesInputsRunsAndReadsOutputs) {
  const ArchConfig arch = TestArch();
  const Program program = CopyProgram(arch);
  const golden::Tensor x = golden::Tensor::FromVector<std::int8_t>({2, 3}, {1, -2, 3, -4, 5, -6});
  const IsaProgramRun run = RunProgramOnIsa(arch, program, {{"x", x}});
  ASSERT_EQ(run.outputs.size(), 1u);
  EXPECT_TRUE(run.outputs.at("y") == x);
  EXPECT_EQ(run.result.counters.dram.bytes_read, 6);

  EXPECT_THROW(RunProgramOnIsa(arch, program, {}), Error);
  try {
    RunProgramOnIsa(arch, program, {{"x", x}, {"z", x}});
    ADD_FAILURE() << "no error for an unknown input";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "unknown program input 'z'; the program's inputs are: x");
  }
  try {
    RunProgramOnIsa(arch, program, {});
    ADD_FAILURE() << "no error for a missing input";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "no value for program input 'x' (int8[2,3])");
  }
}

TEST(IsaSimReport, JsonHoldsCyclesBusyCyclesAndEveryCounter) {
  IsaRunResult result;
  result.timing.cycles = 100;
  result.timing.busy = {10, 20, 30};
  result.counters.instructions = 3;
  result.counters.instructions_by_opcode[static_cast<int>(Opcode::kGemm)] = 2;
  result.counters.instructions_by_opcode[static_cast<int>(Opcode::kFinish)] = 1;
  result.counters.macs_issued = 512;
  result.counters.macs_useful = 300;
  result.counters.dram = {40, 50};
  result.counters.scratchpad = {1, 2};
  result.counters.accumulator = {3, 4};
  result.counters.param = {5, 6};
  const nlohmann::json j = IsaRunResultToJson(result);
  EXPECT_EQ(j.at("cycles"), 100);
  EXPECT_EQ(j.at("busy_cycles"), (nlohmann::json{{"load", 10}, {"compute", 20}, {"store", 30}}));
  EXPECT_EQ(j.at("instructions").size(), kOps.size());
  EXPECT_EQ(j.at("instructions").at("gemm"), 2);
  EXPECT_EQ(j.at("instructions").at("finish"), 1);
  EXPECT_EQ(j.at("instructions").at("load.sp"), 0);
  EXPECT_EQ(j.at("instructions_total"), 3);
  EXPECT_EQ(j.at("macs_issued"), 512);
  EXPECT_EQ(j.at("macs_useful"), 300);
  EXPECT_EQ(j.at("dram"), (nlohmann::json{{"bytes_read", 40}, {"bytes_written", 50}}));
  EXPECT_EQ(j.at("scratchpad").at("bytes_written"), 2);
  EXPECT_EQ(j.at("accumulator").at("bytes_read"), 3);
  EXPECT_EQ(j.at("param").at("bytes_written"), 6);
}

}  // namespace
}  // namespace qsa::isa

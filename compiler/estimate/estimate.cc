#include "compiler/estimate/estimate.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <variant>

#include "model/base/error.h"

namespace qsa::estimate {

namespace {

using nlohmann::json;

isa::MemoryTraffic Delta(const isa::MemoryTraffic& after, const isa::MemoryTraffic& before) {
  return {after.bytes_read - before.bytes_read, after.bytes_written - before.bytes_written};
}

void Add(isa::MemoryTraffic& to, const isa::MemoryTraffic& x) {
  to.bytes_read += x.bytes_read;
  to.bytes_written += x.bytes_written;
}

json TrafficJson(const isa::MemoryTraffic& t) {
  return {{"bytes_read", t.bytes_read}, {"bytes_written", t.bytes_written}};
}

json EventsJson(const Events& e) {
  return {{"cycles", e.cycles},
          {"instructions", e.instructions},
          {"macs_issued", e.macs_issued},
          {"macs_useful", e.macs_useful},
          {"accumulates", e.accumulates},
          {"requants", e.requants},
          {"vadds", e.vadds},
          {"pool_taps", e.pool_taps},
          {"scratchpad", TrafficJson(e.scratchpad)},
          {"accumulator", TrafficJson(e.accumulator)},
          {"parameter_buffer", TrafficJson(e.param)},
          {"dram", TrafficJson(e.dram)}};
}

json EnergyJson(const Energy& e) {
  json j = json::object();
  const std::array<double, 8> c = Components(e);
  for (std::size_t k = 0; k < c.size(); ++k) j[std::string(kEnergyComponents[k])] = c[k];
  return j;
}

double Utilization(const isa::ArchConfig& arch, std::int64_t macs, std::int64_t cycles) {
  if (cycles <= 0) return 0.0;
  return static_cast<double>(macs) / (static_cast<double>(cycles) * static_cast<double>(arch.rows) *
                                      static_cast<double>(arch.cols));
}

}  // namespace

Events& Events::operator+=(const Events& o) {
  cycles += o.cycles;
  instructions += o.instructions;
  macs_issued += o.macs_issued;
  macs_useful += o.macs_useful;
  accumulates += o.accumulates;
  requants += o.requants;
  vadds += o.vadds;
  pool_taps += o.pool_taps;
  Add(scratchpad, o.scratchpad);
  Add(accumulator, o.accumulator);
  Add(param, o.param);
  Add(dram, o.dram);
  return *this;
}

double Energy::Total() const {
  double sum = 0;
  for (double c : Components(*this)) sum += c;
  return sum;
}

Energy& Energy::operator+=(const Energy& o) {
  array += o.array;
  vector += o.vector;
  scratchpad += o.scratchpad;
  accumulator += o.accumulator;
  param += o.param;
  dram += o.dram;
  control += o.control;
  leakage += o.leakage;
  return *this;
}

std::array<double, 8> Components(const Energy& e) {
  return {e.array, e.vector, e.scratchpad, e.accumulator, e.param, e.dram, e.control, e.leakage};
}

Energy EnergyOf(const Events& ev, const EventEnergies& pj) {
  const auto d = [](std::int64_t n) { return static_cast<double>(n); };
  Energy e;
  e.array = d(ev.macs_issued) * pj.mac + d(ev.accumulates) * pj.accumulate;
  e.vector = d(ev.requants) * pj.requant + d(ev.vadds) * pj.vadd + d(ev.pool_taps) * pj.pool_tap;
  e.scratchpad = d(ev.scratchpad.bytes_read) * pj.sp_read_byte +
                 d(ev.scratchpad.bytes_written) * pj.sp_write_byte;
  e.accumulator = d(ev.accumulator.bytes_read) * pj.acc_read_byte +
                  d(ev.accumulator.bytes_written) * pj.acc_write_byte;
  e.param =
      d(ev.param.bytes_read) * pj.param_read_byte + d(ev.param.bytes_written) * pj.param_write_byte;
  e.dram = d(ev.dram.bytes_read + ev.dram.bytes_written) * pj.dram_byte;
  e.control = d(ev.instructions) * pj.instruction;
  e.leakage = d(ev.cycles) * pj.leakage_per_cycle;
  return e;
}

Events AnalyticEvents(const isa::ArchConfig& arch, const compiler::LayerEstimate& e) {
  const std::int64_t rows = arch.rows, cols = arch.cols;
  Events ev;
  ev.cycles = e.cycles;
  ev.instructions = e.instructions;
  ev.macs_useful = e.macs;
  ev.dram = {e.dram_read, e.dram_written};
  // Loads write what they read into the scratchpad; stores read what they write from it.
  ev.scratchpad = {e.dram_written, e.dram_read};
  if (e.gemm_rows > 0) {
    // gemm: ROWS bytes per streamed row and COLS rows per preload; a row of COLS int32 values
    // written per streamed row, read when it accumulates; post reads its row and writes the
    // output values (what the stores then write to DRAM).
    ev.macs_issued = e.gemm_rows * rows * cols;
    ev.accumulates = e.accumulate_rows * cols;
    ev.scratchpad.bytes_read += e.gemm_rows * rows + e.weight_preloads * cols * rows;
    ev.accumulator.bytes_written = e.gemm_rows * 4 * cols;
    ev.accumulator.bytes_read = (e.accumulate_rows + e.post_rows) * 4 * cols;
    // Parameters go to the parameter buffer, not the scratchpad; each post reads 4 rows.
    ev.scratchpad.bytes_written -= e.param_bytes;
    ev.param = {e.posts * 16 * cols, e.param_bytes};
    if (e.post_rows > 0) {
      ev.requants = e.dram_written;
      ev.scratchpad.bytes_written += e.dram_written;
    }
  } else if (e.op == "Add") {
    // vadd: two rows read and one written per output row.
    ev.vadds = e.dram_written;
    ev.scratchpad.bytes_read += 2 * e.dram_written;
    ev.scratchpad.bytes_written += e.dram_written;
  } else if (e.op.find("Pool") != std::string::npos) {
    // pool: one scratchpad row per tap, one compute cycle per tap plus 4 per tile.
    ev.pool_taps = std::max<std::int64_t>(0, e.compute_cycles - 4 * e.tiles) * rows;
    ev.scratchpad.bytes_read += ev.pool_taps;
    ev.scratchpad.bytes_written += e.dram_written;
  }
  return ev;
}

Events InstructionEvents(const isa::InstructionRun& run) {
  const isa::IsaCounters& a = *run.after;
  const isa::IsaCounters& b = *run.before;
  Events ev;
  ev.instructions = a.instructions - b.instructions;
  ev.macs_issued = a.macs_issued - b.macs_issued;
  ev.macs_useful = a.macs_useful - b.macs_useful;
  ev.scratchpad = Delta(a.scratchpad, b.scratchpad);
  ev.accumulator = Delta(a.accumulator, b.accumulator);
  ev.param = Delta(a.param, b.param);
  ev.dram = Delta(a.dram, b.dram);
  const isa::Instruction& in = *run.instruction;
  if (std::holds_alternative<isa::Gemm>(in)) ev.accumulates = ev.accumulator.bytes_read / 4;
  if (std::holds_alternative<isa::Post>(in)) ev.requants = ev.scratchpad.bytes_written;
  if (std::holds_alternative<isa::Vadd>(in)) ev.vadds = ev.scratchpad.bytes_written;
  if (std::holds_alternative<isa::Pool>(in)) ev.pool_taps = ev.scratchpad.bytes_read;
  return ev;
}

std::string BoundOf(const compiler::LayerEstimate& e) {
  if (e.compute_cycles >= e.load_cycles && e.compute_cycles >= e.store_cycles) {
    return e.gemm_rows > 0 ? "compute" : "vector";
  }
  return "dram";
}

void FinishReport(EstimateReport& r) {
  const EventEnergies pj = EventEnergiesOf(r.arch, r.table, false);
  const EventEnergies pj32 = EventEnergiesOf(r.arch, r.table, true);
  r.events = {};
  r.energy = {};
  r.fp32_energy = {};
  for (LayerRow& l : r.layers) {
    l.events.cycles = l.cycles;
    l.utilization = Utilization(r.arch, l.macs, l.cycles);
    l.energy = EnergyOf(l.events, pj);
    if (r.fp32) l.fp32 = EnergyOf(l.events, pj32);
    r.events += l.events;
    r.energy += l.energy;
    r.fp32_energy += l.fp32;
  }
}

EstimateReport EstimateCompiled(const compiler::CompiledModel& model, const EnergyTable& table,
                                bool fp32) {
  EstimateReport r;
  r.source = "analytic";
  r.arch = model.arch;
  r.table = table;
  r.fp32 = fp32;
  for (const compiler::CompiledProgram& p : model.programs) {
    for (const compiler::LayerEstimate& e : p.layers) {
      LayerRow row;
      row.program = p.name;
      row.name = e.name;
      row.op = e.op;
      row.macs = e.macs;
      row.cycles = e.cycles;
      row.compute_cycles = e.compute_cycles;
      row.load_cycles = e.load_cycles;
      row.store_cycles = e.store_cycles;
      row.bound = BoundOf(e);
      row.events = AnalyticEvents(model.arch, e);
      r.layers.push_back(std::move(row));
    }
  }
  FinishReport(r);
  return r;
}

namespace {

std::string Trim(std::string_view text) {
  std::size_t a = 0, b = text.size();
  while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r')) ++a;
  while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r')) --b;
  return std::string(text.substr(a, b - a));
}

std::vector<std::string> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      fields.push_back(Trim(line.substr(start, i - start)));
      start = i + 1;
    }
  }
  while (!fields.empty() && fields.back().empty()) fields.pop_back();  // the trailing comma
  return fields;
}

// The largest value of a topology field (bounds the tiling search's work): image sides, filters
// and strides up to 2048, channels and filters up to 65536, a GEMM's M up to 2^20 rows.
std::int64_t TopologyLimit(bool gemm, std::size_t field) {
  if (gemm) return field == 1 ? std::int64_t{1} << 20 : 65536;
  return field == 5 || field == 6 ? 65536 : 2048;
}

}  // namespace

std::vector<TopologyLayer> ParseTopologyCsv(std::string_view text, const std::string& source) {
  std::vector<TopologyLayer> layers;
  bool gemm = false;
  bool header = true;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::vector<std::string> f = SplitCsvLine(line);
    if (f.empty()) continue;
    const std::string where = source + " line " + std::to_string(line_no);
    if (header) {
      header = false;
      if (f.size() == 4 && f[1] == "M" && f[2] == "N" && f[3] == "K") {
        gemm = true;
      } else if (f.size() != 8) {
        throw Error(where +
                    ": expected SCALE-Sim's header 'Layer name, IFMAP Height, IFMAP Width, "
                    "Filter Height, Filter Width, Channels, Num Filter, Strides,' or 'Layer "
                    "Name, M, N, K,'");
      }
      continue;
    }
    const std::size_t want = gemm ? 4 : 8;
    if (f.size() != want) {
      throw Error(where + ": " + std::to_string(f.size()) + " fields; a " +
                  (gemm ? "GEMM" : "convolution") + " line has " + std::to_string(want));
    }
    std::vector<std::int64_t> v;
    for (std::size_t k = 1; k < f.size(); ++k) {
      std::int64_t x = 0;
      const std::int64_t limit = TopologyLimit(gemm, k);
      bool ok = !f[k].empty() && f[k].size() <= 8;
      for (char c : f[k]) ok = ok && c >= '0' && c <= '9';
      if (ok) x = std::stoll(f[k]);
      if (!ok || x < 1 || x > limit) {
        throw Error(where + ": field " + std::to_string(k + 1) + " is '" + f[k].substr(0, 20) +
                    "'; must be an integer in 1.." + std::to_string(limit));
      }
      v.push_back(x);
    }
    TopologyLayer l;
    l.name = f[0].empty() ? "layer" + std::to_string(layers.size()) : f[0];
    if (gemm) {
      l.ifmap_h = v[0];   // M pixels
      l.filters = v[1];   // N
      l.channels = v[2];  // K
    } else {
      l.ifmap_h = v[0];
      l.ifmap_w = v[1];
      l.filter_h = v[2];
      l.filter_w = v[3];
      l.channels = v[4];
      l.filters = v[5];
      l.stride = v[6];
      if (l.filter_h > l.ifmap_h || l.filter_w > l.ifmap_w) {
        throw Error(where + ": the filter (" + std::to_string(l.filter_h) + "x" +
                    std::to_string(l.filter_w) + ") is larger than the input (" +
                    std::to_string(l.ifmap_h) + "x" + std::to_string(l.ifmap_w) + ")");
      }
    }
    layers.push_back(std::move(l));
  }
  if (layers.empty()) throw Error(source + ": no layers");
  return layers;
}

EstimateReport EstimateTopology(const isa::ArchConfig& arch,
                                const std::vector<TopologyLayer>& layers, const EnergyTable& table,
                                bool fp32) {
  compiler::CompiledModel model;
  model.arch = arch;
  compiler::CompiledProgram program;
  program.name = "topology";
  for (const TopologyLayer& l : layers) {
    compiler::ConvShape s;
    s.c = l.channels;
    s.h = l.ifmap_h;
    s.w = l.ifmap_w;
    s.m = l.filters;
    s.kh = l.filter_h;
    s.kw = l.filter_w;
    s.sh = s.sw = l.stride;
    s.oh = (l.ifmap_h - l.filter_h) / l.stride + 1;
    s.ow = (l.ifmap_w - l.filter_w) / l.stride + 1;
    // Dense weights: every (tap, channel block) tile of every output block is nonzero.
    const std::int64_t cb = (s.c + arch.rows - 1) / arch.rows;
    const std::int64_t mb = (s.m + arch.cols - 1) / arch.cols;
    s.tiles_per_block.assign(static_cast<std::size_t>(mb), s.kh * s.kw * cb);
    const compiler::ConvTiling tiling = compiler::ChooseConvTiling(arch, s, l.name);
    compiler::LayerEstimate e = compiler::EstimateConv(arch, s, tiling);
    e.name = l.name;
    program.layers.push_back(std::move(e));
  }
  model.programs.push_back(std::move(program));
  return EstimateCompiled(model, table, fp32);
}

json ReportToJson(const EstimateReport& r) {
  json j;
  j["source"] = r.source;
  j["arch"] = {{"name", r.arch.name},
               {"hash", r.arch.HashHex()},
               {"rows", r.arch.rows},
               {"cols", r.arch.cols},
               {"clock_mhz", r.arch.clock_mhz}};
  json banks = json::array();
  for (const BankGeometry& b : MemoryBanks(r.arch, r.table)) {
    banks.push_back({{"name", b.name},
                     {"width_bits", b.width_bits},
                     {"depth", b.depth},
                     {"banks", b.banks},
                     {"read_pj", b.read_pj},
                     {"write_pj", b.write_pj}});
  }
  j["memories"] = banks;
  j["energy_table"] = r.table.name;
  j["cycles"] = r.events.cycles;
  j["time_us"] = static_cast<double>(r.events.cycles) / r.arch.clock_mhz;
  j["macs"] = r.events.macs_useful;
  j["utilization"] = Utilization(r.arch, r.events.macs_useful, r.events.cycles);
  j["energy_pj"] = r.energy.Total();
  j["energy_by_component"] = EnergyJson(r.energy);
  if (r.fp32) {
    j["fp32_energy_pj"] = r.fp32_energy.Total();
    j["fp32_energy_by_component"] = EnergyJson(r.fp32_energy);
  }
  j["events"] = EventsJson(r.events);
  json layers = json::array();
  for (const LayerRow& l : r.layers) {
    json x = {{"program", l.program},
              {"name", l.name},
              {"op", l.op},
              {"macs", l.macs},
              {"cycles", l.cycles},
              {"utilization", l.utilization},
              {"dram_read", l.events.dram.bytes_read},
              {"dram_written", l.events.dram.bytes_written},
              {"energy_pj", l.energy.Total()},
              {"energy_by_component", EnergyJson(l.energy)},
              {"events", EventsJson(l.events)}};
    if (!l.bound.empty()) {
      x["bound"] = l.bound;
      x["compute_cycles"] = l.compute_cycles;
      x["load_cycles"] = l.load_cycles;
      x["store_cycles"] = l.store_cycles;
    }
    if (r.fp32) {
      x["fp32_energy_pj"] = l.fp32.Total();
      x["fp32_energy_by_component"] = EnergyJson(l.fp32);
    }
    layers.push_back(std::move(x));
  }
  j["layers"] = layers;
  return j;
}

std::string ReportToCsv(const EstimateReport& r) {
  std::ostringstream out;
  out.precision(17);
  out << "program,layer,op,macs,cycles,utilization,bound,dram_read,dram_written,energy_pj";
  for (std::string_view c : kEnergyComponents) out << ",energy_" << c << "_pj";
  if (r.fp32) out << ",fp32_energy_pj";
  out << "\n";
  // Layer names are the model's node names: quoted, with quotes doubled (RFC 4180).
  const auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  for (const LayerRow& l : r.layers) {
    out << quoted(l.program) << ',' << quoted(l.name) << ',' << quoted(l.op) << ',' << l.macs << ','
        << l.cycles << ',' << l.utilization << ',' << l.bound << ',' << l.events.dram.bytes_read
        << ',' << l.events.dram.bytes_written << ',' << l.energy.Total();
    for (double c : Components(l.energy)) out << ',' << c;
    if (r.fp32) out << ',' << l.fp32.Total();
    out << "\n";
  }
  return out.str();
}

namespace {

// The layer of each instruction: its manifest range, or the range before it.
std::vector<int> LayerOfInstructions(const isa::Program& program) {
  const std::size_t n = program.instructions.size();
  std::vector<int> layer_of(n, 0);
  int current = 0;
  std::size_t next = 0;
  const auto& ranges = program.manifest.layers;
  for (std::size_t i = 0; i < n; ++i) {
    while (next < ranges.size() && static_cast<std::int64_t>(i) >= ranges[next].first) {
      current = static_cast<int>(next);
      ++next;
    }
    layer_of[i] = current;
  }
  return layer_of;
}

std::vector<std::string> LayerNames(const isa::Program& program, const std::string& fallback) {
  std::vector<std::string> names;
  for (const isa::LayerRange& l : program.manifest.layers) names.push_back(l.name);
  if (names.empty()) names.push_back(fallback);
  return names;
}

// Cycles per layer from each layer's completion (a running maximum, so they add up).
std::vector<std::int64_t> PartitionCycles(const std::vector<std::int64_t>& ends) {
  std::vector<std::int64_t> cycles;
  std::int64_t done = 0;
  for (std::int64_t e : ends) {
    const std::int64_t end = std::max(done, e);
    cycles.push_back(end - done);
    done = end;
  }
  return cycles;
}

}  // namespace

LayerProfiler::LayerProfiler(const isa::Program& program, std::string name)
    : program_name_(std::move(name)),
      names_(LayerNames(program, program_name_)),
      layer_of_(LayerOfInstructions(program)),
      events_(names_.size()),
      end_(names_.size(), 0) {}

std::function<void(const isa::InstructionRun&)> LayerProfiler::Observer() {
  return [this](const isa::InstructionRun& run) {
    const int layer = layer_of_[static_cast<std::size_t>(run.index)];
    const Events ev = InstructionEvents(run);
    events_[static_cast<std::size_t>(layer)] += ev;
    std::int64_t& end = end_[static_cast<std::size_t>(layer)];
    end = std::max(end, run.end);
    if (keep_slices_) {
      slices_.push_back({run.index, run.queue, run.start, run.end,
                         ev.dram.bytes_read + ev.dram.bytes_written, layer,
                         isa::MnemonicOf(*run.instruction)});
    }
  };
}

std::vector<LayerRow> LayerProfiler::Layers() const {
  std::vector<LayerRow> rows;
  const std::vector<std::int64_t> cycles = PartitionCycles(end_);
  for (std::size_t k = 0; k < names_.size(); ++k) {
    LayerRow row;
    row.program = program_name_;
    row.name = names_[k];
    row.events = events_[k];
    row.macs = row.events.macs_useful;
    row.cycles = cycles[k];
    rows.push_back(std::move(row));
  }
  return rows;
}

ProgramTimeline LayerProfiler::Timeline() const {
  return {program_name_, names_, PartitionCycles(end_), slices_};
}

ProgramTimeline RtlTimeline(const isa::Program& program, const std::string& name,
                            const std::vector<std::int64_t>& retire_cycles) {
  ProgramTimeline t;
  t.program = name;
  t.layer_names = LayerNames(program, name);
  const std::vector<int> layer_of = LayerOfInstructions(program);
  std::vector<std::int64_t> ends(t.layer_names.size(), 0);
  std::array<std::int64_t, isa::kNumQueues> last{};
  const std::size_t n = std::min(program.instructions.size(), retire_cycles.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t retire = retire_cycles[i];
    if (retire < 0) continue;
    const isa::Instruction in = isa::Decode(program.instructions[i]);
    const isa::Queue q = isa::QueueOf(in);
    const int layer = layer_of[i];
    t.slices.push_back({static_cast<std::int64_t>(i), q,
                        std::min(last[static_cast<std::size_t>(q)], retire), retire, -1, layer,
                        isa::MnemonicOf(in)});
    last[static_cast<std::size_t>(q)] = retire;
    ends[static_cast<std::size_t>(layer)] = std::max(ends[static_cast<std::size_t>(layer)], retire);
  }
  t.layer_cycles = PartitionCycles(ends);
  return t;
}

namespace {

// The track (thread id) of a queue's t-th track: 1, 2, 3 for the queues' first tracks, then
// 4, 5, 6 for their second ones, ...
int TrackId(isa::Queue queue, std::size_t t) {
  return 1 + static_cast<int>(queue) + static_cast<int>(t) * static_cast<int>(isa::kNumQueues);
}

}  // namespace

json TimelineJson(const isa::ArchConfig& arch, const std::vector<ProgramTimeline>& programs) {
  json events = json::array();
  const double us_per_cycle = 1.0 / arch.clock_mhz;
  const auto us = [&](std::int64_t cycle) { return static_cast<double>(cycle) * us_per_cycle; };
  const auto meta = [&](int pid, int tid, const char* what, const std::string& name) {
    json m = {{"ph", "M"}, {"pid", pid}, {"name", what}, {"args", {{"name", name}}}};
    if (tid >= 0) m["tid"] = tid;
    events.push_back(std::move(m));
  };
  std::int64_t offset = 0;
  int pid = 0;
  for (const ProgramTimeline& p : programs) {
    ++pid;
    meta(pid, -1, "process_name", p.program);
    meta(pid, 0, "thread_name", "layers");
    // A queue's instructions overlap where its unit pipelines them (a gemm streaming while the
    // previous one drains): each slice goes to the first track of its queue where it nests, so
    // every track holds slices that follow one another (a trace viewer shows a track's slices
    // as a stack and drops the ones that overlap without nesting).
    const std::array<const char*, isa::kNumQueues> queue_names = {"load queue", "compute queue",
                                                                  "store queue"};
    std::array<std::vector<std::int64_t>, isa::kNumQueues> track_end;  // per queue, per track
    const auto track_of = [&](const TimelineSlice& s, std::int64_t end_cycle) {
      std::vector<std::int64_t>& ends = track_end[static_cast<std::size_t>(s.queue)];
      std::size_t t = 0;
      while (t < ends.size() && ends[t] > s.start) ++t;
      if (t == ends.size()) {
        ends.push_back(0);
        const std::string name = queue_names[static_cast<std::size_t>(s.queue)] +
                                 (t == 0 ? std::string() : " " + std::to_string(t + 1));
        meta(pid, TrackId(s.queue, t), "thread_name", name);
        events.push_back({{"ph", "M"},
                          {"pid", pid},
                          {"tid", TrackId(s.queue, t)},
                          {"name", "thread_sort_index"},
                          {"args", {{"sort_index", TrackId(s.queue, t)}}}});
      }
      ends[t] = end_cycle;
      return TrackId(s.queue, t);
    };
    std::int64_t end = 0;
    for (std::size_t k = 0; k < p.layer_names.size(); ++k) {
      const std::int64_t cycles = p.layer_cycles[k];
      events.push_back({{"ph", "X"},
                        {"pid", pid},
                        {"tid", 0},
                        {"name", p.layer_names[k]},
                        {"ts", us(offset + end)},
                        {"dur", us(cycles)},
                        {"args", {{"cycles", cycles}}}});
      end += cycles;
    }
    const std::int64_t window = std::max<std::int64_t>(64, end / 500);
    std::map<std::int64_t, double> bytes;  // window -> bytes
    bool known = false;
    for (const TimelineSlice& s : p.slices) {
      json args = {{"instruction", s.index},
                   {"layer", p.layer_names[static_cast<std::size_t>(s.layer)]}};
      if (s.dram_bytes >= 0) args["dram_bytes"] = s.dram_bytes;
      const std::int64_t slice_end = s.start + std::max<std::int64_t>(s.end - s.start, 1);
      events.push_back({{"ph", "X"},
                        {"pid", pid},
                        {"tid", track_of(s, slice_end)},
                        {"name", std::string(s.mnemonic)},
                        {"ts", us(offset + s.start)},
                        {"dur", us(slice_end - s.start)},
                        {"args", args}});
      if (s.dram_bytes >= 0) known = true;
      if (s.dram_bytes > 0) {
        // Spread over the instruction's cycles.
        const std::int64_t length = std::max<std::int64_t>(s.end - s.start, 1);
        for (std::int64_t w = s.start / window; w * window < s.start + length; ++w) {
          const std::int64_t lo = std::max(s.start, w * window);
          const std::int64_t hi = std::min(s.start + length, (w + 1) * window);
          bytes[w] += static_cast<double>(s.dram_bytes) * static_cast<double>(hi - lo) /
                      static_cast<double>(length);
        }
      }
    }
    for (std::int64_t w = 0; known && w * window <= end; ++w) {
      const auto it = bytes.find(w);
      const double rate = it == bytes.end() ? 0.0 : it->second / static_cast<double>(window);
      events.push_back({{"ph", "C"},
                        {"pid", pid},
                        {"name", "DRAM bytes/cycle"},
                        {"ts", us(offset + w * window)},
                        {"args", {{"bytes_per_cycle", rate}}}});
    }
    offset += end;
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ns"}};
}

}  // namespace qsa::estimate

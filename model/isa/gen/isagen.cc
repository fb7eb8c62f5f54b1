// qsa_isagen: generates the ISA's C++ header, SystemVerilog package and documentation tables from
// the one ISA spec, model/isa/isa.json.
//
//   qsa_isagen SPEC.json OUT_DIR
//
// writes OUT_DIR/model/isa/isa_generated.h, OUT_DIR/rtl/qsa_isa_pkg.sv and
// OUT_DIR/docs/isa_fields.md, each only when its content changes (so that a rebuild does not
// recompile what did not change). Field positions are assigned here, in spec order from bit 8
// upwards; nothing else in qsa computes them. The field limits ("limits") and memory footprints
// ("footprint") of the spec become per-instruction C++ functions and SystemVerilog checks; their
// vocabulary is in docs/isa.md, "The spec's vocabulary".
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

constexpr int kHeaderBits = 8;

struct Field {
  std::string name;
  int lsb = 0;
  int bits = 0;
  std::string doc;
};

struct Op {
  std::string mnemonic;
  int opcode = 0;
  std::string queue;
  std::string doc;
  std::vector<Field> fields;
  int used_bits = kHeaderBits;
  nlohmann::json limits;     // ordered checks, see CheckLimit
  nlohmann::json footprint;  // memory accesses, see CheckAccess
};

struct Spec {
  int version = 0;
  int instruction_bits = 0;
  std::string doc;
  std::vector<std::string> queues;
  std::vector<std::string> parameters;  // architecture parameters limits may name: ROWS, COLS
  std::vector<std::string> memories;    // memories a footprint may name, DRAM first
  std::vector<Field> header;
  std::vector<Op> ops;
};

[[noreturn]] void Fail(const std::string& message) { throw std::runtime_error(message); }

// "load.sp" → "LoadSp"; "n_outer" → "NOuter".
std::string CamelCase(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '.' || c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// "load.sp" → "LOAD_SP".
std::string UpperSnake(const std::string& name) {
  std::string out;
  for (char c : name) {
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// A C++ string literal.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// ---- The vocabulary of limits and footprints ----------------------------------------------------
//
// A quantity is an integer, a field or parameter name, a list (the product of its quantities),
// {"sum": [q, ...]}, {"diff": [q, r, ...]} (q minus the others) or {"ceil_div": [q, r]}.
// A limit is one of (checked in order; the first violated one is reported):
//   {"range": F, "min": N, "max": N or P, "note": "..."}  min defaults to 0, max to F's maximum
//   {"nonzero": [F, ...]}
//   {"sum_at_most": [F, G], "bound": F or P}
//   {"at_least": F, "bound": G, "when_above": [H, N], "why": "..."}  only when H > N
//   {"aligned": F, "multiple_of": P, "below": P}
//   {"disjoint": RUN, "from": RUN, "unless_equal": true}  RUN = {"name", "base": F, "rows": q}
// An access is {"read" or "write": MEMORY, "base": F, "loops": [[COUNT, STRIDE], ...],
// "size": q, "when" or "unless": FLAG}: the range [base, base + sum((COUNT - 1) * STRIDE) + size),
// none when a COUNT or the size is not positive or the flag says so.

const Field* FindField(const Op& op, const std::string& name) {
  for (const Field& f : op.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool IsParameter(const Spec& spec, const std::string& name) {
  return std::find(spec.parameters.begin(), spec.parameters.end(), name) != spec.parameters.end();
}

std::string Where(const Op& op, const nlohmann::json& j) { return op.mnemonic + ": " + j.dump(); }

// A field or parameter name.
void CheckName(const Spec& spec, const Op& op, const nlohmann::json& j, bool parameter_ok) {
  if (!j.is_string()) Fail(Where(op, j) + ": a name is expected");
  const std::string name = j.get<std::string>();
  if (FindField(op, name) != nullptr) return;
  if (parameter_ok && IsParameter(spec, name)) return;
  Fail(Where(op, j) + ": " + name + " is not a field" + (parameter_ok ? " or a parameter" : ""));
}

void CheckFlag(const Op& op, const nlohmann::json& j) {
  const Field* f = j.is_string() ? FindField(op, j.get<std::string>()) : nullptr;
  if (f == nullptr || f->bits != 1) Fail(Where(op, j) + ": a 1-bit field is expected");
}

void CheckQuantity(const Spec& spec, const Op& op, const nlohmann::json& q) {
  if (q.is_number_integer()) return;
  if (q.is_string()) return CheckName(spec, op, q, true);
  if (q.is_array() && !q.empty()) {
    for (const auto& x : q) CheckQuantity(spec, op, x);
    return;
  }
  if (q.is_object() && q.size() == 1) {
    const std::string key = q.begin().key();
    const nlohmann::json& args = q.begin().value();
    const std::size_t min_args = key == "ceil_div" ? 2 : 1;
    if ((key == "sum" || key == "diff" || key == "ceil_div") && args.is_array() &&
        args.size() >= min_args && (key != "ceil_div" || args.size() == 2)) {
      for (const auto& x : args) CheckQuantity(spec, op, x);
      return;
    }
  }
  Fail(Where(op, q) + ": not a quantity");
}

void CheckRun(const Spec& spec, const Op& op, const nlohmann::json& run) {
  run.at("name").get<std::string>();
  CheckName(spec, op, run.at("base"), false);
  CheckQuantity(spec, op, run.at("rows"));
}

void CheckLimit(const Spec& spec, const Op& op, const nlohmann::json& l) {
  if (l.contains("range")) {
    CheckName(spec, op, l["range"], false);
    if (l.contains("max") && !l["max"].is_number_integer()) CheckName(spec, op, l["max"], true);
  } else if (l.contains("nonzero")) {
    for (const auto& f : l["nonzero"]) CheckName(spec, op, f, false);
  } else if (l.contains("sum_at_most")) {
    for (const auto& f : l["sum_at_most"]) CheckName(spec, op, f, false);
    CheckName(spec, op, l.at("bound"), true);
  } else if (l.contains("at_least")) {
    CheckName(spec, op, l["at_least"], false);
    CheckName(spec, op, l.at("bound"), false);
    CheckName(spec, op, l.at("when_above").at(0), false);
  } else if (l.contains("aligned")) {
    CheckName(spec, op, l["aligned"], false);
    if (!IsParameter(spec, l.at("multiple_of")) || !IsParameter(spec, l.at("below"))) {
      Fail(Where(op, l) + ": multiple_of and below must be parameters");
    }
  } else if (l.contains("disjoint")) {
    CheckRun(spec, op, l["disjoint"]);
    CheckRun(spec, op, l.at("from"));
  } else {
    Fail(Where(op, l) + ": unknown limit");
  }
}

void CheckAccess(const Spec& spec, const Op& op, const nlohmann::json& a) {
  const nlohmann::json& memory = a.contains("read") ? a["read"] : a.at("write");
  if (std::find(spec.memories.begin(), spec.memories.end(), memory.get<std::string>()) ==
      spec.memories.end()) {
    Fail(Where(op, a) + ": unknown memory");
  }
  CheckName(spec, op, a.at("base"), false);
  for (const auto& loop : a.value("loops", nlohmann::json::array())) {
    CheckQuantity(spec, op, loop.at(0));
    CheckName(spec, op, loop.at(1), false);
  }
  CheckQuantity(spec, op, a.at("size"));
  if (a.contains("when")) CheckFlag(op, a["when"]);
  if (a.contains("unless")) CheckFlag(op, a["unless"]);
}

Spec ReadSpec(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail("cannot open " + path);
  const nlohmann::json j = nlohmann::json::parse(in);
  Spec spec;
  spec.version = j.at("version").get<int>();
  spec.instruction_bits = j.at("instruction_bits").get<int>();
  spec.doc = j.at("doc").get<std::string>();
  spec.queues = j.at("queues").get<std::vector<std::string>>();
  for (const auto& p : j.at("parameters"))
    spec.parameters.push_back(p.at("name").get<std::string>());
  for (const auto& m : j.at("memories")) spec.memories.push_back(m.at("name").get<std::string>());
  if (spec.memories.empty() || spec.memories.front() != "dram") Fail("the first memory is dram");
  if (spec.instruction_bits != 128) Fail("only 128-bit instructions are supported");
  int lsb = 0;
  for (const auto& f : j.at("header")) {
    Field field{f.at("name").get<std::string>(), lsb, f.at("bits").get<int>(),
                f.at("doc").get<std::string>()};
    lsb += field.bits;
    spec.header.push_back(field);
  }
  if (lsb != kHeaderBits) Fail("the header must be 8 bits");
  std::set<int> opcodes;
  std::set<std::string> mnemonics;
  for (const auto& o : j.at("instructions")) {
    Op op;
    op.mnemonic = o.at("mnemonic").get<std::string>();
    op.opcode = o.at("opcode").get<int>();
    op.queue = o.at("queue").get<std::string>();
    op.doc = o.at("doc").get<std::string>();
    if (op.opcode < 1 || op.opcode > 15) Fail(op.mnemonic + ": opcode must be in 1..15");
    if (!opcodes.insert(op.opcode).second) Fail(op.mnemonic + ": duplicate opcode");
    if (!mnemonics.insert(op.mnemonic).second) Fail(op.mnemonic + ": duplicate mnemonic");
    if (op.queue != "any" &&
        std::find(spec.queues.begin(), spec.queues.end(), op.queue) == spec.queues.end()) {
      Fail(op.mnemonic + ": unknown queue " + op.queue);
    }
    int bit = kHeaderBits;
    std::set<std::string> names;
    for (const auto& f : o.at("fields")) {
      Field field{f.at("name").get<std::string>(), bit, f.at("bits").get<int>(),
                  f.at("doc").get<std::string>()};
      if (field.bits < 1 || field.bits > 32) Fail(op.mnemonic + "." + field.name + ": 1..32 bits");
      if (!names.insert(field.name).second) Fail(op.mnemonic + "." + field.name + ": duplicate");
      bit += field.bits;
      op.fields.push_back(field);
    }
    if (bit > spec.instruction_bits) {
      Fail(op.mnemonic + ": fields need " + std::to_string(bit) + " bits");
    }
    if (op.queue == "any" && !names.contains("queue")) {
      Fail(op.mnemonic + ": an instruction of any queue needs a `queue` field");
    }
    op.used_bits = bit;
    op.limits = o.at("limits");
    op.footprint = o.at("footprint");
    for (const auto& l : op.limits) CheckLimit(spec, op, l);
    for (const auto& a : op.footprint) CheckAccess(spec, op, a);
    spec.ops.push_back(op);
  }
  return spec;
}

std::string FieldType(const Field& f) { return f.bits == 1 ? "bool" : "std::uint32_t"; }

std::string QueueEnum(const std::string& queue) {
  return queue == "any" ? "Queue::kCompute" : "Queue::k" + CamelCase(queue);
}

std::string Lower(const std::string& name) {
  std::string out;
  for (char c : name) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::uint64_t FieldMax(const Field& f) { return (std::uint64_t{1} << f.bits) - 1; }

// ---- C++: limits and footprints ---------------------------------------------------------------

// How one target language writes a quantity's leaves and its ceiling division; products, sums
// and differences are written alike in C++ and SystemVerilog.
struct QuantitySyntax {
  std::string (*integer)(std::int64_t value);
  std::string (*parameter)(const std::string& name);
  std::string (*field)(const std::string& name);
  std::string (*ceil_div)(const std::string& num, const std::string& den);
};

std::string WriteQuantity(const Spec& spec, const QuantitySyntax& syntax, const nlohmann::json& q) {
  if (q.is_number_integer()) return syntax.integer(q.get<std::int64_t>());
  if (q.is_string()) {
    const std::string name = q.get<std::string>();
    return IsParameter(spec, name) ? syntax.parameter(name) : syntax.field(name);
  }
  auto join = [&](const nlohmann::json& args, const std::string& op_text) {
    std::string out = "(";
    for (std::size_t i = 0; i < args.size(); ++i) {
      out += (i ? op_text : "") + WriteQuantity(spec, syntax, args[i]);
    }
    return out + ")";
  };
  if (q.is_array()) return join(q, " * ");
  if (q.contains("sum")) return join(q["sum"], " + ");
  if (q.contains("diff")) return join(q["diff"], " - ");
  return syntax.ceil_div(WriteQuantity(spec, syntax, q["ceil_div"][0]),
                         WriteQuantity(spec, syntax, q["ceil_div"][1]));
}

// A quantity as a C++ int64 expression over `in` (the instruction) and `p` (ArchParams).
std::string CppQuantity(const Spec& spec, const Op& /*op*/, const nlohmann::json& q) {
  static constexpr QuantitySyntax kCpp{
      [](std::int64_t v) { return "std::int64_t{" + std::to_string(v) + "}"; },
      [](const std::string& name) { return "p." + Lower(name); },
      [](const std::string& name) { return "std::int64_t{in." + name + "}"; },
      [](const std::string& num, const std::string& den) {
        return "SpecCeilDiv(" + num + ", " + den + ")";
      }};
  return WriteQuantity(spec, kCpp, q);
}

// A field or parameter bound: its C++ value.
std::string CppBound(const Spec& spec, const Op& op, const nlohmann::json& b) {
  return CppQuantity(spec, op, b);
}

std::string S(const std::string& v) { return "std::to_string(" + v + ")"; }

void CppLimit(const Spec& spec, const Op& op, const nlohmann::json& l, std::ostringstream& o) {
  if (l.contains("range")) {
    const std::string f = l["range"].get<std::string>();
    const Field* field = FindField(op, f);
    const std::int64_t lo = l.value("min", 0);
    std::string hi = std::to_string(FieldMax(*field));
    std::string note = l.value("note", "");
    if (l.contains("max")) {
      hi = CppBound(spec, op, l["max"]);
      if (l["max"].is_string() && note.empty()) {
        note = std::to_string(lo) + ".." + l["max"].get<std::string>();
      }
    }
    o << "  {\n    const std::int64_t v = in." << f << ", lo = " << lo << ", hi = " << hi << ";\n"
      << "    if (v < lo || v > hi) {\n      return \"field " << f << " = \" + " << S("v")
      << " + \" is outside [\" + " << S("lo") << " + \", \" + " << S("hi") << " + \"]"
      << (note.empty() ? "" : " (" + note + ")") << "\";\n    }\n  }\n";
  } else if (l.contains("nonzero")) {
    for (const auto& f : l["nonzero"]) {
      const std::string name = f.get<std::string>();
      o << "  if (in." << name << " == 0) return std::string(\"field " << name
        << " = 0; it must be at least 1\");\n";
    }
  } else if (l.contains("sum_at_most")) {
    const auto& fs = l["sum_at_most"];
    std::string sum, text;
    for (std::size_t i = 0; i < fs.size(); ++i) {
      sum += (i ? " + " : "") + CppQuantity(spec, op, fs[i]);
      text += (i ? " + " : "") + fs[i].get<std::string>();
    }
    o << "  {\n    const std::int64_t sum = " << sum
      << ", bound = " << CppBound(spec, op, l["bound"]) << ";\n"
      << "    if (sum > bound) {\n      return \"" << text << " = \" + " << S("sum")
      << " + \" exceeds " << l["bound"].get<std::string>() << " = \" + " << S("bound")
      << ";\n    }\n  }\n";
  } else if (l.contains("at_least")) {
    const std::string f = l["at_least"].get<std::string>();
    const std::string g = l["bound"].get<std::string>();
    const std::string h = l["when_above"][0].get<std::string>();
    const std::string why = l.contains("why") ? "; " + l["why"].get<std::string>() : "";
    o << "  if (std::int64_t{in." << h << "} > " << l["when_above"][1].get<std::int64_t>()
      << " && in." << f << " < in." << g << ") {\n    return \"" << f << " = \" + " << S("in." + f)
      << " + \" is below " << g << " = \" + " << S("in." + g) << " +\n           \"" << why
      << "\";\n  }\n";
  } else if (l.contains("aligned")) {
    const std::string f = l["aligned"].get<std::string>();
    const std::string m = l["multiple_of"].get<std::string>();
    const std::string b = l["below"].get<std::string>();
    o << "  {\n    const std::int64_t v = in." << f << ", m = p." << Lower(m) << ", b = p."
      << Lower(b) << ";\n"
      << "    if (m >= b && v != 0) {\n      return \"field " << f << " = \" + " << S("v")
      << " + \" must be 0 when " << m << " >= " << b << "\";\n    }\n"
      << "    if (m < b && (v % m != 0 || v >= b)) {\n      return \"field " << f << " = \" + "
      << S("v") << " + \" must be a multiple of " << m << " = \" + " << S("m") << " + \" below "
      << b << " = \" +\n             " << S("b") << ";\n    }\n  }\n";
  } else if (l.contains("disjoint")) {
    const auto& a = l["disjoint"];
    const auto& b = l["from"];
    const bool unless_equal = l.value("unless_equal", false);
    o << "  {\n    const std::int64_t a = in." << a["base"].get<std::string>()
      << ", a_rows = " << CppQuantity(spec, op, a["rows"]) << ";\n"
      << "    const std::int64_t b = in." << b["base"].get<std::string>()
      << ", b_rows = " << CppQuantity(spec, op, b["rows"]) << ";\n"
      << "    if (" << (unless_equal ? "a != b && " : "") << "a < b + b_rows && b < a + a_rows) {\n"
      << "      return \"" << a["name"].get<std::string>() << " rows [\" + " << S("a")
      << " + \", \" + " << S("a + a_rows") << " + \") overlap " << b["name"].get<std::string>()
      << " rows [\" + " << S("b") << " + \", \" +\n             " << S("b + b_rows") << " + \")"
      << (unless_equal ? " without being equal to them" : "") << "\";\n    }\n  }\n";
  }
}

std::string MemoryEnum(const std::string& memory) { return "Memory::k" + CamelCase(memory); }

void CppAccess(const Spec& spec, const Op& op, const nlohmann::json& a, std::ostringstream& o) {
  const bool write = a.contains("write");
  const std::string memory = (write ? a["write"] : a["read"]).get<std::string>();
  const std::string indent = "    ";
  if (a.contains("when")) {
    o << "  if (in." << a["when"].get<std::string>() << ") {\n";
  } else if (a.contains("unless")) {
    o << "  if (!in." << a["unless"].get<std::string>() << ") {\n";
  } else {
    o << "  {\n";
  }
  o << indent << "const std::int64_t base = in." << a["base"].get<std::string>()
    << ", size = " << CppQuantity(spec, op, a["size"]) << ";\n";
  o << indent << "std::int64_t hi = base + size;\n" << indent << "bool some = size > 0;\n";
  int k = 0;
  for (const auto& loop : a.value("loops", nlohmann::json::array())) {
    const std::string c = "count" + std::to_string(k++);
    o << indent << "const std::int64_t " << c << " = " << CppQuantity(spec, op, loop[0]) << ";\n";
    o << indent << "some = some && " << c << " > 0;\n";
    o << indent << "hi += (" << c << " - 1) * std::int64_t{in." << loop[1].get<std::string>()
      << "};\n";
  }
  o << indent << "if (some) out.push_back({" << MemoryEnum(memory) << ", "
    << (write ? "true" : "false") << ", base, hi});\n";
  o << "  }\n";
}

bool TouchesDram(const Op& op) {
  for (const auto& a : op.footprint) {
    if ((a.contains("read") ? a["read"] : a["write"]) == "dram") return true;
  }
  return false;
}

std::string CppLimitsAndFootprints(const Spec& spec) {
  std::ostringstream o;
  o << "// ---- Field limits and memory footprints (the spec's \"limits\" and \"footprint\") "
       "----\n\n";
  o << "// The memories an instruction touches. DRAM addresses are bytes, the others rows.\n";
  o << "enum class Memory : std::uint8_t {";
  for (std::size_t i = 0; i < spec.memories.size(); ++i) {
    o << (i ? ", " : " ") << "k" << CamelCase(spec.memories[i]);
  }
  o << " };\n\n";
  o << "// The architecture parameters the limits and footprints depend on.\nstruct ArchParams {\n";
  for (const std::string& p : spec.parameters) o << "  std::int64_t " << Lower(p) << " = 0;\n";
  o << "};\n\n";
  o << "// One memory range an instruction reads or writes: [lo, hi), rows (bytes for DRAM).\n"
       "struct MemoryAccess {\n  Memory memory = Memory::kDram;\n  bool write = false;\n"
       "  std::int64_t lo = 0;\n  std::int64_t hi = 0;\n"
       "  bool operator==(const MemoryAccess& other) const = default;\n};\n\n";
  o << "constexpr std::int64_t SpecCeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / "
       "b; }\n\n";
  o << "// For std::visit: Overloaded{[](const Gemm&) {...}, ...} handles each instruction type; "
       "one\n"
       "// left out does not compile.\n"
       "template <typename... F>\nstruct Overloaded : F... {\n  using F::operator()...;\n};\n"
       "template <typename... F>\nOverloaded(F...) -> Overloaded<F...>;\n\n";
  o << "// The queue of an opcode; nullopt when the instruction names its own (sync's `queue`).\n"
       "constexpr std::optional<Queue> QueueOfOpcode(Opcode opcode) {\n  switch (opcode) {\n";
  for (const Op& op : spec.ops) {
    o << "    case Opcode::k" << CamelCase(op.mnemonic) << ":\n      return "
      << (op.queue == "any" ? "std::nullopt" : QueueEnum(op.queue)) << ";\n";
  }
  o << "  }\n  return std::nullopt;\n}\n\n";
  for (const Op& op : spec.ops) {
    const std::string type = CamelCase(op.mnemonic);
    o << "// " << op.mnemonic
      << ": the first field limit violated, as \"field n = 0 is outside "
         "[1, 255]\";\n// nullopt when there is none.\n";
    o << "inline std::optional<std::string> LimitViolation([[maybe_unused]] const " << type
      << "& in,\n                                               [[maybe_unused]] const ArchParams& "
         "p) {\n";
    for (const auto& l : op.limits) CppLimit(spec, op, l, o);
    o << "  return std::nullopt;\n}\n\n";
    o << "// " << op.mnemonic
      << ": the memory ranges it may read and write (bounding ranges, from the fields alone).\n";
    o << "inline std::vector<MemoryAccess> FootprintOf([[maybe_unused]] const " << type
      << "& in,\n                                             [[maybe_unused]] const ArchParams& "
         "p) {\n  std::vector<MemoryAccess> out;\n";
    for (const auto& a : op.footprint) CppAccess(spec, op, a, o);
    o << "  return out;\n}\n\n";
    o << "// " << op.mnemonic
      << (TouchesDram(op) ? ": moves data to or from DRAM.\n" : ": does not touch DRAM.\n");
    o << "inline constexpr bool TouchesDram(const " << type << "&) { return "
      << (TouchesDram(op) ? "true" : "false") << "; }\n\n";
  }
  o << "inline std::optional<std::string> LimitViolation(const Instruction& in, const ArchParams& "
       "p) {\n  return std::visit([&](const auto& x) { return LimitViolation(x, p); }, in);\n}\n"
       "inline std::vector<MemoryAccess> FootprintOf(const Instruction& in, const ArchParams& p) "
       "{\n  return std::visit([&](const auto& x) { return FootprintOf(x, p); }, in);\n}\n"
       "inline bool TouchesDram(const Instruction& in) {\n"
       "  return std::visit([](const auto& x) { return TouchesDram(x); }, in);\n}\n\n";
  return o.str();
}

std::string CppHeader(const Spec& spec) {
  std::ostringstream o;
  o << "// Generated by qsa_isagen from model/isa/isa.json. Do not edit; edit the spec.\n"
       "// Included by model/isa/isa.h, which defines Word, Deps, Queue, FieldSpec, OpSpec, "
       "GetBits\n"
       "// and SetField.\n"
       "#pragma once\n\n"
       "#include <array>\n#include <cstdint>\n#include <optional>\n#include <string>\n"
       "#include <string_view>\n#include <variant>\n#include <vector>\n\n"
       "namespace qsa::isa {\n\n";
  o << "inline constexpr int kIsaVersion = " << spec.version << ";\n";
  o << "inline constexpr int kInstructionBits = " << spec.instruction_bits << ";\n";
  o << "inline constexpr int kInstructionBytes = " << spec.instruction_bits / 8 << ";\n";
  for (const Field& f : spec.header) {
    o << "inline constexpr int k" << CamelCase(f.name) << "Lsb = " << f.lsb << ";  // " << f.doc
      << "\n";
  }
  o << "inline constexpr int kOpcodeBits = " << spec.header.front().bits << ";\n\n";
  o << "enum class Opcode : std::uint8_t {\n";
  for (const Op& op : spec.ops) {
    o << "  k" << CamelCase(op.mnemonic) << " = " << op.opcode << ",  // " << op.mnemonic << "\n";
  }
  o << "};\n\n";

  for (const Op& op : spec.ops) {
    const std::string type = CamelCase(op.mnemonic);
    o << "// " << op.mnemonic << ": " << op.doc << "\n";
    o << "struct " << type << " {\n";
    o << "  static constexpr Opcode kOpcode = Opcode::k" << type << ";\n";
    o << "  static constexpr std::string_view kMnemonic = " << Quote(op.mnemonic) << ";\n";
    o << "  Deps deps;\n";
    for (const Field& f : op.fields) {
      o << "  " << FieldType(f) << " " << f.name << (f.bits == 1 ? " = false" : " = 0") << ";  // ["
        << f.lsb + f.bits - 1 << ":" << f.lsb << "] " << f.doc << "\n";
    }
    o << "  bool operator==(const " << type << "& other) const = default;\n";
    o << "};\n\n";
  }
  o << "using Instruction = std::variant<";
  for (size_t i = 0; i < spec.ops.size(); ++i) {
    o << (i ? ", " : "") << CamelCase(spec.ops[i].mnemonic);
  }
  o << ">;\n\n";

  for (const Op& op : spec.ops) {
    const std::string type = CamelCase(op.mnemonic);
    o << "inline constexpr std::array<FieldSpec, " << op.fields.size() << "> k" << type
      << "Fields = {{\n";
    for (const Field& f : op.fields) {
      o << "    {" << Quote(f.name) << ", " << f.lsb << ", " << f.bits << ", " << Quote(f.doc)
        << "},\n";
    }
    o << "}};\n";
  }
  o << "\ninline constexpr std::array<OpSpec, " << spec.ops.size() << "> kOps = {{\n";
  for (const Op& op : spec.ops) {
    const std::string type = CamelCase(op.mnemonic);
    o << "    {" << op.opcode << ", " << Quote(op.mnemonic) << ", " << QueueEnum(op.queue) << ", "
      << (op.queue == "any" ? "true" : "false") << ", k" << type << "Fields, " << op.used_bits
      << ",\n     " << Quote(op.doc) << "},\n";
  }
  o << "}};\n\n";

  // Encoders: explicit shifts and masks through SetField (which checks that a value fits).
  for (const Op& op : spec.ops) {
    const std::string type = CamelCase(op.mnemonic);
    o << "inline Word Encode(const " << type << "& in) {\n";
    o << "  Word w;\n";
    o << "  SetBits(w, kOpcodeLsb, kOpcodeBits, " << op.opcode << ");\n";
    o << "  SetBits(w, kPopPrevLsb, 1, in.deps.pop_prev ? 1 : 0);\n";
    o << "  SetBits(w, kPopNextLsb, 1, in.deps.pop_next ? 1 : 0);\n";
    o << "  SetBits(w, kPushPrevLsb, 1, in.deps.push_prev ? 1 : 0);\n";
    o << "  SetBits(w, kPushNextLsb, 1, in.deps.push_next ? 1 : 0);\n";
    for (size_t i = 0; i < op.fields.size(); ++i) {
      const Field& f = op.fields[i];
      o << "  SetField(w, " << type << "::kMnemonic, k" << type << "Fields[" << i << "], "
        << (f.bits == 1 ? "in." + f.name + " ? 1u : 0u" : "in." + f.name) << ");\n";
    }
    o << "  return w;\n}\n\n";
  }
  // Decoders (no legality checks: model/isa/isa.cc does those before calling them).
  for (const Op& op : spec.ops) {
    const std::string type = CamelCase(op.mnemonic);
    o << "inline " << type << " Decode" << type << "(const Word& w) {\n";
    o << "  " << type << " out;\n";
    o << "  out.deps = Deps{GetBits(w, kPopPrevLsb, 1) != 0, GetBits(w, kPopNextLsb, 1) != 0,\n"
         "                  GetBits(w, kPushPrevLsb, 1) != 0, GetBits(w, kPushNextLsb, 1) != 0};\n";
    for (const Field& f : op.fields) {
      if (f.bits == 1) {
        o << "  out." << f.name << " = GetBits(w, " << f.lsb << ", 1) != 0;\n";
      } else {
        o << "  out." << f.name << " = static_cast<std::uint32_t>(GetBits(w, " << f.lsb << ", "
          << f.bits << "));\n";
      }
    }
    o << "  return out;\n}\n\n";
  }
  o << "// Decodes a word whose opcode is legal into its typed instruction.\n";
  o << "inline Instruction DecodeLegal(const Word& w, Opcode opcode) {\n  switch (opcode) {\n";
  for (const Op& op : spec.ops) {
    const std::string type = CamelCase(op.mnemonic);
    o << "    case Opcode::k" << type << ":\n      return Decode" << type << "(w);\n";
  }
  o << "  }\n  return Instruction{};\n}\n\n";
  o << CppLimitsAndFootprints(spec);
  o << "}  // namespace qsa::isa\n";
  return o.str();
}

// ---- SystemVerilog: decoded structs, the queue of a word, limit checks ------------------------

// A quantity as a 64-bit SystemVerilog expression over the function's locals f_<field> and the
// inputs rows, cols.
std::string SvQuantity(const Spec& spec, const Op& /*op*/, const nlohmann::json& q) {
  static constexpr QuantitySyntax kSv{[](std::int64_t v) { return "64'd" + std::to_string(v); },
                                      [](const std::string& name) { return Lower(name); },
                                      [](const std::string& name) { return "f_" + name; },
                                      [](const std::string& num, const std::string& den) {
                                        return "((" + num + " + " + den + " - 64'd1) / " + den +
                                               ")";
                                      }};
  return WriteQuantity(spec, kSv, q);
}

// The fields a quantity or limit names, collected into `names`.
void NamesIn(const Op& op, const nlohmann::json& j, std::set<std::string>& names) {
  if (j.is_string()) {
    if (FindField(op, j.get<std::string>()) != nullptr) names.insert(j.get<std::string>());
  } else if (j.is_structured()) {
    for (const auto& x : j) NamesIn(op, x, names);
  }
}

// One violated-limit condition of an instruction.
std::string SvLimit(const Spec& spec, const Op& op, const nlohmann::json& l) {
  auto q = [&](const nlohmann::json& x) { return SvQuantity(spec, op, x); };
  if (l.contains("range")) {
    const std::string v = q(l["range"]);
    std::string cond;
    if (l.value("min", 0) > 0) cond = v + " < 64'd" + std::to_string(l["min"].get<int>());
    if (l.contains("max")) cond += (cond.empty() ? "" : " || ") + v + " > " + q(l["max"]);
    return cond.empty() ? "1'b0" : cond;
  }
  if (l.contains("nonzero")) {
    std::string cond;
    for (const auto& f : l["nonzero"]) cond += (cond.empty() ? "" : " || ") + q(f) + " == 64'd0";
    return cond;
  }
  if (l.contains("sum_at_most")) {
    std::string sum;
    for (const auto& f : l["sum_at_most"]) sum += (sum.empty() ? "" : " + ") + q(f);
    return sum + " > " + q(l["bound"]);
  }
  if (l.contains("at_least")) {
    return q(l["when_above"][0]) + " > 64'd" +
           std::to_string(l["when_above"][1].get<std::int64_t>()) + " && " + q(l["at_least"]) +
           " < " + q(l["bound"]);
  }
  if (l.contains("aligned")) {  // a multiple of M below B (only 0 when M >= B)
    const std::string v = q(l["aligned"]);
    return v + " % " + q(l["multiple_of"]) + " != 64'd0 || " + v + " >= " + q(l["below"]);
  }
  const auto& a = l["disjoint"];
  const auto& b = l["from"];
  const std::string x = q(a["base"]), y = q(b["base"]);
  return std::string(l.value("unless_equal", false) ? x + " != " + y + " && " : "") + "(" + x +
         " < " + y + " + " + q(b["rows"]) + ") && (" + y + " < " + x + " + " + q(a["rows"]) + ")";
}

std::string SvStructsAndChecks(const Spec& spec) {
  std::ostringstream o;
  o << "\n  // Each instruction's word as a packed struct: `load_sp_t ld; assign ld = word;` "
       "gives\n"
       "  // ld.sram, ld.lanes, ... (header fields included; `reserved` must be zero).\n";
  for (const Op& op : spec.ops) {
    o << "  typedef struct packed {\n";
    if (op.used_bits < spec.instruction_bits) {
      o << "    logic [" << spec.instruction_bits - op.used_bits - 1 << ":0] reserved;\n";
    }
    for (auto f = op.fields.rbegin(); f != op.fields.rend(); ++f) {
      o << "    logic " << (f->bits > 1 ? "[" + std::to_string(f->bits - 1) + ":0] " : "")
        << f->name << ";\n";
    }
    for (auto f = spec.header.rbegin(); f != spec.header.rend(); ++f) {
      o << "    logic " << (f->bits > 1 ? "[" + std::to_string(f->bits - 1) + ":0] " : "")
        << f->name << ";\n";
    }
    o << "  } " << Lower(UpperSnake(op.mnemonic)) << "_t;\n";
  }
  o << "\n";
  for (std::size_t i = 0; i < spec.queues.size(); ++i) {
    o << "  localparam logic [1:0] QUEUE_" << UpperSnake(spec.queues[i]) << " = 2'd" << i << ";\n";
  }
  const Field& opcode = spec.header.front();
  const std::string opcode_slice =
      "w[" + std::to_string(opcode.lsb + opcode.bits - 1) + ":" + std::to_string(opcode.lsb) + "]";
  o << "\n  // 1 when the word's opcode is listed.\n"
       "  function automatic logic OpcodeOk(input logic [127:0] w);\n"
       "    unique case ("
    << opcode_slice << ")\n";
  for (const Op& op : spec.ops)
    o << "      OP_" << UpperSnake(op.mnemonic) << ": OpcodeOk = 1'b1;\n";
  o << "      default: OpcodeOk = 1'b0;\n    endcase\n  endfunction\n";
  o << "\n  // 1 when a bit above the last field of the word's instruction is set.\n"
       "  function automatic logic ReservedSet(input logic [127:0] w);\n"
       "    unique case ("
    << opcode_slice << ")\n";
  for (const Op& op : spec.ops) {
    o << "      OP_" << UpperSnake(op.mnemonic) << ": ReservedSet = (w >> "
      << UpperSnake(op.mnemonic) << "_USED_BITS) != '0;\n";
  }
  o << "      default: ReservedSet = 1'b0;\n    endcase\n  endfunction\n";
  o << "\n  // The queue a word executes in (the `queue` field of an instruction of any queue); 3 "
       "for\n"
       "  // an illegal opcode.\n"
       "  function automatic logic [1:0] QueueOf(input logic [127:0] w);\n"
       "    unique case ("
    << opcode_slice << ")\n";
  for (const Op& op : spec.ops) {
    o << "      OP_" << UpperSnake(op.mnemonic) << ": QueueOf = ";
    if (op.queue == "any") {
      const Field* f = FindField(op, "queue");
      o << "2'(w[" << f->lsb + f->bits - 1 << ":" << f->lsb << "]);\n";
    } else {
      o << "QUEUE_" << UpperSnake(op.queue) << ";\n";
    }
  }
  o << "      default: QueueOf = 2'd3;\n    endcase\n  endfunction\n";
  for (const Op& op : spec.ops) {
    const std::string name = CamelCase(op.mnemonic) + "LimitsOk";
    o << "\n  // " << op.mnemonic << ": 1 unless a field limit of the spec is violated.\n";
    o << "  function automatic logic " << name
      << "(input logic [127:0] w, input logic [63:0] rows,\n"
      << "                                    input logic [63:0] cols);\n";
    std::set<std::string> used;
    NamesIn(op, op.limits, used);
    for (const Field& f : op.fields) {
      if (used.contains(f.name)) o << "    logic [63:0] f_" << f.name << ";\n";
    }
    for (const Field& f : op.fields) {
      if (used.contains(f.name)) {
        o << "    f_" << f.name << " = 64'(w[" << f.lsb + f.bits - 1 << ":" << f.lsb << "]);\n";
      }
    }
    o << "    " << name << " = 1'b1;\n";
    for (const auto& l : op.limits) {
      o << "    if (" << SvLimit(spec, op, l) << ") " << name << " = 1'b0;\n";
    }
    o << "  endfunction\n";
  }
  o << "\n  // 1 unless a field limit of the word's instruction is violated (1 for an illegal "
       "opcode).\n"
       "  function automatic logic LimitsOk(input logic [127:0] w, input logic [63:0] rows,\n"
       "                                    input logic [63:0] cols);\n"
       "    unique case ("
    << opcode_slice << ")\n";
  for (const Op& op : spec.ops) {
    o << "      OP_" << UpperSnake(op.mnemonic) << ": LimitsOk = " << CamelCase(op.mnemonic)
      << "LimitsOk(w, rows, cols);\n";
  }
  o << "      default: LimitsOk = 1'b1;\n    endcase\n  endfunction\n";
  return o.str();
}

std::string SvPackage(const Spec& spec) {
  std::ostringstream o;
  o << "// Generated by qsa_isagen from model/isa/isa.json. Do not edit; edit the spec.\n"
       "// Opcodes and instruction field positions of the qsa ISA (docs/isa.md).\n"
       "// A design uses some of these constants, never all of them, and the limit functions read\n"
       "// only the fields they check; struct members carry the spec's field names (sync's "
       "`queue`\n"
       "// is a C++ word too): the waivers below cover this package only.\n"
       "/* verilator lint_off UNUSEDPARAM */\n"
       "/* verilator lint_off UNUSEDSIGNAL */\n"
       "/* verilator lint_off SYMRSVDWORD */\n"
       "package qsa_isa_pkg;\n\n";
  o << "  localparam int ISA_VERSION = " << spec.version << ";\n";
  o << "  localparam int INSN_BITS = " << spec.instruction_bits << ";\n\n";
  for (const Field& f : spec.header) {
    o << "  localparam int HDR_" << UpperSnake(f.name) << "_LSB = " << f.lsb << ";\n";
    o << "  localparam int HDR_" << UpperSnake(f.name) << "_BITS = " << f.bits << ";\n";
  }
  o << "\n";
  for (const Op& op : spec.ops) {
    o << "  localparam logic [3:0] OP_" << UpperSnake(op.mnemonic) << " = 4'd" << op.opcode
      << ";\n";
  }
  for (const Op& op : spec.ops) {
    o << "\n  // " << op.mnemonic << " (" << op.queue << " queue)\n";
    o << "  localparam int " << UpperSnake(op.mnemonic) << "_USED_BITS = " << op.used_bits << ";\n";
    for (const Field& f : op.fields) {
      const std::string base = UpperSnake(op.mnemonic) + "_" + UpperSnake(f.name);
      o << "  localparam int " << base << "_LSB = " << f.lsb << ";\n";
      o << "  localparam int " << base << "_BITS = " << f.bits << ";\n";
    }
  }
  o << SvStructsAndChecks(spec);
  o << "\nendpackage\n/* verilator lint_on SYMRSVDWORD */\n/* verilator lint_on UNUSEDSIGNAL "
       "*/\n/* verilator lint_on UNUSEDPARAM */\n";
  return o.str();
}

std::string MarkdownTables(const Spec& spec) {
  std::ostringstream o;
  o << "<!-- Generated by qsa_isagen from model/isa/isa.json. -->\n\n";
  o << "| bits | header field | meaning |\n|---|---|---|\n";
  for (const Field& f : spec.header) {
    o << "| " << f.lsb + f.bits - 1 << ":" << f.lsb << " | `" << f.name << "` | " << f.doc
      << " |\n";
  }
  o << "\n| opcode | mnemonic | queue | bits used |\n|---|---|---|---|\n";
  for (const Op& op : spec.ops) {
    o << "| " << op.opcode << " | `" << op.mnemonic << "` | " << op.queue << " | " << op.used_bits
      << " |\n";
  }
  for (const Op& op : spec.ops) {
    o << "\n#### `" << op.mnemonic << "`\n\n" << op.doc << "\n\n";
    if (op.fields.empty()) {
      o << "No fields.\n";
      continue;
    }
    o << "| bits | field | meaning |\n|---|---|---|\n";
    for (const Field& f : op.fields) {
      o << "| " << f.lsb + f.bits - 1 << ":" << f.lsb << " | `" << f.name << "` | " << f.doc
        << " |\n";
    }
    o << "\nLimits, in the order they are checked:\n\n";
    for (const auto& l : op.limits) o << "- `" << l.dump() << "`\n";
    o << "\nFootprint:\n\n";
    for (const auto& a : op.footprint) o << "- `" << a.dump() << "`\n";
  }
  return o.str();
}

void WriteIfChanged(const std::filesystem::path& path, const std::string& content) {
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream old;
      old << in.rdbuf();
      if (old.str() == content) return;
    }
  }
  std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << content;
    if (!out) Fail("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: qsa_isagen SPEC.json OUT_DIR\n";
    return 2;
  }
  try {
    const Spec spec = ReadSpec(argv[1]);
    const std::filesystem::path out = argv[2];
    WriteIfChanged(out / "model" / "isa" / "isa_generated.h", CppHeader(spec));
    WriteIfChanged(out / "rtl" / "qsa_isa_pkg.sv", SvPackage(spec));
    WriteIfChanged(out / "docs" / "isa_fields.md", MarkdownTables(spec));
  } catch (const std::exception& e) {
    std::cerr << "qsa_isagen: error: " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

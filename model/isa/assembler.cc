#include "model/isa/assembler.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "model/base/error.h"
#include "model/base/hex.h"
#include "model/base/read_file.h"
#include "model/golden/npy.h"

namespace qsa::isa {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 4> kFlagNames = {"pop_prev", "pop_next", "push_prev",
                                                        "push_next"};
constexpr std::size_t kHexBytesPerLine = 32;
// Zero runs shorter than this inside non-zero data stay in the .hex lines.
constexpr std::size_t kMinZeroGap = 32;

std::string WordHex(const isa::Word& w) {
  return "0x" + base::HexDigits(w.hi, 16) + base::HexDigits(w.lo, 16);
}

// ---- Lexical level -----------------------------------------------------------------------------

struct Token {
  std::string text;
  int column = 0;  // 1-based
  bool quoted = false;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool IsComment(char c) { return c == '#' || c == ';'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A name or path as the tokenizer reads it back: bare when it has no space, comment character,
// quote, backslash or control character, else in double quotes with \" \\ \n \t \r \xHH escapes.
std::string QuoteIfNeeded(const std::string& s) {
  const bool bare = !s.empty() && s[0] != '"' && std::none_of(s.begin(), s.end(), [](char c) {
    return IsSpace(c) || IsComment(c) || c == '\\' || c == '\n' ||
           static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (bare) return s;
  std::string q = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        q += "\\\"";
        break;
      case '\\':
        q += "\\\\";
        break;
      case '\n':
        q += "\\n";
        break;
      case '\t':
        q += "\\t";
        break;
      case '\r':
        q += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          q += "\\x" + base::HexDigits(static_cast<unsigned char>(c), 2);
        } else {
          q += c;
        }
    }
  }
  return q + "\"";
}

// ---- Numbers -----------------------------------------------------------------------------------

struct Number {
  bool negative = false;
  bool hex = false;
  std::uint64_t magnitude = 0;
};

// Decimal or 0x hexadecimal, optional leading '-' or '+'. Returns nullopt and sets `why`.
std::optional<Number> ParseNumber(std::string_view s, std::string& why) {
  Number n;
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    n.negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    n.hex = true;
    digits.remove_prefix(2);
  }
  const int base = n.hex ? 16 : 10;
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), n.magnitude, base);
  if (digits.empty() || end != digits.data() + digits.size()) {
    why = "'" + std::string(s) + "' is not a number (decimal, or hexadecimal with 0x)";
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range) {
    why = "number '" + std::string(s) + "' is too large";
    return std::nullopt;
  }
  if (n.magnitude == 0) n.negative = false;
  return n;
}

// The bits stored for `n` in an unsigned field of `bits` bits: 0 ≤ n < 2^bits, or for fields of
// 8 bits and more, −2^(bits−1) ≤ n < 0 as two's complement.
std::optional<std::uint64_t> FieldBits(const Number& n, int bits) {
  const std::uint64_t limit = std::uint64_t{1} << bits;  // bits <= 32 for every field
  if (!n.negative) return n.magnitude < limit ? std::optional(n.magnitude) : std::nullopt;
  if (bits < 8 || n.magnitude > limit / 2) return std::nullopt;
  return limit - n.magnitude;
}

std::string FieldRange(int bits) {
  const std::uint64_t limit = std::uint64_t{1} << bits;
  std::string range = "0.." + std::to_string(limit - 1);
  if (bits >= 8) range += ", or " + std::to_string(-static_cast<std::int64_t>(limit / 2)) + "..-1";
  return range;
}

// ---- Float and list formatting -----------------------------------------------------------------

std::string FloatText(float v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

// The elements of `values`, each through `format`, separated by `sep`.
template <typename Range, typename F>
std::string Join(const Range& values, F format, std::string_view sep = ",") {
  std::string s;
  for (const auto& v : values) s += (s.empty() ? "" : std::string(sep)) + std::string(format(v));
  return s;
}

std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> parts;
  for (;;) {
    const std::size_t comma = s.find(',');
    parts.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) return parts;
    s.remove_prefix(comma + 1);
  }
}

// ---- The assembler -----------------------------------------------------------------------------

class Assembler {
 public:
  Assembler(const std::string& source, const ArchConfig& arch) : source_(source), arch_(arch) {}

  Program Run(std::string_view text) {
    program_.arch_name = arch_.name;
    program_.arch_hash = arch_.Hash();
    // Lines end in LF, CRLF or a lone CR.
    for (std::size_t pos = 0; pos < text.size();) {
      const std::size_t newline = std::min(text.find_first_of("\r\n", pos), text.size());
      ++line_;
      const std::vector<Token> tokens = Tokenize(text.substr(pos, newline - pos));
      pos = newline + 1;
      if (newline < text.size() && text[newline] == '\r' && pos < text.size() &&
          text[pos] == '\n') {
        ++pos;
      }
      if (tokens.empty()) continue;
      if (!tokens[0].quoted && tokens[0].text[0] == '.') {
        Directive(tokens);
      } else {
        Instruction(tokens);
      }
    }
    if (program_.instructions.empty()) {
      throw Error(source_ + ": the program has no instructions (it must end with finish)");
    }
    CloseLayer();
    BuildImage();
    BuildManifest();
    return std::move(program_);
  }

 private:
  // Something placed in DRAM by a directive: bytes at an address.
  struct Chunk {
    std::uint64_t addr = 0;
    std::vector<std::uint8_t> bytes;
    int line = 0;
    int column = 0;
    std::string what;  // ".data", ".npy", ...
  };
  struct Declared {
    ManifestTensor tensor;
    bool output = false;
    int line = 0;
    int column = 0;
  };
  using Handler = void (Assembler::*)(const std::vector<Token>&);

  [[noreturn]] void FailAt(int line, int column, const std::string& message) const {
    throw Error(source_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                message);
  }
  [[noreturn]] void Fail(const Token& token, const std::string& message) const {
    FailAt(line_, token.column, message);
  }

  std::vector<Token> Tokenize(std::string_view line) const {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < line.size()) {
      if (IsSpace(line[i])) {
        ++i;
        continue;
      }
      if (IsComment(line[i])) break;
      Token token;
      token.column = static_cast<int>(i) + 1;
      if (line[i] == '"') {
        token.quoted = true;
        i = ReadQuoted(line, i, token);
      } else {
        while (i < line.size() && !IsSpace(line[i]) && !IsComment(line[i])) token.text += line[i++];
      }
      tokens.push_back(std::move(token));
    }
    return tokens;
  }

  // Reads the quoted string starting at line[start] into token.text; returns the index after it.
  std::size_t ReadQuoted(std::string_view line, std::size_t start, Token& token) const {
    std::size_t i = start + 1;
    for (;;) {
      if (i >= line.size()) FailAt(line_, token.column, "unterminated string (missing '\"')");
      const char c = line[i++];
      if (c == '"') break;
      if (c != '\\') {
        token.text += c;
        continue;
      }
      if (i >= line.size()) FailAt(line_, token.column, "unterminated string (missing '\"')");
      const char e = line[i++];
      const int col = static_cast<int>(i) - 1;
      if (e == 'n') {
        token.text += '\n';
      } else if (e == 't') {
        token.text += '\t';
      } else if (e == 'r') {
        token.text += '\r';
      } else if (e == '"' || e == '\\') {
        token.text += e;
      } else if (e == 'x' && i + 1 < line.size() && HexValue(line[i]) >= 0 &&
                 HexValue(line[i + 1]) >= 0) {
        token.text += static_cast<char>(HexValue(line[i]) * 16 + HexValue(line[i + 1]));
        i += 2;
      } else {
        FailAt(line_, col,
               "unknown escape '\\" + std::string(1, e) +
                   "' in a string (use \\\" \\\\ \\n \\t \\r or \\xHH)");
      }
    }
    if (i < line.size() && !IsSpace(line[i]) && !IsComment(line[i])) {
      FailAt(line_, static_cast<int>(i) + 1, "expected a space after the closing '\"'");
    }
    return i;
  }

  // ---- Instructions ----

  void Instruction(const std::vector<Token>& tokens) {
    const Token& head = tokens[0];
    const isa::OpSpec* op = head.quoted ? nullptr : isa::FindOp(head.text);
    if (op == nullptr) {
      const std::string known = Join(
          isa::kOps, [](const isa::OpSpec& o) { return o.mnemonic; }, ", ");
      Fail(head, "unknown instruction '" + head.text + "' (instructions: " + known + ")");
    }
    isa::Word word;
    isa::SetBits(word, isa::kOpcodeLsb, isa::kOpcodeBits, op->opcode);
    isa::Deps deps;
    std::map<std::string, int> seen;  // field or flag → column
    for (std::size_t i = 1; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      const std::size_t eq = t.text.find('=');
      const std::string name = t.quoted ? t.text : t.text.substr(0, eq);
      if (t.quoted || name.empty())
        Fail(t, "expected field=value or a token flag, got '" + t.text + "'");
      const auto [it, fresh] = seen.emplace(name, t.column);
      if (!fresh) {
        Fail(t, "field '" + name + "' is given twice (first at column " +
                    std::to_string(it->second) + ")");
      }
      const bool bare = eq == std::string::npos;
      const std::string_view value =
          bare ? std::string_view() : std::string_view(t.text).substr(eq + 1);
      const int value_column = t.column + static_cast<int>(name.size()) + 1;
      if (bool* flag = FlagOf(deps, name)) {
        *flag = bare || Bit(value, value_column, name);
        continue;
      }
      const isa::FieldSpec* field = FindField(*op, name);
      if (field == nullptr) Fail(t, UnknownFieldMessage(*op, name));
      if (bare && field->bits != 1) Fail(t, "field '" + name + "' needs a value (" + name + "=N)");
      const std::uint64_t bits = bare ? 1 : FieldValue(*op, *field, value, value_column);
      isa::SetBits(word, field->lsb, field->bits, bits);
    }
    isa::SetDeps(word, deps);
    const auto index = static_cast<std::int64_t>(program_.instructions.size());
    try {
      isa::CheckWord(word, index);
    } catch (const Error& e) {
      Fail(head, e.what());
    }
    program_.instructions.push_back(word);
  }

  static bool* FlagOf(isa::Deps& deps, std::string_view name) {
    if (name == kFlagNames[0]) return &deps.pop_prev;
    if (name == kFlagNames[1]) return &deps.pop_next;
    if (name == kFlagNames[2]) return &deps.push_prev;
    if (name == kFlagNames[3]) return &deps.push_next;
    return nullptr;
  }

  static const isa::FieldSpec* FindField(const isa::OpSpec& op, std::string_view name) {
    for (const isa::FieldSpec& f : op.fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }

  static std::string UnknownFieldMessage(const isa::OpSpec& op, const std::string& name) {
    const auto self = [](std::string_view v) { return v; };
    const std::string fields = Join(
        op.fields, [](const isa::FieldSpec& f) { return f.name; }, ", ");
    const std::string known = fields + (fields.empty() ? "" : ", ") + Join(kFlagNames, self, ", ");
    return std::string(op.mnemonic) + " has no field '" + name + "' (fields: " + known + ")";
  }

  bool Bit(std::string_view text, int column, const std::string& name) const {
    if (text == "0" || text == "1") return text == "1";
    FailAt(line_, column,
           name + " is a flag; its value must be 0 or 1, got '" + std::string(text) + "'");
  }

  std::uint64_t FieldValue(const isa::OpSpec& op, const isa::FieldSpec& field,
                           std::string_view text, int column) const {
    std::string why;
    const std::optional<Number> n = ParseNumber(text, why);
    if (!n) FailAt(line_, column, why);
    const std::optional<std::uint64_t> bits = FieldBits(*n, field.bits);
    if (!bits) {
      FailAt(line_, column,
             std::string(op.mnemonic) + ": field " + std::string(field.name) + " = " +
                 std::string(text) + " does not fit in " + std::to_string(field.bits) + " bit" +
                 (field.bits == 1 ? "" : "s") + " (" + FieldRange(field.bits) + ")");
    }
    return *bits;
  }

  // ---- Directives ----

  void Directive(const std::vector<Token>& tokens) {
    static const std::map<std::string_view, Handler> kHandlers = {
        {".arch", &Assembler::ArchDirective},     {".data", &Assembler::DataDirective},
        {".dram_size", &Assembler::DramSize},     {".endlayer", &Assembler::EndLayer},
        {".hex", &Assembler::HexDirective},       {".input", &Assembler::TensorDirective},
        {".layer", &Assembler::LayerDirective},   {".npy", &Assembler::NpyDirective},
        {".output", &Assembler::TensorDirective}, {".word", &Assembler::WordDirective},
        {".zero", &Assembler::ZeroDirective},
    };
    const auto it = kHandlers.find(tokens[0].text);
    if (it == kHandlers.end()) {
      const std::string known = Join(
          kHandlers, [](const auto& entry) { return entry.first; }, " ");
      Fail(tokens[0], "unknown directive '" + tokens[0].text + "' (directives: " + known + ")");
    }
    (this->*(it->second))(tokens);
  }

  // Refuses fewer than `min` or more than `max` arguments, showing the usage.
  void ExpectArgs(const std::vector<Token>& tokens, std::size_t min, std::size_t max,
                  const std::string& usage) const {
    const std::size_t args = tokens.size() - 1;
    if (args < min) Fail(tokens[0], "missing arguments; usage: " + usage);
    if (args > max)
      Fail(tokens[max + 1], "unexpected '" + tokens[max + 1].text + "'; usage: " + usage);
  }

  Number ParseOrFail(const Token& token) const {
    std::string why;
    const std::optional<Number> n = ParseNumber(token.text, why);
    if (!n) Fail(token, why);
    return *n;
  }

  std::uint64_t Unsigned(const Token& token, std::uint64_t max, const std::string& what) const {
    const Number n = ParseOrFail(token);
    if (n.negative || n.magnitude > max) {
      Fail(token, what + " " + token.text + " is out of range (0.." + std::to_string(max) + ")");
    }
    return n.magnitude;
  }

  std::uint64_t Address(const Token& token) const {
    return Unsigned(token, kMaxDramSize, "address");
  }

  void AddChunk(const Token& at, std::uint64_t addr, std::vector<std::uint8_t> bytes,
                const std::string& what) {
    chunks_.push_back(Chunk{addr, std::move(bytes), line_, at.column, what});
  }

  void ArchDirective(const std::vector<Token>& tokens) {
    ExpectArgs(tokens, 1, 2, ".arch NAME [HASH]");
    if (arch_line_ != 0) {
      Fail(tokens[0], ".arch is given twice (first on line " + std::to_string(arch_line_) + ")");
    }
    arch_line_ = line_;
    const std::string& name = tokens[1].text;
    if (tokens.size() == 2) {
      if (name != arch_.name) {
        Fail(tokens[1], "the program is written for architecture '" + name +
                            "' but is being assembled for '" + arch_.name +
                            "'; pass the matching --arch");
      }
      return;
    }
    std::string hex = tokens[2].text;
    if (hex.size() > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex = hex.substr(2);
    std::uint64_t hash = 0;
    const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), hash, 16);
    if (hex.empty() || hex.size() > 16 || ec != std::errc() || end != hex.data() + hex.size()) {
      Fail(tokens[2], "'" + tokens[2].text + "' is not an architecture hash (16 hex digits)");
    }
    if (hash != arch_.Hash()) {
      Fail(tokens[2], "the program is written for architecture '" + name + "' (hash " +
                          base::HexDigits(hash, 16) + ") but is being assembled for '" +
                          arch_.name + "' (hash " + arch_.HashHex() +
                          "); pass the matching --arch");
    }
  }

  void DramSize(const std::vector<Token>& tokens) {
    ExpectArgs(tokens, 1, 1, ".dram_size BYTES");
    if (dram_size_line_ != 0) {
      Fail(tokens[0],
           ".dram_size is given twice (first on line " + std::to_string(dram_size_line_) + ")");
    }
    dram_size_line_ = line_;
    program_.dram_size = Unsigned(tokens[1], kMaxDramSize, ".dram_size");
  }

  void DataDirective(const std::vector<Token>& tokens) {
    ExpectArgs(tokens, 3, SIZE_MAX, ".data ADDR u8|i8|i32 VALUE...");
    const std::uint64_t addr = Address(tokens[1]);
    const std::string& type = tokens[2].text;
    int width = 0;
    if (type == "u8" || type == "i8") width = 1;
    if (type == "i32") width = 4;
    if (width == 0 || tokens[2].quoted) {
      Fail(tokens[2], "unknown .data type '" + type + "' (u8, i8 or i32)");
    }
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 3; i < tokens.size(); ++i) {
      const std::uint64_t bits = DataValue(tokens[i], type);
      for (int b = 0; b < width; ++b) bytes.push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
    }
    AddChunk(tokens[0], addr, std::move(bytes), ".data");
  }

  // The bit pattern of one .data value: u8 0..255; i8 −128..127 and i32 −2^31..2^31−1, or as
  // hexadecimal their unsigned bit pattern (0xff, 0xffffffff).
  std::uint64_t DataValue(const Token& token, const std::string& type) const {
    const Number n = ParseOrFail(token);
    const int bits = type == "i32" ? 32 : 8;
    const std::uint64_t limit = std::uint64_t{1} << bits;
    const bool is_signed = type != "u8";
    std::optional<std::uint64_t> pattern;
    if (!n.negative && (n.hex || !is_signed)) {
      if (n.magnitude < limit) pattern = n.magnitude;
    } else if (is_signed) {
      if (n.negative && n.magnitude <= limit / 2) pattern = limit - n.magnitude;
      if (!n.negative && n.magnitude < limit / 2) pattern = n.magnitude;
    }
    if (!pattern) {
      const std::string range = is_signed ? std::to_string(-static_cast<std::int64_t>(limit / 2)) +
                                                ".." + std::to_string(limit / 2 - 1) +
                                                " or 0x0..0x" + base::HexDigits(limit - 1, bits / 4)
                                          : "0..255";
      Fail(token, "value " + token.text + " does not fit in " + type + " (" + range + ")");
    }
    return *pattern & (limit - 1);
  }

  void HexDirective(const std::vector<Token>& tokens) {
    ExpectArgs(tokens, 2, SIZE_MAX, ".hex ADDR HEXDIGITS...");
    const std::uint64_t addr = Address(tokens[1]);
    std::vector<std::uint8_t> bytes;
    int pending = -1;
    for (std::size_t i = 2; i < tokens.size(); ++i) {
      for (std::size_t k = 0; k < tokens[i].text.size(); ++k) {
        const int v = HexValue(tokens[i].text[k]);
        if (v < 0 || tokens[i].quoted) {
          FailAt(line_, tokens[i].column + static_cast<int>(k),
                 "'" + std::string(1, tokens[i].text[k]) + "' is not a hexadecimal digit");
        }
        if (pending < 0) {
          pending = v;
        } else {
          bytes.push_back(static_cast<std::uint8_t>(pending * 16 + v));
          pending = -1;
        }
      }
    }
    if (pending >= 0) Fail(tokens.back(), ".hex needs an even number of hexadecimal digits");
    AddChunk(tokens[0], addr, std::move(bytes), ".hex");
  }

  void ZeroDirective(const std::vector<Token>& tokens) {
    ExpectArgs(tokens, 2, 2, ".zero ADDR BYTES");
    const std::uint64_t addr = Address(tokens[1]);
    // Checked against the DRAM limit before the bytes are allocated.
    const std::uint64_t count = Unsigned(tokens[2], kMaxDramSize - addr, ".zero size");
    AddChunk(tokens[0], addr, std::vector<std::uint8_t>(count, 0), ".zero");
  }

  void NpyDirective(const std::vector<Token>& tokens) {
    ExpectArgs(tokens, 2, 2, ".npy ADDR FILE.npy");
    const std::uint64_t addr = Address(tokens[1]);
    fs::path path = tokens[2].text;
    if (path.is_relative()) path = fs::path(source_).parent_path() / path;
    golden::Tensor t;
    try {
      t = golden::ReadNpy(path.string());
    } catch (const Error& e) {
      Fail(tokens[2], e.what());
    }
    if (t.dtype() == golden::DType::kFloat32) {
      Fail(tokens[2],
           "'" + path.string() + "' holds float32; .npy data must be uint8, int8 or int32");
    }
    const std::span<const std::uint8_t> bytes = t.Bytes();
    AddChunk(tokens[0], addr, std::vector<std::uint8_t>(bytes.begin(), bytes.end()), ".npy");
  }

  void WordDirective(const std::vector<Token>& tokens) {
    ExpectArgs(tokens, 1, 1, ".word 0xHEX (up to 32 hexadecimal digits)");
    const std::string& text = tokens[1].text;
    const bool prefixed = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    const std::string digits = prefixed ? text.substr(2) : "";
    if (!prefixed || digits.size() > 32 || tokens[1].quoted ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return HexValue(c) >= 0; })) {
      Fail(tokens[1], "'" + text + "' is not a 128-bit word (0x and up to 32 hexadecimal digits)");
    }
    isa::Word w;
    for (char c : digits) {
      w.hi = (w.hi << 4) | (w.lo >> 60);
      w.lo = (w.lo << 4) | static_cast<std::uint64_t>(HexValue(c));
    }
    program_.instructions.push_back(w);
  }

  void LayerDirective(const std::vector<Token>& tokens) {
    ExpectArgs(tokens, 1, 1, ".layer NAME");
    CloseLayer();
    open_layer_ = LayerRange{tokens[1].text, Count(), 0};
    if (open_layer_->name.empty()) Fail(tokens[1], "a layer name must not be empty");
  }

  void EndLayer(const std::vector<Token>& tokens) {
    ExpectArgs(tokens, 0, 0, ".endlayer");
    if (!open_layer_) Fail(tokens[0], ".endlayer without an open .layer");
    CloseLayer();
  }

  std::int64_t Count() const { return static_cast<std::int64_t>(program_.instructions.size()); }

  void CloseLayer() {
    if (!open_layer_) return;
    open_layer_->count = Count() - open_layer_->first;
    program_.manifest.layers.push_back(*open_layer_);
    open_layer_.reset();
  }

  // .input / .output NAME ADDR DTYPE SHAPE [perm=..] [scale=..] [zero_point=..] [axis=..]
  void TensorDirective(const std::vector<Token>& tokens) {
    const std::string usage = tokens[0].text +
                              " NAME ADDR uint8|int8|int32 SHAPE [perm=P,...] [scale=S,...] "
                              "[zero_point=Z,...] [axis=A]";
    ExpectArgs(tokens, 4, 8, usage);
    Declared d;
    d.output = tokens[0].text == ".output";
    d.line = line_;
    d.column = tokens[0].column;
    ManifestTensor& t = d.tensor;
    t.name = tokens[1].text;
    t.dram_addr = Address(tokens[2]);
    const std::optional<golden::DType> dtype = golden::ParseDType(tokens[3].text);
    if (!dtype || *dtype == golden::DType::kFloat32) {
      Fail(tokens[3], "'" + tokens[3].text + "' is not a DRAM tensor type (uint8, int8, int32)");
    }
    t.dtype = *dtype;
    t.shape = ParseShape(tokens[4]);
    std::set<std::string> seen;
    for (std::size_t i = 5; i < tokens.size(); ++i) {
      const Token& opt = tokens[i];
      const std::size_t eq = opt.text.find('=');
      const std::string key = opt.text.substr(0, eq);
      if (eq == std::string::npos || opt.quoted) Fail(opt, "expected key=value; usage: " + usage);
      if (!seen.insert(key).second) Fail(opt, "'" + key + "' is given twice");
      const std::string_view value = std::string_view(opt.text).substr(eq + 1);
      const int column = opt.column + static_cast<int>(eq) + 1;
      if (key == "perm") {
        for (std::int64_t v : IntList(value, column, 0, 64))
          t.dram_perm.push_back(static_cast<int>(v));
      } else if (key == "scale") {
        t.quant.scales = FloatList(value, column);
      } else if (key == "zero_point") {
        for (std::int64_t v : IntList(value, column, INT32_MIN, INT32_MAX)) {
          t.quant.zero_points.push_back(static_cast<std::int32_t>(v));
        }
      } else if (key == "axis") {
        if (value.find(',') != std::string_view::npos)
          FailAt(line_, column, "axis takes one number");
        t.quant.axis = static_cast<int>(IntList(value, column, 0, 64).at(0));
      } else {
        Fail(opt, "unknown option '" + key + "' (perm, scale, zero_point, axis)");
      }
    }
    try {
      CheckManifestTensor(t, kMaxDramSize);  // against the real dram_size after the last line
    } catch (const Error& e) {
      Fail(tokens[0], e.what());
    }
    for (const Declared& other : tensors_) {
      if (other.tensor.name == t.name) {
        Fail(tokens[1], "tensor name '" + t.name + "' is already declared on line " +
                            std::to_string(other.line));
      }
    }
    tensors_.push_back(std::move(d));
  }

  golden::Shape ParseShape(const Token& token) const {
    std::string_view text = token.text;
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
      text = text.substr(1, text.size() - 2);
    }
    if (text.empty()) return {};
    golden::Shape shape;
    for (std::int64_t d : IntList(text, token.column, 1, std::int64_t{1} << 32)) shape.push_back(d);
    return shape;
  }

  std::vector<std::int64_t> IntList(std::string_view text, int column, std::int64_t lo,
                                    std::int64_t hi) const {
    std::vector<std::int64_t> values;
    for (std::string_view part : SplitCommas(text)) {
      std::string why;
      const std::optional<Number> n = ParseNumber(part, why);
      if (!n) FailAt(line_, column, why);
      // Magnitudes up to 2^62 keep the arithmetic exact; every list bound is far below.
      const bool small = n->magnitude <= (std::uint64_t{1} << 62);
      const std::int64_t v =
          small ? (n->negative ? -1 : 1) * static_cast<std::int64_t>(n->magnitude) : 0;
      if (!small || v < lo || v > hi) {
        FailAt(line_, column,
               "value " + std::string(part) + " is out of range (" + std::to_string(lo) + ".." +
                   std::to_string(hi) + ")");
      }
      values.push_back(v);
      column += static_cast<int>(part.size()) + 1;
    }
    return values;
  }

  std::vector<float> FloatList(std::string_view text, int column) const {
    std::vector<float> values;
    for (std::string_view part : SplitCommas(text)) {
      float v = 0;
      const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
      if (part.empty() || ec != std::errc() || end != part.data() + part.size()) {
        FailAt(line_, column, "'" + std::string(part) + "' is not a number");
      }
      values.push_back(v);
      column += static_cast<int>(part.size()) + 1;
    }
    return values;
  }

  // ---- After the last line ----

  void BuildImage() {
    std::uint64_t end = 0;
    for (const Chunk& c : chunks_) end = std::max<std::uint64_t>(end, c.addr + c.bytes.size());
    for (const Declared& d : tensors_) {
      end = std::max<std::uint64_t>(
          end, d.tensor.dram_addr + static_cast<std::uint64_t>(d.tensor.Bytes()));
    }
    if (dram_size_line_ == 0) program_.dram_size = std::min(end, kMaxDramSize);
    // Chunks in address order; an overlap is reported at the later line.
    std::vector<const Chunk*> sorted;
    for (const Chunk& c : chunks_) sorted.push_back(&c);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Chunk* a, const Chunk* b) { return a->addr < b->addr; });
    std::uint64_t image_end = 0;
    const Chunk* reach = nullptr;  // the chunk ending last among those before
    for (const Chunk* c : sorted) {
      const std::uint64_t c_end = c->addr + c->bytes.size();
      if (c_end > program_.dram_size) {
        const std::string bound = dram_size_line_ == 0
                                      ? DramLimitText()
                                      : ".dram_size " + std::to_string(program_.dram_size) +
                                            " (line " + std::to_string(dram_size_line_) + ")";
        FailAt(c->line, c->column,
               c->what + " bytes [" + base::HexPrefixed(c->addr) + ", " + base::HexPrefixed(c_end) +
                   ") lie outside " + bound);
      }
      if (c->bytes.empty()) continue;
      if (reach != nullptr && c->addr < image_end) {
        const Chunk* later = reach->line > c->line ? reach : c;
        const Chunk* earlier = later == c ? reach : c;
        FailAt(later->line, later->column,
               later->what + " bytes [" + base::HexPrefixed(later->addr) + ", " +
                   base::HexPrefixed(later->addr + later->bytes.size()) + ") overlap the " +
                   earlier->what + " bytes on line " + std::to_string(earlier->line));
      }
      if (c_end > image_end) {
        reach = c;
        image_end = c_end;
      }
    }
    program_.dram_image.assign(image_end, 0);
    for (const Chunk& c : chunks_) {
      std::copy(c.bytes.begin(), c.bytes.end(),
                program_.dram_image.begin() + static_cast<std::ptrdiff_t>(c.addr));
    }
  }

  void BuildManifest() {
    for (const Declared& d : tensors_) {
      try {
        CheckManifestTensor(d.tensor, program_.dram_size);
      } catch (const Error& e) {
        FailAt(d.line, d.column, e.what());
      }
      (d.output ? program_.manifest.outputs : program_.manifest.inputs).push_back(d.tensor);
    }
  }

  std::string source_;
  const ArchConfig& arch_;
  int line_ = 0;
  Program program_;
  std::vector<Chunk> chunks_;
  std::vector<Declared> tensors_;
  std::optional<LayerRange> open_layer_;
  int arch_line_ = 0;
  int dram_size_line_ = 0;
};

// ---- The disassembler --------------------------------------------------------------------------

std::string TensorLine(const ManifestTensor& t, bool output) {
  std::string s =
      std::string(output ? ".output " : ".input ") + QuoteIfNeeded(t.name) + " " +
      base::HexPrefixed(t.dram_addr) + " " + std::string(golden::DTypeName(t.dtype)) + " " +
      (t.shape.empty() ? "[]" : Join(t.shape, [](std::int64_t d) { return std::to_string(d); }));
  if (!t.dram_perm.empty())
    s += " perm=" + Join(t.dram_perm, [](int a) { return std::to_string(a); });
  if (!t.quant.scales.empty()) s += " scale=" + Join(t.quant.scales, FloatText);
  if (!t.quant.zero_points.empty()) {
    s += " zero_point=" +
         Join(t.quant.zero_points, [](std::int32_t z) { return std::to_string(z); });
  }
  if (t.quant.axis >= 0) s += " axis=" + std::to_string(t.quant.axis);
  return s + "\n";
}

// The DRAM image as .hex lines over its non-zero runs (zero gaps and a zero tail shorter than
// kMinZeroGap kept inside a run), and a longer trailing zero run as .zero so that the image keeps
// its size.
std::string ImageText(const std::vector<std::uint8_t>& image) {
  std::string s;
  std::size_t covered = 0;
  std::size_t i = 0;
  while (i < image.size()) {
    if (image[i] == 0) {
      ++i;
      continue;
    }
    std::size_t end = i;  // one past the run's last non-zero byte
    for (std::size_t k = i; k < image.size() && k < end + kMinZeroGap; ++k) {
      if (image[k] != 0) end = k + 1;
    }
    if (image.size() - end < kMinZeroGap) end = image.size();  // a short zero tail stays in
    for (std::size_t line = i; line < end; line += kHexBytesPerLine) {
      s += ".hex " + base::HexPrefixed(line);
      for (std::size_t k = line; k < std::min(end, line + kHexBytesPerLine); ++k) {
        s += ((k - line) % 4 == 0 ? " " : "") + base::HexDigits(image[k], 2);
      }
      s += "\n";
    }
    covered = end;
    i = end;
  }
  if (covered < image.size()) {
    s +=
        ".zero " + base::HexPrefixed(covered) + " " + std::to_string(image.size() - covered) + "\n";
  }
  return s;
}

}  // namespace

Program Assemble(std::string_view text, const std::string& source_path, const ArchConfig& arch) {
  return Assembler(source_path, arch).Run(text);
}

Program AssembleFile(const std::string& path, const ArchConfig& arch) {
  return Assemble(base::ReadRegularFile(path, base::kMaxTextFileBytes), path, arch);
}

std::string DisassembleWord(const isa::Word& word) {
  isa::Instruction decoded;
  try {
    decoded = isa::Decode(word);
  } catch (const Error&) {
    return ".word " + WordHex(word);
  }
  const isa::OpSpec& op = *isa::FindOp(isa::OpcodeOf(word));
  std::string s(op.mnemonic);
  for (const isa::FieldSpec& f : op.fields) {
    const std::uint64_t v = isa::GetBits(word, f.lsb, f.bits);
    s += " " + std::string(f.name) + "=" +
         (f.name == "dram" ? base::HexPrefixed(v) : std::to_string(v));
  }
  const isa::Deps deps = isa::DepsOf(word);
  const std::array<bool, 4> flags = {deps.pop_prev, deps.pop_next, deps.push_prev, deps.push_next};
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (flags[i]) s += " " + std::string(kFlagNames[i]);
  }
  return s;
}

std::string Disassemble(const Program& program) {
  const Manifest& m = program.manifest;
  std::string s = "# qsa program: " + std::to_string(program.instructions.size()) +
                  " instructions, DRAM image " + std::to_string(program.dram_image.size()) +
                  " bytes\n";
  s += ".arch " + QuoteIfNeeded(program.arch_name) + " " + base::HexDigits(program.arch_hash, 16) +
       "\n";
  s += ".dram_size " + std::to_string(program.dram_size) + "\n";
  for (const ManifestTensor& t : m.inputs) s += TensorLine(t, false);
  for (const ManifestTensor& t : m.outputs) s += TensorLine(t, true);
  s += "\n";
  // A .layer closes the open layer, and so does the end of the program; .endlayer is written
  // only where neither follows the layer's last instruction.
  const auto count = static_cast<std::int64_t>(program.instructions.size());
  std::size_t next = 0;        // the next layer to open
  std::int64_t open_end = -1;  // end of the open layer, -1 when none is open
  for (std::int64_t i = 0; i <= count; ++i) {
    std::size_t starting = next;  // layers [next, starting) begin at i
    while (starting < m.layers.size() && m.layers[starting].first == i) ++starting;
    if (open_end == i) {
      if (starting == next && i != count) s += ".endlayer\n";
      open_end = -1;
    }
    for (; next < starting; ++next) {
      s += ".layer " + QuoteIfNeeded(m.layers[next].name) + "\n";
      open_end = i + m.layers[next].count;
      if (open_end == i) {  // empty
        if (next + 1 == starting && i != count) s += ".endlayer\n";
        open_end = -1;
      }
    }
    if (i == count) break;
    const isa::Word& w = program.instructions[static_cast<std::size_t>(i)];
    std::string reason;
    try {
      isa::CheckWord(w, i);
    } catch (const Error& e) {
      reason = e.what();
    }
    s += (reason.empty() ? DisassembleWord(w) : ".word " + WordHex(w)) + "  # " +
         std::to_string(i) + (reason.empty() ? "" : ": " + reason) + "\n";
  }
  if (!program.dram_image.empty()) s += "\n# DRAM image\n" + ImageText(program.dram_image);
  return s;
}

}  // namespace qsa::isa

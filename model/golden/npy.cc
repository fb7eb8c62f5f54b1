// NumPy .npy reader and writer. Format: the 6-byte magic "\x93NUMPY", a major and a minor version
// byte, the header length (uint16 little-endian in version 1.0, uint32 in 2.0 and 3.0), then the
// header: a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with
// spaces and ended by '\n', then the raw data in C order.
#include "model/golden/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string_view>

#include "model/base/enum_names.h"
#include "model/base/error.h"
#include "model/base/read_file.h"
#include "model/base/temp_files.h"
#include "model/base/text.h"

namespace qsa::golden {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::size_t kPreludeV1 = 10;  // magic, 2 version bytes, uint16 header length
constexpr std::size_t kPreludeV2 = 12;  // magic, 2 version bytes, uint32 header length
constexpr std::size_t kAlignment = 64;

std::string Quoted(const std::string& path) { return base::QuotePath(path); }

[[noreturn]] void Fail(const std::string& path, const std::string& problem) {
  throw Error(Quoted(path) + ": " + problem);
}

// ---- The header dict ----------------------------------------------------------------------------

// A tiny parser for the Python literal NumPy writes: a dict of string keys whose values are
// strings, True/False, or tuples of non-negative integers.
struct HeaderValue {
  enum class Kind { kString, kBool, kTuple } kind = Kind::kString;
  std::string text;
  bool flag = false;
  std::vector<std::int64_t> ints;
};

class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  // Returns the dict, or nullopt with `error` set.
  std::optional<std::map<std::string, HeaderValue>> ParseDict(std::string& error) {
    std::map<std::string, HeaderValue> dict;
    SkipSpace();
    if (!Eat('{')) return Err(error, "expected '{'");
    for (;;) {
      SkipSpace();
      if (Eat('}')) break;
      std::string key;
      if (!ParseString(key)) return Err(error, "expected a quoted key");
      SkipSpace();
      if (!Eat(':')) return Err(error, "expected ':' after '" + key + "'");
      SkipSpace();
      HeaderValue value;
      if (!ParseValue(value)) return Err(error, "cannot read the value of '" + key + "'");
      if (!dict.emplace(key, std::move(value)).second) {
        return Err(error, "key '" + key + "' appears twice");
      }
      SkipSpace();
      if (Eat(',')) continue;
      SkipSpace();
      if (Eat('}')) break;
      return Err(error, "expected ',' or '}' after the value of '" + key + "'");
    }
    SkipSpace();
    if (pos_ != text_.size()) return Err(error, "unexpected text after the dict");
    return dict;
  }

 private:
  static std::nullopt_t Err(std::string& error, const std::string& message) {
    error = message;
    return std::nullopt;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool EatWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  bool ParseString(std::string& out) {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return false;
    const char quote = text_[pos_++];
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') return false;  // NumPy never escapes in a dtype descr
      out += text_[pos_++];
    }
    return Eat(quote);
  }

  bool ParseInt(std::int64_t& out) {
    const std::size_t start = pos_;
    std::int64_t v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      const int digit = text_[pos_] - '0';
      if (v > (std::numeric_limits<std::int64_t>::max() - digit) / 10) return false;
      v = v * 10 + digit;
      ++pos_;
    }
    if (pos_ == start) return false;
    Eat('L');  // Python 2 longs
    out = v;
    return true;
  }

  bool ParseValue(HeaderValue& value) {
    if (pos_ < text_.size() && (text_[pos_] == '\'' || text_[pos_] == '"')) {
      value.kind = HeaderValue::Kind::kString;
      return ParseString(value.text);
    }
    if (EatWord("True")) {
      value.kind = HeaderValue::Kind::kBool;
      value.flag = true;
      return true;
    }
    if (EatWord("False")) {
      value.kind = HeaderValue::Kind::kBool;
      value.flag = false;
      return true;
    }
    if (Eat('(')) {
      value.kind = HeaderValue::Kind::kTuple;
      for (;;) {
        SkipSpace();
        if (Eat(')')) return true;
        std::int64_t dim = 0;
        if (!ParseInt(dim)) return false;
        value.ints.push_back(dim);
        SkipSpace();
        if (Eat(',')) continue;
        SkipSpace();
        return Eat(')');
      }
    }
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// The dtype a descr names, or an error message naming what it is.
std::optional<DType> ParseDescr(const std::string& descr, std::string& why) {
  static const std::map<std::string, DType> kAccepted = {
      {"|u1", DType::kUInt8},   {"u1", DType::kUInt8}, {"<u1", DType::kUInt8},
      {"=u1", DType::kUInt8},   {"|i1", DType::kInt8}, {"i1", DType::kInt8},
      {"<i1", DType::kInt8},    {"=i1", DType::kInt8}, {"<i4", DType::kInt32},
      {"<f4", DType::kFloat32},
  };
  if (auto it = kAccepted.find(descr); it != kAccepted.end()) return it->second;
  static const std::map<std::string, std::string> kKinds = {
      {"b1", "bool"},        {"i2", "int16"},         {"u2", "uint16"},    {"i4", "int32"},
      {"u4", "uint32"},      {"i8", "int64"},         {"u8", "uint64"},    {"f2", "float16"},
      {"f4", "float32"},     {"f8", "float64"},       {"f16", "float128"}, {"c8", "complex64"},
      {"c16", "complex128"}, {"O", "Python objects"},
  };
  std::string body = descr;
  std::string order;
  if (!body.empty() && (body[0] == '<' || body[0] == '>' || body[0] == '|' || body[0] == '=')) {
    order = body.substr(0, 1);
    body = body.substr(1);
  }
  std::string kind;
  if (auto it = kKinds.find(body); it != kKinds.end()) {
    kind = it->second;
  } else if (!body.empty() && (body[0] == 'U' || body[0] == 'S' || body[0] == 'a')) {
    kind = "strings";
  } else if (!body.empty() && body[0] == 'V') {
    kind = "raw or structured records";
  } else if (!body.empty() && (body[0] == 'M' || body[0] == 'm')) {
    kind = "dates or time deltas";
  }
  if (order == ">" && !kind.empty() && kind != "bool") kind = "big-endian " + kind;
  why = "unsupported dtype '" + descr + "'" + (kind.empty() ? "" : " (" + kind + ")") +
        "; .npy files must hold uint8 '|u1', int8 '|i1', int32 '<i4' or float32 '<f4'";
  return std::nullopt;
}

// The descr a file is written with.
constexpr auto kDescrs = base::MakeEnumNames<DType>({
    {DType::kUInt8, "|u1"},
    {DType::kInt8, "|i1"},
    {DType::kInt32, "<i4"},
    {DType::kFloat32, "<f4"},
});

std::uint32_t ReadLittleEndian(std::string_view bytes, std::size_t offset, std::size_t width) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return v;
}

// ---- Writing ------------------------------------------------------------------------------------

std::string ShapeTuple(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// Magic, version, length and the padded header, so that the data starts 64-byte aligned.
std::string MakeHeader(const Tensor& tensor) {
  const std::string dict = "{'descr': '" + std::string(kDescrs.Name(tensor.dtype())) +
                           "', 'fortran_order': False, 'shape': " + ShapeTuple(tensor.shape()) +
                           ", }";
  bool v2 = false;
  std::size_t total = kPreludeV1 + dict.size() + 1;
  total = (total + kAlignment - 1) / kAlignment * kAlignment;
  if (total - kPreludeV1 > std::numeric_limits<std::uint16_t>::max()) {
    v2 = true;
    total = (kPreludeV2 + dict.size() + 1 + kAlignment - 1) / kAlignment * kAlignment;
  }
  const std::size_t prelude = v2 ? kPreludeV2 : kPreludeV1;
  const std::size_t header_len = total - prelude;
  std::string out(kMagic);
  out += static_cast<char>(v2 ? 2 : 1);
  out += static_cast<char>(0);
  for (std::size_t i = 0; i < prelude - 8; ++i) {
    out += static_cast<char>((header_len >> (8 * i)) & 0xff);
  }
  out += dict;
  out.append(header_len - dict.size() - 1, ' ');
  out += '\n';
  return out;
}

bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Tensor ReadNpy(const std::string& path) { return ParseNpy(base::ReadRegularFile(path), path); }

Tensor ParseNpy(std::string_view view, const std::string& path) {
  if (view.size() < kPreludeV1 || view.substr(0, kMagic.size()) != kMagic) {
    Fail(path, "not a .npy file (bad magic; expected \\x93NUMPY)");
  }
  const int major = static_cast<unsigned char>(view[6]);
  const int minor = static_cast<unsigned char>(view[7]);
  if (major < 1 || major > 3 || minor != 0) {
    Fail(path, "unsupported .npy format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (qsa reads 1.0, 2.0 and 3.0)");
  }
  const std::size_t prelude = major == 1 ? kPreludeV1 : kPreludeV2;
  if (view.size() < prelude) Fail(path, "truncated header");
  const std::size_t header_len = ReadLittleEndian(view, 8, prelude - 8);
  if (view.size() - prelude < header_len) {
    Fail(path, "truncated header (it announces " + std::to_string(header_len) +
                   " bytes, the file has " + std::to_string(view.size() - prelude) + ")");
  }
  const std::string_view header = view.substr(prelude, header_len);
  std::string error;
  HeaderParser parser(header);
  const auto dict = parser.ParseDict(error);
  if (!dict) Fail(path, "bad header dict: " + error);
  for (const auto& [key, value] : *dict) {
    if (key != "descr" && key != "fortran_order" && key != "shape") {
      Fail(path, "bad header dict: unexpected key '" + key + "'");
    }
  }
  const auto descr = dict->find("descr");
  const auto fortran = dict->find("fortran_order");
  const auto shape_entry = dict->find("shape");
  if (descr == dict->end() || descr->second.kind != HeaderValue::Kind::kString) {
    Fail(path, "bad header dict: 'descr' must be a dtype string");
  }
  if (fortran == dict->end() || fortran->second.kind != HeaderValue::Kind::kBool) {
    Fail(path, "bad header dict: 'fortran_order' must be True or False");
  }
  if (shape_entry == dict->end() || shape_entry->second.kind != HeaderValue::Kind::kTuple) {
    Fail(path, "bad header dict: 'shape' must be a tuple of integers");
  }
  std::string why;
  const std::optional<DType> dtype = ParseDescr(descr->second.text, why);
  if (!dtype) Fail(path, why);
  if (fortran->second.flag) {
    Fail(path, "Fortran-ordered arrays are not supported (save with np.ascontiguousarray)");
  }
  const Shape shape = shape_entry->second.ints;
  for (std::int64_t d : shape) {
    if (d > std::numeric_limits<std::int32_t>::max()) {
      Fail(path, "bad header dict: dimension " + std::to_string(d) + " is too large");
    }
  }

  const std::size_t available = view.size() - prelude - header_len;
  // Bytes the shape needs; past 2^62 (more than any file holds) only "too big" is kept.
  const std::size_t width = DTypeSize(*dtype);
  constexpr std::size_t kCap = std::size_t{1} << 62;
  std::size_t needed = width;
  bool too_big = false;
  for (std::int64_t d : shape) {
    const auto dim = static_cast<std::size_t>(d);
    if (dim == 0) {
      needed = 0;
      too_big = false;
      break;
    }
    if (!too_big && needed > kCap / dim) too_big = true;
    if (!too_big) needed *= dim;
  }
  const std::string what = std::string(DTypeName(*dtype)) + ShapeToString(shape);
  if (too_big || needed > available) {
    Fail(path, "data is shorter than " + what + " needs (" +
                   (too_big ? std::string("more than 2^62") : std::to_string(needed)) +
                   " bytes needed, " + std::to_string(available) + " present)");
  }
  if (needed < available) {
    Fail(path, "data is longer than " + what + " needs (" + std::to_string(needed) +
                   " bytes needed, " + std::to_string(available) + " present)");
  }
  Tensor tensor(*dtype, shape);
  std::span<std::uint8_t> out = tensor.MutableBytes();
  if (!out.empty()) std::memcpy(out.data(), view.data() + prelude + header_len, out.size());
  return tensor;
}

std::string EncodeNpy(const Tensor& tensor) {
  const std::span<const std::uint8_t> data = tensor.Bytes();
  std::string bytes = MakeHeader(tensor);
  bytes.append(reinterpret_cast<const char*>(data.data()), data.size());
  return bytes;
}

void WriteNpy(const std::string& path, const Tensor& tensor) {
  const std::string header = MakeHeader(tensor);
  const std::span<const std::uint8_t> data = tensor.Bytes();
  WriteFileAtomically(
      path, {header, std::string_view(reinterpret_cast<const char*>(data.data()), data.size())});
}

void WriteFileAtomically(const std::string& path, std::initializer_list<std::string_view> parts) {
  std::string content;
  for (std::string_view part : parts) content += part;
  WriteFilesAtomically({{path, std::move(content)}});
}

namespace {

// A written temporary file beside its target, registered for removal on a fatal signal.
struct StagedFile {
  std::string target;
  std::string temp;
  base::TempPath guard;
};

// Writes `content` to a fresh temporary file beside `path`; throws naming `path`.
StagedFile WriteTemp(const std::string& path, std::string_view content) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") {
    throw Error("cannot write " + base::QuotePath(path) + ": it names a folder");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw Error("cannot write " + base::QuotePath(path) + ": a folder of that name exists");
  }
  StagedFile staged;
  staged.target = path;
  staged.temp = dir + "." + base + ".tmp-XXXXXX";
  const int fd = ::mkstemp(staged.temp.data());
  if (fd < 0) throw Error("cannot write " + base::QuotePath(path) + ": " + std::strerror(errno));
  staged.guard.Register(staged.temp, false);

  // mkstemp creates the file 0600; give it the permissions a plain create would.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  bool ok = ::fchmod(fd, static_cast<mode_t>(0666 & ~mask)) == 0;
  ok = ok && WriteAll(fd, content.data(), content.size());
  int err = ok ? 0 : errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(staged.temp.c_str());
    throw Error("cannot write " + base::QuotePath(path) + ": " + std::strerror(err));
  }
  return staged;
}

}  // namespace

void WriteFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<StagedFile> staged;
  const auto remove_temps = [&staged](std::size_t from) {
    for (std::size_t i = from; i < staged.size(); ++i) ::unlink(staged[i].temp.c_str());
  };
  try {
    for (const auto& [path, content] : files) staged.push_back(WriteTemp(path, content));
  } catch (...) {
    remove_temps(0);
    throw;
  }
  for (std::size_t i = 0; i < staged.size(); ++i) {
    if (::rename(staged[i].temp.c_str(), staged[i].target.c_str()) != 0) {
      const int err = errno;
      remove_temps(i);
      throw Error("cannot write " + base::QuotePath(staged[i].target) + ": " + std::strerror(err));
    }
    staged[i].guard.Release();
  }
}

}  // namespace qsa::golden

#include "model/isa/program.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string_view>

#include "model/base/error.h"
#include "model/base/hex.h"
#include "model/base/json_text.h"
#include "model/base/read_file.h"
#include "model/golden/npy.h"

namespace qsa::isa {
namespace {

namespace fs = std::filesystem;

// ---- program.bin layout (docs/file-formats.md) -------------------------------------------------

constexpr std::array<char, 8> kMagic = {'Q', 'S', 'A', 'P', 'R', 'O', 'G', '\0'};
constexpr std::size_t kHeaderSize = 128;
constexpr std::size_t kArchNameBytes = 32;
// Byte offsets of the header fields.
constexpr std::size_t kOffVersion = 8;      // u32 format version
constexpr std::size_t kOffHeaderSize = 12;  // u32 header size
constexpr std::size_t kOffIsaVersion = 16;  // u32 ISA version
constexpr std::size_t kOffWordBits = 20;    // u32 instruction width in bits
constexpr std::size_t kOffArchHash = 24;    // u64 architecture hash
constexpr std::size_t kOffCount = 32;       // u64 instruction count
constexpr std::size_t kOffImageSize = 40;   // u64 DRAM image bytes
constexpr std::size_t kOffDramSize = 48;    // u64 dram_size
constexpr std::size_t kOffChecksum = 56;    // u32 CRC-32 of the file with this field zero
constexpr std::size_t kOffReserved0 = 60;   // u32 reserved, zero
constexpr std::size_t kOffArchName = 64;    // 32 bytes, NUL-padded
constexpr std::size_t kOffReserved1 = 96;   // 32 bytes reserved, zero
constexpr std::size_t kWordBytes = isa::kInstructionBytes;

constexpr const char* kManifestFormat = "qsa-program-manifest";
constexpr int kManifestVersion = 1;

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

[[noreturn]] void FailFile(const std::string& path, const std::string& problem) {
  throw Error(Quoted(path) + ": " + problem);
}

void Put32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) out[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void Put64(std::vector<std::uint8_t>& out, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) out[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t Get32(std::span<const std::uint8_t> in, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(in[at + i]) << (8 * i);
  return v;
}
std::uint64_t Get64(std::span<const std::uint8_t> in, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(in[at + i]) << (8 * i);
  return v;
}

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF) of
// `bytes`, the four bytes at kOffChecksum taken as zero.
std::uint32_t FileCrc32(std::span<const std::uint8_t> bytes) {
  static const std::array<std::uint32_t, 256> kTable = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
    return table;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const bool in_field = i >= kOffChecksum && i < kOffChecksum + 4;
    const std::uint8_t b = in_field ? 0 : bytes[i];
    crc = kTable[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

bool AllZero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

std::vector<std::uint8_t> ReadBinaryFile(const std::string& path) {
  const std::string text = base::ReadRegularFile(path);
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

std::string_view AsText(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// ---- Checks shared by the manifest reader, the writer and the assembler ------------------------

[[noreturn]] void FailTensor(const ManifestTensor& t, const std::string& problem) {
  throw Error("tensor '" + t.name + "': " + problem);
}

void CheckPerm(const ManifestTensor& t) {
  if (t.dram_perm.empty()) return;
  const std::size_t rank = t.shape.size();
  std::vector<bool> seen(rank, false);
  bool ok = t.dram_perm.size() == rank;
  for (int axis : t.dram_perm) {
    if (!ok) break;
    ok =
        axis >= 0 && static_cast<std::size_t>(axis) < rank && !seen[static_cast<std::size_t>(axis)];
    if (ok) seen[static_cast<std::size_t>(axis)] = true;
  }
  if (!ok) {
    std::string perm;
    for (int axis : t.dram_perm) perm += (perm.empty() ? "" : ",") + std::to_string(axis);
    FailTensor(t, "dram_perm [" + perm + "] is not a permutation of the " + std::to_string(rank) +
                      " axes of shape " + golden::ShapeToString(t.shape));
  }
}

void CheckQuant(const ManifestTensor& t) {
  const golden::QuantParams& q = t.quant;
  const std::int64_t rank = static_cast<std::int64_t>(t.shape.size());
  if (q.axis < -1 || q.axis >= rank) {
    FailTensor(t, "quantization axis " + std::to_string(q.axis) + " is out of range for rank " +
                      std::to_string(rank));
  }
  const std::size_t count =
      q.per_axis() ? static_cast<std::size_t>(t.shape[static_cast<std::size_t>(q.axis)]) : 1;
  if (!q.scales.empty() && q.scales.size() != count) {
    FailTensor(
        t, std::to_string(q.scales.size()) + " scales given, expected " + std::to_string(count));
  }
  if (!q.zero_points.empty() && q.zero_points.size() != count) {
    FailTensor(t, std::to_string(q.zero_points.size()) + " zero points given, expected " +
                      std::to_string(count));
  }
  for (float s : q.scales) {
    if (!(s > 0.0f) || !std::isfinite(s)) {
      FailTensor(t, "scale " + std::to_string(s) + " is not positive and finite");
    }
  }
  for (std::int32_t zp : q.zero_points) {
    if (zp < golden::DTypeMin(t.dtype) || zp > golden::DTypeMax(t.dtype)) {
      FailTensor(t, "zero point " + std::to_string(zp) + " is outside the " +
                        std::string(golden::DTypeName(t.dtype)) + " range");
    }
  }
}

// A tensor lies inside [0, dram_size).
void CheckInside(const ManifestTensor& t, std::uint64_t dram_size) {
  const auto bytes = static_cast<std::uint64_t>(t.Bytes());
  if (t.dram_addr > dram_size || bytes > dram_size - t.dram_addr) {
    FailTensor(t, "DRAM bytes [" + base::HexPrefixed(t.dram_addr) + ", " +
                      base::HexPrefixed(t.dram_addr + bytes) +
                      ") are outside the program's DRAM of " + std::to_string(dram_size) +
                      " bytes");
  }
}

void CheckTensorShapeAndType(const ManifestTensor& t) {
  if (t.name.empty()) throw Error("a manifest tensor has an empty name");
  if (t.dtype != golden::DType::kUInt8 && t.dtype != golden::DType::kInt8 &&
      t.dtype != golden::DType::kInt32) {
    FailTensor(t, "dtype " + std::string(golden::DTypeName(t.dtype)) +
                      " is not supported in DRAM (uint8, int8 or int32)");
  }
  constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;
  std::int64_t elements = 1;
  for (std::int64_t d : t.shape) {
    if (d < 1)
      FailTensor(t, "shape " + golden::ShapeToString(t.shape) + " has a dimension below 1");
    if (d > kMaxElements / elements) {
      FailTensor(t, "shape " + golden::ShapeToString(t.shape) + " is too large");
    }
    elements *= d;
  }
}

// ---- manifest.json reading ---------------------------------------------------------------------

// Reads one JSON object strictly: each key is taken once, unknown keys are refused, and every
// message names `source` and the JSON path.
class JsonReader {
 public:
  JsonReader(const nlohmann::json& j, std::string path, const std::string& source)
      : j_(j), path_(std::move(path)), source_(source) {
    if (!j_.is_object()) Fail(path_.empty() ? "the manifest" : path_, "must be a JSON object");
  }

  [[noreturn]] void Fail(const std::string& where, const std::string& problem) const {
    throw Error(Quoted(source_) + ": " + where + " " + problem);
  }
  std::string Key(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const nlohmann::json& Get(const std::string& key) {
    known_.insert(key);
    if (!j_.contains(key)) Fail(Key(key), "is missing");
    return j_.at(key);
  }
  bool Has(const std::string& key) const { return j_.contains(key); }

  std::string String(const std::string& key) {
    const nlohmann::json& v = Get(key);
    if (!v.is_string()) Fail(Key(key), "must be a string");
    return v.get<std::string>();
  }
  std::int64_t Int(const std::string& key, std::int64_t lo, std::int64_t hi) {
    return IntAt(Get(key), Key(key), lo, hi);
  }
  std::int64_t IntAt(const nlohmann::json& v, const std::string& where, std::int64_t lo,
                     std::int64_t hi) const {
    if (!v.is_number_integer()) Fail(where, "must be an integer");
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
      Fail(where, "is out of range (at most " + std::to_string(hi) + ")");
    }
    const std::int64_t x = v.get<std::int64_t>();
    if (x < lo || x > hi) {
      Fail(where, "is " + std::to_string(x) + "; must be in " + std::to_string(lo) + ".." +
                      std::to_string(hi));
    }
    return x;
  }
  const nlohmann::json& Array(const std::string& key) {
    const nlohmann::json& v = Get(key);
    if (!v.is_array()) Fail(Key(key), "must be an array");
    return v;
  }
  void Finish() const {
    for (const auto& [key, value] : j_.items()) {
      if (!known_.contains(key)) Fail(Key(key), "is not a known key");
    }
  }

 private:
  const nlohmann::json& j_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> known_;
};

ManifestTensor TensorFromJson(const nlohmann::json& j, const std::string& path,
                              const std::string& source) {
  JsonReader r(j, path, source);
  ManifestTensor t;
  t.name = r.String("name");
  t.dram_addr = static_cast<std::uint64_t>(r.Int("dram_addr", 0, INT64_MAX));
  const nlohmann::json& shape = r.Array("shape");
  for (std::size_t i = 0; i < shape.size(); ++i) {
    t.shape.push_back(r.IntAt(shape[i], r.Key("shape") + "[" + std::to_string(i) + "]", 1,
                              std::int64_t{1} << 40));
  }
  const std::string dtype = r.String("dtype");
  const std::optional<golden::DType> parsed = golden::ParseDType(dtype);
  if (!parsed) r.Fail(r.Key("dtype"), "'" + dtype + "' is not a dtype (uint8, int8, int32)");
  t.dtype = *parsed;
  if (r.Has("dram_perm")) {
    const nlohmann::json& perm = r.Array("dram_perm");
    for (std::size_t i = 0; i < perm.size(); ++i) {
      t.dram_perm.push_back(static_cast<int>(
          r.IntAt(perm[i], r.Key("dram_perm") + "[" + std::to_string(i) + "]", 0, 64)));
    }
  }
  if (r.Has("quant")) {
    JsonReader q(r.Get("quant"), r.Key("quant"), source);
    if (q.Has("scales")) {
      const nlohmann::json& scales = q.Array("scales");
      for (std::size_t i = 0; i < scales.size(); ++i) {
        if (!scales[i].is_number()) {
          q.Fail(q.Key("scales") + "[" + std::to_string(i) + "]", "must be a number");
        }
        t.quant.scales.push_back(static_cast<float>(scales[i].get<double>()));
      }
    }
    if (q.Has("zero_points")) {
      const nlohmann::json& zps = q.Array("zero_points");
      for (std::size_t i = 0; i < zps.size(); ++i) {
        t.quant.zero_points.push_back(static_cast<std::int32_t>(q.IntAt(
            zps[i], q.Key("zero_points") + "[" + std::to_string(i) + "]", INT32_MIN, INT32_MAX)));
      }
    }
    if (q.Has("axis")) t.quant.axis = static_cast<int>(q.Int("axis", -1, 64));
    q.Finish();
  }
  r.Finish();
  return t;
}

// A float as the shortest decimal that reads back as the same float, stored as the double of
// that decimal (so that JSON shows 0.02, not 0.019999999552965164) when that converts back
// exactly.
double FloatForJson(float v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return v;
  double d = 0;
  const auto [dend, dec] = std::from_chars(buf, end, d);
  if (dec != std::errc() || dend != end || static_cast<float>(d) != v) return v;
  return d;
}

nlohmann::json TensorToJson(const ManifestTensor& t) {
  nlohmann::json scales = nlohmann::json::array();
  for (float s : t.quant.scales) scales.push_back(FloatForJson(s));
  return {
      {"name", t.name},
      {"dram_addr", t.dram_addr},
      {"shape", t.shape},
      {"dtype", golden::DTypeName(t.dtype)},
      {"dram_perm", t.dram_perm},
      {"quant", {{"scales", scales}, {"zero_points", t.quant.zero_points}, {"axis", t.quant.axis}}},
  };
}

// ---- Host ↔ DRAM layout ------------------------------------------------------------------------

// Calls copy(dram_offset, host_offset) in bytes for every element, in DRAM order.
template <typename F>
void ForEachElement(const ManifestTensor& t, F copy) {
  const std::size_t rank = t.shape.size();
  std::vector<int> perm = t.dram_perm;
  if (perm.empty()) {
    for (std::size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int>(i));
  }
  const std::vector<std::int64_t> host_strides = golden::Strides(t.shape);
  golden::Shape dram_shape(rank);
  std::vector<std::int64_t> step(rank);  // host stride of each DRAM axis
  for (std::size_t i = 0; i < rank; ++i) {
    dram_shape[i] = t.shape[static_cast<std::size_t>(perm[i])];
    step[i] = host_strides[static_cast<std::size_t>(perm[i])];
  }
  const auto size = static_cast<std::int64_t>(golden::DTypeSize(t.dtype));
  const std::int64_t n = golden::NumElements(t.shape);
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t host = 0;
  for (std::int64_t d = 0; d < n; ++d) {
    copy(d * size, host * size);
    for (std::size_t k = rank; k-- > 0;) {  // odometer over the DRAM shape
      host += step[k];
      if (++index[k] < dram_shape[k]) break;
      host -= step[k] * dram_shape[k];
      index[k] = 0;
    }
  }
}

void CheckHostTensor(const ManifestTensor& where, golden::DType dtype, const golden::Shape& shape,
                     std::size_t dram_bytes) {
  CheckTensorShapeAndType(where);
  CheckPerm(where);
  if (dtype != where.dtype || shape != where.shape) {
    FailTensor(where, "expects " + std::string(golden::DTypeName(where.dtype)) +
                          golden::ShapeToString(where.shape) + ", got " +
                          std::string(golden::DTypeName(dtype)) + golden::ShapeToString(shape));
  }
  CheckInside(where, dram_bytes);
}

}  // namespace

std::int64_t ManifestTensor::Bytes() const {
  return golden::NumElements(shape) * static_cast<std::int64_t>(golden::DTypeSize(dtype));
}

void CheckManifestTensor(const ManifestTensor& tensor, std::uint64_t dram_size) {
  CheckTensorShapeAndType(tensor);
  CheckPerm(tensor);
  CheckQuant(tensor);
  CheckInside(tensor, dram_size);
}

void CheckManifest(const Program& program, const std::string& source) {
  try {
    std::set<std::string> names;
    for (const auto* list : {&program.manifest.inputs, &program.manifest.outputs}) {
      for (const ManifestTensor& t : *list) {
        CheckManifestTensor(t, program.dram_size);
        if (!names.insert(t.name).second) {
          throw Error("tensor name '" + t.name + "' is used twice");
        }
      }
    }
    const auto count = static_cast<std::int64_t>(program.instructions.size());
    std::int64_t end = 0;
    for (const LayerRange& layer : program.manifest.layers) {
      if (layer.name.empty()) throw Error("a layer has an empty name");
      if (layer.first < end || layer.count < 0 || layer.first > count ||
          layer.count > count - layer.first) {
        throw Error("layer '" + layer.name + "' covers instructions [" +
                    std::to_string(layer.first) + ", " + std::to_string(layer.first + layer.count) +
                    "); layers must be in order, not overlap, and lie within the program's " +
                    std::to_string(count) + " instructions");
      }
      end = layer.first + layer.count;
    }
  } catch (const Error& e) {
    throw Error(Quoted(source) + ": " + e.what());
  }
}

std::vector<std::uint8_t> EncodeProgramBinary(const Program& program) {
  if (program.instructions.empty()) throw Error("a program needs at least one instruction");
  if (program.dram_size > kMaxDramSize) {
    throw Error("dram_size " + std::to_string(program.dram_size) + " is above " + DramLimitText());
  }
  if (program.dram_image.size() > program.dram_size) {
    throw Error("the DRAM image (" + std::to_string(program.dram_image.size()) +
                " bytes) is larger than the program's DRAM of " +
                std::to_string(program.dram_size) + " bytes");
  }
  if (program.arch_name.size() > kArchNameBytes ||
      program.arch_name.find('\0') != std::string::npos) {
    throw Error("architecture name '" + program.arch_name + "' is longer than " +
                std::to_string(kArchNameBytes) + " bytes or holds a NUL byte");
  }
  const std::size_t words = program.instructions.size();
  std::vector<std::uint8_t> out(kHeaderSize + words * kWordBytes + program.dram_image.size(), 0);
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  Put32(out, kOffVersion, kProgramFormatVersion);
  Put32(out, kOffHeaderSize, static_cast<std::uint32_t>(kHeaderSize));
  Put32(out, kOffIsaVersion, static_cast<std::uint32_t>(isa::kIsaVersion));
  Put32(out, kOffWordBits, static_cast<std::uint32_t>(isa::kInstructionBits));
  Put64(out, kOffArchHash, program.arch_hash);
  Put64(out, kOffCount, words);
  Put64(out, kOffImageSize, program.dram_image.size());
  Put64(out, kOffDramSize, program.dram_size);
  std::copy(program.arch_name.begin(), program.arch_name.end(), out.begin() + kOffArchName);
  for (std::size_t i = 0; i < words; ++i) {
    Put64(out, kHeaderSize + i * kWordBytes, program.instructions[i].lo);
    Put64(out, kHeaderSize + i * kWordBytes + 8, program.instructions[i].hi);
  }
  std::copy(program.dram_image.begin(), program.dram_image.end(),
            out.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + words * kWordBytes));
  Put32(out, kOffChecksum, FileCrc32(out));
  return out;
}

Program DecodeProgramBinary(std::span<const std::uint8_t> bytes, const std::string& source) {
  auto fail = [&](const std::string& problem) { FailFile(source, problem); };
  const std::size_t magic_len = std::min(bytes.size(), kMagic.size());
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(magic_len),
                  kMagic.begin())) {
    fail("not a qsa program (bad magic; expected \"QSAPROG\\0\")");
  }
  if (bytes.size() < kHeaderSize) {
    fail("truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the " +
         std::to_string(kHeaderSize) + "-byte header");
  }
  const std::uint32_t version = Get32(bytes, kOffVersion);
  if (version != kProgramFormatVersion) {
    fail("unsupported program format version " + std::to_string(version) + " (this qsa reads " +
         std::to_string(kProgramFormatVersion) + ")");
  }
  const std::uint32_t header_size = Get32(bytes, kOffHeaderSize);
  if (header_size != kHeaderSize) {
    fail("header size is " + std::to_string(header_size) + ", expected " +
         std::to_string(kHeaderSize) + " for format version " +
         std::to_string(kProgramFormatVersion));
  }
  const std::uint32_t isa_version = Get32(bytes, kOffIsaVersion);
  if (isa_version != static_cast<std::uint32_t>(isa::kIsaVersion)) {
    fail("built for ISA version " + std::to_string(isa_version) + "; this qsa implements version " +
         std::to_string(isa::kIsaVersion));
  }
  const std::uint32_t word_bits = Get32(bytes, kOffWordBits);
  if (word_bits != static_cast<std::uint32_t>(isa::kInstructionBits)) {
    fail("instruction width is " + std::to_string(word_bits) + " bits; the ISA's is " +
         std::to_string(isa::kInstructionBits));
  }
  const std::span<const std::uint8_t> name_field = bytes.subspan(kOffArchName, kArchNameBytes);
  const auto name_end = std::find(name_field.begin(), name_field.end(), std::uint8_t{0});
  if (Get32(bytes, kOffReserved0) != 0 ||
      !AllZero(bytes.subspan(kOffReserved1, kHeaderSize - kOffReserved1)) ||
      !AllZero(std::span<const std::uint8_t>(name_end, name_field.end()))) {
    fail("reserved header bytes are not zero");
  }
  const std::uint64_t count = Get64(bytes, kOffCount);
  const std::uint64_t image_size = Get64(bytes, kOffImageSize);
  const std::uint64_t body = bytes.size() - kHeaderSize;
  const bool fits = count <= body / kWordBytes && image_size <= body - count * kWordBytes;
  if (!fits || body != count * kWordBytes + image_size) {
    const std::string described = std::to_string(kHeaderSize) + "-byte header, " +
                                  std::to_string(count) + " instructions of " +
                                  std::to_string(kWordBytes) + " bytes, " +
                                  std::to_string(image_size) + "-byte DRAM image";
    fail(std::string(fits ? "longer than its header describes" : "truncated") + ": " +
         std::to_string(bytes.size()) + " bytes for " + described);
  }
  const std::uint32_t stored_crc = Get32(bytes, kOffChecksum);
  const std::uint32_t crc = FileCrc32(bytes);
  if (stored_crc != crc) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "checksum mismatch (stored %08x, computed %08x): corrupt file",
                  stored_crc, crc);
    fail(buf);
  }
  if (count == 0) fail("has no instructions");
  Program p;
  p.dram_size = Get64(bytes, kOffDramSize);
  if (p.dram_size > kMaxDramSize) {
    fail("dram_size " + std::to_string(p.dram_size) + " is above " + DramLimitText());
  }
  if (image_size > p.dram_size) {
    fail("the DRAM image (" + std::to_string(image_size) + " bytes) is larger than dram_size " +
         std::to_string(p.dram_size));
  }
  p.arch_name.assign(AsText(std::span<const std::uint8_t>(name_field.begin(), name_end)));
  p.arch_hash = Get64(bytes, kOffArchHash);
  p.instructions.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    p.instructions[i].lo = Get64(bytes, kHeaderSize + i * kWordBytes);
    p.instructions[i].hi = Get64(bytes, kHeaderSize + i * kWordBytes + 8);
  }
  const std::span<const std::uint8_t> image = bytes.subspan(kHeaderSize + count * kWordBytes);
  p.dram_image.assign(image.begin(), image.end());
  return p;
}

nlohmann::json ManifestToJson(const Program& program) {
  nlohmann::json inputs = nlohmann::json::array();
  nlohmann::json outputs = nlohmann::json::array();
  nlohmann::json layers = nlohmann::json::array();
  for (const ManifestTensor& t : program.manifest.inputs) inputs.push_back(TensorToJson(t));
  for (const ManifestTensor& t : program.manifest.outputs) outputs.push_back(TensorToJson(t));
  for (const LayerRange& l : program.manifest.layers) {
    layers.push_back({{"name", l.name}, {"first", l.first}, {"count", l.count}});
  }
  return {
      {"format", kManifestFormat},
      {"version", kManifestVersion},
      {"arch", {{"name", program.arch_name}, {"hash", base::HexDigits(program.arch_hash)}}},
      {"instructions", program.instructions.size()},
      {"dram_size", program.dram_size},
      {"inputs", inputs},
      {"outputs", outputs},
      {"layers", layers},
  };
}

void ReadManifestJson(const nlohmann::json& j, const std::string& source, Program& program) {
  JsonReader r(j, "", source);
  if (r.String("format") != kManifestFormat) {
    r.Fail("format", "must be \"" + std::string(kManifestFormat) + "\"");
  }
  const std::int64_t version = r.Int("version", 0, INT32_MAX);
  if (version != kManifestVersion) {
    r.Fail("version", "is " + std::to_string(version) + "; this qsa reads version " +
                          std::to_string(kManifestVersion));
  }
  JsonReader arch(r.Get("arch"), "arch", source);
  arch.String("name");
  const std::string hash = arch.String("hash");
  arch.Finish();
  if (hash != base::HexDigits(program.arch_hash)) {
    r.Fail("arch.hash", "is " + hash + " but program.bin was built for architecture hash " +
                            base::HexDigits(program.arch_hash));
  }
  const std::int64_t count = r.Int("instructions", 0, INT64_MAX);
  if (static_cast<std::uint64_t>(count) != program.instructions.size()) {
    r.Fail("instructions", "is " + std::to_string(count) + " but program.bin holds " +
                               std::to_string(program.instructions.size()));
  }
  const std::int64_t dram_size = r.Int("dram_size", 0, INT64_MAX);
  if (static_cast<std::uint64_t>(dram_size) != program.dram_size) {
    r.Fail("dram_size", "is " + std::to_string(dram_size) + " but program.bin says " +
                            std::to_string(program.dram_size));
  }
  Manifest m;
  for (const auto& [key, list] :
       {std::pair{"inputs", &m.inputs}, std::pair{"outputs", &m.outputs}}) {
    const nlohmann::json& items = r.Array(key);
    for (std::size_t i = 0; i < items.size(); ++i) {
      list->push_back(
          TensorFromJson(items[i], std::string(key) + "[" + std::to_string(i) + "]", source));
    }
  }
  const nlohmann::json& layers = r.Array("layers");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    JsonReader l(layers[i], "layers[" + std::to_string(i) + "]", source);
    LayerRange layer;
    layer.name = l.String("name");
    layer.first = l.Int("first", 0, INT64_MAX);
    layer.count = l.Int("count", 0, INT64_MAX);
    l.Finish();
    m.layers.push_back(layer);
  }
  r.Finish();
  Program checked = program;
  checked.manifest = std::move(m);
  CheckManifest(checked, source);
  program.manifest = std::move(checked.manifest);
}

void WriteProgram(const Program& program, const std::string& path, const std::string& listing) {
  const std::vector<std::uint8_t> bin = EncodeProgramBinary(program);
  const std::string_view bin_text = AsText(bin);
  const bool bare = path.size() >= 4 && path.compare(path.size() - 4, 4, ".bin") == 0;
  if (bare) {
    golden::WriteFileAtomically(path, {bin_text});
    return;
  }
  CheckManifest(program, path + "/manifest.json");
  const std::string manifest = ManifestToJson(program).dump(2) + "\n";
  std::error_code ec;
  const bool existed = fs::exists(path, ec);
  fs::create_directories(path, ec);
  if (ec || !fs::is_directory(path)) {
    throw Error("cannot create program folder " + Quoted(path) + ": " +
                (ec ? ec.message() : std::string(std::strerror(ENOTDIR))));
  }
  std::vector<std::pair<std::string, std::string>> files = {
      {path + "/program.bin", std::string(bin_text)}, {path + "/manifest.json", manifest}};
  if (!listing.empty()) files.emplace_back(path + "/program.s", listing);
  try {
    golden::WriteFilesAtomically(files);
  } catch (...) {
    if (!existed) fs::remove_all(path, ec);
    throw;
  }
}

Program ReadProgram(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    const std::vector<std::uint8_t> bytes = ReadBinaryFile(path);
    return DecodeProgramBinary(bytes, path);
  }
  const std::string bin_path = path + "/program.bin";
  const std::string manifest_path = path + "/manifest.json";
  if (!fs::exists(bin_path, ec)) {
    throw Error("program folder " + Quoted(path) + " has no program.bin");
  }
  if (!fs::exists(manifest_path, ec)) {
    throw Error("program folder " + Quoted(path) + " has no manifest.json");
  }
  Program program = DecodeProgramBinary(ReadBinaryFile(bin_path), bin_path);
  const std::vector<std::uint8_t> manifest_bytes = ReadBinaryFile(manifest_path);
  ReadManifestText(AsText(manifest_bytes), manifest_path, program);
  return program;
}

void ReadManifestText(std::string_view text, const std::string& source, Program& program) {
  ReadManifestJson(base::ParseJsonText(text, Quoted(source)), source, program);
}

void CheckProgramArch(const Program& program, const ArchConfig& arch, const std::string& source) {
  if (program.arch_hash == arch.Hash()) return;
  const std::string built = program.arch_name.empty() ? "an unnamed architecture"
                                                      : "architecture '" + program.arch_name + "'";
  throw Error("program " + Quoted(source) + " was built for " + built + " (hash " +
              base::HexDigits(program.arch_hash) + "), not for '" + arch.name + "' (hash " +
              arch.HashHex() + "); pass the matching --arch");
}

void WriteProgramInputs(const Program& program, const std::map<std::string, golden::Tensor>& inputs,
                        std::span<std::uint8_t> dram) {
  std::string declared;
  for (const ManifestTensor& in : program.manifest.inputs) {
    declared += (declared.empty() ? "" : ", ") + in.name;
    const auto it = inputs.find(in.name);
    if (it == inputs.end()) {
      throw Error("no value for program input '" + in.name + "' (" +
                  std::string(golden::DTypeName(in.dtype)) + golden::ShapeToString(in.shape) + ")");
    }
    WriteTensorToDram(in, it->second, dram);
  }
  const auto& ins = program.manifest.inputs;
  for (const auto& entry : inputs) {
    const std::string& name = entry.first;
    if (std::none_of(ins.begin(), ins.end(),
                     [&name](const ManifestTensor& in) { return in.name == name; })) {
      throw Error("unknown program input '" + name + "'; " +
                  (declared.empty() ? std::string("the program has no inputs")
                                    : "the program's inputs are: " + declared));
    }
  }
}

void WriteTensorToDram(const ManifestTensor& where, const golden::Tensor& value,
                       std::span<std::uint8_t> dram) {
  CheckHostTensor(where, value.dtype(), value.shape(), dram.size());
  const std::span<const std::uint8_t> src = value.Bytes();
  const auto base = static_cast<std::ptrdiff_t>(where.dram_addr);
  const std::size_t size = golden::DTypeSize(where.dtype);
  ForEachElement(where, [&](std::int64_t d, std::int64_t h) {
    std::copy_n(src.begin() + h, size, dram.begin() + base + d);
  });
}

golden::Tensor ReadTensorFromDram(const ManifestTensor& where, std::span<const std::uint8_t> dram) {
  CheckHostTensor(where, where.dtype, where.shape, dram.size());
  golden::Tensor value(where.dtype, where.shape);
  const std::span<std::uint8_t> dst = value.MutableBytes();
  const auto base = static_cast<std::ptrdiff_t>(where.dram_addr);
  const std::size_t size = golden::DTypeSize(where.dtype);
  ForEachElement(where, [&](std::int64_t d, std::int64_t h) {
    std::copy_n(dram.begin() + base + d, size, dst.begin() + h);
  });
  return value;
}

}  // namespace qsa::isa

// Calibration data (quantize_data.h). An .npz file is a ZIP archive of .npy files; it is read
// through its central directory (with the ZIP64 extensions numpy uses), entries stored or
// deflated (zlib).
#include "compiler/quantizer/data.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <sstream>

#include "model/base/error.h"
#include "model/base/read_file.h"
#include "model/golden/npy.h"

namespace qsa::quantizer {

namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kEndOfCentralDirectory = 0x06054b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint32_t kZip64EndOfCentralDirectory = 0x06064b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint16_t kZip64Extra = 0x0001;
constexpr std::uint16_t kStored = 0;
constexpr std::uint16_t kDeflated = 8;
constexpr std::uint32_t kAbsent32 = 0xffffffff;

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

std::string ReadWholeFile(const std::string& path) { return base::ReadRegularFile(path); }

// Little-endian reads that fail, naming the archive, instead of running past its end.
class ZipReader {
 public:
  ZipReader(std::string_view bytes, std::string path) : bytes_(bytes), path_(std::move(path)) {}

  [[noreturn]] void Fail(const std::string& problem) const {
    throw Error(Quoted(path_) + ": not a readable .npz archive (" + problem + ")");
  }
  std::uint64_t Read(std::size_t offset, std::size_t width) const {
    if (offset > bytes_.size() || bytes_.size() - offset < width) Fail("truncated");
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[offset + i])) << (8 * i);
    }
    return v;
  }
  std::string_view Slice(std::uint64_t offset, std::uint64_t size) const {
    if (offset > bytes_.size() || bytes_.size() - offset < size) Fail("truncated");
    return bytes_.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(size));
  }
  std::size_t size() const { return bytes_.size(); }
  const std::string& path() const { return path_; }

 private:
  std::string_view bytes_;
  std::string path_;
};

struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed = 0;
  std::uint64_t uncompressed = 0;
  std::uint64_t local_offset = 0;
};

// Offset and entry count of the central directory.
std::pair<std::uint64_t, std::uint64_t> FindCentralDirectory(const ZipReader& zip) {
  constexpr std::size_t kEocdSize = 22;
  if (zip.size() < kEocdSize) zip.Fail("too short");
  // The end record is the last 22 bytes plus a comment of at most 65535 bytes.
  const std::size_t lowest = zip.size() > kEocdSize + 0xffff ? zip.size() - kEocdSize - 0xffff : 0;
  for (std::size_t at = zip.size() - kEocdSize + 1; at-- > lowest;) {
    if (zip.Read(at, 4) != kEndOfCentralDirectory) continue;
    std::uint64_t entries = zip.Read(at + 10, 2);
    std::uint64_t offset = zip.Read(at + 16, 4);
    if (at >= 20 && zip.Read(at - 20, 4) == kZip64Locator) {
      const std::uint64_t record = zip.Read(at - 20 + 8, 8);
      if (zip.Read(static_cast<std::size_t>(record), 4) != kZip64EndOfCentralDirectory) {
        zip.Fail("bad ZIP64 end record");
      }
      entries = zip.Read(static_cast<std::size_t>(record) + 32, 8);
      offset = zip.Read(static_cast<std::size_t>(record) + 48, 8);
    }
    return {offset, entries};
  }
  zip.Fail("no end-of-central-directory record");
}

std::vector<ZipEntry> ReadCentralDirectory(const ZipReader& zip) {
  auto [offset, count] = FindCentralDirectory(zip);
  std::vector<ZipEntry> entries;
  auto at = static_cast<std::size_t>(offset);
  for (std::uint64_t e = 0; e < count; ++e) {
    if (zip.Read(at, 4) != kCentralHeader) zip.Fail("bad central directory entry");
    ZipEntry entry;
    entry.method = static_cast<std::uint16_t>(zip.Read(at + 10, 2));
    entry.crc = static_cast<std::uint32_t>(zip.Read(at + 16, 4));
    entry.compressed = zip.Read(at + 20, 4);
    entry.uncompressed = zip.Read(at + 24, 4);
    const std::size_t name_len = zip.Read(at + 28, 2);
    const std::size_t extra_len = zip.Read(at + 30, 2);
    const std::size_t comment_len = zip.Read(at + 32, 2);
    entry.local_offset = zip.Read(at + 42, 4);
    entry.name = std::string(zip.Slice(at + 46, name_len));
    // ZIP64: the 64-bit values replace the 32-bit fields that hold 0xffffffff, in this order.
    std::size_t x = at + 46 + name_len;
    const std::size_t extra_end = x + extra_len;
    while (x + 4 <= extra_end) {
      const auto id = static_cast<std::uint16_t>(zip.Read(x, 2));
      const std::size_t len = zip.Read(x + 2, 2);
      std::size_t field = x + 4;
      if (id == kZip64Extra) {
        for (std::uint64_t* value : {&entry.uncompressed, &entry.compressed, &entry.local_offset}) {
          if (*value != kAbsent32) continue;
          if (field + 8 > x + 4 + len) zip.Fail("bad ZIP64 field of " + Quoted(entry.name));
          *value = zip.Read(field, 8);
          field += 8;
        }
      }
      x += 4 + len;
    }
    entries.push_back(std::move(entry));
    at = extra_end + comment_len;
  }
  return entries;
}

// Deflate expands at most about 1032:1; an entry that claims more, or more than the input-file
// limit, is refused before its buffer is allocated.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

std::string Inflate(const ZipReader& zip, const ZipEntry& entry, std::string_view data) {
  if (entry.uncompressed > base::kMaxInputFileBytes ||
      entry.uncompressed > (entry.compressed + 1) * kMaxDeflateRatio) {
    zip.Fail("entry " + Quoted(entry.name) + " claims " + std::to_string(entry.uncompressed) +
             " bytes when inflated, more than its " + std::to_string(entry.compressed) +
             " compressed bytes can hold or above the limit of " +
             base::ByteLimitText(base::kMaxInputFileBytes));
  }
  std::string out(static_cast<std::size_t>(entry.uncompressed), '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) zip.Fail("zlib initialization failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = inflate(&stream, Z_FINISH);
  const bool complete = status == Z_STREAM_END && stream.total_out == out.size();
  inflateEnd(&stream);
  if (!complete) zip.Fail("entry " + Quoted(entry.name) + " does not inflate");
  return out;
}

std::string EntryBytes(const ZipReader& zip, const ZipEntry& entry) {
  const auto at = static_cast<std::size_t>(entry.local_offset);
  if (zip.Read(at, 4) != kLocalHeader) zip.Fail("bad local header of " + Quoted(entry.name));
  const std::size_t name_len = zip.Read(at + 26, 2);
  const std::size_t extra_len = zip.Read(at + 28, 2);
  const std::string_view data = zip.Slice(at + 30 + name_len + extra_len, entry.compressed);
  std::string bytes;
  if (entry.method == kStored) {
    bytes = std::string(data);
  } else if (entry.method == kDeflated) {
    bytes = Inflate(zip, entry, data);
  } else {
    zip.Fail("entry " + Quoted(entry.name) + " uses compression method " +
             std::to_string(entry.method) + "; only stored and deflated entries are read");
  }
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()),
                          static_cast<uInt>(bytes.size()));
  if (crc != entry.crc) zip.Fail("entry " + Quoted(entry.name) + " fails its CRC check");
  return bytes;
}

std::string WithoutNpy(const std::string& name) {
  const std::string ext = ".npy";
  return name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0
             ? name.substr(0, name.size() - ext.size())
             : name;
}

}  // namespace

CalibrationData ParseNpz(std::string_view bytes, const std::string& path) {
  const ZipReader zip(bytes, path);
  CalibrationData data{path, {}};
  for (const ZipEntry& entry : ReadCentralDirectory(zip)) {
    if (entry.name.empty() || entry.name.back() == '/') continue;  // a folder entry
    const std::string origin = path + ":" + entry.name;
    data.arrays.push_back(
        {WithoutNpy(entry.name), origin, golden::ParseNpy(EntryBytes(zip, entry), origin)});
  }
  if (data.arrays.empty()) throw Error(Quoted(path) + ": the archive holds no arrays");
  return data;
}

namespace {

CalibrationData ReadNpz(const std::string& path) { return ParseNpz(ReadWholeFile(path), path); }

CalibrationData ReadFolder(const std::string& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
    if (e.path().extension() == ".npy") files.push_back(e.path());
  }
  if (ec) throw Error("cannot list " + Quoted(path) + ": " + ec.message());
  if (files.empty()) throw Error(Quoted(path) + ": the folder holds no .npy files");
  std::sort(files.begin(), files.end());
  CalibrationData data{path, {}};
  for (const fs::path& f : files) {
    data.arrays.push_back({f.stem().string(), f.string(), golden::ReadNpy(f.string())});
  }
  return data;
}

// The input an array feeds, or nullptr.
const ModelInput* Target(const CalibrationArray& array, const std::vector<ModelInput>& inputs,
                         bool any_named) {
  for (const ModelInput& input : inputs) {
    if (array.key == input.name || array.key.rfind(input.name + ".", 0) == 0) return &input;
  }
  return inputs.size() == 1 && !any_named ? &inputs[0] : nullptr;
}

std::string InputList(const std::vector<ModelInput>& inputs) {
  std::string list;
  for (const ModelInput& input : inputs) list += (list.empty() ? "" : ", ") + input.name;
  return list;
}

std::string Expected(const ModelInput& input) {
  golden::Shape shape = input.shape;
  std::string text = std::string(golden::DTypeName(input.dtype)) + "[N";
  for (std::size_t d = 1; d < shape.size(); ++d) text += "," + std::to_string(shape[d]);
  return text + "]";
}

}  // namespace

CalibrationData ReadCalibrationData(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return ReadFolder(path);
  if (!fs::exists(path, ec))
    throw Error("cannot open " + Quoted(path) + ": no such file or folder");
  return ReadNpz(path);
}

std::vector<std::map<std::string, golden::Tensor>> MakeRuns(const CalibrationData& data,
                                                            const std::vector<ModelInput>& inputs,
                                                            std::int64_t batch,
                                                            std::int64_t max_samples) {
  bool any_named = false;
  for (const CalibrationArray& array : data.arrays) {
    for (const ModelInput& input : inputs) {
      any_named = any_named || array.key == input.name || array.key.rfind(input.name + ".", 0) == 0;
    }
  }
  // Per input: its arrays, checked, and the sample count.
  std::map<std::string, std::vector<const golden::Tensor*>> feeds;
  std::map<std::string, std::int64_t> samples;
  for (const CalibrationArray& array : data.arrays) {
    const ModelInput* input = Target(array, inputs, any_named);
    if (input == nullptr) {
      throw Error("calibration array " + Quoted(array.origin) +
                  " feeds no model input (name it after one of: " + InputList(inputs) + ")");
    }
    const golden::Shape& shape = array.value.shape();
    const bool dims_match = shape.size() == input->shape.size() && !shape.empty() &&
                            std::equal(shape.begin() + 1, shape.end(), input->shape.begin() + 1);
    if (array.value.dtype() != input->dtype || !dims_match) {
      throw Error("calibration array " + Quoted(array.origin) + " is " + array.value.Describe() +
                  " but model input " + Quoted(input->name) + " takes " + Expected(*input));
    }
    feeds[input->name].push_back(&array.value);
    samples[input->name] += shape[0];
  }
  std::int64_t count = -1;
  for (const ModelInput& input : inputs) {
    if (feeds.count(input.name) == 0) {
      throw Error("calibration data " + Quoted(data.source) + " has no array for model input " +
                  Quoted(input.name));
    }
    if (count >= 0 && samples[input.name] != count) {
      throw Error("calibration data " + Quoted(data.source) + " has " +
                  std::to_string(samples[input.name]) + " samples for input " + Quoted(input.name) +
                  " but " + std::to_string(count) + " for " + Quoted(inputs[0].name));
    }
    count = samples[input.name];
  }
  if (max_samples > 0) count = std::min(count, max_samples);
  if (count % batch != 0 || count == 0) {
    throw Error("calibration data " + Quoted(data.source) + " gives " + std::to_string(count) +
                " samples, not a non-zero multiple of the model's batch size " +
                std::to_string(batch));
  }

  std::vector<std::map<std::string, golden::Tensor>> runs(static_cast<std::size_t>(count / batch));
  for (const ModelInput& input : inputs) {
    golden::Shape run_shape = input.shape;
    run_shape[0] = batch;
    const std::size_t sample_bytes =
        static_cast<std::size_t>(golden::NumElements(run_shape) / batch) *
        golden::DTypeSize(input.dtype);
    std::size_t array = 0;
    std::int64_t within = 0;  // sample index inside the current array
    for (auto& run : runs) {
      golden::Tensor value(input.dtype, run_shape);
      std::span<std::uint8_t> out = value.MutableBytes();
      for (std::int64_t s = 0; s < batch; ++s) {
        const golden::Tensor* source = feeds[input.name][array];
        while (within == source->shape()[0]) {
          source = feeds[input.name][++array];
          within = 0;
        }
        const std::span<const std::uint8_t> bytes = source->Bytes();
        std::memcpy(out.data() + static_cast<std::size_t>(s) * sample_bytes,
                    bytes.data() + static_cast<std::size_t>(within) * sample_bytes, sample_bytes);
        ++within;
      }
      run.emplace(input.name, std::move(value));
    }
  }
  return runs;
}

}  // namespace qsa::quantizer

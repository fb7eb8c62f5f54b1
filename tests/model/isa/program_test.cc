// Program containers: program.bin encoding and every refusal of the decoder, manifest.json,
// program folders, and the host ↔ DRAM tensor layout.
#include "model/isa/program.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/base/error.h"

namespace qsa::isa {
namespace {

namespace fs = std::filesystem;

// The documented header layout (docs/file-formats.md), written out independently of the code.
constexpr std::size_t kHeader = 128;
constexpr std::size_t kVersionAt = 8;
constexpr std::size_t kHeaderSizeAt = 12;
constexpr std::size_t kIsaVersionAt = 16;
constexpr std::size_t kWordBitsAt = 20;
constexpr std::size_t kHashAt = 24;
constexpr std::size_t kCountAt = 32;
constexpr std::size_t kImageSizeAt = 40;
constexpr std::size_t kDramSizeAt = 48;
constexpr std::size_t kCrcAt = 56;
constexpr std::size_t kReserved0At = 60;
constexpr std::size_t kNameAt = 64;
constexpr std::size_t kReserved1At = 96;

std::uint64_t Get(const std::vector<std::uint8_t>& b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<std::uint64_t>(b[at + static_cast<std::size_t>(i)]) << (8 * i);
  return v;
}

void Put(std::vector<std::uint8_t>& b, std::size_t at, int bytes, std::uint64_t v) {
  for (int i = 0; i < bytes; ++i) {
    b.at(at + static_cast<std::size_t>(i)) = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

// Bit-at-a-time CRC-32 (IEEE), written independently of the table-driven one under test.
std::uint32_t Crc32(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::uint8_t b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// Recomputes the checksum after a deliberate change, so that the decoder reaches the check
// under test instead of refusing the checksum.
void Reseal(std::vector<std::uint8_t>& bytes) {
  Put(bytes, kCrcAt, 4, 0);
  Put(bytes, kCrcAt, 4, Crc32(bytes));
}

Program SampleProgram() {
  Program p;
  p.arch_name = "default";
  p.arch_hash = DefaultArchConfig().Hash();
  isa::LoadSp load;
  load.sram = 3;
  load.dram = 0x100;
  load.ny = 2;
  load.nx = 2;
  load.stride_y = 6;
  load.stride_x = 3;
  load.lanes = 3;
  load.fill = 128;
  load.deps.push_next = true;
  isa::Gemm gemm;
  gemm.n_outer = 1;
  gemm.n_inner = 4;
  gemm.act_inner = 1;
  gemm.k_lanes = 3;
  gemm.n_lanes = 4;
  gemm.preload = true;
  gemm.deps.pop_prev = true;
  p.instructions = {isa::Encode(load), isa::Encode(gemm), isa::Encode(isa::Finish{})};
  for (int i = 0; i < 40; ++i) p.dram_image.push_back(static_cast<std::uint8_t>(i * 7 + 1));
  p.dram_size = 4096;
  p.manifest.inputs = {
      {"x", 0x100, {1, 3, 2, 2}, golden::DType::kUInt8, {0, 2, 3, 1}, {{0.02f}, {128}, -1}}};
  p.manifest.outputs = {{"y", 0x200, {1, 4}, golden::DType::kInt8, {}, {{0.5f}, {-3}, -1}},
                        {"per_axis",
                         0x240,
                         {4, 2},
                         golden::DType::kInt8,
                         {1, 0},
                         {{0.1f, 0.2f, 0.3f, 0.4f}, {0, 1, 2, 3}, 0}},
                        {"acc", 0x300, {2, 3}, golden::DType::kInt32, {}, {}}};
  p.manifest.layers = {{"conv1", 0, 2}, {"tail", 2, 1}};
  return p;
}

Program WithoutManifest(Program p) {
  p.manifest = {};
  return p;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_ERROR(statement, phrase)                                             \
  do {                                                                              \
    const std::string message_ = ErrorOf([&] { statement; });                       \
    EXPECT_NE(message_, "") << "no qsa::Error from " #statement;                    \
    EXPECT_NE(message_.find(phrase), std::string::npos) << "message: " << message_; \
  } while (0)

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "qsa_program_test_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }
  std::size_t Entries(const std::string& sub = "") const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(path_ / sub)) ++n;
    return n;
  }

 private:
  fs::path path_;
};

std::vector<std::uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteBytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

// ---- program.bin --------------------------------------------------------------------------------

TEST(ProgramBinary, TestCrcMatchesTheStandardCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(Crc32(std::vector<std::uint8_t>(check.begin(), check.end())), 0xCBF43926u);
}

TEST(ProgramBinary, HeaderFieldsSitWhereTheFormatSays) {
  const Program p = SampleProgram();
  const std::vector<std::uint8_t> b = EncodeProgramBinary(p);
  ASSERT_EQ(b.size(), kHeader + 3 * 16 + 40);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 8), std::string("QSAPROG\0", 8));
  EXPECT_EQ(Get(b, kVersionAt, 4), kProgramFormatVersion);
  EXPECT_EQ(Get(b, kHeaderSizeAt, 4), kHeader);
  EXPECT_EQ(Get(b, kIsaVersionAt, 4), static_cast<std::uint64_t>(isa::kIsaVersion));
  EXPECT_EQ(Get(b, kWordBitsAt, 4), 128u);
  EXPECT_EQ(Get(b, kHashAt, 8), p.arch_hash);
  EXPECT_EQ(Get(b, kCountAt, 8), 3u);
  EXPECT_EQ(Get(b, kImageSizeAt, 8), 40u);
  EXPECT_EQ(Get(b, kDramSizeAt, 8), 4096u);
  EXPECT_EQ(Get(b, kReserved0At, 4), 0u);
  EXPECT_EQ(std::string(b.begin() + kNameAt, b.begin() + kNameAt + 8), std::string("default\0", 8));
  for (std::size_t i = kNameAt + 7; i < kHeader; ++i) EXPECT_EQ(b[i], 0) << "byte " << i;
  // The checksum covers the whole file with its own four bytes taken as zero.
  std::vector<std::uint8_t> zeroed = b;
  Put(zeroed, kCrcAt, 4, 0);
  EXPECT_EQ(Get(b, kCrcAt, 4), Crc32(zeroed));
  // Words: 16 bytes each, bits [63:0] first, little-endian; then the image.
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(Get(b, kHeader + 16 * i, 8), p.instructions[i].lo);
    EXPECT_EQ(Get(b, kHeader + 16 * i + 8, 8), p.instructions[i].hi);
  }
  EXPECT_EQ(std::vector<std::uint8_t>(b.begin() + kHeader + 48, b.end()), p.dram_image);
}

TEST(ProgramBinary, RoundTripsWithoutTheManifest) {
  const Program p = SampleProgram();
  EXPECT_EQ(DecodeProgramBinary(EncodeProgramBinary(p), "p.bin"), WithoutManifest(p));
  Program empty_image = WithoutManifest(p);
  empty_image.dram_image.clear();
  empty_image.dram_size = 0;
  empty_image.arch_name = "";
  EXPECT_EQ(DecodeProgramBinary(EncodeProgramBinary(empty_image), "p.bin"), empty_image);
  Program long_name = WithoutManifest(p);
  long_name.arch_name = std::string(32, 'n');
  EXPECT_EQ(DecodeProgramBinary(EncodeProgramBinary(long_name), "p.bin"), long_name);
}

TEST(ProgramBinary, EncoderRefusesWhatTheDecoderWouldRefuse) {
  Program p = SampleProgram();
  p.instructions.clear();
  EXPECT_ERROR(EncodeProgramBinary(p), "at least one instruction");
  p = SampleProgram();
  p.dram_size = 39;
  EXPECT_ERROR(EncodeProgramBinary(p), "larger than the program's DRAM of 39 bytes");
  p = SampleProgram();
  p.dram_size = (std::uint64_t{1} << 32) + 1;
  EXPECT_ERROR(EncodeProgramBinary(p), "is above the DRAM limit of 268435456 bytes (256 MiB)");
  p = SampleProgram();
  p.arch_name = std::string(33, 'n');
  EXPECT_ERROR(EncodeProgramBinary(p), "longer than 32 bytes");
}

struct Corruption {
  const char* what;
  std::size_t at;
  int bytes;
  std::uint64_t value;
  bool reseal;
  const char* phrase;
};

TEST(ProgramBinary, EveryHeaderFieldIsChecked) {
  const std::vector<std::uint8_t> good = EncodeProgramBinary(SampleProgram());
  const Corruption cases[] = {
      {"magic", 0, 1, 'X', true, "bad magic"},
      {"magic NUL", 7, 1, '!', true, "bad magic"},
      {"format version", kVersionAt, 4, 2, true, "unsupported program format version 2"},
      {"header size", kHeaderSizeAt, 4, 64, true, "header size is 64, expected 128"},
      {"ISA version", kIsaVersionAt, 4, 99, true, "ISA version 99"},
      {"word width", kWordBitsAt, 4, 64, true, "instruction width is 64 bits"},
      {"reserved word", kReserved0At, 4, 1, true, "reserved header bytes are not zero"},
      {"reserved tail", kHeader - 1, 1, 1, true, "reserved header bytes are not zero"},
      {"reserved head", kReserved1At, 1, 1, true, "reserved header bytes are not zero"},
      {"name padding", kNameAt + 9, 1, 'x', true, "reserved header bytes are not zero"},
      {"count too large", kCountAt, 8, 4, true, "truncated"},
      {"count huge", kCountAt, 8, ~std::uint64_t{0}, true, "truncated"},
      {"count too small", kCountAt, 8, 2, true, "longer than its header describes"},
      {"image too large", kImageSizeAt, 8, 41, true, "truncated"},
      {"image huge", kImageSizeAt, 8, ~std::uint64_t{0} - 10, true, "truncated"},
      {"image too small", kImageSizeAt, 8, 39, true, "longer than its header describes"},
      {"dram_size below image", kDramSizeAt, 8, 39, true,
       "DRAM image (40 bytes) is larger than dram_size 39"},
      {"dram_size above 4 GiB", kDramSizeAt, 8, (std::uint64_t{1} << 32) + 1, true,
       "dram_size 4294967297 is above the DRAM limit of 268435456 bytes (256 MiB)"},
      {"dram_size above the limit", kDramSizeAt, 8, (std::uint64_t{256} << 20) + 1, true,
       "dram_size 268435457 is above the DRAM limit"},
      {"checksum", kCrcAt, 4, 12345, false, "checksum mismatch"},
      {"hash without reseal", kHashAt, 1, 0x5a, false, "checksum mismatch"},
      {"dram_size without reseal", kDramSizeAt, 8, 8192, false, "checksum mismatch"},
      {"instruction byte", kHeader + 5, 1, 0xee, false, "checksum mismatch"},
      {"image byte", kHeader + 48 + 39, 1, 0, false, "checksum mismatch"},
  };
  for (const Corruption& c : cases) {
    std::vector<std::uint8_t> bad = good;
    Put(bad, c.at, c.bytes, c.value);
    if (c.reseal) Reseal(bad);
    const std::string message = ErrorOf([&] { DecodeProgramBinary(bad, "dir/p.bin"); });
    EXPECT_EQ(message.rfind("'dir/p.bin': ", 0), 0u) << c.what << ": " << message;
    EXPECT_NE(message.find(c.phrase), std::string::npos) << c.what << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.what;
  }
}

TEST(ProgramBinary, RefusesAProgramWithoutInstructions) {
  // A consistent file with zero instructions: header and image only.
  std::vector<std::uint8_t> b = EncodeProgramBinary(SampleProgram());
  b.erase(b.begin() + kHeader, b.begin() + kHeader + 48);
  Put(b, kCountAt, 8, 0);
  Reseal(b);
  EXPECT_ERROR(DecodeProgramBinary(b, "p.bin"), "'p.bin': has no instructions");
}

TEST(ProgramBinary, EveryTruncationIsACleanError) {
  const std::vector<std::uint8_t> good = EncodeProgramBinary(SampleProgram());
  for (std::size_t len = 0; len < good.size(); ++len) {
    const std::vector<std::uint8_t> cut(good.begin(),
                                        good.begin() + static_cast<std::ptrdiff_t>(len));
    const std::string message = ErrorOf([&] { DecodeProgramBinary(cut, "p.bin"); });
    EXPECT_EQ(message.rfind("'p.bin': ", 0), 0u) << "length " << len << ": " << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << "length " << len << ": " << message;
  }
  std::vector<std::uint8_t> longer = good;
  longer.push_back(0);
  EXPECT_ERROR(DecodeProgramBinary(longer, "p.bin"), "longer than its header describes");
}

TEST(ProgramBinary, RefusesFilesThatAreNotPrograms) {
  const std::string npy =
      "\x93NUMPY\x01\x00 and so on, long enough to be past the header size .......";
  EXPECT_ERROR(DecodeProgramBinary(std::vector<std::uint8_t>(npy.begin(), npy.end()), "x.npy"),
               "'x.npy': not a qsa program (bad magic");
  std::mt19937_64 rng(7);
  std::vector<std::uint8_t> noise(300);
  for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
  EXPECT_ERROR(DecodeProgramBinary(noise, "noise"), "bad magic");
}

// ---- manifest.json ------------------------------------------------------------------------------

TEST(Manifest, JsonHasTheDocumentedShape) {
  const Program p = SampleProgram();
  const nlohmann::json j = ManifestToJson(p);
  EXPECT_EQ(j.at("format"), "qsa-program-manifest");
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_EQ(j.at("arch").at("name"), "default");
  EXPECT_EQ(j.at("arch").at("hash"), DefaultArchConfig().HashHex());
  EXPECT_EQ(j.at("instructions"), 3);
  EXPECT_EQ(j.at("dram_size"), 4096);
  const nlohmann::json& x = j.at("inputs").at(0);
  EXPECT_EQ(x.at("name"), "x");
  EXPECT_EQ(x.at("dram_addr"), 256);
  EXPECT_EQ(x.at("shape"), nlohmann::json({1, 3, 2, 2}));
  EXPECT_EQ(x.at("dtype"), "uint8");
  EXPECT_EQ(x.at("dram_perm"), nlohmann::json({0, 2, 3, 1}));
  EXPECT_EQ(x.at("quant").at("scales").at(0).get<double>(), 0.02);  // shortest form, not 0.0199999
  EXPECT_EQ(x.at("quant").at("zero_points"), nlohmann::json({128}));
  EXPECT_EQ(x.at("quant").at("axis"), -1);
  EXPECT_EQ(j.at("layers").at(1), nlohmann::json({{"name", "tail"}, {"first", 2}, {"count", 1}}));
}

TEST(Manifest, RoundTripsThroughJson) {
  const Program p = SampleProgram();
  Program read = WithoutManifest(p);
  ReadManifestJson(nlohmann::json::parse(ManifestToJson(p).dump()), "m.json", read);
  EXPECT_EQ(read, p);
}

TEST(Manifest, RefusesInconsistentManifests) {
  const Program p = SampleProgram();
  struct Case {
    const char* what;
    std::function<void(nlohmann::json&)> edit;
    const char* phrase;
  };
  const Case cases[] = {
      {"format", [](nlohmann::json& j) { j["format"] = "other"; }, "format must be"},
      {"version", [](nlohmann::json& j) { j["version"] = 2; }, "version is 2"},
      {"hash", [](nlohmann::json& j) { j["arch"]["hash"] = "0000000000000001"; },
       "arch.hash is 0000000000000001 but program.bin was built for"},
      {"count", [](nlohmann::json& j) { j["instructions"] = 4; },
       "instructions is 4 but program.bin holds 3"},
      {"dram_size", [](nlohmann::json& j) { j["dram_size"] = 100; }, "dram_size is 100"},
      {"missing key", [](nlohmann::json& j) { j.erase("layers"); }, "layers is missing"},
      {"unknown key", [](nlohmann::json& j) { j["extra"] = 1; }, "extra is not a known key"},
      {"unknown tensor key", [](nlohmann::json& j) { j["inputs"][0]["layout"] = "nhwc"; },
       "inputs[0].layout is not a known key"},
      {"outside", [](nlohmann::json& j) { j["outputs"][2]["dram_addr"] = 4090; },
       "tensor 'acc': DRAM bytes [0xffa, 0x1012) are outside the program's DRAM of 4096 bytes"},
      {"duplicate", [](nlohmann::json& j) { j["outputs"][0]["name"] = "x"; },
       "tensor name 'x' is used twice"},
      {"perm",
       [](nlohmann::json& j) {
         j["inputs"][0]["dram_perm"] = {0, 2, 2, 1};
       },
       "dram_perm [0,2,2,1] is not a permutation"},
      {"dtype", [](nlohmann::json& j) { j["inputs"][0]["dtype"] = "float32"; },
       "dtype float32 is not supported"},
      {"bad dtype", [](nlohmann::json& j) { j["inputs"][0]["dtype"] = "u8"; },
       "'u8' is not a dtype"},
      {"huge shape",
       [](nlohmann::json& j) {
         j["inputs"][0]["shape"] = {1 << 30, 1 << 30, 1 << 30, 1 << 30};
       },
       "tensor 'x': shape [1073741824,1073741824,1073741824,1073741824] is too large"},
      {"shape", [](nlohmann::json& j) { j["inputs"][0]["shape"][1] = 0; },
       "inputs[0].shape[1] is 0"},
      {"scales", [](nlohmann::json& j) { j["outputs"][1]["quant"]["scales"] = {0.1}; },
       "1 scales given, expected 4"},
      {"zero point range",
       [](nlohmann::json& j) { j["inputs"][0]["quant"]["zero_points"] = {300}; },
       "zero point 300 is outside the uint8 range"},
      {"negative scale", [](nlohmann::json& j) { j["inputs"][0]["quant"]["scales"] = {-1.0}; },
       "is not positive and finite"},
      {"axis", [](nlohmann::json& j) { j["outputs"][1]["quant"]["axis"] = 2; },
       "quantization axis 2 is out of range"},
      {"layer overlap", [](nlohmann::json& j) { j["layers"][1]["first"] = 1; },
       "layer 'tail' covers instructions [1, 2)"},
      {"layer past end", [](nlohmann::json& j) { j["layers"][1]["count"] = 2; },
       "layer 'tail' covers instructions [2, 4)"},
      {"layer name", [](nlohmann::json& j) { j["layers"][0]["name"] = ""; },
       "a layer has an empty name"},
      {"not an object", [](nlohmann::json& j) { j = nlohmann::json::array(); },
       "must be a JSON object"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = ManifestToJson(p);
    c.edit(j);
    Program target = WithoutManifest(p);
    const std::string message = ErrorOf([&] { ReadManifestJson(j, "d/manifest.json", target); });
    EXPECT_EQ(message.rfind("'d/manifest.json': ", 0), 0u) << c.what << ": " << message;
    EXPECT_NE(message.find(c.phrase), std::string::npos) << c.what << ": " << message;
    EXPECT_TRUE(target.manifest.inputs.empty()) << c.what << ": a refused manifest was kept";
  }
}

// ---- Program folders ----------------------------------------------------------------------------

TEST(ProgramFiles, FolderAndBareFileRoundTrip) {
  TempDir dir;
  const Program p = SampleProgram();
  WriteProgram(p, dir.Path("prog/nested"));
  EXPECT_EQ(ReadProgram(dir.Path("prog/nested")), p);
  EXPECT_EQ(dir.Entries("prog/nested"), 2u);  // program.bin, manifest.json, no temporaries
  EXPECT_EQ(ReadBytes(dir.Path("prog/nested/program.bin")), EncodeProgramBinary(p));
  WriteProgram(p, dir.Path("bare.bin"));
  EXPECT_EQ(ReadProgram(dir.Path("bare.bin")), WithoutManifest(p));
  // The program.bin of a folder is also readable on its own.
  EXPECT_EQ(ReadProgram(dir.Path("prog/nested/program.bin")), WithoutManifest(p));
}

TEST(ProgramFiles, AFailedWriteLeavesTheOldFilesIntact) {
  TempDir dir;
  const Program p = SampleProgram();
  WriteProgram(p, dir.Path("prog"));
  const std::vector<std::uint8_t> before = ReadBytes(dir.Path("prog/program.bin"));
  Program bad = p;
  bad.manifest.outputs[0].dram_addr = 5000;  // outside dram_size
  EXPECT_ERROR(WriteProgram(bad, dir.Path("prog")), "tensor 'y'");
  bad = p;
  bad.instructions.clear();
  EXPECT_ERROR(WriteProgram(bad, dir.Path("prog")), "at least one instruction");
  EXPECT_EQ(ReadBytes(dir.Path("prog/program.bin")), before);
  EXPECT_EQ(ReadProgram(dir.Path("prog")), p);
  EXPECT_EQ(dir.Entries("prog"), 2u);
  EXPECT_ERROR(WriteProgram(bad, dir.Path("never")), "at least one instruction");
  EXPECT_FALSE(fs::exists(dir.Path("never")));
}

TEST(ProgramFiles, ReadingNamesTheFileAtFault) {
  TempDir dir;
  const Program p = SampleProgram();
  EXPECT_ERROR(ReadProgram(dir.Path("missing.bin")),
               "cannot open '" + dir.Path("missing.bin") + "'");
  WriteProgram(p, dir.Path("a"));
  fs::remove(dir.Path("a/manifest.json"));
  EXPECT_ERROR(ReadProgram(dir.Path("a")), "has no manifest.json");
  WriteProgram(p, dir.Path("b"));
  fs::remove(dir.Path("b/program.bin"));
  EXPECT_ERROR(ReadProgram(dir.Path("b")), "has no program.bin");
  WriteProgram(p, dir.Path("c"));
  std::ofstream(dir.Path("c/manifest.json")) << "{\"format\": ";
  EXPECT_ERROR(ReadProgram(dir.Path("c")), "'" + dir.Path("c/manifest.json") + "': malformed JSON");
  WriteProgram(p, dir.Path("d"));
  std::vector<std::uint8_t> bin = ReadBytes(dir.Path("d/program.bin"));
  bin.back() ^= 1;
  WriteBytes(dir.Path("d/program.bin"), bin);
  EXPECT_ERROR(ReadProgram(dir.Path("d")),
               "'" + dir.Path("d/program.bin") + "': checksum mismatch");
  // A manifest from another program of another length.
  Program other = p;
  other.instructions.push_back(other.instructions.back());
  other.manifest.layers.clear();
  WriteProgram(other, dir.Path("e"));
  fs::copy_file(dir.Path("a/program.bin"), dir.Path("e/program.bin"),
                fs::copy_options::overwrite_existing);
  EXPECT_ERROR(ReadProgram(dir.Path("e")), "instructions is 4 but program.bin holds 3");
}

TEST(ProgramFiles, CheckProgramArchNamesBothArchitectures) {
  const Program p = SampleProgram();
  EXPECT_NO_THROW(CheckProgramArch(p, DefaultArchConfig(), "p"));
  ArchConfig small = DefaultArchConfig();
  small.name = "4x4";
  small.rows = 4;
  small.cols = 4;
  EXPECT_ERROR(CheckProgramArch(p, small, "prog"),
               "program 'prog' was built for architecture 'default' (hash " +
                   DefaultArchConfig().HashHex() + "), not for '4x4' (hash " + small.HashHex() +
                   ")");
  ArchConfig timing_only = DefaultArchConfig();
  timing_only.name = "slow-dram";
  timing_only.dram_latency_cycles = 500;
  EXPECT_NO_THROW(CheckProgramArch(p, timing_only, "p"));
}

// ---- Host ↔ DRAM
// ---------------------------------------------------------------------------------

TEST(DramTensors, NchwIsStoredAsNhwc) {
  const ManifestTensor where{"x", 5, {2, 3, 2, 4}, golden::DType::kUInt8, {0, 2, 3, 1}, {}};
  std::vector<std::uint8_t> values(48);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::uint8_t>(i + 1);
  const golden::Tensor x = golden::Tensor::FromVector<std::uint8_t>({2, 3, 2, 4}, values);
  std::vector<std::uint8_t> dram(60, 0xee);
  WriteTensorToDram(where, x, dram);
  for (int n = 0; n < 2; ++n) {
    for (int c = 0; c < 3; ++c) {
      for (int h = 0; h < 2; ++h) {
        for (int w = 0; w < 4; ++w) {
          const std::size_t nhwc = static_cast<std::size_t>(((n * 2 + h) * 4 + w) * 3 + c);
          const std::size_t nchw = static_cast<std::size_t>(((n * 3 + c) * 2 + h) * 4 + w);
          EXPECT_EQ(dram[5 + nhwc], values[nchw]) << n << c << h << w;
        }
      }
    }
  }
  EXPECT_EQ(dram[4], 0xee);
  EXPECT_EQ(dram[53], 0xee);
  EXPECT_EQ(ReadTensorFromDram(where, dram), x);
}

TEST(DramTensors, Int32IsLittleEndianAndEveryPermutationRoundTrips) {
  const ManifestTensor flat{"a", 2, {2}, golden::DType::kInt32, {}, {}};
  std::vector<std::uint8_t> dram(12, 0);
  WriteTensorToDram(flat, golden::Tensor::FromVector<std::int32_t>({2}, {-2, 0x01020304}), dram);
  EXPECT_EQ(std::vector<std::uint8_t>(dram.begin() + 2, dram.begin() + 10),
            (std::vector<std::uint8_t>{0xfe, 0xff, 0xff, 0xff, 4, 3, 2, 1}));
  std::vector<int> perm = {0, 1, 2};
  std::vector<std::int32_t> values(24);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<std::int32_t>(i * 1000003) - 7;
  const golden::Tensor t = golden::Tensor::FromVector<std::int32_t>({2, 3, 4}, values);
  do {
    const ManifestTensor where{"t", 0, {2, 3, 4}, golden::DType::kInt32, perm, {}};
    std::vector<std::uint8_t> mem(96, 0);
    WriteTensorToDram(where, t, mem);
    EXPECT_EQ(ReadTensorFromDram(where, mem), t);
    // Element (i0, i1, i2) sits at the C-order index of (i[perm[0]], i[perm[1]], i[perm[2]]).
    const int dims[3] = {2, 3, 4};
    const int i[3] = {1, 2, 3};
    const int d0 = i[perm[0]], d1 = i[perm[1]], d2 = i[perm[2]];
    const std::size_t at = static_cast<std::size_t>((d0 * dims[perm[1]] + d1) * dims[perm[2]] + d2);
    std::int32_t stored = 0;
    std::memcpy(&stored, mem.data() + 4 * at, 4);
    EXPECT_EQ(stored, values[23]);
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(DramTensors, RefusesMismatchesAndOutOfBounds) {
  const ManifestTensor where{"x", 8, {1, 4}, golden::DType::kInt8, {}, {}};
  std::vector<std::uint8_t> dram(16, 0);
  EXPECT_ERROR(WriteTensorToDram(where, golden::Tensor(golden::DType::kUInt8, {1, 4}), dram),
               "tensor 'x': expects int8[1,4], got uint8[1,4]");
  EXPECT_ERROR(WriteTensorToDram(where, golden::Tensor(golden::DType::kInt8, {4}), dram),
               "expects int8[1,4], got int8[4]");
  std::vector<std::uint8_t> small(11, 0);
  EXPECT_ERROR(WriteTensorToDram(where, golden::Tensor(golden::DType::kInt8, {1, 4}), small),
               "DRAM bytes [0x8, 0xc) are outside the program's DRAM of 11 bytes");
  EXPECT_ERROR(ReadTensorFromDram(where, small), "outside the program's DRAM of 11 bytes");
  const ManifestTensor bad_perm{"p", 0, {1, 4}, golden::DType::kInt8, {1}, {}};
  EXPECT_ERROR(ReadTensorFromDram(bad_perm, dram), "is not a permutation");
}

}  // namespace
}  // namespace qsa::isa

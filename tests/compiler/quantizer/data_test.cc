// Calibration data (compiler/quantize_data.h): .npz archives (stored, deflated, with ZIP64 size
// fields as numpy writes them) built here byte by byte, folders of .npy batches, and the cutting
// of the data into model-sized runs, including the one-line refusals.
#include "compiler/quantizer/data.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/golden/npy.h"

namespace qsa::quantizer {
namespace {

namespace fs = std::filesystem;
using golden::DType;
using golden::Tensor;

void Put(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}

struct ZipFile {
  std::string name;
  std::string data;  // uncompressed
};

// A ZIP archive: `compress` deflates each entry; `zip64` writes the central directory's sizes
// as 0xffffffff with the real values in a ZIP64 extra field.
std::string MakeZip(const std::vector<ZipFile>& files, bool compress, bool zip64) {
  std::string out;
  std::string central;
  for (const ZipFile& f : files) {
    std::string payload = f.data;
    if (compress) {
      z_stream z{};
      deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      payload.assign(deflateBound(&z, static_cast<uLong>(f.data.size())), '\0');
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(f.data.data()));
      z.avail_in = static_cast<uInt>(f.data.size());
      z.next_out = reinterpret_cast<Bytef*>(payload.data());
      z.avail_out = static_cast<uInt>(payload.size());
      deflate(&z, Z_FINISH);
      payload.resize(z.total_out);
      deflateEnd(&z);
    }
    const uLong crc =
        crc32(0L, reinterpret_cast<const Bytef*>(f.data.data()), static_cast<uInt>(f.data.size()));
    const std::uint64_t offset = out.size();
    const std::uint16_t method = compress ? 8 : 0;
    Put(out, 0x04034b50, 4);
    Put(out, 20, 2);
    Put(out, 0, 2);
    Put(out, method, 2);
    Put(out, 0, 4);  // time, date
    Put(out, crc, 4);
    Put(out, payload.size(), 4);
    Put(out, f.data.size(), 4);
    Put(out, f.name.size(), 2);
    Put(out, 0, 2);
    out += f.name + payload;

    std::string extra;
    if (zip64) {
      Put(extra, 0x0001, 2);
      Put(extra, 24, 2);
      Put(extra, f.data.size(), 8);
      Put(extra, payload.size(), 8);
      Put(extra, offset, 8);
    }
    Put(central, 0x02014b50, 4);
    Put(central, 45, 2);
    Put(central, 45, 2);
    Put(central, 0, 2);
    Put(central, method, 2);
    Put(central, 0, 4);
    Put(central, crc, 4);
    Put(central, zip64 ? 0xffffffff : payload.size(), 4);
    Put(central, zip64 ? 0xffffffff : f.data.size(), 4);
    Put(central, f.name.size(), 2);
    Put(central, extra.size(), 2);
    Put(central, 0, 2);  // comment
    Put(central, 0, 2);  // disk
    Put(central, 0, 2);  // internal attributes
    Put(central, 0, 4);  // external attributes
    Put(central, zip64 ? 0xffffffff : offset, 4);
    central += f.name + extra;
  }
  const std::uint64_t cd_offset = out.size();
  out += central;
  Put(out, 0x06054b50, 4);
  Put(out, 0, 4);
  Put(out, files.size(), 2);
  Put(out, files.size(), 2);
  Put(out, central.size(), 4);
  Put(out, cd_offset, 4);
  Put(out, 0, 2);
  return out;
}

class CalibrationDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "qsa_quantize_data_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The bytes of `t` as a .npy file.
  std::string NpyBytes(const golden::Tensor& t) {
    const fs::path p = dir_ / "tmp.npy";
    golden::WriteNpy(p.string(), t);
    std::ifstream in(p, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(p);
    return bytes;
  }
  std::string WriteFile(const std::string& name, const std::string& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

  fs::path dir_;
};

golden::Tensor Ramp(golden::Shape shape, float start = 0.0f) {
  std::vector<float> v(static_cast<std::size_t>(golden::NumElements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
  return golden::Tensor::FromVector(shape, v);
}

TEST_F(CalibrationDataTest, ReadsNpzStoredDeflatedAndZip64) {
  const golden::Tensor x = Ramp({3, 1, 2, 2});
  const golden::Tensor y = golden::Tensor::FromVector<std::int32_t>({3, 2}, {1, 2, 3, 4, 5, 6});
  for (bool deflate : {false, true}) {
    for (bool zip64 : {false, true}) {
      const std::string path = WriteFile(
          "c.npz", MakeZip({{"x.npy", NpyBytes(x)}, {"y.npy", NpyBytes(y)}}, deflate, zip64));
      const CalibrationData data = ReadCalibrationData(path);
      ASSERT_EQ(data.arrays.size(), 2u);
      EXPECT_EQ(data.arrays[0].key, "x");
      EXPECT_EQ(data.arrays[0].origin, path + ":x.npy");
      EXPECT_TRUE(data.arrays[0].value == x);
      EXPECT_EQ(data.arrays[1].key, "y");
      EXPECT_TRUE(data.arrays[1].value == y);
    }
  }
}

TEST_F(CalibrationDataTest, RefusesBrokenArchives) {
  const std::string good = MakeZip({{"x.npy", NpyBytes(Ramp({2, 2}))}}, false, false);
  // Not a ZIP at all, truncated, a corrupted entry (CRC), and an entry that is not .npy data.
  EXPECT_THROW(ReadCalibrationData(WriteFile("a.npz", "hello")), Error);
  EXPECT_THROW(ReadCalibrationData(WriteFile("b.npz", good.substr(0, good.size() - 30))), Error);
  std::string corrupt = good;
  corrupt[40] ^= 0x01;  // inside the .npy bytes of the stored entry
  try {
    ReadCalibrationData(WriteFile("c.npz", corrupt));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CRC"), std::string::npos) << e.what();
  }
  try {
    ReadCalibrationData(WriteFile("d.npz", MakeZip({{"x.npy", "not npy"}}, false, false)));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("d.npz:x.npy"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ReadCalibrationData((dir_ / "missing.npz").string()), Error);
}

TEST_F(CalibrationDataTest, ReadsFoldersInNameOrder) {
  fs::create_directory(dir_ / "batches");
  golden::WriteNpy((dir_ / "batches" / "b1.npy").string(), Ramp({1, 2}, 10.0f));
  golden::WriteNpy((dir_ / "batches" / "b0.npy").string(), Ramp({2, 2}));
  WriteFile("batches/notes.txt", "ignored");
  const CalibrationData data = ReadCalibrationData((dir_ / "batches").string());
  ASSERT_EQ(data.arrays.size(), 2u);
  EXPECT_EQ(data.arrays[0].key, "b0");
  EXPECT_EQ(data.arrays[1].key, "b1");
  fs::create_directory(dir_ / "empty");
  EXPECT_THROW(ReadCalibrationData((dir_ / "empty").string()), Error);
}

TEST(MakeRunsTest, CutsBatchesAcrossArrays) {
  CalibrationData data{"d",
                       {{"b0", "d/b0.npy", Ramp({2, 3})}, {"b1", "d/b1.npy", Ramp({1, 3}, 6.0f)}}};
  const std::vector<ModelInput> inputs = {{"x", golden::DType::kFloat32, {1, 3}}};
  const auto runs = MakeRuns(data, inputs, 1);
  ASSERT_EQ(runs.size(), 3u);
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_TRUE(runs[r].at("x") == Ramp({1, 3}, 3.0f * static_cast<float>(r)));
  }
  // At most two samples.
  EXPECT_EQ(MakeRuns(data, inputs, 1, 2).size(), 2u);
  // Batch 3 (a model with fixed batch): one run holding the three samples in order.
  const auto three = MakeRuns(data, {{"x", golden::DType::kFloat32, {3, 3}}}, 3);
  ASSERT_EQ(three.size(), 1u);
  EXPECT_TRUE(three[0].at("x") == Ramp({3, 3}));
  // Batch 2 does not divide 3 samples.
  EXPECT_THROW(MakeRuns(data, {{"x", golden::DType::kFloat32, {2, 3}}}, 2), Error);
}

TEST(MakeRunsTest, MatchesArraysToInputsByName) {
  CalibrationData data{"c.npz",
                       {{"b", "c.npz:b.npy", Ramp({2, 1})},
                        {"a.0", "c.npz:a.0.npy", Ramp({1, 2})},
                        {"a.1", "c.npz:a.1.npy", Ramp({1, 2}, 2.0f)}}};
  const std::vector<ModelInput> inputs = {{"a", golden::DType::kFloat32, {1, 2}},
                                          {"b", golden::DType::kFloat32, {-1, 1}}};
  const auto runs = MakeRuns(data, inputs, 1);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_TRUE(runs[1].at("a") == Ramp({1, 2}, 2.0f));
  EXPECT_TRUE(runs[1].at("b") == Ramp({1, 1}, 1.0f));
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(MakeRunsTest, OneLineRefusals) {
  const std::vector<ModelInput> one = {{"input", golden::DType::kFloat32, {1, 1, 8, 8}}};
  // Wrong trailing shape.
  CalibrationData shape{"c.npz", {{"input", "c.npz:input.npy", Ramp({5, 1, 8, 9})}}};
  EXPECT_EQ(ErrorOf([&] { MakeRuns(shape, one, 1); }),
            "calibration array 'c.npz:input.npy' is float32[5,1,8,9] but model input 'input' "
            "takes float32[N,1,8,8]");
  // Wrong dtype.
  CalibrationData dtype{
      "c.npz", {{"input", "c.npz:input.npy", golden::Tensor(golden::DType::kUInt8, {5, 1, 8, 8})}}};
  EXPECT_EQ(ErrorOf([&] { MakeRuns(dtype, one, 1); }),
            "calibration array 'c.npz:input.npy' is uint8[5,1,8,8] but model input 'input' "
            "takes float32[N,1,8,8]");
  // Several inputs: an array named after none of them; an input without data; unequal counts.
  const std::vector<ModelInput> two = {{"a", golden::DType::kFloat32, {1, 2}},
                                       {"b", golden::DType::kFloat32, {1, 2}}};
  CalibrationData stray{"c.npz",
                        {{"a", "c.npz:a.npy", Ramp({1, 2})}, {"z", "c.npz:z.npy", Ramp({1, 2})}}};
  EXPECT_EQ(ErrorOf([&] { MakeRuns(stray, two, 1); }),
            "calibration array 'c.npz:z.npy' feeds no model input (name it after one of: a, b)");
  CalibrationData missing{"c.npz", {{"a", "c.npz:a.npy", Ramp({1, 2})}}};
  EXPECT_EQ(ErrorOf([&] { MakeRuns(missing, two, 1); }),
            "calibration data 'c.npz' has no array for model input 'b'");
  CalibrationData uneven{"c.npz",
                         {{"a", "c.npz:a.npy", Ramp({1, 2})}, {"b", "c.npz:b.npy", Ramp({2, 2})}}};
  EXPECT_NE(ErrorOf([&] { MakeRuns(uneven, two, 1); }).find("2 samples for input 'b'"),
            std::string::npos);
  // A model with one input takes arrays of any name when none is named after it.
  CalibrationData any{"c.npz", {{"images", "c.npz:images.npy", Ramp({2, 1, 8, 8})}}};
  EXPECT_EQ(MakeRuns(any, one, 1).size(), 2u);
}

}  // namespace
}  // namespace qsa::quantizer

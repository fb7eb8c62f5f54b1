#include "model/golden/npy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "model/base/error.h"

namespace qsa::golden {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "qsa_npy_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  void WriteBytes(const std::string& name, const std::string& bytes) const {
    std::ofstream out(Path(name), std::ios::binary);
    out << bytes;
  }
  std::string ReadBytes(const std::string& name) const {
    std::ifstream in(Path(name), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Files in the folder, to check that no temporary file is left behind.
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  // Expects ReadNpy(name) to throw a message naming the file and containing `words`.
  void ExpectRefused(const std::string& name, const std::vector<std::string>& words) const {
    try {
      ReadNpy(Path(name));
      FAIL() << name << " was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(Path(name)), std::string::npos) << what;
      for (const std::string& w : words) EXPECT_NE(what.find(w), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }

  fs::path dir_;
};

std::uint32_t Seed() {
  const char* env = std::getenv("QSA_TEST_SEED");
  const std::uint32_t seed = env != nullptr ? static_cast<std::uint32_t>(std::stoul(env)) : 1234u;
  std::cout << "QSA_TEST_SEED=" << seed << "\n";
  ::testing::Test::RecordProperty("seed", static_cast<int>(seed));
  return seed;
}

// An .npy file built byte by byte: magic, version, header length of the version's width, header.
std::string NpyBytes(int major, const std::string& header, const std::string& data) {
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major);
  bytes += static_cast<char>(0);
  const std::size_t width = major == 1 ? 2 : 4;
  for (std::size_t i = 0; i < width; ++i) {
    bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  }
  return bytes + header + data;
}

Tensor RandomTensor(DType dtype, const Shape& shape, std::mt19937& rng) {
  Tensor t(dtype, shape);
  for (std::int64_t i = 0; i < t.size(); ++i) {
    if (dtype == DType::kFloat32) {
      t.Data<float>()[static_cast<std::size_t>(i)] =
          std::uniform_real_distribution<float>(-1e6f, 1e6f)(rng);
    } else {
      std::uniform_int_distribution<std::int64_t> dist(DTypeMin(dtype), DTypeMax(dtype));
      t.SetInt(i, dist(rng));
    }
  }
  return t;
}

TEST_F(NpyTest, RoundTripsEveryDtypeAndShape) {
  std::mt19937 rng(Seed());
  const std::vector<Shape> shapes = {{},     {0},          {1},       {7},
                                     {2, 3}, {1, 1, 8, 8}, {2, 0, 3}, {3, 1, 2, 2, 2}};
  for (DType dtype : {DType::kUInt8, DType::kInt8, DType::kInt32, DType::kFloat32}) {
    for (const Shape& shape : shapes) {
      const Tensor t = RandomTensor(dtype, shape, rng);
      const std::string name = std::string(DTypeName(dtype)) + ShapeToString(shape) + ".npy";
      WriteNpy(Path(name), t);
      const Tensor back = ReadNpy(Path(name));
      EXPECT_EQ(back.dtype(), dtype) << name;
      EXPECT_EQ(back.shape(), shape) << name;
      EXPECT_TRUE(back == t) << name;
    }
  }
  // Only the files themselves, no temporaries.
  EXPECT_EQ(Files().size(), 4 * shapes.size());
}

TEST_F(NpyTest, RoundTripsExtremeValues) {
  const Tensor ints = Tensor::FromVector<std::int32_t>(
      {4},
      {std::numeric_limits<std::int32_t>::min(), -1, 0, std::numeric_limits<std::int32_t>::max()});
  const Tensor floats = Tensor::FromVector<float>(
      {5}, {-0.0f, 1e-45f, std::numeric_limits<float>::infinity(),
            std::numeric_limits<float>::max(), std::numeric_limits<float>::quiet_NaN()});
  WriteNpy(Path("i.npy"), ints);
  WriteNpy(Path("f.npy"), floats);
  EXPECT_TRUE(ReadNpy(Path("i.npy")) == ints);
  EXPECT_TRUE(ReadNpy(Path("f.npy")) == floats);  // bit-for-bit, NaN included
}

TEST_F(NpyTest, WritesVersion1HeaderAlignedTo64Bytes) {
  WriteNpy(Path("a.npy"), Tensor::FromVector<std::int32_t>({2, 3}, {1, 2, 3, 4, 5, 6}));
  const std::string bytes = ReadBytes("a.npy");
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(bytes[6], 1);
  EXPECT_EQ(bytes[7], 0);
  const std::size_t header_len =
      static_cast<unsigned char>(bytes[8]) |
      (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_EQ(bytes.size(), 10 + header_len + 6 * 4);
  const std::string header = bytes.substr(10, header_len);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(header.rfind("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", 0), 0u)
      << header;
  // Little-endian data right after the header.
  EXPECT_EQ(bytes.substr(10 + header_len, 8), std::string("\x01\0\0\0\x02\0\0\0", 8));
}

TEST_F(NpyTest, WritesScalarAndOneTupleShapes) {
  WriteNpy(Path("s.npy"), Tensor::FromVector<std::uint8_t>({}, {7}));
  WriteNpy(Path("v.npy"), Tensor::FromVector<std::int8_t>({3}, {-1, 0, 1}));
  EXPECT_NE(ReadBytes("s.npy").find("'descr': '|u1', 'fortran_order': False, 'shape': (), }"),
            std::string::npos);
  EXPECT_NE(ReadBytes("v.npy").find("'descr': '|i1', 'fortran_order': False, 'shape': (3,), }"),
            std::string::npos);
  EXPECT_EQ(ReadNpy(Path("s.npy")).GetInt(0), 7);
}

TEST_F(NpyTest, ReadsHandMadeVersion1To3Headers) {
  const std::string data("\x01\x02\x03\x04\x05\x06", 6);
  // Version 1.0, NumPy's own layout.
  WriteBytes("v1.npy",
             NpyBytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }\n", data));
  // Version 2.0, double quotes, no trailing comma, other key order, extra spaces.
  WriteBytes(
      "v2.npy",
      NpyBytes(2, "{ \"shape\" : (6,) , \"descr\":\"i1\", \"fortran_order\":False}  \n", data));
  // Version 3.0 (UTF-8 header), int32, Python 2 style long dimension.
  WriteBytes("v3.npy",
             NpyBytes(3, "{'descr': '<i4', 'fortran_order': False, 'shape': (1L, 1L), }\n",
                      std::string("\xff\xff\xff\xff", 4)));
  const Tensor v1 = ReadNpy(Path("v1.npy"));
  EXPECT_EQ(v1.dtype(), DType::kUInt8);
  EXPECT_EQ(v1.shape(), (Shape{2, 3}));
  EXPECT_EQ(v1.GetInt(5), 6);
  const Tensor v2 = ReadNpy(Path("v2.npy"));
  EXPECT_EQ(v2.dtype(), DType::kInt8);
  EXPECT_EQ(v2.shape(), (Shape{6}));
  EXPECT_EQ(v2.GetInt(0), 1);
  const Tensor v3 = ReadNpy(Path("v3.npy"));
  EXPECT_EQ(v3.dtype(), DType::kInt32);
  EXPECT_EQ(v3.shape(), (Shape{1, 1}));
  EXPECT_EQ(v3.GetInt(0), -1);
  // Scalar and float32.
  WriteBytes("f.npy", NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ()}\n",
                               std::string("\x00\x00\xc0\x3f", 4)));
  const Tensor f = ReadNpy(Path("f.npy"));
  EXPECT_EQ(f.shape(), Shape{});
  EXPECT_EQ(f.GetDouble(0), 1.5);
}

TEST_F(NpyTest, ReadsAFileNumPyWrote) {
  // examples/cnn3/input.npy comes from numpy.save (scripts/make_cnn3_example.py).
  const Tensor t = ReadNpy(QSA_SOURCE_DIR "/examples/cnn3/input.npy");
  EXPECT_EQ(t.dtype(), DType::kUInt8);
  EXPECT_EQ(t.shape(), (Shape{1, 1, 8, 8}));
  // Row 1 is the top bar of the '7': real 0.9 at scale 1/128, zero point 128 → 243.
  EXPECT_EQ(t.GetInt(8 + 1), 243);
  EXPECT_EQ(t.GetInt(0), 13);  // real −0.9 → 13
}

TEST_F(NpyTest, RefusesBadFilesNamingFileAndProblem) {
  const std::string ok_header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n";
  const std::string eight(8, '\0');
  WriteBytes("magic.npy", "PK\x03\x04 not numpy at all");
  ExpectRefused("magic.npy", {"bad magic"});
  WriteBytes("short.npy", "\x93NUMPY\x01");
  ExpectRefused("short.npy", {"bad magic"});
  WriteBytes("trunc1.npy", NpyBytes(1, ok_header, eight).substr(0, 30));
  ExpectRefused("trunc1.npy", {"truncated header"});
  WriteBytes("trunc2.npy", NpyBytes(2, ok_header, "").substr(0, 11));
  ExpectRefused("trunc2.npy", {"truncated header"});
  WriteBytes("version.npy", NpyBytes(4, ok_header, eight));
  ExpectRefused("version.npy", {"version 4.0"});
  WriteBytes("garbage.npy", NpyBytes(1, "descr = i4\n", eight));
  ExpectRefused("garbage.npy", {"bad header dict"});
  WriteBytes("nokey.npy", NpyBytes(1, "{'descr': '<i4', 'shape': (2,)}\n", eight));
  ExpectRefused("nokey.npy", {"bad header dict", "fortran_order"});
  WriteBytes(
      "extra.npy",
      NpyBytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", eight));
  ExpectRefused("extra.npy", {"bad header dict"});
  WriteBytes("shape.npy",
             NpyBytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': 2}\n", eight));
  ExpectRefused("shape.npy", {"bad header dict"});
  WriteBytes("f8.npy",
             NpyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}\n", eight));
  ExpectRefused("f8.npy", {"unsupported dtype", "'<f8'", "float64"});
  WriteBytes("i8.npy",
             NpyBytes(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,)}\n", eight));
  ExpectRefused("i8.npy", {"unsupported dtype", "'<i8'", "int64"});
  WriteBytes("be.npy",
             NpyBytes(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (2,)}\n", eight));
  ExpectRefused("be.npy", {"unsupported dtype", "big-endian int32"});
  WriteBytes("bool.npy",
             NpyBytes(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (8,)}\n", eight));
  ExpectRefused("bool.npy", {"unsupported dtype", "bool"});
  WriteBytes("fortran.npy",
             NpyBytes(1, "{'descr': '<i4', 'fortran_order': True, 'shape': (2,)}\n", eight));
  ExpectRefused("fortran.npy", {"Fortran"});
  WriteBytes("less.npy", NpyBytes(1, ok_header, eight.substr(0, 7)));
  ExpectRefused("less.npy", {"shorter", "8 bytes needed, 7 present"});
  WriteBytes("more.npy", NpyBytes(1, ok_header, eight + "x"));
  ExpectRefused("more.npy", {"longer", "8 bytes needed, 9 present"});
  WriteBytes(
      "huge.npy",
      NpyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000)}\n",
               eight));
  ExpectRefused("huge.npy", {"shorter"});
  ExpectRefused("missing.npy", {"cannot open", "No such file or directory"});
  fs::create_directory(dir_ / "folder.npy");
  ExpectRefused("folder.npy", {"it is a folder, not a regular file"});
}

TEST_F(NpyTest, WriteReplacesAnExistingFile) {
  WriteNpy(Path("a.npy"), Tensor::FromVector<float>({3}, {1, 2, 3}));
  WriteNpy(Path("a.npy"), Tensor::FromVector<std::uint8_t>({2}, {9, 8}));
  const Tensor t = ReadNpy(Path("a.npy"));
  EXPECT_EQ(t.dtype(), DType::kUInt8);
  EXPECT_EQ(t.GetInt(1), 8);
  EXPECT_EQ(Files(), std::vector<std::string>{"a.npy"});
}

TEST_F(NpyTest, WrittenFileHasTheUmaskPermissions) {
  WriteNpy(Path("a.npy"), Tensor::FromVector<float>({1}, {1}));
  const mode_t mask = ::umask(0);
  ::umask(mask);
  struct stat st {};
  ASSERT_EQ(::stat(Path("a.npy").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST_F(NpyTest, WriteFailuresNameThePathAndLeaveNothing) {
  WriteBytes("plain", "a regular file");
  const Tensor t = Tensor::FromVector<float>({1}, {1});
  const std::string under_file = Path("plain") + "/out.npy";
  try {
    WriteNpy(under_file, t);
    FAIL() << "wrote under a regular file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(under_file), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Not a directory"), std::string::npos) << e.what();
  }
  const std::string missing_dir = Path("nowhere") + "/out.npy";
  try {
    WriteNpy(missing_dir, t);
    FAIL() << "wrote into a missing folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing_dir), std::string::npos) << e.what();
  }
  // Renaming over a folder fails after the data is written: the temporary must go.
  fs::create_directory(dir_ / "taken.npy");
  fs::create_directory(dir_ / "taken.npy" / "child");
  EXPECT_THROW(WriteNpy(Path("taken.npy"), t), Error);
  EXPECT_EQ(Files(), (std::vector<std::string>{"plain", "taken.npy"}));
  if (::geteuid() != 0) {  // root ignores permission bits
    fs::create_directory(dir_ / "ro");
    fs::permissions(dir_ / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_THROW(WriteNpy(Path("ro/a.npy"), t), Error);
    fs::permissions(dir_ / "ro", fs::perms::owner_all);
  }
}

}  // namespace
}  // namespace qsa::golden

namespace qsa::golden {
namespace {

// Issue #19: devices, FIFOs and links to them are refused without reading (no unbounded read).
TEST_F(NpyTest, RefusesDevicesFifosAndLinksToThemWithoutReading) {
  EXPECT_THROW(
      {
        try {
          ReadNpy("/dev/zero");
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(),
                       "cannot read '/dev/zero': it is a character device, not a regular file");
          throw;
        }
      },
      Error);
  fs::create_symlink("/dev/zero", dir_ / "zero.npy");
  ExpectRefused("zero.npy", {"it is a character device, not a regular file"});
  ASSERT_EQ(::mkfifo(Path("fifo.npy").c_str(), 0600), 0);
  ExpectRefused("fifo.npy", {"it is a FIFO, not a regular file"});
}

// Issue #19: several files are written all or nothing; a path that cannot be written (in /proc,
// or naming a folder) leaves neither the other files nor a temporary behind.
TEST_F(NpyTest, WriteFilesAtomicallyWritesAllOrNothing) {
  fs::create_directory(dir_ / "folder");
  for (const std::string& bad : {std::string("/proc/qsa-report.json"), Path("folder")}) {
    EXPECT_THROW(WriteFilesAtomically({{Path("a.txt"), "a"}, {bad, "b"}}), Error) << bad;
    EXPECT_EQ(Files(), std::vector<std::string>{"folder"}) << bad;
  }
  WriteFilesAtomically({{Path("a.txt"), "a"}, {Path("b.txt"), "bb"}});
  EXPECT_EQ(Files(), (std::vector<std::string>{"a.txt", "b.txt", "folder"}));
  EXPECT_EQ(ReadBytes("b.txt"), "bb");
}

}  // namespace
}  // namespace qsa::golden

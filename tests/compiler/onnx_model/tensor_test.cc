// onnx.TensorProto → golden::Tensor: raw_data and the typed fields, element types, sizes, and the
// refused cases; serialized TensorProto files.
#include "compiler/onnx_model/tensor.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/golden/tensor.h"

namespace qsa::onnx_model {
namespace {

using golden::DType;
using golden::Shape;
using golden::Tensor;

onnx::TensorProto Proto(const std::string& name, int type, const std::vector<std::int64_t>& dims) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(type);
  for (std::int64_t d : dims) p.add_dims(d);
  return p;
}

template <typename T>
std::string RawBytes(const std::vector<T>& v) {
  std::string s(v.size() * sizeof(T), '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}

std::string MessageOf(const onnx::TensorProto& p) {
  try {
    TensorFromProto(p);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(OnnxTensorTest, FloatFromTypedFieldAndRawData) {
  onnx::TensorProto typed = Proto("w", onnx::TensorProto::FLOAT, {2, 2});
  for (float v : {1.5f, -2.0f, 0.25f, 3.0f}) typed.add_float_data(v);
  const golden::Tensor t = TensorFromProto(typed);
  EXPECT_EQ(t, golden::Tensor::FromVector<float>({2, 2}, {1.5f, -2.0f, 0.25f, 3.0f}));

  onnx::TensorProto raw = Proto("w", onnx::TensorProto::FLOAT, {4});
  raw.set_raw_data(RawBytes<float>({1.5f, -2.0f, 0.25f, 3.0f}));
  EXPECT_EQ(TensorFromProto(raw),
            golden::Tensor::FromVector<float>({4}, {1.5f, -2.0f, 0.25f, 3.0f}));
}

TEST(OnnxTensorTest, EightBitTypesAreKeptInInt32Data) {
  onnx::TensorProto u8 = Proto("z", onnx::TensorProto::UINT8, {3});
  for (int v : {0, 128, 255}) u8.add_int32_data(v);
  EXPECT_EQ(TensorFromProto(u8), golden::Tensor::FromVector<std::uint8_t>({3}, {0, 128, 255}));

  onnx::TensorProto i8 = Proto("z", onnx::TensorProto::INT8, {3});
  for (int v : {-128, -1, 127}) i8.add_int32_data(v);
  EXPECT_EQ(TensorFromProto(i8), golden::Tensor::FromVector<std::int8_t>({3}, {-128, -1, 127}));

  onnx::TensorProto i8_raw = Proto("z", onnx::TensorProto::INT8, {2});
  i8_raw.set_raw_data(RawBytes<std::int8_t>({-5, 7}));
  EXPECT_EQ(TensorFromProto(i8_raw), golden::Tensor::FromVector<std::int8_t>({2}, {-5, 7}));

  onnx::TensorProto i32 = Proto("b", onnx::TensorProto::INT32, {2});
  i32.set_raw_data(RawBytes<std::int32_t>({-100000, 7}));
  EXPECT_EQ(TensorFromProto(i32), golden::Tensor::FromVector<std::int32_t>({2}, {-100000, 7}));
}

TEST(OnnxTensorTest, ScalarsAndEmptyTensors) {
  onnx::TensorProto scalar = Proto("s", onnx::TensorProto::FLOAT, {});
  scalar.add_float_data(0.5f);
  const golden::Tensor s = TensorFromProto(scalar);
  EXPECT_EQ(s.shape(), golden::Shape{});
  EXPECT_EQ(s.Data<float>()[0], 0.5f);

  const golden::Tensor empty = TensorFromProto(Proto("e", onnx::TensorProto::UINT8, {0, 3}));
  EXPECT_EQ(empty.shape(), (golden::Shape{0, 3}));
  EXPECT_EQ(empty.size(), 0);
}

TEST(OnnxTensorTest, RefusesInconsistentSizesAndValues) {
  onnx::TensorProto few = Proto("w", onnx::TensorProto::FLOAT, {2, 2});
  few.add_float_data(1.0f);
  EXPECT_EQ(MessageOf(few), "tensor 'w' of shape [2,2] has 1 values in float_data, expected 4");

  onnx::TensorProto raw = Proto("w", onnx::TensorProto::INT32, {3});
  raw.set_raw_data(RawBytes<std::int32_t>({1, 2}));
  EXPECT_EQ(MessageOf(raw), "tensor 'w' of shape [3] has 8 bytes of raw_data, expected 12");

  onnx::TensorProto out_of_range = Proto("z", onnx::TensorProto::UINT8, {1});
  out_of_range.add_int32_data(256);
  EXPECT_EQ(MessageOf(out_of_range), "tensor 'z' holds 256, outside UINT8");

  onnx::TensorProto negative = Proto("n", onnx::TensorProto::FLOAT, {-1});
  EXPECT_NE(MessageOf(negative).find("negative dimension"), std::string::npos);
}

TEST(OnnxTensorTest, RefusesOtherElementTypesAndExternalData) {
  onnx::TensorProto i64 = Proto("shape", onnx::TensorProto::INT64, {1});
  i64.add_int64_data(4);
  EXPECT_EQ(MessageOf(i64),
            "tensor 'shape' has element type INT64; only UINT8, INT8, INT32 and FLOAT are "
            "supported");
  EXPECT_NE(MessageOf(Proto("", onnx::TensorProto::FLOAT16, {1})).find("unnamed tensor"),
            std::string::npos);

  onnx::TensorProto external = Proto("big", onnx::TensorProto::FLOAT, {1});
  external.set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_NE(MessageOf(external).find("external file"), std::string::npos);
}

TEST(OnnxTensorTest, Int64sFromInt64AndInt32) {
  onnx::TensorProto typed = Proto("shape", onnx::TensorProto::INT64, {3});
  for (std::int64_t v : {2, -1, 0}) typed.add_int64_data(v);
  EXPECT_EQ(Int64sFromProto(typed), (std::vector<std::int64_t>{2, -1, 0}));

  onnx::TensorProto raw = Proto("shape", onnx::TensorProto::INT64, {2});
  raw.set_raw_data(RawBytes<std::int64_t>({std::int64_t{1} << 40, -3}));
  EXPECT_EQ(Int64sFromProto(raw), (std::vector<std::int64_t>{std::int64_t{1} << 40, -3}));

  onnx::TensorProto i32 = Proto("axes", onnx::TensorProto::INT32, {2});
  i32.add_int32_data(1);
  i32.add_int32_data(-2);
  EXPECT_EQ(Int64sFromProto(i32), (std::vector<std::int64_t>{1, -2}));

  EXPECT_THROW(Int64sFromProto(Proto("f", onnx::TensorProto::FLOAT, {0})), Error);
}

TEST(OnnxTensorTest, ReadsTensorProtoFiles) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/qsa_tensor_good.pb";
  onnx::TensorProto p = Proto("x", onnx::TensorProto::INT8, {2});
  p.set_raw_data(RawBytes<std::int8_t>({3, -4}));
  { std::ofstream(good, std::ios::binary) << p.SerializeAsString(); }
  EXPECT_EQ(TensorFromProto(ReadTensorProtoFile(good)),
            golden::Tensor::FromVector<std::int8_t>({2}, {3, -4}));

  const std::string bad = dir + "/qsa_tensor_bad.pb";
  { std::ofstream(bad, std::ios::binary) << std::string("\x0a\xff\xff\xff", 4); }
  try {
    ReadTensorProtoFile(bad);
    ADD_FAILURE() << "a malformed file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              bad + ": not a valid serialized onnx.TensorProto (malformed or truncated)");
  }
  const std::string empty = dir + "/qsa_tensor_empty.pb";
  { std::ofstream(empty, std::ios::binary | std::ios::trunc); }
  EXPECT_THROW(ReadTensorProtoFile(empty), Error);
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
  std::filesystem::remove(empty);
  try {
    ReadTensorProtoFile(empty);
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open '" + empty + "': No such file or directory");
  }
}

TEST(OnnxTensorTest, ReadsAConformanceVector) {
  const std::string path =
      std::string(QSA_ONNX_TESTDATA_DIR) + "/node/test_qlinearmatmul_2D/test_data_set_0/input_0.pb";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no libonnx-testdata at " << path;
  const golden::Tensor a = TensorFromProto(ReadTensorProtoFile(path));
  EXPECT_EQ(a.dtype(), golden::DType::kUInt8);
  EXPECT_EQ(a.shape(), (golden::Shape{2, 4}));
}

}  // namespace
}  // namespace qsa::onnx_model

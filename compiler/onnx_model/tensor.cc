#include "compiler/onnx_model/tensor.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/base/read_file.h"

namespace qsa::onnx_model {
namespace {

using golden::DType;
using golden::Shape;
using golden::Tensor;

std::string TensorName(const onnx::TensorProto& proto) {
  return proto.name().empty() ? std::string("unnamed tensor") : "tensor '" + proto.name() + "'";
}

std::string ElemTypeName(std::int32_t data_type) {
  if (onnx::TensorProto_DataType_IsValid(data_type)) {
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(data_type));
  }
  return "type " + std::to_string(data_type);
}

golden::Shape ProtoShape(const onnx::TensorProto& proto) {
  golden::Shape shape(proto.dims().begin(), proto.dims().end());
  for (std::int64_t d : shape) {
    if (d < 0) {
      throw Error(TensorName(proto) + " has a negative dimension in " +
                  golden::ShapeToString(shape));
    }
  }
  return shape;
}

std::size_t ElementCount(const onnx::TensorProto& proto, const golden::Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<std::int32_t>::max() / d) {
      throw Error(TensorName(proto) + " of shape " + golden::ShapeToString(shape) +
                  " is too large");
    }
    n *= d;
  }
  return static_cast<std::size_t>(n);
}

void CheckNotExternal(const onnx::TensorProto& proto) {
  if (proto.data_location() == onnx::TensorProto::EXTERNAL || proto.external_data_size() > 0) {
    throw Error(TensorName(proto) + " keeps its data in an external file, which is not supported");
  }
}

[[noreturn]] void CountMismatch(const onnx::TensorProto& proto, const golden::Shape& shape,
                                std::size_t have, const char* field) {
  throw Error(TensorName(proto) + " of shape " + golden::ShapeToString(shape) + " has " +
              std::to_string(have) + " values in " + field + ", expected " +
              std::to_string(golden::NumElements(shape)));
}

// Values of raw_data reinterpreted as `count` little-endian elements of type T.
template <typename T>
std::vector<T> FromRaw(const onnx::TensorProto& proto, const golden::Shape& shape,
                       std::size_t count) {
  const std::string& raw = proto.raw_data();
  if (raw.size() != count * sizeof(T)) {
    throw Error(TensorName(proto) + " of shape " + golden::ShapeToString(shape) + " has " +
                std::to_string(raw.size()) + " bytes of raw_data, expected " +
                std::to_string(count * sizeof(T)));
  }
  std::vector<T> values(count);
  if (count > 0) std::memcpy(values.data(), raw.data(), raw.size());
  return values;
}

// uint8 / int8 / int32 values kept in int32_data, range-checked.
template <typename T>
std::vector<T> FromInt32Data(const onnx::TensorProto& proto, const golden::Shape& shape,
                             std::size_t count) {
  if (static_cast<std::size_t>(proto.int32_data_size()) != count) {
    CountMismatch(proto, shape, static_cast<std::size_t>(proto.int32_data_size()), "int32_data");
  }
  std::vector<T> values;
  values.reserve(count);
  for (std::int32_t v : proto.int32_data()) {
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
      throw Error(TensorName(proto) + " holds " + std::to_string(v) + ", outside " +
                  ElemTypeName(proto.data_type()));
    }
    values.push_back(static_cast<T>(v));
  }
  return values;
}

template <typename T>
golden::Tensor IntegerTensor(const onnx::TensorProto& proto, const golden::Shape& shape,
                             std::size_t count) {
  if (proto.has_raw_data())
    return golden::Tensor::FromVector(shape, FromRaw<T>(proto, shape, count));
  return golden::Tensor::FromVector(shape, FromInt32Data<T>(proto, shape, count));
}

}  // namespace

std::optional<golden::DType> DTypeFromOnnx(std::int32_t elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::UINT8:
      return golden::DType::kUInt8;
    case onnx::TensorProto::INT8:
      return golden::DType::kInt8;
    case onnx::TensorProto::INT32:
      return golden::DType::kInt32;
    case onnx::TensorProto::FLOAT:
      return golden::DType::kFloat32;
    default:
      return std::nullopt;
  }
}

std::string OnnxTypeName(std::int32_t elem_type) {
  if (elem_type == onnx::TensorProto::UNDEFINED) return "an undefined element type";
  if (onnx::TensorProto_DataType_IsValid(elem_type)) {
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(elem_type));
  }
  return "element type " + std::to_string(elem_type);
}

std::int32_t OnnxElemType(golden::DType dtype) {
  switch (dtype) {
    case golden::DType::kUInt8:
      return onnx::TensorProto::UINT8;
    case golden::DType::kInt8:
      return onnx::TensorProto::INT8;
    case golden::DType::kInt32:
      return onnx::TensorProto::INT32;
    case golden::DType::kFloat32:
      return onnx::TensorProto::FLOAT;
  }
  return onnx::TensorProto::UNDEFINED;
}

golden::Tensor TensorFromProto(const onnx::TensorProto& proto) {
  CheckNotExternal(proto);
  const golden::Shape shape = ProtoShape(proto);
  const std::size_t count = ElementCount(proto, shape);
  switch (proto.data_type()) {
    case onnx::TensorProto::UINT8:
      return IntegerTensor<std::uint8_t>(proto, shape, count);
    case onnx::TensorProto::INT8:
      return IntegerTensor<std::int8_t>(proto, shape, count);
    case onnx::TensorProto::INT32:
      return IntegerTensor<std::int32_t>(proto, shape, count);
    case onnx::TensorProto::FLOAT: {
      if (proto.has_raw_data()) {
        return golden::Tensor::FromVector(shape, FromRaw<float>(proto, shape, count));
      }
      if (static_cast<std::size_t>(proto.float_data_size()) != count) {
        CountMismatch(proto, shape, static_cast<std::size_t>(proto.float_data_size()),
                      "float_data");
      }
      return golden::Tensor::FromVector(
          shape, std::vector<float>(proto.float_data().begin(), proto.float_data().end()));
    }
    default:
      break;
  }
  throw Error(TensorName(proto) + " has element type " + ElemTypeName(proto.data_type()) +
              "; only UINT8, INT8, INT32 and FLOAT are supported");
}

onnx::TensorProto TensorToProto(const std::string& name, const golden::Tensor& tensor) {
  onnx::TensorProto proto;
  proto.set_name(name);
  for (std::int64_t d : tensor.shape()) proto.add_dims(d);
  proto.set_data_type(OnnxElemType(tensor.dtype()));
  const std::span<const std::uint8_t> bytes = tensor.Bytes();
  proto.set_raw_data(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return proto;
}

std::vector<std::int64_t> Int64sFromProto(const onnx::TensorProto& proto) {
  CheckNotExternal(proto);
  const golden::Shape shape = ProtoShape(proto);
  const std::size_t count = ElementCount(proto, shape);
  if (proto.data_type() == onnx::TensorProto::INT64) {
    if (proto.has_raw_data()) return FromRaw<std::int64_t>(proto, shape, count);
    if (static_cast<std::size_t>(proto.int64_data_size()) != count) {
      CountMismatch(proto, shape, static_cast<std::size_t>(proto.int64_data_size()), "int64_data");
    }
    return std::vector<std::int64_t>(proto.int64_data().begin(), proto.int64_data().end());
  }
  if (proto.data_type() == onnx::TensorProto::INT32) {
    const std::vector<std::int32_t> values = proto.has_raw_data()
                                                 ? FromRaw<std::int32_t>(proto, shape, count)
                                                 : FromInt32Data<std::int32_t>(proto, shape, count);
    return std::vector<std::int64_t>(values.begin(), values.end());
  }
  throw Error(TensorName(proto) + " has element type " + ElemTypeName(proto.data_type()) +
              "; expected INT64 or INT32");
}

onnx::TensorProto ReadTensorProtoFile(const std::string& path) {
  const std::string data = base::ReadRegularFile(path);
  if (data.empty()) throw Error(path + ": file is empty, expected a serialized onnx.TensorProto");
  onnx::TensorProto proto;
  if (!proto.ParseFromString(data)) {
    throw Error(path + ": not a valid serialized onnx.TensorProto (malformed or truncated)");
  }
  return proto;
}

}  // namespace qsa::onnx_model

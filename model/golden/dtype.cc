#include "model/golden/dtype.h"

#include <limits>

#include "model/base/error.h"

namespace qsa::golden {

std::size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kUInt8:
    case DType::kInt8:
      return 1;
    case DType::kInt32:
    case DType::kFloat32:
      return 4;
  }
  return 0;
}

bool IsInteger(DType dtype) { return dtype != DType::kFloat32; }

bool IsQuantizedType(DType dtype) { return dtype == DType::kUInt8 || dtype == DType::kInt8; }

std::int64_t DTypeMin(DType dtype) {
  switch (dtype) {
    case DType::kUInt8:
      return 0;
    case DType::kInt8:
      return -128;
    case DType::kInt32:
      return std::numeric_limits<std::int32_t>::min();
    case DType::kFloat32:
      break;
  }
  throw Error("float32 has no integer range");
}

std::int64_t DTypeMax(DType dtype) {
  switch (dtype) {
    case DType::kUInt8:
      return 255;
    case DType::kInt8:
      return 127;
    case DType::kInt32:
      return std::numeric_limits<std::int32_t>::max();
    case DType::kFloat32:
      break;
  }
  throw Error("float32 has no integer range");
}

std::int64_t NumElements(const Shape& shape) {
  std::int64_t n = 1;
  bool too_many = false;
  for (std::int64_t d : shape) {
    if (d < 0) throw Error("negative dimension in shape " + ShapeToString(shape));
    if (d == 0) return 0;
    // n <= kMaxTensorElements here, so the comparison cannot overflow.
    if (d > kMaxTensorElements / n) too_many = true;
    if (!too_many) n *= d;
  }
  if (too_many || n > kMaxTensorElements) {
    throw Error("shape " + ShapeToString(shape) + " has more than " +
                std::to_string(kMaxTensorElements) + " elements (the limit)");
  }
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace qsa::golden

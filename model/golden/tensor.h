// A dense, C-ordered tensor value: element type, shape and data. Quantization parameters are not
// part of a value; they belong to the graph's TensorInfo (model/golden/graph.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "model/base/error.h"
#include "model/golden/dtype.h"

namespace qsa::golden {

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor.
  Tensor(DType dtype, Shape shape);

  template <typename T>
  static Tensor FromVector(Shape shape, std::vector<T> values) {
    Tensor t;
    t.dtype_ = DTypeOf<T>();
    if (NumElements(shape) != static_cast<std::int64_t>(values.size())) {
      throw Error("tensor of shape " + ShapeToString(shape) + " given " +
                  std::to_string(values.size()) + " values");
    }
    t.shape_ = std::move(shape);
    t.data_ = std::move(values);
    return t;
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t rank() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t size() const { return NumElements(shape_); }

  // Typed element access; throws qsa::Error when T is not the tensor's element type.
  template <typename T>
  std::span<T> Data() {
    CheckType(DTypeOf<T>());
    return std::get<std::vector<T>>(data_);
  }
  template <typename T>
  std::span<const T> Data() const {
    CheckType(DTypeOf<T>());
    return std::get<std::vector<T>>(data_);
  }

  // Element i of an integer tensor, widened. Throws on float32.
  std::int64_t GetInt(std::int64_t i) const;
  // Stores v into element i of an integer tensor; v must already be in range.
  void SetInt(std::int64_t i, std::int64_t v);
  // Element i of any tensor as double.
  double GetDouble(std::int64_t i) const;

  // Raw little-endian bytes of the data (the host is little-endian).
  std::span<const std::uint8_t> Bytes() const;
  std::span<std::uint8_t> MutableBytes();

  // Same data, new shape of equal element count.
  Tensor Reshaped(Shape shape) const;

  // Bit-for-bit equality of dtype, shape and data.
  bool operator==(const Tensor& other) const;

  // "uint8[1,3,8,8]".
  std::string Describe() const;

 private:
  void CheckType(DType want) const;

  DType dtype_ = DType::kFloat32;
  Shape shape_;
  std::variant<std::vector<std::uint8_t>, std::vector<std::int8_t>, std::vector<std::int32_t>,
               std::vector<float>>
      data_ = std::vector<float>{};
};

// Row-major strides of a shape, in elements.
std::vector<std::int64_t> Strides(const Shape& shape);

}  // namespace qsa::golden

#include "model/golden/tensor.h"

#include <cstring>

namespace qsa::golden {

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  const auto n = static_cast<std::size_t>(NumElements(shape_));
  switch (dtype_) {
    case DType::kUInt8:
      data_ = std::vector<std::uint8_t>(n, 0);
      break;
    case DType::kInt8:
      data_ = std::vector<std::int8_t>(n, 0);
      break;
    case DType::kInt32:
      data_ = std::vector<std::int32_t>(n, 0);
      break;
    case DType::kFloat32:
      data_ = std::vector<float>(n, 0.0f);
      break;
  }
}

void Tensor::CheckType(DType want) const {
  if (want != dtype_) {
    throw Error("tensor is " + std::string(DTypeName(dtype_)) + ", accessed as " +
                std::string(DTypeName(want)));
  }
}

std::int64_t Tensor::GetInt(std::int64_t i) const {
  const auto k = static_cast<std::size_t>(i);
  switch (dtype_) {
    case DType::kUInt8:
      return std::get<std::vector<std::uint8_t>>(data_)[k];
    case DType::kInt8:
      return std::get<std::vector<std::int8_t>>(data_)[k];
    case DType::kInt32:
      return std::get<std::vector<std::int32_t>>(data_)[k];
    case DType::kFloat32:
      break;
  }
  throw Error("integer access to a float32 tensor");
}

void Tensor::SetInt(std::int64_t i, std::int64_t v) {
  const auto k = static_cast<std::size_t>(i);
  switch (dtype_) {
    case DType::kUInt8:
      std::get<std::vector<std::uint8_t>>(data_)[k] = static_cast<std::uint8_t>(v);
      return;
    case DType::kInt8:
      std::get<std::vector<std::int8_t>>(data_)[k] = static_cast<std::int8_t>(v);
      return;
    case DType::kInt32:
      std::get<std::vector<std::int32_t>>(data_)[k] = static_cast<std::int32_t>(v);
      return;
    case DType::kFloat32:
      break;
  }
  throw Error("integer store to a float32 tensor");
}

double Tensor::GetDouble(std::int64_t i) const {
  if (dtype_ == DType::kFloat32)
    return std::get<std::vector<float>>(data_)[static_cast<std::size_t>(i)];
  return static_cast<double>(GetInt(i));
}

std::span<const std::uint8_t> Tensor::Bytes() const {
  return std::visit(
      [](const auto& v) {
        return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(v.data()),
                                             v.size() * sizeof(v[0]));
      },
      data_);
}

std::span<std::uint8_t> Tensor::MutableBytes() {
  return std::visit(
      [](auto& v) {
        return std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(v.data()),
                                       v.size() * sizeof(v[0]));
      },
      data_);
}

Tensor Tensor::Reshaped(Shape shape) const {
  if (NumElements(shape) != size()) {
    throw Error("cannot reshape " + Describe() + " to " + ShapeToString(shape));
  }
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

bool Tensor::operator==(const Tensor& other) const {
  if (dtype_ != other.dtype_ || shape_ != other.shape_) return false;
  auto a = Bytes();
  auto b = other.Bytes();
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

std::string Tensor::Describe() const {
  return std::string(DTypeName(dtype_)) + ShapeToString(shape_);
}

std::vector<std::int64_t> Strides(const Shape& shape) {
  std::vector<std::int64_t> s(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

}  // namespace qsa::golden

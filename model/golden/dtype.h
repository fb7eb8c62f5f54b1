// Element types of qsa tensors and their value ranges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/base/enum_names.h"

namespace qsa::golden {

enum class DType : std::uint8_t { kUInt8, kInt8, kInt32, kFloat32 };

inline constexpr auto kDTypeNames = base::MakeEnumNames<DType>({
    {DType::kUInt8, "uint8"},
    {DType::kInt8, "int8"},
    {DType::kInt32, "int32"},
    {DType::kFloat32, "float32"},
});
constexpr std::string_view DTypeName(DType dtype) { return kDTypeNames.Name(dtype); }
constexpr std::optional<DType> ParseDType(std::string_view name) { return kDTypeNames.Parse(name); }
std::size_t DTypeSize(DType dtype);
bool IsInteger(DType dtype);
// uint8 and int8: the types an activation or weight is quantized to.
bool IsQuantizedType(DType dtype);
// Smallest and largest representable value of an integer type.
std::int64_t DTypeMin(DType dtype);
std::int64_t DTypeMax(DType dtype);

// C++ element type of each DType.
template <DType D>
struct DTypeTraits;
template <>
struct DTypeTraits<DType::kUInt8> {
  using type = std::uint8_t;
};
template <>
struct DTypeTraits<DType::kInt8> {
  using type = std::int8_t;
};
template <>
struct DTypeTraits<DType::kInt32> {
  using type = std::int32_t;
};
template <>
struct DTypeTraits<DType::kFloat32> {
  using type = float;
};

template <typename T>
constexpr DType DTypeOf();
template <>
constexpr DType DTypeOf<std::uint8_t>() {
  return DType::kUInt8;
}
template <>
constexpr DType DTypeOf<std::int8_t>() {
  return DType::kInt8;
}
template <>
constexpr DType DTypeOf<std::int32_t>() {
  return DType::kInt32;
}
template <>
constexpr DType DTypeOf<float>() {
  return DType::kFloat32;
}

using Shape = std::vector<std::int64_t>;

// The most elements a tensor may have (2^31): every shape a file declares or an op infers is
// checked against it, in overflow-free 64-bit arithmetic, before anything is allocated.
inline constexpr std::int64_t kMaxTensorElements = std::int64_t{1} << 31;

// Product of the dimensions (1 for a scalar); throws qsa::Error on a negative dimension or a
// product above kMaxTensorElements.
std::int64_t NumElements(const Shape& shape);
// "[1,3,224,224]".
std::string ShapeToString(const Shape& shape);

}  // namespace qsa::golden

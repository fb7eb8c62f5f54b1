// Names of an enum's values, written once: a constexpr table of {value, name} pairs, in the order
// the values are listed to a user, with lookups both ways.
//
//   inline constexpr auto kColorNames =
//       base::MakeEnumNames<Color>({{Color::kRed, "red"}, {Color::kGreen, "green"}});
//   kColorNames.Name(Color::kRed)   → "red"
//   kColorNames.Parse("green")      → Color::kGreen;  Parse("blue") → nullopt
//   kColorNames.Join(", ", " or ")  → "red or green"
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qsa::base {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

template <typename E, std::size_t N>
class EnumNames {
 public:
  constexpr explicit EnumNames(const std::array<EnumName<E>, N>& entries) : entries_(entries) {}

  // The name of `value`; "?" for a value the table does not list (an out-of-range cast).
  constexpr std::string_view Name(E value) const {
    for (const EnumName<E>& e : entries_) {
      if (e.value == value) return e.name;
    }
    return "?";
  }

  // The value named exactly `name` (case-sensitive); nullopt for any other string.
  constexpr std::optional<E> Parse(std::string_view name) const {
    for (const EnumName<E>& e : entries_) {
      if (e.name == name) return e.value;
    }
    return std::nullopt;
  }

  // The values in table order.
  constexpr std::array<E, N> Values() const {
    std::array<E, N> values{};
    for (std::size_t i = 0; i < N; ++i) values[i] = entries_[i].value;
    return values;
  }

  // The names of the values `keep` accepts, in table order, joined by `separator` except the
  // last two, joined by `last_separator`: Join(", ", " or ") → "a, b or c".
  template <typename Keep>
  std::string Join(std::string_view separator, std::string_view last_separator, Keep keep) const {
    std::string out;
    std::size_t left = 0;
    for (const EnumName<E>& e : entries_) left += keep(e.value) ? 1 : 0;
    for (const EnumName<E>& e : entries_) {
      if (!keep(e.value)) continue;
      out += e.name;
      --left;
      if (left > 1) out += separator;
      if (left == 1) out += last_separator;
    }
    return out;
  }
  std::string Join(std::string_view separator, std::string_view last_separator) const {
    return Join(separator, last_separator, [](E) { return true; });
  }

  constexpr std::size_t size() const { return N; }
  constexpr auto begin() const { return entries_.begin(); }
  constexpr auto end() const { return entries_.end(); }

 private:
  std::array<EnumName<E>, N> entries_;
};

// The table of `entries`; a value or a name listed twice does not compile.
template <typename E, std::size_t N>
consteval EnumNames<E, N> MakeEnumNames(const EnumName<E> (&entries)[N]) {
  std::array<EnumName<E>, N> table{};
  for (std::size_t i = 0; i < N; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (entries[j].value == entries[i].value) throw "an enum value is listed twice";
      if (entries[j].name == entries[i].name) throw "an enum name is listed twice";
    }
    table[i] = entries[i];
  }
  return EnumNames<E, N>(table);
}

}  // namespace qsa::base

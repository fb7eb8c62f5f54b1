// Hexadecimal text for messages, traces and reports.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace qsa::base {

// "0x1f": lowercase, no leading zeros.
inline std::string HexPrefixed(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// "000000000000001f": `digits` lowercase digits (1..20), zero-padded, no prefix.
inline std::string HexDigits(std::uint64_t v, int digits = 16) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace qsa::base

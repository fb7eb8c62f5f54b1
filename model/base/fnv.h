// FNV-1a 64, the hash of architecture configurations (model/isa/arch.h) and of the ISA's write
// records (model/isa/executor.h).
#pragma once

#include <cstdint>

namespace qsa::base {

inline constexpr std::uint64_t kFnv1a64Offset = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t kFnv1a64Prime = 0x100000001b3ULL;

// Feeds the low `bytes` bytes of v, least significant first, into the hash state h.
constexpr std::uint64_t Fnv1a64(std::uint64_t h, std::uint64_t v, int bytes) {
  for (int k = 0; k < bytes; ++k) h = (h ^ ((v >> (8 * k)) & 0xFFu)) * kFnv1a64Prime;
  return h;
}

}  // namespace qsa::base

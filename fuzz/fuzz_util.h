// Shared by the fuzz targets: runs a parser on one input and accepts only two outcomes, a value or
// a qsa::Error (the one-line refusal the `qsa` command prints). Any other exception is what the
// command would report as "internal error", so it aborts the run and libFuzzer keeps the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "model/base/error.h"

namespace qsa::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

template <typename F>
void Run(F&& body) {
  try {
    body();
  } catch (const qsa::Error& e) {
    // Every refusal must be one line a user can act on: not empty.
    if (*e.what() == '\0') {
      std::fprintf(stderr, "qsa::Error with an empty message\n");
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "escaped exception (not qsa::Error): %s\n", e.what());
    std::abort();
  }
}

}  // namespace qsa::fuzz

// Errors a user can act on. Library code throws qsa::Error with a one-line message that names
// the thing at fault (node, tensor, file, field); the `qsa` command prints it and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace qsa {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace qsa

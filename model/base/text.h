// Text that came from an input, made safe to put into a one-line message: control bytes escaped,
// long values cut to a length with an ellipsis. Every error that echoes a name or a value read from
// a file or the command line goes through these.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qsa::base {

// The longest name or value a message echoes, in characters (before escaping).
inline constexpr std::size_t kMaxEchoedChars = 80;

// `text` with control bytes (below 0x20, and 0x7f) written as \n, \r, \t or \xNN, and a backslash
// as "\\"; cut after `max_chars` input characters, with "..." and the full length appended.
inline std::string Printable(std::string_view text, std::size_t max_chars = kMaxEchoedChars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  std::size_t n = text.size() > max_chars ? max_chars : text.size();
  // Never cut a UTF-8 sequence: back off over continuation bytes.
  while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (n < text.size()) {
    out += "... (" + std::to_string(text.size()) + " characters)";
  }
  return out;
}

// The longest file path a message echoes: paths are what a user typed, so they are kept longer.
inline constexpr std::size_t kMaxEchoedPathChars = 400;

// Printable(text) in single quotes: "'conv1'".
inline std::string Quote(std::string_view text, std::size_t max_chars = kMaxEchoedChars) {
  return "'" + Printable(text, max_chars) + "'";
}

// A file path in single quotes, escaped, cut after kMaxEchoedPathChars.
inline std::string QuotePath(std::string_view path) { return Quote(path, kMaxEchoedPathChars); }

}  // namespace qsa::base

// Reading input files with bounded resources. Every reader of a user-given file goes through
// ReadRegularFile: it refuses what is not a regular file (devices such as /dev/zero, FIFOs,
// sockets, folders — also through a symbolic link) and files larger than a limit, and it never
// reads past that limit, so a hostile path cannot make qsa read without end. The limits are
// documented in docs/robustness.md.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "model/base/error.h"
#include "model/base/text.h"

namespace qsa::base {

// The largest file any reader accepts (models, .npy, program images, calibration archives).
inline constexpr std::uint64_t kMaxInputFileBytes = std::uint64_t{1} << 30;  // 1 GiB
// The largest text file (JSON descriptions, assembly sources, architecture configurations).
inline constexpr std::uint64_t kMaxTextFileBytes = std::uint64_t{256} << 20;  // 256 MiB

// "a character device" etc. for a stat mode that is not a regular file.
inline std::string FileKindName(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// "1 GiB", "256 MiB", or a byte count.
inline std::string ByteLimitText(std::uint64_t limit) {
  if (limit % (std::uint64_t{1} << 30) == 0) return std::to_string(limit >> 30) + " GiB";
  if (limit % (std::uint64_t{1} << 20) == 0) return std::to_string(limit >> 20) + " MiB";
  return std::to_string(limit) + " bytes";
}

// The whole content of the regular file `path`, at most `limit` bytes. Throws qsa::Error naming
// the file (quoted, truncated, control bytes escaped) when it cannot be opened, is not a regular
// file, or is larger than the limit.
inline std::string ReadRegularFile(const std::string& path,
                                   std::uint64_t limit = kMaxInputFileBytes) {
  // O_NONBLOCK: opening a FIFO without a writer must not wait; regular files ignore it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error("cannot open " + QuotePath(path) + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error("cannot read " + QuotePath(path) + ": " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error("cannot read " + QuotePath(path) + ": it is " + FileKindName(st.st_mode) +
                ", not a regular file");
  }
  const auto too_big = [&] {
    ::close(fd);
    return Error("cannot read " + QuotePath(path) + ": it is larger than the limit of " +
                 ByteLimitText(limit));
  };
  if (static_cast<std::uint64_t>(st.st_size) > limit) throw too_big();
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw Error("cannot read " + QuotePath(path) + ": " + std::strerror(err));
    }
    bytes.append(buffer, static_cast<std::size_t>(n));
    if (bytes.size() > limit) throw too_big();  // the file grew while it was read
  }
  ::close(fd);
  return bytes;
}

}  // namespace qsa::base

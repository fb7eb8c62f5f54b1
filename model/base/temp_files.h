// Temporary files and folders that must not outlive the process. A writer registers each
// temporary path while it exists (TempPath); when the process is stopped by SIGINT, SIGTERM or
// SIGHUP, the handler InstallTempCleanupOnSignals installs removes every registered path before
// the process dies of the signal. Normal error paths remove their own temporaries (the TempPath
// destructor forgets the path; the writer unlinks it).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <string>

namespace qsa::base {

namespace temp_internal {

inline constexpr std::size_t kSlots = 64;
inline constexpr std::size_t kPathMax = 4096;

struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 being filled, 2 a file, 3 a folder
  char path[kPathMax];
};
inline Slot g_slots[kSlots];

// Removes `path` and, for a folder, everything below it; uses only system calls and a fixed
// buffer (depth-first, one open directory at a time per level).
inline void RemoveTree(int parent, const char* name, bool folder) {
  if (!folder) {
    ::unlinkat(parent, name, 0);
    return;
  }
  const int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    DIR* dir = ::fdopendir(fd);
    if (dir != nullptr) {
      while (const dirent* e = ::readdir(dir)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        struct stat st {};
        if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        RemoveTree(fd, e->d_name, S_ISDIR(st.st_mode));
      }
      ::closedir(dir);
    } else {
      ::close(fd);
    }
  }
  ::unlinkat(parent, name, AT_REMOVEDIR);
}

inline void RemoveAllRegistered() {
  for (Slot& slot : g_slots) {
    const int state = slot.state.load();
    if (state == 2 || state == 3) RemoveTree(AT_FDCWD, slot.path, state == 3);
  }
}

inline void OnSignal(int sig) {
  RemoveAllRegistered();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace temp_internal

// Registers a temporary file or folder for removal on a fatal signal, for its lifetime. The
// owner still removes the path itself on its own error paths; a path too long for the registry
// (or a full registry) is simply not registered.
class TempPath {
 public:
  TempPath() = default;
  TempPath(const std::string& path, bool folder) { Register(path, folder); }
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  TempPath(TempPath&& other) noexcept : slot_(other.slot_) { other.slot_ = nullptr; }
  TempPath& operator=(TempPath&& other) noexcept {
    if (this != &other) {
      Release();
      slot_ = other.slot_;
      other.slot_ = nullptr;
    }
    return *this;
  }
  ~TempPath() { Release(); }

  void Register(const std::string& path, bool folder) {
    Release();
    if (path.empty() || path.size() >= temp_internal::kPathMax) return;
    for (temp_internal::Slot& slot : temp_internal::g_slots) {
      int expected = 0;
      if (slot.state.compare_exchange_strong(expected, 1)) {
        std::memcpy(slot.path, path.c_str(), path.size() + 1);
        slot.state.store(folder ? 3 : 2);
        slot_ = &slot;
        return;
      }
    }
  }
  // Forgets the path (it was removed or renamed into place).
  void Release() {
    if (slot_ != nullptr) slot_->state.store(0);
    slot_ = nullptr;
  }

 private:
  temp_internal::Slot* slot_ = nullptr;
};

// Installs the handler for SIGINT, SIGTERM and SIGHUP (the `qsa` command does, at start).
inline void InstallTempCleanupOnSignals() {
  struct sigaction action {};
  action.sa_handler = temp_internal::OnSignal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
}

}  // namespace qsa::base

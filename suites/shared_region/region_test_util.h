// Small helpers for the shared memory suites (sysv_shm, posix_shm, mmap).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "impl/core/posix_error.h"

namespace ipcspec {

// Puts `sig` back to SIG_DFL with the raw rt_sigaction system call, so that a
// child that faults on purpose is killed by the signal even where a sanitizer
// has installed its own handler (and intercepts signal()/sigaction()).
// Async-signal-safe.
void ResetSignalToDefault(int sig);

// One load / store the compiler cannot drop or move. Async-signal-safe.
inline uint8_t TouchRead(const void* p) { return *static_cast<const volatile uint8_t*>(p); }
inline void TouchWrite(void* p, uint8_t v) { *static_cast<volatile uint8_t*>(p) = v; }

// /proc/sys files. The shm* limits belong to the IPC namespace (man 7
// ipc_namespaces), and every test has its own, so tests may change them
// (numbers: impl/core/privilege.h; whether they can be written:
// Need::WritableSysctl, impl/core/needs.h).
PosixErrorOr<std::string> ReadProcFile(const std::string& path);
PosixError WriteProcFile(const std::string& path, const std::string& value);

// $TEST_TMPDIR, else /tmp.
std::string TestTempDir();

// A file in TestTempDir(), removed (and closed) by the owner.
class TempFile {
 public:
  static PosixErrorOr<TempFile> Create(size_t size);
  TempFile(TempFile&& o) noexcept;
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile();
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// A mapping, unmapped by the owner.
class Mapping {
 public:
  Mapping() = default;
  Mapping(void* p, size_t len) : p_(static_cast<uint8_t*>(p)), len_(len) {}
  Mapping(Mapping&& o) noexcept;
  Mapping& operator=(Mapping&& o) noexcept;
  ~Mapping() { Reset(); }
  // mmap(2); MAP_FAILED becomes an error naming the call.
  static PosixErrorOr<Mapping> Map(size_t len, int prot, int flags, int fd, off_t off = 0);
  uint8_t* data() const { return p_; }
  size_t size() const { return len_; }
  int Reset();  // munmap now (0 or -1)
  void* Release();

 private:
  uint8_t* p_ = nullptr;
  size_t len_ = 0;
};

}  // namespace ipcspec

#include "suites/shared_region/region_test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "impl/core/file_descriptor.h"

namespace ipcspec {

void ResetSignalToDefault(int sig) {
  // The kernel's struct sigaction (x86_64, and the generic layout): handler,
  // flags, restorer, mask. SIG_DFL needs no restorer.
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
  } ksa = {SIG_DFL, 0, nullptr, 0};
  syscall(SYS_rt_sigaction, sig, &ksa, nullptr, sizeof ksa.mask);
  // And make sure it is not blocked.
  unsigned long unblock = 1UL << (sig - 1);
  syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &unblock, nullptr, sizeof unblock);
}

PosixErrorOr<std::string> ReadProcFile(const std::string& path) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ")");
  char buf[256];
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n < 0) return ErrnoError("read(" + path + ")");
  return std::string(buf, static_cast<size_t>(n));
}

PosixError WriteProcFile(const std::string& path, const std::string& value) {
  FileDescriptor fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ", O_WRONLY)");
  ssize_t n = write(fd.get(), value.data(), value.size());
  if (n != static_cast<ssize_t>(value.size())) {
    return ErrnoError("write(" + path + ", \"" + value + "\")");
  }
  return NoError();
}

std::string TestTempDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

PosixErrorOr<TempFile> TempFile::Create(size_t size) {
  std::string templ = TestTempDir() + "/ipcspec-mmap.XXXXXX";
  int fd = mkostemp(templ.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError("mkostemp(" + templ + ")");
  TempFile f(fd, templ);
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return ErrnoError("ftruncate(" + templ + ", " + std::to_string(size) + ")");
  }
  return f;
}

TempFile::TempFile(TempFile&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), path_(std::exchange(o.path_, "")) {}

TempFile::~TempFile() {
  if (!path_.empty()) unlink(path_.c_str());
  if (fd_ >= 0) close(fd_);
}

Mapping::Mapping(Mapping&& o) noexcept
    : p_(std::exchange(o.p_, nullptr)), len_(std::exchange(o.len_, 0)) {}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    Reset();
    p_ = std::exchange(o.p_, nullptr);
    len_ = std::exchange(o.len_, 0);
  }
  return *this;
}

PosixErrorOr<Mapping> Mapping::Map(size_t len, int prot, int flags, int fd, off_t off) {
  void* p = mmap(nullptr, len, prot, flags, fd, off);
  if (p == MAP_FAILED) {
    return ErrnoError("mmap(len " + std::to_string(len) + ", prot " + std::to_string(prot) +
                      ", flags 0x" + [&] {
                        char b[16];
                        snprintf(b, sizeof b, "%x", flags);
                        return std::string(b);
                      }() + ", fd " + std::to_string(fd) + ")");
  }
  return Mapping(p, len);
}

int Mapping::Reset() {
  int r = 0;
  if (p_ != nullptr) r = munmap(p_, len_);
  p_ = nullptr;
  len_ = 0;
  return r;
}

void* Mapping::Release() {
  len_ = 0;
  return std::exchange(p_, nullptr);
}

}  // namespace ipcspec

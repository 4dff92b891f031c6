#include "suites/pipe/pipe_test_util.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace ipcspec {

size_t DocumentedDefaultCapacity() { return 16 * PageSize(); }

size_t DocumentedRoundedPipeSize(size_t requested) {
  size_t page = PageSize();
  size_t pages = (requested + page - 1) / page;
  if (pages == 0) pages = 1;
  size_t pow2 = 1;
  while (pow2 < pages) pow2 <<= 1;
  return pow2 * page;
}

std::vector<Need> DefaultCapacityNeeds() {
  return {Need::SysctlAtLeast(kPipeMaxSizeFile, DocumentedDefaultCapacity()),
          Need::Feature("pipe-default-capacity", []() -> std::optional<std::string> {
            auto p = MakePipe();
            if (!p.ok()) return std::nullopt;  // the test fails on it
            int cap = fcntl(p.value().write_end.get(), F_GETPIPE_SZ);
            if (cap < 0 || static_cast<size_t>(cap) == DocumentedDefaultCapacity()) {
              return std::nullopt;
            }
            return "a new pipe holds " + std::to_string(cap) + " bytes, not 16 pages (" +
                   std::to_string(DocumentedDefaultCapacity()) +
                   "): over /proc/sys/fs/pipe-user-pages-soft?";
          })};
}

PosixErrorOr<Pipe> MakePipe(int flags, bool exact) {
  int fds[2];
  int f = exact ? flags : (flags | O_CLOEXEC);
  if (pipe2(fds, f) != 0) return ErrnoError("pipe2(flags=0x" + std::to_string(f) + ")");
  Pipe p;
  p.read_end.reset(fds[0]);
  p.write_end.reset(fds[1]);
  return p;
}

PosixErrorOr<int> Fionread(int fd) {
  int n = -1;
  if (ioctl(fd, FIONREAD, &n) != 0) return ErrnoError("ioctl(fd=" + std::to_string(fd) + ", FIONREAD)");
  return n;
}

PosixErrorOr<int> GetPipeSize(int fd) {
  int n = fcntl(fd, F_GETPIPE_SZ);
  if (n < 0) return ErrnoError("fcntl(fd=" + std::to_string(fd) + ", F_GETPIPE_SZ)");
  return n;
}

PosixErrorOr<size_t> ReadWithDeadline(int fd, uint8_t* buf, size_t n, const Deadline& deadline) {
  size_t got = 0;
  while (got < n) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, deadline.RemainingMs());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoError("poll(fd=" + std::to_string(fd) + ", POLLIN)");
    if (r == 0) {
      return PosixError(ETIMEDOUT, "read(fd=" + std::to_string(fd) + "): only " +
                                       std::to_string(got) + " of " + std::to_string(n) +
                                       " bytes by the deadline");
    }
    ssize_t k = read(fd, buf + got, n - got);
    if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (k < 0) return ErrnoError("read(fd=" + std::to_string(fd) + ")");
    if (k == 0) break;  // end of file
    got += static_cast<size_t>(k);
  }
  return got;
}

PosixErrorOr<std::vector<uint8_t>> ReadToEof(int fd, size_t limit, const Deadline& deadline) {
  std::vector<uint8_t> out(limit + 1);
  IPCSPEC_ASSIGN_OR_RETURN(size_t got, ReadWithDeadline(fd, out.data(), out.size(), deadline));
  if (got > limit) {
    return PosixError(EFBIG, "read(fd=" + std::to_string(fd) + "): more than the " +
                                 std::to_string(limit) + " bytes expected before end of file");
  }
  out.resize(got);
  return out;
}

PosixErrorOr<size_t> FillNonBlocking(int fd, size_t chunk, size_t max_total) {
  std::vector<uint8_t> buf(chunk, 0x5a);
  size_t total = 0;
  while (total < max_total) {
    ssize_t k = write(fd, buf.data(), chunk);
    if (k < 0 && errno == EAGAIN) return total;
    if (k < 0) return ErrnoError("write(fd=" + std::to_string(fd) + ", n=" + std::to_string(chunk) + ")");
    total += static_cast<size_t>(k);
  }
  return PosixError(EFBIG, "write(fd=" + std::to_string(fd) + "): still no EAGAIN after " +
                               std::to_string(total) + " bytes");
}

std::vector<uint8_t> Pattern(uint32_t seed, size_t n, size_t offset) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = PatternByte(seed, offset + i);
  return v;
}


// A zero-segment vmsplice into a pipe does nothing and returns 0 where it runs.
Need VmspliceWorks() {
  return Need::Feature("vmsplice", []() -> std::optional<std::string> {
    auto p = MakePipe(O_NONBLOCK);
    if (!p.ok()) return std::nullopt;  // let the test fail on it
    struct iovec iov = {nullptr, 0};
    if (vmsplice(p.value().write_end.get(), &iov, 0, SPLICE_F_NONBLOCK) >= 0) return std::nullopt;
    if (errno != ENOSYS && errno != EPERM) return std::nullopt;
    return std::string("vmsplice(pipe, 0 segments): ") + ErrnoName(errno);
  });
}

}  // namespace ipcspec

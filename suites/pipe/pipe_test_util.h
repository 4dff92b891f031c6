// Helpers shared by the pipe and FIFO semantics suites (suites/pipe,
// suites/fifo): raw pipes, reading with a deadline, FIONREAD. SIGPIPE
// handling, capabilities and /proc numbers are impl/core's (sigpipe.h,
// privilege.h), used directly.
//
// Everything a forked child may call is marked async-signal-safe.
#pragma once

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "impl/core/child_report.h"  // what children report
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/posix_error.h"
#include "impl/core/shared_memory.h"  // PageSize

namespace ipcspec {

// man 7 pipe, "Pipe capacity": "Since Linux 2.6.35, the default pipe
// capacity is 16 pages".
size_t DocumentedDefaultCapacity();

// The capacity F_SETPIPE_SZ documents for a request of `requested` bytes
// (man 2 fcntl, "Changing the capacity of a pipe"): below a page it is a
// page; otherwise "the next higher power-of-two page-size multiple of the
// requested size".
size_t DocumentedRoundedPipeSize(size_t requested);

inline constexpr char kPipeMaxSizeFile[] = "/proc/sys/fs/pipe-max-size";

// The needs of a test that relies on a new pipe having the documented
// default capacity: pipe-max-size at least 16 pages ("Since Linux 4.9, the
// value on this file also acts as a ceiling on the default capacity of a new
// pipe"), and a new pipe really of 16 pages (`feature:pipe-default-capacity`:
// a user over /proc/sys/fs/pipe-user-pages-soft gets smaller pipes, man 7
// pipe).
std::vector<Need> DefaultCapacityNeeds();

struct Pipe {
  FileDescriptor read_end;
  FileDescriptor write_end;
};

// pipe2(flags). O_CLOEXEC is always added unless `exact` is true.
PosixErrorOr<Pipe> MakePipe(int flags = 0, bool exact = false);

// ioctl(fd, FIONREAD): the unread bytes in the pipe.
PosixErrorOr<int> Fionread(int fd);

// F_GETPIPE_SZ.
PosixErrorOr<int> GetPipeSize(int fd);

// Reads up to `n` bytes, waiting (poll) for data until the deadline: stops at
// n bytes or at end of file. ETIMEDOUT at the deadline. Works on blocking and
// non-blocking fds.
PosixErrorOr<size_t> ReadWithDeadline(int fd, uint8_t* buf, size_t n, const Deadline& deadline);

// Reads until end of file (or the deadline), at most `limit` bytes (more is
// an error: EFBIG).
PosixErrorOr<std::vector<uint8_t>> ReadToEof(int fd, size_t limit, const Deadline& deadline);

// Non-blocking writes of `chunk` bytes until EAGAIN; returns the bytes
// written. The fd must be O_NONBLOCK. Any error but EAGAIN is returned.
PosixErrorOr<size_t> FillNonBlocking(int fd, size_t chunk, size_t max_total);

// A deterministic byte pattern: byte i of stream `seed`.
inline uint8_t PatternByte(uint32_t seed, size_t i) {
  return static_cast<uint8_t>((seed * 131u) ^ (i * 7u) ^ (i >> 8) ^ (i >> 16));
}
std::vector<uint8_t> Pattern(uint32_t seed, size_t n, size_t offset = 0);

// `feature:vmsplice`: vmsplice(2) runs here. gVisor does not implement it
// (ENOSYS) and a container runtime's seccomp profile may refuse it (EPERM,
// podman's default profile): the vmsplice tests skip for this need.
Need VmspliceWorks();

}  // namespace ipcspec

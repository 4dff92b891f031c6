// Helpers shared by the pipe and FIFO semantics suites (suites/pipe,
// suites/fifo): raw pipes, reading with a deadline, FIONREAD, SIGPIPE
// handling and capability dropping for "without privilege" checks.
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

#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/posix_error.h"
#include "impl/core/privilege.h"
#include "impl/core/sigpipe.h"

namespace ipcspec {
namespace pipetest {

// sysconf(_SC_PAGESIZE).
size_t PageSize();

// man 7 pipe, "Pipe capacity": "Since Linux 2.6.35, the default pipe
// capacity is 16 pages".
size_t DocumentedDefaultCapacity();

// The capacity F_SETPIPE_SZ documents for a request of `requested` bytes
// (man 2 fcntl, "Changing the capacity of a pipe"): below a page it is a
// page; otherwise "the next higher power-of-two page-size multiple of the
// requested size".
size_t DocumentedRoundedPipeSize(size_t requested);

using ::ipcspec::ReadProcLong;

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

using ::ipcspec::ScopedBlockSigpipe;  // impl/core/sigpipe.h

// Privilege checks (impl/core/privilege.h).
using ::ipcspec::DropCapability;
using ::ipcspec::EffectiveCapabilities;
using ::ipcspec::HasEffectiveCapability;
using ::ipcspec::InInitialUserNamespace;
using ::ipcspec::UidMapLine;

// A result a child reports through shared memory.
struct ChildCallResult {
  long ret = -2;   // the call's return value (-2: not reached)
  int err = 0;     // errno when ret == -1
  long extra = -2; // a second value (e.g. F_GETPIPE_SZ afterwards)
  std::string ToString() const;
};

}  // namespace pipetest
}  // namespace ipcspec

// Inside a rapidcheck property: fails the case with a message (streamed)
// unless `cond` holds.
#define PIPETEST_RC_CHECK(cond, msg)                                       \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::ostringstream pipetest_os_;                                     \
      pipetest_os_ << "check failed: " #cond "\n" << msg;                  \
      RC_FAIL(pipetest_os_.str());                                         \
    }                                                                      \
  } while (0)

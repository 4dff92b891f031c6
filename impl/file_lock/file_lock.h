// File locks as Lock Kinds (impl/api/lock.h), and the pieces the file_lock
// suite builds on.
//
//   fcntl_setlk  F_SETLK / F_SETLKW write lock on the whole file (man 2 fcntl,
//                "Advisory record locking"); held by the process.
//   ofd_setlk    F_OFD_SETLK / F_OFD_SETLKW write lock on the whole file
//                (man 2 fcntl, "Open file description locks (non-POSIX)");
//                held by the open file description.
//   flock_ex     flock(LOCK_EX), LOCK_NB for the try (man 2 flock); held by
//                the open file description.
//
// Each Kind's instance is a fresh file in $TEST_TMPDIR (or /tmp) that the
// instance removes; every handle is its own open(2) of it.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <functional>
#include <string>

#include "impl/api/lock.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

// A file made with mkstemp(3) in LockFileDir(); the destructor unlinks it.
class LockFile {
 public:
  static PosixErrorOr<LockFile> Create();
  LockFile(LockFile&& o) noexcept;
  LockFile& operator=(LockFile&& o) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  ~LockFile();

  const std::string& path() const { return path_; }
  // A new open file description of the file (open(2), O_RDWR | O_CLOEXEC).
  PosixErrorOr<FileDescriptor> Open() const;

 private:
  explicit LockFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

enum class FileLockSort { kFcntl, kOfd, kFlock };
const char* ToString(FileLockSort s);

// A struct flock for [start, start+len) (len 0: to the end of the file, no
// matter how large it grows), SEEK_SET, l_pid 0.
struct flock FlockRange(short type, off_t start, off_t len);

// "F_WRLCK [40, 60)", "F_UNLCK", "F_RDLCK [0, EOF)".
std::string FormatFlock(const struct flock& fl);

// Runs `call` (one blocking system call returning 0 or -1/errno) under a
// Watchdog: at the deadline the call is interrupted and this returns
// ETIMEDOUT. EINTR from a signal before the deadline retries.
PosixError CallWithDeadline(const std::function<int()>& call, const std::string& what,
                            const Deadline& deadline);

// ENOSYS-like probe: ok when this kernel has OFD locks (F_OFD_GETLK works),
// else the error (EINVAL: "The value specified in cmd is not recognized by
// this kernel").
PosixError ProbeOfdLocks();

// An instance of one of the three file-lock Kinds on a fresh file.
PosixErrorOr<LockInstance> OpenFileLock(FileLockSort sort);

}  // namespace ipcspec

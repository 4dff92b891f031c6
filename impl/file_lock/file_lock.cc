#include "impl/file_lock/file_lock.h"

#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <vector>

#include "impl/core/watchdog.h"

namespace ipcspec {

// ---------------------------------------------------------------------------
// LockFile

PosixErrorOr<LockFile> LockFile::Create() {
  std::string tmpl = LockFileDir() + "/ipcspec_lock_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError("mkostemp(" + tmpl + ")");
  close(fd);
  return LockFile(std::string(buf.data()));
}

LockFile::LockFile(LockFile&& o) noexcept : path_(std::exchange(o.path_, std::string())) {}

LockFile& LockFile::operator=(LockFile&& o) noexcept {
  if (this != &o) {
    if (!path_.empty()) unlink(path_.c_str());
    path_ = std::exchange(o.path_, std::string());
  }
  return *this;
}

LockFile::~LockFile() {
  if (!path_.empty()) unlink(path_.c_str());
}

PosixErrorOr<FileDescriptor> LockFile::Open() const {
  int fd = open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open(" + path_ + ", O_RDWR)");
  return FileDescriptor(fd);
}

// ---------------------------------------------------------------------------
// Helpers

const char* ToString(FileLockSort s) {
  switch (s) {
    case FileLockSort::kFcntl:
      return "fcntl record lock";
    case FileLockSort::kOfd:
      return "open file description lock";
    case FileLockSort::kFlock:
      return "flock";
  }
  return "?";
}

struct flock FlockRange(short type, off_t start, off_t len) {
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = len;
  fl.l_pid = 0;
  return fl;
}

std::string FormatFlock(const struct flock& fl) {
  std::string t = fl.l_type == F_WRLCK   ? "F_WRLCK"
                  : fl.l_type == F_RDLCK ? "F_RDLCK"
                  : fl.l_type == F_UNLCK ? "F_UNLCK"
                                         : "l_type " + std::to_string(fl.l_type);
  if (fl.l_type == F_UNLCK && fl.l_start == 0 && fl.l_len == 0) return t;
  std::string end = fl.l_len == 0 ? "EOF" : std::to_string(fl.l_start + fl.l_len);
  return t + " [" + std::to_string(fl.l_start) + ", " + end + ")";
}

PosixError CallWithDeadline(const std::function<int()>& call, const std::string& what,
                            const Deadline& deadline) {
  // At least one attempt, even past the deadline: a call that need not wait
  // succeeds (a signal only interrupts a call that sleeps).
  for (;;) {
    int r;
    int e;
    bool fired;
    {
      Watchdog dog(deadline);
      r = call();
      e = errno;
      fired = dog.fired();
    }
    if (r == 0) return NoError();
    if (e == EINTR) {
      if (fired || deadline.Expired()) {
        return PosixError(ETIMEDOUT, what + ": still blocked at the deadline");
      }
      continue;
    }
    return PosixError(e, what);
  }
}

PosixError ProbeOfdLocks() {
  auto f = LockFile::Create();
  if (!f.ok()) return f.error();
  auto fd = f.value().Open();
  if (!fd.ok()) return fd.error();
  struct flock fl = FlockRange(F_WRLCK, 0, 0);
  if (fcntl(fd.value().get(), F_OFD_GETLK, &fl) != 0) {
    return ErrnoError("fcntl(F_OFD_GETLK) (open file description locks, Linux 3.15)");
  }
  return NoError();
}

// ---------------------------------------------------------------------------
// The Kinds

namespace {

class FileLockHandle : public LockHandle {
 public:
  FileLockHandle(FileDescriptor fd, FileLockSort sort, const std::string& path)
      : fd_(std::move(fd)), sort_(sort) {
    desc_ = std::string(ToString(sort)) + " handle fd " + std::to_string(fd_.get()) + " on " +
            path;
  }

  PosixError Acquire(const Deadline& deadline) override {
    const int fd = fd_.get();
    switch (sort_) {
      case FileLockSort::kFcntl:
        return CallWithDeadline(
            [fd] {
              struct flock fl = FlockRange(F_WRLCK, 0, 0);
              return fcntl(fd, F_SETLKW, &fl);
            },
            "fcntl(fd, F_SETLKW, F_WRLCK whole file)", deadline);
      case FileLockSort::kOfd:
        return CallWithDeadline(
            [fd] {
              struct flock fl = FlockRange(F_WRLCK, 0, 0);
              return fcntl(fd, F_OFD_SETLKW, &fl);
            },
            "fcntl(fd, F_OFD_SETLKW, F_WRLCK whole file)", deadline);
      case FileLockSort::kFlock:
        return CallWithDeadline([fd] { return flock(fd, LOCK_EX); }, "flock(fd, LOCK_EX)",
                                deadline);
    }
    return PosixError(EINVAL, "Acquire: unknown sort");
  }

  PosixError TryAcquire() override {
    const int fd = fd_.get();
    switch (sort_) {
      case FileLockSort::kFcntl: {
        struct flock fl = FlockRange(F_WRLCK, 0, 0);
        if (fcntl(fd, F_SETLK, &fl) == 0) return NoError();
        return ErrnoError("fcntl(fd, F_SETLK, F_WRLCK whole file)");
      }
      case FileLockSort::kOfd: {
        struct flock fl = FlockRange(F_WRLCK, 0, 0);
        if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return NoError();
        return ErrnoError("fcntl(fd, F_OFD_SETLK, F_WRLCK whole file)");
      }
      case FileLockSort::kFlock:
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return NoError();
        return ErrnoError("flock(fd, LOCK_EX | LOCK_NB)");
    }
    return PosixError(EINVAL, "TryAcquire: unknown sort");
  }

  PosixError Release() override {
    const int fd = fd_.get();
    switch (sort_) {
      case FileLockSort::kFcntl: {
        struct flock fl = FlockRange(F_UNLCK, 0, 0);
        if (fcntl(fd, F_SETLK, &fl) == 0) return NoError();
        return ErrnoError("fcntl(fd, F_SETLK, F_UNLCK whole file)");
      }
      case FileLockSort::kOfd: {
        struct flock fl = FlockRange(F_UNLCK, 0, 0);
        if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return NoError();
        return ErrnoError("fcntl(fd, F_OFD_SETLK, F_UNLCK whole file)");
      }
      case FileLockSort::kFlock:
        if (flock(fd, LOCK_UN) == 0) return NoError();
        return ErrnoError("flock(fd, LOCK_UN)");
    }
    return PosixError(EINVAL, "Release: unknown sort");
  }

  int fd() const override { return fd_.get(); }
  std::string Describe() const override { return desc_; }

 private:
  FileDescriptor fd_;
  FileLockSort sort_;
  std::string desc_;
};

class FileLock : public Lock {
 public:
  FileLock(LockFile file, FileLockSort sort) : file_(std::move(file)), sort_(sort) {}

  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    IPCSPEC_ASSIGN_OR_RETURN(FileDescriptor fd, file_.Open());
    return std::unique_ptr<LockHandle>(
        std::make_unique<FileLockHandle>(std::move(fd), sort_, file_.path()));
  }
  std::string Path() const override { return file_.path(); }
  std::string Describe() const override {
    return std::string(ToString(sort_)) + " on " + file_.path();
  }

 private:
  LockFile file_;
  FileLockSort sort_;
};

}  // namespace

PosixErrorOr<LockInstance> OpenFileLock(FileLockSort sort) {
  if (sort == FileLockSort::kOfd) IPCSPEC_RETURN_IF_ERROR(ProbeOfdLocks());
  IPCSPEC_ASSIGN_OR_RETURN(LockFile f, LockFile::Create());
  return LockInstance(std::make_unique<FileLock>(std::move(f), sort));
}

namespace {

LockCaps FileCaps(FileLockSort sort) {
  LockCaps c;
  c.file_based = true;
  c.released_on_holder_death = true;
  c.robust = false;
  // Unlocking what one does not hold is not an error for any of them.
  c.foreign_release_defined = true;
  c.foreign_release_errno = 0;
  switch (sort) {
    case FileLockSort::kFcntl:
      c.owner = LockOwner::kProcess;
      // man 2 fcntl, F_SETLK: "this call returns -1 and sets errno to EACCES
      // or EAGAIN".
      c.busy_errnos = {EAGAIN, EACCES};
      c.wait_syscalls = {SYS_fcntl};
      break;
    case FileLockSort::kOfd:
      c.owner = LockOwner::kOpenFileDescription;
      // man 2 fcntl, F_OFD_SETLK: "this call returns -1 and sets errno to
      // EAGAIN".
      c.busy_errnos = {EAGAIN};
      c.wait_syscalls = {SYS_fcntl};
      break;
    case FileLockSort::kFlock:
      c.owner = LockOwner::kOpenFileDescription;
      // man 2 flock: "EWOULDBLOCK The file is locked and the LOCK_NB flag was
      // selected."
      c.busy_errnos = {EWOULDBLOCK};
      c.wait_syscalls = {SYS_flock};
      break;
  }
  return c;
}

// The same lock as C, for the reproducers (impl/repro): a lock file made
// at setup and unlinked at exit; each worker process opens its OWN fd on it
// (lk_handle(), as NewHandle()), and lk_try/lk_acquire/lk_release make the
// Kind's one call on it, returning 0 or errno.
CSnippet FileLockC(FileLockSort sort) {
  CSnippet c;
  c.includes = "#include <sys/file.h>\n";
  c.globals =
      "static char lk_path[64];  /* the lock file, unlinked at exit */\n"
      "static int lk_fd = -1;    /* this process's own handle (lk_handle) */\n"
      "static int lk_handle(void) {\n"
      "  lk_fd = open(lk_path, O_RDWR | O_CLOEXEC);\n"
      "  return lk_fd < 0 ? errno : 0;\n"
      "}\n";
  std::string tryc, acq, rel;
  switch (sort) {
    case FileLockSort::kFcntl:
    case FileLockSort::kOfd: {
      const std::string set = sort == FileLockSort::kFcntl ? "F_SETLK" : "F_OFD_SETLK";
      const std::string setw = sort == FileLockSort::kFcntl ? "F_SETLKW" : "F_OFD_SETLKW";
      c.globals +=
          "/* A whole-file lock request (l_pid 0, as F_OFD_* require). */\n"
          "static int lk_fcntl(int cmd, short type) {\n"
          "  struct flock fl;\n"
          "  memset(&fl, 0, sizeof fl);\n"
          "  fl.l_type = type;\n"
          "  fl.l_whence = SEEK_SET;\n"
          "  return fcntl(lk_fd, cmd, &fl) == 0 ? 0 : errno;\n"
          "}\n";
      tryc = "lk_fcntl(" + set + ", F_WRLCK)";
      acq = "lk_fcntl(" + setw + ", F_WRLCK)";
      rel = "lk_fcntl(" + set + ", F_UNLCK)";
      break;
    }
    case FileLockSort::kFlock:
      tryc = "flock(lk_fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno";
      acq = "flock(lk_fd, LOCK_EX) == 0 ? 0 : errno";
      rel = "flock(lk_fd, LOCK_UN) == 0 ? 0 : errno";
      break;
  }
  c.globals += "static int lk_try(void) { return " + tryc + "; }\n" +
               "static int lk_acquire(void) { return " + acq + "; }\n" +
               "static int lk_release(void) { return " + rel + "; }\n" +
               "static int lk_consistent(void) { return ENOTSUP; }  /* not a robust mutex */\n";
  c.setup =
      "{\n"
      "  int fd;\n"
      "  snprintf(lk_path, sizeof lk_path, \"/tmp/ipcspec-repro-lock.XXXXXX\");\n"
      "  fd = mkostemp(lk_path, O_CLOEXEC);\n"
      "  if (fd < 0) { lk_path[0] = 0; setup_failed(\"mkostemp\"); }\n"
      "  close(fd);\n"
      "}\n";
  c.teardown = "if (lk_path[0]) unlink(lk_path);\n";
  return c;
}

IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC(LockKind{"fcntl_setlk", "fcntl_lock",
                                     "fcntl(2) F_SETLK/F_SETLKW write lock on the whole file",
                                     FileCaps(FileLockSort::kFcntl),
                                     [] { return OpenFileLock(FileLockSort::kFcntl); }},
                            FileLockC(FileLockSort::kFcntl)));
IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC(LockKind{"ofd_setlk", "ofd_lock",
                                     "fcntl(2) F_OFD_SETLK/F_OFD_SETLKW open file description "
                                     "write lock on the whole file",
                                     FileCaps(FileLockSort::kOfd),
                                     [] { return OpenFileLock(FileLockSort::kOfd); }},
                            FileLockC(FileLockSort::kOfd)));
IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC(LockKind{"flock_ex", "flock", "flock(2) LOCK_EX, LOCK_NB for the try",
                                     FileCaps(FileLockSort::kFlock),
                                     [] { return OpenFileLock(FileLockSort::kFlock); }},
                            FileLockC(FileLockSort::kFlock)));

}  // namespace
}  // namespace ipcspec

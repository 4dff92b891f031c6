#include "impl/eventfd/eventfd.h"

#include "impl/core/privilege.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace ipcspec {

EventFdCounter::EventFdCounter(FileDescriptor fd, uint64_t initval, int flags)
    : fd_(std::move(fd)), initval_(initval), flags_(flags) {}

PosixErrorOr<int> EventFdCounter::ForCall(Blocking b) {
  const bool want_nb = b == Blocking::kNonBlock;
  const bool default_nb = (flags_ & EFD_NONBLOCK) != 0;
  if (want_nb == default_nb) return -1;
  int fl = fcntl(fd_.get(), F_GETFL);
  if (fl < 0) return ErrnoError("fcntl(F_GETFL) on " + Describe());
  int nfl = want_nb ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (fcntl(fd_.get(), F_SETFL, nfl) != 0) return ErrnoError("fcntl(F_SETFL) on " + Describe());
  return fl;
}

PosixError EventFdCounter::Restore(int flags) {
  if (flags < 0) return NoError();
  if (fcntl(fd_.get(), F_SETFL, flags) != 0) return ErrnoError("fcntl(F_SETFL) on " + Describe());
  return NoError();
}

PosixError EventFdCounter::Add(uint64_t v, Blocking b) {
  IPCSPEC_ASSIGN_OR_RETURN(int saved, ForCall(b));
  ssize_t n = write(fd_.get(), &v, sizeof v);
  int err = errno;
  IPCSPEC_RETURN_IF_ERROR(Restore(saved));
  std::string call = "write(" + Describe() + ", " + std::to_string(v) + ", " + ToString(b) + ")";
  if (n < 0) return PosixError(err, call);
  if (n != static_cast<ssize_t>(sizeof v)) {
    return PosixError(EIO, call + " wrote " + std::to_string(n) + " bytes, not 8");
  }
  return NoError();
}

PosixErrorOr<uint64_t> EventFdCounter::Take(Blocking b) {
  IPCSPEC_ASSIGN_OR_RETURN(int saved, ForCall(b));
  uint64_t v = 0;
  ssize_t n = read(fd_.get(), &v, sizeof v);
  int err = errno;
  IPCSPEC_RETURN_IF_ERROR(Restore(saved));
  std::string call = "read(" + Describe() + ", 8, " + ToString(b) + ")";
  if (n < 0) return PosixError(err, call);
  if (n != static_cast<ssize_t>(sizeof v)) {
    return PosixError(EIO, call + " read " + std::to_string(n) + " bytes, not 8");
  }
  return v;
}

std::string EventFdCounter::Describe() const {
  return "eventfd(" + std::to_string(initval_) + ", " + EventFdFlagsName(flags_) + ") fd " +
         std::to_string(fd_.get());
}

PosixErrorOr<CounterInstance> OpenEventFd(uint64_t initval, int flags) {
  // eventfd(2) takes an unsigned int initval.
  if (initval > 0xffffffffULL) return PosixError(EINVAL, "eventfd(initval above UINT_MAX)");
  FileDescriptor fd(eventfd(static_cast<unsigned>(initval), flags | EFD_CLOEXEC));
  if (!fd.valid()) {
    return ErrnoError("eventfd(" + std::to_string(initval) + ", " + EventFdFlagsName(flags) + ")");
  }
  return CounterInstance(std::make_unique<EventFdCounter>(std::move(fd), initval, flags));
}

PosixErrorOr<uint64_t> EventFdCount(int fd) { return FdInfoHexField(fd, "eventfd-count:"); }

std::string EventFdFlagsName(int flags) {
  std::string s;
  auto add = [&s](const char* n) { s += (s.empty() ? "" : "|") + std::string(n); };
  if (flags & EFD_SEMAPHORE) add("EFD_SEMAPHORE");
  if (flags & EFD_NONBLOCK) add("EFD_NONBLOCK");
  if (flags & EFD_CLOEXEC) add("EFD_CLOEXEC");
  return s.empty() ? "0" : s;
}

namespace {

CounterCaps EventFdCaps(uint64_t initval, int flags) {
  CounterCaps c;
  c.max_value = kEventFdMax;
  c.initial_value = initval;
  c.semaphore = (flags & EFD_SEMAPHORE) != 0;
  c.nonblocking_by_default = (flags & EFD_NONBLOCK) != 0;
  c.pollable = true;
  c.fork_shared = true;
  c.take_wait_syscalls = {SYS_read};
  c.add_wait_syscalls = {SYS_write};
  return c;
}

CounterKind EventFdKind(std::string name, std::string description, uint64_t initval, int flags) {
  // The same counter as C, for the reproducers (impl/repro): `cfd`, and
  // `c_default_nonblock` (EFD_NONBLOCK: a call asks for O_NONBLOCK or not).
  CSnippet c;
  c.includes = "#include <sys/eventfd.h>\n";
  c.globals = "static int cfd = -1;  /* the eventfd */\nstatic const int c_default_nonblock = " +
              std::string((flags & EFD_NONBLOCK) ? "1" : "0") + ";\n";
  c.setup = "cfd = eventfd(" + std::to_string(initval) + ", " + EventFdFlagsName(flags | EFD_CLOEXEC) +
            ");\nif (cfd < 0) setup_failed(\"eventfd\");\n";
  c.teardown = "if (cfd >= 0) close(cfd);\n";
  return WithC(CounterKind{std::move(name), "eventfd", std::move(description),
                           EventFdCaps(initval, flags),
                           [initval, flags] { return OpenEventFd(initval, flags); }},
               std::move(c));
}

IPCSPEC_REGISTER_KIND(CounterInterface, EventFdKind("eventfd", "eventfd(0, 0)", 0, 0));
IPCSPEC_REGISTER_KIND(CounterInterface,
                      EventFdKind("eventfd_nonblock", "eventfd(0, EFD_NONBLOCK)", 0,
                                  EFD_NONBLOCK));
IPCSPEC_REGISTER_KIND(CounterInterface,
                      EventFdKind("eventfd_semaphore", "eventfd(0, EFD_SEMAPHORE)", 0,
                                  EFD_SEMAPHORE));
IPCSPEC_REGISTER_KIND(CounterInterface,
                      EventFdKind("eventfd_semaphore_nonblock",
                                  "eventfd(0, EFD_SEMAPHORE|EFD_NONBLOCK)", 0,
                                  EFD_SEMAPHORE | EFD_NONBLOCK));
IPCSPEC_REGISTER_KIND(CounterInterface,
                      EventFdKind("eventfd_initval", "eventfd(5, 0): starts at 5", 5, 0));

}  // namespace
}  // namespace ipcspec

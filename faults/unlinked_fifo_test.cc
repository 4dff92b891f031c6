// The unlinked-FIFO scenario (the rest of it, ends that keep working and a new
// FIFO at the same path that shares no data, is in suites/fifo): a process
// blocked opening a FIFO that is then unlinked and replaced stays with the
// old FIFO.
//
// man 7 fifo: "opening the FIFO blocks until the other end is opened also";
// man 2 unlink: "If the name was the last link to a file but any processes
// still have the file open, the file will remain in existence until the last
// file descriptor referring to it is closed." The blocked opener holds the
// old FIFO; nobody can open its other end by name any more, so only a signal
// ends the wait (man 7 signal: open(2) of a FIFO fails EINTR without
// SA_RESTART).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "impl/fifo/fifo.h"

namespace ipcspec {
namespace {

void Nothing(int) {}

TEST(UnlinkedFifo, ABlockedOpenerStaysWithTheOldFifo) {
  ASSERT_OK_AND_ASSIGN(auto dir, MakeFifoDir());
  std::string path = dir.first + "/f";
  ASSERT_THAT(mkfifo(path.c_str(), 0600), SyscallSucceeds());
  auto opener = Child::Fork([&]() -> int {
    struct sigaction sa = {};
    sa.sa_handler = Nothing;  // no SA_RESTART: the open fails EINTR
    sigaction(SIGUSR1, &sa, nullptr);
    int fd = open(path.c_str(), O_RDONLY);
    if (fd >= 0) return 1;           // it must not have found a writer
    return errno == EINTR ? 0 : 2;
  });
  ASSERT_TRUE(opener.ok());
  pid_t pid = opener.value().pid();
  ASSERT_NO_ERRNO(WaitUntilBlocked(pid, {SYS_open, SYS_openat}))
      << "man 7 fifo: opening for reading blocks until a writer opens";

  ASSERT_THAT(unlink(path.c_str()), SyscallSucceeds());
  ASSERT_THAT(mkfifo(path.c_str(), 0600), SyscallSucceeds());
  // The new FIFO at the same path has no reader: the blocked opener is on the
  // old one (man 2 open: ENXIO for O_WRONLY|O_NONBLOCK with no reader).
  EXPECT_THAT(open(path.c_str(), O_WRONLY | O_NONBLOCK), SyscallFailsWithErrno(ENXIO))
      << "the process blocked opening the old path must not count as a reader of the new FIFO";
  // Opening the new FIFO read-write (Linux: does not block, man 7 fifo) does
  // not wake the old opener either.
  FileDescriptor rw(open(path.c_str(), O_RDWR | O_NONBLOCK));
  ASSERT_TRUE(rw.valid());
  ASSERT_NO_ERRNO(WaitUntilBlocked(pid, {SYS_open, SYS_openat}))
      << "the old opener must still be blocked: a different FIFO was opened";
  ASSERT_THAT(kill(pid, SIGUSR1), SyscallSucceeds());
  auto st = opener.value().Wait();
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st.value().ExitedWith(0))
      << st.value() << ": expected the open to fail EINTR (exit 0); 1 = it opened, 2 = other errno";
}

}  // namespace
}  // namespace ipcspec

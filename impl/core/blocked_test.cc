#include "impl/core/blocked.h"

#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

TEST(WaitUntilBlocked, SeesAReaderAsleepInRead) {
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]);
  auto c = Child::Fork([&] {
    char b;
    return read(r.get(), &b, 1) == 1 ? 0 : 1;
  });
  ASSERT_TRUE(c.ok());
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.value().pid(), {SYS_read}));
  auto snap = SnapshotTask(c.value().pid());
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().state, 'S');
  ASSERT_THAT(write(w.get(), "x", 1), SyscallSucceedsWithValue(1));
  auto st = c.value().Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st.value().ExitedWith(0)) << st.value();
}

// The counter behind "not woken since": unchanged while the reader sleeps,
// grown once it was woken and slept again.
TEST(VoluntarySwitches, UnchangedWhileAsleepGrowsAfterAWakeup) {
  IPCSPEC_NEEDS(Need::Feature("proc_voluntary_ctxt_switches", []() -> std::optional<std::string> {
    auto n = VoluntarySwitches(getpid());
    if (n.ok() || n.errno_value() != ENODATA) return std::nullopt;
    return n.error().ToString();
  }));
  int fds[2], back[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  ASSERT_THAT(pipe(back), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]), br(back[0]), bw(back[1]);
  auto c = Child::Fork([&] {
    char b;
    if (read(r.get(), &b, 1) != 1) return 1;  // first sleep
    if (read(r.get(), &b, 1) != 1) return 2;  // second sleep
    return 0;
  });
  ASSERT_TRUE(c.ok());
  const pid_t pid = c.value().pid();
  ASSERT_NO_ERRNO(WaitUntilBlocked(pid, {SYS_read}));
  ASSERT_OK_AND_ASSIGN(uint64_t before, VoluntarySwitches(pid));
  ASSERT_OK_AND_ASSIGN(TaskSnapshot still, SnapshotTask(pid));
  EXPECT_EQ(still.state, 'S');
  ASSERT_OK_AND_ASSIGN(uint64_t again, VoluntarySwitches(pid));
  EXPECT_EQ(again, before) << "asleep and not woken: the count must not move";
  ASSERT_THAT(write(w.get(), "x", 1), SyscallSucceedsWithValue(1));
  // Woken, it reads and sleeps again in the second read.
  ASSERT_TRUE(PollUntil(
      [&] {
        auto n = VoluntarySwitches(pid);
        return n.ok() && n.value() > before;
      },
      Deadline::Default()))
      << "woken and asleep again, the count did not grow";
  ASSERT_THAT(write(w.get(), "y", 1), SyscallSucceedsWithValue(1));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.value().Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
}

TEST(WaitUntilBlocked, TimesOutWhenBlockedInAnotherCall) {
  IPCSPEC_NEEDS(Need::ProcPidSyscall());
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]);
  auto c = Child::Fork([&] {
    char b;
    return static_cast<int>(read(r.get(), &b, 1));
  });
  ASSERT_TRUE(c.ok());
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.value().pid(), {SYS_read}));
  PosixError e = WaitUntilBlocked(c.value().pid(), {SYS_msgrcv},
                                  Deadline::In(std::chrono::milliseconds(30)));
  EXPECT_THAT(e, SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_NE(e.ToString().find("in read"), std::string::npos) << e;
}

TEST(WaitUntilBlocked, ReportsAProcessThatExitedInstead) {
  auto c = Child::Fork([] { return 0; });
  ASSERT_TRUE(c.ok());
  PosixError e = WaitUntilBlocked(c.value().pid(), {SYS_read});
  EXPECT_THAT(e, SyscallFailsWithErrno(ESRCH));
}

// The calls a Kind declares its blocked operation also sleeps in
// (ByteStreamCaps::also_blocked_in) are accepted when passed, and only then.
// A libuv-like reader: it waits for data in epoll_wait(2) ("waits for events
// on the epoll instance", man 2 epoll_wait), never in read(2). Seen blocked
// with {epoll_wait, epoll_pwait} passed; without them the same sleeping
// process is not seen blocked in read (the argument is what makes the
// difference, nothing is remembered between calls).
TEST(WaitUntilBlocked, AcceptsTheExtraCallsItIsGiven) {
  IPCSPEC_NEEDS(Need::ProcPidSyscall());
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]);
  FileDescriptor ep(epoll_create1(EPOLL_CLOEXEC));
  ASSERT_TRUE(ep.valid()) << "epoll_create1: " << strerror(errno);
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.fd = r.get();
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, r.get(), &ev), SyscallSucceeds());
  auto c = Child::Fork([&] {
    struct epoll_event got = {};
    // Bounded: a parent that fails before writing does not leave it asleep.
    if (epoll_wait(ep.get(), &got, 1, 20000) != 1) return 1;
    char b;
    return read(r.get(), &b, 1) == 1 ? 0 : 2;
  });
  ASSERT_TRUE(c.ok());
  const pid_t pid = c.value().pid();
  const std::vector<long> loop = {SYS_epoll_wait, SYS_epoll_pwait};
  PosixError with = WaitUntilBlocked(pid, {SYS_read}, loop);
  EXPECT_NO_ERRNO(with);
  if (with.ok()) {
    // Asleep in epoll_wait now, and until the parent writes: without the
    // extra calls it is not seen blocked in read.
    PosixError without = WaitUntilBlocked(pid, {SYS_read}, Deadline::In(std::chrono::milliseconds(30)));
    EXPECT_THAT(without, SyscallFailsWithErrno(ETIMEDOUT));
    EXPECT_NE(without.ToString().find("in epoll_"), std::string::npos) << without;
  }
  ASSERT_THAT(write(w.get(), "x", 1), SyscallSucceedsWithValue(1));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.value().Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
}

}  // namespace
}  // namespace ipcspec

#include "impl/core/blocked.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

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

// AlsoBlockedIn (a Kind whose blocked calls sleep in an event loop's
// epoll_wait) widens the calls WaitUntilBlocked accepts in the declaring
// process and its children only. The declaration is process-wide, so it is
// made in a child of the test: the test binary's other tests never see it.
TEST(WaitUntilBlocked, AcceptsTheCallsDeclaredWithAlsoBlockedIn) {
  IPCSPEC_NEEDS(Need::ProcPidSyscall());
  auto st = ForkAndWait([]() -> int {
    int fds[2];
    if (pipe(fds) != 0) return 10;
    auto c = Child::Fork([&] {
      struct pollfd p = {fds[0], POLLIN, 0};
      return poll(&p, 1, 20000) == 1 ? 0 : 1;  // sleeps in poll until the parent writes
    });
    if (!c.ok()) return 11;
    PosixError any = WaitUntilBlocked(c.value().pid(), {});
    if (!any.ok()) return 12;
    // Not declared: poll is not read.
    PosixError before = WaitUntilBlocked(c.value().pid(), {SYS_read},
                                         Deadline::In(std::chrono::milliseconds(30)));
    if (before.errno_value() != ETIMEDOUT) return 13;
    AlsoBlockedIn({SYS_poll, SYS_ppoll});
    PosixError after = WaitUntilBlocked(c.value().pid(), {SYS_read});
    if (!after.ok()) return 14;
    // An empty list still means any call, and the declaration is listed.
    if (AlsoBlockedInCalls().size() != 2) return 15;
    if (write(fds[1], "x", 1) != 1) return 16;
    auto cs = c.value().Wait();
    return cs.ok() && cs.value().ExitedWith(0) ? 0 : 17;
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st.value().ExitedWith(0)) << st.value();
  // The declaration stayed in the child.
  EXPECT_TRUE(AlsoBlockedInCalls().empty());
}

}  // namespace
}  // namespace ipcspec

#include "impl/core/child_report.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

TEST(ChildReport, RecordsWhatTheCallReturned) {
  ASSERT_OK_AND_ASSIGN(CallRecord r, CallInChild([] { return Record("getppid", getppid()); }));
  EXPECT_EQ(r.ret, getpid());
  EXPECT_EQ(r.err, 0);
  EXPECT_EQ(r.ToString(), "getppid returned " + std::to_string(getpid()));
}

TEST(ChildReport, RecordsTheErrnoOfAFailedCall) {
  ASSERT_OK_AND_ASSIGN(CallRecord r, CallInChild([] { return Record("close", close(-1)); }));
  EXPECT_TRUE(r.FailedWith(EBADF)) << r;
  EXPECT_EQ(r.ToString(), "close failed EBADF");
}

TEST(ChildReport, SaysWhatWasNotReachedAndTheExtraValue) {
  CallRecord r;
  EXPECT_FALSE(r.reached());
  EXPECT_EQ(r.ToString(), "not reached");
  r.call = "write";
  EXPECT_EQ(r.ToString(), "write not reached");
  r = Record("write", 3);
  r.extra = 5;
  EXPECT_EQ(r.ToString(), "write returned 3, then 5");
}

TEST(ChildReport, RecordsSeveralCalls) {
  ASSERT_OK_AND_ASSIGN(auto r, CallsInChild<3>([](CallRecords<3>& calls) {
                         calls[0] = Record("dup", dup(-1));
                         calls[1] = Record("getpid", getpid() > 0 ? 0 : -1);
                       }));
  EXPECT_TRUE(r[0].FailedWith(EBADF)) << r[0];
  EXPECT_EQ(r[1].ret, 0) << r[1];
  EXPECT_FALSE(r[2].reached()) << r[2];
  EXPECT_EQ(ToString(r), "dup failed EBADF; getpid returned 0; not reached");
}

// A child that dies before its end reports nothing: the error names the
// signal, and no record is handed back as if it were a result.
TEST(ChildReport, AChildKilledBeforeItsEndIsAnErrorNotARecord) {
  auto r = CallInChild([] {
    raise(SIGKILL);
    return Record("raise", 0);
  });
  ASSERT_FALSE(r.ok()) << "a killed child read as " << r;
  EXPECT_EQ(r.errno_value(), ECHILD);
  EXPECT_NE(r.error().ToString().find("did not reach its end: killed by SIGKILL"),
            std::string::npos)
      << r.error();
}

TEST(ChildReport, AChildWhoseRecordsWereWrittenBeforeItDiedIsStillAnError) {
  auto r = CallsInChild<2>([](CallRecords<2>& calls) {
    calls[0] = Record("getpid", 0);
    abort();
  });
  ASSERT_FALSE(r.ok()) << "a crashed child read as a report";
  EXPECT_NE(r.error().ToString().find("killed by SIGABRT"), std::string::npos) << r.error();
}

TEST(ChildReport, AThrowingChildIsAnError) {
  auto r = CallInChild([]() -> CallRecord { throw 1; });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("its function threw"), std::string::npos) << r.error();
}

TEST(ChildReport, AChildExitingOtherwiseIsAnError) {
  auto r = CallInChild([] {
    _exit(3);
    return Record("never", 0);
  });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("exited with 3"), std::string::npos) << r.error();
}

TEST(ChildReport, TheWaitHasADeadline) {
  int fds[2];
  ASSERT_THAT(pipe2(fds, O_CLOEXEC), SyscallSucceeds());
  auto r = CallInChild(
      [&] {
        char b;
        return Record("read", read(fds[0], &b, 1));  // blocks: nobody writes
      },
      Deadline::In(std::chrono::milliseconds(50)));
  EXPECT_THAT(r, SyscallFailsWithErrno(ETIMEDOUT));
  close(fds[0]);
  close(fds[1]);
}

TEST(ChildReport, ReachedEndAcceptsOnlyExitZero) {
  EXPECT_TRUE(ReachedEnd(WaitStatus{0}).ok());
  EXPECT_FALSE(ReachedEnd(WaitStatus{1 << 8}).ok());
  EXPECT_NE(ReachedEnd(WaitStatus{SIGSEGV}, "the writer").ToString().find(
                "the writer did not reach its end: killed by SIGSEGV"),
            std::string::npos);
}

}  // namespace
}  // namespace ipcspec

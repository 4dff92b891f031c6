// POSIX semaphores: the documented semantics of sem_open(3), sem_unlink(3),
// sem_init(3), sem_post(3), sem_wait(3) and sem_getvalue(3) (man 7
// sem_overview): limits, errors, deferred unlink, sharing across fork and
// persistence.
//
// Each test has its own tmpfs on /dev/shm (the ipcspec main), where named
// semaphores live.
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/core/watchdog.h"
#include "impl/posix_sem/posix_sem.h"

namespace ipcspec {
namespace {

const std::vector<long> kFutex = {SYS_futex};

int ValueOf(sem_t* s) {
  int v = -12345;
  if (sem_getvalue(s, &v) != 0) return -12345;
  return v;
}

// man 7 sem_overview: "On Linux, named semaphores are created in a virtual
// filesystem, normally mounted under /dev/shm, with names of the form
// sem.somename."
std::string SemFile(const std::string& name) { return "/dev/shm/sem." + name.substr(1); }

struct timespec RealtimeIn(long long ns) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec += static_cast<time_t>(ns / 1000000000);
  t.tv_nsec += static_cast<long>(ns % 1000000000);
  if (t.tv_nsec >= 1000000000) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000;
  }
  return t;
}

// ---------------------------------------------------------------------
// SEM_VALUE_MAX
// ---------------------------------------------------------------------

// man 3 sem_post: "EOVERFLOW The maximum allowable value for a semaphore would
// be exceeded." and "on error, the value of the semaphore is left unchanged".
TEST(PosixSemLimits, PostAtSemValueMaxFailsEOVERFLOW) {
  const long max = SemValueMax();
  ASSERT_EQ(max, SEM_VALUE_MAX);
  ASSERT_OK_AND_ASSIGN(auto unnamed,
                       UnnamedPosixSemaphore::Create(static_cast<unsigned>(max), true));
  EXPECT_THAT(sem_post(unnamed->get()), SyscallFailsWithErrno(EOVERFLOW))
      << "man 3 sem_post: \"EOVERFLOW The maximum allowable value for a semaphore would be "
         "exceeded.\" (unnamed, at SEM_VALUE_MAX)";
  EXPECT_EQ(ValueOf(unnamed->get()), max)
      << "man 3 sem_post: \"on error, the value of the semaphore is left unchanged\"";

  ASSERT_OK_AND_ASSIGN(auto named, NamedPosixSemaphore::Open(UniqueSemName("max"),
                                                             O_CREAT | O_EXCL,
                                                             static_cast<unsigned>(max)));
  EXPECT_THAT(sem_post(named->get()), SyscallFailsWithErrno(EOVERFLOW))
      << "man 3 sem_post: \"EOVERFLOW The maximum allowable value for a semaphore would be "
         "exceeded.\" (named, at SEM_VALUE_MAX)";
  EXPECT_EQ(ValueOf(named->get()), max)
      << "man 3 sem_post: \"on error, the value of the semaphore is left unchanged\"";
}

// man 3 sem_init: "EINVAL value exceeds SEM_VALUE_MAX." man 3 sem_open:
// "EINVAL value was greater than SEM_VALUE_MAX."
TEST(PosixSemLimits, InitialValueAboveSemValueMaxFailsEINVAL) {
  const unsigned above = static_cast<unsigned>(SemValueMax()) + 1u;
  ASSERT_OK_AND_ASSIGN(auto mem, SharedObject<sem_t>::Create());
  EXPECT_THAT(sem_init(mem.get(), 1, above), SyscallFailsWithErrno(EINVAL))
      << "man 3 sem_init: \"EINVAL value exceeds SEM_VALUE_MAX.\"";
  EXPECT_THAT(sem_init(mem.get(), 1, above - 1), SyscallSucceeds())
      << "man 3 sem_init: SEM_VALUE_MAX itself is a valid initial value";
  EXPECT_THAT(sem_destroy(mem.get()), SyscallSucceeds());

  const std::string name = UniqueSemName("above");
  auto opened = NamedPosixSemaphore::Open(name, O_CREAT | O_EXCL, above);
  EXPECT_THAT(opened, SyscallFailsWithErrno(EINVAL))
      << "man 3 sem_open: \"EINVAL value was greater than SEM_VALUE_MAX.\"";
  EXPECT_THAT(access(SemFile(name).c_str(), F_OK), SyscallFailsWithErrno(ENOENT))
      << "man 3 sem_open: the failed sem_open created no semaphore";
}

// ---------------------------------------------------------------------
// Not waiting: sem_trywait and sem_timedwait
// ---------------------------------------------------------------------

// man 3 sem_wait: "sem_trywait() is the same as sem_wait(), except that if
// the decrement cannot be immediately performed, then call returns an error
// (errno set to EAGAIN) instead of blocking." "EAGAIN (sem_trywait()) The
// operation could not be performed without blocking (i.e., the semaphore
// currently has the value zero)."
TEST(PosixSemNoWait, TrywaitAtZeroFailsEAGAIN) {
  ASSERT_OK_AND_ASSIGN(auto s, UnnamedPosixSemaphore::Create(1, true));
  EXPECT_THAT(sem_trywait(s->get()), SyscallSucceeds())
      << "man 3 sem_wait: at value 1 \"the decrement proceeds, and the function returns, "
         "immediately\"";
  EXPECT_THAT(sem_trywait(s->get()), SyscallFailsWithErrno(EAGAIN))
      << "man 3 sem_wait: \"EAGAIN (sem_trywait()) The operation could not be performed "
         "without blocking (i.e., the semaphore currently has the value zero).\"";
  EXPECT_EQ(ValueOf(s->get()), 0)
      << "man 7 sem_overview: \"A semaphore is an integer whose value is never allowed to fall "
         "below zero.\"";
}

// man 3 sem_wait: "If the timeout has already expired by the time of the
// call, and the semaphore could not be locked immediately, then
// sem_timedwait() fails with a timeout error (errno set to ETIMEDOUT)." and
// "ETIMEDOUT (sem_timedwait()) The call timed out before the semaphore could
// be locked."
TEST(PosixSemNoWait, TimedwaitTimesOutWithETIMEDOUT) {
  ASSERT_OK_AND_ASSIGN(auto s, UnnamedPosixSemaphore::Create(0, true));
  struct timespec past = RealtimeIn(0);
  past.tv_sec -= 1;
  {
    Watchdog w(Deadline::Default());
    EXPECT_THAT(sem_timedwait(s->get(), &past), SyscallFailsWithErrno(ETIMEDOUT))
        << "man 3 sem_wait: \"If the timeout has already expired by the time of the call ... "
           "sem_timedwait() fails with a timeout error (errno set to ETIMEDOUT).\"";
  }
  const long long wait_ns = 20LL * 1000 * 1000;
  struct timespec until = RealtimeIn(wait_ns);
  struct timespec t0, t1;
  clock_gettime(CLOCK_REALTIME, &t0);
  int r, err;
  {
    Watchdog w(Deadline::Default());
    r = sem_timedwait(s->get(), &until);
    err = errno;
  }
  clock_gettime(CLOCK_REALTIME, &t1);
  EXPECT_EQ(r, -1) << "man 3 sem_wait: \"on error ... -1 is returned\"";
  EXPECT_EQ(err, ETIMEDOUT) << "man 3 sem_wait: \"ETIMEDOUT (sem_timedwait()) The call timed "
                               "out before the semaphore could be locked.\"; got "
                            << ErrnoName(err);
  EXPECT_TRUE(t1.tv_sec > until.tv_sec ||
              (t1.tv_sec == until.tv_sec && t1.tv_nsec >= until.tv_nsec))
      << "man 3 sem_wait: abs_timeout \"specifies a limit on the amount of time that the call "
         "should block\": it does not time out before it";
  EXPECT_EQ(ValueOf(s->get()), 0)
      << "man 3 sem_wait: \"on error, the value of the semaphore is left unchanged\"";
}

// man 3 sem_wait: "EINVAL (sem_timedwait()) The value of abs_timeout.tv_nsecs
// is less than 0, or greater than or equal to 1000 million." ... "If the
// operation can be performed immediately, then sem_timedwait() never fails
// with a timeout error, regardless of the value of abs_timeout. Furthermore,
// the validity of abs_timeout is not checked in this case."
TEST(PosixSemNoWait, TimedwaitWithBadTimeoutFailsEINVAL) {
  ASSERT_OK_AND_ASSIGN(auto s, UnnamedPosixSemaphore::Create(0, true));
  for (long nsec : {1000000000L, -1L}) {
    struct timespec bad = RealtimeIn(0);
    bad.tv_sec += 1;
    bad.tv_nsec = nsec;
    Watchdog w(Deadline::Default());
    EXPECT_THAT(sem_timedwait(s->get(), &bad), SyscallFailsWithErrno(EINVAL))
        << "man 3 sem_wait: \"EINVAL (sem_timedwait()) The value of abs_timeout.tv_nsecs is "
           "less than 0, or greater than or equal to 1000 million.\" (tv_nsec = "
        << nsec << ", at value 0, where the call would block)";
  }
  // Where the decrement can proceed, the Linux man page and POSIX differ,
  // and this test checks Linux (glibc):
  //  - man 3 sem_wait: "If the operation can be performed immediately, then
  //    sem_timedwait() never fails with a timeout error, regardless of the
  //    value of abs_timeout. Furthermore, the validity of abs_timeout is not
  //    checked in this case."
  //  - POSIX.1-2008, sem_timedwait: "The validity of the abs_timeout need not
  //    be checked if the semaphore can be locked immediately." (a check is
  //    allowed), and "If the call was unsuccessful, the state of the
  //    semaphore shall be unchanged".
  // glibc (observed with 2.36, Debian bookworm) validates tv_nsec
  // before it tries the decrement, so the call fails EINVAL at value 1 and
  // the value stays 1: what POSIX allows, not what the man page says.
  ASSERT_THAT(sem_post(s->get()), SyscallSucceeds());
  struct timespec bad = RealtimeIn(0);
  bad.tv_nsec = 1000000000L;
  {
    Watchdog w(Deadline::Default());
    EXPECT_THAT(sem_timedwait(s->get(), &bad), SyscallFailsWithErrno(EINVAL))
        << "glibc checks abs_timeout even where the decrement can proceed (POSIX: \"The "
           "validity of the abs_timeout need not be checked if the semaphore can be locked "
           "immediately.\"; man 3 sem_wait says it is not checked): \"EINVAL (sem_timedwait()) "
           "The value of abs_timeout.tv_nsecs is ... greater than or equal to 1000 million.\"";
  }
  EXPECT_EQ(ValueOf(s->get()), 1)
      << "POSIX sem_timedwait: \"If the call was unsuccessful, the state of the semaphore "
         "shall be unchanged\"; man 3 sem_wait: \"on error, the value of the semaphore is left "
         "unchanged\"";
}

// ---------------------------------------------------------------------
// Names: sem_open and sem_unlink
// ---------------------------------------------------------------------

// man 3 sem_open: "If both O_CREAT and O_EXCL are specified in oflag, then an
// error is returned if a semaphore with the given name already exists." and
// "EEXIST Both O_CREAT and O_EXCL were specified in oflag, but a semaphore
// with this name already exists." "ENOENT The O_CREAT flag was not specified
// in oflag and no semaphore with this name exists".
TEST(PosixSemNames, OpenExclusiveOfExistingNameFailsEEXIST) {
  const std::string name = UniqueSemName("excl");
  EXPECT_THAT(NamedPosixSemaphore::Open(name, 0, 0), SyscallFailsWithErrno(ENOENT))
      << "man 3 sem_open: \"ENOENT The O_CREAT flag was not specified in oflag and no "
         "semaphore with this name exists\"";
  ASSERT_OK_AND_ASSIGN(auto first, NamedPosixSemaphore::Open(name, O_CREAT | O_EXCL, 3));
  EXPECT_THAT(NamedPosixSemaphore::Open(name, O_CREAT | O_EXCL, 0),
              SyscallFailsWithErrno(EEXIST))
      << "man 3 sem_open: \"EEXIST Both O_CREAT and O_EXCL were specified in oflag, but a "
         "semaphore with this name already exists.\"";
  ASSERT_OK_AND_ASSIGN(auto again, NamedPosixSemaphore::Open(name, O_CREAT, 9));
  EXPECT_EQ(ValueOf(again->get()), 3)
      << "man 3 sem_open: \"If O_CREAT is specified, and a semaphore with the given name "
         "already exists, then mode and value are ignored.\"";
  EXPECT_FALSE(again->owns_name());  // `first` unlinks it
  EXPECT_THAT(NamedPosixSemaphore::Open("/", O_CREAT, 0), SyscallFailsWithErrno(EINVAL))
      << "man 3 sem_open: \"EINVAL name consists of just \"/\", followed by no other "
         "characters.\"";
}

// Forks a child that waits on `s` (sem_wait) and records the call in *rec.
PosixErrorOr<Child> ForkWaiter(sem_t* s, CallRecord* rec) {
  return Child::Fork([s, rec] {
    *rec = Record("sem_wait", sem_wait(s));
    return 0;
  });
}

// man 3 sem_unlink: "sem_unlink() removes the named semaphore referred to by
// name. The semaphore name is removed immediately. The semaphore is destroyed
// once all other processes that have the semaphore open close it."
TEST(PosixSemNames, UnlinkIsDeferredUntilTheLastClose) {
  const std::string name = UniqueSemName("unlink");
  ASSERT_OK_AND_ASSIGN(auto sem, NamedPosixSemaphore::Open(name, O_CREAT | O_EXCL, 0));
  ASSERT_THAT(access(SemFile(name).c_str(), F_OK), SyscallSucceeds())
      << "man 7 sem_overview: named semaphores live in /dev/shm as sem.somename";
  sem_t* s = sem->get();
  // A child has it open (inherited mapping) and waits on it.
  ASSERT_OK_AND_ASSIGN(auto waited, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child waiter, ForkWaiter(s, waited.get()));
  ASSERT_NO_ERRNO(WaitUntilBlocked(waiter.pid(), kFutex));

  ASSERT_NO_ERRNO(sem->Unlink());
  EXPECT_THAT(access(SemFile(name).c_str(), F_OK), SyscallFailsWithErrno(ENOENT))
      << "man 3 sem_unlink: \"The semaphore name is removed immediately.\"";
  EXPECT_THAT(NamedPosixSemaphore::Open(name, 0, 0), SyscallFailsWithErrno(ENOENT))
      << "man 3 sem_unlink: \"The semaphore name is removed immediately.\": sem_open of the "
         "name fails ENOENT";

  // The open semaphore still works, across processes.
  EXPECT_THAT(sem_post(s), SyscallSucceeds())
      << "man 3 sem_unlink: \"The semaphore is destroyed once all other processes that have "
         "the semaphore open close it.\"";
  ASSERT_OK_AND_ASSIGN(WaitStatus st, waiter.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(waited->ret, 0) << "man 3 sem_unlink: the unlinked semaphore still wakes its "
                               "waiter (sem_post(3)); the child's "
                            << *waited;
  EXPECT_THAT(sem_post(s), SyscallSucceeds())
      << "man 3 sem_unlink: the unlinked, still open semaphore works";
  EXPECT_THAT(sem_trywait(s), SyscallSucceeds())
      << "man 3 sem_unlink: the unlinked, still open semaphore works";
  EXPECT_EQ(ValueOf(s), 0) << "man 3 sem_unlink: the unlinked, still open semaphore works";

  // The name is free again: a new sem_open makes a different semaphore.
  ASSERT_OK_AND_ASSIGN(auto fresh, NamedPosixSemaphore::Open(name, O_CREAT | O_EXCL, 5));
  EXPECT_EQ(ValueOf(fresh->get()), 5) << "man 3 sem_open: O_CREAT|O_EXCL made a new one";
  EXPECT_THAT(sem_post(s), SyscallSucceeds());
  EXPECT_EQ(ValueOf(fresh->get()), 5)
      << "man 3 sem_unlink: the new semaphore under the old name is not the unlinked one";
  EXPECT_EQ(ValueOf(s), 1) << "man 3 sem_unlink: the unlinked semaphore is still itself";
  ASSERT_NO_ERRNO(sem->Close());
}

// man 7 sem_overview, "Persistence": "POSIX named semaphores have kernel
// persistence: if not removed by sem_unlink(3), a semaphore will exist until
// the system is shut down." A creator process that exits without sem_close or
// sem_unlink leaves it, with its value, for others to open.
std::string HelperPath(const char* name) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    std::string dir(exe);
    dir = dir.substr(0, dir.rfind('/'));
    std::string p = dir + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  if (srcdir && ws) return std::string(srcdir) + "/" + ws + "/suites/posix_sem/" + name;
  return name;
}

TEST(PosixSemNames, NamedSemaphorePersistsAfterItsCreatorExits) {
  const std::string name = UniqueSemName("persist");
  // The owner of the name, from before the fork: unlinks it whatever happens.
  Cleanup unlink_name([name] { sem_unlink(name.c_str()); });
  const std::string helper = HelperPath("sem_creator");
  IPCSPEC_NEEDS(Need("helper:sem_creator", [helper]() -> std::optional<std::string> {
    if (access(helper.c_str(), X_OK) == 0) return std::nullopt;
    return "the helper binary sem_creator is neither next to this test nor in its Bazel "
           "runfiles (" + helper + "); copy it beside the test to run this";
  }));
  // The creator is another program (exec'd in the child: only
  // async-signal-safe calls before execv).
  const char* argv[] = {helper.c_str(), name.c_str(), "4", nullptr};
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&argv] {
                         execv(argv[0], const_cast<char* const*>(argv));
                         return 127;
                       }));
  ASSERT_TRUE(st.ExitedWith(0)) << "sem_creator: " << st << " (exit code = errno)";

  auto reopened_or = NamedPosixSemaphore::Open(name, 0, 0);
  ASSERT_THAT(reopened_or, SyscallSucceeds())
      << "man 7 sem_overview: \"POSIX named semaphores have kernel persistence\": sem_open of "
         "the name after its creator exited";
  auto reopened = std::move(reopened_or).ValueOrDie();
  EXPECT_EQ(ValueOf(reopened->get()), 4)
      << "man 7 sem_overview: \"if not removed by sem_unlink(3), a semaphore will exist until "
         "the system is shut down\": its value is the one its creator gave it";
  ASSERT_NO_ERRNO(reopened->Close());
  EXPECT_THAT(sem_unlink(name.c_str()), SyscallSucceeds())
      << "man 3 sem_unlink: the name left by the exited creator is still there to remove";
  unlink_name.Release();
  EXPECT_THAT(NamedPosixSemaphore::Open(name, 0, 0), SyscallFailsWithErrno(ENOENT))
      << "man 3 sem_unlink: once unlinked (and closed everywhere) the name is gone";
}

// ---------------------------------------------------------------------
// Unnamed, process-shared
// ---------------------------------------------------------------------

// man 3 sem_init: "If pshared is nonzero, then the semaphore is shared between
// processes, and should be located in a region of shared memory ... (Since a
// child created by fork(2) inherits its parent's memory mappings, it can also
// access the semaphore.) Any process that can access the shared memory region
// can operate on the semaphore using sem_post(3), sem_wait(3), and so on."
TEST(PosixSemShared, ProcessSharedSemaphoreWorksAcrossFork) {
  ASSERT_OK_AND_ASSIGN(auto sem, UnnamedPosixSemaphore::Create(0, true));
  sem_t* s = sem->get();
  ASSERT_OK_AND_ASSIGN(auto waited, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child waiter, ForkWaiter(s, waited.get()));
  // man 7 sem_overview: "If the value of a semaphore is currently zero, then a
  // sem_wait(3) operation will block".
  ASSERT_NO_ERRNO(WaitUntilBlocked(waiter.pid(), kFutex));
  ASSERT_THAT(sem_post(s), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, waiter.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(waited->ret, 0) << "man 3 sem_init: a child \"can also access the semaphore\": "
                               "the parent's sem_post woke the child's sem_wait; the child's "
                            << *waited;
  EXPECT_EQ(ValueOf(s), 0) << "man 3 sem_wait: the child's sem_wait took the posted unit";

  // And the other way: the child's posts reach the parent.
  ASSERT_OK_AND_ASSIGN(auto posts, CallsInChild<2>([s](CallRecords<2>& r) {
                         r[0] = Record("sem_post", sem_post(s));
                         r[1] = Record("sem_post", sem_post(s));
                       }));
  ASSERT_TRUE(posts[0].ret == 0 && posts[1].ret == 0) << "the child's " << ToString(posts);
  EXPECT_EQ(ValueOf(s), 2) << "man 3 sem_init: \"Any process that can access the shared memory "
                              "region can operate on the semaphore\"";
}

// man 3 sem_getvalue: "If one or more processes or threads are blocked waiting
// to lock the semaphore with sem_wait(3), POSIX.1 permits two possibilities for
// the value returned in sval: either 0 is returned; or a negative number whose
// absolute value is the count of the number of processes and threads
// currently blocked in sem_wait(3). Linux adopts the former behavior."
// (Linux-specific: POSIX also allows the negative count.)
TEST(PosixSemShared, GetvalueIsZeroNotNegativeWhileProcessesWait) {
  ASSERT_OK_AND_ASSIGN(auto sem, UnnamedPosixSemaphore::Create(0, true));
  sem_t* s = sem->get();
  ASSERT_OK_AND_ASSIGN(auto waited, SharedObject<CallRecords<2>>::Create());
  ASSERT_OK_AND_ASSIGN(Child a, ForkWaiter(s, &(*waited)[0]));
  ASSERT_OK_AND_ASSIGN(Child b, ForkWaiter(s, &(*waited)[1]));
  ASSERT_NO_ERRNO(WaitUntilBlocked(a.pid(), kFutex));
  ASSERT_NO_ERRNO(WaitUntilBlocked(b.pid(), kFutex));
  EXPECT_EQ(ValueOf(s), 0) << "man 3 sem_getvalue: with waiters \"Linux adopts the former "
                              "behavior\" (0, not minus the number of waiters)";
  ASSERT_THAT(sem_post(s), SyscallSucceeds());
  ASSERT_THAT(sem_post(s), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus sa, a.Wait());
  ASSERT_OK_AND_ASSIGN(WaitStatus sb, b.Wait());
  EXPECT_TRUE(sa.ExitedWith(0)) << sa;
  EXPECT_TRUE(sb.ExitedWith(0)) << sb;
  EXPECT_TRUE((*waited)[0].ret == 0 && (*waited)[1].ret == 0)
      << "the waiters' " << ToString(*waited);
  EXPECT_EQ(ValueOf(s), 0) << "man 3 sem_post: each post woke one waiter, which took it";
}

}  // namespace
}  // namespace ipcspec

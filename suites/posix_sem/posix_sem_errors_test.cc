// POSIX named semaphores: the error table of sem_open and sem_unlink (names,
// lengths, EMFILE), what sem_close leaves, one address per name in a process,
// and sem_timedwait interrupted by a signal (man 3 sem_open, sem_unlink,
// sem_close, sem_wait, man 7 sem_overview, man 7 signal). Each test has its
// own tmpfs on /dev/shm (the ipcspec main); every name has an owner that
// unlinks it.
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/posix_sem/posix_sem.h"

namespace ipcspec {
namespace {

// Owns a semaphore name: sem_unlink at scope exit (ENOENT once gone is fine).
Cleanup UnlinkAtExit(const std::string& name) {
  return Cleanup([name] { sem_unlink(name.c_str()); });
}

// sem_open with O_CREAT | O_EXCL, closing and unlinking what it made: 0, or
// -1 with errno.
int TryCreate(const std::string& name) {
  sem_t* s = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 0);
  if (s == SEM_FAILED) return -1;
  sem_close(s);
  sem_unlink(name.c_str());
  return 0;
}

int ValueOf(sem_t* s) {
  int v = -12345;
  return sem_getvalue(s, &v) == 0 ? v : -12345;
}

// man 7 sem_overview: a named semaphore's name is "a null-terminated string of
// up to NAME_MAX-4 (i.e., 251) characters consisting of an initial slash,
// followed by one or more characters, none of which are slashes"; man 3
// sem_open: "ENAMETOOLONG name was too long."; "EINVAL name consists of just
// "/", followed by no other characters."; man 3 sem_unlink: "ENAMETOOLONG
// name was too long.", "ENOENT There is no semaphore with the given name."
// glibc: a slash inside the name is EINVAL (man 3 sem_open lists ENOENT for
// "O_CREAT was specified, but name wasn't well formed"); the NAME_MAX-4 count
// is of the characters after the slash.
TEST(PosixSemErrors, NameLengthsAndForms) {
  const std::string longest = "/" + std::string(251, 's');
  EXPECT_THAT(TryCreate(longest), SyscallSucceeds())
      << "man 7 sem_overview: names \"of up to NAME_MAX-4 (i.e., 251) characters\" (after the "
         "slash)";
  const std::string too_long = "/" + std::string(252, 's');
  EXPECT_THAT(TryCreate(too_long), SyscallFailsWithErrno(ENAMETOOLONG))
      << "man 3 sem_open: \"ENAMETOOLONG name was too long.\" (252 characters after the slash)";
  EXPECT_THAT(sem_unlink(too_long.c_str()), SyscallFailsWithErrno(ENAMETOOLONG))
      << "man 3 sem_unlink: \"ENAMETOOLONG name was too long.\"";
  EXPECT_THAT(sem_unlink(longest.c_str()), SyscallFailsWithErrno(ENOENT))
      << "man 3 sem_unlink: \"ENOENT There is no semaphore with the given name.\"";
  for (const char* n : {"/", ""}) {
    EXPECT_THAT(TryCreate(n), SyscallFailsWithErrno(EINVAL))
        << "man 3 sem_open: \"EINVAL name consists of just \"/\", followed by no other "
           "characters.\" (\""
        << n << "\")";
  }
  EXPECT_THAT(TryCreate("/a/b"), SyscallFailsWithErrno(EINVAL))
      << "glibc: sem_open of a name with a slash after the first is EINVAL (man 7 "
         "sem_overview: \"none of which are slashes\"; man 3 sem_open says ENOENT)";
}

// man 3 sem_open: "EMFILE The per-process limit on the number of open file
// descriptors has been reached." (glibc opens a file in /dev/shm to make or
// find the semaphore).
TEST(PosixSemErrors, OpenAtTheDescriptorLimitIsEmfile) {
  const std::string name = UniqueSemName("emfile");
  Cleanup unlink = UnlinkAtExit(name);
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<2>([&](CallRecords<2>& r) {
    const int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (lowest >= 0) close(lowest);
    struct rlimit rl = {static_cast<rlim_t>(lowest), static_cast<rlim_t>(lowest)};
    r[0] = Record("setrlimit(RLIMIT_NOFILE)", lowest < 0 ? -1 : setrlimit(RLIMIT_NOFILE, &rl));
    if (r[0].failed()) return;
    r[1] = Record("sem_open", sem_open(name.c_str(), O_CREAT, 0600, 1) == SEM_FAILED ? -1 : 0);
  }));
  EXPECT_TRUE(calls[1].FailedWith(EMFILE))
      << "man 3 sem_open: \"EMFILE The per-process limit on the number of open file "
         "descriptors has been reached.\" (RLIMIT_NOFILE = the lowest free descriptor): "
      << ToString(calls);
}

// POSIX sem_open: "If a process makes multiple successful calls to sem_open()
// with the same value for name, the same semaphore address shall be returned
// for each such successful call, provided that there have been no calls to
// sem_unlink() for this semaphore, and at least one previous successful
// sem_open() call for this semaphore has not been matched with a sem_close()
// call." (man 3 sem_open says nothing of it; glibc follows POSIX.)
TEST(PosixSemErrors, ReopeningInOneProcessGivesTheSameAddress) {
  const std::string name = UniqueSemName("same");
  Cleanup unlink = UnlinkAtExit(name);
  sem_t* first = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 2);
  ASSERT_NE(first, SEM_FAILED) << "sem_open(O_CREAT|O_EXCL): " << ErrnoName(errno);
  sem_t* second = sem_open(name.c_str(), 0);
  ASSERT_NE(second, SEM_FAILED) << "sem_open(existing): " << ErrnoName(errno);
  EXPECT_EQ(first, second) << "POSIX sem_open: \"the same semaphore address shall be returned "
                              "for each such successful call\"";
  ASSERT_THAT(sem_close(second), SyscallSucceeds());
  EXPECT_EQ(ValueOf(first), 2) << "POSIX: with one sem_open not yet matched by sem_close, the "
                                  "address stays usable";
  ASSERT_THAT(sem_close(first), SyscallSucceeds());
}

// man 3 sem_close: "sem_close() closes the named semaphore referred to by sem,
// allowing any resources that the system has allocated to the calling process
// for this semaphore to be freed." It does not change the semaphore: reopened,
// it has its value. man 3 sem_unlink: "The semaphore name is removed
// immediately."; an sem_open with O_CREAT of the name afterwards makes a new
// semaphore with its own value.
TEST(PosixSemErrors, CloseKeepsTheValueAndUnlinkFreesTheName) {
  const std::string name = UniqueSemName("close");
  Cleanup unlink = UnlinkAtExit(name);
  sem_t* s = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 0);
  ASSERT_NE(s, SEM_FAILED) << "sem_open: " << ErrnoName(errno);
  ASSERT_THAT(sem_post(s), SyscallSucceeds());
  ASSERT_THAT(sem_post(s), SyscallSucceeds());
  ASSERT_THAT(sem_close(s), SyscallSucceeds());
  sem_t* again = sem_open(name.c_str(), 0);
  ASSERT_NE(again, SEM_FAILED) << "man 3 sem_close: the semaphore stays after sem_close: "
                               << ErrnoName(errno);
  EXPECT_EQ(ValueOf(again), 2) << "man 3 sem_close: closing leaves the semaphore's value (2)";
  ASSERT_THAT(sem_unlink(name.c_str()), SyscallSucceeds());
  EXPECT_EQ(sem_open(name.c_str(), 0), SEM_FAILED)
      << "man 3 sem_unlink: \"The semaphore name is removed immediately.\"";
  sem_t* fresh = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 5);
  ASSERT_NE(fresh, SEM_FAILED) << "sem_open of the unlinked name: " << ErrnoName(errno);
  EXPECT_NE(fresh, again) << "a semaphore made under the unlinked name is another semaphore";
  EXPECT_EQ(ValueOf(fresh), 5) << "the new semaphore has its own value";
  EXPECT_EQ(ValueOf(again), 2) << "man 3 sem_unlink: the old one lives on while open";
  ASSERT_THAT(sem_close(fresh), SyscallSucceeds());
  ASSERT_THAT(sem_close(again), SyscallSucceeds());
}

void Nothing(int) {}

// man 3 sem_wait: "EINTR The call was interrupted by a signal handler; see
// signal(7)." A process blocked in sem_timedwait on a zero semaphore, sent a
// signal whose handler has no SA_RESTART, fails EINTR and the value stays 0.
TEST(PosixSemErrors, TimedwaitInterruptedBySignalFailsEintr) {
  ASSERT_OK_AND_ASSIGN(auto mem, SharedObject<sem_t>::Create());
  ASSERT_THAT(sem_init(mem.get(), 1, 0), SyscallSucceeds());
  Cleanup destroy([&] { sem_destroy(mem.get()); });
  ASSERT_OK_AND_ASSIGN(auto rec, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         struct sigaction sa = {};
                         sa.sa_handler = Nothing;
                         sigemptyset(&sa.sa_mask);
                         *rec = Record("sigaction(SIGUSR1)", sigaction(SIGUSR1, &sa, nullptr));
                         if (rec->failed()) return 0;
                         struct timespec until;
                         clock_gettime(CLOCK_REALTIME, &until);
                         until.tv_sec += 8;
                         *rec = Record("sem_timedwait", sem_timedwait(mem.get(), &until));
                         return 0;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_futex}))
      << "man 3 sem_wait: sem_timedwait on a zero semaphore blocks";
  ASSERT_NO_ERRNO(c.Signal(SIGUSR1));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(rec->FailedWith(EINTR))
      << "man 3 sem_wait: \"EINTR The call was interrupted by a signal handler\" (handler "
         "without SA_RESTART): "
      << *rec;
  EXPECT_EQ(ValueOf(mem.get()), 0) << "the interrupted wait took nothing";
}

// man 3 sem_wait: "EINTR The call was interrupted by a signal handler; see
// signal(7)." sem_wait, like sem_timedwait: a handler without SA_RESTART makes
// the blocked sem_wait fail EINTR, and the value stays 0.
TEST(PosixSemErrors, WaitInterruptedBySignalFailsEintr) {
  ASSERT_OK_AND_ASSIGN(auto mem, SharedObject<sem_t>::Create());
  ASSERT_THAT(sem_init(mem.get(), 1, 0), SyscallSucceeds());
  Cleanup destroy([&] { sem_destroy(mem.get()); });
  ASSERT_OK_AND_ASSIGN(auto rec, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         struct sigaction sa = {};
                         sa.sa_handler = Nothing;
                         sigemptyset(&sa.sa_mask);
                         *rec = Record("sigaction(SIGUSR1)", sigaction(SIGUSR1, &sa, nullptr));
                         if (!rec->failed()) *rec = Record("sem_wait", sem_wait(mem.get()));
                         return 0;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_futex}))
      << "man 3 sem_wait: sem_wait on a zero semaphore blocks";
  ASSERT_NO_ERRNO(c.Signal(SIGUSR1));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(rec->FailedWith(EINTR))
      << "man 3 sem_wait: \"EINTR The call was interrupted by a signal handler\" (sem_wait, "
         "handler without SA_RESTART): "
      << *rec;
  EXPECT_EQ(ValueOf(mem.get()), 0) << "the interrupted wait took nothing";
}

// man 7 signal: SIGKILL "cannot be caught, blocked, or ignored": a process
// blocked in sem_wait dies of it. The semaphore is left as it was (value 0,
// no waiter counted) and works for the next waiter.
TEST(PosixSemErrors, ProcessBlockedInSemWaitDiesOfSigkill) {
  ASSERT_OK_AND_ASSIGN(auto mem, SharedObject<sem_t>::Create());
  ASSERT_THAT(sem_init(mem.get(), 1, 0), SyscallSucceeds());
  Cleanup destroy([&] { sem_destroy(mem.get()); });
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         alarm(30);  // a safety net: the child never outlives a broken kill
                         return sem_wait(mem.get()) == 0 ? 0 : errno;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_futex}))
      << "man 3 sem_wait: sem_wait on a zero semaphore blocks";
  auto killed = c.KillAndWait();
  ASSERT_TRUE(killed.ok()) << "man 7 signal: SIGKILL must end a process blocked in sem_wait: "
                           << killed.error();
  WaitStatus st = killed.value();
  EXPECT_TRUE(st.KilledBy(SIGKILL)) << "man 7 signal: SIGKILL \"cannot be caught, blocked, or "
                                       "ignored\": the process blocked in sem_wait is killed: "
                                    << st;
  EXPECT_EQ(ValueOf(mem.get()), 0) << "the killed waiter took nothing";
  ASSERT_THAT(sem_post(mem.get()), SyscallSucceeds());
  EXPECT_THAT(sem_trywait(mem.get()), SyscallSucceeds()) << "the semaphore works after the kill";
}

sem_t* g_post_target = nullptr;
void PostFromHandler(int) { sem_post(g_post_target); }

// man 7 signal-safety: sem_post(3) is among the async-signal-safe functions,
// which "can be safely called from within a signal handler". A handler's
// sem_post wakes a process blocked in sem_timedwait on the semaphore.
TEST(PosixSemErrors, PostFromASignalHandlerWakesAWaiter) {
  ASSERT_OK_AND_ASSIGN(auto mem, SharedObject<sem_t>::Create());
  ASSERT_THAT(sem_init(mem.get(), 1, 0), SyscallSucceeds());
  Cleanup destroy([&] { sem_destroy(mem.get()); });
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         struct timespec until;
                         clock_gettime(CLOCK_REALTIME, &until);
                         until.tv_sec += 5;
                         return sem_timedwait(mem.get(), &until) == 0 ? 0 : errno;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_futex}));
  g_post_target = mem.get();
  struct sigaction sa = {}, old = {};
  sa.sa_handler = PostFromHandler;
  sigemptyset(&sa.sa_mask);
  ASSERT_THAT(sigaction(SIGUSR2, &sa, &old), SyscallSucceeds());
  Cleanup restore([old] { sigaction(SIGUSR2, &old, nullptr); });
  ASSERT_THAT(raise(SIGUSR2), SyscallSucceeds());  // the handler runs before raise returns
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0))
      << "man 7 signal-safety: sem_post is async-signal-safe: posted from a handler it wakes "
         "the waiter (exit code is the errno, 110 = ETIMEDOUT): "
      << st;
  EXPECT_EQ(ValueOf(mem.get()), 0) << "the woken waiter took the one post";
}

// What the child of PostInterruptedByAPostingHandlerCountsEveryPost saw.
struct ReentrantPosts {
  sem_t sem;
  long posts = 0;          // the main loop's sem_posts that succeeded
  long handler_runs = 0;   // handler sem_posts that succeeded
  long handler_fails = 0;  // handler sem_posts that failed
  long inside = 0;         // handler runs that came while the loop was in sem_post
  CallRecord setup;        // the setup call that failed, if one did
};
ReentrantPosts* g_reentrant = nullptr;
volatile sig_atomic_t g_in_post = 0;
volatile sig_atomic_t g_handler_runs = 0, g_handler_fails = 0, g_inside = 0;

void PostAgainFromHandler(int) {
  const int saved = errno;
  if (sem_post(&g_reentrant->sem) == 0) {
    g_handler_runs = g_handler_runs + 1;
  } else {
    g_handler_fails = g_handler_fails + 1;
  }
  if (g_in_post) g_inside = g_inside + 1;
  errno = saved;
}

// man 7 signal-safety: "An async-signal-safe function is one that can be
// safely called from within a signal handler. ... nonreentrant functions are
// generally unsafe", and sem_post(3) is in its list of safe functions: a
// handler's sem_post may interrupt a sem_post in progress on the same
// semaphore (what the Open POSIX Test Suite's sem_post 5-1 aims at, with a
// single alarm). A child posts in a
// loop while an interval timer (ITIMER_REAL, 10 us) runs a SIGALRM handler
// that posts too, until at least kInside handler runs came while the loop was
// inside its sem_post call (between two marks around it), within a deadline.
// No post is lost or doubled: the value is the loop's posts plus the
// handler's, and no sem_post fails.
TEST(PosixSemErrors, PostInterruptedByAPostingHandlerCountsEveryPost) {
  constexpr long kInside = 100;
  constexpr const char* kCite =
      "man 7 signal-safety: \"An async-signal-safe function is one that can be safely called "
      "from within a signal handler.\" (sem_post(3) is listed): a handler's sem_post "
      "interrupting a sem_post in progress";
  ASSERT_OK_AND_ASSIGN(auto mem, SharedObject<ReentrantPosts>::Create());
  ReentrantPosts* r = mem.get();
  ASSERT_THAT(sem_init(&r->sem, 1, 0), SyscallSucceeds());
  Cleanup destroy([&] { sem_destroy(&r->sem); });
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([r]() -> int {
    g_reentrant = r;
    struct sigaction sa = {};
    sa.sa_handler = PostAgainFromHandler;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, nullptr) != 0) {
      r->setup = Record("sigaction(SIGALRM)", -1);
      return 0;
    }
    const Deadline deadline = Deadline::In(std::chrono::milliseconds(2000));
    struct itimerval every = {{0, 10}, {0, 10}};
    if (setitimer(ITIMER_REAL, &every, nullptr) != 0) {
      r->setup = Record("setitimer(ITIMER_REAL, 10 us)", -1);
      return 0;
    }
    long posts = 0;
    while (g_inside < kInside) {
      g_in_post = 1;
      const int ret = sem_post(&r->sem);
      g_in_post = 0;
      if (ret != 0) {
        r->setup = Record("sem_post in the loop", -1);
        break;
      }
      ++posts;
      if ((posts & 1023) == 0 && deadline.Expired()) break;
    }
    // The counts are read with SIGALRM blocked and the timer stopped: every
    // handler that ran has finished, and none runs after.
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, nullptr);
    struct itimerval stop = {};
    setitimer(ITIMER_REAL, &stop, nullptr);
    r->posts = posts;
    r->handler_runs = g_handler_runs;
    r->handler_fails = g_handler_fails;
    r->inside = g_inside;
    return 0;
  }));
  ASSERT_NO_ERRNO(ReachedEnd(st));
  ASSERT_FALSE(r->setup.reached()) << kCite << ": " << r->setup;
  EXPECT_GE(r->inside, kInside)
      << kCite << ": handler runs inside sem_post: " << r->inside << " (of " << r->handler_runs
      << " handler runs, " << r->posts << " posts of the loop) before the deadline";
  EXPECT_EQ(r->handler_fails, 0) << kCite << ": handler sem_posts that failed";
  EXPECT_EQ(ValueOf(&r->sem), r->posts + r->handler_runs)
      << kCite << ": no post is lost or doubled: the value is the loop's " << r->posts
      << " posts plus the handler's " << r->handler_runs;
}

}  // namespace
}  // namespace ipcspec

// File locks: the documented semantics of fcntl(2) record locks, open file
// description locks and flock(2), beyond what the Lock interface suite
// checks. Sources: man 2 fcntl, "Advisory record locking" and "Open file
// description locks (non-POSIX)"; man 2 flock.
//
// Another process's view of a lock is asked for by a short-lived child
// (F_GETLK never reports the caller's own record locks), or by a long-lived
// probe child when a property asks many times.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/property.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/core/watchdog.h"
#include "impl/file_lock/file_lock.h"
#include "rapidcheck.h"

namespace ipcspec {
namespace {

// ---------------------------------------------------------------------------
// Helpers

// One lock call on fd; 0 or the errno.
int SetLk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = FlockRange(type, start, len);
  return fcntl(fd, cmd, &fl) == 0 ? 0 : errno;
}

// What another process sees: a child opens `path` and asks F_GETLK (or
// F_OFD_GETLK) for `query`.
struct ProbeResult {
  int err = 0;  // errno of the child's open or fcntl
  struct flock fl = {};
};

PosixErrorOr<ProbeResult> GetLkFromAnotherProcess(const std::string& path, int cmd,
                                                  const struct flock& query) {
  IPCSPEC_ASSIGN_OR_RETURN(auto out, SharedObject<ProbeResult>::Create());
  ProbeResult* res = out.get();
  IPCSPEC_ASSIGN_OR_RETURN(WaitStatus st, ForkAndWait([&]() -> int {
                             int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
                             if (fd < 0) {
                               res->err = errno;
                               return 1;
                             }
                             struct flock q = query;
                             if (fcntl(fd, cmd, &q) != 0) {
                               res->err = errno;
                               return 1;
                             }
                             res->fl = q;
                             return 0;
                           }));
  if (!st.exited() || (st.exit_code() != 0 && st.exit_code() != 1)) {
    return PosixError(ECHILD, "F_GETLK probe child " + st.ToString());
  }
  return *res;
}

std::string Err(int e) { return e == 0 ? std::string("success") : ErrnoName(e); }

// `feature:ofd-locks`: open file description locks (F_OFD_SETLK, Linux
// 3.15; EINVAL where the kernel lacks them).
Need OfdLocks() {
  return Need::Feature("ofd-locks", []() -> std::optional<std::string> {
    PosixError e = ProbeOfdLocks();
    if (e.ok()) return std::nullopt;
    return e.ToString();
  });
}

// ---------------------------------------------------------------------------
// fcntl record locks

// man 2 fcntl: "If a process closes any file descriptor referring to a file,
// then all of the process's locks on that file are released, regardless of
// the file descriptor(s) on which the locks were obtained."
TEST(FcntlRecordLock, ReleasedWhenTheProcessClosesAnyFdOfTheFile) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd1, f.Open());
  ASSERT_THAT(SetLk(fd1.get(), F_SETLK, F_WRLCK, 0, 0), 0);
  ASSERT_OK_AND_ASSIGN(ProbeResult before,
                       GetLkFromAnotherProcess(f.path(), F_GETLK, FlockRange(F_WRLCK, 0, 0)));
  ASSERT_EQ(before.err, 0) << ErrnoName(before.err);
  ASSERT_EQ(before.fl.l_type, F_WRLCK) << "the lock taken through fd1 is not visible";

  {
    ASSERT_OK_AND_ASSIGN(FileDescriptor fd2, f.Open());  // another fd of the same file
    ASSERT_THAT(fd2.reset(), SyscallSucceeds());        // ... closed
  }
  ASSERT_OK_AND_ASSIGN(ProbeResult after,
                       GetLkFromAnotherProcess(f.path(), F_GETLK, FlockRange(F_WRLCK, 0, 0)));
  ASSERT_EQ(after.err, 0) << ErrnoName(after.err);
  EXPECT_EQ(after.fl.l_type, F_UNLCK)
      << "after closing a second, unrelated fd of the file, another process still sees "
      << FormatFlock(after.fl) << " (l_pid " << after.fl.l_pid
      << "). man 2 fcntl: \"If a process closes any file descriptor referring to a file, then "
         "all of the process's locks on that file are released, regardless of the file "
         "descriptor(s) on which the locks were obtained.\"";
}

// man 2 fcntl: "Record locks are not inherited by a child created via
// fork(2)". A process never conflicts with its own record locks, so a child
// that sees the parent's lock through F_GETLK (with l_pid the parent's) and
// cannot take it does not hold it.
TEST(FcntlRecordLock, NotInheritedByAForkedChild) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_WRLCK, 0, 0), 0);
  struct Seen {
    int getlk_err = -1;
    struct flock fl = {};
    int setlk_err = -1;
  };
  ASSERT_OK_AND_ASSIGN(auto seen, SharedObject<Seen>::Create());
  Seen* s = seen.get();
  const int inherited = fd.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([s, inherited]() -> int {
                         struct flock q = FlockRange(F_WRLCK, 0, 0);
                         s->getlk_err = fcntl(inherited, F_GETLK, &q) == 0 ? 0 : errno;
                         s->fl = q;
                         s->setlk_err = SetLk(inherited, F_SETLK, F_WRLCK, 0, 0);
                         return 0;
                       }));
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  const char* cite =
      "man 2 fcntl: \"Record locks are not inherited by a child created via fork(2)\"";
  ASSERT_EQ(s->getlk_err, 0) << ErrnoName(s->getlk_err);
  EXPECT_EQ(s->fl.l_type, F_WRLCK)
      << "the child, on the inherited fd, sees no conflicting lock: it holds the parent's "
         "lock itself. "
      << cite;
  EXPECT_EQ(s->fl.l_pid, getpid()) << "F_GETLK in the child names pid " << s->fl.l_pid
                                   << ", not the parent. " << cite;
  EXPECT_THAT(s->setlk_err, testing::AnyOf(EAGAIN, EACCES))
      << "the child's F_SETLK on the inherited fd gave " << Err(s->setlk_err)
      << " instead of EACCES or EAGAIN. " << cite;

  // When the parent lets go, nothing is left: the child never had a copy.
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_UNLCK, 0, 0), 0);
  ASSERT_OK_AND_ASSIGN(ProbeResult after,
                       GetLkFromAnotherProcess(f.path(), F_GETLK, FlockRange(F_WRLCK, 0, 0)));
  EXPECT_EQ(after.fl.l_type, F_UNLCK) << FormatFlock(after.fl) << ". " << cite;
}

// man 2 fcntl, F_GETLK: "If the conflicting lock is a traditional
// (process-associated) record lock, then the l_pid field is set to the PID
// of the process holding that lock." (and l_type, l_whence, l_start, l_len
// describe it).
TEST(FcntlRecordLock, GetLkReportsTheHolderAndItsRange) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  const std::string path = f.path();
  ASSERT_OK_AND_ASSIGN(Child holder, Child::Fork([&]() -> int {
                         int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
                         if (fd < 0) return 1;
                         if (SetLk(fd, F_SETLK, F_RDLCK, 10, 20) != 0) return 2;
                         cp.Signal(1);
                         return cp.WaitFor(2, Deadline::Default()).ok() ? 0 : 3;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  struct flock q = FlockRange(F_WRLCK, 0, 0);
  ASSERT_THAT(fcntl(fd.get(), F_GETLK, &q), SyscallSucceeds());
  const char* cite =
      "man 2 fcntl, F_GETLK: \"If the conflicting lock is a traditional (process-associated) "
      "record lock, then the l_pid field is set to the PID of the process holding that lock.\"";
  EXPECT_EQ(q.l_type, F_RDLCK) << FormatFlock(q) << ". " << cite;
  EXPECT_EQ(q.l_whence, SEEK_SET) << cite;
  EXPECT_EQ(q.l_start, 10) << FormatFlock(q) << ". " << cite;
  EXPECT_EQ(q.l_len, 20) << FormatFlock(q) << ". " << cite;
  EXPECT_EQ(q.l_pid, holder.pid()) << cite;
  // A query that does not overlap the held range comes back F_UNLCK, the rest
  // of the structure unchanged.
  struct flock free_q = FlockRange(F_WRLCK, 30, 5);
  ASSERT_THAT(fcntl(fd.get(), F_GETLK, &free_q), SyscallSucceeds());
  EXPECT_EQ(free_q.l_type, F_UNLCK)
      << FormatFlock(free_q)
      << ". man 2 fcntl, F_GETLK: \"If the lock could be placed, fcntl() does not actually "
         "place it, but returns F_UNLCK in the l_type field\"";
  EXPECT_EQ(free_q.l_start, 30) << "\"leaves the other fields of the structure unchanged\"";
  EXPECT_EQ(free_q.l_len, 5) << "\"leaves the other fields of the structure unchanged\"";
  cp.Signal(2);
  ASSERT_OK_AND_ASSIGN(WaitStatus st, holder.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
}

// The locked segments another process sees, lowest first: F_GETLK for a
// write lock from x to the end conflicts with any lock there; narrowing the
// query to [x, found) makes sure none lies below the one returned.
struct Segment {
  short type;
  off_t start;
  off_t len;
  bool operator==(const Segment& o) const {
    return type == o.type && start == o.start && len == o.len;
  }
};

std::string Format(const std::vector<Segment>& v) {
  if (v.empty()) return "{}";
  std::string s = "{";
  for (const auto& g : v) {
    s += (s.size() > 1 ? ", " : "") + std::string(g.type == F_RDLCK ? "R" : "W") + "[" +
         std::to_string(g.start) + "," + std::to_string(g.start + g.len) + ")";
  }
  return s + "}";
}

// A long-lived child that answers F_GETLK queries over a pair of pipes.
class GetLkProbe {
 public:
  static PosixErrorOr<GetLkProbe> Start(const std::string& path) {
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0) return ErrnoError("pipe2");
    FileDescriptor to_r(to[0]), to_w(to[1]);
    if (pipe2(from, O_CLOEXEC) != 0) return ErrnoError("pipe2");
    FileDescriptor from_r(from[0]), from_w(from[1]);
    const int qr = to_r.get(), aw = from_w.get();
    IPCSPEC_ASSIGN_OR_RETURN(Child c, Child::Fork([path, qr, aw]() -> int {
                               int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
                               if (fd < 0) return 1;
                               for (;;) {
                                 struct flock q;
                                 ssize_t n = read(qr, &q, sizeof q);
                                 if (n == 0) return 0;
                                 if (n != static_cast<ssize_t>(sizeof q)) return 2;
                                 if (fcntl(fd, F_GETLK, &q) != 0) q.l_type = -1;
                                 if (write(aw, &q, sizeof q) != static_cast<ssize_t>(sizeof q)) {
                                   return 3;
                                 }
                               }
                             }));
    GetLkProbe p;
    p.child_ = std::move(c);
    p.query_ = std::move(to_w);
    p.answer_ = std::move(from_r);
    return p;
  }

  PosixErrorOr<struct flock> Ask(struct flock q) {
    if (write(query_.get(), &q, sizeof q) != static_cast<ssize_t>(sizeof q)) {
      return ErrnoError("write(probe query)");
    }
    struct pollfd p = {answer_.get(), POLLIN, 0};
    int n = poll(&p, 1, Deadline::Default().RemainingMs());
    if (n <= 0) return PosixError(ETIMEDOUT, "the F_GETLK probe did not answer");
    if (read(answer_.get(), &q, sizeof q) != static_cast<ssize_t>(sizeof q)) {
      return PosixError(EPIPE, "the F_GETLK probe died");
    }
    if (q.l_type == -1) return PosixError(EIO, "the probe's F_GETLK failed");
    return q;
  }

  // Every segment at or after byte 0, as another process sees them.
  PosixErrorOr<std::vector<Segment>> Segments(pid_t holder, off_t limit) {
    std::vector<Segment> out;
    off_t x = 0;
    while (x < limit) {
      IPCSPEC_ASSIGN_OR_RETURN(struct flock got, Ask(FlockRange(F_WRLCK, x, 0)));
      if (got.l_type == F_UNLCK) break;
      while (got.l_start > x) {
        IPCSPEC_ASSIGN_OR_RETURN(struct flock lower, Ask(FlockRange(F_WRLCK, x, got.l_start - x)));
        if (lower.l_type == F_UNLCK) break;
        got = lower;
      }
      if (got.l_pid != holder) {
        return PosixError(EPROTO, "F_GETLK names pid " + std::to_string(got.l_pid) +
                                      " as holder, not " + std::to_string(holder));
      }
      if (got.l_len <= 0) return PosixError(EPROTO, "a segment to EOF: " + FormatFlock(got));
      out.push_back({got.l_type, got.l_start, got.l_len});
      x = got.l_start + got.l_len;
    }
    return out;
  }

 private:
  Child child_;  // declared first: destroyed last, after the pipes close
  FileDescriptor query_;
  FileDescriptor answer_;
};

// man 2 fcntl: "A single process can hold only one type of lock on a file
// region; if a new lock is applied to an already-locked region, then the
// existing lock is converted to the new lock type. (Such conversions may
// involve splitting, shrinking, or coalescing with an existing lock if the
// byte range specified by the new lock does not precisely coincide with the
// range of the existing lock.)"
TEST(FcntlRecordLock, UnlockingTheMiddleSplitsTheLock) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(GetLkProbe probe, GetLkProbe::Start(f.path()));
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_WRLCK, 0, 100), 0);
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_UNLCK, 40, 20), 0);
  ASSERT_OK_AND_ASSIGN(struct flock middle, probe.Ask(FlockRange(F_WRLCK, 40, 20)));
  EXPECT_EQ(middle.l_type, F_UNLCK)
      << "lock [0,100), unlock [40,60): another process finds " << FormatFlock(middle)
      << " in [40,60). man 2 fcntl: conversions \"may involve splitting, shrinking, or "
         "coalescing\"";
  ASSERT_OK_AND_ASSIGN(auto segs, probe.Segments(getpid(), 1000));
  std::vector<Segment> want = {{F_WRLCK, 0, 40}, {F_WRLCK, 60, 40}};
  EXPECT_EQ(segs, want) << "lock [0,100), unlock [40,60): another process sees " << Format(segs)
                        << ", expected " << Format(want)
                        << ". man 2 fcntl: \"(Such conversions may involve splitting, shrinking, "
                           "or coalescing with an existing lock ...)\"";
}

TEST(FcntlRecordLock, AdjacentRangesMerge) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(GetLkProbe probe, GetLkProbe::Start(f.path()));
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_WRLCK, 0, 10), 0);
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_WRLCK, 10, 10), 0);
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_RDLCK, 20, 10), 0);  // another type: stays apart
  ASSERT_OK_AND_ASSIGN(auto segs, probe.Segments(getpid(), 1000));
  std::vector<Segment> want = {{F_WRLCK, 0, 20}, {F_RDLCK, 20, 10}};
  EXPECT_EQ(segs, want) << "write locks [0,10) and [10,20), read lock [20,30): another process "
                           "sees "
                        << Format(segs) << ", expected " << Format(want)
                        << ". man 2 fcntl: conversions may involve \"coalescing with an existing "
                           "lock\"";
}

// The same sentences, as a property: random locks (read and write) and
// unlocks of byte ranges by one process against a model (the lock type of
// every byte); after every step another process must see exactly the
// model's maximal runs of one type, each as one lock held by this process.
TEST(FcntlRecordLock, RangesSplitAndMergeLikeAByteMap) {
  constexpr int kBytes = 64;
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(GetLkProbe probe, GetLkProbe::Start(f.path()));
  CheckProperty(
      "fcntl record lock ranges against a byte map (man 2 fcntl: \"Such conversions may "
      "involve splitting, shrinking, or coalescing with an existing lock\")",
      [&] {
        RC_ASSERT(SetLk(fd.get(), F_SETLK, F_UNLCK, 0, 0) == 0);
        struct Op {
          short type;
          int start;
          int len;
        };
        const int n = *rc::gen::inRange(1, 12);
        std::vector<Op> ops;
        for (int i = 0; i < n; ++i) {
          Op op;
          op.type = *rc::gen::element<short>(F_RDLCK, F_WRLCK, F_UNLCK);
          op.start = *rc::gen::inRange(0, kBytes);
          op.len = *rc::gen::inRange(1, kBytes - op.start + 1);
          ops.push_back(op);
        }
        std::array<short, kBytes> model;
        model.fill(F_UNLCK);
        std::string script;
        for (const Op& op : ops) {
          script += "  " + FormatFlock(FlockRange(op.type, op.start, op.len)) + "\n";
          const int r = SetLk(fd.get(), F_SETLK, op.type, op.start, op.len);
          if (r != 0) RC_FAIL("F_SETLK " + FormatFlock(FlockRange(op.type, op.start, op.len)) +
                              " with no other process holding locks: " + ErrnoName(r));
          for (int b = op.start; b < op.start + op.len; ++b) model[b] = op.type;
          std::vector<Segment> want;
          for (int b = 0; b < kBytes;) {
            if (model[b] == F_UNLCK) {
              ++b;
              continue;
            }
            int e = b;
            while (e < kBytes && model[e] == model[b]) ++e;
            want.push_back({model[b], b, e - b});
            b = e;
          }
          auto got = probe.Segments(getpid(), 4 * kBytes);
          if (!got.ok()) RC_FAIL("probing the locks: " + got.error().ToString());
          if (!(got.value() == want)) {
            RC_FAIL("after\n" + script + "another process sees " + Format(got.value()) +
                    ", the byte map says " + Format(want) +
                    " (man 2 fcntl: \"if a new lock is applied to an already-locked region, "
                    "then the existing lock is converted to the new lock type. (Such "
                    "conversions may involve splitting, shrinking, or coalescing with an "
                    "existing lock ...)\")");
          }
        }
      });
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_UNLCK, 0, 0), 0);
}

// man 2 fcntl: "When placing locks with F_SETLKW, the kernel detects
// deadlocks, whereby two or more processes have their lock requests mutually
// blocked by locks held by the other processes. ... it causes one of the
// blocking lock requests to immediately fail with the error EDEADLK".
TEST(FcntlRecordLock, CycleOfTwoWaitersGivesEdeadlk) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  // This process holds byte 1; the child holds byte 0 and then waits for 1.
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_WRLCK, 1, 1), 0);
  const std::string path = f.path();
  ASSERT_OK_AND_ASSIGN(Child a, Child::Fork([&]() -> int {
                         int cfd = open(path.c_str(), O_RDWR | O_CLOEXEC);
                         if (cfd < 0) return 1;
                         if (SetLk(cfd, F_SETLK, F_WRLCK, 0, 1) != 0) return 2;
                         cp.Signal(1);
                         PosixError e = CallWithDeadline(
                             [cfd] {
                               struct flock fl = FlockRange(F_WRLCK, 1, 1);
                               return fcntl(cfd, F_SETLKW, &fl);
                             },
                             "F_SETLKW [1,2)", Deadline::Default());
                         if (e.errno_value() == EDEADLK) return 4;
                         return e.ok() ? 0 : 3;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  ASSERT_NO_ERRNO(WaitUntilBlocked(a.pid(), {SYS_fcntl}));
  // The child sleeps in F_SETLKW for byte 1, which this process holds; this
  // process now waits for byte 0, which the child holds: a cycle.
  int r;
  {
    Watchdog dog(Deadline::In(std::chrono::seconds(5)));
    r = SetLk(fd.get(), F_SETLKW, F_WRLCK, 0, 1);
    ASSERT_FALSE(dog.fired()) << "F_SETLKW closing a two-process cycle blocked instead of "
                                 "failing EDEADLK (man 2 fcntl: \"it causes one of the blocking "
                                 "lock requests to immediately fail with the error EDEADLK\")";
  }
  EXPECT_EQ(r, EDEADLK) << "F_SETLKW closing a cycle gave " << Err(r)
                        << ". man 2 fcntl: \"When the kernel detects such deadlocks, it causes "
                           "one of the blocking lock requests to immediately fail with the "
                           "error EDEADLK\"";
  // Breaking the cycle lets the child through.
  ASSERT_THAT(SetLk(fd.get(), F_SETLK, F_UNLCK, 1, 1), 0);
  ASSERT_OK_AND_ASSIGN(WaitStatus st, a.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << "the waiting child " << st
                                << " (4: it got EDEADLK too; 3: its F_SETLKW failed)";
}

// ---------------------------------------------------------------------------
// Open file description locks

// man 2 fcntl: "By contrast with traditional record locks, the l_pid field of
// that structure must be set to zero when using the commands described
// below." / ERRORS: "EINVAL cmd is F_OFD_SETLK, F_OFD_SETLKW, or
// F_OFD_GETLK, and l_pid was not specified as zero."
TEST(OfdLock, NonZeroLPidIsEinval) {
  IPCSPEC_NEEDS(OfdLocks());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  const char* cite =
      "man 2 fcntl: \"EINVAL cmd is F_OFD_SETLK, F_OFD_SETLKW, or F_OFD_GETLK, and l_pid was "
      "not specified as zero.\"";
  for (int cmd : {F_OFD_SETLK, F_OFD_SETLKW, F_OFD_GETLK}) {
    struct flock fl = FlockRange(F_WRLCK, 0, 0);
    fl.l_pid = getpid();
    Watchdog dog(Deadline::In(std::chrono::seconds(5)));
    EXPECT_THAT(fcntl(fd.get(), cmd, &fl), SyscallFailsWithErrno(EINVAL))
        << "cmd " << cmd << " with l_pid " << getpid() << ". " << cite;
  }
  // With l_pid 0 the same request is fine.
  EXPECT_THAT(SetLk(fd.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0) << cite;
  EXPECT_THAT(SetLk(fd.get(), F_OFD_SETLK, F_UNLCK, 0, 0), 0);
}

// man 2 fcntl: "open file description locks may conflict with each other when
// they are acquired via different open file descriptions" (even in one
// process), and F_OFD_GETLK / F_GETLK report such a lock with l_pid -1: "If
// the conflicting lock is an open file description lock, then l_pid is set
// to -1."
TEST(OfdLock, ASecondOpenInTheSameProcessConflicts) {
  IPCSPEC_NEEDS(OfdLocks());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd1, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd2, f.Open());
  ASSERT_THAT(SetLk(fd1.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0);
  EXPECT_EQ(SetLk(fd2.get(), F_OFD_SETLK, F_WRLCK, 0, 0), EAGAIN)
      << "man 2 fcntl: \"open file description locks may conflict with each other when they "
         "are acquired via different open file descriptions\"; F_OFD_SETLK: \"If a conflicting "
         "lock is held ... sets errno to EAGAIN\"";
  struct flock q = FlockRange(F_WRLCK, 0, 0);
  ASSERT_THAT(fcntl(fd2.get(), F_OFD_GETLK, &q), SyscallSucceeds());
  EXPECT_EQ(q.l_type, F_WRLCK) << FormatFlock(q);
  EXPECT_EQ(q.l_pid, -1) << "man 2 fcntl: \"If the conflicting lock is an open file "
                            "description lock, then l_pid is set to -1.\"";
  // A traditional lock of the same process conflicts with it too.
  EXPECT_THAT(SetLk(fd1.get(), F_SETLK, F_WRLCK, 0, 0), testing::AnyOf(EAGAIN, EACCES))
      << "man 2 fcntl: \"Conflicting lock combinations ... where one lock is an open file "
         "description lock and the other is a traditional record lock conflict even when they "
         "are acquired by the same process on the same file descriptor.\"";
}

// man 2 fcntl: "Open file description locks placed via the same open file
// description (i.e., via the same file descriptor, or via a duplicate of the
// file descriptor created by fork(2), dup(2), fcntl() F_DUPFD, and so on) are
// always compatible".
TEST(OfdLock, ADupSharesTheLock) {
  IPCSPEC_NEEDS(OfdLocks());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd1, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd2, f.Open());
  ASSERT_THAT(SetLk(fd1.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0);
  FileDescriptor dup1(fcntl(fd1.get(), F_DUPFD_CLOEXEC, 0));
  ASSERT_TRUE(dup1.valid()) << ErrnoName(errno);
  const char* cite =
      "man 2 fcntl: \"Open file description locks placed via the same open file description "
      "(i.e., via the same file descriptor, or via a duplicate of the file descriptor created "
      "by fork(2), dup(2), fcntl() F_DUPFD, and so on) are always compatible\"";
  EXPECT_EQ(SetLk(dup1.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0) << cite;
  // The dup can also release it: it is the same lock.
  EXPECT_EQ(SetLk(dup1.get(), F_OFD_SETLK, F_UNLCK, 0, 0), 0) << cite;
  EXPECT_EQ(SetLk(fd2.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0)
      << "after F_UNLCK through a dup, another description still cannot lock. " << cite;
}

// man 2 fcntl: open file description locks "are only automatically released
// on the last close of the open file description, instead of being released
// on any close of the file."
TEST(OfdLock, ReleasedOnTheLastCloseOfTheDescriptionOnly) {
  IPCSPEC_NEEDS(OfdLocks());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd1, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor other, f.Open());
  ASSERT_THAT(SetLk(fd1.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0);
  FileDescriptor dup1(fcntl(fd1.get(), F_DUPFD_CLOEXEC, 0));
  ASSERT_TRUE(dup1.valid());
  const char* cite =
      "man 2 fcntl: open file description locks \"are only automatically released on the last "
      "close of the open file description, instead of being released on any close of the "
      "file.\"";
  {
    // Closing an unrelated fd of the file (a record lock would go here).
    ASSERT_OK_AND_ASSIGN(FileDescriptor third, f.Open());
  }
  EXPECT_EQ(SetLk(other.get(), F_OFD_SETLK, F_WRLCK, 0, 0), EAGAIN)
      << "closing an unrelated fd of the file released the lock. " << cite;
  ASSERT_THAT(fd1.reset(), SyscallSucceeds());
  EXPECT_EQ(SetLk(other.get(), F_OFD_SETLK, F_WRLCK, 0, 0), EAGAIN)
      << "closing one of two fds of the description released the lock. " << cite;
  ASSERT_THAT(dup1.reset(), SyscallSucceeds());
  EXPECT_EQ(SetLk(other.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0)
      << "after the last close of the description the lock is still there. " << cite;
}

// man 2 fcntl: open file description locks "are inherited across fork(2)
// ... and are only automatically released on the last close of the open
// file description": a child that inherited the fd holds the same lock, and
// the lock outlives the parent's close while the child keeps the description
// open; it goes when that child dies.
TEST(OfdLock, InheritedAcrossForkAndKeptByTheLastHolderOfTheDescription) {
  IPCSPEC_NEEDS(OfdLocks());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor other, f.Open());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  ASSERT_THAT(SetLk(fd.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0);
  const int inherited = fd.get();
  const int other_fd = other.get();
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&, inherited, other_fd]() -> int {
                         close(other_fd);
                         // Same description: compatible.
                         if (SetLk(inherited, F_OFD_SETLK, F_WRLCK, 0, 0) != 0) return 2;
                         cp.Signal(1);
                         cp.WaitFor(2, Deadline::Default());
                         return 0;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  const char* cite =
      "man 2 fcntl: open file description locks \"are inherited across fork(2) (and clone(2) "
      "with CLONE_FILES), and are only automatically released on the last close of the open "
      "file description\"";
  ASSERT_THAT(fd.reset(), SyscallSucceeds());
  EXPECT_EQ(SetLk(other.get(), F_OFD_SETLK, F_WRLCK, 0, 0), EAGAIN)
      << "the parent closed its fd; the child still has the description open, so the lock "
         "must stay. "
      << cite;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.KillAndWait());
  EXPECT_TRUE(st.KilledBy(SIGKILL)) << st;
  EXPECT_EQ(SetLk(other.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0)
      << "the last process with the description died: the lock must be gone. " << cite;
}

// ---------------------------------------------------------------------------
// flock

// man 2 flock: "Locks created by flock() are associated with an open file
// description (see open(2)). This means that duplicate file descriptors
// (created by, for example, fork(2) or dup(2)) refer to the same lock, and
// this lock may be modified or released using any of these file
// descriptors."
TEST(Flock, SharedByDupAndAcrossFork) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor other, f.Open());
  ASSERT_THAT(flock(fd.get(), LOCK_EX | LOCK_NB), SyscallSucceeds());
  const char* cite =
      "man 2 flock: \"duplicate file descriptors (created by, for example, fork(2) or dup(2)) "
      "refer to the same lock, and this lock may be modified or released using any of these "
      "file descriptors\"";
  FileDescriptor dup1(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  ASSERT_TRUE(dup1.valid());
  EXPECT_THAT(flock(dup1.get(), LOCK_EX | LOCK_NB), SyscallSucceeds()) << cite;
  EXPECT_THAT(flock(other.get(), LOCK_EX | LOCK_NB), SyscallFailsWithErrno(EWOULDBLOCK))
      << "a separate open(2) of the file must not share it. man 2 flock: \"If a process uses "
         "open(2) (or similar) to obtain more than one file descriptor for the same file, these "
         "file descriptors are treated independently by flock().\"";
  // A forked child holds the same lock through the inherited fd, and its
  // LOCK_UN releases it for the parent too.
  const int inherited = fd.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([inherited]() -> int {
                         if (flock(inherited, LOCK_EX | LOCK_NB) != 0) return 2;
                         if (flock(inherited, LOCK_UN) != 0) return 3;
                         return 0;
                       }));
  EXPECT_TRUE(st.ExitedWith(0)) << "the child, on the inherited fd: " << st
                                << " (2: its LOCK_EX|LOCK_NB was refused). " << cite;
  EXPECT_THAT(flock(other.get(), LOCK_EX | LOCK_NB), SyscallSucceeds())
      << "the child's LOCK_UN on the inherited fd did not release the parent's lock. " << cite;
}

// man 2 flock: "LOCK_EX Place an exclusive lock. Only one process may hold an
// exclusive lock for a given file at a given time." / "To make a nonblocking
// request, include LOCK_NB" / "EWOULDBLOCK The file is locked and the LOCK_NB
// flag was selected." / "A single file may not simultaneously have both
// shared and exclusive locks."
TEST(Flock, NonBlockingRequestWhileAnotherProcessHoldsItGivesEwouldblock) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  const std::string path = f.path();
  ASSERT_OK_AND_ASSIGN(Child holder, Child::Fork([&]() -> int {
                         int cfd = open(path.c_str(), O_RDWR | O_CLOEXEC);
                         if (cfd < 0 || flock(cfd, LOCK_EX) != 0) return 2;
                         cp.Signal(1);
                         cp.WaitFor(2, Deadline::Default());
                         return 0;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  EXPECT_THAT(flock(fd.get(), LOCK_EX | LOCK_NB), SyscallFailsWithErrno(EWOULDBLOCK))
      << "man 2 flock: \"EWOULDBLOCK The file is locked and the LOCK_NB flag was selected.\"";
  EXPECT_THAT(flock(fd.get(), LOCK_SH | LOCK_NB), SyscallFailsWithErrno(EWOULDBLOCK))
      << "man 2 flock: \"A single file may not simultaneously have both shared and exclusive "
         "locks.\"";
  cp.Signal(2);
  ASSERT_OK_AND_ASSIGN(WaitStatus st, holder.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_THAT(flock(fd.get(), LOCK_EX | LOCK_NB), SyscallSucceeds())
      << "the holder exited (its fd closed): man 2 flock, the lock is released \"when all such "
         "file descriptors have been closed\"";
}

// man 2 flock: "An attempt to lock the file using one of these file
// descriptors may be denied by a lock that the calling process has already
// placed via another file descriptor."
TEST(Flock, ASecondOpenInTheSameProcessIsDenied) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd1, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd2, f.Open());
  ASSERT_THAT(flock(fd1.get(), LOCK_EX | LOCK_NB), SyscallSucceeds());
  EXPECT_THAT(flock(fd2.get(), LOCK_EX | LOCK_NB), SyscallFailsWithErrno(EWOULDBLOCK))
      << "man 2 flock: \"An attempt to lock the file using one of these file descriptors may "
         "be denied by a lock that the calling process has already placed via another file "
         "descriptor.\"";
}

// ---------------------------------------------------------------------------
// Every kind of file lock is released when its holder dies.

class FileLockDeath : public ::testing::TestWithParam<FileLockSort> {};

// The lock call a child makes; 0 or errno.
int LockNow(FileLockSort sort, int fd) {
  switch (sort) {
    case FileLockSort::kFcntl:
      return SetLk(fd, F_SETLK, F_WRLCK, 0, 0);
    case FileLockSort::kOfd:
      return SetLk(fd, F_OFD_SETLK, F_WRLCK, 0, 0);
    case FileLockSort::kFlock:
      return flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
  }
  return EINVAL;
}

PosixError LockBlocking(FileLockSort sort, int fd, const Deadline& d) {
  switch (sort) {
    case FileLockSort::kFcntl:
      return CallWithDeadline(
          [fd] {
            struct flock fl = FlockRange(F_WRLCK, 0, 0);
            return fcntl(fd, F_SETLKW, &fl);
          },
          "F_SETLKW", d);
    case FileLockSort::kOfd:
      return CallWithDeadline(
          [fd] {
            struct flock fl = FlockRange(F_WRLCK, 0, 0);
            return fcntl(fd, F_OFD_SETLKW, &fl);
          },
          "F_OFD_SETLKW", d);
    case FileLockSort::kFlock:
      return CallWithDeadline([fd] { return flock(fd, LOCK_EX); }, "flock(LOCK_EX)", d);
  }
  return PosixError(EINVAL, "sort");
}

const char* DeathCite(FileLockSort sort) {
  switch (sort) {
    case FileLockSort::kFcntl:
      return "man 2 fcntl: \"As well as being removed by an explicit F_UNLCK, record locks are "
             "automatically released when the process terminates.\"";
    case FileLockSort::kOfd:
      return "man 2 fcntl: open file description locks \"are only automatically released on "
             "the last close of the open file description\" (the dead holder had the only fd)";
    case FileLockSort::kFlock:
      return "man 2 flock: \"the lock is released either by an explicit LOCK_UN operation on "
             "any of these duplicate file descriptors, or when all such file descriptors have "
             "been closed\" (the dead holder had the only fd)";
  }
  return "";
}

// SIGKILL the holder while another process sleeps waiting for the lock: the
// waiter gets it; a third process can take it after the waiter goes.
TEST_P(FileLockDeath, ReleasedWhenTheHolderIsKilled) {
  const FileLockSort sort = GetParam();
  if (sort == FileLockSort::kOfd) {
    IPCSPEC_NEEDS(OfdLocks());
  }
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  const std::string path = f.path();
  ASSERT_OK_AND_ASSIGN(Child holder, Child::Fork([&]() -> int {
                         int cfd = open(path.c_str(), O_RDWR | O_CLOEXEC);
                         if (cfd < 0 || LockNow(sort, cfd) != 0) return 2;
                         cp.Signal(1);
                         cp.WaitFor(100, Deadline::Default());  // killed long before
                         return 0;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  ASSERT_OK_AND_ASSIGN(Child waiter, Child::Fork([&]() -> int {
                         int cfd = open(path.c_str(), O_RDWR | O_CLOEXEC);
                         if (cfd < 0) return 2;
                         PosixError e = LockBlocking(sort, cfd, Deadline::Default());
                         return e.ok() ? 0 : 3;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(waiter.pid(), {sort == FileLockSort::kFlock ? SYS_flock
                                                                               : SYS_fcntl}));
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  EXPECT_NE(LockNow(sort, fd.get()), 0) << "the lock was free while its holder lived";
  ASSERT_OK_AND_ASSIGN(WaitStatus killed, holder.KillAndWait());
  ASSERT_TRUE(killed.KilledBy(SIGKILL)) << killed;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, waiter.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << "the process waiting for the lock when its holder was "
                                   "killed: "
                                << st << " (3: its wait ended without the lock). "
                                << DeathCite(sort);
  EXPECT_EQ(LockNow(sort, fd.get()), 0)
      << "after the holder was killed and the waiter exited, the lock is still taken. "
      << DeathCite(sort);
}

INSTANTIATE_TEST_SUITE_P(Sorts, FileLockDeath,
                         ::testing::Values(FileLockSort::kFcntl, FileLockSort::kOfd,
                                           FileLockSort::kFlock),
                         [](const auto& info) {
                           switch (info.param) {
                             case FileLockSort::kFcntl:
                               return std::string("fcntl");
                             case FileLockSort::kOfd:
                               return std::string("ofd");
                             case FileLockSort::kFlock:
                               return std::string("flock");
                           }
                           return std::string("unknown");
                         });

}  // namespace
}  // namespace ipcspec

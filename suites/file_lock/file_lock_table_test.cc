// The file-lock table (issue 14, "File locks"): flock(2) shared locks,
// conversions, errors and EINTR; fcntl(2) record locks held by several
// readers, F_SETLKW blocking both ways, open mode against lock type, bad
// arguments, negative lengths and ranges past the end; open file description
// locks converted in place and conflicting with traditional locks.
//
// Each test cites the sentence of man 2 flock or man 2 fcntl it checks.
// Blocked processes are seen with WaitUntilBlocked; every wait has a deadline.

#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/child_report.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/file_lock/file_lock.h"

namespace ipcspec {
namespace {

// One lock call; 0 or the errno.
int SetLk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = FlockRange(type, start, len);
  return fcntl(fd, cmd, &fl) == 0 ? 0 : errno;
}

int Flock(int fd, int op) { return flock(fd, op) == 0 ? 0 : errno; }

std::string Err(int e) { return e == 0 ? std::string("success") : ErrnoName(e); }

bool IsConflict(int e) { return e == EAGAIN || e == EACCES; }

Need OfdLocks() {
  return Need::Feature("ofd-locks", []() -> std::optional<std::string> {
    PosixError e = ProbeOfdLocks();
    if (e.ok()) return std::nullopt;
    return e.ToString();
  });
}

// The name of a lock call in its record: a string literal (child_report.h).
const char* LockCallName(int cmd) {
  switch (cmd) {
    case F_GETLK:
      return "fcntl(F_GETLK)";
    case F_SETLK:
      return "fcntl(F_SETLK)";
    case F_SETLKW:
      return "fcntl(F_SETLKW)";
    case F_OFD_GETLK:
      return "fcntl(F_OFD_GETLK)";
    case F_OFD_SETLK:
      return "fcntl(F_OFD_SETLK)";
    case F_OFD_SETLKW:
      return "fcntl(F_OFD_SETLKW)";
  }
  return "fcntl";
}

const char* FlockCallName(int op) {
  switch (op) {
    case LOCK_SH:
      return "flock(LOCK_SH)";
    case LOCK_EX:
      return "flock(LOCK_EX)";
    case LOCK_SH | LOCK_NB:
      return "flock(LOCK_SH|LOCK_NB)";
    case LOCK_EX | LOCK_NB:
      return "flock(LOCK_EX|LOCK_NB)";
    case LOCK_UN:
      return "flock(LOCK_UN)";
  }
  return "flock";
}

// Child-safe: one lock call, recorded.
CallRecord SetLkCall(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = FlockRange(type, start, len);
  return Record(LockCallName(cmd), fcntl(fd, cmd, &fl));
}

CallRecord FlockCall(int fd, int op) { return Record(FlockCallName(op), flock(fd, op)); }

// Another process's lock refused: EAGAIN or EACCES (man 2 fcntl allows both).
bool RefusedByConflict(const CallRecord& r) {
  return r.FailedWith(EAGAIN) || r.FailedWith(EACCES);
}

// F_GETLK (or F_OFD_GETLK) asked by a forked child through its own open of
// `path`: the call's record (or the open's, when that failed) and the lock
// it reported.
struct Probe {
  CallRecord rec;
  struct flock fl = {};
};

PosixErrorOr<Probe> GetLkElsewhere(const std::string& path, int cmd, struct flock query) {
  IPCSPEC_ASSIGN_OR_RETURN(auto out, SharedObject<Probe>::Create());
  Probe* res = out.get();
  IPCSPEC_ASSIGN_OR_RETURN(WaitStatus st, ForkAndWait([&]() -> int {
                             int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
                             if (fd < 0) {
                               res->rec = Record("open", -1);
                               return 0;
                             }
                             struct flock q = query;
                             res->rec = Record(LockCallName(cmd), fcntl(fd, cmd, &q));
                             res->fl = q;
                             return 0;
                           }));
  IPCSPEC_RETURN_IF_ERROR(ReachedEnd(st, "the F_GETLK probe"));
  return *res;
}

// A child that opens `path` and makes one lock call, `call(fd)`, whose
// record it leaves in `rec` (the open's record when the open failed). The
// parent keeps both: it may watch the child block, then Wait() for it.
struct Locker {
  Child child;
  SharedObject<CallRecord> rec;

  // Waits for the child; its record once it reached its end.
  PosixErrorOr<CallRecord> Wait(const Deadline& deadline = Deadline::Default()) {
    IPCSPEC_ASSIGN_OR_RETURN(WaitStatus st, child.Wait(deadline));
    IPCSPEC_RETURN_IF_ERROR(ReachedEnd(st, "the locking child"));
    return *rec;
  }
};

PosixErrorOr<Locker> ForkLocker(const std::string& path, int flags,
                                std::function<CallRecord(int)> call) {
  IPCSPEC_ASSIGN_OR_RETURN(auto rec, SharedObject<CallRecord>::Create());
  CallRecord* out = rec.get();
  IPCSPEC_ASSIGN_OR_RETURN(Child child, Child::Fork([path, flags, call, out]() -> int {
                             int fd = open(path.c_str(), flags | O_CLOEXEC);
                             *out = fd < 0 ? Record("open", -1) : call(fd);
                             return 0;
                           }));
  return Locker{std::move(child), std::move(rec)};
}

// The same call, waited for at once: its record.
PosixErrorOr<CallRecord> LockElsewhere(const std::string& path, int flags,
                                       std::function<CallRecord(int)> call) {
  IPCSPEC_ASSIGN_OR_RETURN(Locker locker, ForkLocker(path, flags, std::move(call)));
  return locker.Wait();
}

// ---------------------------------------------------------------------------
// flock(2)

constexpr char kFlockShared[] =
    "man 2 flock: \"LOCK_SH Place a shared lock. More than one process may hold a shared lock "
    "for a given file at a given time.\"";

// Separate open(2)s are separate holders for flock (man 2 flock: "these file
// descriptors are treated independently by flock()"), so three opens stand
// for three processes.
TEST(FlockTable, SeveralSharedHoldersExcludeAnExclusiveLock) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor a, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor b, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor c, f.Open());
  ASSERT_EQ(Flock(a.get(), LOCK_SH), 0);
  EXPECT_EQ(Flock(b.get(), LOCK_SH | LOCK_NB), 0)
      << "a second shared holder was refused. " << kFlockShared;
  EXPECT_EQ(Flock(c.get(), LOCK_EX | LOCK_NB), EWOULDBLOCK)
      << "LOCK_EX|LOCK_NB while two shared locks are held gave " << Err(errno)
      << ". man 2 flock: \"A single file may not simultaneously have both shared and exclusive "
         "locks.\"";
  ASSERT_EQ(Flock(a.get(), LOCK_UN), 0);
  EXPECT_EQ(Flock(c.get(), LOCK_EX | LOCK_NB), EWOULDBLOCK)
      << "LOCK_EX|LOCK_NB with one shared holder left was granted. man 2 flock: \"A single "
         "file may not simultaneously have both shared and exclusive locks.\"";
  ASSERT_EQ(Flock(b.get(), LOCK_UN), 0);
  EXPECT_EQ(Flock(c.get(), LOCK_EX | LOCK_NB), 0)
      << "LOCK_EX|LOCK_NB refused after every shared holder unlocked";
}

// man 2 flock: "A process may hold only one type of lock (shared or
// exclusive) on a file. Subsequent flock() calls on an already locked file
// will convert an existing lock to the new lock mode."
TEST(FlockTable, UpgradeAndDowngradeConvertTheLock) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor a, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor b, f.Open());
  const char* cite =
      "man 2 flock: \"Subsequent flock() calls on an already locked file will convert an "
      "existing lock to the new lock mode.\"";
  ASSERT_EQ(Flock(a.get(), LOCK_SH), 0);
  EXPECT_EQ(Flock(a.get(), LOCK_EX | LOCK_NB), 0) << "upgrade of the only shared lock: " << cite;
  EXPECT_EQ(Flock(b.get(), LOCK_SH | LOCK_NB), EWOULDBLOCK)
      << "after the upgrade another open took a shared lock: the upgrade did not happen. "
      << cite;
  EXPECT_EQ(Flock(a.get(), LOCK_SH | LOCK_NB), 0) << "downgrade: " << cite;
  EXPECT_EQ(Flock(b.get(), LOCK_SH | LOCK_NB), 0)
      << "after the downgrade another open cannot take a shared lock. " << cite;
}

// man 2 flock: "Converting a lock (shared to exclusive, or vice versa) is not
// guaranteed to be atomic: the existing lock is first removed, and then a new
// lock is established." Linux does exactly that: an upgrade refused with
// LOCK_NB has already dropped the shared lock it held.
TEST(FlockTable, ARefusedUpgradeHasDroppedTheSharedLock) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor a, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor b, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor c, f.Open());
  ASSERT_EQ(Flock(a.get(), LOCK_SH), 0);
  ASSERT_EQ(Flock(b.get(), LOCK_SH), 0);
  EXPECT_EQ(Flock(a.get(), LOCK_EX | LOCK_NB), EWOULDBLOCK)
      << "an upgrade while another shared lock is held was granted. man 2 flock: \"the "
         "conversion either blocks, or fails if LOCK_NB was specified\"";
  ASSERT_EQ(Flock(b.get(), LOCK_UN), 0);
  EXPECT_EQ(Flock(c.get(), LOCK_EX | LOCK_NB), 0)
      << "the refused upgrade kept its shared lock (Linux drops it). man 2 flock: \"Converting "
         "a lock (shared to exclusive, or vice versa) is not guaranteed to be atomic: the "
         "existing lock is first removed, and then a new lock is established.\"";
}

// man 2 flock: "A shared or exclusive lock can be placed on a file regardless
// of the mode in which the file was opened."
TEST(FlockTable, AnyOpenModeCanLock) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  for (int mode : {O_RDONLY, O_WRONLY}) {
    FileDescriptor fd(open(f.path().c_str(), mode | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    EXPECT_EQ(Flock(fd.get(), LOCK_EX | LOCK_NB), 0)
        << (mode == O_RDONLY ? "O_RDONLY" : "O_WRONLY")
        << ": man 2 flock: \"A shared or exclusive lock can be placed on a file regardless of "
           "the mode in which the file was opened.\"";
    EXPECT_EQ(Flock(fd.get(), LOCK_UN), 0);
  }
}

// man 2 flock: "EINVAL operation is invalid." / "EBADF fd is not an open file
// descriptor." An O_PATH descriptor is not one flock accepts either (man 2
// open, O_PATH: other file operations "fail with the error EBADF").
TEST(FlockTable, Errors) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  for (int op : {0, LOCK_NB, LOCK_SH | LOCK_EX, LOCK_SH | LOCK_EX | LOCK_NB,
                 LOCK_EX | LOCK_UN | LOCK_NB, LOCK_SH | LOCK_UN | LOCK_NB, 0x40}) {
    EXPECT_EQ(Flock(fd.get(), op), EINVAL)
        << "flock operation " << op << " gave " << Err(errno)
        << ". man 2 flock: \"EINVAL operation is invalid.\"";
  }
  EXPECT_EQ(Flock(-1, LOCK_EX | LOCK_NB), EBADF)
      << "flock(-1). man 2 flock: \"EBADF fd is not an open file descriptor.\"";
  int closed = dup(fd.get());
  ASSERT_GE(closed, 0);
  ASSERT_EQ(close(closed), 0);
  EXPECT_EQ(Flock(closed, LOCK_SH | LOCK_NB), EBADF)
      << "flock of a closed fd. man 2 flock: \"EBADF fd is not an open file descriptor.\"";
  FileDescriptor path_fd(open(f.path().c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(path_fd.valid());
  EXPECT_EQ(Flock(path_fd.get(), LOCK_EX | LOCK_NB), EBADF)
      << "flock of an O_PATH fd. man 2 open, O_PATH: other file operations \"fail with the "
         "error EBADF\"";
}

// man 2 flock: "Subsequent flock() calls on an already locked file will
// convert an existing lock to the new lock mode": the same mode again is no
// second lock, and one LOCK_UN releases it. LOCK_UN with no lock succeeds.
TEST(FlockTable, RepeatedLocksOfOneDescriptionAreOneLock) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor a, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor b, f.Open());
  EXPECT_EQ(Flock(a.get(), LOCK_UN), 0) << "LOCK_UN with no lock held";
  const char* cite =
      "man 2 flock: \"A process may hold only one type of lock (shared or exclusive) on a "
      "file.\"";
  for (int mode : {LOCK_EX, LOCK_SH}) {
    ASSERT_EQ(Flock(a.get(), mode | LOCK_NB), 0);
    EXPECT_EQ(Flock(a.get(), mode | LOCK_NB), 0)
        << (mode == LOCK_EX ? "LOCK_EX" : "LOCK_SH") << " again on the same fd. " << cite;
    ASSERT_EQ(Flock(a.get(), LOCK_UN), 0);
    EXPECT_EQ(Flock(b.get(), LOCK_EX | LOCK_NB), 0)
        << "one LOCK_UN after two " << (mode == LOCK_EX ? "LOCK_EX" : "LOCK_SH")
        << " did not release the lock. " << cite;
    ASSERT_EQ(Flock(b.get(), LOCK_UN), 0);
  }
}

// flock works on any open file description with an inode (gVisor's anchors:
// a directory, a /proc file, a socket, a pipe whose two ends are two
// descriptions of one inode). man 2 flock: "Locks created by flock() are
// associated with an open file description".
TEST(FlockTable, DirectoriesProcFilesSocketsAndPipesCanBeLocked) {
  const char* cite =
      "man 2 flock: \"flock - apply or remove an advisory lock on an open file\"; Linux "
      "accepts any open file description";
  const char* tmp = getenv("TEST_TMPDIR");
  FileDescriptor dir(open(tmp != nullptr ? tmp : "/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());
  EXPECT_EQ(Flock(dir.get(), LOCK_SH | LOCK_NB), 0) << "a directory. " << cite;
  EXPECT_EQ(Flock(dir.get(), LOCK_UN), 0);
  FileDescriptor proc(open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(proc.valid());
  EXPECT_EQ(Flock(proc.get(), LOCK_EX | LOCK_NB), 0) << "/proc/self/status. " << cite;
  FileDescriptor sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(sock.valid());
  EXPECT_EQ(Flock(sock.get(), LOCK_EX | LOCK_NB), 0) << "a Unix socket. " << cite;
  int p[2];
  ASSERT_THAT(pipe2(p, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor r(p[0]), w(p[1]);
  EXPECT_EQ(Flock(r.get(), LOCK_EX | LOCK_NB), 0) << "a pipe's read end. " << cite;
  EXPECT_EQ(Flock(w.get(), LOCK_EX | LOCK_NB), EWOULDBLOCK)
      << "the write end of a pipe whose read end holds LOCK_EX: the two ends are two open file "
         "descriptions of one inode. man 2 flock: \"Only one process may hold an exclusive "
         "lock for a given file at a given time.\"";
  EXPECT_EQ(Flock(r.get(), LOCK_UN), 0);
  EXPECT_EQ(Flock(w.get(), LOCK_EX | LOCK_NB), 0) << "the pipe's write end after LOCK_UN";
}

// man 2 flock: "duplicate file descriptors (created by, for example, fork(2)
// or dup(2)) refer to the same lock, and this lock may be modified or
// released using any of these file descriptors. Furthermore, the lock is
// released either by an explicit LOCK_UN operation on any of these duplicate
// file descriptors, or when all such file descriptors have been closed."
TEST(FlockTable, ADupConvertsTheLockAndOnlyTheLastCloseReleasesIt) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor other, f.Open());
  FileDescriptor dup1(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  ASSERT_TRUE(dup1.valid());
  const char* cite =
      "man 2 flock: duplicate file descriptors \"refer to the same lock, and this lock may be "
      "modified or released using any of these file descriptors\"";
  ASSERT_EQ(Flock(fd.get(), LOCK_SH | LOCK_NB), 0);
  EXPECT_EQ(Flock(dup1.get(), LOCK_EX | LOCK_NB), 0) << "upgrade through a dup. " << cite;
  EXPECT_EQ(Flock(other.get(), LOCK_SH | LOCK_NB), EWOULDBLOCK)
      << "another open shares the lock after the upgrade through a dup. " << cite;
  EXPECT_EQ(Flock(dup1.get(), LOCK_SH | LOCK_NB), 0) << "downgrade through a dup. " << cite;
  EXPECT_EQ(Flock(other.get(), LOCK_SH | LOCK_NB), 0)
      << "another open cannot share the lock after the downgrade through a dup. " << cite;
  ASSERT_EQ(Flock(other.get(), LOCK_UN), 0);
  ASSERT_EQ(Flock(dup1.get(), LOCK_EX | LOCK_NB), 0);
  ASSERT_THAT(dup1.reset(), SyscallSucceeds());
  EXPECT_EQ(Flock(other.get(), LOCK_EX | LOCK_NB), EWOULDBLOCK)
      << "closing one of two duplicates released the lock. man 2 flock: the lock is released "
         "\"when all such file descriptors have been closed\"";
  ASSERT_THAT(fd.reset(), SyscallSucceeds());
  EXPECT_EQ(Flock(other.get(), LOCK_EX | LOCK_NB), 0)
      << "the last duplicate closed, the lock is still held. man 2 flock: the lock is released "
         "\"when all such file descriptors have been closed\"";
}

// man 2 flock: "Locks created by flock() are associated with an open file
// description": LOCK_UN through another process's own open releases nothing
// (and succeeds: it holds no lock to remove).
TEST(FlockTable, LockUnThroughAnotherOpenReleasesNothing) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_EQ(Flock(fd.get(), LOCK_EX | LOCK_NB), 0);
  ASSERT_OK_AND_ASSIGN(CallRecords<3> calls, CallsInChild<3>([&](CallRecords<3>& r) {
                         int cfd = open(f.path().c_str(), O_RDWR | O_CLOEXEC);
                         r[0] = Record("open", cfd);
                         if (cfd < 0) return;
                         r[1] = FlockCall(cfd, LOCK_UN);
                         r[2] = FlockCall(cfd, LOCK_EX | LOCK_NB);
                       }));
  EXPECT_TRUE(calls[1].ret == 0 && calls[2].FailedWith(EWOULDBLOCK))
      << "another process's LOCK_UN on its own open released the holder's lock, or its "
         "LOCK_UN failed: "
      << ToString(calls) << ". man 2 flock: \"Locks created "
               "by flock() are associated with an open file description\"";
}

// A blocked flock or F_SETLKW interrupted by a handler installed without
// SA_RESTART fails with EINTR.
enum class Blocker { kFlock, kSetlkw, kOfdSetlkw };

void NoteSignal(int) {}

CallRecord BlockingCall(Blocker b, int fd) {
  switch (b) {
    case Blocker::kFlock:
      return FlockCall(fd, LOCK_EX);
    case Blocker::kSetlkw:
      return SetLkCall(fd, F_SETLKW, F_WRLCK, 0, 0);
    case Blocker::kOfdSetlkw:
      return SetLkCall(fd, F_OFD_SETLKW, F_WRLCK, 0, 0);
  }
  return CallRecord{};
}

int HoldNow(Blocker b, int fd) {
  switch (b) {
    case Blocker::kFlock:
      return Flock(fd, LOCK_EX | LOCK_NB);
    case Blocker::kSetlkw:
      return SetLk(fd, F_SETLK, F_WRLCK, 0, 0);
    case Blocker::kOfdSetlkw:
      return SetLk(fd, F_OFD_SETLK, F_WRLCK, 0, 0);
  }
  return EINVAL;
}

class LockEintr : public ::testing::TestWithParam<Blocker> {};

TEST_P(LockEintr, ABlockedLockFailsEintrWhenACaughtSignalArrives) {
  const Blocker b = GetParam();
  if (b == Blocker::kOfdSetlkw) {
    IPCSPEC_NEEDS(OfdLocks());
  }
  const char* cite =
      b == Blocker::kFlock
          ? "man 2 flock: \"EINTR While waiting to acquire a lock, the call was interrupted by "
            "delivery of a signal caught by a handler\""
          : "man 2 fcntl, F_SETLKW: \"If a signal is caught while waiting, then the call is "
            "interrupted and (after the signal handler has returned) returns immediately (with "
            "return value -1 and errno set to EINTR\"";
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor held, f.Open());
  ASSERT_EQ(HoldNow(b, held.get()), 0);
  ASSERT_OK_AND_ASSIGN(Locker waiter, ForkLocker(f.path(), O_RDWR, [b](int fd) {
                         struct sigaction sa = {};
                         sa.sa_handler = NoteSignal;  // no SA_RESTART
                         if (sigaction(SIGUSR1, &sa, nullptr) != 0) {
                           return Record("sigaction", -1);
                         }
                         return BlockingCall(b, fd);
                       }));
  PosixError blocked =
      WaitUntilBlocked(waiter.child.pid(), {b == Blocker::kFlock ? SYS_flock : SYS_fcntl});
  ASSERT_TRUE(blocked.ok()) << "the waiter did not block behind the held lock: " << blocked
                            << ". " << cite;
  ASSERT_NO_ERRNO(waiter.child.Signal(SIGUSR1));
  ASSERT_OK_AND_ASSIGN(CallRecord rec, waiter.Wait());
  EXPECT_TRUE(rec.FailedWith(EINTR))
      << "the blocked waiter, after a caught SIGUSR1: " << rec << ". " << cite;
}

INSTANTIATE_TEST_SUITE_P(Calls, LockEintr,
                         ::testing::Values(Blocker::kFlock, Blocker::kSetlkw,
                                           Blocker::kOfdSetlkw),
                         [](const auto& info) {
                           switch (info.param) {
                             case Blocker::kFlock:
                               return std::string("flock");
                             case Blocker::kSetlkw:
                               return std::string("F_SETLKW");
                             case Blocker::kOfdSetlkw:
                               return std::string("F_OFD_SETLKW");
                           }
                           return std::string("unknown");
                         });

// man 2 flock: "A call to flock() may block if an incompatible lock is held
// by another process." A shared lock blocks LOCK_EX and the reverse, until it
// is released.
TEST(FlockTable, BlockedUntilTheIncompatibleLockIsReleased) {
  for (bool held_exclusive : {false, true}) {
    SCOPED_TRACE(held_exclusive ? "exclusive held, shared wanted"
                                : "shared held, exclusive wanted");
    ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
    ASSERT_OK_AND_ASSIGN(FileDescriptor held, f.Open());
    ASSERT_EQ(Flock(held.get(), held_exclusive ? LOCK_EX | LOCK_NB : LOCK_SH | LOCK_NB), 0);
    const int want = held_exclusive ? LOCK_SH : LOCK_EX;
    ASSERT_OK_AND_ASSIGN(Locker waiter, ForkLocker(f.path(), O_RDWR,
                                                   [want](int fd) { return FlockCall(fd, want); }));
    PosixError blocked = WaitUntilBlocked(waiter.child.pid(), {SYS_flock});
    EXPECT_TRUE(blocked.ok())
        << "the flock did not block behind an incompatible lock: " << blocked
        << ". man 2 flock: \"A call to flock() may block if an incompatible lock is held by "
           "another process.\"";
    ASSERT_EQ(Flock(held.get(), LOCK_UN), 0);
    ASSERT_OK_AND_ASSIGN(CallRecord rec, waiter.Wait());
    EXPECT_EQ(rec.ret, 0) << "the waiter after LOCK_UN: " << rec;
  }
}

// ---------------------------------------------------------------------------
// fcntl(2) record locks

// man 2 fcntl: "Any number of processes may hold a read lock (shared lock) on
// a file region, but only one process may hold a write lock (exclusive
// lock)." The parent takes its read lock with F_SETLKW, the children theirs
// with F_SETLK.
TEST(FcntlTable, SeveralProcessesHoldReadLocks) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_EQ(SetLk(fd.get(), F_SETLKW, F_RDLCK, 0, 100), 0);
  const char* cite =
      "man 2 fcntl: \"Any number of processes may hold a read lock (shared lock) on a file "
      "region, but only one process may hold a write lock (exclusive lock).\"";
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(Locker reader, ForkLocker(f.path(), O_RDONLY, [&cp](int cfd) {
                         CallRecord r = SetLkCall(cfd, F_SETLK, F_RDLCK, 50, 100);
                         cp.Signal(1);
                         // Holds the lock until the parent has looked.
                         if (r.ret == 0 && !cp.WaitFor(2, Deadline::Default()).ok()) _exit(1);
                         return r;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  // The parent's F_GETLK: a read lock over the child's read lock is free; a
  // write lock past the parent's own range meets the child's.
  struct flock rq = FlockRange(F_RDLCK, 0, 0);
  ASSERT_THAT(fcntl(fd.get(), F_GETLK, &rq), SyscallSucceeds());
  EXPECT_EQ(rq.l_type, F_UNLCK) << "F_GETLK for a read lock over another process's read lock "
                                << "reports " << FormatFlock(rq) << ". " << cite;
  struct flock wq = FlockRange(F_WRLCK, 120, 10);
  ASSERT_THAT(fcntl(fd.get(), F_GETLK, &wq), SyscallSucceeds());
  EXPECT_EQ(wq.l_type, F_RDLCK) << "F_GETLK for a write lock over the child's read lock "
                                << "reports " << FormatFlock(wq) << ". " << cite;
  EXPECT_EQ(wq.l_pid, reader.child.pid()) << "F_GETLK's l_pid for the child's read lock";
  ASSERT_OK_AND_ASSIGN(CallRecord writer, LockElsewhere(f.path(), O_RDWR, [](int cfd) {
                         return SetLkCall(cfd, F_SETLK, F_WRLCK, 60, 1);
                       }));
  EXPECT_TRUE(RefusedByConflict(writer))
      << "a write lock over two read holders: " << writer << ". " << cite;
  cp.Signal(2);
  ASSERT_OK_AND_ASSIGN(CallRecord rec, reader.Wait());
  EXPECT_EQ(rec.ret, 0) << "a second process's read lock over the parent's: " << rec << ". "
                        << cite;
}

// man 2 fcntl, F_SETLKW: "As for F_SETLK, but if a conflicting lock is held on
// the file, then wait for that lock to be released." A read lock blocks a
// writer, a write lock a reader.
TEST(FcntlTable, SetlkwWaitsForAConflictingLockBothWays) {
  const char* cite =
      "man 2 fcntl, F_SETLKW: \"if a conflicting lock is held on the file, then wait for that "
      "lock to be released\"";
  for (short held_type : {F_RDLCK, F_WRLCK}) {
    const short want = held_type == F_RDLCK ? F_WRLCK : F_RDLCK;
    SCOPED_TRACE(held_type == F_RDLCK ? "read held, write wanted" : "write held, read wanted");
    ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
    ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
    ASSERT_EQ(SetLk(fd.get(), F_SETLK, held_type, 0, 10), 0);
    ASSERT_OK_AND_ASSIGN(CallRecord nb, LockElsewhere(f.path(), O_RDWR, [want](int cfd) {
                           return SetLkCall(cfd, F_SETLK, want, 5, 10);
                         }));
    EXPECT_TRUE(RefusedByConflict(nb))
        << "F_SETLK of the conflicting type in another process: " << nb
        << ". man 2 fcntl: \"If a conflicting lock is held by another "
           "process, this call returns -1 and sets errno to EACCES or EAGAIN.\"";
    ASSERT_OK_AND_ASSIGN(Locker waiter, ForkLocker(f.path(), O_RDWR, [want](int cfd) {
                           return SetLkCall(cfd, F_SETLKW, want, 5, 10);
                         }));
    PosixError blocked = WaitUntilBlocked(waiter.child.pid(), {SYS_fcntl});
    EXPECT_TRUE(blocked.ok()) << "F_SETLKW did not wait for the conflicting lock: " << blocked
                              << ". " << cite;
    ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_UNLCK, 0, 10), 0);
    ASSERT_OK_AND_ASSIGN(CallRecord rec, waiter.Wait());
    EXPECT_EQ(rec.ret, 0) << "the waiter after the unlock: " << rec << ". " << cite;
  }
}

// man 2 fcntl: "In order to place a read lock, fd must be open for reading.
// In order to place a write lock, fd must be open for writing." / "EBADF cmd
// is F_SETLK or F_SETLKW and the file descriptor open mode doesn't match with
// the type of lock requested." Linux applies the same to the OFD commands.
TEST(FcntlTable, LockTypeAgainstOpenModeIsEbadf) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  FileDescriptor ro(open(f.path().c_str(), O_RDONLY | O_CLOEXEC));
  FileDescriptor wo(open(f.path().c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(ro.valid() && wo.valid());
  const char* cite =
      "man 2 fcntl: \"EBADF cmd is F_SETLK or F_SETLKW and the file descriptor open mode "
      "doesn't match with the type of lock requested.\"";
  for (int cmd : {F_SETLK, F_SETLKW}) {
    EXPECT_EQ(SetLk(wo.get(), cmd, F_RDLCK, 0, 0), EBADF)
        << "cmd " << cmd << ": a read lock on an O_WRONLY fd. " << cite;
    EXPECT_EQ(SetLk(ro.get(), cmd, F_WRLCK, 0, 0), EBADF)
        << "cmd " << cmd << ": a write lock on an O_RDONLY fd. " << cite;
  }
  EXPECT_EQ(SetLk(ro.get(), F_SETLK, F_RDLCK, 0, 0), 0) << "a read lock on an O_RDONLY fd";
  EXPECT_EQ(SetLk(wo.get(), F_SETLK, F_WRLCK, 0, 0), 0) << "a write lock on an O_WRONLY fd";
  struct flock g = FlockRange(F_WRLCK, 0, 0);
  EXPECT_THAT(fcntl(-1, F_GETLK, &g), SyscallFailsWithErrno(EBADF))
      << "F_GETLK on fd -1. man 2 fcntl: \"EBADF fd is not an open file descriptor\"";
  EXPECT_EQ(SetLk(-1, F_SETLK, F_RDLCK, 0, 0), EBADF)
      << "man 2 fcntl: \"EBADF fd is not an open file descriptor\"";
  FileDescriptor path_fd(open(f.path().c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(path_fd.valid());
  EXPECT_EQ(SetLk(path_fd.get(), F_SETLK, F_RDLCK, 0, 0), EBADF)
      << "F_SETLK on an O_PATH fd. man 2 open, O_PATH: other file operations \"fail with the "
         "error EBADF\"";
}

// man 2 fcntl: "EINVAL The value specified in cmd is not recognized by this
// kernel." The page lists SEEK_SET, SEEK_CUR and SEEK_END for l_whence and
// F_RDLCK, F_WRLCK and F_UNLCK for l_type; Linux refuses others with EINVAL.
// "Bytes past the end of the file may be locked, but not bytes before the
// start of the file": Linux says EINVAL.
TEST(FcntlTable, BadArgumentsAreEinval) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  struct flock fl = FlockRange(F_WRLCK, 0, 0);
  EXPECT_THAT(fcntl(fd.get(), 0x7fff, &fl), SyscallFailsWithErrno(EINVAL))
      << "man 2 fcntl: \"EINVAL The value specified in cmd is not recognized by this kernel.\"";
  for (int cmd : {F_GETLK, F_SETLK, F_SETLKW}) {
    struct flock w = FlockRange(F_WRLCK, 0, 0);
    w.l_whence = 7;
    EXPECT_THAT(fcntl(fd.get(), cmd, &w), SyscallFailsWithErrno(EINVAL))
        << "cmd " << cmd << " with l_whence 7 (the page names only SEEK_SET, SEEK_CUR and "
           "SEEK_END for l_whence; Linux: EINVAL)";
    struct flock t = FlockRange(F_WRLCK, 0, 0);
    t.l_type = 42;
    EXPECT_THAT(fcntl(fd.get(), cmd, &t), SyscallFailsWithErrno(EINVAL))
        << "cmd " << cmd << " with l_type 42 (Linux: EINVAL)";
    struct flock before = FlockRange(F_WRLCK, 5, -10);
    EXPECT_THAT(fcntl(fd.get(), cmd, &before), SyscallFailsWithErrno(EINVAL))
        << "cmd " << cmd << ": l_start 5, l_len -10 starts before the file. man 2 fcntl: "
           "\"Bytes past the end of the file may be locked, but not bytes before the start of "
           "the file.\"";
    struct flock neg_start = FlockRange(F_WRLCK, -1, 1);
    EXPECT_THAT(fcntl(fd.get(), cmd, &neg_start), SyscallFailsWithErrno(EINVAL))
        << "cmd " << cmd << ": l_start -1 with SEEK_SET. man 2 fcntl: \"not bytes before the "
           "start of the file\"";
  }
}

// man 2 fcntl: "if l_len is negative, the interval described by lock covers
// bytes l_start+l_len up to and including l_start-1. This is supported since
// Linux 2.4.21 and Linux 2.5.49."; "Bytes past the end of the file may be
// locked". Another process's F_GETLK reports the ranges.
TEST(FcntlTable, NegativeLengthsAndRangesPastTheEnd) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());  // empty file
  const char* neg_cite =
      "man 2 fcntl: \"if l_len is negative, the interval described by lock covers bytes "
      "l_start+l_len up to and including l_start-1\"";
  ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_WRLCK, 10, -4), 0) << neg_cite;
  ASSERT_OK_AND_ASSIGN(Probe p, GetLkElsewhere(f.path(), F_GETLK, FlockRange(F_WRLCK, 0, 0)));
  ASSERT_EQ(p.rec.ret, 0) << p.rec;
  EXPECT_EQ(p.fl.l_type, F_WRLCK) << "the lock [6, 10) is not seen. " << neg_cite;
  EXPECT_EQ(p.fl.l_start, 6) << FormatFlock(p.fl) << ". " << neg_cite;
  EXPECT_EQ(p.fl.l_len, 4) << FormatFlock(p.fl) << ". " << neg_cite;
  ASSERT_OK_AND_ASSIGN(Probe edge, GetLkElsewhere(f.path(), F_GETLK, FlockRange(F_WRLCK, 10, 1)));
  EXPECT_EQ(edge.fl.l_type, F_UNLCK)
      << "byte 10 (l_start) is locked: " << FormatFlock(edge.fl) << ". " << neg_cite;

  const char* eof_cite =
      "man 2 fcntl: \"Bytes past the end of the file may be locked, but not bytes before the "
      "start of the file.\"";
  ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_RDLCK, 1000000, 10), 0) << eof_cite;
  ASSERT_OK_AND_ASSIGN(Probe past,
                       GetLkElsewhere(f.path(), F_GETLK, FlockRange(F_WRLCK, 100, 0)));
  EXPECT_EQ(past.fl.l_type, F_RDLCK) << "the lock past the end of the empty file is not seen: "
                                     << FormatFlock(past.fl) << ". " << eof_cite;
  EXPECT_EQ(past.fl.l_start, 1000000) << FormatFlock(past.fl) << ". " << eof_cite;
  // SEEK_END with a negative l_start on a 100-byte file.
  ASSERT_THAT(ftruncate(fd.get(), 100), SyscallSucceeds());
  struct flock end = FlockRange(F_WRLCK, -20, 5);
  end.l_whence = SEEK_END;
  ASSERT_THAT(fcntl(fd.get(), F_SETLK, &end), SyscallSucceeds())
      << "man 2 fcntl: with SEEK_END \"l_start can be a negative number provided the offset "
         "does not lie before the start of the file\"";
  ASSERT_OK_AND_ASSIGN(Probe e2, GetLkElsewhere(f.path(), F_GETLK, FlockRange(F_WRLCK, 50, 50)));
  EXPECT_EQ(e2.fl.l_start, 80) << FormatFlock(e2.fl)
                               << ": SEEK_END -20 on a 100-byte file is byte 80";
}

// man 2 fcntl, F_GETLK: "If the lock could be placed, fcntl() does not
// actually place it, but returns F_UNLCK in the l_type field". A process's
// own locks never conflict with its requests, so it sees none of them; an
// unlock of nothing succeeds; a read lock does not make another read lock wait.
TEST(FcntlTable, OwnLocksNeverConflictAndUnlockingNothingSucceeds) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd2, f.Open());
  const char* cite =
      "man 2 fcntl, F_GETLK: \"If the lock could be placed, fcntl() does not actually place "
      "it, but returns F_UNLCK in the l_type field\"";
  EXPECT_EQ(SetLk(fd.get(), F_SETLK, F_UNLCK, 0, 0), 0) << "F_UNLCK with no lock held";
  struct flock q = FlockRange(F_WRLCK, 0, 0);
  ASSERT_THAT(fcntl(fd.get(), F_GETLK, &q), SyscallSucceeds());
  EXPECT_EQ(q.l_type, F_UNLCK) << "F_GETLK on an unlocked file: " << FormatFlock(q) << ". "
                               << cite;
  ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_WRLCK, 0, 10), 0);
  q = FlockRange(F_WRLCK, 0, 0);
  ASSERT_THAT(fcntl(fd2.get(), F_GETLK, &q), SyscallSucceeds());
  EXPECT_EQ(q.l_type, F_UNLCK) << "F_GETLK reports the caller's own lock: " << FormatFlock(q)
                               << ". " << cite;
  EXPECT_EQ(SetLk(fd2.get(), F_SETLK, F_WRLCK, 5, 10), 0)
      << "the process's own write lock refused its second write lock over it";
  ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_RDLCK, 0, 0), 0);
  ASSERT_OK_AND_ASSIGN(CallRecord rec, LockElsewhere(f.path(), O_RDONLY, [](int cfd) {
                         return SetLkCall(cfd, F_SETLKW, F_RDLCK, 0, 0);
                       }));
  EXPECT_EQ(rec.ret, 0)
      << "F_SETLKW of a read lock over another process's read lock: " << rec
      << ". man 2 fcntl: \"Any number of processes may hold a read lock\"";
}

// Record locks belong to the file (the inode), not to its name: renaming it
// keeps the lock, seen through an open of the new name.
TEST(FcntlTable, ALockFollowsTheFileAcrossRename) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_WRLCK, 0, 0), 0);
  const std::string moved = f.path() + ".moved";
  ASSERT_THAT(rename(f.path().c_str(), moved.c_str()), SyscallSucceeds());
  auto probe = GetLkElsewhere(moved, F_GETLK, FlockRange(F_RDLCK, 0, 0));
  ASSERT_THAT(rename(moved.c_str(), f.path().c_str()), SyscallSucceeds());
  ASSERT_TRUE(probe.ok()) << probe.error();
  EXPECT_EQ(probe.value().fl.l_type, F_WRLCK)
      << "after rename, another process's F_GETLK through the new name sees "
      << FormatFlock(probe.value().fl)
      << ". man 2 fcntl: F_SETLK acquires a lock \"on the bytes specified by the l_whence, "
         "l_start, and l_len fields\" of the file, whatever its name";
}

// man 2 fcntl: "EFAULT lock is outside your accessible address space."
TEST(FcntlTable, BadLockPointerIsEfault) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  for (int cmd : {F_GETLK, F_SETLK, F_SETLKW}) {
    EXPECT_THAT(fcntl(fd.get(), cmd, nullptr), SyscallFailsWithErrno(EFAULT))
        << "cmd " << cmd << " with a null lock. man 2 fcntl: \"EFAULT lock is outside your "
           "accessible address space.\"";
  }
}

// The anchors' other file types: a directory and a /proc file take read
// locks; a pipe's read end takes only read locks and its write end only
// write locks (the open mode rule); a socket takes both.
TEST(FcntlTable, DirectoriesProcFilesPipesAndSockets) {
  const char* cite =
      "man 2 fcntl: \"In order to place a read lock, fd must be open for reading. In order to "
      "place a write lock, fd must be open for writing.\"";
  const char* tmp = getenv("TEST_TMPDIR");
  FileDescriptor dir(open(tmp != nullptr ? tmp : "/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());
  EXPECT_EQ(SetLk(dir.get(), F_SETLK, F_RDLCK, 0, 0), 0) << "a directory. " << cite;
  FileDescriptor proc(open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(proc.valid());
  EXPECT_EQ(SetLk(proc.get(), F_SETLK, F_RDLCK, 0, 0), 0) << "/proc/self/status. " << cite;
  int p[2];
  ASSERT_THAT(pipe2(p, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor r(p[0]), w(p[1]);
  EXPECT_EQ(SetLk(r.get(), F_SETLK, F_RDLCK, 0, 0), 0) << "a pipe's read end, F_RDLCK. " << cite;
  EXPECT_EQ(SetLk(r.get(), F_SETLK, F_WRLCK, 0, 0), EBADF)
      << "a pipe's read end, F_WRLCK. " << cite;
  EXPECT_EQ(SetLk(w.get(), F_SETLK, F_WRLCK, 0, 0), 0)
      << "a pipe's write end, F_WRLCK. " << cite;
  EXPECT_EQ(SetLk(w.get(), F_SETLK, F_RDLCK, 0, 0), EBADF)
      << "a pipe's write end, F_RDLCK. " << cite;
  FileDescriptor sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(sock.valid());
  EXPECT_EQ(SetLk(sock.get(), F_SETLK, F_RDLCK, 0, 0), 0) << "a Unix socket. " << cite;
}

// man 2 fcntl: "If a process closes any file descriptor referring to a file,
// then all of the process's locks on that file are released" -- the
// process's, not another process's.
TEST(FcntlTable, ACloseReleasesOnlyTheClosingProcessLocks) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd2, f.Open());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(Locker other, ForkLocker(f.path(), O_RDWR, [&cp](int cfd) {
                         CallRecord r = SetLkCall(cfd, F_SETLK, F_WRLCK, 20, 10);
                         cp.Signal(1);
                         // Holds the lock until the parent has looked.
                         if (r.ret == 0 && !cp.WaitFor(2, Deadline::Default()).ok()) _exit(1);
                         return r;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_WRLCK, 0, 10), 0);
  ASSERT_THAT(fd2.reset(), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Probe mine, GetLkElsewhere(f.path(), F_GETLK, FlockRange(F_WRLCK, 0, 10)));
  EXPECT_EQ(mine.fl.l_type, F_UNLCK)
      << "the parent's lock after it closed another fd of the file: " << FormatFlock(mine.fl)
      << ". man 2 fcntl: \"If a process closes any file descriptor referring to a file, then "
         "all of the process's locks on that file are released\"";
  ASSERT_OK_AND_ASSIGN(Probe theirs,
                       GetLkElsewhere(f.path(), F_GETLK, FlockRange(F_WRLCK, 20, 10)));
  EXPECT_EQ(theirs.fl.l_type, F_WRLCK)
      << "the other process's lock is gone after the parent's close: " << FormatFlock(theirs.fl)
      << ". man 2 fcntl: a close releases \"all of the process's locks\", no other process's";
  EXPECT_EQ(theirs.fl.l_pid, other.child.pid());
  cp.Signal(2);
  ASSERT_OK_AND_ASSIGN(CallRecord rec, other.Wait());
  EXPECT_EQ(rec.ret, 0) << rec;
}

// man 2 fcntl, F_SETLKW: "if a conflicting lock is held on the file, then
// wait for that lock to be released". A waiter on a range in the middle of a
// write lock is woken when unlocking that middle splits the lock around it.
TEST(FcntlTable, AWaiterIsWokenWhenTheLockIsSplitAroundItsRange) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_WRLCK, 0, 30), 0);
  ASSERT_OK_AND_ASSIGN(Locker waiter, ForkLocker(f.path(), O_RDWR, [](int cfd) {
                         return SetLkCall(cfd, F_SETLKW, F_WRLCK, 10, 10);
                       }));
  PosixError blocked = WaitUntilBlocked(waiter.child.pid(), {SYS_fcntl});
  EXPECT_TRUE(blocked.ok()) << "F_SETLKW did not wait for the write lock over its range: "
                            << blocked;
  ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_UNLCK, 10, 10), 0);
  ASSERT_OK_AND_ASSIGN(CallRecord rec, waiter.Wait());
  EXPECT_EQ(rec.ret, 0)
      << "the waiter on [10, 20) after the holder unlocked [10, 20) of [0, 30): " << rec
      << ". man 2 fcntl, F_SETLKW: \"wait for that lock to be released\"";
  ASSERT_OK_AND_ASSIGN(Probe left, GetLkElsewhere(f.path(), F_GETLK, FlockRange(F_WRLCK, 0, 10)));
  EXPECT_EQ(left.fl.l_type, F_WRLCK) << "the split left no lock on [0, 10)";
}

// man 2 fcntl, F_GETLK: "If the conflicting lock is a traditional
// (process-associated) record lock, then the l_pid field is set to the PID of
// the process holding that lock." The page says nothing of PID namespaces;
// Linux gives the PID as the caller's namespace names it, and 0 where that
// namespace cannot name the holder (as man 7 pid_namespaces says of PIDs
// passed over a Unix socket).
TEST(FcntlTable, GetLkFromAnotherPidNamespaceGivesThePidItsNamespaceSees) {
  IPCSPEC_NEEDS(Need::Feature("pidns", []() -> std::optional<std::string> {
    auto st = ForkAndWait([] {
      return unshare(CLONE_NEWPID) == 0 || unshare(CLONE_NEWUSER | CLONE_NEWPID) == 0 ? 0 : 1;
    });
    if (!st.ok()) return std::string("fork: ") + st.error().ToString();
    if (!st.value().ExitedWith(0)) return std::string("a child cannot unshare(CLONE_NEWPID)");
    return std::nullopt;
  }));
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_WRLCK, 0, 40), 0);
  struct Out {
    CallRecords<3> calls;  // unshare, fork, the grandchild's F_GETLK
    struct flock fl = {};
  };
  ASSERT_OK_AND_ASSIGN(auto out, SharedObject<Out>::Create());
  Out* o = out.get();
  const int ifd = fd.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([o, ifd]() -> int {
                         long u = unshare(CLONE_NEWPID);
                         if (u != 0) u = unshare(CLONE_NEWUSER | CLONE_NEWPID);
                         o->calls[0] = Record("unshare", u);
                         if (u != 0) return 0;
                         pid_t g = fork();
                         o->calls[1] = Record("fork", g < 0 ? -1 : 0);
                         if (g < 0) return 0;
                         if (g == 0) {
                           // Another process (pid 1 of the new namespace) on the
                           // inherited fd: the parent's lock conflicts.
                           struct flock q = FlockRange(F_WRLCK, 0, 40);
                           o->calls[2] = Record("fcntl(F_GETLK)", fcntl(ifd, F_GETLK, &q));
                           o->fl = q;
                           _exit(0);
                         }
                         // The grandchild makes one call that does not block.
                         int status = 0;
                         if (waitpid(g, &status, 0) != g) return 1;
                         return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
                       }));
  ASSERT_NO_ERRNO(ReachedEnd(st)) << ToString(o->calls);
  ASSERT_EQ(o->calls[2].ret, 0) << ToString(o->calls);
  EXPECT_EQ(o->fl.l_type, F_WRLCK) << "F_GETLK in the new PID namespace: " << FormatFlock(o->fl);
  EXPECT_EQ(o->fl.l_pid, 0)
      << "the holder, outside the caller's PID namespace, reported as pid " << o->fl.l_pid
      << " (Linux: 0, a PID that namespace cannot name). man 2 fcntl, F_GETLK: \"the l_pid field "
         "is set to the PID of the process holding that lock\"";
}

// man 2 fcntl: l_start "is interpreted relative to either: the start of the
// file (if l_whence is SEEK_SET); the current file offset (if l_whence is
// SEEK_CUR); or the end of the file (if l_whence is SEEK_END)". A write lock
// placed with SEEK_CUR conflicts with another process's request given with
// SEEK_END exactly where the two byte ranges overlap.
TEST(FcntlTable, SeekCurAndSeekEndRangesConflictExactlyWhereTheyOverlap) {
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_THAT(ftruncate(fd.get(), 300), SyscallSucceeds());
  ASSERT_THAT(lseek(fd.get(), 200, SEEK_SET), SyscallSucceedsWithValue(200));
  struct flock cur = FlockRange(F_WRLCK, -50, 10);  // [150, 160)
  cur.l_whence = SEEK_CUR;
  ASSERT_THAT(fcntl(fd.get(), F_SETLK, &cur), SyscallSucceeds());
  const char* cite =
      "man 2 fcntl: l_start \"is interpreted relative to ... the current file offset (if "
      "l_whence is SEEK_CUR); or the end of the file (if l_whence is SEEK_END)\"";
  // From the end (300): -150 is byte 150, -141 byte 159, -140 byte 160.
  struct Case {
    off_t from_end;
    off_t len;
    bool conflicts;
  };
  for (const Case& c : {Case{-160, 10, false}, Case{-160, 11, true}, Case{-141, 1, true},
                        Case{-140, 20, false}, Case{-300, 0, true}}) {
    ASSERT_OK_AND_ASSIGN(CallRecord rec, LockElsewhere(f.path(), O_RDWR, [c](int cfd) {
                           struct flock fl = FlockRange(F_RDLCK, c.from_end, c.len);
                           fl.l_whence = SEEK_END;
                           return Record("fcntl(F_SETLK)", fcntl(cfd, F_SETLK, &fl));
                         }));
    EXPECT_TRUE(c.conflicts ? RefusedByConflict(rec) : rec.ret == 0)
        << "another process's read lock SEEK_END " << c.from_end << " length " << c.len
        << " (bytes [" << 300 + c.from_end << ", " << (c.len ? std::to_string(300 + c.from_end + c.len) : std::string("EOF"))
        << ")) against the write lock SEEK_CUR -50 length 10 at offset 200 (bytes [150, 160)): "
        << rec << ", expected " << (c.conflicts ? "a conflict" : "success")
        << ". " << cite;
  }
}

// ---------------------------------------------------------------------------
// Open file description locks

// man 2 fcntl: "Open file description locks placed via the same open file
// description ... are always compatible: if a new lock is placed on an
// already locked region, then the existing lock is converted to the new lock
// type." / F_GETLK: "If the conflicting lock is an open file description
// lock, then l_pid is set to -1."
TEST(OfdTable, UpgradeAndDowngradeOnOneDescription) {
  IPCSPEC_NEEDS(OfdLocks());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor other, f.Open());
  const char* cite =
      "man 2 fcntl: open file description locks placed via the same open file description "
      "\"are always compatible: if a new lock is placed on an already locked region, then the "
      "existing lock is converted to the new lock type\"";
  ASSERT_EQ(SetLk(fd.get(), F_OFD_SETLK, F_RDLCK, 0, 10), 0);
  EXPECT_EQ(SetLk(fd.get(), F_OFD_SETLK, F_WRLCK, 0, 10), 0) << "upgrade: " << cite;
  struct flock q = FlockRange(F_RDLCK, 0, 10);
  ASSERT_THAT(fcntl(other.get(), F_OFD_GETLK, &q), SyscallSucceeds());
  EXPECT_EQ(q.l_type, F_WRLCK) << "another description sees " << FormatFlock(q)
                               << " after the upgrade. " << cite;
  EXPECT_EQ(q.l_pid, -1) << "man 2 fcntl, F_GETLK: \"If the conflicting lock is an open file "
                            "description lock, then l_pid is set to -1.\"";
  EXPECT_EQ(SetLk(fd.get(), F_OFD_SETLK, F_RDLCK, 0, 10), 0) << "downgrade: " << cite;
  EXPECT_EQ(SetLk(other.get(), F_OFD_SETLK, F_RDLCK, 0, 10), 0)
      << "another description's read lock after the downgrade. " << cite;
  EXPECT_TRUE(IsConflict(SetLk(other.get(), F_OFD_SETLK, F_WRLCK, 0, 10)))
      << "another description's write lock over a read lock was granted";
}

// man 2 fcntl: "Conflicting lock combinations (i.e., a read lock and a write
// lock or two write locks) where one lock is an open file description lock
// and the other is a traditional record lock conflict even when they are
// acquired by the same process on the same file descriptor."
TEST(OfdTable, ConflictsWithTraditionalLocksOnTheSameDescriptor) {
  IPCSPEC_NEEDS(OfdLocks());
  const char* cite =
      "man 2 fcntl: an open file description lock and a traditional record lock \"conflict "
      "even when they are acquired by the same process on the same file descriptor\"";
  {
    ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
    ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
    ASSERT_EQ(SetLk(fd.get(), F_OFD_SETLK, F_WRLCK, 0, 10), 0);
    int e = SetLk(fd.get(), F_SETLK, F_RDLCK, 5, 10);
    EXPECT_TRUE(IsConflict(e)) << "F_SETLK read lock over this fd's OFD write lock: " << Err(e)
                               << ". " << cite;
    struct flock q = FlockRange(F_WRLCK, 0, 0);
    ASSERT_THAT(fcntl(fd.get(), F_GETLK, &q), SyscallSucceeds());
    EXPECT_EQ(q.l_type, F_WRLCK) << "F_GETLK does not see this fd's own OFD lock. " << cite;
    EXPECT_EQ(q.l_pid, -1) << "man 2 fcntl: \"If the conflicting lock is an open file "
                              "description lock, then l_pid is set to -1.\"";
  }
  {
    ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
    ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
    ASSERT_EQ(SetLk(fd.get(), F_SETLK, F_RDLCK, 0, 10), 0);
    int e = SetLk(fd.get(), F_OFD_SETLK, F_WRLCK, 0, 1);
    EXPECT_TRUE(IsConflict(e)) << "F_OFD_SETLK write lock over this process's traditional "
                                  "read lock: "
                               << Err(e) << ". " << cite;
    struct flock q = FlockRange(F_WRLCK, 0, 0);
    ASSERT_THAT(fcntl(fd.get(), F_OFD_GETLK, &q), SyscallSucceeds());
    EXPECT_EQ(q.l_type, F_RDLCK) << "F_OFD_GETLK does not see the traditional lock. " << cite;
    EXPECT_EQ(q.l_pid, getpid()) << "F_OFD_GETLK of a traditional lock gives its holder's pid";
    EXPECT_EQ(SetLk(fd.get(), F_OFD_SETLK, F_RDLCK, 0, 10), 0)
        << "two read locks do not conflict";
  }
}

// man 2 fcntl: "In order to place a read lock, fd must be open for reading.
// In order to place a write lock, fd must be open for writing." Linux applies
// it to F_OFD_SETLK as well (the EBADF entry names only F_SETLK and F_SETLKW).
TEST(OfdTable, LockTypeAgainstOpenModeIsEbadf) {
  IPCSPEC_NEEDS(OfdLocks());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  FileDescriptor ro(open(f.path().c_str(), O_RDONLY | O_CLOEXEC));
  FileDescriptor wo(open(f.path().c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(ro.valid() && wo.valid());
  const char* cite =
      "man 2 fcntl: \"In order to place a read lock, fd must be open for reading. In order to "
      "place a write lock, fd must be open for writing.\" (Linux: EBADF for F_OFD_SETLK too)";
  EXPECT_EQ(SetLk(wo.get(), F_OFD_SETLK, F_RDLCK, 0, 0), EBADF) << "O_WRONLY, F_RDLCK. " << cite;
  EXPECT_EQ(SetLk(ro.get(), F_OFD_SETLK, F_WRLCK, 0, 0), EBADF) << "O_RDONLY, F_WRLCK. " << cite;
}

// Regional OFD locks: a write lock on [0, 4096) and a read lock from 4096 to
// the end on one description refuse another process's read lock on the
// whole file and grant one from 4096. man 2 fcntl: open file description
// locks "are advisory byte-range locks whose operation is in most respects
// identical to the traditional record locks".
TEST(OfdTable, RegionalLocksConflictOnlyWhereTheyOverlap) {
  IPCSPEC_NEEDS(OfdLocks());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, f.Open());
  ASSERT_EQ(SetLk(fd.get(), F_OFD_SETLK, F_WRLCK, 0, 4096), 0);
  ASSERT_EQ(SetLk(fd.get(), F_OFD_SETLK, F_RDLCK, 4096, 0), 0);
  ASSERT_OK_AND_ASSIGN(CallRecord whole, LockElsewhere(f.path(), O_RDONLY, [](int cfd) {
                         return SetLkCall(cfd, F_OFD_SETLK, F_RDLCK, 0, 0);
                       }));
  EXPECT_TRUE(RefusedByConflict(whole))
      << "another process's OFD read lock on the whole file over a regional write lock: "
      << whole << ". man 2 fcntl: \"only one process may hold a write "
                  "lock (exclusive lock)\"";
  ASSERT_OK_AND_ASSIGN(CallRecord tail, LockElsewhere(f.path(), O_RDONLY, [](int cfd) {
                         return SetLkCall(cfd, F_OFD_SETLK, F_RDLCK, 4096, 0);
                       }));
  EXPECT_EQ(tail.ret, 0) << "another process's OFD read lock from 4096 over the read "
                                     "lock there: "
                                  << tail << ". man 2 fcntl: \"Any number of processes may "
                                             "hold a read lock\"";
}

// man 2 fcntl: open file description locks "are inherited across fork(2)"
// and "are only automatically released on the last close of the open file
// description"; record locks are "preserved across an execve(2)". A child
// takes the lock (or inherits the OFD), execs cat(1) reading a pipe, and
// still holds it after the exec; cat's exit releases it.
class LockAcrossExec : public ::testing::TestWithParam<bool /*ofd*/> {};

TEST_P(LockAcrossExec, HeldByTheExecedProgramUntilItExits) {
  const bool ofd = GetParam();
  if (ofd) {
    IPCSPEC_NEEDS(OfdLocks());
  }
  const char* cite = ofd ? "man 2 fcntl: open file description locks \"are only automatically "
                           "released on the last close of the open file description\" (the "
                           "exec'ed program holds it without FD_CLOEXEC)"
                         : "man 2 fcntl: \"Record locks are not inherited by a child created via "
                           "fork(2), but are preserved across an execve(2).\"";
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  int p[2];
  ASSERT_THAT(pipe2(p, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor r(p[0]), w(p[1]);
  // OFD: the parent locks a description without FD_CLOEXEC that the child
  // inherits; traditional: the child locks its own open.
  FileDescriptor inherited(open(f.path().c_str(), O_RDWR));
  ASSERT_TRUE(inherited.valid());
  if (ofd) { ASSERT_EQ(SetLk(inherited.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0); }
  const int ifd = inherited.get(), rfd = r.get(), wfd = w.get();
  const std::string path = f.path();
  // Raised once the child holds its lock, before the exec: where only the
  // process state shows a block (gVisor), the sleep seen next is cat's read.
  ASSERT_OK_AND_ASSIGN(Checkpoint locked, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(Child cat, Child::Fork([=, &locked]() -> int {
                         if (!ofd) {
                           close(ifd);
                           int cfd = open(path.c_str(), O_RDWR);  // kept across exec
                           if (cfd < 0 || SetLk(cfd, F_SETLK, F_WRLCK, 0, 0) != 0) return 100;
                         }
                         locked.Signal(1);
                         if (dup2(rfd, 0) != 0) return 101;
                         close(wfd);
                         execl("/bin/cat", "cat", static_cast<char*>(nullptr));
                         return 102;
                       }));
  ASSERT_THAT(inherited.reset(), SyscallSucceeds());  // the parent's copy is gone
  ASSERT_THAT(r.reset(), SyscallSucceeds());
  ASSERT_NO_ERRNO(locked.WaitFor(1, Deadline::Default()));
  ASSERT_NO_ERRNO(WaitUntilBlocked(cat.pid(), {SYS_read}));  // cat, after the exec
  ASSERT_OK_AND_ASSIGN(Probe held,
                       GetLkElsewhere(path, ofd ? F_OFD_GETLK : F_GETLK, FlockRange(F_RDLCK, 0, 0)));
  EXPECT_EQ(held.fl.l_type, F_WRLCK) << "after the exec, another process sees "
                                     << FormatFlock(held.fl) << ". " << cite;
  if (!ofd) { EXPECT_EQ(held.fl.l_pid, cat.pid()) << "the exec'ed process holds it. " << cite; }
  ASSERT_THAT(w.reset(), SyscallSucceeds());  // cat reads EOF and exits
  ASSERT_OK_AND_ASSIGN(WaitStatus st, cat.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  ASSERT_OK_AND_ASSIGN(Probe freed,
                       GetLkElsewhere(path, ofd ? F_OFD_GETLK : F_GETLK, FlockRange(F_RDLCK, 0, 0)));
  EXPECT_EQ(freed.fl.l_type, F_UNLCK) << "the lock outlived the exec'ed program";
}

INSTANTIATE_TEST_SUITE_P(Sorts, LockAcrossExec, ::testing::Values(false, true),
                         [](const auto& info) {
                           return std::string(info.param ? "ofd" : "fcntl");
                         });

// man 2 fcntl: "the threads in a multithreaded program can use open file
// description locks to synchronize access to a file region by having each
// thread perform its own open(2) on the file and applying locks via the
// resulting file descriptor." A thread's F_OFD_SETLKW waits for another
// thread's lock.
TEST(OfdTable, ThreadsOfOneProcessExcludeEachOtherThroughTheirOwnOpens) {
  IPCSPEC_NEEDS(OfdLocks());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(FileDescriptor mine, f.Open());
  ASSERT_OK_AND_ASSIGN(FileDescriptor theirs, f.Open());
  ASSERT_EQ(SetLk(mine.get(), F_OFD_SETLK, F_WRLCK, 0, 0), 0);
  std::atomic<pid_t> tid{0};
  std::atomic<int> result{-1};
  const int tfd = theirs.get();
  std::thread t([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    PosixError e = CallWithDeadline(
        [tfd] {
          struct flock fl = FlockRange(F_WRLCK, 0, 0);
          return fcntl(tfd, F_OFD_SETLKW, &fl);
        },
        "F_OFD_SETLKW", Deadline::Default());
    result = e.ok() ? 0 : e.errno_value();
  });
  while (tid == 0) std::this_thread::yield();
  PosixError blocked = WaitUntilBlocked(tid, {SYS_fcntl});
  EXPECT_TRUE(blocked.ok()) << "the second thread's F_OFD_SETLKW did not wait for the first "
                               "thread's lock: "
                            << blocked
                            << ". man 2 fcntl: \"the threads in a multithreaded program can use "
                               "open file description locks to synchronize access\"";
  ASSERT_EQ(SetLk(mine.get(), F_OFD_SETLK, F_UNLCK, 0, 0), 0);
  t.join();
  EXPECT_EQ(result.load(), 0) << "the waiting thread after the unlock: " << Err(result.load());
}

}  // namespace
}  // namespace ipcspec

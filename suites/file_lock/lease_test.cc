// File leases and directory notifications, which are IPC by signal (issue
// 14): man 2 fcntl, "Leases" (F_SETLEASE, F_GETLEASE, the lease-break
// signal) and "File and directory change notification (dnotify)" (F_NOTIFY).
//
// A lease holder or a dnotify registrant is a forked child that blocks its
// notification signal and takes it with sigtimedwait(2) and a deadline, so
// that this process's signal state never changes. The child reports through
// shared memory; this process asserts.
//
// Not covered: /proc/sys/fs/lease-break-time (the kernel's forced break after
// that many seconds). It is a global sysctl, which a test never writes, and
// its default (45 s) is far above the suite's time budget.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/file_lock/file_lock.h"

namespace ipcspec {
namespace {

int NotifySignal() { return SIGRTMIN + 5; }

// `feature:file-leases`: a read lease can be taken on a file of one's own
// (fs.leases-enable may be 0, and some file systems or sandboxes refuse).
Need Leases() {
  return Need::Feature("file-leases", []() -> std::optional<std::string> {
    auto f = LockFile::Create();
    if (!f.ok()) return std::nullopt;  // the test's own setup will say why
    FileDescriptor fd(open(f.value().path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return std::nullopt;
    if (fcntl(fd.get(), F_SETLEASE, F_RDLCK) != 0) {
      return std::string("F_SETLEASE F_RDLCK on a file of one's own: ") + strerror(errno);
    }
    fcntl(fd.get(), F_SETLEASE, F_UNLCK);
    return std::nullopt;
  });
}

// Takes `sig` (blocked) within the deadline: the signal, or -1.
int TakeWithin(int sig, siginfo_t* si, const Deadline& d) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  struct timespec ts = d.RemainingTimespec();
  int r;
  do {
    r = sigtimedwait(&s, si, &ts);
  } while (r < 0 && errno == EINTR && !d.Expired());
  return r;
}
int TakeNow(int sig) {
  siginfo_t si;
  struct timespec zero = {0, 0};
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  return sigtimedwait(&s, &si, &zero);
}

constexpr char kSetLease[] = "man 2 fcntl, \"Leases\"";

TEST(Lease, GetleaseReportsTheLeaseOfTheDescription) {
  IPCSPEC_NEEDS(Leases());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  FileDescriptor ro(open(f.path().c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(ro.valid());
  ASSERT_THAT(fcntl(ro.get(), F_SETLEASE, F_RDLCK), SyscallSucceeds());
  EXPECT_EQ(fcntl(ro.get(), F_GETLEASE), F_RDLCK)
      << kSetLease << ": F_GETLEASE \"Indicates what type of lease is associated with the file "
                      "descriptor fd by returning either F_RDLCK, F_WRLCK, or F_UNLCK\"";
  FileDescriptor dup_fd(fcntl(ro.get(), F_DUPFD_CLOEXEC, 0));
  ASSERT_TRUE(dup_fd.valid());
  EXPECT_EQ(fcntl(dup_fd.get(), F_GETLEASE), F_RDLCK)
      << kSetLease << ": \"duplicate file descriptors (created by, for example, fork(2) or "
                      "dup(2)) refer to the same lease\"";
  ASSERT_THAT(fcntl(dup_fd.get(), F_SETLEASE, F_UNLCK), SyscallSucceeds());
  EXPECT_EQ(fcntl(ro.get(), F_GETLEASE), F_UNLCK)
      << kSetLease << ": \"this lease may be modified or released using any of these "
                      "descriptors\"";
  dup_fd = FileDescriptor();
  ro = FileDescriptor();

  // A write lease on a descriptor of any open mode, alone; refused while
  // another descriptor of any mode is open.
  const int modes[3] = {O_RDONLY, O_WRONLY, O_RDWR};
  const char* names[3] = {"O_RDONLY", "O_WRONLY", "O_RDWR"};
  for (int i = 0; i < 3; ++i) {
    FileDescriptor holder(open(f.path().c_str(), modes[i] | O_CLOEXEC));
    ASSERT_TRUE(holder.valid());
    EXPECT_THAT(fcntl(holder.get(), F_SETLEASE, F_WRLCK), SyscallSucceeds())
        << "a write lease on the file's only open descriptor (" << names[i] << "). "
        << kSetLease;
    EXPECT_EQ(fcntl(holder.get(), F_GETLEASE), F_WRLCK);
    ASSERT_THAT(fcntl(holder.get(), F_SETLEASE, F_UNLCK), SyscallSucceeds());
    for (int j = 0; j < 3; ++j) {
      FileDescriptor other(open(f.path().c_str(), modes[j] | O_CLOEXEC));
      ASSERT_TRUE(other.valid());
      EXPECT_THAT(fcntl(holder.get(), F_SETLEASE, F_WRLCK), SyscallFailsWithErrno(EAGAIN))
          << "a write lease on " << names[i] << " while another " << names[j]
          << " descriptor is open. " << kSetLease
          << ": \"A write lease may be placed on a file only if there are no other open file "
             "descriptors for the file.\"";
      EXPECT_EQ(fcntl(holder.get(), F_GETLEASE), F_UNLCK);
    }
    if (modes[i] != O_RDONLY) {
      EXPECT_THAT(fcntl(holder.get(), F_SETLEASE, F_RDLCK), SyscallFailsWithErrno(EAGAIN))
          << "a read lease on a descriptor opened " << names[i] << ". " << kSetLease
          << ": \"A read lease can be placed only on a file descriptor that is opened "
             "read-only.\"";
    }
  }
  FileDescriptor other(open(f.path().c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(other.valid());

  int p[2];
  ASSERT_THAT(pipe2(p, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor pr(p[0]), pw(p[1]);
  EXPECT_THAT(fcntl(pr.get(), F_SETLEASE, F_RDLCK), SyscallFailsWithErrno(EINVAL))
      << "a lease on a pipe. " << kSetLease
      << ": \"Leases may be taken out only on regular files.\"";
  EXPECT_THAT(fcntl(other.get(), F_SETLEASE, 42), SyscallFailsWithErrno(EINVAL))
      << "F_SETLEASE with an argument that is no lease type";
}

// What the holder saw.
struct HolderSaw {
  int got = -1;        // the signal taken
  int sig_fd = -1;     // its si_fd
  int fd = -1;         // the holder's descriptor
  int during = -1;     // F_GETLEASE once the break began
  int step = 0;
};

// A holder child: takes `lease` on a new descriptor opened with `mode`, says
// stage 1, waits for the break signal, reports, says stage 2, waits for
// stage 3, then removes the lease (F_UNLCK).
PosixErrorOr<Child> ForkHolder(const std::string& path, int mode, int lease, HolderSaw* saw,
                               Checkpoint* cp) {
  return Child::Fork([path, mode, lease, saw, cp]() -> int {
    const int sig = NotifySignal();
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_BLOCK, &s, nullptr);
    const int fd = open(path.c_str(), mode | O_CLOEXEC);
    if (fd < 0) return saw->step = 1;
    saw->fd = fd;
    if (fcntl(fd, F_SETSIG, sig) != 0) return saw->step = 2;
    if (fcntl(fd, F_SETLEASE, lease) != 0) return saw->step = 3;
    cp->Signal(1);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    saw->got = TakeWithin(sig, &si, Deadline::In(std::chrono::seconds(5)));
    saw->sig_fd = si.si_fd;
    saw->during = fcntl(fd, F_GETLEASE);
    cp->Signal(2);
    if (!cp->WaitFor(3, Deadline::Default()).ok()) return saw->step = 4;
    if (fcntl(fd, F_SETLEASE, F_UNLCK) != 0) return saw->step = 5;
    close(fd);
    return 0;
  });
}

constexpr char kBreak[] =
    "man 2 fcntl, \"Leases\": \"When a process (the \\\"lease breaker\\\") performs an open(2) or "
    "truncate(2) that conflicts with a lease established via F_SETLEASE, the system call is "
    "blocked by the kernel and the kernel notifies the lease holder by sending it a signal\"";

TEST(Lease, AnOpenForWritingBreaksAReadLease) {
  IPCSPEC_NEEDS(Leases());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(SharedObject<HolderSaw> saw, SharedObject<HolderSaw>::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(Child holder, ForkHolder(f.path(), O_RDONLY, F_RDLCK, saw.get(), &cp));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default())) << "the holder's step " << saw->step;
  // A non-blocking breaker: fails at once, and the break still begins.
  const int nb = open(f.path().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (nb >= 0) close(nb);
  EXPECT_EQ(nb < 0 ? errno : 0, EWOULDBLOCK)
      << "open(O_WRONLY | O_NONBLOCK) of a file with a read lease. man 2 fcntl, \"Leases\": "
         "\"If the lease breaker specifies the O_NONBLOCK flag when calling open(2), then the "
         "call immediately fails with the error EWOULDBLOCK, but the other steps still occur as "
         "described above.\"";
  ASSERT_NO_ERRNO(cp.WaitFor(2, Deadline::Default()));
  EXPECT_EQ(saw->got, NotifySignal()) << "the holder's signal. " << kBreak;
  EXPECT_EQ(saw->sig_fd, saw->fd)
      << "si_fd of the lease-break signal. man 2 fcntl, \"Leases\": \"If a F_SETSIG command is "
         "performed [...] the si_fd field of this argument will hold the file descriptor of the "
         "leased file that has been accessed by another process.\"";
  EXPECT_EQ(saw->during, F_UNLCK)
      << "F_GETLEASE once the break began. man 2 fcntl, \"Leases\": \"Once a lease break has "
         "been initiated, F_GETLEASE returns the target lease type (either F_RDLCK or F_UNLCK, "
         "depending on what would be compatible with the lease breaker)\"";
  // A blocking breaker waits until the holder removes its lease.
  const std::string path = f.path();
  ASSERT_OK_AND_ASSIGN(Child breaker, Child::Fork([path]() -> int {
                         const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
                         if (fd < 0) return 1;
                         close(fd);
                         return 0;
                       }));
  EXPECT_NO_ERRNO(WaitUntilBlocked(breaker.pid(), {SYS_openat, SYS_open}))
      << "the blocking open(O_WRONLY) did not wait for the holder. " << kBreak;
  cp.Signal(3);
  ASSERT_OK_AND_ASSIGN(WaitStatus hs, holder.Wait());
  EXPECT_TRUE(hs.ExitedWith(0)) << "the holder: " << hs << ", step " << saw->step;
  ASSERT_OK_AND_ASSIGN(WaitStatus bs, breaker.Wait());
  EXPECT_TRUE(bs.ExitedWith(0))
      << "the blocked breaker after the holder's F_UNLCK: " << bs
      << ". man 2 fcntl, \"Leases\": \"Once the lease has been voluntarily or forcibly removed "
         "or downgraded, [...] the kernel permits the lease breaker's system call to proceed.\"";
}

TEST(Lease, AnOpenForReadingBreaksAWriteLeaseToARead) {
  IPCSPEC_NEEDS(Leases());
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(SharedObject<HolderSaw> saw, SharedObject<HolderSaw>::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(Child holder, ForkHolder(f.path(), O_RDWR, F_WRLCK, saw.get(), &cp));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default())) << "the holder's step " << saw->step;
  const int nb = open(f.path().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (nb >= 0) close(nb);
  EXPECT_EQ(nb < 0 ? errno : 0, EWOULDBLOCK)
      << "open(O_RDONLY | O_NONBLOCK) of a file with a write lease. man 2 fcntl, \"Leases\": "
         "F_WRLCK \"will cause the caller to be notified when the file is opened for reading or "
         "writing\", and O_NONBLOCK \"immediately fails with the error EWOULDBLOCK\"";
  ASSERT_NO_ERRNO(cp.WaitFor(2, Deadline::Default()));
  EXPECT_EQ(saw->got, NotifySignal()) << "the holder's signal. " << kBreak;
  EXPECT_EQ(saw->during, F_RDLCK)
      << "F_GETLEASE of a write lease broken by a reader. man 2 fcntl, \"Leases\": \"If the "
         "lease holder currently holds a write lease on the file, and the lease breaker is "
         "opening the file for reading, then it is sufficient for the lease holder to downgrade "
         "the lease to a read lease\"; F_GETLEASE \"returns the target lease type\"";
  cp.Signal(3);
  ASSERT_OK_AND_ASSIGN(WaitStatus hs, holder.Wait());
  EXPECT_TRUE(hs.ExitedWith(0)) << "the holder: " << hs << ", step " << saw->step;
  FileDescriptor after(open(f.path().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  EXPECT_TRUE(after.valid()) << "open after the holder removed its lease: " << strerror(errno);
}

// Every operation that conflicts with a lease is held until the holder
// removes it, and the holder is signalled: opens of each mode and truncate(2).
struct BreakParam {
  const char* name;
  int lease;         // F_RDLCK (holder opens O_RDONLY) or F_WRLCK (O_RDWR)
  int open_mode;     // the breaker's open mode, or -1: truncate(2)
};
void PrintTo(const BreakParam& p, std::ostream* os) { *os << p.name; }

class LeaseBreak : public ::testing::TestWithParam<BreakParam> {};

TEST_P(LeaseBreak, TheConflictingCallWaitsForTheHolder) {
  IPCSPEC_NEEDS(Leases());
  const BreakParam p = GetParam();
  ASSERT_OK_AND_ASSIGN(LockFile f, LockFile::Create());
  ASSERT_OK_AND_ASSIGN(SharedObject<HolderSaw> saw, SharedObject<HolderSaw>::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(
      Child holder,
      ForkHolder(f.path(), p.lease == F_RDLCK ? O_RDONLY : O_RDWR, p.lease, saw.get(), &cp));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default())) << "the holder's step " << saw->step;
  const std::string path = f.path();
  ASSERT_OK_AND_ASSIGN(Child breaker, Child::Fork([path, p]() -> int {
                         if (p.open_mode < 0) return truncate(path.c_str(), 0) == 0 ? 0 : 1;
                         const int fd = open(path.c_str(), p.open_mode | O_CLOEXEC);
                         if (fd < 0) return 1;
                         close(fd);
                         return 0;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(2, Deadline::Default()));
  EXPECT_EQ(saw->got, NotifySignal()) << "the holder's signal. " << kBreak;
  EXPECT_NO_ERRNO(WaitUntilBlocked(breaker.pid(), {}))
      << "the conflicting call did not wait for the holder. " << kBreak;
  EXPECT_TRUE(breaker.running());
  cp.Signal(3);
  ASSERT_OK_AND_ASSIGN(WaitStatus hs, holder.Wait());
  EXPECT_TRUE(hs.ExitedWith(0)) << "the holder: " << hs << ", step " << saw->step;
  ASSERT_OK_AND_ASSIGN(WaitStatus bs, breaker.Wait());
  EXPECT_TRUE(bs.ExitedWith(0))
      << "the breaker after the holder's F_UNLCK: " << bs
      << ". man 2 fcntl, \"Leases\": \"the kernel permits the lease breaker's system call to "
         "proceed.\"";
}

INSTANTIATE_TEST_SUITE_P(
    Conflicts, LeaseBreak,
    ::testing::Values(BreakParam{"read_lease_open_wronly", F_RDLCK, O_WRONLY},
                      BreakParam{"read_lease_open_rdwr", F_RDLCK, O_RDWR},
                      BreakParam{"read_lease_truncate", F_RDLCK, -1},
                      BreakParam{"write_lease_open_rdonly", F_WRLCK, O_RDONLY},
                      BreakParam{"write_lease_open_wronly", F_WRLCK, O_WRONLY},
                      BreakParam{"write_lease_open_rdwr", F_WRLCK, O_RDWR},
                      BreakParam{"write_lease_truncate", F_WRLCK, -1}),
    [](const ::testing::TestParamInfo<BreakParam>& i) { return std::string(i.param.name); });

// dnotify.
struct NotifySaw {
  int first = -1, first_fd = -1, second = -2;   // one-shot: a signal, then none
  int multi[2] = {-1, -1}, after_off = -2;      // DN_MULTISHOT, then F_NOTIFY 0
  int dir_fd = -1;
  int enotdir = -1;
  int step = 0;
};

// Creates `name` in `dir` from another process (a forked grandchild).
bool CreateFromAnotherProcess(const std::string& dir, const char* name) {
  const pid_t c = fork();
  if (c < 0) return false;
  if (c == 0) {
    const int fd = open((dir + "/" + name).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    _exit(fd >= 0 ? 0 : 1);
  }
  int st = 0;
  return waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

TEST(DirNotify, CreationSignalsTheRegistrantOnceOrUntilRemoved) {
  IPCSPEC_NEEDS(Need::Feature("dnotify", []() -> std::optional<std::string> {
    const char* tmp = getenv("TEST_TMPDIR");
    FileDescriptor d(open(tmp != nullptr ? tmp : "/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!d.valid()) return std::nullopt;
    if (fcntl(d.get(), F_NOTIFY, DN_CREATE) != 0) {
      return std::string("F_NOTIFY DN_CREATE on a directory: ") + strerror(errno);
    }
    fcntl(d.get(), F_NOTIFY, 0);
    return std::nullopt;
  }));
  const char* tmp = getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/ipcspec-dnotify-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr) << strerror(errno);
  Cleanup remove_dir([dir] {
    for (const char* n : {"a", "b", "c", "d", "e"}) unlink((dir + "/" + n).c_str());
    rmdir(dir.c_str());
  });
  ASSERT_OK_AND_ASSIGN(SharedObject<NotifySaw> saw, SharedObject<NotifySaw>::Create());
  NotifySaw* s = saw.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([dir, s]() -> int {
    const int sig = NotifySignal();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return s->step = 1;
    s->dir_fd = fd;
    if (fcntl(fd, F_SETSIG, sig) != 0 || fcntl(fd, F_NOTIFY, DN_CREATE) != 0) return s->step = 2;
    if (!CreateFromAnotherProcess(dir, "a")) return s->step = 3;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    // Each wait well within the parent's (the signal is queued by the
    // creation itself).
    s->first = TakeWithin(sig, &si, Deadline::In(std::chrono::seconds(2)));
    s->first_fd = si.si_fd;
    if (!CreateFromAnotherProcess(dir, "b")) return s->step = 3;
    s->second = TakeNow(sig);  // one-shot: nothing
    if (fcntl(fd, F_NOTIFY, DN_CREATE | DN_MULTISHOT) != 0) return s->step = 4;
    if (!CreateFromAnotherProcess(dir, "c") || !CreateFromAnotherProcess(dir, "d")) {
      return s->step = 3;
    }
    for (int& m : s->multi) m = TakeWithin(sig, &si, Deadline::In(std::chrono::seconds(2)));
    if (fcntl(fd, F_NOTIFY, 0) != 0) return s->step = 5;
    if (!CreateFromAnotherProcess(dir, "e")) return s->step = 3;
    s->after_off = TakeNow(sig);
    const int file = open((dir + "/a").c_str(), O_RDONLY | O_CLOEXEC);
    s->enotdir = fcntl(file, F_NOTIFY, DN_CREATE) == 0 ? 0 : errno;
    close(file);
    close(fd);
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st << ", step " << s->step
                                << " (1: open, 2: F_SETSIG/F_NOTIFY, 3: create, 4: "
                                   "DN_MULTISHOT, 5: F_NOTIFY 0)";
  const int sig = NotifySignal();
  EXPECT_EQ(s->first, sig)
      << "a file created in the directory by another process. man 2 fcntl, F_NOTIFY: "
         "\"Provide notification when the directory referred to by fd or any of the files that "
         "it contains is changed.\" DN_CREATE \"A file was created\"";
  EXPECT_EQ(s->first_fd, s->dir_fd)
      << "si_fd. man 2 fcntl, F_NOTIFY: \"the si_fd field of this structure contains the file "
         "descriptor which generated the notification\"";
  EXPECT_EQ(s->second, -1) << "a second creation signalled too. man 2 fcntl, F_NOTIFY: "
                              "\"Directory notifications are normally \\\"one-shot\\\", and the "
                              "application must reregister to receive further notifications.\"";
  EXPECT_EQ(s->multi[0], sig) << "DN_MULTISHOT, first creation";
  EXPECT_EQ(s->multi[1], sig)
      << "DN_MULTISHOT, second creation. man 2 fcntl, F_NOTIFY: \"if DN_MULTISHOT is included "
         "in arg, then notification will remain in effect until explicitly removed\"";
  EXPECT_EQ(s->after_off, -1) << "a creation after F_NOTIFY 0 signalled. man 2 fcntl, "
                                 "F_NOTIFY: \"To disable notification of all events, make an "
                                 "F_NOTIFY call specifying arg as 0.\"";
  EXPECT_EQ(s->enotdir, ENOTDIR)
      << "F_NOTIFY on a regular file. man 2 fcntl, ERRORS: \"ENOTDIR F_NOTIFY was specified in "
         "cmd, but fd does not refer to a directory.\"";
}

}  // namespace
}  // namespace ipcspec

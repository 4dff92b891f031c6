// System V semaphores: the documented semantics of semget(2), semop(2) and
// semctl(2) (man 7 sysvipc): limits, errors, SEM_UNDO, waiter counts,
// removal and persistence.
//
// Each test runs in its own IPC namespace (the ipcspec main), so it may
// change /proc/sys/kernel/sem and use fixed keys.
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/core/watchdog.h"
#include "impl/sysv_sem/sysv_sem.h"

namespace ipcspec {
namespace {

const std::vector<long> kSemopCalls = {SYS_semop, SYS_semtimedop};

// A child's report: 0 or the errno of the call that failed. Exit codes
// above 200 mean the child itself went wrong.
constexpr int kChildBroke = 201;

int SemopErrno(int semid, short delta, short flags) {
  struct sembuf op = {0, delta, flags};
  return semop(semid, &op, 1) == 0 ? 0 : errno;
}

// Forks a child that makes semop(semid, {0, delta, flags}) and records it in
// *rec.
PosixErrorOr<Child> ForkSemop(int semid, short delta, short flags, CallRecord* rec) {
  return Child::Fork([=] {
    struct sembuf op = {0, delta, flags};
    *rec = Record("semop", semop(semid, &op, 1));
    return 0;
  });
}

PosixErrorOr<SysvSemSet> NewSet(int nsems = 1) { return SysvSemSet::Create(IPC_PRIVATE, nsems); }

// ---------------------------------------------------------------------
// SEMVMX
// ---------------------------------------------------------------------

// man 2 semctl, ERRORS: "ERANGE The argument cmd has the value SETALL or
// SETVAL and the value to which semval is to be set (for some semaphore of
// the set) is less than 0 or greater than the implementation limit SEMVMX."
TEST(SysvSemLimits, SetvalOutsideZeroToSemvmxFailsERANGE) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  const int semvmx = static_cast<int>(Semvmx());
  EXPECT_EQ(semvmx, 32767) << "man 2 semop: \"SEMVMX Maximum allowable value for semval: "
                              "implementation dependent (32767).\"";
  SemUn arg;
  arg.val = semvmx + 1;
  EXPECT_THAT(semctl(set.id(), 0, SETVAL, arg), SyscallFailsWithErrno(ERANGE))
      << "man 2 semctl: \"ERANGE ... the value to which semval is to be set ... is ... greater "
         "than the implementation limit SEMVMX.\"";
  arg.val = -1;
  EXPECT_THAT(semctl(set.id(), 0, SETVAL, arg), SyscallFailsWithErrno(ERANGE))
      << "man 2 semctl: \"ERANGE ... the value to which semval is to be set ... is less than "
         "0\"";
  EXPECT_THAT(semctl(set.id(), 0, GETVAL), SyscallSucceedsWithValue(0))
      << "man 2 semctl: a failed SETVAL leaves semval as it was";
  arg.val = semvmx;
  EXPECT_THAT(semctl(set.id(), 0, SETVAL, arg), SyscallSucceeds())
      << "man 2 semctl: SETVAL to SEMVMX itself is allowed";
  EXPECT_THAT(semctl(set.id(), 0, GETVAL), SyscallSucceedsWithValue(semvmx))
      << "man 2 semctl: \"GETVAL Return semval\": the value SETVAL set";
}

// man 2 semop, ERRORS: "ERANGE For some operation sem_op+semval is greater
// than SEMVMX, the implementation dependent maximum value for semval."
TEST(SysvSemLimits, SemopPastSemvmxFailsERANGE) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  const int semvmx = static_cast<int>(Semvmx());
  ASSERT_NO_ERRNO(set.SetVal(0, semvmx));
  EXPECT_EQ(SemopErrno(set.id(), 1, 0), ERANGE)
      << "man 2 semop: \"ERANGE For some operation sem_op+semval is greater than SEMVMX\"";
  EXPECT_EQ(SemopErrno(set.id(), 1, IPC_NOWAIT), ERANGE)
      << "man 2 semop: ERANGE, not EAGAIN: an increment never waits (\"This operation can "
         "always proceed\")";
  EXPECT_THAT(semctl(set.id(), 0, GETVAL), SyscallSucceedsWithValue(semvmx))
      << "man 2 semop: a failed semop performs none of its operations";
  ASSERT_NO_ERRNO(set.SetVal(0, semvmx - 100));
  EXPECT_EQ(SemopErrno(set.id(), 101, 0), ERANGE)
      << "man 2 semop: \"ERANGE For some operation sem_op+semval is greater than SEMVMX\"";
  EXPECT_EQ(SemopErrno(set.id(), 100, 0), 0)
      << "man 2 semop: sem_op+semval equal to SEMVMX is within the limit";
  EXPECT_THAT(semctl(set.id(), 0, GETVAL), SyscallSucceedsWithValue(semvmx))
      << "man 2 semop: \"the operation adds this value to the semaphore value (semval)\"";
}

// ---------------------------------------------------------------------
// SEMOPM, SEMMSL and the IPC namespace
// ---------------------------------------------------------------------

// n wait-for-zero operations on semaphore 0 (they proceed at value 0).
int ZeroOps(int semid, size_t n) {
  std::vector<struct sembuf> ops(n, sembuf{0, 0, IPC_NOWAIT});
  return semop(semid, ops.data(), ops.size()) == 0 ? 0 : errno;
}

// man 2 semop, ERRORS: "E2BIG The argument nsops is greater than SEMOPM, the
// maximum number of operations allowed per system call." and "SEMOPM ... On
// Linux, this limit can be read and modified via the third field of
// /proc/sys/kernel/sem."
TEST(SysvSemLimits, MoreThanSemopmOperationsFailE2BIG) {
  ASSERT_OK_AND_ASSIGN(SemLimits limits, ReadSemLimits());
  ASSERT_GT(limits.semopm, 0);
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  EXPECT_EQ(ZeroOps(set.id(), static_cast<size_t>(limits.semopm) + 1), E2BIG)
      << "man 2 semop: \"E2BIG The argument nsops is greater than SEMOPM\" (SEMOPM = "
      << limits.semopm << " from /proc/sys/kernel/sem)";
  EXPECT_EQ(ZeroOps(set.id(), static_cast<size_t>(limits.semopm)), 0)
      << "man 2 semop: SEMOPM is the \"Maximum number of operations allowed for one semop() "
         "call\": exactly SEMOPM is allowed";
}

// man 7 ipc_namespaces: "The following /proc interfaces are distinct in each
// IPC namespace: ... The System V IPC interfaces in /proc/sys/kernel, namely:
// msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni, and shm_rmid_forced."
// man 5 proc: /proc/sys/kernel/sem holds SEMMSL SEMMNS SEMOPM SEMMNI.
// The test lowers SEMOPM and SEMMSL in its own namespace, sees semop(2) and
// semget(2) obey them, and sees a new namespace keep the defaults.
TEST(SysvSemLimits, LimitsBelongToTheIpcNamespace) {
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl("/proc/sys/kernel/sem"),
                Need::NewIpcNamespace());
  ASSERT_OK_AND_ASSIGN(SemLimits defaults, ReadSemLimits());
  SemLimits lowered = defaults;
  lowered.semopm = 3;
  lowered.semmsl = 2;
  ASSERT_NO_ERRNO(WriteSemLimits(lowered));
  ASSERT_OK_AND_ASSIGN(SemLimits now, ReadSemLimits());
  EXPECT_EQ(now.semopm, 3) << "man 5 proc: SEMOPM is the third field of /proc/sys/kernel/sem";
  EXPECT_EQ(now.semmsl, 2) << "man 5 proc: SEMMSL is the first field of /proc/sys/kernel/sem";

  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  EXPECT_EQ(ZeroOps(set.id(), 4), E2BIG)
      << "man 2 semop: \"E2BIG The argument nsops is greater than SEMOPM\", with SEMOPM "
         "lowered to 3 in this IPC namespace (man 7 ipc_namespaces)";
  EXPECT_EQ(ZeroOps(set.id(), 3), 0) << "man 2 semop: 3 operations are within SEMOPM = 3";
  EXPECT_THAT(semget(IPC_PRIVATE, 3, IPC_CREAT | 0600), SyscallFailsWithErrno(EINVAL))
      << "man 2 semget: \"EINVAL nsems is less than 0 or greater than the limit on the number "
         "of semaphores per semaphore set (SEMMSL).\", with SEMMSL lowered to 2";
  {
    ASSERT_OK_AND_ASSIGN(SysvSemSet two, NewSet(2));
    EXPECT_TRUE(two.valid()) << "man 2 semget: nsems equal to SEMMSL is allowed";
  }

  // A new IPC namespace has its own limits: the defaults, not ours. The
  // child reads the file with plain system calls into shared memory.
  struct Text {
    char buf[128];
    std::atomic<int> len{-1};
    CallRecord unshared;
    CallRecord opened;
    CallRecord got;
  };
  ASSERT_OK_AND_ASSIGN(auto text, SharedObject<Text>::Create());
  Text* t = text.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([t] {
                         t->unshared = Record("unshare(CLONE_NEWIPC)", unshare(CLONE_NEWIPC));
                         if (t->unshared.failed()) return 0;
                         int fd = open("/proc/sys/kernel/sem", O_RDONLY | O_CLOEXEC);
                         t->opened = Record("open(/proc/sys/kernel/sem)", fd < 0 ? -1 : 0);
                         if (fd < 0) return 0;
                         ssize_t n = read(fd, t->buf, sizeof t->buf - 1);
                         t->got = Record("read(/proc/sys/kernel/sem)", n);
                         close(fd);
                         if (n < 0) return 0;
                         t->buf[n] = '\0';
                         t->len.store(static_cast<int>(n));
                         return 0;
                       }));
  ASSERT_NO_ERRNO(ReachedEnd(st));
  ASSERT_EQ(t->unshared.ret, 0) << "the child's " << t->unshared;
  ASSERT_EQ(t->opened.ret, 0) << "the child's " << t->opened;
  ASSERT_GE(t->got.ret, 0) << "the child's " << t->got;
  long msl = 0, mns = 0, opm = 0, mni = 0;
  ASSERT_EQ(std::sscanf(t->buf, "%ld %ld %ld %ld", &msl, &mns, &opm, &mni), 4) << t->buf;
  EXPECT_EQ(opm, defaults.semopm)
      << "man 7 ipc_namespaces: /proc/sys/kernel/sem is \"distinct in each IPC namespace\": a "
         "new namespace does not see SEMOPM = 3 set in another";
  EXPECT_EQ(msl, defaults.semmsl)
      << "man 7 ipc_namespaces: /proc/sys/kernel/sem is \"distinct in each IPC namespace\"";
}

// ---------------------------------------------------------------------
// Not waiting: IPC_NOWAIT and semtimedop
// ---------------------------------------------------------------------

// man 2 semop: "If the absolute value of sem_op is greater than semval, and
// IPC_NOWAIT is specified in sem_flg, semop() fails, with errno set to EAGAIN
// (and none of the operations in sops is performed)." and for sem_op == 0:
// "Otherwise, if IPC_NOWAIT is specified in sem_flg, semop() fails with errno
// set to EAGAIN (and none of the operations in sops is performed)."
TEST(SysvSemNoWait, IpcNowaitFailsEAGAINAndDoesNothing) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  EXPECT_EQ(SemopErrno(set.id(), -1, IPC_NOWAIT), EAGAIN)
      << "man 2 semop: \"If the absolute value of sem_op is greater than semval, and "
         "IPC_NOWAIT is specified in sem_flg, semop() fails, with errno set to EAGAIN\"";
  ASSERT_NO_ERRNO(set.SetVal(0, 1));
  EXPECT_EQ(SemopErrno(set.id(), 0, IPC_NOWAIT), EAGAIN)
      << "man 2 semop (sem_op zero): \"Otherwise, if IPC_NOWAIT is specified in sem_flg, "
         "semop() fails with errno set to EAGAIN\"";
  // {+1, -3}: the increment would go through alone; the whole call fails.
  struct sembuf ops[2] = {{0, 1, IPC_NOWAIT}, {0, -3, IPC_NOWAIT}};
  EXPECT_THAT(semop(set.id(), ops, 2), SyscallFailsWithErrno(EAGAIN))
      << "man 2 semop: \"semop() fails, with errno set to EAGAIN\"";
  EXPECT_THAT(semctl(set.id(), 0, GETVAL), SyscallSucceedsWithValue(1))
      << "man 2 semop: \"(and none of the operations in sops is performed)\": the +1 before "
         "the -3 is not done";
  EXPECT_THAT(semctl(set.id(), 0, GETNCNT), SyscallSucceedsWithValue(0))
      << "man 2 semop: with IPC_NOWAIT nothing waits (semncnt unchanged)";
}

// man 2 semop: "semtimedop() behaves identically to semop() except that in
// those cases where the calling thread would sleep, the duration of that sleep
// is limited by the amount of elapsed time specified by the timespec structure
// ... If the specified time limit has been reached, semtimedop() fails with
// errno set to EAGAIN (and none of the operations in sops is performed)."
TEST(SysvSemNoWait, SemtimedopTimeoutFailsEAGAIN) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  struct sembuf op = {0, -1, 0};
  const struct timespec timeout = {0, 20 * 1000 * 1000};  // 20 ms
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int r;
  int err;
  {
    Watchdog w(Deadline::Default());
    r = semtimedop(set.id(), &op, 1, &timeout);
    err = errno;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  EXPECT_EQ(r, -1) << "man 2 semop: \"On failure, they return -1\"";
  EXPECT_EQ(err, EAGAIN) << "man 2 semop: \"If the specified time limit has been reached, "
                            "semtimedop() fails with errno set to EAGAIN\"; got "
                         << ErrnoName(err);
  long long waited_ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  EXPECT_GE(waited_ns, 20LL * 1000 * 1000)
      << "man 2 semop: \"This sleep interval will be rounded up to the system clock "
         "granularity\": it may overrun, never fall short";
  EXPECT_THAT(semctl(set.id(), 0, GETVAL), SyscallSucceedsWithValue(0))
      << "man 2 semop: \"(and none of the operations in sops is performed)\"";
  EXPECT_THAT(semctl(set.id(), 0, GETNCNT), SyscallSucceedsWithValue(0))
      << "man 2 semctl: GETNCNT counts the waiters; the timed-out one is gone";

  // A zero timeout: nothing to sleep for, EAGAIN at once.
  const struct timespec zero = {0, 0};
  EXPECT_THAT(semtimedop(set.id(), &op, 1, &zero), SyscallFailsWithErrno(EAGAIN))
      << "man 2 semop: \"If the specified time limit has been reached, semtimedop() fails "
         "with errno set to EAGAIN\"";
}

// ---------------------------------------------------------------------
// SEM_UNDO
// ---------------------------------------------------------------------

// The thread for RevertedWhenTheProcessEndsNotTheThread: made with clone(2)
// and the flags NPTL's pthread_create uses (CLONE_THREAD, CLONE_SYSVSEM, ...),
// so the parent child stays async-signal-safe. It does one raw semop.
struct UndoThreadArgs {
  int semid;
  std::atomic<int> err{-1};        // the thread's semop: 0 or 1 (failed)
  std::atomic<int> clone_err{0};   // clone(2)'s errno, if it failed
};
alignas(64) char g_undo_thread_stack[64 * 1024];

__attribute__((no_sanitize_address)) int UndoThread(void* p) {
  auto* a = static_cast<UndoThreadArgs*>(p);
  struct sembuf op = {0, 1, SEM_UNDO};
  long r = syscall(SYS_semop, a->semid, &op, 1);
  a->err.store(r == 0 ? 0 : 1);
  return 0;  // the clone wrapper ends the thread with exit(2), not exit_group
}

// man 2 semop: "If an operation specifies SEM_UNDO, it will be automatically
// undone when the process terminates." man 2 clone: "If CLONE_SYSVSEM is set,
// then the child and the calling process share a single list of System V
// semaphore adjustment (semadj) values ... semaphore adjustments are
// performed only when the last process that is sharing the list terminates".
// A thread (CLONE_THREAD | CLONE_SYSVSEM, as pthread_create does) does +1
// with SEM_UNDO and exits: the +1 stays. The process exits: it is undone.
TEST(SysvSemUndo, RevertedWhenTheProcessEndsNotTheThread) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(auto args, SharedObject<UndoThreadArgs>::Create());
  args->semid = set.id();
  UndoThreadArgs* a = args.get();
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([a, &cp] {
                         static std::atomic<pid_t> tid{0};
                         pid_t* tidp = reinterpret_cast<pid_t*>(&tid);
                         int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                     CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
                                     CLONE_CHILD_CLEARTID;
                         if (clone(UndoThread, g_undo_thread_stack + sizeof g_undo_thread_stack,
                                   flags, a, tidp, nullptr, tidp) < 0) {
                           a->clone_err.store(errno);
                           cp.Signal(1);
                           return kChildBroke;
                         }
                         // The kernel clears tid and wakes us when the thread has exited.
                         for (pid_t t; (t = tid.load()) != 0;) {
                           struct timespec ts = {1, 0};
                           syscall(SYS_futex, tidp, FUTEX_WAIT, t, &ts, nullptr, 0);
                         }
                         cp.Signal(1);  // the thread is gone; the process lives on
                         return cp.WaitFor(2, Deadline::Default()).ok() ? 0 : kChildBroke;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  if (a->clone_err.load() != 0) {
    // The clone is the test's own first step: no probe could make it more
    // surely than the test does.
    IPCSPEC_UNMET("feature:clone-sysvsem-thread", "clone(CLONE_THREAD | CLONE_SYSVSEM): ")
        << ErrnoName(a->clone_err.load());
  }
  ASSERT_EQ(a->err.load(), 0) << "the thread's semop(+1, SEM_UNDO) failed";
  EXPECT_THAT(semctl(set.id(), 0, GETVAL), SyscallSucceedsWithValue(1))
      << "man 2 clone: with CLONE_SYSVSEM \"semaphore adjustments are performed only when the "
         "last process that is sharing the list terminates\": a thread's exit undoes nothing";
  cp.Signal(2);
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_THAT(semctl(set.id(), 0, GETVAL), SyscallSucceedsWithValue(0))
      << "man 2 semop: \"If an operation specifies SEM_UNDO, it will be automatically undone "
         "when the process terminates.\"";
}

// man 2 semop, BUGS: if an adjustment "would result in an attempt to decrease
// a semaphore's value below zero ... Linux adopts a third approach:
// decreasing the semaphore value as far as possible (i.e., to zero) and
// allowing process termination to proceed immediately."
TEST(SysvSemUndo, UndoStopsAtZero) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  const int id = set.id();
  ASSERT_OK_AND_ASSIGN(auto undo, SharedObject<CallRecord>::Create());
  CallRecord* r = undo.get();
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([id, &cp, r] {
                         struct sembuf op = {0, 3, SEM_UNDO};
                         *r = Record("semop(+3, SEM_UNDO)", semop(id, &op, 1));
                         cp.Signal(1);
                         if (r->failed()) return 0;
                         return cp.WaitFor(2, Deadline::Default()).ok() ? 0 : kChildBroke;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  ASSERT_EQ(r->ret, 0) << "the child's " << *r;  // written before the checkpoint
  EXPECT_EQ(SemopErrno(id, -2, IPC_NOWAIT), 0);  // without SEM_UNDO: value 1
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(1))
      << "man 2 semop: nothing is undone while the child lives";
  cp.Signal(2);
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(0))
      << "man 2 semop, BUGS: the child's semadj of -3 on value 1 \"decreas[es] the semaphore "
         "value as far as possible (i.e., to zero)\"";
}

// man 2 semop, NOTES: "When a semaphore's value is directly set using the
// SETVAL or SETALL request to semctl(2), the corresponding semadj values in
// all processes are cleared."
TEST(SysvSemUndo, SetvalClearsAdjustments) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  const int id = set.id();
  ASSERT_OK_AND_ASSIGN(auto undo, SharedObject<CallRecord>::Create());
  CallRecord* r = undo.get();
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([id, &cp, r] {
                         struct sembuf op = {0, 2, SEM_UNDO};
                         *r = Record("semop(+2, SEM_UNDO)", semop(id, &op, 1));
                         cp.Signal(1);
                         if (r->failed()) return 0;
                         return cp.WaitFor(2, Deadline::Default()).ok() ? 0 : kChildBroke;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  ASSERT_EQ(r->ret, 0) << "the child's " << *r;  // written before the checkpoint
  ASSERT_NO_ERRNO(set.SetVal(0, 5));
  cp.Signal(2);
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(5))
      << "man 2 semop: \"When a semaphore's value is directly set using the SETVAL ... the "
         "corresponding semadj values in all processes are cleared.\": the child's +2 is not "
         "undone";
}

// ---------------------------------------------------------------------
// Waiter counts and sempid
// ---------------------------------------------------------------------

// man 2 semctl: "GETNCNT Return the semncnt value for the semnum-th semaphore
// of the set (i.e., the number of processes waiting for the semaphore's value
// to increase)", "GETZCNT Return the semzcnt value ... (i.e., the number of
// processes waiting for the semaphore value to become 0)", "GETPID Return the
// sempid value ... the PID of the process that last performed an operation on
// that semaphore". man 2 semop: "On successful completion, the sempid value
// for each semaphore specified in the array pointed to by sops is set to the
// caller's process ID."
TEST(SysvSemCounts, GetncntGetzcntAndGetpid) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  const int id = set.id();
  ASSERT_EQ(SemopErrno(id, 1, 0), 0);
  EXPECT_THAT(semctl(id, 0, GETPID), SyscallSucceedsWithValue(getpid()))
      << "man 2 semop: \"the sempid value ... is set to the caller's process ID\"";

  // At value 1: a taker of 2 waits for an increase, a zero-waiter for 0.
  ASSERT_OK_AND_ASSIGN(auto ops, SharedObject<CallRecords<2>>::Create());  // taker, zero
  ASSERT_OK_AND_ASSIGN(Child taker, ForkSemop(id, -2, 0, &(*ops)[0]));
  ASSERT_NO_ERRNO(WaitUntilBlocked(taker.pid(), kSemopCalls));
  ASSERT_OK_AND_ASSIGN(Child zero, ForkSemop(id, 0, 0, &(*ops)[1]));
  ASSERT_NO_ERRNO(WaitUntilBlocked(zero.pid(), kSemopCalls));
  EXPECT_THAT(semctl(id, 0, GETNCNT), SyscallSucceedsWithValue(1))
      << "man 2 semop: \"semncnt (the counter of threads waiting for this semaphore's value to "
         "increase) is incremented by one\"";
  EXPECT_THAT(semctl(id, 0, GETZCNT), SyscallSucceedsWithValue(1))
      << "man 2 semop: \"semzcnt (the count of threads waiting until this semaphore's value "
         "becomes zero) is incremented by one\"";
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(1))
      << "man 2 semop: a waiting decrement takes nothing while it waits";

  // Take the 1: the value becomes 0 and the zero-waiter proceeds.
  ASSERT_EQ(SemopErrno(id, -1, IPC_NOWAIT), 0);
  ASSERT_OK_AND_ASSIGN(WaitStatus zst, zero.Wait());
  EXPECT_TRUE(zst.ExitedWith(0)) << zst;
  EXPECT_EQ((*ops)[1].ret, 0) << "man 2 semop: the zero-waiter sleeps until \"semval "
                                 "becomes 0, at which time the value of semzcnt is "
                                 "decremented\"; its "
                              << (*ops)[1];
  EXPECT_THAT(semctl(id, 0, GETZCNT), SyscallSucceedsWithValue(0))
      << "man 2 semop: \"semval becomes 0, at which time the value of semzcnt is decremented\"";
  EXPECT_THAT(semctl(id, 0, GETNCNT), SyscallSucceedsWithValue(1))
      << "man 2 semop: the taker of 2 still waits at value 0";

  // Give 2: the taker proceeds; sempid is now the taker's.
  const pid_t taker_pid = taker.pid();
  ASSERT_EQ(SemopErrno(id, 2, 0), 0);
  ASSERT_OK_AND_ASSIGN(WaitStatus tst, taker.Wait());
  EXPECT_TRUE(tst.ExitedWith(0)) << tst;
  EXPECT_EQ((*ops)[0].ret, 0) << "man 2 semop: the taker sleeps until \"semval becomes "
                                 "greater than or equal to the absolute value of sem_op: the "
                                 "operation now proceeds\"; its "
                              << (*ops)[0];
  EXPECT_THAT(semctl(id, 0, GETNCNT), SyscallSucceedsWithValue(0))
      << "man 2 semctl: GETNCNT counts only the processes still waiting";
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(0))
      << "man 2 semop: the taker's -2 took the 2 given";
  EXPECT_THAT(semctl(id, 0, GETPID), SyscallSucceedsWithValue(taker_pid))
      << "man 2 semop: \"On successful completion, the sempid value ... is set to the "
         "caller's process ID\": the last operation was the taker's, completed on its behalf";
}

// man 2 semop, NOTES: "semop() is never automatically restarted after being
// interrupted by a signal handler, regardless of the setting of the
// SA_RESTART flag when establishing a signal handler." and "The calling thread
// catches a signal: the value of semncnt is decremented and semop() fails,
// with errno set to EINTR."
void NoteSignal(int) {}

TEST(SysvSemCounts, SignalInterruptsSemopEvenWithSaRestart) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  const int id = set.id();
  ASSERT_OK_AND_ASSIGN(auto rec, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([id, &rec] {
                         struct sigaction sa = {};
                         sa.sa_handler = NoteSignal;
                         sigemptyset(&sa.sa_mask);
                         sa.sa_flags = SA_RESTART;
                         *rec = Record("sigaction(SIGUSR1)", sigaction(SIGUSR1, &sa, nullptr));
                         if (rec->failed()) return 0;
                         struct sembuf op = {0, -1, 0};
                         *rec = Record("semop", semop(id, &op, 1));
                         return 0;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), kSemopCalls));
  EXPECT_THAT(semctl(id, 0, GETNCNT), SyscallSucceedsWithValue(1))
      << "man 2 semop: \"semncnt ... is incremented by one and the thread sleeps\"";
  ASSERT_NO_ERRNO(c.Signal(SIGUSR1));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(rec->FailedWith(EINTR))
      << "man 2 semop: \"semop() is never automatically restarted after being interrupted by a "
         "signal handler, regardless of the setting of the SA_RESTART flag\"; the child's "
      << *rec;
  EXPECT_THAT(semctl(id, 0, GETNCNT), SyscallSucceedsWithValue(0))
      << "man 2 semop: \"the value of semncnt is decremented and semop() fails, with errno set "
         "to EINTR\"";
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(0))
      << "man 2 semop: an interrupted semop performs none of its operations";
}

// ---------------------------------------------------------------------
// Removal and persistence
// ---------------------------------------------------------------------

// man 2 semctl: "IPC_RMID Immediately remove the semaphore set, awakening all
// processes blocked in semop(2) calls on the set (with an error return and
// errno set to EIDRM)." man 2 semop: "The semaphore set is removed from the
// system: semop() fails, with errno set to EIDRM."
TEST(SysvSemRemoval, WaitersGetEIDRM) {
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, NewSet());
  const int id = set.id();
  ASSERT_NO_ERRNO(set.SetVal(0, 1));
  ASSERT_OK_AND_ASSIGN(auto ops, SharedObject<CallRecords<2>>::Create());  // taker, zero
  ASSERT_OK_AND_ASSIGN(Child taker, ForkSemop(id, -2, 0, &(*ops)[0]));
  ASSERT_OK_AND_ASSIGN(Child zero, ForkSemop(id, 0, 0, &(*ops)[1]));
  ASSERT_NO_ERRNO(WaitUntilBlocked(taker.pid(), kSemopCalls));
  ASSERT_NO_ERRNO(WaitUntilBlocked(zero.pid(), kSemopCalls));
  ASSERT_NO_ERRNO(set.Remove());
  ASSERT_OK_AND_ASSIGN(WaitStatus t, taker.Wait());
  EXPECT_TRUE(t.ExitedWith(0)) << t;
  EXPECT_TRUE((*ops)[0].FailedWith(EIDRM))
      << "man 2 semop: \"The semaphore set is removed from the system: semop() fails, with "
         "errno set to EIDRM.\" (a waiting decrement); the child's "
      << (*ops)[0];
  ASSERT_OK_AND_ASSIGN(WaitStatus z, zero.Wait());
  EXPECT_TRUE(z.ExitedWith(0)) << z;
  EXPECT_TRUE((*ops)[1].FailedWith(EIDRM)) << "man 2 semop: \"The semaphore set is removed: semop() "
                                              "fails, with errno set to EIDRM.\" (a wait-for-zero); "
                                              "the child's "
                                           << (*ops)[1];
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallFails())
      << "man 2 semctl: IPC_RMID removes the set \"Immediately\"";
}

// man 7 sysvipc: semget(2) "Create a new set or obtain the ID of an existing
// set." A set lives until IPC_RMID (man 2 semctl: "IPC_RMID Immediately
// remove the semaphore set") or the end of its IPC namespace (man 7
// ipc_namespaces: "When an IPC namespace is destroyed ... all IPC objects in
// the namespace are automatically destroyed."): not until its creator exits.
TEST(SysvSemPersistence, SetOutlivesItsCreator) {
  const key_t key = 0x1e5e0001;  // this test's own IPC namespace: no clash
  // The owner, from before the fork: removes the set by key whatever happens.
  Cleanup remove_by_key([key] {
    int id = semget(key, 0, 0);
    if (id >= 0) semctl(id, 0, IPC_RMID);
  });
  ASSERT_OK_AND_ASSIGN(CallRecords<2> calls, CallsInChild<2>([key](CallRecords<2>& r) {
                         int id = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
                         r[0] = Record("semget(IPC_CREAT|IPC_EXCL)", id < 0 ? -1 : 0);
                         if (id < 0) return;
                         SemUn arg;
                         arg.val = 7;
                         r[1] = Record("semctl(SETVAL 7)", semctl(id, 0, SETVAL, arg));
                         // exits without IPC_RMID
                       }));
  ASSERT_EQ(calls[0].ret, 0) << "the creator's " << ToString(calls);
  ASSERT_EQ(calls[1].ret, 0) << "the creator's " << ToString(calls);
  int id = semget(key, 0, 0);
  ASSERT_THAT(id, SyscallSucceeds())
      << "man 7 sysvipc: semget(2) obtains \"the ID of an existing set\" after its creator "
         "exited";
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(7))
      << "the set keeps the value its creator set: it persists until IPC_RMID";
  SysvSemSet owned = SysvSemSet::Adopt(id);
  ASSERT_NO_ERRNO(owned.Remove());
  EXPECT_THAT(semget(key, 0, 0), SyscallFailsWithErrno(ENOENT))
      << "man 2 semget: \"ENOENT No semaphore set exists for key and semflg did not specify "
         "IPC_CREAT.\" once it is removed";
}

// man 2 semget: "If semflg specifies both IPC_CREAT and IPC_EXCL and a
// semaphore set already exists for key, then semget() fails with errno set to
// EEXIST."
TEST(SysvSemPersistence, CreateExclusiveOnExistingKeyFailsEEXIST) {
  const key_t key = 0x1e5e0002;
  ASSERT_OK_AND_ASSIGN(SysvSemSet set, SysvSemSet::Create(key, 1));
  EXPECT_THAT(semget(key, 1, IPC_CREAT | IPC_EXCL | 0600), SyscallFailsWithErrno(EEXIST))
      << "man 2 semget: \"EEXIST IPC_CREAT and IPC_EXCL were specified in semflg, but a "
         "semaphore set already exists for key.\"";
  EXPECT_THAT(semget(key, 1, 0600), SyscallSucceedsWithValue(set.id()))
      << "man 2 semget: without IPC_CREAT the existing set's id is returned";
}

}  // namespace
}  // namespace ipcspec

// Robust futex lists at the system-call level (issue 14): man 2
// set_robust_list (get_robust_list on the same page), and what the kernel
// does with a list when a thread, not its whole process, dies.
//
// The per-thread list is the kernel's half of a robust mutex: glibc keeps
// each robust mutex a thread holds on that thread's list and registers the
// list's head at thread start. When the thread ends, the kernel walks the
// list, sets FUTEX_OWNER_DIED in every futex word the thread still owns and
// wakes a waiter. Here a thread ends with a raw exit(2) (SYS_exit: that
// thread only, and no glibc code runs on the way out), so whatever marks the
// words is the kernel. Experiments that replace a thread's list or need a
// whole process run in a forked child that reports through shared memory.
#include <linux/capability.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/robust_mutex/robust_mutex.h"

namespace ipcspec {
namespace {

constexpr char kPurpose[] =
    "man 2 set_robust_list: \"if a thread accidentally fails to unlock a futex before "
    "terminating or calling execve(2), another thread that is waiting on that futex is "
    "notified that the former owner of the futex has died. This notification consists of two "
    "pieces: the FUTEX_OWNER_DIED bit is set in the futex word, and the kernel performs a "
    "futex(2) FUTEX_WAKE operation on one of the threads waiting on the futex.\"";

long SetList(void* head, size_t len) { return syscall(SYS_set_robust_list, head, len); }
long GetList(long pid, void* head_ptr, void* len_ptr) {
  return syscall(SYS_get_robust_list, pid, head_ptr, len_ptr);
}
pid_t Tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// A lock of our own on a hand-made list: the futex word and the list link.
struct Entry {
  std::atomic<uint32_t> word{0};
  struct robust_list link {};
};
constexpr long kWordOffset =
    static_cast<long>(offsetof(Entry, word)) - static_cast<long>(offsetof(Entry, link));

// The calling thread's list is what it last registered; pid 0 and the
// thread's own id name it; the length is the head's size.
TEST(RobustList, GetGivesTheHeadTheThreadSet) {
  void* glibc_head = nullptr;
  size_t len = 0;
  ASSERT_THAT(GetList(0, &glibc_head, &len), SyscallSucceeds());
  EXPECT_EQ(len, sizeof(struct robust_list_head))
      << "man 2 get_robust_list: \"The size of the object pointed to by **head_ptr is stored in "
         "len_ptr.\"";
  // No robust mutex is held by this thread here: its list is empty, and the
  // cleanup gives glibc's head back.
  Cleanup restore([glibc_head] { SetList(glibc_head, sizeof(struct robust_list_head)); });
  struct robust_list_head mine {};
  mine.list.next = &mine.list;
  ASSERT_THAT(SetList(&mine, sizeof mine), SyscallSucceeds());
  void* got = nullptr;
  len = 0;
  ASSERT_THAT(GetList(0, &got, &len), SyscallSucceeds());
  EXPECT_EQ(got, static_cast<void*>(&mine))
      << "man 2 get_robust_list: \"If pid is 0, the head of the list for the calling thread is "
         "returned.\" (after set_robust_list: \"The head argument is the list head to "
         "record.\")";
  EXPECT_EQ(len, sizeof mine);
  got = nullptr;
  ASSERT_THAT(GetList(Tid(), &got, &len), SyscallSucceeds());
  EXPECT_EQ(got, static_cast<void*>(&mine))
      << "man 2 get_robust_list: \"returns the head of the robust futex list of the thread "
         "whose thread ID is specified in pid\" (this thread's own ID)";
}

// Another thread of the same group: its own head differs, and it reads the
// first thread's head by that thread's ID.
TEST(RobustList, AThreadReadsAnotherThreadsHeadByItsId) {
  void* mine = nullptr;
  size_t len = 0;
  ASSERT_THAT(GetList(0, &mine, &len), SyscallSucceeds());
  const pid_t main_tid = Tid();
  void* theirs_own = nullptr;
  void* theirs_of_main = nullptr;
  long r1 = -1, r2 = -1;
  std::thread t([&] {
    size_t l = 0;
    r1 = GetList(0, &theirs_own, &l);
    r2 = GetList(main_tid, &theirs_of_main, &l);
  });
  t.join();
  ASSERT_EQ(r1, 0) << "get_robust_list(0) in a second thread";
  ASSERT_EQ(r2, 0) << "get_robust_list(first thread's ID) in a second thread";
  EXPECT_NE(theirs_own, mine)
      << "two threads share one list head. man 2 set_robust_list: \"These system calls deal "
         "with per-thread robust futex lists.\"";
  EXPECT_EQ(theirs_of_main, mine)
      << "man 2 get_robust_list: \"returns the head of the robust futex list of the thread "
         "whose thread ID is specified in pid\"";
}

TEST(RobustList, SetWithALengthOtherThanTheHeadSizeIsEinval) {
  void* before = nullptr;
  size_t len = 0;
  ASSERT_THAT(GetList(0, &before, &len), SyscallSucceeds());
  Cleanup restore([before] { SetList(before, sizeof(struct robust_list_head)); });
  struct robust_list_head mine {};
  mine.list.next = &mine.list;
  const size_t size = sizeof mine;
  for (size_t bad : {size_t{0}, size - 1, size + 1, 2 * size}) {
    EXPECT_THAT(SetList(&mine, bad), SyscallFailsWithErrno(EINVAL))
        << "set_robust_list(head, " << bad << "), sizeof(struct robust_list_head) is " << size
        << ". man 2 set_robust_list, ERRORS: \"EINVAL len does not equal sizeof(struct "
           "robust_list_head).\"";
  }
  void* after = nullptr;
  ASSERT_THAT(GetList(0, &after, &len), SyscallSucceeds());
  EXPECT_EQ(after, before) << "a refused set_robust_list recorded its head anyway";
}

TEST(RobustList, GetErrors) {
  void* head = nullptr;
  size_t len = 0;
  // Above FUTEX_TID_MASK: no thread can have this ID (pid_max is at most 2^22).
  constexpr long kNoThread = 0x3fffffff;
  EXPECT_THAT(GetList(kNoThread, &head, &len), SyscallFailsWithErrno(ESRCH))
      << "man 2 get_robust_list, ERRORS: \"ESRCH No thread with the thread ID pid could be "
         "found.\"";
  EXPECT_THAT(GetList(0, nullptr, &len), SyscallFailsWithErrno(EFAULT))
      << "man 2 get_robust_list, ERRORS: \"EFAULT The head of the robust futex list can't be "
         "stored at the location head.\"";
  // The page names only the head; Linux stores the length first, through
  // the same kind of check (kernel/futex/syscalls.c).
  EXPECT_THAT(GetList(0, &head, nullptr), SyscallFailsWithErrno(EFAULT))
      << "get_robust_list with len_ptr NULL: the length cannot be stored either";
}

// What a target child registers and where, for the process tests below.
struct Target {
  struct robust_list_head head {};
  std::atomic<int> dumpable_off{0};
};

// Another process's list, with and without the permission: a ptrace read
// check (same user and a dumpable target, or CAP_SYS_PTRACE).
TEST(RobustList, AnotherProcessListNeedsPtraceReadAccess) {
  IPCSPEC_NEEDS(Need::Capability(CAP_SYS_PTRACE));
  constexpr char kPermission[] =
      "man 2 get_robust_list: \"Permission to employ get_robust_list() is governed by a ptrace "
      "access mode PTRACE_MODE_READ_REALCREDS check; see ptrace(2).\"";
  ASSERT_OK_AND_ASSIGN(SharedObject<Target> t, SharedObject<Target>::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  Target* tp = t.get();
  Checkpoint* cpp = &cp;
  // The target registers a head in shared memory (the same address here),
  // then, at stage 2, makes itself non-dumpable.
  ASSERT_OK_AND_ASSIGN(Child target, Child::Fork([tp, cpp]() -> int {
                         tp->head.list.next = &tp->head.list;
                         if (SetList(&tp->head, sizeof tp->head) != 0) return 2;
                         cpp->Signal(1);
                         if (!cpp->WaitFor(2, Deadline::Default()).ok()) return 3;
                         if (prctl(PR_SET_DUMPABLE, 0) != 0) return 4;
                         cpp->Signal(3);
                         cpp->WaitFor(1000, Deadline::Default());  // killed first
                         return 0;
                       }));
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  void* got = nullptr;
  size_t len = 0;
  ASSERT_THAT(GetList(target.pid(), &got, &len), SyscallSucceeds())
      << "get_robust_list of a dumpable process of the same user. " << kPermission;
  EXPECT_EQ(got, static_cast<void*>(&tp->head))
      << "get_robust_list(pid of another process) gives that thread's head. " << kPermission;
  EXPECT_EQ(len, sizeof tp->head);

  cp.Signal(2);
  ASSERT_NO_ERRNO(cp.WaitFor(3, Deadline::Default()));
  const pid_t tpid = target.pid();
  // A prober of the same user without CAP_SYS_PTRACE: a non-dumpable target
  // fails the ptrace read check.
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([tpid]() -> int {
                         if (DropCapability(CAP_SYS_PTRACE) != 0) return 10;
                         void* h = nullptr;
                         size_t l = 0;
                         if (GetList(tpid, &h, &l) == 0) return 1;
                         return errno == EPERM ? 0 : 2;
                       }));
  EXPECT_TRUE(st.ExitedWith(0))
      << "get_robust_list of a non-dumpable process, without CAP_SYS_PTRACE: " << st
      << " (1: it succeeded; 2: another errno). man 2 get_robust_list, ERRORS: \"EPERM The "
         "calling process does not have permission to see the robust futex list of the thread "
         "with the thread ID pid, and does not have the CAP_SYS_PTRACE capability.\"";
  got = nullptr;
  EXPECT_THAT(GetList(tpid, &got, &len), SyscallSucceeds())
      << "the same target, by a caller with CAP_SYS_PTRACE. " << kPermission;
  EXPECT_EQ(got, static_cast<void*>(&tp->head));
}

// A thread that dies holding robust mutexes (one waited on, two not).
struct MutexDeathParam {
  const char* name;
  bool shared;   // PTHREAD_PROCESS_SHARED, else _PRIVATE (private futex operations)
  int protocol;  // PTHREAD_PRIO_NONE or PTHREAD_PRIO_INHERIT (the kernel's PI futexes)
};
void PrintTo(const MutexDeathParam& p, std::ostream* os) { *os << p.name; }

constexpr int kHeld = 3;
struct DeathRig {
  pthread_mutex_t m[kHeld];
  std::atomic<pid_t> owner_tid{0};
  std::atomic<pid_t> waiter_tid{0};
  std::atomic<uint32_t> go{0};
  // What the child saw.
  uint32_t word_after[kHeld] = {};
  int waiter_result = -1;
  int lock_after[kHeld] = {-1, -1, -1};
  int step = 0;  // the step that failed
};

int InitMutex(pthread_mutex_t* m, const MutexDeathParam& p) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  int r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (r == 0) {
    r = pthread_mutexattr_setpshared(
        &a, p.shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
  }
  if (r == 0) r = pthread_mutexattr_setprotocol(&a, p.protocol);
  if (r == 0) r = pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
  return r;
}

uint32_t Word(pthread_mutex_t* m) {
  // glibc's futex word is the mutex's first int (__data.__lock).
  return reinterpret_cast<std::atomic<uint32_t>*>(&m->__data.__lock)->load();
}

// pthread_mutex_timedlock with an absolute CLOCK_REALTIME time `d` from
// now: the FUTEX_LOCK_PI path every kernel has (glibc's clocklock on
// CLOCK_MONOTONIC needs FUTEX_LOCK_PI2, which gVisor lacks).
int TimedLock(pthread_mutex_t* m, const Deadline& d) {
  struct timespec now, left = d.RemainingTimespec();
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec abs = {now.tv_sec + left.tv_sec, now.tv_nsec + left.tv_nsec};
  if (abs.tv_nsec >= 1000000000L) {
    abs.tv_sec += 1;
    abs.tv_nsec -= 1000000000L;
  }
  return pthread_mutex_timedlock(m, &abs);
}

void* OwnerThread(void* arg) {
  auto* rig = static_cast<DeathRig*>(arg);
  for (auto& m : rig->m) {
    if (pthread_mutex_lock(&m) != 0) {
      rig->step = 1;
      syscall(SYS_exit, 0);
    }
  }
  rig->owner_tid.store(Tid());
  while (rig->go.load() == 0) {
    syscall(SYS_futex, &rig->go, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  }
  // This thread alone ends, holding all three, and no glibc code runs.
  syscall(SYS_exit, 0);
  return nullptr;
}

void* WaiterThread(void* arg) {
  auto* rig = static_cast<DeathRig*>(arg);
  rig->waiter_tid.store(Tid());
  // Shorter than the parent's wait for the whole child.
  rig->waiter_result = TimedLock(&rig->m[0], Deadline::In(std::chrono::seconds(5)));
  if (rig->waiter_result == EOWNERDEAD) {
    pthread_mutex_consistent(&rig->m[0]);
    pthread_mutex_unlock(&rig->m[0]);
  }
  return nullptr;
}

// The child: an owner thread takes the three mutexes, a waiter blocks on the
// first, the owner exits; what the main thread then sees goes to `rig`.
int ThreadDeathChild(DeathRig* rig, const MutexDeathParam& p) {
  for (auto& m : rig->m) {
    if (InitMutex(&m, p) != 0) return rig->step = 10;
  }
  pthread_t owner, waiter;
  if (pthread_create(&owner, nullptr, OwnerThread, rig) != 0) return rig->step = 11;
  Deadline d = Deadline::Default();
  while (rig->owner_tid.load() == 0 && rig->step == 0 && !d.Expired()) sched_yield();
  if (rig->owner_tid.load() == 0) return rig->step = rig->step ? rig->step : 12;
  if (pthread_create(&waiter, nullptr, WaiterThread, rig) != 0) return rig->step = 13;
  while (rig->waiter_tid.load() == 0 && !d.Expired()) sched_yield();
  if (!WaitUntilBlocked(rig->waiter_tid.load(), {SYS_futex}).ok()) return rig->step = 14;
  rig->go.store(1);
  syscall(SYS_futex, &rig->go, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  pthread_join(owner, nullptr);  // the kernel clears the thread's tid at its exit
  pthread_join(waiter, nullptr);
  for (int i = 1; i < kHeld; ++i) rig->word_after[i] = Word(&rig->m[i]);
  for (int i = 1; i < kHeld; ++i) {
    rig->lock_after[i] = TimedLock(&rig->m[i], Deadline::In(std::chrono::seconds(1)));
    if (rig->lock_after[i] == EOWNERDEAD) pthread_mutex_consistent(&rig->m[i]);
    if (rig->lock_after[i] == 0 || rig->lock_after[i] == EOWNERDEAD) {
      pthread_mutex_unlock(&rig->m[i]);
    }
  }
  return 0;
}

class RobustThreadDeath : public ::testing::TestWithParam<MutexDeathParam> {};

TEST_P(RobustThreadDeath, OwnerDiedIsSetInEveryHeldMutexAndAWaiterWakes) {
  const MutexDeathParam p = GetParam();
  if (p.protocol == PTHREAD_PRIO_INHERIT) {
    IPCSPEC_NEEDS(Need::Feature("robust-mutex-pi", []() -> std::optional<std::string> {
      MutexConfig c;
      c.protocol = PTHREAD_PRIO_INHERIT;
      auto m = SharedMutex::Create(c);
      if (!m.ok()) return m.error().ToString();
      const int r = m.value().TryLock();
      if (r == ENOTSUP || r == ENOSYS || r == EINVAL) return "trylock: " + PthreadResultName(r);
      if (r == 0) m.value().Unlock();
      return std::nullopt;
    }));
  }
  ASSERT_OK_AND_ASSIGN(SharedObject<DeathRig> rig, SharedObject<DeathRig>::Create());
  DeathRig* r = rig.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st,
                       ForkAndWait([r, p]() -> int { return ThreadDeathChild(r, p); }));
  // Steps 10-14: the child could not set up. Otherwise the values below say
  // what went wrong (glibc aborts on a PI mutex whose dead owner the kernel
  // never marked).
  ASSERT_FALSE(r->step >= 10) << "the child could not set up: " << st << ", step " << r->step;
  EXPECT_TRUE(st.ExitedWith(0)) << "the child: " << st << ", step " << r->step;
  EXPECT_EQ(r->waiter_result, EOWNERDEAD)
      << "the thread blocked on the first mutex got " << PthreadResultName(r->waiter_result)
      << " when its owner thread exited. " << kPurpose;
  for (int i = 1; i < kHeld; ++i) {
    EXPECT_EQ(r->word_after[i], static_cast<uint32_t>(FUTEX_OWNER_DIED))
        << "futex word of held mutex " << i << " after its owner thread (tid "
        << r->owner_tid.load() << ") exited: 0x" << std::hex << r->word_after[i] << std::dec
        << " (FUTEX_OWNER_DIED is 0x40000000, and no owner's id). " << kPurpose;
    EXPECT_EQ(r->lock_after[i], EOWNERDEAD)
        << "pthread_mutex_timedlock of held mutex " << i << ": "
        << PthreadResultName(r->lock_after[i])
        << ". man 3 pthread_mutexattr_setrobust: \"its owner dies without unlocking it, any "
           "future attempts to call pthread_mutex_lock(3) on this mutex will succeed and "
           "return EOWNERDEAD\"";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Mutexes, RobustThreadDeath,
    ::testing::Values(MutexDeathParam{"private", false, PTHREAD_PRIO_NONE},
                      MutexDeathParam{"shared", true, PTHREAD_PRIO_NONE},
                      MutexDeathParam{"pi_private", false, PTHREAD_PRIO_INHERIT},
                      MutexDeathParam{"pi_shared", true, PTHREAD_PRIO_INHERIT}),
    [](const ::testing::TestParamInfo<MutexDeathParam>& i) { return std::string(i.param.name); });

// A hand-made list: entries A -> B -> C -> A (a cycle that never comes back
// to the head) and a pending entry D that is on no list.
struct ListRig {
  struct robust_list_head head {};
  Entry a, b, c, d;
  std::atomic<pid_t> tid{0};
};
constexpr uint32_t kOtherOwner = 0x00123456;  // an id that is not the dying thread's

TEST(RobustList, TheKernelWalksAHandMadeListEvenWithACycle) {
  ASSERT_OK_AND_ASSIGN(SharedObject<ListRig> rig, SharedObject<ListRig>::Create());
  ListRig* r = rig.get();
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([r]() -> int {
                         const uint32_t me = static_cast<uint32_t>(Tid());
                         r->tid.store(static_cast<pid_t>(me));
                         r->a.word.store(me | FUTEX_WAITERS);
                         r->b.word.store(me);
                         r->c.word.store(kOtherOwner);
                         r->d.word.store(me);
                         r->head.futex_offset = kWordOffset;
                         r->head.list.next = &r->a.link;
                         r->a.link.next = &r->b.link;
                         r->b.link.next = &r->c.link;
                         r->c.link.next = &r->a.link;  // never back to the head
                         r->head.list_op_pending = &r->d.link;
                         if (SetList(&r->head, sizeof r->head) != 0) return 2;
                         _exit(0);  // exit_group: no glibc code touches the list
                       }));
  // A process whose robust list is a cycle must still finish exiting.
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait(Deadline::Default()));
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(r->a.word.load(), static_cast<uint32_t>(FUTEX_WAITERS | FUTEX_OWNER_DIED))
      << "entry A (owned, with FUTEX_WAITERS): 0x" << std::hex << r->a.word.load() << std::dec
      << ". " << kPurpose
      << " (Documentation/locking/robust-futex-ABI.rst: the kernel keeps the waiters bit, "
         "clears the owner's id and sets FUTEX_OWNER_DIED)";
  EXPECT_EQ(r->b.word.load(), static_cast<uint32_t>(FUTEX_OWNER_DIED))
      << "entry B (owned): 0x" << std::hex << r->b.word.load() << std::dec << ". " << kPurpose;
  EXPECT_EQ(r->c.word.load(), kOtherOwner)
      << "entry C holds another thread's id: the dead thread did not own it, and the kernel "
         "changed it anyway";
  EXPECT_EQ(r->d.word.load(), static_cast<uint32_t>(FUTEX_OWNER_DIED))
      << "entry D, named by list_op_pending only: 0x" << std::hex << r->d.word.load()
      << std::dec
      << ". robust-futex-ABI.rst: list_op_pending covers a lock taken but not yet on the list; "
      << kPurpose;
}

// The notification also comes when the owner calls execve(2).
TEST(RobustList, ExecveCountsAsTheOwnerDying) {
  IPCSPEC_NEEDS(Need::Feature("bin-true", []() -> std::optional<std::string> {
    if (access("/bin/true", X_OK) != 0) return "/bin/true: " + std::string(strerror(errno));
    return std::nullopt;
  }));
  MutexConfig config;  // robust, normal, process-shared
  ASSERT_OK_AND_ASSIGN(SharedMutex m, SharedMutex::Create(config));
  const SharedMutex* mx = &m;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([mx]() -> int {
                         if (mx->TryLock() != 0) return 2;
                         execl("/bin/true", "true", static_cast<char*>(nullptr));
                         return 3;
                       }));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " (2: lock, 3: execl failed)";
  const int r = m.LockUntil(Deadline::In(std::chrono::seconds(1)));
  EXPECT_EQ(r, EOWNERDEAD)
      << "lock of a mutex whose owner called execve holding it: " << PthreadResultName(r)
      << ". man 2 set_robust_list, NOTES: \"Starting with Linux 2.6.28, notification was "
         "extended to include the case where the owner performs an execve(2).\"";
  if (r == EOWNERDEAD) m.Consistent();
  if (r == 0 || r == EOWNERDEAD) m.Unlock();
}

// A process-shared barrier (POSIX pthread_barrierattr_setpshared,
// pthread_barrier_wait; the "3p" pages are not installed here, so POSIX is
// quoted): processes block until the last one arrives, then all go on, and
// exactly one is told it is the serial thread. The barrier is never
// destroyed (a process may still be leaving it); its mapping goes.
TEST(SharedBarrier, TheLastArrivalWakesEveryProcessAndOneIsSerial) {
  constexpr int kCount = 3;
  struct Rig {
    pthread_barrier_t b;
  };
  ASSERT_OK_AND_ASSIGN(SharedObject<Rig> rig, SharedObject<Rig>::Create());
  pthread_barrierattr_t a;
  pthread_barrierattr_init(&a);
  ASSERT_EQ(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
  ASSERT_EQ(pthread_barrier_init(&rig->b, &a, kCount), 0);
  pthread_barrierattr_destroy(&a);
  pthread_barrier_t* b = &rig->b;
  // 0: released and not serial, 1: released as the serial thread.
  auto arrive = [b]() -> int {
    const int r = pthread_barrier_wait(b);
    return r == PTHREAD_BARRIER_SERIAL_THREAD ? 1 : r == 0 ? 0 : 2;
  };
  std::vector<Child> children;
  for (int i = 0; i < kCount - 1; ++i) {
    ASSERT_OK_AND_ASSIGN(Child c, Child::Fork(arrive));
    children.push_back(std::move(c));
    EXPECT_NO_ERRNO(WaitUntilBlocked(children.back().pid(), {SYS_futex}))
        << "process " << i << " did not wait at the barrier. POSIX pthread_barrier_wait: \"The "
           "calling thread shall block until the required number of threads have called "
           "pthread_barrier_wait() specifying the barrier.\"";
  }
  ASSERT_OK_AND_ASSIGN(Child last, Child::Fork(arrive));
  children.push_back(std::move(last));
  int serial = 0;
  for (int i = 0; i < kCount; ++i) {
    auto st = children[static_cast<size_t>(i)].Wait(Deadline::Default());
    ASSERT_TRUE(st.ok())
        << "process " << i << " was not released by the last arrival: " << st.error()
        << ". POSIX pthread_barrierattr_setpshared: PTHREAD_PROCESS_SHARED \"permit[s] a "
           "barrier to be operated upon by any thread that has access to the memory where the "
           "barrier is allocated\"; pthread_barrier_wait: the threads are released when the "
           "required number have called it";
    ASSERT_TRUE(st.value().exited() && st.value().exit_code() < 2) << st.value();
    serial += st.value().exit_code();
  }
  EXPECT_EQ(serial, 1)
      << "processes told PTHREAD_BARRIER_SERIAL_THREAD. POSIX pthread_barrier_wait: \"the "
         "pthread_barrier_wait() function shall return PTHREAD_BARRIER_SERIAL_THREAD for a "
         "single (arbitrary) thread synchronized at the barrier and zero for each of the other "
         "threads.\"";
}

}  // namespace
}  // namespace ipcspec

// System V semaphores: what the table test (sysv_sem_table_test.cc) leaves
// out: the owner fields of IPC_STAT after semget, semtimedop(2) on a
// wait-for-zero that times out and on operations that need not wait, a
// wait-for-zero interrupted by a signal (EINTR, semzcnt given back), and
// IPC_SET / IPC_RMID of an invalid identifier, IPC_PRIVATE always new, sets
// per IPC namespace. Each test runs in its own IPC namespace (the ipcspec
// main); one makes a new one.
#include <signal.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/syscall.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

#include <vector>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/child_report.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "suites/sysv_common/tables.h"

namespace ipcspec {
namespace {

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

// Sets removed at scope exit, even when an assertion fails.
struct Sets {
  std::vector<int> ids;
  ~Sets() {
    for (int id : ids) semctl(id, 0, IPC_RMID);
  }
};

// man 2 semget: "the semid_ds data structure ... is initialized as follows:
// sem_perm.cuid and sem_perm.uid are set to the effective user ID of the
// calling process. sem_perm.cgid and sem_perm.gid are set to the effective
// group ID of the calling process. The least significant 9 bits of
// sem_perm.mode are set to the least significant 9 bits of semflg. sem_nsems
// is set to the value of nsems. sem_otime is set to 0. sem_ctime is set to
// the current time."
TEST(SysvSemErrors, IpcStatAfterSemgetHasTheCallersIds) {
  const time_t t0 = time(nullptr);
  int id = semget(IPC_PRIVATE, 4, 0610);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  struct semid_ds ds = {};
  semun a;
  a.buf = &ds;
  ASSERT_THAT(semctl(id, 0, IPC_STAT, a), SyscallSucceeds());
  const char* page = "man 2 semget: ";
  EXPECT_EQ(ds.sem_perm.uid, geteuid()) << page << "\"sem_perm.cuid and sem_perm.uid are set to the effective user ID\" (uid)";
  EXPECT_EQ(ds.sem_perm.cuid, geteuid()) << page << "\"sem_perm.cuid and sem_perm.uid are set to the effective user ID\" (cuid)";
  EXPECT_EQ(ds.sem_perm.gid, getegid()) << page << "\"sem_perm.cgid and sem_perm.gid are set to the effective group ID\" (gid)";
  EXPECT_EQ(ds.sem_perm.cgid, getegid()) << page << "\"sem_perm.cgid and sem_perm.gid are set to the effective group ID\" (cgid)";
  EXPECT_EQ(ds.sem_perm.mode & 0777, 0610u) << page << "\"The least significant 9 bits of sem_perm.mode are set to the least significant 9 bits of semflg\"";
  EXPECT_EQ(ds.sem_perm.__key, IPC_PRIVATE) << page << "the key of an IPC_PRIVATE set";
  EXPECT_EQ(ds.sem_nsems, 4u) << page << "\"sem_nsems is set to the value of nsems\"";
  EXPECT_EQ(ds.sem_otime, 0) << page << "\"sem_otime is set to 0\"";
  EXPECT_TRUE(ds.sem_ctime >= t0 && ds.sem_ctime <= time(nullptr)) << page << "\"sem_ctime is set to the current time\"";
}

// man 2 semop: "If sem_op is zero, the process must have read permission on
// the semaphore set. This is a "wait-for-zero" operation: ... Otherwise, if
// IPC_NOWAIT is specified ... Otherwise, semzcnt ... is incremented by one
// and the thread sleeps until one of the following occurs"; semtimedop: "If
// the specified time limit has been reached, semtimedop() fails with errno
// set to EAGAIN (and none of the operations in sops is performed)." The
// waiter's semzcnt is given back.
TEST(SysvSemErrors, SemtimedopTimesOutAWaitForZero) {
  int id = semget(IPC_PRIVATE, 2, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  ASSERT_THAT(semctl(id, 0, SETVAL, 1), SyscallSucceeds());
  struct sembuf ops[2] = {{1, 1, 0}, {0, 0, 0}};  // +1 on 1, then wait for 0 on 0
  const struct timespec timeout = {0, 10 * 1000 * 1000};
  EXPECT_THAT(semtimedop(id, ops, 2, &timeout), SyscallFailsWithErrno(EAGAIN))
      << "man 2 semop: a wait-for-zero on a semaphore of value 1: \"If the specified time limit "
         "has been reached, semtimedop() fails with errno set to EAGAIN\"";
  EXPECT_THAT(semctl(id, 1, GETVAL), SyscallSucceedsWithValue(0))
      << "man 2 semop: \"(and none of the operations in sops is performed)\": not the +1";
  EXPECT_THAT(semctl(id, 0, GETZCNT), SyscallSucceedsWithValue(0))
      << "man 2 semop: the timed-out thread no longer waits (semzcnt back to 0)";
}

// man 2 semop: "semtimedop() behaves identically to semop() except that in
// those cases where the calling thread would sleep, the duration of that
// sleep is limited": operations that can proceed at once are performed, as
// an array, with a timeout given or NULL ("If timeout is NULL, then
// semtimedop() behaves exactly like semop()").
TEST(SysvSemErrors, SemtimedopPerformsOperationsThatNeedNotWait) {
  int id = semget(IPC_PRIVATE, 4, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  struct sembuf ops[4] = {{0, 0, 0}, {1, 1, 0}, {2, 4, 0}, {3, 9, 0}};
  const struct timespec timeout = {0, 10000};
  EXPECT_THAT(semtimedop(id, ops, 4, &timeout), SyscallSucceeds())
      << "man 2 semop: semtimedop with operations that need not sleep";
  EXPECT_THAT(semtimedop(id, ops, 4, nullptr), SyscallSucceeds())
      << "man 2 semop: \"If timeout is NULL, then semtimedop() behaves exactly like semop()\"";
  unsigned short all[4] = {9, 9, 9, 9};
  semun a;
  a.array = all;
  ASSERT_THAT(semctl(id, 0, GETALL, a), SyscallSucceeds());
  const unsigned short want[4] = {0, 2, 8, 18};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(all[i], want[i]) << "man 2 semop: \"Each of the nsops elements in the array ... "
                                  "specifies an operation to be performed\" twice; semaphore "
                               << i;
  }
}

// man 2 semctl, ERRORS: "EINVAL Invalid value for cmd or semid." For IPC_SET
// and IPC_RMID as for the reading commands (Linux: a removed set's
// identifier too).
TEST(SysvSemErrors, IpcSetAndRmidOfAnInvalidIdAreEinval) {
  int id = semget(IPC_PRIVATE, 1, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  struct semid_ds ds;
  semun a;
  a.buf = &ds;
  ASSERT_THAT(semctl(id, 0, IPC_STAT, a), SyscallSucceeds());
  int gone = semget(IPC_PRIVATE, 1, 0600);
  ASSERT_THAT(gone, SyscallSucceeds());
  ASSERT_THAT(semctl(gone, 0, IPC_RMID), SyscallSucceeds());
  RunErrTable("man 2 semctl",
              {
                  {"EINVAL Invalid value for ... semid (IPC_SET, -1)", EINVAL,
                   [&] { return semctl(-1, 0, IPC_SET, a); }},
                  {"EINVAL Invalid value for ... semid (IPC_SET, a removed set)", EINVAL,
                   [&] { return semctl(gone, 0, IPC_SET, a); }},
                  {"EINVAL Invalid value for ... semid (IPC_RMID, -1)", EINVAL,
                   [&] { return semctl(-1, 0, IPC_RMID); }},
                  {"EINVAL Invalid value for ... semid (IPC_STAT, an identifier never given)",
                   EINVAL, [&] { return semctl(id + 32768 * 7, 0, IPC_STAT, a); }},
              });
}

void NoteSignal(int) {}

// man 2 semop, for a wait-for-zero (sem_op zero) that sleeps: "semzcnt (the
// count of threads waiting until this semaphore's value becomes zero) is
// incremented by one and the thread sleeps until one of the following occurs:
// ... The calling thread catches a signal: the value of semzcnt is
// decremented and semop() fails, with errno set to EINTR." NOTES: it "is
// never automatically restarted after being interrupted by a signal handler,
// regardless of the setting of the SA_RESTART flag". The child's wait has a
// deadline of its own (semtimedop, 30 s), far beyond the test's.
TEST(SysvSemErrors, SignalInterruptsAWaitForZero) {
  int id = semget(IPC_PRIVATE, 1, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  ASSERT_THAT(semctl(id, 0, SETVAL, 2), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto rec, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([id, &rec] {
                         struct sigaction sa = {};
                         sa.sa_handler = NoteSignal;
                         sigemptyset(&sa.sa_mask);
                         sa.sa_flags = SA_RESTART;
                         *rec = Record("sigaction(SIGUSR1)", sigaction(SIGUSR1, &sa, nullptr));
                         if (rec->failed()) return 0;
                         struct sembuf op = {0, 0, 0};
                         const struct timespec deadline = {30, 0};
                         *rec = Record("semtimedop", semtimedop(id, &op, 1, &deadline));
                         return 0;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_semop, SYS_semtimedop}));
  EXPECT_THAT(semctl(id, 0, GETZCNT), SyscallSucceedsWithValue(1))
      << "man 2 semop: \"semzcnt ... is incremented by one and the thread sleeps\"";
  ASSERT_NO_ERRNO(c.Signal(SIGUSR1));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(rec->FailedWith(EINTR))
      << "man 2 semop: a wait-for-zero whose thread \"catches a signal: the value of semzcnt is "
         "decremented and semop() fails, with errno set to EINTR\" (handler with SA_RESTART); "
         "the child's "
      << *rec;
  EXPECT_THAT(semctl(id, 0, GETZCNT), SyscallSucceedsWithValue(0))
      << "man 2 semop: \"the value of semzcnt is decremented\"";
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(2)) << "nothing was performed";
}

// man 2 semget: "A new set of nsems semaphores is created if key has the
// value IPC_PRIVATE"; NOTES: "IPC_PRIVATE isn't a flag field but a key_t
// type. If this special value is used for key, the system call ignores all
// but the least significant 9 bits of semflg and creates a new semaphore
// set (on success)." Even with IPC_CREAT | IPC_EXCL, never EEXIST.
TEST(SysvSemErrors, IpcPrivateAlwaysCreatesANewSet) {
  Sets sets;
  for (int flags : {0600, IPC_CREAT | 0600, IPC_CREAT | IPC_EXCL | 0600}) {
    int id = semget(IPC_PRIVATE, 1, flags);
    ASSERT_THAT(id, SyscallSucceeds()) << "man 2 semget: IPC_PRIVATE \"creates a new semaphore set\"";
    for (int other : sets.ids) {
      EXPECT_NE(id, other) << "man 2 semget: IPC_PRIVATE \"creates a new semaphore set\" each time";
    }
    sets.ids.push_back(id);
  }
}

// man 7 ipc_namespaces: "Each IPC namespace has its own set of System V IPC
// identifiers ... Objects created in an IPC namespace are visible to all
// other processes that are members of that namespace, but are not visible to
// processes in other IPC namespaces." "When an IPC namespace is destroyed
// (i.e., when the last process that is a member of the namespace
// terminates), all IPC objects in the namespace are automatically
// destroyed." A child in a new namespace does not find the key, creates it
// with IPC_CREAT | IPC_EXCL and uses it, and this namespace's object of the
// same key is untouched.
TEST(SysvSemErrors, SetsBelongToTheIpcNamespace) {
  IPCSPEC_NEEDS(Need::NewIpcNamespace());
  const key_t key = 0x5e5e9;
  int id = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  enum { kUnshare, kFind, kCreate, kUse };
  ASSERT_OK_AND_ASSIGN(CallRecords<4> calls, CallsInChild<4>([key](CallRecords<4>& r) {
                         r[kUnshare] = Record("unshare(CLONE_NEWIPC)", unshare(CLONE_NEWIPC));
                         if (r[kUnshare].failed()) return;
                         r[kFind] = Record("semget(key)", semget(key, 1, 0600));
                         if (!r[kFind].failed()) return;
                         int s = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
                         r[kCreate] = Record("semget(key, IPC_CREAT | IPC_EXCL)", s);
                         if (s < 0) return;
                         struct sembuf up = {0, 1, IPC_NOWAIT};
                         r[kUse] = Record("semop(+1)", semop(s, &up, 1));
                       }));
  const bool unseen_then_made = calls[kFind].FailedWith(ENOENT) && calls[kCreate].ret >= 0 &&
                                calls[kUse].ret == 0;
  EXPECT_TRUE(unseen_then_made)
      << "man 7 ipc_namespaces: in a new IPC namespace the key is \"not visible\" (a semget "
         "fails ENOENT), then IPC_CREAT | IPC_EXCL makes it there and it is used: "
      << ToString(calls);
  EXPECT_THAT(semget(key, 1, 0600), SyscallSucceedsWithValue(id))
      << "man 7 ipc_namespaces: this namespace's set is untouched by the other's";
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(0))
      << "man 7 ipc_namespaces: the increment of the other namespace's set of the same key is "
         "not in this one";
}

}  // namespace
}  // namespace ipcspec

// SIGKILL mid-update of a shared region under a process-shared robust mutex.
//
// The writer updates an 8-word record with a commit-flag protocol (write the
// new values to a shadow copy, set the commit flag, copy the shadow over the
// record, clear the flag) and is killed at every step in turn: the injector
// stops it at the entry of its Nth marker system call (getppid) between the
// steps. man 3 pthread_mutexattr_setrobust: "If the owner dies without
// unlocking the mutex, any future attempt to lock it will succeed and return
// EOWNERDEAD"; the next locker then recovers (rolls the commit forward when the
// flag is set, drops the shadow otherwise) and marks it consistent
// (man 3 pthread_mutex_consistent). The record must then be entirely the old
// values or entirely the new ones, never a mix.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "impl/inject/injector.h"
#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

constexpr int kWords = 8;

struct Region {
  pthread_mutex_t m;
  uint32_t record[kWords];
  uint32_t shadow[kWords];
  uint32_t committing;
};

void Marker() { (void)syscall(SYS_getppid); }  // a kill point

int Update(Region* r) {
  if (pthread_mutex_lock(&r->m) != 0) return 3;
  for (int i = 0; i < kWords; ++i) {
    r->shadow[i] = 200 + static_cast<uint32_t>(i);
    Marker();
  }
  r->committing = 1;
  Marker();
  for (int i = 0; i < kWords; ++i) {
    r->record[i] = r->shadow[i];
    Marker();
  }
  r->committing = 0;
  Marker();
  pthread_mutex_unlock(&r->m);
  return 0;
}

TEST(RobustCommit, AKilledWriterLeavesTheOldStateOrTheNewNeverAMix) {
  IPCSPEC_NEEDS(Need::Ptrace());
  const int kMarkers = 2 * kWords + 2;
  for (int kill_at = 1; kill_at <= kMarkers + 1; ++kill_at) {
    SCOPED_TRACE("writer killed at marker #" + std::to_string(kill_at) +
                 (kill_at > kMarkers ? " (never: it completes)" : ""));
    ASSERT_OK_AND_ASSIGN(auto region, SharedObject<Region>::Create());
    Region* r = region.get();
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    ASSERT_EQ(pthread_mutex_init(&r->m, &a), 0);
    pthread_mutexattr_destroy(&a);
    for (int i = 0; i < kWords; ++i) r->record[i] = 100 + static_cast<uint32_t>(i);

    auto out = RunInjected([r] { return Update(r); },
                           {{SYS_getppid, kill_at, InjectRule::Action::kKill}});
    ASSERT_TRUE(out.ok()) << out.error();
    bool killed = kill_at <= kMarkers;
    if (killed) {
      ASSERT_TRUE(out.value().status.KilledBy(SIGKILL)) << out.value().status;
    } else {
      ASSERT_TRUE(out.value().status.ExitedWith(0)) << out.value().status;
    }
    int rc = pthread_mutex_lock(&r->m);
    if (killed) {
      ASSERT_EQ(rc, EOWNERDEAD)
          << "man 3 pthread_mutexattr_setrobust: the next lock after the owner died must "
             "return EOWNERDEAD, got " << rc;
      if (r->committing) std::copy(r->shadow, r->shadow + kWords, r->record);  // roll forward
      r->committing = 0;
      ASSERT_EQ(pthread_mutex_consistent(&r->m), 0) << "man 3 pthread_mutex_consistent";
    } else {
      ASSERT_EQ(rc, 0);
    }
    bool all_old = true, all_new = true;
    for (int i = 0; i < kWords; ++i) {
      all_old &= r->record[i] == 100 + static_cast<uint32_t>(i);
      all_new &= r->record[i] == 200 + static_cast<uint32_t>(i);
    }
    EXPECT_TRUE(all_old || all_new) << "after recovery the record mixes old and new values";
    // Killed before the commit flag was set: the old state; after: the new.
    bool committed_before_kill = !killed || kill_at > kWords;
    EXPECT_EQ(all_new, committed_before_kill)
        << "the record must be new exactly when the commit flag was set before the kill";
    pthread_mutex_unlock(&r->m);
    pthread_mutex_destroy(&r->m);
  }
}

}  // namespace
}  // namespace ipcspec

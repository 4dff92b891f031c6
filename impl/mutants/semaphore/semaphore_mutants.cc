// Deliberately broken Semaphore Kinds. The semaphore selftest
// (suites/selftest/semaphore) passes only if the semaphore suite's properties
// reject every one of them. Each breaks one promise of the man pages, at a
// point that a short random sequence of operations reaches.
#include <sys/sem.h>

#include <atomic>

#include "impl/api/semaphore.h"
#include "impl/mutants/semaphore/futex_semaphore.h"
#include "impl/sysv_sem/sysv_sem.h"

namespace ipcspec {
namespace {

// A System V semaphore whose every 4th Post() reports success and adds
// nothing.
class LostPostSemaphore : public SysvSemaphore {
 public:
  using SysvSemaphore::SysvSemaphore;
  PosixError Post() override {
    if (++posts_ % 4 == 0) return NoError();  // BUG: the unit is lost
    return SysvSemaphore::Post();
  }

 private:
  unsigned posts_ = 0;
};

// A System V semaphore whose non-blocking multi-operation calls are done one
// semop per operation: what went through before an operation that cannot
// proceed stays done.
class SplitMultiOpSemaphore : public SysvSemaphore {
 public:
  using SysvSemaphore::SysvSemaphore;
  PosixError Apply(std::span<const int> deltas, Blocking b) override {
    if (b == Blocking::kBlock || deltas.size() < 2) return SysvSemaphore::Apply(deltas, b);
    for (size_t i = 0; i < deltas.size(); ++i) {
      PosixError e = SysvSemaphore::Apply(deltas.subspan(i, 1), b);  // BUG: not atomic
      if (!e.ok()) return e;
    }
    return NoError();
  }
};

// A System V semaphore whose blocking "take k" takes one unit at a time: it
// holds what it got while it waits for the rest.
class GreedyTakeSemaphore : public SysvSemaphore {
 public:
  using SysvSemaphore::SysvSemaphore;
  PosixError Apply(std::span<const int> deltas, Blocking b) override {
    if (b == Blocking::kBlock && deltas.size() == 1 && deltas[0] < -1) {
      static const int kMinusOne[] = {-1};
      for (int i = 0; i < -deltas[0]; ++i) {
        PosixError e = SysvSemaphore::Apply(kMinusOne, b);  // BUG: piecemeal
        if (!e.ok()) return e;
      }
      return NoError();
    }
    return SysvSemaphore::Apply(deltas, b);
  }
};

// A System V semaphore whose wait, once interrupted by a signal (EINTR),
// still takes a unit later: the next Post() is eaten by the wait that
// already reported failure.
class LateTakeAfterEintrSemaphore : public SysvSemaphore {
 public:
  using SysvSemaphore::SysvSemaphore;
  PosixError Wait() override {
    PosixError e = SysvSemaphore::Wait();
    if (e.errno_value() == EINTR) owed_ = true;
    return e;
  }
  PosixError Post() override {
    PosixError e = SysvSemaphore::Post();
    if (e.ok() && owed_) {
      owed_ = false;
      (void)SysvSemaphore::TryWait();  // BUG: the failed wait takes it after all
    }
    return e;
  }

 private:
  std::atomic<bool> owed_{false};
};

template <typename T>
PosixErrorOr<SemaphoreInstance> OpenSysvMutant(bool undo) {
  IPCSPEC_ASSIGN_OR_RETURN(SysvSemSet set, SysvSemSet::Create(IPC_PRIVATE, 1));
  return SemaphoreInstance(std::make_unique<T>(std::move(set), 0, undo));
}

SemaphoreKind Mutant(std::string name, std::string bug, SemaphoreCaps caps,
                     std::function<PosixErrorOr<SemaphoreInstance>()> open) {
  SemaphoreKind k{std::move(name), "mutant", bug, std::move(caps), std::move(open)};
  k.mutant = true;
  k.mutant_bug = std::move(bug);
  // The futex mutants stand for glibc's futex-based process-shared sem_t.
  k.base = k.caps.undo_on_exit ? "sysv_sem_undo"
           : k.name.rfind("mutant_sysv", 0) == 0 ? "sysv_sem"
                                                 : "posix_unnamed_pshared";
  return k;
}

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      Mutant("mutant_trywait_at_zero",
                             "trywait at value 0 reports success and takes nothing",
                             FutexSemaphoreCaps(), [] {
                               FutexSemBugs b;
                               b.trywait_succeeds_at_zero = true;
                               return FutexSemaphore::Create(b);
                             }));

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      Mutant("mutant_post_wakes_nobody",
                             "every 2nd post that finds sleepers adds its unit but wakes "
                             "nobody",
                             FutexSemaphoreCaps(), [] {
                               FutexSemBugs b;
                               b.skip_wake_every = 2;
                               return FutexSemaphore::Create(b);
                             }));

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      Mutant("mutant_wake_all_no_recheck",
                             "post wakes every sleeper and each woken sleeper takes a unit "
                             "without checking (value goes negative)",
                             FutexSemaphoreCaps(), [] {
                               FutexSemBugs b;
                               b.wake_all_no_recheck = true;
                               return FutexSemaphore::Create(b);
                             }));

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      Mutant("mutant_sysv_lost_post",
                             "every 4th post reports success and adds nothing",
                             SysvSemaphoreCaps(false),
                             [] { return OpenSysvMutant<LostPostSemaphore>(false); }));

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      Mutant("mutant_sysv_split_multiop",
                             "a non-blocking multi-operation semop is done one sembuf at a "
                             "time (not all-or-nothing)",
                             SysvSemaphoreCaps(false),
                             [] { return OpenSysvMutant<SplitMultiOpSemaphore>(false); }));

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      Mutant("mutant_sysv_late_take_after_eintr",
                             "a wait that failed EINTR still takes the next post",
                             SysvSemaphoreCaps(false),
                             [] { return OpenSysvMutant<LateTakeAfterEintrSemaphore>(false); }));
IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      Mutant("mutant_sysv_greedy_take",
                             "a blocking take of k units takes them one at a time, holding "
                             "what it got while it waits",
                             SysvSemaphoreCaps(false),
                             [] { return OpenSysvMutant<GreedyTakeSemaphore>(false); }));

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      Mutant("mutant_sysv_undo_claimed",
                             "claims SEM_UNDO (undo_on_exit) but its operations carry no "
                             "SEM_UNDO",
                             SysvSemaphoreCaps(true), [] { return OpenSysvSemaphore(false); }));

}  // namespace
}  // namespace ipcspec

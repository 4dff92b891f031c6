// The Lock properties.
//
// Every property drives a crew of long-lived worker processes
// (suites/common/crew.h, doing what lock_work.h says),
// each with its own handle, and keeps it across rapidcheck cases; a case that
// fails (or throws half-way) marks the rig dirty and the next case starts
// from a new lock and a new crew.
//
// What is checked, with its source (the sentence for each Kind is in
// CitesFor below and in every failure message):
//   mutual exclusion: man 2 fcntl "Advisory record locking" ("only one
//     process may hold a write lock (exclusive lock)"), "Open file description
//     locks (non-POSIX)" ("open file description locks may conflict with each
//     other when they are acquired via different open file descriptions"),
//     man 2 flock ("Only one process may hold an exclusive lock for a given
//     file at a given time"), man 3 pthread_mutexattr_setpshared
//     (PTHREAD_PROCESS_SHARED: shared "including threads in different
//     processes").
//   try-acquire while held: man 2 fcntl F_SETLK ("EACCES or EAGAIN"),
//     F_OFD_SETLK ("EAGAIN"), man 2 flock ("EWOULDBLOCK The file is locked and
//     the LOCK_NB flag was selected"), POSIX pthread_mutex_trylock (EBUSY).
//   blocking acquire waits and is handed the lock on release: man 2 fcntl
//     F_SETLKW / F_OFD_SETLKW ("wait for that lock to be released"), man 2
//     flock ("A call to flock() may block if an incompatible lock is held by
//     another process").
//   release by a non-holder: man 2 flock ("LOCK_UN Remove an existing lock
//     held by this process"), man 2 fcntl (record locks "are associated with
//     the process"), POSIX pthread_mutex_unlock (EPERM for robust and
//     error-checking mutexes the caller does not own).
//   holder death: man 2 fcntl ("record locks are automatically released when
//     the process terminates"; OFD locks "are only automatically released on
//     the last close of the open file description"), man 2 flock (released
//     "when all such file descriptors have been closed"), man 3
//     pthread_mutexattr_setrobust (PTHREAD_MUTEX_ROBUST: "will succeed and
//     return EOWNERDEAD"), man 3 pthread_mutex_consistent.
#include "suites/lock/lock_properties.h"

#include <signal.h>
#include <sys/syscall.h>

#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "impl/core/blocked.h"
#include "impl/core/coverage.h"
#include "impl/core/deadline.h"
#include "impl/core/property.h"
#include "impl/repro/repro.h"
#include "rapidcheck.h"
#include "rapidcheck/state.h"
#include "impl/core/shared_memory.h"
#include "suites/common/crew.h"
#include "suites/lock/lock_work.h"

namespace ipcspec {
namespace {

// ---------------------------------------------------------------------------
// The man page sentences, per mechanism.

struct LockCites {
  std::string exclusion;
  std::string busy;
  std::string blocking;
  std::string foreign_release;
  std::string death;
};

LockCites CitesFor(const LockKind& k) {
  if (k.mechanism == "fcntl_lock") {
    return {"man 2 fcntl, \"Advisory record locking\": \"only one process may hold a write lock "
            "(exclusive lock)\"",
            "man 2 fcntl, F_SETLK: \"If a conflicting lock is held by another process, this call "
            "returns -1 and sets errno to EACCES or EAGAIN.\"",
            "man 2 fcntl, F_SETLKW: \"if a conflicting lock is held on the file, then wait for "
            "that lock to be released\"",
            "man 2 fcntl: \"The record locks described above are associated with the process\" "
            "(F_UNLCK by another process removes none of the holder's locks)",
            "man 2 fcntl: \"record locks are automatically released when the process "
            "terminates\""};
  }
  if (k.mechanism == "ofd_lock") {
    return {"man 2 fcntl, \"Open file description locks (non-POSIX)\": \"open file description "
            "locks may conflict with each other when they are acquired via different open file "
            "descriptions\"",
            "man 2 fcntl, F_OFD_SETLK: \"If a conflicting lock is held by another process, this "
            "call returns -1 and sets errno to EAGAIN.\"",
            "man 2 fcntl, F_OFD_SETLKW: \"if a conflicting lock is held on the file, then wait "
            "for that lock to be released\"",
            "man 2 fcntl: open file description locks \"are associated with the open file "
            "description on which they are acquired\" (F_UNLCK via another description removes "
            "nothing)",
            "man 2 fcntl: open file description locks \"are only automatically released on the "
            "last close of the open file description\" (the holder's exit closes its only fd)"};
  }
  if (k.mechanism == "flock") {
    return {"man 2 flock: \"LOCK_EX Place an exclusive lock. Only one process may hold an "
            "exclusive lock for a given file at a given time.\"",
            "man 2 flock: \"EWOULDBLOCK The file is locked and the LOCK_NB flag was selected.\"",
            "man 2 flock: \"A call to flock() may block if an incompatible lock is held by "
            "another process.\"",
            "man 2 flock: \"LOCK_UN Remove an existing lock held by this process.\"",
            "man 2 flock: \"the lock is released either by an explicit LOCK_UN operation on any "
            "of these duplicate file descriptors, or when all such file descriptors have been "
            "closed\" (the holder's exit closes its only fd)"};
  }
  if (k.mechanism == "robust_mutex" || k.mechanism == "pshared_mutex") {
    return {"man 3 pthread_mutexattr_setpshared: PTHREAD_PROCESS_SHARED \"Mutexes created with "
            "this attributes object can be shared between any threads that have access to the "
            "memory containing the object, including threads in different processes\"; POSIX "
            "pthread_mutex_lock: a locked mutex blocks other lockers",
            "POSIX pthread_mutex_trylock (man 3p, not installed here): \"EBUSY The mutex could "
            "not be acquired because it was already locked.\"",
            "POSIX pthread_mutex_lock: \"If the mutex is already locked by another thread, the "
            "calling thread shall block until the mutex becomes available.\"",
            "POSIX pthread_mutex_unlock: robust and PTHREAD_MUTEX_ERRORCHECK mutexes return "
            "[EPERM] when \"the current thread does not own the mutex\"",
            "man 3 pthread_mutexattr_setrobust, PTHREAD_MUTEX_ROBUST: \"If a mutex is initialized "
            "with the PTHREAD_MUTEX_ROBUST attribute and its owner dies without unlocking it, any "
            "future attempts to call pthread_mutex_lock(3) on this mutex will succeed and return "
            "EOWNERDEAD\""};
  }
  return {"the Kind's promise of mutual exclusion between processes",
          "the Kind's documented busy errno", "the Kind's blocking acquire",
          "the Kind's release of a lock one does not hold",
          "the Kind's promise that a dead holder's lock is released"};
}

std::string Res(int e) { return e == 0 ? std::string("success") : ErrnoName(e); }

// ---------------------------------------------------------------------------
// The steps as C (impl/repro). A printable Kind's C snippet (impl/file_lock,
// impl/robust_mutex) defines lk_handle() (a worker's own handle, made in the
// worker), lk_try(), lk_acquire(), lk_release(), lk_consistent(): each the
// Kind's ONE call, returning 0 or errno. Each worker of the rig is a forked
// child; its orders are its ChildSteps.

void LockPrelude(repro::Recording& rec) {
  rec.Helper("lk_ename", R"C(/* errno's name, for the messages. */
static const char *lk_ename(int e) {
  return e == 0 ? "success" : e == EAGAIN ? "EAGAIN (EWOULDBLOCK)" : e == EACCES ? "EACCES"
       : e == EBUSY ? "EBUSY" : e == EOWNERDEAD ? "EOWNERDEAD" : e == EPERM ? "EPERM"
       : e == ETIMEDOUT ? "ETIMEDOUT" : e == ENOTRECOVERABLE ? "ENOTRECOVERABLE"
       : e == EDEADLK ? "EDEADLK" : strerror(e);
}
)C");
}

// `int e = CALL;` and the check that e is one of `want`.
std::string LockCall(const std::string& call, const std::vector<int>& want,
                     const std::string& promise, const std::string& what) {
  if (repro::Active() == nullptr) return "";  // nothing records: no cost
  std::string cond, names;
  for (size_t i = 0; i < want.size(); ++i) {
    cond += std::string(i ? " && " : "") + "e != " + (want[i] == 0 ? "0" : ErrnoName(want[i]));
    names += (i ? " or " : "") + Res(want[i]);
  }
  return "{\n  int e = " + call + ";\n  if (" + cond + ")\n    broken(" + repro::Lit(promise) +
         ",\n           " + repro::Lit(what + ": expected " + names + ", got %s") +
         ", lk_ename(e));\n}\n";
}

// The rig's workers as forked children: worker w is child slot[w] (a worker
// respawned after a kill gets a new child).
struct LockScript {
  repro::Recording* rec = nullptr;
  std::vector<int> slot;
  int next = 0;
  void Begin(int workers) {
    rec = repro::Active();
    if (rec == nullptr) return;
    LockPrelude(*rec);
    slot.clear();
    next = 0;
    for (int w = 0; w < workers; ++w) Spawn(w);
  }
  void Spawn(int w) {
    if (rec == nullptr) return;
    if (static_cast<int>(slot.size()) <= w) slot.resize(static_cast<size_t>(w) + 1, -1);
    slot[static_cast<size_t>(w)] = next++;
    rec->Fork(slot[static_cast<size_t>(w)], "fork(worker " + std::to_string(w) + ", its own handle)",
              "if (lk_handle() != 0) setup_failed(\"the worker's handle\");\n");
  }
  void Step(int w, const std::string& title, const std::string& code) {
    if (rec == nullptr) return;
    rec->ChildStep(slot[static_cast<size_t>(w)], "worker " + std::to_string(w) + ": " + title,
                   code, "this lock call returns at once (the lock is free or tried)");
  }
  // A step of worker w that blocks (an Acquire() while held): started, then
  // seen asleep in one of the Kind's wait system calls.
  void StartBlocked(int w, const std::string& title, const std::string& code,
                    const std::vector<long>& calls, const std::string& must_block,
                    const std::string& hang) {
    if (rec == nullptr) return;
    std::vector<std::string> names;
    for (long n : calls) names.push_back(SyscallName(n));
    const int c = slot[static_cast<size_t>(w)];
    rec->ChildStart(c, "worker " + std::to_string(w) + ": " + title, code, hang);
    rec->ChildBlocked(c, "worker " + std::to_string(w) + " is seen asleep in its call", names,
                      must_block);
  }
  void Await(int w, const std::string& title, const std::string& hang) {
    if (rec == nullptr) return;
    rec->ChildAwait(slot[static_cast<size_t>(w)], "worker " + std::to_string(w) + ": " + title,
                    hang);
  }
  static std::string SyscallName(long n) {
    if (n == SYS_futex) return "SYS_futex";
    if (n == SYS_fcntl) return "SYS_fcntl";
    if (n == SYS_flock) return "SYS_flock";
    return std::to_string(n);
  }
  void Kill(int w) {
    if (rec == nullptr) return;
    rec->Kill(slot[static_cast<size_t>(w)], SIGKILL,
              "kill(worker " + std::to_string(w) + ", SIGKILL) while it holds the lock");
  }
  void Unprintable(const std::string& why) {
    if (rec != nullptr) rec->Unprintable(why);
  }
};

// Kinds that cannot be made here (no OFD locks, no PI futexes): skipped.
std::optional<std::string> Unavailable(const LockKind& k) {
  static auto* cache = new std::map<std::string, std::optional<std::string>>();
  auto it = cache->find(k.name);
  if (it != cache->end()) return it->second;
  std::optional<std::string> why;
  auto inst = k.Open();
  if (!inst.ok()) {
    const int e = inst.errno_value();
    if (e == ENOSYS || e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP) {
      why = "this environment cannot make it: " + inst.error().ToString();
    }
  }
  (*cache)[k.name] = why;
  return why;
}

// ---------------------------------------------------------------------------
// The rig: one lock and its crew, kept across cases while they pass.

struct Rig {
  const LockKind* kind = nullptr;
  int workers = 3;
  std::optional<SharedObject<CriticalSection>> cs;  // the workers' critical section
  LockInstance lock;
  std::unique_ptr<Crew> crew;
  bool dirty = true;
  int holder = -1;  // the worker holding the lock, as the test made it

  // A clean rig for the next case: the same one if the last case finished
  // cleanly, else a new lock and a new crew. RC_FAIL if it cannot be made.
  void Prepare() {
    if (!dirty && crew) {
      dirty = true;  // until this case finishes cleanly
      return;
    }
    crew.reset();  // kills the old workers before their lock goes
    lock.reset();
    holder = -1;
    auto l = kind->Open();
    if (!l.ok()) RC_FAIL("opening a " + kind->name + ": " + l.error().ToString());
    lock = std::move(l).ValueOrDie();
    auto shared = SharedObject<CriticalSection>::Create();  // a new one with every crew
    if (!shared.ok()) RC_FAIL("shared memory: " + shared.error().ToString());
    cs.emplace(std::move(shared).ValueOrDie());
    auto c = Crew::Start(workers, LockWork(lock.get(), cs->get(), kind->caps.busy_errnos));
    if (!c.ok()) RC_FAIL("starting " + std::to_string(workers) + " lock workers on " +
                         lock->Describe() + ": " + c.error().ToString());
    crew = std::move(c).ValueOrDie();
    dirty = true;
  }

  // Releases what the case left held, and marks the rig clean.
  void Finish() {
    if (holder >= 0) {
      auto r = RunLockOrder(*crew, holder, WorkerOp::kRelease);
      if (!r.ok() || r.value() != 0) {
        RC_FAIL("worker " + std::to_string(holder) + ": Release() at the end of the case: " +
                (r.ok() ? Res(r.value()) : r.error().ToString()));
      }
      holder = -1;
    }
    dirty = false;
  }
};

int RunOrFail(Rig& rig, int w, WorkerOp op, uint32_t deadline_ms = 5000) {
  auto r = RunLockOrder(*rig.crew, w, op, deadline_ms);
  if (!r.ok()) {
    RC_FAIL("worker " + std::to_string(w) + " " + ToString(op) + ": " + r.error().ToString());
  }
  return r.value();
}

// ---------------------------------------------------------------------------
// MutualExclusion

PropertyOutcome MutualExclusion(const LockKind& kind) {
  Rig rig;
  rig.kind = &kind;
  rig.workers = 5;
  const LockCites cites = CitesFor(kind);
  return RunProperty(CurrentTestId(), repro::Recorded([&] {
    if (repro::Recording* rec = repro::Active()) {
      rec->Unprintable(
          "MutualExclusion's workers contend in concurrent bursts (acquire, critical section, "
          "release, many rounds at once); what it checks is the absence of any overlap in some "
          "interleaving, not a fixed sequence of steps a C file could replay");
    }
    const int procs = *rc::gen::inRange(2, rig.workers + 1);
    const int rounds = *rc::gen::inRange(1, 21);
    const auto mode = *rc::gen::element(ContendMode::kBlocking, ContendMode::kTrySpin);
    rig.Prepare();
    CriticalSection& cs = *rig.cs->get();
    const uint64_t counter0 = cs.counter.load();
    const uint32_t violations0 = cs.violations.load();
    for (int w = 0; w < procs; ++w) {
      PosixError e =
          rig.crew->Send(w, LockOrder(WorkerOp::kContend, static_cast<uint32_t>(rounds), mode));
      if (!e.ok()) RC_FAIL(e.ToString());
    }
    std::string failures;
    for (int w = 0; w < procs; ++w) {
      auto r = rig.crew->Await(w, Deadline::Default());
      if (!r.ok()) {
        failures += "\n  worker " + std::to_string(w) + ": " + r.error().ToString();
      } else if (r.value() != 0) {
        failures += "\n  worker " + std::to_string(w) + ": a lock call failed with " +
                    Res(r.value());
      }
    }
    const std::string what = std::to_string(procs) + " processes x " + std::to_string(rounds) +
                             " rounds of " +
                             (mode == ContendMode::kTrySpin ? "TryAcquire()-until-success"
                                                            : "Acquire()") +
                             " / critical section / Release()";
    if (!failures.empty()) RC_FAIL(what + ":" + failures);
    const uint32_t violations = cs.violations.load() - violations0;
    if (violations != 0) {
      RC_FAIL(what + ": " + std::to_string(violations) +
              " overlap(s) in the critical section; the first: pid " +
              std::to_string(cs.first_intruder.load()) + " came in while pid " +
              std::to_string(cs.first_inside.load()) + " was inside (" + cites.exclusion + ")");
    }
    const uint64_t added = cs.counter.load() - counter0;
    const uint64_t want = static_cast<uint64_t>(procs) * static_cast<uint64_t>(rounds);
    if (added != want) {
      RC_FAIL(what + ": the shared counter went up by " + std::to_string(added) + ", not " +
              std::to_string(want) + ": increments were lost to overlapping critical sections (" +
              cites.exclusion + ")");
    }
    rig.Finish();
  }));
}

// ---------------------------------------------------------------------------
// TryAcquireFailsWhileHeld: a state machine.

struct LockModel {
  int workers = 3;
  int holder = -1;
  bool foreign_release = false;
};

struct LockSut {
  Rig* rig;
  const LockCaps* caps;
  const LockCites* cites;
  LockScript* script;
};

using LockCommand = rc::state::Command<LockModel, LockSut>;

rc::Gen<int> AnyWorker(const LockModel& m) { return rc::gen::inRange(0, m.workers); }

std::string Who(int w) { return "worker " + std::to_string(w); }

struct AcquireFree : LockCommand {
  int w;
  explicit AcquireFree(const LockModel& m) : w(*AnyWorker(m)) {}
  void checkPreconditions(const LockModel& m) const override { RC_PRE(m.holder == -1); }
  void apply(LockModel& m) const override { m.holder = w; }
  void run(const LockModel&, LockSut& sut) const override {
    sut.script->Step(w, "Acquire() (free)",
                     LockCall("lk_acquire()", {0}, sut.cites->blocking,
                              "Acquire() of a lock nobody holds"));
    const int r = RunOrFail(*sut.rig, w, WorkerOp::kAcquire);
    if (r != 0) {
      RC_FAIL(Who(w) + ": Acquire() of a lock nobody holds failed with " + Res(r) + " (" +
              sut.cites->blocking + ")");
    }
    sut.rig->holder = w;
  }
  void show(std::ostream& os) const override { os << Who(w) << ": Acquire() (free)"; }
};

struct Try : LockCommand {
  int w;
  explicit Try(const LockModel& m) : w(*AnyWorker(m)) {}
  void checkPreconditions(const LockModel& m) const override { RC_PRE(m.holder != w); }
  void apply(LockModel& m) const override {
    if (m.holder == -1) m.holder = w;
  }
  void run(const LockModel& m, LockSut& sut) const override {
    if (m.holder == -1) {
      sut.script->Step(w, "TryAcquire() (free)",
                       LockCall("lk_try()", {0}, sut.cites->busy,
                                "TryAcquire() of a lock nobody holds"));
    } else {
      sut.script->Step(w, "TryAcquire() (held by worker " + std::to_string(m.holder) + ")",
                       LockCall("lk_try()", sut.caps->busy_errnos, sut.cites->busy,
                                "TryAcquire() while worker " + std::to_string(m.holder) +
                                    " (another process) holds the lock"));
    }
    const int r = RunOrFail(*sut.rig, w, WorkerOp::kTryAcquire);
    if (m.holder == -1) {
      if (r != 0) {
        RC_FAIL(Who(w) + ": TryAcquire() of a lock nobody holds failed with " + Res(r));
      }
      sut.rig->holder = w;
      return;
    }
    if (!ErrnoIn(r, sut.caps->busy_errnos)) {
      RC_FAIL(Who(w) + ": TryAcquire() while " + Who(m.holder) + " (another process) holds "
              "the lock: expected " + FormatErrnos(sut.caps->busy_errnos) + ", got " + Res(r) +
              (r == 0 ? " -- both now think they hold it" : "") + " (" + sut.cites->busy + ")");
    }
  }
  void show(std::ostream& os) const override { os << Who(w) << ": TryAcquire()"; }
};

struct ReleaseHeld : LockCommand {
  void checkPreconditions(const LockModel& m) const override { RC_PRE(m.holder != -1); }
  void apply(LockModel& m) const override { m.holder = -1; }
  void run(const LockModel& m, LockSut& sut) const override {
    sut.script->Step(m.holder, "Release() (it holds the lock)",
                     LockCall("lk_release()", {0}, sut.cites->exclusion,
                              "Release() of the lock it holds"));
    const int r = RunOrFail(*sut.rig, m.holder, WorkerOp::kRelease);
    if (r != 0) RC_FAIL(Who(m.holder) + ": Release() of the lock it holds failed: " + Res(r));
    sut.rig->holder = -1;
  }
  void show(std::ostream& os) const override { os << "the holder: Release()"; }
};

struct ForeignRelease : LockCommand {
  int w;
  explicit ForeignRelease(const LockModel& m) : w(*AnyWorker(m)) {}
  void checkPreconditions(const LockModel& m) const override {
    const bool ok = m.foreign_release && m.holder != -1 && m.holder != w;
    RC_PRE(ok);
  }
  void apply(LockModel&) const override {}
  void run(const LockModel& m, LockSut& sut) const override {
    const int want = sut.caps->foreign_release_errno;
    sut.script->Step(
        w, "Release() without holding it, then TryAcquire()",
        LockCall("lk_release()", {want}, sut.cites->foreign_release,
                 "Release() of a lock held by worker " + std::to_string(m.holder)) +
            LockCall("lk_try()", sut.caps->busy_errnos, sut.cites->foreign_release,
                     "after its Release() of a lock it did not hold, TryAcquire() (the release "
                     "must not take away worker " + std::to_string(m.holder) + "'s lock)"));
    const int r = RunOrFail(*sut.rig, w, WorkerOp::kRelease);
    if (r != want) {
      RC_FAIL(Who(w) + ": Release() of a lock held by " + Who(m.holder) + ": expected " +
              Res(want) + ", got " + Res(r) + " (" + sut.cites->foreign_release + ")");
    }
    const int t = RunOrFail(*sut.rig, w, WorkerOp::kTryAcquire);
    if (!ErrnoIn(t, sut.caps->busy_errnos)) {
      if (t == 0) sut.rig->holder = -1;  // two holders now: let the rig be rebuilt
      RC_FAIL(Who(w) + ": after its Release() of a lock it did not hold, its TryAcquire() "
              "gave " + Res(t) + " instead of " + FormatErrnos(sut.caps->busy_errnos) + ": " +
              "the release took away " + Who(m.holder) + "'s lock (" +
              sut.cites->foreign_release + ")");
    }
  }
  void show(std::ostream& os) const override {
    os << Who(w) << ": Release() without holding it, then TryAcquire()";
  }
};

struct HandOff : LockCommand {
  int w;
  explicit HandOff(const LockModel& m) : w(*AnyWorker(m)) {}
  void checkPreconditions(const LockModel& m) const override {
    const bool ok = m.holder != -1 && m.holder != w;
    RC_PRE(ok);
  }
  void apply(LockModel& m) const override { m.holder = w; }
  void run(const LockModel& m, LockSut& sut) const override {
    sut.script->StartBlocked(
        w, "Acquire() while worker " + std::to_string(m.holder) + " holds the lock (blocks)",
        LockCall("lk_acquire()", {0}, sut.cites->blocking,
                 "Acquire() that waited for worker " + std::to_string(m.holder) + "'s release"),
        sut.caps->wait_syscalls, sut.cites->blocking,
        "the waiter is handed the lock when its holder releases it: " + sut.cites->blocking);
    sut.script->Step(m.holder, "Release() with a waiter",
                     LockCall("lk_release()", {0}, sut.cites->exclusion,
                              "Release() of the lock it holds, with a waiter"));
    sut.script->Await(w, "is handed the lock",
                      "the waiter is handed the lock when its holder releases it: " +
                          sut.cites->blocking);
    Crew& crew = *sut.rig->crew;
    PosixError e = crew.Send(w, LockOrder(WorkerOp::kAcquire, 0, ContendMode::kBlocking, 5000));
    if (!e.ok()) RC_FAIL(e.ToString());
    auto p = crew.FinishedOrBlocked(w, sut.caps->wait_syscalls,
                                    Deadline::In(std::chrono::seconds(5)));
    if (!p.ok()) RC_FAIL(Who(w) + ": blocking Acquire() while " + Who(m.holder) +
                         " holds the lock: " + p.error().ToString());
    if (p.value() == Crew::Outcome::kFinished) {
      auto r = crew.Await(w, Deadline::Default());
      RC_FAIL(Who(w) + ": Acquire() while " + Who(m.holder) +
              " holds the lock returned at once with " +
              (r.ok() ? Res(r.value()) : r.error().ToString()) + " instead of waiting (" +
              sut.cites->blocking + ")");
    }
    const int rel = RunOrFail(*sut.rig, m.holder, WorkerOp::kRelease);
    if (rel != 0) RC_FAIL(Who(m.holder) + ": Release() with a waiter: " + Res(rel));
    sut.rig->holder = -1;
    auto r = crew.Await(w, Deadline::In(std::chrono::seconds(5)));
    if (!r.ok() || r.value() != 0) {
      RC_FAIL(Who(w) + ": blocked in Acquire(), was not handed the lock when " +
              Who(m.holder) + " released it: " +
              (r.ok() ? Res(r.value()) : r.error().ToString()) + " (" + sut.cites->blocking +
              ")");
    }
    sut.rig->holder = w;
  }
  void show(std::ostream& os) const override {
    os << Who(w) << ": Acquire() blocks while held; the holder releases; " << Who(w)
       << " gets it";
  }
};

PropertyOutcome TryAcquireFailsWhileHeld(const LockKind& kind) {
  Rig rig;
  rig.kind = &kind;
  rig.workers = 3;
  const LockCites cites = CitesFor(kind);
  return RunProperty(CurrentTestId(), repro::Recorded([&] {
    LockModel m0;
    m0.workers = rig.workers;
    m0.foreign_release = kind.caps.foreign_release_defined;
    // Short sequences: each step is a round trip to a worker process.
    const auto cmds = *rc::gen::scale(
        0.3, rc::state::gen::commands(
                 m0, rc::state::gen::execOneOfWithArgs<AcquireFree, Try, Try, Try, ReleaseHeld,
                                                       ReleaseHeld, ForeignRelease, HandOff>()));
    rig.Prepare();
    LockScript script;
    script.Begin(rig.workers);
    LockSut sut{&rig, &kind.caps, &cites, &script};
    rc::state::runAll(cmds, m0, sut);
    rig.Finish();
  }));
}

// ---------------------------------------------------------------------------
// ReleasedWhenHolderDies

constexpr const char* kReleasedWhenHolderDiesCites =
    "man 2 fcntl (\"record locks are automatically released when the process terminates\"), "
    "man 2 flock, man 3 pthread_mutexattr_setrobust (PTHREAD_MUTEX_ROBUST: \"will succeed "
    "and return EOWNERDEAD\"), man 3 pthread_mutex_consistent";
constexpr const char* kWaiterBlockedAtDeath = "a waiter was blocked in Acquire() when the holder died";

PropertyOutcome ReleasedWhenHolderDies(const LockKind& kind) {
  Rig rig;
  rig.kind = &kind;
  rig.workers = 3;
  const LockCites cites = CitesFor(kind);
  const bool robust = kind.caps.robust;
  Coverage cov("ReleasedWhenHolderDies", kReleasedWhenHolderDiesCites,
               {{kWaiterBlockedAtDeath, 20}});
  return cov.Judge(RunProperty(CurrentTestId(), repro::Recorded([&] {
    Coverage::Case counted(cov);
    const int holder = *rc::gen::inRange(0, rig.workers);
    // Someone blocked in Acquire() when the holder dies, or nobody.
    const bool waiter = *rc::gen::arbitrary<bool>();
    // Without a waiter: the next acquirer (any worker, the dead one's slot is
    // a fresh process) uses TryAcquire() or Acquire().
    const int next = *rc::gen::inRange(0, rig.workers);
    const bool next_tries = *rc::gen::arbitrary<bool>();
    const int want = robust ? EOWNERDEAD : 0;
    const std::string want_text =
        robust ? "EOWNERDEAD (acquired; the owner died)" : "success";
    rig.Prepare();
    LockScript script;
    script.Begin(rig.workers);
    script.Step(holder, "Acquire() (free)",
                LockCall("lk_acquire()", {0}, cites.blocking, "Acquire() of a free lock"));
    Crew& crew = *rig.crew;
    const int a = RunOrFail(rig, holder, WorkerOp::kAcquire);
    if (a != 0) RC_FAIL(Who(holder) + ": Acquire() of a free lock: " + Res(a));
    rig.holder = holder;
    const int w = (holder + 1) % rig.workers;
    if (waiter) {
      script.StartBlocked(
          w, "Acquire() while worker " + std::to_string(holder) + " holds the lock (blocks)",
          LockCall("lk_acquire()", {want}, cites.death,
                   "worker " + std::to_string(w) + ", blocked in Acquire() when worker " +
                       std::to_string(holder) + " was killed holding the lock"),
          kind.caps.wait_syscalls, cites.blocking,
          "the dead holder's lock is released and the waiter gets it: " + cites.death);
      PosixError e = crew.Send(w, LockOrder(WorkerOp::kAcquire, 0, ContendMode::kBlocking, 3000));
      if (!e.ok()) RC_FAIL(e.ToString());
      auto p = crew.FinishedOrBlocked(w, kind.caps.wait_syscalls,
                                      Deadline::In(std::chrono::seconds(5)));
      if (!p.ok()) RC_FAIL(Who(w) + ": Acquire() while held: " + p.error().ToString());
      if (p.value() == Crew::Outcome::kFinished) {
        auto r = crew.Await(w, Deadline::Default());
        RC_FAIL(Who(w) + ": Acquire() while " + Who(holder) + " holds the lock returned at once: " +
                (r.ok() ? Res(r.value()) : r.error().ToString()) + " (" + cites.blocking + ")");
      }
      Coverage::Reached(kWaiterBlockedAtDeath);
    }
    // How often the waiter had gone to sleep, seen asleep in the lock call
    // with the holder alive: unchanged later while it is asleep, it never ran.
    std::optional<uint64_t> sleeps_before;
    if (waiter) {
      auto n = VoluntarySwitches(crew.pid(w));
      if (n.ok()) sleeps_before = n.value();
    }
    script.Kill(holder);
    script.Spawn(holder);
    if (waiter) {
      script.Await(w, "is handed the dead holder's lock",
                   "the dead holder's lock is released and the waiter woken: " + cites.death);
    }
    auto st = crew.Kill(holder);
    if (!st.ok()) RC_FAIL("SIGKILL of the holder: " + st.error().ToString());
    if (!st.value().KilledBy(SIGKILL)) {
      RC_FAIL("the holder, sent SIGKILL, " + st.value().ToString());
    }
    rig.holder = -1;
    PosixError sp = crew.Respawn(holder);
    if (!sp.ok()) RC_FAIL("a new worker in the dead holder's slot: " + sp.ToString());
    int taker;
    int got = -1;
    std::string how;
    if (waiter) {
      taker = w;
      how = Who(w) + ", blocked in Acquire() when the holder was killed,";
      // The holder's exit releases the lock and wakes the waiter before the
      // holder can be reaped, so from then on the waiter is runnable, done,
      // or (woken, it lost a race) asleep again with a higher count of
      // voluntary switches. Asleep in the lock call with the count it had
      // before the kill: it was never woken. Where the count or the system
      // call cannot be read (gVisor), only the 4 s limit decides.
      Deadline limit = Deadline::In(std::chrono::seconds(4));
      for (;;) {
        auto r = crew.Await(w, Deadline::In(std::chrono::milliseconds(10)));
        if (r.ok()) {
          got = r.value();
          break;
        }
        if (r.errno_value() != ETIMEDOUT || limit.Expired()) {
          RC_FAIL(how + " was not woken: " + r.error().ToString() +
                  (r.errno_value() == ETIMEDOUT ? ": the dead holder's lock was never released"
                                                : "") +
                  " (" + cites.death + ")");
        }
        if (sleeps_before && BlockedDetection() == "state+syscall") {
          auto p = crew.FinishedOrBlocked(w, kind.caps.wait_syscalls,
                                          Deadline::In(std::chrono::milliseconds(0)));
          auto n = VoluntarySwitches(crew.pid(w));
          if (p.ok() && p.value() == Crew::Outcome::kBlocked && n.ok() &&
              n.value() == *sleeps_before) {
            RC_FAIL(how + " is still asleep in it after the holder was reaped, not woken "
                    "once since (voluntary_ctxt_switches unchanged): the dead holder's lock "
                    "was never released (" + cites.death + ")");
          }
        }
      }
    } else {
      taker = next;
      how = Who(next) + (next == holder ? " (a new process in the dead one's slot)" : "") +
            (next_tries ? ": TryAcquire()" : ": Acquire()");
      // The lock is free by the time the holder is reaped: an Acquire() has
      // nothing to wait for, and the short deadline only bounds a broken one.
      script.Step(next, next_tries ? "TryAcquire() after the holder's death"
                                   : "Acquire() after the holder's death",
                  LockCall(next_tries ? "lk_try()" : "lk_acquire()", {want}, cites.death,
                           "after SIGKILL of worker " + std::to_string(holder) +
                               " while it held the lock (reaped), " + how));
      got = RunOrFail(rig, next, next_tries ? WorkerOp::kTryAcquire : WorkerOp::kAcquire, 250);
    }
    if (got == 0 || got == EOWNERDEAD) rig.holder = taker;
    if (got != want) {
      RC_FAIL("after SIGKILL of " + Who(holder) + " while it held the lock (reaped), " + how +
              " gave " + Res(got) + ", expected " + want_text +
              (ErrnoIn(got, kind.caps.busy_errnos) || got == ETIMEDOUT
                   ? ": the dead holder's lock was never released"
                   : "") +
              " (" + cites.death + ")");
    }
    if (robust) {
      script.Step(taker, "MakeConsistent()",
                  LockCall("lk_consistent()", {0},
                           "man 3 pthread_mutex_consistent: \"This function makes a robust mutex "
                           "consistent if it is in an inconsistent state.\"",
                           "MakeConsistent() after EOWNERDEAD"));
    }
    if (robust) {
      const int c = RunOrFail(rig, taker, WorkerOp::kMakeConsistent);
      if (c != 0) {
        RC_FAIL(Who(taker) + ": MakeConsistent() after EOWNERDEAD gave " + Res(c) +
                " (man 3 pthread_mutex_consistent: \"This function makes a robust mutex "
                "consistent if it is in an inconsistent state.\")");
      }
    }
    script.Step(taker, "Release() of the inherited lock",
                LockCall("lk_release()", {0}, cites.death, "Release() of the inherited lock"));
    const int rel = RunOrFail(rig, taker, WorkerOp::kRelease);
    if (rel != 0) RC_FAIL(Who(taker) + ": Release() of the inherited lock: " + Res(rel));
    rig.holder = -1;
    // Usable as before: another process takes and gives it back.
    const int other = (taker + 1) % rig.workers;
    script.Step(other, "TryAcquire() (free again)",
                LockCall("lk_try()", {0}, cites.death,
                         std::string("after the holder's death and the taker's ") +
                             (robust ? "MakeConsistent() and " : "") + "Release(), TryAcquire()"));
    const int t = RunOrFail(rig, other, WorkerOp::kTryAcquire);
    if (t != 0) {
      RC_FAIL("after the holder's death and " + Who(taker) + "'s " +
              (robust ? "MakeConsistent() and " : "") + "Release(), " + Who(other) +
              ": TryAcquire() gave " + Res(t) + " instead of success" +
              (robust ? " (man 3 pthread_mutex_consistent: the mutex is consistent again)" : ""));
    }
    rig.holder = other;
    rig.Finish();
  })));
}

// ---------------------------------------------------------------------------
// StaysHeldWhenHolderDies: the other side of ReleasedWhenHolderDies, for the
// Kinds that claim released_on_holder_death = false (a PTHREAD_MUTEX_STALLED
// mutex; a library's non-robust mutex). The holder is SIGKILLed and reaped;
// then a waiter that was blocked in Acquire() is never handed the lock (its
// deadline passes: ETIMEDOUT), and a TryAcquire() by anybody finds it busy.
// This is the hang a user of such a lock meets, shown with a deadline.

std::string StalledCite(const LockKind& k) {
  if (k.mechanism == "robust_mutex" || k.mechanism == "pshared_mutex") {
    return "man 3 pthread_mutexattr_setrobust, PTHREAD_MUTEX_STALLED: \"If a mutex is "
           "initialized with the PTHREAD_MUTEX_STALLED attribute and its owner dies without "
           "unlocking it, the mutex remains locked afterwards and any future attempts to call "
           "pthread_mutex_lock(3) on the mutex will block indefinitely.\"";
  }
  return "the Kind claims released_on_holder_death = false: a dead holder's lock stays held";
}

PropertyOutcome StaysHeldWhenHolderDies(const LockKind& kind) {
  Rig rig;
  rig.kind = &kind;
  rig.workers = 3;
  const std::string cite = StalledCite(kind);
  // Each case leaves its lock held for good, so each makes a new lock and
  // crew: a few cases.
  const uint64_t seed = ScopedPropertyParams::Current()
                            ? ScopedPropertyParams::Current()->seed()
                            : rc::detail::configuration().testParams.seed;
  ScopedPropertyParams few(seed, 8);
  return RunProperty(CurrentTestId(), repro::Recorded([&] {
    const int holder = *rc::gen::inRange(0, rig.workers);
    const bool waiter = *rc::gen::arbitrary<bool>();
    const uint32_t wait_ms = 100;  // a timed wait that must run out: its length proves nothing more
    rig.dirty = true;  // a new lock and crew for every case
    rig.Prepare();
    LockScript script;
    script.Begin(rig.workers);
    script.Step(holder, "Acquire() (free)",
                LockCall("lk_acquire()", {0}, cite, "Acquire() of a free lock"));
    Crew& crew = *rig.crew;
    const int a = RunOrFail(rig, holder, WorkerOp::kAcquire);
    if (a != 0) RC_FAIL(Who(holder) + ": Acquire() of a free lock: " + Res(a));
    const int w = (holder + 1) % rig.workers;
    if (waiter && script.rec != nullptr) {
      // Started, not seen asleep: its deadline may pass first, which is
      // what the property expects anyway (as the property does).
      script.rec->ChildStart(
          script.slot[static_cast<size_t>(w)],
          "worker " + std::to_string(w) + ": Acquire() with a " + std::to_string(wait_ms) +
              " ms deadline while worker " + std::to_string(holder) + " holds the lock",
          LockCall("lk_acquire_ms(" + std::to_string(wait_ms) + ")", {ETIMEDOUT}, cite,
                   "worker " + std::to_string(w) + ", in Acquire() when worker " +
                       std::to_string(holder) + " was killed holding the lock (the Kind claims "
                       "the lock stays held)"),
          "a timed lock returns by its deadline");
    }
    script.Kill(holder);
    script.Spawn(holder);
    if (waiter) script.Await(w, "its timed Acquire() ends", "a timed lock returns by its deadline");
    {
      const int other = (holder + 2) % rig.workers;
      script.Step(other, "TryAcquire() after the holder's death",
                  LockCall("lk_try()", kind.caps.busy_errnos, cite,
                           "after SIGKILL of worker " + std::to_string(holder) +
                               " while it held the lock, TryAcquire()"));
    }
    if (waiter) {
      PosixError e =
          crew.Send(w, LockOrder(WorkerOp::kAcquire, 0, ContendMode::kBlocking, wait_ms));
      if (!e.ok()) RC_FAIL(e.ToString());
    }
    auto st = crew.Kill(holder);
    if (!st.ok()) RC_FAIL("SIGKILL of the holder: " + st.error().ToString());
    if (!st.value().KilledBy(SIGKILL)) RC_FAIL("the holder, sent SIGKILL, " + st.value().ToString());
    PosixError sp = crew.Respawn(holder);
    if (!sp.ok()) RC_FAIL("a new worker in the dead holder's slot: " + sp.ToString());
    if (waiter) {
      auto r = crew.Await(w, Deadline::In(std::chrono::seconds(5)));
      if (!r.ok()) RC_FAIL(Who(w) + ": Acquire() with a " + std::to_string(wait_ms) +
                           " ms deadline did not return: " + r.error().ToString());
      if (r.value() != ETIMEDOUT) {
        RC_FAIL(Who(w) + ", blocked in Acquire() when the holder was killed, got " +
                Res(r.value()) + " instead of ETIMEDOUT at its deadline: the dead holder's lock "
                "was handed on, but the Kind claims it stays held (" + cite + ")");
      }
    }
    const int other = (holder + 2) % rig.workers;
    const int t = RunOrFail(rig, other, WorkerOp::kTryAcquire);
    if (!ErrnoIn(t, kind.caps.busy_errnos)) {
      RC_FAIL("after SIGKILL of " + Who(holder) + " while it held the lock, " + Who(other) +
              ": TryAcquire() gave " + Res(t) + " instead of " +
              FormatErrnos(kind.caps.busy_errnos) + " (" + cite + ")");
    }
    // The lock stays held for good: the rig stays dirty, the next case (and
    // the Rig's destructor) throws it away.
  }));
}

std::optional<std::string> NeedsStalledOnDeath(const LockKind& k) {
  if (auto why = Unavailable(k)) return why;
  if (k.caps.released_on_holder_death) {
    return std::string("released when its holder dies: ReleasedWhenHolderDies checks that");
  }
  return std::nullopt;
}

std::optional<std::string> NeedsReleaseOnDeath(const LockKind& k) {
  if (auto why = Unavailable(k)) return why;
  if (!k.caps.released_on_holder_death) {
    return std::string(
        "not released when its holder dies (PTHREAD_MUTEX_STALLED, man 3 "
        "pthread_mutexattr_setrobust: \"the mutex remains locked afterwards\"); "
        "suites/robust_mutex checks that");
  }
  return std::nullopt;
}

}  // namespace

const std::vector<SuiteProperty<LockInterface>>& LockProperties() {
  static const auto* props = new std::vector<SuiteProperty<LockInterface>>{
      {"MutualExclusion",
       "man 2 fcntl \"Advisory record locking\" and \"Open file description locks "
       "(non-POSIX)\", man 2 flock (LOCK_EX: \"Only one process may hold an exclusive lock for a "
       "given file at a given time\"), man 3 pthread_mutexattr_setpshared "
       "(PTHREAD_PROCESS_SHARED)",
       Unavailable, MutualExclusion},
      {"TryAcquireFailsWhileHeld",
       "man 2 fcntl F_SETLK (\"EACCES or EAGAIN\"), F_OFD_SETLK (\"EAGAIN\"), F_SETLKW (\"wait "
       "for that lock to be released\"); man 2 flock (\"EWOULDBLOCK The file is locked and the "
       "LOCK_NB flag was selected\", LOCK_UN \"Remove an existing lock held by this process\"); "
       "POSIX pthread_mutex_trylock (EBUSY), pthread_mutex_unlock (EPERM)",
       Unavailable, TryAcquireFailsWhileHeld},
      {"ReleasedWhenHolderDies", kReleasedWhenHolderDiesCites,
       NeedsReleaseOnDeath, ReleasedWhenHolderDies},
      {"StaysHeldWhenHolderDies",
       "man 3 pthread_mutexattr_setrobust (PTHREAD_MUTEX_STALLED: \"the mutex remains locked "
       "afterwards and any future attempts to call pthread_mutex_lock(3) on the mutex will block "
       "indefinitely\"); for a library's non-robust lock, what its caps claim",
       NeedsStalledOnDeath, StaysHeldWhenHolderDies},
  };
  return *props;
}

}  // namespace ipcspec

#include "suites/lock/lock_crew.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>

#include "impl/core/blocked.h"

namespace ipcspec {
namespace {

// Shared (not FUTEX_PRIVATE) futex calls: the other side is another process.
void FutexWake(std::atomic<uint32_t>* w) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

// Sleeps while *w == seen, at most `slice` (and never past the deadline).
void FutexWaitSlice(std::atomic<uint32_t>* w, uint32_t seen, const Deadline& d,
                    std::chrono::milliseconds slice) {
  struct timespec left = d.RemainingTimespec();
  const long long slice_ns = static_cast<long long>(slice.count()) * 1000000LL;
  const long long left_ns = static_cast<long long>(left.tv_sec) * 1000000000LL + left.tv_nsec;
  const long long ns = std::min(slice_ns, left_ns);
  struct timespec t = {static_cast<time_t>(ns / 1000000000LL),
                      static_cast<long>(ns % 1000000000LL)};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAIT, seen, &t, nullptr, 0);
}

bool IsBusy(int e, const std::vector<int>& busy) {
  return std::find(busy.begin(), busy.end(), e) != busy.end();
}

void CriticalSectionBody(CriticalSection& cs) {
  const int32_t me = static_cast<int32_t>(getpid());
  const int32_t inside = cs.owner.exchange(me, std::memory_order_acq_rel);
  if (inside != 0) {
    if (cs.violations.fetch_add(1) == 0) {
      cs.first_inside.store(inside);
      cs.first_intruder.store(me);
    }
  }
  // A load and a store apart, with a chance for another process to run in
  // between: two processes inside at once lose an increment.
  const uint64_t c = cs.counter.load(std::memory_order_relaxed);
  sched_yield();
  cs.counter.store(c + 1, std::memory_order_relaxed);
  int32_t expected = me;
  if (!cs.owner.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
    if (cs.violations.fetch_add(1) == 0) {
      cs.first_inside.store(me);
      cs.first_intruder.store(expected);
    }
  }
}

PosixError TrySpin(LockHandle& h, const std::vector<int>& busy, const Deadline& d) {
  for (;;) {
    PosixError e = h.TryAcquire();
    if (e.ok() || !IsBusy(e.errno_value(), busy)) return e;
    if (d.Expired()) return PosixError(ETIMEDOUT, "TryAcquire() never succeeded");
    sched_yield();
  }
}

int Contend(LockHandle& h, CriticalSection& cs, uint32_t rounds, ContendMode mode,
            const std::vector<int>& busy, uint32_t deadline_ms) {
  for (uint32_t i = 0; i < rounds; ++i) {
    Deadline d = Deadline::In(std::chrono::milliseconds(deadline_ms));
    PosixError e = mode == ContendMode::kTrySpin ? TrySpin(h, busy, d) : h.Acquire(d);
    if (!e.ok()) return e.errno_value();
    CriticalSectionBody(cs);
    e = h.Release();
    if (!e.ok()) return e.errno_value();
  }
  return 0;
}

int Execute(LockHandle& h, WorkerBox& box, CriticalSection& cs, const std::vector<int>& busy) {
  const auto op = static_cast<WorkerOp>(box.op.load());
  const uint32_t deadline_ms = box.deadline_ms.load();
  switch (op) {
    case WorkerOp::kAcquire:
      return h.Acquire(Deadline::In(std::chrono::milliseconds(deadline_ms))).errno_value();
    case WorkerOp::kTryAcquire:
      return h.TryAcquire().errno_value();
    case WorkerOp::kRelease:
      return h.Release().errno_value();
    case WorkerOp::kMakeConsistent:
      return h.MakeConsistent().errno_value();
    case WorkerOp::kContend:
      return Contend(h, cs, box.rounds.load(), static_cast<ContendMode>(box.mode.load()), busy,
                     deadline_ms);
  }
  return EINVAL;
}

// The worker's whole life; returns its exit code.
int WorkerMain(Lock* lock, CrewBoard* board, int w, const std::vector<int>* busy) {
  WorkerBox& box = board->box[w];
  auto h = lock->NewHandle();
  if (!h.ok()) {
    box.ready_errno.store(h.errno_value() != 0 ? h.errno_value() : EIO);
    box.ready.store(1);
    FutexWake(&box.ready);
    return 2;
  }
  std::unique_ptr<LockHandle> handle = std::move(h).ValueOrDie();
  box.ready.store(1);
  FutexWake(&box.ready);
  uint32_t seen = 0;
  for (;;) {
    Deadline idle = Deadline::In(std::chrono::minutes(2));
    while (box.posted.load(std::memory_order_acquire) == seen) {
      if (idle.Expired()) return 3;  // the parent went away without a word
      FutexWaitSlice(&box.posted, seen, idle, std::chrono::seconds(1));
    }
    seen = box.posted.load(std::memory_order_acquire);
    box.started.store(seen, std::memory_order_release);
    box.result.store(Execute(*handle, box, board->cs, *busy), std::memory_order_release);
    box.finished.store(seen, std::memory_order_release);
    FutexWake(&box.finished);
  }
}

}  // namespace

std::ostream& operator<<(std::ostream& os, ContendMode m) {
  return os << (m == ContendMode::kTrySpin ? "TryAcquire() until it succeeds" : "Acquire()");
}

const char* ToString(WorkerOp op) {
  switch (op) {
    case WorkerOp::kAcquire:
      return "Acquire()";
    case WorkerOp::kTryAcquire:
      return "TryAcquire()";
    case WorkerOp::kRelease:
      return "Release()";
    case WorkerOp::kMakeConsistent:
      return "MakeConsistent()";
    case WorkerOp::kContend:
      return "contend";
  }
  return "?";
}

PosixErrorOr<std::unique_ptr<LockCrew>> LockCrew::Start(Lock* lock, int n,
                                                        std::vector<int> busy) {
  if (n < 1 || n > kMaxLockWorkers) return PosixError(EINVAL, "LockCrew::Start: bad size");
  IPCSPEC_ASSIGN_OR_RETURN(auto board, SharedObject<CrewBoard>::Create());
  std::unique_ptr<LockCrew> crew(new LockCrew(std::move(board)));
  crew->lock_ = lock;
  crew->busy_ = std::move(busy);
  crew->workers_.resize(static_cast<size_t>(n));
  for (int w = 0; w < n; ++w) IPCSPEC_RETURN_IF_ERROR(crew->Spawn(w));
  return crew;
}

PosixError LockCrew::Spawn(int w) {
  WorkerBox& box = board_->box[w];
  box.ready.store(0);
  box.ready_errno.store(0);
  box.posted.store(0);
  box.started.store(0);
  box.finished.store(0);
  box.result.store(0);
  Lock* lock = lock_;
  CrewBoard* board = board_.get();
  const std::vector<int>* busy = &busy_;
  IPCSPEC_ASSIGN_OR_RETURN(Child c, Child::Fork([lock, board, w, busy] {
                             return WorkerMain(lock, board, w, busy);
                           }));
  workers_[static_cast<size_t>(w)] = std::move(c);
  Deadline d = Deadline::Default();
  while (box.ready.load() == 0) {
    if (d.Expired()) {
      return PosixError(ETIMEDOUT, "lock worker " + std::to_string(w) + " never got ready");
    }
    FutexWaitSlice(&box.ready, 0, d, std::chrono::milliseconds(50));
  }
  if (box.ready_errno.load() != 0) {
    return PosixError(box.ready_errno.load(), "lock worker " + std::to_string(w) +
                                                  ": NewHandle() on " + lock_->Describe());
  }
  return NoError();
}

PosixError LockCrew::Post(int w, WorkerOp op, uint32_t rounds, ContendMode mode,
                          uint32_t deadline_ms) {
  WorkerBox& box = board_->box[w];
  const uint32_t n = box.posted.load();
  if (box.finished.load() != n) {
    return PosixError(EBUSY, "LockCrew::Post: worker " + std::to_string(w) +
                                 " has not finished its previous order");
  }
  box.op.store(static_cast<uint32_t>(op));
  box.rounds.store(rounds);
  box.mode.store(static_cast<uint32_t>(mode));
  box.deadline_ms.store(deadline_ms);
  box.posted.store(n + 1, std::memory_order_release);
  FutexWake(&box.posted);
  return NoError();
}

bool LockCrew::Finished(int w) const {
  const WorkerBox& box = board_->box[w];
  return box.finished.load(std::memory_order_acquire) == box.posted.load();
}

PosixErrorOr<int> LockCrew::Await(int w, const Deadline& deadline) {
  WorkerBox& box = board_->box[w];
  const uint32_t want = box.posted.load();
  for (int slice = 0;; ++slice) {
    const uint32_t f = box.finished.load(std::memory_order_acquire);
    if (f == want) return static_cast<int>(box.result.load(std::memory_order_acquire));
    // A worker that died can never answer: look after every slice.
    Child& c = workers_[static_cast<size_t>(w)];
    if (slice > 0 && c.running()) {
      auto st = c.Wait(Deadline::In(std::chrono::milliseconds(0)));
      if (st.ok()) {
        return PosixError(ECHILD, "lock worker " + std::to_string(w) + " " +
                                      st.value().ToString() + " before finishing its order");
      }
    }
    if (deadline.Expired()) {
      auto snap = SnapshotTask(pid(w));
      return PosixError(ETIMEDOUT, "lock worker " + std::to_string(w) + " (pid " +
                                       std::to_string(pid(w)) + ") did not finish " +
                                       ToString(static_cast<WorkerOp>(box.op.load())) +
                                       " by the deadline; it is " +
                                       (snap.ok() ? snap.value().ToString() : "gone"));
    }
    FutexWaitSlice(&box.finished, f, deadline, std::chrono::milliseconds(20));
  }
}

PosixErrorOr<int> LockCrew::Run(int w, WorkerOp op, uint32_t deadline_ms) {
  IPCSPEC_RETURN_IF_ERROR(Post(w, op, 0, ContendMode::kBlocking, deadline_ms));
  return Await(w, Deadline::In(std::chrono::milliseconds(deadline_ms) + std::chrono::seconds(5)));
}

PosixErrorOr<LockCrew::Progress> LockCrew::FinishedOrBlocked(int w,
                                                             const std::vector<long>& syscalls,
                                                             const Deadline& deadline) {
  WorkerBox& box = board_->box[w];
  const uint32_t want = box.posted.load();
  TaskSnapshot last;
  PosixError err;
  Progress progress = Progress::kFinished;
  auto settled = [&] {
    if (box.finished.load(std::memory_order_acquire) == want) {
      progress = Progress::kFinished;
      return true;
    }
    if (box.started.load(std::memory_order_acquire) != want) return false;
    auto snap = SnapshotTask(pid(w));
    if (!snap.ok()) {
      err = snap.error();
      return true;
    }
    last = snap.value();
    if (last.state != 'S') return false;
    if (last.syscall_nr.has_value() && !syscalls.empty() &&
        std::find(syscalls.begin(), syscalls.end(), *last.syscall_nr) == syscalls.end()) {
      return false;
    }
    // Asleep in the call: but had it already finished (and gone back to
    // waiting for orders) when the snapshot was taken?
    progress = box.finished.load(std::memory_order_acquire) == want ? Progress::kFinished
                                                                    : Progress::kBlocked;
    return true;
  };
  if (!PollUntil(settled, deadline)) {
    std::string want_calls;
    for (long nr : syscalls) want_calls += (want_calls.empty() ? "" : "|") + SyscallName(nr);
    return PosixError(ETIMEDOUT, "lock worker " + std::to_string(w) +
                                     " neither finished nor slept in " + want_calls +
                                     " by the deadline; last seen " + last.ToString());
  }
  if (!err.ok()) return err;
  return progress;
}

PosixErrorOr<WaitStatus> LockCrew::Kill(int w) {
  return workers_[static_cast<size_t>(w)].KillAndWait();
}

PosixError LockCrew::Respawn(int w) { return Spawn(w); }

}  // namespace ipcspec

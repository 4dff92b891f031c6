#include "suites/common/crew.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <string>

#include "impl/core/blocked.h"

namespace ipcspec {
namespace {

// Shared (not FUTEX_PRIVATE) futex calls: the other side is another process.
void FutexWake(std::atomic<uint32_t>* w) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

// Sleeps while *w == seen, at most `slice` (and never past the deadline).
// A zero slice: until the deadline.
void FutexWait(const std::atomic<uint32_t>* w, uint32_t seen, const Deadline& d,
               std::chrono::milliseconds slice = std::chrono::milliseconds(0)) {
  struct timespec t = d.RemainingTimespec();
  if (slice.count() > 0) {
    const long long slice_ns = static_cast<long long>(slice.count()) * 1000000LL;
    const long long left_ns = static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
    const long long ns = std::min(slice_ns, left_ns);
    t = {static_cast<time_t>(ns / 1000000000LL), static_cast<long>(ns % 1000000000LL)};
  }
  syscall(SYS_futex, reinterpret_cast<const uint32_t*>(w), FUTEX_WAIT, seen, &t, nullptr, 0);
}

// A member's whole life; returns its exit code. Async-signal-safe apart from
// what Hire does: read(2), the Work, atomics and futex(2).
int MemberMain(int in, CrewBoard* board, int i, const Crew::Hire& hire) {
  CrewBoard::Slot& slot = board->slots[i];
  auto hired = hire(i);
  if (!hired.ok()) {
    slot.ready_errno.store(hired.errno_value() != 0 ? hired.errno_value() : EIO);
    slot.ready.store(1);
    FutexWake(&slot.ready);
    return 2;
  }
  const Crew::Work work = std::move(hired).ValueOrDie();
  slot.ready.store(1);
  FutexWake(&slot.ready);
  for (;;) {
    CrewOrder o;
    ssize_t r = read(in, &o, sizeof o);
    if (r == 0) return 0;  // the parent closed the pipe: no more orders
    if (r < 0 && errno == EINTR) continue;
    if (r != static_cast<ssize_t>(sizeof o)) return 3;
    slot.started.fetch_add(1);
    slot.result.store(work(o));
    slot.finished.fetch_add(1);
    board->completions.fetch_add(1);
    FutexWake(&slot.finished);
    FutexWake(&board->completions);
  }
}

bool Names(const std::vector<long>& syscalls, long nr) {
  return syscalls.empty() || std::find(syscalls.begin(), syscalls.end(), nr) != syscalls.end();
}

// True if the child `pid` has ended (it is left unreaped).
bool Ended(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

std::string Who(int i, pid_t pid) {
  return "crew member " + std::to_string(i) + " (pid " + std::to_string(pid) + ")";
}

}  // namespace

PosixErrorOr<std::unique_ptr<Crew>> Crew::Start(int n, Hire hire) {
  if (n < 1 || n > kMaxCrew) return PosixError(EINVAL, "Crew::Start(n=" + std::to_string(n) + ")");
  IPCSPEC_ASSIGN_OR_RETURN(auto board, SharedObject<CrewBoard>::Create());
  std::unique_ptr<Crew> crew(new Crew(std::move(board), std::move(hire)));
  crew->members_.resize(static_cast<size_t>(n));
  // All forked first, then awaited: the members get ready side by side.
  for (int i = 0; i < n; ++i) IPCSPEC_RETURN_IF_ERROR(crew->Fork(i));
  const Deadline d = Deadline::Default();
  for (int i = 0; i < n; ++i) IPCSPEC_RETURN_IF_ERROR(crew->AwaitReady(i, d));
  return crew;
}

Crew::~Crew() {
  // SIGKILL and reap first (a member may be blocked in a call), then close
  // the control pipes.
  for (Member& m : members_) m.child = Child();
  members_.clear();
}

PosixError Crew::Fork(int i) {
  CrewBoard::Slot& slot = board_->slots[i];
  slot.ready.store(0);
  slot.ready_errno.store(0);
  slot.started.store(0);
  slot.finished.store(0);
  slot.result.store(0);
  Member& m = members_[static_cast<size_t>(i)];
  m.sent = 0;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2(crew control)");
  FileDescriptor in(fds[0]);
  m.orders = FileDescriptor(fds[1]);
  // The member closes every write end it inherits (its own and the other
  // members'), so that the end of the parent's pipe is the end of its orders.
  std::vector<int> inherited;
  for (const Member& other : members_) {
    if (other.orders.valid()) inherited.push_back(other.orders.get());
  }
  const int in_fd = in.get();
  CrewBoard* board = board_.get();
  const Hire* hire = &hire_;
  IPCSPEC_ASSIGN_OR_RETURN(m.child, Child::Fork([in_fd, inherited, board, i, hire] {
                             for (int fd : inherited) close(fd);
                             return MemberMain(in_fd, board, i, *hire);
                           }));
  return NoError();
}

PosixError Crew::AwaitReady(int i, const Deadline& deadline) const {
  const CrewBoard::Slot& slot = board_->slots[i];
  while (slot.ready.load() == 0) {
    if (deadline.Expired()) {
      return PosixError(ETIMEDOUT, Who(i, pid(i)) + " never got ready");
    }
    FutexWait(&slot.ready, 0, deadline, std::chrono::milliseconds(50));
  }
  if (slot.ready_errno.load() != 0) {
    return PosixError(slot.ready_errno.load(), Who(i, pid(i)) + " could not set up");
  }
  return NoError();
}

PosixError Crew::Send(int i, const CrewOrder& o) {
  Member& m = members_[static_cast<size_t>(i)];
  if (finished(i) != m.sent) {
    return PosixError(EBUSY, Who(i, pid(i)) + " has not finished its previous order");
  }
  ssize_t r;
  do {
    r = write(m.orders.get(), &o, sizeof o);
  } while (r < 0 && errno == EINTR);
  if (r != static_cast<ssize_t>(sizeof o)) {
    return ErrnoError("write(" + Who(i, pid(i)) + " control pipe)");
  }
  ++m.sent;
  return NoError();
}

PosixErrorOr<int> Crew::Await(int i, const Deadline& deadline) {
  Member& m = members_[static_cast<size_t>(i)];
  const pid_t p = pid(i);  // the same after the member is reaped
  const std::atomic<uint32_t>& done = board_->slots[i].finished;
  for (int slice = 0;; ++slice) {
    const uint32_t seen = done.load();
    if (seen == m.sent) return result(i);
    // A member that died can never answer: look after every slice (a wait
    // of at most 20 ms, cut short when the member finishes an order). The
    // look does not reap (WNOWAIT), and is no harness deadline: a member
    // that is merely slow is no hang.
    if (slice > 0 && m.child.running() && Ended(p)) {
      auto st = m.child.Wait(Deadline::Default());  // reaps at once
      return PosixError(ECHILD, Who(i, p) + " " +
                                    (st.ok() ? st.value().ToString() : st.error().ToString()) +
                                    " before finishing its order");
    }
    if (deadline.Expired()) {
      NoteHarnessDeadlinePassed();
      auto snap = SnapshotTask(p);
      return PosixError(ETIMEDOUT, Who(i, p) + " did not finish order " +
                                       std::to_string(m.sent) + " by the deadline; it is " +
                                       (snap.ok() ? snap.value().ToString() : "gone"));
    }
    FutexWait(&done, seen, deadline, std::chrono::milliseconds(20));
  }
}

PosixErrorOr<bool> Crew::AsleepIn(int i, const std::vector<long>& syscalls) const {
  IPCSPEC_ASSIGN_OR_RETURN(TaskSnapshot t, SnapshotTask(pid(i)));
  return t.state == 'S' && t.syscall_nr.has_value() && Names(syscalls, *t.syscall_nr);
}

PosixErrorOr<Crew::Outcome> Crew::FinishedOrBlocked(int i, const std::vector<long>& syscalls,
                                                     const Deadline& deadline) const {
  const uint32_t nth = sent(i);
  Outcome out = Outcome::kFinished;
  PosixError err;
  TaskSnapshot last;
  bool done = PollUntil(
      [&] {
        if (finished(i) >= nth) {
          out = Outcome::kFinished;
          return true;
        }
        if (started(i) < nth) return false;
        auto snap = SnapshotTask(pid(i));
        if (!snap.ok()) {
          err = snap.error();
          return true;
        }
        last = snap.value();
        if (last.state != 'S') return false;
        if (last.syscall_nr.has_value() && !Names(syscalls, *last.syscall_nr)) return false;
        // Asleep in the call: but had it already finished (and gone back to
        // waiting for orders) when the snapshot was taken?
        out = finished(i) >= nth ? Outcome::kFinished : Outcome::kBlocked;
        return true;
      },
      deadline);
  if (!err.ok()) return err;
  if (!done) {
    std::string calls;
    for (long nr : syscalls) calls += (calls.empty() ? "" : "|") + SyscallName(nr);
    return PosixError(ETIMEDOUT, Who(i, pid(i)) + ": order " + std::to_string(nth) +
                                     " neither finished nor slept in " +
                                     (calls.empty() ? std::string("a call") : calls) +
                                     " by the deadline; started " + std::to_string(started(i)) +
                                     ", finished " + std::to_string(finished(i)) +
                                     ", last seen " + last.ToString());
  }
  return out;
}

PosixError Crew::AwaitCompletions(uint32_t n, const Deadline& deadline) const {
  for (;;) {
    const uint32_t cur = board_->completions.load();
    if (cur >= n) return NoError();
    if (deadline.Expired()) {
      return PosixError(ETIMEDOUT, "crew completions: " + std::to_string(cur) + " of " +
                                       std::to_string(n) + " by the deadline");
    }
    FutexWait(&board_->completions, cur, deadline);
  }
}

PosixErrorOr<WaitStatus> Crew::Kill(int i) {
  return members_[static_cast<size_t>(i)].child.KillAndWait();
}

PosixError Crew::Respawn(int i) {
  Member& m = members_[static_cast<size_t>(i)];
  m.child = Child();  // kills and reaps what is left of the old member
  m.orders.reset();
  IPCSPEC_RETURN_IF_ERROR(Fork(i));
  return AwaitReady(i, Deadline::Default());
}

}  // namespace ipcspec

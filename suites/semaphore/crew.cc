#include "suites/semaphore/crew.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include "impl/core/blocked.h"

namespace ipcspec {
namespace {

// The child's loop. Async-signal-safe: read(2), the Kind's call, atomics and
// futex(2).
int CrewMember(int in, Semaphore* sem, CrewBoard* board, int i) {
  CrewBoard::Slot& slot = board->slots[i];
  for (;;) {
    CrewOrder o;
    ssize_t r = read(in, &o, sizeof o);
    if (r == 0) return 0;
    if (r < 0 && errno == EINTR) continue;
    if (r != static_cast<ssize_t>(sizeof o)) return 3;
    slot.started.fetch_add(1);
    int err = 0;
    if (o.op == CrewOrder::kWait) {
      err = sem->Wait().errno_value();
    } else {
      size_t n = o.n < 0 ? 0 : (o.n > 4 ? 4 : static_cast<size_t>(o.n));
      err = sem->Apply(std::span<const int>(o.deltas, n), Blocking::kBlock).errno_value();
    }
    slot.last_errno.store(err);
    slot.finished.fetch_add(1);
    board->completions.fetch_add(1);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&board->completions), FUTEX_WAKE, INT_MAX,
            nullptr, nullptr, 0);
  }
}

bool Contains(const std::vector<long>& v, long x) {
  for (long y : v) {
    if (y == x) return true;
  }
  return false;
}

}  // namespace

PosixErrorOr<std::unique_ptr<Crew>> Crew::Start(Semaphore* sem, int n) {
  if (n < 1 || n > kMaxCrew) return PosixError(EINVAL, "Crew::Start(n=" + std::to_string(n) + ")");
  IPCSPEC_ASSIGN_OR_RETURN(auto board, SharedObject<CrewBoard>::Create());
  std::unique_ptr<Crew> crew(new Crew(std::move(board)));
  CrewBoard* b = crew->board_.get();
  for (int i = 0; i < n; ++i) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2(crew control)");
    FileDescriptor in(fds[0]), out(fds[1]);
    // The child closes the write ends it inherits, so that the end of the
    // parent's pipe is the end of its orders.
    std::vector<int> inherited;
    for (const auto& w : crew->orders_) inherited.push_back(w.get());
    inherited.push_back(out.get());
    int in_fd = in.get();
    IPCSPEC_ASSIGN_OR_RETURN(Child c, Child::Fork([in_fd, inherited, sem, b, i] {
                               for (int fd : inherited) close(fd);
                               return CrewMember(in_fd, sem, b, i);
                             }));
    crew->children_.push_back(std::move(c));
    crew->orders_.push_back(std::move(out));
  }
  return crew;
}

Crew::~Crew() {
  // SIGKILL and reap first (a child may be blocked in the semaphore), then
  // close the control pipes.
  children_.clear();
  orders_.clear();
}

PosixError Crew::Send(int i, const CrewOrder& o) {
  ssize_t r;
  do {
    r = write(orders_[i].get(), &o, sizeof o);
  } while (r < 0 && errno == EINTR);
  if (r != static_cast<ssize_t>(sizeof o)) {
    return ErrnoError("write(crew " + std::to_string(i) + " control pipe)");
  }
  return NoError();
}

PosixErrorOr<bool> Crew::AsleepIn(int i, const std::vector<long>& syscalls) const {
  IPCSPEC_ASSIGN_OR_RETURN(TaskSnapshot t, SnapshotTask(pid(i)));
  return t.state == 'S' && t.syscall_nr.has_value() && Contains(syscalls, *t.syscall_nr);
}

PosixErrorOr<Crew::Outcome> Crew::FinishedOrBlocked(int i, uint32_t nth,
                                                     const std::vector<long>& syscalls,
                                                     const Deadline& deadline) const {
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
        if (last.syscall_nr.has_value() && !Contains(syscalls, *last.syscall_nr)) return false;
        // Asleep in the call: unless it finished meanwhile, it is blocked.
        out = finished(i) >= nth ? Outcome::kFinished : Outcome::kBlocked;
        return true;
      },
      deadline);
  if (!err.ok()) return err;
  if (!done) {
    return PosixError(ETIMEDOUT, "crew child " + std::to_string(i) + " (pid " +
                                     std::to_string(pid(i)) + "): order " + std::to_string(nth) +
                                     " neither finished nor blocked by the deadline; started " +
                                     std::to_string(started(i)) + ", finished " +
                                     std::to_string(finished(i)) + ", last seen " +
                                     last.ToString());
  }
  return out;
}

PosixError Crew::AwaitCompletions(uint32_t n, const Deadline& deadline) const {
  for (;;) {
    uint32_t cur = board_->completions.load();
    if (cur >= n) return NoError();
    if (deadline.Expired()) {
      return PosixError(ETIMEDOUT, "crew completions: " + std::to_string(cur) + " of " +
                                       std::to_string(n) + " by the deadline");
    }
    struct timespec left = deadline.RemainingTimespec();
    long r = syscall(SYS_futex, reinterpret_cast<uint32_t*>(&board_->completions), FUTEX_WAIT,
                     cur, &left, nullptr, 0);
    if (r != 0 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
      return ErrnoError("futex(FUTEX_WAIT, crew completions)");
    }
  }
}

}  // namespace ipcspec

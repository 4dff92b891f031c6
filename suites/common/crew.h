// A crew: a few long-lived child processes ("members") that carry out one
// order at a time, so that a property can have several processes blocked in
// the kernel at once, case after case, for the price of a round trip instead
// of a fork.
//
// What a member does with an order is the user's: a `Hire` function, run in
// the member right after fork, makes what the member's orders need (a handle
// of its own, say) and returns its `Work`, run in the member for each order.
// Both run in a child process: async-signal-safe code only (the Kind's thin
// syscall wrappers, atomics, futex calls), no gtest or rapidcheck assertion.
//
// The machinery is the crew's: each member reads its orders from its own
// control pipe, marks the order started in shared memory, runs the Work (ONE
// blocking call, or a short burst of calls), stores its errno, and bumps its
// finished count and the crew's completion count (a futex word the parent
// waits on). A member exits at the end of its pipe, and with its parent
// (PR_SET_PDEATHSIG); the crew's destructor SIGKILLs and reaps the members
// first (one may be blocked in a call), then closes the pipes.
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/posix_error.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"

namespace ipcspec {

// One order: what `op` and `arg` mean is the Work's business.
struct CrewOrder {
  int32_t op = 0;
  std::array<int32_t, 6> arg{};
};

inline constexpr int kMaxCrew = 6;

// The crew's shared memory.
struct CrewBoard {
  std::atomic<uint32_t> completions{0};  // futex: orders finished by all members
  struct alignas(64) Slot {
    std::atomic<uint32_t> ready{0};  // futex: 1 once Hire returned
    std::atomic<int32_t> ready_errno{0};
    std::atomic<uint32_t> started{0};   // orders started (counting from 1)
    std::atomic<uint32_t> finished{0};  // futex: orders finished
    std::atomic<int32_t> result{0};     // errno of the last finished order (0: success)
  };
  std::array<Slot, kMaxCrew> slots;
};

class Crew {
 public:
  // In the member, per order: its errno (0: success).
  using Work = std::function<int(const CrewOrder&)>;
  // In member i, right after fork: its Work, or the error that keeps it from
  // working (the member reports it and exits).
  using Hire = std::function<PosixErrorOr<Work>(int member)>;

  // Forks n (<= kMaxCrew) members and waits until each has its Work.
  static PosixErrorOr<std::unique_ptr<Crew>> Start(int n, Hire hire);
  ~Crew();

  int size() const { return static_cast<int>(members_.size()); }
  pid_t pid(int i) const { return members_[static_cast<size_t>(i)].child.pid(); }

  // Sends an order to member i, which must have finished its previous one
  // (EBUSY otherwise).
  PosixError Send(int i, const CrewOrder& o);

  // Counts since member i was forked (orders sent, started, finished), the
  // errno of its last finished order, and the orders finished by the whole
  // crew since it started.
  uint32_t sent(int i) const { return members_[static_cast<size_t>(i)].sent; }
  uint32_t started(int i) const { return board_->slots[i].started.load(); }
  uint32_t finished(int i) const { return board_->slots[i].finished.load(); }
  int result(int i) const { return board_->slots[i].result.load(); }
  uint32_t completions() const { return board_->completions.load(); }
  bool Idle(int i) const { return finished(i) == sent(i); }

  // Waits for member i's latest order; returns its errno (0: success).
  // ETIMEDOUT at the deadline (with what the member is doing; a harness
  // deadline, impl/core/deadline.h), ECHILD if the member died (with its
  // wait status).
  PosixErrorOr<int> Await(int i, const Deadline& deadline);

  enum class Outcome { kFinished, kBlocked };
  // Waits until member i has finished its latest order, or has started it
  // and sleeps in one of `syscalls` (any call when empty, or where the kernel
  // does not name it). ETIMEDOUT at the deadline, with what it was doing.
  PosixErrorOr<Outcome> FinishedOrBlocked(int i, const std::vector<long>& syscalls,
                                          const Deadline& deadline) const;
  // Waits until the crew's completion count reaches n.
  PosixError AwaitCompletions(uint32_t n, const Deadline& deadline) const;
  // True if member i is asleep in one of `syscalls` now (/proc state S and
  // /proc/PID/syscall naming it). Only meaningful where BlockedDetection()
  // is "state+syscall".
  PosixErrorOr<bool> AsleepIn(int i, const std::vector<long>& syscalls) const;

  // SIGKILLs member i and reaps it.
  PosixErrorOr<WaitStatus> Kill(int i);
  // Forks a new member in slot i (after Kill), hired anew; its counts start
  // from 0 again.
  PosixError Respawn(int i);

 private:
  struct Member {
    Child child;
    FileDescriptor orders;  // the write end of its control pipe
    uint32_t sent = 0;
  };
  Crew(SharedObject<CrewBoard> board, Hire hire)
      : board_(std::move(board)), hire_(std::move(hire)) {}
  PosixError Fork(int i);
  PosixError AwaitReady(int i, const Deadline& deadline) const;

  SharedObject<CrewBoard> board_;
  Hire hire_;
  std::vector<Member> members_;
};

}  // namespace ipcspec

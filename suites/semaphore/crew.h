// A crew: a few long-lived child processes that wait on one semaphore when
// told to, so that the properties can have several processes blocked at once
// without a fork per case.
//
// Each child reads orders from its own control pipe, marks the order started
// in shared memory, does ONE blocking semaphore call (Wait() or Apply(...,
// kBlock)), then records the result and bumps the shared completion counter
// (a futex word the parent can wait on). The children run only the Kind's
// thin syscall wrappers and atomics; they exit at the end of their pipe, and
// are SIGKILLed and reaped when the crew is destroyed.
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "impl/api/semaphore.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"

namespace ipcspec {

struct CrewOrder {
  enum Op : int32_t { kWait = 1, kApply = 2 };
  int32_t op = kWait;
  int32_t n = 0;  // kApply: how many deltas
  int32_t deltas[4] = {0, 0, 0, 0};
  static CrewOrder Wait() { return CrewOrder{}; }
  static CrewOrder Apply1(int delta) {
    CrewOrder o;
    o.op = kApply;
    o.n = 1;
    o.deltas[0] = delta;
    return o;
  }
};

inline constexpr int kMaxCrew = 4;

struct CrewBoard {
  std::atomic<uint32_t> completions{0};  // futex word
  struct Slot {
    std::atomic<uint32_t> started{0};
    std::atomic<uint32_t> finished{0};
    std::atomic<int32_t> last_errno{0};
  };
  std::array<Slot, kMaxCrew> slots;
};

class Crew {
 public:
  // Forks n (<= kMaxCrew) children that operate on `sem` (inherited).
  static PosixErrorOr<std::unique_ptr<Crew>> Start(Semaphore* sem, int n);
  ~Crew();

  int size() const { return static_cast<int>(children_.size()); }
  pid_t pid(int i) const { return children_[i].pid(); }

  PosixError Send(int i, const CrewOrder& o);

  uint32_t started(int i) const { return board_->slots[i].started.load(); }
  uint32_t finished(int i) const { return board_->slots[i].finished.load(); }
  int last_errno(int i) const { return board_->slots[i].last_errno.load(); }
  uint32_t completions() const { return board_->completions.load(); }

  enum class Outcome { kFinished, kBlocked };
  // Waits until child i has finished its `nth` order (counting from 1 since
  // the crew started), or has started it and sleeps in one of `syscalls`
  // (any sleep where the kernel does not name the call). ETIMEDOUT at the
  // deadline, with what the child was doing.
  PosixErrorOr<Outcome> FinishedOrBlocked(int i, uint32_t nth, const std::vector<long>& syscalls,
                                          const Deadline& deadline) const;
  // Waits until the completion counter reaches `n`.
  PosixError AwaitCompletions(uint32_t n, const Deadline& deadline) const;
  // True if child i is asleep in one of `syscalls` now (/proc state S and
  // /proc/PID/syscall naming it). Only meaningful where BlockedDetection()
  // is "state+syscall".
  PosixErrorOr<bool> AsleepIn(int i, const std::vector<long>& syscalls) const;

 private:
  Crew(SharedObject<CrewBoard> board) : board_(std::move(board)) {}
  SharedObject<CrewBoard> board_;
  std::vector<Child> children_;
  std::vector<FileDescriptor> orders_;  // write ends of the control pipes
};

}  // namespace ipcspec

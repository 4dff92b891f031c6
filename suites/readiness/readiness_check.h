// Readiness as a model: what poll(2), select(2) and epoll(7) must report for
// a set of descriptors, given what a model says each one holds.
//
// A family's model (suites/readiness/readiness_properties.cc) says, after
// every step, what each watched descriptor must report (Expect: each event
// yes, no, or either where no page decides), and which descriptors the step
// touched. ReadinessChecker then asks the kernel four ways and fails the
// rapidcheck case (RC_FAIL) on the first disagreement, citing the sentence:
//   - poll(2) with a zero timeout;
//   - select(2) with a zero timeout (read, write and except sets);
//   - epoll_wait(2) on a level-triggered instance;
//   - epoll_wait(2) on an edge-triggered (EPOLLET) instance, twice: the first
//     wait reports the descriptor when the step made it ready or brought it a
//     new arrival, and the second wait, with nothing done in between, reports
//     nothing;
//   - epoll_wait(2) on an EPOLLONESHOT instance, twice: the first reports a
//     ready descriptor, the second nothing (disarmed), then EPOLL_CTL_MOD
//     rearms it.
//
// WaitInThread runs one blocking poll/select/epoll_wait in a thread, so that
// a property can see it blocked (impl/core/blocked.h, on the thread id) and
// then make the descriptor ready.
#pragma once

#include <poll.h>
#include <sys/epoll.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

// One event's expected state.
enum class Tri : uint8_t { kNo, kYes, kAny };
Tri TriOf(bool b);
const char* ToString(Tri t);

// What one descriptor must report now. `in` is POLLIN, `out` POLLOUT, `hup`
// POLLHUP, `rdhup` POLLRDHUP, `err` POLLERR. POLLPRI is never expected.
struct Expect {
  Tri in = Tri::kNo, out = Tri::kNo, hup = Tri::kNo, rdhup = Tri::kNo, err = Tri::kNo;
  // The man page sentences the expectation comes from, for the failure text.
  std::string cites;
  std::string ToString() const;
};

// A descriptor to watch and its name in failures ("pipe read end").
struct Watch {
  std::string name;
  int fd = -1;
  // The end's descriptor accessor (StreamEnd::fd(), ...), asked again
  // between two edge-triggered waits; empty: not asked.
  std::function<int()> fd_now;
  // The descriptor's name in the Kind's C setup ("rfd"), for the
  // reproducers (impl/repro); empty: the step cannot be printed.
  std::string c_fd;
};

// After a step, for one descriptor: whether the edge-triggered instance must
// report it (kMust: it became ready for an event, or a new datum arrived),
// may report it (kMay: the step did something to the object, and a wake-up
// of a wait queue the descriptor shares is allowed), or must not (kNone:
// nothing happened since the last wait).
enum class Edge : uint8_t { kNone, kMay, kMust };

class ReadinessChecker {
 public:
  // Registers every descriptor with the three epoll instances. RC_FAILs on a
  // system call error.
  explicit ReadinessChecker(std::vector<Watch> watches);
  ~ReadinessChecker();
  ReadinessChecker(const ReadinessChecker&) = delete;
  ReadinessChecker& operator=(const ReadinessChecker&) = delete;

  // Checks every watched descriptor. `expect` and `edges` have one entry per
  // Watch (closed ones are ignored). `step` names the step for failures.
  // `lag`: what was sent reaches the receiving descriptor some time later
  // (TCP, UDP on loopback): every event expected "yes" is first waited for,
  // with a deadline, before anything is checked.
  void Check(const std::vector<Expect>& expect, const std::vector<Edge>& edges,
             const std::string& step, bool lag);

  // The descriptor of Watch i is about to be closed: stop watching it.
  void Forget(size_t i);
  bool watched(size_t i) const { return !forgotten_[i]; }
  size_t size() const { return watches_.size(); }

 private:
  // What the edge-triggered instance must do for descriptor i now.
  Edge Need(size_t i, const Expect& e, Edge edge) const;
  void CheckOne(size_t i, const Expect& e, Edge edge, const std::string& step, bool lag,
                short poll_revents, bool sel_r, bool sel_w, bool sel_x, uint32_t lt, int lt_n,
                uint32_t et, int et_n, uint32_t et2, int et2_n, uint32_t os, int os_n,
                uint32_t os2, int os2_n);
  std::vector<Watch> watches_;
  std::vector<bool> forgotten_;
  FileDescriptor level_, edge_, oneshot_;
  // The last expectation per descriptor, for the edge rule "became ready".
  std::vector<Expect> last_;
  bool first_ = true;
};

// Events a poll(2)/epoll revents holds, "POLLIN|POLLHUP".
std::string PollEventsToString(uint32_t ev);

// How a waiter waits.
enum class WaitCall { kPoll, kSelect, kEpoll };
const char* ToString(WaitCall c);
// The system calls a waiter of that kind sleeps in (for WaitUntilBlocked).
std::vector<long> WaitSyscalls(WaitCall c);

// One blocking wait in a thread: poll(2) for `events`, select(2) with the
// descriptor in the read set (events & POLLIN) or write set (POLLOUT), or
// epoll_wait(2) on an instance of its own where the descriptor is registered
// with `events` (plus EPOLLEXCLUSIVE when `exclusive`). The wait's own
// timeout is `timeout_ms`, so the thread always ends.
class WaitInThread {
 public:
  WaitInThread(WaitCall call, int fd, short events, int timeout_ms, bool exclusive = false);
  ~WaitInThread();  // joins
  // The waiter's thread id, once it has started (waits with a deadline).
  PosixErrorOr<pid_t> Tid();
  // True once the wait returned.
  bool done() const { return done_.load(); }
  // Joins; then the call's return value (it counts the waiter's own
  // eventfd too), the events reported for the descriptor (poll, epoll;
  // select: POLLIN/POLLOUT for the sets it was reported in) and errno.
  void Join();
  int ret() const { return ret_; }
  uint32_t revents() const { return revents_; }
  int err() const { return err_; }
  // Whether the event just made woke the waiter: at once, from its
  // scheduler state (a woken waiter no longer sleeps in its call); `lag`:
  // the event reaches the descriptor later, so wait for the waiter to
  // return, up to its timeout.
  bool WokenNow(bool lag);
  // The waiter sleeps in its call now (not done, state S, and in the wait
  // call where /proc/TID/syscall shows it).
  bool SleepsNow();
  // Ends the wait (its own eventfd becomes readable): the cleanup of a
  // waiter that the event did not wake.
  void Release();
  std::string Describe() const;

 private:
  void Run();
  WaitCall call_;
  int fd_;
  short events_;
  int timeout_ms_;
  bool exclusive_;
  FileDescriptor ep_, poke_;
  std::atomic<pid_t> tid_{0};
  std::atomic<bool> done_{false};
  int ret_ = 0;
  uint32_t revents_ = 0;
  int err_ = 0;
  std::thread thread_;
};

}  // namespace ipcspec

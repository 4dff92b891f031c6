// What the signal tests (signal_*_test.cc, one binary: //suites/signal:
// signal_test) share: the fixture that fails a test leaving this process's
// signal state changed, guards that save and restore part of it, and small
// helpers around sigtimedwait, sigpending and sigqueue.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include <vector>

#include "gtest/gtest.h"
#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_snapshot.h"

namespace ipcspec {
namespace signal_test {

// The fixture of every Signal.* test, whichever file it is in: fails a test
// that leaves this process's signal state changed.
class Signal : public SignalStateChecked<::testing::Test> {};

// Saves the state of `signals`, blocks them; restores everything (taking
// what is still pending) at scope exit.
class ScopedSignals {
 public:
  explicit ScopedSignals(std::vector<int> signals, bool block = true) : guard_(signals) {
    if (block) {
      sigset_t s = MakeSigset(signals);
      sigprocmask(SIG_BLOCK, &s, nullptr);
    }
  }

 private:
  SignalStateGuard guard_;
};

// sigtimedwait on `signals` with a zero timeout.
int TakeNow(const std::vector<int>& signals, siginfo_t* si);

// Whether `sig` is in this thread's pending set.
bool IsPending(int sig);

// sigqueue(pid, sig) with the integer `value`.
int Queue(pid_t pid, int sig, int value);

// In a forked child: sets RLIMIT_SIGPENDING to `limit`, having first made
// sure only the child's own signals count against it (Linux counts queued
// signals per user namespace and user ID; user_namespaces(7)): takes `uid`
// (a user ID no other process has) or, where that fails (Bazel's sandbox
// maps only user ID 0), enters a user namespace of its own. Returns 1 or 2
// for the way taken; or -3 (neither way worked) or -2 (setrlimit failed)
// with the errno in *err. Child-safe.
int LimitOwnSigpending(uid_t uid, rlim_t limit, int* err);

// The deadline for waiting on a forked child that itself waits with the
// default deadline (for a grandchild, a checkpoint, a signal): twice the
// default, so that the child's own wait ends first and the child reports
// what it was waiting for.
Deadline OuterDeadline();

// A relative timespec for the time left before `d`.
struct timespec Left(const Deadline& d);

// Records what a SA_SIGINFO handler saw, in order.
struct Seen {
  int signo;
  int code;
  int value;
};
constexpr int kMaxSeen = 64;
extern Seen g_seen[kMaxSeen];
extern volatile sig_atomic_t g_seen_count;

// A SA_SIGINFO handler that records each signal in g_seen.
void Recorder(int sig, siginfo_t* si, void*);

// Installs Recorder as the handler of `sig` (and empties g_seen).
void InstallRecorder(int sig);

// SIGCHLD set to its default action (without SA_NOCLDSTOP) and blocked, so
// that the tests take each notification with sigtimedwait.
class ScopedSigchld {
 public:
  ScopedSigchld();
  // The next SIGCHLD, waiting up to the default deadline.
  PosixErrorOr<siginfo_t> Next();

 private:
  SignalStateGuard guard_;
};

}  // namespace signal_test
}  // namespace ipcspec

// Broken SignalQueue Kinds, each wrapping the correct sigtimedwait queue
// (impl/signal). The SignalQueue suite must reject every one of them
// (suites/selftest/signal).
#include <time.h>
#include <unistd.h>

#include <map>
#include <set>

#include "impl/api/signal_queue.h"
#include "impl/signal/signal_queues.h"
#include "impl/signal/signal_state.h"

namespace ipcspec {
namespace {

// Forwards everything; mutants override one operation. Tracks the held set.
class WrappedQueue : public SignalQueue {
 public:
  explicit WrappedQueue(SignalQueueInstance inner) : inner_(std::move(inner)) {}
  PosixError Send(pid_t pid, int signo, std::optional<int> value) override {
    return inner_->Send(pid, signo, value);
  }
  PosixError Hold(int signo) override {
    PosixError e = inner_->Hold(signo);
    if (e.ok()) held_.insert(signo);
    return e;
  }
  PosixError Release(int signo) override {
    PosixError e = inner_->Release(signo);
    if (e.ok()) held_.erase(signo);
    return e;
  }
  PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds timeout) override {
    return inner_->Receive(timeout);
  }
  PosixErrorOr<std::vector<int>> Pending() override { return inner_->Pending(); }
  PosixError Close() override { return inner_->Close(); }
  std::string Describe() const override { return "mutant of " + inner_->Describe(); }

 protected:
  bool PendingHere(int signo) {
    auto p = inner_->Pending();
    if (!p.ok()) return false;
    for (int s : p.value()) {
      if (s == signo) return true;
    }
    return false;
  }
  SignalQueueInstance inner_;
  std::set<int> held_;
};

// Bug: a real-time signal sent to this process while an instance of it is
// already pending is dropped (real-time signals coalesce like standard ones).
class CoalescesRealTime : public WrappedQueue {
 public:
  using WrappedQueue::WrappedQueue;
  PosixError Send(pid_t pid, int signo, std::optional<int> value) override {
    if (pid == getpid() && IsRealTimeSignal(signo) && PendingHere(signo)) return NoError();
    return inner_->Send(pid, signo, value);
  }
};

// Bug: when only real-time signals are receivable, the highest-numbered one
// is taken first.
class HighestRealTimeFirst : public WrappedQueue {
 public:
  using WrappedQueue::WrappedQueue;
  PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds timeout) override {
    auto p = inner_->Pending();
    if (!p.ok()) return p.error();
    std::vector<int> receivable;
    for (int s : p.value()) {
      if (!held_.count(s)) receivable.push_back(s);
    }
    bool any_standard = false;
    for (int s : receivable) any_standard = any_standard || !IsRealTimeSignal(s);
    if (any_standard || receivable.size() < 2) return inner_->Receive(timeout);
    sigset_t one = MakeSigset({receivable.back()});
    siginfo_t si = {};
    struct timespec zero = {0, 0};
    if (sigtimedwait(&one, &si, &zero) < 0) return ErrnoError("sigtimedwait(highest)");
    SignalInfo i;
    i.signo = si.si_signo;
    i.code = si.si_code;
    i.value = si.si_value.sival_int;
    i.pid = si.si_pid;
    i.uid = si.si_uid;
    return i;
  }
};

// Bug: the sigqueue(3) value is lost: every signal arrives with value 0.
class LosesValue : public WrappedQueue {
 public:
  using WrappedQueue::WrappedQueue;
  PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds timeout) override {
    auto r = inner_->Receive(timeout);
    if (!r.ok()) return r;
    SignalInfo i = r.value();
    i.value = 0;
    return i;
  }
};

// Bug: standard signals queue: each instance sent to this process while one
// is pending is remembered and handed out again after the pending one is
// received.
class StandardSignalsQueue : public WrappedQueue {
 public:
  using WrappedQueue::WrappedQueue;
  PosixError Send(pid_t pid, int signo, std::optional<int> value) override {
    if (pid == getpid() && !IsRealTimeSignal(signo) && PendingHere(signo)) ++extra_[signo];
    return inner_->Send(pid, signo, value);
  }
  PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds timeout) override {
    auto r = inner_->Receive(timeout);
    if (r.ok()) {
      int s = r.value().signo;
      if (extra_[s] > 0) {
        --extra_[s];
        (void)inner_->Send(getpid(), s, std::nullopt);
      }
    }
    return r;
  }

 private:
  std::map<int, int> extra_;
};

// Bug: Receive never waits: with nothing pending it fails EAGAIN at once,
// whatever the timeout.
class NeverWaits : public WrappedQueue {
 public:
  using WrappedQueue::WrappedQueue;
  PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds) override {
    return inner_->Receive(std::chrono::nanoseconds(0));
  }
};

template <typename M>
SignalQueueKind Mutant(std::string name, std::string bug) {
  SignalQueueKind k{std::move(name), "signal", "mutant of sigtimedwait", SigtimedwaitCaps(),
                    []() -> PosixErrorOr<SignalQueueInstance> {
                      IPCSPEC_ASSIGN_OR_RETURN(SignalQueueInstance q, OpenSigtimedwaitQueue());
                      return SignalQueueInstance(std::make_unique<M>(std::move(q)));
                    }};
  k.mutant = true;
  k.base = "sigtimedwait";
  k.mutant_bug = std::move(bug);
  return k;
}

IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      Mutant<CoalescesRealTime>(
                          "mutant_rt_coalesce",
                          "a real-time signal sent while one of its instances is pending is "
                          "dropped, as if real-time signals did not queue"));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      Mutant<HighestRealTimeFirst>(
                          "mutant_rt_highest_first",
                          "the highest-numbered pending real-time signal is received first"));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      Mutant<LosesValue>("mutant_loses_value",
                                         "the sigqueue(3) value is lost (always 0)"));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      Mutant<StandardSignalsQueue>(
                          "mutant_standard_queues",
                          "standard signals queue: each instance sent while one was pending "
                          "is received again later"));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      Mutant<NeverWaits>("mutant_never_waits",
                                         "Receive ignores its timeout and never blocks"));

}  // namespace
}  // namespace ipcspec

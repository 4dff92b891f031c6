// Signals: standard signals coalesce, real-time signals queue in order with
// their values, lowest-numbered first, standard before real-time on Linux
// (man 7 signal, "Queueing and delivery semantics for standard signals",
// "Real-time signals"; man 3 sigqueue).
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <unistd.h>

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/api/signal_queue.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_test_util.h"

namespace ipcspec {
namespace signal_test {
namespace {

// man 7 signal, "Queueing and delivery semantics for standard signals":
// "Standard signals do not queue. If multiple instances of a standard signal
// are generated while that signal is blocked, then only one instance of the
// signal is marked as pending ... In the case where a standard signal is
// already pending, the siginfo_t structure ... associated with that signal is
// not overwritten on arrival of subsequent instances of the same signal.
// Thus, the process will receive the information associated with the first
// instance of the signal."
TEST_F(Signal, StandardSignalsCoalesceKeepingTheFirstInfo) {
  ScopedSignals s({SIGUSR1});
  ASSERT_THAT(Queue(getpid(), SIGUSR1, 11), SyscallSucceeds());
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGUSR1, 33), SyscallSucceeds());
  EXPECT_TRUE(IsPending(SIGUSR1)) << "man 2 sigpending: a blocked signal raised is pending";
  siginfo_t si = {};
  ASSERT_THAT(TakeNow({SIGUSR1}, &si), SyscallSucceedsWithValue(SIGUSR1))
      << "the pending SIGUSR1 was not taken (man 2 sigtimedwait, man 7 signal)";
  EXPECT_EQ(si.si_code, SI_QUEUE)
      << "the first instance was sent with sigqueue(3); man 7 signal: \"the process will receive "
         "the information associated with the first instance of the signal.\"";
  EXPECT_EQ(si.si_value.sival_int, 11)
      << "man 7 signal: \"the process will receive the information associated with the first "
         "instance of the signal.\"";
  EXPECT_THAT(TakeNow({SIGUSR1}, &si), SyscallFailsWithErrno(EAGAIN))
      << "three instances of a blocked standard signal left more than one pending; man 7 "
         "signal: \"Standard signals do not queue. If multiple instances of a standard signal "
         "are generated while that signal is blocked, then only one instance of the signal is "
         "marked as pending\"";
}

// man 7 signal: "(and the signal will be delivered just once when it is
// unblocked)".
TEST_F(Signal, BlockedStandardSignalIsDeliveredOnceOnUnblock) {
  ScopedSignals s({SIGUSR2});
  InstallRecorder(SIGUSR2);
  for (int i = 0; i < 3; ++i) ASSERT_THAT(Queue(getpid(), SIGUSR2, i), SyscallSucceeds());
  EXPECT_EQ(g_seen_count, 0) << "a blocked signal was delivered (man 7 signal: \"A signal may be "
                                "blocked, which means that it will not be delivered until it is "
                                "later unblocked.\")";
  sigset_t u = MakeSigset({SIGUSR2});
  ASSERT_THAT(sigprocmask(SIG_UNBLOCK, &u, nullptr), SyscallSucceeds());
  EXPECT_EQ(g_seen_count, 1)
      << "man 7 signal: \"the signal will be delivered just once when it is unblocked\"";
  EXPECT_EQ(g_seen[0].value, 0) << "the first instance's siginfo (man 7 signal)";
}

// man 7 signal, "Real-time signals": "Multiple instances of real-time signals
// can be queued." / "If the signal is sent using sigqueue(3), an accompanying
// value (either an integer or a pointer) can be sent with the signal." /
// "Multiple real-time signals of the same type are delivered in the order
// they were sent." / "the si_pid and si_uid fields of this structure can be
// used to obtain the PID and real user ID of the process sending the signal."
TEST_F(Signal, RealTimeSignalsQueueInOrderWithTheirValues) {
  const int sig = SIGRTMIN + 1;
  ScopedSignals s({sig});
  std::vector<int> codes, values;
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      ASSERT_THAT(kill(getpid(), sig), SyscallSucceeds());
      codes.push_back(SI_USER);
      values.push_back(0);
    } else {
      ASSERT_THAT(Queue(getpid(), sig, 100 + i), SyscallSucceeds());
      codes.push_back(SI_QUEUE);
      values.push_back(100 + i);
    }
  }
  for (size_t i = 0; i < codes.size(); ++i) {
    siginfo_t si = {};
    ASSERT_THAT(TakeNow({sig}, &si), SyscallSucceedsWithValue(sig))
        << "instance " << i << " of 6 is missing; man 7 signal: \"Multiple instances of "
        << "real-time signals can be queued.\"";
    EXPECT_EQ(si.si_code, codes[i]) << "instance " << i << ": man 2 sigaction: si_code SI_USER "
                                    << "for kill(2), SI_QUEUE for sigqueue(3)";
    if (codes[i] == SI_QUEUE) {
      EXPECT_EQ(si.si_value.sival_int, values[i])
          << "instance " << i << "; man 7 signal: \"Multiple real-time signals of the same type "
          << "are delivered in the order they were sent.\"";
    }
    EXPECT_EQ(si.si_pid, getpid()) << "man 7 signal: si_pid is \"the PID ... of the process "
                                      "sending the signal\"";
    EXPECT_EQ(si.si_uid, getuid()) << "man 7 signal: si_uid is the sender's \"real user ID\"";
  }
  siginfo_t si = {};
  EXPECT_THAT(TakeNow({sig}, &si), SyscallFailsWithErrno(EAGAIN)) << "more instances than sent";
}

// man 7 signal: "If different real-time signals are sent to a process, they
// are delivered starting with the lowest-numbered signal. (I.e., low-numbered
// signals have highest priority.)"
TEST_F(Signal, LowestNumberedRealTimeSignalFirst) {
  const std::vector<int> sigs = {SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 3};
  ScopedSignals s(sigs);
  // Sent highest first; SIGRTMIN+1 twice.
  ASSERT_THAT(Queue(getpid(), SIGRTMIN + 3, 3), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN + 1, 1), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN + 2, 2), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN + 1, 11), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN, 0), SyscallSucceeds());
  const std::vector<std::pair<int, int>> want = {
      {SIGRTMIN, 0}, {SIGRTMIN + 1, 1}, {SIGRTMIN + 1, 11}, {SIGRTMIN + 2, 2}, {SIGRTMIN + 3, 3}};
  for (const auto& [sig, value] : want) {
    siginfo_t si = {};
    ASSERT_THAT(TakeNow(sigs, &si), SyscallSucceeds());
    EXPECT_EQ(si.si_signo, sig) << "got " << SignalName(si.si_signo) << " before "
                                << SignalName(sig) << "; man 7 signal: \"they are delivered "
                                << "starting with the lowest-numbered signal\"";
    EXPECT_EQ(si.si_value.sival_int, value)
        << SignalName(sig) << "; man 7 signal: \"Multiple real-time signals of the same type "
        << "are delivered in the order they were sent.\"";
  }
}

// man 7 signal: "If both standard and real-time signals are pending for a
// process, POSIX leaves it unspecified which is delivered first. Linux, like
// many other implementations, gives priority to standard signals in this
// case." (Linux behaviour: POSIX leaves it open.)
TEST_F(Signal, StandardSignalsBeforeRealTimeOnLinux) {
  const std::vector<int> sigs = {SIGUSR2, SIGRTMIN};
  ScopedSignals s(sigs);
  ASSERT_THAT(Queue(getpid(), SIGRTMIN, 1), SyscallSucceeds());
  ASSERT_THAT(kill(getpid(), SIGUSR2), SyscallSucceeds());
  siginfo_t si = {};
  ASSERT_THAT(TakeNow(sigs, &si), SyscallSucceeds());
  EXPECT_EQ(si.si_signo, SIGUSR2)
      << "man 7 signal: \"Linux, like many other implementations, gives priority to standard "
         "signals in this case.\"";
  ASSERT_THAT(TakeNow(sigs, &si), SyscallSucceedsWithValue(SIGRTMIN))
      << "the real-time signal after the standard one (man 7 signal, \"Real-time signals\")";
}

// Several real-time instances queued while blocked are all delivered when
// the signal is unblocked, in order (man 7 signal, "Real-time signals"), and
// the handler gets each value (man 3 sigqueue: "If the receiving process has
// installed a handler for this signal using the SA_SIGINFO flag to
// sigaction(2), then it can obtain this data via the si_value field ... the
// si_code field of that structure will be set to SI_QUEUE.").
TEST_F(Signal, QueuedRealTimeSignalsAllReachTheHandlerOnUnblock) {
  const int sig = SIGRTMIN + 2;
  ScopedSignals s({sig});
  InstallRecorder(sig);
  for (int i = 0; i < 4; ++i) ASSERT_THAT(Queue(getpid(), sig, 40 + i), SyscallSucceeds());
  EXPECT_EQ(g_seen_count, 0) << "delivered while blocked (man 7 signal)";
  sigset_t u = MakeSigset({sig});
  ASSERT_THAT(sigprocmask(SIG_UNBLOCK, &u, nullptr), SyscallSucceeds());
  ASSERT_EQ(g_seen_count, 4) << "man 7 signal: \"Multiple instances of real-time signals can be "
                                "queued.\"";
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(g_seen[i].code, SI_QUEUE) << "man 3 sigqueue: si_code \"will be set to SI_QUEUE\"";
    EXPECT_EQ(g_seen[i].value, 40 + i) << "delivery " << i << "; man 7 signal: \"delivered in "
                                       << "the order they were sent\"";
  }
}

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec

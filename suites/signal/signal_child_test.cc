// Signals: SIGKILL and SIGSTOP cannot be caught, blocked or ignored; SIGCHLD
// and wait statuses (man 7 signal, man 2 sigaction, man 2 wait).
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/api/signal_queue.h"
#include "impl/core/blocked.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_test_util.h"

namespace ipcspec {
namespace signal_test {
namespace {

// man 2 sigaction: "signum specifies the signal and can be any valid signal
// except SIGKILL and SIGSTOP." / "EINVAL An invalid signal was specified.
// This will also be generated if an attempt is made to change the action for
// SIGKILL or SIGSTOP, which cannot be caught or ignored." Reading their
// action (act NULL) is not a change, and Linux allows it.
TEST_F(Signal, SigactionCannotChangeSigkillOrSigstop) {
  struct sigaction catch_it = {};
  catch_it.sa_sigaction = Recorder;
  catch_it.sa_flags = SA_SIGINFO;
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGKILL, SIGSTOP}) {
    EXPECT_THAT(sigaction(sig, &catch_it, nullptr), SyscallFailsWithErrno(EINVAL))
        << SignalName(sig) << " caught; man 2 sigaction: \"EINVAL ... an attempt is made to "
        << "change the action for SIGKILL or SIGSTOP, which cannot be caught or ignored.\"";
    EXPECT_THAT(sigaction(sig, &ignore, nullptr), SyscallFailsWithErrno(EINVAL))
        << SignalName(sig) << " ignored; man 2 sigaction (EINVAL)";
    EXPECT_THAT(sigaction(sig, &dfl, nullptr), SyscallFailsWithErrno(EINVAL))
        << SignalName(sig) << " set to SIG_DFL is still a change; man 2 sigaction (EINVAL)";
    struct sigaction now = {};
    EXPECT_THAT(sigaction(sig, nullptr, &now), SyscallSucceeds())
        << "reading " << SignalName(sig) << "'s action (Linux)";
    EXPECT_EQ(now.sa_handler, SIG_DFL) << SignalName(sig) << " has a disposition other than "
                                       << "SIG_DFL (man 7 signal: they \"cannot be caught, "
                                       << "blocked, or ignored\")";
  }
  errno = 0;
  EXPECT_EQ(signal(SIGKILL, SIG_IGN), SIG_ERR) << "man 7 signal: \"The signals SIGKILL and "
                                                  "SIGSTOP cannot be caught, blocked, or "
                                                  "ignored.\"";
  EXPECT_EQ(errno, EINVAL) << "signal(SIGKILL, SIG_IGN): man 2 sigaction (EINVAL)";
  for (int bad : {0, NSIG, -1}) {
    EXPECT_THAT(sigaction(bad, &ignore, nullptr), SyscallFailsWithErrno(EINVAL))
        << "signal " << bad << "; man 2 sigaction: \"EINVAL An invalid signal was specified.\"";
  }
}

// man 7 signal: "The signals SIGKILL and SIGSTOP cannot be caught, blocked, or
// ignored." A child blocks and ignores every signal it can; SIGTERM does not
// end it, SIGSTOP stops it, SIGCONT continues it, SIGKILL kills it. The parent
// follows each step through SIGCHLD (man 2 sigaction: without SA_NOCLDSTOP
// the parent is told when children "stop ... or resume"; si_code CLD_STOPPED,
// CLD_CONTINUED, CLD_KILLED) and waitid(2).
TEST_F(Signal, SigkillAndSigstopOverrideMaskAndDisposition) {
  ScopedSigchld chld;
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([]() -> int {
    struct sigaction ign = {};
    ign.sa_handler = SIG_IGN;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &ign, nullptr);  // 9, 19 fail: fine
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    for (;;) pause();
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_pause});
  ASSERT_TRUE(blocked.ok()) << blocked;
  ASSERT_THAT(kill(child.pid(), SIGTERM), SyscallSucceeds());
  blocked = WaitUntilBlocked(child.pid(), {SYS_pause});
  ASSERT_TRUE(blocked.ok()) << blocked << " (SIGTERM, blocked and ignored, ended the child)";

  ASSERT_THAT(kill(child.pid(), SIGSTOP), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(siginfo_t stopped, chld.Next());
  EXPECT_EQ(stopped.si_code, CLD_STOPPED)
      << "a child that blocks and ignores everything was not stopped by SIGSTOP: man 7 signal: "
         "\"The signals SIGKILL and SIGSTOP cannot be caught, blocked, or ignored.\"";
  EXPECT_EQ(stopped.si_pid, child.pid())
      << "man 2 sigaction: for SIGCHLD \"si_pid is the process ID of the child\"";
  EXPECT_EQ(stopped.si_status, SIGSTOP) << "man 2 sigaction: si_status holds \"the signal number "
                                           "that caused the process to change state\"";
  siginfo_t w = {};
  ASSERT_THAT(waitid(P_PID, static_cast<id_t>(child.pid()), &w, WSTOPPED | WNOHANG),
              SyscallSucceeds());
  EXPECT_EQ(w.si_code, CLD_STOPPED) << "man 2 wait: waitid WSTOPPED reports CLD_STOPPED";
  EXPECT_EQ(w.si_status, SIGSTOP)
      << "man 2 wait: waitid si_status is \"the signal that caused the child to terminate, "
         "stop, or continue\"";

  ASSERT_THAT(kill(child.pid(), SIGCONT), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(siginfo_t continued, chld.Next());
  EXPECT_EQ(continued.si_code, CLD_CONTINUED)
      << "man 2 sigaction: without SA_NOCLDSTOP the parent is notified when children \"resume "
         "(i.e., they receive SIGCONT)\"";

  ASSERT_THAT(kill(child.pid(), SIGKILL), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(siginfo_t killed, chld.Next());
  EXPECT_EQ(killed.si_code, CLD_KILLED) << "man 2 sigaction: CLD_KILLED \"Child was killed.\"";
  EXPECT_EQ(killed.si_status, SIGKILL)
      << "man 2 sigaction: si_status holds \"the signal number that caused the process to "
         "change state\"";
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(st.KilledBy(SIGKILL))
      << st << "; man 7 signal: SIGKILL cannot be \"caught, blocked, or ignored\"; man 2 wait: "
      << "WIFSIGNALED, WTERMSIG";
}

// ---------------------------------------------------------------------------
// SIGCHLD and wait statuses.

// man 2 sigaction: for SIGCHLD "si_pid is the process ID of the child; si_uid
// is the child's real user ID. The si_status field contains the exit status
// of the child (if si_code is CLD_EXITED), or the signal number that caused
// the process to change state." / man 2 wait: "WIFEXITED(wstatus) returns
// true if the child terminated normally" / "WEXITSTATUS(wstatus) ... This
// consists of the least significant 8 bits of the status argument that the
// child specified in a call to exit(3) or _exit(2)" / "WIFSIGNALED(wstatus)
// returns true if the child process was terminated by a signal." /
// "WTERMSIG(wstatus) returns the number of the signal that caused the child
// process to terminate." (WCOREDUMP is left aside: no core dumps here.)
TEST_F(Signal, SigchldAndWaitStatusOnExit) {
  ScopedSigchld chld;
  struct Case {
    int code;      // passed to _exit
    int expected;  // its low 8 bits
  };
  for (Case c : {Case{0, 0}, Case{42, 42}, Case{256 + 7, 7}}) {
    ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([c]() -> int { return c.code; }));
    const pid_t pid = child.pid();
    ASSERT_OK_AND_ASSIGN(siginfo_t si, chld.Next());
    EXPECT_EQ(si.si_code, CLD_EXITED) << "man 2 sigaction: CLD_EXITED \"Child has exited.\"";
    EXPECT_EQ(si.si_pid, pid) << "man 2 sigaction: \"si_pid is the process ID of the child\"";
    EXPECT_EQ(si.si_uid, getuid()) << "man 2 sigaction: \"si_uid is the child's real user ID\"";
    EXPECT_EQ(si.si_status, c.expected)
        << "_exit(" << c.code << "); man 2 sigaction: \"The si_status field contains the exit "
        << "status of the child (if si_code is CLD_EXITED)\"";
    ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
    EXPECT_TRUE(WIFEXITED(st.raw)) << st << "; man 2 wait: WIFEXITED";
    EXPECT_EQ(WEXITSTATUS(st.raw), c.expected)
        << "_exit(" << c.code << "); man 2 wait: WEXITSTATUS \"consists of the least significant "
        << "8 bits of the status argument\"";
    EXPECT_FALSE(WIFSIGNALED(st.raw)) << st;
  }
  // Killed by a signal (SIGTERM's default action: terminate).
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([]() -> int {
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &dfl, nullptr);
    sigset_t t = MakeSigset({SIGTERM});
    sigprocmask(SIG_UNBLOCK, &t, nullptr);
    for (;;) pause();
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_pause});
  ASSERT_TRUE(blocked.ok()) << blocked;
  ASSERT_THAT(kill(child.pid(), SIGTERM), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(siginfo_t si, chld.Next());
  EXPECT_EQ(si.si_code, CLD_KILLED) << "man 2 sigaction: CLD_KILLED \"Child was killed.\"";
  EXPECT_EQ(si.si_status, SIGTERM) << "man 2 sigaction: si_status holds \"the signal number that "
                                      "caused the process to change state\"";
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(WIFSIGNALED(st.raw)) << st << "; man 2 wait: \"WIFSIGNALED(wstatus) returns true "
                                   << "if the child process was terminated by a signal.\"";
  EXPECT_EQ(WTERMSIG(st.raw), SIGTERM) << "man 2 wait: WTERMSIG \"returns the number of the "
                                          "signal that caused the child process to terminate\"";
  EXPECT_FALSE(WIFEXITED(st.raw)) << st;
}

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec

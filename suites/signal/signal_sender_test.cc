// SA_SIGINFO, SA_RESETHAND and SA_NODEFER for each kind of sender (issue
// 14): man 2 sigaction, "The siginfo_t argument to a SA_SIGINFO handler" and
// the flags. The senders: kill(2), sigqueue(3), a child's exit (SIGCHLD), a
// POSIX timer (timer_create(2)) and a write to a pipe whose read end has
// O_ASYNC and F_SETSIG (fcntl(2), "Managing signals").
//
// Each case runs in a forked child (its dispositions and mask change): the
// handler copies what it saw into shared memory with async-signal-safe calls
// only (sigaction and sigprocmask to read the state), and the parent asserts.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

enum class Sender { kKill, kSigqueue, kChildExit, kTimer, kPipeWrite };

struct SenderParam {
  const char* name;
  Sender sender;
  bool reset_nodefer;  // SA_RESETHAND | SA_NODEFER, else neither
};
void PrintTo(const SenderParam& p, std::ostream* os) { *os << p.name; }

struct HandlerSaw {
  std::atomic<int> calls{0};
  int signo = 0, code = -999 /* none */, pid = 0, uid = -1, value = 0, status = 0, fd = -1;
  long band = 0;
  int overrun = -1;
  int blocked_inside = -1;     // 1: the signal was in the mask in the handler
  int default_inside = -1;     // 1: the disposition was SIG_DFL in the handler
  int child_pid = 0;           // what the experiment expects
  int self_pid = 0;
  int read_fd = -1;
  int step = 0;                // the step that failed
};
HandlerSaw* g_saw = nullptr;  // the forked child's only global

void Handler(int sig, siginfo_t* si, void*) {
  HandlerSaw* s = g_saw;
  s->signo = si->si_signo;
  s->code = si->si_code;
  s->pid = si->si_pid;
  s->uid = static_cast<int>(si->si_uid);
  s->value = si->si_value.sival_int;
  s->status = si->si_status;
  s->fd = si->si_fd;
  s->band = si->si_band;
  s->overrun = si->si_overrun;
  sigset_t now;
  sigprocmask(SIG_BLOCK, nullptr, &now);
  s->blocked_inside = sigismember(&now, sig);
  struct sigaction cur;
  sigaction(sig, nullptr, &cur);
  s->default_inside = cur.sa_handler == SIG_DFL ? 1 : 0;
  s->calls.fetch_add(1);
}

constexpr int kValue = 77;
constexpr int kExitCode = 3;

int Signo(const SenderParam& p) { return p.sender == Sender::kChildExit ? SIGCHLD : SIGUSR1; }

// The experiment, in the forked child: the signal is blocked while it is
// triggered, then ppoll with an empty mask (and a deadline) lets it in.
int Experiment(HandlerSaw* s, const SenderParam& p) {
  g_saw = s;
  s->self_pid = getpid();
  const int sig = Signo(p);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, sig);
  sigprocmask(SIG_BLOCK, &block, nullptr);
  struct sigaction sa = {};
  sa.sa_sigaction = Handler;
  sa.sa_flags = SA_SIGINFO | (p.reset_nodefer ? SA_RESETHAND | SA_NODEFER : 0);
  if (sigaction(sig, &sa, nullptr) != 0) return s->step = 1;
  timer_t timer{};
  int pipefd[2] = {-1, -1};
  switch (p.sender) {
    case Sender::kKill:
      if (kill(getpid(), sig) != 0) return s->step = 2;
      break;
    case Sender::kSigqueue: {
      union sigval v;
      v.sival_int = kValue;
      if (sigqueue(getpid(), sig, v) != 0) return s->step = 2;
      break;
    }
    case Sender::kChildExit: {
      const pid_t c = fork();
      if (c < 0) return s->step = 2;
      if (c == 0) _exit(kExitCode);
      s->child_pid = c;
      break;
    }
    case Sender::kTimer: {
      struct sigevent ev = {};
      ev.sigev_notify = SIGEV_SIGNAL;
      ev.sigev_signo = sig;
      ev.sigev_value.sival_int = kValue;
      if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) return s->step = 2;
      struct itimerspec its = {};
      its.it_value.tv_nsec = 1000;  // expires at once, once
      if (timer_settime(timer, 0, &its, nullptr) != 0) return s->step = 2;
      break;
    }
    case Sender::kPipeWrite: {
      if (pipe(pipefd) != 0) return s->step = 2;
      s->read_fd = pipefd[0];
      if (fcntl(pipefd[0], F_SETOWN, getpid()) != 0 || fcntl(pipefd[0], F_SETSIG, sig) != 0 ||
          fcntl(pipefd[0], F_SETFL, O_ASYNC | O_NONBLOCK) != 0) {
        return s->step = 2;
      }
      if (write(pipefd[1], "x", 1) != 1) return s->step = 2;
      break;
    }
  }
  sigset_t none;
  sigemptyset(&none);
  const Deadline d = Deadline::In(std::chrono::seconds(5));  // within the parent's wait
  while (s->calls.load() == 0 && !d.Expired()) {
    struct timespec ts = d.RemainingTimespec();
    ppoll(nullptr, 0, &ts, &none);
  }
  if (p.sender == Sender::kChildExit && s->child_pid > 0) waitpid(s->child_pid, nullptr, 0);
  if (p.sender == Sender::kTimer) timer_delete(timer);
  if (pipefd[0] >= 0) close(pipefd[0]);
  if (pipefd[1] >= 0) close(pipefd[1]);
  if (s->calls.load() == 0) return s->step = 3;
  // After the handler: the disposition, for SA_RESETHAND.
  struct sigaction after;
  sigaction(sig, nullptr, &after);
  return after.sa_handler == SIG_DFL ? 10 : 11;
}

class SignalSender : public ::testing::TestWithParam<SenderParam> {};

constexpr char kFields[] = "man 2 sigaction, \"The siginfo_t argument to a SA_SIGINFO handler\"";

TEST_P(SignalSender, SiginfoFieldsAndHandlerFlags) {
  const SenderParam p = GetParam();
  ASSERT_OK_AND_ASSIGN(SharedObject<HandlerSaw> saw, SharedObject<HandlerSaw>::Create());
  HandlerSaw* s = saw.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([s, p]() -> int { return Experiment(s, p); }));
  ASSERT_FALSE(s->step == 1 || s->step == 2) << st << " (1: sigaction, 2: the sender failed)";
  // Otherwise every field below says what went wrong (the sender's first).
  switch (p.sender) {
    case Sender::kKill:
      EXPECT_EQ(s->code, SI_USER) << "si_code of kill(2): " << kFields << ", \"SI_USER kill(2)\"";
      EXPECT_EQ(s->pid, s->self_pid)
          << kFields << ": \"Signals sent with kill(2) and sigqueue(3) fill in si_pid and "
                        "si_uid.\"";
      EXPECT_EQ(s->uid, static_cast<int>(getuid()))
          << kFields << ": \"Signals sent with kill(2) and sigqueue(3) fill in si_pid and "
                        "si_uid.\"";
      break;
    case Sender::kSigqueue:
      EXPECT_EQ(s->code, SI_QUEUE) << kFields << ", \"SI_QUEUE sigqueue(3)\"";
      EXPECT_EQ(s->value, kValue)
          << kFields << ": \"signals sent with sigqueue(3) fill in si_int and si_ptr with the "
                        "values specified by the sender of the signal\"";
      EXPECT_EQ(s->pid, s->self_pid) << "si_pid of sigqueue(3)";
      EXPECT_EQ(s->uid, static_cast<int>(getuid()));
      break;
    case Sender::kChildExit:
      EXPECT_EQ(s->code, CLD_EXITED) << kFields << ", \"CLD_EXITED Child has exited.\"";
      EXPECT_EQ(s->pid, s->child_pid)
          << kFields << ": \"SIGCHLD fills in si_pid, si_uid, si_status [...] The si_pid field "
                        "is the process ID of the child\"";
      EXPECT_EQ(s->status, kExitCode)
          << kFields << ": \"The si_status field contains the exit status of the child (if "
                        "si_code is CLD_EXITED)\"";
      EXPECT_EQ(s->uid, static_cast<int>(getuid())) << "\"si_uid is the child's real user ID\"";
      break;
    case Sender::kTimer:
      EXPECT_EQ(s->code, SI_TIMER) << kFields << ", \"SI_TIMER POSIX timer expired.\"";
      EXPECT_EQ(s->value, kValue) << "si_value of a timer signal is the sigevent's "
                                     "sigev_value (man 2 timer_create)";
      EXPECT_EQ(s->overrun, 0)
          << kFields << ": \"Signals sent by POSIX.1b timers (since Linux 2.6) fill in "
                        "si_overrun and si_timerid.\" (a one-shot timer: no overrun)";
      break;
    case Sender::kPipeWrite:
      EXPECT_EQ(s->code, POLL_IN) << kFields << ", \"POLL_IN Data input available.\"";
      EXPECT_EQ(s->fd, s->read_fd)
          << kFields << ": \"SIGIO/SIGPOLL [...] fills in si_band and si_fd. [...] The si_fd "
                        "field indicates the file descriptor for which the I/O event occurred\" "
                        "(man 2 fcntl, F_SETSIG: also for another signal set with F_SETSIG)";
      EXPECT_TRUE((s->band & POLLIN) != 0)
          << "si_band 0x" << std::hex << s->band << std::dec << ". " << kFields
          << ": \"The si_band event is a bit mask containing the same values as are filled in "
             "the revents field by poll(2).\"";
      break;
  }
  EXPECT_TRUE(st.ExitedWith(10) || st.ExitedWith(11)) << st << " (3: the handler never ran)";
  EXPECT_EQ(s->calls.load(), 1) << "handler calls";
  EXPECT_EQ(s->signo, Signo(p)) << "si_signo. " << kFields;
  if (p.reset_nodefer) {
    EXPECT_EQ(s->default_inside, 1)
        << "the disposition inside the handler. man 2 sigaction: \"SA_RESETHAND Restore the "
           "signal action to the default upon entry to the signal handler.\"";
    EXPECT_TRUE(st.ExitedWith(10)) << "the disposition after the handler was not SIG_DFL "
                                      "(SA_RESETHAND)";
    EXPECT_EQ(s->blocked_inside, 0)
        << "the signal was blocked inside its handler. man 2 sigaction: \"SA_NODEFER Do not "
           "add the signal to the thread's signal mask while the handler is executing\"";
  } else {
    EXPECT_EQ(s->default_inside, 0) << "the handler was reset without SA_RESETHAND";
    EXPECT_TRUE(st.ExitedWith(11)) << "the handler was reset without SA_RESETHAND";
    EXPECT_EQ(s->blocked_inside, 1)
        << "the signal was not blocked inside its handler. man 2 sigaction: \"the signal which "
           "triggered the handler will be blocked, unless the SA_NODEFER flag is used.\"";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Senders, SignalSender,
    ::testing::Values(SenderParam{"kill", Sender::kKill, false},
                      SenderParam{"kill_resethand_nodefer", Sender::kKill, true},
                      SenderParam{"sigqueue", Sender::kSigqueue, false},
                      SenderParam{"sigqueue_resethand_nodefer", Sender::kSigqueue, true},
                      SenderParam{"child_exit", Sender::kChildExit, false},
                      SenderParam{"child_exit_resethand_nodefer", Sender::kChildExit, true},
                      SenderParam{"timer", Sender::kTimer, false},
                      SenderParam{"timer_resethand_nodefer", Sender::kTimer, true},
                      SenderParam{"pipe_write", Sender::kPipeWrite, false},
                      SenderParam{"pipe_write_resethand_nodefer", Sender::kPipeWrite, true}),
    [](const ::testing::TestParamInfo<SenderParam>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace ipcspec

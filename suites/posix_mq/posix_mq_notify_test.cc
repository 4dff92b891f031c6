// POSIX message queues: mq_notify(3) registrations (SIGEV_NONE, SIGEV_SIGNAL,
// SIGEV_THREAD), their errors, and what mq_close does to them (man 3
// mq_notify, man 3 mq_close, man 7 sigevent). The one-shot, empty-queue and
// blocked-receiver rules are in posix_mq_test. Each test runs in its own IPC
// namespace (the ipcspec main).
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "impl/posix_mq/posix_mq.h"

namespace ipcspec {
namespace {

struct Queue {
  PosixMqName name;
  MqDescriptor mqd;
  int fd() const { return mqd.get(); }
};

PosixErrorOr<Queue> MakeQueue(long maxmsg, long msgsize) {
  Queue q;
  std::string name = UniqueMqName("mq_notify");
  IPCSPEC_ASSIGN_OR_RETURN(q.mqd,
                           OpenMq(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, maxmsg, msgsize));
  q.name = PosixMqName(name);
  return q;
}

struct sigevent NoneEvent() {
  struct sigevent ev = {};
  ev.sigev_notify = SIGEV_NONE;
  return ev;
}

// A child of this process tries to register (SIGEV_NONE) on `fd`: the record
// of its mq_notify.
PosixErrorOr<CallRecord> ChildRegisters(int fd) {
  return CallInChild([fd] {
    struct sigevent ev = NoneEvent();
    return Record("mq_notify", mq_notify(fd, &ev));
  });
}

// `sig` blocked for the test; pending ones are taken with a zero timeout and
// drained at the end.
class BlockedSignal {
 public:
  explicit BlockedSignal(int sig) : sig_(sig) {
    sigemptyset(&set_);
    sigaddset(&set_, sig_);
    sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockedSignal() {
    while (Take(nullptr)) {
    }
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  bool Take(siginfo_t* info) {
    struct timespec zero = {0, 0};
    siginfo_t local;
    return sigtimedwait(&set_, info ? info : &local, &zero) == sig_;
  }

 private:
  int sig_;
  sigset_t set_;
  sigset_t old_;
};

// man 3 mq_notify: "SIGEV_NONE A "null" notification: the calling process is
// registered as the target for notification, but when a message arrives, no
// notification is sent." "Only one process can be registered". Linux: the
// registration is one-shot for SIGEV_NONE too ("Notification occurs once:
// after a notification is delivered, the notification registration is
// removed"): after the message another process can register.
TEST(PosixMqNotify, SigevNoneRegistersButSendsNothing) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  BlockedSignal usr1(SIGUSR1);
  struct sigevent ev = NoneEvent();
  ev.sigev_signo = SIGUSR1;  // ignored for SIGEV_NONE
  ASSERT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(CallRecord other, ChildRegisters(q.fd()));
  EXPECT_TRUE(other.FailedWith(EBUSY))
      << "man 3 mq_notify: SIGEV_NONE: \"the calling process is registered as the target for "
         "notification\" (another process's mq_notify is EBUSY): the child's "
      << other;
  ASSERT_THAT(mq_send(q.fd(), "m", 1, 0), SyscallSucceeds());
  EXPECT_FALSE(usr1.Take(nullptr)) << "man 3 mq_notify: SIGEV_NONE: \"when a message arrives, "
                                      "no notification is sent\"";
  ASSERT_OK_AND_ASSIGN(other, ChildRegisters(q.fd()));
  EXPECT_EQ(other.ret, 0)
      << "Linux: the SIGEV_NONE registration ends when the message arrives (man 3 mq_notify: "
         "\"Notification occurs once\"), so another process can register: the child's "
      << other;
}

// man 3 mq_notify: "EBUSY Another process has already registered to receive
// notification for this message queue." Linux: the registrant's own second
// registration is EBUSY as well (the page speaks of another process; the
// kernel refuses any registration while one exists).
TEST(PosixMqNotify, SecondRegistrationIsEbusyEvenForTheRegistrant) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  struct sigevent ev = NoneEvent();
  ASSERT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds());
  EXPECT_THAT(mq_notify(q.fd(), &ev), SyscallFailsWithErrno(EBUSY))
      << "Linux: a second mq_notify by the registered process is EBUSY (man 3 mq_notify: "
         "\"EBUSY Another process has already registered\")";
  ASSERT_THAT(mq_notify(q.fd(), nullptr), SyscallSucceeds());
  EXPECT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds())
      << "man 3 mq_notify: once \"the registration is removed\" one can register again";
}

// man 3 mq_notify: "EINVAL sevp->sigev_notify is not one of the permitted
// values; or sevp->sigev_notify is SIGEV_SIGNAL and sevp->sigev_signo is not
// a valid signal number."
TEST(PosixMqNotify, InvalidSigeventIsEinval) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  for (int how : {-1, 3, 99}) {
    struct sigevent ev = {};
    ev.sigev_notify = how;
    EXPECT_THAT(mq_notify(q.fd(), &ev), SyscallFailsWithErrno(EINVAL))
        << "man 3 mq_notify: \"EINVAL sevp->sigev_notify is not one of the permitted values\" "
           "(sigev_notify "
        << how << ")";
  }
  for (int signo : {_NSIG + 1, 1000, -1}) {
    struct sigevent ev = {};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = signo;
    EXPECT_THAT(mq_notify(q.fd(), &ev), SyscallFailsWithErrno(EINVAL))
        << "man 3 mq_notify: \"EINVAL ... sevp->sigev_notify is SIGEV_SIGNAL and "
           "sevp->sigev_signo is not a valid signal number.\" (sigev_signo "
        << signo << ")";
  }
  ASSERT_OK_AND_ASSIGN(CallRecord other, ChildRegisters(q.fd()));
  EXPECT_EQ(other.ret, 0) << "a refused mq_notify registers nothing: the child's " << other;
}

// man 3 mq_notify: "If sevp is NULL, and the calling process is currently
// registered to receive notifications for this message queue, then the
// registration is removed". "POSIX.1-2008 says that an implementation may
// generate an EINVAL error if sevp is NULL, and the caller is not currently
// registered": Linux does not (0), and leaves another process's registration
// in place.
TEST(PosixMqNotify, NullRequestRemovesOnlyTheCallersRegistration) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  EXPECT_THAT(mq_notify(q.fd(), nullptr), SyscallSucceeds())
      << "Linux: mq_notify(NULL) without a registration succeeds (POSIX.1-2008 would allow "
         "EINVAL)";
  struct sigevent ev = NoneEvent();
  ASSERT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto child, CallsInChild<2>([&](CallRecords<2>& r) {
                         r[0] = Record("mq_notify(NULL)", mq_notify(q.fd(), nullptr));
                         if (r[0].failed()) return;
                         struct sigevent e = NoneEvent();
                         r[1] = Record("mq_notify", mq_notify(q.fd(), &e));
                       }));
  EXPECT_TRUE(child[0].ret == 0 && child[1].FailedWith(EBUSY))
      << "man 3 mq_notify: NULL removes the registration only if \"the calling process is "
         "currently registered\": another process's mq_notify(NULL) succeeds and leaves ours "
         "(its next registration is EBUSY): the child's "
      << ToString(child);
}

// man 3 mq_notify: SIGEV_SIGNAL "Notify the process by sending the signal
// specified in sigev_signo."; "si_uid will be set to the real user ID of the
// sending process"; man 7 sigevent: for SIGEV_SIGNAL the signal carries
// sigev_value ("si_value ... is set to the value specified in sigev_value").
TEST(PosixMqNotify, SignalCarriesTheValueAndTheSendersUid) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  BlockedSignal usr2(SIGUSR2);
  struct sigevent ev = {};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR2;
  ev.sigev_value.sival_int = 4242;
  ASSERT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds());
  ASSERT_THAT(mq_send(q.fd(), "m", 1, 0), SyscallSucceeds());
  siginfo_t info = {};
  ASSERT_TRUE(usr2.Take(&info)) << "man 3 mq_notify: SIGEV_SIGNAL \"Notify the process by "
                                   "sending the signal specified in sigev_signo\" (SIGUSR2)";
  EXPECT_EQ(info.si_signo, SIGUSR2);
  EXPECT_EQ(info.si_value.sival_int, 4242)
      << "man 7 sigevent: the notification signal carries sigev_value";
  EXPECT_EQ(info.si_uid, getuid()) << "man 3 mq_notify: \"si_uid will be set to the real user ID "
                                      "of the sending process\"";
}

// The SIGEV_THREAD callback's report (in the child that registers).
sem_t g_called;
std::atomic<int> g_value{0};
std::atomic<int> g_calls{0};
void OnMessage(union sigval v) {
  g_value.store(v.sival_int);
  g_calls.fetch_add(1);
  sem_post(&g_called);
}

// man 3 mq_notify: "SIGEV_THREAD Upon message delivery, invoke
// sigev_notify_function as if it were the start function of a new thread.";
// man 7 sigevent: the function is called with sigev_value. A registration
// removed with mq_notify(NULL) calls nothing and lets another process
// register (glibc's helper thread survives the removal: CVE-2021-38604). Run
// in a child: glibc keeps a helper thread and a netlink socket for
// SIGEV_THREAD for the life of the process. Exit codes: 0, or the step.
TEST(PosixMqNotify, SigevThreadRunsTheFunctionWithTheValue) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  ASSERT_OK_AND_ASSIGN(
      WaitStatus st, ForkAndWait([&] {
        if (sem_init(&g_called, 0, 0) != 0) return 10;
        struct sigevent ev = {};
        ev.sigev_notify = SIGEV_THREAD;
        ev.sigev_notify_function = OnMessage;
        ev.sigev_value.sival_int = 77;
        // Registered, then removed: nothing may be called, and the process lives on.
        if (mq_notify(q.fd(), &ev) != 0) return 11;
        if (mq_notify(q.fd(), nullptr) != 0) return 12;
        pid_t other = fork();
        if (other == 0) {
          struct sigevent none = NoneEvent();
          _exit(mq_notify(q.fd(), &none) == 0 ? 0 : 1);
        }
        int ws = 0;
        if (other < 0 || waitpid(other, &ws, 0) != other || !WIFEXITED(ws) ||
            WEXITSTATUS(ws) != 0)
          return 13;  // the removed registration still held the queue
        // (The other process's registration ended when it exited and its
        // descriptors were closed.) A message now must call nothing.
        if (mq_send(q.fd(), "x", 1, 0) != 0) return 14;
        char buf[16];
        if (mq_receive(q.fd(), buf, sizeof buf, nullptr) != 1) return 15;
        if (g_calls.load() != 0) return 16;  // a removed registration called the function
        // Registered again: the message on the empty queue calls the function.
        ev.sigev_value.sival_int = 78;
        if (mq_notify(q.fd(), &ev) != 0) return 17;
        if (mq_send(q.fd(), "y", 1, 0) != 0) return 18;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        if (sem_timedwait(&g_called, &until) != 0) return 19;  // never called
        if (g_value.load() != 78) return 20;
        if (g_calls.load() != 1) return 21;
        return 0;
      }));
  const char* step = "";
  if (st.ExitedWith(13)) step = "the removed SIGEV_THREAD registration still held the queue";
  if (st.ExitedWith(16)) step = "a removed SIGEV_THREAD registration called its function";
  if (st.ExitedWith(19)) step = "the function was not called within 5 s of the message";
  if (st.ExitedWith(20)) step = "the function did not get sigev_value";
  EXPECT_TRUE(st.ExitedWith(0))
      << "man 3 mq_notify: \"SIGEV_THREAD Upon message delivery, invoke sigev_notify_function "
         "as if it were the start function of a new thread\" with sigev_value; a registration "
         "removed by mq_notify(NULL) calls nothing. "
      << step << " (" << st << ")";
}

// man 3 mq_close: "If the calling process has attached a notification request
// (see mq_notify(3)) to this message queue via mqdes, then this request is
// removed, and another process can now attach a notification request." A
// descriptor closed by another process (a child's copy) leaves it.
TEST(PosixMqNotify, MqCloseRemovesTheCallersRegistration) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  ASSERT_OK_AND_ASSIGN(MqDescriptor second, OpenMq(q.name.get(), O_RDWR | O_CLOEXEC));
  struct sigevent ev = NoneEvent();
  ASSERT_THAT(mq_notify(second.get(), &ev), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto child, CallsInChild<2>([&](CallRecords<2>& r) {
                         r[0] = Record("mq_close", mq_close(second.get()));
                         if (r[0].failed()) return;
                         struct sigevent e = NoneEvent();
                         r[1] = Record("mq_notify", mq_notify(q.fd(), &e));
                       }));
  EXPECT_TRUE(child[0].ret == 0 && child[1].FailedWith(EBUSY))
      << "man 3 mq_close: only \"the calling process\"'s request is removed: a child's "
         "mq_close of its copy leaves ours (its mq_notify is EBUSY): the child's "
      << ToString(child);
  ASSERT_THAT(mq_close(second.release()), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(CallRecord other, ChildRegisters(q.fd()));
  EXPECT_EQ(other.ret, 0) << "man 3 mq_close: the request \"is removed, and another "
                             "process can now attach a notification request\": the child's "
                          << other;
}

}  // namespace
}  // namespace ipcspec

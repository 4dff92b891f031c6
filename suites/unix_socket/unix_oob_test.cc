// Linux extensions of AF_UNIX sockets that the man pages of this machine do
// not describe (or deny): out-of-band data on stream sockets (MSG_OOB,
// SIOCATMARK, SO_OOBINLINE, POLLPRI/EPOLLPRI, SIGURG), the sender's pidfd
// (SO_PASSPIDFD / SCM_PIDFD, SO_PEERPIDFD) and the owner's uid in the
// NETLINK_SOCK_DIAG answer for a Unix socket (UDIAG_SHOW_UID).
//
// man 7 unix says "UNIX domain sockets do not support the transmission of
// out-of-band data (the MSG_OOB flag for send(2) and recv(2))." Linux has
// supported it on SOCK_STREAM since 5.15 (CONFIG_AF_UNIX_OOB): one byte of
// urgent data per socket, with TCP's interface (man 7 tcp, "Sockets API":
// the last byte of a MSG_OOB send is the urgent byte, SIOCATMARK,
// SO_OOBINLINE, POLLPRI, SIGURG). These tests check Linux; each failure
// message cites the sentence of man 7 tcp / man 7 socket / man 2 recv the
// behaviour follows and says it is Linux's AF_UNIX. An environment without
// it (gVisor, a kernel without CONFIG_AF_UNIX_OOB) skips with the need
// `feature:unix-oob`.
//
// All sockets here are non-blocking and every receive is MSG_DONTWAIT: no
// call blocks except the waits on children, which have deadlines.
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/cleanup.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "suites/unix_socket/unix_test_util.h"

// Newer than this machine's headers (Linux 6.5 and 6.13/6.15 uapi).
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

namespace ipcspec {
namespace {


// ---------------------------------------------------------------------------
// Out-of-band data.

constexpr const char* kOobLinux =
    "[man 7 unix: \"UNIX domain sockets do not support the transmission of out-of-band data\"; "
    "Linux >= 5.15 supports it on SOCK_STREAM with TCP's interface]";
constexpr const char* kTcpUrgent =
    "man 7 tcp: \"out-of-band data is ... received only when the MSG_OOB flag is set for "
    "recv(2)\"; \"SIOCATMARK Returns true ... if the inbound data stream is at the urgent "
    "mark\"";

// A stream pair with the receiving end watched by an epoll instance for
// EPOLLPRI, and a script of steps run on it. Each step is checked, then the
// state after it (SIOCATMARK, EPOLLPRI, POLLPRI) when the step says so.
struct OobPair {
  FileDescriptor tx, rx, ep;
};

PosixErrorOr<OobPair> MakeOobPair() {
  IPCSPEC_ASSIGN_OR_RETURN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return PosixError(errno, "epoll_create1");
  OobPair p{std::move(sp.a), std::move(sp.b), FileDescriptor(ep)};
  struct epoll_event ev = {};
  ev.events = EPOLLPRI;
  if (epoll_ctl(p.ep.get(), EPOLL_CTL_ADD, p.rx.get(), &ev) != 0) {
    return PosixError(errno, "epoll_ctl");
  }
  return p;
}

enum class Op { kSend, kRecv, kInline };
// What the state checks expect after a step.
enum class Tri { kAny, kNo, kYes };

struct Step {
  Op op;
  std::string data;     // kSend: the bytes; kRecv: the bytes expected
  int flags = 0;        // kSend/kRecv flags (MSG_OOB)
  size_t buffer = 0;    // kRecv: the buffer size
  int err = 0;          // kRecv: the errno expected (then data is ignored)
  Tri at_mark = Tri::kAny;
  Tri pri = Tri::kAny;
};

Step Send(std::string d, int flags, Tri mark = Tri::kAny, Tri pri = Tri::kAny) {
  return Step{Op::kSend, std::move(d), flags, 0, 0, mark, pri};
}
Step Recv(std::string expect, size_t buf, int flags, Tri mark = Tri::kAny,
          Tri pri = Tri::kAny) {
  return Step{Op::kRecv, std::move(expect), flags, buf, 0, mark, pri};
}
Step RecvFails(int err, size_t buf, int flags, Tri mark = Tri::kAny, Tri pri = Tri::kAny) {
  return Step{Op::kRecv, "", flags, buf, err, mark, pri};
}
Step Inline() { return Step{Op::kInline, "", 0, 0, 0, Tri::kAny, Tri::kAny}; }

constexpr Tri Y = Tri::kYes;
constexpr Tri N = Tri::kNo;
constexpr Tri A = Tri::kAny;

std::string StepName(const Step& s) {
  std::ostringstream os;
  switch (s.op) {
    case Op::kSend:
      os << "send(\"" << s.data << "\"" << (s.flags & MSG_OOB ? ", MSG_OOB" : "") << ")";
      break;
    case Op::kRecv:
      os << "recv(" << s.buffer << (s.flags & MSG_OOB ? ", MSG_OOB" : "")
         << (s.flags & MSG_PEEK ? "|MSG_PEEK" : "") << ")";
      break;
    case Op::kInline:
      os << "setsockopt(SO_OOBINLINE, 1)";
      break;
  }
  return os.str();
}

// Runs the script; with `peek`, every receive is first done with MSG_PEEK,
// which must give the same answer and change nothing (the state checks
// follow the real receive only).
void RunScript(const std::vector<Step>& steps, bool peek, const std::string& cite) {
  ASSERT_OK_AND_ASSIGN(OobPair p, MakeOobPair());
  std::string done;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    SCOPED_TRACE(::testing::Message() << "step " << i + 1 << " " << StepName(s) << " after ["
                                      << done << "]" << (peek ? " (peeking first)" : ""));
    switch (s.op) {
      case Op::kSend:
        ASSERT_THAT(send(p.tx.get(), s.data.data(), s.data.size(), s.flags | MSG_NOSIGNAL),
                    SyscallSucceedsWithValue(static_cast<ssize_t>(s.data.size())))
            << cite << " " << kOobLinux;
        break;
      case Op::kInline: {
        int on = 1;
        ASSERT_THAT(setsockopt(p.rx.get(), SOL_SOCKET, SO_OOBINLINE, &on, sizeof on),
                    SyscallSucceeds());
        int got = 0;
        socklen_t len = sizeof got;
        ASSERT_THAT(getsockopt(p.rx.get(), SOL_SOCKET, SO_OOBINLINE, &got, &len),
                    SyscallSucceeds());
        ASSERT_NE(got, 0) << "man 7 socket: \"SO_OOBINLINE If this option is enabled\": set 1, "
                             "read back 0";
        break;
      }
      case Op::kRecv: {
        for (int pass = peek ? 0 : 1; pass < 2; ++pass) {
          const int flags = s.flags | MSG_DONTWAIT | (pass == 0 ? MSG_PEEK : 0);
          char buf[64];
          memset(buf, 0, sizeof buf);
          errno = 0;
          ssize_t n = recv(p.rx.get(), buf, s.buffer, flags);
          int e = errno;
          const char* how = pass == 0 ? "the MSG_PEEK before it" : "the receive";
          if (s.err != 0) {
            EXPECT_TRUE(n == -1 && e == s.err)
                << cite << " " << kOobLinux << ": " << how << " should fail "
                << strerror(s.err) << ", returned " << n
                << (n < 0 ? std::string(" errno ") + strerror(e)
                          : " \"" + std::string(buf, n) + "\"");
          } else {
            EXPECT_TRUE(n >= 0 && std::string(buf, n) == s.data)
                << cite << " " << kOobLinux << ": " << how << " should return \"" << s.data
                << "\", returned " << n
                << (n < 0 ? std::string(" errno ") + strerror(e)
                          : " \"" + std::string(buf, n) + "\"");
          }
        }
        break;
      }
    }
    if (s.at_mark != Tri::kAny) {
      int answ = -1;
      ASSERT_THAT(ioctl(p.rx.get(), SIOCATMARK, &answ), SyscallSucceeds()) << "SIOCATMARK";
      EXPECT_EQ(answ != 0, s.at_mark == Tri::kYes)
          << "man 7 tcp: \"SIOCATMARK Returns true (i.e., value is nonzero) if the inbound data "
             "stream is at the urgent mark.\" "
          << kOobLinux << ": SIOCATMARK gave " << answ << ", expected "
          << (s.at_mark == Tri::kYes ? "at the mark" : "not at the mark");
    }
    if (s.pri != Tri::kAny) {
      struct epoll_event ev = {};
      int n = epoll_wait(p.ep.get(), &ev, 1, 0);
      const bool want = s.pri == Tri::kYes;
      EXPECT_TRUE(want ? (n == 1 && ev.events == EPOLLPRI) : n == 0)
          << "man 7 tcp: \"When out-of-band data is present, select(2) indicates the file "
             "descriptor as having an exceptional condition and poll (2) indicates a POLLPRI "
             "event.\" "
          << kOobLinux << ": epoll_wait(EPOLLPRI) returned " << n << " events 0x" << std::hex
          << ev.events << std::dec << ", expected " << (want ? "EPOLLPRI" : "nothing");
      struct pollfd pfd = {p.rx.get(), POLLPRI, 0};
      int pn = poll(&pfd, 1, 0);
      EXPECT_TRUE(want ? (pn == 1 && (pfd.revents & POLLPRI)) : (pfd.revents & POLLPRI) == 0)
          << "man 7 tcp: \"... and poll (2) indicates a POLLPRI event.\" " << kOobLinux
          << ": poll gave " << pn << " revents 0x" << std::hex << pfd.revents << std::dec
          << ", expected " << (want ? "POLLPRI" : "no POLLPRI");
    }
    done += (done.empty() ? "" : ", ") + StepName(s);
  }
}

class UnixOob : public ::testing::TestWithParam<bool> {
 protected:
  void Run(const std::vector<Step>& steps, const std::string& cite) {
    RunScript(steps, GetParam(), cite);
  }
};

// The last byte of a MSG_OOB send is the urgent byte: recv(MSG_OOB) returns
// it alone, the rest is normal data in front of it.
TEST_P(UnixOob, RecvOobReturnsTheLastByteOfTheOobSend) {
  IPCSPEC_NEEDS(UnixOobNeed());
  Run({Send("x", MSG_OOB, Y, Y), Recv("x", 1, MSG_OOB, Y, N)}, kTcpUrgent);
  Run({Send("hello", MSG_OOB, N, Y), Recv("o", 1, MSG_OOB, N, N), Recv("hell", 4, 0, Y, N)},
      kTcpUrgent);
}

// man 2 recv: "MSG_OOB This flag requests receipt of out-of-band data": with
// none pending (only normal data, or the urgent byte already taken or
// passed), recv(MSG_OOB) fails EINVAL, as TCP's does.
TEST_P(UnixOob, RecvOobWithNoUrgentByteFailsEinval) {
  IPCSPEC_NEEDS(UnixOobNeed());
  const std::string cite =
      "man 2 recv: \"MSG_OOB This flag requests receipt of out-of-band data\" [EINVAL when "
      "there is none, as TCP]";
  Run({Send("x", 0, N, N), RecvFails(EINVAL, 1, MSG_OOB, N, N)}, cite);
  Run({Send("x", MSG_OOB), Recv("x", 1, MSG_OOB), RecvFails(EINVAL, 1, MSG_OOB)}, cite);
}

// A normal read never returns the urgent byte: when it is all that is
// queued the read finds nothing (EAGAIN), and the byte is dropped: no
// longer urgent, no longer at the mark.
TEST_P(UnixOob, ANormalReadPassesOverALoneUrgentByte) {
  IPCSPEC_NEEDS(UnixOobNeed());
  Run({Send("x", MSG_OOB, Y, Y), RecvFails(EAGAIN, 1, 0, N, N), RecvFails(EINVAL, 1, MSG_OOB, N, N)},
      kTcpUrgent);
}

// A normal read stops at the mark even with room for more, then SIOCATMARK
// is true; a read after that passes over the urgent byte (dropped when it
// was not taken with MSG_OOB) and returns what follows.
TEST_P(UnixOob, ANormalReadStopsAtTheMark) {
  IPCSPEC_NEEDS(UnixOobNeed());
  Run({Send("hello", MSG_OOB, N, Y), Recv("hell", 5, 0, Y, Y), Recv("o", 1, MSG_OOB, Y, N),
       RecvFails(EAGAIN, 1, 0, N, A)},
      kTcpUrgent);
  Run({Send("hello", MSG_OOB, N, Y), Send("world", 0, N, Y), Recv("hell", 10, 0, Y, Y),
       Recv("world", 10, 0, N, N), RecvFails(EINVAL, 1, MSG_OOB, N, N)},
      kTcpUrgent);
}

// The read stops at the mark even when the urgent byte was taken first with
// MSG_OOB.
TEST_P(UnixOob, AReadStopsAtTheMarkEvenAfterTheUrgentByteWasTaken) {
  IPCSPEC_NEEDS(UnixOobNeed());
  Run({Send("hello", MSG_OOB, N, Y), Send("world", 0, N, Y), Recv("o", 1, MSG_OOB, N, N),
       Recv("hell", 9, 0, Y, N), Recv("world", 5, 0, N, N)},
      kTcpUrgent);
}

// A second MSG_OOB send moves the mark: the earlier urgent byte, not yet
// taken, becomes normal data (Linux's AF_UNIX keeps it; TCP drops it), and
// reads stop only at the new mark.
TEST_P(UnixOob, ASecondOobSendMakesTheEarlierUrgentByteNormalData) {
  IPCSPEC_NEEDS(UnixOobNeed());
  Run({Send("hello", MSG_OOB, N, Y), Send("wor", MSG_OOB, N, Y), Send("ld", 0, N, Y),
       Recv("hellowo", 10, 0, Y, Y), Recv("r", 1, MSG_OOB, Y, N), Recv("ld", 2, 0, N, N)},
      kTcpUrgent);
  Run({Send("x", MSG_OOB, Y, Y), Send("y", MSG_OOB, N, Y), Recv("x", 1, 0, Y, Y),
       Recv("y", 1, MSG_OOB, Y, N)},
      kTcpUrgent);
  Run({Send("x", MSG_OOB, Y, Y), Send("y", MSG_OOB, N, Y), Recv("y", 1, MSG_OOB, N, N),
       Recv("x", 1, 0, Y, N)},
      kTcpUrgent);
}

// After the urgent byte was taken, a new MSG_OOB send moves the mark: the
// taken byte's place is no longer at the mark (SIOCATMARK false there), a
// read passes over it and stops only at the new mark, and the new urgent
// byte is the next recv(MSG_OOB).
TEST_P(UnixOob, AfterANewOobSendOnlyTheNewMarkCounts) {
  IPCSPEC_NEEDS(UnixOobNeed());
  Run({Send("hello", MSG_OOB, N, Y), Recv("o", 1, MSG_OOB, N, N), Send("world", MSG_OOB, N, Y),
       Recv("hell", 4, 0, N, Y)},
      kTcpUrgent);
  Run({Send("hello", MSG_OOB, N, Y), Send("wor", MSG_OOB, N, Y), Recv("r", 1, MSG_OOB, N, N),
       Send("ld", MSG_OOB, N, Y), Recv("hellowol", 10, 0, Y, Y), Recv("d", 1, MSG_OOB, Y, N)},
      kTcpUrgent);
}

// man 7 socket: "SO_OOBINLINE If this option is enabled, out-of-band data
// is directly placed into the receive data stream.": recv(MSG_OOB) fails
// EINVAL, the urgent byte is read in line, the read still stops at the mark
// and EPOLLPRI holds until the byte is read.
TEST_P(UnixOob, SoOobinlinePutsTheUrgentByteInTheStream) {
  IPCSPEC_NEEDS(UnixOobNeed());
  const std::string cite =
      "man 7 socket: \"SO_OOBINLINE If this option is enabled, out-of-band data is directly "
      "placed into the receive data stream.\"";
  Run({Inline(), Send("x", MSG_OOB, Y, Y), RecvFails(EINVAL, 1, MSG_OOB, Y, Y),
       Recv("x", 1, 0, N, N)},
      cite);
  Run({Inline(), Send("hello", MSG_OOB, N, Y), RecvFails(EINVAL, 1, MSG_OOB, N, Y),
       Recv("hell", 5, 0, Y, Y), Recv("o", 1, 0, N, N)},
      cite);
}

// SO_OOBINLINE set after the sends: every urgent byte not yet taken is read
// in line (none is dropped); one already taken with MSG_OOB is not read again.
TEST_P(UnixOob, SoOobinlineSetLaterKeepsEveryUntakenUrgentByte) {
  IPCSPEC_NEEDS(UnixOobNeed());
  const std::string cite =
      "man 7 socket: \"SO_OOBINLINE If this option is enabled, out-of-band data is directly "
      "placed into the receive data stream.\"";
  Run({Send("hello", MSG_OOB), Send("wor", MSG_OOB), Send("ld", 0), Inline(),
       Recv("hellowo", 10, 0, Y, Y), Recv("rld", 3, 0, N, N)},
      cite);
  Run({Send("x", MSG_OOB, Y, Y), Inline(), Send("y", MSG_OOB, N, Y), Recv("x", 1, 0, Y, Y),
       Recv("y", 1, 0, N, N)},
      cite);
  Run({Send("x", MSG_OOB, Y, Y), Send("y", MSG_OOB, N, Y), Inline(), Recv("x", 1, 0, Y, Y),
       Recv("y", 1, 0, N, N)},
      cite);
  Run({Send("hello", MSG_OOB), Send("world", 0), Recv("o", 1, MSG_OOB, N, N), Inline(),
       Recv("hell", 9, 0, Y, N), Recv("world", 6, 0, N, N)},
      cite);
  Run({Send("hello", MSG_OOB), Recv("o", 1, MSG_OOB, N, N), Inline(),
       Send("world", MSG_OOB, N, Y), Recv("hell", 4, 0, N, Y)},
      cite);
}

INSTANTIATE_TEST_SUITE_P(Peek, UnixOob, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? std::string("peek_first") : std::string("no_peek");
                         });

// man 7 socket: "SIOCSPGRP Set the process or process group that is to
// receive SIGIO or SIGURG signals"; man 2 fcntl: "F_SETOWN also selects the
// recipient of SIGURG signals that are delivered when out-of-band data
// arrives on that socket." Each MSG_OOB send signals the owner once; a
// normal send does not. (F_SETOWN_EX with this thread, so no other thread
// takes the signal; SIGURG is blocked and taken with sigtimedwait.)
TEST(UnixOobSignal, EachOobSendSendsSigurgToTheOwner) {
  IPCSPEC_NEEDS(UnixOobNeed());
  constexpr const char* kCite =
      "man 2 fcntl: \"F_SETOWN also selects the recipient of SIGURG signals that are delivered "
      "when out-of-band data arrives on that socket.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  sigset_t urg, old;
  sigemptyset(&urg);
  sigaddset(&urg, SIGURG);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &urg, &old), 0);
  const struct timespec zero = {0, 0};
  Cleanup restore([&] {
    while (sigtimedwait(&urg, nullptr, &zero) == SIGURG) {
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  });
  while (sigtimedwait(&urg, nullptr, &zero) == SIGURG) {
  }
  struct f_owner_ex owner = {F_OWNER_TID, static_cast<pid_t>(syscall(SYS_gettid))};
  ASSERT_THAT(fcntl(sp.b.get(), F_SETOWN_EX, &owner), SyscallSucceeds());
  auto pending = [&] { return sigtimedwait(&urg, nullptr, &zero) == SIGURG; };
  ASSERT_THAT(send(sp.a.get(), "a", 1, MSG_NOSIGNAL), SyscallSucceedsWithValue(1));
  EXPECT_FALSE(pending()) << kCite << " " << kOobLinux << ": SIGURG after a normal send";
  for (const char* d : {"hello", "x"}) {
    ASSERT_THAT(send(sp.a.get(), d, strlen(d), MSG_OOB | MSG_NOSIGNAL),
                SyscallSucceedsWithValue(static_cast<ssize_t>(strlen(d))));
    EXPECT_TRUE(pending()) << kCite << " " << kOobLinux << ": no SIGURG after send(\"" << d
                           << "\", MSG_OOB)";
    EXPECT_FALSE(pending()) << kCite << " " << kOobLinux << ": a second SIGURG for one send";
  }
}

// man 7 unix, ERRORS: "EOPNOTSUPP Stream operation called on non-stream
// oriented socket or tried to use the out-of-band data option." Linux's
// out-of-band data is for SOCK_STREAM only: MSG_OOB on a datagram or
// seqpacket socket fails EOPNOTSUPP, for send and receive.
TEST(UnixOobTypes, MsgOobOnAMessageSocketFailsEopnotsupp) {
  constexpr const char* kCite =
      "man 7 unix, ERRORS: \"EOPNOTSUPP Stream operation called on non-stream oriented socket "
      "or tried to use the out-of-band data option.\"";
  for (int type : {SOCK_DGRAM, SOCK_SEQPACKET}) {
    ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(type | SOCK_NONBLOCK));
    EXPECT_THAT(send(sp.a.get(), "x", 1, MSG_OOB | MSG_NOSIGNAL),
                SyscallFailsWithErrno(EOPNOTSUPP))
        << kCite << ": send(MSG_OOB) on " << TypeName(type);
    ASSERT_THAT(send(sp.a.get(), "x", 1, MSG_NOSIGNAL), SyscallSucceedsWithValue(1));
    char c;
    EXPECT_THAT(recv(sp.b.get(), &c, 1, MSG_OOB | MSG_DONTWAIT),
                SyscallFailsWithErrno(EOPNOTSUPP))
        << kCite << ": recv(MSG_OOB) on " << TypeName(type);
  }
}

// ---------------------------------------------------------------------------
// SO_PASSPIDFD / SCM_PIDFD / SO_PEERPIDFD (Linux 6.5). No man page of this
// machine describes them; the kernel's: with SO_PASSPIDFD set on the
// receiving socket, each received message carries an SCM_PIDFD control
// message holding a new pidfd of the sending process; SO_PEERPIDFD gives a
// pidfd of the connected peer (the process SO_PEERCRED names). man 5
// proc_pid_fdinfo: a pidfd's fdinfo has "Pid:", the process it refers to.

constexpr const char* kPidfdLinux =
    "[Linux >= 6.5: \"SO_PASSPIDFD: each received message carries SCM_PIDFD, a pidfd of the "
    "sender\"; man 5 proc_pid_fdinfo: a pidfd's fdinfo \"Pid:\" field is the process it refers "
    "to]";

// `feature:so-passpidfd`: setsockopt(SO_PASSPIDFD) on a fresh socket, and
// getsockopt(SO_PASSPIDFD) reads it (Linux < 6.5: ENOPROTOOPT; gVisor
// accepts the set but does not know the option).
Need PassPidfdNeed() {
  return Need::Feature("so-passpidfd", []() -> std::optional<std::string> {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    FileDescriptor s(fd);
    int on = 1;
    if (setsockopt(s.get(), SOL_SOCKET, SO_PASSPIDFD, &on, sizeof on) != 0) {
      return std::string("setsockopt(SO_PASSPIDFD): ") + strerror(errno);
    }
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(s.get(), SOL_SOCKET, SO_PASSPIDFD, &v, &len) != 0) {
      return std::string("getsockopt(SO_PASSPIDFD): ") + strerror(errno);
    }
    return std::nullopt;
  });
}

// The "Pid:" of a pidfd's fdinfo; nullopt when there is none.
std::optional<long> PidfdPid(int pidfd) {
  std::ifstream f("/proc/self/fdinfo/" + std::to_string(pidfd));
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("Pid:", 0) == 0) return std::stol(line.substr(4));
  }
  return std::nullopt;
}

struct PidfdMessage {
  ssize_t n = -1;
  std::string data;
  FileDescriptor pidfd;  // the SCM_PIDFD's descriptor, if one came
  std::optional<struct ucred> creds;
  int msg_flags = 0;
  std::string ToString() const {
    std::ostringstream os;
    os << "recvmsg returned " << n << " \"" << data << "\", SCM_PIDFD "
       << (pidfd ? std::to_string(pidfd.get()) : std::string("absent")) << ", SCM_CREDENTIALS "
       << (creds ? "pid " + std::to_string(creds->pid) : std::string("absent"))
       << ", msg_flags 0x" << std::hex << msg_flags;
    return os.str();
  }
};

// recvmsg(MSG_DONTWAIT) after waiting for readability; every SCM_RIGHTS or
// SCM_PIDFD descriptor is owned by the result (none leaks).
PosixErrorOr<PidfdMessage> ReceivePidfd(int fd) {
  IPCSPEC_RETURN_IF_ERROR(WaitReadable(fd, Deadline::Default()));
  char buf[16];
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct ucred)) +
                                       CMSG_SPACE(sizeof(int)) * 2];
  memset(control, 0, sizeof control);
  struct iovec iov = {buf, sizeof buf};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  PidfdMessage m;
  m.n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (m.n < 0) return PosixError(errno, "recvmsg");
  m.data.assign(buf, m.n);
  m.msg_flags = msg.msg_flags;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_PIDFD && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int pfd;
      memcpy(&pfd, CMSG_DATA(c), sizeof pfd);
      m.pidfd.reset(pfd);
    } else if (c->cmsg_type == SCM_RIGHTS) {
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k; ++i) {
        int x;
        memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof x);
        close(x);
      }
    } else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      struct ucred u;
      memcpy(&u, CMSG_DATA(c), sizeof u);
      m.creds = u;
    }
  }
  return m;
}

PosixError SetPass(int fd, int opt) {
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, opt, &on, sizeof on) != 0) return PosixError(errno, "setsockopt");
  return NoError();
}

// A child that sends one byte on `sock` and then waits (poll, bounded) for
// `hold` to hang up before it exits with `code`. Child-safe.
int SendAndHold(int sock, char byte, int hold, int code) {
  if (send(sock, &byte, 1, MSG_NOSIGNAL) != 1) return 3;
  struct pollfd p = {hold, POLLIN, 0};
  poll(&p, 1, 10000);
  return code;
}

std::string KindParamName(const ::testing::TestParamInfo<int>& i) {
  return i.param == SOCK_STREAM ? "stream" : "dgram";
}

class UnixPidfd : public ::testing::TestWithParam<int> {};

// With SO_PASSPIDFD (and SO_PASSCRED) on the receiver, a message from
// another process carries SCM_PIDFD, a pidfd of that process, next to
// SCM_CREDENTIALS naming the same pid.
TEST_P(UnixPidfd, ReceivedMessageCarriesAPidfdOfTheSender) {
  IPCSPEC_NEEDS(PassPidfdNeed());
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam()));
  ASSERT_NO_ERRNO(SetPass(sp.b.get(), SO_PASSCRED));
  ASSERT_NO_ERRNO(SetPass(sp.b.get(), SO_PASSPIDFD));
  int hold[2];
  ASSERT_THAT(pipe2(hold, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor hold_r(hold[0]), hold_w(hold[1]);
  ASSERT_OK_AND_ASSIGN(Child sender, Child::Fork([&] {
    hold_w.reset();
    return SendAndHold(sp.a.get(), 'x', hold_r.get(), 0);
  }));
  hold_r.reset();
  ASSERT_OK_AND_ASSIGN(PidfdMessage m, ReceivePidfd(sp.b.get()));
  EXPECT_EQ(m.data, "x") << m.ToString();
  ASSERT_TRUE(m.pidfd.valid()) << kPidfdLinux << ": no SCM_PIDFD: " << m.ToString();
  EXPECT_EQ(PidfdPid(m.pidfd.get()), std::optional<long>(sender.pid()))
      << kPidfdLinux << ": the SCM_PIDFD pidfd's Pid is not the sender " << sender.pid();
  ASSERT_TRUE(m.creds.has_value()) << "man 7 unix: \"SO_PASSCRED Enabling this socket option "
                                      "causes receipt of the credentials\": " << m.ToString();
  EXPECT_EQ(m.creds->pid, sender.pid())
      << kPidfdLinux << ": SCM_CREDENTIALS and SCM_PIDFD name different processes";
  hold_w.reset();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, sender.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
}

// A pidfd comes even when the sender exited (and was reaped) before the
// receive; it reports the sender's exit status (PIDFD_GET_INFO, PIDFD_INFO_EXIT, Linux
// 6.15+; the pidfd of a reaped sender, 6.16+).
struct PidfdInfo {  // struct pidfd_info, PIDFD_INFO_SIZE_VER0
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};
static_assert(sizeof(PidfdInfo) == 64);
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);
constexpr uint64_t kPidfdInfoExit = 1ull << 3;

// `feature:pidfd-exit-info`: PIDFD_GET_INFO on a pidfd of an exited child
// reports PIDFD_INFO_EXIT.
Need PidfdExitInfoNeed() {
  return Need::Feature("pidfd-exit-info", []() -> std::optional<std::string> {
    auto child = Child::Fork([] { return 0; });
    if (!child.ok()) return std::nullopt;
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child.value().pid(), 0));
    if (pidfd < 0) return std::string("pidfd_open: ") + strerror(errno);
    FileDescriptor p(pidfd);
    auto st = child.value().Wait();
    if (!st.ok()) return std::nullopt;
    PidfdInfo info = {};
    info.mask = kPidfdInfoExit;
    if (ioctl(p.get(), kPidfdGetInfo, &info) != 0) {
      return std::string("ioctl(PIDFD_GET_INFO): ") + strerror(errno);
    }
    if (!(info.mask & kPidfdInfoExit)) return std::string("PIDFD_GET_INFO: no PIDFD_INFO_EXIT");
    return std::nullopt;
  });
}

TEST_P(UnixPidfd, ThePidfdOfAnExitedSenderReportsItsExitStatus) {
  IPCSPEC_NEEDS(PassPidfdNeed(), PidfdExitInfoNeed());
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam()));
  ASSERT_NO_ERRNO(SetPass(sp.b.get(), SO_PASSPIDFD));
  ASSERT_OK_AND_ASSIGN(Child sender, Child::Fork([&] {
    return send(sp.a.get(), "y", 1, MSG_NOSIGNAL) == 1 ? 123 : 3;
  }));
  const pid_t pid = sender.pid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, sender.Wait());
  ASSERT_TRUE(st.ExitedWith(123)) << st;
  ASSERT_OK_AND_ASSIGN(PidfdMessage m, ReceivePidfd(sp.b.get()));
  EXPECT_EQ(m.data, "y") << m.ToString();
  ASSERT_TRUE(m.pidfd.valid()) << kPidfdLinux
                               << ": no SCM_PIDFD for a sender that exited (pid " << pid
                               << "): " << m.ToString();
  PidfdInfo info = {};
  info.mask = kPidfdInfoExit;
  ASSERT_THAT(ioctl(m.pidfd.get(), kPidfdGetInfo, &info), SyscallSucceeds())
      << kPidfdLinux << ": PIDFD_GET_INFO on the sender's pidfd";
  ASSERT_TRUE(info.mask & kPidfdInfoExit)
      << kPidfdLinux << ": PIDFD_GET_INFO gives no exit information for the exited sender";
  EXPECT_TRUE(WIFEXITED(info.exit_code) && WEXITSTATUS(info.exit_code) == 123)
      << kPidfdLinux << ": the sender's pidfd reports exit status 0x" << std::hex
      << info.exit_code << ", the sender exited with 123";
}

INSTANTIATE_TEST_SUITE_P(Kinds, UnixPidfd, ::testing::Values(SOCK_STREAM, SOCK_DGRAM),
                         KindParamName);

// SO_PEERPIDFD on a connected stream socket gives a pidfd of the peer: the
// process that connected, the one SO_PEERCRED names.
TEST(UnixPeerPidfd, SoPeerpidfdRefersToThePeerSoPeercredNames) {
  IPCSPEC_NEEDS(PassPidfdNeed());
  constexpr const char* kCite =
      "[Linux >= 6.5: \"SO_PEERPIDFD: a pidfd of the connected peer\"]; man 7 unix: "
      "\"SO_PEERCRED This read-only socket option returns the credentials of the peer process "
      "connected to this socket.\"";
  const UnixAddress addr = AbstractAddress(UniqueAbstractName("peerpidfd"));
  ASSERT_OK_AND_ASSIGN(auto listener, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(listener.get(), addr));
  ASSERT_THAT(listen(listener.get(), 4), SyscallSucceeds());
  int hold[2];
  ASSERT_THAT(pipe2(hold, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor hold_r(hold[0]), hold_w(hold[1]);
  ASSERT_OK_AND_ASSIGN(Child client, Child::Fork([&] {
    hold_w.reset();
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 2;
    if (connect(fd, addr.get(), addr.len) != 0) return 3;
    return SendAndHold(fd, 'c', hold_r.get(), 0);
  }));
  hold_r.reset();
  ASSERT_NO_ERRNO(WaitReadable(listener.get(), Deadline::Default()));
  FileDescriptor conn(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn.valid()) << "accept4: " << strerror(errno);
  struct ucred cred = {};
  socklen_t len = sizeof cred;
  ASSERT_THAT(getsockopt(conn.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len), SyscallSucceeds());
  EXPECT_EQ(cred.pid, client.pid()) << kCite;
  int pidfd = -1;
  len = sizeof pidfd;
  ASSERT_THAT(getsockopt(conn.get(), SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len), SyscallSucceeds())
      << kCite;
  FileDescriptor p(pidfd);
  ASSERT_TRUE(p.valid()) << kCite << ": SO_PEERPIDFD gave " << pidfd;
  EXPECT_EQ(PidfdPid(p.get()), std::optional<long>(cred.pid))
      << kCite << ": the SO_PEERPIDFD pidfd's Pid is not SO_PEERCRED's pid " << cred.pid;
  hold_w.reset();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, client.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
}

// ---------------------------------------------------------------------------
// NETLINK_SOCK_DIAG: UDIAG_SHOW_UID (Linux 5.3; man 7 sock_diag: "UDIAG_SHOW_UID
// ... UNIX_DIAG_UID ... the uid of the socket's owner" is not on this
// machine's page, which stops at UDIAG_SHOW_RQLEN).

constexpr const char* kDiagCite =
    "man 7 sock_diag: \"UNIX_DIAG_* ... attributes\" [Linux >= 5.3: UDIAG_SHOW_UID asks for "
    "UNIX_DIAG_UID, the uid of the socket's owner as seen from the asking socket's user "
    "namespace]";

struct DiagResult {
  int step = 0;       // 0: answered; else the step that failed (see DiagUid)
  int err = 0;        // its errno, or the NLMSG_ERROR's
  int family = -1;    // udiag_family of the answer
  long uid = -1;      // UNIX_DIAG_UID, -1 when absent
  int messages = 0;   // netlink messages in the answer
  std::string ToString() const {
    std::ostringstream os;
    os << "step " << step << " errno " << err << " (" << strerror(err) << "), family "
       << family << ", UNIX_DIAG_UID " << uid << ", " << messages << " message(s)";
    return os.str();
  }
};

// Asks NETLINK_SOCK_DIAG about the AF_UNIX socket `fd` with UDIAG_SHOW_UID.
// Child-safe (stack buffers and system calls only).
void DiagUid(int fd, DiagResult* r) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    r->step = 1, r->err = errno;
    return;
  }
  uint64_t cookie = 0;
  socklen_t clen = sizeof cookie;
  if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &clen) != 0) {
    if (errno != ENOPROTOOPT) {
      r->step = 2, r->err = errno;
      return;
    }
    cookie = ~0ull;  // INET_DIAG_NOCOOKIE in both halves: no cookie check
  }
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) {
    r->step = 3, r->err = errno;
    return;
  }
  struct {
    struct nlmsghdr nlh;
    struct unix_diag_req udr;
  } req = {};
  req.nlh.nlmsg_len = sizeof req;
  req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.nlh.nlmsg_flags = NLM_F_REQUEST;
  req.udr.sdiag_family = AF_UNIX;
  req.udr.udiag_ino = static_cast<uint32_t>(st.st_ino);
  req.udr.udiag_cookie[0] = static_cast<uint32_t>(cookie);
  req.udr.udiag_cookie[1] = static_cast<uint32_t>(cookie >> 32);
  req.udr.udiag_show = UDIAG_SHOW_UID;
  struct sockaddr_nl to = {};
  to.nl_family = AF_NETLINK;
  if (sendto(nl, &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
    r->step = 4, r->err = errno;
    close(nl);
    return;
  }
  struct pollfd p = {nl, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(Deadline::Default().RemainingMs())) != 1) {
    r->step = 5, r->err = ETIMEDOUT;
    close(nl);
    return;
  }
  alignas(struct nlmsghdr) char buf[8192];
  ssize_t n = recv(nl, buf, sizeof buf, MSG_DONTWAIT);
  int e = errno;
  close(nl);
  if (n <= 0) {
    r->step = 6, r->err = n < 0 ? e : 0;
    return;
  }
  int len = static_cast<int>(n);
  for (struct nlmsghdr* h = reinterpret_cast<struct nlmsghdr*>(buf); NLMSG_OK(h, len);
       h = NLMSG_NEXT(h, len)) {
    ++r->messages;
    if (h->nlmsg_type == NLMSG_ERROR) {
      auto* er = static_cast<struct nlmsgerr*>(NLMSG_DATA(h));
      r->step = 7, r->err = -er->error;
      continue;
    }
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
    auto* m = static_cast<struct unix_diag_msg*>(NLMSG_DATA(h));
    r->family = m->udiag_family;
    int alen = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
    for (struct rtattr* a = reinterpret_cast<struct rtattr*>(m + 1); RTA_OK(a, alen);
         a = RTA_NEXT(a, alen)) {
      if (a->rta_type == UNIX_DIAG_UID && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
        uint32_t u;
        memcpy(&u, RTA_DATA(a), sizeof u);
        r->uid = u;
      }
    }
  }
}

// `feature:unix-diag`: NETLINK_SOCK_DIAG answers for AF_UNIX (the protocol
// may be missing, e.g. gVisor; or unix_diag not loaded: ENOENT).
Need UnixDiagNeed() {
  return Need::Feature("unix-diag", []() -> std::optional<std::string> {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    DiagResult r;
    DiagUid(fd, &r);
    close(fd);
    if (r.step == 3 && (r.err == EPROTONOSUPPORT || r.err == EAFNOSUPPORT || r.err == EACCES ||
                        r.err == EPERM)) {
      return "socket(AF_NETLINK, NETLINK_SOCK_DIAG): " + std::string(strerror(r.err));
    }
    if (r.step == 7 && (r.err == ENOENT || r.err == EOPNOTSUPP || r.err == EINVAL)) {
      return "SOCK_DIAG_BY_FAMILY for AF_UNIX: " + std::string(strerror(r.err));
    }
    return std::nullopt;
  });
}

// The answer to a UDIAG_SHOW_UID query for a socket made here holds one
// message, for AF_UNIX, whose UNIX_DIAG_UID is this process's uid.
TEST(UnixDiag, ShowUidGivesTheOwnersUid) {
  IPCSPEC_NEEDS(UnixDiagNeed());
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_STREAM));
  DiagResult r;
  DiagUid(s.get(), &r);
  ASSERT_EQ(r.step, 0) << kDiagCite << ": " << r.ToString();
  EXPECT_EQ(r.family, AF_UNIX) << kDiagCite << ": " << r.ToString();
  EXPECT_EQ(r.messages, 1) << kDiagCite << ": " << r.ToString();
  EXPECT_EQ(r.uid, static_cast<long>(getuid()))
      << kDiagCite << ": UNIX_DIAG_UID is not the owner's uid " << getuid() << ": "
      << r.ToString();
}

// The same from a new user namespace with no uid mapped: the owner's uid
// reads as the overflow uid there, which is what getuid() says too.
TEST(UnixDiag, ShowUidIsSeenThroughTheAskersUserNamespace) {
  IPCSPEC_NEEDS(UnixDiagNeed(), Need::UserNamespace());
  ASSERT_OK_AND_ASSIGN(auto res, SharedObject<DiagResult>::Create());
  ASSERT_OK_AND_ASSIGN(auto own, SharedObject<long>::Create(-2));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
    if (unshare(CLONE_NEWUSER) != 0) return 2;
    *own = getuid();
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 3;
    DiagUid(fd, res.get());
    close(fd);
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  ASSERT_EQ(res->step, 0) << kDiagCite << ": " << res->ToString();
  EXPECT_EQ(res->uid, *own) << kDiagCite << ": in a new user namespace getuid() is " << *own
                            << ": " << res->ToString();
}

}  // namespace
}  // namespace ipcspec

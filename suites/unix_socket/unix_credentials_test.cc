// Process credentials over AF_UNIX sockets: SCM_CREDENTIALS with SO_PASSCRED
// (the default credentials, explicit ones, the kernel's checks) and
// SO_PEERCRED (man 7 unix, man 7 socket, man 3 cmsg).
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "suites/unix_socket/unix_test_util.h"

namespace ipcspec {
namespace {


constexpr const char* kPasscredCite =
    "man 7 unix, SO_PASSCRED: \"Enabling this socket option causes receipt of the credentials "
    "of the sending process in an SCM_CREDENTIALS ancillary message in each subsequently "
    "received message.  The returned credentials are those specified by the sender using "
    "SCM_CREDENTIALS, or a default that includes the sender's PID, real user ID, and real "
    "group ID, if the sender did not specify SCM_CREDENTIALS ancillary data.\"";

constexpr const char* kCheckedCite =
    "man 7 unix, SCM_CREDENTIALS: \"The credentials which the sender specifies are checked by "
    "the kernel.  A privileged process is allowed to specify values that do not match its own. "
    " The sender must specify its own process ID (unless it has the capability CAP_SYS_ADMIN, "
    "in which case the PID of any existing process may be specified), its real user ID, "
    "effective user ID, or saved set-user-ID (unless it has CAP_SETUID), and its real group "
    "ID, effective group ID, or saved set-group-ID (unless it has CAP_SETGID).\"; ERRORS: "
    "\"EPERM The sender passed invalid credentials in the struct ucred.\"";

constexpr const char* kPeercredCite =
    "man 7 unix, SO_PEERCRED: \"This read-only socket option returns the credentials of the "
    "peer process connected to this socket.  The returned credentials are those that were in "
    "effect at the time of the call to connect(2) or socketpair(2).\"";

constexpr size_t kCredControl = CMSG_SPACE(sizeof(struct ucred));

PosixError EnablePasscred(int fd) {
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
    return ErrnoError("setsockopt(SO_PASSCRED, 1)");
  }
  return NoError();
}

std::string Ucred(const struct ucred& u) {
  return "{pid=" + std::to_string(u.pid) + " uid=" + std::to_string(u.uid) +
         " gid=" + std::to_string(u.gid) + "}";
}

// What a child reports about itself.
struct Ids {
  pid_t pid = 0;
  uid_t ruid = 0, euid = 0;
  gid_t rgid = 0, egid = 0;
  bool split = false;  // real ids made different from the effective ones
  std::string ToString() const {
    return "pid " + std::to_string(pid) + " ruid " + std::to_string(ruid) + " euid " +
           std::to_string(euid) + " rgid " + std::to_string(rgid) + " egid " +
           std::to_string(egid);
  }
};

// man 7 unix, SO_PASSCRED (kPasscredCite). A child sends a plain message (no
// ancillary data); the parent's socket has SO_PASSCRED and receives the
// child's PID, real user ID and real group ID. Where the test may (root), the
// child first makes its real ids differ from its effective ones, so that
// "real" is what is checked.
TEST(ScmCredentials, DefaultCredentialsAreTheSendersPidAndRealIds) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM));
  ASSERT_NO_ERRNO(EnablePasscred(sp.b.get()));
  const auto other_uid = MappedIdOtherThan("/proc/self/uid_map", {getuid(), geteuid()});
  const auto other_gid = MappedIdOtherThan("/proc/self/gid_map", {getgid(), getegid()});
  ASSERT_OK_AND_ASSIGN(auto ids, SharedObject<Ids>::Create());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
    sp.b.reset();
    if (geteuid() == 0 && other_uid && other_gid) {
      // Real ids -> other, effective and saved stay 0 (still privileged).
      ids->split = setresgid(*other_gid, 0, 0) == 0 && setresuid(*other_uid, 0, 0) == 0;
    }
    ids->pid = getpid();
    ids->ruid = getuid();
    ids->euid = geteuid();
    ids->rgid = getgid();
    ids->egid = getegid();
    return send(sp.a.get(), "c", 1, 0) == 1 ? 0 : 1;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  ASSERT_OK_AND_ASSIGN(Received r, Receive(sp.b.get(), RecvOptions{.buffer = 8,
                                                                   .control = kCredControl}));
  ASSERT_TRUE(r.creds.has_value()) << kPasscredCite << ": no SCM_CREDENTIALS: " << r.ToString();
  const std::string sender = " (the sender: " + ids->ToString() +
                             (ids->split ? ", real ids differ from effective ones)"
                                         : ", real and effective ids equal here)");
  EXPECT_EQ(r.creds->pid, ids->pid) << kPasscredCite << sender << ": got " << Ucred(*r.creds);
  EXPECT_EQ(r.creds->uid, ids->ruid) << kPasscredCite << sender << ": got " << Ucred(*r.creds);
  EXPECT_EQ(r.creds->gid, ids->rgid) << kPasscredCite << sender << ": got " << Ucred(*r.creds);
  EXPECT_NE(r.creds->pid, getpid()) << kPasscredCite << ": the receiver's own pid";
}

// man 7 unix, SCM_CREDENTIALS (kCheckedCite): a process may always specify
// its own PID, real user ID and real group ID; the receiver gets them.
// man 7 unix, SO_PASSCRED: "The value given as an argument to setsockopt(2)
// and returned as the result of getsockopt(2) is an integer boolean flag."
TEST(ScmCredentials, ExplicitOwnCredentialsAreAccepted) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(EnablePasscred(sp.b.get()));
  int flag = -1;
  socklen_t len = sizeof flag;
  ASSERT_THAT(getsockopt(sp.b.get(), SOL_SOCKET, SO_PASSCRED, &flag, &len), SyscallSucceeds());
  EXPECT_EQ(flag, 1) << "man 7 unix, SO_PASSCRED: \"an integer boolean flag\"";
  const struct ucred own = {getpid(), getuid(), getgid()};
  ASSERT_THAT(SendCreds(sp.a.get(), "o", 1, own), SyscallSucceedsWithValue(1))
      << kCheckedCite << ": own credentials " << Ucred(own);
  ASSERT_OK_AND_ASSIGN(Received r, Receive(sp.b.get(), RecvOptions{.buffer = 8,
                                                                   .control = kCredControl}));
  ASSERT_TRUE(r.creds.has_value()) << kPasscredCite << ": " << r.ToString();
  EXPECT_EQ(r.creds->pid, own.pid) << kPasscredCite << ": " << Ucred(*r.creds);
  EXPECT_EQ(r.creds->uid, own.uid) << kPasscredCite << ": " << Ucred(*r.creds);
  EXPECT_EQ(r.creds->gid, own.gid) << kPasscredCite << ": " << Ucred(*r.creds);
}

// man 7 unix, SO_PASSCRED ... SCM_CREDENTIALS: "To receive a struct ucred
// message, the SO_PASSCRED option must be enabled on the socket." Explicit
// credentials sent to a socket without SO_PASSCRED are not delivered.
TEST(ScmCredentials, WithoutSoPasscredNoCredentialsAreReceived) {
  const char* cite =
      "man 7 unix, SCM_CREDENTIALS: \"To receive a struct ucred message, the SO_PASSCRED "
      "option must be enabled on the socket.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  const struct ucred own = {getpid(), getuid(), getgid()};
  ASSERT_THAT(SendCreds(sp.a.get(), "o", 1, own), SyscallSucceedsWithValue(1));
  ASSERT_THAT(send(sp.a.get(), "p", 1, 0), SyscallSucceedsWithValue(1));
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(Received r, Receive(sp.b.get(), RecvOptions{.buffer = 8,
                                                                     .control = kCredControl}));
    EXPECT_FALSE(r.creds.has_value()) << cite << ": message " << i << ": " << r.ToString();
    EXPECT_EQ(r.cmsg_count, 0) << cite << ": message " << i << ": " << r.ToString();
  }
}

// What the unprivileged child got from each attempt.
struct UnprivilegedSends {
  int drop_errno = -1;
  CallRecord own, other_pid, other_uid, other_gid;
};

// A child drops CAP_SYS_ADMIN, CAP_SETUID and CAP_SETGID (capset(2)) and
// sends on `sp.a`: with the parent's PID, with `other_uid` and with
// `other_gid` (those given), then with its own credentials, last.
PosixErrorOr<SharedObject<UnprivilegedSends>> SendWithoutPrivilege(
    SocketPair& sp, std::optional<unsigned> other_uid,
    std::optional<unsigned> other_gid) {
  const pid_t parent = getpid();
  IPCSPEC_ASSIGN_OR_RETURN(auto res, SharedObject<UnprivilegedSends>::Create());
  IPCSPEC_ASSIGN_OR_RETURN(WaitStatus st, ForkAndWait([&] {
    sp.b.reset();
    const int caps[] = {CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID};
    res->drop_errno = DropCapabilities(caps, 3);
    if (res->drop_errno != 0) return 0;  // reported as drop_errno
    auto attempt = [&](CallRecord* out, pid_t pid, uid_t uid, gid_t gid) {
      const struct ucred c = {pid, uid, gid};
      *out = Record("sendmsg(SCM_CREDENTIALS)", SendCreds(sp.a.get(), "u", 1, c, MSG_DONTWAIT));
    };
    attempt(&res->other_pid, parent, getuid(), getgid());
    if (other_uid) attempt(&res->other_uid, getpid(), *other_uid, getgid());
    if (other_gid) attempt(&res->other_gid, getpid(), getuid(), *other_gid);
    attempt(&res->own, getpid(), getuid(), getgid());
    return 0;
  }));
  if (res->drop_errno != 0) {
    return PosixError(res->drop_errno, "capset(2) in the child");
  }
  IPCSPEC_RETURN_IF_ERROR(ReachedEnd(st, "the sending child"));
  return res;
}

// Exactly one message arrived on `sp.b`: the one with the child's own
// credentials (every refused send delivered nothing).
void ExpectOnlyTheOwnCredentialsArrived(SocketPair& sp, pid_t parent) {
  ASSERT_OK_AND_ASSIGN(Received r, Receive(sp.b.get(), RecvOptions{.buffer = 8,
                                                                   .control = kCredControl}));
  ASSERT_TRUE(r.creds.has_value()) << kPasscredCite << ": " << r.ToString();
  EXPECT_NE(r.creds->pid, parent) << kCheckedCite << ": a refused message was delivered";
  EXPECT_THAT(Receive(sp.b.get(), RecvOptions{.wait = false}), SyscallFailsWithErrno(EAGAIN))
      << kCheckedCite << ": a refused message was delivered";
}

// man 7 unix, SCM_CREDENTIALS (kCheckedCite). A child without
// CAP_SYS_ADMIN (capset(2)) may send its own credentials, but another
// existing process's PID (the parent's) fails with EPERM; only the message
// with its own credentials arrives.
TEST(ScmCredentials, AnotherPidWithoutCapSysAdminFailsEperm) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM));
  ASSERT_NO_ERRNO(EnablePasscred(sp.b.get()));
  const pid_t parent = getpid();
  ASSERT_OK_AND_ASSIGN(auto res, SendWithoutPrivilege(sp, std::nullopt, std::nullopt));
  EXPECT_EQ(res->own.ret, 1) << kCheckedCite << ": its own credentials: " << res->own.ToString();
  EXPECT_TRUE(res->other_pid.ret == -1 && res->other_pid.err == EPERM)
      << kCheckedCite << ": the parent's pid " << parent << " without CAP_SYS_ADMIN: "
      << res->other_pid.ToString();
  ExpectOnlyTheOwnCredentialsArrived(sp, parent);
}

// man 7 unix, SCM_CREDENTIALS (kCheckedCite). A child without CAP_SETUID
// and CAP_SETGID (capset(2)) that names a user ID that is none of its real,
// effective or saved ones, or such a group ID, fails with EPERM; only the
// message with its own credentials arrives. Needs such ids mapped in the
// user namespace (Bazel's linux-sandbox maps one uid and one gid only).
TEST(ScmCredentials, AnotherUidOrGidWithoutCapSetidFailsEperm) {
  IPCSPEC_NEEDS(Need::SecondMappedIds());
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM));
  ASSERT_NO_ERRNO(EnablePasscred(sp.b.get()));
  const pid_t parent = getpid();
  const auto other_uid = MappedIdOtherThan("/proc/self/uid_map", {getuid(), geteuid()});
  const auto other_gid = MappedIdOtherThan("/proc/self/gid_map", {getgid(), getegid()});
  ASSERT_TRUE(other_uid && other_gid) << "the need second-uid was met, yet no other id is mapped";
  ASSERT_OK_AND_ASSIGN(auto res, SendWithoutPrivilege(sp, other_uid, other_gid));
  EXPECT_EQ(res->own.ret, 1) << kCheckedCite << ": its own credentials: " << res->own.ToString();
  EXPECT_TRUE(res->other_uid.ret == -1 && res->other_uid.err == EPERM)
      << kCheckedCite << ": uid " << *other_uid << " without CAP_SETUID: "
      << res->other_uid.ToString();
  EXPECT_TRUE(res->other_gid.ret == -1 && res->other_gid.err == EPERM)
      << kCheckedCite << ": gid " << *other_gid << " without CAP_SETGID: "
      << res->other_gid.ToString();
  ExpectOnlyTheOwnCredentialsArrived(sp, parent);
}

// man 7 unix, SCM_CREDENTIALS (kCheckedCite: "unless it has the capability
// CAP_SYS_ADMIN, in which case the PID of any existing process may be
// specified"); man 7 unix, ERRORS: "ESRCH While sending an ancillary message
// containing credentials (SCM_CREDENTIALS), the caller specified a PID that
// does not match any existing process." With CAP_SYS_ADMIN the test names a
// live child's PID and the receiver gets it; a reaped child's PID fails
// ESRCH.
TEST(ScmCredentials, WithCapSysAdminAnyExistingPidMayBeNamed) {
  const char* esrch =
      "man 7 unix, ERRORS: \"ESRCH While sending an ancillary message containing credentials "
      "(SCM_CREDENTIALS), the caller specified a PID that does not match any existing "
      "process.\"";
  IPCSPEC_NEEDS(Need::CapabilityOverPidNamespace(CAP_SYS_ADMIN));
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(EnablePasscred(sp.b.get()));
  ASSERT_OK_AND_ASSIGN(auto stop, MakeSocketPair(SOCK_STREAM));
  // A child that lives until the parent closes its end of `stop`.
  ASSERT_OK_AND_ASSIGN(Child live, Child::Fork([&] {
    stop.a.reset();
    char b;
    return read(stop.b.get(), &b, 1) == 0 ? 0 : 1;
  }));
  stop.b.reset();
  const struct ucred theirs = {live.pid(), getuid(), getgid()};
  ssize_t sent = SendCreds(sp.a.get(), "s", 1, theirs);
  ASSERT_THAT(sent, SyscallSucceedsWithValue(1)) << kCheckedCite << ": " << Ucred(theirs);
  ASSERT_OK_AND_ASSIGN(Received r, Receive(sp.b.get(), RecvOptions{.buffer = 8,
                                                                   .control = kCredControl}));
  ASSERT_TRUE(r.creds.has_value()) << kPasscredCite << ": " << r.ToString();
  EXPECT_EQ(r.creds->pid, live.pid()) << kCheckedCite << ": " << Ucred(*r.creds);

  const pid_t gone = live.pid();
  stop.a.reset();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, live.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  const struct ucred nobody = {gone, getuid(), getgid()};
  EXPECT_THAT(SendCreds(sp.a.get(), "s", 1, nobody), SyscallFailsWithErrno(ESRCH))
      << esrch << ": pid " << gone << " was reaped";
}

// man 7 unix, SO_PEERCRED (kPeercredCite; "The use of this option is
// possible only for connected AF_UNIX stream sockets and for AF_UNIX stream
// and datagram socket pairs created using socketpair(2)."). A socketpair is
// made by the parent, then a child holds one end: on both ends SO_PEERCRED
// names the parent, the process that called socketpair(2), not the child now
// at the other end.
TEST(SoPeercred, SocketpairReportsTheProcessThatCreatedIt) {
  for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
    SCOPED_TRACE(TypeName(type));
    ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(type));
    ASSERT_OK_AND_ASSIGN(auto seen, SharedObject<struct ucred>::Create());
    ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
      sp.a.reset();
      socklen_t len = sizeof(struct ucred);
      return getsockopt(sp.b.get(), SOL_SOCKET, SO_PEERCRED, seen.get(), &len) == 0 ? 0 : 1;
    }));
    ASSERT_TRUE(st.ExitedWith(0)) << st << " (getsockopt(SO_PEERCRED) in the child)";
    EXPECT_EQ(seen->pid, getpid())
        << kPeercredCite << ": the child's end names the creator: " << Ucred(*seen);
    EXPECT_EQ(seen->uid, geteuid()) << kPeercredCite << ": " << Ucred(*seen);
    EXPECT_EQ(seen->gid, getegid()) << kPeercredCite << ": " << Ucred(*seen);
    struct ucred mine = {};
    socklen_t len = sizeof mine;
    ASSERT_THAT(getsockopt(sp.a.get(), SOL_SOCKET, SO_PEERCRED, &mine, &len), SyscallSucceeds());
    EXPECT_EQ(mine.pid, getpid()) << kPeercredCite << ": " << Ucred(mine);
  }
}

// What the connecting child reports.
struct Connector {
  int connect_errno = -1;
  bool changed_ids = false;
  struct ucred before = {};  // its own ids when it connected
  struct ucred peer = {};    // SO_PEERCRED of its connected socket
  int peer_errno = -1;
};

// man 7 unix, SO_PEERCRED (kPeercredCite). A child connects to the parent's
// listening stream socket, then (where the test may: root) changes all of its
// user and group IDs, and exits. The parent accepts afterwards: SO_PEERCRED
// of the accepted socket is the child's PID and the IDs it had at
// connect(2), not the later ones. The child's own socket names the parent,
// which owned the listening socket.
TEST(SoPeercred, ConnectedStreamReportsThePeerAsOfConnect) {
  ASSERT_OK_AND_ASSIGN(auto listener, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  const auto name = AbstractAddress(UniqueAbstractName("peercred"));
  ASSERT_NO_ERRNO(Bind(listener.get(), name));
  ASSERT_THAT(listen(listener.get(), 4), SyscallSucceeds());
  const auto other_uid = MappedIdOtherThan("/proc/self/uid_map", {getuid(), geteuid()});
  const auto other_gid = MappedIdOtherThan("/proc/self/gid_map", {getgid(), getegid()});
  ASSERT_OK_AND_ASSIGN(auto rep, SharedObject<Connector>::Create());
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([&] {
    listener.reset();
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return 2;
    rep->before = {getpid(), geteuid(), getegid()};
    if (connect(s, name.get(), name.len) != 0) {
      rep->connect_errno = errno;
      return 3;
    }
    rep->connect_errno = 0;
    if (geteuid() == 0 && other_uid && other_gid) {
      rep->changed_ids = setresgid(*other_gid, *other_gid, *other_gid) == 0 &&
                         setresuid(*other_uid, *other_uid, *other_uid) == 0;
    }
    socklen_t len = sizeof(struct ucred);
    rep->peer_errno = getsockopt(s, SOL_SOCKET, SO_PEERCRED, &rep->peer, &len) == 0 ? 0 : errno;
    return 0;
  }));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st << "; connect: " << ErrnoName(rep->connect_errno);
  ASSERT_NO_ERRNO(WaitReadable(listener.get(), Deadline::Default()))
      << "the child's connection is not in the listen queue";
  FileDescriptor accepted(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted.valid()) << "accept4: " << ErrnoName(errno);
  struct ucred peer = {};
  socklen_t len = sizeof peer;
  ASSERT_THAT(getsockopt(accepted.get(), SOL_SOCKET, SO_PEERCRED, &peer, &len), SyscallSucceeds());
  const std::string note = rep->changed_ids
                               ? " (the child changed its ids to uid " +
                                     std::to_string(*other_uid) + " gid " +
                                     std::to_string(*other_gid) + " after connecting)"
                               : " (the child could not change its ids here)";
  EXPECT_EQ(peer.pid, rep->before.pid)
      << kPeercredCite << note << ": " << Ucred(peer);
  EXPECT_EQ(peer.uid, rep->before.uid) << kPeercredCite << note << ": " << Ucred(peer);
  EXPECT_EQ(peer.gid, rep->before.gid) << kPeercredCite << note << ": " << Ucred(peer);
  ASSERT_EQ(rep->peer_errno, 0) << "getsockopt(SO_PEERCRED) in the child: "
                                << ErrnoName(rep->peer_errno);
  EXPECT_EQ(rep->peer.pid, getpid())
      << kPeercredCite << ": the connecting side names the listening process: "
      << Ucred(rep->peer);
}

}  // namespace
}  // namespace ipcspec

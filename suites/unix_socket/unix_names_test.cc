// AF_UNIX socket names: abstract names, autobind, pathname sockets (the
// socket file, EADDRINUSE, unlinking a socket in use, ECONNREFUSED) and
// connect(2) errors (man 7 unix, man 2 bind, man 2 connect).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/syscall_matchers.h"
#include "suites/unix_socket/unix_test_util.h"

namespace ipcspec {
namespace {


constexpr const char* kAbstractCite =
    "man 7 unix, \"abstract\": \"an abstract socket address is distinguished (from a pathname "
    "socket) by the fact that sun_path[0] is a null byte ('\\0').  The socket's address in "
    "this namespace is given by the additional bytes in sun_path that are covered by the "
    "specified length of the address structure.  (Null bytes in the name have no special "
    "significance.)  The name has no connection with filesystem pathnames.\"";

constexpr const char* kEaddrinuseCite =
    "man 7 unix, ERRORS: \"EADDRINUSE The specified local address is already in use or the "
    "filesystem socket object already exists.\"";

// Accepts one connection on a non-blocking listener, waiting for it.
PosixErrorOr<FileDescriptor> AcceptOne(int listener) {
  IPCSPEC_RETURN_IF_ERROR(WaitReadable(listener, Deadline::Default()));
  int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return ErrnoError("accept4");
  return FileDescriptor(fd);
}

// Sends `msg` on `from` and checks that `to` receives exactly it.
PosixError RoundTrip(int from, int to, const std::string& msg) {
  ssize_t k = send(from, msg.data(), msg.size(), MSG_NOSIGNAL);
  if (k != static_cast<ssize_t>(msg.size())) return ErrnoError("send(" + msg + ")");
  IPCSPEC_ASSIGN_OR_RETURN(Received r, Receive(to, RecvOptions{.buffer = 256}));
  if (r.data != msg) return PosixError(EBADMSG, "received '" + r.data + "', sent '" + msg + "'");
  return NoError();
}

// man 7 unix, "abstract" (kAbstractCite). A socket bound to an abstract name
// whose bytes spell a path in a fresh directory: bind succeeds, no file
// appears at that path, getsockname returns the name with addrlen
// sizeof(sa_family_t) + 1 + its length ("When the address of an abstract
// socket is returned, the returned addrlen is greater than
// sizeof(sa_family_t) (i.e., greater than 2), and the name of the socket is
// contained in the first (addrlen - sizeof(sa_family_t)) bytes of
// sun_path."), and a client reaches it by that name.
TEST(AbstractName, BindCreatesNoFileAndTheNameIsReachable) {
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  const std::string path = dir.Join("abs");
  const UnixAddress name = AbstractAddress(path);
  ASSERT_OK_AND_ASSIGN(auto server, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(server.get(), name)) << kAbstractCite;
  struct stat st;
  EXPECT_THAT(lstat(path.c_str(), &st), SyscallFailsWithErrno(ENOENT))
      << kAbstractCite << ": a file appeared at " << path;
  ASSERT_OK_AND_ASSIGN(UnixAddress got, SockName(server.get()));
  EXPECT_EQ(got.len, sizeof(sa_family_t) + 1 + path.size())
      << kAbstractCite << ": getsockname gave " << got.ToString();
  EXPECT_TRUE(got == name) << kAbstractCite << ": getsockname gave " << got.ToString()
                           << ", bound " << name.ToString();
  ASSERT_THAT(listen(server.get(), 4), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto client, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Connect(client.get(), name)) << kAbstractCite;
  ASSERT_OK_AND_ASSIGN(auto conn, AcceptOne(server.get()));
  EXPECT_NO_ERRNO(RoundTrip(client.get(), conn.get(), "via an abstract name")) << kAbstractCite;
}

// man 7 unix, "Abstract sockets": "Abstract sockets automatically disappear
// when all open references to the socket are closed." and ERRORS
// (kEaddrinuseCite). While any reference is open (here also a dup(2) of the
// bound socket) a second bind of the name fails EADDRINUSE; once the last is
// closed the name is free and a new socket binds it.
TEST(AbstractName, NameIsInUseWhileOpenAndFreeAfterTheLastClose) {
  const char* cite =
      "man 7 unix, \"Abstract sockets\": \"Abstract sockets automatically disappear when all "
      "open references to the socket are closed.\"";
  const UnixAddress name = AbstractAddress(UniqueAbstractName("reuse"));
  ASSERT_OK_AND_ASSIGN(auto first, MakeSocket(SOCK_DGRAM));
  ASSERT_NO_ERRNO(Bind(first.get(), name));
  ASSERT_OK_AND_ASSIGN(auto second, MakeSocket(SOCK_DGRAM));
  EXPECT_THAT(Bind(second.get(), name), SyscallFailsWithErrno(EADDRINUSE))
      << kEaddrinuseCite << ": " << name.ToString() << " is bound";
  FileDescriptor extra_ref(dup(first.get()));
  ASSERT_TRUE(extra_ref.valid()) << "dup: " << ErrnoName(errno);
  first.reset();
  ASSERT_OK_AND_ASSIGN(auto third, MakeSocket(SOCK_DGRAM));
  EXPECT_THAT(Bind(third.get(), name), SyscallFailsWithErrno(EADDRINUSE))
      << cite << ": a dup(2) of the bound socket is still open";
  extra_ref.reset();
  EXPECT_NO_ERRNO(Bind(second.get(), name)) << cite << ": every reference is closed";
}

// man 7 unix, "abstract" (kAbstractCite): the name is exactly the bytes the
// address length covers, and NUL bytes in it are ordinary bytes: "a\0b",
// "a\0c", "a" and "a\0" are four different names.
TEST(AbstractName, NulBytesAndTheLengthArePartOfTheName) {
  const std::string base = UniqueAbstractName("nul");
  const std::string names[] = {base + std::string("\0b", 2), base + std::string("\0c", 2), base,
                               base + std::string(1, '\0')};
  FileDescriptor socks[4];
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(socks[i], MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
    ASSERT_NO_ERRNO(Bind(socks[i].get(), AbstractAddress(names[i])))
        << kAbstractCite << ": name " << i << " collides with an earlier one";
  }
  // Each name reaches its own socket.
  ASSERT_OK_AND_ASSIGN(auto sender, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  for (int i = 0; i < 4; ++i) {
    const UnixAddress a = AbstractAddress(names[i]);
    const std::string msg = "to " + std::to_string(i);
    ASSERT_THAT(sendto(sender.get(), msg.data(), msg.size(), 0, a.get(), a.len),
                SyscallSucceedsWithValue(msg.size()));
    ASSERT_OK_AND_ASSIGN(Received r, Receive(socks[i].get(), RecvOptions{.buffer = 64}));
    EXPECT_EQ(r.data, msg) << kAbstractCite << ": " << a.ToString();
  }
}

constexpr const char* kAutobindCite =
    "man 7 unix, \"Autobind feature\": \"If a bind(2) call specifies addrlen as "
    "sizeof(sa_family_t), or the SO_PASSCRED socket option was specified for a socket that was "
    "not explicitly bound to an address, then the socket is autobound to an abstract address. "
    " The address consists of a null byte followed by 5 bytes in the character set "
    "[0-9a-f].\"";

// Whether `a` is an autobind address: NUL then 5 bytes of [0-9a-f].
bool IsAutobindName(const UnixAddress& a) {
  if (!a.IsAbstract() || a.len != sizeof(sa_family_t) + 6) return false;
  for (int i = 1; i <= 5; ++i) {
    const char c = a.addr.sun_path[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// man 7 unix, "Autobind feature" (kAutobindCite). bind(2) with addrlen ==
// sizeof(sa_family_t) gives each socket an abstract name of 5 hex digits, a
// different one per socket, which others can send to.
TEST(Autobind, BindWithOnlyTheFamilyGivesFiveHexDigits) {
  ASSERT_OK_AND_ASSIGN(auto a, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto b, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(a.get(), FamilyOnlyAddress())) << kAutobindCite;
  ASSERT_NO_ERRNO(Bind(b.get(), FamilyOnlyAddress())) << kAutobindCite;
  ASSERT_OK_AND_ASSIGN(UnixAddress na, SockName(a.get()));
  ASSERT_OK_AND_ASSIGN(UnixAddress nb, SockName(b.get()));
  EXPECT_TRUE(IsAutobindName(na)) << kAutobindCite << ": " << na.ToString();
  EXPECT_TRUE(IsAutobindName(nb)) << kAutobindCite << ": " << nb.ToString();
  EXPECT_FALSE(na == nb) << kAutobindCite << ": two sockets got the same name " << na.ToString();
  ASSERT_THAT(sendto(b.get(), "hi", 2, 0, na.get(), na.len), SyscallSucceedsWithValue(2))
      << kAutobindCite << ": sending to the autobound name " << na.ToString();
  ASSERT_OK_AND_ASSIGN(Received r, Receive(a.get(), RecvOptions{.buffer = 8}));
  EXPECT_EQ(r.data, "hi") << kAutobindCite;
}

// man 7 unix, SO_PASSCRED: "When this option is set and the socket is not yet
// connected, a unique name in the abstract namespace will be generated
// automatically." and "Autobind feature" (kAutobindCite). A datagram socket
// with SO_PASSCRED and no address is unnamed until connect(2), which
// autobinds it; the receiver sees that name as the sender's address. Without
// SO_PASSCRED (control) the socket stays unnamed (man 7 unix, "unnamed":
// "When the address of an unnamed socket is returned, its length is
// sizeof(sa_family_t)").
TEST(Autobind, ConnectingADatagramSocketWithSoPasscredAutobindsIt) {
  const char* passcred =
      "man 7 unix, SO_PASSCRED: \"When this option is set and the socket is not yet connected, "
      "a unique name in the abstract namespace will be generated automatically.\"";
  const UnixAddress server_name = AbstractAddress(UniqueAbstractName("autobind"));
  ASSERT_OK_AND_ASSIGN(auto server, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(server.get(), server_name));
  for (bool with_passcred : {false, true}) {
    SCOPED_TRACE(with_passcred ? "SO_PASSCRED set" : "SO_PASSCRED not set");
    ASSERT_OK_AND_ASSIGN(auto client, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
    int v = with_passcred ? 1 : 0;
    ASSERT_THAT(setsockopt(client.get(), SOL_SOCKET, SO_PASSCRED, &v, sizeof v), SyscallSucceeds());
    ASSERT_OK_AND_ASSIGN(UnixAddress before, SockName(client.get()));
    EXPECT_TRUE(before.IsUnnamed()) << "a new socket is unnamed: " << before.ToString();
    ASSERT_NO_ERRNO(Connect(client.get(), server_name));
    ASSERT_OK_AND_ASSIGN(UnixAddress after, SockName(client.get()));
    if (with_passcred) {
      EXPECT_TRUE(IsAutobindName(after)) << passcred << "; " << kAutobindCite << ": "
                                         << after.ToString();
    } else {
      EXPECT_TRUE(after.IsUnnamed()) << kAutobindCite << ": without SO_PASSCRED nothing "
                                     << "autobinds the socket: " << after.ToString();
    }
    ASSERT_THAT(send(client.get(), "c", 1, 0), SyscallSucceedsWithValue(1));
    UnixAddress from;
    from.len = sizeof from.addr;
    ASSERT_NO_ERRNO(WaitReadable(server.get(), Deadline::Default()));
    char b[4];
    ASSERT_THAT(recvfrom(server.get(), b, sizeof b, MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&from.addr), &from.len),
                SyscallSucceedsWithValue(1));
    if (with_passcred) {
      EXPECT_TRUE(from == after)
          << passcred << ": recvfrom's source address " << from.ToString()
          << " is not the sender's autobound name " << after.ToString();
    } else {
      // man 7 unix, "unnamed": "When the address of an unnamed socket is
      // returned, its length is sizeof(sa_family_t)". Linux's recvfrom(2)
      // gives addrlen 0 for an unnamed datagram sender instead; either says
      // "no name".
      EXPECT_TRUE(from.len == 0 || from.IsUnnamed())
          << "man 7 unix, \"unnamed\": the unnamed sender's address came back as "
          << from.ToString();
    }
  }
}

// man 7 unix, "pathname": "a UNIX domain socket can be bound to a
// null-terminated filesystem pathname using bind(2).  When the address of a
// pathname socket is returned (by one of the system calls noted above), its
// length is offsetof(struct sockaddr_un, sun_path) + strlen(sun_path) + 1";
// NOTES: "Binding to a socket with a filename creates a socket in the
// filesystem"; "Pathname socket ownership and permissions": "The socket file
// has all permissions enabled, other than those that are turned off by the
// process umask(2)." The file is a socket (S_ISSOCK) with mode 0777 & ~umask.
TEST(PathnameSocket, BindCreatesASocketFile) {
  const char* cite =
      "man 7 unix, NOTES: \"Binding to a socket with a filename creates a socket in the "
      "filesystem\"; \"The socket file has all permissions enabled, other than those that are "
      "turned off by the process umask(2).\"";
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  const std::string path = dir.Join("sock");
  ASSERT_OK_AND_ASSIGN(UnixAddress addr, PathAddress(path));
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_STREAM));
  const mode_t mask = umask(0);
  umask(mask);
  ASSERT_NO_ERRNO(Bind(s.get(), addr));
  struct stat st;
  ASSERT_THAT(lstat(path.c_str(), &st), SyscallSucceeds()) << cite << ": no file at " << path;
  EXPECT_TRUE(S_ISSOCK(st.st_mode)) << cite << ": st_mode 0" << std::oct << st.st_mode;
  EXPECT_EQ(st.st_mode & 0777, 0777 & ~mask)
      << cite << ": mode 0" << std::oct << (st.st_mode & 0777) << " with umask 0" << mask;
  ASSERT_OK_AND_ASSIGN(UnixAddress got, SockName(s.get()));
  EXPECT_EQ(got.len, offsetof(sockaddr_un, sun_path) + path.size() + 1)
      << "man 7 unix, \"pathname\": \"its length is offsetof(struct sockaddr_un, sun_path) + "
         "strlen(sun_path) + 1\": "
      << got.ToString();
  EXPECT_EQ(got.Name(), path) << "man 7 unix, \"pathname\": \"sun_path contains the "
                                 "null-terminated pathname\"";
}

// man 7 unix, ERRORS (kEaddrinuseCite); man 2 bind: "EADDRINUSE The given
// address is already in use." A second bind of a bound path fails; so does a
// bind after the first socket closed (the socket file stays, NOTES: "must be
// deleted by the caller when it is no longer needed"), and a bind over a
// regular file; after unlink(2) the path binds again.
TEST(PathnameSocket, BindToAnExistingPathFailsEaddrinuse) {
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  const std::string path = dir.Join("taken");
  ASSERT_OK_AND_ASSIGN(UnixAddress addr, PathAddress(path));
  ASSERT_OK_AND_ASSIGN(auto first, MakeSocket(SOCK_DGRAM));
  ASSERT_NO_ERRNO(Bind(first.get(), addr));
  ASSERT_OK_AND_ASSIGN(auto second, MakeSocket(SOCK_DGRAM));
  EXPECT_THAT(Bind(second.get(), addr), SyscallFailsWithErrno(EADDRINUSE))
      << kEaddrinuseCite << ": the path is bound by an open socket";
  first.reset();
  EXPECT_THAT(Bind(second.get(), addr), SyscallFailsWithErrno(EADDRINUSE))
      << kEaddrinuseCite << ": the socket closed but its file remains (man 7 unix, NOTES: \"a "
      << "socket in the filesystem that must be deleted by the caller\")";
  ASSERT_THAT(unlink(path.c_str()), SyscallSucceeds());
  FileDescriptor file(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSERT_TRUE(file.valid()) << "open(" << path << "): " << ErrnoName(errno);
  EXPECT_THAT(Bind(second.get(), addr), SyscallFailsWithErrno(EADDRINUSE))
      << kEaddrinuseCite << ": a regular file sits at the path";
  ASSERT_THAT(unlink(path.c_str()), SyscallSucceeds());
  EXPECT_NO_ERRNO(Bind(second.get(), addr)) << "man 2 bind: the path is free after unlink(2)";
}

// man 7 unix, NOTES: "The usual UNIX close-behind semantics apply; the socket
// can be unlinked at any time and will be finally removed from the
// filesystem when the last reference to it is closed."; ERRORS: "ENOENT The
// pathname in the remote address specified to connect(2) did not exist." and
// "ECONNREFUSED ... This error can also occur if the target pathname is not a
// socket." A listening socket's file is unlinked while a connection is open:
// the connection keeps working both ways, a new connect(2) fails ENOENT, with
// a regular file at the path ECONNREFUSED; a new socket bound at the path
// gets the new connections, the old listener none.
TEST(PathnameSocket, UnlinkWhileInUse) {
  const char* noent =
      "man 7 unix, ERRORS: \"ENOENT The pathname in the remote address specified to connect(2) "
      "did not exist.\"";
  const char* refused =
      "man 7 unix, ERRORS: \"ECONNREFUSED The remote address specified by connect(2) was not a "
      "listening socket.  This error can also occur if the target pathname is not a socket.\"";
  const char* close_behind =
      "man 7 unix, NOTES: \"The usual UNIX close-behind semantics apply; the socket can be "
      "unlinked at any time and will be finally removed from the filesystem when the last "
      "reference to it is closed.\"";
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  const std::string path = dir.Join("srv");
  ASSERT_OK_AND_ASSIGN(UnixAddress addr, PathAddress(path));
  ASSERT_OK_AND_ASSIGN(auto old_server, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(old_server.get(), addr));
  ASSERT_THAT(listen(old_server.get(), 4), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto client, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Connect(client.get(), addr));
  ASSERT_OK_AND_ASSIGN(auto conn, AcceptOne(old_server.get()));

  ASSERT_THAT(unlink(path.c_str()), SyscallSucceeds());
  EXPECT_NO_ERRNO(RoundTrip(client.get(), conn.get(), "after unlink, client to server"))
      << close_behind;
  EXPECT_NO_ERRNO(RoundTrip(conn.get(), client.get(), "after unlink, server to client"))
      << close_behind;
  ASSERT_OK_AND_ASSIGN(auto late, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  EXPECT_THAT(Connect(late.get(), addr), SyscallFailsWithErrno(ENOENT))
      << noent << " (the listening socket is open but its file was unlinked)";

  {
    FileDescriptor file(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    ASSERT_TRUE(file.valid()) << "open(" << path << "): " << ErrnoName(errno);
    ASSERT_OK_AND_ASSIGN(auto other, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
    EXPECT_THAT(Connect(other.get(), addr), SyscallFailsWithErrno(ECONNREFUSED))
        << refused << " (a regular file now sits at the path)";
    ASSERT_THAT(unlink(path.c_str()), SyscallSucceeds());
  }

  ASSERT_OK_AND_ASSIGN(auto new_server, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(new_server.get(), addr)) << "man 2 bind: the unlinked path binds again";
  ASSERT_THAT(listen(new_server.get(), 4), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto fresh, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Connect(fresh.get(), addr));
  ASSERT_OK_AND_ASSIGN(auto fresh_conn, AcceptOne(new_server.get()));
  EXPECT_NO_ERRNO(RoundTrip(fresh.get(), fresh_conn.get(), "to the new socket"));
  ASSERT_OK_AND_ASSIGN(bool old_has_more, ReadableNow(old_server.get()));
  EXPECT_FALSE(old_has_more) << close_behind
                             << ": the unlinked listener must get no new connections";
  // The first connection still works after all of this.
  EXPECT_NO_ERRNO(RoundTrip(client.get(), conn.get(), "still connected")) << close_behind;
}

// man 7 unix, ERRORS: "ECONNREFUSED The remote address specified by
// connect(2) was not a listening socket." and "EPROTOTYPE Remote socket does
// not match the local socket type (SOCK_DGRAM versus SOCK_STREAM)." A stream
// socket that is bound but not listening refuses; a stream client connecting
// to a datagram socket's name fails EPROTOTYPE.
TEST(PathnameSocket, ConnectToANonListeningOrMismatchedSocket) {
  const char* refused =
      "man 7 unix, ERRORS: \"ECONNREFUSED The remote address specified by connect(2) was not a "
      "listening socket.\"";
  const char* prototype =
      "man 7 unix, ERRORS: \"EPROTOTYPE Remote socket does not match the local socket type "
      "(SOCK_DGRAM versus SOCK_STREAM).\"";
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  ASSERT_OK_AND_ASSIGN(UnixAddress quiet_addr, PathAddress(dir.Join("quiet")));
  ASSERT_OK_AND_ASSIGN(auto quiet, MakeSocket(SOCK_STREAM));
  ASSERT_NO_ERRNO(Bind(quiet.get(), quiet_addr));
  ASSERT_OK_AND_ASSIGN(auto c1, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  EXPECT_THAT(Connect(c1.get(), quiet_addr), SyscallFailsWithErrno(ECONNREFUSED))
      << refused << " (bound, no listen(2))";

  ASSERT_OK_AND_ASSIGN(UnixAddress dgram_addr, PathAddress(dir.Join("dgram")));
  ASSERT_OK_AND_ASSIGN(auto dgram, MakeSocket(SOCK_DGRAM));
  ASSERT_NO_ERRNO(Bind(dgram.get(), dgram_addr));
  ASSERT_OK_AND_ASSIGN(auto c2, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  EXPECT_THAT(Connect(c2.get(), dgram_addr), SyscallFailsWithErrno(EPROTOTYPE))
      << prototype << " (a SOCK_STREAM client, a SOCK_DGRAM socket)";
}

}  // namespace
}  // namespace ipcspec

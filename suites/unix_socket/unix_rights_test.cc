// Passing file descriptors over AF_UNIX sockets (SCM_RIGHTS): the received
// fd works and shares the open file description, SCM_MAX_FD, MSG_CTRUNC and
// the closing of fds that did not fit, MSG_CMSG_CLOEXEC, fds in flight when
// the receiver closes unread, EBADF, and ancillary data as a barrier on a
// stream (man 7 unix, man 3 cmsg, man 2 recv, man 2 dup).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/cleanup.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "suites/unix_socket/unix_test_util.h"

namespace ipcspec {
namespace {


struct Pipe {
  FileDescriptor r;
  FileDescriptor w;
};

PosixErrorOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2(O_CLOEXEC)");
  return Pipe{FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

std::string DescribeFd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return "fd " + std::to_string(fd) + " (fstat: " + ErrnoName(errno) + ")";
  return "fd " + std::to_string(fd) + " (dev " + std::to_string(st.st_dev) + " ino " +
         std::to_string(st.st_ino) + ")";
}

bool SameFile(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

constexpr const char* kRightsCite =
    "man 7 unix, SCM_RIGHTS: \"Send or receive a set of open file descriptors from another "
    "process.\" ... \"what is being passed is a reference to an open file description (see "
    "open(2)), and in the receiving process it is likely that a different file descriptor "
    "number will be used.  Semantically, this operation is equivalent to duplicating (dup(2)) "
    "a file descriptor into the file descriptor table of another process.\"";

// man 7 unix, SCM_RIGHTS (kRightsCite). A child that shares no pipe with the
// parent receives the pipe's write end over a socket and writes through it;
// the parent reads the data from the read end, and end of file once the
// child (the last holder of the passed write end) has exited.
TEST(ScmRights, PassedPipeEndCarriesDataFromAnotherProcess) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM));
  ASSERT_OK_AND_ASSIGN(auto result, SharedObject<CallRecord>::Create());
  // Forked before the pipe exists: the child can reach it only through the
  // descriptor it receives.
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([&] {
    sp.a.reset();
    char b[8];
    ssize_t got = -1;
    int fd = RecvOneFd(sp.b.get(), b, sizeof b, &got);
    if (fd < 0) {
      *result = Record("recvmsg(SCM_RIGHTS)", -1);
      return 0;
    }
    static const char kHello[] = "hello through a passed fd";
    *result = Record("write", write(fd, kHello, sizeof kHello - 1));
    return 0;
  }));
  sp.b.reset();
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  const int fds[] = {p.w.get()};
  ASSERT_THAT(SendFds(sp.a.get(), "F", 1, fds), SyscallSucceedsWithValue(1)) << kRightsCite;
  p.w.reset();  // the child's received descriptor is now the only write end
  std::string got;
  for (;;) {
    ASSERT_NO_ERRNO(WaitReadable(p.r.get(), Deadline::Default())) << kRightsCite;
    char b[64];
    ssize_t n = read(p.r.get(), b, sizeof b);
    ASSERT_THAT(n, SyscallSucceeds());
    if (n == 0) break;
    got.append(b, static_cast<size_t>(n));
  }
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st << "; the child's call " << result->ToString();
  EXPECT_FALSE(result->failed()) << "the child's call " << *result;
  EXPECT_EQ(got, "hello through a passed fd")
      << kRightsCite << ": the data written through the received descriptor";
}

// man 7 unix, SCM_RIGHTS (kRightsCite); man 2 dup: "The two file descriptors
// do not share file descriptor flags (the close-on-exec flag)." but "they
// refer to the same open file description (see open(2)) and thus share file
// offset and file status flags". The received fd has a new number, the same
// file, the shared offset (memfd) and the shared status flags (O_NONBLOCK on
// a pipe end).
TEST(ScmRights, ReceivedFdIsANewNumberForTheSameOpenFileDescription) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  const char* dup_cite =
      "man 2 dup: the two descriptors \"refer to the same open file description (see open(2)) "
      "and thus share file offset and file status flags\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM));
  int mfd = memfd_create("ipcspec-unix-rights", MFD_CLOEXEC);
  ASSERT_THAT(mfd, SyscallSucceeds());
  FileDescriptor file(mfd);
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  const int fds[] = {file.get(), p.r.get()};
  ASSERT_THAT(SendFds(sp.a.get(), "F", 1, fds), SyscallSucceedsWithValue(1));
  ASSERT_OK_AND_ASSIGN(Received r,
                       Receive(sp.b.get(), RecvOptions{.buffer = 8,
                                                       .control = CMSG_SPACE(2 * sizeof(int))}));
  ASSERT_EQ(r.fds.size(), 2u) << kRightsCite << ": " << r.ToString();
  const int rfile = r.fds[0].get(), rpipe = r.fds[1].get();
  EXPECT_NE(rfile, file.get()) << kRightsCite << ": a different file descriptor number";
  EXPECT_NE(rpipe, p.r.get()) << kRightsCite << ": a different file descriptor number";
  EXPECT_TRUE(SameFile(rfile, file.get()))
      << kRightsCite << ": " << DescribeFd(rfile) << " vs " << DescribeFd(file.get());
  EXPECT_TRUE(SameFile(rpipe, p.r.get()))
      << kRightsCite << ": " << DescribeFd(rpipe) << " vs " << DescribeFd(p.r.get());

  // The file offset is shared: a write through one moves the other's.
  ASSERT_THAT(write(file.get(), "12345", 5), SyscallSucceedsWithValue(5));
  EXPECT_THAT(lseek(rfile, 0, SEEK_CUR), SyscallSucceedsWithValue(5))
      << kRightsCite << "; " << dup_cite << ": the offset after writing 5 bytes through the "
      << "sender's descriptor";
  ASSERT_THAT(lseek(rfile, 1, SEEK_SET), SyscallSucceedsWithValue(1));
  char b[4] = {};
  ASSERT_THAT(read(file.get(), b, 2), SyscallSucceedsWithValue(2));
  EXPECT_EQ(std::string(b, 2), "23") << kRightsCite << "; " << dup_cite
                                     << ": lseek through the received descriptor moves the "
                                        "sender's offset";

  // The file status flags are shared: O_NONBLOCK set through the received
  // descriptor shows on the sender's, and takes effect there.
  int fl = fcntl(rpipe, F_GETFL);
  ASSERT_THAT(fl, SyscallSucceeds());
  ASSERT_EQ(fl & O_NONBLOCK, 0);
  ASSERT_THAT(fcntl(rpipe, F_SETFL, fl | O_NONBLOCK), SyscallSucceeds());
  int sender_fl = fcntl(p.r.get(), F_GETFL);
  EXPECT_NE(sender_fl & O_NONBLOCK, 0)
      << kRightsCite << "; " << dup_cite << ": O_NONBLOCK set through the received descriptor";
  EXPECT_THAT(read(p.r.get(), b, 1), SyscallFailsWithErrno(EAGAIN))
      << kRightsCite << "; " << dup_cite << ": the sender's read of the empty pipe no longer "
      << "blocks";
  // And data written to the pipe is read through the received descriptor.
  ASSERT_THAT(write(p.w.get(), "z", 1), SyscallSucceedsWithValue(1));
  EXPECT_THAT(read(rpipe, b, 1), SyscallSucceedsWithValue(1)) << kRightsCite;
}

// man 7 unix, SCM_RIGHTS: "The kernel constant SCM_MAX_FD defines a limit on
// the number of file descriptors in the array.  Attempting to send an array
// larger than this limit causes sendmsg(2) to fail with the error EINVAL.
// SCM_MAX_FD has the value 253 (or 255 before Linux 2.6.38)." 253 copies of
// one fd go and arrive as 253 new descriptors; 254 fail EINVAL and send
// nothing.
TEST(ScmRights, AtMost253FdsPerMessage) {
  const char* cite =
      "man 7 unix, SCM_RIGHTS: \"The kernel constant SCM_MAX_FD defines a limit on the number "
      "of file descriptors in the array.  Attempting to send an array larger than this limit "
      "causes sendmsg(2) to fail with the error EINVAL.  SCM_MAX_FD has the value 253 (or 255 "
      "before Linux 2.6.38).\"";
  // Room to receive 253 fds: the soft limit is raised (up to the hard
  // limit, which needs no privilege) for this test and put back after it.
  ASSERT_OK_AND_ASSIGN(int open_now, CountOpenFds());
  const rlim_t want = static_cast<rlim_t>(open_now) + 300;
  IPCSPEC_NEEDS(Need("rlimit:RLIMIT_NOFILE", [want]() -> std::optional<std::string> {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max == RLIM_INFINITY ||
        rl.rlim_max >= want) {
      return std::nullopt;
    }
    return "hard limit " + std::to_string(rl.rlim_max) + " leaves no room to receive 253 fds";
  }));
  struct rlimit rl;
  ASSERT_THAT(getrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
  const struct rlimit old_rl = rl;
  Cleanup restore([old_rl] { setrlimit(RLIMIT_NOFILE, &old_rl); });
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    rl.rlim_cur = want;
    ASSERT_THAT(setrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
  }
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  const std::vector<int> too_many(254, p.r.get());
  EXPECT_THAT(SendFds(sp.a.get(), "F", 1, too_many), SyscallFailsWithErrno(EINVAL))
      << cite << ": 254 descriptors";
  EXPECT_THAT(Receive(sp.b.get(), RecvOptions{.wait = false}), SyscallFailsWithErrno(EAGAIN))
      << cite << ": the failed sendmsg must send nothing";

  const std::vector<int> at_limit(253, p.r.get());
  ASSERT_THAT(SendFds(sp.a.get(), "F", 1, at_limit), SyscallSucceedsWithValue(1))
      << cite << ": 253 descriptors";
  ASSERT_OK_AND_ASSIGN(Received r,
                       Receive(sp.b.get(), RecvOptions{.buffer = 8,
                                                       .control = CMSG_SPACE(253 * sizeof(int))}));
  EXPECT_EQ(r.msg_flags & MSG_CTRUNC, 0) << cite << ": " << r.ToString();
  ASSERT_EQ(r.fds.size(), 253u) << cite << ": " << r.ToString();
  std::set<int> numbers;
  for (const auto& fd : r.fds) {
    numbers.insert(fd.get());
    EXPECT_TRUE(SameFile(fd.get(), p.r.get())) << cite << ": " << DescribeFd(fd.get());
  }
  EXPECT_EQ(numbers.size(), 253u) << kRightsCite << ": each copy is a descriptor of its own";
  EXPECT_EQ(numbers.count(p.r.get()), 0u) << kRightsCite;
}

constexpr const char* kCtruncCite =
    "man 7 unix, SCM_RIGHTS: \"If the buffer used to receive the ancillary data containing file "
    "descriptors is too small (or is absent), then the ancillary data is truncated (or "
    "discarded) and the excess file descriptors are automatically closed in the receiving "
    "process.\"; man 2 recv: \"MSG_CTRUNC indicates that some control data was discarded due "
    "to lack of space in the buffer for ancillary data.\"";

// man 7 unix, SCM_RIGHTS and "Ancillary messages" ("If no buffer is provided
// for incoming ancillary data (i.e., the msg_control field of the msghdr
// structure supplied to recvmsg(2) is NULL), then the incoming ancillary data
// is discarded.  In both of these cases, the MSG_CTRUNC flag will be set").
// The only write end of a pipe is passed and received with no control
// buffer: MSG_CTRUNC, no new descriptor in the receiver, and once the sender
// closes its copy the pipe's reader sees end of file, so the kernel closed
// the discarded one.
TEST(ScmRights, AbsentControlBufferDiscardsAndClosesTheFds) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  const int fds[] = {p.w.get()};
  ASSERT_THAT(SendFds(sp.a.get(), "F", 1, fds), SyscallSucceedsWithValue(1));
  ASSERT_OK_AND_ASSIGN(int before, CountOpenFds());
  ASSERT_OK_AND_ASSIGN(Received r, Receive(sp.b.get(), RecvOptions{.buffer = 8, .control = 0}));
  ASSERT_OK_AND_ASSIGN(int after, CountOpenFds());
  EXPECT_EQ(r.n, 1) << r.ToString();
  EXPECT_NE(r.msg_flags & MSG_CTRUNC, 0) << kCtruncCite << ": " << r.ToString();
  EXPECT_EQ(after, before) << kCtruncCite << ": the receiver's descriptor table grew";
  ASSERT_OK_AND_ASSIGN(bool early, ReadableNow(p.r.get()));
  EXPECT_FALSE(early) << "the sender still holds a write end: no end of file yet";
  p.w.reset();
  EXPECT_NO_ERRNO(WaitForEof(p.r.get(), Deadline::Default()))
      << kCtruncCite << ": the discarded write end must have been closed by the kernel";
}

// man 7 unix (kCtruncCite, and "If the space allocated for receiving
// incoming ancillary data is too small then the ancillary data is truncated
// to the number of headers that will fit in the supplied buffer (or, in the
// case of an SCM_RIGHTS file descriptor list, the list of file descriptors
// may be truncated)."). Two fds are passed, the second the only write end of
// a pipe; the control buffer holds one (CMSG_LEN(sizeof(int)): on x86_64
// CMSG_SPACE(sizeof(int)) would hold two, its padding fits another int). The
// first arrives, MSG_CTRUNC is set, the table grows by exactly one, and the
// pipe's reader sees end of file once the sender's copy is closed.
TEST(ScmRights, ShortControlBufferTruncatesAndClosesTheFdsThatDidNotFit) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(Pipe kept, MakePipe());
  ASSERT_OK_AND_ASSIGN(Pipe dropped, MakePipe());
  const int fds[] = {kept.r.get(), dropped.w.get()};
  ASSERT_THAT(SendFds(sp.a.get(), "F", 1, fds), SyscallSucceedsWithValue(1));
  ASSERT_OK_AND_ASSIGN(int before, CountOpenFds());
  ASSERT_OK_AND_ASSIGN(Received r, Receive(sp.b.get(), RecvOptions{.buffer = 8,
                                                                   .control = CMSG_LEN(sizeof(int))}));
  ASSERT_OK_AND_ASSIGN(int after, CountOpenFds());
  EXPECT_NE(r.msg_flags & MSG_CTRUNC, 0) << kCtruncCite << ": " << r.ToString();
  ASSERT_EQ(r.fds.size(), 1u) << kCtruncCite << ": " << r.ToString();
  EXPECT_EQ(r.rights_cmsg_len.at(0), CMSG_LEN(sizeof(int)))
      << "man 3 cmsg: cmsg_len is CMSG_LEN() of the data that is there";
  EXPECT_TRUE(SameFile(r.fds[0].get(), kept.r.get()))
      << kCtruncCite << ": the descriptor that fit is the first one sent";
  EXPECT_EQ(after, before + 1) << kCtruncCite
                               << ": only the descriptor that fit may enter the table";
  ASSERT_OK_AND_ASSIGN(bool early, ReadableNow(dropped.r.get()));
  EXPECT_FALSE(early) << "the sender still holds the write end: no end of file yet";
  dropped.w.reset();
  EXPECT_NO_ERRNO(WaitForEof(dropped.r.get(), Deadline::Default()))
      << kCtruncCite << ": the write end that did not fit must have been closed by the kernel";
}

// man 2 recv: "MSG_CMSG_CLOEXEC (recvmsg() only; since Linux 2.6.23) Set the
// close-on-exec flag for the file descriptor received via a UNIX domain file
// descriptor using the SCM_RIGHTS operation". Without it the received
// descriptor has no FD_CLOEXEC, even though the sender's had it (man 7 unix:
// "equivalent to duplicating (dup(2))"; man 2 dup: "The close-on-exec flag
// (FD_CLOEXEC; see fcntl(2)) for the duplicate descriptor is off.").
TEST(ScmRights, MsgCmsgCloexecSetsFdCloexec) {
  const char* cite =
      "man 2 recv: \"MSG_CMSG_CLOEXEC (recvmsg() only; since Linux 2.6.23) Set the close-on-exec "
      "flag for the file descriptor received via a UNIX domain file descriptor using the "
      "SCM_RIGHTS operation\"";
  const char* dup_cite =
      "man 7 unix: \"equivalent to duplicating (dup(2))\"; man 2 dup: \"The close-on-exec flag "
      "(FD_CLOEXEC; see fcntl(2)) for the duplicate descriptor is off.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());  // both ends FD_CLOEXEC
  ASSERT_NE(fcntl(p.r.get(), F_GETFD) & FD_CLOEXEC, 0);
  const int fds[] = {p.r.get(), p.w.get()};
  const RecvOptions opts{.buffer = 8, .control = CMSG_SPACE(2 * sizeof(int))};
  ASSERT_THAT(SendFds(sp.a.get(), "F", 1, fds), SyscallSucceedsWithValue(1));
  ASSERT_OK_AND_ASSIGN(Received plain, Receive(sp.b.get(), opts));
  ASSERT_EQ(plain.fds.size(), 2u) << plain.ToString();
  for (const auto& fd : plain.fds) {
    int f = fcntl(fd.get(), F_GETFD);
    ASSERT_THAT(f, SyscallSucceeds());
    EXPECT_EQ(f & FD_CLOEXEC, 0) << dup_cite << ": " << DescribeFd(fd.get());
  }
  ASSERT_THAT(SendFds(sp.a.get(), "F", 1, fds), SyscallSucceedsWithValue(1));
  RecvOptions cloexec = opts;
  cloexec.flags = MSG_CMSG_CLOEXEC;
  ASSERT_OK_AND_ASSIGN(Received marked, Receive(sp.b.get(), cloexec));
  ASSERT_EQ(marked.fds.size(), 2u) << marked.ToString();
  for (const auto& fd : marked.fds) {
    int f = fcntl(fd.get(), F_GETFD);
    ASSERT_THAT(f, SyscallSucceeds());
    EXPECT_NE(f & FD_CLOEXEC, 0) << cite << ": " << DescribeFd(fd.get());
  }
}

// man 7 unix, ERRORS, ETOOMANYREFS: "An in-flight file descriptor is one that
// has been sent using sendmsg(2) but has not yet been accepted in the
// recipient process using recvmsg(2)."; man 7 unix, NOTES: "The usual UNIX
// close-behind semantics apply". A descriptor in flight holds its open file
// description until the receiving socket is closed unread; then it is
// released: the only write end of a pipe, in flight, is dropped and the
// pipe's reader sees end of file. For a stream and a datagram pair, with the
// sending socket left open.
TEST(ScmRights, FdsInFlightAreReleasedWhenTheReceiverClosesUnread) {
  const char* cite =
      "man 7 unix, SCM_RIGHTS: what is passed \"is a reference to an open file description\"; a "
      "reference still in flight (ERRORS, ETOOMANYREFS: \"sent using sendmsg(2) but has not yet "
      "been accepted in the recipient process using recvmsg(2)\") must be dropped with the "
      "receiving socket";
  for (int type : {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET}) {
    SCOPED_TRACE(TypeName(type));
    ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(type | SOCK_NONBLOCK));
    ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
    const int fds[] = {p.w.get()};
    ASSERT_THAT(SendFds(sp.a.get(), "F", 1, fds), SyscallSucceedsWithValue(1));
    p.w.reset();  // the only reference left is the one in flight
    ASSERT_OK_AND_ASSIGN(bool early, ReadableNow(p.r.get()));
    EXPECT_FALSE(early) << cite << ": the write end in flight is still open";
    sp.b.reset();  // the receiver closes without reading
    EXPECT_NO_ERRNO(WaitForEof(p.r.get(), Deadline::Default()))
        << cite << ": the write end in flight was not released";
  }
}

// man 7 unix, ERRORS: "EBADF This error can occur for sendmsg(2) when sending
// a file descriptor as ancillary data over a UNIX domain socket (see the
// description of SCM_RIGHTS, above), and indicates that the file descriptor
// number that is being sent is not valid (e.g., it is not an open file
// descriptor)." Nothing is sent.
TEST(ScmRights, SendingAClosedFdFailsEbadf) {
  const char* cite =
      "man 7 unix, ERRORS: \"EBADF This error can occur for sendmsg(2) when sending a file "
      "descriptor as ancillary data over a UNIX domain socket ... and indicates that the file "
      "descriptor number that is being sent is not valid (e.g., it is not an open file "
      "descriptor).\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  int closed = dup(p.r.get());
  ASSERT_THAT(closed, SyscallSucceeds());
  ASSERT_THAT(close(closed), SyscallSucceeds());
  ASSERT_THAT(fcntl(closed, F_GETFD), SyscallFailsWithErrno(EBADF)) << "fd " << closed << " is open";
  const int fds[] = {p.r.get(), closed};
  EXPECT_THAT(SendFds(sp.a.get(), "F", 1, fds), SyscallFailsWithErrno(EBADF))
      << cite << ": fd " << closed << " is closed";
  EXPECT_THAT(Receive(sp.b.get(), RecvOptions{.wait = false}), SyscallFailsWithErrno(EAGAIN))
      << cite << ": the failed sendmsg must send nothing";
}

// man 7 unix, "Ancillary messages": "When receiving from a stream socket,
// ancillary data forms a kind of barrier for the received data. ... The first
// call will receive five bytes of data, along with the ancillary data sent by
// the second sendmsg(2) call.  The next call will receive the remaining four
// bytes of data." The man page's own example, with 20-byte receive buffers.
TEST(ScmRights, AncillaryDataIsABarrierOnAStream) {
  const char* cite =
      "man 7 unix, \"Ancillary messages\": \"When receiving from a stream socket, ancillary data "
      "forms a kind of barrier for the received data.\" ... \"The first call will receive five "
      "bytes of data, along with the ancillary data sent by the second sendmsg(2) call.  The "
      "next call will receive the remaining four bytes of data.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  const int fds[] = {p.r.get()};
  ASSERT_THAT(SendFds(sp.a.get(), "abcd", 4, {}), SyscallSucceedsWithValue(4));
  ASSERT_THAT(SendFds(sp.a.get(), "e", 1, fds), SyscallSucceedsWithValue(1));
  ASSERT_THAT(SendFds(sp.a.get(), "fghi", 4, {}), SyscallSucceedsWithValue(4));
  const RecvOptions opts{.buffer = 20, .control = CMSG_SPACE(sizeof(int))};
  ASSERT_OK_AND_ASSIGN(Received first, Receive(sp.b.get(), opts));
  EXPECT_EQ(first.data, "abcde") << cite << ": " << first.ToString();
  ASSERT_EQ(first.fds.size(), 1u) << cite << ": " << first.ToString();
  EXPECT_TRUE(SameFile(first.fds[0].get(), p.r.get())) << cite;
  ASSERT_OK_AND_ASSIGN(Received second, Receive(sp.b.get(), opts));
  EXPECT_EQ(second.data, "fghi") << cite << ": " << second.ToString();
  EXPECT_TRUE(second.fds.empty()) << cite << ": " << second.ToString();
}

}  // namespace
}  // namespace ipcspec

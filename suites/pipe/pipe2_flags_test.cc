// pipe2(2) flags: O_CLOEXEC, O_NONBLOCK, invalid flags, and O_DIRECT packet
// mode (man 2 pipe).
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/property.h"
#include "impl/core/syscall_matchers.h"
#include "rapidcheck.h"
#include "suites/pipe/pipe_test_util.h"

namespace ipcspec {
namespace {

// man 2 pipe: "O_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on the two
// new file descriptors."
TEST(Pipe2Flags, OCloexecSetsFdCloexecOnBothEnds) {
  const char* cite =
      "man 2 pipe: \"O_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on the two new file "
      "descriptors.\"";
  ASSERT_OK_AND_ASSIGN(auto with, MakePipe(O_CLOEXEC, /*exact=*/true));
  for (int fd : {with.read_end.get(), with.write_end.get()}) {
    int fdfl = fcntl(fd, F_GETFD);
    ASSERT_THAT(fdfl, SyscallSucceeds());
    EXPECT_TRUE(fdfl & FD_CLOEXEC) << cite << " (fd " << fd << ", F_GETFD " << fdfl << ")";
  }
  ASSERT_OK_AND_ASSIGN(auto without, MakePipe(0, /*exact=*/true));
  for (int fd : {without.read_end.get(), without.write_end.get()}) {
    int fdfl = fcntl(fd, F_GETFD);
    ASSERT_THAT(fdfl, SyscallSucceeds());
    EXPECT_FALSE(fdfl & FD_CLOEXEC)
        << "man 2 pipe: \"If flags is 0, then pipe2() is the same as pipe()\": no FD_CLOEXEC "
        << "(fd " << fd << ")";
  }
}

// man 2 pipe: "O_NONBLOCK Set the O_NONBLOCK file status flag on the open
// file descriptions referred to by the new file descriptors."
TEST(Pipe2Flags, ONonblockSetsONonblockOnBothEnds) {
  const char* cite =
      "man 2 pipe: \"O_NONBLOCK Set the O_NONBLOCK file status flag on the open file "
      "descriptions referred to by the new file descriptors.\"";
  ASSERT_OK_AND_ASSIGN(auto with, MakePipe(O_NONBLOCK));
  for (int fd : {with.read_end.get(), with.write_end.get()}) {
    int fl = fcntl(fd, F_GETFL);
    ASSERT_THAT(fl, SyscallSucceeds());
    EXPECT_TRUE(fl & O_NONBLOCK) << cite << " (fd " << fd << ", F_GETFL 0x" << std::hex << fl
                                 << ")";
  }
  // And it acts: a read of the empty pipe does not block.
  char b;
  EXPECT_THAT(read(with.read_end.get(), &b, 1), SyscallFailsWithErrno(EAGAIN)) << cite;
  ASSERT_OK_AND_ASSIGN(auto without, MakePipe(0));
  for (int fd : {without.read_end.get(), without.write_end.get()}) {
    int fl = fcntl(fd, F_GETFL);
    ASSERT_THAT(fl, SyscallSucceeds());
    EXPECT_FALSE(fl & O_NONBLOCK)
        << "man 2 pipe: \"If flags is 0, then pipe2() is the same as pipe()\": no O_NONBLOCK";
  }
  // The access modes are those of a read end and a write end.
  EXPECT_EQ(fcntl(with.read_end.get(), F_GETFL) & O_ACCMODE, O_RDONLY)
      << "man 2 pipe: \"pipefd[0] refers to the read end of the pipe\"";
  EXPECT_EQ(fcntl(with.write_end.get(), F_GETFL) & O_ACCMODE, O_WRONLY)
      << "man 2 pipe: \"pipefd[1] refers to the write end of the pipe\"";
}

// man 2 pipe, ERRORS: "EINVAL (pipe2()) Invalid value in flags." and RETURN
// VALUE: "On error, -1 is returned, errno is set to indicate the error, and
// pipefd is left unchanged." The valid flags are O_CLOEXEC, O_DIRECT,
// O_NONBLOCK and O_NOTIFICATION_PIPE; O_APPEND, O_TRUNC, O_CREAT and O_RDWR
// are not among them.
TEST(Pipe2Flags, InvalidFlagIsEinvalAndLeavesPipefdUnchanged) {
  const char* cite = "man 2 pipe: \"EINVAL (pipe2()) Invalid value in flags.\"";
  for (int bad : {O_APPEND, O_TRUNC, O_CREAT, O_RDWR, O_NONBLOCK | O_APPEND}) {
    int fds[2] = {-7, -8};
    EXPECT_THAT(pipe2(fds, bad), SyscallFailsWithErrno(EINVAL))
        << cite << " (flags 0" << std::oct << bad << ")";
    // Should it succeed after all, do not leak the fds.
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    EXPECT_EQ(fds[0], -7) << "man 2 pipe: \"pipefd is left unchanged\" on error";
    EXPECT_EQ(fds[1], -8) << "man 2 pipe: \"pipefd is left unchanged\" on error";
  }
}

// ---------------------------------------------------------------------------
// O_DIRECT: packet mode.

// `feature:pipe-packet-mode`: a non-blocking packet-mode pipe can be opened
// (man 2 pipe: "Older kernels that do not support this flag will indicate
// this via an EINVAL error."). Any other error is the test's to fail on.
Need PacketMode() {
  return Need::Feature("pipe-packet-mode", []() -> std::optional<std::string> {
    int fds[2];
    if (pipe2(fds, O_DIRECT | O_NONBLOCK | O_CLOEXEC) != 0) {
      if (errno == EINVAL) return "pipe2(O_DIRECT) fails EINVAL: no packet mode here";
      return std::nullopt;
    }
    close(fds[0]);
    close(fds[1]);
    return std::nullopt;
  });
}

// man 2 pipe, O_DIRECT: "Create a pipe that performs I/O in "packet" mode.
// Each write(2) to the pipe is dealt with as a separate packet, and read(2)s
// from the pipe will read one packet at a time."
TEST(PipePacketMode, EachWriteIsOnePacketAndAReadReadsOnePacket) {
  IPCSPEC_NEEDS(PacketMode());
  const char* cite =
      "man 2 pipe, O_DIRECT: \"Each write(2) to the pipe is dealt with as a separate packet, "
      "and read(2)s from the pipe will read one packet at a time.\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_DIRECT | O_NONBLOCK));
  ASSERT_THAT(write(p.write_end.get(), "abc", 3), SyscallSucceedsWithValue(3));
  ASSERT_THAT(write(p.write_end.get(), "defgh", 5), SyscallSucceedsWithValue(5));
  char b[100];
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(3)) << cite;
  EXPECT_EQ(std::string(b, 3), "abc") << cite;
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(5)) << cite;
  EXPECT_EQ(std::string(b, 5), "defgh") << cite;
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallFailsWithErrno(EAGAIN)) << cite;
}

// man 2 pipe, O_DIRECT: "If a read(2) specifies a buffer size that is
// smaller than the next packet, then the requested number of bytes are read,
// and the excess bytes in the packet are discarded."
TEST(PipePacketMode, AShortReadDiscardsTheRestOfThePacket) {
  IPCSPEC_NEEDS(PacketMode());
  const char* cite =
      "man 2 pipe, O_DIRECT: \"If a read(2) specifies a buffer size that is smaller than the "
      "next packet, then the requested number of bytes are read, and the excess bytes in the "
      "packet are discarded.\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_DIRECT | O_NONBLOCK));
  ASSERT_THAT(write(p.write_end.get(), "0123456789", 10), SyscallSucceedsWithValue(10));
  ASSERT_THAT(write(p.write_end.get(), "xy", 2), SyscallSucceedsWithValue(2));
  char b[100];
  EXPECT_THAT(read(p.read_end.get(), b, 4), SyscallSucceedsWithValue(4)) << cite;
  EXPECT_EQ(std::string(b, 4), "0123") << cite;
  EXPECT_THAT(Fionread(p.read_end.get()), SyscallSucceedsWithValue(2))
      << cite << ": only the second packet may remain";
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(2)) << cite;
  EXPECT_EQ(std::string(b, 2), "xy") << cite << ": \"456789\" must have been discarded";
}

// man 2 pipe, O_DIRECT: "Writes of greater than PIPE_BUF bytes (see pipe(7))
// will be split into multiple packets." and "Specifying a buffer size of
// PIPE_BUF will be sufficient to read the largest possible packets".
TEST(PipePacketMode, WritesAbovePipeBufAreSplitIntoPackets) {
  IPCSPEC_NEEDS(PacketMode());
  const char* cite =
      "man 2 pipe, O_DIRECT: \"Writes of greater than PIPE_BUF bytes (see pipe(7)) will be "
      "split into multiple packets.\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_DIRECT | O_NONBLOCK));
  const std::vector<uint8_t> data = Pattern(21, PIPE_BUF + 10);
  ASSERT_THAT(write(p.write_end.get(), data.data(), data.size()),
              SyscallSucceedsWithValue(data.size()));
  std::vector<uint8_t> b(2 * PIPE_BUF);
  EXPECT_THAT(read(p.read_end.get(), b.data(), b.size()), SyscallSucceedsWithValue(PIPE_BUF))
      << cite << ": the first packet is PIPE_BUF bytes";
  EXPECT_TRUE(std::equal(data.begin(), data.begin() + PIPE_BUF, b.begin())) << cite;
  EXPECT_THAT(read(p.read_end.get(), b.data(), b.size()), SyscallSucceedsWithValue(10))
      << cite << ": the rest is the next packet";
  EXPECT_TRUE(std::equal(data.begin() + PIPE_BUF, data.end(), b.begin())) << cite;
}

// man 2 pipe, O_DIRECT: "Zero-length packets are not supported.  (A read(2)
// that specifies a buffer size of zero is a no-op, and returns 0.)"
TEST(PipePacketMode, ZeroLengthReadIsANoOpAndZeroLengthWritesMakeNoPacket) {
  IPCSPEC_NEEDS(PacketMode());
  const char* cite =
      "man 2 pipe, O_DIRECT: \"Zero-length packets are not supported.  (A read(2) that "
      "specifies a buffer size of zero is a no-op, and returns 0.)\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_DIRECT | O_NONBLOCK));
  char b[8];
  EXPECT_THAT(write(p.write_end.get(), b, 0), SyscallSucceedsWithValue(0)) << cite;
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallFailsWithErrno(EAGAIN))
      << cite << ": a zero-length write must not make a packet";
  ASSERT_THAT(write(p.write_end.get(), "abc", 3), SyscallSucceedsWithValue(3));
  EXPECT_THAT(read(p.read_end.get(), b, 0), SyscallSucceedsWithValue(0)) << cite;
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(3))
      << cite << ": the zero-size read must not have consumed the packet";
}

// man 2 pipe, O_DIRECT: "Since Linux 4.5, it is possible to change the
// O_DIRECT setting of a pipe file descriptor using fcntl(2)." Packet mode is
// a property of the writing side: set on the write end of a plain pipe, the
// writes become packets.
TEST(PipePacketMode, FcntlCanTurnPacketModeOn) {
  IPCSPEC_NEEDS(PacketMode());
  const char* cite =
      "man 2 pipe, O_DIRECT: \"Since Linux 4.5, it is possible to change the O_DIRECT setting "
      "of a pipe file descriptor using fcntl(2).\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  int fl = fcntl(p.write_end.get(), F_GETFL);
  ASSERT_THAT(fl, SyscallSucceeds());
  ASSERT_THAT(fcntl(p.write_end.get(), F_SETFL, fl | O_DIRECT), SyscallSucceeds()) << cite;
  EXPECT_TRUE(fcntl(p.write_end.get(), F_GETFL) & O_DIRECT) << cite;
  ASSERT_THAT(write(p.write_end.get(), "abc", 3), SyscallSucceedsWithValue(3));
  ASSERT_THAT(write(p.write_end.get(), "defgh", 5), SyscallSucceedsWithValue(5));
  char b[100];
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(3))
      << cite << ": after F_SETFL O_DIRECT each write is a packet";
  // And off again: the writes run together into one byte stream.
  ASSERT_THAT(fcntl(p.write_end.get(), F_SETFL, fl & ~O_DIRECT), SyscallSucceeds()) << cite;
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(5));
  ASSERT_THAT(write(p.write_end.get(), "ab", 2), SyscallSucceedsWithValue(2));
  ASSERT_THAT(write(p.write_end.get(), "cd", 2), SyscallSucceedsWithValue(2));
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(4))
      << cite << ": after clearing O_DIRECT the pipe is a byte stream again (man 7 pipe: "
      << "\"there is no concept of message boundaries\")";
}

// Random writes and reads against a model that is a queue of packets
// (each write of n bytes is ceil(n / PIPE_BUF) packets, a read takes one
// packet and drops what does not fit). man 2 pipe, O_DIRECT (all the
// sentences above).
TEST(PipePacketMode, RandomWritesAndReadsFollowThePacketModel) {
  IPCSPEC_NEEDS(PacketMode());
  CheckProperty(
      "man 2 pipe, O_DIRECT: \"Each write(2) to the pipe is dealt with as a separate packet, "
      "and read(2)s from the pipe will read one packet at a time.\" ... \"the excess bytes in "
      "the packet are discarded\" ... \"Writes of greater than PIPE_BUF bytes ... will be split "
      "into multiple packets\"",
      [] {
        const auto ops = *rc::gen::container<std::vector<std::pair<bool, int>>>(
            rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 2 * PIPE_BUF + 1)));
        auto p = MakePipe(O_DIRECT | O_NONBLOCK);
        IPCSPEC_RC_CHECK(p.ok(), p.error());
        const int r = p.value().read_end.get(), w = p.value().write_end.get();
        std::deque<std::vector<uint8_t>> packets;
        uint32_t seed = 100;
        for (size_t step = 0; step < ops.size(); ++step) {
          const auto [is_write, size] = ops[step];
          const size_t n = static_cast<size_t>(size);
          if (is_write) {
            const size_t new_packets = (n + PIPE_BUF - 1) / PIPE_BUF;
            // Stay far below the capacity (16 pages): the model has no
            // notion of a full pipe.
            if (packets.size() + new_packets > 8) continue;
            std::vector<uint8_t> data = Pattern(++seed, n);
            ssize_t k = write(w, data.data(), n);
            IPCSPEC_RC_CHECK(k == static_cast<ssize_t>(n),
                              "step " << step << ": write(" << n << ") returned " << k
                                      << (k < 0 ? " " + ErrnoName(errno) : ""));
            for (size_t off = 0; off < n; off += PIPE_BUF) {
              packets.emplace_back(data.begin() + off,
                                   data.begin() + std::min(n, off + PIPE_BUF));
            }
          } else {
            std::vector<uint8_t> buf(n + 1);
            ssize_t k = read(r, buf.data(), n);
            if (n == 0) {
              IPCSPEC_RC_CHECK(k == 0, "man 2 pipe: \"A read(2) that specifies a buffer size "
                                        "of zero is a no-op, and returns 0.\" step "
                                            << step << " returned " << k);
            } else if (packets.empty()) {
              IPCSPEC_RC_CHECK(k == -1 && errno == EAGAIN,
                                "step " << step << ": read of an empty pipe returned " << k);
            } else {
              const std::vector<uint8_t>& front = packets.front();
              const size_t want = std::min(n, front.size());
              IPCSPEC_RC_CHECK(k == static_cast<ssize_t>(want),
                                "man 2 pipe, O_DIRECT: \"read(2)s from the pipe will read one "
                                "packet at a time\": step "
                                    << step << ", read(" << n << ") with a " << front.size()
                                    << "-byte packet next returned " << k);
              IPCSPEC_RC_CHECK(std::equal(front.begin(), front.begin() + k, buf.begin()),
                                "step " << step << ": the bytes read are not the packet's");
              packets.pop_front();  // "the excess bytes in the packet are discarded"
            }
          }
          size_t held = 0;
          for (const auto& pk : packets) held += pk.size();
          auto fion = Fionread(r);
          IPCSPEC_RC_CHECK(fion.ok() && fion.value() == static_cast<int>(held),
                            "after step " << step << " FIONREAD is " << fion << ", the packets "
                                          << "left hold " << held << " bytes");
        }
      });
}

}  // namespace
}  // namespace ipcspec

// I/O on pipes: PIPE_BUF atomicity, partial writes, blocking, end of file,
// SIGPIPE/EPIPE, lseek and wrong-end errors, FIONREAD (man 7 pipe, man 2
// pipe, man 2 read, man 2 write, man 2 lseek).
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/property.h"
#include "impl/core/shared_memory.h"
#include "impl/core/sigpipe.h"
#include "impl/core/syscall_matchers.h"
#include "impl/core/watchdog.h"
#include "rapidcheck.h"
#include "suites/pipe/pipe_test_util.h"

namespace ipcspec {
namespace {


// ---------------------------------------------------------------------------
// PIPE_BUF atomicity with concurrent writers.

// A record is PIPE_BUF bytes: a 4-byte header (writer, sequence number) and
// a body whose every byte depends on (writer, sequence, position), so that a
// record spliced with another writer's bytes cannot pass the check.
constexpr size_t kRecord = PIPE_BUF;

uint8_t RecordByte(uint32_t writer, uint32_t seq, size_t i) {
  return static_cast<uint8_t>(writer * 61u + seq * 17u + i * 5u + (i >> 7));
}

void FillRecord(uint8_t* rec, uint32_t writer, uint32_t seq) {
  rec[0] = static_cast<uint8_t>(writer);
  rec[1] = static_cast<uint8_t>(seq & 0xff);
  rec[2] = static_cast<uint8_t>(seq >> 8);
  rec[3] = 0xa5;
  for (size_t i = 4; i < kRecord; ++i) rec[i] = RecordByte(writer, seq, i);
}

// Checks that `stream` is a sequence of whole records, each writer's in
// order. Returns a description of the first violation.
std::optional<std::string> FindInterleaving(const std::vector<uint8_t>& stream, uint32_t writers,
                                            uint32_t per_writer) {
  if (stream.size() != static_cast<size_t>(writers) * per_writer * kRecord) {
    return "the stream holds " + std::to_string(stream.size()) + " bytes, expected " +
           std::to_string(static_cast<size_t>(writers) * per_writer * kRecord);
  }
  std::vector<uint32_t> next(writers, 0);
  for (size_t off = 0; off < stream.size(); off += kRecord) {
    const uint8_t* rec = stream.data() + off;
    const uint32_t w = rec[0];
    const uint32_t seq = rec[1] | (static_cast<uint32_t>(rec[2]) << 8);
    if (rec[3] != 0xa5 || w >= writers) {
      return "no record header at offset " + std::to_string(off) +
             ": the previous record was split or interleaved";
    }
    if (seq != next[w]) {
      return "writer " + std::to_string(w) + "'s record " + std::to_string(seq) +
             " at offset " + std::to_string(off) + ", expected record " +
             std::to_string(next[w]);
    }
    for (size_t i = 4; i < kRecord; ++i) {
      if (rec[i] != RecordByte(w, seq, i)) {
        return "writer " + std::to_string(w) + "'s record " + std::to_string(seq) +
               " at offset " + std::to_string(off) + " holds foreign bytes from byte " +
               std::to_string(i) + ": interleaved with another write";
      }
    }
    ++next[w];
  }
  return std::nullopt;
}

// The checker itself must see an interleaving (the test's own self-test).
TEST(PipeAtomicity, RecordCheckerSeesInterleavedData) {
  std::vector<uint8_t> clean(2 * kRecord);
  FillRecord(clean.data(), 0, 0);
  FillRecord(clean.data() + kRecord, 1, 0);
  EXPECT_EQ(FindInterleaving(clean, 2, 1), std::nullopt);
  // Writer 1's first 100 bytes land inside writer 0's record.
  std::vector<uint8_t> spliced(clean.begin(), clean.begin() + 1000);
  spliced.insert(spliced.end(), clean.begin() + kRecord, clean.begin() + kRecord + 100);
  spliced.insert(spliced.end(), clean.begin() + 1000, clean.begin() + kRecord);
  spliced.insert(spliced.end(), clean.begin() + kRecord + 100, clean.end());
  ASSERT_EQ(spliced.size(), clean.size());
  EXPECT_NE(FindInterleaving(spliced, 2, 1), std::nullopt);
  // Records out of order for one writer.
  std::vector<uint8_t> reordered(2 * kRecord);
  FillRecord(reordered.data(), 0, 1);
  FillRecord(reordered.data() + kRecord, 0, 0);
  EXPECT_NE(FindInterleaving(reordered, 1, 2), std::nullopt);
}

// man 7 pipe, "PIPE_BUF": "POSIX.1 says that writes of less than PIPE_BUF
// bytes must be atomic: the output data is written to the pipe as a
// contiguous sequence." and "O_NONBLOCK disabled, n <= PIPE_BUF: All n bytes
// are written atomically". Several writer processes write PIPE_BUF-byte
// records into one pipe, ten times its capacity in all, so that writers
// block on a full pipe and are woken together; no record may be split.
TEST(PipeAtomicity, ConcurrentPipeBufWritesAreNeverInterleaved) {
  const char* cite =
      "man 7 pipe, \"PIPE_BUF\": \"POSIX.1 says that writes of less than PIPE_BUF bytes must be "
      "atomic: the output data is written to the pipe as a contiguous sequence.\"";
  constexpr uint32_t kWriters = 4;
  const uint32_t per_writer =
      static_cast<uint32_t>(10 * DocumentedDefaultCapacity() / (kWriters * kRecord));
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  ASSERT_OK_AND_ASSIGN(auto failures, SharedObject<std::atomic<int>>::Create(0));
  std::vector<Child> writers;
  for (uint32_t w = 0; w < kWriters; ++w) {
    ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&, w] {
      p.read_end.reset();
      uint8_t rec[kRecord];
      for (uint32_t seq = 0; seq < per_writer; ++seq) {
        FillRecord(rec, w, seq);
        ssize_t n = write(p.write_end.get(), rec, kRecord);
        if (n != static_cast<ssize_t>(kRecord)) {
          failures->fetch_add(1);
          return 1;
        }
      }
      return 0;
    }));
    writers.push_back(std::move(c));
  }
  // The parent keeps no write end: end of file comes when the last writer
  // has exited.
  p.write_end.reset();
  const size_t total = static_cast<size_t>(kWriters) * per_writer * kRecord;
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> stream,
                       ReadToEof(p.read_end.get(), total, Deadline::Default()));
  for (auto& c : writers) {
    ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
    EXPECT_TRUE(st.ExitedWith(0))
        << st << ": a writer's blocking write of PIPE_BUF bytes returned a short count; "
        << "man 7 pipe, \"O_NONBLOCK disabled, n <= PIPE_BUF\": \"All n bytes are written "
           "atomically\"";
  }
  EXPECT_EQ(failures->load(), 0);
  std::optional<std::string> bad = FindInterleaving(stream, kWriters, per_writer);
  EXPECT_EQ(bad, std::nullopt) << cite << ": " << bad.value_or("");
}

// man 7 pipe, "O_NONBLOCK enabled, n <= PIPE_BUF": "If there is room to
// write n bytes to the pipe, then write(2) succeeds immediately, writing all
// n bytes; otherwise write(2) fails, with errno set to EAGAIN." The pipe
// holds capacity-k bytes (room for k); a write of n in (k, PIPE_BUF] fails
// EAGAIN and writes nothing, and a write of exactly k succeeds whole.
TEST(PipeAtomicity, NonBlockingSmallWriteWithoutRoomFailsEagainAndWritesNothing) {
  IPCSPEC_NEEDS(DefaultCapacityNeeds());
  const size_t cap = DocumentedDefaultCapacity();
  CheckProperty(
      "man 7 pipe, \"O_NONBLOCK enabled, n <= PIPE_BUF\": \"If there is room to write n bytes "
      "to the pipe, then write(2) succeeds immediately, writing all n bytes; otherwise write(2) "
      "fails, with errno set to EAGAIN.\"",
      [&] {
        const size_t room = *rc::gen::inRange<size_t>(0, PIPE_BUF);
        const size_t n = *rc::gen::inRange<size_t>(room + 1, PIPE_BUF + 1);
        auto p = MakePipe(O_NONBLOCK);
        IPCSPEC_RC_CHECK(p.ok(), p.error());
        const int r = p.value().read_end.get(), w = p.value().write_end.get();
        std::vector<uint8_t> fill = Pattern(1, cap - room);
        ssize_t put = write(w, fill.data(), fill.size());
        IPCSPEC_RC_CHECK(put == static_cast<ssize_t>(fill.size()),
                          "setup: a write of " << fill.size() << " bytes into an empty pipe of "
                          << cap << " returned " << put);
        std::vector<uint8_t> small(n, 0xee);
        ssize_t got = write(w, small.data(), n);
        int err = errno;
        IPCSPEC_RC_CHECK(got == -1 && err == EAGAIN,
                          "man 7 pipe, \"O_NONBLOCK enabled, n <= PIPE_BUF\": room for "
                          << room << " bytes, write(" << n << ") must fail EAGAIN; returned "
                          << got << (got < 0 ? " " + ErrnoName(err) : ""));
        auto held = Fionread(r);
        IPCSPEC_RC_CHECK(held.ok() && held.value() == static_cast<int>(cap - room),
                          "man 7 pipe: the failed write must write nothing; FIONREAD says "
                          << held << ", expected " << cap - room);
        if (room > 0) {
          std::vector<uint8_t> fits(room, 0xdd);
          ssize_t ok = write(w, fits.data(), room);
          IPCSPEC_RC_CHECK(ok == static_cast<ssize_t>(room),
                            "man 7 pipe, \"O_NONBLOCK enabled, n <= PIPE_BUF\": \"If there is "
                            "room to write n bytes to the pipe, then write(2) succeeds "
                            "immediately, writing all n bytes\": room "
                            << room << ", returned " << ok
                            << (ok < 0 ? " " + ErrnoName(errno) : ""));
        }
      });
}

// ---------------------------------------------------------------------------
// Partial writes above PIPE_BUF.

// man 7 pipe, "O_NONBLOCK enabled, n > PIPE_BUF": "If the pipe is full, then
// write(2) fails, with errno set to EAGAIN.  Otherwise, from 1 to n bytes may
// be written (i.e., a "partial write" may occur ...)". The pipe is filled
// with m whole pages (m = 0..16); a write of n > PIPE_BUF bytes then writes
// from 1 to n bytes, never more than the room, and the bytes written are the
// first ones of the buffer; with m = 16 (full) it fails EAGAIN.
TEST(PipePartialWrite, NonBlockingLargeWriteIsPartialOrEagainWhenFull) {
  IPCSPEC_NEEDS(DefaultCapacityNeeds());
  const size_t cap = DocumentedDefaultCapacity();
  const size_t page = PageSize();
  CheckProperty(
      "man 7 pipe, \"O_NONBLOCK enabled, n > PIPE_BUF\": \"If the pipe is full, then write(2) "
      "fails, with errno set to EAGAIN.  Otherwise, from 1 to n bytes may be written\"",
      [&] {
        const size_t pages = *rc::gen::inRange<size_t>(0, 17);
        const size_t n = *rc::gen::inRange<size_t>(PIPE_BUF + 1, cap + 2 * page);
        const size_t fill_bytes = pages * page;
        const size_t room = cap - fill_bytes;
        auto p = MakePipe(O_NONBLOCK);
        IPCSPEC_RC_CHECK(p.ok(), p.error());
        const int r = p.value().read_end.get(), w = p.value().write_end.get();
        std::vector<uint8_t> fill = Pattern(2, fill_bytes);
        if (fill_bytes > 0) {
          ssize_t put = write(w, fill.data(), fill.size());
          IPCSPEC_RC_CHECK(put == static_cast<ssize_t>(fill_bytes),
                            "setup: a write of " << fill_bytes << " bytes into an empty pipe of "
                            << cap << " returned " << put);
        }
        std::vector<uint8_t> big = Pattern(3, n);
        ssize_t got = write(w, big.data(), n);
        int err = errno;
        if (room == 0) {
          IPCSPEC_RC_CHECK(got == -1 && err == EAGAIN,
                            "man 7 pipe, \"O_NONBLOCK enabled, n > PIPE_BUF\": \"If the pipe is "
                            "full, then write(2) fails, with errno set to EAGAIN.\" write("
                            << n << ") into a full pipe returned " << got << " "
                            << ErrnoName(err));
        } else {
          IPCSPEC_RC_CHECK(got >= 1 && static_cast<size_t>(got) <= std::min(n, room),
                            "man 7 pipe, \"O_NONBLOCK enabled, n > PIPE_BUF\": \"from 1 to n "
                            "bytes may be written\" (and no more than the room, "
                            << room << "): write(" << n << ") returned " << got << " "
                            << (got < 0 ? ErrnoName(err) : ""));
          if (n > room) {
            IPCSPEC_RC_CHECK(static_cast<size_t>(got) < n,
                              "man 7 pipe: a write larger than the room must be partial");
          }
        }
        const size_t written = got > 0 ? static_cast<size_t>(got) : 0;
        auto held = Fionread(r);
        IPCSPEC_RC_CHECK(held.ok() && held.value() == static_cast<int>(fill_bytes + written),
                          "man 7 pipe: FIONREAD (unread bytes) is " << held << ", expected "
                          << fill_bytes + written);
        // The stream is the fill followed by the first `written` bytes.
        std::vector<uint8_t> back(fill_bytes + written + 1);
        auto rd = ReadWithDeadline(r, back.data(), fill_bytes + written,
                                             Deadline::Default());
        IPCSPEC_RC_CHECK(rd.ok() && rd.value() == fill_bytes + written, rd);
        back.resize(fill_bytes + written);
        std::vector<uint8_t> want = fill;
        want.insert(want.end(), big.begin(), big.begin() + written);
        IPCSPEC_RC_CHECK(back == want,
                          "man 7 pipe: a partial write writes the first bytes of the buffer, "
                          "in order (the pipe is a byte stream)");
      });
}

// ---------------------------------------------------------------------------
// Blocking writes.

// man 7 pipe, "I/O on pipes and FIFOs": "If a process attempts to write to a
// full pipe (see below), then write(2) blocks until sufficient data has been
// read from the pipe to allow the write to complete." and "O_NONBLOCK
// disabled, n > PIPE_BUF": "the write(2) blocks until n bytes have been
// written."
TEST(PipeBlockingWrite, LargeWriteBlocksUntilTheReaderDrains) {
  const char* cite =
      "man 7 pipe, \"O_NONBLOCK disabled, n > PIPE_BUF\": \"the write(2) blocks until n bytes "
      "have been written.\"";
  const size_t cap = DocumentedDefaultCapacity();
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  const size_t prefill = cap - 1000;
  const std::vector<uint8_t> fill = Pattern(4, prefill);
  {
    Watchdog wd(Deadline::Default());  // the room is there: it must not block
    ASSERT_THAT(write(p.write_end.get(), fill.data(), fill.size()),
                SyscallSucceedsWithValue(prefill));
  }
  const size_t n = 3 * PIPE_BUF + 123;
  const std::vector<uint8_t> big = Pattern(5, n);
  ASSERT_OK_AND_ASSIGN(auto result, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child writer, Child::Fork([&] {
    p.read_end.reset();
    *result = Record("write", write(p.write_end.get(), big.data(), n));
    return 0;
  }));
  ASSERT_THAT(WaitUntilBlocked(writer.pid(), {SYS_write}), SyscallSucceeds())
      << cite << ": a write of " << n << " bytes with 1000 bytes of room must block";
  EXPECT_EQ(result->ret, -2) << cite << ": the write returned while the pipe was full";
  p.write_end.reset();
  std::vector<uint8_t> want = fill;
  want.insert(want.end(), big.begin(), big.end());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got,
                       ReadToEof(p.read_end.get(), want.size(), Deadline::Default()));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, writer.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(result->ret, static_cast<long>(n))
      << cite << ": the blocked write " << result->ToString();
  EXPECT_EQ(got.size(), want.size()) << cite << ": data lost or added";
  EXPECT_TRUE(got == want) << cite << ": the data read differs from the data written";
}

// man 7 pipe, "O_NONBLOCK disabled, n <= PIPE_BUF": "All n bytes are written
// atomically; write(2) may block if there is not room for n bytes to be
// written immediately". While the writer is blocked, none of its bytes may
// be in the pipe.
TEST(PipeBlockingWrite, PipeBufWriteBlocksWholeWhenThereIsNoRoom) {
  const char* cite =
      "man 7 pipe, \"O_NONBLOCK disabled, n <= PIPE_BUF\": \"All n bytes are written "
      "atomically; write(2) may block if there is not room for n bytes to be written "
      "immediately\"";
  const size_t cap = DocumentedDefaultCapacity();
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  const size_t prefill = cap - 1000;
  const std::vector<uint8_t> fill = Pattern(6, prefill);
  {
    Watchdog wd(Deadline::Default());
    ASSERT_THAT(write(p.write_end.get(), fill.data(), fill.size()),
                SyscallSucceedsWithValue(prefill));
  }
  std::vector<uint8_t> rec(PIPE_BUF);
  FillRecord(rec.data(), 9, 9);
  ASSERT_OK_AND_ASSIGN(auto result, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child writer, Child::Fork([&] {
    p.read_end.reset();
    *result = Record("write", write(p.write_end.get(), rec.data(), rec.size()));
    return 0;
  }));
  ASSERT_THAT(WaitUntilBlocked(writer.pid(), {SYS_write}), SyscallSucceeds())
      << cite << ": a write of PIPE_BUF bytes with 1000 bytes of room must block";
  EXPECT_THAT(Fionread(p.read_end.get()), SyscallSucceedsWithValue(prefill))
      << cite << ": the blocked writer must not have written part of its data";
  p.write_end.reset();
  std::vector<uint8_t> want = fill;
  want.insert(want.end(), rec.begin(), rec.end());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got,
                       ReadToEof(p.read_end.get(), want.size(), Deadline::Default()));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, writer.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(result->ret, static_cast<long>(PIPE_BUF)) << cite << ": " << result->ToString();
  EXPECT_TRUE(got == want) << cite << ": the data read differs from the data written";
}

// ---------------------------------------------------------------------------
// Reads.

// man 7 pipe, "I/O on pipes and FIFOs": "If a process attempts to read from
// an empty pipe, then read(2) will block until data is available."
TEST(PipeRead, EmptyPipeBlocksUntilDataIsAvailable) {
  const char* cite =
      "man 7 pipe, \"I/O on pipes and FIFOs\": \"If a process attempts to read from an empty "
      "pipe, then read(2) will block until data is available.\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  ASSERT_OK_AND_ASSIGN(auto result, SharedObject<CallRecord>::Create());
  using Buf16 = std::array<char, 16>;
  ASSERT_OK_AND_ASSIGN(auto data, SharedObject<Buf16>::Create());
  ASSERT_OK_AND_ASSIGN(Child reader, Child::Fork([&] {
    p.write_end.reset();
    *result = Record("read", read(p.read_end.get(), data->data(), data->size()));
    return 0;
  }));
  ASSERT_THAT(WaitUntilBlocked(reader.pid(), {SYS_read}), SyscallSucceeds())
 << cite;
  EXPECT_EQ(result->ret, -2) << cite << ": the read returned from an empty pipe";
  ASSERT_THAT(write(p.write_end.get(), "hello", 5), SyscallSucceedsWithValue(5));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, reader.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(result->ret, 5) << cite << ": " << result->ToString();
  EXPECT_EQ(std::string(data->data(), 5), "hello") << cite;
}

// man 2 read, ERRORS: "EAGAIN The file descriptor fd refers to a file other
// than a socket and has been marked nonblocking (O_NONBLOCK), and the read
// would block." (man 7 pipe: "Nonblocking I/O is possible by using the
// fcntl(2) F_SETFL operation to enable the O_NONBLOCK open file status
// flag.")
TEST(PipeRead, EmptyPipeWithONonblockFailsEagain) {
  const char* cite =
      "man 2 read: \"EAGAIN The file descriptor fd refers to a file other than a socket and has "
      "been marked nonblocking (O_NONBLOCK), and the read would block.\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  int fl = fcntl(p.read_end.get(), F_GETFL);
  ASSERT_THAT(fl, SyscallSucceeds());
  ASSERT_THAT(fcntl(p.read_end.get(), F_SETFL, fl | O_NONBLOCK), SyscallSucceeds());
  char b[8];
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallFailsWithErrno(EAGAIN)) << cite;
  // With data, the same non-blocking read returns it.
  ASSERT_THAT(write(p.write_end.get(), "ab", 2), SyscallSucceedsWithValue(2));
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(2)) << cite;
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallFailsWithErrno(EAGAIN)) << cite;
}

// man 7 pipe, "I/O on pipes and FIFOs": "If all file descriptors referring
// to the write end of a pipe have been closed, then an attempt to read(2)
// from the pipe will see end-of-file (read(2) will return 0)." Data written
// before the close is still read first.
TEST(PipeRead, NoWriterLeftGivesEndOfFileAfterTheData) {
  const char* cite =
      "man 7 pipe, \"I/O on pipes and FIFOs\": \"If all file descriptors referring to the write "
      "end of a pipe have been closed, then an attempt to read(2) from the pipe will see "
      "end-of-file (read(2) will return 0).\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  ASSERT_THAT(write(p.write_end.get(), "abc", 3), SyscallSucceedsWithValue(3));
  p.write_end.reset();
  char b[8];
  Watchdog wd(Deadline::Default());
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(3)) << cite;
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(0)) << cite;
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(0))
      << cite << " (and keeps returning 0)";
  EXPECT_FALSE(wd.fired()) << cite << ": the read blocked with no writer left";
}

// The same end of file wakes a reader already blocked on the empty pipe when
// the last write end is closed (man 7 pipe, as above).
TEST(PipeRead, BlockedReaderSeesEndOfFileWhenTheLastWriterCloses) {
  const char* cite =
      "man 7 pipe, \"I/O on pipes and FIFOs\": \"If all file descriptors referring to the write "
      "end of a pipe have been closed, then an attempt to read(2) from the pipe will see "
      "end-of-file (read(2) will return 0).\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  ASSERT_OK_AND_ASSIGN(auto result, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child reader, Child::Fork([&] {
    p.write_end.reset();  // the child's copy of the write end
    char b[8];
    *result = Record("read", read(p.read_end.get(), b, sizeof b));
    return 0;
  }));
  ASSERT_THAT(WaitUntilBlocked(reader.pid(), {SYS_read}), SyscallSucceeds())
 << cite;
  p.write_end.reset();  // the last write end
  ASSERT_OK_AND_ASSIGN(WaitStatus st, reader.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(result->ret, 0) << cite << ": the blocked read " << result->ToString();
}

// ---------------------------------------------------------------------------
// No reader: SIGPIPE and EPIPE.

// man 7 pipe, "I/O on pipes and FIFOs": "If all file descriptors referring
// to the read end of a pipe have been closed, then a write(2) will cause a
// SIGPIPE signal to be generated for the calling process." and man 2 write:
// "EPIPE fd is connected to a pipe or socket whose reading end is closed.
// When this happens the writing process will also receive a SIGPIPE signal.
// (Thus, the write return value is seen only if the program catches, blocks
// or ignores this signal.)" Here SIGPIPE is blocked: the write fails EPIPE
// and SIGPIPE is pending.
TEST(PipeWrite, NoReaderFailsEpipeAndRaisesSigpipe) {
  const char* cite =
      "man 2 write: \"EPIPE fd is connected to a pipe or socket whose reading end is closed.  "
      "When this happens the writing process will also receive a SIGPIPE signal.\"";
  for (int flags : {0, O_NONBLOCK}) {
    SCOPED_TRACE(flags ? "O_NONBLOCK" : "blocking");
    ASSERT_OK_AND_ASSIGN(auto p, MakePipe(flags));
    p.read_end.reset();
    ScopedBlockSigpipe blocked;
    ASSERT_FALSE(blocked.ConsumePending()) << "SIGPIPE was pending before the write";
    {
      Watchdog wd(Deadline::Default());
      EXPECT_THAT(write(p.write_end.get(), "x", 1), SyscallFailsWithErrno(EPIPE)) << cite;
    }
    EXPECT_TRUE(blocked.ConsumePending())
        << "man 7 pipe: \"a write(2) will cause a SIGPIPE signal to be generated for the "
           "calling process\": no SIGPIPE pending after the write";
  }
}

// With SIGPIPE's default disposition (terminate), the writer is killed by
// it (man 7 pipe as above; man 7 signal: SIGPIPE's default action is Term).
TEST(PipeWrite, NoReaderKillsAWriterWithDefaultSigpipe) {
  const char* cite =
      "man 7 pipe, \"I/O on pipes and FIFOs\": \"If all file descriptors referring to the read "
      "end of a pipe have been closed, then a write(2) will cause a SIGPIPE signal to be "
      "generated for the calling process.\" (default action: terminate, man 7 signal)";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  p.read_end.reset();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, nullptr) != 0) return 2;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    if (sigprocmask(SIG_UNBLOCK, &s, nullptr) != 0) return 3;
    (void)!write(p.write_end.get(), "x", 1);
    return 1;  // survived the write
  }));
  EXPECT_TRUE(st.KilledBy(SIGPIPE)) << cite << ": the writer " << st;
}

// ---------------------------------------------------------------------------
// lseek and the wrong end.

// man 7 pipe: "It is not possible to apply lseek(2) to a pipe." man 2 lseek,
// ERRORS: "ESPIPE fd is associated with a pipe, socket, or FIFO."
TEST(PipeSeek, LseekFailsEspipeOnBothEnds) {
  const char* cite =
      "man 2 lseek: \"ESPIPE fd is associated with a pipe, socket, or FIFO.\"; man 7 pipe: \"It "
      "is not possible to apply lseek(2) to a pipe.\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  ASSERT_THAT(write(p.write_end.get(), "abcdef", 6), SyscallSucceedsWithValue(6));
  for (int fd : {p.read_end.get(), p.write_end.get()}) {
    for (int whence : {SEEK_SET, SEEK_CUR, SEEK_END}) {
      EXPECT_THAT(lseek(fd, 0, whence), SyscallFailsWithErrno(ESPIPE))
          << cite << " (fd " << fd << ", whence " << whence << ")";
      EXPECT_THAT(lseek(fd, 2, whence), SyscallFailsWithErrno(ESPIPE))
          << cite << " (fd " << fd << ", whence " << whence << ")";
    }
  }
  // The data is untouched by the failed seeks.
  char b[8];
  EXPECT_THAT(read(p.read_end.get(), b, sizeof b), SyscallSucceedsWithValue(6));
  EXPECT_EQ(std::string(b, 6), "abcdef") << cite;
}

// man 2 pipe: "pipefd[0] refers to the read end of the pipe.  pipefd[1]
// refers to the write end of the pipe." man 2 write: "EBADF fd is not a valid
// file descriptor or is not open for writing." man 2 read: "EBADF fd is not a
// valid file descriptor or is not open for reading."
TEST(PipeEnds, WrongEndIsEbadf) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  char b[4] = {'a', 'b', 'c', 'd'};
  EXPECT_THAT(write(p.read_end.get(), b, sizeof b), SyscallFailsWithErrno(EBADF))
      << "man 2 write: \"EBADF fd is not a valid file descriptor or is not open for writing.\" "
         "(the read end, man 2 pipe: \"pipefd[0] refers to the read end of the pipe\")";
  ASSERT_THAT(write(p.write_end.get(), b, sizeof b), SyscallSucceedsWithValue(4));
  EXPECT_THAT(read(p.write_end.get(), b, sizeof b), SyscallFailsWithErrno(EBADF))
      << "man 2 read: \"EBADF fd is not a valid file descriptor or is not open for reading.\" "
         "(the write end, man 2 pipe: \"pipefd[1] refers to the write end of the pipe\")";
  EXPECT_THAT(Fionread(p.read_end.get()), SyscallSucceedsWithValue(4))
      << "man 2 read: the failed read on the write end must not consume data";
}

// ---------------------------------------------------------------------------
// FIONREAD.

// man 7 pipe, "Pipe capacity": "The following ioctl(2) operation, which can
// be applied to a file descriptor that refers to either end of a pipe, places
// a count of the number of unread bytes in the pipe in the int buffer".
// Random non-blocking writes and reads against a byte-deque model: after each
// step FIONREAD on both ends equals the model's size, and reads return the
// model's bytes in order.
TEST(PipeFionread, CountsTheUnreadBytesOnBothEnds) {
  CheckProperty(
      "man 7 pipe: FIONREAD \"can be applied to a file descriptor that refers to either end of "
      "a pipe, places a count of the number of unread bytes in the pipe\"",
      [] {
        const auto ops = *rc::gen::container<std::vector<std::pair<bool, int>>>(
            rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 3 * PIPE_BUF)));
        auto p = MakePipe(O_NONBLOCK);
        IPCSPEC_RC_CHECK(p.ok(), p.error());
        const int r = p.value().read_end.get(), w = p.value().write_end.get();
        std::deque<uint8_t> model;
        size_t written_total = 0;
        std::vector<uint8_t> buf;
        for (size_t step = 0; step < ops.size(); ++step) {
          const auto [is_write, size] = ops[step];
          if (is_write) {
            buf = Pattern(11, static_cast<size_t>(size), written_total);
            ssize_t k = write(w, buf.data(), buf.size());
            IPCSPEC_RC_CHECK(k >= 0 || errno == EAGAIN,
                              "step " << step << ": write(" << size << "): " << ErrnoName(errno));
            if (k > 0) {
              model.insert(model.end(), buf.begin(), buf.begin() + k);
              written_total += static_cast<size_t>(k);
            }
          } else {
            buf.assign(static_cast<size_t>(size), 0);
            ssize_t k = read(r, buf.data(), buf.size());
            if (size == 0) {
              IPCSPEC_RC_CHECK(k == 0, "step " << step << ": read(0) returned " << k);
            } else if (model.empty()) {
              IPCSPEC_RC_CHECK(k == -1 && errno == EAGAIN,
                                "step " << step << ": read of an empty pipe returned " << k);
            } else {
              const size_t want = std::min(model.size(), static_cast<size_t>(size));
              IPCSPEC_RC_CHECK(k == static_cast<ssize_t>(want),
                                "step " << step << ": read(" << size << ") with " << model.size()
                                        << " bytes held returned " << k);
              IPCSPEC_RC_CHECK(std::equal(buf.begin(), buf.begin() + k, model.begin()),
                                "step " << step << ": read returned bytes out of order");
              model.erase(model.begin(), model.begin() + k);
            }
          }
          for (int fd : {r, w}) {
            auto n = Fionread(fd);
            IPCSPEC_RC_CHECK(n.ok() && n.value() == static_cast<int>(model.size()),
                              "man 7 pipe: FIONREAD on " << (fd == r ? "the read" : "the write")
                                                         << " end after step " << step << " is "
                                                         << n << ", the model holds "
                                                         << model.size());
          }
        }
      });
}

}  // namespace
}  // namespace ipcspec

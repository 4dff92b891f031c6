// ByteStream: a one-way stream of bytes with a reading end and a writing end.
// Pipes, FIFOs, stream sockets, and any library that moves bytes in order.
//
// Each call on an end is ONE operation (one write(2), one read(2)): it may be
// partial, exactly as the underlying call may be; suites check what the man
// pages allow. Blocking::kNonBlock asks for the non-blocking behaviour
// (O_NONBLOCK / MSG_DONTWAIT) for that one call, whatever the end's default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "impl/api/kind.h"
#include "impl/core/cleanup.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

enum class Blocking { kBlock, kNonBlock };
const char* ToString(Blocking b);

struct ByteStreamCaps {
  // Writes of at most this many bytes are atomic: never split, never
  // interleaved with other writers' data (PIPE_BUF for pipes and FIFOs,
  // man 7 pipe). 0: no such promise.
  size_t atomic_write = 0;
  // A lower bound on what an EMPTY stream accepts without blocking: a write
  // of at most this many bytes into an empty stream completes at once.
  size_t empty_capacity = 0;
  // Writing when no reader is left raises SIGPIPE and fails with EPIPE.
  bool sigpipe_on_broken = true;
  // TCP: writes after the reader closed may succeed until the peer's reset
  // arrives, then fail EPIPE (with SIGPIPE, as above) or ECONNRESET.
  bool epipe_may_be_delayed = false;
  // Both ends are usable from a forked child (fd-based). Needed for the
  // fork-of-extra-writers and concurrent-writer properties.
  bool fork_shares_ends = true;
  // The ends are O_NONBLOCK from creation (reads of an empty stream and
  // writes to a full one fail EAGAIN unless kBlock is asked for).
  bool nonblocking_by_default = false;
  // Once a non-blocking write has failed EAGAIN, the stream stays full until
  // a reader reads (pipes, FIFOs, Unix stream sockets: the data is in the
  // reader's queue). false for TCP: after EAGAIN the kernel still moves data
  // from the send queue into the peer's receive queue and frees send-buffer
  // space, so a later write may fit with no read (man 7 tcp: SO_SNDBUF and
  // SO_RCVBUF are separate buffers, "tcp_wmem", "tcp_rmem").
  bool full_stays_full = true;
  // Bytes written (and the writer's close) reach the reader's queue only
  // some time after write(2)/close(2) return: TCP on loopback, where the
  // segment is carried by the network stack's softirq, which under load runs
  // later, in ksoftirqd (and in gVisor's netstack, in another goroutine).
  // Nothing in man 7 tcp promises the data are readable at once. A
  // non-blocking read that finds nothing although data (or the end of file)
  // was sent then waits for it, under a deadline, instead of failing EAGAIN.
  bool delivery_may_lag = false;
  // The system calls a blocked Read or Write of this Kind sleeps in besides
  // the data call itself (read(2)/recvfrom(2), write(2)/sendto(2)), for the
  // suites' WaitUntilBlocked: a library with an event loop sleeps in the
  // loop's readiness wait (libuv: {SYS_epoll_wait, SYS_epoll_pwait},
  // impl/adapters/libuv). Empty: a blocked call is seen only in the data call.
  std::vector<long> also_blocked_in;
};

class StreamEnd {
 public:
  virtual ~StreamEnd() = default;
  // One write; returns the count written (possibly partial).
  virtual PosixErrorOr<size_t> Write(const uint8_t* data, size_t n, Blocking b) = 0;
  // One read; returns the count read, 0 at end of stream.
  virtual PosixErrorOr<size_t> Read(uint8_t* data, size_t n, Blocking b) = 0;
  // Closes this end (this process's copy of it).
  virtual PosixError Close() = 0;
  virtual bool closed() const = 0;
  // The fd behind this end, for poll and fault tools; -1 if none.
  virtual int fd() const = 0;
  // Writes all n bytes, blocking, with as many calls as it takes: a short
  // write continues where it stopped, EINTR is retried. An error other than
  // EINTR ends it, with the bytes before it written exactly once. A Kind
  // with its own send-all loop overrides this; the fault scenarios hold the
  // loop to that contract under injected EINTR, EAGAIN and short writes.
  virtual PosixError WriteAll(const uint8_t* data, size_t n);
};

struct ByteStream {
  std::unique_ptr<StreamEnd> reader;
  std::unique_ptr<StreamEnd> writer;
  // The capacity the kernel reports for this instance (F_GETPIPE_SZ), if
  // any; 0 when unknown.
  size_t reported_capacity = 0;
  // Removes whatever else the stream made (a FIFO's path).
  std::shared_ptr<Cleanup> cleanup;
};

struct ByteStreamInterface {
  using Caps = ByteStreamCaps;
  using Instance = ByteStream;
  static constexpr const char* kName = "ByteStream";
};

using ByteStreamKind = Kind<ByteStreamInterface>;

// Reads exactly n bytes unless EOF comes first; returns the count read.
PosixErrorOr<size_t> ReadFull(StreamEnd& end, uint8_t* data, size_t n);

}  // namespace ipcspec

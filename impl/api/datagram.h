// Datagram: a two-way channel of messages between two endpoints, A and B.
// AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET socket pairs, loopback UDP, and any
// library that moves whole messages.
//
// Each call on an endpoint is ONE operation: Send is one send(2) of one
// message, Receive is one recvmsg(2) of (at most) one message. A message
// longer than the receive buffer is truncated; the endpoint reports how long
// it really was (man 2 recv, MSG_TRUNC). Blocking::kNonBlock asks for the
// non-blocking behaviour (MSG_DONTWAIT) for that one call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "impl/api/byte_stream.h"  // Blocking
#include "impl/api/kind.h"
#include "impl/core/cleanup.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

struct DatagramCaps {
  // Messages from one endpoint arrive at the other in the order sent.
  // AF_UNIX datagram and seqpacket sockets on Linux: yes. UDP: no promise
  // (man 7 udp: "It doesn't guarantee reliability or ordering").
  bool ordered = true;
  // A sent message may never arrive (UDP "drops under pressure"). When false,
  // every message sent is received exactly once.
  bool may_drop = false;
  // A send succeeds at once (without blocking) and the message is delivered
  // while the direction holds fewer than `guaranteed_queue` messages of at
  // most `max_message` bytes each.
  bool reliable_delivery_when_not_full = true;
  size_t guaranteed_queue = 8;
  // The largest message the suites send (well under the Kind's real limit).
  size_t max_message = 4096;
  // A receive into a short buffer reports the real length of the message
  // (recv(2) with MSG_TRUNC in flags) and sets MSG_TRUNC in msg_flags.
  bool reports_real_length = true;
  // Both endpoints are usable from a forked child (fd-based).
  bool fork_shares = true;
};

struct Received {
  std::vector<uint8_t> data;  // what landed in the buffer (at most `max`)
  size_t real_length = 0;     // the message's length before truncation
  bool truncated = false;     // MSG_TRUNC in msg_flags
};

class DatagramEndpoint {
 public:
  virtual ~DatagramEndpoint() = default;
  // Sends one message; returns the count sent.
  virtual PosixErrorOr<size_t> Send(const uint8_t* data, size_t n, Blocking b) = 0;
  // Receives one message into a buffer of `max` bytes.
  virtual PosixErrorOr<Received> Receive(size_t max, Blocking b) = 0;
  virtual PosixError Close() = 0;
  virtual bool closed() const = 0;
  // The fd behind this endpoint; -1 if none.
  virtual int fd() const = 0;
};

struct DatagramChannel {
  std::unique_ptr<DatagramEndpoint> a;
  std::unique_ptr<DatagramEndpoint> b;
  std::shared_ptr<Cleanup> cleanup;
};

struct DatagramInterface {
  using Caps = DatagramCaps;
  using Instance = DatagramChannel;
  static constexpr const char* kName = "Datagram";
};

using DatagramKind = Kind<DatagramInterface>;

// A DatagramEndpoint over a connected socket: send(2) with MSG_NOSIGNAL (and
// MSG_DONTWAIT for kNonBlock), recvmsg(2) with MSG_TRUNC.
class FdDatagramEndpoint : public DatagramEndpoint {
 public:
  FdDatagramEndpoint(FileDescriptor fd, std::string label)
      : fd_(std::move(fd)), label_(std::move(label)) {}
  PosixErrorOr<size_t> Send(const uint8_t* data, size_t n, Blocking b) override;
  PosixErrorOr<Received> Receive(size_t max, Blocking b) override;
  PosixError Close() override;
  bool closed() const override { return !fd_.valid(); }
  int fd() const override { return fd_.get(); }

 private:
  FileDescriptor fd_;
  std::string label_;
};

}  // namespace ipcspec

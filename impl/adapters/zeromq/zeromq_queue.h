// ZeroMQ sockets as a MessageQueue (impl/api/message_queue.h).
//
// One instance owns its own context (zmq_ctx_new) and both ends: the
// receiving socket, bound first, and the sending socket, connected to it.
// Send is one zmq_msg_send, Receive one zmq_msg_recv (zmq_recv when the
// caller gives a buffer size). The library has no tags, no message count and
// no per-queue maximum message size; a context must not be used across
// fork(2) (man zmq: "a context ... is not safe to share across fork"; see
// FINDINGS.md), so a queue belongs to the process that opened it. Another
// process sends to it by connecting a socket in a context of its own to
// Address() (MessageQueueCaps::open_sender, OpenZmqSender).
#pragma once

#include <memory>
#include <string>

#include "impl/api/message_queue.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

struct ZmqQueueOptions {
  int receiver_type = 0;  // ZMQ_PAIR, ZMQ_PULL
  int sender_type = 0;    // ZMQ_PAIR, ZMQ_PUSH
  bool tcp = false;       // tcp://127.0.0.1:<ephemeral>; else ipc://<unique path>
  // ZMQ_SNDHWM on the sender and ZMQ_RCVHWM on the receiver; -1: the default.
  int hwm = -1;
  // false: no sending socket of its own (MessageQueueCaps::open_receiver):
  // a ZMQ_PAIR takes one peer, and the remote sender is to be that peer.
  bool own_sender = true;
};

// The largest message the properties send (ZeroMQ itself sets no maximum).
constexpr size_t kZmqMaxMessage = 1024;

PosixErrorOr<std::unique_ptr<MessageQueue>> OpenZmqQueue(const ZmqQueueOptions& o);

// A sending socket of type `sender_type` in a context of its own, connected
// to `address` (another process's queue: MessageQueue::Address()). For a
// process that has never used ZeroMQ (MessageQueueCaps::open_sender).
PosixErrorOr<std::unique_ptr<MessageQueue>> OpenZmqSender(int sender_type,
                                                          const std::string& address);

// A path for an ipc:// socket: under $TEST_TMPDIR (or /tmp), unique in this
// process and short enough for sun_path.
std::string ZmqIpcPath();

}  // namespace ipcspec

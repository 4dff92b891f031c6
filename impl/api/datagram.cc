#include "impl/api/datagram.h"

#include <sys/socket.h>
#include <sys/uio.h>

namespace ipcspec {

PosixErrorOr<size_t> FdDatagramEndpoint::Send(const uint8_t* data, size_t n, Blocking b) {
  int flags = MSG_NOSIGNAL | (b == Blocking::kNonBlock ? MSG_DONTWAIT : 0);
  ssize_t r = ::send(fd_.get(), data, n, flags);
  if (r < 0) return ErrnoError("send(" + label_ + ", " + std::to_string(n) + " bytes)");
  return static_cast<size_t>(r);
}

PosixErrorOr<Received> FdDatagramEndpoint::Receive(size_t max, Blocking b) {
  Received out;
  out.data.resize(max);
  struct iovec iov = {out.data.data(), max};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // man 2 recv, MSG_TRUNC: "return the real length of the packet or
  // datagram, even when it was longer than the passed buffer."
  int flags = MSG_TRUNC | (b == Blocking::kNonBlock ? MSG_DONTWAIT : 0);
  ssize_t r = ::recvmsg(fd_.get(), &msg, flags);
  if (r < 0) return ErrnoError("recvmsg(" + label_ + ", MSG_TRUNC)");
  out.real_length = static_cast<size_t>(r);
  out.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  if (out.real_length < max) out.data.resize(out.real_length);
  return out;
}

PosixError FdDatagramEndpoint::Close() {
  if (fd_.reset() != 0) return ErrnoError("close(" + label_ + ")");
  return PosixError();
}

}  // namespace ipcspec

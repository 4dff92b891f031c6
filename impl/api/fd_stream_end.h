// FdStreamEnd: a StreamEnd over a file descriptor (pipe, FIFO, stream socket).
#pragma once

#include "impl/api/byte_stream.h"
#include "impl/core/file_descriptor.h"

namespace ipcspec {

class FdStreamEnd : public StreamEnd {
 public:
  // `socket`: use send/recv with MSG_DONTWAIT for non-blocking calls;
  // otherwise O_NONBLOCK is set on the open file description for the call.
  FdStreamEnd(FileDescriptor fd, bool socket, std::string label);

  PosixErrorOr<size_t> Write(const uint8_t* data, size_t n, Blocking b) override;
  PosixErrorOr<size_t> Read(uint8_t* data, size_t n, Blocking b) override;
  PosixError Close() override;
  bool closed() const override { return !fd_.valid(); }
  int fd() const override { return fd_.get(); }

 protected:
  // Sets or clears O_NONBLOCK for one call; returns the previous flags.
  PosixErrorOr<int> SetNonBlocking(bool on);
  PosixError RestoreFlags(int flags);

  FileDescriptor fd_;
  bool socket_;
  std::string label_;  // "pipe write end"
};

}  // namespace ipcspec

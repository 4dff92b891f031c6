#include "impl/api/byte_stream.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "impl/api/fd_stream_end.h"

namespace ipcspec {

const char* ToString(Blocking b) { return b == Blocking::kBlock ? "blocking" : "non-blocking"; }

PosixError StreamEnd::WriteAll(const uint8_t* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    auto r = Write(data + done, n - done, Blocking::kBlock);
    if (!r.ok()) {
      if (r.errno_value() == EINTR) continue;
      return r.error();
    }
    done += r.value();
  }
  return NoError();
}

PosixErrorOr<size_t> ReadFull(StreamEnd& end, uint8_t* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    auto r = end.Read(data + done, n - done, Blocking::kBlock);
    if (!r.ok()) {
      if (r.errno_value() == EINTR) continue;
      return r.error();
    }
    if (r.value() == 0) break;
    done += r.value();
  }
  return done;
}

FdStreamEnd::FdStreamEnd(FileDescriptor fd, bool socket, std::string label)
    : fd_(std::move(fd)), socket_(socket), label_(std::move(label)) {}

PosixErrorOr<int> FdStreamEnd::SetNonBlocking(bool on) {
  int flags = fcntl(fd_.get(), F_GETFL);
  if (flags < 0) return ErrnoError("fcntl(" + label_ + ", F_GETFL)");
  int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (want != flags && fcntl(fd_.get(), F_SETFL, want) != 0) {
    return ErrnoError("fcntl(" + label_ + ", F_SETFL)");
  }
  return flags;
}

PosixError FdStreamEnd::RestoreFlags(int flags) {
  int now = fcntl(fd_.get(), F_GETFL);
  if (now == flags) return NoError();
  if (fcntl(fd_.get(), F_SETFL, flags) != 0) return ErrnoError("fcntl(" + label_ + ", F_SETFL)");
  return NoError();
}

PosixErrorOr<size_t> FdStreamEnd::Write(const uint8_t* data, size_t n, Blocking b) {
  std::string call = "write(" + label_ + ", " + std::to_string(n) + " bytes, " + ToString(b) + ")";
  if (!fd_.valid()) return PosixError(EBADF, call + " on a closed end");
  ssize_t r;
  if (socket_) {
    r = send(fd_.get(), data, n, b == Blocking::kNonBlock ? MSG_DONTWAIT : 0);
  } else {
    IPCSPEC_ASSIGN_OR_RETURN(int flags, SetNonBlocking(b == Blocking::kNonBlock));
    r = write(fd_.get(), data, n);
    int saved = errno;
    IPCSPEC_RETURN_IF_ERROR(RestoreFlags(flags));
    errno = saved;
  }
  if (r < 0) return ErrnoError(call);
  return static_cast<size_t>(r);
}

PosixErrorOr<size_t> FdStreamEnd::Read(uint8_t* data, size_t n, Blocking b) {
  std::string call = "read(" + label_ + ", " + std::to_string(n) + " bytes, " + ToString(b) + ")";
  if (!fd_.valid()) return PosixError(EBADF, call + " on a closed end");
  ssize_t r;
  if (socket_) {
    r = recv(fd_.get(), data, n, b == Blocking::kNonBlock ? MSG_DONTWAIT : 0);
  } else {
    IPCSPEC_ASSIGN_OR_RETURN(int flags, SetNonBlocking(b == Blocking::kNonBlock));
    r = read(fd_.get(), data, n);
    int saved = errno;
    IPCSPEC_RETURN_IF_ERROR(RestoreFlags(flags));
    errno = saved;
  }
  if (r < 0) return ErrnoError(call);
  return static_cast<size_t>(r);
}

PosixError FdStreamEnd::Close() {
  if (!fd_.valid()) return PosixError(EBADF, "close(" + label_ + ") twice");
  if (fd_.reset() != 0) return ErrnoError("close(" + label_ + ")");
  return NoError();
}

}  // namespace ipcspec

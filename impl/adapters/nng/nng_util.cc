#include "impl/adapters/nng/nng_util.h"

#include <nng/nng.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ipcspec {

int NngErrno(int rv) {
  if (rv & NNG_ESYSERR) return rv & ~NNG_ESYSERR;
  switch (rv) {
    case NNG_EINTR: return EINTR;
    case NNG_ENOMEM: return ENOMEM;
    case NNG_EINVAL: return EINVAL;
    case NNG_EBUSY: return EBUSY;
    case NNG_ETIMEDOUT: return ETIMEDOUT;
    case NNG_ECONNREFUSED: return ECONNREFUSED;
    case NNG_ECLOSED: return EBADF;
    case NNG_EAGAIN: return EAGAIN;
    case NNG_ENOTSUP: return ENOTSUP;
    case NNG_EADDRINUSE: return EADDRINUSE;
    case NNG_ESTATE: return EPROTO;  // the protocol's state forbids the call
    case NNG_ENOENT: return ENOENT;
    case NNG_EPROTO: return EPROTO;
    case NNG_EUNREACHABLE: return EHOSTUNREACH;
    case NNG_EADDRINVAL: return EINVAL;
    case NNG_EPERM: return EPERM;
    case NNG_EMSGSIZE: return EMSGSIZE;
    case NNG_ECONNABORTED: return ECONNABORTED;
    case NNG_ECONNRESET: return ECONNRESET;
    case NNG_ECANCELED: return ECANCELED;
    case NNG_ENOFILES: return EMFILE;
    case NNG_ENOSPC: return ENOSPC;
    case NNG_EEXIST: return EEXIST;
    case NNG_EREADONLY: return EROFS;
    case NNG_EWRITEONLY: return EBADF;
    case NNG_ECRYPTO: return EIO;
    case NNG_EPEERAUTH: return EACCES;
    case NNG_ENOARG: return EINVAL;
    case NNG_EAMBIGUOUS: return EINVAL;
    case NNG_EBADTYPE: return EINVAL;
    case NNG_ECONNSHUT: return ESHUTDOWN;
    default: return EIO;
  }
}

PosixError NngError(int rv, const std::string& call) {
  return PosixError(NngErrno(rv), call + " [nng: " + nng_strerror(rv) + "]");
}

std::string NngIpcPath(const char* stem) {
  static std::atomic<unsigned> counter{0};
  std::string name = std::string("/") + stem + std::to_string(getpid()) + "_" +
                     std::to_string(counter++);
  const char* tmp = std::getenv("TEST_TMPDIR");
  if (tmp != nullptr && std::strlen(tmp) + name.size() < 100) return tmp + name;
  return "/tmp" + name;
}

}  // namespace ipcspec

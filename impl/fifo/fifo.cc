#include "impl/fifo/fifo.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "impl/api/fd_stream_end.h"
#include "impl/pipe/pipe.h"

namespace ipcspec {

PosixErrorOr<std::pair<std::string, std::shared_ptr<Cleanup>>> MakeFifoDir() {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/ipcspec-fifo.XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) return ErrnoError("mkdtemp(" + templ + ")");
  std::string dir = templ;
  auto cleanup = std::make_shared<Cleanup>([dir] {
    // Only FIFOs the test made live here; remove them, then the directory.
    if (DIR* d = opendir(dir.c_str())) {
      while (struct dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") unlink((dir + "/" + n).c_str());
      }
      closedir(d);
    }
    rmdir(dir.c_str());
  });
  return std::make_pair(dir, cleanup);
}

PosixErrorOr<ByteStream> OpenFifo(bool nonblocking) {
  IPCSPEC_ASSIGN_OR_RETURN(auto dir, MakeFifoDir());
  std::string path = dir.first + "/stream";
  if (mkfifo(path.c_str(), 0600) != 0) return ErrnoError("mkfifo(" + path + ")");
  // man 7 fifo: opening for reading with O_NONBLOCK succeeds without a
  // writer; opening for writing then succeeds because a reader exists.
  FileDescriptor r(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!r.valid()) return ErrnoError("open(" + path + ", O_RDONLY|O_NONBLOCK)");
  FileDescriptor w(open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!w.valid()) return ErrnoError("open(" + path + ", O_WRONLY|O_NONBLOCK)");
  if (!nonblocking) {
    for (int fd : {r.get(), w.get()}) {
      int fl = fcntl(fd, F_GETFL);
      if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        return ErrnoError("fcntl(" + path + ", F_SETFL, ~O_NONBLOCK)");
      }
    }
  }
  ByteStream s;
  int cap = fcntl(w.get(), F_GETPIPE_SZ);
  s.reported_capacity = cap > 0 ? static_cast<size_t>(cap) : 0;
  s.reader = std::make_unique<FdStreamEnd>(std::move(r), false, "FIFO read end");
  s.writer = std::make_unique<FdStreamEnd>(std::move(w), false, "FIFO write end");
  s.cleanup = dir.second;
  return s;
}

namespace {

ByteStreamCaps FifoCaps(bool nonblocking) {
  ByteStreamCaps c;
  c.atomic_write = PIPE_BUF;  // man 7 fifo: I/O semantics as for pipes (man 7 pipe)
  c.empty_capacity = DefaultPipeCapacity();
  c.nonblocking_by_default = nonblocking;
  return c;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      (ByteStreamKind{"fifo", "fifo", "mkfifo(3), blocking ends", FifoCaps(false),
                                      [] { return OpenFifo(false); }}));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      (ByteStreamKind{"fifo_nonblock", "fifo",
                                      "mkfifo(3), both ends opened O_NONBLOCK", FifoCaps(true),
                                      [] { return OpenFifo(true); }}));

}  // namespace
}  // namespace ipcspec

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

// The same FIFO as C, for the reproducers (impl/repro): what OpenFifo does,
// in a directory of its own that the teardown removes (also after a failure
// or a hang: the reproducer's exit and its alarm run the teardown).
CSnippet FifoC(bool nonblocking) {
  CSnippet c;
  c.includes = "#include <sys/stat.h>\n";
  c.globals =
      "static int rfd = -1, wfd = -1;      /* the read end and the write end */\n"
      "static const int stream_is_socket = 0;\n"
      "static char fifo_dir[] = \"/tmp/ipcspec-repro.XXXXXX\";\n"
      "static char fifo_path[64];\n"
      "static int fifo_dir_made, fifo_made;\n";
  c.setup =
      "if (mkdtemp(fifo_dir) == NULL) setup_failed(\"mkdtemp\");\n"
      "fifo_dir_made = 1;\n"
      "snprintf(fifo_path, sizeof fifo_path, \"%s/stream\", fifo_dir);\n"
      "if (mkfifo(fifo_path, 0600) != 0) setup_failed(\"mkfifo\");\n"
      "fifo_made = 1;\n"
      "/* man 7 fifo: opening for reading with O_NONBLOCK succeeds without a\n"
      "   writer; opening for writing then succeeds because a reader exists. */\n"
      "rfd = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);\n"
      "if (rfd < 0) setup_failed(\"open(O_RDONLY | O_NONBLOCK)\");\n"
      "wfd = open(fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);\n"
      "if (wfd < 0) setup_failed(\"open(O_WRONLY | O_NONBLOCK)\");\n";
  if (!nonblocking) {
    c.setup +=
        "if (fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) & ~O_NONBLOCK) != 0 ||\n"
        "    fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) & ~O_NONBLOCK) != 0)\n"
        "  setup_failed(\"fcntl(F_SETFL, ~O_NONBLOCK)\");\n";
  }
  c.teardown =
      "if (rfd >= 0) close(rfd);\n"
      "if (wfd >= 0) close(wfd);\n"
      "if (fifo_made) unlink(fifo_path);\n"
      "if (fifo_dir_made) rmdir(fifo_dir);\n";
  return c;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      WithC(ByteStreamKind{"fifo", "fifo", "mkfifo(3), blocking ends",
                                           FifoCaps(false), [] { return OpenFifo(false); }},
                            FifoC(false)));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      WithC(ByteStreamKind{"fifo_nonblock", "fifo",
                                           "mkfifo(3), both ends opened O_NONBLOCK",
                                           FifoCaps(true), [] { return OpenFifo(true); }},
                            FifoC(true)));

}  // namespace
}  // namespace ipcspec

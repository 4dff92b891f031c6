#include "impl/adapters/jobserver/jobserver.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace jobserver {

std::optional<JobServer> JobServer::Create() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return std::nullopt;
  if (fcntl(p[1], F_SETFL, O_NONBLOCK) != 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    errno = e;
    return std::nullopt;
  }
  // Opening /proc/self/fd/N of a pipe gives a new open file description, so
  // O_NONBLOCK on it leaves the blocking end alone (man 7 pipe, man 5 proc).
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  int nb = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (nb < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    errno = e;
    return std::nullopt;
  }
  return JobServer(p[0], p[1], nb);
}

JobServer::JobServer(JobServer&& o) noexcept
    : rd_(o.rd_), wr_(o.wr_), rd_nonblock_(o.rd_nonblock_) {
  o.rd_ = o.wr_ = o.rd_nonblock_ = -1;
}

JobServer::~JobServer() {
  for (int fd : {rd_, wr_, rd_nonblock_}) {
    if (fd >= 0) close(fd);
  }
}

int JobServer::Post() {
  const char token = '+';
  ssize_t n = write(wr_, &token, 1);
  return n == 1 ? 0 : -1;
}

int JobServer::Take() {
  char token;
  ssize_t n = read(rd_, &token, 1);
  if (n == 1) return 0;
  if (n == 0) errno = EPIPE;
  return -1;
}

int JobServer::TryTake() {
  char token;
  ssize_t n = read(rd_nonblock_, &token, 1);
  if (n == 1) return 0;
  if (n == 0) errno = EPIPE;
  return -1;
}

int JobServer::TakeWithin(std::chrono::nanoseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (true) {
    if (TryTake() == 0) return 0;
    if (errno != EAGAIN) return -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    struct pollfd p = {rd_nonblock_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count()) + 1) < 0 && errno != EINTR) return -1;
  }
}

long JobServer::Tokens() const {
  int n = 0;
  if (ioctl(rd_, FIONREAD, &n) != 0) return -1;
  return n;
}

long JobServer::Capacity() const { return fcntl(wr_, F_GETPIPE_SZ); }

}  // namespace jobserver

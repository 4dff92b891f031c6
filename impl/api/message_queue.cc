#include "impl/api/message_queue.h"

#include <climits>
#include <cstdio>

namespace ipcspec {

const char* ToString(MqOrdering o) {
  return o == MqOrdering::kPriority ? "highest priority first" : "arrival order";
}

PosixErrorOr<int> RelativeTimeoutMs(const struct timespec& abs, const std::string& who) {
  if (abs.tv_sec < 0 || abs.tv_nsec < 0 || abs.tv_nsec >= 1000000000L) {
    return PosixError(EINVAL, who + " timeout: invalid absolute timespec");
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long long ns = (static_cast<long long>(abs.tv_sec) - now.tv_sec) * 1000000000LL +
                 (abs.tv_nsec - now.tv_nsec);
  if (ns <= 0) return 0;
  long long ms = (ns + 999999) / 1000000;
  return static_cast<int>(ms > INT_MAX ? INT_MAX : ms);
}

MqWait MqWait::Within(std::chrono::nanoseconds d) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long long ns = static_cast<long long>(now.tv_nsec) + d.count();
  struct timespec abs = {now.tv_sec + static_cast<time_t>(ns / 1000000000),
                         static_cast<long>(ns % 1000000000)};
  return Until(abs);
}

std::string ToString(const MqWait& w) {
  switch (w.mode) {
    case MqWait::Mode::kBlock:
      return "blocking";
    case MqWait::Mode::kNonBlock:
      return "non-blocking";
    case MqWait::Mode::kTimed:
      return "timed(" + std::to_string(w.abs_timeout.tv_sec) + "s+" +
             std::to_string(w.abs_timeout.tv_nsec) + "ns)";
  }
  return "?";
}

std::string ToString(const MqReceiveOptions& o) {
  std::string s = "buffer=" + (o.buffer ? std::to_string(*o.buffer) : std::string("max"));
  if (o.type != 0) s += " type=" + std::to_string(o.type);
  if (o.except) s += " MSG_EXCEPT";
  if (o.truncate) s += " MSG_NOERROR";
  return s;
}

std::string MqStatus::ToString() const {
  std::string s = "count=" + std::to_string(count);
  if (bytes) s += " bytes=" + std::to_string(*bytes);
  s += " max_count=" + std::to_string(max_count) + " max_bytes=" + std::to_string(max_bytes) +
       " max_message=" + std::to_string(max_message) + (nonblocking ? " O_NONBLOCK" : "");
  return s;
}

}  // namespace ipcspec

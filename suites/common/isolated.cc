#include "suites/common/isolated.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <typeinfo>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"

namespace ipcspec {
namespace {

// The child's report: one status byte ('P', 'F' or 'S'), then the
// case count as text and a newline, then the message to EOF.
bool WriteAllFd(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

int ChildBody(const std::function<PropertyOutcome()>& body, int fd) {
  ::testing::TestPartResultArray results;
  PropertyOutcome o;
  std::string thrown;
  {
    ::testing::ScopedFakeTestPartResultReporter intercept(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ALL_THREADS, &results);
    try {
      o = body();
    } catch (const std::exception& e) {
      thrown = std::string("threw ") + typeid(e).name() + ": " + e.what();
    } catch (...) {
      thrown = "threw an exception that is not a std::exception";
    }
  }
  char status = o.passed ? 'P' : 'F';
  std::string message = o.message;
  if (!thrown.empty()) {
    status = 'F';
    message += (message.empty() ? "" : "\n") + thrown;
  }
  bool skipped = false;
  std::string skip;
  for (int i = 0; i < results.size(); ++i) {
    const ::testing::TestPartResult& r = results.GetTestPartResult(i);
    if (r.skipped()) {
      skipped = true;
      skip += r.message();
      continue;
    }
    status = 'F';
    std::ostringstream m;
    m << (r.file_name() ? r.file_name() : "?") << ":" << r.line_number() << ": " << r.message();
    message += (message.empty() ? "" : "\n") + m.str();
  }
  if (skipped && status != 'F') {
    status = 'S';
    message = skip;
  }
  std::string report(1, status);
  report += std::to_string(o.cases) + "\n" + message;
  std::fflush(nullptr);
  return WriteAllFd(fd, report) ? 0 : 3;
}

}  // namespace

std::chrono::milliseconds IsolatedPropertyDeadline() {
  double seconds = 60;
  if (const char* e = std::getenv("IPCSPEC_PROPERTY_DEADLINE")) {
    char* end = nullptr;
    double v = std::strtod(e, &end);
    if (end != e && *end == '\0' && v > 0) seconds = v;
  }
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000 * TimeoutScale()));
}

bool IsolateEveryKind() {
  const char* e = std::getenv("IPCSPEC_ISOLATE");
  return e != nullptr && std::string(e) == "1";
}

IsolatedOutcome RunIsolated(const std::function<PropertyOutcome()>& body,
                            std::chrono::milliseconds deadline_ms) {
  IsolatedOutcome r;
  auto fail = [&](std::string why) {
    r.status = IsolatedOutcome::Status::kFailed;
    r.outcome.passed = false;
    r.outcome.message = r.outcome.message.empty() ? why : why + "\n" + r.outcome.message;
    return r;
  };
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return fail(std::string("pipe2: ") + strerror(errno));
  FileDescriptor rd(fds[0]), wr(fds[1]);
  std::fflush(nullptr);  // nothing buffered is written twice
  int wfd = wr.get();
  PosixErrorOr<Child> forked = Child::Fork([&body, wfd]() { return ChildBody(body, wfd); });
  if (!forked.ok()) return fail("fork: " + forked.error().ToString());
  Child child = std::move(forked).value();
  wr.reset();

  // The deadline is not scaled again: the caller's budget already is.
  const auto start = std::chrono::steady_clock::now();
  auto left_ms = [&]() {
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return static_cast<int>(std::max<long long>(0, (deadline_ms - spent).count()));
  };
  std::string report;
  bool hung = false;
  while (true) {
    struct pollfd p = {rd.get(), POLLIN, 0};
    int n = poll(&p, 1, left_ms());
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      hung = true;
      break;
    }
    char buf[4096];
    ssize_t got = read(rd.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the child is done (or died)
    report.append(buf, static_cast<size_t>(got));
  }
  const std::string budget =
      std::to_string(deadline_ms.count() / 1000.0).substr(0, 6) + " s";
  if (hung) {
    (void)child.KillAndWait();  // the report says why; the result adds nothing
    return fail("hung: no result within the deadline of " + budget +
                " (IPCSPEC_PROPERTY_DEADLINE x IPCSPEC_TIMEOUT_SCALE); the child was killed");
  }
  PosixErrorOr<WaitStatus> waited = child.Wait(Deadline::In(std::chrono::milliseconds(
      std::max(1000, left_ms()))));
  if (!waited.ok()) {
    (void)child.KillAndWait();  // the report says why; the result adds nothing
    return fail("the property's child closed its report but did not exit: " +
                waited.error().ToString());
  }
  const WaitStatus* st = &waited.value();
  if (report.empty() || !st->ExitedWith(0)) {
    std::string how = st->ToString();
    if (st->signaled()) how += std::string(" (") + strsignal(st->term_signal()) + ")";
    return fail("crashed: the property's child " + how + " before it reported a result");
  }
  size_t nl = report.find('\n');
  r.outcome.cases = nl == std::string::npos ? 0 : std::atoi(report.substr(1, nl - 1).c_str());
  r.outcome.message = nl == std::string::npos ? "" : report.substr(nl + 1);
  switch (report[0]) {
    case 'P':
      r.status = IsolatedOutcome::Status::kPassed;
      r.outcome.passed = true;
      break;
    case 'S':
      r.status = IsolatedOutcome::Status::kSkipped;
      r.skip_message = r.outcome.message;
      r.outcome.passed = true;
      break;
    default:
      r.status = IsolatedOutcome::Status::kFailed;
      r.outcome.passed = false;
  }
  return r;
}

}  // namespace ipcspec

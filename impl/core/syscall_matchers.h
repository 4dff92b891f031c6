// gMock matchers for system call results.
//
//   EXPECT_THAT(write(fd, buf, 3), SyscallSucceedsWithValue(3));
//   EXPECT_THAT(msgrcv(id, &m, 8, 0, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG));
//   EXPECT_THAT(end.Read(buf, 8, Block::kNo), SyscallFailsWithErrno(EAGAIN));
//
// They take a raw return value (int, ssize_t, ...: -1 means failure and errno
// is read when the matcher runs, so use them directly on the call) or a
// PosixError / PosixErrorOr<T>.
#pragma once

#include <cerrno>
#include <optional>
#include <ostream>
#include <type_traits>

#include "gmock/gmock.h"
#include "impl/core/posix_error.h"

namespace ipcspec {
namespace matchers_internal {

template <typename T>
struct IsPosixErrorOr : std::false_type {};
template <typename T>
struct IsPosixErrorOr<PosixErrorOr<T>> : std::true_type {};

// Normalised view of a result: failed with errno, or succeeded with an
// optional integral value.
struct Outcome {
  bool ok;
  int err;
  std::optional<long long> value;
  std::string text;
};

template <typename T>
Outcome View(const T& x, int saved_errno) {
  if constexpr (std::is_same_v<T, PosixError>) {
    return {x.ok(), x.errno_value(), std::nullopt, x.ToString()};
  } else if constexpr (IsPosixErrorOr<T>::value) {
    if (!x.ok()) return {false, x.errno_value(), std::nullopt, x.error().ToString()};
    using V = std::decay_t<decltype(x.value())>;
    if constexpr (std::is_integral_v<V>) {
      return {true, 0, static_cast<long long>(x.value()),
              "OK(" + std::to_string(x.value()) + ")"};
    } else {
      return {true, 0, std::nullopt, "OK"};
    }
  } else {
    static_assert(std::is_integral_v<T> || std::is_pointer_v<T>,
                  "syscall matchers take an integral or pointer return value, "
                  "a PosixError or a PosixErrorOr");
    if constexpr (std::is_pointer_v<T>) {
      bool failed = x == reinterpret_cast<T>(-1) || x == nullptr;
      return {!failed, failed ? saved_errno : 0, std::nullopt,
              failed ? ("-1, errno " + ErrnoName(saved_errno)) : "pointer"};
    } else {
      long long v = static_cast<long long>(x);
      if (v == -1) {
        return {false, saved_errno, std::nullopt,
                "-1, errno " + ErrnoName(saved_errno) + " (" +
                    strerror(saved_errno) + ")"};
      }
      return {true, 0, v, std::to_string(v)};
    }
  }
}

class SyscallSucceedsImpl {
 public:
  explicit SyscallSucceedsImpl(std::optional<long long> expected)
      : expected_(expected) {}
  template <typename T>
  bool MatchAndExplain(const T& x, ::testing::MatchResultListener* l) const {
    int saved = errno;
    Outcome o = View(x, saved);
    *l << "which is " << o.text;
    if (!o.ok) return false;
    if (expected_.has_value()) {
      return o.value.has_value() && *o.value == *expected_;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "succeeds";
    if (expected_) *os << " with value " << *expected_;
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "fails";
    if (expected_) *os << " or returns a value other than " << *expected_;
  }

 private:
  std::optional<long long> expected_;
};

class SyscallFailsImpl {
 public:
  explicit SyscallFailsImpl(std::optional<int> err) : err_(err) {}
  template <typename T>
  bool MatchAndExplain(const T& x, ::testing::MatchResultListener* l) const {
    int saved = errno;
    Outcome o = View(x, saved);
    *l << "which is " << o.text;
    if (o.ok) return false;
    return !err_.has_value() || o.err == *err_;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "fails";
    if (err_) *os << " with errno " << ErrnoName(*err_);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not fail";
    if (err_) *os << " with errno " << ErrnoName(*err_);
  }

 private:
  std::optional<int> err_;
};

}  // namespace matchers_internal

inline ::testing::PolymorphicMatcher<matchers_internal::SyscallSucceedsImpl>
SyscallSucceeds() {
  return ::testing::MakePolymorphicMatcher(
      matchers_internal::SyscallSucceedsImpl(std::nullopt));
}

inline ::testing::PolymorphicMatcher<matchers_internal::SyscallSucceedsImpl>
SyscallSucceedsWithValue(long long v) {
  return ::testing::MakePolymorphicMatcher(
      matchers_internal::SyscallSucceedsImpl(v));
}

inline ::testing::PolymorphicMatcher<matchers_internal::SyscallFailsImpl>
SyscallFails() {
  return ::testing::MakePolymorphicMatcher(
      matchers_internal::SyscallFailsImpl(std::nullopt));
}

inline ::testing::PolymorphicMatcher<matchers_internal::SyscallFailsImpl>
SyscallFailsWithErrno(int e) {
  return ::testing::MakePolymorphicMatcher(
      matchers_internal::SyscallFailsImpl(e));
}

// Asserts that a PosixError / PosixErrorOr is ok; takes a streamed message:
//   ASSERT_NO_ERRNO(end->Close()) << "man 7 pipe: ...";
#define ASSERT_NO_ERRNO(expr) ASSERT_THAT((expr), ::ipcspec::SyscallSucceeds()) << #expr
#define EXPECT_NO_ERRNO(expr) EXPECT_THAT((expr), ::ipcspec::SyscallSucceeds()) << #expr

// Asserts that a PosixErrorOr is ok and moves its value into `lhs`:
//   ASSERT_OK_AND_ASSIGN(auto pair, kind.Open());
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(IPCSPEC_CONCAT_(ipcspec_ok_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)           \
  auto tmp = (expr);                                         \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.error();     \
  lhs = std::move(tmp).ValueOrDie()

}  // namespace ipcspec

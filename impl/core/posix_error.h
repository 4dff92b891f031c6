// PosixError / PosixErrorOr<T>: the result of a system call, with the call
// spelled out, so that a failure reads "write(fd=4, n=512): EAGAIN (...)".
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>

namespace ipcspec {

class PosixError {
 public:
  PosixError() = default;  // success
  PosixError(int errno_value, std::string call)
      : errno_(errno_value), call_(std::move(call)) {}

  bool ok() const { return errno_ == 0; }
  int errno_value() const { return errno_; }
  const std::string& call() const { return call_; }
  // "write(fd=4): EAGAIN (Resource temporarily unavailable)"
  std::string ToString() const;

 private:
  int errno_ = 0;
  std::string call_;
};

std::ostream& operator<<(std::ostream& os, const PosixError& e);

// The symbolic name of an errno value ("EAGAIN"), or "errno N".
std::string ErrnoName(int e);

// The error for the errno of the call that just failed.
inline PosixError ErrnoError(std::string call) {
  return PosixError(errno, std::move(call));
}

inline PosixError NoError() { return PosixError(); }

template <typename T>
class [[nodiscard]] PosixErrorOr {
 public:
  PosixErrorOr(const PosixError& e) : v_(e) {}  // NOLINT: implicit by design
  PosixErrorOr(PosixError&& e) : v_(std::move(e)) {}  // NOLINT
  PosixErrorOr(const T& t) : v_(t) {}  // NOLINT
  PosixErrorOr(T&& t) : v_(std::move(t)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  PosixError error() const {
    return ok() ? PosixError() : std::get<PosixError>(v_);
  }
  int errno_value() const { return error().errno_value(); }

  // Precondition: ok(). Calling these on an error aborts with the error.
  const T& value() const& { CheckOk(); return std::get<T>(v_); }
  T& value() & { CheckOk(); return std::get<T>(v_); }
  T&& value() && { CheckOk(); return std::get<T>(std::move(v_)); }
  // Moves the value out.
  T ValueOrDie() && { CheckOk(); return std::get<T>(std::move(v_)); }

 private:
  void CheckOk() const;
  std::variant<PosixError, T> v_;
};

[[noreturn]] void DieWithError(const PosixError& e);

template <typename T>
void PosixErrorOr<T>::CheckOk() const {
  if (!ok()) DieWithError(std::get<PosixError>(v_));
}

template <typename T>
std::ostream& operator<<(std::ostream& os, const PosixErrorOr<T>& r) {
  if (r.ok()) {
    if constexpr (requires { os << r.value(); }) {
      return os << "OK(" << r.value() << ")";
    } else {
      return os << "OK";
    }
  }
  return os << r.error();
}

}  // namespace ipcspec

// Returns the error from the enclosing function when `expr` (a PosixError)
// is not ok.
#define IPCSPEC_RETURN_IF_ERROR(expr)                 \
  do {                                                \
    ::ipcspec::PosixError ipcspec_err_ = (expr);      \
    if (!ipcspec_err_.ok()) return ipcspec_err_;      \
  } while (0)

#define IPCSPEC_CONCAT_INNER_(a, b) a##b
#define IPCSPEC_CONCAT_(a, b) IPCSPEC_CONCAT_INNER_(a, b)

// `IPCSPEC_ASSIGN_OR_RETURN(auto fd, OpenSomething());`
#define IPCSPEC_ASSIGN_OR_RETURN(lhs, expr) \
  IPCSPEC_ASSIGN_OR_RETURN_IMPL_(IPCSPEC_CONCAT_(ipcspec_or_, __LINE__), lhs, expr)
#define IPCSPEC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.error();                   \
  lhs = std::move(tmp).ValueOrDie()

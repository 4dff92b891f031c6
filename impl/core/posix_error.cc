#include "impl/core/posix_error.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ipcspec {

std::string ErrnoName(int e) {
  // strerrorname_np is glibc >= 2.32; bookworm has 2.36.
  const char* name = strerrorname_np(e);
  if (name != nullptr) return name;
  return "errno " + std::to_string(e);
}

std::string PosixError::ToString() const {
  if (ok()) return "OK";
  std::string s = call_.empty() ? std::string("<call>") : call_;
  s += ": ";
  s += ErrnoName(errno_);
  s += " (";
  s += strerror(errno_);
  s += ")";
  return s;
}

std::ostream& operator<<(std::ostream& os, const PosixError& e) {
  return os << e.ToString();
}

void DieWithError(const PosixError& e) {
  std::fprintf(stderr, "ipcspec: value() of a failed result: %s\n",
               e.ToString().c_str());
  std::abort();
}

}  // namespace ipcspec

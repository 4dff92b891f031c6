#include "impl/api/lock.h"

#include <algorithm>
#include <cstdlib>

namespace ipcspec {

const char* ToString(LockOwner o) {
  switch (o) {
    case LockOwner::kProcess:
      return "held by the process";
    case LockOwner::kOpenFileDescription:
      return "held by the open file description";
    case LockOwner::kThread:
      return "held by the locking thread";
  }
  return "?";
}

PosixError LockHandle::MakeConsistent() {
  return PosixError(ENOTSUP, "MakeConsistent() on " + Describe() + ": not a robust lock");
}

std::string FormatErrnos(const std::vector<int>& errnos) {
  std::string s;
  for (size_t i = 0; i < errnos.size(); ++i) {
    if (i > 0) s += (i + 1 == errnos.size()) ? " or " : ", ";
    s += ErrnoName(errnos[i]);
  }
  return s.empty() ? "(none)" : s;
}

bool ErrnoIn(int e, const std::vector<int>& errnos) {
  return std::find(errnos.begin(), errnos.end(), e) != errnos.end();
}

std::string LockFileDir() {
  const char* d = std::getenv("TEST_TMPDIR");
  return (d != nullptr && d[0] != '\0') ? std::string(d) : std::string("/tmp");
}

}  // namespace ipcspec

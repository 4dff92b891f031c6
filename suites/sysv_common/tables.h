// Table helpers for the System V tests: an ERRORS table (one row per ERRORS
// sentence of a man page, the call, the errno it must give), result cells,
// and an address that is not mapped (for the EFAULT rows).
#pragma once

#include <errno.h>
#include <sys/mman.h>

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

inline std::string Cell(int e) { return e == 0 ? "ok" : ErrnoName(e); }
inline int Errno(long r) { return r < 0 ? errno : 0; }

struct ErrRow {
  const char* cite;  // the ERRORS sentence of the page
  int expect;        // 0: the call succeeds
  std::function<long()> call;
};

inline void RunErrTable(const char* page, const std::vector<ErrRow>& rows) {
  for (const ErrRow& r : rows) {
    errno = 0;
    long ret = r.call();
    int e = ret == -1 ? errno : 0;
    EXPECT_EQ(Cell(e), Cell(r.expect)) << page << ": \"" << r.cite << "\" (returned " << ret << ")";
  }
}

// An address no access may use: one PROT_NONE page kept mapped for the
// life of the process. (An unmapped hole is not enough: a later mmap, for
// example by ASan's allocator, may reuse it and make it accessible; that
// made an EFAULT row of SysvMsgTable.MsgctlErrors pass IPC_STAT under ASan.)
inline void* Unmapped() {
  static void* p = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p;
}

}  // namespace ipcspec

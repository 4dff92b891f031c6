#include "suites/sysv_common/as_user.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"

#include <array>
#include <string>

namespace ipcspec {

SysvUsers PickSysvUsers() {
  uid_t ids[4];
  for (int i = 0; i < 4; ++i) {
    for (;;) {
      ids[i] = UnusedUid();
      bool dup = false;
      for (int j = 0; j < i; ++j) dup = dup || ids[j] == ids[i];
      if (!dup) break;
    }
  }
  // Group IDs of their own: one above each of the first two user IDs
  // (UnusedUid draws even and odd numbers alike; equality is all that counts).
  gid_t group = ids[0] ^ 0x00800000u, other_group = ids[1] ^ 0x00800000u;
  return SysvUsers{ids[0], ids[1], ids[2], ids[3], group, other_group};
}

const char* WhoName(Who who) {
  switch (who) {
    case Who::kOwner: return "owner";
    case Who::kGroup: return "group member";
    case Who::kOther: return "other";
    case Who::kCreator: return "creator";
    case Who::kOtherIpcOwner: return "other+CAP_IPC_OWNER";
    case Who::kOtherSysAdmin: return "other+CAP_SYS_ADMIN";
    case Who::kOtherIpcLock: return "other+CAP_IPC_LOCK";
    case Who::kOtherDacOverride: return "other+CAP_DAC_OVERRIDE";
  }
  return "?";
}

int Become(const SysvUsers& u, Who who) {
  uid_t uid = u.other;
  gid_t gid = u.other_group;
  int cap = -1;
  switch (who) {
    case Who::kOwner: uid = u.owner; break;
    case Who::kGroup: uid = u.member; gid = u.group; break;
    case Who::kOther: break;
    case Who::kCreator: uid = u.creator; break;
    case Who::kOtherIpcOwner: cap = CAP_IPC_OWNER; break;
    case Who::kOtherSysAdmin: cap = CAP_SYS_ADMIN; break;
    case Who::kOtherIpcLock: cap = CAP_IPC_LOCK; break;
    case Who::kOtherDacOverride: cap = CAP_DAC_OVERRIDE; break;
  }
  if (setgroups(0, nullptr) != 0) return kBecomeFailed;
  if (cap >= 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return kBecomeFailed;
  if (setresgid(gid, gid, gid) != 0) return kBecomeFailed;
  if (setresuid(uid, uid, uid) != 0) return kBecomeFailed;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (cap >= 0) {
    data[cap / 32].effective = data[cap / 32].permitted = 1u << (cap % 32);
    if (syscall(SYS_capset, &hdr, data) != 0) return kBecomeFailed;
  }
  struct __user_cap_data_struct got[2] = {};
  if (syscall(SYS_capget, &hdr, got) != 0) return kBecomeFailed;
  for (int i = 0; i < 2; ++i) {
    if (got[i].effective != data[i].effective) return kBecomeFailed;
  }
  if (getuid() != uid || geteuid() != uid || getegid() != gid) return kBecomeFailed;
  return 0;
}

namespace {

constexpr size_t kMaxRows = 512;
using Cells = std::array<int, kMaxRows>;

PosixErrorOr<std::vector<std::vector<int>>> Run(const SysvUsers& u, const std::vector<Who>& whos,
                                                size_t rows,
                                                const std::function<int(size_t, Who)>& fn,
                                                bool parallel) {
  if (rows > kMaxRows) return PosixError(EINVAL, "RunAsEach: more than 512 rows");
  std::vector<SharedObject<Cells>> cells;
  for (size_t w = 0; w < whos.size(); ++w) {
    IPCSPEC_ASSIGN_OR_RETURN(auto res, SharedObject<Cells>::Create());
    for (size_t r = 0; r < rows; ++r) (*res)[r] = -1;
    cells.push_back(std::move(res));
  }
  std::vector<Child> children(whos.size());
  auto wait = [&](size_t w) -> PosixError {
    IPCSPEC_ASSIGN_OR_RETURN(WaitStatus st, children[w].Wait());
    if (!st.ExitedWith(0)) {
      return PosixError(EPERM, std::string("child as ") + WhoName(whos[w]) + ": " + st.ToString() +
                                   (st.ExitedWith(kBecomeFailed) ? " (could not become it)" : ""));
    }
    return PosixError();
  };
  for (size_t w = 0; w < whos.size(); ++w) {
    Cells* res = &*cells[w];
    const Who who = whos[w];
    IPCSPEC_ASSIGN_OR_RETURN(children[w], Child::Fork([&u, &fn, res, who, rows]() -> int {
      if (Become(u, who) != 0) return kBecomeFailed;
      for (size_t r = 0; r < rows; ++r) (*res)[r] = fn(r, who);
      return 0;
    }));
    if (!parallel) IPCSPEC_RETURN_IF_ERROR(wait(w));
  }
  if (parallel) {
    for (size_t w = 0; w < whos.size(); ++w) IPCSPEC_RETURN_IF_ERROR(wait(w));
  }
  std::vector<std::vector<int>> out;
  for (auto& res : cells) out.emplace_back(res->begin(), res->begin() + rows);
  return out;
}

}  // namespace

PosixErrorOr<std::vector<std::vector<int>>> RunAsEach(const SysvUsers& u,
                                                      const std::vector<Who>& whos, size_t rows,
                                                      const std::function<int(size_t, Who)>& fn) {
  return Run(u, whos, rows, fn, /*parallel=*/true);
}

PosixErrorOr<std::vector<std::vector<int>>> RunAsEachInOrder(
    const SysvUsers& u, const std::vector<Who>& whos, size_t rows,
    const std::function<int(size_t, Who)>& fn) {
  return Run(u, whos, rows, fn, /*parallel=*/false);
}

}  // namespace ipcspec

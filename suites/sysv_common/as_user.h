// Another user for the System V permission tables (man 7 sysvipc, "IPC
// permissions"; man 2 msgctl/semctl/shmctl, IPC_SET and IPC_RMID).
//
// An object's owner is set by the (root) test to `owner` / `group`; each
// column of a table is a forked child that becomes one Who: its uid and gid,
// no supplementary groups and, for the "+CAP" columns, exactly that one
// capability in its effective and permitted sets (man 7 capabilities: "If
// the effective user ID is changed from 0 to nonzero, then all capabilities
// are cleared from the effective set", kept in the permitted set by
// PR_SET_KEEPCAPS).
#pragma once

#include <sys/types.h>

#include <functional>
#include <vector>

#include "impl/core/needs.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

struct SysvUsers {
  uid_t owner, member, other, creator;  // distinct user IDs no process has
  gid_t group, other_group;             // distinct group IDs
};
// Picks them (not async-signal-safe: before the fork).
SysvUsers PickSysvUsers();

enum class Who {
  kOwner,          // uid == perm.uid, not in perm.gid
  kGroup,          // in perm.gid, neither owner nor creator
  kOther,          // none of them
  kCreator,        // uid == perm.cuid (ownership given away by IPC_SET)
  kOtherIpcOwner,  // other, with CAP_IPC_OWNER only
  kOtherSysAdmin,  // other, with CAP_SYS_ADMIN only
  kOtherIpcLock,   // other, with CAP_IPC_LOCK only
  kOtherDacOverride,  // other, with CAP_DAC_OVERRIDE only (POSIX objects are files)
};
const char* WhoName(Who who);

// Exit code of a child whose Become failed (the row did not run).
constexpr int kBecomeFailed = 250;

// In a forked child (async-signal-safe): becomes `who`. 0, or kBecomeFailed
// when a step failed or the capability sets are not exactly as wanted.
int Become(const SysvUsers& u, Who who);

// The needs of a permission table: root of the machine (to give objects
// away with IPC_SET and to change user ID) and a second user ID.
#define IPCSPEC_NEEDS_SYSV_USERS() \
  IPCSPEC_NEEDS(::ipcspec::Need::RootUid(), ::ipcspec::Need::SecondUid())

// Runs a table: for each Who, one forked child that becomes it and calls
// fn(row, who) for every row, in order; fn runs in the child (system calls
// only) and returns 0 or an errno. Returns result[w][row]. A child that could
// not become its Who is an error (the need was met a moment ago). The
// children run at the same time: the columns must not depend on each other.
PosixErrorOr<std::vector<std::vector<int>>> RunAsEach(const SysvUsers& u,
                                                      const std::vector<Who>& whos, size_t rows,
                                                      const std::function<int(size_t, Who)>& fn);
// The same, one child after the other, in the order of `whos`.
PosixErrorOr<std::vector<std::vector<int>>> RunAsEachInOrder(
    const SysvUsers& u, const std::vector<Who>& whos, size_t rows,
    const std::function<int(size_t, Who)>& fn);

}  // namespace ipcspec

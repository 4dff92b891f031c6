// Finding and removing orphaned IPC objects.
//
// An orphan is an object nobody will remove:
//   - a SysV shared memory segment whose creator (shm_cpid) is dead and that
//     nobody has attached (nattch 0);
//   - a SysV message queue whose last sender and receiver (msg_lspid,
//     msg_lrpid) are dead or never existed;
//   - a SysV semaphore set whose last operating pids (GETPID) are all dead;
//   - a POSIX shared memory object, named semaphore or message queue name:
//     names carry no creator, so every name is listed (creator "?").
// `bazel run //faults:orphans -- --help` for the command line.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "impl/core/posix_error.h"

namespace ipcspec {

struct Orphan {
  enum class Sort { kSysvShm, kSysvMsg, kSysvSem, kPosixShm, kPosixSem, kPosixMq };
  Sort sort;
  long id = -1;          // SysV id
  std::string name;      // POSIX name ("/foo"), or the SysV key as 0x...
  uid_t owner = 0;
  long long size = 0;    // bytes (shm), bytes queued (msg, mq), semaphores (sem)
  long long age_s = -1;  // seconds since last change, -1 unknown
  pid_t creator = 0;     // 0: unknown
  std::string path;      // for names: the file behind it
};
const char* SortName(Orphan::Sort s);

struct OrphanQuery {
  std::string shm_dir = "/dev/shm";
  std::string mqueue_dir = "/dev/mqueue";
  std::string match;      // a regular expression over the name/key; "" matches all
  bool all_users = false; // include other users' objects
};

// Lists the orphans; EINVAL for a bad regular expression.
PosixErrorOr<std::vector<Orphan>> FindOrphans(const OrphanQuery& q);
// Removes each, returns one error line per object that could not be removed.
std::vector<std::string> ReapOrphans(const std::vector<Orphan>& orphans);
// A table: sort, id/name, owner, size, age, creator.
std::string FormatOrphans(const std::vector<Orphan>& orphans);

}  // namespace ipcspec

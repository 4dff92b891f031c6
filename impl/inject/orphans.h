// Finding and removing orphaned IPC objects.
//
// An orphan is an object nobody will remove:
//   - a SysV shared memory segment whose creator (shm_cpid) is dead and that
//     nobody has attached (nattch 0);
//   - a SysV message queue whose last sender and receiver (msg_lspid,
//     msg_lrpid) are dead or never existed;
//   - a SysV semaphore set whose last operating pids (GETPID) are all dead;
//   - a POSIX shared memory object, named semaphore or message queue name:
//     names carry no creator, so every name is listed (creator "?");
//   - the key file of an orphaned SysV object: an empty regular file in one of
//     the key directories (default /tmp) whose ftok(3) key, with the object's
//     project id (the key's top byte), is the object's key. Libraries that
//     name SysV objects by a file leave it with the object when their user
//     dies: POCO's NamedMutex and NamedEvent are semaphores keyed by
//     ftok("/tmp/NAME.mutex" or ".event", 'p') and nobody removes the file.
//     Listed after the object it keys (name: the path), reaped with it. Only
//     empty files owned by the object's owner are taken, so that no data file
//     whose inode happens to give the same key is ever removed.
// `bazel run //faults:orphans -- --help` for the command line.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "impl/core/posix_error.h"

namespace ipcspec {

struct Orphan {
  enum class Sort { kSysvShm, kSysvMsg, kSysvSem, kPosixShm, kPosixSem, kPosixMq, kKeyFile };
  Sort sort;
  long id = -1;          // SysV id
  std::string name;      // POSIX name ("/foo"), or the SysV key as 0x...
  uid_t owner = 0;
  long long size = 0;    // bytes (shm), bytes queued (msg, mq), semaphores (sem)
  long long age_s = -1;  // seconds since last change, -1 unknown
  pid_t creator = 0;     // 0: unknown
  std::string path;      // for names: the file behind it; for a key file, the file
  long keyed_id = -1;    // for a key file: the SysV id of the object it keys
};
const char* SortName(Orphan::Sort s);

struct OrphanQuery {
  std::string shm_dir = "/dev/shm";
  std::string mqueue_dir = "/dev/mqueue";
  std::string match;      // a regular expression over the name/key; "" matches all
  bool all_users = false; // include other users' objects
  // Where key files of SysV objects are looked for (not recursively).
  std::vector<std::string> key_dirs = {"/tmp"};
};

// Lists the orphans; EINVAL for a bad regular expression.
PosixErrorOr<std::vector<Orphan>> FindOrphans(const OrphanQuery& q);
// Removes each, returns one error line per object that could not be removed.
std::vector<std::string> ReapOrphans(const std::vector<Orphan>& orphans);
// A table: sort, id/name, owner, size, age, creator.
std::string FormatOrphans(const std::vector<Orphan>& orphans);

}  // namespace ipcspec

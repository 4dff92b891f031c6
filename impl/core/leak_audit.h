// The leak audit: after every test, nothing the test made may remain.
//
// An inventory lists SysV message queues, semaphore sets and shared memory
// segments (/proc/sysvipc), POSIX message queues (the sandbox's mqueue
// mount), names in /dev/shm (POSIX shm, named semaphores), this process's open
// fds and its child processes. Leaks() compares the inventory taken after a
// test with the one taken before it; Reclaim() removes what leaked, so one
// test's leak cannot fail the next.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace ipcspec {

struct Leak {
  enum class Sort { kSysvMsg, kSysvSem, kSysvShm, kPosixMq, kShmName, kFd, kChild };
  Sort sort;
  long id;            // SysV id, fd number or pid (0 for names)
  std::string name;   // mq / shm name
  std::string detail; // "key=0x2a nattch=0", "pipe:[1234]", "comm=sleep state=S"
  std::string ToString() const;
};

struct IpcInventory {
  // Keyed by a stable identity ("msg 32768", "fd 5 pipe:[123]", "child 42").
  std::map<std::string, Leak> objects;
};

IpcInventory TakeInventory();
std::vector<Leak> Leaks(const IpcInventory& before, const IpcInventory& after);
// Removes each leaked object (IPC_RMID, mq_unlink, unlink, close, SIGKILL and
// reap). Returns what could not be removed.
std::vector<std::string> Reclaim(const std::vector<Leak>& leaks);

}  // namespace ipcspec

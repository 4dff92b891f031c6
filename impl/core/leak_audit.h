// The leak audit: after every test, nothing the test made may remain.
//
// An inventory lists SysV message queues, semaphore sets and shared memory
// segments (/proc/sysvipc), POSIX message queues (the sandbox's mqueue
// mount), names in /dev/shm (POSIX shm, named semaphores), this process's open
// fds, its child processes and the AF_UNIX sockets held by no descriptor
// (sockets in flight: sent with SCM_RIGHTS and never received, alone or in a
// cycle). Leaks() compares the inventory taken after a test with the one
// taken before it; Reclaim() removes what leaked, so one test's leak cannot
// fail the next.
//
// Sockets are counted only in a network namespace of the process's own
// (IpcSandbox::private_network_namespace()): /proc/thread-self/net/unix lists
// every AF_UNIX socket of the namespace, and there they are this process's
// and its children's alone. A socket one of this process's fds holds is
// audited as that fd, one a child holds goes with the child; what no
// process's descriptor holds is in flight. Elsewhere, or where the list
// cannot be read, the socket audit is off and says so (a degraded mode)
// rather than report another process's sockets. TCP and UDP sockets are not
// listed (reading /proc/net/tcp walks the kernel's global connection hash:
// over 2 ms); the sandbox's fresh namespace after a test that changed its
// sockets keeps them from reaching the next test.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace ipcspec {

struct Leak {
  enum class Sort { kSysvMsg, kSysvSem, kSysvShm, kPosixMq, kShmName, kFd, kChild, kUnixSocket };
  Sort sort;
  long id;            // SysV id, fd number, pid or socket inode (0 for names)
  std::string name;   // mq / shm name
  std::string detail; // "key=0x2a nattch=0", "pipe:[1234]", "comm=sleep state=S", "stream @name"
  std::string ToString() const;
};

struct IpcInventory {
  // Keyed by a stable identity ("msg 32768", "fd 5 pipe:[123]", "child 42",
  // "unix 4433611").
  std::map<std::string, Leak> objects;
  // The sockets of the network namespace, held or not, and its socket
  // counters (/proc/net/sockstat: in use, TIME_WAIT); "" when not known. Two
  // equal signatures: the test left the namespace's sockets as it found them.
  std::string net_signature;
};

IpcInventory TakeInventory();

// For the audit's own tests: turn the socket inventory off (to show what the
// audit misses without it), or read the AF_UNIX list from another file (an
// unreadable one is a degraded mode). Defaults: on, /proc/thread-self/net/unix.
void SetSocketInventoryForTesting(bool on);
void SetUnixSocketListForTesting(const std::string& path);
std::vector<Leak> Leaks(const IpcInventory& before, const IpcInventory& after);
// Removes each leaked object (IPC_RMID, mq_unlink, unlink, close, SIGKILL and
// reap). Sockets in flight last: closing the leaked fds frees what was queued
// on them, and closing a socket runs the kernel's garbage collector of
// sockets in flight, which frees a cycle; Reclaim closes a socketpair of its
// own to run it and waits, with a deadline, for each leaked socket to go.
// Returns what could not be removed.
std::vector<std::string> Reclaim(const std::vector<Leak>& leaks);

}  // namespace ipcspec

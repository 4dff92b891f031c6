// The per-test IPC sandbox.
//
// Once per process (before any thread): a private mount namespace, entered
// inside a new user namespace when not root. Before every test: a new IPC
// namespace, a fresh mqueue filesystem mounted on a private directory (the
// test's message queues are listed there), a fresh tmpfs on /dev/shm (POSIX
// shm and named semaphores) and, where it can be mounted, on /tmp (short Unix
// socket paths). Nothing a test makes is visible to another test
// or to the host, and it all vanishes with the namespace.
//
// A network namespace of the process's own too, with `lo` up, so that the
// leak audit can count the sockets of this process and its children alone
// (/proc/thread-self/net/unix lists those of the namespace, in flight or
// not; abstract names belong to it). A test gets a fresh one whenever the
// test before it changed its namespace's sockets (RenewNetworkNamespace,
// called by test_main: a socket, a TIME_WAIT connection, a socket count left
// behind); a test that left it as it found it hands it on, since a fresh
// network namespace costs 1.5-2 ms and there are over a thousand tests.
// Where none can be made, the sandbox says why (a degraded mode) and the
// leak audit does not count sockets.
//
// Where neither namespace can be made, the sandbox says so once and tests run
// in the host's namespaces; the leak audit then compares against a snapshot
// taken before each test. IPCSPEC_SANDBOX=off turns isolation off on purpose.
#pragma once

#include <string>

#include "impl/core/posix_error.h"

namespace ipcspec {

enum class Isolation {
  kNamespaces,      // root: mount + IPC namespaces
  kUserNamespace,   // not root: user + mount + IPC namespaces
  kNone,            // no isolation (not permitted here, or turned off)
};

class IpcSandbox {
 public:
  static IpcSandbox& Get();

  // Once per process, while single-threaded. Never fails: on error it falls
  // back to kNone and records why.
  void InitProcess();
  // Before each test.
  PosixError EnterTest();

  Isolation isolation() const { return isolation_; }
  // "namespaces (root)", "user namespace", "none: unshare(CLONE_NEWNS): EPERM".
  std::string Describe() const;
  // Where this test's POSIX message queues are listed ("" if unknown).
  const std::string& mqueue_dir() const { return mqueue_dir_; }
  const std::string& shm_dir() const { return shm_dir_; }
  // True when this test has a fresh tmpfs on /tmp of its own.
  bool private_tmp() const { return mounted_tmp_; }
  // True when this process is in a network namespace it made (no other
  // process's sockets are listed there, only its own and its children's).
  bool private_network_namespace() const { return private_netns_; }
  // Why not, when private_network_namespace() is false.
  const std::string& why_no_network_namespace() const { return why_no_netns_; }
  // The next EnterTest enters a fresh network namespace (the test that ran
  // changed the sockets of this one).
  void RenewNetworkNamespace() { renew_netns_ = true; }

 private:
  IpcSandbox() = default;
  void FallBack(const std::string& why);
  // Enters a fresh IPC and network namespace (one unshare) and brings lo up.
  // Returns whether the IPC namespace is new; where no network namespace can
  // be had (or lo brought up) it says why, once, and stops trying.
  bool EnterNetworkNamespace();
  Isolation isolation_ = Isolation::kNone;
  std::string why_none_;
  std::string mqueue_dir_;
  std::string shm_dir_ = "/dev/shm";
  bool mounted_mqueue_ = false;
  bool mounted_shm_ = false;
  bool mounted_tmp_ = false;
  bool initialized_ = false;
  bool private_netns_ = false;
  bool netns_possible_ = true;
  bool renew_netns_ = true;
  std::string why_no_netns_ = "the sandbox has not been set up";
};

}  // namespace ipcspec

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

 private:
  IpcSandbox() = default;
  void FallBack(const std::string& why);
  Isolation isolation_ = Isolation::kNone;
  std::string why_none_;
  std::string mqueue_dir_;
  std::string shm_dir_ = "/dev/shm";
  bool mounted_mqueue_ = false;
  bool mounted_shm_ = false;
  bool mounted_tmp_ = false;
  bool initialized_ = false;
};

}  // namespace ipcspec

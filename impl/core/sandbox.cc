#include "impl/core/sandbox.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "impl/core/degraded.h"
#include "impl/core/file_descriptor.h"

namespace ipcspec {
namespace {

PosixError WriteFile(const std::string& path, const std::string& text) {
  FileDescriptor fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ")");
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return ErrnoError("write(" + path + ", \"" + text + "\")");
  }
  return NoError();
}

bool DirExists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The calling thread's network namespace ("net:[4026531840]"), or "".
std::string NetworkNamespace() {
  char buf[64];
  ssize_t n = readlink("/proc/thread-self/ns/net", buf, sizeof buf);
  if (n < 0) n = readlink("/proc/self/ns/net", buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// A new network namespace has only `lo`, down (gVisor's is up already).
PosixError LoopbackUp() {
  FileDescriptor s(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return ErrnoError("socket(AF_UNIX, SOCK_DGRAM)");
  struct ifreq r = {};
  std::strncpy(r.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFFLAGS, &r) != 0) return ErrnoError("ioctl(lo, SIOCGIFFLAGS)");
  if ((r.ifr_flags & IFF_UP) != 0) return NoError();
  r.ifr_flags |= IFF_UP;
  if (ioctl(s.get(), SIOCSIFFLAGS, &r) != 0) return ErrnoError("ioctl(lo, SIOCSIFFLAGS, IFF_UP)");
  return NoError();
}

}  // namespace

IpcSandbox& IpcSandbox::Get() {
  static IpcSandbox* s = new IpcSandbox();
  return *s;
}

void IpcSandbox::FallBack(const std::string& why) {
  isolation_ = Isolation::kNone;
  why_none_ = why;
  if (!private_netns_) {
    why_no_netns_ = "no isolation (" + why + ")";
    ReportDegraded("leak audit does not count sockets: no network namespace of this process's own (" +
                   why_no_netns_ + "): a socket in flight (held by no descriptor) is not caught");
  }
  mqueue_dir_ = DirExists("/dev/mqueue") ? "/dev/mqueue" : "";
  ReportDegraded("no isolation: tests share the host's IPC namespace and /dev/shm (" + why_none_ +
                 ")");
  std::fprintf(stderr,
               "ipcspec: running WITHOUT IPC isolation (%s). Tests share the host's IPC "
               "namespace and /dev/shm; the leak audit compares with a snapshot taken "
               "before each test.\n",
               why_none_.c_str());
}

void IpcSandbox::InitProcess() {
  if (initialized_) return;
  initialized_ = true;
  const char* env = std::getenv("IPCSPEC_SANDBOX");
  if (env != nullptr && std::strcmp(env, "off") == 0) {
    FallBack("turned off by IPCSPEC_SANDBOX=off");
    return;
  }
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (unshare(CLONE_NEWNS) == 0) {
    isolation_ = Isolation::kNamespaces;
  } else {
    PosixError as_root = ErrnoError("unshare(CLONE_NEWNS)");
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      PosixError as_user = ErrnoError("unshare(CLONE_NEWUSER|CLONE_NEWNS)");
      FallBack(as_root.ToString() + "; " + as_user.ToString());
      return;
    }
    // Map ourselves to root inside the new user namespace.
    (void)WriteFile("/proc/self/setgroups", "deny");
    PosixError e = WriteFile("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
    if (e.ok()) e = WriteFile("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
    if (!e.ok()) {
      FallBack(e.ToString());
      return;
    }
    isolation_ = Isolation::kUserNamespace;
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    FallBack(ErrnoError("mount(/, MS_REC|MS_PRIVATE)").ToString());
    return;
  }
  // A private directory for the mqueue filesystem (/dev is read-only in
  // Bazel's sandbox and /dev/mqueue may not exist).
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string base = tmp && *tmp ? tmp : "/tmp";
  std::string dir = base + "/ipcspec-mqueue." + std::to_string(getpid());
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    FallBack(ErrnoError("mkdir(" + dir + ")").ToString());
    return;
  }
  mqueue_dir_ = dir;
  // Do a first EnterTest now so that a failure shows before any test runs.
  PosixError first = EnterTest();
  if (!first.ok()) {
    rmdir(dir.c_str());
    FallBack(first.ToString());
    return;
  }
  // The directory is in a private mount namespace; remove it at exit.
  static std::string to_remove;
  to_remove = dir;
  std::atexit([] {
    umount2(to_remove.c_str(), MNT_DETACH);
    rmdir(to_remove.c_str());
  });
}

bool IpcSandbox::EnterNetworkNamespace() {
  auto give_up = [&](const std::string& why) {
    netns_possible_ = false;
    if (private_netns_) {
      // The namespace the tests are in is still this process's own: the
      // audit stays exact, the tests after a change just share it.
      ReportDegraded("no fresh network namespace after a test that changed its sockets (" + why +
                     "): the tests after it share the last one");
    } else {
      why_no_netns_ = why;
      ReportDegraded("leak audit does not count sockets: no network namespace of this process's own (" +
                     why + "): a socket in flight (held by no descriptor) is not caught");
    }
  };
  const std::string before = NetworkNamespace();
  // To come back to when lo cannot be brought up in the new one.
  FileDescriptor old(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  // One call for both: a test's own unshare(CLONE_NEWNET) (and a table
  // mutant that breaks exactly that call) is another call.
  if (unshare(CLONE_NEWIPC | CLONE_NEWNET) != 0) {
    give_up(ErrnoError("unshare(CLONE_NEWIPC|CLONE_NEWNET)").ToString());
    return false;
  }
  const std::string now = NetworkNamespace();
  if (now.empty() || now == before) {
    give_up("unshare(CLONE_NEWNET) left the network namespace as it was (" + before + ")");
    return true;
  }
  PosixError lo = LoopbackUp();
  if (!lo.ok()) {
    if (old.valid() && setns(old.get(), CLONE_NEWNET) == 0) {
      give_up("lo cannot be brought up in a new one: " + lo.ToString());
      return true;
    }
    ReportDegraded("lo is down in this process's network namespace: " + lo.ToString());
  }
  private_netns_ = true;
  renew_netns_ = false;
  return true;
}

PosixError IpcSandbox::EnterTest() {
  if (isolation_ == Isolation::kNone) return NoError();
  const bool ipc_done = renew_netns_ && netns_possible_ && EnterNetworkNamespace();
  if (!ipc_done && unshare(CLONE_NEWIPC) != 0) return ErrnoError("unshare(CLONE_NEWIPC)");
  // The mqueue filesystem shows the IPC namespace of the mounter: remount.
  if (mounted_mqueue_) umount2(mqueue_dir_.c_str(), MNT_DETACH);
  if (mount("mqueue", mqueue_dir_.c_str(), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
            nullptr) != 0) {
    mounted_mqueue_ = false;
    return ErrnoError("mount(mqueue, " + mqueue_dir_ + ")");
  }
  mounted_mqueue_ = true;
  if (mounted_shm_) umount2(shm_dir_.c_str(), MNT_DETACH);
  if (mount("tmpfs", shm_dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
    mounted_shm_ = false;
    return ErrnoError("mount(tmpfs, /dev/shm)");
  }
  mounted_shm_ = true;
  // A private /tmp too, where it can be had: Unix socket paths must be short
  // (108 bytes of sun_path), so libraries put them in /tmp, and what a test
  // leaves there must be its own. Not an error when it fails: private_tmp()
  // says so, and the checks that need it skip.
  // Never when /tmp holds the test's own directories (TEST_TMPDIR, the
  // mqueue mount point): a tmpfs over /tmp would hide them (the environment
  // matrix runs binaries with TEST_TMPDIR under /tmp).
  if (mounted_tmp_) umount2("/tmp", MNT_DETACH);
  mounted_tmp_ = false;
  const char* test_tmp = std::getenv("TEST_TMPDIR");
  auto under_tmp = [](const std::string& p) { return p == "/tmp" || p.rfind("/tmp/", 0) == 0; };
  if (!under_tmp(test_tmp ? test_tmp : "/tmp") && !under_tmp(mqueue_dir_)) {
    mounted_tmp_ = mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") == 0;
  }
  return NoError();
}

std::string IpcSandbox::Describe() const {
  switch (isolation_) {
    case Isolation::kNamespaces:
      return private_netns_ ? "IPC + mount + network namespaces" : "IPC + mount namespaces";
    case Isolation::kUserNamespace:
      return private_netns_ ? "user + IPC + mount + network namespaces"
                            : "user + IPC + mount namespaces";
    case Isolation::kNone:
      return "none: " + why_none_;
  }
  return "?";
}

}  // namespace ipcspec

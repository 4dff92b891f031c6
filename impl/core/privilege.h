// Privilege: capabilities (capget/capset through syscall(2), no libcap) and
// which user namespace a process is in. For tests of "without privilege"
// behaviour: a forked child drops the capability first (async-signal-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <sys/types.h>

#include "impl/core/posix_error.h"

namespace ipcspec {

// Whether `cap` (CAP_SYS_RESOURCE, ...) is in the effective set.
bool HasEffectiveCapability(int cap);
// "CapEff=000001ffffffffff", for failure messages.
std::string EffectiveCapabilities();
// Removes the capabilities from the effective, permitted and inheritable
// sets and checks they are gone. Two or three system calls, no allocation:
// usable in a forked child. Returns 0 or the errno.
int DropCapabilities(const int* caps, size_t n);
inline int DropCapability(int cap) { return DropCapabilities(&cap, 1); }

// Whether this process is in the initial user namespace (/proc/self/uid_map
// is "0 0 4294967295"). The kernel checks some privileges with capable(),
// that is in the initial user namespace: a capability held inside a child
// user namespace (Bazel's linux-sandbox makes one) does not count there.
bool InInitialUserNamespace();
// HasEffectiveCapability(cap) && InInitialUserNamespace().
bool CapableInInitialUserNamespace(int cap);
// The first line of /proc/self/uid_map, spaces squeezed ("0 0 1").
std::string UidMapLine();

// A user ID that no process has (none owns a /proc/PID entry), taken at
// random from [0x40000000, 0x41000000): a forked child that setresuid(2)s to
// it is alone with its uid, so per-user counts (RLIMIT_SIGPENDING, RLIMIT_NPROC)
// and permission checks see no other process. Not async-signal-safe: call it
// before the fork.
uid_t UnusedUid();

// A number from a /proc file ("/proc/sys/kernel/msgmnb"), and back.
PosixErrorOr<long> ReadProcLong(const std::string& path);
PosixError WriteProcLong(const std::string& path, long value);
// An unsigned number (kernel.shmmax is near ULONG_MAX, beyond a long).
PosixErrorOr<unsigned long long> ReadProcUnsigned(const std::string& path);
// A small /proc file whole, and back (several numbers: kernel.sem).
PosixErrorOr<std::string> ReadProcText(const std::string& path);
PosixError WriteProcText(const std::string& path, const std::string& text);
// A hexadecimal field of /proc/self/fdinfo/FD ("eventfd-count:", "sigmask:");
// ENOTSUP when the kernel does not show it (gVisor, old kernels).
PosixErrorOr<uint64_t> FdInfoHexField(int fd, const char* key);

}  // namespace ipcspec

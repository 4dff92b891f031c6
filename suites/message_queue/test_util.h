// Helpers for the message queue mechanism suites.
#pragma once

#include <string>

#include "impl/core/posix_error.h"

namespace ipcspec {

// Removes capability `cap` (CAP_SYS_RESOURCE, ...) from the calling process's
// effective, permitted and inheritable sets with capget(2)/capset(2). For a
// forked child that must act "without privilege": async-signal-safe (two
// system calls). Returns 0 or the errno.
int DropCapability(int cap);

// Whether `cap` is in the calling process's effective set.
bool HasCapability(int cap);

// Whether the calling process is in the initial user namespace
// (/proc/self/uid_map is the identity map "0 0 4294967295"). Checks such as
// msgctl's and mq_open's for CAP_SYS_RESOURCE use capable(), which looks at
// the capability in the initial user namespace: a capability held inside a
// child user namespace (Bazel's linux-sandbox may make one) does not count.
bool InInitialUserNamespace();

// HasCapability(cap) && InInitialUserNamespace(): the process is privileged
// for a check the kernel makes with capable(cap).
bool CapableInInitialUserNamespace(int cap);

// A number from a /proc file ("/proc/sys/kernel/msgmnb").
PosixErrorOr<long> ReadProcLong(const std::string& path);
// Writes a number to a /proc file.
PosixError WriteProcLong(const std::string& path, long value);

}  // namespace ipcspec

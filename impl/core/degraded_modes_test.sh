#!/usr/bin/env bash
# Degraded modes are reported (impl/core/degraded.h): run a binary that hides
# /proc/sysvipc and the mqueue mount and turns isolation off, and check that
# each degraded mode is said, one sentence each.
set -u
out=$("$1" 2>&1)
status=$?
fail=0
if [ "$status" -ne 0 ]; then echo "FAIL: the binary exited $status: $out"; exit 1; fi
expect() {
  if ! grep -qF -- "$1" <<<"$out"; then echo "FAIL: expected to see: $1"; fail=1; fi
}
expect "degraded: no isolation: tests share the host's IPC namespace and /dev/shm (turned off by IPCSPEC_SANDBOX=off)"
expect "degraded: leak audit cannot list SysV message queues: /proc/sysvipc/msg unreadable (ENOENT)"
expect "degraded: leak audit cannot list SysV semaphore sets: /proc/sysvipc/sem unreadable (ENOENT)"
expect "degraded: leak audit cannot list SysV shared memory segments: /proc/sysvipc/shm unreadable (ENOENT)"
expect "degraded: leak audit cannot list POSIX message queues: no mqueue filesystem mounted to list them"
if [ "$(grep -c 'degraded: leak audit cannot list SysV message queues' <<<"$out")" -ne 1 ]; then
  echo "FAIL: a sentence said more than once"; fail=1
fi
[ "$fail" -eq 0 ] && echo "PASS"
echo "$out"
exit "$fail"

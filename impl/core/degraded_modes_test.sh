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
expect "degraded: leak audit does not count sockets: no network namespace of this process's own (no isolation (turned off by IPCSPEC_SANDBOX=off)): a socket in flight (held by no descriptor) is not caught"
if [ "$(grep -c 'degraded: leak audit cannot list SysV message queues' <<<"$out")" -ne 1 ]; then
  echo "FAIL: a sentence said more than once"; fail=1
fi
# Isolated, with the AF_UNIX socket list unreadable (gVisor may lack it):
# said, never a silent pass. Where no network namespace can be had, that is
# the degraded mode said instead.
out2=$("$1" sockets 2>&1)
if [ $? -ne 0 ]; then echo "FAIL: the binary (sockets) exited non-zero: $out2"; fail=1; fi
if grep -q "^network namespace: own" <<<"$out2"; then
  grep -qF "degraded: leak audit cannot list AF_UNIX sockets: /proc/ipcspec-no-such-file unreadable (ENOENT): a socket in flight (held by no descriptor) is not caught" <<<"$out2" ||
    { echo "FAIL: an unreadable socket list was not said"; fail=1; }
else
  grep -qF "degraded: leak audit does not count sockets: no network namespace of this process's own" <<<"$out2" ||
    { echo "FAIL: no network namespace, and not said"; fail=1; }
fi
[ "$fail" -eq 0 ] && echo "PASS"
echo "$out"
echo "$out2"
exit "$fail"

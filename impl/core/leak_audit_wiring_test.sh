#!/usr/bin/env bash
# The leak audit is wired into every ipc_test: run a binary whose tests leak
# one object each and check that each of those tests fails, naming the
# object, and that the clean test passes.
set -u
bin="$1"
# Unset Bazel's XML_OUTPUT_FILE/GTEST_OUTPUT: the leaky binary's (failing)
# results must not be written over this test's own result file.
out=$(env -u XML_OUTPUT_FILE -u GTEST_OUTPUT "$bin" 2>&1)
status=$?
fail=0
if [ "$status" -eq 0 ]; then
  echo "FAIL: the leaky binary passed; the leak audit did not fail it"; fail=1
fi
expect() {
  if ! grep -qF -- "$1" <<<"$out"; then
    echo "FAIL: expected to see: $1"; fail=1
  fi
}
for t in SysvMsg SysvSem SysvShm PosixMq ShmName Fd Child UnixInFlight; do
  expect "[  FAILED  ] Leaky.$t"
done
expect "[       OK ] Leaky.Nothing"
expect "SysV message queue id"
expect "SysV semaphore set id"
expect "SysV shared memory segment id"
expect "POSIX message queue /ipcspec-leaky"
expect "/dev/shm name /ipcspec-leaky"
expect "file descriptor"
expect "child process pid"
# The socket audit needs a network namespace of the binary's own; where it
# has none it says so on its first line (no "network" in the isolation).
if grep -q "^ipcspec: isolation: .*network namespaces" <<<"$out"; then
  expect "(in flight: held by no descriptor; dgram)"
  sockets=", a socket in flight"
else
  sockets=" (no socket audit here: no network namespace of its own)"
fi
if [ "$fail" -ne 0 ]; then
  echo "---- output of $bin ----"; echo "$out"; exit 1
fi
echo "leak audit wiring: 8 leaky tests caught${sockets}, clean test passed"

// Sample source for verdict/verdict_test.py: the reader looks up the man page
// citations of results that carry none. Not built, not a test.

// man 7 pipe: "If a process attempts to read from an empty pipe, then read(2)
// will block until data is available."
TEST(PipeIo, ReadFromEmptyPipeBlocks) {
  FAIL() << "man 7 pipe: sample only";
}

// man 7 pipe: "If all file descriptors referring to the read end of a pipe
// have been closed, then a write(2) will cause a SIGPIPE signal".
TEST(PipeIo, WriteToClosedPipeRaisesSigpipe) {
  FAIL() << "man 7 pipe: sample only";
}

// man 2 fcntl: F_SETPIPE_SZ; man 7 pipe: /proc/sys/fs/pipe-user-pages-soft.
TEST(PipeIo, PipeBufPagesAreAccounted) {
  FAIL() << "man 2 fcntl: sample only";
}

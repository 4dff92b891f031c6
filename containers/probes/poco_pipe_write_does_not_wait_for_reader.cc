/* poco_pipe_write_does_not_wait_for_reader: Poco::Pipe's writeBytes blocks
   until the reader reads the data.
     POCO's documentation (/usr/include/Poco/Pipe.h): "Read and write operations are always synchronous. A read
     will block until data is available and a write will block until the
     reader reads the data"; writeBytes(): "Blocks until the receiver is
     ready to read the data."
   POCO 1.11.0 (Debian libpoco-dev; a library finding, on every kernel):
   writeBytes is one write(2), which returns once the bytes are in the pipe's
   buffer (man 7 pipe, "Pipe capacity": 65536 bytes on Linux), whether or not
   anyone reads. Finding: impl/adapters/poco/divergences.tsv,
   PocoPipe.WriteBlocksUntilTheReaderReads (poco_pipe).
     c++ -o poco_pipe_write_does_not_wait_for_reader poco_pipe_write_does_not_wait_for_reader.cc -lPocoFoundation
     ./poco_pipe_write_does_not_wait_for_reader
   The write runs in a child bounded by alarm(3): where it blocks as
   documented, SIGALRM kills the child (that case takes 3 s); nobody ever
   reads. The pipe's descriptors close with the processes.
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <Poco/Exception.h>
#include <Poco/Pipe.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main() {
  alarm(20);
  int rc = 2;
  try {
    Poco::Pipe p; /* this process keeps the read end open and never reads */
    pid_t c = fork();
    if (c == 0) {
      alarm(3);
      try {
        int n = p.writeBytes("x", 1);
        _exit(n == 1 ? 0 : 2);
      } catch (const Poco::Exception&) {
        _exit(2);
      }
    }
    int ws = 0;
    if (c > 0 && waitpid(c, &ws, 0) == c) {
      if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM) {
        rc = 0;
        printf("as documented: writeBytes blocked while nobody read\n");
      } else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        rc = 1;
        printf("Poco/Pipe.h says \"a write will block until the reader reads the data\" (writeBytes(): \"Blocks "
               "until the receiver is ready to read the data\"); got: writeBytes returned before anyone read (1 "
               "byte, into the pipe's buffer)\n");
      } else {
        printf("SETUP: the writing child ended with status 0x%x\n", ws);
      }
    }
    p.close();
  } catch (const Poco::Exception& x) {
    printf("SETUP: Pipe: %s\n", x.displayText().c_str());
  }
  return rc;
}

/* poco_named_event_counts_sets: a Poco::NamedEvent is auto-resetting: two
   set()s with nobody waiting are one signal, so one wait() passes and the
   next one blocks.
     POCO's documentation (/usr/include/Poco/NamedEvent.h): "NamedEvents are always autoresetting"; set():
     "Signals the event. The one thread or process waiting for the event can
     resume execution."
   POCO 1.11.0 (Debian libpoco-dev; a library finding, on every kernel): on
   Linux set() is semop(+1) on a System V semaphore, a counter, so two set()s
   let two wait()s through. Finding: impl/adapters/poco/divergences.tsv,
   PocoNamedEvent.SetTwiceWithNobodyWaitingIsOneSignal (poco_named_event).
     c++ -o poco_named_event_counts_sets poco_named_event_counts_sets.cc -lPocoFoundation
     ./poco_named_event_counts_sets
   The second wait() runs in a child bounded by alarm(3): where the event is
   auto-resetting it is killed by SIGALRM (wait() retries EINTR), the
   documented outcome; that case takes 3 s. Cleans up the System V set
   (NamedEvent's destructor removes nothing) and /tmp/NAME.event.
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <Poco/Exception.h>
#include <Poco/NamedEvent.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

static void Cleanup(const std::string& name) {
  std::string file = "/tmp/" + name + ".event";
  key_t key = ftok(file.c_str(), 'p');
  if (key != (key_t)-1) {
    int id = semget(key, 1, 0);
    if (id >= 0) semctl(id, 0, IPC_RMID);
  }
  unlink(file.c_str());
}

int main() {
  alarm(20);
  std::string name = "ipcspec_repro_poco_event_sets_" + std::to_string(getpid());
  int rc = 2;
  try {
    Poco::NamedEvent e(name);
    e.set();
    e.set(); /* nobody waits: an auto-reset event holds one signal */
    e.wait(); /* takes the signal */
    pid_t c = fork();
    if (c == 0) {
      alarm(3);
      Poco::NamedEvent again(name);
      again.wait(); /* documented: blocks until SIGALRM kills the child */
      _exit(0);
    }
    int ws = 0;
    if (c > 0 && waitpid(c, &ws, 0) == c) {
      if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM) {
        rc = 0;
        printf("as documented: two set()s with nobody waiting let one wait() through\n");
      } else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        rc = 1;
        printf("Poco/NamedEvent.h says \"NamedEvents are always autoresetting\" (set(): \"The one thread or process "
               "waiting for the event can resume execution\"); got: two set()s with nobody waiting let two wait()s "
               "through, the second wait() returned too (set() counts)\n");
      } else {
        printf("SETUP: the waiting child ended with status 0x%x\n", ws);
      }
    }
  } catch (const Poco::Exception& x) {
    printf("SETUP: NamedEvent: %s\n", x.displayText().c_str());
  }
  Cleanup(name);
  return rc;
}

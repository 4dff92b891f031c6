/* poco_named_event_never_destroyed: once every Poco::NamedEvent of a name is
   destroyed, the event is gone: a later NamedEvent of that name starts
   fresh (not signalled).
     POCO's documentation (/usr/include/Poco/NamedEvent.h): ~NamedEvent(): "Destroys the event."
   POCO 1.11.0 (Debian libpoco-dev; a library finding, on every kernel): on
   Linux the destructor removes nothing: the System V semaphore keyed by
   ftok("/tmp/NAME.event", 'p'), with a pending set(), and the key file stay
   until reboot or ipcrm, so a later NamedEvent of the name starts signalled.
   Upstream: pocoproject/poco#2971, #1033, fixed by #4357 (POCO 1.14).
   Finding: impl/adapters/poco/divergences.tsv,
   PocoNamedEvent.DestroyedEverywhereIsGone (poco_named_event).
     c++ -o poco_named_event_never_destroyed poco_named_event_never_destroyed.cc -lPocoFoundation
     ./poco_named_event_never_destroyed
   A child makes the event, sets it and exits (its NamedEvent destroyed);
   then the set is looked up by its key, and a new NamedEvent's wait() runs
   in a child bounded by alarm(3) (killed by SIGALRM where the event is
   fresh, the documented outcome; that case takes 3 s). Cleans up the set
   and /tmp/NAME.event. Exit status: 0 as documented, 1 when not, 2 when it
   cannot set up. */
#include <Poco/Exception.h>
#include <Poco/NamedEvent.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

static int SetId(const std::string& file) {
  key_t key = ftok(file.c_str(), 'p');
  return key == (key_t)-1 ? -1 : semget(key, 1, 0);
}

int main() {
  alarm(20);
  std::string name = "ipcspec_repro_poco_event_gone_" + std::to_string(getpid());
  std::string file = "/tmp/" + name + ".event";
  int rc = 2;
  pid_t maker = fork();
  if (maker == 0) {
    alarm(10);
    try {
      Poco::NamedEvent e(name);
      e.set();
    } catch (const Poco::Exception&) {
      _exit(2);
    }
    _exit(0); /* every NamedEvent of the name is destroyed */
  }
  int ws = 0;
  if (maker < 0 || waitpid(maker, &ws, 0) != maker || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
    printf("SETUP: the child could not make and set the NamedEvent\n");
  } else {
    int left = SetId(file);
    pid_t c = fork();
    if (c == 0) {
      alarm(3);
      try {
        Poco::NamedEvent e(name);
        e.wait(); /* documented: a fresh event, blocks until SIGALRM */
      } catch (const Poco::Exception&) {
        _exit(2);
      }
      _exit(0);
    }
    ws = 0;
    if (c > 0 && waitpid(c, &ws, 0) == c) {
      if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM && left < 0) {
        rc = 0;
        printf("as documented: the event was gone, a new NamedEvent of the name started unsignalled\n");
      } else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 2) {
        printf("SETUP: the second NamedEvent could not be opened\n");
      } else {
        rc = 1;
        printf("Poco/NamedEvent.h says ~NamedEvent() \"Destroys the event.\"; got: after the only NamedEvent was "
               "destroyed, its System V set %s (semget of ftok(%s, 'p'): id %d) and a new NamedEvent of the name "
               "%s\n",
               left >= 0 ? "still exists" : "is gone", file.c_str(), left,
               WIFEXITED(ws) ? "started signalled: its wait() returned at once" : "started unsignalled");
      }
    }
  }
  int id = SetId(file);
  if (id >= 0) semctl(id, 0, IPC_RMID);
  unlink(file.c_str());
  return rc;
}

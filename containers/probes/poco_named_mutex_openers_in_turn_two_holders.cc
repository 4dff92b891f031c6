/* poco_named_mutex_openers_in_turn_two_holders: processes that open one
   Poco::NamedMutex name in turn keep mutual exclusion.
     POCO's documentation (the comments of /usr/include/Poco/NamedMutex.h):
     "there can be multiple instances of NamedMutex
     referring to the same actual synchronization object"; lock(): "Blocks if
     the mutex is held by another process"; tryLock(): "Returns false
     immediately if the mutex is already held by another process."
   POCO 1.11.0 (Debian libpoco-dev; a library finding, on every kernel): on
   Linux a NamedMutex is one System V semaphore keyed by
   ftok("/tmp/NAME.mutex", 'p'), and the instance that created the set removes
   it (IPC_RMID) in its destructor, whoever holds the lock. A opens the name
   (creates the set), B opens it and locks it, A's NamedMutex is destroyed:
   C then opens the name, creates a new set, and its tryLock() succeeds while
   B still holds the mutex. Upstream: pocoproject/poco#4876, #271.
   Finding: impl/adapters/poco/divergences.tsv,
   PocoNamedMutex.OpenersInTurnKeepMutualExclusion (poco_named_mutex).
     c++ -o poco_named_mutex_openers_in_turn_two_holders poco_named_mutex_openers_in_turn_two_holders.cc -lPocoFoundation
     ./poco_named_mutex_openers_in_turn_two_holders
   Under gVisor (runsc --network=none do) it fails the same way: the
   destructor's IPC_RMID is POCO's code, not the kernel's.
   Cleans up: every set it can find under the name's key, and the key file.
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <Poco/Exception.h>
#include <Poco/NamedMutex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

static std::string name;

static void Cleanup() {
  std::string file = "/tmp/" + name + ".mutex";
  key_t key = ftok(file.c_str(), 'p');
  if (key != (key_t)-1) {
    int id = semget(key, 1, 0);
    if (id >= 0) semctl(id, 0, IPC_RMID);
  }
  unlink(file.c_str());
}

int main() {
  alarm(20);
  name = "ipcspec_repro_poco_mutex_" + std::to_string(getpid());
  int locked[2], done[2], verdict[2];
  if (pipe(locked) != 0 || pipe(done) != 0 || pipe(verdict) != 0) return 2;
  Poco::NamedMutex* a = new Poco::NamedMutex(name); /* A: creates the set */
  pid_t b = fork();
  if (b < 0) return 2;
  if (b == 0) { /* B: opens the name, locks, holds until told */
    alarm(20);
    try {
      Poco::NamedMutex m(name);
      m.lock();
      if (write(locked[1], "l", 1) != 1) _exit(2);
      char c;
      if (read(done[0], &c, 1) != 1) _exit(2);
      try {
        m.unlock();
      } catch (const Poco::Exception&) {
      }
    } catch (const Poco::Exception& e) {
      _exit(2);
    }
    _exit(0);
  }
  char c;
  int rc = 2;
  if (read(locked[0], &c, 1) != 1) {
    printf("SETUP: B could not lock the NamedMutex\n");
  } else {
    delete a; /* A's instance goes, as when A exits normally */
    a = nullptr;
    pid_t cpid = fork();
    if (cpid == 0) { /* C: opens the name while B holds the mutex */
      alarm(20);
      char got = '2';
      try {
        Poco::NamedMutex m(name);
        bool held = m.tryLock();
        got = held ? '1' : '0';
        if (held) m.unlock();
      } catch (const Poco::Exception&) {
      }
      if (write(verdict[1], &got, 1) != 1) _exit(2);
      _exit(0);
    }
    char got = '2';
    if (cpid < 0 || read(verdict[0], &got, 1) != 1) got = '2';
    if (cpid > 0) waitpid(cpid, NULL, 0);
    if (got == '0') {
      rc = 0;
      printf("as documented: a NamedMutex held by B stays held for C after the first opener's instance is gone\n");
    } else if (got == '1') {
      rc = 1;
      printf("Poco/NamedMutex.h says \"there can be multiple instances of NamedMutex referring to the same actual "
             "synchronization object\" and tryLock() \"Returns false immediately if the mutex is already held by "
             "another process\"; got: after the first opener's NamedMutex was destroyed, a new opener's tryLock() "
             "returned true while another process held the mutex (two holders; the destructor removed the System V "
             "set with IPC_RMID)\n");
    } else {
      printf("SETUP: C could not open the NamedMutex\n");
    }
  }
  if (write(done[1], "d", 1) != 1) kill(b, SIGKILL);
  waitpid(b, NULL, 0);
  delete a;
  Cleanup();
  return rc;
}

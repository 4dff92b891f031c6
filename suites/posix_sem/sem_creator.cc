// sem_creator NAME VALUE: creates the named POSIX semaphore NAME with
// sem_open(NAME, O_CREAT | O_EXCL, 0600, VALUE) and exits WITHOUT sem_close
// or sem_unlink. posix_sem_test execs it in a child to have a creator process
// that ends (man 7 sem_overview, "Persistence"). Exit code: 0, or the errno.
#include <fcntl.h>
#include <semaphore.h>

#include <cerrno>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 3) return 100;
  unsigned value = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  sem_t* s = sem_open(argv[1], O_CREAT | O_EXCL, 0600, value);
  if (s == SEM_FAILED) return errno;
  return 0;
}

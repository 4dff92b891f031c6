// Each test here leaves one sort of object behind on purpose. It is not a
// test of ipcspec by itself: leak_audit_wiring_test runs this binary and
// checks that the leak audit, installed by test_main for every test, fails
// each of these tests and names the object.
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "gtest/gtest.h"

TEST(Leaky, SysvMsg) { ASSERT_GE(msgget(IPC_PRIVATE, IPC_CREAT | 0600), 0); }
TEST(Leaky, SysvSem) { ASSERT_GE(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600), 0); }
TEST(Leaky, SysvShm) { ASSERT_GE(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600), 0); }
TEST(Leaky, PosixMq) {
  mqd_t q = mq_open("/ipcspec-leaky", O_CREAT | O_RDWR, 0600, nullptr);
  ASSERT_NE(q, (mqd_t)-1);
  mq_close(q);
}
TEST(Leaky, ShmName) {
  int fd = shm_open("/ipcspec-leaky", O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
}
TEST(Leaky, Fd) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[1]);
}
TEST(Leaky, Child) {
  pid_t p = fork();
  if (p == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(p, 0);
}
// A socket sent over a socketpair and closed: in flight on the pair's queue
// (the pair's two fds leak too).
TEST(Leaky, UnixInFlight) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  int c = socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(c, 0);
  char x = 'x';
  struct iovec iov = {&x, 1};
  char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr m = {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  struct cmsghdr* h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(h), &c, sizeof c);
  ASSERT_EQ(sendmsg(sv[0], &m, 0), 1);
  close(c);
}
TEST(Leaky, Nothing) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  close(fds[1]);
}

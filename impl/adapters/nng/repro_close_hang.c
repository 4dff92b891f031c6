// Repro: nng_close of a pair1 socket hangs when its peer holds an unreceived
// message (nng 1.5.2). Build and run:
//   gcc -o /tmp/close_hang impl/adapters/nng/repro_close_hang.c -lnng && K=1 J=0 /tmp/close_hang txfirst plain
// K: messages sent, J: messages received before the two nng_close calls.
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
static volatile int g_it;
static void on_alarm(int s) { (void)s; fprintf(stderr, "HANG in nng_close at iteration %d\n", g_it); _exit(3); }
int main(int argc, char** argv) {
  int rxfirst = argc > 1 && strcmp(argv[1], "rxfirst") == 0;
  int timed = argc > 2 && strcmp(argv[2], "timed") == 0;
  signal(SIGALRM, on_alarm);
  for (int it = 0; it < 2000; ++it, g_it = it) {
    nng_socket rx, tx; char url[128];
    snprintf(url, sizeof url, "ipc:///tmp/s%d_%d", getpid(), it);
    nng_pair1_open(&rx); nng_pair1_open(&tx);
    nng_socket_set_int(rx, NNG_OPT_RECVBUF, 8192); nng_socket_set_int(tx, NNG_OPT_SENDBUF, 8192);
    if (nng_listen(rx, url, NULL, 0) || nng_dial(tx, url, NULL, 0)) { puts("setup failed"); return 2; }
    int k = getenv("K") ? atoi(getenv("K")) : rand() % 6;
    for (int i = 0; i < k; ++i) { char b[16] = {0}; nng_send(tx, b, rand() % 16, NNG_FLAG_NONBLOCK); }
    int j = getenv("J") ? atoi(getenv("J")) : rand() % 3;
    for (int i = 0; i < j; ++i) { char b[16]; size_t sz = sizeof b;
      if (timed) { nng_socket_set_ms(rx, NNG_OPT_RECVTIMEO, rand() % 2); nng_recv(rx, b, &sz, 0); }
      else nng_recv(rx, b, &sz, NNG_FLAG_NONBLOCK); }
    alarm(5);
    if (rxfirst) { nng_close(rx); nng_close(tx); } else { nng_close(tx); nng_close(rx); }
    alarm(0);
  }
  puts("no hang in 2000 iterations");
  return 0;
}

/* sd_bus_call_ends_eintr: a signal handler that runs while sd_bus_call(3)
   waits for its reply does not end the call: it returns the reply, a D-Bus
   error, or -ETIMEDOUT at its timeout.
     man 3 sd_bus_call (libsystemd's documentation): sd_bus_call() "calls
     the corresponding D-Bus method. On success, the response is stored in
     reply. usec indicates the timeout in microseconds."; its errors list no
     EINTR, and "-ETIMEDOUT A response was not received within the given
     timeout."
   libsystemd 252 (Debian 12; a library finding, on every kernel): the
   handler's signal makes the ppoll(2) inside sd_bus_call fail EINTR (man 7
   signal: ppoll is never restarted, whatever SA_RESTART), and sd_bus_call
   returns -EINTR at once, with or without SA_RESTART, long before its
   timeout and with no reply. Fixed in libsystemd 253 (upstream
   systemd/systemd#25483, "ppoll() + EINTR fixes": the call polls again).
   Finding: impl/adapters/dbus/divergences.tsv,
   DbusScenarios.SignalHandlerDoesNotEndSdBusCall.
     cc -o sd_bus_call_ends_eintr sd_bus_call_ends_eintr.c -lsystemd
     ./sd_bus_call_ends_eintr
   Setup: a private dbus-daemon(1) (--config-file of a file written in a
   fresh /tmp directory, listening on an abstract socket, --print-address);
   a child connects twice, one connection owns a name and never reads, the
   other calls a method of that name (3 s timeout), so no reply ever comes.
   The parent sees the child sleep in ppoll(2) (/proc/PID/syscall, or the
   child's state S where that file cannot be read), then sends SIGUSR1.
   Run without and with SA_RESTART. As documented, each call ends at its
   timeout (-ETIMEDOUT): about 6 s in all.
   Cleans up: the configuration file and its directory go as soon as the
   daemon has started; the daemon is killed at the end, and dies with this
   program if it is killed (PR_SET_PDEATHSIG); the abstract socket goes with
   the daemon. Every blocking step is bounded by alarm().
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define NAME "org.ipcspec.Repro"

static volatile sig_atomic_t handled;
static void on_usr1(int s) {
  (void)s;
  handled++;
}

static long ms_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int connect_bus(const char *address, sd_bus **out) {
  sd_bus *b = NULL;
  int r = sd_bus_new(&b);
  if (r >= 0) r = sd_bus_set_address(b, address);
  if (r >= 0) r = sd_bus_set_bus_client(b, 1);
  if (r >= 0) r = sd_bus_start(b);
  if (r < 0) {
    sd_bus_unref(b);
    return r;
  }
  *out = b;
  return 0;
}

/* The caller: returns through `res` "r ms handled". */
static void caller(const char *address, int restart, int ready_fd, int res_fd) {
  alarm(20);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) != 0) _exit(2);
  sd_bus *owner = NULL, *bus = NULL;
  if (connect_bus(address, &owner) < 0 || connect_bus(address, &bus) < 0) _exit(2);
  if (sd_bus_request_name(owner, NAME, 0) < 0) _exit(2);
  sd_id128_t id; /* a round trip: what came with Hello has arrived */
  if (sd_bus_get_bus_id(bus, &id) < 0) _exit(2);
  while (sd_bus_process(bus, NULL) > 0) {
  }
  sd_bus_message *m = NULL, *reply = NULL;
  sd_bus_error err = SD_BUS_ERROR_NULL;
  if (sd_bus_message_new_method_call(bus, &m, NAME, "/org/ipcspec/Repro", NAME, "Wait") < 0) _exit(2);
  if (write(ready_fd, "r", 1) != 1) _exit(2);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int r = sd_bus_call(bus, m, 3000000, &err, &reply); /* nobody ever answers */
  char line[160];
  int n = snprintf(line, sizeof line, "%d %ld %d %s\n", r, ms_since(&t0), (int)handled,
                   err.name ? err.name : "-");
  if (write(res_fd, line, (size_t)n) != n) _exit(2);
  _exit(0);
}

/* Whether pid sleeps in ppoll(2). */
static int in_ppoll(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0) {
      buf[n] = 0;
      return atol(buf) == SYS_ppoll;
    }
  }
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] == 'S';
}

/* One run: 0 as documented, 1 not, 2 setup. */
static int run(const char *address, int restart) {
  int ready[2], res[2];
  if (pipe(ready) != 0 || pipe(res) != 0) return 2;
  pid_t c = fork();
  if (c < 0) return 2;
  if (c == 0) {
    close(ready[0]);
    close(res[0]);
    caller(address, restart, ready[1], res[1]);
  }
  close(ready[1]);
  close(res[1]);
  int rc = 2;
  char b, line[160] = {0};
  if (read(ready[0], &b, 1) != 1) {
    printf("SETUP: the caller could not connect to the private bus or own " NAME "\n");
    goto out;
  }
  while (!in_ppoll(c)) sched_yield(); /* bounded by alarm() */
  kill(c, SIGUSR1);
  ssize_t n = read(res[0], line, sizeof line - 1);
  int r = 0, handler = 0;
  long ms = 0;
  char name[128] = "-";
  if (n <= 0 || sscanf(line, "%d %ld %d %127s", &r, &ms, &handler, name) != 4) {
    printf("SETUP: the caller reported nothing\n");
    goto out;
  }
  if (handler != 1) {
    printf("SETUP: the handler ran %d times\n", handler);
  } else if (r == -EINTR) {
    rc = 1;
    printf("man 3 sd_bus_call says \"usec indicates the timeout in microseconds\" and lists no EINTR among its "
           "errors (\"-ETIMEDOUT A response was not received within the given timeout\"); got: a SIGUSR1 "
           "handler (%s) ran while sd_bus_call waited in ppoll(2) and the call returned -EINTR (%s) after %ld ms "
           "of its 3000 ms timeout, with no reply\n",
           restart ? "SA_RESTART" : "no SA_RESTART", name, ms);
  } else if (r == -ETIMEDOUT && ms >= 2900) {
    rc = 0;
    printf("as documented (%s): the call went on after the handler and timed out after %ld ms\n",
           restart ? "SA_RESTART" : "no SA_RESTART", ms);
  } else {
    rc = 1;
    printf("man 3 sd_bus_call says \"usec indicates the timeout in microseconds\" and lists no EINTR among its "
           "errors; got: "
           "nobody answers, a SIGUSR1 handler (%s) ran, and the call returned %d (%s, %s) after %ld ms\n",
           restart ? "SA_RESTART" : "no SA_RESTART", r, r < 0 ? strerror(-r) : "ok", name, ms);
  }
out:
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  close(ready[0]);
  close(res[0]);
  return rc;
}

int main(void) {
  alarm(30);
  char dir[] = "/tmp/ipcspec_repro_sdbus_XXXXXX";
  if (!mkdtemp(dir)) {
    perror("SETUP: mkdtemp");
    return 2;
  }
  char conf[sizeof dir + 16], arg[sizeof conf + 16];
  snprintf(conf, sizeof conf, "%s/bus.conf", dir);
  snprintf(arg, sizeof arg, "--config-file=%s", conf);
  FILE *f = fopen(conf, "w");
  if (!f) {
    rmdir(dir);
    return 2;
  }
  fprintf(f,
          "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
          " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
          "<busconfig>\n"
          "  <type>ipcspec_repro</type>\n"
          "  <listen>unix:abstract=ipcspec_repro_sdbus_%d_%ld</listen>\n"
          "  <auth>EXTERNAL</auth>\n"
          "  <policy context=\"default\">\n"
          "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
          "    <allow eavesdrop=\"true\"/>\n"
          "    <allow own=\"*\"/>\n"
          "  </policy>\n"
          "</busconfig>\n",
          (int)getpid(), (long)time(NULL));
  fclose(f);
  int p[2];
  if (pipe(p) != 0) return 2;
  pid_t parent = getpid();
  pid_t daemon = fork();
  if (daemon == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    close(p[0]);
    if (dup2(p[1], 3) != 3) _exit(127);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2); /* its complaints (the fd limit it cannot raise) */
    }
    execl("/usr/bin/dbus-daemon", "dbus-daemon", arg, "--nofork", "--nopidfile", "--nosyslog",
          "--print-address=3", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  char address[512] = {0};
  size_t got = 0;
  while (daemon > 0 && got < sizeof address - 1 && !strchr(address, '\n')) {
    ssize_t n = read(p[0], address + got, sizeof address - 1 - got); /* bounded by alarm() */
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(p[0]);
  unlink(conf); /* the daemon has read it once it printed its address */
  rmdir(dir);
  char *nl = strchr(address, '\n');
  int rc = 2;
  if (daemon < 0 || !nl) {
    printf("SETUP: /usr/bin/dbus-daemon printed no address\n");
  } else {
    *nl = 0;
    int r1 = run(address, 0);
    int r2 = r1 == 2 ? 2 : run(address, 1);
    rc = r1 == 2 || r2 == 2 ? 2 : (r1 || r2 ? 1 : 0);
  }
  if (daemon > 0) {
    kill(daemon, SIGTERM);
    waitpid(daemon, NULL, 0);
  }
  return rc;
}

#include "suites/readiness/readiness_check.h"

#include <sched.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>

#include "impl/core/blocked.h"
#include "impl/repro/repro.h"
#include "rapidcheck.h"
#include "suites/readiness/readiness_repro.h"

namespace ipcspec {
namespace {

constexpr uint32_t kWatchEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI;

constexpr const char* kPollRule =
    "man 2 poll: \"POLLIN There is data to read.\" / \"POLLOUT Writing is now possible\" / "
    "\"POLLRDHUP ... Stream socket peer closed connection, or shut down writing half of "
    "connection.\" / \"POLLERR ... This bit is also set for a file descriptor referring to the "
    "write end of a pipe when the read end has been closed.\" / \"POLLHUP ... this event merely "
    "indicates that the peer closed its end of the channel.\"";
constexpr const char* kSelectRule =
    "man 2 select: \"A file descriptor is ready for reading if a read operation will not "
    "block; in particular, a file descriptor is also ready on end-of-file.\" / \"A file "
    "descriptor is ready for writing if a write operation will not block.\" (Linux puts "
    "POLLIN, POLLHUP and POLLERR in the read set, POLLOUT and POLLERR in the write set, POLLPRI "
    "in the except set)";
constexpr const char* kLevelRule =
    "man 7 epoll: \"While the usage of epoll when employed as a level-triggered interface does "
    "have the same semantics as poll(2)\"";
constexpr const char* kEdgeRule =
    "man 7 epoll: \"edge-triggered mode delivers events only when changes occur on the "
    "monitored file descriptor\" / \"even with edge-triggered epoll, multiple events can be "
    "generated upon receipt of multiple chunks of data\" (Linux: one event per arrival)";
constexpr const char* kOneShotRule =
    "man 2 epoll_ctl: \"EPOLLONESHOT ... after an event notified for the file descriptor by "
    "epoll_wait(2), the file descriptor is disabled in the interest list and no other events "
    "will be reported by the epoll interface.\"";


// The checks of ReadinessChecker::Check as C, for the reproducers: the same
// calls in the same order, the same rules and the same failure texts.
constexpr const char* kReadinessC = R"C(
#define WATCH_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI)
#define EV5 (POLLIN | POLLOUT | POLLHUP | POLLRDHUP | POLLERR)
/* What the edge-triggered instance must do for a descriptor after a step. */
enum { EDGE_NONE, EDGE_MAY, EDGE_MUST_READY, EDGE_MUST_ARRIVAL };
/* What one descriptor must report now: the events in `yes` set, those in
   `no` clear, the others either; never POLLPRI (no out-of-band data is ever
   sent) nor POLLNVAL. */
struct want {
  const char *name;
  int fd;
  unsigned yes, no;
  int edge;
  const char *expect, *cites;
};
static int ep_level = -1, ep_edge = -1, ep_oneshot = -1;

/* Three epoll instances: level-triggered, edge-triggered, one-shot. */
static void ready_open(void) {
  ep_level = epoll_create1(EPOLL_CLOEXEC);
  ep_edge = epoll_create1(EPOLL_CLOEXEC);
  ep_oneshot = epoll_create1(EPOLL_CLOEXEC);
  if (ep_level < 0 || ep_edge < 0 || ep_oneshot < 0) setup_failed("epoll_create1");
}
static void ready_watch(int fd) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.data.fd = fd;
  ev.events = WATCH_EVENTS;
  if (epoll_ctl(ep_level, EPOLL_CTL_ADD, fd, &ev) != 0) setup_failed("epoll_ctl(ADD)");
  ev.events = WATCH_EVENTS | EPOLLET;
  if (epoll_ctl(ep_edge, EPOLL_CTL_ADD, fd, &ev) != 0) setup_failed("epoll_ctl(ADD, EPOLLET)");
  ev.events = WATCH_EVENTS | EPOLLONESHOT;
  if (epoll_ctl(ep_oneshot, EPOLL_CTL_ADD, fd, &ev) != 0)
    setup_failed("epoll_ctl(ADD, EPOLLONESHOT)");
}
/* Before a watched descriptor is closed. */
static void ready_forget(int fd) {
  epoll_ctl(ep_level, EPOLL_CTL_DEL, fd, NULL);
  epoll_ctl(ep_edge, EPOLL_CTL_DEL, fd, NULL);
  epoll_ctl(ep_oneshot, EPOLL_CTL_DEL, fd, NULL);
}

static const char *events_str(unsigned ev) {
  static char ring[4][128];
  static int next;
  char *s = ring[next++ % 4];
  static const struct { unsigned bit; const char *name; } names[] = {
    {POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"}, {POLLRDHUP, "POLLRDHUP"},
    {POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}};
  size_t i;
  s[0] = '\0';
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
    if (!(ev & names[i].bit)) continue;
    if (s[0]) strcat(s, "|");
    strcat(s, names[i].name);
  }
  return s[0] ? s : "nothing";
}

/* The events `got` reports against what `w` expects: "" when it agrees. */
static const char *mismatch(const struct want *w, unsigned got) {
  static char s[512];
  static const struct { unsigned bit; const char *name; } names[] = {
    {POLLIN, "POLLIN"}, {POLLOUT, "POLLOUT"}, {POLLHUP, "POLLHUP"}, {POLLRDHUP, "POLLRDHUP"},
    {POLLERR, "POLLERR"}};
  size_t i;
  s[0] = '\0';
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
    const char *what = NULL;
    if ((w->yes & names[i].bit) && !(got & names[i].bit)) what = " clear (expected yes)";
    if ((w->no & names[i].bit) && (got & names[i].bit)) what = " set (expected no)";
    if (what == NULL) continue;
    if (s[0]) strcat(s, ", ");
    strcat(s, names[i].name);
    strcat(s, what);
  }
  if (got & POLLPRI) strcat(s, s[0] ? ", POLLPRI set (expected no)" : "POLLPRI set (expected no)");
  if (got & POLLNVAL) strcat(s, s[0] ? ", POLLNVAL set" : "POLLNVAL set");
  return s;
}

/* The sentence of man 2 poll about the first event `got` gets wrong. */
static const char *poll_rule_for(const struct want *w, unsigned got) {
  static const struct { unsigned bit; const char *rule; } rules[] = {
    {POLLIN, "man 2 poll: \"POLLIN There is data to read.\""},
    {POLLOUT, "man 2 poll: \"POLLOUT Writing is now possible, though a write larger than the "
              "available space in a socket or pipe will still block (unless O_NONBLOCK is "
              "set).\""},
    {POLLHUP, "man 2 poll: \"POLLHUP Hang up ... Note that when reading from a channel such as "
              "a pipe or a stream socket, this event merely indicates that the peer closed its "
              "end of the channel.\""},
    {POLLRDHUP, "man 2 poll: \"POLLRDHUP (since Linux 2.6.17) Stream socket peer closed "
                "connection, or shut down writing half of connection.\""},
    {POLLERR, "man 2 poll: \"POLLERR Error condition ... This bit is also set for a file "
              "descriptor referring to the write end of a pipe when the read end has been "
              "closed.\"; man 7 unix: ECONNRESET \"Remote socket was unexpectedly closed.\""}};
  size_t i;
  for (i = 0; i < sizeof rules / sizeof rules[0]; ++i) {
    if (((w->yes & rules[i].bit) && !(got & rules[i].bit)) ||
        ((w->no & rules[i].bit) && (got & rules[i].bit)))
      return rules[i].rule;
  }
  if (got & POLLPRI)
    return "man 2 poll: \"POLLPRI There is some exceptional condition on the file descriptor. "
           "Possibilities include: There is out-of-band data on a TCP socket (see tcp(7)).\" "
           "(no out-of-band data is ever sent here)";
  return RULE_POLL;
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A lagging Kind (TCP, UDP): what was sent reaches the other socket a little
   later; wait (at most 2 s) until every event expected "yes" is there. */
static void ready_lag_wait(const struct want *w, int n) {
  long deadline = now_ms() + 2000;
  int i;
  for (i = 0; i < n; ++i) {
    short want = (short)(w[i].yes & (POLLIN | POLLOUT | POLLRDHUP));
    short all = (short)(w[i].yes & (POLLIN | POLLOUT | POLLRDHUP | POLLHUP | POLLERR));
    while (all && now_ms() < deadline) {
      struct pollfd p;
      long left;
      p.fd = w[i].fd;
      p.events = want;
      p.revents = 0;
      if (poll(&p, 1, 0) < 0) setup_failed("poll");
      if ((p.revents & all) == all) break;
      left = deadline - now_ms();
      if ((p.revents & all) == 0)
        poll(&p, 1, left < 50 ? (int)(left > 0 ? left : 0) : 50);
      else
        sched_yield();
    }
  }
}

static void epoll_report(int ep, const struct want *w, int n, unsigned *ev, int *cnt) {
  struct epoll_event e[16];
  int k, i, r = epoll_wait(ep, e, 16, 0);
  if (r < 0) setup_failed("epoll_wait");
  for (i = 0; i < n; ++i) ev[i] = 0, cnt[i] = 0;
  for (k = 0; k < r; ++k)
    for (i = 0; i < n; ++i)
      if (e[k].data.fd == w[i].fd) ev[i] |= e[k].events, cnt[i]++;
}

/* Asks poll(2), select(2) and the three epoll instances (zero timeouts) about
   the descriptors, then checks each against what it must report. */
static void ready_check(const struct want *w, int n, int lag) {
  struct pollfd p[8];
  fd_set r, wr, x;
  struct timeval tv = {0, 0};
  unsigned lt[8], et[8], et2[8], os[8], os2[8];
  int lt_n[8], et_n[8], et2_n[8], os_n[8], os2_n[8];
  int i, maxfd = -1;
  char where[768];
  if (lag) ready_lag_wait(w, n);
  FD_ZERO(&r);
  FD_ZERO(&wr);
  FD_ZERO(&x);
  for (i = 0; i < n; ++i) {
    p[i].fd = w[i].fd;
    p[i].events = POLLIN | POLLOUT | POLLRDHUP | POLLPRI;
    p[i].revents = 0;
    FD_SET(w[i].fd, &r);
    FD_SET(w[i].fd, &wr);
    FD_SET(w[i].fd, &x);
    if (w[i].fd > maxfd) maxfd = w[i].fd;
  }
  if (poll(p, (nfds_t)n, 0) < 0) setup_failed("poll");
  if (select(maxfd + 1, &r, &wr, &x, &tv) < 0) setup_failed("select");
  epoll_report(ep_level, w, n, lt, lt_n);
  epoll_report(ep_edge, w, n, et, et_n);
  epoll_report(ep_edge, w, n, et2, et2_n);
  epoll_report(ep_oneshot, w, n, os, os_n);
  epoll_report(ep_oneshot, w, n, os2, os2_n);
  for (i = 0; i < n; ++i) {
    const struct want *c = &w[i];
    unsigned rev = (unsigned short)p[i].revents;
    const char *m;
    int sr = FD_ISSET(c->fd, &r) != 0, sw = FD_ISSET(c->fd, &wr) != 0, sx = FD_ISSET(c->fd, &x) != 0;
    int r_yes = (c->yes & (POLLIN | POLLHUP | POLLERR)) != 0;
    int r_no = (c->no & (POLLIN | POLLHUP | POLLERR)) == (POLLIN | POLLHUP | POLLERR);
    int w_yes = (c->yes & (POLLOUT | POLLERR)) != 0;
    int w_no = (c->no & (POLLOUT | POLLERR)) == (POLLOUT | POLLERR);
    snprintf(where, sizeof where, "the %s (fd %d) should report %s [%s]", c->name, c->fd,
             c->expect, c->cites);
    m = mismatch(c, rev);
    if (m[0]) broken(poll_rule_for(c, rev), "%s: poll(2) reports %s: %s", where, events_str(rev), m);
    if ((r_yes && !sr) || (r_no && sr) || (w_yes && !sw) || (w_no && sw) || sx)
      broken(RULE_SELECT,
             "%s: select(2) reports it %sreadable, %swritable, %sexceptional condition; "
             "expected readable %s, writable %s, no exceptional condition",
             where, sr ? "" : "not ", sw ? "" : "not ", sx ? "" : "no ",
             r_yes ? "yes" : r_no ? "no" : "either", w_yes ? "yes" : w_no ? "no" : "either");
    m = mismatch(c, lt[i]);
    if (m[0] || (lt_n[i] == 0 && c->yes))
      broken(RULE_LEVEL, "%s: level-triggered epoll_wait(2) reports %s: %s", where,
             lt_n[i] ? events_str(lt[i]) : "nothing", m[0] ? m : "an event is expected");
    if (c->edge >= EDGE_MUST_READY && et_n[i] == 0)
      broken(RULE_EDGE, "%s: edge-triggered epoll_wait(2) reports nothing, although the step %s",
             where, c->edge == EDGE_MUST_ARRIVAL ? "brought it a new arrival" : "made it ready");
    if (c->edge == EDGE_NONE && et_n[i] > 0 && !lag)
      broken(RULE_EDGE, "%s: edge-triggered epoll_wait(2) reports %s although nothing happened "
             "to it since the last wait", where, events_str(et[i]));
    if (et_n[i] > 0) {
      m = mismatch(c, et[i]);
      if (m[0])
        broken(RULE_EDGE, "%s: edge-triggered epoll_wait(2) reports %s: %s", where,
               events_str(et[i]), m);
    }
    if (et2_n[i] > 0)
      broken(RULE_EDGE, "%s: edge-triggered epoll_wait(2) reports %s a second time, with "
             "nothing done since it reported it", where, events_str(et2[i]));
    if ((os_n[i] == 0 && c->yes) || (os_n[i] > 0 && (c->no & EV5) == EV5))
      broken(RULE_ONESHOT "; " RULE_LEVEL, "%s: an armed EPOLLONESHOT epoll_wait(2) reports %s",
             where, os_n[i] ? events_str(os[i]) : "nothing");
    if (os_n[i] > 0) {
      struct epoll_event ev;
      m = mismatch(c, os[i]);
      if (m[0])
        broken(RULE_ONESHOT, "%s: EPOLLONESHOT epoll_wait(2) reports %s: %s", where,
               events_str(os[i]), m);
      if (os2_n[i] > 0)
        broken(RULE_ONESHOT, "%s: EPOLLONESHOT epoll_wait(2) reports %s again before "
               "EPOLL_CTL_MOD rearmed it", where, events_str(os2[i]));
      memset(&ev, 0, sizeof ev);
      ev.data.fd = c->fd;
      ev.events = WATCH_EVENTS | EPOLLONESHOT;
      if (epoll_ctl(ep_oneshot, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        setup_failed("epoll_ctl(MOD, EPOLLONESHOT)");
    }
  }
}
)C";

bool Matches(Tri t, bool got) { return t == Tri::kAny || (t == Tri::kYes) == got; }

Tri Or(Tri a, Tri b) {
  if (a == Tri::kYes || b == Tri::kYes) return Tri::kYes;
  if (a == Tri::kNo && b == Tri::kNo) return Tri::kNo;
  return Tri::kAny;
}

bool AnyYes(const Expect& e) {
  return e.in == Tri::kYes || e.out == Tri::kYes || e.hup == Tri::kYes ||
         e.rdhup == Tri::kYes || e.err == Tri::kYes;
}
bool AllNo(const Expect& e) {
  return e.in == Tri::kNo && e.out == Tri::kNo && e.hup == Tri::kNo && e.rdhup == Tri::kNo &&
         e.err == Tri::kNo;
}
bool BecameYes(Tri before, Tri now) { return before == Tri::kNo && now == Tri::kYes; }

// The first event whose expectation `got` breaks, or "".
std::string Mismatch(const Expect& e, uint32_t got) {
  std::string s;
  auto one = [&](Tri t, uint32_t bit, const char* name) {
    if (!Matches(t, (got & bit) != 0)) {
      s += std::string(s.empty() ? "" : ", ") + name + ((got & bit) ? " set" : " clear") +
           " (expected " + ToString(t) + ")";
    }
  };
  one(e.in, POLLIN, "POLLIN");
  one(e.out, POLLOUT, "POLLOUT");
  one(e.hup, POLLHUP, "POLLHUP");
  one(e.rdhup, POLLRDHUP, "POLLRDHUP");
  one(e.err, POLLERR, "POLLERR");
  if (got & POLLPRI) s += std::string(s.empty() ? "" : ", ") + "POLLPRI set (expected no)";
  if (got & POLLNVAL) s += std::string(s.empty() ? "" : ", ") + "POLLNVAL set";
  return s;
}

// One epoll_wait(2) with a zero timeout on instance `ep`: the events and the
// number of reports per watched descriptor. RC_FAILs on an error.
struct Reports {
  std::vector<uint32_t> events;
  std::vector<int> count;
};
Reports EpollReport(int ep, const std::vector<Watch>& ws, const char* what) {
  struct epoll_event evs[16];
  int n = epoll_wait(ep, evs, 16, 0);
  if (n < 0) RC_FAIL(std::string("epoll_wait(") + what + "): " + ErrnoName(errno));
  Reports r{std::vector<uint32_t>(ws.size(), 0), std::vector<int>(ws.size(), 0)};
  for (int k = 0; k < n; ++k) {
    for (size_t i = 0; i < ws.size(); ++i) {
      if (evs[k].data.fd == ws[i].fd) {
        r.events[i] |= evs[k].events;
        ++r.count[i];
      }
    }
  }
  return r;
}

}  // namespace

namespace readiness_repro {
void AddReadinessHelpers(repro::Recording& rec) {
  for (const char* h : {"<poll.h>", "<sched.h>", "<sys/epoll.h>", "<sys/select.h>", "<time.h>"}) {
    rec.Include(h);
  }
  static const std::string kHelper = [] {
    std::string defs = "/* The documented rules the checks hold the environment to. */\n";
    for (const auto& [name, text] : std::vector<std::pair<const char*, const char*>>{
             {"RULE_POLL", kPollRule},
             {"RULE_SELECT", kSelectRule},
             {"RULE_LEVEL", kLevelRule},
             {"RULE_EDGE", kEdgeRule},
             {"RULE_ONESHOT", kOneShotRule}}) {
      defs += std::string("#define ") + name + " \\\n  " + repro::Lit(text) + "\n";
    }
    return defs + kReadinessC;
  }();
  rec.Helper("readiness", kHelper);
}
}  // namespace readiness_repro

Tri TriOf(bool b) { return b ? Tri::kYes : Tri::kNo; }

const char* ToString(Tri t) {
  switch (t) {
    case Tri::kNo: return "no";
    case Tri::kYes: return "yes";
    case Tri::kAny: return "either";
  }
  return "?";
}

std::string Expect::ToString() const {
  std::string s;
  auto one = [&](Tri t, const char* name) {
    if (t == Tri::kNo) return;
    s += std::string(s.empty() ? "" : " ") + name + (t == Tri::kAny ? "?" : "");
  };
  one(in, "POLLIN");
  one(out, "POLLOUT");
  one(hup, "POLLHUP");
  one(rdhup, "POLLRDHUP");
  one(err, "POLLERR");
  return s.empty() ? "nothing" : s;
}

std::string PollEventsToString(uint32_t ev) {
  std::string s;
  auto one = [&](uint32_t bit, const char* name) {
    if (ev & bit) s += std::string(s.empty() ? "" : "|") + name;
  };
  one(POLLIN, "POLLIN");
  one(POLLPRI, "POLLPRI");
  one(POLLOUT, "POLLOUT");
  one(POLLRDHUP, "POLLRDHUP");
  one(POLLERR, "POLLERR");
  one(POLLHUP, "POLLHUP");
  one(POLLNVAL, "POLLNVAL");
  return s.empty() ? "nothing" : s;
}

ReadinessChecker::ReadinessChecker(std::vector<Watch> watches)
    : watches_(std::move(watches)), forgotten_(watches_.size(), false),
      last_(watches_.size()) {
  level_.reset(epoll_create1(EPOLL_CLOEXEC));
  edge_.reset(epoll_create1(EPOLL_CLOEXEC));
  oneshot_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!level_.valid() || !edge_.valid() || !oneshot_.valid()) {
    RC_FAIL("epoll_create1: " + ErrnoName(errno));
  }
  for (const auto& w : watches_) {
    struct epoll_event ev = {};
    ev.data.fd = w.fd;
    ev.events = kWatchEvents;
    if (epoll_ctl(level_.get(), EPOLL_CTL_ADD, w.fd, &ev) != 0) {
      RC_FAIL("epoll_ctl(ADD, " + w.name + "): " + ErrnoName(errno));
    }
    ev.events = kWatchEvents | EPOLLET;
    if (epoll_ctl(edge_.get(), EPOLL_CTL_ADD, w.fd, &ev) != 0) {
      RC_FAIL("epoll_ctl(ADD, EPOLLET, " + w.name + "): " + ErrnoName(errno));
    }
    ev.events = kWatchEvents | EPOLLONESHOT;
    if (epoll_ctl(oneshot_.get(), EPOLL_CTL_ADD, w.fd, &ev) != 0) {
      RC_FAIL("epoll_ctl(ADD, EPOLLONESHOT, " + w.name + "): " + ErrnoName(errno));
    }
  }
  if (auto* rec = repro::Active()) {
    std::string code = "ready_open();\n";
    for (const auto& w : watches_) {
      if (w.c_fd.empty()) {
        rec->Unprintable("the " + w.name + " of this readiness model has no name in C");
        return;
      }
      code += "ready_watch(" + w.c_fd + ");  /* the " + w.name + " */\n";
    }
    readiness_repro::AddReadinessHelpers(*rec);
    rec->Step("epoll_create1(2): a level-triggered, an edge-triggered (EPOLLET) and an "
              "EPOLLONESHOT instance, each holding every descriptor (EPOLL_CTL_ADD)",
              code);
  }
}

ReadinessChecker::~ReadinessChecker() = default;

void ReadinessChecker::Forget(size_t i) {
  if (forgotten_[i]) return;
  forgotten_[i] = true;
  for (int ep : {level_.get(), edge_.get(), oneshot_.get()}) {
    epoll_ctl(ep, EPOLL_CTL_DEL, watches_[i].fd, nullptr);
  }
}

void ReadinessChecker::Check(const std::vector<Expect>& expect, const std::vector<Edge>& edges,
                             const std::string& step, bool lag) {
  // A lagging Kind: wait (with a deadline) until every event expected "yes"
  // is there. poll(2) consumes nothing, so the edge-triggered instance still
  // holds whatever the arrivals queued.
  if (lag) {
    Deadline d = Deadline::In(std::chrono::seconds(2));
    for (size_t i = 0; i < watches_.size(); ++i) {
      if (forgotten_[i]) continue;
      const Expect& e = expect[i];
      short want = (e.in == Tri::kYes ? POLLIN : 0) | (e.out == Tri::kYes ? POLLOUT : 0) |
                   (e.rdhup == Tri::kYes ? POLLRDHUP : 0);
      short always = (e.hup == Tri::kYes ? POLLHUP : 0) | (e.err == Tri::kYes ? POLLERR : 0);
      const short all = static_cast<short>(want | always);
      while (all && !d.Expired()) {
        struct pollfd p = {watches_[i].fd, want, 0};
        if (poll(&p, 1, 0) < 0) RC_FAIL("poll(" + watches_[i].name + "): " + ErrnoName(errno));
        if ((p.revents & all) == all) break;
        // The arrival is carried by the network stack: wait for it, or give
        // it the CPU when part of it is there.
        if ((p.revents & all) == 0) {
          poll(&p, 1, std::min(d.RemainingMs(), 50));
        } else {
          sched_yield();
        }
      }
    }
  }

  // poll(2): all descriptors in one call.
  std::vector<struct pollfd> pfds;
  std::vector<size_t> index;
  fd_set r, w, x;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_ZERO(&x);
  int maxfd = -1;
  for (size_t i = 0; i < watches_.size(); ++i) {
    if (forgotten_[i]) continue;
    int fd = watches_[i].fd;
    pfds.push_back({fd, static_cast<short>(POLLIN | POLLOUT | POLLRDHUP | POLLPRI), 0});
    index.push_back(i);
    FD_SET(fd, &r);
    FD_SET(fd, &w);
    FD_SET(fd, &x);
    maxfd = std::max(maxfd, fd);
  }
  if (pfds.empty()) return;
  if (auto* rec = repro::Active()) {
    std::string code = "{\n  const struct want w[] = {\n";
    for (size_t k = 0; k < index.size(); ++k) {
      const size_t i = index[k];
      const Edge need = Need(i, expect[i], edges[i]);
      const int n = need == Edge::kNone ? 0
                    : need == Edge::kMay ? 1
                    : edges[i] == Edge::kMust ? 3 : 2;
      code += "    " + readiness_repro::Want(watches_[i].name, watches_[i].c_fd, expect[i], n) +
              ",\n";
    }
    code += "  };\n  ready_check(w, " + std::to_string(index.size()) + ", " + (lag ? "1" : "0") +
            ");\n}\n";
    std::string title = step;
    const size_t semi = title.rfind("; ");
    if (title.rfind("the steps [", 0) == 0 && semi != std::string::npos && title.back() == ']') {
      title = title.substr(semi + 2, title.size() - semi - 3);
    }
    rec->Step("poll(2), select(2), epoll_wait(2) after " + title, code,
              "poll(2), select(2) and epoll_wait(2) with a zero timeout return at once");
  }
  if (poll(pfds.data(), pfds.size(), 0) < 0) RC_FAIL("poll: " + ErrnoName(errno));
  struct timeval tv = {0, 0};
  if (select(maxfd + 1, &r, &w, &x, &tv) < 0) RC_FAIL("select: " + ErrnoName(errno));
  // Each epoll instance is asked once for every descriptor (a wait reports
  // them all, and an edge-triggered or one-shot report is consumed).
  Reports lt = EpollReport(level_.get(), watches_, "level-triggered");
  Reports et = EpollReport(edge_.get(), watches_, "EPOLLET");
  // The ends are asked for their descriptors, as a program holding only the
  // ends does before waiting again; each must still be the one registered.
  for (size_t i = 0; i < watches_.size(); ++i) {
    if (forgotten_[i] || !watches_[i].fd_now) continue;
    int now = watches_[i].fd_now();
    if (now != watches_[i].fd) {
      RC_FAIL("after " + step + ", the " + watches_[i].name + " names descriptor " +
              std::to_string(now) + ", not " + std::to_string(watches_[i].fd));
    }
  }
  Reports et2 = EpollReport(edge_.get(), watches_, "EPOLLET, again");
  Reports os = EpollReport(oneshot_.get(), watches_, "EPOLLONESHOT");
  Reports os2 = EpollReport(oneshot_.get(), watches_, "EPOLLONESHOT, disarmed");
  for (size_t k = 0; k < pfds.size(); ++k) {
    size_t i = index[k];
    int fd = watches_[i].fd;
    CheckOne(i, expect[i], edges[i], step, lag, pfds[k].revents, FD_ISSET(fd, &r) != 0,
             FD_ISSET(fd, &w) != 0, FD_ISSET(fd, &x) != 0, lt.events[i], lt.count[i],
             et.events[i], et.count[i], et2.events[i], et2.count[i], os.events[i],
             os.count[i], os2.events[i], os2.count[i]);
  }
  for (size_t i = 0; i < watches_.size(); ++i) last_[i] = expect[i];
  first_ = false;
}

Edge ReadinessChecker::Need(size_t i, const Expect& e, Edge edge) const {
  Edge need = edge;
  if (first_ && AnyYes(e)) need = Edge::kMust;  // EPOLL_CTL_ADD of a ready descriptor
  if (!first_) {
    const Expect& b = last_[i];
    if (BecameYes(b.in, e.in) || BecameYes(b.out, e.out) || BecameYes(b.hup, e.hup) ||
        BecameYes(b.rdhup, e.rdhup) || BecameYes(b.err, e.err)) {
      need = Edge::kMust;
    }
  }
  // An edge can only be reported for events that are there: a "must" with
  // nothing expected set (the events that changed are "either") is a "may".
  if (need == Edge::kMust && !AnyYes(e)) need = Edge::kMay;
  return need;
}

void ReadinessChecker::CheckOne(size_t i, const Expect& e, Edge edge, const std::string& step,
                                bool lag, short revents, bool sel_r, bool sel_w, bool sel_x,
                                uint32_t lt, int lt_n, uint32_t et, int et_n, uint32_t et2,
                                int et2_n, uint32_t os, int os_n, uint32_t os2, int os2_n) {
  const Watch& wt = watches_[i];
  const std::string where = "after " + step + ", the " + wt.name + " (fd " +
                            std::to_string(wt.fd) + ") should report " + e.ToString() +
                            (e.cites.empty() ? "" : " [" + e.cites + "]") + ": ";
  // poll(2).
  std::string m = Mismatch(e, static_cast<uint16_t>(revents));
  if (!m.empty()) {
    RC_FAIL(where + "poll(2) reports " + PollEventsToString(static_cast<uint16_t>(revents)) +
            ": " + m + " (" + kPollRule + ")");
  }
  // select(2).
  const Tri want_r = Or(Or(e.in, e.hup), e.err);
  const Tri want_w = Or(e.out, e.err);
  if (!Matches(want_r, sel_r) || !Matches(want_w, sel_w) || sel_x) {
    RC_FAIL(where + "select(2) reports it " + (sel_r ? "" : "not ") + "readable, " +
            (sel_w ? "" : "not ") + "writable, " + (sel_x ? "" : "no ") +
            "exceptional condition; expected readable " + ToString(want_r) + ", writable " +
            ToString(want_w) + ", no exceptional condition (" + kSelectRule + ")");
  }
  // epoll, level-triggered: the same as poll(2).
  int count = lt_n;
  uint32_t got = lt;
  m = Mismatch(e, got);
  if (!m.empty() || (count == 0 && AnyYes(e))) {
    RC_FAIL(where + "level-triggered epoll_wait(2) reports " +
            (count ? PollEventsToString(got) : std::string("nothing")) + ": " +
            (m.empty() ? "an event is expected" : m) + " (" + kLevelRule + ")");
  }
  // epoll, edge-triggered.
  got = et;
  count = et_n;
  const Edge need = Need(i, e, edge);
  if (need == Edge::kMust && count == 0) {
    RC_FAIL(where + "edge-triggered epoll_wait(2) reports nothing, although the step " +
            (edge == Edge::kMust ? "brought it a new arrival" : "made it ready") + " (" +
            kEdgeRule + ")");
  }
  if (need == Edge::kNone && count > 0 && !lag) {
    RC_FAIL(where + "edge-triggered epoll_wait(2) reports " + PollEventsToString(got) +
            " although nothing happened to it since the last wait (" + kEdgeRule + ")");
  }
  if (count > 0) {
    m = Mismatch(e, got);
    if (!m.empty()) {
      RC_FAIL(where + "edge-triggered epoll_wait(2) reports " + PollEventsToString(got) + ": " +
              m + " (" + kEdgeRule + ")");
    }
  }
  // Asked again, with nothing done in between: nothing.
  if (et2_n > 0) {
    RC_FAIL(where + "edge-triggered epoll_wait(2) reports " + PollEventsToString(et2) +
            " a second time, with nothing done since it reported it (" + kEdgeRule + ")");
  }
  // EPOLLONESHOT: reports a ready descriptor once, then it is disarmed.
  got = os;
  count = os_n;
  if ((count == 0 && AnyYes(e)) || (count > 0 && AllNo(e))) {
    RC_FAIL(where + "an armed EPOLLONESHOT epoll_wait(2) reports " +
            (count ? PollEventsToString(got) : std::string("nothing")) + " (" + kOneShotRule +
            "; " + kLevelRule + ")");
  }
  if (count > 0) {
    m = Mismatch(e, got);
    if (!m.empty()) {
      RC_FAIL(where + "EPOLLONESHOT epoll_wait(2) reports " + PollEventsToString(got) + ": " + m +
              " (" + kOneShotRule + ")");
    }
    if (os2_n > 0) {
      RC_FAIL(where + "EPOLLONESHOT epoll_wait(2) reports " + PollEventsToString(os2) +
              " again before EPOLL_CTL_MOD rearmed it (" + kOneShotRule + ")");
    }
    struct epoll_event ev = {};
    ev.data.fd = wt.fd;
    ev.events = kWatchEvents | EPOLLONESHOT;
    if (epoll_ctl(oneshot_.get(), EPOLL_CTL_MOD, wt.fd, &ev) != 0) {
      RC_FAIL("epoll_ctl(MOD, EPOLLONESHOT, " + wt.name + "): " + ErrnoName(errno));
    }
  }
}

const char* ToString(WaitCall c) {
  switch (c) {
    case WaitCall::kPoll: return "poll(2)";
    case WaitCall::kSelect: return "select(2)";
    case WaitCall::kEpoll: return "epoll_wait(2)";
  }
  return "?";
}

std::vector<long> WaitSyscalls(WaitCall c) {
  switch (c) {
    case WaitCall::kPoll: return {SYS_poll, SYS_ppoll};
    case WaitCall::kSelect: return {SYS_select, SYS_pselect6};
    case WaitCall::kEpoll: return {SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2};
  }
  return {};
}

WaitInThread::WaitInThread(WaitCall call, int fd, short events, int timeout_ms, bool exclusive)
    : call_(call), fd_(fd), events_(events), timeout_ms_(timeout_ms), exclusive_(exclusive) {
  poke_.reset(eventfd(0, EFD_CLOEXEC));
  if (!poke_.valid()) {
    err_ = errno;
    ret_ = -1;
    done_ = true;
    return;
  }
  if (call_ == WaitCall::kEpoll) {
    ep_.reset(epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev = {};
    ev.data.fd = fd_;
    ev.events = static_cast<uint16_t>(events_) |
                (exclusive_ ? static_cast<uint32_t>(EPOLLEXCLUSIVE) : 0u);
    struct epoll_event pe = {};
    pe.data.fd = poke_.get();
    pe.events = EPOLLIN;
    if (!ep_.valid() || epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd_, &ev) != 0 ||
        epoll_ctl(ep_.get(), EPOLL_CTL_ADD, poke_.get(), &pe) != 0) {
      err_ = errno;
      ret_ = -1;
      done_ = true;
      return;
    }
  }
  thread_ = std::thread([this] { Run(); });
}

WaitInThread::~WaitInThread() {
  if (thread_.joinable()) {
    Release();
    thread_.join();
  }
}

// The waiter also waits on its own eventfd, which Release() makes readable:
// so that a waiter the event failed to wake ends at once.
void WaitInThread::Run() {
  tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  switch (call_) {
    case WaitCall::kPoll: {
      struct pollfd p[2] = {{fd_, events_, 0}, {poke_.get(), POLLIN, 0}};
      ret_ = poll(p, 2, timeout_ms_);
      err_ = errno;
      revents_ = static_cast<uint16_t>(p[0].revents);
      break;
    }
    case WaitCall::kSelect: {
      fd_set r, w;
      FD_ZERO(&r);
      FD_ZERO(&w);
      if (events_ & POLLIN) FD_SET(fd_, &r);
      if (events_ & POLLOUT) FD_SET(fd_, &w);
      FD_SET(poke_.get(), &r);
      struct timeval tv = {timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
      ret_ = select(std::max(fd_, poke_.get()) + 1, &r, &w, nullptr, &tv);
      err_ = errno;
      if (ret_ > 0) {
        revents_ = ((events_ & POLLIN) && FD_ISSET(fd_, &r) ? POLLIN : 0) |
                   ((events_ & POLLOUT) && FD_ISSET(fd_, &w) ? POLLOUT : 0);
      }
      break;
    }
    case WaitCall::kEpoll: {
      struct epoll_event ev[2] = {};
      ret_ = epoll_wait(ep_.get(), ev, 2, timeout_ms_);
      err_ = errno;
      for (int i = 0; i < ret_; ++i) {
        if (ev[i].data.fd == fd_) revents_ |= ev[i].events;
      }
      break;
    }
  }
  done_ = true;
}

bool WaitInThread::WokenNow(bool lag) {
  // Without /proc/PID/syscall (gVisor: blocked.h's degraded mode) the
  // scheduler state is not read as exactly: wait for the waiter to return.
  if (lag || BlockedDetection() != "state+syscall") {
    PollUntil([this] { return done_.load(); }, Deadline::In(std::chrono::milliseconds(timeout_ms_)));
    return done_.load();
  }
  // The wake-up is made before the call that makes the event returns: a
  // waiter it woke is runnable, running or done; one it did not still
  // sleeps in its call.
  return !SleepsNow();
}

bool WaitInThread::SleepsNow() {
  if (done_) return false;
  auto snap = SnapshotTask(tid_.load());
  if (!snap.ok()) return false;  // the thread is gone: it returned
  if (snap.value().state != 'S') return false;
  if (snap.value().syscall_nr) {
    std::vector<long> calls = WaitSyscalls(call_);
    if (std::find(calls.begin(), calls.end(), *snap.value().syscall_nr) == calls.end()) {
      return false;
    }
  }
  return !done_.load();
}

PosixErrorOr<pid_t> WaitInThread::Tid() {
  Deadline d = Deadline::In(std::chrono::seconds(2));
  if (!PollUntil([this] { return tid_.load() != 0 || done_.load(); }, d)) {
    return PosixError(ETIMEDOUT, "the waiter thread did not start");
  }
  if (tid_.load() == 0) return PosixError(err_ ? err_ : EINVAL, "the waiter could not start");
  return tid_.load();
}

void WaitInThread::Join() {
  if (thread_.joinable()) thread_.join();
}

void WaitInThread::Release() {
  if (!poke_.valid()) return;
  uint64_t one = 1;
  if (write(poke_.get(), &one, sizeof one) != sizeof one) {
  }
}

std::string WaitInThread::Describe() const {
  return std::string(ToString(call_)) + " for " + PollEventsToString(static_cast<uint16_t>(events_)) +
         (exclusive_ ? " with EPOLLEXCLUSIVE" : "");
}

}  // namespace ipcspec

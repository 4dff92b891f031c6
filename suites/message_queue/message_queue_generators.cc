#include "suites/message_queue/message_queue_generators.h"

#include "impl/repro/repro.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "rapidcheck/state.h"
#include "suites/message_queue/message_queue_blocking.h"

namespace ipcspec {
namespace message_queue_internal {

long GenTag(const Model& m, const Mix& mix, bool allow_bad) {
  const MessageQueueCaps& c = m.caps();
  int k = Uniform(0, 100);
  if (allow_bad && mix.bad_inputs && k >= 95) {
    if (c.max_tag < LONG_MAX && k >= 98) return c.max_tag + 1;
    return c.min_tag - 1 - Uniform<long>(0, 2);
  }
  long small_top = std::min(c.max_tag, c.min_tag + 4);
  if (mix.few_tags || k < 70) return Uniform(c.min_tag, small_top + 1);
  if (k < 88) return Uniform(c.min_tag, std::min(c.max_tag, c.min_tag + 40000) + 1);
  return c.max_tag;
}

namespace {

size_t GenSize(const Model& m, const Mix& mix) {
  const MessageQueueCaps& c = m.caps();
  size_t max = m.limits().max_message;
  size_t fit = max;
  if (c.limits_bytes) fit = std::min(fit, m.limits().max_bytes);
  size_t free = c.limits_bytes ? m.limits().max_bytes - std::min(m.bytes, m.limits().max_bytes)
                               : fit;
  free = std::min(free, fit);
  int k = Uniform(0, 100);
  if (mix.fill) {
    if (k < 30) return 0;
    if (k < 55) return free;
  }
  if (k < 15) return 0;
  if (k < 55) return Uniform<size_t>(1, std::min<size_t>(fit, 8) + 1);
  if (k < 75) return Uniform<size_t>(0, fit + 1);
  if (k < 83) return fit;
  if (k < 92) return free;
  if (mix.bad_inputs && c.enforces_max_message && k >= 96) return max + 1;
  return Uniform<size_t>(0, std::min<size_t>(fit, 4) + 1);
}

MqWait::Mode GenMode(const Model& m, const Mix& mix, bool would_block, bool may_block = true) {
  if (!mix.waits) return MqWait::Mode::kNonBlock;
  int k = Uniform(0, 100);
  bool timed = m.caps().timed;
  if (k < 40) return MqWait::Mode::kNonBlock;
  if (k < 70 || !timed) {
    // A blocking call only where the model says it will not block (or where
    // the descriptor is O_NONBLOCK and it fails at once).
    if ((would_block || !may_block) && !m.caps().nonblocking_by_default) {
      return timed ? MqWait::Mode::kTimed : MqWait::Mode::kNonBlock;
    }
    return MqWait::Mode::kBlock;
  }
  return MqWait::Mode::kTimed;
}

Timeout GenTimeout(const Model& m, MqWait::Mode mode, bool would_block, bool invalid_ok) {
  if (mode != MqWait::Mode::kTimed) return Timeout::kNone;
  int k = Uniform(0, 100);
  if (k < 15 && would_block && invalid_ok && !m.caps().nonblocking_by_default &&
      m.caps().invalid_timeout_checked) {
    return Timeout::kInvalid;
  }
  return k < 80 ? Timeout::kPast : Timeout::kSoon;
}

std::shared_ptr<const MqCommand> GenSend(const Model& m, const Mix& mix) {
  long tag = GenTag(m, mix, true);
  size_t size = GenSize(m, mix);
  bool valid = tag >= m.caps().min_tag && tag <= m.caps().max_tag && size <= m.limits().max_message;
  bool would_block = valid && !m.Fits(size);
  MqWait::Mode mode = GenMode(m, mix, would_block);
  Timeout t = GenTimeout(m, mode, would_block, valid);
  return MakeSend(tag, size, m.next_stamp, mode, t);
}

std::shared_ptr<const MqCommand> GenReceive(const Model& m, const Mix& mix) {
  const MessageQueueCaps& c = m.caps();
  MqReceiveOptions o;
  if (c.type_selection && mix.types) {
    int k = Uniform(0, 100);
    // Often a type the queue holds, so that selections find something.
    long t = m.queue.empty() || k % 2 ? Uniform<long>(1, 6)
                                      : m.queue[Uniform<size_t>(0, m.queue.size())].tag;
    if (t <= 0 || t == LONG_MIN) t = 1;
    if (k < 30) {
      o.type = 0;
    } else if (k < 60) {
      o.type = t;
    } else if (k < 80) {
      o.type = -t;
    } else {
      o.type = t;
      o.except = true;
    }
  }
  std::optional<size_t> next = m.Select(o);
  size_t max = m.limits().max_message;
  if (mix.buffers) {
    int k = Uniform(0, 100);
    if (c.buffer_must_cover_max_message) {
      if (k >= 60 && k < 75) o.buffer = max - std::min<size_t>(max, 1 + (k % 3));
      if (k >= 75 && k < 85) o.buffer = max;
      if (k >= 85) o.buffer = max + static_cast<size_t>(k % 5) * 8;
    } else if (k >= 40) {
      size_t n = next ? m.queue[*next].size : 0;
      if (k < 55) o.buffer = n;
      else if (k < 75) o.buffer = n > 0 ? n - 1 : 0;
      else if (k < 85) o.buffer = 0;
      else o.buffer = Uniform<size_t>(0, std::min<size_t>(max, 16) + 1);
    }
    if (c.truncate_option && Uniform(0, 100) < 40) o.truncate = true;
  }
  bool would_block =
      !next.has_value() && !(c.buffer_must_cover_max_message && o.buffer && *o.buffer < max);
  // A blocking receive only without type selection: the counters checked
  // before it then prove that it will not block, even on a Kind whose
  // selection is wrong (which would otherwise hang until the Watchdog on
  // every shrinking step). A blocking receive by type is checked by the
  // forked BlockedCallsWake command (the child waits for its type).
  MqWait::Mode mode = GenMode(m, mix, would_block, o.type == 0);
  Timeout t = GenTimeout(m, mode, would_block, !o.buffer);
  if (c.asynchronous_delivery && next.has_value()) {
    // The message may still be in flight: wait for it (the model says it
    // comes; the Watchdog fails a receive that waits too long).
    mode = MqWait::Mode::kBlock;
    t = Timeout::kNone;
  }
  return MakeReceive(o, mode, t);
}

}  // namespace

rc::Gen<std::shared_ptr<const MqCommand>> GenCommand(const Model& m, const Mix& mix) {
  return rc::gen::exec([m, mix]() -> std::shared_ptr<const MqCommand> {
    const MessageQueueCaps& c = m.caps();
    bool blocked_ok = mix.blocked > 0 && m.forks_left > 0 && c.fork_shares &&
                      !c.nonblocking_by_default;
    int blocked = blocked_ok ? mix.blocked : 0;
    int k = Uniform(0, mix.send + mix.receive + mix.status + blocked);
    if (k < mix.send) return GenSend(m, mix);
    k -= mix.send;
    if (k < mix.receive) return GenReceive(m, mix);
    k -= mix.receive;
    if (k < mix.status) return MakeStatus();
    if (auto b = GenBlocked(m, mix)) return b;
    return GenSend(m, mix);
  });
}

// ---------------------------------------------------------------------------
// Running.

PropertyOutcome RunModel(const MessageQueueKind& kind, const Mix& mix, Coverage* coverage,
                         int max_cases) {
  PropertyOutcome o = RunProperty(CurrentTestId(), repro::Recorded([&kind, mix, coverage] {
    std::optional<Coverage::Case> counted;
    if (coverage) counted.emplace(*coverage);
    auto inst = kind.Open();
    if (!inst.ok()) RC_FAIL("open a " + kind.name + " queue: " + inst.error().ToString());
    const bool sysv = kind.mechanism == "sysv_msg";
    if (sysv) {
      SysvMsgReproPrelude();
    } else {
      MqReproPrelude();
    }
    MessageQueue& q = *inst.value();
    auto st = q.Status();
    if (!st.ok()) RC_FAIL("Status() of a new queue: " + st.error().ToString());
    auto setup = std::make_shared<Setup>();
    setup->caps = kind.caps;
    setup->limits = st.value();
    setup->sysv = sysv;
    RC_LOG() << kind.name << ": " << q.Describe() << ", " << st.value().ToString() << "\n";
    Model m0;
    m0.setup = setup;
    auto gen = [mix](const Model& m) { return GenCommand(m, mix); };
    if (mix.blocked == 0) {
      rc::state::check(m0, q, gen);
      return;
    }
    // A random prefix with no fork, then one forked blocked call at a limit
    // (GenBlockedEnding): every case forks once and blocks.
    const MqCommands prefix = *rc::state::gen::commands(m0, gen);
    rc::state::runAll(prefix, m0, q);
    Model m = m0;
    rc::state::applyAll(prefix, m);
    m.forks_left = 1;
    const MqCommands ending = *GenBlockedEnding(m, mix);
    rc::state::runAll(ending, m, q);
  }),
  // BlockedCallsWake forks in every case, so each shrinking step would fork
  // again: its counterexample is reported unshrunk (as RunForkingProperty
  // does), which keeps the selftest's mutants cheap.
  max_cases, /*shrink=*/mix.blocked == 0);
  return coverage ? coverage->Judge(o) : o;
}

}  // namespace message_queue_internal
}  // namespace ipcspec

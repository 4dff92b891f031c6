// The readiness suite: what poll(2), select(2) and epoll(7) report for the
// descriptor of every descriptor-based Kind, against a model of what the
// descriptor holds. One model and set of properties per interface family,
// each run against every Kind of that interface (a Kind whose instance
// exposes no descriptor is "not applicable").
//
// Properties (the same four for every family; gtest names drop the
// "Readiness" prefix: Kinds/StreamReadiness.ModelSequences/pipe):
// "ReadinessModelSequences": random steps (writes, reads, fills, drains, closes, sends,
//   receives, adds, takes, signals, and "nothing": poll again); after every
//   step, poll, select, level-triggered, edge-triggered and EPOLLONESHOT epoll
//   agree with the model (suites/readiness/readiness_check.h).
// "ReadinessWaiterWakes": a thread blocked in poll(2), in select(2), in epoll_wait(2)
//   (seen asleep in it) on a descriptor that is not ready wakes when the
//   event that makes it readable happens, and reports it readable; and a
//   waiter for POLLOUT on a descriptor with no room (a filled pipe or Unix
//   stream, an eventfd at its maximum, a full POSIX queue) wakes when room
//   is made.
// "ReadinessExclusiveWakesOne": three threads blocked in epoll_wait(2) on three epoll
//   instances that hold the descriptor with EPOLLEXCLUSIVE: one event wakes
//   one of them.
// "ReadinessHangupWaiter": a thread waiting for POLLRDHUP alone (no POLLIN) sleeps
//   through an arrival of data and wakes on the hangup (streams, and
//   connection-oriented datagram Kinds; others: not applicable).
#pragma once

#include <vector>

#include "impl/api/byte_stream.h"
#include "impl/api/counter.h"
#include "impl/api/datagram.h"
#include "impl/api/message_queue.h"
#include "impl/api/signal_queue.h"
#include "suites/common/suite.h"

namespace ipcspec {

const std::vector<SuiteProperty<ByteStreamInterface>>& StreamReadinessProperties();
const std::vector<SuiteProperty<DatagramInterface>>& DatagramReadinessProperties();
const std::vector<SuiteProperty<CounterInterface>>& CounterReadinessProperties();
const std::vector<SuiteProperty<SignalQueueInterface>>& SignalQueueReadinessProperties();
const std::vector<SuiteProperty<MessageQueueInterface>>& MessageQueueReadinessProperties();

}  // namespace ipcspec

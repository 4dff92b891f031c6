// The non-blocking operations of every interface that has them, as suite
// properties (suites/common/suite.h): a non-blocking call that cannot proceed
// (an empty stream, queue or counter, a full one, a held lock, a semaphore at
// zero, no pending signal) fails with its documented errno at once and never
// sleeps (suites/nonblocking/never_sleeps.h says how that is measured).
//
// Run against every reference Kind by nonblocking_kinds_test, and against
// the mutants of impl/mutants/nonblocking (which wait before they fail) by
// suites/selftest/nonblocking.
#pragma once

#include <vector>

#include "impl/api/byte_stream.h"
#include "impl/api/counter.h"
#include "impl/api/datagram.h"
#include "impl/api/lock.h"
#include "impl/api/message_queue.h"
#include "impl/api/semaphore.h"
#include "impl/api/signal_queue.h"
#include "suites/common/suite.h"

namespace ipcspec {

const std::vector<SuiteProperty<ByteStreamInterface>>& ByteStreamNonBlockingProperties();
const std::vector<SuiteProperty<CounterInterface>>& CounterNonBlockingProperties();
const std::vector<SuiteProperty<DatagramInterface>>& DatagramNonBlockingProperties();
const std::vector<SuiteProperty<MessageQueueInterface>>& MessageQueueNonBlockingProperties();
const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreNonBlockingProperties();
const std::vector<SuiteProperty<LockInterface>>& LockNonBlockingProperties();
const std::vector<SuiteProperty<SignalQueueInterface>>& SignalQueueNonBlockingProperties();

}  // namespace ipcspec

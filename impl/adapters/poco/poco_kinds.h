// The capabilities of the POCO Kinds (registered by poco_*.cc), for the
// mutants that break them (selftest/poco_mutants.cc): a mutant claims its base
// Kind's caps, which static initialisation order does not let it read from
// the registry.
#pragma once

#include "impl/api/byte_stream.h"
#include "impl/api/lock.h"
#include "impl/api/semaphore.h"
#include "impl/api/shared_region.h"

namespace ipcspec {
namespace poco {

LockCaps NamedMutexCaps();          // poco_named_mutex
SemaphoreCaps NamedEventCaps();     // poco_named_event
SharedRegionCaps ShmCaps();         // poco_shared_memory
SharedRegionCaps FileCaps();        // poco_shared_memory_file
ByteStreamCaps PipeCaps();          // poco_pipe
ByteStreamCaps ProcessPipeCaps();   // poco_process_pipe

}  // namespace poco
}  // namespace ipcspec

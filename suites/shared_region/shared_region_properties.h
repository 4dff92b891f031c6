// The SharedRegion suite: model-based properties every SharedRegion Kind must
// have, checked against a plain byte array.
//
//   AttachmentsAlias        several attachments in one process are the same
//                           bytes (state machine: attach, detach, write, read)
//   CrossProcessSharing     what a child writes through its own attachment the
//                           parent reads through its own, and the other way
//                           (state machine; one long-lived child per run)
//   SizeAndRounding         the reported size and the mapped length follow the
//                           documented rounding; a new region reads as zeros
//   RemoveKeepsAttachments  removing the handle leaves existing attachments
//                           working and shared
//   AttachByHandle          a process with only the handle (id, name, path)
//                           attaches the same bytes (Kinds reachable by name)
//   OutlivesItsCreator      the region, its size and bytes survive the exit of
//                           the process that made it (kernel / filesystem
//                           persistence)
//
// suites/shared_region/shared_region_test.cc runs them against every Kind;
// suites/selftest/shared_region runs them against the mutants.
#pragma once

#include <vector>

#include "impl/api/shared_region.h"
#include "suites/common/suite.h"

namespace ipcspec {

const std::vector<SuiteProperty<SharedRegionInterface>>& SharedRegionProperties();

}  // namespace ipcspec

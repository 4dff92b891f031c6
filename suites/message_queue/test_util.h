// Helpers for the message queue mechanism suites: privilege checks and /proc
// numbers live in impl/core/privilege.h.
#pragma once

#include "impl/core/privilege.h"

namespace ipcspec {

inline bool HasCapability(int cap) { return HasEffectiveCapability(cap); }

}  // namespace ipcspec

// Running one property against one Kind in a child process, with a deadline.
//
// External libraries' Kinds (Kind::library set) run this way, and so does
// every Kind when IPCSPEC_ISOLATE=1: a Kind that crashes, throws or hangs
// fails that one property, with the reason, and the binary goes on with the
// next property and the next Kind.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "impl/core/property.h"

namespace ipcspec {

struct IsolatedOutcome {
  enum class Status { kPassed, kFailed, kSkipped };
  Status status = Status::kFailed;
  PropertyOutcome outcome;  // passed/cases/message as the child reported them
  std::string skip_message;
};

// The deadline of one isolated property: IPCSPEC_PROPERTY_DEADLINE seconds
// (default 60), scaled by IPCSPEC_TIMEOUT_SCALE.
std::chrono::milliseconds IsolatedPropertyDeadline();

// True when IPCSPEC_ISOLATE=1 asks for every Kind to run isolated.
bool IsolateEveryKind();

// Forks; the child runs body() and sends back its outcome, plus every gtest
// failure or skip that body() recorded, plus a C++ exception that escaped it.
// The parent waits at most `deadline`: a child that has not finished by then
// is killed and the outcome says so; a child that dies by a signal or exits
// without reporting fails with its wait status.
IsolatedOutcome RunIsolated(const std::function<PropertyOutcome()>& body,
                            std::chrono::milliseconds deadline);

}  // namespace ipcspec

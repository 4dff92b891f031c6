#include "impl/api/semaphore.h"

namespace ipcspec {

const char* ToString(WaiterSort s) {
  return s == WaiterSort::kIncrease ? "waiting for an increase (semncnt)"
                                    : "waiting for zero (semzcnt)";
}

PosixError Semaphore::Apply(std::span<const int> deltas, Blocking b) {
  return PosixError(ENOTSUP, "Apply(" + FormatDeltas(deltas) + ") on " + Describe() +
                                 ": no multi-operation calls");
}

PosixErrorOr<long> Semaphore::Waiters(WaiterSort s) {
  return PosixError(ENOTSUP, std::string("Waiters(") + ToString(s) + ") on " + Describe() +
                                 ": not observable");
}

std::string FormatDeltas(std::span<const int> deltas) {
  std::string s = "{";
  for (size_t i = 0; i < deltas.size(); ++i) {
    if (i > 0) s += ", ";
    s += (deltas[i] > 0 ? "+" : "") + std::to_string(deltas[i]);
  }
  return s + "}";
}

}  // namespace ipcspec

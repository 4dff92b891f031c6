#include "impl/core/child_report.h"

namespace ipcspec {

std::string CallRecord::ToString() const {
  std::string s = call ? std::string(call) + " " : std::string();
  if (!reached()) return s + "not reached";
  s += ret == -1 ? "failed " + ErrnoName(err) : "returned " + std::to_string(ret);
  if (extra != kNotReached) s += ", then " + std::to_string(extra);
  return s;
}

std::ostream& operator<<(std::ostream& os, const CallRecord& r) {
  return os << r.ToString();
}

PosixError ReachedEnd(const WaitStatus& st, const std::string& who) {
  if (st.ExitedWith(0)) return NoError();
  std::string how = st.ToString();
  if (st.ExitedWith(kChildThrew)) how += " (its function threw)";
  return PosixError(ECHILD, who + " did not reach its end: " + how);
}

PosixErrorOr<CallRecord> CallInChild(std::function<CallRecord()> fn, const Deadline& deadline) {
  IPCSPEC_ASSIGN_OR_RETURN(
      auto records,
      CallsInChild<1>([&](CallRecords<1>& r) { r[0] = fn(); }, deadline));
  return records[0];
}

}  // namespace ipcspec

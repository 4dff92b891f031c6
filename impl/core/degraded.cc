#include "impl/core/degraded.h"

#include <algorithm>
#include <mutex>

namespace ipcspec {
namespace {
std::mutex& Mu() {
  static auto* m = new std::mutex;
  return *m;
}
std::vector<std::string>& List() {
  static auto* v = new std::vector<std::string>;
  return *v;
}
}  // namespace

void ReportDegraded(const std::string& sentence) {
  std::lock_guard<std::mutex> l(Mu());
  auto& v = List();
  if (std::find(v.begin(), v.end(), sentence) == v.end()) v.push_back(sentence);
}

std::vector<std::string> DegradedModes() {
  std::lock_guard<std::mutex> l(Mu());
  return List();
}

}  // namespace ipcspec

// Degraded modes: what this run cannot see or cannot do, said once and
// recorded in the results (the verdict engine's "run" record), so that a
// green run with a blind leak audit or a guessing blocked-detection does not
// read like a fully checked one.
//
//   ReportDegraded("leak audit cannot list SysV objects: /proc/sysvipc unreadable");
//
// Each distinct sentence is kept once, in the order reported.
#pragma once

#include <string>
#include <vector>

namespace ipcspec {

void ReportDegraded(const std::string& sentence);
std::vector<std::string> DegradedModes();

}  // namespace ipcspec

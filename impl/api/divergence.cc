#include "impl/api/divergence.h"

#include <fnmatch.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace ipcspec {
namespace {

bool& AdapterTableSeen() {
  static bool seen = false;
  return seen;
}

std::vector<KnownDivergence>& Table() {
  static auto* t = new std::vector<KnownDivergence>();
  return *t;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return out;
}

bool Blank(const std::string& s) { return s.find_first_not_of(" \t\r") == std::string::npos; }

}  // namespace

DivergenceParse ParseDivergenceTable(const std::string& library, const std::string& path,
                                     const std::string& text) {
  DivergenceParse r;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (Blank(line) || line[0] == '#') continue;
    std::string where = path + ":" + std::to_string(n);
    std::vector<std::string> f = SplitTabs(line);
    if (f.size() != 5) {
      r.error = where + ": expected 5 tab-separated fields (kind, test, expect, reason, source), got " +
                std::to_string(f.size());
      return r;
    }
    for (size_t i = 0; i < f.size(); ++i) {
      if (Blank(f[i])) {
        static const char* names[] = {"kind", "test", "expect", "reason", "source"};
        r.error = where + ": field '" + names[i] + "' is empty (every entry needs a source)";
        return r;
      }
    }
    if (f[2] != "fails" && f[2] != "may_fail") {
      r.error = where + ": expect must be 'fails' or 'may_fail', not '" + f[2] + "'";
      return r;
    }
    if (f[1].find('.') == std::string::npos) {
      r.error = where + ": test '" + f[1] + "' must be Interface.Property (e.g. MessageQueue.PriorityOrder)";
      return r;
    }
    r.entries.push_back({library, f[0], f[1], f[2] == "may_fail", f[3], f[4], where});
  }
  return r;
}

bool RegisterDivergenceTable(const std::string& library, const std::string& path,
                             const std::string& text) {
  DivergenceParse r = ParseDivergenceTable(library, path, text);
  if (!r.error.empty()) {
    std::fprintf(stderr, "ipcspec: bad divergence table: %s\n", r.error.c_str());
    std::abort();
  }
  for (auto& e : r.entries) Table().push_back(std::move(e));
  AdapterTableSeen() = true;
  return true;
}

std::optional<KnownDivergence> FindKnownDivergence(const std::string& library,
                                                   const std::string& kind,
                                                   const std::string& test) {
  for (const auto& e : Table()) {
    if (e.library != library) continue;
    if (fnmatch(e.kind_pattern.c_str(), kind.c_str(), 0) != 0) continue;
    if (fnmatch(e.test_pattern.c_str(), test.c_str(), 0) != 0) continue;
    return e;
  }
  return std::nullopt;
}

bool AdapterBinary() { return AdapterTableSeen(); }

const std::vector<KnownDivergence>& AllKnownDivergences() { return Table(); }

}  // namespace ipcspec

#include "impl/verdict/reproducers.h"

#include <fnmatch.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

namespace ipcspec {
namespace {

struct Probe {
  std::string build, shows;
};

std::vector<ReproducerLink>& Links() {
  static std::vector<ReproducerLink> links;
  return links;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  size_t at = 0;
  for (;;) {
    size_t tab = line.find('\t', at);
    out.push_back(line.substr(at, tab == std::string::npos ? std::string::npos : tab - at));
    if (tab == std::string::npos) return out;
    at = tab + 1;
  }
}

[[noreturn]] void Malformed(const std::string& file, int line, const std::string& why) {
  std::fprintf(stderr, "ipcspec: %s:%d: %s\n", file.c_str(), line, why.c_str());
  std::abort();
}

}  // namespace

bool RegisterReproducerLinks(const std::string& findings_tsv, const std::string& reproducers_tsv) {
  const std::string kFindings = "containers/probes/findings.tsv";
  const std::string kReproducers = "containers/probes/reproducers.tsv";
  std::map<std::string, Probe> probes;
  std::istringstream rs(reproducers_tsv);
  std::string line;
  int n = 0;
  while (std::getline(rs, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    auto f = Split(line);
    // reproducer fails_in passes_in build shows
    if (f.size() < 5) Malformed(kReproducers, n, "expected 5 tab-separated columns");
    probes[f[0]] = {f[3], f[4]};
  }
  std::istringstream fs(findings_tsv);
  n = 0;
  while (std::getline(fs, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    auto f = Split(line);
    // table test kind reproducer
    if (f.size() != 4) Malformed(kFindings, n, "expected 4 tab-separated columns");
    if (f[3].rfind("missing:", 0) == 0) continue;
    auto p = probes.find(f[3]);
    if (p == probes.end()) Malformed(kFindings, n, "'" + f[3] + "' is not in " + kReproducers);
    Links().push_back({f[0], f[1], f[2], f[3], p->second.build, p->second.shows});
  }
  return true;
}

std::vector<ReproducerLink> ReproducersFor(const std::string& test, const std::string& property,
                                           const std::string& kind) {
  std::vector<ReproducerLink> out;
  std::set<std::string> seen;
  const std::string k = kind.empty() ? "-" : kind;
  for (const auto& l : Links()) {
    if (fnmatch(l.kind_pattern.c_str(), k.c_str(), 0) != 0) continue;
    bool named = fnmatch(l.test_pattern.c_str(), test.c_str(), 0) == 0 ||
                 (!property.empty() && fnmatch(l.test_pattern.c_str(), property.c_str(), 0) == 0);
    if (named && seen.insert(l.name).second) out.push_back(l);
  }
  return out;
}

std::string ReproducerLines(const std::vector<ReproducerLink>& links) {
  std::string out;
  for (const auto& l : links) {
    out += "ipcspec reproducer: containers/probes/" + l.name + ".c (hand-written; shows: " +
           l.shows + "; the finding of " + l.table + ")\n  cd containers/probes && " + l.build +
           " && ./" + l.name + "   (exit 0: as documented; 1: the promise is broken)\n";
  }
  return out;
}

}  // namespace ipcspec

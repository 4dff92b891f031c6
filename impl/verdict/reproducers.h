// The hand-written reproducers of the recorded findings
// (containers/probes/findings.tsv, reproducers.tsv), compiled into every test
// binary, so that a failing test names the standalone program that shows its
// failure outside the suite (issue 17). A property's own generated reproducer
// is named by impl/repro; this covers the mechanism suites' other tests.
#pragma once

#include <string>
#include <vector>

namespace ipcspec {

struct ReproducerLink {
  std::string table;         // "containers/divergences/gvisor.tsv"
  std::string test_pattern;  // fnmatch(3), as in the table
  std::string kind_pattern;
  std::string name;          // "msgrcv_overrun"
  std::string build;         // "cc -o msgrcv_overrun msgrcv_overrun.c"
  std::string shows;         // one line
};

// Registers the two files' texts (containers/probes:reproducer_links).
// Aborts with FILE:LINE on a malformed line. Returns true, for static
// initialisation.
bool RegisterReproducerLinks(const std::string& findings_tsv, const std::string& reproducers_tsv);

// The reproducers linked to a test: rows whose test pattern matches the
// test's name or its property and whose kind pattern matches the Kind
// ("-" when none). Rows marked `missing:` are left out. Each name once.
std::vector<ReproducerLink> ReproducersFor(const std::string& test, const std::string& property,
                                           const std::string& kind);

// Lines for a failing test's output: "ipcspec reproducer: ..." per link.
std::string ReproducerLines(const std::vector<ReproducerLink>& links);

}  // namespace ipcspec

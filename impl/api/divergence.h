// Known divergences of external libraries: what a library documents it does
// differently from the properties ipcspec checks.
//
// Each adapter (impl/adapters/<library>/) has a table, divergences.tsv,
// compiled into its test binary by ipcspec_adapter (bazel/adapter.bzl):
//
//   # comment
//   kind<TAB>test<TAB>expect<TAB>reason<TAB>source
//
//   kind    fnmatch(3) pattern over Kind names      zeromq_push_pull_*
//   test    fnmatch(3) pattern over Interface.Property
//                                                   MessageQueue.CapacityLimits
//   expect  "fails": the property fails on every run; "may_fail": it may
//           fail or pass (the library promises nothing either way)
//   reason  what differs, in one sentence
//   source  where the library documents it (a manual page, a section of its
//           documentation, a header comment), or "observed: COMMAND" for a
//           fact read off this machine; never empty
//
// A property that fails for a Kind and matches an entry is reported as
// skipped with "known divergence: REASON (SOURCE)" and the failure's message,
// so the run stays green and the report lists it. A failure that matches no
// entry fails the run: it is a finding until it is understood. An entry
// marked "fails" whose property passes also fails the run (the table is
// stale: the library changed, or the entry is wrong).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ipcspec {

struct KnownDivergence {
  std::string library;
  std::string kind_pattern;
  std::string test_pattern;
  bool may_pass = false;  // expect == "may_fail"
  std::string reason;
  std::string source;
  std::string origin;  // "impl/adapters/zeromq/divergences.tsv:12"
};

// Parses a table (the text of divergences.tsv) and adds its entries. A
// malformed line aborts with its file and line: a table that is silently
// half-read would turn findings into passes. Returns true (for static init).
bool RegisterDivergenceTable(const std::string& library, const std::string& path,
                             const std::string& text);

// Parses without registering: the entries, or the first error ("FILE:LINE: ...").
struct DivergenceParse {
  std::vector<KnownDivergence> entries;
  std::string error;
};
DivergenceParse ParseDivergenceTable(const std::string& library, const std::string& path,
                                     const std::string& text);

// The first entry of `library`'s tables that matches Kind `kind` and test
// `test` ("MessageQueue.CapacityLimits").
std::optional<KnownDivergence> FindKnownDivergence(const std::string& library,
                                                   const std::string& kind,
                                                   const std::string& test);

// True when an adapter's table is linked in: the binary is an adapter's test
// (ipcspec_adapter), which holds that library's Kinds and no reference Kind.
bool AdapterBinary();

// Every registered entry (for listing).
const std::vector<KnownDivergence>& AllKnownDivergences();

}  // namespace ipcspec

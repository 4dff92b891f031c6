// Tables of expected differences: the one parser, the one registry, the one
// matcher, for environment tables (containers/divergences/<env>.tsv) and
// library tables (impl/adapters/<library>/divergences.tsv) alike.
//
// Format (verdict/README.md): 8 tab-separated columns,
//
//   test  kind  class  expect  signature  reason  source  versions
//
//   test       fnmatch(3) over "Suite.Test" or "Interface.Property"
//   kind       fnmatch(3) over the Kind's name; "*" for any; "-" is no Kind
//   class      documented | finding
//   expect     fails | flaky(K/N)
//   signature  errno:ENAME | text:SUBSTRING | re:REGEX | hang | crash,
//              alternatives joined by " OR "
//   reason     one sentence
//   source     a document, an upstream issue, or "observed: COMMAND"
//   versions   * | kernel>=X.Y,kernel<X.Y,version>=V,version<V (a conjunction)
//
// A malformed table is an error that names FILE:LINE: a half-read table would
// turn findings into passes.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ipcspec {

struct Signature {
  enum class Type { kErrno, kText, kRegex, kHang, kCrash };
  Type type;
  std::string value;  // the errno name, the substring or the regex
};

struct VersionBound {
  std::string key;  // "kernel" or "version"
  std::string op;   // ">=" or "<"
  std::string value;
};

struct TableEntry {
  std::string table;          // "gvisor", "zeromq"
  bool library = false;       // a library's table, else an environment's
  std::string test_pattern;
  std::string kind_pattern;
  bool finding = false;       // class "finding"
  bool flaky = false;         // expect "flaky(K/N)"
  int flaky_failures = 0;     // K
  int flaky_runs = 0;         // N
  std::string expect;         // as written
  std::string signature;      // as written
  std::vector<Signature> alternatives;
  std::string reason;
  std::string source;
  std::string versions;       // as written
  std::vector<VersionBound> bounds;
  std::string origin;         // "containers/divergences/gvisor.tsv:12"
};

struct TableParse {
  std::vector<TableEntry> entries;
  std::string error;  // "FILE:LINE: what is wrong", or empty
};
TableParse ParseTable(const std::string& table, bool library, const std::string& path,
                      const std::string& text);

// Registers a table compiled into the binary (bazel/adapter.bzl,
// containers/divergences/BUILD). Aborts with FILE:LINE on a malformed table.
// Returns true, for static initialisation.
bool RegisterTable(const std::string& table, bool library, const std::string& path,
                   const std::string& text);
const std::vector<TableEntry>& RegisteredEntries();
// True when a library's table is linked in: an adapter's test binary.
bool AdapterBinary();

// The environment this run judges against: IPCSPEC_ENV, default "host".
std::string CurrentEnvironment();
// IPCSPEC_IGNORE_TABLES=1: every table off (the raw behaviour).
bool TablesIgnored();

// Whether `e`'s version bounds hold for kernel release `kernel` ("6.1.0-28-amd64")
// and environment version `env_version` (IPCSPEC_ENV_VERSION; a bound on an
// unknown version does not hold).
bool VersionsHold(const TableEntry& e, const std::string& kernel, const std::string& env_version);
// Numeric comparison of dotted versions: "6.1.0-28" < "6.12".
int CompareVersions(const std::string& a, const std::string& b);

// The entry's table is in force for this test: the environment's table for
// IPCSPEC_ENV (or one of them: "crun,runc" applies both tables), or the
// library's table for a Kind of that library.
bool TableApplies(const TableEntry& e, const std::string& env, const std::string& library);

// The entry covers the test by name and Kind (not yet by signature).
bool EntryCovers(const TableEntry& e, const std::vector<std::string>& test_ids,
                 const std::string& kind);

// The signatures a failure text shows: "errno:ENAME" for every errno name in
// it (as a word), "hang" when it is a deadline, "crash" when a process was
// killed by a signal.
std::vector<std::string> SignaturesSeen(const std::string& failure_text);
// Whether the failure text matches one of the entry's alternatives.
bool SignatureMatches(const TableEntry& e, const std::string& failure_text);

}  // namespace ipcspec

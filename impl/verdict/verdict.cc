#include "impl/verdict/verdict.h"

#include "impl/verdict/reproducers.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/degraded.h"

namespace ipcspec {
namespace {

struct Annotation {
  std::string property, kind, library, cites;
};
struct RunDescription {
  std::string isolation, blocked_detection;
};
RunDescription& Run() {
  static auto* r = new RunDescription();
  return *r;
}

Annotation& Current() {
  static auto* a = new Annotation();
  return *a;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string JsonList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + JsonString(v[i]);
  return out + "]";
}

std::string EntryJson(const TableEntry& e) {
  return "{\"origin\":" + JsonString(e.origin) + ",\"table\":" + JsonString(e.table) +
         ",\"library\":" + (e.library ? "true" : "false") +
         ",\"test\":" + JsonString(e.test_pattern) + ",\"kind\":" + JsonString(e.kind_pattern) +
         ",\"class\":" + JsonString(e.finding ? "finding" : "documented") +
         ",\"expect\":" + JsonString(e.expect) + ",\"signature\":" + JsonString(e.signature) +
         ",\"reason\":" + JsonString(e.reason) + ",\"source\":" + JsonString(e.source) +
         ",\"versions\":" + JsonString(e.versions) + "}";
}

std::string Kernel() {
  struct utsname u;
  return uname(&u) == 0 ? u.release : "";
}

std::string EnvVersion() {
  const char* v = std::getenv("IPCSPEC_ENV_VERSION");
  return v ? v : "";
}

std::string BinaryName() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "unknown";
  std::string p(buf, n);
  return p.substr(p.rfind('/') + 1);
}

// Needs are the first word after the prefix: "unmet need: cap:CAP_X: detail".
std::string NeedOf(const std::string& skip) {
  std::string rest = skip.substr(std::string(kUnmetNeedPrefix).size());
  size_t colon = rest.find(": ");
  std::string need = rest.substr(0, colon);
  while (!need.empty() && (need.back() == ' ' || need.back() == '\n')) need.pop_back();
  return need.empty() ? "undeclared" : need;
}

// gtest puts "file:line" lines around messages; a skip message may start with
// a location line. The declared prefix is looked for at any line's start.
std::string FindPrefixed(const std::string& text, const std::string& prefix) {
  size_t at = 0;
  while (at < text.size()) {
    if (text.compare(at, prefix.size(), prefix) == 0) return text.substr(at);
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return "";
}

class Engine : public ::testing::EmptyTestEventListener {
 public:
  void OnTestProgramStart(const ::testing::UnitTest&) override {
    env_ = CurrentEnvironment();
    kernel_ = Kernel();
    env_version_ = EnvVersion();
    ignore_ = TablesIgnored();
    OpenResults();
    std::vector<std::string> tables;
    for (const auto& e : RegisteredEntries()) {
      if (InForce(e)) {
        std::string path = e.origin.substr(0, e.origin.rfind(':'));
        bool have = false;
        for (const auto& t : tables) have = have || t == path;
        if (!have) tables.push_back(path);
      }
    }
    const char* shard_i = std::getenv("GTEST_SHARD_INDEX");
    const char* shard_n = std::getenv("GTEST_TOTAL_SHARDS");
    Write("{\"record\":\"run\",\"binary\":" + JsonString(BinaryName()) +
          ",\"env\":" + JsonString(env_) + ",\"env_version\":" + JsonString(env_version_) +
          ",\"kernel\":" + JsonString(kernel_) +
          ",\"isolation\":" + JsonString(Run().isolation) +
          ",\"blocked_detection\":" + JsonString(Run().blocked_detection) + ",\"degraded\":" + JsonList(DegradedModes()) +
          ",\"ignore_tables\":" + (ignore_ ? "true" : "false") +
          ",\"filter\":" + JsonString(::testing::GTEST_FLAG(filter)) +
          ",\"shard\":" +
          JsonString(std::string(shard_i ? shard_i : "0") + "/" + (shard_n ? shard_n : "1")) +
          ",\"tables\":" + JsonList(tables) + "}");
    // The entries in force, first: a binary that dies in a test leaves them,
    // so that the reader can judge the dead test against its entries'
    // `crash` or `hang` signature and count the entries it matched
    // (verdict/README.md). Which tests an entry covers is in each test's
    // `covering` list, not counted here.
    for (const auto& e : RegisteredEntries()) {
      if (!InForce(e)) continue;
      const bool applies = !ignore_ && VersionsHold(e, kernel_, env_version_);
      std::string json = EntryJson(e);
      json.pop_back();  // the closing brace
      Write("{\"record\":\"entry\"," + json.substr(1) + ",\"applies\":" +
            (applies ? "true" : "false") + "}");
    }
  }

  // The origins of the entries in force whose table applies to the test (an
  // environment's, or its Kind's library's) and that cover it by name and
  // Kind, whatever their signature and versions.
  std::vector<std::string> Covering(const std::string& test, const std::string& property,
                                    const std::string& kind, const std::string& library) const {
    std::vector<std::string> out;
    const std::vector<std::string> ids = {test, property};
    for (const auto& e : RegisteredEntries()) {
      if (!InForce(e) || !TableApplies(e, env_, library)) continue;
      if (EntryCovers(e, ids, kind)) out.push_back(e.origin);
    }
    return out;
  }

  // AnnotateTest: what the running test checks, written at once, so that a
  // test that kills the binary is still judged with its property and Kind.
  void Annotated(const std::string& test) {
    const Annotation& a = Current();
    Write("{\"record\":\"annotate\",\"test\":" + JsonString(test) +
          ",\"property\":" + JsonString(a.property) +
          ",\"kind\":" + JsonString(a.kind.empty() ? "-" : a.kind) +
          ",\"library\":" + JsonString(a.library) + ",\"cites\":" + JsonString(a.cites) +
          ",\"covering\":" + JsonList(Covering(test, a.property, a.kind, a.library)) + "}");
  }

  // WriteRecord: one record of the binary's own.
  void OwnRecord(const std::string& record,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string line = "{\"record\":" + JsonString(record);
    bool named = false;
    for (const auto& [k, v] : fields) {
      line += "," + JsonString(k) + ":" + JsonString(v);
      named |= k == "test";
    }
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (!named && info) line += ",\"test\":" + JsonString(Name(*info));
    Write(line + "}");
  }

  void OnTestStart(const ::testing::TestInfo& info) override {
    Current() = Annotation();
    Write("{\"record\":\"start\",\"test\":" + JsonString(Name(info)) +
          ",\"covering\":" + JsonList(Covering(Name(info), "", "", "")) + "}");
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    const ::testing::TestResult& r = *info.result();
    TestFacts t;
    t.test = Name(info);
    t.property = Current().property;
    t.kind = Current().kind;
    t.library = Current().library;
    t.failed = r.Failed();
    t.skipped = r.Skipped();
    for (int i = 0; i < r.total_part_count(); ++i) {
      const ::testing::TestPartResult& p = r.GetTestPartResult(i);
      if (p.failed()) {
        std::string part;
        if (p.file_name()) part = std::string(p.file_name()) + ":" +
                                  std::to_string(p.line_number()) + "\n";
        part += p.message();
        if (!t.failure.empty()) t.failure += "\n";
        t.failure += part;
        t.failures.push_back(part);
      } else if (p.skipped()) {
        t.skip_message += p.message();
      }
    }
    Judgement j = Judge(t, RegisteredEntries(), env_, kernel_, env_version_, ignore_);
    if (OutcomeFailsRun(j)) ++bad_;
    if (j.outcome == Outcome::kXfail) ++xfail_;
    ++counts_[OutcomeName(j.outcome)];
    std::string seed;
    std::smatch m;
    static const std::regex seed_re("seed=([0-9]+)");
    if (std::regex_search(t.failure, m, seed_re)) seed = m[1];
    std::string message = t.failed ? t.failure : t.skip_message;
    if (message.size() > 8192) message = message.substr(0, 8192) + "\n[... cut at 8 KiB]";
    std::vector<std::string> unmatched;
    for (const auto* e : j.unmatched) unmatched.push_back(e->origin);
    Write("{\"record\":\"test\",\"test\":" + JsonString(t.test) +
          ",\"property\":" + JsonString(t.property) +
          ",\"kind\":" + JsonString(t.kind.empty() ? "-" : t.kind) +
          ",\"library\":" + JsonString(t.library) +
          ",\"outcome\":" + JsonString(OutcomeName(j.outcome)) +
          ",\"signature_seen\":" + JsonList(j.signature_seen) +
          ",\"message\":" + JsonString(message) + ",\"need\":" + JsonString(j.need) +
          ",\"entry\":" + (j.entry ? EntryJson(*j.entry) : "null") +
          ",\"unmatched_entries\":" + JsonList(unmatched) +
          ",\"covering\":" + JsonList(Covering(t.test, t.property, t.kind, t.library)) +
          ",\"cites\":" + JsonString(Current().cites) + ",\"seed\":" + JsonString(seed) +
          ",\"duration_ms\":" + std::to_string(r.elapsed_time()) +
          ",\"file\":" + JsonString(info.file() ? info.file() : "") +
          ",\"line\":" + std::to_string(info.line()) + "}");
    if (j.outcome != Outcome::kPass && j.outcome != Outcome::kNotApplicable &&
        j.outcome != Outcome::kSkip) {
      std::printf("ipcspec verdict: %s %s: %s\n", OutcomeName(j.outcome), t.test.c_str(),
                  j.note.c_str());
      std::fflush(stdout);
    }
    // A failed test names the hand-written reproducer of its finding, when
    // containers/probes/findings.tsv links one (a property's generated one
    // is named in its failure by impl/repro).
    if (t.failed) {
      const std::string lines = ReproducerLines(ReproducersFor(t.test, t.property, t.kind));
      if (!lines.empty()) {
        std::fputs(lines.c_str(), stdout);
        std::fflush(stdout);
      }
    }
    if (j.outcome == Outcome::kSkip && j.need == "undeclared") {
      std::printf("ipcspec verdict: undeclared skip %s: a skip must say 'unmet need: NEED: ...'"
                  " (impl/core/needs.h) or 'not applicable: ...'\n", t.test.c_str());
    }
  }

  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    std::string summary;
    for (const auto& [o, n] : counts_) summary += (summary.empty() ? "" : ", ") + std::to_string(n) + " " + o;
    std::printf("ipcspec verdicts: %s (env %s%s)\n", summary.empty() ? "no tests" : summary.c_str(),
                env_.c_str(), ignore_ ? ", tables ignored" : "");
    std::fflush(stdout);
  }

  // Called by main after RUN_ALL_TESTS, before exit: the exit status.
  int ExitStatus(int gtest_status) {
    int status = bad_ ? 1 : 0;
    const ::testing::UnitTest& u = *::testing::UnitTest::GetInstance();
    // A failure that no verdict saw (outside any test) or more failed tests
    // than expected failures: gtest's status stands.
    if (gtest_status != 0 &&
        (u.failed_test_count() != xfail_ || u.ad_hoc_test_result().Failed()))
      status = 1;
    for (int i = 0; i < u.total_test_suite_count(); ++i) {
      if (u.GetTestSuite(i)->ad_hoc_test_result().Failed()) status = 1;
    }
    Write("{\"record\":\"end\",\"tests\":" + std::to_string(u.test_to_run_count()) +
          ",\"degraded\":" + JsonList(DegradedModes()) + ",\"exit\":" + std::to_string(status) +
          "}");
    return status;
  }

 private:
  static std::string Name(const ::testing::TestInfo& info) {
    return std::string(info.test_suite_name()) + "." + info.name();
  }

  // The entry's table is one this binary judges by: the environment's, or a
  // library's (compiled into that library's adapter binary only).
  bool InForce(const TableEntry& e) const { return e.library || TableApplies(e, env_, ""); }

  void OpenResults() {
    std::string path;
    if (const char* d = std::getenv("IPCSPEC_RESULTS_DIR"); d && *d) {
      path = std::string(d) + "/" + BinaryName() + "." + std::to_string(getpid()) + ".jsonl";
    } else if (const char* u = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR"); u && *u) {
      path = std::string(u) + "/ipcspec_results.jsonl";
    }
    if (path.empty()) return;
    fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) std::fprintf(stderr, "ipcspec: cannot write results to %s\n", path.c_str());
  }

  void Write(const std::string& line) {
    if (fd_ < 0) return;
    std::string l = line + "\n";
    const char* p = l.data();
    size_t left = l.size();
    while (left > 0) {
      ssize_t n = write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }

  int fd_ = -1;
  std::string env_, kernel_, env_version_;
  bool ignore_ = false;
  int bad_ = 0;
  int xfail_ = 0;
  std::map<std::string, int> counts_;
};

Engine*& TheEngine() {
  static Engine* e = nullptr;
  return e;
}

}  // namespace

void AnnotateTest(const std::string& property, const std::string& kind,
                  const std::string& library, const std::string& cites) {
  Current() = Annotation{property, kind, library, cites};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (TheEngine() && info) {
    TheEngine()->Annotated(std::string(info->test_suite_name()) + "." + info->name());
  }
}

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass: return "pass";
    case Outcome::kFail: return "fail";
    case Outcome::kXfail: return "xfail";
    case Outcome::kXpass: return "xpass";
    case Outcome::kSkip: return "skip";
    case Outcome::kNotApplicable: return "n/a";
    case Outcome::kBroken: return "broken";
  }
  return "?";
}

Judgement Judge(const TestFacts& t, const std::vector<TableEntry>& entries,
                const std::string& env, const std::string& kernel,
                const std::string& env_version, bool ignore_tables) {
  Judgement j;
  std::vector<const TableEntry*> covering;
  if (!ignore_tables) {
    const std::vector<std::string> ids = {t.test, t.property};
    for (const auto& e : entries) {
      if (!TableApplies(e, env, t.library)) continue;
      if (!VersionsHold(e, kernel, env_version)) continue;
      if (EntryCovers(e, ids, t.kind)) covering.push_back(&e);
    }
  }
  if (t.failed) {
    j.signature_seen = SignaturesSeen(t.failure);
    if (t.failure.find(kBrokenMarker) != std::string::npos) {
      j.outcome = Outcome::kBroken;
      j.note = "could not set up (no verdict on the environment): " +
               FindPrefixed(t.failure, kBrokenMarker).substr(0, 300);
      return j;
    }
    // An expected failure explains every failure of the test: each part
    // (one failed assertion) must match the signature of a covering entry.
    // One matching part must not excuse another assertion's failure (a new
    // bug in the same test).
    const std::vector<std::string> parts =
        t.failures.empty() ? std::vector<std::string>{t.failure} : t.failures;
    std::vector<bool> explained(parts.size(), false);
    const TableEntry* first = nullptr;
    for (const TableEntry* e : covering) {
      bool any = false;
      for (size_t i = 0; i < parts.size(); ++i) {
        if (SignatureMatches(*e, parts[i])) explained[i] = any = true;
      }
      if (any && first == nullptr) first = e;
      if (!any) j.unmatched.push_back(e);
    }
    size_t unexplained = 0;
    const std::string* first_unexplained = nullptr;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (explained[i]) continue;
      ++unexplained;
      if (first_unexplained == nullptr) first_unexplained = &parts[i];
    }
    if (first != nullptr && unexplained == 0) {
      j.outcome = Outcome::kXfail;
      j.entry = first;
      j.unmatched.clear();
      j.note = std::string(first->finding ? "a recorded finding" : "a documented difference") +
               " (" + first->origin + ", signature " + first->signature + "): " + first->reason;
      return j;
    }
    j.outcome = Outcome::kFail;
    if (first != nullptr) {
      j.note = "a finding: " + std::to_string(unexplained) + " of " +
               std::to_string(parts.size()) +
               " failures match no table entry's signature (" + first->origin + " expects " +
               first->signature + " and explains the others); the first unexplained: " +
               first_unexplained->substr(0, 300);
      return j;
    }
    std::string seen;
    for (const auto& s : j.signature_seen) seen += (seen.empty() ? "" : ", ") + s;
    if (j.unmatched.empty()) {
      j.note = "a finding: no table entry covers this failure";
    } else {
      j.note = "a finding: the failure does not match the signature of its table entries (";
      for (size_t i = 0; i < j.unmatched.size(); ++i)
        j.note += (i ? "; " : "") + j.unmatched[i]->origin + " expects " + j.unmatched[i]->signature;
      j.note += "); it shows: " + (seen.empty() ? std::string("no errno, no hang, no crash") : seen);
    }
    return j;
  }
  if (t.skipped) {
    const std::string need = FindPrefixed(t.skip_message, kUnmetNeedPrefix);
    if (!need.empty()) {
      j.outcome = Outcome::kSkip;
      j.need = NeedOf(need);
    } else if (!FindPrefixed(t.skip_message, kNotApplicablePrefix).empty()) {
      j.outcome = Outcome::kNotApplicable;
    } else {
      j.outcome = Outcome::kSkip;
      j.need = "undeclared";
    }
    return j;
  }
  for (const TableEntry* e : covering) {
    if (!e->flaky) {
      j.outcome = Outcome::kXpass;
      j.entry = e;
      j.note = "the table says it fails (" + e->origin + ": " + e->reason +
               "), but it passed: the entry is stale. Remove it, or narrow its versions, or " +
               "mark it flaky(K/N) with the observed frequency.";
      return j;
    }
  }
  for (const TableEntry* e : covering) {
    if (e->flaky) j.entry = e;
  }
  j.outcome = Outcome::kPass;
  return j;
}

bool OutcomeFailsRun(const Judgement& j) {
  switch (j.outcome) {
    case Outcome::kFail:
    case Outcome::kXpass:
    case Outcome::kBroken:
      return true;
    case Outcome::kSkip:
      return j.need == "undeclared";
    default:
      return false;
  }
}

void WriteRecord(const std::string& record,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
  if (TheEngine()) TheEngine()->OwnRecord(record, fields);
}

void DescribeRun(const std::string& isolation, const std::string& blocked_detection) {
  Run() = RunDescription{isolation, blocked_detection};
}

void InstallVerdictEngine() {
  TheEngine() = new Engine();
  ::testing::UnitTest::GetInstance()->listeners().Append(TheEngine());
}

int VerdictExitStatus(int gtest_status) {
  return TheEngine() ? TheEngine()->ExitStatus(gtest_status) : gtest_status;
}

}  // namespace ipcspec

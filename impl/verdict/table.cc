#include "impl/verdict/table.h"

#include <fnmatch.h>
#include <string.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

namespace ipcspec {
namespace {

std::vector<TableEntry>& Entries() {
  static auto* t = new std::vector<TableEntry>();
  return *t;
}

bool& LibraryTableSeen() {
  static bool seen = false;
  return seen;
}

std::vector<std::string> Split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) break;
    start = at + sep.size();
  }
  return out;
}

bool Blank(const std::string& s) { return s.find_first_not_of(" \t\r") == std::string::npos; }

const std::set<std::string>& ErrnoNames() {
  static const auto* names = [] {
    auto* s = new std::set<std::string>();
    for (int e = 1; e < 200; ++e) {
      if (const char* n = strerrorname_np(e)) s->insert(n);
    }
    return s;
  }();
  return *names;
}

std::string ParseSignature(const std::string& text, std::vector<Signature>* out) {
  for (const std::string& alt : Split(text, " OR ")) {
    if (alt == "hang") {
      out->push_back({Signature::Type::kHang, ""});
    } else if (alt == "crash") {
      out->push_back({Signature::Type::kCrash, ""});
    } else if (alt.rfind("errno:", 0) == 0) {
      std::string name = alt.substr(6);
      if (!ErrnoNames().count(name)) return "signature '" + alt + "': '" + name + "' is no errno name";
      out->push_back({Signature::Type::kErrno, name});
    } else if (alt.rfind("text:", 0) == 0) {
      if (alt.size() == 5) return "signature 'text:' needs a substring";
      out->push_back({Signature::Type::kText, alt.substr(5)});
    } else if (alt.rfind("re:", 0) == 0) {
      try {
        std::regex check(alt.substr(3));
      } catch (const std::regex_error& e) {
        return "signature '" + alt + "': bad regular expression (" + e.what() + ")";
      }
      if (alt.size() == 3) return "signature 're:' needs a regular expression";
      out->push_back({Signature::Type::kRegex, alt.substr(3)});
    } else {
      return "signature '" + alt +
             "' must be errno:ENAME, text:SUBSTRING, re:REGEX, hang or crash";
    }
  }
  return "";
}

std::string ParseVersions(const std::string& text, std::vector<VersionBound>* out) {
  if (text == "*") return "";
  for (const std::string& term : Split(text, ",")) {
    VersionBound b;
    size_t op = term.find_first_of("<>");
    if (op == std::string::npos) return "version bound '" + term + "' has no < or >=";
    b.key = term.substr(0, op);
    if (term.compare(op, 2, ">=") == 0) {
      b.op = ">=";
    } else if (term[op] == '<' && term.compare(op, 2, "<=") != 0) {
      b.op = "<";
    } else {
      return "version bound '" + term + "': the operator must be >= or <";
    }
    b.value = term.substr(op + b.op.size());
    if (b.key != "kernel" && b.key != "version")
      return "version bound '" + term + "': the key must be 'kernel' or 'version'";
    if (b.value.empty() || !std::isdigit(static_cast<unsigned char>(b.value[0])))
      return "version bound '" + term + "': the version must start with a digit";
    out->push_back(b);
  }
  return "";
}


bool WordAt(const std::string& text, size_t at, size_t len) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (at > 0 && word(text[at - 1])) return false;
  if (at + len < text.size() && word(text[at + len])) return false;
  return true;
}

bool ContainsWord(const std::string& text, const std::string& w) {
  for (size_t at = text.find(w); at != std::string::npos; at = text.find(w, at + 1)) {
    if (WordAt(text, at, w.size())) return true;
  }
  return false;
}

bool IsHang(const std::string& text) {
  return text.find("hung: ") != std::string::npos ||
         text.find("past the deadline") != std::string::npos ||
         text.find("ipcspec hang:") != std::string::npos;
}

bool IsCrash(const std::string& text) {
  static const std::regex fatal("killed by SIG(SEGV|BUS|ILL|ABRT|FPE|SYS|TRAP)");
  return text.find("crashed: ") != std::string::npos || std::regex_search(text, fatal);
}

}  // namespace

TableParse ParseTable(const std::string& table, bool library, const std::string& path,
                      const std::string& text) {
  TableParse r;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  static const char* names[] = {"test",      "kind",   "class",  "expect",
                                "signature", "reason", "source", "versions"};
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (Blank(line) || line[0] == '#') continue;
    const std::string where = path + ":" + std::to_string(n);
    auto fail = [&](const std::string& what) {
      r.error = where + ": " + what;
      r.entries.clear();
      return r;
    };
    std::vector<std::string> f = Split(line, "\t");
    if (f.size() != 8) {
      return fail("expected 8 tab-separated fields (test, kind, class, expect, signature, "
                  "reason, source, versions), got " + std::to_string(f.size()) +
                  " (format: verdict/README.md)");
    }
    for (size_t i = 0; i < f.size(); ++i) {
      if (Blank(f[i])) return fail(std::string("field '") + names[i] + "' is empty");
    }
    TableEntry e;
    e.table = table;
    e.library = library;
    e.test_pattern = f[0];
    e.kind_pattern = f[1];
    if (f[2] != "documented" && f[2] != "finding")
      return fail("class must be 'documented' or 'finding', not '" + f[2] + "'");
    e.finding = f[2] == "finding";
    e.expect = f[3];
    if (f[3] == "fails") {
      e.flaky = false;
    } else {
      int k = -1, total = -1, used = 0;
      if (std::sscanf(f[3].c_str(), "flaky(%d/%d)%n", &k, &total, &used) != 2 ||
          used != static_cast<int>(f[3].size()) || k < 1 || total < k)
        return fail("expect must be 'fails' or 'flaky(K/N)' with 1 <= K <= N, not '" + f[3] + "'");
      e.flaky = true;
      e.flaky_failures = k;
      e.flaky_runs = total;
      if (f[6].find("observed:") == std::string::npos)
        return fail("a flaky entry's source must say how it was observed ('observed: COMMAND')");
    }
    e.signature = f[4];
    if (std::string err = ParseSignature(f[4], &e.alternatives); !err.empty()) return fail(err);
    e.reason = f[5];
    e.source = f[6];
    e.versions = f[7];
    if (std::string err = ParseVersions(f[7], &e.bounds); !err.empty()) return fail(err);
    if (library && e.test_pattern.find('.') == std::string::npos)
      return fail("test '" + e.test_pattern + "' must be Interface.Property or Suite.Test");
    e.origin = where;
    r.entries.push_back(std::move(e));
  }
  return r;
}

bool RegisterTable(const std::string& table, bool library, const std::string& path,
                   const std::string& text) {
  TableParse r = ParseTable(table, library, path, text);
  if (!r.error.empty()) {
    std::fprintf(stderr, "ipcspec: bad table of expected differences: %s\n", r.error.c_str());
    std::abort();
  }
  for (auto& e : r.entries) Entries().push_back(std::move(e));
  if (library) LibraryTableSeen() = true;
  return true;
}

const std::vector<TableEntry>& RegisteredEntries() { return Entries(); }

bool AdapterBinary() { return LibraryTableSeen(); }

std::string CurrentEnvironment() {
  const char* e = std::getenv("IPCSPEC_ENV");
  return e && *e ? e : "host";
}

bool TablesIgnored() {
  const char* e = std::getenv("IPCSPEC_IGNORE_TABLES");
  return e && *e && std::string(e) != "0";
}

int CompareVersions(const std::string& a, const std::string& b) {
  auto nums = [](const std::string& s) {
    std::vector<long> v;
    size_t i = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      long n = 0;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
        n = n * 10 + (s[i++] - '0');
      v.push_back(n);
      if (i < s.size() && s[i] == '.') {
        ++i;
      } else {
        break;
      }
    }
    return v;
  };
  std::vector<long> x = nums(a), y = nums(b);
  for (size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
    long p = i < x.size() ? x[i] : 0, q = i < y.size() ? y[i] : 0;
    if (p != q) return p < q ? -1 : 1;
  }
  return 0;
}

bool VersionsHold(const TableEntry& e, const std::string& kernel, const std::string& env_version) {
  for (const VersionBound& b : e.bounds) {
    const std::string& have = b.key == "kernel" ? kernel : env_version;
    if (have.empty()) return false;
    int c = CompareVersions(have, b.value);
    if (b.op == ">=" ? c < 0 : c >= 0) return false;
  }
  return true;
}

bool TableApplies(const TableEntry& e, const std::string& env, const std::string& library) {
  if (e.library) return !library.empty() && e.table == library;
  // IPCSPEC_ENV may name several tables, comma-separated: an environment's
  // own and the one it inherits (the matrix's runtime:PATH environments).
  size_t at = 0;
  while (at <= env.size()) {
    size_t end = env.find(',', at);
    if (end == std::string::npos) end = env.size();
    if (env.compare(at, end - at, e.table) == 0 && end > at) return true;
    at = end + 1;
  }
  return false;
}

bool EntryCovers(const TableEntry& e, const std::vector<std::string>& test_ids,
                 const std::string& kind) {
  const std::string k = kind.empty() ? "-" : kind;
  if (fnmatch(e.kind_pattern.c_str(), k.c_str(), 0) != 0) return false;
  for (const auto& id : test_ids) {
    if (!id.empty() && fnmatch(e.test_pattern.c_str(), id.c_str(), 0) == 0) return true;
  }
  return false;
}

std::vector<std::string> SignaturesSeen(const std::string& text) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != 'E' || (i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) ||
                                     text[i - 1] == '_')))
      continue;
    size_t j = i + 1;
    while (j < text.size() &&
           (std::isupper(static_cast<unsigned char>(text[j])) ||
            std::isdigit(static_cast<unsigned char>(text[j]))))
      ++j;
    std::string w = text.substr(i, j - i);
    if (WordAt(text, i, w.size()) && ErrnoNames().count(w) && seen.insert(w).second)
      out.push_back("errno:" + w);
    i = j - 1;
  }
  if (IsHang(text)) out.push_back("hang");
  if (IsCrash(text)) out.push_back("crash");
  return out;
}

bool SignatureMatches(const TableEntry& e, const std::string& text) {
  for (const Signature& s : e.alternatives) {
    switch (s.type) {
      case Signature::Type::kErrno:
        if (ContainsWord(text, s.value)) return true;
        break;
      case Signature::Type::kText:
        if (text.find(s.value) != std::string::npos) return true;
        break;
      case Signature::Type::kRegex:
        if (std::regex_search(text, std::regex(s.value))) return true;
        break;
      case Signature::Type::kHang:
        if (IsHang(text)) return true;
        break;
      case Signature::Type::kCrash:
        if (IsCrash(text)) return true;
        break;
    }
  }
  return false;
}

}  // namespace ipcspec

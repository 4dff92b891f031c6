// Kinds: one way of providing an interface (a mechanism, a configuration of
// it, an external library, or a deliberately broken mutant).
//
// A Kind has a name (letters, digits and '_', so that it can be named in
// --gtest_filter: `--gtest_filter='*/pipe_nonblock'`), the capabilities
// the suites read to decide what to check, and a factory. Implementations
// register their Kinds at static-initialisation time:
//
//   IPCSPEC_REGISTER_KIND(ByteStreamInterface, MakePipeKind());
//
// and suites run against KindRegistry<I>::Get().Kinds(). Mutants are kept
// apart (Mutants()): only the selftest runs them.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "impl/core/posix_error.h"

namespace ipcspec {

// How a Kind prints itself as C, for the standalone reproducers of impl/repro
// (issue 17): file-scope declarations of what the interface's steps use (for
// a ByteStream, `int rfd, wfd` and `stream_is_socket`), the statements that
// create it, and those that remove it (run at exit, also after a failure:
// close, unlink, rmdir, msgctl... async-signal-safe calls only). Empty setup:
// the Kind cannot print itself, and why_not says why.
struct CSnippet {
  std::string globals;
  std::string setup;
  std::string teardown;
  std::string includes;  // extra #include lines
  std::string libs;      // link flags: "-lrt"
  std::string why_not;
  bool empty() const { return setup.empty(); }
};

template <typename Interface>
struct Kind {
  using Caps = typename Interface::Caps;
  using Instance = typename Interface::Instance;

  std::string name;          // "pipe_setpipe_sz"
  std::string mechanism;     // "pipe": which man pages and suites apply
  std::string description;   // "pipe(2), shrunk to one page with F_SETPIPE_SZ"
  Caps caps{};
  std::function<PosixErrorOr<Instance>()> open;
  bool mutant = false;
  std::string mutant_bug;    // for mutants: what is broken
  // For mutants: the real Kind whose caps it claims and whose behaviour it
  // breaks (a wrapper's inner Kind, or the closest real one). The selftest's
  // differential half runs these real Kinds with the mutants' seeds; a mutant
  // without one makes it run every real Kind (suites/common/selftest.h).
  std::string base;
  // For an external library's Kind (impl/adapters/<library>/): the library's
  // name. Its name must then start with "<library>_", every property runs
  // against it in a child process with a deadline (a crash or a hang fails
  // that property, not the binary), and its failures are judged against the
  // library's table of known divergences (impl/verdict/table.h, verdict/README.md).
  std::string library;
  // The Kind as C (impl/repro); empty when it cannot print itself.
  CSnippet c;

  PosixErrorOr<Instance> Open() const { return open(); }
};

// `IPCSPEC_REGISTER_KIND(I, WithC(MyKind(), snippet))`: a Kind that prints itself.
template <typename K>
K WithC(K k, CSnippet c) {
  k.c = std::move(c);
  return k;
}

template <typename Interface>
void PrintTo(const Kind<Interface>& k, std::ostream* os) {
  *os << k.name;
}
template <typename Interface>
std::ostream& operator<<(std::ostream& os, const Kind<Interface>& k) {
  return os << k.name;
}

// For INSTANTIATE_TEST_SUITE_P: the test's name ends in the Kind's name.
struct KindName {
  template <typename ParamInfo>
  std::string operator()(const ParamInfo& info) const {
    return info.param.name;
  }
};

bool IsValidKindName(const std::string& name);

template <typename Interface>
class KindRegistry {
 public:
  static KindRegistry& Get() {
    static KindRegistry* r = new KindRegistry();
    return *r;
  }

  bool Add(Kind<Interface> k) {
    if (!IsValidKindName(k.name)) {
      std::fprintf(stderr, "ipcspec: bad %s Kind name '%s': use [A-Za-z0-9_]+\n",
                   Interface::kName, k.name.c_str());
      std::abort();
    }
    for (const auto& o : kinds_) {
      if (o.name == k.name) {
        std::fprintf(stderr, "ipcspec: %s Kind '%s' registered twice\n", Interface::kName,
                     k.name.c_str());
        std::abort();
      }
    }
    if (!k.library.empty() && k.name.rfind(k.library + "_", 0) != 0) {
      std::fprintf(stderr, "ipcspec: %s Kind '%s' of library '%s' must be named '%s_...'\n",
                   Interface::kName, k.name.c_str(), k.library.c_str(), k.library.c_str());
      std::abort();
    }
    // `base` is a mutant's real Kind. On a real Kind it is almost surely a
    // library's name that a positional initializer put one field early
    // (Kind{..., false, "", "poco"}): the Kind would then run unisolated and
    // be judged by the environment's table, not its library's.
    if (!k.mutant && !k.base.empty()) {
      std::fprintf(stderr,
                   "ipcspec: %s Kind '%s' is not a mutant but has base '%s' (did you mean "
                   "library = \"%s\"? set it by name: k.library = ...)\n",
                   Interface::kName, k.name.c_str(), k.base.c_str(), k.base.c_str());
      std::abort();
    }
    if (!k.open) {
      std::fprintf(stderr, "ipcspec: %s Kind '%s' has no factory\n", Interface::kName,
                   k.name.c_str());
      std::abort();
    }
    kinds_.push_back(std::move(k));
    return true;
  }

  // The Kinds the suites run, sorted by name.
  std::vector<Kind<Interface>> Kinds() const { return Select(false); }
  // The deliberately broken Kinds (linked into the selftest only).
  std::vector<Kind<Interface>> Mutants() const { return Select(true); }

  const Kind<Interface>* Find(const std::string& name) const {
    for (const auto& k : kinds_) {
      if (k.name == name) return &k;
    }
    return nullptr;
  }

 private:
  std::vector<Kind<Interface>> Select(bool mutants) const {
    std::vector<Kind<Interface>> out;
    for (const auto& k : kinds_) {
      if (k.mutant == mutants) out.push_back(k);
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }
  std::vector<Kind<Interface>> kinds_;
};

#define IPCSPEC_REGISTER_KIND(Interface, kind_expr)                                     \
  static const bool IPCSPEC_CONCAT_(ipcspec_kind_registered_, __LINE__) [[maybe_unused]] = \
      ::ipcspec::KindRegistry<Interface>::Get().Add(kind_expr)

}  // namespace ipcspec

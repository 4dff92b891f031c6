#include "suites/shared_region/shared_region_common.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace ipcspec {
namespace shared_region {

std::string Bytes(const uint8_t* p, size_t n) {
  std::ostringstream os;
  os << n << (n == 1 ? " byte" : " bytes");
  char buf[4];
  for (size_t i = 0; i < n && i < 12; ++i) {
    std::snprintf(buf, sizeof buf, " %02x", p[i]);
    os << buf;
  }
  if (n > 12) os << " ...";
  return os.str();
}

std::string Bytes(const std::vector<uint8_t>& v) { return Bytes(v.data(), v.size()); }

rc::Gen<SharedRegionSize> GenRegionSize(size_t max_pages) {
  const size_t p = PageSize();
  auto bytes = rc::gen::resize(
      100, rc::gen::oneOf(
               rc::gen::inRange<size_t>(1, p), rc::gen::inRange<size_t>(1, max_pages * p + 1),
               rc::gen::map(rc::gen::pair(rc::gen::inRange<size_t>(1, max_pages + 1),
                                          rc::gen::inRange<int>(-1, 2)),
                            [p](const std::pair<size_t, int>& kd) {
                              return static_cast<size_t>(static_cast<long>(kd.first * p) +
                                                         kd.second);
                            })));
  return rc::gen::map(bytes, [](size_t n) { return SharedRegionSize{n}; });
}

size_t GenOffset(size_t size) {
  if (*rc::gen::inRange(0, 3) == 0) {
    const size_t p = PageSize();
    size_t k = *rc::gen::resize(100, rc::gen::inRange<size_t>(0, size / p + 1));
    long off = static_cast<long>(k * p) + *rc::gen::inRange(-3, 4);
    return static_cast<size_t>(std::clamp<long>(off, 0, static_cast<long>(size) - 1));
  }
  return *rc::gen::resize(100, rc::gen::inRange<size_t>(0, size));
}

std::ostream& operator<<(std::ostream& os, const Pattern& p) {
  std::vector<uint8_t> v = p.Bytes();
  return os << Bytes(v) << " (pattern " << p.seed << ")";
}

Pattern GenPattern(size_t length) { return Pattern{*rc::gen::inRange<uint32_t>(1, 1000), length}; }

size_t GenLength(size_t size, size_t off, size_t max_len) {
  return *rc::gen::inRange<size_t>(1, std::min(max_len, size - off) + 1);
}

void AssertSameBytes(const uint8_t* got, const uint8_t* want, size_t n, size_t base,
                     const std::string& what) {
  for (size_t i = 0; i < n; ++i) {
    if (got[i] != want[i]) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s: byte at offset %zu is 0x%02x, the model says 0x%02x",
                    what.c_str(), base + i, got[i], want[i]);
      RC_FAIL(std::string(buf));
    }
  }
}

size_t AttachedLength(size_t granularity, size_t n) {
  const size_t g = granularity == 0 ? PageSize() : granularity;
  return (n + g - 1) / g * g;
}

std::optional<std::string> UnavailableHere(const SharedRegionKind& kind) {
  static std::map<std::string, std::optional<std::string>> cache;
  auto it = cache.find(kind.name);
  if (it != cache.end()) return it->second;
  std::optional<std::string> why;
  auto inst = kind.Open();
  if (!inst.ok()) {
    if (inst.errno_value() == ENOSYS || inst.errno_value() == EOPNOTSUPP) {
      why = "not available here: " + inst.error().ToString();
    }
  } else {
    PosixError e = inst.value()->Create(1);
    if (e.errno_value() == ENOSYS || e.errno_value() == EOPNOTSUPP) {
      why = "not available here: " + e.ToString();
    }
  }
  cache[kind.name] = why;
  return why;
}

RegionPtr CreateRegion(const SharedRegionKind& kind, size_t size) {
  auto inst = kind.Open();
  if (!inst.ok()) RC_FAIL(kind.name + ": Open(): " + inst.error().ToString());
  RegionPtr r = std::move(inst).ValueOrDie();
  PosixError e = r->Create(size);
  if (!e.ok()) RC_FAIL(kind.name + ": Create(" + std::to_string(size) + "): " + e.ToString());
  RC_LOG() << kind.name << ": Create(" << size << ") -> " << r->Handle() << "\n";
  return r;
}

RegionAttachment AttachOrFail(SharedRegion& r, RegionAccess access) {
  auto a = r.Attach(access);
  if (!a.ok()) RC_FAIL(std::string("Attach(") + ToString(access) + "): " + a.error().ToString());
  return a.value();
}

namespace {

FaultSafeCopier* g_copier = nullptr;

}  // namespace

UseCopier::UseCopier() : copier_(FaultSafeCopier::Create().ValueOrDie()), previous_(g_copier) {
  g_copier = &copier_;
}

UseCopier::~UseCopier() { g_copier = previous_; }

FaultSafeCopier& Copier() { return *g_copier; }

void CheckRead(const RegionAttachment& a, size_t off, size_t n, const uint8_t* model,
               const std::string& what) {
  std::vector<uint8_t> got(n);
  size_t copied = Copier().Copy(got.data(), a.data + off, n);
  if (copied != n) {
    RC_FAIL(what + ": byte at offset " + std::to_string(off + copied) +
            " cannot be read (the access faults: SIGBUS or SIGSEGV)");
  }
  AssertSameBytes(got.data(), model + off, n, off, what);
}

}  // namespace shared_region
}  // namespace ipcspec

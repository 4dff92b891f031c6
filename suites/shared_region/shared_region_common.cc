#include "suites/shared_region/shared_region_common.h"

#include "impl/repro/repro.h"

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
  // Only the bytes shown (the reproducer names every write by it: cheap).
  std::vector<uint8_t> head = Pattern{p.seed, std::min<size_t>(p.length, 12)}.Bytes();
  return os << Bytes(head.data(), p.length) << " (pattern " << p.seed << ")";
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

namespace {

constexpr const char* kRegionC = R"C(/* The model of the region's bytes (in each process), and buffers. */
static uint8_t *model, *cbuf, *wbuf;
static int cp_fd[2] = {-1, -1};
/* The attachments of this process, by index (as the property numbers them). */
static uint8_t *att[16];
static int natt;

/* The bytes of one write: n non-zero bytes from a seed. */
static void pattern(uint8_t *out, uint32_t seed, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) out[i] = (uint8_t)(1 + (seed * 7 + i * 131 + (i >> 8) * 17) % 255);
}
static void model_write(size_t off, uint32_t seed, size_t n) { pattern(model + off, seed, n); }

/* Copies n bytes through a pipe, so that a page that cannot be read or
   written shows as a short count instead of a crash (man 2 write, man 2
   read: "EFAULT buf is outside your accessible address space"). Returns
   the bytes copied before either side faulted. */
static size_t safe_copy(uint8_t *dst, const uint8_t *src, size_t n) {
  static uint8_t scratch[4096];
  size_t done = 0;
  while (done < n) {
    size_t k = n - done > sizeof scratch ? sizeof scratch : n - done;
    ssize_t w = write(cp_fd[1], src + done, k), r;
    if (w <= 0) break;
    r = read(cp_fd[0], dst + done, (size_t)w);
    if (r != w) {
      ssize_t left = w - (r > 0 ? r : 0);
      if (r > 0) done += (size_t)r;
      while (left > 0) {  /* what the faulting destination did not take */
        ssize_t d = read(cp_fd[0], scratch, (size_t)left);
        if (d <= 0) setup_failed("read(copy pipe)");
        left -= d;
      }
      break;
    }
    done += (size_t)w;
  }
  return done;
}

static void att_add(uint8_t *p) {
  if (natt >= 16) setup_failed("too many attachments");
  att[natt++] = p;
}
static uint8_t *att_remove(int i) {
  uint8_t *p = att[i];
  for (; i + 1 < natt; i++) att[i] = att[i + 1];
  natt--;
  return p;
}

/* A write of the pattern through a; read_only: it must fault instead. */
static void region_write(const char *rule, const char *what, uint8_t *a, size_t off,
                         uint32_t seed, size_t n, int read_only) {
  size_t got;
  pattern(wbuf, seed, n);
  got = safe_copy(a + off, wbuf, n);
  if (read_only) {
    if (got != 0)
      broken(rule, "%s: a write through a read-only attachment went through (%zu bytes)", what,
             got);
    return;
  }
  if (got != n)
    broken(rule, "%s: byte at offset %zu cannot be written (the access faults)", what, off + got);
  model_write(off, seed, n);
}

/* Reads [off, off+n) through a and compares it with the model. */
static void region_check(const char *rule, const char *what, const uint8_t *a, size_t off,
                         size_t n) {
  size_t got = safe_copy(cbuf, a + off, n), i;
  if (got != n)
    broken(rule, "%s: byte at offset %zu cannot be read (the access faults: SIGBUS or SIGSEGV)",
           what, off + got);
  for (i = 0; i < n; i++)
    if (cbuf[i] != model[off + i])
      broken(rule, "%s: byte at offset %zu is 0x%02x, the model says 0x%02x", what, off + i,
             cbuf[i], model[off + i]);
}
)C";

repro::Recording* Rec(void* p) { return static_cast<repro::Recording*>(p); }

}  // namespace

RegionRecorder::RegionRecorder(size_t size) : rec_(repro::Active()) {
  if (!on()) return;
  Rec(rec_)->Helper("REGION_SIZE", "#define REGION_SIZE " + std::to_string(size) + "u\n");
  Rec(rec_)->Helper("region", kRegionC);
  Rec(rec_)->Prologue(
      "/* r_len: the size rounded up to whole pages, all of it mapped */\n"
      "model = calloc(r_len + 1, 1);\ncbuf = malloc(r_len + 1);\n"
      "wbuf = calloc(r_len + 1, 1);\nif (!model || !cbuf || !wbuf) setup_failed(\"malloc\");\n"
      "if (pipe(cp_fd) != 0) setup_failed(\"pipe\");\n");
}

std::string RegionRecorder::CatchUp(int proc) {
  std::ostringstream c;
  for (size_t& i = applied_[proc]; i < writes_.size(); ++i) {
    c << "model_write(" << writes_[i].off << ", " << writes_[i].pattern.seed << ", "
      << writes_[i].pattern.length << ");  /* the other process's write */\n";
  }
  return c.str();
}

std::string RegionRecorder::Rule(const char* rule) {
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i] == rule) return "rule_" + std::to_string(i);
  }
  const std::string name = "rule_" + std::to_string(rules_.size());
  rules_.push_back(rule);
  Rec(rec_)->Helper(name, "static const char " + name + "[] = " + repro::Lit(rule) + ";\n");
  return name;
}

std::string RegionRecorder::WriteC(int proc, const std::string& a, const std::string& what,
                                   size_t off, const Pattern& pattern, bool read_only,
                                   const char* rule) {
  std::ostringstream c;
  c << CatchUp(proc) << "region_write(" << Rule(rule) << ", " << repro::Lit(what) << ", "
    << a << ", " << off << ", " << pattern.seed << ", " << pattern.length << ", "
    << (read_only ? 1 : 0) << ");\n";
  if (!read_only) {
    writes_.push_back({off, pattern});
    applied_[proc] = writes_.size();
  }
  return c.str();
}

std::string RegionRecorder::ReadC(int proc, const std::string& a, const std::string& what,
                                  size_t off, size_t n, const char* rule) {
  std::ostringstream c;
  c << CatchUp(proc) << "region_check(" << Rule(rule) << ", " << repro::Lit(what) << ", "
    << a << ", " << off << ", " << n << ");\n";
  return c.str();
}

void RegionRecorder::Step(const std::string& title, const std::string& code,
                          const std::string& hang) {
  if (on()) Rec(rec_)->Step(title, code, hang.empty() ? "a memory access returns at once" : hang);
}
void RegionRecorder::ChildStep(const std::string& title, const std::string& code) {
  if (on()) Rec(rec_)->ChildStep(0, title, code, "the child's step returns at once");
}
void RegionRecorder::Fork(const std::string& title) {
  applied_[1] = applied_[0];  // the child starts with a copy of the parent's model
  if (!on()) return;
  Rec(rec_)->Helper("child_att", "static uint8_t *child_att;  /* the child's own attachment */\n");
  Rec(rec_)->Fork(0, title, "");
}
void RegionRecorder::ChildExit(const std::string& title) {
  if (on()) Rec(rec_)->ChildExit(0, title);
}
void RegionRecorder::Unprintable(const std::string& why) {
  if (on()) Rec(rec_)->Unprintable(why);
}

}  // namespace shared_region
}  // namespace ipcspec

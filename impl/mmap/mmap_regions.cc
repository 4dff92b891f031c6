#include "impl/mmap/mmap_regions.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace ipcspec {

std::string RegionFileDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

// ---- FileRegion ----

PosixErrorOr<FileDescriptor> FileRegion::MakeObject() {
  std::string templ = RegionFileDir() + "/ipcspec-region.XXXXXX";
  FileDescriptor fd(mkostemp(templ.data(), O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("mkostemp(" + templ + ")");
  path_ = templ;
  return fd;
}

PosixErrorOr<FileDescriptor> FileRegion::OpenExisting(const std::string& handle) {
  FileDescriptor fd(open(handle.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + handle + ", O_RDWR)");
  path_ = handle;
  return fd;
}

PosixError FileRegion::RemoveObject() {
  if (unlink(path_.c_str()) != 0) return ErrnoError("unlink(" + path_ + ")");
  return NoError();
}

SharedRegionCaps FileRegionCaps() {
  SharedRegionCaps c;
  c.size_rule = RegionSizeRule::kAsked;  // fstat st_size after ftruncate
  c.granularity = PageSize();            // man 2 mmap: "mapped in multiples of the page size"
  c.reach = RegionReach::kName;          // its path
  c.persistence = RegionPersistence::kFilesystem;
  c.attach_after_remove = true;          // the Instance keeps its descriptor after unlink
  c.zero_filled = true;                  // ftruncate(2): the extended part reads as null bytes
  c.read_only_attach = true;
  return c;
}

// ---- MemfdRegion ----

PosixErrorOr<FileDescriptor> MemfdRegion::MakeObject() {
  FileDescriptor fd(memfd_create("ipcspec-region", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ErrnoError("memfd_create(MFD_CLOEXEC|MFD_ALLOW_SEALING)");
  return fd;
}

PosixError MemfdRegion::RemoveObject() {
  // No name: dropping the last descriptor is all there is. The memory lives
  // on while mapped.
  if (fd_.reset() != 0) return ErrnoError("close(memfd)");
  return NoError();
}

std::string MemfdRegion::Handle() const {
  return fd_.valid() ? "memfd fd " + std::to_string(fd_.get()) : "memfd (closed)";
}

SharedRegionCaps MemfdRegionCaps() {
  SharedRegionCaps c;
  c.size_rule = RegionSizeRule::kAsked;
  c.granularity = PageSize();
  // man 2 memfd_create: by fork, by passing the descriptor over a UNIX
  // socket, or through /proc/PID/fd/N.
  c.reach = RegionReach::kDescriptor;
  c.persistence = RegionPersistence::kProcess;
  c.attach_after_remove = false;  // Remove closes the only descriptor
  c.zero_filled = true;
  c.read_only_attach = true;
  return c;
}

// ---- AnonSharedRegion ----

AnonSharedRegion::~AnonSharedRegion() {
  while (attachment_count() > 0) {
    RegionAttachment a = attachment(attachment_count() - 1);
    munmap(a.data, a.length);
    Untrack(a);
  }
  if (base_ != nullptr) munmap(base_, mapped_length());
  base_ = nullptr;
}

PosixError AnonSharedRegion::Create(size_t size) {
  if (created()) return PosixError(EEXIST, "Create twice");
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return ErrnoError("mmap(" + std::to_string(size) + ", MAP_SHARED|MAP_ANONYMOUS)");
  }
  base_ = static_cast<uint8_t*>(p);
  SetSizes(size, RoundUpToPage(size));
  return NoError();
}

PosixErrorOr<RegionAttachment> AnonSharedRegion::Attach(RegionAccess access) {
  if (!created()) return PosixError(EINVAL, "Attach before Create");
  if (TableFull()) return PosixError(EMFILE, "mremap: too many attachments for one Instance");
  // Any live mapping of the pages will do as the source.
  uint8_t* src = base_ != nullptr ? base_ : attachment_count() > 0 ? attachment(0).data : nullptr;
  if (src == nullptr) {
    return PosixError(EIDRM, "Attach: removed and no mapping left to duplicate");
  }
  void* p = mremap(src, 0, mapped_length(), MREMAP_MAYMOVE);
  if (p == MAP_FAILED) return ErrnoError("mremap(old_size 0, MREMAP_MAYMOVE)");
  int prot = access == RegionAccess::kReadOnly ? PROT_READ : PROT_READ | PROT_WRITE;
  if (mprotect(p, mapped_length(), prot) != 0) {
    PosixError e = ErrnoError(std::string("mprotect(") + ToString(access) + ")");
    munmap(p, mapped_length());
    return e;
  }
  RegionAttachment a{static_cast<uint8_t*>(p), mapped_length(), access};
  Track(a);
  return a;
}

PosixError AnonSharedRegion::Detach(const RegionAttachment& a) {
  if (!Untrack(a)) return PosixError(EINVAL, "munmap of an address this Instance did not map");
  if (munmap(a.data, a.length) != 0) return ErrnoError("munmap(anonymous shared)");
  return NoError();
}

PosixError AnonSharedRegion::Remove() {
  if (!created()) return PosixError(EINVAL, "Remove before Create");
  if (removed()) return PosixError(ENOENT, "Remove twice");
  if (munmap(base_, mapped_length()) != 0) return ErrnoError("munmap(base mapping)");
  base_ = nullptr;
  SetRemoved();
  return NoError();
}

PosixErrorOr<size_t> AnonSharedRegion::Size() const {
  const void* p = base_ != nullptr ? base_ : attachment_count() > 0 ? attachment(0).data : nullptr;
  if (p == nullptr) return PosixError(EIDRM, "Size: no mapping left");
  return MappingLength(p);
}

std::string AnonSharedRegion::Handle() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "anonymous MAP_SHARED at %p", static_cast<void*>(base_));
  return buf;
}

SharedRegionCaps AnonSharedRegionCaps() {
  SharedRegionCaps c;
  // A mapping has no size of its own but its length, in whole pages.
  c.size_rule = RegionSizeRule::kPageRounded;
  c.granularity = PageSize();
  // man 2 mmap NOTES: "Memory mapped by mmap() is preserved across fork(2),
  // with the same attributes."
  c.reach = RegionReach::kInheritOnly;
  c.persistence = RegionPersistence::kProcess;
  c.attach_after_remove = true;  // duplicates a live attachment
  c.zero_filled = true;          // MAP_ANONYMOUS: "its contents are initialized to zero"
  c.read_only_attach = true;
  return c;
}

PosixErrorOr<size_t> MappingLength(const void* p) {
  FILE* f = std::fopen("/proc/self/maps", "re");
  if (f == nullptr) return ErrnoError("fopen(/proc/self/maps)");
  char line[512];
  uintptr_t want = reinterpret_cast<uintptr_t>(p);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    uintptr_t start = 0, end = 0;
    if (std::sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2 && start == want) {
      std::fclose(f);
      return static_cast<size_t>(end - start);
    }
  }
  std::fclose(f);
  return PosixError(ENOENT, "/proc/self/maps: no mapping starts at the region");
}

// The Kinds as C (impl/repro): r_create(n) makes the object (setup),
// r_attach(readonly) maps it once more and r_detach(p) unmaps one mapping
// (each checks its own call, as Attach/Detach fail here when it fails), the
// teardown removes the object.
CSnippet FileRegionC() {
  CSnippet c;
  c.includes = "#include <sys/mman.h>\n#include <sys/stat.h>\n";
  c.globals = std::string(R"C(static size_t r_size, r_len;  /* the size asked; each attachment's length (whole pages) */
static size_t r_round(size_t n) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  return (n + pg - 1) / pg * pg;
}
)C") + R"C(static int r_fd = -1;
static char r_path[] = "/tmp/ipcspec-repro-region.XXXXXX";
static int r_made;
static void r_create(size_t n) {
  r_fd = mkostemp(r_path, O_CLOEXEC);
  if (r_fd < 0) setup_failed("mkostemp");
  r_made = 1;
  r_size = n;
  r_len = r_round(n);
  if (ftruncate(r_fd, (off_t)n) != 0) setup_failed("ftruncate");
}
/* Remove(): the name goes; the descriptor and the mappings stay. */
static void r_remove(uint8_t *live) {
  (void)live;
  if (unlink(r_path) != 0)
    broken("man 2 unlink: \"On success, zero is returned.\"", "unlink failed: %s", strerror(errno));
  r_made = 0;
}
/* Adopt(handle): this process finds the object by its path alone. */
static void r_adopt(void) {
  r_fd = open(r_path, O_RDWR | O_CLOEXEC);
  if (r_fd < 0)
    broken("man 2 open: the file exists, by its path, until it is unlinked", "open(%s, O_RDWR): %s",
           r_path, strerror(errno));
}
/* Size(): what fstat(2) reports (st_size). */
static size_t r_reported_size(void) {
  struct stat st;
  if (fstat(r_fd, &st) != 0)
    broken("man 2 fstat: \"On success, zero is returned.\"", "fstat failed: %s", strerror(errno));
  return (size_t)st.st_size;
}
)C" + R"C(static uint8_t *r_attach(int readonly) {
  void *p = mmap(NULL, r_len, readonly ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, r_fd, 0);
  if (p == MAP_FAILED)
    broken("man 2 mmap: \"On success, mmap() returns a pointer to the mapped area.\"",
           "mmap(%zu, %s, MAP_SHARED) failed: %s", r_len, readonly ? "PROT_READ" : "PROT_READ|PROT_WRITE",
           strerror(errno));
  return (uint8_t *)p;
}
static void r_detach(uint8_t *p) {
  if (munmap(p, r_len) != 0)
    broken("man 2 munmap: \"On success, munmap() returns 0.\"", "munmap failed: %s", strerror(errno));
}
)C";
  c.setup = "r_create(REGION_SIZE);\n";
  c.teardown = "if (r_made) unlink(r_path);\nr_made = 0;\nif (r_fd >= 0) close(r_fd);\nr_fd = -1;\n";
  return c;
}

CSnippet MemfdRegionC() {
  CSnippet c;
  c.includes = "#include <sys/mman.h>\n#include <sys/stat.h>\n";
  c.globals = std::string(R"C(static size_t r_size, r_len;  /* the size asked; each attachment's length (whole pages) */
static size_t r_round(size_t n) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  return (n + pg - 1) / pg * pg;
}
)C") + R"C(static int r_fd = -1;
static void r_create(size_t n) {
  r_fd = memfd_create("ipcspec-repro", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (r_fd < 0) setup_failed("memfd_create(MFD_CLOEXEC|MFD_ALLOW_SEALING)");
  r_size = n;
  r_len = r_round(n);
  if (ftruncate(r_fd, (off_t)n) != 0) setup_failed("ftruncate");
}
/* Remove(): the only descriptor is closed; the mappings stay. */
static void r_remove(uint8_t *live) {
  (void)live;
  if (close(r_fd) != 0)
    broken("man 2 close: \"close() returns zero on success.\"", "close failed: %s", strerror(errno));
  r_fd = -1;
}
/* Size(): what fstat(2) reports (st_size). */
static size_t r_reported_size(void) {
  struct stat st;
  if (fstat(r_fd, &st) != 0)
    broken("man 2 fstat: \"On success, zero is returned.\"", "fstat failed: %s", strerror(errno));
  return (size_t)st.st_size;
}
)C" + R"C(static uint8_t *r_attach(int readonly) {
  void *p = mmap(NULL, r_len, readonly ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, r_fd, 0);
  if (p == MAP_FAILED)
    broken("man 2 mmap: \"On success, mmap() returns a pointer to the mapped area.\"",
           "mmap(%zu, %s, MAP_SHARED) failed: %s", r_len, readonly ? "PROT_READ" : "PROT_READ|PROT_WRITE",
           strerror(errno));
  return (uint8_t *)p;
}
static void r_detach(uint8_t *p) {
  if (munmap(p, r_len) != 0)
    broken("man 2 munmap: \"On success, munmap() returns 0.\"", "munmap failed: %s", strerror(errno));
}
)C";
  c.setup = "r_create(REGION_SIZE);\n";
  c.teardown = "if (r_fd >= 0) close(r_fd);\nr_fd = -1;\n";
  return c;
}

CSnippet AnonSharedRegionC() {
  CSnippet c;
  c.includes = "#include <sys/mman.h>\n";
  c.globals = std::string(R"C(static size_t r_size, r_len;  /* the size asked; each attachment's length (whole pages) */
static size_t r_round(size_t n) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  return (n + pg - 1) / pg * pg;
}
)C") + R"C(static uint8_t *r_base;  /* the first mapping, kept: the source of the others */
static void r_create(size_t n) {
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) setup_failed("mmap(MAP_SHARED|MAP_ANONYMOUS)");
  r_base = (uint8_t *)p;
  r_size = n;
  r_len = r_round(n);
}
/* One more mapping of the same pages: mremap(old_size 0) duplicates a shared
   mapping (man 2 mremap: "If the value of old_size is zero, and old_address
   refers to a shareable mapping ..., then mremap() will create a new mapping
   of the same pages."), then mprotect for the access asked. */
static uint8_t *r_attach(int readonly) {
  void *p = mremap(r_base, 0, r_len, MREMAP_MAYMOVE);
  if (p == MAP_FAILED)
    broken("man 2 mremap: \"If the value of old_size is zero, and old_address refers to a "
           "shareable mapping ..., then mremap() will create a new mapping of the same pages.\"",
           "mremap(old_size 0, %zu, MREMAP_MAYMOVE) failed: %s", r_len, strerror(errno));
  if (mprotect(p, r_len, readonly ? PROT_READ : PROT_READ | PROT_WRITE) != 0)
    broken("man 2 mprotect: \"On success, mprotect() ... return[s] zero.\"", "mprotect failed: %s",
           strerror(errno));
  return (uint8_t *)p;
}
static void r_detach(uint8_t *p) {
  if (munmap(p, r_len) != 0)
    broken("man 2 munmap: \"On success, munmap() returns 0.\"", "munmap failed: %s", strerror(errno));
}
/* Remove(): the first mapping goes; a live attachment is the source of the
   next ones. */
static void r_remove(uint8_t *live) {
  if (munmap(r_base, r_len) != 0)
    broken("man 2 munmap: \"On success, munmap() returns 0.\"", "munmap failed: %s", strerror(errno));
  r_base = live;
}
/* Size(): a mapping has no size but its length, from /proc/self/maps. */
static size_t r_reported_size(void) {
  char line[512];
  FILE *f = fopen("/proc/self/maps", "r");
  if (f == NULL) setup_failed("fopen(/proc/self/maps)");
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long start, end;
    if (sscanf(line, "%lx-%lx", &start, &end) == 2 && start == (unsigned long)r_base) {
      fclose(f);
      return (size_t)(end - start);
    }
  }
  fclose(f);
  broken("man 5 proc: /proc/[pid]/maps \"A file containing the currently mapped memory regions\"",
         "no mapping starts at the region");
  return 0;
}
)C";
  c.setup = "r_create(REGION_SIZE);\n";
  c.teardown = "/* nothing: the mappings go with the process */\n";
  return c;
}

namespace {

using RegionPtr = std::unique_ptr<SharedRegion>;

IPCSPEC_REGISTER_KIND(SharedRegionInterface,
                      WithC(SharedRegionKind{
                          "mmap_file", "mmap",
                          "a file under $TEST_TMPDIR, ftruncate + mmap(MAP_SHARED), unlinked",
                          FileRegionCaps(), []() -> PosixErrorOr<RegionPtr> {
                            return RegionPtr(new FileRegion());
                          }},
                            FileRegionC()));
IPCSPEC_REGISTER_KIND(SharedRegionInterface,
                      WithC(SharedRegionKind{
                          "memfd", "memfd",
                          "memfd_create(MFD_ALLOW_SEALING) + ftruncate + mmap(MAP_SHARED)",
                          MemfdRegionCaps(), []() -> PosixErrorOr<RegionPtr> {
                            return RegionPtr(new MemfdRegion());
                          }},
                            MemfdRegionC()));
IPCSPEC_REGISTER_KIND(SharedRegionInterface,
                      WithC(SharedRegionKind{
                          "mmap_anon_shared", "mmap",
                          "mmap(MAP_SHARED|MAP_ANONYMOUS), shared across fork; more "
                          "attachments by mremap(old_size 0)",
                          AnonSharedRegionCaps(), []() -> PosixErrorOr<RegionPtr> {
                            return RegionPtr(new AnonSharedRegion());
                          }},
                            AnonSharedRegionC()));

}  // namespace
}  // namespace ipcspec

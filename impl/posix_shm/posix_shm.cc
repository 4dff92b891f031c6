#include "impl/posix_shm/posix_shm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>

namespace ipcspec {

std::string NewPosixShmName() {
  static std::atomic<unsigned> counter{0};
  return "/ipcspec." + std::to_string(getpid()) + "." + std::to_string(counter++);
}

PosixErrorOr<FileDescriptor> PosixShmRegion::MakeObject() {
  // man 3 shm_open: "The FD_CLOEXEC flag (see fcntl(2)) is set for the file
  // descriptor."
  FileDescriptor fd(shm_open(name_.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600));
  if (!fd.valid()) return ErrnoError("shm_open(" + name_ + ", O_RDWR|O_CREAT|O_EXCL)");
  return fd;
}

PosixErrorOr<FileDescriptor> PosixShmRegion::OpenExisting(const std::string& handle) {
  FileDescriptor fd(shm_open(handle.c_str(), O_RDWR, 0));
  if (!fd.valid()) return ErrnoError("shm_open(" + handle + ", O_RDWR)");
  name_ = handle;
  return fd;
}

PosixError PosixShmRegion::RemoveObject() {
  if (shm_unlink(name_.c_str()) != 0) return ErrnoError("shm_unlink(" + name_ + ")");
  return NoError();
}

SharedRegionCaps PosixShmCaps() {
  SharedRegionCaps c;
  // man 7 shm_overview: ftruncate sets the size, fstat reports st_size.
  c.size_rule = RegionSizeRule::kAsked;
  c.granularity = PageSize();
  // man 3 shm_open: "a handle which can be used by unrelated processes".
  c.reach = RegionReach::kName;
  // man 7 shm_overview "Persistence": kernel persistence.
  c.persistence = RegionPersistence::kKernel;
  // The Instance keeps its descriptor after shm_unlink.
  c.attach_after_remove = true;
  c.zero_filled = true;
  c.read_only_attach = true;
  return c;
}

namespace {

// The Kind as C (impl/repro): r_create(n) in the setup, r_attach(readonly)
// and r_detach(p) check their own calls, the teardown unlinks the name.
CSnippet PosixShmC() {
  CSnippet c;
  c.includes = "#include <sys/mman.h>\n#include <sys/stat.h>\n";
  c.libs = "-lrt";
  c.globals = std::string(R"C(static size_t r_size, r_len;  /* the size asked; each attachment's length (whole pages) */
static size_t r_round(size_t n) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  return (n + pg - 1) / pg * pg;
}
)C") + R"C(static int r_fd = -1;
static char r_name[64];
static int r_made;
static void r_create(size_t n) {
  snprintf(r_name, sizeof r_name, "/ipcspec-repro.%d", (int)getpid());
  r_fd = shm_open(r_name, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (r_fd < 0) setup_failed("shm_open(O_RDWR|O_CREAT|O_EXCL)");
  r_made = 1;
  r_size = n;
  r_len = r_round(n);
  if (ftruncate(r_fd, (off_t)n) != 0) setup_failed("ftruncate");
}
static uint8_t *r_attach(int readonly) {
  void *p = mmap(NULL, r_len, readonly ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, r_fd, 0);
  if (p == MAP_FAILED)
    broken("man 2 mmap: \"On success, mmap() returns a pointer to the mapped area.\"",
           "mmap(%zu, %s, MAP_SHARED) of the shm_open descriptor failed: %s", r_len,
           readonly ? "PROT_READ" : "PROT_READ|PROT_WRITE", strerror(errno));
  return (uint8_t *)p;
}
/* Remove(): the name goes; the descriptor and the mappings stay. */
static void r_remove(uint8_t *live) {
  (void)live;
  if (shm_unlink(r_name) != 0)
    broken("man 3 shm_unlink: \"returns 0 on success\"", "shm_unlink failed: %s", strerror(errno));
  r_made = 0;
}
/* Adopt(handle): this process finds the object by its name alone. */
static void r_adopt(void) {
  r_fd = shm_open(r_name, O_RDWR, 0);
  if (r_fd < 0)
    broken("man 3 shm_open: \"A POSIX shared memory object is in effect a handle which can be "
           "used by unrelated processes to mmap(2) the same region of shared memory\"",
           "shm_open(%s, O_RDWR): %s", r_name, strerror(errno));
}
/* Size(): what fstat(2) reports (st_size). */
static size_t r_reported_size(void) {
  struct stat st;
  if (fstat(r_fd, &st) != 0)
    broken("man 2 fstat: \"On success, zero is returned.\"", "fstat failed: %s", strerror(errno));
  return (size_t)st.st_size;
}
static void r_detach(uint8_t *p) {
  if (munmap(p, r_len) != 0)
    broken("man 2 munmap: \"On success, munmap() returns 0.\"", "munmap failed: %s", strerror(errno));
}
)C";
  c.setup = "r_create(REGION_SIZE);\n";
  c.teardown = "if (r_made) shm_unlink(r_name);\nr_made = 0;\nif (r_fd >= 0) close(r_fd);\nr_fd = -1;\n";
  return c;
}

IPCSPEC_REGISTER_KIND(SharedRegionInterface,
                      WithC(SharedRegionKind{
                          "posix_shm", "posix_shm",
                          "shm_open(O_CREAT|O_EXCL) + ftruncate + mmap(MAP_SHARED), shm_unlink",
                          PosixShmCaps(), []() -> PosixErrorOr<std::unique_ptr<SharedRegion>> {
                            return std::unique_ptr<SharedRegion>(new PosixShmRegion());
                          }},
                            PosixShmC()));

}  // namespace
}  // namespace ipcspec

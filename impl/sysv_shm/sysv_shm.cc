#include "impl/sysv_shm/sysv_shm.h"

#include <sys/shm.h>

#include <cstdio>

namespace ipcspec {

SysvShmRegion::~SysvShmRegion() { Teardown(); }

void SysvShmRegion::Teardown() {
  while (attachment_count() > 0) {
    RegionAttachment a = attachment(attachment_count() - 1);
    shmdt(a.data);
    Untrack(a);
  }
  if (id_ >= 0 && !removed()) {
    shmctl(id_, IPC_RMID, nullptr);
    SetRemoved();
  }
}

PosixError SysvShmRegion::Create(size_t size) {
  if (created()) return PosixError(EEXIST, "SysvShmRegion::Create twice");
  size_t ask = ShmgetSize(size);
  int id = shmget(key_, ask, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) {
    return ErrnoError("shmget(key " + std::to_string(key_) + ", " + std::to_string(ask) +
                      ", IPC_CREAT|IPC_EXCL|0600)");
  }
  id_ = id;
  // man 2 shmget: "with size equal to the value of size rounded up to a
  // multiple of PAGE_SIZE".
  SetSizes(size, RoundUpToPage(size));
  return NoError();
}

PosixErrorOr<RegionAttachment> SysvShmRegion::Attach(RegionAccess access) {
  if (id_ < 0) return PosixError(EINVAL, "shmat before Create");
  if (TableFull()) return PosixError(EMFILE, "shmat: too many attachments for one Instance");
  void* p = shmat(id_, nullptr, access == RegionAccess::kReadOnly ? SHM_RDONLY : 0);
  if (p == reinterpret_cast<void*>(-1)) {
    return ErrnoError("shmat(shmid " + std::to_string(id_) + ", " + ToString(access) + ")");
  }
  RegionAttachment a{static_cast<uint8_t*>(p), mapped_length(), access};
  Track(a);
  return a;
}

PosixError SysvShmRegion::Detach(const RegionAttachment& a) {
  if (!Untrack(a)) return PosixError(EINVAL, "shmdt of an address this Instance did not attach");
  if (shmdt(a.data) != 0) return ErrnoError("shmdt(shmid " + std::to_string(id_) + ")");
  return NoError();
}

PosixError SysvShmRegion::Remove() {
  if (id_ < 0) return PosixError(EINVAL, "IPC_RMID before Create");
  if (removed()) return PosixError(EIDRM, "IPC_RMID twice");
  if (shmctl(id_, IPC_RMID, nullptr) != 0) {
    return ErrnoError("shmctl(shmid " + std::to_string(id_) + ", IPC_RMID)");
  }
  SetRemoved();
  return NoError();
}

PosixErrorOr<size_t> SysvShmRegion::Size() const {
  struct shmid_ds ds;
  if (shmctl(id_, IPC_STAT, &ds) != 0) {
    return ErrnoError("shmctl(shmid " + std::to_string(id_) + ", IPC_STAT)");
  }
  return static_cast<size_t>(ds.shm_segsz);
}

std::string SysvShmRegion::Handle() const { return "shmid " + std::to_string(id_); }

PosixError SysvShmRegion::Adopt(const std::string& handle) {
  if (created()) return PosixError(EEXIST, "Adopt(" + handle + ") on an Instance that has a segment");
  int id = -1;
  if (std::sscanf(handle.c_str(), "shmid %d", &id) != 1 || id < 0) {
    return PosixError(EINVAL, "Adopt(" + handle + "): not a \"shmid N\" handle");
  }
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) return ErrnoError("shmctl(" + handle + ", IPC_STAT)");
  id_ = id;
  SetSizes(ds.shm_segsz, RoundUpToPage(ds.shm_segsz));
  return NoError();
}

SharedRegionCaps SysvShmCaps() {
  SharedRegionCaps c;
  // man 2 shmget: "shm_segsz is set to the value of size".
  c.size_rule = RegionSizeRule::kAsked;
  c.granularity = PageSize();
  // Any process in the IPC namespace with permission can shmat the id.
  c.reach = RegionReach::kName;
  // man 2 shmctl IPC_RMID: destroyed "only after the last process detaches
  // it"; until IPC_RMID it outlives every process.
  c.persistence = RegionPersistence::kKernel;
  // Linux only (man 2 shmctl NOTES): shmat of a segment marked for deletion.
  c.attach_after_remove = true;
  c.zero_filled = true;
  c.read_only_attach = true;
  return c;
}

namespace {

// The Kind as C (impl/repro): r_create(n) in the setup, r_attach(readonly)
// and r_detach(p) check their own calls, the teardown removes the segment.
CSnippet SysvShmC() {
  CSnippet c;
  c.includes = "#include <sys/ipc.h>\n#include <sys/shm.h>\n";
  c.globals = std::string(R"C(static size_t r_size, r_len;  /* the size asked; each attachment's length (whole pages) */
static size_t r_round(size_t n) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  return (n + pg - 1) / pg * pg;
}
)C") + R"C(static int r_id = -1, r_removed;
static void r_create(size_t n) {
  r_id = shmget(IPC_PRIVATE, n, IPC_CREAT | IPC_EXCL | 0600);
  if (r_id < 0) setup_failed("shmget(IPC_PRIVATE, IPC_CREAT|IPC_EXCL|0600)");
  r_size = n;
  r_len = r_round(n);
}
static uint8_t *r_attach(int readonly) {
  void *p = shmat(r_id, NULL, readonly ? SHM_RDONLY : 0);
  if (p == (void *)-1)
    broken("man 2 shmop: \"On success, shmat() returns the address of the attached shared "
           "memory segment\"",
           "shmat(%d, %s) failed: %s", r_id, readonly ? "SHM_RDONLY" : "0", strerror(errno));
  return (uint8_t *)p;
}
/* Remove(): IPC_RMID; the attachments stay (and, on Linux, shmat still
   works: man 2 shmctl NOTES). */
static void r_remove(uint8_t *live) {
  (void)live;
  if (shmctl(r_id, IPC_RMID, NULL) != 0)
    broken("man 2 shmctl: IPC_RMID \"returns 0\" on success", "shmctl(IPC_RMID) failed: %s",
           strerror(errno));
  r_removed = 1;
}
/* Adopt(handle): the id is the handle; any process may shmat it. */
static void r_adopt(void) {
  struct shmid_ds ds;
  if (shmctl(r_id, IPC_STAT, &ds) != 0)
    broken("man 7 sysvipc: shmget(2) \"obtain the ID of an existing segment\", shmat(2)",
           "shmctl(%d, IPC_STAT): %s", r_id, strerror(errno));
}
/* Size(): shm_segsz from IPC_STAT. */
static size_t r_reported_size(void) {
  struct shmid_ds ds;
  if (shmctl(r_id, IPC_STAT, &ds) != 0)
    broken("man 2 shmctl: IPC_STAT \"returns 0\" on success", "shmctl(IPC_STAT) failed: %s",
           strerror(errno));
  return (size_t)ds.shm_segsz;
}
static void r_detach(uint8_t *p) {
  if (shmdt(p) != 0)
    broken("man 2 shmop: \"On success, shmdt() returns 0\"", "shmdt failed: %s", strerror(errno));
}
)C";
  c.setup = "r_create(REGION_SIZE);\n";
  c.teardown = "if (r_id >= 0 && !r_removed) shmctl(r_id, IPC_RMID, NULL);\nr_id = -1;\n";
  return c;
}

IPCSPEC_REGISTER_KIND(SharedRegionInterface,
                      WithC(SharedRegionKind{
                          "sysv_shm", "sysv_shm",
                          "shmget(IPC_PRIVATE) + shmat/shmdt, removed with shmctl(IPC_RMID)",
                          SysvShmCaps(), []() -> PosixErrorOr<std::unique_ptr<SharedRegion>> {
                            return std::unique_ptr<SharedRegion>(new SysvShmRegion());
                          }},
                            SysvShmC()));

}  // namespace
}  // namespace ipcspec

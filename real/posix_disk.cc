#include "real/posix_disk.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"

namespace kvlab::real {
namespace {

// Appends larger than this bypass the buffer (a 512 MiB value is not copied twice).
constexpr size_t kMaxBufferedBytes = 1024 * 1024;
// Preallocation chunks: zeros are written from one static block, up to kMaxZeroIovecs at a time.
constexpr size_t kZeroBlockBytes = 64 * 1024;
constexpr size_t kMaxZeroIovecs = 64;
constexpr uint64_t kMaxPreallocateChunkBytes = 64ull * 1024 * 1024;
static_assert(kDefaultPreallocateChunkBytes <= kMaxPreallocateChunkBytes);
static_assert(kDefaultPreallocateChunkBytes % kZeroBlockBytes == 0);
const char kZeroBlock[kZeroBlockBytes] = {};

absl::Status Errno(std::string_view what, std::string_view path) {
  const std::string text = absl::StrCat(std::string(what), " ", std::string(path), ": ", std::strerror(errno));
  return errno == ENOENT ? absl::NotFoundError(text) : absl::InternalError(text);
}

absl::Status ValidName(std::string_view file) {
  if (file.empty() || file == "." || file == ".." || file.find('/') != std::string_view::npos ||
      file.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("bad file name '", std::string(file), "'"));
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, std::string_view bytes, std::string_view path) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status PwriteAll(int fd, std::string_view bytes, uint64_t offset, std::string_view path) {
  while (!bytes.empty()) {
    const ssize_t n = pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

// Writes `count` zero bytes at `offset`.
absl::Status WriteZeros(int fd, uint64_t offset, uint64_t count, std::string_view path) {
  iovec iov[kMaxZeroIovecs];
  while (count > 0) {
    int n_iov = 0;
    uint64_t batch = 0;
    while (n_iov < static_cast<int>(kMaxZeroIovecs) && batch < count) {
      const size_t len = static_cast<size_t>(std::min<uint64_t>(kZeroBlockBytes, count - batch));
      iov[n_iov++] = iovec{const_cast<char*>(kZeroBlock), len};
      batch += len;
    }
    const ssize_t n = pwritev(fd, iov, n_iov, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("write", path);
    offset += static_cast<uint64_t>(n);
    count -= static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PosixDisk>> PosixDisk::Open(const std::string& dir, PosixDiskOptions options) {
  if (options.preallocate_chunk_bytes == 0 || options.preallocate_chunk_bytes > kMaxPreallocateChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat("preallocate chunk of ", options.preallocate_chunk_bytes,
                                                   " bytes: must be 1..", kMaxPreallocateChunkBytes));
  }
  for (size_t slash = dir.find('/', 1); slash != std::string::npos; slash = dir.find('/', slash + 1)) {
    mkdir(dir.substr(0, slash).c_str(), 0755);  // parents; errors surface at the last mkdir.
  }
  if (options.sync_delay < std::chrono::nanoseconds::zero() || options.sync_delay > kMaxSyncDelay) {
    return absl::InvalidArgumentError(absl::StrCat("sync delay must be 0..", kMaxSyncDelay.count(), " ms"));
  }
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", dir);
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Errno("open", dir);
  const std::string lock_path = dir + "/LOCK";
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    absl::Status s = Errno("open", lock_path);
    close(dir_fd);
    return s;
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd);
    close(dir_fd);
    return absl::FailedPreconditionError(absl::StrCat("data dir ", dir, " is in use by another process"));
  }
  std::unique_ptr<PosixDisk> disk(new PosixDisk(dir, dir_fd, lock_fd, std::move(options)));
  if (disk->options_.async_syncs) {
    absl::StatusOr<std::unique_ptr<SyncThread>> thread = SyncThread::Start(disk->options_.sync_delay);
    if (!thread.ok()) return thread.status();
    disk->sync_thread_ = *std::move(thread);
  }
  return disk;
}

PosixDisk::~PosixDisk() {
  sync_thread_.reset();  // finishes the syncs in flight.
  (void)FlushBuffers();
  while (!files_.empty()) CloseFile(files_.begin()->first);
  close(lock_fd_);
  close(dir_fd_);
}

std::string PosixDisk::Path(std::string_view file) const { return absl::StrCat(dir_, "/", std::string(file)); }

bool PosixDisk::Preallocates(std::string_view file) const {
  return std::find(options_.preallocate.begin(), options_.preallocate.end(), file) != options_.preallocate.end();
}

absl::StatusOr<PosixDisk::OpenFile*> PosixDisk::OpenForAppend(std::string_view file) {
  // Appends go to one file (the WAL) almost always: check it before the map.
  if (last_ != nullptr && last_->first == file) return &last_->second;
  auto it = files_.find(file);
  if (it != files_.end()) {
    last_ = &*it;
    return &it->second;
  }
  if (absl::Status s = ValidName(file); !s.ok()) return s;
  const std::string path = Path(file);
  const bool preallocated = Preallocates(file);
  // A preallocated file is written at explicit offsets: O_APPEND would write after the zeros.
  const int mode = O_WRONLY | O_CLOEXEC | (preallocated ? 0 : O_APPEND);
  int fd = open(path.c_str(), mode);
  if (fd < 0 && errno == ENOENT) {
    fd = open(path.c_str(), mode | O_CREAT, 0644);
    dir_dirty_ = true;  // the new name is durable only once the directory is synced.
  }
  if (fd < 0) return Errno("open", path);
  OpenFile& f = files_[std::string(file)];
  f.fd = fd;
  f.preallocated = preallocated;
  if (preallocated) {
    // REQUIRES: no zero tail (the WAL's reader cut it before the first append after a start).
    struct stat st {};
    if (fstat(fd, &st) != 0) return Errno("stat", path);
    f.end = f.allocated = static_cast<uint64_t>(st.st_size);
  }
  return &f;
}

absl::Status PosixDisk::ExtendWithZeros(std::string_view file, OpenFile& f) {
  const uint64_t chunk = options_.preallocate_chunk_bytes;
  const uint64_t target = (f.end / chunk + 1) * chunk;  // at least one byte of zeros ahead.
  if (absl::Status s = WriteZeros(f.fd, f.end, target - f.end, Path(file)); !s.ok()) return s;
  f.allocated = target;
  ++preallocations_;
  return absl::OkStatus();
}

absl::Status PosixDisk::WriteData(std::string_view file, OpenFile& f, std::string_view bytes) {
  if (!f.preallocated) return WriteAll(f.fd, bytes, Path(file));
  absl::Status s = PwriteAll(f.fd, bytes, f.end, Path(file));
  // On error the file's end is unknown; the caller reports the failure and the writer above
  // (the WAL) stops appending.
  if (!s.ok()) return s;
  f.end += bytes.size();
  if (f.end > f.allocated) f.allocated = f.end;
  // The data reached the zeros' end: write the next chunk now, so the fdatasync that follows is
  // the one that carries the size change, and the next chunk's syncs carry none.
  if (f.end == f.allocated) return ExtendWithZeros(file, f);
  return absl::OkStatus();
}

absl::Status PosixDisk::WritePending(std::string_view file, OpenFile& f) {
  if (f.pending.empty()) return absl::OkStatus();
  absl::Status s = WriteData(file, f, f.pending);
  f.pending.clear();  // on error the bytes are lost; the caller reports the failure.
  if (f.pending.capacity() > 4 * kMaxBufferedBytes) std::string().swap(f.pending);
  return s;
}

absl::Status PosixDisk::FlushFile(std::string_view file) {
  auto it = files_.find(file);
  return it == files_.end() ? absl::OkStatus() : WritePending(file, it->second);
}

absl::Status PosixDisk::FlushBuffers() {
  absl::Status result;
  for (auto& [name, f] : files_) result.Update(WritePending(name, f));
  return result;
}

void PosixDisk::CloseFile(std::string_view file) {
  auto it = files_.find(file);
  if (it == files_.end()) return;
  if (last_ == &*it) last_ = nullptr;
  // Cut the zeros: a file closed in order holds its data only (a crash leaves them; see header).
  if (it->second.preallocated && it->second.allocated > it->second.end) {
    (void)!ftruncate(it->second.fd, static_cast<off_t>(it->second.end));
  }
  close(it->second.fd);
  files_.erase(it);
}

absl::Status PosixDisk::SyncDir() {
  if (fsync(dir_fd_) != 0) return Errno("fsync", dir_);
  dir_dirty_ = false;
  return absl::OkStatus();
}

absl::Status PosixDisk::Append(std::string_view file, std::string_view bytes) {
  absl::StatusOr<OpenFile*> f = OpenForAppend(file);
  if (!f.ok()) return f.status();
  if ((*f)->pending.size() + bytes.size() <= kMaxBufferedBytes) {
    (*f)->pending.append(bytes);
    return absl::OkStatus();
  }
  if (absl::Status s = WritePending(file, **f); !s.ok()) return s;
  return WriteData(file, **f, bytes);
}

absl::Status PosixDisk::SyncInline(std::string_view file, OpenFile& f) {
  // Test-only slow disk: the sleep stands for the device's time, on the thread that waits for it.
  const auto start = std::chrono::steady_clock::now();
  if (options_.sync_delay > std::chrono::nanoseconds::zero()) std::this_thread::sleep_for(options_.sync_delay);
  if (fdatasync(f.fd) != 0) return Errno("fdatasync", Path(file));
  sync_latency_.Record(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  ++fsyncs_;
  return dir_dirty_ ? SyncDir() : absl::OkStatus();
}

absl::Status PosixDisk::Sync(std::string_view file) {
  absl::StatusOr<OpenFile*> f = OpenForAppend(file);
  if (!f.ok()) return f.status();
  if (absl::Status s = WritePending(file, **f); !s.ok()) return s;
  return SyncInline(file, **f);
}

// The buffered appends reach the OS here, on the caller's thread: the sync thread only syncs.
void PosixDisk::StartSync(std::string_view file, core::SyncToken token) {
  absl::StatusOr<OpenFile*> f = OpenForAppend(file);
  absl::Status status = f.ok() ? WritePending(file, **f) : f.status();
  if (status.ok() && sync_thread_ != nullptr && sync_thread_->outstanding() < kMaxSyncsInFlight) {
    sync_thread_->Submit((*f)->fd, dir_dirty_ ? dir_fd_ : -1, Path(file), token);
    dir_dirty_ = false;  // the directory's sync is in this request, ahead of any later one.
    ++fsyncs_;
    return;
  }
  // Inline: after every earlier sync, so completions keep the order the syncs were started in.
  WaitForSyncs();
  if (status.ok()) status = SyncInline(file, **f);
  syncs_done_.push_back(SyncDone{token, std::move(status)});
}

void PosixDisk::WaitForSyncs() {
  if (sync_thread_ == nullptr) return;
  sync_thread_->WaitForDone();
  for (SyncDone& d : sync_thread_->TakeDone()) syncs_done_.push_back(std::move(d));
}

std::vector<SyncDone> PosixDisk::TakeSyncsDone() {
  if (sync_thread_ != nullptr) {
    for (SyncDone& d : sync_thread_->TakeDone()) {
      if (d.took.count() > 0) sync_latency_.Record(d.took.count());
      syncs_done_.push_back(std::move(d));
    }
  }
  std::vector<SyncDone> out;
  out.swap(syncs_done_);
  return out;
}

size_t PosixDisk::syncs_outstanding() const {
  return syncs_done_.size() + (sync_thread_ != nullptr ? sync_thread_->outstanding() : 0);
}

absl::StatusOr<std::string> PosixDisk::Read(std::string_view file) {
  if (absl::Status s = ValidName(file); !s.ok()) return s;
  if (absl::Status s = FlushFile(file); !s.ok()) return s;
  const std::string path = Path(file);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  std::string data;
  struct stat st {};
  if (fstat(fd, &st) == 0 && st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size));
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = Errno("read", path);
      close(fd);
      return s;
    }
    if (n == 0) break;
    data.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  return data;
}

absl::Status PosixDisk::Truncate(std::string_view file, uint64_t size) {
  if (absl::Status s = ValidName(file); !s.ok()) return s;
  if (absl::Status s = FlushFile(file); !s.ok()) return s;
  const std::string path = Path(file);
  if (truncate(path.c_str(), static_cast<off_t>(size)) != 0) return Errno("truncate", path);
  auto it = files_.find(file);
  if (it != files_.end() && it->second.preallocated) {
    it->second.end = it->second.allocated = size;  // zeros come back with the next append.
  }
  return absl::OkStatus();
}

absl::Status PosixDisk::Rename(std::string_view from, std::string_view to) {
  if (absl::Status s = ValidName(from); !s.ok()) return s;
  if (absl::Status s = ValidName(to); !s.ok()) return s;
  if (absl::Status s = FlushFile(from); !s.ok()) return s;
  CloseFile(from);  // the cached descriptors would name the wrong files afterwards.
  CloseFile(to);
  if (rename(Path(from).c_str(), Path(to).c_str()) != 0) return Errno("rename", Path(from));
  return SyncDir();
}

absl::Status PosixDisk::Remove(std::string_view file) {
  if (absl::Status s = ValidName(file); !s.ok()) return s;
  CloseFile(file);
  const std::string path = Path(file);
  if (unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return Errno("unlink", path);
  }
  return SyncDir();
}

}  // namespace kvlab::real

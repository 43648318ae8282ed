#include "real/posix_disk.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kvlab::real {
namespace {

// Appends larger than this bypass the buffer (a 512 MiB value is not copied twice).
constexpr size_t kMaxBufferedBytes = 1024 * 1024;

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

}  // namespace

absl::StatusOr<std::unique_ptr<PosixDisk>> PosixDisk::Open(const std::string& dir) {
  for (size_t slash = dir.find('/', 1); slash != std::string::npos; slash = dir.find('/', slash + 1)) {
    mkdir(dir.substr(0, slash).c_str(), 0755);  // parents; errors surface at the last mkdir.
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
  return std::unique_ptr<PosixDisk>(new PosixDisk(dir, dir_fd, lock_fd));
}

PosixDisk::~PosixDisk() {
  (void)FlushBuffers();
  for (auto& [name, f] : files_) close(f.fd);
  close(lock_fd_);
  close(dir_fd_);
}

std::string PosixDisk::Path(std::string_view file) const { return absl::StrCat(dir_, "/", std::string(file)); }

absl::StatusOr<PosixDisk::OpenFile*> PosixDisk::OpenForAppend(std::string_view file) {
  if (absl::Status s = ValidName(file); !s.ok()) return s;
  auto it = files_.find(file);
  if (it != files_.end()) return &it->second;
  const std::string path = Path(file);
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    dir_dirty_ = true;  // the new name is durable only once the directory is synced.
  }
  if (fd < 0) return Errno("open", path);
  OpenFile& f = files_[std::string(file)];
  f.fd = fd;
  return &f;
}

absl::Status PosixDisk::WritePending(std::string_view file, OpenFile& f) {
  if (f.pending.empty()) return absl::OkStatus();
  absl::Status s = WriteAll(f.fd, f.pending, Path(file));
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
  return WriteAll((*f)->fd, bytes, Path(file));
}

absl::Status PosixDisk::Sync(std::string_view file) {
  absl::StatusOr<OpenFile*> f = OpenForAppend(file);
  if (!f.ok()) return f.status();
  if (absl::Status s = WritePending(file, **f); !s.ok()) return s;
  if (fdatasync((*f)->fd) != 0) return Errno("fdatasync", Path(file));
  ++fsyncs_;
  return dir_dirty_ ? SyncDir() : absl::OkStatus();
}

absl::StatusOr<std::string> PosixDisk::Read(std::string_view file) {
  if (absl::Status s = ValidName(file); !s.ok()) return s;
  if (absl::Status s = FlushFile(file); !s.ok()) return s;
  const std::string path = Path(file);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  std::string data;
  struct stat st{};
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

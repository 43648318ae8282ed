#include "real/wal_scan.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/constants.h"
#include "core/kv/wal.h"
#include "real/data_dir_layout.h"
#include "real/overlay_disk.h"

namespace kvlab::real {
namespace {

// One ReadWal pass: the records up to the end, a torn tail or the first corrupt record.
struct Pass {
  uint64_t records = 0;
  uint64_t valid_bytes = 0;
  uint64_t torn_bytes = 0;
  absl::Status error;                  // DataLoss for a corrupt record.
  std::optional<uint64_t> corrupt_at;  // its offset, when the error names one.
};

// core::ReadWal names the offset of a corrupt record ("... corrupt record at offset 1234 of file ...").
std::optional<uint64_t> OffsetIn(std::string_view message) {
  constexpr std::string_view kAt = "at offset ";
  const size_t at = message.find(kAt);
  if (at == std::string_view::npos) return std::nullopt;
  uint64_t offset = 0;
  size_t i = at + kAt.size();
  if (i >= message.size() || message[i] < '0' || message[i] > '9') return std::nullopt;
  for (; i < message.size() && message[i] >= '0' && message[i] <= '9'; ++i) offset = offset * 10 + (message[i] - '0');
  return offset;
}

Pass ReadOnce(const std::string& file, std::string bytes) {
  OverlayDisk disk("(memory)");
  disk.Put(file, std::move(bytes));
  Pass pass;
  absl::StatusOr<core::WalContents> wal = core::ReadWal(disk, file);
  if (!wal.ok()) {
    pass.error = wal.status();
    pass.corrupt_at = OffsetIn(std::string(wal.status().message()));
    return pass;
  }
  pass.records = wal->records.size();
  pass.valid_bytes = wal->valid_bytes;
  pass.torn_bytes = wal->cut_bytes;
  return pass;
}

// Well-formed records after the corrupt record at `offset`, if its length can be trusted (the
// header's length check holds and the record fits in the file).
void CountRecordsAfter(const std::string& file, const std::string& bytes, uint64_t offset, LogScan* scan) {
  if (offset + core::kWalRecordHeaderBytes > bytes.size()) return;
  const uint32_t length = core::LoadU32(bytes.data() + offset);
  const uint32_t length_check = core::LoadU32(bytes.data() + offset + 4);
  const uint64_t next = offset + core::kWalRecordHeaderBytes + length;
  if (length_check != ~length || next > bytes.size()) return;
  const Pass rest = ReadOnce(file, bytes.substr(next));
  if (rest.error.ok()) {
    scan->records_after = rest.records;
    return;
  }
  scan->more_after = true;
  if (rest.corrupt_at) scan->records_after = ReadOnce(file, bytes.substr(next, *rest.corrupt_at)).records;
}

std::optional<uint64_t> SizeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

// The log's framing first; the policy's recovery (which also reads the snapshot) only if it holds.
PolicyScan ScanPolicy(const std::string& dir, const PolicyFiles& files) {
  PolicyScan p;
  p.policy = files.policy;
  OverlayDisk disk(dir);
  absl::StatusOr<std::string> log = disk.Read(files.log);
  p.log.file = files.log;
  if (log.ok()) p.log = ScanLogBytes(files.log, *std::move(log));
  p.snapshot_bytes = SizeOf(absl::StrCat(dir, "/", files.snapshot));
  if (p.log.corrupt) return p;
  p.recovery_run = true;
  p.recovery = files.recover(disk);
  return p;
}

}  // namespace

LogScan ScanLogBytes(const std::string& file, std::string bytes) {
  LogScan scan;
  scan.file = file;
  scan.exists = true;
  scan.bytes = bytes.size();
  const Pass whole = ReadOnce(file, bytes);
  if (whole.error.ok()) {
    scan.records = whole.records;
    scan.good_bytes = whole.valid_bytes;
    scan.torn_bytes = whole.torn_bytes;
    return scan;
  }
  scan.corrupt = true;
  scan.reason = std::string(whole.error.message());
  if (!whole.corrupt_at || *whole.corrupt_at > bytes.size()) return scan;
  const Pass before = ReadOnce(file, bytes.substr(0, *whole.corrupt_at));
  if (!before.error.ok() || before.valid_bytes != *whole.corrupt_at) return scan;
  scan.records = before.records;
  scan.good_bytes = before.valid_bytes;
  scan.cut_known = true;
  CountRecordsAfter(file, bytes, *whole.corrupt_at, &scan);
  return scan;
}

bool DirScan::clean() const {
  if (!meta_error.empty()) return false;
  for (const PolicyScan& p : policies) {
    if (p.log.corrupt || !p.recovery.ok()) return false;
  }
  return true;
}

absl::StatusOr<DirScan> ScanDataDir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return absl::InvalidArgumentError(absl::StrCat("no such directory: ", dir));
  if (!std::filesystem::is_directory(dir, ec))
    return absl::InvalidArgumentError(absl::StrCat("not a directory: ", dir));
  DirScan scan;
  scan.dir = dir;
  OverlayDisk disk(dir);
  absl::StatusOr<DataDirMeta> meta = ReadMeta(disk);
  if (meta.ok()) scan.meta = *std::move(meta);
  if (!meta.ok() && !absl::IsNotFound(meta.status())) scan.meta_error = std::string(meta.status().message());
  for (const FilesFound& found : PoliciesWithFiles(dir))
    scan.policies.push_back(ScanPolicy(dir, *FilesOf(found.policy)));
  if (scan.policies.empty() && !scan.meta && scan.meta_error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, " is not a kvlab data dir (no ", kMetaFileName, " and no policy's log or snapshot in it)"));
  }
  return scan;
}

}  // namespace kvlab::real

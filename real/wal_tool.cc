#include "real/wal_tool.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "real/data_dir_layout.h"
#include "real/posix_disk.h"

namespace kvlab::real {
namespace {

constexpr int kExitClean = 0;
constexpr int kExitCorrupt = 1;
constexpr int kExitBadInput = 2;
constexpr int kMaxBackups = 1000;  // <file>.bak-1 .. -1000: beyond, clean up old backups first.

int BadInput(const char* command, const std::string& why) {
  std::fprintf(stderr, "kvlab wal %s: %s\n", command, why.c_str());
  return kExitBadInput;
}

std::string WhatACutDrops(const LogScan& log) {
  const uint64_t cut = log.bytes - log.good_bytes;
  if (!log.records_after) {
    return absl::StrCat(cut,
                        " bytes: the corrupt record and what follows it (its length cannot be trusted, so "
                        "the records after it cannot be counted)");
  }
  return absl::StrCat(cut, " bytes: the corrupt record and ", log.more_after ? "at least " : "", *log.records_after,
                      " records after it", log.more_after ? " (more corruption follows)" : "");
}

std::string LogLine(const LogScan& log) {
  if (!log.exists) return absl::StrCat(log.file, ": absent");
  if (log.corrupt && !log.cut_known) return absl::StrCat(log.file, ": CORRUPT: ", log.reason);
  if (log.corrupt) {
    return absl::StrCat(log.file, ": CORRUPT: ", log.reason, "; ", log.records, " good records before it (",
                        log.good_bytes, " of ", log.bytes, " bytes); a repair cuts ", WhatACutDrops(log));
  }
  std::string line = absl::StrCat(log.file, ": ", log.records, " records, ", log.bytes, " bytes, ");
  if (log.torn_bytes == 0) return absl::StrCat(line, "clean");
  return absl::StrCat(line, "torn tail of ", log.torn_bytes, " bytes at offset ", log.good_bytes,
                      " (the node cuts it at start: not corruption)");
}

std::string RecoveryLine(const PolicyScan& p) {
  const std::string head = absl::StrCat("recovery (", p.policy, "): ");
  if (!p.recovery_run) return head + "not run (its log is corrupt)";
  if (!p.recovery.ok()) return absl::StrCat(head, "FAILED: ", p.recovery.status().message());
  return absl::StrCat(head, "ok: ", *p.recovery);
}

// The first free "<file>.bak-<n>", copied from `file` and synced.
absl::StatusOr<std::string> BackUp(PosixDisk& disk, const std::string& file) {
  for (int n = 1; n <= kMaxBackups; ++n) {
    const std::string name = absl::StrCat(file, ".bak-", n);
    std::error_code ec;
    if (std::filesystem::exists(absl::StrCat(disk.dir(), "/", name), ec)) continue;
    absl::StatusOr<std::string> bytes = disk.Read(file);
    if (!bytes.ok()) return bytes.status();
    if (absl::Status s = disk.Append(name, *bytes); !s.ok()) return s;
    if (absl::Status s = disk.Sync(name); !s.ok()) return s;
    return name;
  }
  return absl::ResourceExhaustedError(absl::StrCat(kMaxBackups, " backups of '", file, "' exist already"));
}

// Cuts one corrupt log after a backup; prints what it did. False if it could not.
bool RepairLog(PosixDisk& disk, const LogScan& log) {
  if (!log.cut_known) {
    std::printf("%s: cannot repair: the corrupt record's offset is unknown (%s)\n", log.file.c_str(),
                log.reason.c_str());
    return false;
  }
  absl::StatusOr<std::string> backup = BackUp(disk, log.file);
  absl::Status s = backup.status();
  if (s.ok()) s = disk.Truncate(log.file, log.good_bytes);
  if (s.ok()) s = disk.Sync(log.file);
  if (!s.ok()) {
    std::printf("%s: repair failed: %s\n", log.file.c_str(), std::string(s.message()).c_str());
    return false;
  }
  std::printf("%s: backed up to %s/%s, then cut at offset %llu: %s; %llu records kept\n", log.file.c_str(),
              disk.dir().c_str(), backup->c_str(), static_cast<unsigned long long>(log.good_bytes),
              WhatACutDrops(log).c_str(), static_cast<unsigned long long>(log.records));
  return true;
}

}  // namespace

std::string FormatDirScan(const DirScan& scan) {
  std::string out = absl::StrCat("data dir ", scan.dir, ": ");
  if (scan.meta) {
    absl::StrAppend(&out, "node ", scan.meta->self, " of ", DescribeCluster(*scan.meta), "\n");
  } else if (!scan.meta_error.empty()) {
    absl::StrAppend(&out, "CORRUPT record: ", scan.meta_error, "\n");
  } else {
    absl::StrAppend(&out, "no ", kMetaFileName, " (an older kvlab made it)\n");
  }
  for (const PolicyScan& p : scan.policies) {
    absl::StrAppend(&out, LogLine(p.log), "\n");
    if (p.snapshot_bytes) absl::StrAppend(&out, FilesOf(p.policy)->snapshot, ": ", *p.snapshot_bytes, " bytes\n");
    absl::StrAppend(&out, RecoveryLine(p), "\n");
  }
  absl::StrAppend(&out, scan.clean() ? "clean" : "CORRUPT", "\n");
  return out;
}

int RunWalCheck(const std::string& dir) {
  absl::StatusOr<DirScan> scan = ScanDataDir(dir);
  if (!scan.ok()) return BadInput("check", std::string(scan.status().message()));
  std::fputs(FormatDirScan(*scan).c_str(), stdout);
  return scan->clean() ? kExitClean : kExitCorrupt;
}

int RunWalRepair(const std::string& dir) {
  if (absl::StatusOr<DirScan> first = ScanDataDir(dir); !first.ok())
    return BadInput("repair", std::string(first.status().message()));
  // The lock: no node may run on the dir while its logs are cut.
  absl::StatusOr<std::unique_ptr<PosixDisk>> disk = PosixDisk::Open(dir);
  if (!disk.ok()) return BadInput("repair", absl::StrCat(disk.status().message(), ": stop the node first"));
  absl::StatusOr<DirScan> scan = ScanDataDir(dir);
  if (!scan.ok()) return BadInput("repair", std::string(scan.status().message()));
  int cut = 0;
  for (const PolicyScan& p : scan->policies) {
    if (p.log.corrupt) cut += RepairLog(**disk, p.log) ? 1 : 0;
  }
  if (cut == 0) std::printf("nothing cut: no log holds a corrupt record (torn tails are left to the node)\n");
  absl::StatusOr<DirScan> after = ScanDataDir(dir);
  if (!after.ok()) return BadInput("repair", std::string(after.status().message()));
  std::fputs(FormatDirScan(*after).c_str(), stdout);
  return after->clean() ? kExitClean : kExitCorrupt;
}

}  // namespace kvlab::real

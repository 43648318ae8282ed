// What a data dir holds, as `kvlab wal check` reports it: per log file its records, a torn tail
// or the first corrupt record (offset and reason), per snapshot its size, and whether the
// policy's own recovery succeeds. Everything is read with the core's readers (core::ReadWal,
// the policies' recovery) over an OverlayDisk, so the directory is never written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "real/data_dir_meta.h"

namespace kvlab::real {

struct LogScan {
  std::string file;
  bool exists = false;
  uint64_t bytes = 0;       // the file's size.
  uint64_t records = 0;     // well-formed records before the end, a torn tail or a corrupt record.
  uint64_t good_bytes = 0;  // where those records end: a repair cuts here.
  uint64_t torn_bytes = 0;  // a torn tail after them (the node cuts it at start: not corruption).
  bool corrupt = false;
  std::string reason;      // the core's message for the first corrupt record.
  bool cut_known = false;  // a corrupt log: its offset is known and the records before it read.
  // A corrupt log only: well-formed records after the corrupt one, which a cut drops too; nullopt
  // when the corrupt record's own length cannot be trusted. `more_after`: more corruption follows.
  std::optional<uint64_t> records_after;
  bool more_after = false;
};

// Scans `bytes` as the WAL-format file `file`.
LogScan ScanLogBytes(const std::string& file, std::string bytes);

struct PolicyScan {
  std::string policy;
  LogScan log;
  std::optional<uint64_t> snapshot_bytes;                // nullopt: no snapshot file.
  bool recovery_run = false;                             // not run when the log is corrupt (the scan says why).
  absl::StatusOr<std::string> recovery = std::string();  // the recovery's summary or its error.
};

struct DirScan {
  std::string dir;
  std::optional<DataDirMeta> meta;
  std::string meta_error;  // the record exists but cannot be read.
  std::vector<PolicyScan> policies;
  // No corrupt log, no failed recovery, a readable record (if any). Torn tails are clean.
  bool clean() const;
};

// InvalidArgument when `dir` does not exist, is not a directory, or holds no kvlab data files.
absl::StatusOr<DirScan> ScanDataDir(const std::string& dir);

}  // namespace kvlab::real

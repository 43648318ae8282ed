// A write-ahead log of opaque records in one file of a core::Disk. The WAL is the engine's
// durable history: a record counts once a Sync covering it returned.
//
// Record layout: u32 payload length | u32 ~length (so a flipped length bit is caught before the
// length is trusted) | u64 Checksum64(payload) | payload.  See kWalRecordHeaderBytes.
//
// Recovery distinguishes a torn last write (the tail of an append that a crash cut short, or a
// zero-filled tail) from corruption (a complete record that fails its checks): the first is cut
// off and the log goes on; the second is refused with DataLoss, naming the file and the offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/constants.h"
#include "core/env.h"

namespace kvlab::core {

class WalWriter {
 public:
  // `size_after_recovery` is ReadWal's valid_bytes: new records go right after it.
  WalWriter(Disk& disk, std::string file, uint64_t size_after_recovery)
      : disk_(&disk), file_(std::move(file)), size_(size_after_recovery) {}

  // Adds one record (one Disk::Append, so a crash can only tear its tail). Not durable until
  // Sync. InvalidArgument above kMaxWalRecordBytes. After any disk error the writer is broken and
  // every later call returns that error: the file may hold a partial record.
  absl::Status Append(std::string_view payload);
  // The same, for a payload the caller writes into `*record` after the header space: it calls
  // `encode(&record)` with kWalRecordHeaderBytes placeholder bytes already in it. The buffer is
  // the writer's and keeps its capacity, so the hot path allocates nothing per record.
  template <typename Encode>
  absl::Status AppendEncoded(Encode&& encode) {
    record_.assign(kWalRecordHeaderBytes, '\0');
    encode(&record_);
    return AppendRecordBuffer();
  }
  // Makes every appended record durable, blocking. No disk call when nothing was appended since.
  absl::Status Sync();
  // Starts making every appended record durable (Disk::StartSync); the outcome comes back to the
  // node as OnSyncDone(token, ...), which reports a failure here with SyncFailed.
  void StartSync(SyncToken token) { disk_->StartSync(file_, token); }
  // A started sync failed: the records it covered may be lost, so the writer is broken.
  void SyncFailed(const absl::Status& s) {
    if (broken_.ok()) broken_ = s;
  }
  // Empties the log durably (after a snapshot made its records redundant).
  absl::Status Reset();

  uint64_t size() const { return size_; }
  bool unsynced() const { return unsynced_; }
  const std::string& file() const { return file_; }

 private:
  // Fills the header of record_ (whose payload follows it) and appends it to the file.
  absl::Status AppendRecordBuffer();

  Disk* disk_;  // not owned; a pointer so that a recovered writer can be assigned.
  std::string file_;
  uint64_t size_;
  bool unsynced_ = false;
  absl::Status broken_;
  std::string record_;  // the record being appended (reused: no allocation per record).
};

struct WalContents {
  bool found = false;                // the file exists (a missing one reads as an empty log).
  std::vector<std::string> records;  // payloads, in log order.
  uint64_t valid_bytes = 0;          // size of the log after recovery.
  bool torn_tail_cut = false;        // a torn tail was found and truncated away.
  uint64_t cut_bytes = 0;            // how many bytes it had.
};

// Reads every record of `file` (a missing file is an empty log). A torn tail is truncated on
// disk (Truncate + Sync) before returning. DataLoss on a corrupt record anywhere, e.g.
// "wal: corrupt record at offset 1234 of file 'wal': checksum mismatch".
absl::StatusOr<WalContents> ReadWal(Disk& disk, std::string_view file);

// The on-disk bytes of one record (header + payload). Exposed for tests and fuzz seeds.
std::string EncodeWalRecord(std::string_view payload);

}  // namespace kvlab::core

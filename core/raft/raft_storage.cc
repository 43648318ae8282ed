#include "core/raft/raft_storage.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/bytes.h"
#include "core/raft/raft_config.h"

namespace kvlab::core {
namespace {

enum RecordKind : uint8_t { kHardState = 1, kEntry = 2, kTruncate = 3, kBase = 4 };

std::string HardStateRecord(const RaftHardState& hs) {
  std::string out;
  ByteWriter w(&out);
  w.U8(kHardState);
  w.U64(hs.term);
  w.U32(hs.voted_for);
  return out;
}

std::string EntryRecord(const RaftEntry& e) {
  std::string out;
  ByteWriter w(&out);
  w.U8(kEntry);
  EncodeRaftEntry(e, w);
  return out;
}

std::string PairRecord(RecordKind kind, uint64_t a, uint64_t b) {
  std::string out;
  ByteWriter w(&out);
  w.U8(kind);
  w.U64(a);
  w.U64(b);
  return out;
}

absl::Status Corrupt(uint64_t record, std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("raft log: record ", record, " of file '", kRaftLogFile, "': ", std::string(why)));
}

// Applies one log record to the replay state.
absl::Status Replay(std::string_view payload, uint64_t n, RaftRecovered* out) {
  ByteReader r(payload);
  uint8_t kind;
  if (!r.U8(&kind)) return Corrupt(n, "empty record");
  uint64_t a = 0, b = 0;
  switch (kind) {
    case kHardState:
      if (!r.U64(&out->hard_state.term) || !r.U32(&out->hard_state.voted_for)) return Corrupt(n, "bad hard state");
      break;
    case kEntry: {
      absl::StatusOr<RaftEntry> e = DecodeRaftEntry(r);
      if (!e.ok()) return Corrupt(n, std::string(e.status().message()));
      if (e->index != out->log.last_index() + 1 || e->term < out->log.last_term()) {
        return Corrupt(n, absl::StrCat("entry ", e->index, " out of sequence after ", out->log.last_index()));
      }
      out->log.Append(*std::move(e));
      break;
    }
    case kTruncate:
      if (!r.U64(&a) || !r.U64(&b)) return Corrupt(n, "bad truncation");
      if (a <= out->log.base_index()) return Corrupt(n, "truncation below the log base");
      out->log.TruncateFrom(a);
      break;
    case kBase:
      if (!r.U64(&a) || !r.U64(&b)) return Corrupt(n, "bad base");
      out->log.Reset(a, b);
      break;
    default: return Corrupt(n, absl::StrCat("unknown record kind ", kind));
  }
  if (!r.done()) return Corrupt(n, "trailing bytes");
  return absl::OkStatus();
}

}  // namespace

absl::Status RaftStorage::ReadSnapshot(RaftRecovered* out) {
  absl::StatusOr<WalContents> snap = ReadWal(disk_, kRaftSnapshotFile);
  if (!snap.ok()) return snap.status();
  if (!snap->found) return absl::OkStatus();  // no snapshot yet.
  if (snap->records.empty()) {
    return absl::DataLossError(absl::StrCat("raft snapshot: file '", kRaftSnapshotFile, "' holds no record"));
  }
  ByteReader r(snap->records[0]);
  std::string_view state;
  if (!r.U64(&out->snapshot_index) || !r.U64(&out->snapshot_term) || !r.Raw(&state, r.remaining())) {
    return absl::DataLossError("raft snapshot: truncated header");
  }
  // The pieces, joined (a truncated file fails the state's decoding: its entry count is ahead).
  uint64_t size = state.size();
  for (size_t i = 1; i < snap->records.size(); ++i) size += snap->records[i].size();
  out->snapshot_state.reserve(size);
  out->snapshot_state.assign(state);
  for (size_t i = 1; i < snap->records.size(); ++i) {
    out->snapshot_state += snap->records[i];
    std::string().swap(snap->records[i]);  // one copy of the state at a time.
  }
  return absl::OkStatus();
}

absl::StatusOr<RaftRecovered> RaftStorage::Recover() {
  RaftRecovered out;
  if (absl::Status s = ReadSnapshot(&out); !s.ok()) return s;
  // Leftovers of an interrupted snapshot or compaction: never renamed, so never part of the state.
  (void)disk_.Remove(absl::StrCat(kRaftSnapshotFile, ".tmp"));
  (void)disk_.Remove(absl::StrCat(kRaftLogFile, ".tmp"));

  absl::StatusOr<WalContents> wal = ReadWal(disk_, kRaftLogFile);
  if (!wal.ok()) return wal.status();
  for (const std::string& record : wal->records) {
    if (absl::Status s = Replay(record, out.records, &out); !s.ok()) return s;
    ++out.records;
  }
  out.torn_tail_cut = wal->torn_tail_cut;
  wal_ = WalWriter(disk_, kRaftLogFile, wal->valid_bytes);

  // Reconcile with the snapshot (Raft §7): keep the log after it only if it agrees at its index.
  const uint64_t s = out.snapshot_index;
  if (s < out.log.base_index()) {
    return absl::DataLossError(
        absl::StrCat("raft log: based at ", out.log.base_index(), " beyond the snapshot at ", s));
  }
  if (s > out.log.base_index() || (s > 0 && out.log.base_term() != out.snapshot_term)) {
    if (out.log.TermAt(s) == out.snapshot_term) {
      out.log.CompactTo(s);
    } else {
      out.log.Reset(s, out.snapshot_term);
    }
  }
  return out;
}

absl::Status RaftStorage::AppendRecord(std::string_view record) {
  absl::Status s = wal_.Append(record);
  if (!s.ok()) return s;
  gate_.Wrote();
  // The log's rewrite under way must hold this record too (FinishLogRewrite).
  if (writer_.has_value() && writer_->rewriting_log) writer_->appended_since += EncodeWalRecord(record);
  return s;
}

absl::Status RaftStorage::AppendHardState(const RaftHardState& hs) { return AppendRecord(HardStateRecord(hs)); }

absl::Status RaftStorage::AppendEntry(const RaftEntry& e) { return AppendRecord(EntryRecord(e)); }

absl::Status RaftStorage::AppendTruncate(uint64_t index) { return AppendRecord(PairRecord(kTruncate, index, 0)); }

absl::Status RaftStorage::Sync() {
  if (!fsync_ || !wal_.unsynced()) return absl::OkStatus();
  ++syncs_;
  absl::Status s = wal_.Sync();
  if (s.ok()) gate_.CoverAll();
  return s;
}

bool RaftStorage::StartSync() {
  if (!gate_.NeedsSync()) return false;
  ++syncs_;
  wal_.StartSync(gate_.Begin());
  return true;
}

absl::Status RaftStorage::OnSyncDone(SyncToken token, const absl::Status& status) {
  if ((token & kSnapshotSyncBit) != 0) return OnSnapshotSyncDone(token, status);
  if (status.ok()) {
    gate_.Done(token);
    return absl::OkStatus();
  }
  if (!gate_.Failed(token)) return absl::OkStatus();  // stale: not the sync in flight.
  wal_.SyncFailed(status);
  return status;
}

absl::Status RaftStorage::WriteAtomically(std::string_view file, std::string_view bytes) {
  const std::string tmp = absl::StrCat(std::string(file), ".tmp");
  if (absl::Status s = disk_.Remove(tmp); !s.ok()) return s;
  if (absl::Status s = disk_.Append(tmp, bytes); !s.ok()) return s;
  if (absl::Status s = disk_.Sync(tmp); !s.ok()) return s;
  ++syncs_;
  return disk_.Rename(tmp, file);
}

namespace {

// The snapshot file's one WAL record (EncodeWalRecord's bytes of index, term, then the state's
// encoding), built in one buffer: a large state is copied once, not twice.
std::string SnapshotRecord(uint64_t index, uint64_t term, std::string_view state) {
  std::string record;
  record.reserve(kWalRecordHeaderBytes + 16 + state.size());
  record.assign(kWalRecordHeaderBytes, '\0');
  ByteWriter w(&record);
  w.U64(index);
  w.U64(term);
  w.Raw(state);
  const std::string_view payload = std::string_view(record).substr(kWalRecordHeaderBytes);
  KV_ASSERT(payload.size() <= kMaxWalRecordBytes);
  const auto length = static_cast<uint32_t>(payload.size());
  StoreU32(record.data(), length);
  StoreU32(record.data() + 4, ~length);
  StoreU64(record.data() + 8, Checksum64(payload));
  return record;
}

}  // namespace

std::string RaftStorage::SnapshotImage(uint64_t index, uint64_t term, std::string_view state) {
  const size_t first = std::min(state.size(), kRaftSnapshotWriteChunkBytes);
  std::string image = SnapshotRecord(index, term, state.substr(0, first));
  for (size_t at = first; at < state.size(); at += kRaftSnapshotWriteChunkBytes) {
    image += EncodeWalRecord(state.substr(at, kRaftSnapshotWriteChunkBytes));
  }
  return image;
}

absl::Status RaftStorage::SaveSnapshot(uint64_t index, uint64_t term, std::string_view state, const RaftLog& log,
                                       const RaftHardState& hs) {
  if (absl::Status s = AbandonSnapshot(); !s.ok()) return s;  // this one is newer.
  if (absl::Status s = WriteAtomically(kRaftSnapshotFile, SnapshotImage(index, term, state)); !s.ok()) return s;
  return RewriteLog(log, hs);
}

std::string RaftStorage::LogImage(const RaftLog& log, const RaftHardState& hs) {
  std::string bytes = EncodeWalRecord(PairRecord(kBase, log.base_index(), log.base_term()));
  bytes += EncodeWalRecord(HardStateRecord(hs));
  for (const RaftEntry& e : log.entries()) bytes += EncodeWalRecord(EntryRecord(e));
  return bytes;
}

absl::Status RaftStorage::RewriteLog(const RaftLog& log, const RaftHardState& hs) {
  const std::string bytes = LogImage(log, hs);
  if (absl::Status s = WriteAtomically(kRaftLogFile, bytes); !s.ok()) return s;
  wal_ = WalWriter(disk_, kRaftLogFile, bytes.size());
  gate_.CoverAll();  // the rewritten log holds every record, durably.
  return absl::OkStatus();
}

absl::Status RaftStorage::BeginSnapshot(uint64_t index, uint64_t term,
                                        std::shared_ptr<const RaftSnapshotBytes> snapshot, bool encoded) {
  KV_ASSERT(!writer_.has_value() && snapshot != nullptr);
  // A tmp file left by a write a crash or an abandon cut short is never part of the state.
  if (absl::Status s = disk_.Remove(absl::StrCat(kRaftSnapshotFile, ".tmp")); !s.ok()) return s;
  writer_.emplace();
  writer_->index = index;
  writer_->term = term;
  writer_->snapshot = std::move(snapshot);
  writer_->encoded = encoded;
  return absl::OkStatus();
}

absl::Status RaftStorage::BeginSnapshot(uint64_t index, uint64_t term, std::string_view state) {
  auto pieces = std::make_shared<RaftSnapshotBytes>();
  for (size_t at = 0; at < state.size(); at += kRaftSnapshotWriteChunkBytes) {
    pieces->Append(std::string(state.substr(at, kRaftSnapshotWriteChunkBytes)));
  }
  return BeginSnapshot(index, term, std::move(pieces), true);
}

void RaftStorage::SnapshotEncoded() {
  KV_ASSERT(writer_.has_value() && !writer_->rewriting_log);
  writer_->encoded = true;
}

absl::Status RaftStorage::PumpSnapshot(const RaftLog& log, const RaftHardState& hs, bool* log_rewritten) {
  *log_rewritten = false;
  if (!writer_.has_value() || writer_->syncing != 0) return absl::OkStatus();
  SnapshotWriter& w = *writer_;
  const std::string tmp = absl::StrCat(w.rewriting_log ? kRaftLogFile : kRaftSnapshotFile, ".tmp");
  if (!w.rewriting_log && w.pieces_written < w.snapshot->piece_count()) {
    const std::string& piece = w.snapshot->piece(w.pieces_written);
    const std::string record = w.pieces_written == 0 ? SnapshotRecord(w.index, w.term, piece) : EncodeWalRecord(piece);
    if (absl::Status s = disk_.Append(tmp, record); !s.ok()) return s;
    ++w.pieces_written;
    return StartPieceSync(tmp);
  }
  if (w.rewriting_log && w.written < w.bytes.size()) {
    const size_t n = std::min<size_t>(kRaftSnapshotWriteChunkBytes, w.bytes.size() - w.written);
    if (absl::Status s = disk_.Append(tmp, std::string_view(w.bytes).substr(w.written, n)); !s.ok()) return s;
    w.written += n;
    return StartPieceSync(tmp);
  }
  if (!w.rewriting_log && !w.encoded) return absl::OkStatus();  // the node's next piece comes later.
  if (!w.rewriting_log) {
    if (absl::Status s = disk_.Rename(tmp, kRaftSnapshotFile); !s.ok()) return s;
    // The snapshot is in place. The log's new image (its base is the snapshot) goes the same way;
    // what the log gains meanwhile is also kept aside (AppendRecord) and appended at the end.
    KV_ASSERT(log.base_index() <= w.index);  // a leader may keep entries for a follower behind.
    if (absl::Status s = disk_.Remove(absl::StrCat(kRaftLogFile, ".tmp")); !s.ok()) return s;
    w.rewriting_log = true;
    w.snapshot.reset();  // the node keeps its own reference to serve InstallSnapshot.
    w.bytes = LogImage(log, hs);
    w.written = 0;
    return PumpSnapshot(log, hs, log_rewritten);
  }
  return FinishLogRewrite(tmp, log_rewritten);
}

absl::Status RaftStorage::StartPieceSync(const std::string& tmp) {
  // Synced even with fsync off: a rename needs its source durable (core::Disk::Rename).
  writer_->syncing = kSnapshotSyncBit | ++snapshot_pieces_;
  ++syncs_;
  disk_.StartSync(tmp, writer_->syncing);
  return absl::OkStatus();
}

// The log's image and every record appended since are in the tmp file: once that is durable it
// replaces the log, whose records it all holds.
absl::Status RaftStorage::FinishLogRewrite(const std::string& tmp, bool* log_rewritten) {
  SnapshotWriter& w = *writer_;
  if (!w.appended_since.empty()) {  // a few records, usually: one blocking sync.
    if (absl::Status s = disk_.Append(tmp, w.appended_since); !s.ok()) return s;
    if (absl::Status s = disk_.Sync(tmp); !s.ok()) return s;
    ++syncs_;
  }
  if (absl::Status s = disk_.Rename(tmp, kRaftLogFile); !s.ok()) return s;
  wal_ = WalWriter(disk_, kRaftLogFile, w.bytes.size() + w.appended_since.size());
  gate_.CoverAll();  // a sync of the old file still in flight completes harmlessly.
  writer_.reset();
  *log_rewritten = true;
  return absl::OkStatus();
}

absl::Status RaftStorage::OnSnapshotSyncDone(SyncToken token, const absl::Status& status) {
  if (!writer_.has_value() || writer_->syncing != token) return absl::OkStatus();  // abandoned: stale.
  writer_->syncing = 0;
  return status;  // a failed piece: the snapshot cannot be trusted, nor the disk.
}

absl::Status RaftStorage::AbandonSnapshot() {
  if (!writer_.has_value()) return absl::OkStatus();
  const bool rewriting_log = writer_->rewriting_log;
  writer_.reset();  // a piece's sync still in flight completes as a stale token.
  return disk_.Remove(absl::StrCat(rewriting_log ? kRaftLogFile : kRaftSnapshotFile, ".tmp"));
}

}  // namespace kvlab::core

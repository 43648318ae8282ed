#include "core/kv/kv_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/bytes.h"

namespace kvlab::core {
namespace {

constexpr uint64_t kSnapshotMagic = 0x3130504e53564b;  // "KVSNP01" little-endian.
constexpr size_t kSnapshotFixedBytes = 8 + 8 + 8;      // magic, LSN, trailing checksum.

void EncodeWalPayload(uint64_t lsn, int64_t now_ms, const Command& cmd, std::string* out) {
  ByteWriter w(out);
  w.U64(lsn);
  w.I64(now_ms);
  EncodeCommand(cmd, w);
}

}  // namespace

std::string EncodeSnapshotFile(uint64_t lsn, const KvState& state) {
  std::string out;
  ByteWriter w(&out);
  w.U64(kSnapshotMagic);
  w.U64(lsn);
  state.EncodeSnapshot(w);
  w.U64(Checksum64(out));
  return out;
}

absl::Status DecodeSnapshotFile(std::string_view bytes, std::string_view file, uint64_t* lsn, KvState* state) {
  const std::string prefix = absl::StrCat("snapshot: corrupt file '", std::string(file), "': ");
  if (bytes.size() < kSnapshotFixedBytes) return absl::DataLossError(prefix + "too short");
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  if (Checksum64(body) != LoadU64(bytes.data() + body.size())) {
    return absl::DataLossError(prefix + "checksum mismatch");
  }
  ByteReader r(body);
  uint64_t magic;
  r.U64(&magic);
  r.U64(lsn);
  if (magic != kSnapshotMagic) return absl::DataLossError(prefix + "bad magic");
  absl::StatusOr<KvState> decoded = KvState::DecodeSnapshot(r);
  if (!decoded.ok()) return absl::DataLossError(prefix + std::string(decoded.status().message()));
  if (!r.done()) return absl::DataLossError(prefix + "trailing bytes");
  *state = *std::move(decoded);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<KvStore>> KvStore::Open(Disk& disk, KvStoreOptions options) {
  std::unique_ptr<KvStore> store(new KvStore(disk, options));
  if (absl::Status s = store->Recover(); !s.ok()) return s;
  return store;
}

absl::Status KvStore::Recover() {
  // A snapshot.tmp is a snapshot that never got renamed: the WAL still covers it.
  if (absl::Status s = disk_.Remove(snapshot_tmp_file_); !s.ok()) return s;
  if (absl::Status s = LoadSnapshot(); !s.ok()) return s;
  absl::StatusOr<WalContents> contents = ReadWal(disk_, wal_file_);
  if (!contents.ok()) return contents.status();
  stats_.torn_tail_cut = contents->torn_tail_cut;
  if (absl::Status s = Replay(*contents); !s.ok()) return s;
  wal_ = WalWriter(disk_, wal_file_, contents->valid_bytes);
  return absl::OkStatus();
}

absl::Status KvStore::LoadSnapshot() {
  absl::StatusOr<std::string> bytes = disk_.Read(snapshot_file_);
  if (absl::IsNotFound(bytes.status())) return absl::OkStatus();
  if (!bytes.ok()) return bytes.status();
  uint64_t lsn = 0;
  if (absl::Status s = DecodeSnapshotFile(*bytes, snapshot_file_, &lsn, &state_); !s.ok()) return s;
  last_lsn_ = stats_.snapshot_lsn = lsn;
  stats_.snapshot_bytes = bytes->size();
  return absl::OkStatus();
}

absl::Status KvStore::Replay(const WalContents& contents) {
  for (size_t i = 0; i < contents.records.size(); ++i) {
    const auto bad = [&](const std::string& why) {
      return absl::DataLossError(absl::StrCat("wal: bad record ", i, " of file '", wal_file_, "': ", why));
    };
    ByteReader r(contents.records[i]);
    uint64_t lsn;
    int64_t now_ms;
    if (!r.U64(&lsn) || !r.I64(&now_ms)) return bad("truncated header");
    absl::StatusOr<Command> cmd = DecodeCommand(r);
    if (!cmd.ok()) return bad(std::string(cmd.status().message()));
    if (!r.done()) return bad("trailing bytes");
    // Records the snapshot already covers remain when a crash hit between its rename and the
    // WAL reset; past the snapshot, LSNs must follow each other without gaps.
    if (lsn <= stats_.snapshot_lsn) continue;
    if (lsn != last_lsn_ + 1) return bad(absl::StrCat("LSN ", lsn, " after ", last_lsn_));
    if (IsReadOnly(cmd->op) || !ValidateCommand(*cmd).ok()) return bad("not a valid write");
    state_.Apply(*cmd, now_ms);
    last_lsn_ = lsn;
    ++stats_.recovered_records;
  }
  return absl::OkStatus();
}

absl::Status KvStore::Fail(absl::Status s) {
  KV_ASSERT(!s.ok());
  if (failure_.ok()) failure_ = s;
  return s;
}

Result KvStore::Apply(const Command& cmd, int64_t now_ms) {
  if (IsReadOnly(cmd.op)) return state_.Apply(cmd, now_ms);
  if (!failure_.ok()) return Result::Error(absl::StrCat("ERR storage failed: ", failure_.message()));
  const uint64_t lsn = last_lsn_ + 1;
  absl::Status s = wal_.AppendEncoded([&](std::string* out) { EncodeWalPayload(lsn, now_ms, cmd, out); });
  if (absl::IsInvalidArgument(s)) return Result::Error(absl::StrCat("ERR ", s.message()));
  if (!s.ok()) {
    Fail(s).IgnoreError();  // Recorded in failure_; this write reports it below.
    return Result::Error(absl::StrCat("ERR storage failed: ", s.message()));
  }
  last_lsn_ = lsn;
  ++stats_.records;
  gate_.Wrote();
  return state_.Apply(cmd, now_ms);
}

absl::Status KvStore::Sync() {
  if (!failure_.ok()) return failure_;
  if (dirty() && options_.fsync) {
    if (absl::Status s = wal_.Sync(); !s.ok()) return Fail(s);
    ++stats_.fsyncs;
  }
  gate_.CoverAll();
  return MaybeSnapshot();
}

bool KvStore::StartSync() {
  if (!failure_.ok() || !gate_.NeedsSync()) return false;
  wal_.StartSync(gate_.Begin());
  ++stats_.fsyncs;
  return true;
}

absl::Status KvStore::OnSyncDone(SyncToken token, const absl::Status& status) {
  if (!status.ok()) {
    if (gate_.Failed(token)) {
      wal_.SyncFailed(status);
      Fail(status).IgnoreError();  // Recorded in failure_, returned below.
    }
    return failure_;
  }
  gate_.Done(token);
  if (!failure_.ok()) return failure_;
  return MaybeSnapshot();
}

// Only with no sync in flight: the snapshot and the emptied log then replace the whole file, and
// the writes a later completion would have covered are durable in the snapshot already.
absl::Status KvStore::MaybeSnapshot() {
  if (!failure_.ok() || gate_.in_flight()) return failure_;
  if (wal_.size() > options_.snapshot_threshold_bytes && wal_.size() > stats_.snapshot_bytes) {
    return TakeSnapshot();
  }
  return absl::OkStatus();
}

absl::Status KvStore::TakeSnapshot() {
  if (!failure_.ok()) return failure_;
  const std::string bytes = EncodeSnapshotFile(last_lsn_, state_);
  // Write aside, make durable, then atomically replace: a crash at any point leaves either the
  // old snapshot + full WAL or the new snapshot (+ WAL records it covers, skipped on replay).
  absl::Status s = disk_.Remove(snapshot_tmp_file_);
  if (s.ok()) s = disk_.Append(snapshot_tmp_file_, bytes);
  if (s.ok()) s = disk_.Sync(snapshot_tmp_file_);
  if (s.ok()) s = disk_.Rename(snapshot_tmp_file_, snapshot_file_);
  if (s.ok()) s = wal_.Reset();
  if (!s.ok()) return Fail(s);
  ++stats_.snapshots;
  stats_.snapshot_lsn = last_lsn_;
  stats_.snapshot_bytes = bytes.size();
  gate_.CoverAll();  // every write is in the durable snapshot now.
  return absl::OkStatus();
}

}  // namespace kvlab::core

namespace kvlab::core {

absl::Status KvStore::InstallState(KvState state, uint64_t lsn) {
  if (!failure_.ok()) return failure_;
  state_ = std::move(state);
  last_lsn_ = lsn;
  return TakeSnapshot();
}

}  // namespace kvlab::core

#include "core/versioned/versioned_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/bytes.h"
#include "core/constants.h"

namespace kvlab::core {
namespace {

constexpr uint64_t kVersionedSnapshotMagic = 0x3130534e5356;  // "VSNS01" little-endian.

void EncodeRecord(const std::string& key, const VersionedEntry& e, std::string* out) {
  ByteWriter w(out);
  w.Bytes(key);
  EncodeVersionedEntry(e, w);
}

bool DecodeRecord(ByteReader& r, std::string* key, VersionedEntry* e) {
  return r.Bytes(key, kMaxKeyBytes) && DecodeVersionedEntry(r, e);
}

}  // namespace

std::string EncodeVersionedSnapshot(const absl::btree_map<std::string, VersionedEntry, std::less<>>& entries) {
  std::string out;
  ByteWriter w(&out);
  w.U64(kVersionedSnapshotMagic);
  w.VarU64(entries.size());
  for (const auto& [key, e] : entries) {
    w.Bytes(key);
    EncodeVersionedEntry(e, w);
  }
  w.U64(Checksum64(out));
  return out;
}

absl::StatusOr<std::unique_ptr<VersionedStore>> VersionedStore::Open(Disk& disk, VersionedFiles files,
                                                                     VersionedStoreOptions options) {
  std::unique_ptr<VersionedStore> store(new VersionedStore(disk, files, options));
  if (absl::Status s = store->Recover(); !s.ok()) return s;
  return store;
}

absl::Status VersionedStore::Recover() {
  if (absl::Status s = disk_.Remove(files_.snapshot_tmp); !s.ok()) return s;
  if (absl::Status s = LoadSnapshot(); !s.ok()) return s;
  absl::StatusOr<WalContents> contents = ReadWal(disk_, files_.wal);
  if (!contents.ok()) return contents.status();
  stats_.torn_tail_cut = contents->torn_tail_cut;
  if (absl::Status s = Replay(*contents); !s.ok()) return s;
  wal_ = WalWriter(disk_, files_.wal, contents->valid_bytes);
  return absl::OkStatus();
}

absl::Status VersionedStore::LoadSnapshot() {
  absl::StatusOr<std::string> bytes = disk_.Read(files_.snapshot);
  if (absl::IsNotFound(bytes.status())) return absl::OkStatus();
  if (!bytes.ok()) return bytes.status();
  const auto bad = [&](const char* why) {
    return absl::DataLossError(absl::StrCat("versioned snapshot: corrupt file '", files_.snapshot, "': ", why));
  };
  if (bytes->size() < 16) return bad("too short");
  const std::string_view body(bytes->data(), bytes->size() - 8);
  if (Checksum64(body) != LoadU64(bytes->data() + body.size())) return bad("checksum mismatch");
  ByteReader r(body);
  uint64_t magic = 0, count = 0;
  if (!r.U64(&magic) || magic != kVersionedSnapshotMagic) return bad("bad magic");
  if (!r.VarU64(&count) || count > r.remaining()) return bad("bad count");
  std::string key, prev;
  for (uint64_t i = 0; i < count; ++i) {
    VersionedEntry e;
    if (!DecodeRecord(r, &key, &e)) return bad("truncated entry");
    if (i > 0 && key <= prev) return bad("keys out of order");
    Install(key, e);
    prev = key;
  }
  if (!r.done()) return bad("trailing bytes");
  stats_.snapshot_bytes = bytes->size();
  return absl::OkStatus();
}

absl::Status VersionedStore::Replay(const WalContents& contents) {
  for (size_t i = 0; i < contents.records.size(); ++i) {
    ByteReader r(contents.records[i]);
    std::string key;
    VersionedEntry e;
    if (!DecodeRecord(r, &key, &e) || !r.done()) {
      return absl::DataLossError(absl::StrCat("wal: bad record ", i, " of file '", files_.wal, "'"));
    }
    const VersionedEntry* held = Find(key);
    if (held == nullptr || held->version < e.version) Install(key, e);
    ++stats_.recovered_records;
  }
  return absl::OkStatus();
}

const VersionedEntry* VersionedStore::Find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void VersionedStore::Install(const std::string& key, const VersionedEntry& e) {
  entries_[key] = e;
  if (e.tombstone) {
    live_.Apply(Command::Del(key), 0);
  } else {
    live_.Apply(Command::Put(key, e.value), 0);
  }
}

absl::StatusOr<bool> VersionedStore::Put(const std::string& key, const VersionedEntry& e) {
  if (!failure_.ok()) return failure_;
  const VersionedEntry* held = Find(key);
  if (held != nullptr && !(held->version < e.version)) {
    ++stats_.stale_puts;
    return false;
  }
  absl::Status s = wal_.AppendEncoded([&](std::string* out) { EncodeRecord(key, e, out); });
  if (!s.ok()) return Fail(s);
  ++stats_.records;
  gate_.Wrote();
  Install(key, e);
  return true;
}

bool VersionedStore::Collect(const std::string& key, Version version) {
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.tombstone || it->second.version != version) return false;
  entries_.erase(it);
  ++stats_.collected;
  return true;
}

bool VersionedStore::Drop(const std::string& key, Version version) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.version != version) return false;
  if (!it->second.tombstone) live_.Apply(Command::Del(key), 0);
  entries_.erase(it);
  return true;
}

absl::Status VersionedStore::Fail(absl::Status s) {
  KV_ASSERT(!s.ok());
  if (failure_.ok()) failure_ = s;
  return s;
}

bool VersionedStore::StartSync() {
  if (!failure_.ok() || !gate_.NeedsSync()) return false;
  wal_.StartSync(gate_.Begin() | options_.sync_token_tag);
  ++stats_.fsyncs;
  return true;
}

absl::Status VersionedStore::OnSyncDone(SyncToken token, const absl::Status& status) {
  if ((token & kSyncTokenTagMask) != options_.sync_token_tag) return failure_;  // another store's sync.
  token &= ~kSyncTokenTagMask;
  if (!status.ok()) {
    if (gate_.Failed(token)) {
      wal_.SyncFailed(status);
      Fail(status).IgnoreError();  // recorded in failure_, returned below.
    }
    return failure_;
  }
  gate_.Done(token);
  if (!failure_.ok()) return failure_;
  return MaybeSnapshot();
}

absl::Status VersionedStore::Sync() {
  if (!failure_.ok()) return failure_;
  if (gate_.written() > gate_.durable() && options_.fsync) {
    if (absl::Status s = wal_.Sync(); !s.ok()) return Fail(s);
    ++stats_.fsyncs;
  }
  gate_.CoverAll();
  return MaybeSnapshot();
}

absl::Status VersionedStore::MaybeSnapshot() {
  if (!failure_.ok() || gate_.in_flight()) return failure_;
  if (wal_.size() > options_.snapshot_threshold_bytes && wal_.size() > stats_.snapshot_bytes) return TakeSnapshot();
  return absl::OkStatus();
}

// Write aside, make durable, rename, then empty the WAL: a crash anywhere leaves the old snapshot
// with the whole WAL, or the new one (with WAL records it covers, which replay as stale Puts).
absl::Status VersionedStore::TakeSnapshot() {
  const std::string bytes = EncodeVersionedSnapshot(entries_);
  absl::Status s = disk_.Remove(files_.snapshot_tmp);
  if (s.ok()) s = disk_.Append(files_.snapshot_tmp, bytes);
  if (s.ok()) s = disk_.Sync(files_.snapshot_tmp);
  if (s.ok()) s = disk_.Rename(files_.snapshot_tmp, files_.snapshot);
  if (s.ok()) s = wal_.Reset();
  if (!s.ok()) return Fail(s);
  ++stats_.snapshots;
  stats_.snapshot_bytes = bytes.size();
  gate_.CoverAll();
  return absl::OkStatus();
}

}  // namespace kvlab::core

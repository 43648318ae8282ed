#include "real/data_dir_layout.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/kv/kv_store.h"
#include "core/raft/raft_storage.h"

namespace kvlab::real {
namespace {

absl::StatusOr<std::string> RecoverSingle(core::Disk& disk) {
  absl::StatusOr<std::unique_ptr<core::KvStore>> store = core::KvStore::Open(disk, {.fsync = false});
  if (!store.ok()) return store.status();
  const core::KvStoreStats& s = (*store)->stats();
  return absl::StrCat((*store)->state().size(), " keys at LSN ", (*store)->last_lsn(), " (snapshot at LSN ",
                      s.snapshot_lsn, ", ", s.recovered_records, " records replayed)");
}

absl::StatusOr<std::string> RecoverRaft(core::Disk& disk) {
  core::RaftStorage storage(disk, /*fsync=*/false);
  absl::StatusOr<core::RaftRecovered> rec = storage.Recover();
  if (!rec.ok()) return rec.status();
  size_t keys = 0;
  if (rec->snapshot_index > 0) {
    core::ByteReader r(rec->snapshot_state);
    absl::StatusOr<core::KvState> state = core::KvState::DecodeSnapshot(r);
    if (!state.ok()) {
      return absl::DataLossError(absl::StrCat("raft snapshot: file '", core::kRaftSnapshotFile, "': ",
                                              state.status().message()));
    }
    keys = state->size();
  }
  return absl::StrCat("term ", rec->hard_state.term, ", log entries up to ", rec->log.last_index(), " (", rec->records,
                      " records), snapshot at index ", rec->snapshot_index, " with ", keys, " keys");
}

}  // namespace

const std::vector<PolicyFiles>& AllPolicyFiles() {
  static const std::vector<PolicyFiles> kTable = {
      {"single", core::kWalFileName, core::kSnapshotFileName, &RecoverSingle},
      {"raft", core::kRaftLogFile, core::kRaftSnapshotFile, &RecoverRaft},
  };
  return kTable;
}

const PolicyFiles* FilesOf(std::string_view policy) {
  for (const PolicyFiles& p : AllPolicyFiles()) {
    if (std::string_view(p.policy) == policy) return &p;
  }
  return nullptr;
}

std::vector<FilesFound> PoliciesWithFiles(const std::string& dir) {
  std::vector<FilesFound> found;
  for (const PolicyFiles& p : AllPolicyFiles()) {
    FilesFound f{std::string(p.policy), {}};
    for (const char* name : {p.log, p.snapshot}) {
      std::error_code ec;
      if (std::filesystem::exists(std::filesystem::path(dir) / name, ec)) f.files.emplace_back(name);
    }
    if (!f.files.empty()) found.push_back(std::move(f));
  }
  return found;
}

}  // namespace kvlab::real

#include "real/data_dir_layout.h"

#include <filesystem>
#include <system_error>

#include "core/kv/kv_store.h"
#include "core/raft/raft_storage.h"

namespace kvlab::real {

const std::vector<PolicyFiles>& AllPolicyFiles() {
  static const std::vector<PolicyFiles> kTable = {
      {"single", core::kWalFileName, core::kSnapshotFileName, /*snapshot_is_wal=*/false},
      {"raft", core::kRaftLogFile, core::kRaftSnapshotFile, /*snapshot_is_wal=*/true},
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

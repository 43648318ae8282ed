#include "real/data_dir_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "real/data_dir_layout.h"

namespace kvlab::real {
namespace {

std::string AsNode(const DataDirMeta& meta) { return absl::StrCat("node ", meta.self, " of ", DescribeCluster(meta)); }

std::string FlagMembers(const DataDirMeta& flags) {
  const bool no_cluster = flags.members.size() == 1 && flags.members.begin()->second.empty();
  return absl::StrCat("members ", MemberList(flags), no_cluster ? " (no --cluster)" : "");
}

absl::Status Refuse(const std::string& dir, const DataDirMeta& recorded, const std::string& flags_say,
                    const std::string& remedy) {
  return absl::FailedPreconditionError(absl::StrCat("data dir ", dir, " was bootstrapped as ", AsNode(recorded),
                                                    "; the flags say ", flags_say, ": refusing to start (", remedy,
                                                    ")"));
}

bool SameMemberIds(const DataDirMeta& a, const DataDirMeta& b) {
  if (a.members.size() != b.members.size()) return false;
  for (auto ia = a.members.begin(), ib = b.members.begin(); ia != a.members.end(); ++ia, ++ib) {
    if (ia->first != ib->first) return false;
  }
  return true;
}

// The record against the flags: OK (with notes for moved peers) or the refusal.
absl::StatusOr<DataDirCheck> CompareWithRecord(core::Disk& disk, const std::string& dir, const DataDirMeta& recorded,
                                               const DataDirMeta& flags, bool token_given) {
  if (recorded.policy != flags.policy) {
    return Refuse(dir, recorded, absl::StrCat("--policy ", flags.policy),
                  absl::StrCat("a data dir keeps the policy it was bootstrapped with: run it with --policy ",
                               recorded.policy, ", or use an empty --data-dir for another policy"));
  }
  if (recorded.self != flags.self) {
    return Refuse(dir, recorded, absl::StrCat("--id ", flags.self),
                  absl::StrCat("each node keeps its own data dir: run it with --id ", recorded.self));
  }
  if (!SameMemberIds(recorded, flags)) {
    return Refuse(dir, recorded, FlagMembers(flags),
                  absl::StrCat("membership is fixed at bootstrap for now, there is no reconfiguration yet: "
                               "restart with --cluster listing members ",
                               MemberList(recorded), ", or bootstrap a new cluster in empty data dirs"));
  }
  if (token_given && recorded.cluster_id != flags.cluster_id) {
    return Refuse(dir, recorded, absl::StrCat("cluster ", flags.cluster_id, " (another --cluster-token)"),
                  "restart with the --cluster-token it was bootstrapped with, or without one");
  }
  DataDirCheck check;
  DataDirMeta updated = recorded;
  for (const auto& [id, address] : flags.members) {
    std::string& was = updated.members[id];
    if (was == address) continue;
    check.notes.push_back(absl::StrCat("peer address of node ", id, " changed from ", was.empty() ? "none" : was,
                                       " to ", address.empty() ? "none" : address, ": recorded in data dir ", dir));
    was = address;
  }
  if (!(updated == recorded)) {
    if (absl::Status s = WriteMeta(disk, updated); !s.ok()) return s;
    check.recorded_now = true;
  }
  return check;
}

std::string DescribeFiles(const std::vector<FilesFound>& found) {
  std::vector<std::string> parts;
  for (const FilesFound& f : found) parts.push_back(absl::StrCat(f.policy, "'s (", absl::StrJoin(f.files, ", "), ")"));
  return absl::StrJoin(parts, " and ");
}

// No record: refuse another policy's files, else record the flags.
absl::StatusOr<DataDirCheck> RecordFlags(core::Disk& disk, const std::string& dir, const DataDirMeta& flags) {
  const std::vector<FilesFound> found = PoliciesWithFiles(dir);
  for (const FilesFound& f : found) {
    if (f.policy == flags.policy && found.size() == 1) continue;
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", dir, " holds ", DescribeFiles(found),
                     " files and no record of its configuration (an older "
                     "kvlab made it); the flags say --policy ",
                     flags.policy, ": refusing to start (a data dir keeps its policy: ",
                     found.size() == 1 ? absl::StrCat("run it with --policy ", f.policy, ", or use an empty --data-dir")
                                       : "move one policy's files away",
                     ")"));
  }
  if (absl::Status s = WriteMeta(disk, flags); !s.ok()) return s;
  DataDirCheck check;
  check.recorded_now = true;
  check.notes.push_back(found.empty() ? absl::StrCat("data dir ", dir, " is new: bootstrapped as ", AsNode(flags))
                                      : absl::StrCat("data dir ", dir,
                                                     " had no record of its configuration (an older kvlab "
                                                     "made it): adopted as ",
                                                     AsNode(flags), ", as the flags say"));
  return check;
}

}  // namespace

absl::StatusOr<DataDirCheck> CheckDataDir(core::Disk& disk, const std::string& dir, const DataDirMeta& flags,
                                          bool token_given) {
  absl::StatusOr<DataDirMeta> recorded = ReadMeta(disk);
  if (absl::IsNotFound(recorded.status())) return RecordFlags(disk, dir, flags);
  if (!recorded.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", dir, ": ", recorded.status().message(), ": refusing to start"));
  }
  return CompareWithRecord(disk, dir, *recorded, flags, token_given);
}

}  // namespace kvlab::real

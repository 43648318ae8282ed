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

std::vector<core::NodeId> IdsOf(const DataDirMeta& meta) {
  std::vector<core::NodeId> ids;
  for (const auto& [id, address] : meta.members) ids.push_back(id);
  return ids;
}

std::string Join(const std::vector<core::NodeId>& ids) { return absl::StrJoin(ids, ","); }

// The flags may list the members in use or, after a reconfiguration, the bootstrap ones.
bool MembersAccepted(const DataDirMeta& recorded, const DataDirMeta& flags) {
  const std::vector<core::NodeId> ids = IdsOf(flags);
  return ids == IdsOf(recorded) || ids == BootstrapMembers(recorded);
}

std::string MembershipRemedy(const DataDirMeta& recorded) {
  std::string remedy = absl::StrCat(
      "membership changes only through MEMBER ADD/REMOVE, a logged reconfiguration: "
      "restart with --cluster listing members ",
      MemberList(recorded));
  if (!recorded.bootstrap.empty())
    absl::StrAppend(&remedy, " (or the bootstrap members ", Join(recorded.bootstrap), ")");
  return absl::StrCat(remedy, ", or bootstrap a new cluster in empty data dirs");
}

// Records the flags' new peer addresses for members of the record (a bootstrap member the
// cluster removed stays out).
void NotePeerMoves(const std::string& dir, const DataDirMeta& flags, DataDirMeta* updated, DataDirCheck* check) {
  for (const auto& [id, address] : flags.members) {
    auto it = updated->members.find(id);
    if (it == updated->members.end() || it->second == address) continue;
    check->notes.push_back(absl::StrCat("peer address of node ", id, " changed from ",
                                        it->second.empty() ? "none" : it->second, " to ",
                                        address.empty() ? "none" : address, ": recorded in data dir ", dir));
    it->second = address;
  }
}

// The record against the flags: OK (with notes for moved peers) or the refusal.
absl::StatusOr<DataDirCheck> CompareWithRecord(core::Disk& disk, const std::string& dir, const DataDirMeta& recorded,
                                               const DataDirMeta& flags, std::string_view token) {
  if (recorded.policy != flags.policy) {
    return Refuse(dir, recorded, absl::StrCat("--policy ", flags.policy),
                  absl::StrCat("a data dir keeps the policy it was bootstrapped with: run it with --policy ",
                               recorded.policy, ", or use an empty --data-dir for another policy"));
  }
  if (recorded.self != flags.self) {
    return Refuse(dir, recorded, absl::StrCat("--id ", flags.self),
                  absl::StrCat("each node keeps its own data dir: run it with --id ", recorded.self));
  }
  if (!MembersAccepted(recorded, flags)) return Refuse(dir, recorded, FlagMembers(flags), MembershipRemedy(recorded));
  if (flags.joined && !recorded.joined) {
    return Refuse(dir, recorded, "--join",
                  "--join is for a new member's empty data dir; this node is a member already: restart it without "
                  "--join");
  }
  if (!token.empty()) {
    std::map<core::NodeId, std::string> bootstrap;
    for (core::NodeId id : BootstrapMembers(recorded)) bootstrap[id] = "";
    const std::string expected = DeriveClusterId(recorded.policy, bootstrap, token);
    if (recorded.cluster_id != expected) {
      return Refuse(dir, recorded, absl::StrCat("cluster ", expected, " (another --cluster-token)"),
                    "restart with the --cluster-token it was bootstrapped with, or without one");
    }
  }
  DataDirCheck check;
  DataDirMeta updated = recorded;
  NotePeerMoves(dir, flags, &updated, &check);
  if (!recorded.bootstrap.empty() && IdsOf(flags) != IdsOf(recorded)) {
    check.notes.push_back(absl::StrCat("--cluster lists the bootstrap members ", Join(recorded.bootstrap),
                                       "; the membership in use since a reconfiguration is ", MemberList(recorded),
                                       " (raft takes it from its log)"));
  }
  check.record = updated;
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
  check.record = flags;
  check.recorded_now = true;
  check.notes.push_back(found.empty() ? absl::StrCat("data dir ", dir, " is new: bootstrapped as ", AsNode(flags))
                                      : absl::StrCat("data dir ", dir,
                                                     " had no record of its configuration (an older kvlab "
                                                     "made it): adopted as ",
                                                     AsNode(flags), ", as the flags say"));
  return check;
}

}  // namespace

std::vector<core::NodeId> BootstrapMembers(const DataDirMeta& meta) {
  return meta.bootstrap.empty() ? IdsOf(meta) : meta.bootstrap;
}

absl::StatusOr<DataDirCheck> CheckDataDir(core::Disk& disk, const std::string& dir, const DataDirMeta& flags,
                                          std::string_view token) {
  absl::StatusOr<DataDirMeta> recorded = ReadMeta(disk);
  if (absl::IsNotFound(recorded.status())) return RecordFlags(disk, dir, flags);
  if (!recorded.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", dir, ": ", recorded.status().message(), ": refusing to start"));
  }
  return CompareWithRecord(disk, dir, *recorded, flags, token);
}

}  // namespace kvlab::real

// The identity a node's data dir was bootstrapped with: the policy, this node's id, the members
// with their peer addresses, and a cluster id. Written once, at the first start on an empty dir
// (atomically: tmp file, fsync, rename, directory fsync); every later start compares its flags
// with it (data_dir_check.h), so a node restarted with another membership or policy refuses to
// start instead of electing itself leader of a cluster of one (split brain) or showing an empty
// database.
//
// The file is text, one `key value` per line, ending with a checksum line:
//   format 1
//   policy raft
//   node 1
//   cluster_id 3f2a9c0d11e4b7a2
//   member 1 127.0.0.1:7380        ("-" when the node has no peers)
//   bootstrap 1,2,3                (optional: the members at bootstrap, once a change replaced them)
//   joined 1                       (optional: the node started with --join, with no configuration)
//   checksum 0123456789abcdef      (core::Checksum64 of every line before it)
//
// The member lines follow the cluster's membership: raft's membership changes (MEMBER ADD/REMOVE)
// are logged reconfigurations, and the node rewrites the record once it uses a new configuration,
// keeping the bootstrap membership beside it. The log, not this record, is what raft trusts: the
// record lets a restart name either membership in --cluster and tells the node how it started.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/env.h"
#include "core/types.h"

namespace kvlab::real {

inline constexpr char kMetaFileName[] = "kvlab_meta";
inline constexpr char kMetaTmpFileName[] = "kvlab_meta.tmp";
inline constexpr int kMetaFormat = 1;
inline constexpr size_t kMaxMetaBytes = 64 * 1024;  // far above 64 members with long host names.
inline constexpr size_t kMaxMetaMembers = 1024;

struct DataDirMeta {
  std::string policy;
  core::NodeId self = core::kNoNode;
  std::map<core::NodeId, std::string> members;  // id -> peer address "HOST:PORT", "" without peers.
  std::string cluster_id;                       // 16 hex digits.
  // The members at bootstrap when a membership change has replaced them in `members` (empty: the
  // members are the bootstrap ones).
  std::vector<core::NodeId> bootstrap;
  bool joined = false;  // bootstrapped with --join: the node started with no configuration.

  bool operator==(const DataDirMeta&) const = default;
};

// The cluster id every member derives from the same initial configuration (as etcd derives its
// cluster ID from --initial-cluster): a hash of the policy, the member ids and the optional
// token. Peer addresses are left out, so a member that moves keeps the cluster's id.
std::string DeriveClusterId(std::string_view policy, const std::map<core::NodeId, std::string>& members,
                            std::string_view token);

// The record the flags describe (cluster_id derived with `token`).
DataDirMeta MetaOfFlags(std::string policy, core::NodeId self, std::map<core::NodeId, std::string> members,
                        std::string_view token);

std::string EncodeMeta(const DataDirMeta& meta);
// DataLoss naming the bad line (or the checksum) if `text` is not one valid record.
absl::StatusOr<DataDirMeta> DecodeMeta(std::string_view text);

// "1,2,3"
std::string MemberList(const DataDirMeta& meta);
// "raft cluster 3f2a9c0d11e4b7a2 with members 1,2,3".
std::string DescribeCluster(const DataDirMeta& meta);

// The record in `disk`'s directory; NotFound if there is none.
absl::StatusOr<DataDirMeta> ReadMeta(core::Disk& disk);
// Writes the record durably and atomically (tmp, sync, rename; the rename syncs the directory).
absl::Status WriteMeta(core::Disk& disk, const DataDirMeta& meta);

}  // namespace kvlab::real

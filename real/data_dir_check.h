// The start-up check of a node's data dir against its flags (the record: data_dir_meta.h).
//
// - A dir with a record: the policy, this node's id and the member ids must be the ones recorded
//   (and the cluster id too when --cluster-token is given); else the node refuses to start.
//   Membership changes only through raft's logged reconfiguration (MEMBER ADD/REMOVE), after which
//   the record holds the new members beside the bootstrap ones, and --cluster may list either. A
//   member's peer address may change (a node moved; raft's safety rests on the member set, not on
//   addresses): the new address is recorded and the change logged.
// - --join is for a new member's empty dir: a dir bootstrapped as a member refuses it; a dir
//   bootstrapped with --join keeps starting as a joiner (its configuration is in its log).
// - A dir without a record: if it holds another policy's files it is refused; otherwise the
//   flags are recorded (a new dir is bootstrapped; a dir an older kvlab made is adopted).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/env.h"
#include "real/data_dir_meta.h"

namespace kvlab::real {

struct DataDirCheck {
  DataDirMeta record;              // the data dir's record as it stands after the check.
  bool recorded_now = false;       // the record was written by this start.
  std::vector<std::string> notes;  // lines for the node's log (bootstrap, adoption, moved peers).
};

// REQUIRES: `disk` is `dir`'s and this process holds its lock. `flags` is MetaOfFlags(...) (with
// `joined` for --join); `token`: --cluster-token, empty when not given (only then is the cluster id
// compared).
// FailedPrecondition, with one line that names both configurations, when they disagree (or naming
// the record when it cannot be read).
absl::StatusOr<DataDirCheck> CheckDataDir(core::Disk& disk, const std::string& dir, const DataDirMeta& flags,
                                          std::string_view token);

// The members the node started its cluster with: those it was bootstrapped with (or, with
// --join, the members its flags named when it joined).
std::vector<core::NodeId> BootstrapMembers(const DataDirMeta& meta);

}  // namespace kvlab::real

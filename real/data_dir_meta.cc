#include "real/data_dir_meta.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/bytes.h"

namespace kvlab::real {
namespace {

constexpr char kNoAddress[] = "-";
constexpr char kChecksumKey[] = "checksum ";

std::string Hex16(uint64_t v) { return absl::StrFormat("%016x", v); }

absl::Status Bad(size_t line, std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("file '", kMetaFileName, "' is corrupt (line ", line, "): ", std::string(why)));
}

// Applies one `key value` line to *meta.
absl::Status DecodeLine(absl::string_view line, size_t n, DataDirMeta* meta) {
  std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
  if (f[0] == "format" && f.size() == 2) {
    int format = 0;
    if (!absl::SimpleAtoi(f[1], &format) || format != kMetaFormat) {
      return Bad(n, absl::StrCat("format ", std::string(f[1]), " (this kvlab reads format ", kMetaFormat, ")"));
    }
  } else if (f[0] == "policy" && f.size() == 2) {
    meta->policy = std::string(f[1]);
  } else if (f[0] == "node" && f.size() == 2) {
    if (!absl::SimpleAtoi(f[1], &meta->self) || meta->self == core::kNoNode) return Bad(n, "bad node id");
  } else if (f[0] == "cluster_id" && f.size() == 2) {
    meta->cluster_id = std::string(f[1]);
  } else if (f[0] == "member" && f.size() == 3) {
    core::NodeId id = 0;
    if (!absl::SimpleAtoi(f[1], &id) || id == core::kNoNode) return Bad(n, "bad member id");
    if (meta->members.size() >= kMaxMetaMembers) return Bad(n, "too many members");
    const std::string address = f[2] == kNoAddress ? "" : std::string(f[2]);
    if (!meta->members.emplace(id, address).second) return Bad(n, "member listed twice");
  } else if (f[0] == "bootstrap" && f.size() == 2) {
    for (absl::string_view item : absl::StrSplit(f[1], ',')) {
      core::NodeId id = 0;
      if (!absl::SimpleAtoi(item, &id) || id == core::kNoNode) return Bad(n, "bad bootstrap member id");
      if (meta->bootstrap.size() >= kMaxMetaMembers) return Bad(n, "too many bootstrap members");
      meta->bootstrap.push_back(id);
    }
  } else if (f[0] == "joined" && f.size() == 2 && f[1] == "1") {
    meta->joined = true;
  } else {
    return Bad(n, absl::StrCat("unexpected '", std::string(line), "'"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string DeriveClusterId(std::string_view policy, const std::map<core::NodeId, std::string>& members,
                            std::string_view token) {
  std::string input = absl::StrCat("kvlab-cluster\n", std::string(policy), "\n");
  for (const auto& [id, address] : members) absl::StrAppend(&input, id, ",");
  absl::StrAppend(&input, "\n", std::string(token));
  return Hex16(core::Checksum64(input));
}

DataDirMeta MetaOfFlags(std::string policy, core::NodeId self, std::map<core::NodeId, std::string> members,
                        std::string_view token) {
  DataDirMeta meta;
  meta.cluster_id = DeriveClusterId(policy, members, token);
  meta.policy = std::move(policy);
  meta.self = self;
  meta.members = std::move(members);
  return meta;
}

std::string EncodeMeta(const DataDirMeta& meta) {
  std::string text = absl::StrCat("format ", kMetaFormat, "\npolicy ", meta.policy, "\nnode ", meta.self,
                                  "\ncluster_id ", meta.cluster_id, "\n");
  for (const auto& [id, address] : meta.members) {
    absl::StrAppend(&text, "member ", id, " ", address.empty() ? kNoAddress : address, "\n");
  }
  if (!meta.bootstrap.empty()) absl::StrAppend(&text, "bootstrap ", absl::StrJoin(meta.bootstrap, ","), "\n");
  if (meta.joined) absl::StrAppend(&text, "joined 1\n");
  absl::StrAppend(&text, kChecksumKey, Hex16(core::Checksum64(text)), "\n");
  return text;
}

absl::StatusOr<DataDirMeta> DecodeMeta(std::string_view text) {
  if (text.size() > kMaxMetaBytes) return Bad(0, absl::StrCat("larger than ", kMaxMetaBytes, " bytes"));
  const size_t at = text.rfind(kChecksumKey);
  if (at == std::string_view::npos || (at > 0 && text[at - 1] != '\n')) return Bad(0, "no checksum line");
  const std::string_view body = text.substr(0, at);
  if (text.substr(at) != absl::StrCat(kChecksumKey, Hex16(core::Checksum64(body)), "\n")) {
    return Bad(0, "checksum mismatch");
  }
  DataDirMeta meta;
  size_t n = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(body.data(), body.size()), '\n', absl::SkipEmpty())) {
    if (absl::Status s = DecodeLine(line, ++n, &meta); !s.ok()) return s;
  }
  if (meta.policy.empty() || meta.self == core::kNoNode || meta.cluster_id.empty() || meta.members.empty()) {
    return Bad(n, "policy, node, cluster_id or members missing");
  }
  return meta;
}

std::string MemberList(const DataDirMeta& meta) {
  std::string out;
  for (const auto& [id, address] : meta.members) absl::StrAppend(&out, out.empty() ? "" : ",", id);
  return out;
}

std::string DescribeCluster(const DataDirMeta& meta) {
  std::string out = absl::StrCat(meta.policy, " cluster ", meta.cluster_id, " with members ", MemberList(meta));
  if (!meta.bootstrap.empty()) absl::StrAppend(&out, " (bootstrapped with ", absl::StrJoin(meta.bootstrap, ","), ")");
  if (meta.joined) absl::StrAppend(&out, " (joined with --join)");
  return out;
}

absl::StatusOr<DataDirMeta> ReadMeta(core::Disk& disk) {
  absl::StatusOr<std::string> text = disk.Read(kMetaFileName);
  if (!text.ok()) return text.status();
  return DecodeMeta(*text);
}

absl::Status WriteMeta(core::Disk& disk, const DataDirMeta& meta) {
  if (absl::Status s = disk.Remove(kMetaTmpFileName); !s.ok()) return s;
  if (absl::Status s = disk.Append(kMetaTmpFileName, EncodeMeta(meta)); !s.ok()) return s;
  if (absl::Status s = disk.Sync(kMetaTmpFileName); !s.ok()) return s;
  return disk.Rename(kMetaTmpFileName, kMetaFileName);
}

}  // namespace kvlab::real

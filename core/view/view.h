// A view of a primary-backup or chain group, as the view service (core/view/view_service.h)
// stores it: an epoch and the ordered members (members[0] is the primary or the chain's head;
// the order is the chain order). Each member is listed with the nonce of the incarnation the
// view admitted (a restart picks a new nonce, so a restarted member needs a new view) and whether
// it is known to hold every write the group acknowledged (`synced`): only a synced member may
// become primary. Views live in the view service's KvState under one key per epoch, written with
// NX, so two proposals can never install different views of one epoch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/types.h"

namespace kvlab::core {

struct ViewMember {
  NodeId id = kNoNode;
  uint64_t nonce = 0;
  bool synced = false;
  bool operator==(const ViewMember&) const = default;
};

struct View {
  uint64_t epoch = 0;  // 0: no view installed yet.
  std::vector<ViewMember> members;

  NodeId primary() const { return members.empty() ? kNoNode : members.front().id; }
  const ViewMember* Find(NodeId id) const;
  // True when `id` is a member with this incarnation's nonce.
  bool Admits(NodeId id, uint64_t nonce) const;
  // The member after `id` in the order (kNoNode at the tail or when absent); and before it.
  NodeId Successor(NodeId id) const;
  NodeId Predecessor(NodeId id) const;
  bool operator==(const View&) const = default;
};

std::string EncodeView(const View& v);
// DataLoss for bytes that are not one view.
absl::StatusOr<View> DecodeView(std::string_view bytes);
// The key of epoch `epoch`'s view, and of the mark that its primary finished the epoch's state
// transfer (every member then holds every acknowledged write: all become synced).
std::string ViewKey(uint64_t epoch);
std::string ReadyKey(uint64_t epoch);
// "3:1*,2,4" (epoch: members in order, * for synced) for INFO and reports.
std::string DescribeView(const View& v);

}  // namespace kvlab::core

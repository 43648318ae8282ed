#include "core/chain/chain_policy.h"

#include "core/pb/pb_node.h"
#include "core/pb/pb_policy.h"

namespace kvlab::core {
namespace {

absl::StatusOr<std::unique_ptr<Node>> MakeChain(const NodeConfig& config, const PolicyParams& params, Env& env) {
  PbOptions o;
  o.mode = PbMode::kSync;
  o.topology = PbTopology::kChain;
  o.reads = params.Choice("reads") == "craq" ? PbReads::kCraq : PbReads::kTail;
  o.tag = kChainPolicyTag;
  o.name = "chain";
  o.file_prefix = kChainFilePrefix;
  o.view = ViewOptionsFrom(params);
  return std::unique_ptr<Node>(new PbNode(config, env, o));
}

PolicyInfo MakeInfo() {
  PolicyInfo p = ViewPolicyBase();  // linearizable in both read modes.
  p.name = "chain";
  p.tag = kChainPolicyTag;
  p.description =
      "chain replication (writes down from the head, reads at the tail or CRAQ at any member), reconfigured by a "
      "view service on raft";
  p.log_file = kChainWalFile;
  p.snapshot_file = kChainSnapshotFile;
  p.inspect = [](Disk& disk) { return InspectViewStore(disk, kChainFilePrefix); };
  p.params.insert(p.params.begin(),
                  ChoiceParam("reads", "tail", {"tail", "craq"},
                              "tail: reads at the tail; craq: any member answers clean keys, the tail dirty ones"));
  p.check_params = [](const PolicyParams& params) { return CheckViewParams(params, "chain"); };
  p.reencode_peer = [](const PeerMessage& m) { return ReencodeViewPeer(m, kChainPolicyTag); };
  p.control_message = [](const PeerMessage& m) { return IsViewServiceMessage(m, kChainPolicyTag); };
  p.make = MakeChain;
  return p;
}

}  // namespace

const PolicyInfo& ChainPolicy() {
  static const PolicyInfo* const info = new PolicyInfo(MakeInfo());
  return *info;
}

}  // namespace kvlab::core

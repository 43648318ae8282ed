#include "core/pb/pb_policy.h"

#include "absl/strings/str_cat.h"
#include "core/kv/kv_store.h"
#include "core/pb/pb_node.h"

namespace kvlab::core {

// The largest clock error between two nodes the lease rule allows for: the simulator's clock
// faults jump a clock forward by up to 200 ms and drift it by up to 200 ppm.
constexpr Nanos kPbMaxClockError = Millis(250);

int ViewMinority(int nodes) { return (nodes - 1) / 2; }

ViewServiceOptions ViewOptionsFrom(const PolicyParams& params) {
  ViewServiceOptions o;
  o.heartbeat = Millis(params.Int("heartbeat_ms"));
  o.lease = Millis(params.Int("lease_ms"));
  o.lapse = Millis(params.Int("lapse_ms"));
  return o;
}

// A lease must run out before the view service can install a view without its holder (see
// core/view/view_service.h): lapse > lease + how long a deposed view leader may still grant
// leases + clock error; and leases must be renewed several times within one.
absl::Status CheckViewParams(const PolicyParams& params, std::string_view policy) {
  const std::string p(policy);
  const ViewServiceOptions o = ViewOptionsFrom(params);
  const Nanos need = o.lease + (o.raft.election_max - o.raft.election_min) + o.raft.tick() + kPbMaxClockError;
  if (o.lapse <= need) {
    return absl::InvalidArgumentError(absl::StrCat(p, ".lapse_ms=", o.lapse / kNanosPerMilli, ": must exceed ", p,
                                                   ".lease_ms plus ", (need - o.lease) / kNanosPerMilli,
                                                   " ms (a deposed view leader's grace and the clock error): above ",
                                                   need / kNanosPerMilli));
  }
  if (3 * o.heartbeat > o.lease) {
    return absl::InvalidArgumentError(
        absl::StrCat(p, ".heartbeat_ms=", o.heartbeat / kNanosPerMilli, ": at most a third of ", p, ".lease_ms"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> InspectViewStore(Disk& disk, const char* file_prefix) {
  KvStoreOptions o{.fsync = false};
  o.file_prefix = file_prefix;
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(disk, o);
  if (!store.ok()) return store.status();
  const KvStoreStats& s = (*store)->stats();
  return absl::StrCat((*store)->state().size(), " keys at LSN ", (*store)->last_lsn(), " (snapshot at LSN ",
                      s.snapshot_lsn, ", ", s.recovered_records, " records replayed)");
}

absl::StatusOr<PeerMessage> ReencodeViewPeer(const PeerMessage& m, uint8_t tag) {
  if (m.policy == tag && m.kind == kViewHeartbeatKind) {
    absl::StatusOr<ViewHeartbeat> hb = DecodeViewHeartbeat(m);
    if (!hb.ok()) return hb.status();
    return EncodeViewHeartbeat(tag, *hb);
  }
  if (m.policy == tag && m.kind == kViewLeaseKind) {
    absl::StatusOr<ViewLease> l = DecodeViewLease(m);
    if (!l.ok()) return l.status();
    return EncodeViewLease(tag, *l);
  }
  absl::StatusOr<PbMessage> decoded = DecodePbMessage(m, tag);
  if (!decoded.ok()) return decoded.status();
  return EncodePbMessage(*decoded, tag);
}

PolicyInfo ViewPolicyBase() {
  PolicyInfo p;
  p.default_nodes = 3;
  p.min_nodes = 1;
  p.max_nodes = static_cast<int>(kRaftMaxMembers);
  p.promise = Consistency::kLinearizable;
  p.durable = true;
  p.max_faulty = ViewMinority;
  p.survives = {"crash", "partition", "disk", "clock", "network", "random"};
  p.params = ViewParams();
  return p;
}

std::vector<ParamSpec> ViewParams() {
  return {
      IntParam("heartbeat_ms", "50", 1, 10'000, "period of a node's heartbeat (lease renewal) to the view leader"),
      IntParam("lease_ms", "300", 3, 60'000, "a node's lease after a heartbeat the view leader answered"),
      IntParam("lapse_ms", "1000", 10, 600'000, "the view leader removes a member silent this long"),
  };
}

namespace {

Consistency PromiseFor(const PolicyParams& params) {
  return params.Choice("mode") == "async" ? Consistency::kLinearizableUntilFailover : Consistency::kLinearizable;
}

absl::StatusOr<std::unique_ptr<Node>> MakePb(const NodeConfig& config, const PolicyParams& params, Env& env) {
  PbOptions o;
  o.mode = params.Choice("mode") == "async" ? PbMode::kAsync : PbMode::kSync;
  o.view = ViewOptionsFrom(params);
  return std::unique_ptr<Node>(new PbNode(config, env, o));
}

PolicyInfo MakeInfo() {
  PolicyInfo p = ViewPolicyBase();
  p.name = "pb";
  p.tag = kPbPolicyTag;
  p.description =
      "primary-backup (sync: ack after every backup's sync; async: after the primary's), reconfigured by a view "
      "service on raft";
  // sync (the default) is linearizable; async only until a failover (PromiseFor).
  p.promise_for = PromiseFor;
  p.log_file = kPbWalFile;
  p.snapshot_file = kPbSnapshotFile;
  p.inspect = [](Disk& disk) { return InspectViewStore(disk, kPbFilePrefix); };
  p.params.insert(
      p.params.begin(),
      ChoiceParam("mode", "sync", {"sync", "async"},
                  "sync: acknowledge after every backup synced the write; async: after the primary's own sync"));
  p.check_params = [](const PolicyParams& params) { return CheckViewParams(params, "pb"); };
  p.reencode_peer = [](const PeerMessage& m) { return ReencodeViewPeer(m, kPbPolicyTag); };
  p.control_message = [](const PeerMessage& m) { return IsViewServiceMessage(m, kPbPolicyTag); };
  p.make = MakePb;
  return p;
}

}  // namespace

const PolicyInfo& PbPolicy() {
  static const PolicyInfo* const info = new PolicyInfo(MakeInfo());
  return *info;
}

}  // namespace kvlab::core

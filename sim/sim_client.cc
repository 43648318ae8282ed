#include "sim/sim_client.h"

#include <algorithm>
#include <utility>

#include "core/assert.h"

namespace kvlab::sim {

SimClient::SimClient(SimRuntime& runtime, core::NodeId first_target)
    : runtime_(runtime), sim_(runtime.sim()), self_(sim_.AddClient(this)), target_(first_target) {}

SimClient::~SimClient() {
  // The connection closes with its fiber's end: the client pays the close on its CPU, the node
  // when the FIN reaches it (CpuModel::client_per_connection_ns, per_connection_ns).
  const CpuModel& cpu = sim_.config().cpu;
  if (cpu.client_per_connection_ns > 0 || cpu.per_connection_ns > 0) {
    const core::Nanos paid_at_first_op = std::max<core::Nanos>(0, cpu.client_first_op_ns - cpu.client_per_op_ns);
    const core::Nanos closed =
        runtime_.ChargeClientCpu(std::max<core::Nanos>(0, cpu.client_per_connection_ns - paid_at_first_op));
    sim_.CloseClientConnection(self_, target_, closed);
  }
  sim_.RemoveClient(self_);
}

workloads::ClientResult SimClient::Execute(core::Command cmd) {
  KV_ASSERT(done_);  // one call at a time.
  done_ = false;
  pending_id_ = next_request_id_++;
  waiter_ = workloads::Fiber::Current();
  KV_ASSERT(waiter_ != nullptr);
  ++runtime_.mutable_client_stats().requests;

  core::Message msg;
  msg.type = core::MessageType::kClientRequest;
  msg.from = self_;
  msg.to = target_;
  auto& req = msg.body.emplace<core::ClientRequest>();
  req.request_id = pending_id_;
  sim_.trace().Record("call", sim_.now(), {self_, target_, pending_id_, static_cast<uint64_t>(cmd.op)});
  req.command = std::move(cmd);
  // The client's CPU (CpuModel::client_per_op_ns, one CPU for all clients) serializes the sends;
  // found idle, it wakes first (CpuModel::wake_ns). The connection's first costs more
  // (client_first_op_ns).
  const CpuModel& cpu = sim_.config().cpu;
  const bool first = pending_id_ == 1;
  const core::Nanos leaves =
      runtime_.ChargeClientCpu(first ? std::max(cpu.client_per_op_ns, cpu.client_first_op_ns) : cpu.client_per_op_ns);
  sim_.Send(self_, target_, std::move(msg), leaves);
  deadline_ = sim_.now() + sim_.config().client_timeout_ns;
  deadline_seq_ = sim_.ReserveSeq();
  if (!timeout_armed_) ArmDeadline();
  while (!done_) runtime_.Park();
  waiter_ = nullptr;
  return std::move(result_);
}

void SimClient::OnMessage(core::Message&& msg) {
  auto* reply = std::get_if<core::ClientReply>(&msg.body);
  if (reply == nullptr || done_ || reply->request_id != pending_id_) return;  // late or duplicate.
  workloads::ClientResult result;
  switch (reply->status) {
    case core::ReplyStatus::kOk:
      result.outcome = workloads::Outcome::kOk;
      result.result = std::move(reply->result);
      break;
    case core::ReplyStatus::kUnknown:
      result.outcome = workloads::Outcome::kUnknown;
      result.error = std::move(reply->message);
      result.error_kind = workloads::ErrorKind::kUnknown;
      break;
    case core::ReplyStatus::kTryAgain: FailOver(); [[fallthrough]];
    case core::ReplyStatus::kBusy:
    case core::ReplyStatus::kInvalid:
      result.outcome = workloads::Outcome::kFail;
      result.error = std::move(reply->message);
      result.error_kind = reply->status == core::ReplyStatus::kInvalid ? workloads::ErrorKind::kCommand
                                                                       : workloads::ErrorKind::kUnavailable;
      break;
  }
  Complete(std::move(result));
}

void SimClient::ArmDeadline() {
  KV_ASSERT(!timeout_armed_);
  timeout_armed_ = true;
  sim_.ScheduleWithSeq(EventKind::kClientTimeout, deadline_, deadline_seq_, self_, 0, 0);
}

void SimClient::OnTimeout(uint64_t seq) {
  KV_ASSERT(timeout_armed_);
  timeout_armed_ = false;
  if (done_) return;  // the deadline of a completed call.
  if (seq != deadline_seq_) {
    // An earlier call's deadline: the armed event always precedes the current deadline, because
    // calls are sequential and the timeout is fixed, so deadlines only grow.
    KV_ASSERT(deadline_ > sim_.now() || (deadline_ == sim_.now() && deadline_seq_ > seq));
    ArmDeadline();
    return;
  }
  ++runtime_.mutable_client_stats().timeouts;
  FailOver();
  workloads::ClientResult result;
  result.outcome = workloads::Outcome::kUnknown;
  result.error = "timeout";
  result.error_kind = workloads::ErrorKind::kTimeout;
  Complete(std::move(result));
}

void SimClient::OnConnectionClosed(core::NodeId node) {
  if (node != target_) return;  // this client's connection to it was idle and is not its target.
  FailOver();
  if (done_) return;
  workloads::ClientResult result;
  result.outcome = workloads::Outcome::kUnknown;
  result.error = "connection closed";
  result.error_kind = workloads::ErrorKind::kConnection;
  Complete(std::move(result));
}

void SimClient::Complete(workloads::ClientResult result) {
  sim_.trace().Record("done", sim_.now(), {self_, pending_id_, static_cast<uint64_t>(result.outcome)});
  result_ = std::move(result);
  done_ = true;
  runtime_.Wake(waiter_);
}

void SimClient::FailOver() {
  const int n = sim_.node_count();
  target_ = static_cast<core::NodeId>(target_ % n + 1);
}

}  // namespace kvlab::sim

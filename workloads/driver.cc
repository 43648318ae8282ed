#include "workloads/driver.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/assert.h"

namespace kvlab::workloads {
namespace {

// Preload uses at most this many parallel writers (one connection each).
constexpr int kMaxPreloadFibers = 64;

const char* HistoryOpName(core::Op op) {
  switch (op) {
    case core::Op::kGet: return "get";
    case core::Op::kPut: return "put";
    case core::Op::kDel: return "del";
    default: return core::OpName(op);
  }
}

// The history is reserved up front for this many ops at most: a run's history grows to its ops
// count (twice that with read-modify-writes) plus the preload and the post-run read-back, and
// growing it by doubling copies every op recorded so far and touches twice the memory.
constexpr uint64_t kMaxHistoryReserveOps = 2'000'000;

// The ops a run records: its operations (two requests each if any is a read-modify-write), the
// preload's puts, and room for the read-back of every key (sim/run.cc reads each written key once
// more into the same history); 0 when the run is bounded by time only.
uint64_t ExpectedHistoryOps(const Scenario& s) {
  if (s.ops == 0) return 0;
  const uint64_t requests = s.ops * (s.mix.rmw > 0 ? 2 : 1);
  const uint64_t keys = s.keys + static_cast<uint64_t>(static_cast<double>(s.ops) * s.mix.insert) + 1;
  return std::min(kMaxHistoryReserveOps, requests + (s.preload ? keys : 0) + keys);
}

// Client index -> the share of `total` it performs when work is split evenly.
uint64_t ShareOf(uint64_t total, int clients, int index) {
  return total / clients + (static_cast<uint64_t>(index) < total % clients ? 1 : 0);
}

}  // namespace

Driver::Driver(Runtime& rt, Scenario scenario, DriverOptions options)
    : rt_(rt),
      scenario_(std::move(scenario)),
      options_(std::move(options)),
      op_chooser_((KV_ASSERT(scenario_.Validate().ok()), scenario_.mix)),
      in_flight_(rt, scenario_.in_flight),
      clients_(rt),
      ticker_(rt),
      inserted_keys_(scenario_.keys) {
  chooser_ = MakeKeyChooser(scenario_.key_distribution, scenario_.keys);
  if (options_.record_history) result_.history.reserve(ExpectedHistoryOps(scenario_));
}

Driver::~Driver() = default;

void Driver::Start() {
  KV_ASSERT(!started_);
  started_ = true;
  rt_.Spawn([this] { Coordinate(); });
}

void Driver::Coordinate() {
  if (scenario_.preload) Preload();
  measured_start_ = rt_.Now();
  result_.measured_start = measured_start_;
  ticker_.Add(1);
  rt_.Spawn([this] {
    Ticker();
    ticker_.Done();
  });
  clients_.Add(scenario_.clients);
  for (int i = 0; i < scenario_.clients; ++i) {
    rt_.Spawn([this, i] {
      if (scenario_.arrival == Arrival::kOpen) {
        OpenLoopClient(i);
      } else {
        ClosedLoopClient(i);
      }
      clients_.Done();
    });
  }
  clients_.Wait();
  result_.measured_end = rt_.Now();
  ticker_done_ = true;
  ticker_.Wait();
  CloseWindowsBefore(result_.measured_end);
  if (window_ops_ > 0 || window_errors_ > 0 ||
      measured_start_ + window_ * scenario_.timeline_interval < result_.measured_end) {
    // The last, partial window.
    result_.report.timeline.push_back(CurrentWindow());
  }
  done_ = true;
}

void Driver::Preload() {
  const int fibers = static_cast<int>(std::min<uint64_t>(
      {static_cast<uint64_t>(scenario_.clients), scenario_.keys, static_cast<uint64_t>(kMaxPreloadFibers)}));
  WaitGroup done(rt_);
  done.Add(fibers);
  for (int p = 0; p < fibers; ++p) {
    rt_.Spawn([this, p, fibers, &done] {
      std::unique_ptr<Client> client = rt_.Connect(p);
      core::Rng rng = core::Rng::Derive(options_.seed, absl::StrCat("preload/", p));
      const int id = -1 - p;  // preload writers are negative ids: 0.. are clients, then verifiers.
      for (uint64_t k = p; k < scenario_.keys; k += fibers) {
        const uint32_t size = NextValueSize(scenario_.value_size, rng);
        Request(id, *client, core::Command::Put(KeyName(k), MakeValue(id, value_seq_++, size)), rt_.Now(),
                /*measured=*/false);
      }
      done.Done();
    });
  }
  done.Wait();
}

bool Driver::TimeLeft() const { return scenario_.duration == 0 || rt_.Now() < measured_start_ + scenario_.duration; }

void Driver::ClosedLoopClient(int index) {
  std::unique_ptr<Client> client = rt_.Connect(index);
  core::Rng rng = core::Rng::Derive(options_.seed, absl::StrCat("client/", index));
  const uint64_t share = ShareOf(scenario_.ops, scenario_.clients, index);
  for (uint64_t i = 0; (scenario_.ops == 0 || i < share) && TimeLeft(); ++i) {
    RunOperation(index, *client, rng, /*intended=*/-1);
  }
}

void Driver::OpenLoopClient(int index) {
  std::unique_ptr<Client> client = rt_.Connect(index);
  core::Rng rng = core::Rng::Derive(options_.seed, absl::StrCat("client/", index));
  const double interval_ns = 1e9 / scenario_.rate_ops_s;
  for (uint64_t k = index; scenario_.ops == 0 || k < scenario_.ops; k += scenario_.clients) {
    // The schedule is fixed up front; a late client does not push later requests back.
    const core::Nanos intended = measured_start_ + static_cast<core::Nanos>(static_cast<double>(k) * interval_ns);
    if (scenario_.duration > 0 && intended >= measured_start_ + scenario_.duration) break;
    if (rt_.Now() < intended) rt_.SleepUntil(intended);
    RunOperation(index, *client, rng, intended);
  }
}

void Driver::RunOperation(int index, Client& client, core::Rng& rng, core::Nanos intended) {
  const WorkloadOp op = op_chooser_.Next(rng);
  auto value = [&] { return MakeValue(index, value_seq_++, NextValueSize(scenario_.value_size, rng)); };
  switch (op) {
    case WorkloadOp::kRead:
      Request(index, client, core::Command::Get(KeyName(chooser_->Next(rng))), intended, true);
      break;
    case WorkloadOp::kUpdate:
      Request(index, client, core::Command::Put(KeyName(chooser_->Next(rng)), value()), intended, true);
      break;
    case WorkloadOp::kInsert: {
      const uint64_t key = inserted_keys_++;
      chooser_->SetItemCount(inserted_keys_);
      Request(index, client, core::Command::Put(KeyName(key), value()), intended, true);
      break;
    }
    case WorkloadOp::kReadModifyWrite: {
      const std::string key = KeyName(chooser_->Next(rng));
      Request(index, client, core::Command::Get(key), intended, true);
      Request(index, client, core::Command::Put(key, value()), -1, true);
      break;
    }
  }
}

void Driver::Request(int index, Client& client, core::Command cmd, core::Nanos intended, bool measured) {
  if (scenario_.in_flight > 0) in_flight_.Acquire();
  // What the history keeps of the command is copied before the command is handed over.
  HistoryOp h;
  h.client = index;
  h.op = HistoryOpName(cmd.op);
  h.key = cmd.keys.empty() ? "" : cmd.keys[0];
  if (cmd.op == core::Op::kPut && !cmd.values.empty()) h.value = cmd.values[0];
  sequence_.Invoke(h, rt_.Now());  // the last thing before the request leaves.
  const core::Op op = cmd.op;
  ClientResult r = client.Execute(std::move(cmd));
  if (scenario_.in_flight > 0) in_flight_.Release();
  const core::Nanos start = intended < 0 ? h.invoke_ns : intended;
  Record(std::move(h), op, r, start, measured);
}

void Driver::Record(HistoryOp h, core::Op op, ClientResult& r, core::Nanos intended, bool measured) {
  sequence_.Complete(h, rt_.Now());
  // A command-level error (e.g. -ERR) did not apply: a definite failure.
  const bool command_error = r.outcome == Outcome::kOk && r.result.kind == core::ResultKind::kError;
  h.result = r.outcome == Outcome::kUnknown                   ? OpResult::kUnknown
             : (r.outcome == Outcome::kFail || command_error) ? OpResult::kFail
                                                              : OpResult::kOk;
  if (h.op == "get" && h.result == OpResult::kOk && r.result.kind == core::ResultKind::kValue) {
    h.value = std::move(r.result.value);
  }
  if (measured) Measure(h, op, command_error ? ErrorKind::kCommand : r.error_kind, intended);
  if (options_.record_history) result_.history.push_back(std::move(h));
}

Histogram& Driver::OpHistogram(core::Op op, const std::string& name) {
  const size_t i = static_cast<size_t>(op);
  if (i >= by_op_index_.size()) by_op_index_.resize(i + 1, nullptr);
  if (by_op_index_[i] == nullptr) by_op_index_[i] = &result_.by_op_ns[name];
  return *by_op_index_[i];
}

void Driver::Measure(const HistoryOp& h, core::Op op, ErrorKind error, core::Nanos intended) {
  CloseWindowsBefore(h.complete_ns);
  ++result_.report.ops;
  if (h.result != OpResult::kOk) {
    ++result_.report.errors;
    // A client that did not say why counts as "unknown" (a failure without a kind is a bug).
    ++result_.report.errors_by_kind[ErrorKindName(error == ErrorKind::kNone ? ErrorKind::kUnknown : error)];
    ++window_errors_;
    return;
  }
  const core::Nanos latency = h.complete_ns - intended;  // open loop: from the schedule.
  result_.latency_ns.Record(latency);
  OpHistogram(op, h.op).Record(latency);
  window_latency_.Record(latency);
  ++window_ops_;
}

void Driver::Ticker() {
  while (!ticker_done_) {
    rt_.SleepUntil(measured_start_ + (window_ + 1) * scenario_.timeline_interval);
    if (!ticker_done_) CloseWindowsBefore(rt_.Now());
  }
}

TimelinePoint Driver::CurrentWindow() const {
  auto us = [this](double percentile) {
    return static_cast<double>(window_latency_.ValueAtPercentile(percentile)) / 1000.0;
  };
  return {.t_s = static_cast<double>(window_ * scenario_.timeline_interval) / 1e9,
          .ops = window_ops_,
          .errors = window_errors_,
          .p50_us = us(50),
          .p99_us = us(99)};
}

void Driver::CloseWindowsBefore(core::Nanos now) {
  while (now >= measured_start_ + (window_ + 1) * scenario_.timeline_interval) {
    const TimelinePoint p = CurrentWindow();
    result_.report.timeline.push_back(p);
    window_latency_.Reset();
    window_ops_ = window_errors_ = 0;
    ++window_;
    if (options_.on_tick) options_.on_tick(p);
  }
}

DriverResult Driver::Finish() {
  KV_ASSERT(done_);
  RunReport& r = result_.report;
  r.scenario = scenario_.name;
  r.seed = options_.seed;
  r.duration_s = static_cast<double>(result_.measured_end - result_.measured_start) / 1e9;
  r.throughput_ops_s = r.duration_s > 0 ? static_cast<double>(r.ops - r.errors) / r.duration_s : 0;
  r.latency = Summarize(result_.latency_ns);
  for (const auto& [op, h] : result_.by_op_ns) r.by_op[op] = Summarize(h);
  return std::move(result_);
}

}  // namespace kvlab::workloads

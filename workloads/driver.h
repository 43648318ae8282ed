// The workload driver: runs a Scenario on a Runtime. It spawns a coordinator fiber that preloads
// keys (if asked), then runs the client fibers:
//   - closed loop: each client sends its next request when the previous one completes; an
//     optional semaphore caps the requests in flight over all clients (high_concurrency);
//   - open loop: request k is due at start + k / rate (client k % clients sends it) and its
//     latency is measured from that INTENDED start, so a stalled server shows up in the
//     percentiles instead of silently pausing the load (no coordinated omission, as in wrk2).
// It records the history, latency histograms (ns) per op and a timeline per interval. History
// client ids: measured clients are 0..clients-1, preload writers -1, -2, ...; ids from `clients`
// up are free for the runner's own post-run readers.
//
// The driver knows nothing of the simulator: faults are applied by whoever runs it (the sim reads
// scenario.faults); `on_tick` is called at every timeline boundary for progress or fault hooks.
// Usage: Driver d(rt, scenario, opts); d.Start(); <run the runtime until d.Done()>; d.Finish().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "workloads/histogram.h"
#include "workloads/history.h"
#include "workloads/keygen.h"
#include "workloads/op_mix.h"
#include "workloads/report.h"
#include "workloads/runtime.h"
#include "workloads/scenario.h"
#include "workloads/sync.h"

namespace kvlab::workloads {

struct DriverOptions {
  uint64_t seed = 1;
  bool record_history = true;
  // Called from the driver's ticker fiber after each timeline window closes.
  std::function<void(const TimelinePoint&)> on_tick;
};

struct DriverResult {
  RunReport report;  // measured fields only (scenario, ops, errors, latency, timeline...).
  // Preload included: the checker needs the initial writes. Seqs stamped: whoever records after
  // the driver continues with HistorySequence::After(history).
  std::vector<HistoryOp> history;
  Histogram latency_ns;  // all measured requests.
  std::map<std::string, Histogram> by_op_ns;
  core::Nanos measured_start = 0;  // runtime time when the measured run began (after preload).
  core::Nanos measured_end = 0;
};

class Driver {
 public:
  // REQUIRES: scenario.Validate().ok(). `rt` outlives the driver.
  Driver(Runtime& rt, Scenario scenario, DriverOptions options = {});
  ~Driver();

  // Spawns the coordinator fiber. Call once, before running the runtime.
  void Start();
  // True once the measured run is over and every client fiber finished.
  bool Done() const { return done_; }
  // Runtime time at which the measured run began; -1 before preload finished.
  core::Nanos measured_start() const { return measured_start_; }
  // REQUIRES: Done(). Moves the results out.
  DriverResult Finish();

 private:
  void Coordinate();
  void Preload();
  void ClosedLoopClient(int index);
  void OpenLoopClient(int index);
  void Ticker();
  bool TimeLeft() const;
  // Issues one workload operation (one or two requests); `intended` is the open loop's schedule
  // time (or the actual start for closed loops).
  void RunOperation(int index, Client& client, core::Rng& rng, core::Nanos intended);
  void Request(int index, Client& client, core::Command cmd, core::Nanos intended, bool measured);
  // Completes `h` (the invocation: client, op, key, a PUT's value, invoke stamp) with the outcome;
  // takes the value a GET read from `r`.
  void Record(HistoryOp h, core::Op op, ClientResult& r, core::Nanos intended, bool measured);
  // Counts a measured operation in the report, its latency histograms and the timeline.
  void Measure(const HistoryOp& h, core::Op op, ErrorKind error, core::Nanos intended);
  // The latency histogram of `op` (named `name` in the report), found once per op kind.
  Histogram& OpHistogram(core::Op op, const std::string& name);
  // The open window as a timeline point (its start, counts and latency percentiles so far).
  TimelinePoint CurrentWindow() const;
  void CloseWindowsBefore(core::Nanos now);

  Runtime& rt_;
  Scenario scenario_;
  DriverOptions options_;
  std::unique_ptr<KeyChooser> chooser_;
  OpChooser op_chooser_;
  Semaphore in_flight_;
  WaitGroup clients_;
  WaitGroup ticker_;
  uint64_t inserted_keys_ = 0;  // keyspace size including inserts.
  uint64_t value_seq_ = 0;
  bool started_ = false;
  bool done_ = false;
  bool ticker_done_ = false;
  core::Nanos measured_start_ = -1;
  HistorySequence sequence_;  // every invocation and completion, in the order they happen.
  DriverResult result_;
  // The timeline window being filled.
  int64_t window_ = 0;
  Histogram window_latency_;
  // result_.by_op_ns's entries by core::Op (map nodes never move); null until first used.
  std::vector<Histogram*> by_op_index_;
  uint64_t window_ops_ = 0;
  uint64_t window_errors_ = 0;
};

}  // namespace kvlab::workloads

// The nemesis for real processes: `kvlab cluster`'s control channel and fault proxy, and
// `kvlab bench --cluster` applying a scenario's fault schedule to the launched nodes.
#include "real/nemesis.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "real/control_client.h"
#include "real/control_command.h"
#include "tests/real/node_process.h"
#include "tests/real/ports.h"
#include "workloads/scenario.h"

namespace kvlab::real {
namespace {

using testing::FreeBasePort;
using testing::PortFree;
using testing::TempDir;

constexpr auto kDeadline = std::chrono::seconds(20);

// --- the line protocol ---

TEST(ControlCommandTest, ParsesEveryVerb) {
  EXPECT_EQ(ParseControlLine("kill leader", 3)->node, kLeaderNode);
  EXPECT_EQ(ParseControlLine("restart all", 3)->node, kAllNodes);
  EXPECT_EQ(ParseControlLine("pause 2", 3)->verb, ControlVerb::kPause);
  absl::StatusOr<ControlCommand> link = ParseControlLine("link 1 2 delay 20 5", 3);
  ASSERT_TRUE(link.ok());
  EXPECT_TRUE(link->set_delay);
  EXPECT_EQ(link->delay, core::Millis(20));
  EXPECT_EQ(link->jitter, core::Millis(5));
  absl::StatusOr<ControlCommand> cut = ParseControlLine("cut 3 1 oneway", 3);
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut->one_way);
  EXPECT_EQ(cut->a, 3);
  EXPECT_EQ(ParseControlLine("heal", 3)->a, kAllNodes);
}

TEST(ControlCommandTest, ErrorsNameWhatIsWrong) {
  auto message = [](const std::string& line) { return std::string(ParseControlLine(line, 3).status().message()); };
  EXPECT_NE(message("kil 1").find("unknown command 'kil'"), std::string::npos);
  EXPECT_NE(message("kill 4").find("node 4: the cluster has nodes 1..3"), std::string::npos);
  EXPECT_NE(message("restart leader").find("'leader' is not a node id or 'all'"), std::string::npos);
  EXPECT_NE(message("cut 1 1").find("two different nodes"), std::string::npos);
  EXPECT_NE(message("link 1 2 drop 2000000").find("ppm in 0..1000000"), std::string::npos);
  EXPECT_NE(message(std::string(kMaxControlLineBytes + 1, 'x')).find("longer than"), std::string::npos);
  EXPECT_FALSE(ParseControlLine("", 3).ok());
}

// --- the plan ---

workloads::FaultSpec Fault(const std::string& kind, core::NodeId node = core::kNoNode) {
  workloads::FaultSpec f;
  f.at = core::Seconds(1);
  f.kind = kind;
  f.node = node;
  return f;
}

TEST(NemesisPlanTest, RefusesDiskAndClockFaultsByName) {
  for (const char* kind : {"clock_skew", "io_error", "disk_fail", "disk_heal"}) {
    absl::StatusOr<std::vector<NemesisStep>> plan = PlanNemesis({Fault("crash", 1), Fault(kind, 1)}, 3, true);
    ASSERT_FALSE(plan.ok()) << kind;
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(plan.status().message().find(absl::StrCat("fault '", kind, "' at 1s")), std::string::npos)
        << plan.status().message();
  }
}

TEST(NemesisPlanTest, NetworkFaultsNeedTheProxy) {
  workloads::FaultSpec p = Fault("partition");
  p.nodes = {1};
  absl::StatusOr<std::vector<NemesisStep>> plan = PlanNemesis({p}, 3, /*proxy=*/false);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("--proxy"), std::string::npos);
}

TEST(NemesisPlanTest, APartitionCutsEveryLinkAcrossAndAHoldIsReleased) {
  workloads::FaultSpec p = Fault("partition");
  p.nodes = {1};
  p.one_way = true;
  workloads::FaultSpec h = Fault("hold", 2);
  h.duration = core::Millis(500);
  absl::StatusOr<std::vector<NemesisStep>> plan = PlanNemesis({p, h, Fault("crash_leader")}, 3, true);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 4u);
  EXPECT_EQ((*plan)[0].commands, (std::vector<std::string>{"cut 1 2 oneway", "cut 1 3 oneway"}));
  EXPECT_EQ((*plan)[1].commands, (std::vector<std::string>{"hold 2 1", "hold 2 3"}));
  EXPECT_EQ((*plan)[2].commands, (std::vector<std::string>{"kill leader"}));
  EXPECT_EQ((*plan)[3].kind, "release");
  EXPECT_EQ((*plan)[3].at, core::Millis(1500));
  EXPECT_EQ((*plan)[3].commands, (std::vector<std::string>{"heal 2 1", "heal 2 3"}));
}

// --- real processes ---

// `kvlab ARGS...` with stdout and stderr into `log` (a cluster's nodes talk a lot: a pipe nobody
// reads would block the launcher). Killed (SIGTERM, then SIGKILL) by the destructor.
class Background {
 public:
  Background(std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), KVLAB_BINARY);
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Background() {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 500; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A base port whose client, peer and proxy ports are all free now.
int FreeProxyBasePort(int n) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int base = FreeBasePort(n);
    if (base == 0 || base + kProxyPortOffset + n * n > 65535) continue;
    bool ok = true;
    for (int i = 0; i < n * n && ok; ++i) ok = PortFree(base + kProxyPortOffset + i);
    if (ok) return base;
  }
  return 0;
}

// A 3-node raft cluster behind the fault proxy, with its control channel connected.
class ProxiedCluster {
 public:
  explicit ProxiedCluster(const TempDir& dir) : data_(dir.path() + "/c"), base_(FreeProxyBasePort(3)) {
    if (base_ == 0) return;
    launcher_ = std::make_unique<Background>(
        std::vector<std::string>{"cluster", "--nodes", "3", "--policy", "raft", "--proxy", "--base-port",
                                 std::to_string(base_), "--data-dir", data_, "--durability", "none"},
        dir.path() + "/cluster.log");
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<std::unique_ptr<ControlClient>> c = ControlClient::ConnectDir(data_);
      if (c.ok()) {
        control_ = std::move(*c);
        if (Leader() != 0) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  bool ready() const { return control_ != nullptr && base_ != 0; }
  ControlClient& control() { return *control_; }
  const std::string& data_dir() const { return data_; }
  int base() const { return base_; }
  // The node that leads with the highest term now; 0 if none.
  int Leader() {
    absl::StatusOr<std::string> r = control_->Call("leader");
    return r.ok() ? std::atoi(r->c_str()) : 0;
  }

 private:
  std::string data_;
  int base_;
  std::unique_ptr<Background> launcher_;
  std::unique_ptr<ControlClient> control_;
};

// Cutting the leader off from both followers through the proxy: the majority elects a new leader
// and serves; after the heal, the old leader follows the new term.
TEST(NemesisTest, ACutThroughTheProxyIsolatesTheLeader) {
  TempDir dir;
  ProxiedCluster cluster(dir);
  ASSERT_TRUE(cluster.ready());
  const int old = cluster.Leader();
  ASSERT_NE(old, 0);
  for (int j = 1; j <= 3; ++j) {
    if (j == old) continue;
    ASSERT_TRUE(cluster.control().Call(absl::StrCat("cut ", old, " ", j)).ok());
  }
  int now = old;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  // 0 is "no leader now" (an election under way), not a new leader: keep polling through it.
  while ((now == old || now == 0) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    now = cluster.Leader();
  }
  ASSERT_NE(now, old) << "no new leader while node " << old << " was cut off";
  ASSERT_NE(now, 0);
  std::optional<net::RespValue> set = testing::CallUntilServed(cluster.base() + now - 1, {"SET", "cut", "served"});
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set->str, "OK");
  absl::StatusOr<std::string> links = cluster.control().Call("links");
  ASSERT_TRUE(links.ok());
  EXPECT_NE(links->find("cut dropped="), std::string::npos) << *links;
  ASSERT_TRUE(cluster.control().Call("heal").ok());
  std::optional<net::RespValue> got = testing::CallUntilServed(cluster.base() + old - 1, {"GET", "cut"});
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->str, "served") << "the old leader, healed, serves the new leader's write";
}

TEST(NemesisTest, ControlErrorsAreNamedAndTheClusterKeepsRunning) {
  TempDir dir;
  ProxiedCluster cluster(dir);
  ASSERT_TRUE(cluster.ready());
  absl::StatusOr<std::string> r = cluster.control().Call("restart 1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot restart node 1: it is running"), std::string::npos) << r.status();
  ASSERT_TRUE(cluster.control().Call("pause 2").ok());
  r = cluster.control().Call("pause 2");
  EXPECT_NE(r.status().message().find("it is paused"), std::string::npos) << r.status();
  ASSERT_TRUE(cluster.control().Call("kill 2").ok()) << "a paused node can be killed";
  ASSERT_TRUE(cluster.control().Call("restart all").ok());
  absl::StatusOr<std::string> status = cluster.control().Call("status");
  ASSERT_TRUE(status.ok());
  absl::StatusOr<std::vector<ClusterNode>> nodes = ParseStatus(*status);
  ASSERT_TRUE(nodes.ok()) << *status;
  for (const ClusterNode& n : *nodes) EXPECT_EQ(n.state, "running") << *status;
}

constexpr char kShortFailover[] = R"(base = "failure"
name = "failover_short"
duration = "5s"
keys = 200

[[faults]]
at = "1500ms"
kind = "crash_leader"

[[faults]]
at = "3s"
kind = "restart_all"
)";

// The failure scenario for real: the leader SIGKILLed under load and restarted; every
// acknowledged write read back (a lost one fails the check and the run), the window reported.
TEST(NemesisTest, FailoverOnRaftLosesNoWriteAndReportsTheWindow) {
  TempDir dir;
  ProxiedCluster cluster(dir);
  ASSERT_TRUE(cluster.ready());
  const std::string scenario = dir.path() + "/failover.toml", json = dir.path() + "/run.json";
  std::ofstream(scenario) << kShortFailover;
  testing::NodeProcess bench(
      testing::NodeProcess::Kvlab{{"bench", "--cluster", cluster.data_dir(), "--scenario", scenario, "--json", json}});
  const int code = bench.WaitExit();
  ASSERT_EQ(code, 0) << bench.stderr_text() << ReadFile(dir.path() + "/cluster.log").substr(0, 4000);
  const nlohmann::json run = nlohmann::json::parse(ReadFile(json));
  EXPECT_EQ(run["policy"], "raft");
  EXPECT_TRUE(run["check"]["ok"].get<bool>());
  ASSERT_EQ(run["faults"].size(), 2u) << run.dump();
  EXPECT_EQ(run["faults"][0]["kind"], "crash_leader");
  EXPECT_GE(run["faults"][0]["node"].get<int>(), 1);
  EXPECT_EQ(run["faults"][1]["node"], run["faults"][0]["node"]) << "the killed leader is the one restarted";
  const nlohmann::json& m = run["metrics"];
  ASSERT_TRUE(m.contains("unavailability_s")) << run.dump();
  EXPECT_GT(m["unavailability_s"].get<double>(), 0);  // its size is recorded, not asserted (no timed assertions).
  EXPECT_TRUE(m.contains("catch_up_s")) << run.dump();
  EXPECT_TRUE(m.contains("throughput_before_ops_s")) << run.dump();
  EXPECT_TRUE(run["problems"].empty()) << run.dump();
}

constexpr char kShortPartition[] = R"(base = "mixed"
name = "partition_short"
ops = 0
duration = "4s"
clients = 6
keys = 100
request_timeout = "500ms"

[[faults]]
at = "1s"
kind = "partition"
nodes = [1]

[[faults]]
at = "2500ms"
kind = "heal"
)";

// A partition through the fault proxy during mixed: the history stays linearizable, every
// acknowledged write is read back after the heal, and the majority side served meanwhile.
TEST(NemesisTest, APartitionDuringMixedStaysLinearizableAndHeals) {
  TempDir dir;
  ProxiedCluster cluster(dir);
  ASSERT_TRUE(cluster.ready());
  const std::string scenario = dir.path() + "/partition.toml", json = dir.path() + "/run.json";
  std::ofstream(scenario) << kShortPartition;
  testing::NodeProcess bench(
      testing::NodeProcess::Kvlab{{"bench", "--cluster", cluster.data_dir(), "--scenario", scenario, "--json", json}});
  ASSERT_EQ(bench.WaitExit(), 0) << bench.stderr_text();
  const nlohmann::json run = nlohmann::json::parse(ReadFile(json));
  EXPECT_TRUE(run["check"]["ok"].get<bool>());
  ASSERT_EQ(run["faults"].size(), 2u) << run.dump();
  EXPECT_EQ(run["faults"][0]["kind"], "partition");
  uint64_t served_while_cut = 0;
  for (const nlohmann::json& p : run["timeline"]) {
    const double t = p["t_s"].get<double>();
    if (t >= 1.0 && t < 2.5) served_while_cut += p["ops"].get<uint64_t>();
  }
  EXPECT_GT(served_while_cut, 0u) << "the majority side kept serving: " << run.dump();
}

TEST(NemesisTest, AFaultRealProcessesCannotHaveIsRefusedByName) {
  TempDir dir;
  ProxiedCluster cluster(dir);
  ASSERT_TRUE(cluster.ready());
  const std::string scenario = dir.path() + "/clock.toml";
  std::ofstream(scenario) << "base = \"failure\"\nname = \"clock\"\nduration = \"2s\"\n[[faults]]\nat = \"1s\"\n"
                             "kind = \"clock_skew\"\nnode = 1\namount = 1000\n";
  testing::NodeProcess bench(
      testing::NodeProcess::Kvlab{{"bench", "--cluster", cluster.data_dir(), "--scenario", scenario}});
  EXPECT_EQ(bench.WaitExit(), 2);
  EXPECT_NE(bench.stderr_text().find("fault 'clock_skew' at 1s: real processes cannot"), std::string::npos)
      << bench.stderr_text();
}

// --- the fault proxy's link faults (issue 15) ---

// Every directed link between the three nodes gets `fault` ("delay 40 10", "drop 500000").
void FaultEveryLink(ProxiedCluster& cluster, const std::string& fault) {
  for (int a = 1; a <= 3; ++a) {
    for (int b = 1; b <= 3; ++b) {
      if (a == b) continue;
      ASSERT_TRUE(cluster.control().Call(absl::StrCat("link ", a, " ", b, " ", fault)).ok());
    }
  }
}

// A SET's round trip as the client sees it, once the cluster serves it; nullopt if it never did.
std::optional<std::chrono::nanoseconds> TimedSet(ProxiedCluster& cluster, const std::string& key) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    const int leader = cluster.Leader();
    if (leader != 0) {
      testing::RespClient client(cluster.base() + leader - 1);
      const auto start = std::chrono::steady_clock::now();
      std::optional<net::RespValue> reply = client.Call({"SET", key, "v"});
      const auto took = std::chrono::steady_clock::now() - start;
      if (reply && !reply->IsError()) return took;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a retry interval while an election runs.
  }
  return std::nullopt;
}

// Every peer message held D..D+jitter by the proxy: a raft write needs the leader's append to reach
// a follower and its ack to come back, so no write can complete in less than 2D (a lower bound
// from causality, not a timing guess). D stays well below the election timeout (150 ms), so the
// cluster keeps its leader.
TEST(ProxyFaultTest, ADelayedLinkDelaysEveryPeerRoundTrip) {
  TempDir dir;
  ProxiedCluster cluster(dir);
  ASSERT_TRUE(cluster.ready());
  constexpr auto kDelay = std::chrono::milliseconds(40);
  FaultEveryLink(cluster, "delay 40 10");
  absl::StatusOr<std::string> links = cluster.control().Call("links");
  ASSERT_TRUE(links.ok());
  EXPECT_NE(links->find("1->2 delay 40ms jitter 10ms"), std::string::npos) << *links;
  for (int i = 0; i < 5; ++i) {
    std::optional<std::chrono::nanoseconds> took = TimedSet(cluster, absl::StrCat("delayed", i));
    ASSERT_TRUE(took.has_value()) << "no write served through the delayed links";
    EXPECT_GE(*took, 2 * kDelay) << "a write completed faster than one delayed round trip";
  }
  ASSERT_TRUE(cluster.control().Call("heal").ok());
}

// Half of every message to and from a follower lost: writes still commit through the other two,
// and once the links heal the lossy node applies everything the leader committed.
TEST(ProxyFaultTest, ADroppingLinkStillConvergesAfterHeal) {
  TempDir dir;
  ProxiedCluster cluster(dir);
  ASSERT_TRUE(cluster.ready());
  const int lossy = cluster.Leader() % 3 + 1;  // a follower now.
  for (int other = 1; other <= 3; ++other) {
    if (other == lossy) continue;
    ASSERT_TRUE(cluster.control().Call(absl::StrCat("link ", lossy, " ", other, " drop 500000")).ok());
    ASSERT_TRUE(cluster.control().Call(absl::StrCat("link ", other, " ", lossy, " drop 500000")).ok());
  }
  for (int k = 0; k < 30; ++k) ASSERT_TRUE(TimedSet(cluster, absl::StrCat("lossy", k)).has_value()) << k;
  absl::StatusOr<std::string> links = cluster.control().Call("links");
  ASSERT_TRUE(links.ok());
  uint64_t dropped = 0;  // over the lossy links (between followers raft sends nothing to drop).
  for (size_t at = links->find("dropped="); at != std::string::npos; at = links->find("dropped=", at + 1)) {
    dropped += std::strtoull(links->c_str() + at + 8, nullptr, 10);
  }
  EXPECT_GT(dropped, 0u) << "the lossy links dropped nothing: " << *links;
  ASSERT_TRUE(cluster.control().Call("heal").ok());
  // Converged: every node applied the highest commit any node reports, and it covers the 30 writes.
  int64_t target = 0;
  bool converged = false;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!converged && std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<std::vector<ClusterNode>> nodes = ParseStatus(cluster.control().Call("status").value_or(""));
    if (nodes.ok()) {
      for (const ClusterNode& n : *nodes) target = std::max(target, n.commit);
      converged = target >= 30 && std::all_of(nodes->begin(), nodes->end(),
                                              [target](const ClusterNode& n) { return n.applied >= target; });
    }
    if (!converged) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a poll interval.
  }
  EXPECT_TRUE(converged) << "node " << lossy << " did not catch up to commit " << target << " after the heal";
}

// --- views of pb and chain (issue 14) ---

constexpr char kShortMemberKill[] = R"(base = "failure"
name = "member_kill_short"
duration = "4s"
keys = 200

[[faults]]
at = "1s"
kind = "crash"
node = 1

[[faults]]
at = "2500ms"
kind = "restart"
node = 1
)";

// pb async under load, its first primary SIGKILLed and restarted: the report shows the views the
// view service installed with their times (epochs never going back), the new primary's view after the
// kill, and the lost acknowledged writes as a figure (the promise allows them), not a failure.
TEST(NemesisViewTest, APrimaryKillShowsTheViewChangesAndLostWritesAsAFigure) {
  TempDir dir;
  const int base = FreeProxyBasePort(3);
  ASSERT_NE(base, 0);
  const std::string data = dir.path() + "/c";
  Background launcher({"cluster", "--nodes", "3", "--policy", "pb:mode=async", "--proxy", "--base-port",
                       std::to_string(base), "--data-dir", data, "--durability", "none"},
                      dir.path() + "/cluster.log");
  std::unique_ptr<ControlClient> control;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (control == nullptr) {
      absl::StatusOr<std::unique_ptr<ControlClient>> c = ControlClient::ConnectDir(data);
      if (c.ok()) control = std::move(*c);
    }
    if (control != nullptr && control->Call("leader").ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a poll interval.
  }
  ASSERT_NE(control, nullptr);
  const std::string scenario = dir.path() + "/kill.toml", json = dir.path() + "/run.json";
  std::ofstream(scenario) << kShortMemberKill;
  testing::NodeProcess bench(
      testing::NodeProcess::Kvlab{{"bench", "--cluster", data, "--scenario", scenario, "--json", json}});
  ASSERT_EQ(bench.WaitExit(), 0) << bench.stderr_text();
  const nlohmann::json run = nlohmann::json::parse(ReadFile(json));
  EXPECT_EQ(run["check"]["model"], "linearizable-until-failover");
  EXPECT_TRUE(run["check"]["ok"].get<bool>()) << run.dump();
  ASSERT_TRUE(run["metrics"].contains("lost_acked_writes")) << run.dump();
  const nlohmann::json& views = run["view_changes"];
  ASSERT_GE(views.size(), 2u) << run.dump();
  for (size_t i = 1; i < views.size(); ++i) {
    EXPECT_GE(views[i]["epoch"].get<uint64_t>(), views[i - 1]["epoch"].get<uint64_t>()) << views.dump();
    EXPECT_NE(views[i]["view"], views[i - 1]["view"]) << views.dump();
    EXPECT_GE(views[i]["t_s"].get<double>(), views[i - 1]["t_s"].get<double>()) << views.dump();
  }
  EXPECT_EQ(views[0]["view"].get<std::string>().find(":1"), 1u) << "node 1 is the first primary: " << views.dump();
  ASSERT_TRUE(run["metrics"].contains("view_change_s")) << "no new view after the kill: " << run.dump();
  EXPECT_GT(run["metrics"]["view_change_s"].get<double>(), 0);  // recorded, not bounded.
  int view_events = 0;
  for (const nlohmann::json& f : run["faults"]) view_events += f["kind"] == "view_change" ? 1 : 0;
  EXPECT_EQ(view_events, static_cast<int>(views.size()) - 1) << run.dump();
}

}  // namespace
}  // namespace kvlab::real

#include "real/cluster_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/policy/registry.h"
#include "net/event_loop.h"
#include "real/control_command.h"
#include "real/control_server.h"
#include "real/fault_proxy.h"
#include "real/node_main.h"
#include "real/node_probe.h"

namespace kvlab::real {
namespace {

constexpr int kExitUsage = 2;
constexpr int kPollTickMs = 100;        // how often exited nodes are reaped when no pipe wakes us.
constexpr size_t kMaxLineBytes = 4096;  // a node's stderr line longer than this is cut.

enum class NodeState : uint8_t;

struct Child {
  int id = 0;
  pid_t pid = -1;
  int err_fd = -1;      // the read end of the node's stderr.
  std::string partial;  // the line being read.
  std::string last_line;
  bool alive = false;  // Spawn's outcome.
  NodeState state{};
  net::EventLoop::WatchId err_watch = 0;
};

absl::StatusOr<core::PolicyChoice> Validate(const ClusterFlags& f) {
  if (f.nodes < 1 || f.nodes > kMaxClusterNodes) {
    return absl::InvalidArgumentError(absl::StrCat("--nodes must be 1..", kMaxClusterNodes));
  }
  if (f.base_port < 1 || f.base_port + kPeerPortOffset + f.nodes > 65535) {
    return absl::InvalidArgumentError("--base-port out of range (its peer ports, + 1000, must stay below 65536)");
  }
  if (f.data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
  if (f.proxy && f.nodes > kMaxProxyNodes) {
    return absl::InvalidArgumentError(absl::StrCat("--proxy supports at most ", kMaxProxyNodes, " nodes"));
  }
  if (f.proxy && f.base_port + kProxyPortOffset + f.nodes * f.nodes > 65535) {
    return absl::InvalidArgumentError("--base-port out of range (its proxy ports, + 2000, must stay below 65536)");
  }
  absl::StatusOr<core::PolicyChoice> policy = ChoosePolicy(f.policy, f.params, f.nodes);
  if (!policy.ok()) return policy.status();
  if (absl::Status s = core::CheckClusterSize(*policy->info, f.nodes); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(s.message(), " (`kvlab policies` lists each policy's sizes)"));
  }
  return policy;
}

std::vector<std::string> NodeArgs(const ClusterFlags& f, const std::string& policy, int i, const std::string& members) {
  std::vector<std::string> argv = {"kvlab",        "node",
                                   "--id",         absl::StrCat(i),
                                   "--port",       absl::StrCat(f.base_port + i - 1),
                                   "--data-dir",   absl::StrCat(f.data_dir, "/node-", i),
                                   "--policy",     policy,
                                   "--durability", f.durability};
  if (f.nodes > 1) argv.insert(argv.end(), {"--cluster", members});
  return argv;
}

// Forks node i with its stderr into a pipe; the child unblocks the signals the launcher blocked.
Child Spawn(std::vector<std::string> argv, int i, const sigset_t& mask) {
  Child c;
  c.id = i;
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) return c;
  c.pid = fork();
  if (c.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // a launcher killed with SIGKILL takes its nodes with it.
    sigprocmask(SIG_UNBLOCK, &mask, nullptr);
    dup2(err[1], STDERR_FILENO);
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv("/proc/self/exe", cargv.data());
    _exit(127);
  }
  close(err[1]);
  c.err_fd = err[0];
  c.alive = c.pid > 0;
  if (!c.alive) {
    close(c.err_fd);
    c.err_fd = -1;
  }
  return c;
}

// Forwards what a node wrote to stderr, line by line, remembering the last line. Reads once, or
// until EOF with `to_eof` (the node has exited: nobody else holds the write end).
// False once the pipe reached EOF (or failed).
bool Pump(Child& c, bool to_eof) {
  if (c.err_fd < 0) return false;
  char buf[4096];
  bool open = true;
  do {
    const ssize_t n = read(c.err_fd, buf, sizeof(buf));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) open = false;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        if (c.partial.size() < kMaxLineBytes) c.partial.push_back(buf[i]);
        continue;
      }
      std::fprintf(stderr, "%s\n", c.partial.c_str());
      if (!c.partial.empty()) c.last_line = std::move(c.partial);
      c.partial.clear();
    }
  } while (to_eof);
  if (to_eof && !c.partial.empty()) {
    std::fprintf(stderr, "%s\n", c.partial.c_str());
    c.last_line = std::move(c.partial);
    c.partial.clear();
  }
  return open;
}

std::string HowItEnded(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return absl::StrCat("was killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), ")");
  return "stopped";
}

enum class NodeState : uint8_t { kRunning, kPaused, kKilled, kExited };

const char* StateName(NodeState s) {
  switch (s) {
    case NodeState::kRunning: return "running";
    case NodeState::kPaused: return "paused";
    case NodeState::kKilled: return "killed";
    default: return "exited";
  }
}

class Launcher {
 public:
  Launcher(const ClusterFlags& flags, const core::PolicyChoice& policy, const sigset_t& mask, int signal_fd,
           net::EventLoop& loop)
      : flags_(flags),
        policy_(policy.label()),
        mask_(mask),
        signal_fd_(signal_fd),
        loop_(loop),
        needed_(static_cast<size_t>(flags.nodes - policy.info->max_faulty(flags.nodes))) {}

  ~Launcher() {
    for (Child& c : children_) CloseErr(c);
  }

  // The proxy's links (with --proxy) and the control socket. A one-line error otherwise.
  absl::Status Prepare() {
    std::error_code ec;
    std::filesystem::create_directories(flags_.data_dir, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("--data-dir ", flags_.data_dir, ": ", ec.message()));
    if (flags_.proxy) {
      proxy_ = std::make_unique<FaultProxy>(loop_, flags_.proxy_seed);
      for (int i = 1; i <= flags_.nodes; ++i) {
        for (int j = 1; j <= flags_.nodes; ++j) {
          if (i == j) continue;
          absl::StatusOr<int> port = proxy_->AddLink(i, j, {"127.0.0.1", PeerPort(j)}, ProxyPort(i, j));
          if (!port.ok())
            return absl::UnavailableError(
                absl::StrCat("proxy port for link ", i, " -> ", j, ": ", std::string(port.status().message())));
        }
      }
    }
    absl::StatusOr<std::unique_ptr<ControlServer>> control =
        ControlServer::Start(loop_, absl::StrCat(flags_.data_dir, "/", kControlSocketName),
                             [this](const std::string& line) { return Execute(line); });
    if (!control.ok()) return control.status();
    control_ = std::move(*control);
    absl::StatusOr<net::EventLoop::WatchId> sig = loop_.Watch(signal_fd_, EPOLLIN, [this](uint32_t) { OnSignal(); });
    if (!sig.ok()) return sig.status();
    return absl::OkStatus();
  }

  void Start() {
    children_.reserve(static_cast<size_t>(flags_.nodes));
    for (int i = 1; i <= flags_.nodes; ++i) {
      children_.push_back(Child{});
      children_.back().id = i;
      SpawnNode(children_.back());
      if (children_.back().state != NodeState::kRunning) failed_ = true;
    }
    std::fprintf(stderr,
                 "kvlab cluster: %d %s nodes on client ports %d..%d (peer ports %d..%d%s), data in %s/node-N, "
                 "control socket %s/%s; Ctrl-C stops them\n",
                 flags_.nodes, policy_.c_str(), flags_.base_port, flags_.base_port + flags_.nodes - 1, PeerPort(1),
                 PeerPort(flags_.nodes), flags_.proxy ? ", through the fault proxy" : "", flags_.data_dir.c_str(),
                 flags_.data_dir.c_str(), kControlSocketName);
    if (Running() < needed_) StopAll();
  }

  // Until every node has exited (nodes killed through the control channel are waited for).
  int Run() {
    Tick();
    loop_.Run();
    return failed_ ? std::max(worst_, 1) : worst_;
  }

 private:
  int PeerPort(int i) const { return flags_.base_port + kPeerPortOffset + i - 1; }
  int ProxyPort(int i, int j) const { return flags_.base_port + kProxyPortOffset + (i - 1) * flags_.nodes + (j - 1); }

  std::string Members(int self) const {
    std::string members;
    for (int j = 1; j <= flags_.nodes; ++j) {
      const int port = flags_.proxy && j != self ? ProxyPort(self, j) : PeerPort(j);
      absl::StrAppend(&members, j > 1 ? "," : "", j, "=127.0.0.1:", port);
    }
    return members;
  }

  void SpawnNode(Child& c) {
    Child fresh = Spawn(NodeArgs(flags_, policy_, c.id, Members(c.id)), c.id, mask_);
    c.pid = fresh.pid;
    c.err_fd = fresh.err_fd;
    c.partial.clear();
    c.state = fresh.alive ? NodeState::kRunning : NodeState::kExited;
    if (c.state != NodeState::kRunning) {
      std::fprintf(stderr, "kvlab cluster: node %d could not be started: %s\n", c.id, std::strerror(errno));
      return;
    }
    std::fprintf(stderr, "kvlab cluster: node %d pid %d\n", c.id, static_cast<int>(c.pid));
    const size_t index = static_cast<size_t>(c.id - 1);  // by index: a pointer would not survive Start's push_back.
    absl::StatusOr<net::EventLoop::WatchId> w = loop_.Watch(c.err_fd, EPOLLIN, [this, index](uint32_t) {
      if (!Pump(children_[index], /*to_eof=*/false)) CloseErr(children_[index]);
    });
    c.err_watch = w.ok() ? *w : 0;
  }

  void CloseErr(Child& c) {
    if (c.err_fd < 0) return;
    if (c.err_watch != 0) loop_.Unwatch(c.err_watch);
    c.err_watch = 0;
    close(c.err_fd);
    c.err_fd = -1;
  }

  size_t Running() const {
    return static_cast<size_t>(std::count_if(children_.begin(), children_.end(), [](const Child& c) {
      return c.state == NodeState::kRunning || c.state == NodeState::kPaused;
    }));
  }
  bool AnyKilled() const {
    return std::any_of(children_.begin(), children_.end(),
                       [](const Child& c) { return c.state == NodeState::kKilled; });
  }

  void OnSignal() {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
    }
    if (!stopping_) std::fprintf(stderr, "kvlab cluster: stopping the nodes\n");
    StopAll();
  }

  void Tick() {
    Reap();
    if (Running() == 0 && (stopping_ || !AnyKilled())) return loop_.Stop();
    loop_.AddTimer(core::Millis(kPollTickMs), [this] { Tick(); });
  }

  void Reap() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = std::find_if(children_.begin(), children_.end(), [pid](const Child& c) { return c.pid == pid; });
      if (it == children_.end()) continue;
      Ended(*it, status);
    }
  }

  void Ended(Child& c, int status) {
    Pump(c, /*to_eof=*/true);
    CloseErr(c);
    const bool by_control = c.state == NodeState::kKilled;
    if (!by_control) c.state = NodeState::kExited;
    if (by_control) return;
    // A node still starting when the launcher stops it dies of the SIGTERM itself: a clean stop too.
    const bool stopped = stopping_ && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
    worst_ = std::max(worst_, WIFEXITED(status) ? WEXITSTATUS(status) : stopped ? 0 : 1);
    if (!stopping_) OnUnexpectedExit(c, status);
  }

  void OnUnexpectedExit(const Child& c, int status) {
    std::fprintf(stderr, "kvlab cluster: node %d (pid %d) %s: %s\n", c.id, static_cast<int>(c.pid),
                 HowItEnded(status).c_str(), c.last_line.empty() ? "(nothing on stderr)" : c.last_line.c_str());
    worst_ = std::max(worst_, 1);
    if (Running() >= needed_ || AnyKilled()) return;  // a nemesis at work: it restarts what it killed.
    std::fprintf(stderr,
                 "kvlab cluster: %zu of %d nodes left, fewer than the %zu the cluster needs to serve: stopping\n",
                 Running(), flags_.nodes, needed_);
    failed_ = true;
    StopAll();
  }

  void StopAll() {
    stopping_ = true;
    for (Child& c : children_) {
      if (c.state != NodeState::kRunning && c.state != NodeState::kPaused) continue;
      kill(c.pid, SIGTERM);
      if (c.state == NodeState::kPaused) kill(c.pid, SIGCONT);  // a stopped process acts on SIGTERM once continued.
    }
  }

  // --- the control channel (real/control_command.h) ---

  std::string Execute(const std::string& line) {
    absl::StatusOr<ControlCommand> cmd = ParseControlLine(line, flags_.nodes);
    if (!cmd.ok()) return absl::StrCat("ERR ", cmd.status().message());
    if (stopping_) return "ERR the cluster is stopping";
    absl::StatusOr<std::string> reply = Dispatch(*cmd);
    if (!reply.ok()) return absl::StrCat("ERR ", reply.status().message());
    std::fprintf(stderr, "kvlab cluster: control: %s -> %s\n", line.c_str(), reply->c_str());
    return absl::StrCat("OK", reply->empty() ? "" : " ", *reply);
  }

  absl::StatusOr<std::string> Dispatch(const ControlCommand& cmd) {
    switch (cmd.verb) {
      case ControlVerb::kKill: return Kill(cmd.node);
      case ControlVerb::kRestart: return Restart(cmd.node);
      case ControlVerb::kPause: return Pause(cmd.node);
      case ControlVerb::kResume: return Resume(cmd.node);
      case ControlVerb::kStatus: return Status();
      case ControlVerb::kInfo:
        return absl::StrCat("policy=", policy_, " nodes=", flags_.nodes, " proxy=", flags_.proxy ? "yes" : "no");
      case ControlVerb::kLeader: {
        absl::StatusOr<int> leader = Leader();
        if (!leader.ok()) return leader.status();
        return absl::StrCat(*leader);
      }
      default: return LinkCommand(cmd);
    }
  }

  // The running node that leads with the highest term (raft's term, pb's epoch), as the simulator's
  // crash_leader picks it. Paused nodes are not asked (they cannot answer).
  absl::StatusOr<int> Leader() {
    int best = 0;
    uint64_t best_term = 0;
    for (const Child& c : children_) {
      if (c.state != NodeState::kRunning) continue;
      absl::StatusOr<std::map<std::string, std::string>> info = ProbeReplication(flags_.base_port + c.id - 1);
      if (!info.ok()) continue;
      const NodeView v = ViewOf(*info);
      if (v.leads && (best == 0 || v.term > best_term)) {
        best = c.id;
        best_term = v.term;
      }
    }
    if (best == 0) return absl::UnavailableError("no running node reports that it leads now");
    return best;
  }

  absl::StatusOr<Child*> Node(int id, NodeState want, const char* verb) {
    Child& c = children_[static_cast<size_t>(id - 1)];
    if (c.state != want) {
      return absl::FailedPreconditionError(absl::StrCat("cannot ", verb, " node ", id, ": it is ", StateName(c.state)));
    }
    return &c;
  }

  absl::StatusOr<std::string> Kill(int node) {
    if (node == kLeaderNode) {
      absl::StatusOr<int> leader = Leader();
      if (!leader.ok()) return leader.status();
      node = *leader;
    }
    Child& c = children_[static_cast<size_t>(node - 1)];
    if (c.state != NodeState::kRunning && c.state != NodeState::kPaused) {
      return absl::FailedPreconditionError(absl::StrCat("cannot kill node ", node, ": it is ", StateName(c.state)));
    }
    kill(c.pid, SIGKILL);
    int status = 0;
    waitpid(c.pid, &status, 0);  // reaped now: a restart right after finds the node gone.
    c.state = NodeState::kKilled;
    Ended(c, status);
    return absl::StrCat("killed ", node);
  }

  absl::StatusOr<std::string> Restart(int node) {
    std::vector<int> ids;
    if (node == kAllNodes) {
      for (const Child& c : children_) {
        if (c.state == NodeState::kKilled || c.state == NodeState::kExited) ids.push_back(c.id);
      }
    } else {
      Child& c = children_[static_cast<size_t>(node - 1)];
      if (c.state == NodeState::kRunning || c.state == NodeState::kPaused) {
        return absl::FailedPreconditionError(
            absl::StrCat("cannot restart node ", node, ": it is ", StateName(c.state)));
      }
      ids.push_back(node);
    }
    for (int id : ids) {
      SpawnNode(children_[static_cast<size_t>(id - 1)]);
      if (children_[static_cast<size_t>(id - 1)].state != NodeState::kRunning) {
        return absl::InternalError(absl::StrCat("node ", id, " could not be started"));
      }
    }
    return absl::StrCat("restarted ", ids.empty() ? std::string("none") : absl::StrJoin(ids, ","));
  }

  absl::StatusOr<std::string> Pause(int node) {
    if (node == kLeaderNode) {
      absl::StatusOr<int> leader = Leader();
      if (!leader.ok()) return leader.status();
      node = *leader;
    }
    absl::StatusOr<Child*> c = Node(node, NodeState::kRunning, "pause");
    if (!c.ok()) return c.status();
    kill((*c)->pid, SIGSTOP);
    (*c)->state = NodeState::kPaused;
    return absl::StrCat("paused ", node);
  }

  absl::StatusOr<std::string> Resume(int node) {
    std::vector<int> ids;
    for (Child& c : children_) {
      if ((node == kAllNodes || node == c.id) && c.state == NodeState::kPaused) {
        kill(c.pid, SIGCONT);
        c.state = NodeState::kRunning;
        ids.push_back(c.id);
      }
    }
    if (node != kAllNodes && ids.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("cannot resume node ", node, ": it is ",
                                                        StateName(children_[static_cast<size_t>(node - 1)].state)));
    }
    return absl::StrCat("resumed ", ids.empty() ? std::string("none") : absl::StrJoin(ids, ","));
  }

  // "node=1 state=running pid=12 port=6380 role=leader term=3 applied=17 commit=17[ view=3:1*,2*]; node=2 ...".
  std::string Status() {
    std::vector<std::string> parts;
    for (const Child& c : children_) {
      std::string part = absl::StrCat("node=", c.id, " state=", StateName(c.state), " pid=", c.pid,
                                      " port=", flags_.base_port + c.id - 1);
      if (c.state == NodeState::kRunning) {
        absl::StatusOr<std::map<std::string, std::string>> info = ProbeReplication(flags_.base_port + c.id - 1);
        if (info.ok()) {
          const NodeView v = ViewOf(*info);
          absl::StrAppend(&part, " role=", v.role.empty() ? "-" : v.role, " term=", v.term, " applied=", v.applied,
                          " commit=", v.commit);
          // pb and chain: the view this node is in ("EPOCH:ID[*],...", core/view/view.h).
          if (auto view = info->find("kvlab_view"); view != info->end()) absl::StrAppend(&part, " view=", view->second);
        } else {
          absl::StrAppend(&part, " role=unreachable");
        }
      }
      parts.push_back(std::move(part));
    }
    return absl::StrJoin(parts, "; ");
  }

  absl::StatusOr<std::string> LinkCommand(const ControlCommand& cmd) {
    if (proxy_ == nullptr) {
      return absl::FailedPreconditionError("link faults need the fault proxy: start kvlab cluster with --proxy");
    }
    if (cmd.verb == ControlVerb::kLinks) return DescribeLinks();
    if (cmd.verb == ControlVerb::kHeal && cmd.a == kAllNodes) {
      proxy_->HealAll();
      return std::string("healed every link");
    }
    std::vector<std::pair<int, int>> dirs = {{cmd.a, cmd.b}};
    const bool both = cmd.verb == ControlVerb::kHeal ||
                      ((cmd.verb == ControlVerb::kCut || cmd.verb == ControlVerb::kHold) && !cmd.one_way);
    if (both) dirs.push_back({cmd.b, cmd.a});
    for (const auto& [from, to] : dirs) {
      LinkFaults f = *proxy_->Faults(from, to);
      switch (cmd.verb) {
        case ControlVerb::kCut: f.cut = true; break;
        case ControlVerb::kHold: f.hold = true; break;
        case ControlVerb::kHeal: f = LinkFaults{}; break;
        default:
          if (cmd.set_delay) {
            f.delay = cmd.delay;
            f.jitter = cmd.jitter;
          }
          if (cmd.set_drop) f.drop_ppm = cmd.drop_ppm;
          break;
      }
      proxy_->SetFaults(from, to, f);
    }
    return absl::StrCat(cmd.a, (both ? " <-> " : " -> "), cmd.b, ": ", DescribeFaults(*proxy_->Faults(cmd.a, cmd.b)));
  }

  std::string DescribeLinks() const {
    std::vector<std::string> parts;
    for (int i = 1; i <= flags_.nodes; ++i) {
      for (int j = 1; j <= flags_.nodes; ++j) {
        if (i == j) continue;
        const LinkFaults* f = proxy_->Faults(i, j);
        const LinkStats* st = proxy_->Stats(i, j);
        if (*f == LinkFaults{} && st->frames_dropped == 0) continue;
        parts.push_back(absl::StrCat(i, "->", j, " ", DescribeFaults(*f), " dropped=", st->frames_dropped,
                                     " forwarded=", st->frames_forwarded));
      }
    }
    return parts.empty() ? std::string("no faults") : absl::StrJoin(parts, "; ");
  }

  const ClusterFlags& flags_;
  const std::string policy_;  // the label every node is started with.
  const sigset_t mask_;
  const int signal_fd_;
  net::EventLoop& loop_;
  const size_t needed_;          // the nodes the policy needs to serve (all but PolicyInfo::max_faulty).
  std::vector<Child> children_;  // node i at index i - 1.
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<ControlServer> control_;
  int worst_ = 0;
  bool stopping_ = false;
  bool failed_ = false;
};

}  // namespace

int RunCluster(const ClusterFlags& flags) {
  absl::StatusOr<core::PolicyChoice> policy = Validate(flags);
  if (!policy.ok()) {
    std::fprintf(stderr, "kvlab cluster: %s\n", std::string(policy.status().message()).c_str());
    return kExitUsage;
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::fprintf(stderr, "kvlab cluster: signalfd: %s\n", std::strerror(errno));
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<net::EventLoop>> loop = net::EventLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "kvlab cluster: event loop: %s\n", std::string(loop.status().message()).c_str());
    return kExitUsage;
  }
  int code = kExitUsage;
  {
    Launcher launcher(flags, *policy, mask, signal_fd, **loop);
    if (absl::Status s = launcher.Prepare(); !s.ok()) {
      std::fprintf(stderr, "kvlab cluster: %s\n", std::string(s.message()).c_str());
    } else {
      launcher.Start();
      code = launcher.Run();
    }
  }
  close(signal_fd);
  return code;
}

}  // namespace kvlab::real

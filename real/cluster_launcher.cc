#include "real/cluster_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/policy/registry.h"
#include "real/node_main.h"

namespace kvlab::real {
namespace {

constexpr int kExitUsage = 2;
constexpr int kPollTickMs = 100;        // how often exited nodes are reaped when no pipe wakes us.
constexpr size_t kMaxLineBytes = 4096;  // a node's stderr line longer than this is cut.

struct Child {
  int id = 0;
  pid_t pid = -1;
  int err_fd = -1;      // the read end of the node's stderr.
  std::string partial;  // the line being read.
  std::string last_line;
  bool alive = false;
};

absl::StatusOr<core::PolicyChoice> Validate(const ClusterFlags& f) {
  if (f.nodes < 1 || f.nodes > kMaxClusterNodes) {
    return absl::InvalidArgumentError(absl::StrCat("--nodes must be 1..", kMaxClusterNodes));
  }
  if (f.base_port < 1 || f.base_port + kPeerPortOffset + f.nodes > 65535) {
    return absl::InvalidArgumentError("--base-port out of range (its peer ports, + 1000, must stay below 65536)");
  }
  if (f.data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
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
void Pump(Child& c, bool to_eof) {
  if (c.err_fd < 0) return;
  char buf[4096];
  do {
    const ssize_t n = read(c.err_fd, buf, sizeof(buf));
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
}

std::string HowItEnded(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return absl::StrCat("was killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), ")");
  return "stopped";
}

class Launcher {
 public:
  Launcher(const ClusterFlags& flags, const core::PolicyChoice& policy, const sigset_t& mask, int signal_fd)
      : flags_(flags),
        policy_(policy.label()),
        mask_(mask),
        signal_fd_(signal_fd),
        needed_(static_cast<size_t>(flags.nodes - policy.info->max_faulty(flags.nodes))) {}

  void Start() {
    std::string members;
    for (int i = 1; i <= flags_.nodes; ++i) {
      absl::StrAppend(&members, i > 1 ? "," : "", i, "=127.0.0.1:", flags_.base_port + kPeerPortOffset + i - 1);
    }
    for (int i = 1; i <= flags_.nodes; ++i) {
      children_.push_back(Spawn(NodeArgs(flags_, policy_, i, members), i, mask_));
      if (children_.back().alive) {
        ++alive_;
        std::fprintf(stderr, "kvlab cluster: node %d pid %d\n", i, static_cast<int>(children_.back().pid));
      } else {
        std::fprintf(stderr, "kvlab cluster: node %d could not be started: %s\n", i, std::strerror(errno));
        failed_ = true;
      }
    }
    std::fprintf(stderr,
                 "kvlab cluster: %d %s nodes on client ports %d..%d (peer ports %d..%d), data in %s/node-N; "
                 "Ctrl-C stops them\n",
                 flags_.nodes, policy_.c_str(), flags_.base_port, flags_.base_port + flags_.nodes - 1,
                 flags_.base_port + kPeerPortOffset, flags_.base_port + kPeerPortOffset + flags_.nodes - 1,
                 flags_.data_dir.c_str());
    if (alive_ < needed_) StopAll();
  }

  // Until every node has exited.
  int Run() {
    while (alive_ > 0) {
      WaitForInput();
      Reap();
    }
    return failed_ ? std::max(worst_, 1) : worst_;
  }

 private:
  void WaitForInput() {
    std::vector<pollfd> fds = {{signal_fd_, POLLIN, 0}};
    std::vector<Child*> owners = {nullptr};
    for (Child& c : children_) {
      if (c.err_fd < 0) continue;
      fds.push_back({c.err_fd, POLLIN, 0});
      owners.push_back(&c);
    }
    if (poll(fds.data(), fds.size(), kPollTickMs) <= 0) return;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
      }
      if (!stopping_) std::fprintf(stderr, "kvlab cluster: stopping the nodes\n");
      StopAll();
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents & POLLIN) Pump(*owners[i], /*to_eof=*/false);
    }
  }

  void Reap() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = std::find_if(children_.begin(), children_.end(), [pid](const Child& c) { return c.pid == pid; });
      if (it == children_.end()) continue;
      Child& c = *it;
      Pump(c, /*to_eof=*/true);
      close(c.err_fd);
      c.err_fd = -1;
      c.alive = false;
      --alive_;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
      worst_ = std::max(worst_, code);
      if (!stopping_) OnUnexpectedExit(c, status);
    }
  }

  void OnUnexpectedExit(const Child& c, int status) {
    std::fprintf(stderr, "kvlab cluster: node %d (pid %d) %s: %s\n", c.id, static_cast<int>(c.pid),
                 HowItEnded(status).c_str(), c.last_line.empty() ? "(nothing on stderr)" : c.last_line.c_str());
    worst_ = std::max(worst_, 1);
    if (alive_ >= needed_) return;
    std::fprintf(stderr,
                 "kvlab cluster: %zu of %d nodes left, fewer than the %zu the cluster needs to serve: stopping\n",
                 alive_, flags_.nodes, needed_);
    failed_ = true;
    StopAll();
  }

  void StopAll() {
    stopping_ = true;
    for (const Child& c : children_) {
      if (c.alive) kill(c.pid, SIGTERM);
    }
  }

  const ClusterFlags& flags_;
  const std::string policy_;  // the label every node is started with.
  const sigset_t mask_;
  const int signal_fd_;
  const size_t needed_;  // the nodes the policy needs to serve (all but PolicyInfo::max_faulty).
  std::vector<Child> children_;
  size_t alive_ = 0;
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
  Launcher launcher(flags, *policy, mask, signal_fd);
  launcher.Start();
  const int code = launcher.Run();
  close(signal_fd);
  return code;
}

}  // namespace kvlab::real

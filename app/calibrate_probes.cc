#include "app/calibrate_probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "real/real_runtime.h"
#include "workloads/driver.h"
#include "workloads/scenario.h"

namespace kvlab::app {
namespace {

// Depth of the pipelined runs, and the value sizes of the per-KiB runs.
constexpr int kPipelineDepth = 64;
constexpr size_t kSmallValue = 100;
constexpr size_t kLargeValue = 4096;
constexpr uint64_t kFsyncFileBytes = 8ull << 20;  // preallocated with zeros, as the WAL's chunks are.
constexpr size_t kFsyncRecordBytes = 128;
constexpr int kCpuRounds = 5;
// Connections of the fan-out run: one GET on each at once, so one wake-up serves many messages.
constexpr int kFanoutConnections = 32;
constexpr uint64_t kBenchOpsSmall = 1'000;  // the two `kvlab bench` runs of the client's cost.
constexpr uint64_t kBenchOpsLarge = 5'000;
constexpr auto kNodeStartDeadline = std::chrono::seconds(10);
// The connection-cost runs: this many connections closed at once (and clients of one request
// each), beside kFewClients clients doing as many requests; kConnectionRounds rounds, the median.
constexpr int kCloseConnections = 200;
constexpr int kFewClients = 10;
constexpr int kConnectionRounds = 3;
constexpr auto kCloseDeadline = std::chrono::seconds(5);  // for the node to see the closes.
constexpr core::Nanos kClientRunDeadline = core::Seconds(30);

core::Nanos NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Loops until the budget is spent and at least kMinProbeSamples were taken (or the max).
bool KeepGoing(core::Nanos deadline, uint64_t samples) {
  if (samples >= kMaxProbeSamples) return false;
  return samples < kMinProbeSamples || NowNs() < deadline;
}

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

absl::Status WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Errno("write");
    data += w;
    n -= static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

// Reads exactly n bytes. Spinning (non-blocking reads in a loop) never sleeps, so what it times is
// the bytes' way through the kernel, not a sleeping thread's wake-up (measured apart, per node).
absl::Status ReadExactly(int fd, char* data, size_t n, bool spin = false) {
  while (n > 0) {
    const ssize_t r = recv(fd, data, n, spin ? MSG_DONTWAIT : 0);
    if (r < 0 && (errno == EINTR || (spin && (errno == EAGAIN || errno == EWOULDBLOCK)))) continue;
    if (r == 0) return absl::InternalError("read: connection closed");
    if (r < 0) return Errno("read");
    data += r;
    n -= static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

void NoDelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

absl::StatusOr<int> Connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  const sockaddr_in a = Loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return Errno(absl::StrCat("connect 127.0.0.1:", port));
  }
  NoDelay(fd);
  return fd;
}

// A listening socket on 127.0.0.1 with a kernel-chosen port.
absl::StatusOr<int> Listen(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in a = Loopback(0);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    return Errno("listen on 127.0.0.1");
  }
  *port = ntohs(a.sin_port);
  return fd;
}

// Fits base + uniform [0, J] per direction to round trips. Loopback round trips have a tight body
// and a long tail (scheduling), so: the base is half the fast round trips (p10), and J makes the
// modelled median round trip (2 base + J: the sum of two uniforms has median J) the measured one.
LoopbackCosts FitLoopback(std::vector<core::Nanos>& rtts) {
  std::sort(rtts.begin(), rtts.end());
  const core::Nanos p10 = Quantile(rtts, 0.1);
  const core::Nanos p50 = Quantile(rtts, 0.5);
  LoopbackCosts out;
  out.one_way_ns = p10 / 2;
  out.jitter_ns = p50 - 2 * out.one_way_ns;
  out.samples = rtts.size();
  return out;
}

// CPU time of every thread of `pid` so far (schedstat: on-CPU ns first).
core::Nanos ProcessCpuNs(pid_t pid) {
  core::Nanos total = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    std::ifstream in(task.path() / "schedstat");
    core::Nanos on_cpu = 0;
    if (in >> on_cpu) total += on_cpu;  // a thread that ended meanwhile reads nothing.
  }
  return total;
}

std::string Resp(const std::vector<std::string>& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  return out;
}

// A child `kvlab node` (this binary), killed and its data dir removed on scope exit.
class ChildNode {
 public:
  ~ChildNode() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_, ec);
  }
  // `durability`: the node's --durability, "none" or "fsync".
  absl::Status Start(const std::string& dir, const char* durability) {
    uint16_t port = 0;
    absl::StatusOr<int> probe = Listen(&port);  // a free port, released for the node.
    if (!probe.ok()) return probe.status();
    close(*probe);
    port_ = port;
    data_dir_ = absl::StrCat(dir, "/kvlab-calibrate-node-", durability, ".", getpid());
    const std::string port_text = std::to_string(port);
    pid_ = fork();
    if (pid_ < 0) return Errno("fork");
    if (pid_ == 0) {
      const int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
      execl("/proc/self/exe", "kvlab", "node", "--id", "1", "--bind", "127.0.0.1", "--port", port_text.c_str(),
            "--data-dir", data_dir_.c_str(), "--durability", durability, static_cast<char*>(nullptr));
      _exit(127);
    }
    return absl::OkStatus();
  }
  // Connects, retrying until the node listens (or exits, or the start deadline passes).
  absl::StatusOr<int> Connect() {
    const auto deadline = std::chrono::steady_clock::now() + kNodeStartDeadline;
    while (true) {
      absl::StatusOr<int> fd = app::Connect(port_);
      if (fd.ok()) return fd;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return absl::InternalError("kvlab node exited at start");
      }
      if (std::chrono::steady_clock::now() > deadline) return absl::DeadlineExceededError("kvlab node did not listen");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polls a condition with a deadline.
    }
  }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string data_dir_;
};

// Sends `request` `depth` at a time on each of `fds` (all connections first, then every reply)
// until the budget is spent; each batch's replies are `reply` repeated. Returns the node's CPU ns
// per request; adds the requests to *count.
absl::StatusOr<double> CpuPerRequest(const std::vector<int>& fds, pid_t pid, const std::string& request,
                                     const std::string& reply, int depth, core::Nanos budget, uint64_t* count) {
  std::string batch, expected;
  for (int i = 0; i < depth; ++i) {
    batch += request;
    expected += reply;
  }
  std::string got(expected.size(), '\0');
  const core::Nanos cpu_before = ProcessCpuNs(pid);
  const core::Nanos deadline = NowNs() + budget;
  uint64_t sent = 0;
  while (KeepGoing(deadline, sent)) {
    for (int fd : fds) {
      if (absl::Status s = WriteAll(fd, batch.data(), batch.size()); !s.ok()) return s;
    }
    for (int fd : fds) {
      if (absl::Status s = ReadExactly(fd, got.data(), got.size()); !s.ok()) return s;
      if (got != expected) return absl::InternalError(absl::StrCat("kvlab node replied '", got.substr(0, 40), "'"));
    }
    sent += static_cast<uint64_t>(depth) * fds.size();
  }
  *count += sent;
  return static_cast<double>(ProcessCpuNs(pid) - cpu_before) / static_cast<double>(sent);
}

// The CPU time (user + system) of one `kvlab bench` (this binary) run of `ops` mixed operations
// against 127.0.0.1:port.
absl::StatusOr<double> BenchCpuSeconds(uint16_t port, uint64_t ops) {
  const std::string target = absl::StrCat("127.0.0.1:", port);
  const std::string ops_text = std::to_string(ops);
  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    execl("/proc/self/exe", "kvlab", "bench", "--target", target.c_str(), "--scenario", "mixed", "--ops",
          ops_text.c_str(), "--flush", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) != pid) return Errno("wait4");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("kvlab bench against the calibration node failed (status ", status, ")"));
  }
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

// The benchmark client's CPU per operation: the difference of two runs, so its start-up and
// connections cancel out.
absl::StatusOr<core::Nanos> BenchClientCpuPerOp(uint16_t port) {
  absl::StatusOr<double> small = BenchCpuSeconds(port, kBenchOpsSmall);
  if (!small.ok()) return small.status();
  absl::StatusOr<double> large = BenchCpuSeconds(port, kBenchOpsLarge);
  if (!large.ok()) return large.status();
  return static_cast<core::Nanos>(std::max(0.0, (*large - *small) * 1e9 / (kBenchOpsLarge - kBenchOpsSmall)));
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

core::Nanos NonNegative(double ns) { return ns > 0 ? static_cast<core::Nanos>(ns + 0.5) : 0; }

// The fan-out run's connections to the node, all open or an error.
absl::StatusOr<std::vector<std::unique_ptr<Fd>>> ConnectMany(ChildNode& node, int n) {
  std::vector<std::unique_ptr<Fd>> conns;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<int> fd = node.Connect();
    if (!fd.ok()) return fd.status();
    conns.push_back(std::make_unique<Fd>(*fd));
  }
  return conns;
}

// One round's runs, node CPU ns per request each.
struct CpuRound {
  double set_small = 0, get_1 = 0, get_n = 0, get_fanout = 0, set_large = 0;
};

}  // namespace

absl::StatusOr<CpuCosts> MeasureNodeCpu(const std::string& dir, core::Nanos budget) {
  ChildNode node;
  if (absl::Status s = node.Start(dir, "none"); !s.ok()) return s;
  absl::StatusOr<std::vector<std::unique_ptr<Fd>>> conns = ConnectMany(node, kFanoutConnections);
  if (!conns.ok()) return conns.status();
  std::vector<int> fanout;
  for (const auto& c : *conns) fanout.push_back(c->fd);
  const std::vector<int> one = {fanout[0]};
  const std::string small(kSmallValue, 'v');
  const std::string large(kLargeValue, 'v');
  const std::string set_small = Resp({"SET", "k", small});
  const std::string set_large = Resp({"SET", "k", large});
  const std::string ok = "+OK\r\n";
  const std::string get = Resp({"GET", "k"});
  const std::string got_small = absl::StrCat("$", kSmallValue, "\r\n", small, "\r\n");
  // Rounds of the five runs, each figure the median over rounds: a shared machine's noise (another
  // process's burst, steal time) hits one round, not the result.
  CpuCosts out;
  const core::Nanos share = budget / (5 * kCpuRounds);
  std::vector<double> wake, per_message, per_request, per_kib;
  for (int round = 0; round < kCpuRounds; ++round) {
    CpuRound r;
    const std::pair<double*, absl::StatusOr<double>> runs[] = {
        {&r.set_small, CpuPerRequest(one, node.pid(), set_small, ok, kPipelineDepth, share, &out.samples)},
        {&r.get_1, CpuPerRequest(one, node.pid(), get, got_small, 1, share, &out.samples)},
        {&r.get_n, CpuPerRequest(one, node.pid(), get, got_small, kPipelineDepth, share, &out.samples)},
        {&r.get_fanout, CpuPerRequest(fanout, node.pid(), get, got_small, 1, share, &out.samples)},
        {&r.set_large, CpuPerRequest(one, node.pid(), set_large, ok, kPipelineDepth, share, &out.samples)},
    };
    for (const auto& [into, result] : runs) {
      if (!result.ok()) return result.status();
      *into = *result;
    }
    // depth 1: wake + message + request; depth d: (wake + message) / d + request (one read and
    // write per batch); k connections at once: wake / k + message + request (one wake-up serves them).
    const double request = (kPipelineDepth * r.get_n - r.get_1) / (kPipelineDepth - 1);
    const double k = kFanoutConnections;
    const double w = (r.get_1 - r.get_fanout) * k / (k - 1);
    per_request.push_back(request);
    wake.push_back(w);
    per_message.push_back(r.get_1 - request - w);
    per_kib.push_back((r.set_large - r.set_small) * 1024.0 / static_cast<double>(kLargeValue - kSmallValue));
  }
  out.wake_ns = NonNegative(Median(wake));
  out.per_message_ns = NonNegative(Median(per_message));
  out.per_request_ns = NonNegative(Median(per_request));
  out.per_kib_ns = NonNegative(Median(per_kib));
  absl::StatusOr<core::Nanos> client = BenchClientCpuPerOp(node.port());
  if (!client.ok()) return client.status();
  out.client_per_op_ns = *client;
  return out;
}

namespace {

// The node's connected_clients (INFO clients) through the probe connection `fd`.
absl::StatusOr<int> ConnectedClients(int fd) {
  const std::string info = Resp({"INFO", "clients"});
  if (absl::Status s = WriteAll(fd, info.data(), info.size()); !s.ok()) return s;
  std::string header;
  for (char c = 0; c != '\n';) {
    if (absl::Status s = ReadExactly(fd, &c, 1); !s.ok()) return s;
    header += c;
  }
  int length = 0;
  if (header.size() < 4 || header[0] != '$' || !absl::SimpleAtoi(header.substr(1, header.size() - 3), &length)) {
    return absl::InternalError(absl::StrCat("INFO clients: unexpected reply '", header, "'"));
  }
  std::string body(static_cast<size_t>(length) + 2, '\0');
  if (absl::Status s = ReadExactly(fd, body.data(), body.size()); !s.ok()) return s;
  const std::string key = "connected_clients:";
  const size_t at = body.find(key);
  int clients = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(body.substr(at + key.size(), body.find('\r', at) - at - key.size()), &clients)) {
    return absl::InternalError("INFO clients: no connected_clients");
  }
  return clients;
}

// Polls the node (through `probe`) until it counts `want` connections; returns the INFO calls made.
absl::StatusOr<int> AwaitConnectedClients(int probe, int want) {
  const auto deadline = std::chrono::steady_clock::now() + kCloseDeadline;
  for (int polls = 1;; ++polls) {
    absl::StatusOr<int> n = ConnectedClients(probe);
    if (!n.ok()) return n.status();
    if (*n == want) return polls;
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("the node still counts ", *n, " connections, not ", want));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polls a condition with a deadline.
  }
}

// One round of the node's cost: its CPU ns per connection closed.
absl::StatusOr<double> NodeCloseCpu(ChildNode& node, int probe) {
  // What one INFO poll costs the node, to take out of the closes' figure.
  constexpr int kInfoSamples = 8;
  const core::Nanos info_before = ProcessCpuNs(node.pid());
  for (int i = 0; i < kInfoSamples; ++i) {
    if (absl::StatusOr<int> n = ConnectedClients(probe); !n.ok()) return n.status();
  }
  const double info_ns = static_cast<double>(ProcessCpuNs(node.pid()) - info_before) / kInfoSamples;
  absl::StatusOr<std::vector<std::unique_ptr<Fd>>> conns = ConnectMany(node, kCloseConnections);
  if (!conns.ok()) return conns.status();
  const std::string get = Resp({"GET", "absent"});
  char reply[5];  // "$-1\r\n"
  for (const auto& c : *conns) {
    if (absl::Status s = WriteAll(c->fd, get.data(), get.size()); !s.ok()) return s;
  }
  for (const auto& c : *conns) {
    if (absl::Status s = ReadExactly(c->fd, reply, sizeof reply); !s.ok()) return s;
  }
  if (absl::StatusOr<int> polls = AwaitConnectedClients(probe, kCloseConnections + 1); !polls.ok()) {
    return polls.status();
  }
  const core::Nanos before = ProcessCpuNs(node.pid());
  conns->clear();  // closes them all.
  absl::StatusOr<int> polls = AwaitConnectedClients(probe, 1);
  if (!polls.ok()) return polls.status();
  const double closes_ns = static_cast<double>(ProcessCpuNs(node.pid()) - before) - *polls * info_ns;
  return closes_ns / kCloseConnections;
}

core::Nanos ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<core::Nanos>(ts.tv_sec) * core::kNanosPerSecond + ts.tv_nsec;
}

struct ClientRun {
  double cpu_ns = 0;         // this thread's CPU from the driver's start to its end.
  double invoke_gap_ns = 0;  // the mean gap between successive first requests' invocations.
};

// A workload driver run of `clients` clients doing `ops` PUTs in all against the node, its
// connections opened before. All clients start at once, so while their first requests go out this
// thread does nothing else: the gap between two invocations is what one more first request costs
// (the fiber's first run on a fresh stack, the command, its send).
absl::StatusOr<ClientRun> ClientRunCpu(uint16_t port, int clients, uint64_t ops) {
  absl::StatusOr<workloads::Scenario> scenario = workloads::FindScenario("throughput");
  if (!scenario.ok()) return scenario.status();
  scenario->clients = clients;
  scenario->ops = ops;
  absl::StatusOr<std::unique_ptr<real::RealRuntime>> rt =
      real::RealRuntime::Create({real::Target{.host = "127.0.0.1", .port = port}}, scenario->request_timeout);
  if (!rt.ok()) return rt.status();
  (*rt)->Preconnect(clients, scenario->request_timeout);
  workloads::Driver driver(**rt, *scenario, workloads::DriverOptions{});
  const core::Nanos before = ThreadCpuNs();
  driver.Start();
  if (absl::Status s = (*rt)->RunUntil([&] { return driver.Done(); }, (*rt)->Now() + kClientRunDeadline); !s.ok()) {
    return s;
  }
  ClientRun run{.cpu_ns = static_cast<double>(ThreadCpuNs() - before)};
  const workloads::DriverResult result = driver.Finish();
  if (result.report.errors > 0) {
    return absl::InternalError(absl::StrCat(result.report.errors, " of the calibration run's PUTs failed"));
  }
  std::vector<core::Nanos> first_invokes;  // each client's first (the history is in invocation order).
  std::vector<bool> seen(static_cast<size_t>(clients), false);
  for (const workloads::HistoryOp& op : result.history) {
    if (op.client < 0 || op.client >= clients || seen[static_cast<size_t>(op.client)]) continue;
    seen[static_cast<size_t>(op.client)] = true;
    first_invokes.push_back(op.invoke_ns);
  }
  if (first_invokes.size() > 1) {
    const auto [lo, hi] = std::minmax_element(first_invokes.begin(), first_invokes.end());
    run.invoke_gap_ns = static_cast<double>(*hi - *lo) / static_cast<double>(first_invokes.size() - 1);
  }
  return run;
}

}  // namespace

absl::StatusOr<ConnectionCosts> MeasureConnectionCpu(const std::string& dir) {
  ChildNode node;
  if (absl::Status s = node.Start(dir, "none"); !s.ok()) return s;
  absl::StatusOr<int> probe_fd = node.Connect();
  if (!probe_fd.ok()) return probe_fd.status();
  Fd probe(*probe_fd);
  std::vector<double> node_ns, client_ns, first_op_ns;
  ConnectionCosts out;
  for (int round = 0; round < kConnectionRounds; ++round) {
    absl::StatusOr<double> closes = NodeCloseCpu(node, probe.fd);
    if (!closes.ok()) return closes.status();
    node_ns.push_back(*closes);
    absl::StatusOr<ClientRun> many = ClientRunCpu(node.port(), kCloseConnections, kCloseConnections);
    if (!many.ok()) return many.status();
    absl::StatusOr<ClientRun> few = ClientRunCpu(node.port(), kFewClients, kCloseConnections);
    if (!few.ok()) return few.status();
    client_ns.push_back((many->cpu_ns - few->cpu_ns) / (kCloseConnections - kFewClients));
    first_op_ns.push_back(many->invoke_gap_ns);
    out.samples += 2 * kCloseConnections + kFewClients;
  }
  out.node_ns = NonNegative(Median(node_ns));
  out.client_ns = NonNegative(Median(client_ns));
  out.client_first_op_ns = NonNegative(Median(first_op_ns));
  return out;
}

absl::StatusOr<core::Nanos> MeasureSyncedSetCpu(const std::string& dir, core::Nanos budget, uint64_t* samples) {
  ChildNode node;
  if (absl::Status s = node.Start(dir, "fsync"); !s.ok()) return s;
  absl::StatusOr<int> fd = node.Connect();
  if (!fd.ok()) return fd.status();
  Fd conn(*fd);
  const std::string set_small = Resp({"SET", "k", std::string(kSmallValue, 'v')});
  std::vector<double> rounds;
  for (int round = 0; round < kCpuRounds; ++round) {
    absl::StatusOr<double> cpu =
        CpuPerRequest({conn.fd}, node.pid(), set_small, "+OK\r\n", 1, budget / kCpuRounds, samples);
    if (!cpu.ok()) return cpu.status();
    rounds.push_back(*cpu);
  }
  return NonNegative(Median(rounds));
}

core::Nanos PerSyncCpu(core::Nanos synced_set_ns, const CpuCosts& cpu, core::Nanos disk_write_ns) {
  // What the model charges one SET at a time on an fsync node: the request's turn (a wake-up, a
  // message, a request, its bytes, the WAL append), the sync thread's wake-up, and the completion's
  // turn (a wake-up, an input). The rest is the sync's own CPU.
  const core::Nanos modeled = 3 * cpu.wake_ns + cpu.per_message_ns + 2 * cpu.per_request_ns +
                              cpu.per_kib_ns * static_cast<core::Nanos>(kSmallValue) / 1024 + disk_write_ns;
  return std::max<core::Nanos>(0, synced_set_ns - modeled);
}

core::Nanos Quantile(const std::vector<core::Nanos>& sorted, double q) {
  const auto rank = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

absl::StatusOr<LoopbackCosts> MeasureLoopback(core::Nanos budget) {
  uint16_t port = 0;
  absl::StatusOr<int> listener = Listen(&port);
  if (!listener.ok()) return listener.status();
  Fd listen_fd(*listener);
  std::thread echo([fd = listen_fd.fd] {
    Fd conn(accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.fd < 0) return;
    NoDelay(conn.fd);
    char buf[64];
    while (ReadExactly(conn.fd, buf, sizeof buf, /*spin=*/true).ok() && WriteAll(conn.fd, buf, sizeof buf).ok()) {
    }
  });
  std::vector<core::Nanos> rtts;
  absl::Status status;
  {
    absl::StatusOr<int> client = Connect(port);
    if (!client.ok()) {
      shutdown(listen_fd.fd, SHUT_RDWR);  // wakes the echo thread's accept.
      echo.join();
      return client.status();
    }
    Fd conn(*client);
    char buf[64] = {};
    const core::Nanos deadline = NowNs() + budget;
    while (status.ok() && KeepGoing(deadline, rtts.size())) {
      const core::Nanos start = NowNs();
      status = WriteAll(conn.fd, buf, sizeof buf);
      if (status.ok()) status = ReadExactly(conn.fd, buf, sizeof buf, /*spin=*/true);
      rtts.push_back(NowNs() - start);
    }
  }  // closing the client ends the echo loop.
  echo.join();
  if (!status.ok()) return status;
  return FitLoopback(rtts);
}

absl::StatusOr<DiskCosts> MeasureDisk(const std::string& dir, core::Nanos budget) {
  const std::string path = absl::StrCat(dir, "/kvlab-calibrate-fsync.", getpid());
  Fd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.fd < 0) return Errno(absl::StrCat("create ", path));
  struct Remove {
    std::string path;
    ~Remove() { unlink(path.c_str()); }
  } remove{path};
  // Zeros written and synced, as the WAL preallocates its chunks: an fallocate'd extent is
  // "unwritten", and the first write into it costs a journal commit the WAL never pays.
  const std::string zeros(1 << 20, '\0');
  for (uint64_t at = 0; at < kFsyncFileBytes; at += zeros.size()) {
    if (pwrite(fd.fd, zeros.data(), zeros.size(), static_cast<off_t>(at)) != static_cast<ssize_t>(zeros.size()))
      return Errno(absl::StrCat("preallocate ", path));
  }
  if (fsync(fd.fd) != 0) return Errno(absl::StrCat("fsync ", path));
  std::vector<core::Nanos> writes, syncs;
  const std::string record(kFsyncRecordBytes, 'x');
  const core::Nanos deadline = NowNs() + budget;
  uint64_t offset = 0;
  while (KeepGoing(deadline, syncs.size())) {
    const core::Nanos start = NowNs();
    if (pwrite(fd.fd, record.data(), record.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(record.size()))
      return Errno(absl::StrCat("pwrite ", path));
    const core::Nanos written = NowNs();
    if (fdatasync(fd.fd) != 0) return Errno(absl::StrCat("fdatasync ", path));
    syncs.push_back(NowNs() - written);
    writes.push_back(written - start);
    offset = (offset + record.size()) % kFsyncFileBytes;
  }
  std::sort(writes.begin(), writes.end());
  std::sort(syncs.begin(), syncs.end());
  DiskCosts out;
  out.write_ns = Quantile(writes, 0.5);
  out.fsync = {.min = syncs.front(),
               .p50 = Quantile(syncs, 0.5),
               .p90 = Quantile(syncs, 0.9),
               .p99 = Quantile(syncs, 0.99),
               .p999 = Quantile(syncs, 0.999),
               .max = syncs.back()};
  out.samples = syncs.size();
  return out;
}

}  // namespace kvlab::app

// Test helpers for real-world tests: a `kvlab node` child process on 127.0.0.1 (port 0, the node
// prints the port it got), and a small blocking RESP client with a receive deadline.
// Every wait polls a condition against a deadline; nothing sleeps blindly.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "net/resp_reply.h"

namespace kvlab::real::testing {

inline constexpr auto kDeadline = std::chrono::seconds(30);

// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kvlab-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class NodeProcess {
 public:
  // Starts `kvlab node --id 1 --port 0 --data-dir DIR` plus `extra` flags. Use Wait*() after.
  NodeProcess(const std::string& data_dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {KVLAB_BINARY, "node", "--id", "1", "--port", "0", "--data-dir", data_dir};
    args.insert(args.end(), extra.begin(), extra.end());
    Spawn(std::move(args));
  }
  // Starts `kvlab <args...>` (any subcommand, e.g. cluster), in directory `cwd` if not empty.
  struct Kvlab {
    Kvlab(std::vector<std::string> a, std::string dir = "") : args(std::move(a)), cwd(std::move(dir)) {}
    std::vector<std::string> args;
    std::string cwd;
  };
  explicit NodeProcess(Kvlab command) {
    command.args.insert(command.args.begin(), KVLAB_BINARY);
    Spawn(std::move(command.args), command.cwd);
  }

  // Waits until stdout (or stderr) has shown `needle` at least `count` times; false if the
  // process exited first or the deadline passed.
  bool WaitOutput(const std::string& needle, int count = 1, bool from_stderr = false) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    std::string& text = from_stderr ? stderr_ : stdout_;
    while (std::chrono::steady_clock::now() < deadline) {
      ReadSome(from_stderr ? err_fd_ : out_fd_, &text, 100);
      int seen = 0;
      for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++seen;
      if (seen >= count) return true;
      if (Exited(0)) return false;
    }
    return false;
  }
  const std::string& stdout_text() const { return stdout_; }
  pid_t pid() const { return pid_; }

 private:
  void Spawn(std::vector<std::string> args, const std::string& cwd = "") {
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) std::abort();
    pid_ = fork();
    if (pid_ == 0) {
      if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
      dup2(out[1], 1);
      dup2(err[1], 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }

 public:
  ~NodeProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_fd_);
    close(err_fd_);
  }

  // Waits for the "listening on HOST:PORT" line; returns the port, or 0 if the process exited.
  int WaitReady() {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      ReadSome(out_fd_, &stdout_, 100);
      const size_t at = stdout_.find("listening on 127.0.0.1:");
      if (at != std::string::npos && stdout_.find('\n', at) != std::string::npos) {
        port_ = std::atoi(stdout_.c_str() + at + 23);
        return port_;
      }
      if (Exited(0)) return 0;
    }
    return 0;
  }

  // Waits for the process to exit; returns its exit code (or 128+signal, or -1 on timeout).
  int WaitExit() {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      ReadSome(err_fd_, &stderr_, 20);
      if (Exited(50)) {
        ReadSome(err_fd_, &stderr_, 0);
        return exit_code_;
      }
    }
    return -1;
  }

  void Signal(int sig) { kill(pid_, sig); }
  int port() const { return port_; }
  const std::string& stderr_text() const { return stderr_; }

 private:
  static void ReadSome(int fd, std::string* into, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return;
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) into->append(buf, static_cast<size_t>(n));
  }
  bool Exited(int wait_ms) {
    if (exited_) return true;
    for (int waited = 0;; waited += 10) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
      }
      if (waited >= wait_ms) return false;
      poll(nullptr, 0, 10);
    }
  }

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  int port_ = 0;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string stdout_, stderr_;
};

// A blocking RESP client; every receive has a deadline (SO_RCVTIMEO) so a bug fails, not hangs.
class RespClient {
 public:
  explicit RespClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RespClient() { close(fd_); }
  RespClient(const RespClient&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool SendRaw(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool Send(const std::vector<std::string>& args) {
    std::string req = "*" + std::to_string(args.size()) + "\r\n";
    for (const std::string& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return SendRaw(req);
  }
  // The next reply, or nullopt on EOF, timeout or garbage.
  std::optional<net::RespValue> Receive() {
    for (;;) {
      net::RespValue v;
      size_t used = 0;
      if (!net::ParseReply(buf_, &used, &v).ok()) return std::nullopt;
      if (used > 0) {
        buf_.erase(0, used);
        return v;
      }
      char chunk[65536];
      const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }
  std::optional<net::RespValue> Call(const std::vector<std::string>& args) {
    if (!Send(args)) return std::nullopt;
    return Receive();
  }
  // True if the server closed the connection (EOF) within the receive timeout.
  bool ClosedByServer() {
    char c;
    for (;;) {
      const ssize_t n = recv(fd_, &c, 1, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// Calls until the reply is not a retryable error (no leader elected yet) or the deadline passes.
inline std::optional<net::RespValue> CallUntilServed(int port, const std::vector<std::string>& args) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  std::optional<net::RespValue> reply;
  while (std::chrono::steady_clock::now() < deadline) {
    RespClient client(port);
    if (client.connected()) reply = client.Call(args);
    if (reply && !(reply->IsError() && (reply->str.rfind("TRYAGAIN", 0) == 0 || reply->str.rfind("UNKNOWN", 0) == 0))) {
      return reply;
    }
    poll(nullptr, 0, 50);  // a bounded retry interval while an election runs, not a wait for a result.
  }
  return reply;
}

// Runs a shell command; returns its exit status and fills *out with its stdout.
inline int RunShell(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    if (out) out->append(buf, n);
  }
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// 1000 client sockets need more than the usual 1024 descriptors in the test process too.
inline void RaiseOwnFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// The `kvlab_*` fields of INFO replication, without the prefix; empty if the node does not answer.
inline std::map<std::string, std::string> KvlabInfo(int port) {
  std::map<std::string, std::string> fields;
  RespClient client(port);
  if (!client.connected()) return fields;
  std::optional<net::RespValue> reply = client.Call({"INFO", "replication"});
  if (!reply || reply->IsError()) return fields;
  for (absl::string_view line : absl::StrSplit(reply->str, "\r\n", absl::SkipEmpty())) {
    if (!absl::ConsumePrefix(&line, "kvlab_")) continue;
    std::vector<std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    if (kv.size() == 2) fields[kv[0]] = kv[1];
  }
  return fields;
}

// A numeric field of KvlabInfo; 0 if absent.
inline uint64_t InfoField(const std::map<std::string, std::string>& info, const std::string& name) {
  uint64_t v = 0;
  auto it = info.find(name);
  return it != info.end() && absl::SimpleAtoi(it->second, &v) ? v : 0;
}

inline bool HaveProgram(const std::string& name) { return RunShell("command -v " + name + " >/dev/null 2>&1") == 0; }

}  // namespace kvlab::real::testing

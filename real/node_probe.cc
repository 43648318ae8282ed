#include "real/node_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/event_loop.h"

namespace kvlab::real {
namespace {

// A bulk string reply ("$N\r\n<N bytes>\r\n") once complete; empty optional text until then.
bool CompleteBulk(const std::string& in, std::string* body) {
  const size_t eol = in.find("\r\n");
  if (eol == std::string::npos || in.empty() || in[0] != '$') return false;
  int64_t n = 0;
  if (!absl::SimpleAtoi(in.substr(1, eol - 1), &n) || n < 0) return false;
  if (in.size() < eol + 2 + static_cast<size_t>(n)) return false;
  *body = in.substr(eol + 2, static_cast<size_t>(n));
  return true;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ProbeReplication(int port, core::Nanos timeout) {
  const core::Nanos deadline = net::EventLoop::MonotonicNow() + timeout;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::UnavailableError(std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const std::string request = "*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n";
  size_t sent = 0;
  std::string in, body;
  while (!CompleteBulk(in, &body)) {
    const core::Nanos left = deadline - net::EventLoop::MonotonicNow();
    if (left <= 0 || in.size() > kMaxProbeReplyBytes) break;
    pollfd p{fd, static_cast<int16_t>(sent < request.size() ? POLLOUT : POLLIN), 0};
    if (poll(&p, 1, static_cast<int>(left / core::kNanosPerMilli) + 1) <= 0) continue;
    if (p.revents & (POLLERR | POLLHUP)) break;
    if (sent < request.size()) {
      const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
      continue;
    }
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n == 0) break;
    if (n > 0) in.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (!CompleteBulk(in, &body)) return absl::UnavailableError(absl::StrCat("port ", port, ": no INFO reply"));
  std::map<std::string, std::string> fields;
  for (absl::string_view line : absl::StrSplit(body, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (line[0] == '#' || colon == absl::string_view::npos) continue;
    fields[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 1));
  }
  return fields;
}

NodeView ViewOf(const std::map<std::string, std::string>& info) {
  NodeView v;
  auto get = [&info](const char* key) -> const std::string* {
    auto it = info.find(key);
    return it == info.end() ? nullptr : &it->second;
  };
  if (const std::string* role = get("kvlab_role")) v.role = *role;
  v.leads = v.role == "leader" || v.role == "primary" || v.role == "head" || v.role == "single";  // chain: its head.
  for (const char* key : {"kvlab_term", "kvlab_epoch"}) {
    if (const std::string* t = get(key)) (void)absl::SimpleAtoi(*t, &v.term);
  }
  for (const char* key : {"kvlab_applied_index", "kvlab_last_lsn"}) {
    if (const std::string* a = get(key)) (void)absl::SimpleAtoi(*a, &v.applied);
  }
  for (const char* key : {"kvlab_commit_index", "kvlab_committed"}) {
    if (const std::string* c = get(key)) (void)absl::SimpleAtoi(*c, &v.commit);
  }
  return v;
}

}  // namespace kvlab::real

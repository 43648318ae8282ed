#include "real/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/event_loop.h"
#include "real/control_command.h"

namespace kvlab::real {

absl::StatusOr<std::unique_ptr<ControlClient>> ControlClient::ConnectDir(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/", kControlSocketName);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("control socket path '", path, "' is too long"));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(std::strerror(errno));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("no kvlab cluster control socket at ", path, " (", std::strerror(err),
                                               "): is `kvlab cluster --data-dir ", dir, "` running?"));
  }
  return std::unique_ptr<ControlClient>(new ControlClient(fd));
}

ControlClient::~ControlClient() { close(fd_); }

absl::StatusOr<std::string> ControlClient::Call(const std::string& line) {
  const std::string out = line + "\n";
  if (send(fd_, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
    return absl::UnavailableError(absl::StrCat("control channel: ", std::strerror(errno)));
  }
  const core::Nanos deadline = net::EventLoop::MonotonicNow() + kControlReplyTimeout;
  size_t nl;
  while ((nl = in_.find('\n')) == std::string::npos) {
    const core::Nanos left = deadline - net::EventLoop::MonotonicNow();
    if (left <= 0) return absl::DeadlineExceededError(absl::StrCat("control channel: no reply to '", line, "'"));
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left / core::kNanosPerMilli) + 1) <= 0) continue;
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n <= 0) return absl::UnavailableError("control channel closed by the cluster");
    in_.append(buf, static_cast<size_t>(n));
  }
  std::string reply = in_.substr(0, nl);
  in_.erase(0, nl + 1);
  if (reply == "OK") return std::string();
  if (absl::StartsWith(reply, "OK ")) return reply.substr(3);
  return absl::FailedPreconditionError(absl::StartsWith(reply, "ERR ") ? reply.substr(4) : reply);
}

}  // namespace kvlab::real

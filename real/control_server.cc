#include "real/control_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "real/control_command.h"

namespace kvlab::real {
namespace {

// Replies are short; a client that does not read them is not waited for (best effort).
void WriteLine(int fd, const std::string& line) {
  const std::string text = line + "\n";
  (void)!send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(net::EventLoop& loop, const std::string& path,
                                                                    Handler handler) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("control socket path '", path, "' is longer than ",
                                                   sizeof(addr.sun_path) - 1, " bytes (use a shorter --data-dir)"));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("control socket: ", std::strerror(errno)));
  unlink(path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 16) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("control socket ", path, ": ", std::strerror(err)));
  }
  std::unique_ptr<ControlServer> server(new ControlServer(loop, path, fd, std::move(handler)));
  ControlServer* s = server.get();
  absl::StatusOr<net::EventLoop::WatchId> watch = loop.Watch(fd, EPOLLIN, [s](uint32_t) { s->OnAccept(); });
  if (!watch.ok()) return watch.status();
  server->watch_ = *watch;
  return server;
}

ControlServer::~ControlServer() {
  while (!clients_.empty()) Drop(clients_.begin()->first);
  loop_.Unwatch(watch_);
  close(fd_);
  unlink(path_.c_str());
}

void ControlServer::OnAccept() {
  for (;;) {
    const int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (clients_.size() >= kMaxControlConnections) {
      WriteLine(fd, absl::StrCat("ERR too many control connections (at most ", kMaxControlConnections, ")"));
      close(fd);
      continue;
    }
    const uint64_t id = next_id_++;
    absl::StatusOr<net::EventLoop::WatchId> watch = loop_.Watch(fd, EPOLLIN, [this, id](uint32_t) { OnReadable(id); });
    if (!watch.ok()) {
      close(fd);
      continue;
    }
    clients_[id] = Client{fd, *watch, {}};
  }
}

void ControlServer::OnReadable(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  char buf[1024];
  const ssize_t n = read(it->second.fd, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return Drop(id);
  it->second.in.append(buf, static_cast<size_t>(n));
  for (size_t nl; (nl = it->second.in.find('\n')) != std::string::npos;) {
    std::string line = it->second.in.substr(0, nl);
    it->second.in.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    WriteLine(it->second.fd, handler_(line));
  }
  if (it->second.in.size() > kMaxControlLineBytes) {
    WriteLine(it->second.fd, absl::StrCat("ERR line longer than ", kMaxControlLineBytes, " bytes"));
    Drop(id);
  }
}

void ControlServer::Drop(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  loop_.Unwatch(it->second.watch);
  close(it->second.fd);
  clients_.erase(it);
}

}  // namespace kvlab::real

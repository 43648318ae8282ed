// The control channel's socket: a Unix stream socket on the launcher's event loop. Each line a
// client sends (up to kMaxControlLineBytes, '\n'-terminated) is handed to the handler and its
// reply written back as one line. At most kMaxControlConnections clients at once; a further one is
// told "ERR too many control connections" and closed; an overlong line is answered with an error
// and the connection closed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "net/event_loop.h"

namespace kvlab::real {

class ControlServer {
 public:
  // The reply to one line, without its newline.
  using Handler = absl::AnyInvocable<std::string(const std::string& line)>;

  // Listens at `path` (an old socket file there is replaced). `handler` runs on the loop.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(net::EventLoop& loop, const std::string& path,
                                                              Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  struct Client {
    int fd = -1;
    net::EventLoop::WatchId watch = 0;
    std::string in;
  };

  ControlServer(net::EventLoop& loop, std::string path, int fd, Handler handler)
      : loop_(loop), path_(std::move(path)), fd_(fd), handler_(std::move(handler)) {}
  void OnAccept();
  void OnReadable(uint64_t id);
  void Drop(uint64_t id);

  net::EventLoop& loop_;
  const std::string path_;
  const int fd_;
  net::EventLoop::WatchId watch_ = 0;
  Handler handler_;
  std::map<uint64_t, Client> clients_;
  uint64_t next_id_ = 1;
};

}  // namespace kvlab::real

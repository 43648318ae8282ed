// Thin POSIX TCP helpers: non-blocking listening and connecting sockets on IPv4.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace kvlab::net {

struct Listening {
  int fd = -1;
  int port = 0;  // the bound port (useful when asked for port 0).
};

// A non-blocking, close-on-exec listening socket on host:port (port 0: any free port).
// `host` is a dotted IPv4 address (e.g. "127.0.0.1", "0.0.0.0") or "localhost".
absl::StatusOr<Listening> ListenTcp(const std::string& host, int port);

// Starts a non-blocking connect; the fd becomes writable when the connection is up (check
// ConnectError then). Errors that are known at once are returned.
absl::StatusOr<int> StartConnectTcp(const std::string& host, int port);
// 0 if the connection of a non-blocking connect succeeded, else the errno.
int ConnectError(int fd);

// Disables Nagle: replies are batched per turn already, so Nagle would only add latency.
void SetNoDelay(int fd);
// Raises RLIMIT_NOFILE's soft limit to its hard limit (1000+ clients need more than 1024 fds).
void RaiseFileLimit();

}  // namespace kvlab::net

// Basic vocabulary of the store core: node ids, time, tokens.
// Time is always an integer count of nanoseconds; the core never reads a clock itself.
#pragma once

#include <cstdint>
#include <string>

namespace kvlab::core {

using NodeId = uint32_t;       // 1-based; 0 means "no node".
using Nanos = int64_t;         // a point in time or a duration, in nanoseconds.
using TimerToken = uint64_t;   // chosen by the core; echoed back by OnTimer.
using ReplyHandle = uint64_t;  // chosen by the runtime for a client request; opaque to the core.
// Names one Disk::StartSync; its completion comes back as Node::OnSyncDone with the same token.
using SyncToken = uint64_t;

inline constexpr NodeId kNoNode = 0;

// One member of a cluster's configuration: its id and the peer address the runtime reaches it at
// ("" for the members the runtime was started with, whose addresses it knows from its own
// configuration, and in the simulator, which needs none).
struct Member {
  NodeId id = kNoNode;
  std::string address;
  bool operator==(const Member&) const = default;
};
inline constexpr Nanos kNanosPerMicro = 1'000;
inline constexpr Nanos kNanosPerMilli = 1'000'000;
inline constexpr Nanos kNanosPerSecond = 1'000'000'000;

constexpr Nanos Micros(int64_t n) { return n * kNanosPerMicro; }
constexpr Nanos Millis(int64_t n) { return n * kNanosPerMilli; }
constexpr Nanos Seconds(int64_t n) { return n * kNanosPerSecond; }

}  // namespace kvlab::core

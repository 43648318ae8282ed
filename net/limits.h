// Limits of the network layer (RESP codec, connections, peer links), in one place.
// Exceeding one is a clear error for that connection only, never a crash or unbounded growth.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/constants.h"
#include "core/types.h"

namespace kvlab::net {

// --- RESP request parsing (Redis's names and defaults where Redis has one) -----------------------
// proto-max-bulk-len: the largest bulk string a client may send (configurable per parser).
inline constexpr size_t kDefaultMaxBulkBytes = core::kMaxValueBytes;
// Largest `*<count>` of a request: MSET with kMaxKeysPerCommand pairs plus the command name.
inline constexpr size_t kMaxMultibulkCount = 2 * core::kMaxKeysPerCommand + 1;
// PROTO_INLINE_MAX_SIZE: an inline request, or a `*`/`$` header line, longer than this is refused.
inline constexpr size_t kMaxInlineBytes = 64 * 1024;
// client-query-buffer-limit: the bytes one request may hold in memory before it is complete.
inline constexpr size_t kMaxRequestBytes = 1024ull * 1024 * 1024;

// --- Connections ---------------------------------------------------------------------------------
// Bytes asked of read() at once; a read loop stops after kMaxReadsPerTurn reads so one busy client
// cannot starve the others.
inline constexpr size_t kReadChunkBytes = 64 * 1024;
inline constexpr int kMaxReadsPerTurn = 16;
// Requests of one connection that may wait for their replies; beyond, the connection stops being
// read until replies drain (backpressure instead of unbounded queues).
inline constexpr size_t kMaxInflightPerConnection = 16 * 1024;
// Unsent reply bytes above which a connection's further requests wait (backpressure) ...
inline constexpr size_t kOutputHighWaterBytes = 4 * 1024 * 1024;
// ... and above which the client is disconnected (a client that never reads its replies).
inline constexpr size_t kMaxOutputBufferBytes = 1024ull * 1024 * 1024;
inline constexpr int kListenBacklog = 4096;
inline constexpr int kMaxEventsPerWait = 1024;

// --- Peer links ----------------------------------------------------------------------------------
inline constexpr core::Nanos kPeerReconnectMinDelay = core::Millis(10);
inline constexpr core::Nanos kPeerReconnectMaxDelay = core::Seconds(1);
// Frames queued for a peer that is down; beyond, new frames are dropped (Send is best effort).
inline constexpr size_t kMaxPeerQueueBytes = 64ull * 1024 * 1024;
// Largest single read() into a peer connection's buffer, so a frame's declared length alone never
// makes the node allocate (the buffer grows only as bytes arrive).
inline constexpr size_t kMaxPeerReadBytes = 4 * 1024 * 1024;
// Inbound peer connections accepted at once (a cluster has at most a few dozen nodes; beyond this
// something is wrong, e.g. a port scanner: new connections are refused).
inline constexpr size_t kMaxPeerInboundConnections = 256;

static_assert(kMaxRequestBytes > kDefaultMaxBulkBytes + core::kMaxKeyBytes, "a max-size SET must fit");
static_assert(kMaxInlineBytes <= kMaxRequestBytes);
static_assert(kMaxOutputBufferBytes > kOutputHighWaterBytes);
static_assert(kPeerReconnectMinDelay < kPeerReconnectMaxDelay);
static_assert(kMaxPeerQueueBytes >= 1024 * 1024);
static_assert(kMaxPeerReadBytes >= kReadChunkBytes);
static_assert(kMaxPeerInboundConnections >= 2 * 9, "every member of the largest cluster, twice (restarts)");

}  // namespace kvlab::net

// Every limit of the store in one place (TigerBeetle's constants.zig, LevelDB's config::).
// Exceeding a limit is a clear error for the caller, never a crash or unbounded growth.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/types.h"

namespace kvlab::core {

// --- Keys and values -------------------------------------------------------------------------
inline constexpr size_t kMaxKeyBytes = 64 * 1024;               // Redis allows 512 MiB; we cap keys lower.
inline constexpr size_t kMaxValueBytes = 512ull * 1024 * 1024;  // Redis's proto-max-bulk-len default.
inline constexpr size_t kMaxKeysPerCommand = 1024 * 1024;       // MGET / MSET / DEL fan-in.
// Membership changes (Op::kChangeMembers): member ids and the peer address a new member is given.
inline constexpr int64_t kMaxNodeId = 65'535;
inline constexpr size_t kMaxMemberAddressBytes = 256;
// A transaction (MULTI ... EXEC) is one command, one log entry: its queued commands and their
// key and value bytes are capped so that it fits one message. Queuing past them aborts the EXEC.
inline constexpr size_t kMaxTxnCommands = 100'000;
inline constexpr size_t kMaxTxnBytes = kMaxValueBytes;
inline constexpr size_t kMaxTxnCommandOverheadBytes = 64;  // encoded header of one queued command.

// --- Messages ----------------------------------------------------------------------------------
// A message carries at most one command (or a batch of log entries bounded by kMaxMessageBytes).
inline constexpr size_t kMaxMessageBytes = kMaxValueBytes + 16 * 1024 * 1024;
inline constexpr size_t kMessageHeaderBytes = 4 + 1 + 1 + 8;  // length, version, type, checksum.
inline constexpr size_t kMessageHeaderOffsetOfChecksum = 4 + 1 + 1;
inline constexpr uint8_t kMessageVersion = 2;  // 2: policy-owned peer messages.

// --- Write-ahead log -------------------------------------------------------------------------
inline constexpr size_t kWalRecordHeaderBytes = 4 + 4 + 8;  // length, length check, checksum.
inline constexpr size_t kMaxWalRecordBytes = kMaxMessageBytes;
// A snapshot is taken when the log exceeds this size and is larger than the last snapshot.
inline constexpr uint64_t kWalSnapshotThresholdBytes = 64ull * 1024 * 1024;

// --- Timers and client requests ----------------------------------------------------------------
inline constexpr Nanos kClientRequestTimeout = Seconds(5);
inline constexpr size_t kMaxTrackedWriteKeys = 100'000;       // single: keys with unsynced writes tracked one by one.
inline constexpr size_t kMaxPendingClientRequests = 100'000;  // per node, beyond: -BUSY error.

static_assert(kMaxKeyBytes < kMaxValueBytes);
static_assert(kMaxWalRecordBytes >= kMaxValueBytes + kMaxKeyBytes);
static_assert(kMaxMessageBytes >= kMaxValueBytes + kMaxKeyBytes + kMessageHeaderBytes);
static_assert(kMaxMessageBytes < (1ull << 32), "frame lengths are 32-bit");
static_assert(kMaxMessageBytes >= kMaxTxnBytes + kMaxTxnCommands * kMaxTxnCommandOverheadBytes + kMessageHeaderBytes,
              "a full transaction fits one message");

}  // namespace kvlab::core

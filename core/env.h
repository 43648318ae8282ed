// core::Env: the one narrow seam between the store core and the world (LevelDB's Env,
// FoundationDB's INetwork, TigerBeetle's IO). The core reaches time, timers, peers, clients, disk
// and randomness only through it; sim/ and real/ each implement it. The core never blocks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/message.h"
#include "core/rng.h"
#include "core/types.h"

namespace kvlab::core {

// A node's private storage: a flat namespace of append-only files.
// Crash semantics (the contract the simulator enforces and the real world approximates with
// fdatasync): after a crash, a file holds what the last successful sync covered, possibly
// followed by a prefix of later appends (a torn write) — never anything else. Rename is atomic
// and durable once it returns.
class Disk {
 public:
  virtual ~Disk() = default;

  // Appends bytes at the end of `file`, creating it if needed. Not durable until Sync(file).
  virtual absl::Status Append(std::string_view file, std::string_view bytes) = 0;
  // Makes every earlier Append/Truncate of `file` durable, blocking until it is: for rare paths
  // such as a snapshot's temp file before its rename, and recovery. The node path uses StartSync.
  virtual absl::Status Sync(std::string_view file) = 0;
  // Starts making every earlier Append/Truncate of `file` durable and returns at once; the
  // runtime later calls Node::OnSyncDone(token, status) exactly once, in a later turn. Syncs
  // complete in the order they were started (one device queue). A crash before completion keeps
  // only what earlier completed syncs covered, possibly followed by a prefix of later appends.
  virtual void StartSync(std::string_view file, SyncToken token) = 0;
  // Whole contents of `file`; NotFound if it does not exist.
  virtual absl::StatusOr<std::string> Read(std::string_view file) = 0;
  // Cuts `file` to `size` bytes (size <= current size). Not durable until Sync(file).
  virtual absl::Status Truncate(std::string_view file, uint64_t size) = 0;
  // Atomically replaces `to` with `from` (which must have been synced); durable on return.
  virtual absl::Status Rename(std::string_view from, std::string_view to) = 0;
  // Removes `file` if it exists; durable on return.
  virtual absl::Status Remove(std::string_view file) = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  virtual NodeId self() const = 0;
  // The node's clock: monotonic, but in the simulator possibly skewed and drifting.
  virtual Nanos Now() = 0;
  // Best effort: the message may be lost, delayed, duplicated or reordered. Messages sent during
  // a turn leave when the turn ends (after Node::EndTurn). A policy holds back the ones that vouch
  // for durable state itself, and sends them in the turn whose Node::OnSyncDone covers that state.
  // The Env stamps msg.from (this node) and msg.to (`to`): a policy need not set them.
  virtual void Send(NodeId to, Message msg) = 0;
  // Fires Node::OnTimer(token) once, `delay` from now on this node's clock. Timers cannot be
  // cancelled: the core ignores tokens it no longer cares about.
  virtual void SetTimer(Nanos delay, TimerToken token) = 0;
  // Answers the client request identified by `handle` (from Node::OnClientRequest), exactly once.
  virtual void Reply(ReplyHandle handle, ClientReply reply) = 0;
  virtual Disk& disk() = 0;
  virtual Rng& rng() = 0;
  // The core declares bulk memory work it does in this turn: encoding, decoding or copying
  // `bytes` of a large state (a snapshot). The simulator charges it to the node's turn at its
  // per-KiB CPU cost, so a turn that does too much of it at once shows up as the stall it is (a
  // leader that misses its heartbeats); the real world ignores it, its time is real. Additive: a
  // policy that never calls it costs what it did.
  virtual void ChargeBulkBytes(uint64_t bytes) {}
};

}  // namespace kvlab::core

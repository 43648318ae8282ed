// A connection's transaction state for MULTI/EXEC/DISCARD/WATCH/UNWATCH (Redis semantics): the
// commands queued since MULTI and the keys watched, with the versions WATCH saw. EXEC turns it
// into one core::Command (Op::kExec) that the policy applies in one step (one log entry under
// raft). Plain data: the node server (real/txn_commands.cc) drives it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/kv/command.h"

namespace kvlab::real {

// WATCH is capped like a command's keys: the watched keys travel in the EXEC command.
inline constexpr size_t kMaxWatchedKeys = 100'000;

struct TxnSession {
  bool in_multi = false;
  // A command could not be queued (arity, unknown command, limits): EXEC answers EXECABORT.
  bool failed = false;
  // MULTI was refused (the policy has no transactions): until EXEC or DISCARD nothing runs, so
  // a pipelined MULTI ... EXEC never applies its commands one by one.
  bool refused = false;
  // The queued key-value commands, in order.
  std::vector<core::Command> subs;
  // One entry per queued command, in order: empty for the next of `subs`, else the RESP bytes
  // of a reply known when it was queued (PING, ECHO, a syntax error Redis reports in EXEC).
  std::vector<std::string> layout;
  size_t bytes = 0;  // TxnBytes of `subs`.
  // Watched keys and their versions (keys + versions + watch_seq of an Op::kExec command).
  core::Command watches;

  void EndMulti() {
    in_multi = failed = refused = false;
    subs.clear();
    layout.clear();
    bytes = 0;
  }
  void Unwatch() {
    watches.keys.clear();
    watches.versions.clear();
    watches.watch_seq = 0;
  }
  bool has_locals() const { return layout.size() != subs.size(); }
};

}  // namespace kvlab::real

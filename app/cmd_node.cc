// kvlab node / kvlab cluster: flag wiring only; the daemon and the launcher live in real/
// (node_main.h, cluster_launcher.h).
#include <memory>

#include "absl/strings/str_cat.h"
#include "app/commands.h"
#include "core/policy/registry.h"
#include "real/cluster_launcher.h"
#include "real/node_main.h"
#include "real/sync_thread.h"

namespace kvlab::app {

void AddNodeCommand(CLI::App& app) {
  auto node = std::make_shared<real::NodeFlags>();
  CLI::App* n = app.add_subcommand("node", "Run one kvlab node serving RESP2 (redis-cli, redis-benchmark, ...)");
  n->add_option("--id", node->id, "This node's id (1-based)")->required();
  n->add_option("--port", node->port, "Client (RESP) port; 0 picks a free one")->required();
  n->add_option("--data-dir", node->data_dir,
                "Directory of this node's WAL and snapshots; it keeps the policy, id and members it was first started "
                "with (see `kvlab wal check DIR`)")
      ->required();
  n->add_option("--policy", node->policy,
                absl::StrCat("Replication policy, NAME[:param=value...]: ", core::PolicyNameList(),
                             " (default: ", std::string(core::DefaultPolicy().name), " for one node, ",
                             std::string(core::DefaultReplicatedPolicy().name), " with --cluster)"));
  n->add_option("--param", node->params, "A policy parameter, e.g. raft.heartbeat_ms=20 (repeatable)");
  n->add_option("--cluster", node->cluster,
                "Every node's peer address: 1=HOST:PORT,2=HOST:PORT,... The data dir records the members at its first "
                "start; later starts must list the same ones, or those a MEMBER ADD/REMOVE made (addresses may "
                "change)");
  n->add_flag("--join", node->join,
              "Join a running raft cluster as a new member: start with no configuration (--cluster lists this node "
              "and the members), then run MEMBER ADD ID HOST:PEERPORT on a member");
  n->add_option("--durability", node->durability, "fsync: acknowledge after fdatasync; none: after write()")
      ->check(CLI::IsMember({"fsync", "none"}));
  n->add_option("--bind", node->bind, "Address to listen on");
  n->add_option("--requirepass", node->requirepass, "Clients must AUTH with this password");
  n->add_option("--cluster-token", node->cluster_token,
                "Salts the cluster id recorded in the data dir at bootstrap (two clusters with the same "
                "members get different ids)");
  n->add_option("--debug-sync-delay-ms", node->debug_sync_delay_ms,
                absl::StrCat("Debug/test only: every fdatasync takes N ms longer (a slow disk; 0..",
                             real::kMaxSyncDelay.count(), ")"));
  n->add_flag("--debug-inline-sync", node->debug_inline_sync,
              "Debug/test only: run fdatasync on the event loop, blocking it (the behaviour before syncs moved "
              "to their own thread), for before/after measurements");
  n->callback([node] { SetExitCode(real::RunNode(*node)); });

  auto cluster = std::make_shared<real::ClusterFlags>();
  const real::ClusterFlags d;
  CLI::App* c = app.add_subcommand(
      "cluster",
      absl::StrCat("Launch N local kvlab node processes (with no flags: a ", d.nodes, "-node ",
                   std::string(core::DefaultReplicatedPolicy().name), " cluster on client ports ", d.base_port, "..",
                   d.base_port + d.nodes - 1, ", data in ", d.data_dir,
                   "/). Node i serves clients on base-port + i - 1, talks to its peers on that port + ",
                   real::kPeerPortOffset,
                   ", and keeps its data in DATA-DIR/node-i. A node that fails to start or "
                   "dies is named with its last stderr line; with fewer than a majority left the launcher stops the "
                   "others and exits non-zero"));
  c->add_option("--nodes", cluster->nodes, "Number of nodes")->capture_default_str();
  c->add_option("--policy", cluster->policy,
                absl::StrCat("Replication policy, NAME[:param=value...]: ", core::PolicyNameList(),
                             " (default: ", std::string(core::DefaultReplicatedPolicy().name), "; ",
                             std::string(core::DefaultPolicy().name), " for --nodes 1)"));
  c->add_option("--param", cluster->params, "A policy parameter (repeatable)");
  c->add_option(
       "--base-port", cluster->base_port,
       absl::StrCat("Client port of node 1 (node i: base + i - 1; its peer port: that + ", real::kPeerPortOffset, ")"))
      ->capture_default_str();
  c->add_option("--data-dir", cluster->data_dir, "Parent directory of the nodes' data dirs (node i: DIR/node-i)")
      ->capture_default_str();
  c->add_option("--durability", cluster->durability, "fsync or none")
      ->check(CLI::IsMember({"fsync", "none"}))
      ->capture_default_str();
  c->add_flag(
      "--proxy", cluster->proxy,
      "Route peer traffic through the launcher's fault proxy (link delay, drop, cut, hold via DIR/control.sock)");
  c->add_option("--proxy-seed", cluster->proxy_seed, "Seed of the proxy's drop and jitter draws")
      ->capture_default_str();
  c->callback([cluster] { SetExitCode(real::RunCluster(*cluster)); });
}

}  // namespace kvlab::app

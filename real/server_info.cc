// INFO's sections added for issue 12: Memory (from the allocator), CPU (getrusage),
// Commandstats, Replication (Redis's role:master / role:slave view of the policy's roles) and
// Keyspace.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "real/cluster_launcher.h"
#include "real/cycle_clock.h"
#include "real/node_server.h"

// jemalloc's control interface, when the binary links it (kvlab does; the test binaries do not).
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen) __attribute__((weak));

namespace kvlab::real {
namespace {

// Bytes the allocator has handed out: jemalloc's stats.allocated, else glibc's mallinfo2.
uint64_t AllocatedBytes() {
  if (mallctl != nullptr) {
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);
    mallctl("epoch", &epoch, &len, &epoch, len);  // refreshes the statistics
    size_t allocated = 0;
    len = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) == 0) return allocated;
  }
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

uint64_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const int got = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  return got == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Redis's bytesToHuman: "1.23M".
std::string Human(uint64_t n) {
  const double d = static_cast<double>(n);
  if (n < 1024) return absl::StrCat(n, "B");
  if (n < 1024ull * 1024) return absl::StrFormat("%.2fK", d / 1024);
  if (n < 1024ull * 1024 * 1024) return absl::StrFormat("%.2fM", d / (1024 * 1024));
  return absl::StrFormat("%.2fG", d / (1024.0 * 1024 * 1024));
}

std::string Seconds(const timeval& tv) { return absl::StrFormat("%d.%06d", tv.tv_sec, tv.tv_usec); }

}  // namespace

NodeServer::InfoFields NodeServer::MemoryInfo() const {
  const uint64_t rss = ResidentBytes();
  // A sanitizer's allocator keeps no glibc statistics (mallinfo2 reads 0): report the resident
  // size then, so used_memory is never a false 0.
  const uint64_t allocated = AllocatedBytes(), used = allocated > 0 ? allocated : rss;
  return {{"used_memory", absl::StrCat(used)},
          {"used_memory_human", Human(used)},
          {"used_memory_rss", absl::StrCat(rss)},
          {"used_memory_rss_human", Human(rss)},
          {"maxmemory", "0"},
          {"maxmemory_policy", "noeviction"},
          {"mem_allocator", mallctl != nullptr ? "jemalloc" : "libc"}};
}

NodeServer::InfoFields NodeServer::CpuInfo() const {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  return {{"used_cpu_sys", Seconds(self.ru_stime)},
          {"used_cpu_user", Seconds(self.ru_utime)},
          {"used_cpu_sys_children", Seconds(children.ru_stime)},
          {"used_cpu_user_children", Seconds(children.ru_utime)}};
}

NodeServer::InfoFields NodeServer::CommandStatsInfo() const {
  InfoFields out;
  for (size_t i = 0; i < command_stats_.size(); ++i) {
    const CommandStats& st = command_stats_[i];
    if (st.calls == 0) continue;  // Redis lists the commands called since the last reset.
    const std::string_view name = CommandTable()[i].name;
    const double usec = CycleClock::ToMicros(st.ticks);
    const double per_call = usec / static_cast<double>(st.calls);
    out.push_back({absl::StrCat("cmdstat_", std::string(name)),
                   absl::StrFormat("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=0,failed_calls=0", st.calls,
                                   static_cast<uint64_t>(usec), per_call)});
  }
  return out;
}

// Redis's view of the policy's roles: a raft leader, a pb primary, a chain's head, a single node or
// a leaderless replica is a master; a raft follower (or candidate), a pb backup and a chain's
// middle or tail are slaves, with the leader (primary, head), when known, as master. The leader's client port is
// derived from its peer port by `kvlab cluster`'s rule (peer port = client port + kPeerPortOffset).
NodeServer::InfoFields NodeServer::ReplicationInfo() const {
  const core::NodeStatus status = node_->Status();
  const std::string_view role = status.role;
  const bool slave = role == "follower" || role == "candidate" || role == "precandidate" || role == "backup" ||
                     role == "middle" || role == "tail";
  InfoFields out;
  if (slave) {
    out.push_back({"role", "slave"});
    auto peer = peer_endpoints_.find(status.leader);
    const bool known = status.leader != core::kNoNode && status.leader != options_.id && peer != peer_endpoints_.end();
    out.push_back({"master_host", known ? peer->second.host : ""});
    out.push_back({"master_port", known ? absl::StrCat(peer->second.port - kPeerPortOffset) : "0"});
    out.push_back({"master_link_status", known ? "up" : "down"});
    out.push_back({"slave_read_only", "1"});
  } else {
    out.push_back({"role", "master"});
    const std::vector<core::Member>* members = node_->Membership();
    auto member = [members](core::NodeId id) {
      return members == nullptr ||
             std::any_of(members->begin(), members->end(), [id](const core::Member& m) { return m.id == id; });
    };
    int n = 0;
    for (const auto& [id, endpoint] : peer_endpoints_) {
      if (!status.leads || id == options_.id || !member(id)) continue;
      out.push_back({absl::StrCat("slave", n++),
                     absl::StrCat("ip=", endpoint.host, ",port=", endpoint.port - kPeerPortOffset, ",state=online")});
    }
    out.insert(out.begin() + 1, {"connected_slaves", absl::StrCat(n)});
  }
  for (const auto& [k, v] : node_->Info()) out.push_back({absl::StrCat("kvlab_", k), v});
  return out;
}

NodeServer::InfoFields NodeServer::KeyspaceInfo() const {
  const size_t keys = node_->KeyCount();
  if (keys == 0) return {};
  const core::KvState* state = node_->AppliedState();
  const size_t expires = state == nullptr ? 0 : state->LiveExpiring(env_->Now() / core::kNanosPerMilli);
  return {{"db0", absl::StrCat("keys=", keys, ",expires=", expires, ",avg_ttl=0")}};
}

}  // namespace kvlab::real

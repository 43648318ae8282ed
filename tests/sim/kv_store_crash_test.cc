// KvStore against a trivially correct model (std::map) across random crashes of a SimDisk, with
// and without torn writes: after every recovery the store holds exactly the synced writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/kv/kv_store.h"
#include "core/rng.h"
#include "sim/sim_disk.h"

namespace kvlab::sim {
namespace {

using core::Command;
using core::KvStore;
using core::Result;
using Model = std::map<std::string, std::string>;

// The model's version of each op; returns what the store must answer.
Result ApplyToModel(Model& m, const Command& c) {
  switch (c.op) {
    case core::Op::kPut: m[c.keys[0]] = c.values[0]; return Result::Ok();
    case core::Op::kDel: {
      const int64_t n = static_cast<int64_t>(m.erase(c.keys[0]));
      return Result::Integer(n);
    }
    case core::Op::kIncr: {
      auto it = m.find(c.keys[0]);
      if (it != m.end() && it->second[0] == 'x') return Result::Error(core::kIncrErrorText);
      const int64_t next = (it == m.end() ? 0 : std::stoll(it->second)) + c.delta;
      m[c.keys[0]] = std::to_string(next);
      return Result::Integer(next);
    }
    case core::Op::kGet: {
      auto it = m.find(c.keys[0]);
      return it == m.end() ? Result::Nil() : Result::Value(it->second);
    }
    default: ADD_FAILURE() << "op not modelled"; return Result::Nil();
  }
}

Command RandomCommand(core::Rng& rng) {
  const std::string key = "k" + std::to_string(rng.Uniform(16));
  switch (rng.Uniform(5)) {
    case 0: return Command::Get(key);
    case 1: return Command::Del(key);
    case 2: {
      Command c;
      c.op = core::Op::kIncr;
      c.keys = {key};
      c.delta = rng.UniformRange(-5, 5);
      return c;
    }
    default: {
      // Numeric values keep INCR working; 'x' values make it fail.
      std::string value =
          rng.Uniform(4) == 0 ? "x" + std::string(rng.Uniform(40), 'v') : std::to_string(rng.Uniform(1000));
      return Command::Put(key, std::move(value));
    }
  }
}

Model StoreContents(const KvStore& store) {
  Model m;
  store.state().ForEach([&](std::string_view k, const core::KvState::Entry& e) { m[std::string(k)] = e.value(); });
  return m;
}

struct SeedStats {
  uint64_t torn_tails_cut = 0;
  uint64_t snapshots = 0;
};

// What a crash may leave: the durable state, or the state after any later write (a prefix of the
// unsynced log reached the media, in order).
struct Outcomes {
  Model durable;
  std::vector<Model> after_unsynced;  // the state after each unsynced write, oldest first.
  Model syncing;                      // the state the sync in flight covers,
  size_t syncing_writes = 0;          // and how many of after_unsynced it covers.

  void Wrote(const Model& live) { after_unsynced.push_back(live); }
  void AllDurable(const Model& live) {
    durable = syncing = live;  // a sync still in flight covers no more than this.
    after_unsynced.clear();
    syncing_writes = 0;
  }
  bool Allows(const Model& got) const {
    if (got == durable) return true;
    return std::find(after_unsynced.begin(), after_unsynced.end(), got) != after_unsynced.end();
  }
};

// Starts an asynchronous sync, or completes the one in flight through the device queue.
void StepAsyncSync(KvStore& store, SimDisk& disk, core::Rng& rng, const Model& live, Outcomes& out) {
  if (!store.sync_in_flight()) {
    if (!store.StartSync()) return;
    out.syncing = live;
    out.syncing_writes = out.after_unsynced.size();
    (void)disk.BeginNextSync(rng);
    return;
  }
  const uint64_t snapshots = store.stats().snapshots;
  const SyncCompletion done = disk.CompleteSync();
  ASSERT_TRUE(store.OnSyncDone(done.token, done.status).ok());
  if (store.stats().snapshots != snapshots) return out.AllDurable(live);  // the snapshot holds all.
  out.durable = out.syncing;
  out.after_unsynced.erase(out.after_unsynced.begin(),
                           out.after_unsynced.begin() + static_cast<std::ptrdiff_t>(out.syncing_writes));
  out.syncing_writes = 0;
}

void RunSeed(uint64_t seed, SeedStats& stats) {
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  core::Rng rng(seed);
  SimDisk disk;
  const core::KvStoreOptions options{.fsync = true, .snapshot_threshold_bytes = 1500};
  std::unique_ptr<KvStore> store = *KvStore::Open(disk, options);
  Model live;
  Outcomes outcomes;
  uint64_t crashes = 0;
  for (int step = 0; step < 400; ++step) {
    const uint64_t dice = rng.Uniform(100);
    if (dice < 70) {
      const Command c = RandomCommand(rng);
      ASSERT_EQ(store->Apply(c, 0), ApplyToModel(live, c));
      if (!core::IsReadOnly(c.op)) outcomes.Wrote(live);
    } else if (dice < 80) {
      ASSERT_TRUE(store->Sync().ok());
      stats.snapshots += store->stats().snapshots;
      outcomes.AllDurable(live);
    } else if (dice < 92) {
      StepAsyncSync(*store, disk, rng, live, outcomes);
    } else {
      store.reset();
      disk.Crash(rng, /*tear=*/rng.Uniform(2) == 0);
      ++crashes;
      absl::StatusOr<std::unique_ptr<KvStore>> reopened = KvStore::Open(disk, options);
      ASSERT_TRUE(reopened.ok()) << reopened.status();
      store = *std::move(reopened);
      stats.torn_tails_cut += store->stats().torn_tail_cut;
      live = StoreContents(*store);
      ASSERT_TRUE(outcomes.Allows(live)) << "after crash " << crashes << " at step " << step;
      outcomes.AllDurable(live);
    }
  }
  EXPECT_GT(crashes, 0u);
}

TEST(KvStoreCrashTest, RecoveryKeepsExactlyTheSyncedWritesAcrossRandomCrashes) {
  SeedStats stats;
  for (uint64_t seed = 1; seed <= 40; ++seed) RunSeed(seed, stats);
  // The test is only meaningful if torn tails and snapshots really happened.
  EXPECT_GT(stats.torn_tails_cut, 10u);
  EXPECT_GT(stats.snapshots, 10u);
}

TEST(KvStoreCrashTest, SnapshotsHappenAndSurviveCrashes) {
  core::Rng rng(7);
  SimDisk disk;
  const core::KvStoreOptions options{.fsync = true, .snapshot_threshold_bytes = 500};
  std::unique_ptr<KvStore> store = *KvStore::Open(disk, options);
  Model model;
  for (int i = 0; i < 300; ++i) {
    const Command c = Command::Put("k" + std::to_string(i % 10), std::to_string(i));
    store->Apply(c, 0);
    ApplyToModel(model, c);
    ASSERT_TRUE(store->Sync().ok());
  }
  EXPECT_GT(store->stats().snapshots, 5u);
  store.reset();
  disk.Crash(rng, true);
  store = *KvStore::Open(disk, options);
  EXPECT_EQ(StoreContents(*store), model);
  EXPECT_GT(store->stats().snapshot_lsn, 0u);
}

TEST(KvStoreCrashTest, BitFlipIsDetectedNeverSilentlyAccepted) {
  // A flipped bit lands in the snapshot or in a complete, synced WAL record: recovery must
  // refuse with DataLoss (never mistake it for a torn tail and silently drop data).
  int refused = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    core::Rng rng(seed);
    SimDisk disk;
    {
      std::unique_ptr<KvStore> store = *KvStore::Open(disk, {.snapshot_threshold_bytes = 300});
      for (int i = 0; i < 40; ++i) store->Apply(Command::Put("k" + std::to_string(i % 6), "value"), 0);
      ASSERT_TRUE(store->Sync().ok());
      store->Apply(Command::Put("last", "v"), 0);
      ASSERT_TRUE(store->Sync().ok());
    }
    ASSERT_TRUE(disk.FlipRandomBit(rng));
    absl::StatusOr<std::unique_ptr<KvStore>> reopened = KvStore::Open(disk);
    EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss) << "seed " << seed;
    refused += !reopened.ok();
  }
  EXPECT_EQ(refused, 30);
}

}  // namespace
}  // namespace kvlab::sim

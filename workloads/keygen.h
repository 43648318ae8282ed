// Key choosers: which key index an operation touches, drawn from core::Rng only (no std::
// distributions, DESIGN.md rule 2). The algorithms are YCSB's (core/generator/*.java) so numbers
// are comparable with YCSB runs: Zipfian (Gray et al.'s approximation), scrambled Zipfian (FNV of
// the rank), hotspot and skewed-latest.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/rng.h"

namespace kvlab::workloads {

// YCSB's Utils.fnvhash64: FNV-1 over the 8 little-endian bytes of `value`, then |x| (Java abs).
uint64_t YcsbFnvHash64(uint64_t value);

// YCSB ZipfianGenerator over ranks [0, items): rank 0 is the most popular. The zeta constants are
// computed once at construction (and extended incrementally when `items` grows, like YCSB); each
// draw uses DetPow, so sequences are identical on every build.
class ZipfianGenerator {
 public:
  static constexpr double kDefaultTheta = 0.99;
  ZipfianGenerator(uint64_t items, double theta);
  // With a precomputed zeta(items, theta), as YCSB's ScrambledZipfianGenerator does for 10^10.
  ZipfianGenerator(uint64_t items, double theta, double zetan);

  uint64_t Next(core::Rng& rng);
  // Draws over [0, items), first growing the zeta sum if items increased (SkewedLatest).
  uint64_t Next(core::Rng& rng, uint64_t items);

  uint64_t items() const { return items_; }
  double zetan() const { return zetan_; }
  // Probability of `rank` under the exact Zipf law 1/(rank+1)^theta / zeta(items).
  double Probability(uint64_t rank) const;

  // zeta(n, theta) = sum_{i=1..n} 1/i^theta, continuing from a partial sum over [1, from].
  static double Zeta(uint64_t from, uint64_t n, double theta, double initial_sum);

 private:
  void ComputeEta();

  uint64_t items_;
  double theta_;
  double zeta2theta_;
  double alpha_;
  double zetan_;
  double eta_ = 0;
  double half_pow_theta_;  // 1 + 0.5^theta, the threshold for rank 1.
};

enum class KeyDistribution { kUniform, kZipfian, kZipfianExact, kHotspot, kLatest, kSequential };

// "uniform", "zipfian" (scrambled, YCSB default), "zipfian_exact", "hotspot", "latest",
// "sequential"; false if the name is unknown.
bool ParseKeyDistribution(const std::string& name, KeyDistribution* out);
const char* KeyDistributionName(KeyDistribution d);

struct KeyDistributionSpec {
  KeyDistribution kind = KeyDistribution::kUniform;
  double zipf_theta = ZipfianGenerator::kDefaultTheta;
  double hot_set_fraction = 0.1;  // hotspot: share of keys that are hot.
  double hot_op_fraction = 0.9;   // hotspot: share of operations that go to the hot set.
  bool operator==(const KeyDistributionSpec&) const = default;
};

// Chooses key indexes in [0, item_count). Not thread-safe; one per client fiber or shared by the
// fibers of one runtime (all on one thread).
class KeyChooser {
 public:
  virtual ~KeyChooser() = default;
  virtual uint64_t Next(core::Rng& rng) = 0;
  // The keyspace grew by inserts (YCSB D "latest"): later draws cover [0, n).
  virtual void SetItemCount(uint64_t n) = 0;
};

// REQUIRES: items > 0; fractions in (0, 1).
std::unique_ptr<KeyChooser> MakeKeyChooser(const KeyDistributionSpec& spec, uint64_t items);

// The wire name of key index i ("k0", "k1", ...).
std::string KeyName(uint64_t index);

}  // namespace kvlab::workloads

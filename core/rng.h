// The project's one pseudo-random generator: xoshiro256** seeded through splitmix64, with its own
// distributions. std:: distributions differ between standard libraries, so none are used: the same
// seed gives the same numbers on every compiler and build type (DESIGN.md, determinism rule 2).
#pragma once

#include <cstdint>
#include <string_view>

namespace kvlab::core {

// splitmix64 step: advances `state` and returns the next output. Used to expand seeds.
uint64_t SplitMix64(uint64_t& state);

// FNV-1a over bytes: a fixed, platform-independent hash for naming streams.
uint64_t Fnv1a64(std::string_view bytes);

class Rng {
 public:
  explicit Rng(uint64_t seed);

  // An independent stream for one purpose ("network", "faults", "node/3"...), derived from a run
  // seed so that adding draws to one purpose never shifts the numbers another purpose sees.
  static Rng Derive(uint64_t run_seed, std::string_view purpose);

  uint64_t Next();                               // uniform over all 64-bit values.
  uint64_t Uniform(uint64_t bound);              // uniform in [0, bound); bound > 0.
  int64_t UniformRange(int64_t lo, int64_t hi);  // uniform in [lo, hi]; lo <= hi.
  double NextDouble();                           // uniform in [0, 1), 53 random bits.
  bool Bernoulli(double p);                      // true with probability p (clamped to [0,1]).
  // Probability expressed in parts per million: exact integer arithmetic, no floating point.
  bool ChancePpm(uint32_t ppm);

 private:
  uint64_t s_[4];
};

}  // namespace kvlab::core

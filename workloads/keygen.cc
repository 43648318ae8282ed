#include "workloads/keygen.h"

#include <charconv>

#include "core/assert.h"
#include "workloads/det_math.h"

namespace kvlab::workloads {
namespace {

// YCSB ScrambledZipfianGenerator: the Zipfian runs over 10^10 items with this precomputed zeta
// (for theta 0.99 only), then the rank is hashed into the keyspace.
constexpr uint64_t kScrambledItemCount = 10'000'000'000ull;
constexpr double kScrambledZetan = 26.46902820178302;

class UniformChooser : public KeyChooser {
 public:
  explicit UniformChooser(uint64_t n) : n_(n) {}
  uint64_t Next(core::Rng& rng) override { return rng.Uniform(n_); }
  void SetItemCount(uint64_t n) override { n_ = n; }

 private:
  uint64_t n_;
};

class SequentialChooser : public KeyChooser {
 public:
  explicit SequentialChooser(uint64_t n) : n_(n) {}
  uint64_t Next(core::Rng&) override { return next_++ % n_; }
  void SetItemCount(uint64_t n) override { n_ = n; }

 private:
  uint64_t n_;
  uint64_t next_ = 0;
};

class ZipfianExactChooser : public KeyChooser {
 public:
  ZipfianExactChooser(uint64_t n, double theta) : gen_(n, theta), n_(n) {}
  uint64_t Next(core::Rng& rng) override { return gen_.Next(rng, n_); }
  void SetItemCount(uint64_t n) override { n_ = n; }

 private:
  ZipfianGenerator gen_;
  uint64_t n_;
};

class ScrambledZipfianChooser : public KeyChooser {
 public:
  ScrambledZipfianChooser(uint64_t n, double theta)
      : gen_(theta == ZipfianGenerator::kDefaultTheta ? ZipfianGenerator(kScrambledItemCount, theta, kScrambledZetan)
                                                      // Another theta: YCSB would sum zeta over 10^10 items (minutes);
                                                      // we sum over the keyspace instead. Documented deviation.
                                                      : ZipfianGenerator(n, theta)),
        n_(n) {}
  uint64_t Next(core::Rng& rng) override { return YcsbFnvHash64(gen_.Next(rng)) % n_; }
  void SetItemCount(uint64_t n) override { n_ = n; }

 private:
  ZipfianGenerator gen_;
  uint64_t n_;
};

class HotspotChooser : public KeyChooser {
 public:
  HotspotChooser(uint64_t n, double hot_set, double hot_ops) : hot_set_(hot_set), hot_ops_(hot_ops) { SetItemCount(n); }
  uint64_t Next(core::Rng& rng) override {
    if (rng.Bernoulli(hot_ops_)) return rng.Uniform(hot_);
    return hot_ + rng.Uniform(n_ - hot_);
  }
  void SetItemCount(uint64_t n) override {
    n_ = n;
    hot_ = static_cast<uint64_t>(static_cast<double>(n) * hot_set_);
    if (hot_ == 0) hot_ = 1;
    if (hot_ >= n_) hot_ = n_ - 1;
    KV_ASSERT(n_ >= 2);  // a hot set and a cold set.
  }

 private:
  double hot_set_;
  double hot_ops_;
  uint64_t n_ = 0;
  uint64_t hot_ = 0;
};

// YCSB SkewedLatestGenerator: the most recently inserted key is the most popular.
class LatestChooser : public KeyChooser {
 public:
  LatestChooser(uint64_t n, double theta) : gen_(n, theta), n_(n) {}
  uint64_t Next(core::Rng& rng) override { return n_ - 1 - gen_.Next(rng, n_); }
  void SetItemCount(uint64_t n) override { n_ = n; }

 private:
  ZipfianGenerator gen_;
  uint64_t n_;
};

}  // namespace

uint64_t YcsbFnvHash64(uint64_t value) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (int i = 0; i < 8; ++i) {
    h ^= value & 0xff;
    h *= 1099511628211ull;
    value >>= 8;  // Java's >> is arithmetic, but only the low 8 bytes are ever consumed.
  }
  const int64_t s = static_cast<int64_t>(h);
  return s < 0 ? static_cast<uint64_t>(0) - h : h;  // Math.abs (MIN_VALUE stays itself).
}

ZipfianGenerator::ZipfianGenerator(uint64_t items, double theta)
    : ZipfianGenerator(items, theta, Zeta(0, items, theta, 0)) {}

ZipfianGenerator::ZipfianGenerator(uint64_t items, double theta, double zetan)
    : items_(items), theta_(theta), zetan_(zetan) {
  KV_ASSERT(items > 0);
  KV_ASSERT(theta > 0 && theta < 1);
  zeta2theta_ = Zeta(0, 2, theta, 0);
  alpha_ = 1.0 / (1.0 - theta);
  half_pow_theta_ = 1.0 + DetPow(0.5, theta);
  ComputeEta();
}

void ZipfianGenerator::ComputeEta() {
  eta_ = (1 - DetPow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2theta_ / zetan_);
}

double ZipfianGenerator::Zeta(uint64_t from, uint64_t n, double theta, double initial_sum) {
  double sum = initial_sum;
  for (uint64_t i = from; i < n; ++i) sum += 1 / DetPow(static_cast<double>(i + 1), theta);
  return sum;
}

uint64_t ZipfianGenerator::Next(core::Rng& rng) { return Next(rng, items_); }

uint64_t ZipfianGenerator::Next(core::Rng& rng, uint64_t items) {
  if (items > items_) {  // YCSB grows incrementally; shrinking is not supported (nor needed).
    zetan_ = Zeta(items_, items, theta_, zetan_);
    items_ = items;
    ComputeEta();
  }
  const double u = rng.NextDouble();
  const double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < half_pow_theta_) return 1;
  const double base = eta_ * u - eta_ + 1;
  if (base <= 0) return 0;
  const uint64_t ret = static_cast<uint64_t>(static_cast<double>(items) * DetPow(base, alpha_));
  return ret < items ? ret : items - 1;
}

double ZipfianGenerator::Probability(uint64_t rank) const {
  return 1.0 / DetPow(static_cast<double>(rank + 1), theta_) / zetan_;
}

bool ParseKeyDistribution(const std::string& name, KeyDistribution* out) {
  for (KeyDistribution d : {KeyDistribution::kUniform, KeyDistribution::kZipfian, KeyDistribution::kZipfianExact,
                            KeyDistribution::kHotspot, KeyDistribution::kLatest, KeyDistribution::kSequential}) {
    if (name == KeyDistributionName(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

const char* KeyDistributionName(KeyDistribution d) {
  switch (d) {
    case KeyDistribution::kUniform: return "uniform";
    case KeyDistribution::kZipfian: return "zipfian";
    case KeyDistribution::kZipfianExact: return "zipfian_exact";
    case KeyDistribution::kHotspot: return "hotspot";
    case KeyDistribution::kLatest: return "latest";
    case KeyDistribution::kSequential: return "sequential";
  }
  return "?";
}

std::unique_ptr<KeyChooser> MakeKeyChooser(const KeyDistributionSpec& spec, uint64_t items) {
  KV_ASSERT(items > 0);
  switch (spec.kind) {
    case KeyDistribution::kUniform: return std::make_unique<UniformChooser>(items);
    case KeyDistribution::kSequential: return std::make_unique<SequentialChooser>(items);
    case KeyDistribution::kZipfian: return std::make_unique<ScrambledZipfianChooser>(items, spec.zipf_theta);
    case KeyDistribution::kZipfianExact: return std::make_unique<ZipfianExactChooser>(items, spec.zipf_theta);
    case KeyDistribution::kHotspot:
      return std::make_unique<HotspotChooser>(items, spec.hot_set_fraction, spec.hot_op_fraction);
    case KeyDistribution::kLatest: return std::make_unique<LatestChooser>(items, spec.zipf_theta);
  }
  KV_ASSERT(false);
  return nullptr;
}

std::string KeyName(uint64_t index) {
  // "k" and the decimal digits, as absl::StrCat("k", index) spells them, without StrCat's
  // generic path: it runs for every operation.
  char buf[1 + 20];  // "k" and at most 20 digits (UINT64_MAX).
  buf[0] = 'k';
  const std::to_chars_result end = std::to_chars(buf + 1, buf + sizeof buf, index);
  KV_ASSERT(end.ec == std::errc());
  return std::string(buf, end.ptr);
}

}  // namespace kvlab::workloads

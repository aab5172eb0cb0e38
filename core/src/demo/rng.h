// demo/rng.h — internal: deterministic random numbers for the demo generator.
//
// Contract: a given seed yields the same sequence on every standard library. std::mt19937_64 is
// fully specified by the standard; its distributions (std::normal_distribution ...) are not, so
// every distribution here is written out by hand.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace needle::demo {

// SplitMix64 finaliser: decorrelates (seed, frame, stream) tuples before they seed an engine.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t frame, std::uint64_t stream) {
  return mix64(mix64(mix64(seed) ^ (frame * 0x2545f4914f6cdd1dULL)) ^ (stream + 0x51ULL));
}

// Independent random streams of one frame, so that e.g. --no-lidar leaves the labels unchanged.
enum class Stream : std::uint64_t { Scene = 1, Lidar, DetectorA, DetectorB, Inject, Invalid };

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : eng_(seed) {}
  Rng(std::uint64_t seed, std::uint64_t frame, Stream s)
      : eng_(stream_seed(seed, frame, static_cast<std::uint64_t>(s))) {}

  std::uint64_t next() { return eng_(); }
  // [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(eng_() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  // Integer in [lo, hi] (inclusive). The 2^-53 granularity bias is irrelevant here.
  int uniform_int(int lo, int hi) {
    const double span = static_cast<double>(hi) - static_cast<double>(lo) + 1.0;
    const int k = lo + static_cast<int>(std::floor(uniform() * span));
    return k > hi ? hi : k;
  }
  bool chance(double p) { return uniform() < p; }
  // Standard normal by the Box-Muller transform (one value cached).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform();
    while (u1 <= 1e-300) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // Normal clamped to mean +- k*sd (object sizes must stay plausible).
  double normal_clamped(double mean, double sd, double k = 2.5) {
    const double v = normal();
    return mean + sd * (v < -k ? -k : (v > k ? k : v));
  }
  // Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }
  // Poisson by Knuth's product method (means here are small).
  int poisson(double mean) {
    const double limit = std::exp(-mean);
    int k = 0;
    double p = uniform();
    while (p > limit && k < 1000) {
      ++k;
      p *= uniform();
    }
    return k;
  }
  // Index drawn with the given (unnormalised, non-negative) weights.
  template <typename Container>
  int pick(const Container& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = uniform() * total;
    int i = 0;
    for (double w : weights) {
      if (x < w) return i;
      x -= w;
      ++i;
    }
    return i - 1;
  }
  // Fisher-Yates with our own bounded integers (std::shuffle's draws are implementation-defined).
  template <typename Vec>
  void shuffle(Vec& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(uniform_int(0, static_cast<int>(i) - 1));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  std::mt19937_64 eng_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace needle::demo

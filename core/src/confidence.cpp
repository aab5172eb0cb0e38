// confidence.cpp — confidence calibration (isotonic precision with a quantile prior) and a small
// ridge-logistic fitter. See needle/confidence.h for the formulas.
#include "needle/confidence.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace needle {

double sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

double logit_clamped(double p, double eps) {
  p = std::clamp(p, eps, 1.0 - eps);
  return std::log(p / (1.0 - p));
}

// ============================================================================================
// ConfidenceMap
// ============================================================================================
ConfidenceMap ConfidenceMap::fit(const std::vector<double>& scores,
                                 const std::vector<std::int8_t>& tp, double prior_strength) {
  ConfidenceMap m;
  m.sorted_.reserve(scores.size());
  for (double s : scores)
    if (std::isfinite(s)) m.sorted_.push_back(s);
  std::sort(m.sorted_.begin(), m.sorted_.end());
  m.probability_ = m.sorted_.empty() || (m.sorted_.front() >= 0.0 && m.sorted_.back() <= 1.0);
  if (tp.size() != scores.size()) return m;

  // Points with a known outcome, ascending score.
  struct Pt {
    double s;
    double y;
  };
  std::vector<Pt> pts;
  pts.reserve(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (tp[i] >= 0 && std::isfinite(scores[i])) pts.push_back({scores[i], tp[i] > 0 ? 1.0 : 0.0});
  if (pts.empty()) return m;
  std::sort(pts.begin(), pts.end(), [](const Pt& a, const Pt& b) { return a.s < b.s; });

  // Pool-adjacent-violators; equal scores start in one block so that ties get one value.
  struct Block {
    double sum_y, n;
    std::size_t begin, end;  // [begin, end) in pts
  };
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < pts.size();) {
    std::size_t j = i;
    double sy = 0;
    while (j < pts.size() && pts[j].s == pts[i].s) sy += pts[j++].y;
    blocks.push_back({sy, static_cast<double>(j - i), i, j});
    while (blocks.size() > 1) {
      Block& b = blocks[blocks.size() - 1];
      Block& a = blocks[blocks.size() - 2];
      if (a.sum_y / a.n < b.sum_y / b.n) break;
      a.sum_y += b.sum_y;
      a.n += b.n;
      a.end = b.end;
      blocks.pop_back();
    }
    i = j;
  }

  double running = 0;
  for (const Block& b : blocks) {
    double prior_sum = 0;
    for (std::size_t k = b.begin; k < b.end; ++k) prior_sum += m.prior(pts[k].s);
    const double v = (b.sum_y + prior_strength * prior_sum / b.n) / (b.n + prior_strength);
    running = std::max(running, v);  // shrinkage can break monotonicity; restore it
    m.knot_score_.push_back(pts[b.begin + (b.end - b.begin) / 2].s);
    m.knot_value_.push_back(std::clamp(running, 0.0, 1.0));
  }
  // Knots with equal scores (a block's median equal to the next's) would divide by zero.
  for (std::size_t k = 1; k < m.knot_score_.size();) {
    if (m.knot_score_[k] <= m.knot_score_[k - 1]) {
      m.knot_value_[k - 1] = std::max(m.knot_value_[k - 1], m.knot_value_[k]);
      m.knot_score_.erase(m.knot_score_.begin() + static_cast<std::ptrdiff_t>(k));
      m.knot_value_.erase(m.knot_value_.begin() + static_cast<std::ptrdiff_t>(k));
    } else {
      ++k;
    }
  }
  return m;
}

double ConfidenceMap::prior(double raw) const {
  if (!std::isfinite(raw)) return 0;
  if (probability_) return std::clamp(raw, 0.0, 1.0);
  const auto lo = std::lower_bound(sorted_.begin(), sorted_.end(), raw);
  const auto hi = std::upper_bound(lo, sorted_.end(), raw);
  const double below = static_cast<double>(lo - sorted_.begin());
  const double equal = static_cast<double>(hi - lo);
  return (below + equal / 2) / static_cast<double>(sorted_.size());
}

double ConfidenceMap::operator()(double raw) const {
  if (knot_score_.empty()) return prior(raw);
  if (!std::isfinite(raw)) return knot_value_.front();
  if (raw <= knot_score_.front()) return knot_value_.front();
  if (raw >= knot_score_.back()) return knot_value_.back();
  const auto it = std::upper_bound(knot_score_.begin(), knot_score_.end(), raw);
  const std::size_t k = static_cast<std::size_t>(it - knot_score_.begin());
  const double t = (raw - knot_score_[k - 1]) / (knot_score_[k] - knot_score_[k - 1]);
  return knot_value_[k - 1] + t * (knot_value_[k] - knot_value_[k - 1]);
}

std::string ConfidenceMap::describe() const {
  char buf[200];
  std::snprintf(buf, sizeof buf, "%zu scores in [%g, %g], prior %s, %zu precision blocks",
                sorted_.size(), sorted_.empty() ? 0.0 : sorted_.front(),
                sorted_.empty() ? 0.0 : sorted_.back(), probability_ ? "raw score" : "quantile",
                knot_score_.size());
  return buf;
}

// ============================================================================================
// Logistic regression
// ============================================================================================
double LogisticModel::logit(const double* x) const {
  double z = 0;
  for (std::size_t k = 0; k < coef.size(); ++k) z += coef[k] * x[k];
  return z;
}

double LogisticModel::predict(const double* x) const {
  return sigmoid(logit(x));
}

namespace {
// Solves A x = b for symmetric positive definite A (n x n, row-major) by Cholesky; false if not
// SPD.
bool solve_spd(std::vector<double> a, std::vector<double> b, std::size_t n,
               std::vector<double>& x) {
  for (std::size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (std::size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (d <= 1e-12) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (std::size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {  // L y = b
    double s = b[i];
    for (std::size_t k = 0; k < i; ++k) s -= a[i * n + k] * b[k];
    b[i] = s / a[i * n + i];
  }
  x.assign(n, 0);
  for (std::size_t ii = n; ii-- > 0;) {  // L^T x = y
    double s = b[ii];
    for (std::size_t k = ii + 1; k < n; ++k) s -= a[k * n + ii] * x[k];
    x[ii] = s / a[ii * n + ii];
  }
  return true;
}
}  // namespace

LogisticModel fit_logistic(const std::vector<double>& x, std::size_t nf,
                           const std::vector<std::uint8_t>& y, const std::vector<double>& ridge,
                           const std::vector<double>& prior_coef, int max_iter) {
  LogisticModel m;
  m.coef.assign(nf, 0.0);
  if (prior_coef.size() == nf) m.coef = prior_coef;
  const std::size_t n = y.size();
  if (nf == 0 || x.size() != n * nf) return m;
  auto prior_of = [&](std::size_t k) { return prior_coef.size() == nf ? prior_coef[k] : 0.0; };
  // Unpenalised coefficients get a tiny ridge so that separable data cannot diverge.
  auto ridge_of = [&](std::size_t k) { return std::max(k < ridge.size() ? ridge[k] : 0.0, 1e-4); };
  // Penalised log-likelihood (to be maximised).
  auto objective = [&](const std::vector<double>& c) {
    double ll = 0;
    for (std::size_t r = 0; r < n; ++r) {
      double z = 0;
      for (std::size_t a = 0; a < nf; ++a) z += c[a] * x[r * nf + a];
      // log sigmoid(z) for y = 1, log sigmoid(-z) for y = 0, computed stably.
      const double t = y[r] ? z : -z;
      ll += t >= 0 ? -std::log1p(std::exp(-t)) : t - std::log1p(std::exp(t));
    }
    for (std::size_t a = 0; a < nf; ++a)
      ll -= 0.5 * ridge_of(a) * (c[a] - prior_of(a)) * (c[a] - prior_of(a));
    return ll;
  };
  std::vector<double> hess(nf * nf), grad(nf), step, trial(nf);
  double current = objective(m.coef);
  for (int it = 0; it < max_iter; ++it) {
    std::fill(hess.begin(), hess.end(), 0.0);
    std::fill(grad.begin(), grad.end(), 0.0);
    for (std::size_t r = 0; r < n; ++r) {
      const double* xr = &x[r * nf];
      const double p = m.predict(xr);
      const double w = std::max(p * (1 - p), 1e-9);
      const double e = (y[r] ? 1.0 : 0.0) - p;
      for (std::size_t a = 0; a < nf; ++a) {
        grad[a] += e * xr[a];
        const double wa = w * xr[a];
        for (std::size_t b = 0; b <= a; ++b) hess[a * nf + b] += wa * xr[b];
      }
    }
    for (std::size_t a = 0; a < nf; ++a) {
      for (std::size_t b = 0; b < a; ++b) hess[b * nf + a] = hess[a * nf + b];
      hess[a * nf + a] += ridge_of(a);
      grad[a] -= ridge_of(a) * (m.coef[a] - prior_of(a));
    }
    if (!solve_spd(hess, grad, nf, step)) break;
    // Damped Newton: halve the step until the objective does not decrease (the full step almost
    // always passes, so this costs one objective evaluation per iteration).
    double t = 1.0, next = current;
    bool improved = false;
    for (int k = 0; k < 20; ++k, t *= 0.5) {
      for (std::size_t a = 0; a < nf; ++a) trial[a] = m.coef[a] + t * step[a];
      next = objective(trial);
      if (next >= current - 1e-12) {
        improved = true;
        break;
      }
    }
    if (!improved) break;
    double change = 0;
    for (std::size_t a = 0; a < nf; ++a) change = std::max(change, std::abs(trial[a] - m.coef[a]));
    m.coef = trial;
    const double gain = next - current;
    current = next;
    if (change < 1e-6 || gain < 1e-9 * (1 + std::abs(current))) break;
  }
  return m;
}

}  // namespace needle

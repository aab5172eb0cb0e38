// shift/stats.cpp — PSI, Kolmogorov-Smirnov and chi-square (needle/shift_stats.h).
#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include "needle/shift_stats.h"

namespace needle {

double psi(const std::vector<double>& p, const std::vector<double>& q) {
  double s = 0;
  for (std::size_t i = 0; i < p.size() && i < q.size(); ++i) {
    const double a = std::max(p[i], kPsiFloor), b = std::max(q[i], kPsiFloor);
    s += (b - a) * std::log(b / a);
  }
  return s;
}

std::vector<double> decile_edges(std::vector<double> t) {
  std::vector<double> e;
  if (t.empty()) return e;
  std::sort(t.begin(), t.end());
  for (int k = 1; k <= 9; ++k) {
    // Linear interpolation between order statistics (the usual "type 7" quantile).
    const double pos = k / 10.0 * double(t.size() - 1);
    const auto i = static_cast<std::size_t>(std::floor(pos));
    const double v = i + 1 < t.size() ? t[i] + (pos - double(i)) * (t[i + 1] - t[i]) : t[i];
    if (e.empty() || v > e.back()) e.push_back(v);
  }
  return e;
}

double psi_numeric(const std::vector<double>& train, const std::vector<double>& prod) {
  if (train.empty() || prod.empty()) return 0;
  const std::vector<double> e = decile_edges(train);
  auto shares = [&](const std::vector<double>& v) {
    std::vector<double> c(e.size() + 1, 0.0);
    for (double x : v)
      c[static_cast<std::size_t>(std::upper_bound(e.begin(), e.end(), x) - e.begin())] += 1;
    for (double& s : c) s /= double(v.size());
    return c;
  };
  return psi(shares(train), shares(prod));
}

double kolmogorov_q(double lambda) {
  if (lambda < 0.2) return 1.0;  // the series converges slowly there; Q(0.2) = 1 - 1e-10
  double s = 0, sign = 1;
  for (int k = 1; k <= 100; ++k) {
    const double term = sign * std::exp(-2.0 * k * k * lambda * lambda);
    s += term;
    if (std::abs(term) < 1e-12 * std::abs(s)) break;
    sign = -sign;
  }
  return std::clamp(2.0 * s, 0.0, 1.0);
}

TestResult ks_two_sample(std::vector<double> a, std::vector<double> b) {
  TestResult r;
  if (a.empty() || b.empty()) return r;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = double(a.size()), nb = double(b.size());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;  // ties advance both CDFs together
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::abs(double(i) / na - double(j) / nb));
  }
  r.statistic = d;
  const double en = std::sqrt(na * nb / (na + nb));
  r.p = kolmogorov_q((en + 0.12 + 0.11 / en) * d);
  return r;
}

namespace {
// ln Gamma by the Lanczos approximation (g = 7, 9 coefficients, accurate to ~1e-15).
double log_gamma(double x) {
  static const double c[9] = {0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
                              771.32342877765313,   -176.61502916214059,   12.507343278686905,
                              -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
  if (x < 0.5) return std::log(std::numbers::pi / std::abs(std::sin(std::numbers::pi * x))) - log_gamma(1 - x);
  x -= 1;
  double a = c[0];
  const double t = x + 7.5;
  for (int i = 1; i < 9; ++i) a += c[i] / (x + i);
  return 0.5 * std::log(2 * std::numbers::pi) + (x + 0.5) * std::log(t) - t + std::log(a);
}
}  // namespace

double chi_square_upper(double x, int df) {
  if (df <= 0) return 1;
  if (x <= 0) return 1;
  const double a = df / 2.0, y = x / 2.0;
  const double lg = log_gamma(a);
  if (y < a + 1) {  // series for P(a, y), then Q = 1 - P
    double sum = 1.0 / a, term = sum;
    for (int n = 1; n < 1000; ++n) {
      term *= y / (a + n);
      sum += term;
      if (std::abs(term) < std::abs(sum) * 1e-15) break;
    }
    return std::clamp(1.0 - sum * std::exp(-y + a * std::log(y) - lg), 0.0, 1.0);
  }
  // Continued fraction for Q(a, y), modified Lentz.
  const double tiny = 1e-300;
  double b = y + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1) < 1e-15) break;
  }
  return std::clamp(std::exp(-y + a * std::log(y) - lg) * h, 0.0, 1.0);
}

TestResult chi_square_2xk(const std::vector<double>& a, const std::vector<double>& b) {
  TestResult r;
  double na = 0, nb = 0;
  for (double v : a) na += v;
  for (double v : b) nb += v;
  if (na <= 0 || nb <= 0) return r;
  const double n = na + nb;
  int k = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double col = a[i] + b[i];
    if (col <= 0) continue;
    ++k;
    const double ea = na * col / n, eb = nb * col / n;
    r.statistic += (a[i] - ea) * (a[i] - ea) / ea + (b[i] - eb) * (b[i] - eb) / eb;
  }
  r.df = std::max(k - 1, 0);
  r.p = r.df > 0 ? chi_square_upper(r.statistic, r.df) : 1.0;
  return r;
}

std::vector<AttributeShift> compare_attributes(const std::vector<AttributeSample>& train,
                                               const std::vector<AttributeSample>& prod) {
  std::vector<AttributeShift> out;
  for (const AttributeSample& t : train) {
    const auto it = std::find_if(prod.begin(), prod.end(), [&](const AttributeSample& p) {
      return p.name == t.name && p.categorical == t.categorical;
    });
    if (it == prod.end()) continue;
    const AttributeSample& p = *it;
    AttributeShift s;
    s.attribute = t.name;
    s.scope = t.scope;
    s.categorical = t.categorical;
    if (t.categorical) {
      s.n_train = t.categories.size();
      s.n_prod = p.categories.size();
      if (!s.n_train || !s.n_prod) continue;
      std::map<std::string, std::size_t> slot;
      for (const auto* v : {&t.categories, &p.categories})
        for (const std::string& c : *v) slot.emplace(c, slot.size());
      std::vector<double> ct(slot.size(), 0), cp(slot.size(), 0);
      for (const std::string& c : t.categories) ct[slot[c]] += 1;
      for (const std::string& c : p.categories) cp[slot[c]] += 1;
      const TestResult r = chi_square_2xk(ct, cp);
      std::vector<double> st(ct), sp(cp);
      for (double& v : st) v /= double(s.n_train);
      for (double& v : sp) v /= double(s.n_prod);
      s.psi = psi(st, sp);
      s.statistic = r.statistic;
      s.p = r.p;
      s.test = "chi2";
    } else {
      s.n_train = t.values.size();
      s.n_prod = p.values.size();
      if (!s.n_train || !s.n_prod) continue;
      const TestResult r = ks_two_sample(t.values, p.values);
      s.psi = psi_numeric(t.values, p.values);
      s.statistic = r.statistic;
      s.p = r.p;
      s.test = "ks";
    }
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const AttributeShift& a, const AttributeShift& b) {
    if (a.psi != b.psi) return a.psi > b.psi;
    return a.statistic > b.statistic;
  });
  return out;
}

}  // namespace needle

// needle/shift_stats.h — how one attribute's distribution in PROD differs from TRAIN's.
//
// Population stability index: PSI = sum over bins of (q - p) ln(q / p), p TRAIN's share of a
// bin, q PROD's; each share is floored at kPsiFloor first (an empty bin would make it infinite).
// Bins: for a numeric attribute, TRAIN's deciles (edges at its 10%, 20%, ... 90% quantiles,
// repeated edges merged, the outer bins open-ended), so every bin holds ~10% of TRAIN; for a
// categorical attribute, one bin per category seen in either set. The usual reading (from credit
// scoring, where PSI comes from): < 0.1 stable, 0.1-0.25 a moderate shift, > 0.25 a major one.
//
// Two-sample test: Kolmogorov-Smirnov for a numeric attribute (statistic D = the largest gap
// between the two empirical CDFs; p from the asymptotic Kolmogorov distribution with Stephens'
// correction lambda = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) D, ne = n1 n2 / (n1 + n2),
// Q(lambda) = 2 sum_k (-1)^(k-1) exp(-2 k^2 lambda^2)); Pearson's chi-square on the 2 x K table of
// counts for a categorical one (statistic X^2, p the upper tail of chi-square with K - 1 degrees
// of freedom, categories empty in both sets left out).
//
// Attributes are ranked worst first: by PSI, then by the test's statistic.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace needle {

// A share is never taken below this in PSI (1e-4: a bin that holds 1 in 10,000 frames).
constexpr double kPsiFloor = 1e-4;

// PSI of two vectors of shares (same length; each sums to 1 or is empty).
double psi(const std::vector<double>& train_shares, const std::vector<double>& prod_shares);
// TRAIN's decile edges (inner edges only, ascending, unique).
std::vector<double> decile_edges(std::vector<double> train);
// PSI of numeric samples on TRAIN's deciles.
double psi_numeric(const std::vector<double>& train, const std::vector<double>& prod);

struct TestResult {
  double statistic = 0;
  double p = 1;
  int df = 0;  // chi-square only
};
// Kolmogorov distribution upper tail Q(lambda).
double kolmogorov_q(double lambda);
TestResult ks_two_sample(std::vector<double> a, std::vector<double> b);
// Upper tail of chi-square with df degrees of freedom at x: Q(df / 2, x / 2), the regularised
// upper incomplete gamma (series below a + 1, continued fraction above).
double chi_square_upper(double x, int df);
// Pearson's chi-square on counts of K categories in two samples (same length).
TestResult chi_square_2xk(const std::vector<double>& a, const std::vector<double>& b);

// One attribute's sample in one dataset.
struct AttributeSample {
  std::string name;
  std::string scope;  // "object", "frame" or "metadata"
  bool categorical = false;
  std::vector<double> values;           // numeric
  std::vector<std::string> categories;  // categorical
};

struct AttributeShift {
  std::string attribute, scope, test;  // test: "ks" or "chi2"
  bool categorical = false;
  double psi = 0, statistic = 0, p = 1;
  std::size_t n_train = 0, n_prod = 0;
};
// The statistics of every attribute present (with at least one value) in both, worst first.
// Attributes are matched by name; one only in TRAIN or only in PROD is left out.
std::vector<AttributeShift> compare_attributes(const std::vector<AttributeSample>& train,
                                               const std::vector<AttributeSample>& prod);

}  // namespace needle

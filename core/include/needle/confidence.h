// needle/confidence.h — calibrated confidence for prediction scores of any range, and the small
// logistic fits the engine learns its detector models with.
//
// Confidence mapping (one map per prediction set, fitted over the whole dataset):
//   1. Prior p0(s): when every score of the set lies in [0,1] the raw score is already a
//      probability-like confidence and is the prior; otherwise (e.g. Point-GNN, scores up to ~140)
//      the prior is the empirical mid-rank quantile of s among all of the set's scores,
//      q(s) = (#{s_j < s} + #{s_j = s}/2) / n, which is scale-free.
//   2. Precision fit: when labels exist, each prediction is marked as a labelled object (it was
//      paired with a label) or not (unmatched); predictions inside DontCare regions and duplicates
//      are left out. Isotonic regression (pool-adjacent-violators) of that indicator on the score
//      gives blocks of non-decreasing precision; each block's value is shrunk towards the prior:
//      v = (tp + k * mean p0) / (n + k), k = 10 pseudo-predictions.
//   3. c(s) is the piecewise-linear interpolation of the block values at the blocks' median
//      scores, constant beyond the first and last block. Monotone non-decreasing in s, in [0,1].
// So c(s) estimates P(a real, labelled object | score) — comparable across sets whatever their
// score scale. Without labels (or fit data) c(s) = p0(s).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace needle {

class ConfidenceMap {
 public:
  ConfidenceMap() = default;  // no data: c(s) = clamp(s, 0, 1)

  // scores: all raw scores of one set over the dataset. tp: empty, or one per score:
  // 1 = labelled object, 0 = unmatched, -1 = leave out of the precision fit.
  static ConfidenceMap fit(const std::vector<double>& scores,
                           const std::vector<std::int8_t>& tp = {}, double prior_strength = 10);

  double operator()(double raw) const;
  double prior(double raw) const;  // p0(s)
  bool probability_scores() const { return probability_; }
  std::size_t blocks() const { return knot_score_.size(); }
  std::string describe() const;  // one line for logs/reports

 private:
  std::vector<double> sorted_;  // all raw scores, ascending (quantile prior)
  bool probability_ = true;
  std::vector<double> knot_score_, knot_value_;
};

// L2-regularised logistic regression fitted by Newton's method (IRLS). Rows of x are feature
// vectors of equal length; y in {0,1}; w optional weights. ridge[k] is the penalty of
// coefficient k (0 = unpenalised, e.g. an intercept). prior_coef[k] is what the penalty pulls
// coefficient k towards (default 0).
struct LogisticModel {
  std::vector<double> coef;
  double predict(const double* x) const;  // P(y = 1 | x)
  double logit(const double* x) const;
};
LogisticModel fit_logistic(const std::vector<double>& x_rowmajor, std::size_t n_features,
                           const std::vector<std::uint8_t>& y, const std::vector<double>& ridge,
                           const std::vector<double>& prior_coef = {}, int max_iter = 25);

// Numerics shared by the scoring code.
double sigmoid(double z);
double logit_clamped(double p, double eps = 1e-6);

}  // namespace needle

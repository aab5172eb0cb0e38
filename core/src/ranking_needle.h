// ranking_needle.h — private to the needle method: what it learns from the dataset before it
// judges any object (ranking_needle_model.cpp) and the evidence it then weighs
// (ranking_needle.cpp).
//
// Everything here is fitted on the dataset being ranked, with robust statistics (medians, MADs,
// regularised logistic fits), on the assumption that most labels are right. Nothing is tuned to
// one detector or one generator: a detector's noise, miss rates and class confusions are what the
// data say, pulled towards generic priors when the data are few.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "needle/calib.h"
#include "needle/confidence.h"
#include "needle/matching.h"
#include "ranking_internal.h"

namespace needle::detail {

// Size groups for the localisation/heading noise models.
constexpr std::size_t kGroups = 2;  // 0 vehicles and everything else, 1 persons/riders
std::size_t size_group(ObjectClass c);

// Centre offsets label - prediction in the label's radial (along the line of sight) and
// tangential directions, metres: sigma(range) = a + b * range, after removing a bias.
struct LocNoise {
  double bias_r = 0, bias_t = 0;
  double a_r = 0.15, b_r = 0.012, a_t = 0.10, b_t = 0.006;
  double eps = 0.05;  // gross-error rate: pairs beyond the Gaussian model
  std::size_t n = 0;
  double sigma_r(double range) const { return a_r + b_r * range; }
  double sigma_t(double range) const { return a_t + b_t * range; }
};

// rotation_y(label) - rotation_y(prediction), wrapped: a wrapped normal around 0, plus the rates
// at which the detector itself flips by 180 degrees or turns by 90.
struct HeadingNoise {
  double sigma = 0.1, f180 = 0.05, f90 = 0.02, eps = 0.05;
  std::size_t n = 0;
};

// log(label / prediction) of l, w, h.
struct SizeNoise {
  std::array<double, 3> bias{0, 0, 0}, sigma{0.1, 0.1, 0.1};
  double eps = 0.05;
  std::size_t n = 0;
};

constexpr std::size_t kMissFeatures = 18;

// Cells of the miss models: class (9) x range bin (10 m, 8 bins) x occlusion (0, 1, 2+) x
// truncated (> 0.1).
constexpr std::size_t kMissCells = 9 * 8 * 3 * 2;
std::size_t miss_cell(const Object& label);

// A logistic model refined per cell: an additive logit correction per cell, from the cell's
// observed rate shrunk towards the model's mean prediction in that cell (20 pseudo-counts). The
// logistic part carries the smooth trends and within-cell context; the cells catch interactions
// it cannot express (e.g. visible objects almost never missed up to some range, then often).
struct CellModel {
  LogisticModel base;
  std::vector<double> offset;  // per cell (empty: none)
  double predict(const Object& o, const double* x) const;
};
CellModel fit_cell_model(const std::vector<double>& x, std::size_t nf,
                         const std::vector<std::uint8_t>& y,
                         const std::vector<std::uint16_t>& cells, const std::vector<double>& ridge,
                         const std::vector<double>& prior, int max_iter);
constexpr std::size_t kRealFeatures = 14;

struct SetModel {
  std::array<LocNoise, kGroups> loc;
  std::array<HeadingNoise, kGroups> heading;
  std::array<SizeNoise, kNumClasses> size;
  // P(the set calls a paired object class p | its label says class L), smoothed.
  std::array<std::array<double, kNumClasses>, kNumClasses> says{};
  std::array<bool, kNumClasses> sees{};  // the set predicts this class or a neighbour at all
  CellModel miss;                        // P(no detection | label features), see miss_features()
  LogisticModel real;  // P(prediction is a labelled object | features), see real_features()
  double base_real = 0.7, mean_miss = 0.3;
  std::size_t n_preds = 0;
};

// The labels' own size distribution per class, per dimension of log(l), log(w), log(h): a
// histogram smoothed by a small kernel and pulled towards a Gaussian prior (robust median/MAD of
// the class, or KITTI's mean size with the class has few labels). Alongside the density p0 of
// correct sizes it keeps p1, the density of sizes with a labelling error: p0 convolved with a
// relative error of 10%..100% either way. Natural outliers of a heavy-tailed class stay
// plausible; sizes outside anything the class shows do not.
constexpr int kSizeBins = 160;
constexpr double kSizeBinWidth = 0.03;  // in log metres (3%)
struct ClassSizePrior {
  bool ok = false;
  std::array<double, 3> mu{}, sigma{};  // Gaussian summary of log l, w, h
  std::size_t n = 0;
  std::array<double, 3> lo{};                              // log size at bin 0
  std::array<std::array<float, kSizeBins>, 3> p0{}, p1{};  // probability mass per bin
  double self_mass = 0;  // what one label adds to its own bin (leave-one-out)
  int bin(std::size_t d, double log_size) const;
};

// Label self-consistency (no prediction needed).
struct LabelModel {
  std::array<ClassSizePrior, kNumClasses> size;
  bool alpha_ok = false;
  double alpha_sigma = 0.01, alpha_eps = 0.01;
  // 2D box vs projected 3D box: through the frame's P2 when calibration is loaded, else through
  // a pinhole camera fitted to the labels' own 2D and 3D boxes (datasets without calib files).
  bool proj_ok = false;     // residual statistics are valid (2D boxes follow the 3D boxes)
  bool pinhole_ok = false;  // the fitted pinhole is usable
  double f = 0, cx = 0, cy = 0, tx = 0, ty = 0, img_w = 0, img_h = 0;
  std::array<double, kGroups> proj_med{}, proj_sigma{}, proj_eps{};
  // Per class (what the check uses): the class's own median residual, pulled towards its group's
  // in proportion to how few labels the class has (a hierarchical normal model: class medians
  // spread around the group's by proj_tau, learned from the classes with many labels); sigma is
  // the predictive spread for one more label of the class (so a class seen once or twice is
  // judged loosely). On real KITTI a pedestrian's 2D box is routinely narrower than its
  // projected 3D box (IoU 0.45-0.6): a pedestrian's normal is learned from pedestrians.
  std::array<double, kNumClasses> proj_cls_med{}, proj_cls_sigma{}, proj_cls_eps{};
  double proj_tau = 0.15;
};

struct Models {
  std::vector<SetModel> sets;
  LabelModel labels;
  // P(no set detects a label | label features, mean frame context, number of sets - 2), fitted
  // over labels that two or more sets could have detected: learns how correlated the sets' misses
  // are instead of assuming it.
  CellModel joint_miss;
  bool joint_ok = false;
  // How much more often two sets both flip a box by ~180 degrees than if their flips were
  // independent, per size group: (joint flips + 1) / (expected joint flips + 1), at least 1.
  // Learned over labels two sets pair with overlap (see fit_flip_dependence); 1 when data are few.
  std::array<double, kGroups> flip_dependence{1.0, 1.0};
};
constexpr std::size_t kJointFeatures = kMissFeatures + 1;
void joint_features(const Object& label, double mean_ctx, std::size_t n_sets, double* x);

// Feature vectors (x must hold kMissFeatures / kRealFeatures doubles).
void miss_features(const Object& label, double ctx, double* x);
void real_features(const Object& pred, double conf, double* x);

// Per (frame, set): which labels the set detected (paired, or overlapped by any prediction), and
// the share of the other labels it missed (frame context of the miss model).
struct DetectState {
  std::vector<std::uint8_t> eligible, detected;  // per label
  std::size_t n_eligible = 0, n_missed = 0;
  double ctx_without(std::size_t label, double fallback) const;
  double ctx_all(double fallback) const;
};
DetectState detect_state(const std::vector<Object>& labels, const SetFrame& sf, const SetModel& sm);
void detect_state(const std::vector<Object>& labels, const SetFrame& sf, const SetModel& sm,
                  DetectState& out);

// ============================================================================================
// Fitting the models chunk by chunk (ranking_needle_model.cpp, ranking_label_model.cpp)
// ============================================================================================
// The models are fitted from statistics gathered over the dataset's frames in two passes (more
// for the labels of a dataset without calibration), each pass visiting every frame once, in
// dataset order, a chunk of frames at a time: pass 1 needs the matches, pass 2 also the
// confidences and what pass 1 fitted (seen classes, the labels' size and alpha models). Every
// sample, stride and sum is the one a single loop over the whole dataset would take, so the
// models do not depend on the chunk size (bit for bit).

// The label models' statistics (see LabelModel).
class LabelModelFit {
 public:
  // Pass 1: sizes per class, alpha residuals, the image extent, frames with calibration.
  void add_pass1(const std::vector<FrameAnnotations>& frames);
  void finish_pass1(LabelModel& lm);  // size priors, alpha model, image extent
  // Pass 2: the projection residuals when every labelled frame has calibration, else the count
  // of labels a pinhole camera could be fitted to.
  void add_pass2(const std::vector<FrameAnnotations>& frames, const LabelModel& lm);
  // A pass over the frames (labels and calibration only) the model still needs before finish:
  // Pinhole (gather the labels the pinhole is fitted to; then fitted) and Projection (the
  // projection residuals through it), or None.
  enum class Extra { None, Pinhole, Projection };
  Extra extra_pass() const;
  void add_extra(const std::vector<FrameAnnotations>& frames, const LabelModel& lm);
  void finish_extra(LabelModel& lm);
  void finish(LabelModel& lm);  // the projection residuals' normals

 private:
  std::array<std::array<std::vector<double>, 3>, kNumClasses> dims_;  // log l, w, h per class
  std::vector<double> alpha_res_;
  double img_w_ = 0, img_h_ = 0;
  std::size_t labelled_ = 0, with_calib_ = 0;
  bool need_pinhole_ = false;  // some labelled frame lacks calibration
  std::size_t candidates_ = 0, candidate_k_ = 0;  // pinhole labels: counted (pass 2), visited
  bool pinhole_done_ = false, residuals_done_ = false;
  std::vector<Object> pinhole_labels_;
  std::array<std::vector<double>, kGroups> res_;
  std::array<std::vector<double>, kNumClasses> res_cls_;
};

// Every model of the needle method (Models), fitted in passes.
class NeedleModelFit {
 public:
  NeedleModelFit(std::size_t n_sets, unsigned threads);
  ~NeedleModelFit();
  NeedleModelFit(const NeedleModelFit&) = delete;
  NeedleModelFit& operator=(const NeedleModelFit&) = delete;
  void add_pass1(const MatchedDataset& md);  // matches of a chunk (no confidences needed)
  void finish_pass1(Models& m);              // seen classes; the labels' pass-1 models
  void add_pass2(const MatchedDataset& md, const Models& m);  // confidences applied
  LabelModelFit& labels();                   // for the labels' extra passes
  void finish(Models& m);                    // everything else

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Label self-consistency residuals. Return false when the check does not apply to the label.
bool alpha_residual(const LabelModel& lm, const Object& label, double* residual, double* sigma);
bool projection_residual(const LabelModel& lm, const Object& label, const Calib* calib,
                         double* one_minus_iou);
// Evidence that the size of `o` is a labelling error for class c: log((1/3) sum_d p1_d / p0_d)
// (one dimension wrong at a time). False when class c has no size model.
// own_label: `o` is one of the labels of class c the density was built from; it is left out
// (an outlier must not be explained by its own bump in the histogram).
bool size_prior_llr(const LabelModel& lm, const Object& o, ObjectClass c, bool own_label,
                    double* llr);
// log p0 of the size of `o` under class c (sum over the three dimensions, per log-metre).
bool size_log_density(const LabelModel& lm, const Object& o, ObjectClass c, bool own_label,
                      double* logp);

// ============================================================================================
// Evidence (ranking_needle.cpp, ranking_needle_unmatched.cpp)
// ============================================================================================
constexpr double kPriorRate = 0.002;  // prior rate of each error type per object
constexpr double kGamma = 0.5;        // discount of each further witness of the same sign
// Floor of a set's P(miss) for an object it could see: no miss is ever certain evidence (a miss
// model saying 0 would make one witness decisive).
constexpr double kMinMissProb = 0.01;

// Where a term of evidence comes from (decides the finding's kind and reason).
enum class Src : std::uint8_t {
  Pair,
  Miss,
  Seen,
  SizePrior,
  ClassSize,
  Alpha,
  Projection,
  External
};

struct Term {
  double llr = 0;
  int set = -1, pred = -1;
  Src src = Src::Pair;
  double aux = 0;  // source-specific number for the reason (P(miss), residual ...; External: index)
};

// Sum of the terms, largest first, each further term of the same sign discounted by kGamma.
// Sorts t.
double combine(std::vector<Term>& t);

struct Ctx {
  const MatchedDataset& md;
  const Models& models;
  const RankOptions& opt;
};

// Every frame of md judged with the fitted models: per frame (of md), its findings in the order
// the evidence found them (invalid_data, labels, unmatched detections), none dropped yet.
std::vector<std::vector<Finding>> judge_frames(const MatchedDataset& md, const Models& models,
                                               const RankOptions& opt);

// Missing labels: unmatched detections clustered across sets (ranking_needle_unmatched.cpp).
void judge_unmatched(const Ctx& c, std::size_t frame, const std::vector<DetectState>& states,
                     std::vector<Finding>& out);

// Witness likelihood ratios (ranking_needle_witness.cpp). u: probability that the detection
// tells nothing about the label (unreliable witness). Results are clamped to +-kMaxWitnessLLR.
constexpr double kMaxWitnessLLR = 8.0;
// One-sided LLR of a standardised excess (chi2 beyond `free`): -log(eps + (1-eps) exp(-excess/2)).
double one_sided(double chi2, double free, double eps);
// Centre offset label - prediction; *offset receives the BEV distance, metres.
double shift_llr(const LocNoise& ln, const Object& label, const Object& pred, double u,
                 double* offset);
double size_llr(const SizeNoise& sn, const Object& label, const Object& pred, double u);
// delta = rotation_y(label) - rotation_y(prediction), wrapped.
double heading_llr(const HeadingNoise& hn, double delta, double u);
// Heading error types (misjudged, 180 flip, +90, -90, any angle): one witness's LLR per type, and
// the label's LLR from several witnesses (per-type discounted sums, then the type mixture once).
constexpr std::size_t kHeadingErrorTypes = 5;
void heading_type_llrs(const HeadingNoise& hn, double delta, double u,
                       std::array<double, kHeadingErrorTypes>& out);
// flip_dependence: Models::flip_dependence of the label's group. For the 180-degree type, each
// further witness counts with its LLR less log(flip_dependence) (the detectors' learned joint
// flip rate) instead of the generic kGamma discount.
double heading_mixture(const std::vector<std::array<double, kHeadingErrorTypes>>& witnesses,
                       double flip_dependence = 0);
// P(a prediction with this confidence is a labelled object); P(the set misses this label).
double p_real(const SetModel& sm, const Object& pred, double conf);
double p_miss(const SetModel& sm, const Object& label, double ctx);

// Robust helpers.
double median_of(std::vector<double>& v);                 // reorders v; 0 for empty
double mad_sigma(std::vector<double>& v, double centre);  // 1.4826 * median |v - centre|
// (hits + prior * strength) / (n + strength), clamped to [lo, hi].
inline double smoothed_rate(std::size_t hits, std::size_t n, double prior, double strength,
                            double lo, double hi) {
  const double r =
      (static_cast<double>(hits) + prior * strength) / (static_cast<double>(n) + strength);
  return r < lo ? lo : r > hi ? hi : r;
}


}  // namespace needle::detail

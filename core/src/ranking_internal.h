// ranking_internal.h — private to the ranking sources: the matched dataset every method starts
// from, the per-method entry points and shared helpers.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "needle/confidence.h"
#include "needle/dataset.h"
#include "needle/findings.h"
#include "needle/matching.h"
#include "needle/ranking.h"

namespace needle::detail {

// Runs f(begin, end) over [0, n) in chunks of `chunk` items on up to `threads` workers
// (0 = hardware concurrency).
void parallel_for(std::size_t n, unsigned threads,
                  const std::function<void(std::size_t, std::size_t)>& f, std::size_t chunk = 64);

// One prediction set in one frame.
struct SetFrame {
  bool usable = false;      // the frame has labels and the set's file is Present or Empty
  FrameMatch match;         // empty unless usable
  std::vector<float> conf;  // calibrated confidence per prediction (also when not usable)
};

// Pass 1 of every method: every (frame, set) matched, each set's confidence map fitted. It may
// hold a chunk of the dataset's frames (the streaming ranking): frame indices f are then local to
// the chunk and `first + f` is the frame's index in the dataset (what witnesses are called with).
struct MatchedDataset {
  const std::vector<FrameAnnotations>* frames = nullptr;
  std::size_t first = 0;  // dataset index of (*frames)[0]
  std::vector<std::string> set_names;
  std::vector<std::vector<SetFrame>> sf;  // [frame][set]
  std::vector<ConfidenceMap> conf_maps;   // per set
  std::size_t n_sets() const { return set_names.size(); }
  const FrameAnnotations& frame(std::size_t f) const { return (*frames)[f]; }
  const std::vector<Object>& preds(std::size_t f, std::size_t s) const {
    return (*frames)[f].preds[s].objects;
  }
};

MatchedDataset match_dataset(const std::vector<FrameAnnotations>& frames,
                             const std::vector<std::string>& set_names, const RankOptions& opt);

// match_dataset in its three steps, so that a dataset can be matched chunk by chunk: the matches
// of frames (first: the dataset index of frames[0]; no confidences yet) ...
MatchedDataset match_frames(const std::vector<FrameAnnotations>& frames, std::size_t first,
                            const std::vector<std::string>& set_names, const RankOptions& opt);
// ... what the confidence maps are fitted from, gathered chunk by chunk in frame order (the raw
// score of every prediction, usable or not, and its outcome in usable frames: 1 paired, 0
// unmatched, -1 neither) ...
struct ConfidenceInputs {
  std::vector<std::vector<double>> scores;      // per set
  std::vector<std::vector<std::int8_t>> tp;     // per set
  void add(const MatchedDataset& md);           // every frame of md, in order
  std::vector<ConfidenceMap> fit();             // per set; empties the inputs
};
// ... and the calibrated confidence of every prediction of md (SetFrame::conf).
void apply_confidence(MatchedDataset& md, const std::vector<ConfidenceMap>& maps, unsigned threads);

// invalid_data findings of one frame (see ranking.h for the scores).
void add_invalid_findings(const FrameAnnotations& ann, std::vector<Finding>& out);

// Per-frame findings -> RankResult: drops findings below min_score, sorts them, scores every
// frame with `frame_score` (called for each frame, also one left without findings), ranks
// (score desc, id asc), drops zero scores, fills the summary.
using FrameScore = std::function<double(std::size_t, const std::vector<Finding>&)>;
RankResult finalize(const std::vector<FrameAnnotations>& frames,
                    std::vector<std::vector<Finding>>&& per_frame, const FrameScore& frame_score,
                    double min_score);

// finalize frame by frame (the streaming ranking keeps only what a ranked frame needs): call
// add_frame for every frame in dataset order, then finish.
class RankBuilder {
 public:
  // Frame f (dataset index) with its findings, as finalize treats it.
  void add_frame(std::size_t f, const FrameAnnotations& ann, std::vector<Finding>&& findings,
                 const FrameScore& frame_score, double min_score);
  // Ranks the frames kept and fills the summary.
  RankResult finish();

 private:
  RankResult r_;
  long n_frames_ = 0, n_findings_ = 0, invalid_frames_ = 0, labelled_ = 0;
};

// Frame id order: numeric ids by value, then others by bytes (same as scan_dataset).
bool frame_id_less(const std::string& a, const std::string& b);

// Wrap an angle to (-pi, pi].
double wrap_angle(double a);

// Object::distance() without std::hypot's care for overflow (hot loops).
inline double range_of(const Object& o) {
  return std::sqrt(o.loc_cam.x * o.loc_cam.x + o.loc_cam.z * o.loc_cam.z);
}

// Two boxes of one object (two detections, or a detection and a lidar cluster): BEV centres within
// 1 m + 3% of the range (a detector's centre noise grows with range) or BEV IoU >= 0.1; without
// 3D boxes, 2D IoU >= 0.5 (the devkit's 2D overlap for pedestrians and cyclists).
constexpr double kNearBaseM = 1.0, kNearPerRangeM = 0.03, kNearMinIouBev = 0.1;
constexpr double kNearMinIou2d = 0.5;
bool near_object(const Object& a, const Object& b);

// Copies the IoUs of a label/prediction pair into a finding; a measure that does not apply (-1)
// stays null.
inline void set_ious(Finding& f, const PairGeometry& g) {
  if (g.iou_2d >= 0) f.iou_2d = g.iou_2d;
  if (g.iou_bev >= 0) f.iou_bev = g.iou_bev;
  if (g.iou_3d >= 0) f.iou_3d = g.iou_3d;
}

// The one way a finding is built: what every finding has (kind, frame, score, reason); the label
// and the prediction it is about are added by for_label / for_prediction, IoUs by set_ious.
inline Finding make_finding(std::string kind, std::string frame, double score,
                            std::string reason = {}) {
  Finding f;
  f.kind = std::move(kind);
  f.frame = std::move(frame);
  f.score = score;
  f.reason = std::move(reason);
  return f;
}
// The label the finding is about: its index in the frame and its class.
inline void for_label(Finding& f, int label, const std::string& cls) {
  f.label = label;
  f.cls = cls;
}
// The prediction the finding is about: its set, index, class and calibrated confidence.
inline void for_prediction(Finding& f, const std::string& set, int pred, const std::string& cls,
                           double confidence) {
  f.prediction_set = set;
  f.prediction = pred;
  f.predicted_class = cls;
  f.confidence = confidence;
}

// Short text helpers for reasons.
std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));

// The needle method over frames in memory: the streaming ranking's passes over one chunk
// (ranking_stream.cpp).
RankResult rank_needle(const std::vector<FrameAnnotations>& frames,
                       const std::vector<std::string>& set_names, const RankOptions& opt);
// Whether opt asks for compare mode; throws std::invalid_argument when its set indices cannot be
// honoured with n_sets prediction sets.
bool check_compare_options(const RankOptions& opt, std::size_t n_sets);
RankResult rank_mistakenness(const MatchedDataset& md, const RankOptions& opt);
RankResult rank_objectlab(const MatchedDataset& md, const RankOptions& opt);
RankResult rank_compare(const MatchedDataset& md, const RankOptions& opt);

}  // namespace needle::detail

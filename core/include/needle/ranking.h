// needle/ranking.h — from annotations to a ranked list of suspicious frames.
// Pure function of its inputs: no I/O, no global state (threads only split the frames).
//
// Frame score (all methods except where noted): noisy-or of the frame's finding scores,
//   score(frame) = 1 - prod_i (1 - s_i),
// i.e. the probability that at least one finding is a real problem when each s_i is read as an
// independent probability. mistakenness uses the max (its published definition) and objectlab
// 1 - quality. Frames are ranked by score descending, ties by frame id ascending (the order of
// the annotations vector, which scan_dataset sorts by id); frames with score 0 are not listed.
//
// invalid_data findings (from FrameAnnotations::problems): a fatal problem of a dataset file
// (label, calib, image, velodyne ...) scores 1.0, a fatal problem of a prediction file 0.5, a
// non-fatal warning (e.g. an unknown class name) 0.3, the warning for a zero-byte label file among
// labelled frames 0.05 (an empty scene is as likely as a failed export). They are added by every
// method.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "needle/dataset.h"
#include "needle/enum_names.h"
#include "needle/findings.h"
#include "needle/frame_source.h"
#include "needle/matching.h"

namespace needle {

enum class RankMethod { Needle, Mistakenness, ObjectLab };
inline constexpr EnumName<RankMethod> kRankMethodTable[] = {
    {RankMethod::Needle, "needle"},
    {RankMethod::Mistakenness, "mistakenness"},
    {RankMethod::ObjectLab, "objectlab"}};
// "needle" | "mistakenness" | "objectlab"; throws std::invalid_argument otherwise.
RankMethod parse_rank_method(const std::string& s);

// A pluggable witness: more evidence about a label from another source (lidar points in the box,
// a second annotator ...). For frame `frame_index` (index into the annotations) and label
// `label_index` it appends terms, each a log-likelihood ratio for a hypothesis of the needle
// method: "spurious", "shift", "size", "heading", "class", "self", or a new name, which becomes a
// hypothesis of its own (same prior) reported with `kind` (default: the name). A source that can
// only tell that something is wrong returns llr >= 0 only. Called from worker threads: must be
// thread-safe and a pure function of data prepared before rank_frames.
struct WitnessTerm {
  std::string hypothesis;
  double llr = 0;
  std::string kind;    // finding kind when this term decides the finding (empty: default)
  std::string reason;  // one line for a person, used when this term decides the finding
};
using LabelWitness = std::function<void(std::size_t frame_index, std::size_t label_index,
                                        std::vector<WitnessTerm>& out)>;

// A pluggable witness of objects that carry no label (lidar clusters ...). For frame
// `frame_index` it appends candidates: a box (rectified camera frame) and the log-likelihood ratio
// that a real object lacks its label there, relative to the needle method's base rate of a missing
// label. The needle method merges a candidate with an unmatched detection at the same place (one
// finding with both witnesses, the candidate's llr one more term); the others become findings of
// `kind` scored sigmoid(log(base rate) + llr). Same thread-safety contract as LabelWitness.
struct ObjectCandidate {
  Object box;
  double llr = 0;
  std::string kind;    // finding kind when no detection is there
  std::string reason;  // one line for a person
};
using ObjectWitness =
    std::function<void(std::size_t frame_index, std::vector<ObjectCandidate>& out)>;

struct RankOptions {
  RankMethod method = RankMethod::Needle;
  // Compare mode: indices of the old and new prediction sets (both >= 0 to enable).
  int compare_old = -1, compare_new = -1;
  unsigned threads = 0;                         // workers over frames; 0 = hardware concurrency
  double min_finding_score = 0.02;              // needle/compare: weaker findings are not reported
  MatchConfig match;                            // association rules (needle, compare, calibration)
  std::vector<LabelWitness> witnesses;          // needle method: extra witnesses (see LabelWitness)
  std::vector<ObjectWitness> object_witnesses;  // needle method: unlabelled objects (see above)
};

struct FrameRank {
  std::size_t frame_index = 0;  // index into the annotations vector
  std::string frame;
  int rank = 0;      // 1-based
  double score = 0;  // [0,1]; for objectlab, 1 - quality so that higher = more suspicious
  std::vector<Finding> findings;  // sorted by score, descending
};

struct RankResult {
  std::vector<FrameRank> frames;        // rank order: score desc, then frame id asc; score > 0 only
  std::map<std::string, long> summary;  // counts ("frames", "findings", "kind:<k>", ...)
};

RankResult rank_frames(const std::vector<FrameAnnotations>& frames,
                       const std::vector<std::string>& pred_set_names, const RankOptions& opt = {});

// ---- Bounded memory: the ranking streamed over chunks of frames ---------------------------------
// Frames a streaming ranking holds at a time: 1,024 demo frames (~13 labels and ~17 predictions
// each) are ~15 MB of parsed annotations and ~5 MB of matches, and plenty for the worker threads
// to share evenly. Measured at 100,000 demo frames (bench/RESULTS.md, #13): peak RSS 341 MB with
// 1,024, 361-409 MB with 2,048, no difference in time.
inline constexpr std::size_t kStreamChunkFrames = 1024;

struct StreamOptions {
  std::size_t chunk_frames = kStreamChunkFrames;  // frames read, matched and judged at a time
  // Called on the ranking's thread after each chunk: phase "loading" (pass 1), "fitting" (pass 2,
  // and the label passes of a dataset without calibration), "scoring" (the last pass); done and
  // total count frames of that pass.
  std::function<void(const char* phase, std::size_t done, std::size_t total)> progress;
  // When set, the ranking stops after the chunk in hand and returns an empty result.
  const std::atomic<bool>* cancel = nullptr;
};

// rank_frames over the frames of `source`, read chunk by chunk: the same RankResult, bit for bit,
// for every chunk size. The needle method reads the frames three times (pass 1: matches and what
// the confidence maps, seen classes and label models are fitted from; pass 2: the samples and
// rows of the other models; pass 3: every frame judged with the fitted models; one or two more
// passes over the labels when some labelled frame has no calibration) and holds one chunk, the
// models' sufficient statistics (a few numbers per label and prediction for the medians and the
// confidence maps, bounded samples for the rest) and the ranked frames with their findings. A
// source of at most one chunk is read once. The witnesses of opt are called with dataset frame
// indices, as in rank_frames. mistakenness, objectlab and compare mode are not streamed: they
// read every frame (source.load(0, size)) and rank in memory.
// Throws std::invalid_argument for compare indices it cannot honour (as rank_frames), and what
// source.load throws.
RankResult rank_frames_streaming(const FrameSource& source,
                                 const std::vector<std::string>& pred_set_names,
                                 const RankOptions& opt = {}, const StreamOptions& stream = {});

const char* rank_method_name(RankMethod m);

// 1 - prod(1 - s_i) over the findings' scores (0 for none).
double noisy_or(const std::vector<Finding>& findings);

// The published baselines' per-object formulas (exposed for tests and documentation).
namespace baseline {
// FiftyOne mistakenness of a matched label: m = +1 when the classes differ, -1 otherwise;
// (m * c + 1) / 2.
double mistakenness_class(double confidence, bool classes_differ);
// FiftyOne localisation mistakenness: i = (1 - iou) / (1 - 0.5); (c * (2i - 1) + 1) / 2.
double mistakenness_loc(double confidence, double iou);
// cleanlab ObjectLab similarity: alpha * iou + (1 - alpha) * exp(-0.1 * d), alpha = 0.9.
double objectlab_similarity(double iou, double centre_distance);
// softmin pooling: sum_i s_i * softmax(-s / T)_i; 1 for an empty list.
double softmin(const std::vector<double>& s, double temperature = 0.1);
}  // namespace baseline

}  // namespace needle

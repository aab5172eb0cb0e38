// eval_internal.h — the devkit evaluation's compact per-frame data and its two streaming passes,
// shared by eval_stats.cpp (evaluate_kitti, evaluate_kitti_dataset) and partial_eval.cpp (the
// partial files of sharded runs). Internal to core.
//
// A PreparedChunk is a run of frames reduced to what the devkit's matching needs, per class:
// ground truth (its alpha and the difficulties it counts for), detections (score, alpha, the
// devkit's ignore flag per difficulty), the overlaps above the class's minimum (per metric) and
// the DontCare flags. Chunks are independent of each other: the evaluation is the same whatever
// the chunk boundaries, as long as the chunks come in frame order.
//
// The passes (Accumulator): pass 1 over every chunk collects the evaluation flags, the ground
// truth counts and the TP scores of the highest-score matching pass per class, metric and
// difficulty; start_pass2 turns them into the score thresholds; pass 2 over every chunk again,
// in the same order, accumulates the per-threshold TP/FP counts and orientation similarities (sums
// formed in frame order, as the devkit forms them).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cache_file.h"
#include "needle/eval.h"

namespace needle::eval_detail {

struct GtRec {
  double alpha;
  std::uint8_t counts;  // bit d set: counts for recall at difficulty d (devkit ignored_gt == 0)
};

struct DetRec {
  double score;
  double alpha;
  std::array<std::int8_t, kEvalDifficulties>
      ignore;  // devkit ignored_det: -1 other, 0 valid, 1 ignored
};

struct FrameRec {
  std::uint32_t gt0, ngt, det0, ndet;
};

// A detection overlapping a ground truth by more than the class's minimum overlap.
struct Candidate {
  std::uint32_t det;  // index within the frame
  double overlap;
};

// Everything one class needs from a contiguous run of frames. Ground truth: the class's and its
// neighbour class's, in file order. Detections: those of the class plus every detection short
// enough to be ignored at some difficulty (the devkit lets those match ground truth of any
// class), in file order. Overlaps are kept only where they exceed the minimum overlap: as a
// candidate list per ground truth, in detection order (the devkit's tie-breaking follows it).
struct Block {
  std::vector<FrameRec> frames;  // frames with ground truth or detections for the class only
  std::vector<GtRec> gts;
  std::vector<DetRec> dets;
  // Per metric: candidates of gts[i] are cands[m][cand0[m][i] .. cand0[m][i + 1]).
  std::array<std::vector<std::uint32_t>, kEvalMetrics> cand0;
  std::array<std::vector<Candidate>, kEvalMetrics> cands;
  // Per metric and detection: overlaps some DontCare region by more than the minimum overlap.
  std::array<std::vector<std::uint8_t>, kEvalMetrics> in_dontcare;
  std::array<int, kEvalDifficulties> n_gt{};
};

// The devkit's dataset-wide flags: which classes have labels or detections, which metrics a
// detection qualifies for, and whether alpha is given (AOS).
struct Flags {
  std::array<bool, kEvalClasses> label{}, pred{}, q2d{}, qbev{}, q3d{};
  bool any_pred = false, alpha_missing = false;
  void merge(const Flags& o);
};

// A run of frames prepared for the devkit: per class, blocks of up to kBlockFrames frames.
struct PreparedChunk {
  std::size_t frames = 0;
  Flags flags;
  std::array<std::vector<Block>, kEvalClasses> blocks;
  std::size_t bytes() const;  // heap bytes held (for memory budgets)
};

// Frames per block: the unit of parallel preparation.
inline constexpr std::size_t kBlockFrames = 256;

// Prepares `frames` (all three classes, all three metrics) with up to `threads` threads.
PreparedChunk prepare_chunk(const std::vector<EvalFrameInput>& frames, unsigned threads);

// Byte codec of a prepared chunk (partial files); read returns false on a short or corrupt one.
void write_chunk(cache_file::Writer& w, const PreparedChunk& c);
bool read_chunk(cache_file::Reader& r, PreparedChunk& c);

class Accumulator {
 public:
  explicit Accumulator(unsigned threads);
  void pass1(const PreparedChunk& c);
  void start_pass2();
  void pass2(const PreparedChunk& c);
  EvalReport report() const;

 private:
  struct Counts {
    long tp = 0, fp = 0;
    double similarity = 0;
  };
  static constexpr std::size_t kTasks =
      static_cast<std::size_t>(kEvalClasses) * kEvalMetrics * kEvalDifficulties;
  static std::size_t task(int c, int m, int d) {
    return static_cast<std::size_t>((c * kEvalMetrics + m) * kEvalDifficulties + d);
  }
  bool runs(int c, int m) const;
  unsigned threads_;
  std::size_t frames_ = 0;
  Flags flags_;
  std::array<std::array<int, kEvalDifficulties>, kEvalClasses> n_gt_{};
  std::array<std::vector<double>, kTasks> tp_scores_;                // pass 1
  std::array<std::vector<double>, kTasks> thresholds_;               // start_pass2
  std::array<std::array<Counts, kEvalRecallPoints>, kTasks> acc_{};  // pass 2
  bool aos_ = false;
};

}  // namespace needle::eval_detail

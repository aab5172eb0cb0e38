// eval_subset.cpp — restricted evaluations for slices (needle/eval.h: prepare_eval,
// evaluate_subset): the devkit's overlaps of one metric computed once, then any restriction of
// the labels (ignored, as if occluded 3) and detections (removed) evaluated with the devkit's
// matching passes, score thresholds and curves.
//
// Index
//   [SECTION] Devkit constants and object kinds
//   [SECTION] Preparation: one Block per (frame chunk, class)
//   [SECTION] Matching passes
//   [SECTION] Prepared evaluation and subsets (slices)
//
// This file keeps its own copy of the devkit matching of eval_stats.cpp, extended with the masks
// and per-frame detail a slice needs; both follow the same devkit rules and the test "slice AP
// equals needle eval on the edited dataset" holds them to each other.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>

#include "needle/eval.h"
#include "needle/iou.h"

namespace needle {

// ============================================================================================
// [SECTION] Devkit constants and object kinds
// ============================================================================================
namespace {

constexpr double kNoDetection = -10000000.0;  // devkit's "nothing matched" score sentinel
constexpr int kMinHeight[kEvalDifficulties] = {40, 25, 25};  // px
constexpr int kMaxOcclusion[kEvalDifficulties] = {0, 1, 2};
constexpr double kMaxTruncation[kEvalDifficulties] = {0.15, 0.3, 0.5};
constexpr double kMinOverlap[kEvalClasses] = {0.7, 0.5, 0.5};  // same for 2D, BEV and 3D
constexpr double kNotGiven = -1000;  // devkit marker for an absent 3D location coordinate

enum Kind : std::uint8_t { kCar, kPedestrian, kCyclist, kVan, kPersonSitting, kDontCare, kOther };

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// The devkit compares the type text with strcasecmp, so "car" is a Car.
Kind kind_of(const std::string& type) {
  if (iequals(type, "car")) return kCar;
  if (iequals(type, "pedestrian")) return kPedestrian;
  if (iequals(type, "cyclist")) return kCyclist;
  if (iequals(type, "van")) return kVan;
  if (iequals(type, "person_sitting")) return kPersonSitting;
  if (iequals(type, "dontcare")) return kDontCare;
  return kOther;
}

// Ground truth of the neighbour class: ignored for class c (neither TP nor FN).
bool is_neighbour(Kind k, int c) {
  return (c == kCar && k == kVan) || (c == kPedestrian && k == kPersonSitting);
}

// The devkit stores |y1 - y2| in an int32 (truncation toward zero) before comparing with the
// minimum height. NaN behaves like x86's conversion result (INT_MIN): too short.
int det_height_px(const Box2D& b) {
  const double h = std::fabs(b.y1 - b.y2);
  if (std::isnan(h)) return std::numeric_limits<int>::min();
  if (h >= 2147483647.0) return std::numeric_limits<int>::max();
  return static_cast<int>(h);
}

// Devkit difficulty filter for ground truth (2D box height, occlusion, truncation).
bool gt_passes(const Object& o, int d) {
  const double height = o.box2d.y2 - o.box2d.y1;
  return !(o.occluded > kMaxOcclusion[d] || o.truncated > kMaxTruncation[d] ||
           height <= kMinHeight[d]);
}


// Footprint intersection on the camera x-z plane. The devkit's BEV needs only l and w; our
// bev_intersection_area also wants h > 0, so give a height-less box a unit height.
double footprint_intersection(const Object& a, const Object& b) {
  if (!(a.l > 0 && a.w > 0 && b.l > 0 && b.w > 0)) return 0;
  if (a.h > 0 && b.h > 0) return bev_intersection_area(a, b);
  Object a1 = a, b1 = b;
  a1.h = 1;
  b1.h = 1;
  return bev_intersection_area(a1, b1);
}

// Volume overlap along camera y: boxes span [y - h, y] (y points down).
double y_overlap(const Object& a, const Object& b) {
  const double ymax = std::min(a.loc_cam.y, b.loc_cam.y);
  const double ymin = std::max(a.loc_cam.y - a.h, b.loc_cam.y - b.h);
  return std::max(0.0, ymax - ymin);
}

}  // namespace


// ============================================================================================
// [SECTION] Preparation: one Block per (frame chunk, class)
// ============================================================================================
namespace {

struct GtRec {
  double alpha;
  std::uint8_t counts;  // bit d set: counts for recall at difficulty d (devkit ignored_gt == 0)
  bool own = false;     // of exactly the block's class (not the neighbour class)
  std::uint32_t id = 0;  // flat label index over the inputs (EvalSubset::label_keep)
};

struct DetRec {
  double score;
  double alpha;
  std::array<std::int8_t, kEvalDifficulties>
      ignore;  // devkit ignored_det: -1 other, 0 valid, 1 ignored
  bool own = false;      // of the block's class
  std::uint32_t id = 0;  // flat detection index over the inputs (EvalSubset::pred_keep)
};

struct FrameRec {
  std::uint32_t gt0, ngt, det0, ndet;
  std::uint32_t input = 0;  // index of the frame in the inputs
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

struct Flags {
  std::array<bool, kEvalClasses> label{}, pred{}, q2d{}, qbev{}, q3d{};
  bool any_pred = false, alpha_missing = false;
};

// Per (detection, ground truth) overlaps in the three metrics, following the devkit's
// boxoverlap(detection, ground truth) with criterion -1 (IoU).
std::array<double, kEvalMetrics> pair_overlaps(const Object& det, const Object& gt, bool bev3d) {
  std::array<double, kEvalMetrics> o{iou_2d(det.box2d, gt.box2d), 0, 0};
  if (!bev3d) return o;
  const double inter = footprint_intersection(det, gt);
  if (inter <= 0) return o;
  o[1] = inter / (det.l * det.w + gt.l * gt.w - inter);
  const double inter_vol = inter * y_overlap(det, gt);
  const double uni = det.h * det.l * det.w + gt.h * gt.l * gt.w - inter_vol;
  o[2] = uni > 0 ? inter_vol / uni : 0;
  return o;
}

// Criterion 0: intersection over the detection's own area (2D, BEV) or volume (3D).
std::array<double, kEvalMetrics> dontcare_overlaps(const Object& det, const Object& area,
                                                   bool bev3d) {
  std::array<double, kEvalMetrics> o{overlap_2d_over_a(det.box2d, area.box2d), 0, 0};
  if (!bev3d) return o;
  // A DontCare line's 3D box is normally invalid (-1 sizes, -1000 location): no overlap.
  const double inter = footprint_intersection(det, area);
  if (inter <= 0) return o;
  o[1] = inter / (det.l * det.w);
  const double vol = det.h * det.l * det.w;
  o[2] = vol > 0 ? inter * y_overlap(det, area) / vol : 0;
  return o;
}

// Flat index of each frame's first label and first detection over the inputs (size frames + 1).
struct FlatBases {
  std::vector<std::uint32_t> label, pred;
};

FlatBases flat_bases(const std::vector<EvalFrameInput>& frames) {
  FlatBases fb;
  fb.label.assign(frames.size() + 1, 0);
  fb.pred.assign(frames.size() + 1, 0);
  for (std::size_t f = 0; f < frames.size(); ++f) {
    fb.label[f + 1] =
        fb.label[f] + static_cast<std::uint32_t>(frames[f].labels ? frames[f].labels->size() : 0);
    fb.pred[f + 1] =
        fb.pred[f] + static_cast<std::uint32_t>(frames[f].preds ? frames[f].preds->size() : 0);
  }
  return fb;
}

void prepare_block(const std::vector<EvalFrameInput>& frames, const FlatBases& fb,
                   std::size_t begin, std::size_t end, int c, bool bev3d, Block& b) {
  static const std::vector<Object> kNone;
  const double min_ov = kMinOverlap[c];
  const std::size_t n_metrics = bev3d ? kEvalMetrics : 1;
  std::vector<const Object*> g, d, dc;
  for (std::size_t f = begin; f < end; ++f) {
    g.clear();
    d.clear();
    dc.clear();
    const std::vector<Object>& labels = frames[f].labels ? *frames[f].labels : kNone;
    const std::vector<Object>& preds = frames[f].preds ? *frames[f].preds : kNone;
    for (const Object& o : labels) {
      const Kind k = kind_of(o.type);
      if (k == c || is_neighbour(k, c)) g.push_back(&o);
      if (k == kDontCare) dc.push_back(&o);
    }
    for (const Object& o : preds)
      if (kind_of(o.type) == c || det_height_px(o.box2d) < kMinHeight[0]) d.push_back(&o);
    if (g.empty() && d.empty()) continue;

    b.frames.push_back(
        {static_cast<std::uint32_t>(b.gts.size()), static_cast<std::uint32_t>(g.size()),
         static_cast<std::uint32_t>(b.dets.size()), static_cast<std::uint32_t>(d.size()),
         static_cast<std::uint32_t>(f)});
    for (const Object* o : g) {
      GtRec r{o->alpha, 0};
      r.own = kind_of(o->type) == c;
      r.id = fb.label[f] + static_cast<std::uint32_t>(o - labels.data());
      if (r.own)
        for (int k = 0; k < kEvalDifficulties; ++k)
          if (gt_passes(*o, k)) {
            r.counts = static_cast<std::uint8_t>(r.counts | (1u << k));
            ++b.n_gt[static_cast<std::size_t>(k)];
          }
      b.gts.push_back(r);
      for (std::size_t m = 0; m < n_metrics; ++m)
        b.cand0[m].push_back(static_cast<std::uint32_t>(b.cands[m].size()));
      for (std::size_t j = 0; j < d.size(); ++j) {
        const std::array<double, kEvalMetrics> ov = pair_overlaps(*d[j], *o, bev3d);
        for (std::size_t m = 0; m < n_metrics; ++m)
          if (ov[m] > min_ov) b.cands[m].push_back({static_cast<std::uint32_t>(j), ov[m]});
      }
    }
    for (const Object* o : d) {
      DetRec r{o->score.value_or(0.0), o->alpha, {}};
      const bool own = kind_of(o->type) == c;
      r.own = own;
      r.id = fb.pred[f] + static_cast<std::uint32_t>(o - preds.data());
      const int h = det_height_px(o->box2d);
      for (int k = 0; k < kEvalDifficulties; ++k)
        r.ignore[static_cast<std::size_t>(k)] =
            static_cast<std::int8_t>(h < kMinHeight[k] ? 1 : (own ? 0 : -1));
      b.dets.push_back(r);
      std::array<bool, kEvalMetrics> stuff{};
      for (const Object* area : dc) {
        const std::array<double, kEvalMetrics> ov = dontcare_overlaps(*o, *area, bev3d);
        for (std::size_t m = 0; m < n_metrics; ++m) stuff[m] = stuff[m] || ov[m] > min_ov;
      }
      for (std::size_t m = 0; m < n_metrics; ++m) b.in_dontcare[m].push_back(stuff[m] ? 1 : 0);
    }
  }
  for (std::size_t m = 0; m < n_metrics; ++m)
    b.cand0[m].push_back(static_cast<std::uint32_t>(b.cands[m].size()));
}

// ============================================================================================
// [SECTION] Matching passes
// ============================================================================================

struct Counts {
  long tp = 0, fp = 0;
  double similarity = 0;  // sum of orientation similarities; -1: frame had neither TP nor FP
};

// Pass 1 (devkit computeStatistics with compute_fp = false): each ground truth takes the
// highest-scoring unassigned candidate; the TP scores (counted ground truth, valid detection)
// are appended to `out`.
// Records of a block: its own, or a subset's masked copy (evaluate_subset).
struct Recs {
  const std::vector<GtRec>* gts;
  const std::vector<DetRec>* dets;
  const std::array<int, kEvalDifficulties>* n_gt;
};


void tp_scores_pass(const Block& b, const Recs& r, int d, int m,
                    std::vector<std::uint8_t>& assigned, std::vector<double>& out) {
  const std::size_t di = static_cast<std::size_t>(d), mi = static_cast<std::size_t>(m);
  const std::uint32_t* cand0 = b.cand0[mi].data();
  const Candidate* cands = b.cands[mi].data();
  for (const FrameRec& fr : b.frames) {
    if (fr.ngt == 0 || fr.ndet == 0) continue;
    assigned.assign(fr.ndet, 0);
    const DetRec* dets = r.dets->data() + fr.det0;
    for (std::uint32_t g = fr.gt0; g < fr.gt0 + fr.ngt; ++g) {
      int best = -1;
      double best_score = kNoDetection;
      for (std::uint32_t k = cand0[g]; k < cand0[g + 1]; ++k) {
        const std::uint32_t j = cands[k].det;
        if (dets[j].ignore[di] == -1 || assigned[j]) continue;
        if (dets[j].score > best_score) {
          best = static_cast<int>(j);
          best_score = dets[j].score;
        }
      }
      if (best_score == kNoDetection) continue;
      const bool counts = ((*r.gts)[g].counts >> d) & 1u;
      const std::size_t bj = static_cast<std::size_t>(best);
      if (counts && dets[bj].ignore[di] == 0) out.push_back(dets[bj].score);
      assigned[bj] = 1;
    }
  }
}

// Pass 2 (compute_fp = true) for one frame at one threshold: each ground truth takes the
// candidate of largest overlap among valid detections, or else the first ignored one.
Counts frame_counts(const Block& b, const Recs& r, const FrameRec& fr, int d, int m, double thr,
                    bool aos, std::vector<std::uint8_t>& assigned) {
  Counts s;
  const std::size_t di = static_cast<std::size_t>(d), mi = static_cast<std::size_t>(m);
  const std::uint32_t* cand0 = b.cand0[mi].data();
  const Candidate* cands = b.cands[mi].data();
  const DetRec* dets = r.dets->data() + fr.det0;
  assigned.assign(fr.ndet, 0);
  for (std::uint32_t g = fr.gt0; g < fr.gt0 + fr.ngt; ++g) {
    int pick = -1;
    double max_ov = 0;
    bool picked_ignored = false;
    for (std::uint32_t k = cand0[g]; k < cand0[g + 1]; ++k) {
      const std::uint32_t j = cands[k].det;
      const int ig = dets[j].ignore[di];
      if (ig == -1 || assigned[j] || dets[j].score < thr) continue;
      const double o = cands[k].overlap;
      if ((o > max_ov || picked_ignored) && ig == 0) {
        max_ov = o;
        pick = static_cast<int>(j);
        picked_ignored = false;
      } else if (pick < 0 && ig == 1) {
        pick = static_cast<int>(j);
        picked_ignored = true;
      }
    }
    if (pick < 0) continue;  // a FN when counted; FNs do not enter precision
    const std::size_t pj = static_cast<std::size_t>(pick);
    assigned[pj] = 1;
    const GtRec& gt = (*r.gts)[g];
    if (!((gt.counts >> d) & 1u) || dets[pj].ignore[di] == 1) continue;
    ++s.tp;
    if (aos) s.similarity += (1.0 + std::cos(gt.alpha - dets[pj].alpha)) / 2.0;
  }
  const std::uint8_t* stuff = b.in_dontcare[mi].data() + fr.det0;
  for (std::uint32_t j = 0; j < fr.ndet; ++j) {
    if (assigned[j] || dets[j].ignore[di] != 0 || dets[j].score < thr) continue;
    if (!stuff[j]) ++s.fp;  // inside a DontCare region: not a false positive
  }
  if (aos && s.tp == 0 && s.fp == 0) s.similarity = -1;
  return s;
}

struct Task {
  int c, d, m;
};

struct TaskResult {
  RecallCurve precision{}, aos{};
  // Detail (evaluate_subset): the thresholds, and per frame its counted ground truth and its
  // TP/FP at each threshold and at the operating score.
  std::vector<double> thresholds;
  int n_gt = 0;
  std::vector<EvalFrameCounts> frames;
  long tp_op = 0, fp_op = 0;
};

TaskResult run_task(const std::vector<Block>& blocks, const std::vector<Recs>& recs,
                    const Task& t, bool aos, bool detail = false,
                    std::optional<double> op = std::nullopt) {
  const std::size_t di = static_cast<std::size_t>(t.d);
  std::vector<std::uint8_t> assigned;
  std::vector<double> v;
  int n_gt = 0;
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    n_gt += (*recs[bi].n_gt)[di];
    tp_scores_pass(blocks[bi], recs[bi], t.d, t.m, assigned, v);
  }
  const std::vector<double> thr = kitti_score_thresholds(std::move(v), n_gt);
  const std::size_t nt = std::min<std::size_t>(thr.size(), kEvalRecallPoints);

  TaskResult r;
  std::array<Counts, kEvalRecallPoints> acc{};
  std::vector<double> scores;  // the frame's valid detections' scores, descending
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    const Block& b = blocks[bi];
    const Recs& rc = recs[bi];
    for (const FrameRec& fr : b.frames) {
      // Only valid detections (ignored_det == 0) can be TPs or FPs; a frame without one adds
      // nothing to precision. Statistics depend only on which detections pass the threshold;
      // thresholds do not increase, so that set only grows, and the number of valid detections
      // passing identifies it (ignored ones passing only change FNs, which precision ignores).
      scores.clear();
      const DetRec* dets = rc.dets->data() + fr.det0;
      for (std::uint32_t j = 0; j < fr.ndet; ++j)
        if (dets[j].ignore[di] == 0) scores.push_back(dets[j].score);
      EvalFrameCounts fc;
      if (detail) {
        fc.input = fr.input;
        for (std::uint32_t g = fr.gt0; g < fr.gt0 + fr.ngt; ++g)
          fc.n_gt += ((*rc.gts)[g].counts >> t.d) & 1u;
      }
      if (scores.empty()) {
        if (detail && fc.n_gt > 0) r.frames.push_back(std::move(fc));
        continue;
      }
      std::sort(scores.begin(), scores.end(), std::greater<double>());
      std::size_t passing = 0, prev = 0;
      Counts cur;
      for (std::size_t k = 0; k < nt; ++k) {
        while (passing < scores.size() && !(scores[passing] < thr[k])) ++passing;
        if (passing == 0) continue;
        if (passing != prev) {
          cur = frame_counts(b, rc, fr, t.d, t.m, thr[k], aos, assigned);
          prev = passing;
          if (detail && (fc.steps.empty() || fc.steps.back()[1] != cur.tp ||
                         fc.steps.back()[2] != cur.fp))
            fc.steps.push_back({static_cast<std::int32_t>(k), static_cast<std::int32_t>(cur.tp),
                                static_cast<std::int32_t>(cur.fp)});
        }
        acc[k].tp += cur.tp;
        acc[k].fp += cur.fp;
        if (aos && cur.similarity != -1) acc[k].similarity += cur.similarity;
      }
      if (detail) {
        if (op && !(scores.front() < *op)) {
          const Counts c = frame_counts(b, rc, fr, t.d, t.m, *op, false, assigned);
          fc.tp_op = static_cast<std::int32_t>(c.tp);
          fc.fp_op = static_cast<std::int32_t>(c.fp);
          r.tp_op += c.tp;
          r.fp_op += c.fp;
        }
        r.frames.push_back(std::move(fc));
      }
    }
  }

  for (std::size_t k = 0; k < nt; ++k) {
    const double denom = static_cast<double>(acc[k].tp + acc[k].fp);
    r.precision[k] = static_cast<double>(acc[k].tp) / denom;
    if (aos) r.aos[k] = acc[k].similarity / denom;
  }
  r.precision = kitti_interpolate(r.precision, nt);
  if (aos) r.aos = kitti_interpolate(r.aos, nt);
  if (detail) {
    r.thresholds.assign(thr.begin(), thr.begin() + static_cast<long>(nt));
    r.n_gt = n_gt;
  }
  return r;
}

// Runs fn(i) for i in [0, n) on up to `threads` threads (the caller's included). The first
// exception thrown by fn is rethrown here; if threads cannot be created the ones running share
// the work.
void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    try {
      for (std::size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(n);
    }
  };
  const std::size_t extra = std::min<std::size_t>(threads > 0 ? threads - 1 : 0, n > 0 ? n - 1 : 0);
  std::vector<std::thread> pool;
  pool.reserve(extra);
  try {
    for (std::size_t t = 0; t < extra; ++t) pool.emplace_back(work);
  } catch (const std::system_error&) {
  }
  work();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

// ============================================================================================
// [SECTION] Prepared evaluation and subsets (slices)
// ============================================================================================
class PreparedEval {
 public:
  EvalMetric metric = EvalMetric::Image2D;
  std::array<std::vector<Block>, kEvalClasses> blocks;
  std::size_t n_labels = 0, n_preds = 0;
};

void PreparedEvalDeleter::operator()(PreparedEval* p) const { delete p; }

PreparedEvalPtr prepare_eval(const std::vector<EvalFrameInput>& frames, EvalMetric metric,
                             unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::size_t n_labels = 0, n_preds = 0;
  for (const EvalFrameInput& f : frames) {
    n_labels += f.labels ? f.labels->size() : 0;
    n_preds += f.preds ? f.preds->size() : 0;
  }
  if (n_labels >= std::numeric_limits<std::uint32_t>::max() ||
      n_preds >= std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("too many objects for one evaluation");
  PreparedEvalPtr p(new PreparedEval);
  p->metric = metric;
  p->n_labels = n_labels;
  p->n_preds = n_preds;
  const FlatBases fb = flat_bases(frames);
  const std::size_t chunk = 256;
  const std::size_t n_chunks = (frames.size() + chunk - 1) / chunk;
  for (auto& b : p->blocks) b.resize(n_chunks);
  const bool bev3d = metric != EvalMetric::Image2D;
  parallel_for(kEvalClasses * n_chunks, threads, [&](std::size_t i) {
    const std::size_t c = i / n_chunks, k = i % n_chunks;
    prepare_block(frames, fb, k * chunk, std::min(frames.size(), (k + 1) * chunk),
                  static_cast<int>(c), bev3d, p->blocks[c][k]);
  });
  return p;
}

std::vector<SubsetClassEval> evaluate_subset(const PreparedEval& prepared, const EvalSubset& subset,
                                             const SubsetEvalOptions& opt) {
  const bool mask_labels = !subset.label_keep.empty();
  const bool mask_preds = !subset.pred_keep.empty();
  if ((mask_labels && subset.label_keep.size() != prepared.n_labels) ||
      (mask_preds && subset.pred_keep.size() != prepared.n_preds))
    throw std::invalid_argument("evaluate_subset: keep vectors do not match the inputs");

  // Masked copies of the records (the overlaps are shared).
  struct MaskedBlock {
    std::vector<GtRec> gts;
    std::vector<DetRec> dets;
    std::array<int, kEvalDifficulties> n_gt{};
  };
  std::array<std::vector<MaskedBlock>, kEvalClasses> masked;
  std::array<std::vector<Recs>, kEvalClasses> recs;
  std::vector<SubsetClassEval> out(kEvalClasses);
  for (std::size_t c = 0; c < kEvalClasses; ++c) {
    const std::vector<Block>& bl = prepared.blocks[c];
    SubsetClassEval& ce = out[c];
    ce.cls = static_cast<EvalClass>(c);
    masked[c].resize(bl.size());
    for (std::size_t bi = 0; bi < bl.size(); ++bi) {
      MaskedBlock& mb = masked[c][bi];
      mb.gts = bl[bi].gts;
      mb.dets = bl[bi].dets;
      for (GtRec& g : mb.gts) {
        if (mask_labels && !subset.label_keep[g.id]) g.counts = 0;
        if (g.own && (!mask_labels || subset.label_keep[g.id])) ce.has_labels = true;
        for (std::size_t d = 0; d < kEvalDifficulties; ++d) mb.n_gt[d] += (g.counts >> d) & 1u;
      }
      for (DetRec& dr : mb.dets) {
        if (mask_preds && !subset.pred_keep[dr.id])
          dr.ignore = {-1, -1, -1};
        else if (dr.own)
          ce.has_predictions = true;
      }
      recs[c].push_back({&mb.gts, &mb.dets, &mb.n_gt});
    }
    ce.n_gt = {};
    for (const MaskedBlock& mb : masked[c])
      for (std::size_t d = 0; d < kEvalDifficulties; ++d) ce.n_gt[d] += mb.n_gt[d];
  }

  const int m = static_cast<int>(prepared.metric);
  std::vector<Task> tasks;
  for (int c = 0; c < kEvalClasses; ++c)
    for (int d = 0; d < kEvalDifficulties; ++d)
      if (opt.difficulties[static_cast<std::size_t>(d)]) tasks.push_back({c, d, m});
  std::vector<TaskResult> results(tasks.size());
  parallel_for(tasks.size(), std::max(1u, opt.threads), [&](std::size_t i) {
    const Task& t = tasks[i];
    const std::size_t c = static_cast<std::size_t>(t.c);
    const bool detail = opt.detail && static_cast<int>(*opt.detail) == t.d;
    results[i] = run_task(prepared.blocks[c], recs[c], t, false, detail, opt.operating_score[c]);
  });
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const Task& t = tasks[i];
    SubsetClassEval& ce = out[static_cast<std::size_t>(t.c)];
    const std::size_t di = static_cast<std::size_t>(t.d);
    ce.curve[di] = results[i].precision;
    ce.ap[di] = kitti_ap(results[i].precision);
    if (opt.detail && static_cast<int>(*opt.detail) == t.d) {
      ce.thresholds = std::move(results[i].thresholds);
      ce.frames = std::move(results[i].frames);
      ce.tp_op = results[i].tp_op;
      ce.fp_op = results[i].fp_op;
    }
  }
  return out;
}

}  // namespace needle

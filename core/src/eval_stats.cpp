// eval_stats.cpp — the KITTI devkit evaluation core: per-frame preparation (class/difficulty
// filters, overlaps computed once per class and metric), the two matching passes, score
// thresholds and the precision/AOS curves. See needle/eval.h for the reproduced devkit rules.
//
// Index
//   [SECTION] Devkit constants and object kinds
//   [SECTION] Building blocks (thresholds, interpolation, AP)
//   [SECTION] Preparation: one Block per (frame chunk, class)
//   [SECTION] Matching passes
//   [SECTION] Prepared chunks (eval_internal.h)
//   [SECTION] The two passes (Accumulator)
//   [SECTION] evaluate_kitti
//
// Speed: the devkit recomputes every overlap for each of the 41 thresholds. Here overlaps are
// computed once per (frame, class, metric) and only those above the minimum overlap are kept, as
// per-ground-truth candidate lists. A frame's TP/FP counts at a threshold depend only on which of
// its valid detections pass it, so they are recomputed only when that set grows. Tasks (class x
// difficulty x metric) run in parallel, each over all frames in input order, so every sum is
// formed in the devkit's order whatever the thread count.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <exception>
#include <limits>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>

#include "eval_internal.h"
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

// Devkit per-class "evaluate this metric" flags, raised by a qualifying detection of the class.
bool qualifies_2d(const Object& d) {
  return d.box2d.x1 >= 0;
}
bool qualifies_bev(const Object& d) {
  return d.loc_cam.x != kNotGiven && d.loc_cam.z != kNotGiven && d.w > 0 && d.l > 0;
}
bool qualifies_3d(const Object& d) {
  return qualifies_bev(d) && d.loc_cam.y != kNotGiven && d.h > 0;
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
// [SECTION] Building blocks (thresholds, interpolation, AP)
// ============================================================================================
std::vector<double> kitti_score_thresholds(std::vector<double> tp_scores, int n_gt) {
  std::sort(tp_scores.begin(), tp_scores.end(), std::greater<double>());
  std::vector<double> thresholds;
  const double n = static_cast<double>(n_gt);
  double recall_target = 0;  // the next recall sample point to approximate
  for (std::size_t i = 0; i < tp_scores.size(); ++i) {
    const bool last = i + 1 == tp_scores.size();
    const double recall_here = static_cast<double>(i + 1) / n;
    const double recall_next = last ? recall_here : static_cast<double>(i + 2) / n;
    // Keep the score whose recall is the closer approximation of the target; the last TP score
    // is always kept.
    if (!last && (recall_next - recall_target) < (recall_target - recall_here)) continue;
    thresholds.push_back(tp_scores[i]);
    recall_target += 1.0 / (kEvalRecallPoints - 1.0);
  }
  return thresholds;
}

RecallCurve kitti_interpolate(RecallCurve raw, std::size_t n_thresholds) {
  const std::size_t n = std::min<std::size_t>(n_thresholds, raw.size());
  // max over the values to the right; std::max_element keeps the devkit's handling of NaN.
  for (std::size_t i = 0; i < n; ++i)
    raw[i] = *std::max_element(raw.begin() + static_cast<long>(i), raw.end());
  return raw;
}

ApFigures kitti_ap(const RecallCurve& curve) {
  double s40 = 0, s11 = 0;
  for (int i = 1; i < kEvalRecallPoints; ++i) s40 += curve[static_cast<std::size_t>(i)];
  for (int i = 0; i < kEvalRecallPoints; i += 4) s11 += curve[static_cast<std::size_t>(i)];
  return {s40 / 40.0 * 100.0, s11 / 11.0 * 100.0};
}

// ============================================================================================
// [SECTION] Preparation: one Block per (frame chunk, class)
// ============================================================================================
namespace {

using namespace eval_detail;

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

void prepare_block(const std::vector<EvalFrameInput>& frames, std::size_t begin, std::size_t end,
                   int c, bool bev3d, Block& b) {
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
         static_cast<std::uint32_t>(b.dets.size()), static_cast<std::uint32_t>(d.size())});
    for (const Object* o : g) {
      GtRec r{o->alpha, 0};
      if (kind_of(o->type) == c)
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

struct FrameCounts {
  long tp = 0, fp = 0;
  double similarity = 0;  // sum of orientation similarities; -1: frame had neither TP nor FP
};

// Pass 1 (devkit computeStatistics with compute_fp = false): each ground truth takes the
// highest-scoring unassigned candidate; the TP scores (counted ground truth, valid detection)
// are appended to `out`.
void tp_scores_pass(const Block& b, int d, int m, std::vector<std::uint8_t>& assigned,
                    std::vector<double>& out) {
  const std::size_t di = static_cast<std::size_t>(d), mi = static_cast<std::size_t>(m);
  const std::uint32_t* cand0 = b.cand0[mi].data();
  const Candidate* cands = b.cands[mi].data();
  for (const FrameRec& fr : b.frames) {
    if (fr.ngt == 0 || fr.ndet == 0) continue;
    assigned.assign(fr.ndet, 0);
    const DetRec* dets = b.dets.data() + fr.det0;
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
      const bool counts = (b.gts[g].counts >> d) & 1u;
      const std::size_t bj = static_cast<std::size_t>(best);
      if (counts && dets[bj].ignore[di] == 0) out.push_back(dets[bj].score);
      assigned[bj] = 1;
    }
  }
}

// Pass 2 (compute_fp = true) for one frame at one threshold: each ground truth takes the
// candidate of largest overlap among valid detections, or else the first ignored one.
FrameCounts frame_counts(const Block& b, const FrameRec& fr, int d, int m, double thr, bool aos,
                         std::vector<std::uint8_t>& assigned) {
  FrameCounts s;
  const std::size_t di = static_cast<std::size_t>(d), mi = static_cast<std::size_t>(m);
  const std::uint32_t* cand0 = b.cand0[mi].data();
  const Candidate* cands = b.cands[mi].data();
  const DetRec* dets = b.dets.data() + fr.det0;
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
    const GtRec& gt = b.gts[g];
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

// Pass 2 of one task over a block: the per-threshold counts of every frame, added to `acc` in
// frame order.
template <typename Acc>
void counts_pass(const Block& b, int d, int m, const std::vector<double>& thr, bool aos,
                 std::vector<std::uint8_t>& assigned, std::vector<double>& scores, Acc& acc) {
  const std::size_t di = static_cast<std::size_t>(d);
  const std::size_t nt = std::min<std::size_t>(thr.size(), kEvalRecallPoints);
  for (const FrameRec& fr : b.frames) {
    // Only valid detections (ignored_det == 0) can be TPs or FPs; a frame without one adds
    // nothing to precision. Statistics depend only on which detections pass the threshold;
    // thresholds do not increase, so that set only grows, and the number of valid detections
    // passing identifies it (ignored ones passing only change FNs, which precision ignores).
    scores.clear();
    const DetRec* dets = b.dets.data() + fr.det0;
    for (std::uint32_t j = 0; j < fr.ndet; ++j)
      if (dets[j].ignore[di] == 0) scores.push_back(dets[j].score);
    if (scores.empty()) continue;
    std::sort(scores.begin(), scores.end(), std::greater<double>());
    std::size_t passing = 0, prev = 0;
    FrameCounts cur;
    for (std::size_t k = 0; k < nt; ++k) {
      while (passing < scores.size() && !(scores[passing] < thr[k])) ++passing;
      if (passing == 0) continue;
      if (passing != prev) {
        cur = frame_counts(b, fr, d, m, thr[k], aos, assigned);
        prev = passing;
      }
      acc[k].tp += cur.tp;
      acc[k].fp += cur.fp;
      if (aos && cur.similarity != -1) acc[k].similarity += cur.similarity;
    }
  }
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

unsigned resolve_threads(unsigned threads) {
  return threads ? threads : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

// ============================================================================================
// [SECTION] Prepared chunks (eval_internal.h)
// ============================================================================================
namespace eval_detail {

void Flags::merge(const Flags& o) {
  for (std::size_t c = 0; c < kEvalClasses; ++c) {
    label[c] = label[c] || o.label[c];
    pred[c] = pred[c] || o.pred[c];
    q2d[c] = q2d[c] || o.q2d[c];
    qbev[c] = qbev[c] || o.qbev[c];
    q3d[c] = q3d[c] || o.q3d[c];
  }
  any_pred = any_pred || o.any_pred;
  alpha_missing = alpha_missing || o.alpha_missing;
}

std::size_t PreparedChunk::bytes() const {
  std::size_t n = sizeof *this;
  for (const auto& bs : blocks)
    for (const Block& b : bs) {
      n += sizeof b + b.frames.capacity() * sizeof(FrameRec) + b.gts.capacity() * sizeof(GtRec) +
           b.dets.capacity() * sizeof(DetRec);
      for (std::size_t m = 0; m < kEvalMetrics; ++m)
        n += b.cand0[m].capacity() * sizeof(std::uint32_t) +
             b.cands[m].capacity() * sizeof(Candidate) + b.in_dontcare[m].capacity();
    }
  return n;
}

PreparedChunk prepare_chunk(const std::vector<EvalFrameInput>& frames, unsigned threads) {
  PreparedChunk pc;
  pc.frames = frames.size();
  Flags& fl = pc.flags;
  for (const EvalFrameInput& f : frames) {
    if (f.labels)
      for (const Object& o : *f.labels) {
        const Kind k = kind_of(o.type);
        if (k < kEvalClasses) fl.label[k] = true;
      }
    if (f.preds)
      for (const Object& o : *f.preds) {
        fl.any_pred = true;
        if (o.alpha == -10) fl.alpha_missing = true;
        const Kind k = kind_of(o.type);
        if (k >= kEvalClasses) continue;
        fl.pred[k] = true;
        fl.q2d[k] = fl.q2d[k] || qualifies_2d(o);
        fl.qbev[k] = fl.qbev[k] || qualifies_bev(o);
        fl.q3d[k] = fl.q3d[k] || qualifies_3d(o);
      }
  }
  // Every class with all three metrics: which of them the devkit evaluates is known only once
  // every frame has been seen, and a metric's overlaps do not depend on the others'.
  const std::size_t n_blocks = (frames.size() + kBlockFrames - 1) / kBlockFrames;
  for (auto& bs : pc.blocks) bs.resize(n_blocks);
  parallel_for(n_blocks * kEvalClasses, resolve_threads(threads), [&](std::size_t i) {
    const std::size_t c = i / n_blocks, k = i % n_blocks;
    prepare_block(frames, k * kBlockFrames, std::min(frames.size(), (k + 1) * kBlockFrames),
                  static_cast<int>(c), true, pc.blocks[c][k]);
  });
  return pc;
}

// ---- codec: field by field (no padding bytes in the files) ----------------------------------
namespace {

using cache_file::Reader;
using cache_file::Writer;

template <typename T, typename F>
void write_vec(Writer& w, const std::vector<T>& v, F&& each) {
  w.pod(static_cast<std::uint64_t>(v.size()));
  for (const T& x : v) each(x);
}

// `min_bytes`: the least an element takes in the file (a corrupt count cannot allocate more
// than the record holds).
template <typename T, typename F>
bool read_vec(Reader& r, std::vector<T>& v, std::size_t min_bytes, F&& each) {
  std::uint64_t n = 0;
  if (!r.pod(n) || n > r.remaining() / min_bytes) return false;
  v.resize(static_cast<std::size_t>(n));
  for (T& x : v)
    if (!each(x)) return false;
  return true;
}

// Every index of a decoded block stays inside its arrays (a file that passed its checksum but was
// written by something else must not make the passes read out of bounds).
bool block_consistent(const Block& b) {
  for (std::size_t m = 0; m < kEvalMetrics; ++m) {
    if (b.cand0[m].size() != b.gts.size() + 1 || b.in_dontcare[m].size() != b.dets.size())
      return false;
    if (b.cand0[m].front() != 0 || b.cand0[m].back() != b.cands[m].size()) return false;
    for (std::size_t i = 1; i < b.cand0[m].size(); ++i)
      if (b.cand0[m][i] < b.cand0[m][i - 1]) return false;
  }
  for (const FrameRec& fr : b.frames) {
    if (std::uint64_t{fr.gt0} + fr.ngt > b.gts.size() ||
        std::uint64_t{fr.det0} + fr.ndet > b.dets.size())
      return false;
    for (std::size_t m = 0; m < kEvalMetrics; ++m)
      for (std::uint32_t g = fr.gt0; g < fr.gt0 + fr.ngt; ++g)
        for (std::uint32_t k = b.cand0[m][g]; k < b.cand0[m][g + 1]; ++k)
          if (b.cands[m][k].det >= fr.ndet) return false;
  }
  for (const DetRec& d : b.dets)
    for (std::int8_t i : d.ignore)
      if (i < -1 || i > 1) return false;
  return true;
}

}  // namespace

void write_chunk(Writer& w, const PreparedChunk& c) {
  w.pod(static_cast<std::uint64_t>(c.frames));
  const Flags& f = c.flags;
  for (const auto* a : {&f.label, &f.pred, &f.q2d, &f.qbev, &f.q3d})
    for (bool b : *a) w.pod(static_cast<std::uint8_t>(b));
  w.pod(static_cast<std::uint8_t>(f.any_pred));
  w.pod(static_cast<std::uint8_t>(f.alpha_missing));
  for (const auto& bs : c.blocks) {
    w.pod(static_cast<std::uint64_t>(bs.size()));
    for (const Block& b : bs) {
      write_vec(w, b.frames, [&](const FrameRec& x) {
        w.pod(x.gt0), w.pod(x.ngt), w.pod(x.det0), w.pod(x.ndet);
      });
      write_vec(w, b.gts, [&](const GtRec& x) { w.pod(x.alpha), w.pod(x.counts); });
      write_vec(w, b.dets,
                [&](const DetRec& x) { w.pod(x.score), w.pod(x.alpha), w.pod(x.ignore); });
      for (std::size_t m = 0; m < kEvalMetrics; ++m) {
        write_vec(w, b.cand0[m], [&](std::uint32_t x) { w.pod(x); });
        write_vec(w, b.cands[m], [&](const Candidate& x) { w.pod(x.det), w.pod(x.overlap); });
        write_vec(w, b.in_dontcare[m], [&](std::uint8_t x) { w.pod(x); });
      }
      for (int n : b.n_gt) w.pod(static_cast<std::int32_t>(n));
    }
  }
}

bool read_chunk(Reader& r, PreparedChunk& c) {
  std::uint64_t frames = 0;
  if (!r.pod(frames)) return false;
  c.frames = static_cast<std::size_t>(frames);
  Flags& f = c.flags;
  auto flag = [&](bool& b) {
    std::uint8_t v = 0;
    if (!r.pod(v) || v > 1) return false;
    b = v != 0;
    return true;
  };
  for (auto* a : {&f.label, &f.pred, &f.q2d, &f.qbev, &f.q3d})
    for (bool& b : *a)
      if (!flag(b)) return false;
  if (!flag(f.any_pred) || !flag(f.alpha_missing)) return false;
  for (auto& bs : c.blocks) {
    std::uint64_t n = 0;
    if (!r.pod(n) || n > r.remaining()) return false;
    bs.resize(static_cast<std::size_t>(n));
    for (Block& b : bs) {
      bool ok = read_vec(r, b.frames, 16, [&](FrameRec& x) {
        return r.pod(x.gt0) && r.pod(x.ngt) && r.pod(x.det0) && r.pod(x.ndet);
      });
      ok = ok && read_vec(r, b.gts, 9, [&](GtRec& x) { return r.pod(x.alpha) && r.pod(x.counts); });
      ok = ok && read_vec(r, b.dets, 19, [&](DetRec& x) {
             return r.pod(x.score) && r.pod(x.alpha) && r.pod(x.ignore);
           });
      for (std::size_t m = 0; ok && m < kEvalMetrics; ++m) {
        ok = read_vec(r, b.cand0[m], 4, [&](std::uint32_t& x) { return r.pod(x); }) &&
             read_vec(r, b.cands[m], 12,
                      [&](Candidate& x) { return r.pod(x.det) && r.pod(x.overlap); }) &&
             read_vec(r, b.in_dontcare[m], 1, [&](std::uint8_t& x) { return r.pod(x); });
      }
      for (int& g : b.n_gt) {
        std::int32_t v = 0;
        ok = ok && r.pod(v);
        g = v;
      }
      if (!ok || !block_consistent(b)) return false;
    }
  }
  return true;
}

// ============================================================================================
// [SECTION] The two passes (Accumulator)
// ============================================================================================
Accumulator::Accumulator(unsigned threads) : threads_(resolve_threads(threads)) {}

bool Accumulator::runs(int c, int m) const {
  // The devkit's flags; a class with labels but no detection runs every metric (all zeros) so
  // that it is reported rather than silently dropped.
  const std::size_t ci = static_cast<std::size_t>(c);
  if (!flags_.label[ci] && !flags_.pred[ci]) return false;
  if (!flags_.pred[ci]) return true;
  return m == 0 ? flags_.q2d[ci] : (m == 1 ? flags_.qbev[ci] : flags_.q3d[ci]);
}

void Accumulator::pass1(const PreparedChunk& c) {
  frames_ += c.frames;
  flags_.merge(c.flags);
  for (std::size_t ci = 0; ci < kEvalClasses; ++ci)
    for (const Block& b : c.blocks[ci])
      for (std::size_t d = 0; d < kEvalDifficulties; ++d) n_gt_[ci][d] += b.n_gt[d];
  parallel_for(kTasks, threads_, [&](std::size_t t) {
    const int cls = static_cast<int>(t) / (kEvalMetrics * kEvalDifficulties);
    const int m = (static_cast<int>(t) / kEvalDifficulties) % kEvalMetrics;
    const int d = static_cast<int>(t) % kEvalDifficulties;
    std::vector<std::uint8_t> assigned;
    for (const Block& b : c.blocks[static_cast<std::size_t>(cls)])
      tp_scores_pass(b, d, m, assigned, tp_scores_[t]);
  });
}

void Accumulator::start_pass2() {
  aos_ = flags_.any_pred && !flags_.alpha_missing;
  for (int c = 0; c < kEvalClasses; ++c)
    for (int m = 0; m < kEvalMetrics; ++m)
      for (int d = 0; d < kEvalDifficulties; ++d) {
        const std::size_t t = task(c, m, d);
        if (runs(c, m))
          thresholds_[t] = kitti_score_thresholds(
              std::move(tp_scores_[t]),
              n_gt_[static_cast<std::size_t>(c)][static_cast<std::size_t>(d)]);
        tp_scores_[t] = {};
        tp_scores_[t].shrink_to_fit();
      }
}

void Accumulator::pass2(const PreparedChunk& c) {
  parallel_for(kTasks, threads_, [&](std::size_t t) {
    const int cls = static_cast<int>(t) / (kEvalMetrics * kEvalDifficulties);
    const int m = (static_cast<int>(t) / kEvalDifficulties) % kEvalMetrics;
    const int d = static_cast<int>(t) % kEvalDifficulties;
    if (!runs(cls, m)) return;
    std::vector<std::uint8_t> assigned;
    std::vector<double> scores;
    for (const Block& b : c.blocks[static_cast<std::size_t>(cls)])
      counts_pass(b, d, m, thresholds_[t], aos_ && m == 0, assigned, scores, acc_[t]);
  });
}

EvalReport Accumulator::report() const {
  EvalReport rep;
  rep.frames = frames_;
  rep.aos_computed = aos_;
  for (int c = 0; c < kEvalClasses; ++c) {
    const std::size_t ci = static_cast<std::size_t>(c);
    if (!flags_.label[ci] && !flags_.pred[ci]) continue;
    ClassEval ce;
    ce.cls = static_cast<EvalClass>(c);
    ce.has_labels = flags_.label[ci];
    ce.has_predictions = flags_.pred[ci];
    ce.n_gt = n_gt_[ci];
    ce.box2d.evaluated = runs(c, 0);
    ce.bev.evaluated = runs(c, 1);
    ce.box3d.evaluated = runs(c, 2);
    ce.aos.evaluated = runs(c, 0) && aos_;
    for (int m = 0; m < kEvalMetrics; ++m) {
      if (!runs(c, m)) continue;
      MetricEval& me = m == 0 ? ce.box2d : (m == 1 ? ce.bev : ce.box3d);
      for (int d = 0; d < kEvalDifficulties; ++d) {
        const std::size_t t = task(c, m, d), di = static_cast<std::size_t>(d);
        const std::size_t nt = std::min<std::size_t>(thresholds_[t].size(), kEvalRecallPoints);
        const bool aos = aos_ && m == 0;
        RecallCurve precision{}, similarity{};
        for (std::size_t k = 0; k < nt; ++k) {
          const Counts& a = acc_[t][k];
          const double denom = static_cast<double>(a.tp + a.fp);
          precision[k] = static_cast<double>(a.tp) / denom;
          if (aos) similarity[k] = a.similarity / denom;
        }
        precision = kitti_interpolate(precision, nt);
        me.curve[di] = precision;
        me.ap[di] = kitti_ap(precision);
        if (aos) {
          similarity = kitti_interpolate(similarity, nt);
          ce.aos.curve[di] = similarity;
          ce.aos.ap[di] = kitti_ap(similarity);
        }
      }
    }
    rep.classes.push_back(ce);
  }
  return rep;
}

}  // namespace eval_detail

// ============================================================================================
// [SECTION] evaluate_kitti
// ============================================================================================
EvalReport evaluate_kitti(const std::vector<EvalFrameInput>& frames, const EvalOptions& opt) {
  const PreparedChunk chunk = prepare_chunk(frames, opt.threads);
  Accumulator acc(opt.threads);
  acc.pass1(chunk);
  acc.start_pass2();
  acc.pass2(chunk);
  return acc.report();
}

std::optional<Difficulty> kitti_difficulty(const Object& o) {
  if (o.occluded < 0 || o.truncated < 0) return std::nullopt;
  for (int d = 0; d < kEvalDifficulties; ++d)
    if (gt_passes(o, d)) return static_cast<Difficulty>(d);
  return std::nullopt;
}

}  // namespace needle

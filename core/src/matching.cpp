// matching.cpp — the five association passes of needle/matching.h.
#include "needle/matching.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "needle/iou.h"

namespace needle {

bool neighbour_classes(ObjectClass a, ObjectClass b) {
  auto is = [&](ObjectClass x, ObjectClass y) { return (a == x && b == y) || (a == y && b == x); };
  return is(ObjectClass::Car, ObjectClass::Van) ||
         is(ObjectClass::Pedestrian, ObjectClass::PersonSitting);
}

std::array<double, kNumClasses> MatchConfig::default_min_overlap() {
  std::array<double, kNumClasses> m{};
  m.fill(0.5);
  m[class_index(ObjectClass::Car)] = 0.7;
  m[class_index(ObjectClass::Van)] = 0.7;
  m[class_index(ObjectClass::Truck)] = 0.7;
  m[class_index(ObjectClass::Tram)] = 0.7;
  return m;
}

double MatchConfig::displaced_gate(const Object& label, const Object& pred) const {
  return displaced_size_factor * std::max(label.l, pred.l) + displaced_base +
         displaced_per_metre *
             std::sqrt(label.loc_cam.x * label.loc_cam.x + label.loc_cam.z * label.loc_cam.z);
}

namespace {
// Per-object quantities the pair loop needs, computed once per frame.
struct Prep {
  bool has_3d = false, has_2d = false;
  double radius = 0;  // half the footprint diagonal
  double area = 0, volume = 0;
};
Prep prepare(const Object& o) {
  Prep p;
  p.has_3d = o.has_3d();
  p.has_2d = o.box2d.area() > 0;
  if (p.has_3d) {
    p.radius = std::sqrt(o.l * o.l + o.w * o.w) / 2;
    p.area = o.l * o.w;
    p.volume = p.area * o.h;
  }
  return p;
}

// The KITTI devkit's BEV and 3D IoU from one polygon intersection (iou.h computes it twice).
PairGeometry geometry(const Object& a, const Prep& pa, const Object& b, const Prep& pb) {
  PairGeometry g;
  if (pa.has_2d && pb.has_2d) g.iou_2d = static_cast<float>(iou_2d(a.box2d, b.box2d));
  if (!pa.has_3d || !pb.has_3d) return g;
  const double dx = a.loc_cam.x - b.loc_cam.x, dz = a.loc_cam.z - b.loc_cam.z;
  const double d2 = dx * dx + dz * dz;
  g.centre_distance = static_cast<float>(std::sqrt(d2));
  g.iou_bev = 0;
  g.iou_3d = 0;
  const double reach = pa.radius + pb.radius;
  if (d2 >= reach * reach) return g;  // footprints cannot overlap
  const double inter = bev_intersection_area(a, b);
  if (inter <= 0) return g;
  g.iou_bev = static_cast<float>(inter / (pa.area + pb.area - inter));
  const double ymax = std::min(a.loc_cam.y, b.loc_cam.y),
               ymin = std::max(a.loc_cam.y - a.h, b.loc_cam.y - b.h);
  const double inter_vol = inter * std::max(0.0, ymax - ymin);
  const double uni = pa.volume + pb.volume - inter_vol;
  g.iou_3d = uni > 0 ? static_cast<float>(inter_vol / uni) : 0.0f;
  g.containment = static_cast<float>(inter / std::min(pa.area, pb.area));
  return g;
}
}  // namespace

PairGeometry pair_geometry(const Object& label, const Object& pred) {
  return geometry(label, prepare(label), pred, prepare(pred));
}

double match_overlap(const PairGeometry& g, MatchSpace space) {
  auto val = [](float v) { return v < 0 ? 0.0 : static_cast<double>(v); };
  switch (space) {
    case MatchSpace::Image2D:
      return val(g.iou_2d);
    case MatchSpace::BEV:
      return val(g.iou_bev);
    case MatchSpace::ThreeD:
      return val(g.iou_3d);
    case MatchSpace::Auto:
      break;
  }
  return g.iou_bev >= 0 ? val(g.iou_bev) : val(g.iou_2d);
}

namespace {

// Containment of a pair, counted only for footprints of comparable size (min/max area >=
// min_area_ratio): a pedestrian next to a truck is not "inside" it.
double containment(const PairGeometry& g, const Object& a, const Object& b, double min_area_ratio) {
  if (g.containment <= 0) return 0;
  const double aa = a.l * a.w, ab = b.l * b.w;
  return std::min(aa, ab) >= min_area_ratio * std::max(aa, ab) ? static_cast<double>(g.containment)
                                                               : 0.0;
}

}  // namespace

namespace {

// One frame's association in progress: the passes below fill `m` in turn.
struct Matcher {
  const std::vector<Object>& labels;
  const std::vector<Object>& preds;
  const MatchConfig& cfg;
  FrameMatch& m;
  std::vector<std::size_t> order;  // predictions, descending score, ties by index

  void add_pair(std::size_t i, std::size_t j, PairKind kind, bool displaced) {
    m.label_pair[i] = static_cast<int>(m.pairs.size());
    m.pred_pair[j] = static_cast<int>(m.pairs.size());
    m.pred_fate[j] = PredFate::Paired;
    m.pairs.push_back({static_cast<int>(i), static_cast<int>(j), kind, displaced, m.at(i, j)});
  }
  bool label_free(std::size_t i) const { return !labels[i].is_dontcare() && m.label_pair[i] < 0; }

  // Every (label, prediction) geometry; DontCare labels are regions, not objects.
  void measure() {
    std::vector<Prep> pp(preds.size());
    for (std::size_t j = 0; j < preds.size(); ++j) pp[j] = prepare(preds[j]);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i].is_dontcare()) continue;
      const Prep pl = prepare(labels[i]);
      for (std::size_t j = 0; j < preds.size(); ++j)
        m.geo[i * preds.size() + j] = geometry(labels[i], pl, preds[j], pp[j]);
    }
  }

  void sort_by_score(const std::vector<double>& order_scores) {
    order.resize(preds.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    auto score_of = [&](std::size_t j) {
      if (j < order_scores.size()) return order_scores[j];
      return preds[j].score.value_or(0.0);
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return score_of(a) > score_of(b); });
  }

  // Pass 1: class-aware, greedy by score, per-class minimum overlap.
  void pair_class_aware() {
    for (std::size_t j : order) {
      if (preds[j].is_dontcare()) continue;
      double best = -1;
      std::size_t best_i = 0;
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (!label_free(i) || !compatible_classes(labels[i].cls, preds[j].cls)) continue;
        const double ov = match_overlap(m.at(i, j), cfg.space);
        if (ov >= cfg.min_overlap_for(labels[i].cls) && ov > 0 && ov > best) {
          best = ov;
          best_i = i;
        }
      }
      if (best >= 0) add_pair(best_i, j, PairKind::Matched, false);
    }
  }

  // Pass 2: class-agnostic on the leftovers.
  void pair_class_agnostic() {
    for (std::size_t j : order) {
      if (m.pred_fate[j] != PredFate::Unmatched || preds[j].is_dontcare()) continue;
      double best = -1;
      std::size_t best_i = 0;
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (!label_free(i)) continue;
        const double ov = match_overlap(m.at(i, j), cfg.space);
        const bool ok = (ov >= cfg.agnostic_min_overlap && ov > 0) ||
                        containment(m.at(i, j), labels[i], preds[j],
                                    cfg.containment_min_area_ratio) >= cfg.agnostic_min_containment;
        if (ok && ov > best) {
          best = ov;
          best_i = i;
        }
      }
      if (best >= 0) {
        const bool same = compatible_classes(labels[best_i].cls, preds[j].cls);
        add_pair(best_i, j, same ? PairKind::Loose : PairKind::ClassMismatch, false);
      }
    }
  }

  // Pass 3: DontCare absorption (devkit: 2D overlap over the prediction's own area).
  void absorb_dontcare() {
    for (std::size_t j = 0; j < preds.size(); ++j) {
      if (m.pred_fate[j] != PredFate::Unmatched || preds[j].box2d.area() <= 0) continue;
      for (const Object& dc : labels) {
        if (!dc.is_dontcare() || dc.box2d.area() <= 0) continue;
        if (overlap_2d_over_a(preds[j].box2d, dc.box2d) >= cfg.dontcare_min_overlap) {
          m.pred_fate[j] = PredFate::InDontCare;
          break;
        }
      }
    }
  }

  // Pass 4: displaced pairing, closest (relative to the gate) first.
  void pair_displaced() {
    struct Cand {
      double key;
      std::size_t i, j;
    };
    std::vector<Cand> cands;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (!label_free(i)) continue;
      for (std::size_t j = 0; j < preds.size(); ++j) {
        if (m.pred_fate[j] != PredFate::Unmatched ||
            !compatible_classes(labels[i].cls, preds[j].cls))
          continue;
        const PairGeometry& g = m.at(i, j);
        if (g.centre_distance >= 0) {
          const double gate = cfg.displaced_gate(labels[i], preds[j]);
          if (g.centre_distance <= gate) cands.push_back({g.centre_distance / gate, i, j});
        } else if (g.iou_2d >= cfg.displaced_min_iou_2d) {
          cands.push_back({1.0 - g.iou_2d, i, j});
        }
      }
    }
    std::stable_sort(cands.begin(), cands.end(),
                     [](const Cand& a, const Cand& b) { return a.key < b.key; });
    for (const Cand& c : cands) {
      if (!label_free(c.i) || m.pred_fate[c.j] != PredFate::Unmatched) continue;
      add_pair(c.i, c.j, PairKind::Loose, true);
    }
  }

  // Pass 5: duplicates / alternative hypotheses; and per label its most confident overlapping
  // prediction whatever that prediction's fate.
  void mark_duplicates() {
    m.label_overlap.assign(labels.size(), -1);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (labels[i].is_dontcare()) continue;
      for (std::size_t j : order) {
        const PairGeometry& g = m.at(i, j);
        const bool overlaps = match_overlap(g, cfg.space) >= cfg.duplicate_min_overlap ||
                              g.containment >= cfg.duplicate_min_containment;
        if (!overlaps) continue;
        if (m.label_overlap[i] < 0) m.label_overlap[i] = static_cast<int>(j);
        if (m.pred_fate[j] == PredFate::Unmatched) m.pred_fate[j] = PredFate::Duplicate;
      }
    }
  }
};

}  // namespace

FrameMatch match_frame(const std::vector<Object>& labels, const std::vector<Object>& preds,
                       const std::vector<double>& order_scores, const MatchConfig& cfg) {
  FrameMatch m;
  m.n_labels = labels.size();
  m.n_preds = preds.size();
  m.label_pair.assign(labels.size(), -1);
  m.pred_pair.assign(preds.size(), -1);
  m.pred_fate.assign(preds.size(), PredFate::Unmatched);
  m.geo.resize(labels.size() * preds.size());
  Matcher mt{labels, preds, cfg, m, {}};
  mt.measure();
  mt.sort_by_score(order_scores);
  mt.pair_class_aware();
  mt.pair_class_agnostic();
  mt.absorb_dontcare();
  if (cfg.displaced_pairing) mt.pair_displaced();
  mt.mark_duplicates();
  return m;
}

}  // namespace needle

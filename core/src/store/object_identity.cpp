// Stable object identity: fingerprints and one-to-one re-resolution (see object_identity.h).
#include "needle/object_identity.h"

#include <algorithm>
#include <tuple>

#include "needle/iou.h"

namespace needle {

ObjectFingerprint fingerprint_of(const Object& o) {
  ObjectFingerprint f;
  f.cls = o.type;
  f.box2d = o.box2d;
  f.h = o.h;
  f.w = o.w;
  f.l = o.l;
  f.loc_cam = o.loc_cam;
  f.rotation_y = o.rotation_y;
  return f;
}

Object object_of(const ObjectFingerprint& f) {
  Object o;
  o.type = f.cls;
  o.cls = parse_class(f.cls);
  o.box2d = f.box2d;
  o.h = f.h;
  o.w = f.w;
  o.l = f.l;
  o.loc_cam = f.loc_cam;
  o.rotation_y = f.rotation_y;
  return o;
}

namespace {

// Overlap of a stored object and a current one: 0 across classes; BEV IoU when both have a 3D box
// (a 3D box moved a little keeps its BEV footprint), 2D IoU otherwise.
double identity_overlap(const ObjectFingerprint& f, const Object& stored, const Object& cur) {
  if (f.cls != cur.type) return 0.0;
  if (f.has_3d() && cur.has_3d()) return iou_bev(stored, cur);
  return iou_2d(stored.box2d, cur.box2d);
}

}  // namespace

std::vector<int> resolve_objects(const std::vector<std::optional<ObjectFingerprint>>& stored,
                                 const std::vector<int>& stored_index,
                                 const std::vector<Object>& current, const IdentityConfig& cfg) {
  std::vector<int> out(stored.size(), -1);
  std::vector<bool> taken(current.size(), false);
  // Phase 1: candidate pairs over the threshold, best overlap first; ties prefer an unchanged
  // line index, then the lower indices (deterministic).
  struct Pair {
    double overlap;
    bool same_index;
    std::size_t s, c;
  };
  std::vector<Pair> pairs;
  for (std::size_t s = 0; s < stored.size(); ++s) {
    if (!stored[s]) continue;
    const Object so = object_of(*stored[s]);
    for (std::size_t c = 0; c < current.size(); ++c) {
      const double ov = identity_overlap(*stored[s], so, current[c]);
      if (ov < cfg.min_overlap) continue;
      const bool same = s < stored_index.size() && stored_index[s] == static_cast<int>(c);
      pairs.push_back({ov, same, s, c});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    return std::tie(b.overlap, b.same_index, a.s, a.c) <
           std::tie(a.overlap, a.same_index, b.s, b.c);
  });
  for (const Pair& p : pairs) {
    if (out[p.s] >= 0 || taken[p.c]) continue;
    out[p.s] = static_cast<int>(p.c);
    taken[p.c] = true;
  }
  // Phase 2: references without a fingerprint (schema v1) keep their line index when it exists
  // and no fingerprinted reference claimed it.
  for (std::size_t s = 0; s < stored.size(); ++s) {
    if (stored[s] || s >= stored_index.size()) continue;
    const int i = stored_index[s];
    if (i >= 0 && static_cast<std::size_t>(i) < current.size() &&
        !taken[static_cast<std::size_t>(i)]) {
      out[s] = i;
      taken[static_cast<std::size_t>(i)] = true;
    }
  }
  return out;
}

}  // namespace needle

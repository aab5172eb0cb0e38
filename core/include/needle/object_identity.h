// needle/object_identity.h — stable identity of label and prediction objects across file edits.
//
// A stored reference to an object keeps a fingerprint (class, 3D box, 2D box) of the object as it
// was when the reference was made. When the file has been edited since (lines reordered, one
// removed, a box nudged), resolve_objects() finds each stored object again among the file's
// current objects: same class name and box overlap above a threshold, one-to-one, best overlap
// first. A stored object with no such partner is orphaned (-1): never attached to another object.
// Pure functions of their inputs (no I/O), so the store, the CLI and the viewer agree.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "needle/types.h"

namespace needle {

struct ObjectFingerprint {
  std::string cls;  // class name exactly as in the file
  Box2D box2d;
  double h = 0, w = 0, l = 0;  // metres; <= 0 for 2D-only lines (DontCare)
  Vec3 loc_cam;
  double rotation_y = 0;
  bool has_3d() const { return h > 0 && w > 0 && l > 0; }
};

ObjectFingerprint fingerprint_of(const Object& o);
// The fingerprint as an Object (class, boxes) so that the devkit overlap functions apply.
Object object_of(const ObjectFingerprint& f);

struct IdentityConfig {
  // Minimum overlap for "the same object, moved a little": BEV IoU when both have a 3D box, 2D
  // IoU otherwise. 0.5 is the KITTI devkit's loosest match threshold (Pedestrian/Cyclist); a box
  // moved by a few centimetres keeps an IoU above 0.8, a neighbouring object stays below 0.5.
  double min_overlap = 0.5;
};

// For each stored fingerprint: the index of its object among `current`, or -1 when orphaned.
// `stored_index[i]` (the line index when the reference was made, -1 unknown) breaks ties so that
// two identical boxes keep their order. A fingerprint that is nullopt (a reference from schema
// v1, made before fingerprints existed) resolves by its index alone when that index exists.
std::vector<int> resolve_objects(const std::vector<std::optional<ObjectFingerprint>>& stored,
                                 const std::vector<int>& stored_index,
                                 const std::vector<Object>& current,
                                 const IdentityConfig& cfg = {});

}  // namespace needle

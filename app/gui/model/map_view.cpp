#include "gui/model/map_view.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "gui/model/app_state.h"
#include "gui/model/review_actions.h"

namespace needle::view {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string report(AppState& s, std::string err) {
  if (!err.empty()) s.status_message = err;
  return err;
}

// The view of the open dataset: a view of another dataset is dropped (its job cancelled).
MapView& view_for(AppState& s) {
  MapView& v = s.map;
  if (s.session && v.root != s.session->root) {
    if (v.job) v.job->cancel();
    const bool shown = v.show;
    v = MapView{};
    v.root = s.session->root;
    v.show = shown;
  }
  return v;
}

// Per point: frame index, class, dataset; and the bounds.
void adopt(AppState& s, MapView& v) {
  const DatasetMap& m = *v.built;
  const std::size_t n = m.objects.items.size();
  std::unordered_map<std::string, std::size_t> frame_index;
  const DatasetIndex& ds = *s.session->index;
  for (std::size_t f = 0; f < ds.frames.size(); ++f) frame_index.emplace(ds.frames[f].id, f);
  v.frame_of.assign(n, 0);
  v.class_of.assign(n, static_cast<std::uint8_t>(ObjectClass::Unknown));
  v.dataset_of.assign(n, 0);
  v.finding_of.assign(n, "");
  v.findings_from = nullptr;
  MapBounds b{1e30f, 1e30f, -1e30f, -1e30f};
  for (std::size_t i = 0; i < n; ++i) {
    const SimilarItem& it = m.objects.items[i];
    if (auto f = frame_index.find(it.ref.frame); f != frame_index.end()) v.frame_of[i] = f->second;
    v.class_of[i] = static_cast<std::uint8_t>(parse_class(it.cls));
    const float x = m.map.xy[i * 2], y = m.map.xy[i * 2 + 1];
    b.x0 = std::min(b.x0, x), b.y0 = std::min(b.y0, y);
    b.x1 = std::max(b.x1, x), b.y1 = std::max(b.y1, y);
  }
  if (n == 0) b = MapBounds{};
  if (b.x1 - b.x0 < 1e-6f) b.x0 -= 0.5f, b.x1 += 0.5f;
  if (b.y1 - b.y0 < 1e-6f) b.y0 -= 0.5f, b.y1 += 0.5f;
  v.bounds = b;
  v.view_set = false;
  v.frame_in_selection.assign(ds.frames.size(), 0);
}

// The most suspicious finding's kind of each point, from the ranking shown.
void read_findings(AppState& s, MapView& v) {
  const RankingData* r = s.session->rank();
  if (!r || r == v.findings_from || !v.built) return;
  v.findings_from = r;
  std::fill(v.finding_of.begin(), v.finding_of.end(), std::string());
  // (frame index, source, index) -> point
  std::unordered_map<std::string, std::size_t> point;
  const auto& items = v.built->objects.items;
  for (std::size_t i = 0; i < items.size(); ++i)
    point.emplace(std::to_string(v.frame_of[i]) + "/" + items[i].ref.source + "/" +
                      std::to_string(items[i].ref.index),
                  i);
  for (const FrameRank& fr : r->rank.frames)
    for (const Finding& f : fr.findings) {  // sorted by score: the first per object wins
      std::string key;
      if (f.label >= 0)
        key = std::to_string(fr.frame_index) + "/label/" + std::to_string(f.label);
      else if (f.prediction >= 0)
        key = std::to_string(fr.frame_index) + "/" + f.prediction_set + "/" +
              std::to_string(f.prediction);
      else
        continue;
      const auto p = point.find(key);
      if (p != point.end() && v.finding_of[p->second].empty()) v.finding_of[p->second] = f.kind;
    }
}

void set_selection(MapView& v, std::vector<std::size_t> points, std::string text) {
  const std::vector<float>& rare = v.built->map.rare;
  std::stable_sort(points.begin(), points.end(),
                   [&](std::size_t a, std::size_t b) { return rare[a] > rare[b]; });
  v.selected = std::move(points);
  v.selection_text = std::move(text);
  v.cursor = 0;
  std::fill(v.frame_in_selection.begin(), v.frame_in_selection.end(), 0);
  for (std::size_t i : v.selected)
    if (v.frame_of[i] < v.frame_in_selection.size()) v.frame_in_selection[v.frame_of[i]] = 1;
}

}  // namespace

void map_toggle(AppState& s) {
  if (!s.session || !s.session->index) {
    report(s, "no dataset open");
    return;
  }
  MapView& v = view_for(s);
  v.show = !v.show;
  if (v.show && !v.built && !v.job) {
    MapBuildOptions opt;
    opt.similar.threads = 0;
    v.job = std::make_unique<MapBuildJob>(*s.session->index, opt);
    v.started_s = now_s();
  }
  map_tick(s);
}

void map_tick(AppState& s) {
  if (!s.session) return;
  MapView& v = view_for(s);
  if (v.job && v.job->done()) {
    DatasetMap m = v.job->take();
    v.job.reset();
    if (!m.error.empty()) {
      v.problem = m.error;
      report(s, "map: " + m.error);
    } else {
      v.built = std::make_unique<DatasetMap>(std::move(m));
      adopt(s, v);
      v.ready_after_s = now_s() - v.started_s;
      char msg[160];
      std::snprintf(msg, sizeof msg,
                    "map of %zu objects ready in %.1f s (descriptors %.1f s, layout %.1f s)",
                    v.frame_of.size(), v.ready_after_s, v.built->descriptors_s, v.built->map_s);
      s.status_message = msg;
    }
  }
  if (v.built) read_findings(s, v);
}

bool map_ready(const AppState& s) {
  return s.session && s.map.root == s.session->root && (s.map.built || !s.map.problem.empty());
}

double map_progress(const AppState& s, std::string* phase) {
  if (s.map.built) return 1.0;
  if (!s.map.job) return 0.0;
  return s.map.job->progress(phase);
}

std::size_t map_select_box(AppState& s, MapBounds box) {
  MapView& v = s.map;
  if (!v.built) return 0;
  if (box.x0 > box.x1) std::swap(box.x0, box.x1);
  if (box.y0 > box.y1) std::swap(box.y0, box.y1);
  const std::vector<float>& xy = v.built->map.xy;
  std::vector<std::size_t> in;
  for (std::size_t i = 0; i < v.frame_of.size(); ++i) {
    const float x = xy[i * 2], y = xy[i * 2 + 1];
    if (x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1) in.push_back(i);
  }
  char text[96];
  std::snprintf(text, sizeof text, "box: %zu objects", in.size());
  set_selection(v, std::move(in), text);
  return v.selected.size();
}

std::size_t map_select_fraction(AppState& s, float fx0, float fy0, float fx1, float fy1) {
  const MapBounds& b = s.map.bounds;
  auto x = [&](float f) { return b.x0 + f * (b.x1 - b.x0); };
  auto y = [&](float f) { return b.y0 + f * (b.y1 - b.y0); };
  return map_select_box(s, {x(fx0), y(fy0), x(fx1), y(fy1)});
}

std::size_t map_select_lasso(AppState& s, const std::vector<float>& poly) {
  MapView& v = s.map;
  if (!v.built || poly.size() < 6) return 0;
  const std::size_t m = poly.size() / 2;
  const std::vector<float>& xy = v.built->map.xy;
  std::vector<std::size_t> in;
  for (std::size_t i = 0; i < v.frame_of.size(); ++i) {
    const float x = xy[i * 2], y = xy[i * 2 + 1];
    bool inside = false;  // even-odd rule: crossings of a ray towards +x
    for (std::size_t a = 0, b = m - 1; a < m; b = a++) {
      const float ya = poly[a * 2 + 1], yb = poly[b * 2 + 1];
      if ((ya > y) != (yb > y)) {
        const float xa = poly[a * 2], xb = poly[b * 2];
        if (x < xa + (y - ya) * (xb - xa) / (yb - ya)) inside = !inside;
      }
    }
    if (inside) in.push_back(i);
  }
  char text[96];
  std::snprintf(text, sizeof text, "lasso: %zu objects", in.size());
  set_selection(v, std::move(in), text);
  return v.selected.size();
}

std::size_t map_select_rarest(AppState& s, std::size_t k) {
  MapView& v = s.map;
  if (!v.built) return 0;
  std::vector<std::size_t> order = rarest_first(v.built->map.rare);
  if (order.size() > k) order.resize(k);
  set_selection(v, std::move(order),
                "the " + std::to_string(std::min(k, v.frame_of.size())) + " rarest");
  return v.selected.size();
}

void map_clear_selection(AppState& s) {
  MapView& v = s.map;
  v.selected.clear();
  v.selection_text.clear();
  std::fill(v.frame_in_selection.begin(), v.frame_in_selection.end(), 0);
}

bool map_filter_passes(const AppState& s, std::size_t frame) {
  const MapView& v = s.map;
  if (!v.filter || v.selected.empty() || !s.session || v.root != s.session->root) return true;
  return frame < v.frame_in_selection.size() && v.frame_in_selection[frame];
}

std::vector<std::size_t> map_filtered_frames(const AppState& s) {
  const MapView& v = s.map;
  std::vector<std::size_t> out;
  if (!v.filter || v.selected.empty() || !s.session || v.root != s.session->root) return out;
  std::vector<char> seen(v.frame_in_selection.size(), 0);
  for (std::size_t i : v.selected) {  // rarest first
    const std::size_t f = v.frame_of[i];
    if (f < seen.size() && !seen[f]) seen[f] = 1, out.push_back(f);
  }
  return out;
}

std::string map_open_point(AppState& s, std::size_t i) {
  MapView& v = s.map;
  if (!v.built || i >= v.frame_of.size()) return report(s, "no such map point");
  return review_open_ref(s, v.built->objects.items[i].ref);
}

std::string map_open_selected(AppState& s, std::size_t n) {
  MapView& v = s.map;
  if (n >= v.selected.size())
    return report(s, "map selection item " + std::to_string(n + 1) + " is past the end (" +
                         std::to_string(v.selected.size()) + " selected)");
  v.cursor = static_cast<int>(n);
  return map_open_point(s, v.selected[n]);
}

long map_nearest(const AppState& s, float x, float y, float radius) {
  const MapView& v = s.map;
  if (!v.built) return -1;
  const std::vector<float>& xy = v.built->map.xy;
  long best = -1;
  float bd = radius * radius;
  for (std::size_t i = 0; i < v.frame_of.size(); ++i) {
    const float dx = xy[i * 2] - x, dy = xy[i * 2 + 1] - y;
    const float d = dx * dx + dy * dy;
    if (d <= bd) bd = d, best = static_cast<long>(i);
  }
  return best;
}

std::string map_point_text(const AppState& s, std::size_t i) {
  const MapView& v = s.map;
  if (!v.built || i >= v.frame_of.size()) return "";
  const SimilarItem& it = v.built->objects.items[i];
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s  %s  rare %.2f%s%s", it.ref.to_string().c_str(),
                it.cls.c_str(), double(v.built->map.rare[i]), v.finding_of[i].empty() ? "" : "  ",
                v.finding_of[i].c_str());
  return buf;
}

std::string map_layout_json(const AppState& s) {
  const MapView& v = s.map;
  if (!v.show || !s.session || v.root != s.session->root) return "";
  nlohmann::json j;
  j["ready"] = v.built != nullptr;
  j["points"] = v.frame_of.size();
  j["colour"] = static_cast<int>(v.colour);
  j["selection"] = v.selection_text;
  nlohmann::json sel = nlohmann::json::array();
  for (std::size_t i = 0; i < v.selected.size() && v.built; ++i)
    sel.push_back(v.built->objects.items[v.selected[i]].ref.to_string());
  j["selected"] = std::move(sel);
  std::size_t frames = 0;
  for (char c : v.frame_in_selection) frames += c != 0;
  j["selected_frames"] = frames;
  j["filter"] = v.filter;
  j["ready_after_s"] = v.ready_after_s;
  return j.dump();
}

}  // namespace needle::view

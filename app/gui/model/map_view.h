// The embedding map in the viewer (issue #12 §2): every label object of the dataset as a point
// of a 2D map that keeps descriptor neighbourhoods (needle/embedding_map.h), coloured by class,
// finding kind, dataset or rarity; a box selection (or the K rarest) shows the objects as a
// gallery of crops and filters the frame list; a point opens its frame with the object selected.
// GL-free: the Map window (panel_map.cpp) only draws what MapView holds and calls these actions.
//
// The map is built once per dataset on a background thread (MapBuildJob: the find-similar
// descriptors, cached on disk, then the layout), so the viewer stays responsive; map_tick takes
// the result when done. The same pipeline as `needle map`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "needle/embedding_map.h"

namespace needle::view {

struct AppState;

enum class MapColour { Class = 0, Finding = 1, Dataset = 2, Rarity = 3 };

// A view rectangle of the map, in map units.
struct MapBounds {
  float x0 = 0, y0 = 0, x1 = 1, y1 = 1;
};

struct MapView {
  std::filesystem::path root;         // the dataset the job / map belong to
  std::unique_ptr<MapBuildJob> job;   // running build; null before and after
  std::unique_ptr<DatasetMap> built;  // the map once built
  std::string problem;                // why there is no map ("" otherwise)
  bool show = false;                  // the Map window is open
  MapColour colour = MapColour::Class;
  // Per point (built's order), filled when the map arrives (and the findings when a ranking
  // is shown): frame index, class, the most suspicious finding's kind ("" none), and the dataset
  // the point comes from (0: this one; `needle view --reference` would mark its points 1).
  std::vector<std::size_t> frame_of;
  std::vector<std::uint8_t> class_of;  // ObjectClass
  std::vector<std::string> finding_of;
  const void* findings_from = nullptr;  // the ranking finding_of was read from
  std::vector<std::uint8_t> dataset_of;
  MapBounds bounds;  // of all points
  // The view: map units shown (the panel fits it to the canvas keeping the aspect).
  MapBounds view;
  bool view_set = false;
  // Selection: points in the gallery's order (rarest first), and the frame list filter.
  std::vector<std::size_t> selected;
  std::string selection_text;            // "box (...)", "the 20 rarest"
  bool filter = true;                    // the frame list shows only the selection's frames
  std::vector<char> frame_in_selection;  // per frame index
  int cursor = 0;                        // gallery cursor
  double started_s = 0;                  // steady-clock seconds when the build started
  double ready_after_s = 0;              // seconds from the start of the build to the map's arrival
};

// Opens (or closes) the Map window; the first opening on a dataset starts the build.
void map_toggle(AppState& s);
// Once per UI frame: takes a finished build, refreshes the points' finding kinds.
void map_tick(AppState& s);
bool map_ready(const AppState& s);
// Build progress in [0, 1] and its phase; 1 when built.
double map_progress(const AppState& s, std::string* phase = nullptr);

// Selects the points inside the box (map units, corners in any order), rarest first. Returns
// how many.
std::size_t map_select_box(AppState& s, MapBounds box);
// The same with the box given as fractions of the map's bounds (scripts): 0,0 bottom left.
std::size_t map_select_fraction(AppState& s, float fx0, float fy0, float fx1, float fy1);
// Selects the polygon's inside (map units; a lasso), rarest first.
std::size_t map_select_lasso(AppState& s, const std::vector<float>& xy);
// Selects the k rarest points.
std::size_t map_select_rarest(AppState& s, std::size_t k);
void map_clear_selection(AppState& s);
// Whether the frame list shows this frame (always when there is no selection or no filter).
bool map_filter_passes(const AppState& s, std::size_t frame);
// While the filter is on: the selection's frames, each once, in the order of its rarest selected
// object (the frame list's "rarest first" order); empty when the filter is off.
std::vector<std::size_t> map_filtered_frames(const AppState& s);
// Opens point i's frame with its object selected ("" or the error).
std::string map_open_point(AppState& s, std::size_t i);
// Opens the n-th (0-based) point of the selection.
std::string map_open_selected(AppState& s, std::size_t n);
// The point nearest to (x, y) within `radius` map units, or -1.
long map_nearest(const AppState& s, float x, float y, float radius);
// The point's short description: "000123/label/2  Car  rare 3.1".
std::string map_point_text(const AppState& s, std::size_t i);
// The window's state for the layout report (tests): JSON text, "" when the window is closed.
std::string map_layout_json(const AppState& s);

}  // namespace needle::view

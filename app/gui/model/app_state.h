// The viewer's state: plain CPU data that every panel reads and edits. GPU objects mirror parts
// of it elsewhere (scene3d.h, the camera texture) and never own the truth.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gui/model/camera_math.h"
#include "gui/model/compare_state.h"
#include "gui/model/frame_loader.h"
#include "gui/model/map_view.h"
#include "gui/model/ranking_job.h"
#include "gui/model/review_session.h"
#include "gui/model/patterns_view.h"
#include "gui/model/shift_view.h"
#include "gui/model/similar_view.h"
#include "needle/dataset.h"
#include "needle/findings.h"
#include "needle/pipeline.h"

namespace needle::view {

enum class PointColorMode { Height = 0, Intensity = 1, Range = 2 };
enum class CameraBoxStyle { Wireframe3D = 0, Box2D = 1, Both = 2 };

inline constexpr std::size_t kClassCount = static_cast<std::size_t>(ObjectClass::Unknown) + 1;

struct DisplaySettings {
  bool show_labels = true;
  std::vector<char> show_pred;   // per prediction set (char: vector<bool> has no bool&)
  std::vector<float> min_score;  // per prediction set: predictions below are hidden
  std::array<bool, kClassCount> show_class{};
  bool show_dontcare = true;
  PointColorMode point_color = PointColorMode::Height;
  float point_size = 2.0f;        // 3D view, pixels
  bool lidar_on_image = false;    // project velodyne points onto the camera image
  float image_point_size = 2.0f;  // camera panel, pixels
  CameraBoxStyle camera_boxes = CameraBoxStyle::Wireframe3D;
  float camera_line_width = 1.5f;  // camera panel, pixels
  float box_line_width = 2.5f;     // 3D view, pixels
  bool heading_marker = true;
  bool score_text = true;
  bool show_grid = true;
  bool highlight_points = true;  // points inside the selected box
  bool show_clusters = true;     // unlabelled lidar clusters: boxes + points (3D and camera)
  bool show_ground = false;      // the lidar's local ground estimate (3D view)

  DisplaySettings() { show_class.fill(true); }
  // Whether an object of this class is drawn at all (class toggle + DontCare toggle).
  bool class_visible(ObjectClass c) const {
    if (c == ObjectClass::DontCare && !show_dontcare) return false;
    return show_class[static_cast<std::size_t>(c)];
  }
  bool prediction_visible(std::size_t set, const Object& o) const {
    if (set >= show_pred.size() || !show_pred[set] || !class_visible(o.cls)) return false;
    return !o.score || *o.score >= static_cast<double>(min_score[set]);
  }
};

// What is selected in the current frame. A finding selects its label and its prediction.
struct Selection {
  int label = -1;     // index into the frame's labels
  int pred_set = -1;  // prediction set index
  int pred = -1;      // index into that set's objects
  int finding = -1;   // index into the frame's findings
  bool empty() const { return label < 0 && pred < 0 && finding < 0; }
  bool operator==(const Selection&) const = default;
};

enum class ListOrder { Rank, Id, Novelty };  // Novelty: with --reference (shift_view.h)

struct ListFilter {
  std::string kind;   // "" = any
  std::string cls;    // "" = any
  int pred_set = -1;  // -1 = any
  bool active() const { return !kind.empty() || !cls.empty() || pred_set >= 0; }
};

// One open dataset: the scan, the loader and the ranking job.
struct Session {
  std::filesystem::path root;
  std::shared_ptr<const DatasetIndex> index;
  std::vector<std::string> set_names;
  std::unique_ptr<FrameLoader> loader;
  std::unique_ptr<RankingJob> ranking;
  std::unique_ptr<ReviewSession> review;  // the dataset's review store (review_actions.h)

  std::size_t frame_count() const { return index ? index->frames.size() : 0; }
  // The ranking the panels show: an interim snapshot while the lidar pass runs, then the final
  // (RankingJob::poll, called once per UI frame by refresh_ranking in ranking_swap.h).
  const RankingData* rank() const { return ranking ? ranking->shown() : nullptr; }
  // The final ranking once shown (scripts, --open and the bench wait for this one).
  const RankingData* final_rank() const {
    return ranking && ranking->shown_final() ? ranking->shown() : nullptr;
  }
};

struct AppState {
  std::unique_ptr<Session> session;  // null until a dataset is open
  std::string status_message;        // last open error or notice, shown in the status bar

  std::size_t frame = 0;  // current frame: index into session->index->frames
  int rank_cursor = -1;   // position in the rank list for N/P; -1 = before the first
  Selection selection;
  // Finding of the current frame to select as soon as its data arrive (-1: none); set by
  // go_to_first_label_error, applied by apply_pending_selection.
  int pending_finding = -1;
  std::shared_ptr<const LoadedFrame> current;  // loaded data of `frame`; null while loading

  DisplaySettings display;
  OrbitCamera camera3d;
  ImageViewport image_view;          // zoom/pan of the camera panel (its rectangle set each frame)
  bool centre_on_selection = false;  // request: 3D camera centres on the selection next frame

  // The options every ranking job of this app runs with (`needle view --method ...`, the
  // Ranking section of the settings panel, the `rank ...` script verbs).
  PipelineOptions rank_options;
  ReviewOptions review_options;  // `needle view --store`, the QA session's dwell time

  ListOrder order = ListOrder::Rank;
  ListFilter filter;
  CompareViewState compare;            // compare panel and its frame-list filter (compare_view.h)
  SimilarView similar;                 // find similar: its build, query and window (similar_view.h)
  PatternsView patterns;               // slices, heat map, PR curves (patterns_view.h)
  ShiftView shift;                     // --reference: training vs production (shift_view.h)
  MapView map;                         // the embedding map window and its selection (map_view.h)
  bool scroll_list_to_current = true;  // request: frame list scrolls to the current frame
  // The frame in the frame list's first visible row (-1: not drawn yet, or scrolled to the very
  // top), and a request to scroll
  // it back to the top: after a ranking swap the list keeps its place by frame (ranking_swap.h).
  long list_top_frame = -1;
  bool scroll_list_to_top_frame = false;

  bool show_help = false;
  bool show_open_dialog = false;
  bool show_goto = false;
  std::vector<std::string> recent;  // recent dataset folders, most recent first

  double fps = 0;                         // smoothed frames per second of the UI loop
  std::function<void()> on_frame_loaded;  // given to each dataset's loader (wakes the UI loop)
};

}  // namespace needle::view

// The patterns panel's model (issue #12 §1): `needle slices` in the viewer. A background job runs
// run_slices (needle/slices.h: the same pipeline, attributes and slices as the CLI) on the open
// dataset; the panel draws one attribute's slices as bars of a measure with their intervals, or
// two attributes as a heat map, and the precision/recall curves of the whole set. A click on a
// bar (or cell) filters the frame list to the slice's frames and highlights the slice's objects;
// a click on a curve point lists the frames of its false positives or misses. GL-free: the
// panel (app/gui/panel_patterns.cpp) only draws what PatternsView holds.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "needle/dataset.h"
#include "needle/pipeline.h"
#include "needle/slices.h"

namespace needle::view {

struct AppState;

enum class PatternMeasure { Ap, Recall, FpPerFrame, Objects, Findings };
inline constexpr const char* kPatternMeasureNames = "ap|recall|fp|objects|findings";
const char* pattern_measure_name(PatternMeasure m);

// One run of run_slices on a background thread; cancelled and joined by the destructor.
class PatternsJob {
 public:
  PatternsJob(std::shared_ptr<const DatasetIndex> ds, std::size_t pred_set, SlicesJob job);
  ~PatternsJob();
  PatternsJob(const PatternsJob&) = delete;
  PatternsJob& operator=(const PatternsJob&) = delete;
  bool done() const { return done_.load(std::memory_order_acquire); }
  // The result once done() (moved out once).
  std::shared_ptr<const SlicesRun> take();
  std::string phase() const;
  double progress() const;  // [0, 1] within the current phase

 private:
  std::shared_ptr<const DatasetIndex> ds_;
  CancelToken cancel_;
  std::atomic<bool> done_{false};
  mutable std::mutex mutex_;
  std::string phase_;
  double progress_ = 0;
  std::shared_ptr<const SlicesRun> result_;
  std::thread thread_;
};

struct PatternsView {
  bool show = false;
  const DatasetIndex* index = nullptr;  // the dataset the job / result belong to
  std::unique_ptr<PatternsJob> job;
  std::shared_ptr<const SlicesRun> run;  // the newest finished result
  std::string run_by;  // the choice `run` answers: --by ("" = every attribute) and difficulty
  int pred_set = 0;
  std::string attribute = "range";  // bars of this attribute
  std::string attribute2;           // "" = bars; else a heat map of attribute x attribute2
  int cls = 0;                      // EvalClass shown
  int difficulty = 1;               // Difficulty of AP, intervals, recall and the curve
  PatternMeasure measure = PatternMeasure::Ap;
  // The frame list filter a bar / cell / curve point sets.
  bool filter_active = false;
  std::string filter_text;
  std::vector<std::size_t> filter_frames;           // dataset frames, ascending
  std::vector<std::vector<std::uint8_t>> highlight;  // [frame][label] in the clicked slice
  int selected_row = -1;  // index into patterns_rows() of the clicked bar, -1: none
  // Precision/recall: the point clicked last (-1: none) and which frames it lists.
  int pr_point = -1;
  bool pr_fp = true;
};

// Opens / closes the window; opening starts the job when there is no result for this dataset.
void patterns_toggle(AppState& s);
// Once per UI frame: a finished job's result is taken; the dataset changing resets the view.
void patterns_tick(AppState& s);
// Result present for the current choice (scripts wait for this).
bool patterns_ready(const AppState& s);
// Starts the job for the current choices (attribute pair, prediction set) when the result does
// not answer them. "" or why not.
std::string patterns_refresh(AppState& s);
// Sets the shown attribute(s) ("range" or "range,occlusion"); refreshes when a cross is new.
std::string patterns_set_by(AppState& s, const std::string& by);
std::string patterns_set_class(AppState& s, const std::string& cls);
std::string patterns_set_measure(AppState& s, const std::string& measure);
std::string patterns_set_difficulty(AppState& s, const std::string& difficulty);

// Rows of the shown attribute(s) for the shown class, in bin order (a cross: row-major in the
// first attribute's bins); null entries for bins without a row.
std::vector<const SliceRow*> patterns_rows(const AppState& s);
const SliceRow* patterns_overall(const AppState& s);  // the whole set's row of the shown class
const PrCurve* patterns_curve(const AppState& s);     // the whole set's curve of the shown class
// The measure's value of a row at `difficulty` (AP), and its interval (lo == hi == value when it
// has none).
double pattern_value(const SliceRow& r, PatternMeasure m, int difficulty, double* lo = nullptr,
                     double* hi = nullptr);

// A bar / cell click: the frame list shows the slice's frames, its objects are highlighted.
std::string patterns_select_row(AppState& s, std::size_t row);
// A curve point click: the frame list shows the frames of its false positives (fp) or misses.
std::string patterns_select_point(AppState& s, std::size_t point, bool fp);
void patterns_clear_filter(AppState& s);
void patterns_clear_filter_fields(PatternsView& v);

bool patterns_frame_passes(const AppState& s, std::size_t frame);
bool patterns_label_highlighted(const AppState& s, std::size_t frame, std::size_t label);
// The panel's state as JSON for the layout report (tests): "" when the window is closed.
std::string patterns_layout_json(const AppState& s);

}  // namespace needle::view

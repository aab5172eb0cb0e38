// Training vs production in the viewer (issue #12 §3): `needle view PROD --reference TRAIN`
// computes the shift report (needle/shift.h, the pipeline of `needle shift`) on a background
// thread; once done the frame list can show PROD's frames in novelty order and the Shift window
// shows the current frame's novelty and reason, the attributes worst first and the selected
// attribute's histograms of both datasets overlaid. GL-free: the window only draws what ShiftView
// holds.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "needle/shift.h"

namespace needle::view {

struct AppState;

struct ShiftView {
  std::filesystem::path reference;  // --reference TRAIN; empty: no shift mode
  std::filesystem::path root;       // the PROD dataset the job / report belong to
  struct Job;
  std::shared_ptr<Job> job;                   // running analysis; null before and after
  std::shared_ptr<const ShiftReport> report;  // once done
  std::vector<double> novelty;                // per PROD frame (session frame index)
  std::vector<std::size_t> order;             // PROD frame indices, most novel first
  std::vector<int> position;                  // per frame: its place in `order`
  std::string error;                          // why there is no report
  bool show = true;                           // the Shift window is open
  std::string attribute;                      // the attribute whose histogram is drawn
};

// Once per UI frame: starts the analysis when a reference is set and PROD is open (again when
// another dataset is opened), takes the finished report.
void shift_tick(AppState& s);
// The report is there (or failed: error set); scripts wait for this.
bool shift_ready(const AppState& s);
// Share of the descriptors built, [0, 1].
double shift_progress(const AppState& s);

// One attribute's histogram in both datasets: shares of each sample per bin (each sums to 1).
// Numeric: kShiftHistogramBins equal bins between the 1% and 99% quantiles of both samples
// together (values outside go to the end bins); categorical: one bin per category, most common
// in TRAIN first.
struct ShiftHistogram {
  std::vector<std::string> labels;
  std::vector<double> train, prod;
  bool categorical = false;
};
inline constexpr int kShiftHistogramBins = 16;
ShiftHistogram shift_histogram(const ShiftReport& r, const std::string& attribute);

}  // namespace needle::view

// The compare panel's part of the viewer state (AppState::compare): what it shows and the frame
// list filter a click on one of its rows sets. Plain data; the logic is in compare_view.h.
#pragma once

#include <string>

#include "gui/model/compare_summary.h"
#include "needle/eval.h"

namespace needle::view {

struct CompareFilter {
  bool active = false;
  std::string cls;      // "" = any class
  int difficulty = -1;  // 0/1/2 (devkit easy/moderate/hard), -1 = any
  CompareList list = CompareList::Regressions;
};

struct CompareViewState {
  bool show_panel = false;  // the Compare window
  // AP shown in the summary: 3D boxes by default, the measure a 3D detector is compared by.
  EvalMetric metric = EvalMetric::Box3D;
  CompareList list = CompareList::Regressions;  // what a row click lists
  CompareFilter filter;                         // the frame list shows only frames that pass
  int selected_row = -1;                        // the row clicked last (compare_rows order)
  int pick_old = -1, pick_new = -1;  // the panel's set pickers (session set indices, -1: unset)
  std::string picks_for = "-";  // the compare option the pickers were set from (they follow it)
};

}  // namespace needle::view

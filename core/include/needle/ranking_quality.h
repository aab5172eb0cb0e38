// needle/ranking_quality.h — how well a ranking finds known ("truth") problem frames.
//
// Definitions (all over frames, not objects):
//   K            number of truth frames of the scope
//   recall@K     share of the scope's truth frames among the first K ranked frames
//   AP           average precision of the ranking: mean over the scope's truth frames of the
//                precision at that frame's rank; truth frames not in the ranking add 0
// Scopes:
//   all            every truth frame (label errors and invalid data)
//   label_errors   frames with a label error (any kind not listed by is_invalid_data_kind)
//   invalid_data   frames with broken files
//   per kind       frames with an error of that kind
//   per bin        label-error frames whose error is in that size bin ("subtle", "gross"; truth
//                  entries without a bin, e.g. from old truth files, are in no bin scope)
//   per kind x bin frames with an error of that kind in that bin
// For every scope but "all", truth frames of other scopes are removed from the ranking before
// counting, so that e.g. invalid frames at the top do not hide or pad label-error figures.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "needle/ranking.h"

namespace needle {

struct TruthEntry {
  std::string frame;
  std::string kind;  // missing_label, shifted_box ... or truncated_bin, corrupt_png ...
  int label = -1;
  double magnitude = 0;    // the error's size in `unit` (see needle/demo.h); 0 when unknown
  std::string unit{};      // "m", "factor", "deg", "class", "range_m"; empty when unknown
  std::string size_bin{};  // "subtle", "gross", or empty (unknown / invalid data)
};

// truncated_bin, corrupt_png, bad_label_line and anything naming a corrupt/truncated/invalid file.
bool is_invalid_data_kind(const std::string& kind);

struct RankingFigures {
  long truth_frames = 0;  // K
  long hits_at_k = 0;
  double recall_at_k = 0;
  double average_precision = 0;
};

struct RankingQuality {
  RankingFigures all, label_errors, invalid_data;
  std::map<std::string, RankingFigures> per_kind;
  std::map<std::string, RankingFigures> per_bin;  // "subtle", "gross" (label errors only)
  // per_kind_bin[kind][bin]: only the (kind, bin) pairs present in the truth.
  std::map<std::string, std::map<std::string, RankingFigures>> per_kind_bin;
};

RankingQuality evaluate_ranking(const RankResult& ranking, const std::vector<TruthEntry>& truth);

// Figures for an ordered list of frame ids against a set of relevant ids (exposed for tests).
RankingFigures ranking_figures(const std::vector<std::string>& ranked,
                               const std::vector<std::string>& relevant);

}  // namespace needle

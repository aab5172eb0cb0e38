// needle/ranking.h — from annotations to a ranked list of suspicious frames.
// Pure function of its inputs: no I/O, no global state.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "needle/dataset.h"
#include "needle/findings.h"

namespace needle {

enum class RankMethod { Needle, Mistakenness, ObjectLab };
// "needle" | "mistakenness" | "objectlab"; throws std::invalid_argument otherwise.
RankMethod parse_rank_method(const std::string& s);

struct RankOptions {
  RankMethod method = RankMethod::Needle;
  // Compare mode: indices of the old and new prediction sets (both >= 0 to enable).
  int compare_old = -1, compare_new = -1;
};

struct FrameRank {
  std::size_t frame_index = 0;  // index into the annotations vector
  std::string frame;
  int rank = 0;      // 1-based
  double score = 0;  // [0,1]; for objectlab, 1 - quality so that higher = more suspicious
  std::vector<Finding> findings;  // sorted by score, descending
};

struct RankResult {
  std::vector<FrameRank> frames;        // rank order: score desc, then frame id asc; score > 0 only
  std::map<std::string, long> summary;  // counts ("frames", "findings", "kind:<k>", ...)
};

RankResult rank_frames(const std::vector<FrameAnnotations>& frames,
                       const std::vector<std::string>& pred_set_names, const RankOptions& opt = {});

}  // namespace needle

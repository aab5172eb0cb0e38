// ranking_quality.cpp — recall@K and average precision of a frame ranking (see the header).
#include "needle/ranking_quality.h"

#include <algorithm>
#include <set>
#include <unordered_set>

namespace needle {

bool is_invalid_data_kind(const std::string& k) {
  static const char* const known[] = {"truncated_bin", "corrupt_png", "bad_label_line",
                                      "invalid_data"};
  for (const char* x : known)
    if (k == x) return true;
  for (const char* part : {"corrupt", "truncated", "invalid", "unreadable", "bad_"})
    if (k.find(part) != std::string::npos) return true;
  return false;
}

RankingFigures ranking_figures(const std::vector<std::string>& ranked,
                               const std::vector<std::string>& relevant) {
  RankingFigures r;
  const std::unordered_set<std::string> rel(relevant.begin(), relevant.end());
  r.truth_frames = static_cast<long>(rel.size());
  if (rel.empty()) return r;
  const std::size_t k = rel.size();
  long hits = 0;
  double ap = 0;
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    if (!rel.count(ranked[i]) || !seen.insert(ranked[i]).second) continue;
    ++hits;
    ap += static_cast<double>(hits) / static_cast<double>(i + 1);
    if (i < k) ++r.hits_at_k;
  }
  r.recall_at_k = static_cast<double>(r.hits_at_k) / static_cast<double>(k);
  r.average_precision = ap / static_cast<double>(k);
  return r;
}

RankingQuality evaluate_ranking(const RankResult& ranking, const std::vector<TruthEntry>& truth) {
  std::vector<std::string> order;
  order.reserve(ranking.frames.size());
  for (const FrameRank& f : ranking.frames) order.push_back(f.frame);

  std::set<std::string> all, label_err, invalid;
  std::map<std::string, std::set<std::string>> by_kind, by_bin;
  std::map<std::string, std::map<std::string, std::set<std::string>>> by_kind_bin;
  for (const TruthEntry& t : truth) {
    all.insert(t.frame);
    const bool invalid_kind = is_invalid_data_kind(t.kind);
    (invalid_kind ? invalid : label_err).insert(t.frame);
    by_kind[t.kind].insert(t.frame);
    if (!invalid_kind && !t.size_bin.empty()) {
      by_bin[t.size_bin].insert(t.frame);
      by_kind_bin[t.kind][t.size_bin].insert(t.frame);
    }
  }
  // Figures for `scope`, with truth frames outside it removed from the ranking.
  auto scoped = [&](const std::set<std::string>& scope) {
    std::vector<std::string> ranked;
    ranked.reserve(order.size());
    for (const std::string& id : order)
      if (scope.count(id) || !all.count(id)) ranked.push_back(id);
    return ranking_figures(ranked, std::vector<std::string>(scope.begin(), scope.end()));
  };
  RankingQuality q;
  q.all = ranking_figures(order, std::vector<std::string>(all.begin(), all.end()));
  q.label_errors = scoped(label_err);
  q.invalid_data = scoped(invalid);
  for (const auto& [k, frames] : by_kind) q.per_kind[k] = scoped(frames);
  for (const auto& [b, frames] : by_bin) q.per_bin[b] = scoped(frames);
  for (const auto& [k, bins] : by_kind_bin)
    for (const auto& [b, frames] : bins) q.per_kind_bin[k][b] = scoped(frames);
  return q;
}

}  // namespace needle

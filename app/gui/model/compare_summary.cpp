#include "gui/model/compare_summary.h"

#include <algorithm>
#include <set>

#include "needle/findings.h"

namespace needle::view {

namespace {

bool predicted(const FrameAnnotations& ann, std::size_t set) {
  if (set >= ann.preds.size()) return false;
  const PredStatus st = ann.preds[set].status;
  return st == PredStatus::Present || st == PredStatus::Empty;
}

int difficulty_of(const Object& label) {
  const std::optional<Difficulty> d = kitti_difficulty(label);
  return d ? static_cast<int>(*d) : -1;
}

// How `m` saw label i, by the compare ranking's rule (core/src/compare.cpp, detects()): a
// non-displaced pair, else the highest-scoring prediction overlapping the label (class unknown).
LabelSide side_of(const FrameMatch& m, const std::vector<Object>& preds, std::size_t i) {
  LabelSide s;
  const MatchPair* pr = m.pair_of_label(i);
  if (pr && !pr->displaced) {
    s.pred = pr->pred;
    s.paired = true;
    s.compatible = pr->kind != PairKind::ClassMismatch;
  } else if (m.label_overlap[i] >= 0) {
    s.pred = m.label_overlap[i];
  }
  if (s.pred >= 0) {
    const std::size_t j = static_cast<std::size_t>(s.pred);
    const PairGeometry& g = m.at(i, j);
    s.iou = g.iou_bev >= 0 ? g.iou_bev : g.iou_2d;
    s.cls = preds[j].type;
    s.score = preds[j].score;
  }
  return s;
}

bool class_flip(const LabelSide& s) {
  return s.paired && !s.compatible;
}

bool is_regression_kind(const std::string& k) {
  return k == kind::kRegressionMiss || k == kind::kModelClassFlip || k == kind::kNewFalsePositive;
}

std::optional<double> ap_of(const std::optional<EvalReport>& r, const std::string& cls,
                            EvalMetric metric, int difficulty) {
  if (!r || difficulty < 0) return std::nullopt;
  for (const ClassEval& c : r->classes) {
    if (eval_class_name(c.cls) != cls) continue;
    const MetricEval& m = c.metric(metric);
    if (!m.evaluated) return std::nullopt;
    return m.ap[static_cast<std::size_t>(difficulty)].r40;
  }
  return std::nullopt;
}

}  // namespace

const char* label_outcome_name(LabelOutcome o) {
  switch (o) {
    case LabelOutcome::Kept:
      return "kept";
    case LabelOutcome::Missed:
      return "missed";
    case LabelOutcome::Regressed:
      return "regressed";
    case LabelOutcome::Fixed:
      return "fixed";
  }
  return "?";
}

const char* compare_list_name(CompareList l) {
  return l == CompareList::Fixes ? "fixes" : "regressions";
}

std::optional<double> LabelCompare::conf_change() const {
  if (!old_side.conf || !new_side.conf) return std::nullopt;
  return *new_side.conf - *old_side.conf;
}

ConfidenceMap fit_set_confidence(const std::vector<FrameAnnotations>& frames, std::size_t set,
                                 const MatchConfig& cfg) {
  std::vector<double> scores;
  std::vector<std::int8_t> tp;
  for (const FrameAnnotations& a : frames) {
    if (set >= a.preds.size()) continue;
    const auto& objs = a.preds[set].objects;
    const bool usable = a.has_labels && predicted(a, set);
    FrameMatch m;
    if (usable) m = match_frame(a.labels, objs, {}, cfg);
    for (std::size_t j = 0; j < objs.size(); ++j) {
      scores.push_back(objs[j].score.value_or(0.0));
      const PredFate fate = usable ? m.pred_fate[j] : PredFate::InDontCare;
      tp.push_back(fate == PredFate::Paired ? 1 : fate == PredFate::Unmatched ? 0 : -1);
    }
  }
  return ConfidenceMap::fit(scores, tp);
}

std::vector<LabelCompare> compare_labels(const FrameAnnotations& ann, std::size_t old_set,
                                         std::size_t new_set, const ConfidenceMap* conf_old,
                                         const ConfidenceMap* conf_new, const MatchConfig& cfg) {
  std::vector<LabelCompare> out;
  if (!ann.has_labels || !predicted(ann, old_set) || !predicted(ann, new_set)) return out;
  const auto& po = ann.preds[old_set].objects;
  const auto& pn = ann.preds[new_set].objects;
  const FrameMatch mo = match_frame(ann.labels, po, {}, cfg);
  const FrameMatch mn = match_frame(ann.labels, pn, {}, cfg);
  for (std::size_t i = 0; i < ann.labels.size(); ++i) {
    const Object& L = ann.labels[i];
    if (L.is_dontcare()) continue;
    LabelCompare row;
    row.label = i;
    row.cls = L.type;
    row.difficulty = difficulty_of(L);
    row.old_side = side_of(mo, po, i);
    row.new_side = side_of(mn, pn, i);
    if (conf_old && row.old_side.pred >= 0)
      row.old_side.conf = (*conf_old)(row.old_side.score.value_or(0.0));
    if (conf_new && row.new_side.pred >= 0)
      row.new_side.conf = (*conf_new)(row.new_side.score.value_or(0.0));
    const LabelSide &o = row.old_side, &n = row.new_side;
    // The compare ranking's rules: OLD detected it and NEW sees nothing there or another class.
    const bool regressed = o.detects() && (n.pred < 0 || class_flip(n));
    const bool fixed = n.detects() && (o.pred < 0 || class_flip(o));
    row.outcome = regressed                    ? LabelOutcome::Regressed
                  : fixed                      ? LabelOutcome::Fixed
                  : o.detects() || n.detects() ? LabelOutcome::Kept
                                               : LabelOutcome::Missed;
    out.push_back(std::move(row));
  }
  return out;
}

CompareSummary build_compare_summary(const PipelineResult& res, unsigned threads) {
  CompareSummary c;
  if (res.compare_old < 0 || res.compare_new < 0) return c;
  const std::size_t so = static_cast<std::size_t>(res.compare_old),
                    sn = static_cast<std::size_t>(res.compare_new);
  c.old_set = res.compare_old;
  c.new_set = res.compare_new;
  if (so < res.set_names.size()) c.old_name = res.set_names[so];
  if (sn < res.set_names.size()) c.new_name = res.set_names[sn];
  c.events.resize(res.frames.size());

  // AP of both sets on the same frames: labelled, predicted by both.
  std::vector<EvalFrameInput> in_old, in_new;
  for (const FrameAnnotations& a : res.frames) {
    if (!a.has_labels || !predicted(a, so) || !predicted(a, sn)) continue;
    in_old.push_back({&a.labels, &a.preds[so].objects});
    in_new.push_back({&a.labels, &a.preds[sn].objects});
  }
  c.frames_compared = in_old.size();
  c.conf_old = fit_set_confidence(res.frames, so);
  c.conf_new = fit_set_confidence(res.frames, sn);
  if (!in_old.empty()) {
    EvalOptions eo;
    eo.threads = threads;
    c.ap_old = evaluate_kitti(in_old, eo);
    c.ap_new = evaluate_kitti(in_new, eo);
  }

  // The engine's counts per class ("regressions:<class>", "fixes:<class>").
  for (const auto& [key, n] : res.rank.summary) {
    const std::size_t colon = key.find(':');
    const std::string head = key.substr(0, colon);
    if (head != "regressions" && head != "fixes") continue;
    if (colon == std::string::npos) {
      (head == "fixes" ? c.fixes_total : c.regressions_total) = n;
      continue;
    }
    (head == "fixes" ? c.fixes : c.regressions)[key.substr(colon + 1)] = n;
  }

  // Events per frame: the ranking's regression findings, the label fixes.
  for (const FrameRank& fr : res.rank.frames) {
    if (fr.frame_index >= res.frames.size()) continue;
    const FrameAnnotations& a = res.frames[fr.frame_index];
    for (const Finding& f : fr.findings) {
      if (!is_regression_kind(f.kind)) continue;
      CompareEvent e;
      e.cls = f.cls;
      if (f.label >= 0 && static_cast<std::size_t>(f.label) < a.labels.size())
        e.difficulty = difficulty_of(a.labels[static_cast<std::size_t>(f.label)]);
      c.events[fr.frame_index].push_back(std::move(e));
    }
  }
  for (std::size_t f = 0; f < res.frames.size(); ++f)
    for (const LabelCompare& row : compare_labels(res.frames[f], so, sn))
      if (row.outcome == LabelOutcome::Fixed)
        c.events[f].push_back({row.cls, row.difficulty, true});
  return c;
}

std::vector<CompareRow> compare_rows(const CompareSummary& c, EvalMetric metric) {
  std::vector<std::string> classes;
  for (int k = 0; k < kEvalClasses; ++k)
    classes.push_back(eval_class_name(static_cast<EvalClass>(k)));
  std::set<std::string> others;
  for (const auto* m : {&c.regressions, &c.fixes})
    for (const auto& [cls, n] : *m)
      if (n > 0 && std::find(classes.begin(), classes.end(), cls) == classes.end())
        others.insert(cls);
  classes.insert(classes.end(), others.begin(), others.end());

  auto count = [&](const std::map<std::string, long>& m, const std::string& cls) {
    const auto it = m.find(cls);
    return it == m.end() ? 0L : it->second;
  };
  // Moderate: the devkit's headline difficulty (the KITTI leaderboard ranks by it).
  constexpr int kHeadlineDifficulty = static_cast<int>(Difficulty::Moderate);
  std::vector<CompareRow> rows;
  for (std::size_t k = 0; k < classes.size(); ++k) {
    const std::string& cls = classes[k];
    const bool evaluated = k < static_cast<std::size_t>(kEvalClasses);
    CompareRow total;
    total.cls = cls;
    total.ap_old = ap_of(c.ap_old, cls, metric, kHeadlineDifficulty);
    total.ap_new = ap_of(c.ap_new, cls, metric, kHeadlineDifficulty);
    total.regressions = count(c.regressions, cls);
    total.fixes = count(c.fixes, cls);
    rows.push_back(total);
    if (!evaluated) continue;
    for (int d = 0; d < kEvalDifficulties; ++d) {
      CompareRow r;
      r.cls = cls;
      r.difficulty = d;
      r.ap_old = ap_of(c.ap_old, cls, metric, d);
      r.ap_new = ap_of(c.ap_new, cls, metric, d);
      for (const auto& evs : c.events)
        for (const CompareEvent& e : evs)
          if (e.cls == cls && e.difficulty == d) ++(e.fix ? r.fixes : r.regressions);
      rows.push_back(r);
    }
  }
  return rows;
}

bool events_match(const std::vector<CompareEvent>& events, const std::string& cls, int difficulty,
                  CompareList list) {
  const bool want_fix = list == CompareList::Fixes;
  return std::any_of(events.begin(), events.end(), [&](const CompareEvent& e) {
    return e.fix == want_fix && (cls.empty() || e.cls == cls) &&
           (difficulty < 0 || e.difficulty == difficulty);
  });
}

}  // namespace needle::view

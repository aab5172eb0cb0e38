// patterns_view.cpp — the patterns panel's job, choices, filter and highlights (patterns_view.h).
//
// Index
//   [SECTION] PatternsJob
//   [SECTION] Choices and the job
//   [SECTION] Rows and measures
//   [SECTION] Filter and highlights
//   [SECTION] Layout report
#include "gui/model/patterns_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "gui/model/app_state.h"
#include "gui/model/ranking_job.h"

namespace needle::view {

// ============================================================================================
// [SECTION] PatternsJob
// ============================================================================================
PatternsJob::PatternsJob(std::shared_ptr<const DatasetIndex> ds, std::size_t pred_set,
                         SlicesJob job)
    : ds_(std::move(ds)) {
  thread_ = std::thread([this, pred_set, job = std::move(job)] {
    auto run = std::make_shared<SlicesRun>(run_slices(
        *ds_, pred_set, job,
        [this](const char* phase, std::size_t d, std::size_t t) {
          std::lock_guard<std::mutex> lock(mutex_);
          phase_ = phase;
          progress_ = t > 0 ? static_cast<double>(d) / static_cast<double>(t) : 0.0;
        },
        &cancel_));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      result_ = std::move(run);
    }
    done_.store(true, std::memory_order_release);
  });
}

PatternsJob::~PatternsJob() {
  cancel_.cancel();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const SlicesRun> PatternsJob::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::move(result_);
}

std::string PatternsJob::phase() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return phase_;
}

double PatternsJob::progress() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return progress_;
}

const char* pattern_measure_name(PatternMeasure m) {
  switch (m) {
    case PatternMeasure::Ap:
      return "ap";
    case PatternMeasure::Recall:
      return "recall";
    case PatternMeasure::FpPerFrame:
      return "fp";
    case PatternMeasure::Objects:
      return "objects";
    case PatternMeasure::Findings:
      return "findings";
  }
  return "?";
}

// ============================================================================================
// [SECTION] Choices and the job
// ============================================================================================
namespace {

// The --by a result must have been computed with for the current choice: a cross needs its own
// run; single attributes are all in the every-attribute run.
std::string wanted_by(const PatternsView& v) {
  return (v.attribute2.empty() ? std::string() : v.attribute + "," + v.attribute2) + "|" +
         std::to_string(v.difficulty);
}

void reset(PatternsView& v) {
  v.job.reset();
  v.run.reset();
  v.run_by.clear();
  patterns_clear_filter_fields(v);
}

}  // namespace

std::string patterns_refresh(AppState& s) {
  if (!s.session) return "no dataset open";
  PatternsView& v = s.patterns;
  if (v.index != s.session->index.get()) {
    reset(v);
    v.index = s.session->index.get();
  }
  if (s.session->set_names.empty()) return "the dataset has no prediction set to evaluate";
  if (v.pred_set < 0 || static_cast<std::size_t>(v.pred_set) >= s.session->set_names.size())
    v.pred_set = 0;
  const std::string by = wanted_by(v);
  if (v.run && v.run_by == by) return "";
  if (v.job) return "";  // one job at a time; tick starts the next when it ends
  SlicesJob job;
  job.pipeline = s.rank_options;
  if (job.pipeline.threads == 0) job.pipeline.threads = RankingJob::kDefaultThreads;
  job.slice.threads = job.pipeline.threads;
  if (!v.attribute2.empty()) job.slice.by = {v.attribute + "," + v.attribute2};
  job.slice.difficulty = static_cast<Difficulty>(v.difficulty);
  v.job = std::make_unique<PatternsJob>(s.session->index, static_cast<std::size_t>(v.pred_set),
                                        std::move(job));
  v.run_by = by;  // what the job computes
  return "";
}

void patterns_toggle(AppState& s) {
  s.patterns.show = !s.patterns.show;
  if (s.patterns.show) patterns_refresh(s);
}

void patterns_tick(AppState& s) {
  PatternsView& v = s.patterns;
  if (!s.session) {
    if (v.index) {
      reset(v);
      v.index = nullptr;
    }
    return;
  }
  if (v.index && v.index != s.session->index.get()) {
    reset(v);
    v.index = nullptr;
    if (v.show) patterns_refresh(s);
  }
  if (v.job && v.job->done()) {
    v.run = v.job->take();
    v.job.reset();
    if (v.run && v.run->status != PipelineStatus::Ok)
      s.status_message = "patterns: " + v.run->error;
    if (v.show) patterns_refresh(s);  // the choice may have changed while it ran
  }
}

bool patterns_ready(const AppState& s) {
  const PatternsView& v = s.patterns;
  return s.session && v.run && !v.job && v.index == s.session->index.get() &&
         v.run_by == wanted_by(v);
}

std::string patterns_set_by(AppState& s, const std::string& by) {
  std::vector<std::vector<std::string>> groups;
  try {
    groups = parse_slice_by(by);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  if (groups.empty()) return "no attribute given";
  PatternsView& v = s.patterns;
  v.attribute = groups[0][0];
  v.attribute2 = groups[0].size() > 1 ? groups[0][1] : "";
  patterns_clear_filter(s);
  if (v.run && v.run_by == wanted_by(v)) return "";
  if (v.job) v.job.reset();  // cancels the job computing another choice
  return patterns_refresh(s);
}

std::string patterns_set_class(AppState& s, const std::string& cls) {
  for (int c = 0; c < kEvalClasses; ++c)
    if (cls == eval_class_name(static_cast<EvalClass>(c))) {
      s.patterns.cls = c;
      patterns_clear_filter(s);
      return "";
    }
  return "unknown class '" + cls + "' (Car, Pedestrian or Cyclist)";
}

std::string patterns_set_difficulty(AppState& s, const std::string& difficulty) {
  for (int d = 0; d < kEvalDifficulties; ++d)
    if (difficulty == difficulty_key(static_cast<Difficulty>(d))) {
      PatternsView& v = s.patterns;
      v.difficulty = d;
      patterns_clear_filter(s);
      if (v.run && v.run_by == wanted_by(v)) return "";
      if (v.job) v.job.reset();
      return patterns_refresh(s);
    }
  return "unknown difficulty '" + difficulty + "' (easy, moderate or hard)";
}

std::string patterns_set_measure(AppState& s, const std::string& measure) {
  for (PatternMeasure m : {PatternMeasure::Ap, PatternMeasure::Recall, PatternMeasure::FpPerFrame,
                           PatternMeasure::Objects, PatternMeasure::Findings})
    if (measure == pattern_measure_name(m)) {
      s.patterns.measure = m;
      return "";
    }
  return "unknown measure '" + measure + "' (" + kPatternMeasureNames + ")";
}

// ============================================================================================
// [SECTION] Rows and measures
// ============================================================================================
std::vector<const SliceRow*> patterns_rows(const AppState& s) {
  std::vector<const SliceRow*> out;
  const PatternsView& v = s.patterns;
  if (!patterns_ready(s) || v.run->status != PipelineStatus::Ok) return out;
  const SlicesResult& r = v.run->result;
  const std::string name = v.attribute2.empty() ? v.attribute : v.attribute + "," + v.attribute2;
  std::size_t a0 = r.attributes.size(), a1 = r.attributes.size();
  for (std::size_t i = 0; i < r.attributes.size(); ++i) {
    if (r.attributes[i].name == v.attribute) a0 = i;
    if (r.attributes[i].name == v.attribute2) a1 = i;
  }
  if (a0 == r.attributes.size()) return out;
  const std::size_t n0 = r.attributes[a0].bins();
  const std::size_t n1 = v.attribute2.empty() || a1 == r.attributes.size() ? 1
                                                                           : r.attributes[a1].bins();
  out.assign(n0 * n1, nullptr);
  for (const SliceRow& row : r.rows) {
    if (row.attribute != name || static_cast<int>(row.cls) != v.cls || row.conditions.empty())
      continue;
    const std::size_t b0 = static_cast<std::size_t>(row.conditions[0].bin);
    const std::size_t b1 =
        row.conditions.size() > 1 ? static_cast<std::size_t>(row.conditions[1].bin) : 0;
    if (b0 < n0 && b1 < n1) out[b0 * n1 + b1] = &row;
  }
  return out;
}

const SliceRow* patterns_overall(const AppState& s) {
  if (!patterns_ready(s)) return nullptr;
  for (const SliceRow& row : s.patterns.run->result.overall)
    if (static_cast<int>(row.cls) == s.patterns.cls) return &row;
  return nullptr;
}

const PrCurve* patterns_curve(const AppState& s) {
  if (!patterns_ready(s)) return nullptr;
  for (const PrCurve& c : s.patterns.run->result.curves)
    if (static_cast<int>(c.cls) == s.patterns.cls) return &c;
  return nullptr;
}

double pattern_value(const SliceRow& r, PatternMeasure m, int difficulty, double* lo,
                     double* hi) {
  double v = 0, l = 0, h = 0;
  switch (m) {
    case PatternMeasure::Ap: {
      v = r.ap[static_cast<std::size_t>(std::clamp(difficulty, 0, kEvalDifficulties - 1))].r40;
      l = r.ap_low;
      h = r.ap_high;
      break;
    }
    case PatternMeasure::Recall:
      v = r.recall * 100.0;
      l = r.recall_low * 100.0;
      h = r.recall_high * 100.0;
      break;
    case PatternMeasure::FpPerFrame:
      v = l = h = r.fp_per_frame;
      break;
    case PatternMeasure::Objects:
      v = l = h = static_cast<double>(r.objects);
      break;
    case PatternMeasure::Findings: {
      long n = 0;
      for (const auto& [k, c] : r.findings) n += c;
      v = l = h = static_cast<double>(n);
      break;
    }
  }
  if (lo) *lo = l;
  if (hi) *hi = h;
  return v;
}

// ============================================================================================
// [SECTION] Filter and highlights
// ============================================================================================
namespace {

ObjectClass object_class(int eval_class) {
  switch (static_cast<EvalClass>(eval_class)) {
    case EvalClass::Car:
      return ObjectClass::Car;
    case EvalClass::Pedestrian:
      return ObjectClass::Pedestrian;
    case EvalClass::Cyclist:
      return ObjectClass::Cyclist;
  }
  return ObjectClass::Unknown;
}

const AttributeValues* attribute_values(const SlicesRun& run, std::size_t index) {
  const std::string& name = run.result.attributes.at(index).name;
  for (const AttributeValues& a : run.attributes)
    if (a.spec.name == name) return &a;
  return nullptr;
}

}  // namespace

void patterns_clear_filter_fields(PatternsView& v) {
  v.filter_active = false;
  v.filter_text.clear();
  v.filter_frames.clear();
  v.highlight.clear();
  v.selected_row = -1;
  v.pr_point = -1;
}

void patterns_clear_filter(AppState& s) { patterns_clear_filter_fields(s.patterns); }

std::string patterns_select_row(AppState& s, std::size_t row_index) {
  const std::vector<const SliceRow*> rows = patterns_rows(s);
  if (row_index >= rows.size() || !rows[row_index])
    return "no slice " + std::to_string(row_index) + " (the panel shows " +
           std::to_string(rows.size()) + " bins)";
  const SliceRow& row = *rows[row_index];
  PatternsView& v = s.patterns;
  const SlicesRun& run = *v.run;
  patterns_clear_filter_fields(v);
  v.selected_row = static_cast<int>(row_index);
  v.highlight.assign(s.session->frame_count(), {});
  const ObjectClass oc = object_class(v.cls);
  // The frames of the slice (evaluated frames only) and, in them, the slice's labels of the class.
  for (std::size_t f : run.result.frames) {
    bool frame_in = true, has_object_cond = false;
    for (const SliceCondition& c : row.conditions) {
      const AttributeValues* a = attribute_values(run, c.attribute);
      if (!a) continue;
      if (a->spec.scope == AttributeScope::Frame) {
        if (a->frame_bin[f] != c.bin) frame_in = false;
      } else {
        has_object_cond = true;
      }
    }
    if (!frame_in) continue;
    const AttributeValues* cls_attr = nullptr;
    for (const AttributeValues& a : run.attributes)
      if (a.spec.name == "class") cls_attr = &a;
    const std::size_t n_labels = cls_attr ? cls_attr->label_bin[f].size() : 0;
    std::vector<std::uint8_t> marks(n_labels, 0);
    bool any = false;
    for (std::size_t i = 0; i < n_labels; ++i) {
      const int cb = cls_attr->label_bin[f][i];
      if (cb < 0 || cls_attr->spec.labels[static_cast<std::size_t>(cb)] != class_name(oc)) continue;
      bool in = true;
      for (const SliceCondition& c : row.conditions) {
        const AttributeValues* a = attribute_values(run, c.attribute);
        if (a && a->spec.scope == AttributeScope::Object && a->label_bin[f][i] != c.bin) in = false;
      }
      if (in) {
        marks[i] = 1;
        any = true;
      }
    }
    if (has_object_cond && !any) continue;
    v.filter_frames.push_back(f);
    v.highlight[f] = std::move(marks);
  }
  v.filter_active = true;
  char text[256];
  std::snprintf(text, sizeof text, "slice %s = %s, %s: %zu frames", row.attribute.c_str(),
                row.slice.c_str(), eval_class_name(row.cls), v.filter_frames.size());
  v.filter_text = text;
  s.scroll_list_to_current = true;
  return "";
}

std::string patterns_select_point(AppState& s, std::size_t point, bool fp) {
  const PrCurve* c = patterns_curve(s);
  if (!c) return "no precision/recall curve for this class";
  if (point >= c->threshold.size())
    return "no point " + std::to_string(point) + " (the curve has " +
           std::to_string(c->threshold.size()) + ")";
  PatternsView& v = s.patterns;
  patterns_clear_filter_fields(v);
  v.pr_point = static_cast<int>(point);
  v.pr_fp = fp;
  v.filter_frames = pr_point_frames(v.run->result, *c, point, fp);
  v.filter_active = true;
  char text[256];
  std::snprintf(text, sizeof text, "%s %s at score >= %.3g: %zu frames",
                eval_class_name(c->cls), fp ? "false positives" : "misses", c->threshold[point],
                v.filter_frames.size());
  v.filter_text = text;
  s.scroll_list_to_current = true;
  return "";
}

bool patterns_frame_passes(const AppState& s, std::size_t frame) {
  const PatternsView& v = s.patterns;
  if (!v.filter_active) return true;
  return std::binary_search(v.filter_frames.begin(), v.filter_frames.end(), frame);
}

bool patterns_label_highlighted(const AppState& s, std::size_t frame, std::size_t label) {
  const PatternsView& v = s.patterns;
  return v.filter_active && frame < v.highlight.size() && label < v.highlight[frame].size() &&
         v.highlight[frame][label];
}

// ============================================================================================
// [SECTION] Layout report
// ============================================================================================
std::string patterns_layout_json(const AppState& s) {
  const PatternsView& v = s.patterns;
  if (!v.show) return "";
  nlohmann::ordered_json j;
  j["ready"] = patterns_ready(s);
  j["attribute"] = v.attribute;
  j["attribute2"] = v.attribute2;
  j["class"] = eval_class_name(static_cast<EvalClass>(v.cls));
  j["measure"] = pattern_measure_name(v.measure);
  j["difficulty"] = difficulty_key(static_cast<Difficulty>(v.difficulty));
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const SliceRow* r : patterns_rows(s)) {
    if (!r) {
      rows.push_back(nullptr);
      continue;
    }
    double lo = 0, hi = 0;
    const double val = pattern_value(*r, v.measure, v.difficulty, &lo, &hi);
    rows.push_back({{"slice", r->slice}, {"value", val}, {"low", lo}, {"high", hi},
                    {"small", r->small}});
  }
  j["rows"] = rows;
  j["filter"] = v.filter_active ? v.filter_text : "";
  nlohmann::ordered_json frames = nlohmann::ordered_json::array();
  for (std::size_t f : v.filter_frames) frames.push_back(s.session->index->frames[f].id);
  j["filter_frames"] = frames;
  j["selected_row"] = v.selected_row;
  j["pr_point"] = v.pr_point;
  if (const PrCurve* c = patterns_curve(s)) j["pr_points"] = c->threshold.size();
  return j.dump();
}

}  // namespace needle::view

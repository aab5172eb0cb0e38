// eval.cpp — names, dataset glue and output for the KITTI evaluation (the maths is in
// eval_stats.cpp).
//
// Index
//   [SECTION] Names and lookups
//   [SECTION] Loading the frames of one prediction set
//   [SECTION] JSON and text output
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "needle/eval.h"

namespace needle {

// ============================================================================================
// [SECTION] Names and lookups
// ============================================================================================
const char* eval_class_name(EvalClass c) {
  switch (c) {
    case EvalClass::Car:
      return "Car";
    case EvalClass::Pedestrian:
      return "Pedestrian";
    case EvalClass::Cyclist:
      return "Cyclist";
  }
  return "?";
}

const char* eval_metric_key(EvalMetric m) {
  switch (m) {
    case EvalMetric::Image2D:
      return "2d";
    case EvalMetric::Bev:
      return "bev";
    case EvalMetric::Box3D:
      return "3d";
  }
  return "?";
}

const char* difficulty_key(Difficulty d) {
  switch (d) {
    case Difficulty::Easy:
      return "easy";
    case Difficulty::Moderate:
      return "moderate";
    case Difficulty::Hard:
      return "hard";
  }
  return "?";
}

const MetricEval& ClassEval::metric(EvalMetric m) const {
  switch (m) {
    case EvalMetric::Image2D:
      return box2d;
    case EvalMetric::Bev:
      return bev;
    case EvalMetric::Box3D:
      return box3d;
  }
  return box2d;
}

const ClassEval* EvalReport::find(EvalClass c) const {
  for (const ClassEval& ce : classes)
    if (ce.cls == c) return &ce;
  return nullptr;
}

// ============================================================================================
// [SECTION] Loading the frames of one prediction set
// ============================================================================================
namespace {

std::string describe(const FrameAnnotations& a, const std::string& modality_prefix) {
  std::string msg;
  for (const Problem& p : a.problems) {
    if (!p.fatal || p.modality.rfind(modality_prefix, 0) != 0) continue;
    if (!msg.empty()) msg += "; ";
    msg += p.to_string();
  }
  return msg;
}

}  // namespace

EvalDataset load_eval_dataset(const DatasetIndex& ds, std::size_t pred_set, unsigned threads,
                              const std::function<void(std::size_t, std::size_t)>& progress) {
  return load_eval_range(ds, pred_set, 0, ds.frames.size(), threads, progress);
}

void EvalRunCounts::add(const EvalRunCounts& o) {
  evaluated += o.evaluated;
  empty += o.empty;
  missing += o.missing;
  skipped += o.skipped;
  for (const std::string& m : o.skipped_messages)
    if (skipped_messages.size() < kEvalSkippedKept) skipped_messages.push_back(m);
}

EvalDataset load_eval_range(const DatasetIndex& ds, std::size_t pred_set, std::size_t begin,
                            std::size_t end, unsigned threads,
                            const std::function<void(std::size_t, std::size_t)>& progress) {
  EvalDataset out;
  std::vector<std::size_t> todo;
  end = std::min(end, ds.frames.size());
  for (std::size_t i = begin; i < end; ++i) {
    const FrameFiles& f = ds.frames[i];
    if (pred_set < f.preds.size() && !f.preds[pred_set].empty())
      todo.push_back(i);
    else
      ++out.missing;
  }

  // Only the frames with a prediction file are read. Calibration is not needed.
  out.frames.resize(todo.size());
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  constexpr std::size_t kChunk = 32;
  const std::size_t chunks = (todo.size() + kChunk - 1) / kChunk;
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::size_t done = 0;
  auto work = [&] {
    for (std::size_t c = next.fetch_add(1); c < chunks; c = next.fetch_add(1)) {
      const std::size_t b = c * kChunk, e = std::min(todo.size(), b + kChunk);
      for (std::size_t i = b; i < e; ++i) out.frames[i] = load_annotations(ds, todo[i], false);
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        done += e - b;
        progress(done, todo.size());
      }
    }
  };
  const std::size_t extra = std::min<std::size_t>(threads - 1, chunks > 0 ? chunks - 1 : 0);
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < extra; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  const std::string pred_modality =
      "pred:" + (pred_set < ds.pred_sets.size() ? ds.pred_sets[pred_set].name : std::string());
  for (std::size_t i = 0; i < out.frames.size(); ++i) {
    const FrameAnnotations& a = out.frames[i];
    const FrameFiles& f = ds.frames[todo[i]];
    const PredictionFrame& pf = a.preds.at(pred_set);
    if (pf.status == PredStatus::Invalid) {
      out.skipped.push_back("frame " + a.id +
                            ": invalid prediction file: " + describe(a, pred_modality));
      continue;
    }
    if (!a.has_labels) {
      out.skipped.push_back("frame " + a.id + ": " +
                            (f.label.empty()
                                 ? std::string("no label file (a prediction file exists)")
                                 : "invalid label file: " + describe(a, "label")));
      continue;
    }
    // Objects left out for impossible geometry would bias AP either way: skip the frame.
    std::string invalid = describe(a, "label");
    const std::string invalid_pred = describe(a, pred_modality);
    if (!invalid_pred.empty()) invalid += (invalid.empty() ? "" : "; ") + invalid_pred;
    if (!invalid.empty()) {
      out.skipped.push_back("frame " + a.id + ": invalid objects: " + invalid);
      continue;
    }
    if (pf.status == PredStatus::Empty) ++out.empty;
    out.ids.push_back(a.id);
    out.inputs.push_back({&a.labels, &pf.objects});
  }
  return out;
}

// ============================================================================================
// [SECTION] JSON and text output
// ============================================================================================
namespace {

constexpr EvalMetric kMetrics[] = {EvalMetric::Image2D, EvalMetric::Bev, EvalMetric::Box3D};
constexpr Difficulty kDifficulties[] = {Difficulty::Easy, Difficulty::Moderate, Difficulty::Hard};

nlohmann::ordered_json metric_json(const MetricEval& m) {
  nlohmann::ordered_json j;
  for (Difficulty d : kDifficulties) {
    const ApFigures& ap = m.ap[static_cast<std::size_t>(d)];
    j[difficulty_key(d)] = {{"r40", ap.r40}, {"r11", ap.r11}};
  }
  return j;
}

}  // namespace

std::string eval_report_json(const EvalReport& r, int indent) {
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  for (const ClassEval& ce : r.classes) {
    nlohmann::ordered_json cj = nlohmann::ordered_json::object();
    for (EvalMetric m : kMetrics)
      if (ce.metric(m).evaluated) cj[eval_metric_key(m)] = metric_json(ce.metric(m));
    if (ce.aos.evaluated) cj["aos"] = metric_json(ce.aos);
    root[eval_class_name(ce.cls)] = std::move(cj);
  }
  return root.dump(indent) + "\n";
}

std::string eval_report_text(const EvalReport& r) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-11s %-6s %17s %17s %17s\n", "class", "metric", "easy",
                "moderate", "hard");
  out += line;
  std::snprintf(line, sizeof line, "%-11s %-6s %8s %8s %8s %8s %8s %8s\n", "", "", "R40", "R11",
                "R40", "R11", "R40", "R11");
  out += line;
  auto row = [&](const char* cls, const char* metric, const MetricEval& m) {
    std::snprintf(line, sizeof line, "%-11s %-6s", cls, metric);
    out += line;
    for (const ApFigures& ap : m.ap) {
      std::snprintf(line, sizeof line, " %8.2f %8.2f", ap.r40, ap.r11);
      out += line;
    }
    out += "\n";
  };
  for (const ClassEval& ce : r.classes) {
    const char* name = eval_class_name(ce.cls);
    bool first = true;
    for (EvalMetric m : kMetrics) {
      if (!ce.metric(m).evaluated) continue;
      row(first ? name : "", eval_metric_key(m), ce.metric(m));
      first = false;
    }
    if (ce.aos.evaluated) row(first ? name : "", "aos", ce.aos);
    std::snprintf(line, sizeof line, "%-11s ground truth counted: %d / %d / %d%s\n", "", ce.n_gt[0],
                  ce.n_gt[1], ce.n_gt[2],
                  ce.has_predictions ? "" : "  (no predictions of this class)");
    out += line;
  }
  if (r.classes.empty()) out += "(no Car, Pedestrian or Cyclist in labels or predictions)\n";
  out += r.aos_computed ? "AOS: orientation similarity on the 2D metric (alpha given)\n"
                        : "AOS: not computed (some detection has alpha = -10, or none exists)\n";
  return out;
}

}  // namespace needle

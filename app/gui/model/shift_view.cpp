#include "gui/model/shift_view.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "gui/model/app_state.h"

namespace needle::view {

struct ShiftView::Job {
  std::atomic<bool> done{false}, cancel{false};
  std::atomic<std::size_t> built{0}, total{1};
  ShiftReport result;
  std::string error;
  std::thread thread;
  ~Job() {
    cancel = true;
    if (thread.joinable()) thread.join();
  }
};

namespace {

void start(ShiftView& v, const DatasetIndex& prod) {
  auto job = std::make_shared<ShiftView::Job>();
  ShiftView::Job* j = job.get();
  const std::filesystem::path ref = v.reference;
  j->thread = std::thread([j, ref, prod] {
    try {
      const DatasetIndex train = scan_dataset(ref, default_prediction_sets(ref));
      ShiftOptions opt;
      opt.pred = prod.pred_sets.empty() ? "" : prod.pred_sets[0].name;
      opt.build.threads = 2;  // keep the UI live on a two-core machine
      opt.build.cancel = &j->cancel;
      opt.build.progress = [j](std::size_t d, std::size_t t) {
        j->built = d;
        j->total = std::max<std::size_t>(t, 1);
      };
      j->result = analyse_shift(train, prod, opt);
    } catch (const std::exception& e) {
      j->error = std::string("shift against ") + ref.string() + ": " + e.what();
    }
    j->done = true;
  });
  v.job = std::move(job);
}

void take(ShiftView& v, std::size_t frames) {
  ShiftView::Job& j = *v.job;
  v.error = j.error;
  if (v.error.empty()) {
    auto r = std::make_shared<ShiftReport>(std::move(j.result));
    v.novelty.assign(frames, 0.0);
    v.position.assign(frames, -1);
    v.order.clear();
    for (const FrameNovelty& f : r->novelty.frames)
      if (f.frame < frames) {
        v.novelty[f.frame] = f.novelty;
        v.position[f.frame] = static_cast<int>(v.order.size());
        v.order.push_back(f.frame);
      }
    if (v.attribute.empty() && !r->attributes.empty()) v.attribute = r->attributes[0].attribute;
    v.report = std::move(r);
  }
  v.job.reset();
}

}  // namespace

void shift_tick(AppState& s) {
  ShiftView& v = s.shift;
  if (v.reference.empty() || !s.session || !s.session->index) return;
  if (v.root != s.session->root) {  // another dataset: start over
    v.job.reset();
    v.report.reset();
    v.order.clear();
    v.novelty.clear();
    v.position.clear();
    v.error.clear();
    v.root = s.session->root;
    start(v, *s.session->index);
    return;
  }
  if (v.job && v.job->done) take(v, s.session->frame_count());
}

bool shift_ready(const AppState& s) {
  const ShiftView& v = s.shift;
  return s.session && v.root == s.session->root && !v.job && (v.report || !v.error.empty());
}

double shift_progress(const AppState& s) {
  const ShiftView& v = s.shift;
  if (v.report) return 1.0;
  if (!v.job) return 0.0;
  return static_cast<double>(v.job->built.load()) / static_cast<double>(v.job->total.load());
}

ShiftHistogram shift_histogram(const ShiftReport& r, const std::string& attribute) {
  ShiftHistogram h;
  const AttributeSample* t = nullptr;
  const AttributeSample* p = nullptr;
  for (const AttributeSample& a : r.train_samples)
    if (a.name == attribute) t = &a;
  for (const AttributeSample& a : r.prod_samples)
    if (a.name == attribute) p = &a;
  if (!t || !p || t->categorical != p->categorical) return h;
  h.categorical = t->categorical;
  if (h.categorical) {
    std::map<std::string, double> ct, cp;
    for (const std::string& c : t->categories) ct[c] += 1;
    for (const std::string& c : p->categories) cp[c] += 1;
    for (const auto& [c, n] : cp) ct.emplace(c, 0.0);
    std::vector<std::pair<double, std::string>> cats;
    for (const auto& [c, n] : ct) cats.emplace_back(-n, c);
    std::sort(cats.begin(), cats.end());
    for (const auto& [n, c] : cats) {
      h.labels.push_back(c);
      h.train.push_back(t->categories.empty() ? 0 : ct[c] / double(t->categories.size()));
      h.prod.push_back(p->categories.empty() ? 0 : cp[c] / double(p->categories.size()));
    }
    return h;
  }
  std::vector<double> all(t->values);
  all.insert(all.end(), p->values.begin(), p->values.end());
  if (all.empty()) return h;
  std::sort(all.begin(), all.end());
  const double lo = all[static_cast<std::size_t>(0.01 * double(all.size() - 1))];
  double hi = all[static_cast<std::size_t>(0.99 * double(all.size() - 1))];
  if (!(hi > lo)) hi = lo + 1;
  const double w = (hi - lo) / kShiftHistogramBins;
  auto shares = [&](const std::vector<double>& v) {
    std::vector<double> c(kShiftHistogramBins, 0.0);
    for (double x : v) {
      const int b = std::clamp(static_cast<int>(std::floor((x - lo) / w)), 0, kShiftHistogramBins - 1);
      c[static_cast<std::size_t>(b)] += 1;
    }
    for (double& x : c) x = v.empty() ? 0 : x / double(v.size());
    return c;
  };
  h.train = shares(t->values);
  h.prod = shares(p->values);
  char b[48];
  for (int i = 0; i < kShiftHistogramBins; ++i) {
    std::snprintf(b, sizeof b, "%.3g", lo + w * i);
    h.labels.push_back(b);
  }
  return h;
}

}  // namespace needle::view

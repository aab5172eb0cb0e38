#include "gui/model/similar_view.h"

#include <utility>

#include "gui/model/app_state.h"
#include "gui/model/review_actions.h"

namespace needle::view {

namespace {

std::string report(AppState& s, std::string err) {
  if (!err.empty()) s.status_message = err;
  return err;
}

// The view of the open dataset: a view of another dataset is dropped (its job cancelled).
SimilarView& view_for(AppState& s) {
  SimilarView& v = s.similar;
  if (s.session && v.root != s.session->root) {
    if (v.job) v.job->cancel();
    v = SimilarView{};
    v.root = s.session->root;
  }
  return v;
}

void answer(SimilarView& v) {
  if (!v.query || !v.built || v.answered) return;
  std::optional<std::vector<SimilarResult>> rows = v.built->query(*v.query, kSimilarTop);
  v.answered = true;
  v.cursor = 0;
  if (rows) {
    v.rows = std::move(*rows);
    v.problem.clear();
  } else {
    v.rows.clear();
    v.problem = v.query->to_string() + " has no descriptor (a DontCare line?)";
  }
}

const SimilarResult* row_at(AppState& s, std::size_t n, std::string* err) {
  const SimilarView& v = s.similar;
  if (!v.answered || v.rows.empty()) {
    *err = "no similar results (F3 finds the selection's)";
    return nullptr;
  }
  if (n >= v.rows.size()) {
    *err = "similar result " + std::to_string(n + 1) + " is past the end (" +
           std::to_string(v.rows.size()) + " results)";
    return nullptr;
  }
  return &v.rows[n];
}

}  // namespace

std::string similar_find(AppState& s) {
  if (!s.session || !s.session->index) return report(s, "no dataset open");
  SimilarView& v = view_for(s);
  if (!v.built && !v.job) {
    SimilarBuildOptions opt;
    opt.threads = 0;
    v.job = std::make_unique<SimilarBuildJob>(*s.session->index, opt);
  }
  v.query = review_target(s);
  v.answered = false;
  v.rows.clear();
  v.problem.clear();
  v.show = true;
  similar_tick(s);
  return "";
}

void similar_tick(AppState& s) {
  if (!s.session) return;
  SimilarView& v = view_for(s);
  if (v.job && v.job->done()) {
    v.built = std::make_unique<SimilarBuildJob::Result>(v.job->take());
    v.job.reset();
  }
  answer(v);
}

bool similar_ready(const AppState& s) {
  return s.session && s.similar.root == s.session->root && s.similar.query && s.similar.answered;
}

double similar_progress(const AppState& s, std::string* phase) {
  if (s.similar.built) return 1.0;
  if (!s.similar.job) return 0.0;
  return s.similar.job->progress(phase);
}

std::string similar_add(AppState& s, std::size_t n) {
  std::string err;
  const SimilarResult* r = row_at(s, n, &err);
  if (!r) return report(s, err);
  s.similar.cursor = static_cast<int>(n);
  return review_add_ref_to_issue(s, r->ref);
}

std::string similar_open(AppState& s, std::size_t n) {
  std::string err;
  const SimilarResult* r = row_at(s, n, &err);
  if (!r) return report(s, err);
  s.similar.cursor = static_cast<int>(n);
  return review_open_ref(s, r->ref);
}

}  // namespace needle::view
